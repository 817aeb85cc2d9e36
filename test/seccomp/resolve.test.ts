import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { DOCKER_DEFAULT_CAPS } from '../../src/harden/caps.js';
import {
  type DockerSeccompProfile,
  dockerDefaultProfile,
  type OciSeccomp,
  parseSeccompProfile,
  resolveSeccomp,
  seccompArchOf,
} from '../../src/seccomp/resolve.js';
import { ROOT } from '../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'harden', 'oci');
const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(FIX, name), 'utf8'));
const RAW = JSON.parse(
  readFileSync(path.join(ROOT, 'src', 'seccomp', 'data', 'docker-default.json'), 'utf8'),
) as { syscalls: Array<{ names: string[] }> };

const DEFAULT_CAPS = [...DOCKER_DEFAULT_CAPS];

// The rules that name a syscall; a rule with args allows it only for some argument values.
function rulesFor(s: OciSeccomp, name: string) {
  return s.syscalls.filter((r) => r.names.includes(name));
}
function allowedAtAll(s: OciSeccomp, name: string): boolean {
  return rulesFor(s, name).some((r) => r.action === 'SCMP_ACT_ALLOW');
}
function unconditionallyAllowed(s: OciSeccomp, name: string): boolean {
  return rulesFor(s, name).some((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args);
}

function resolved(opts: { arch?: string; caps?: string[]; kernel?: string } = {}): OciSeccomp {
  const r = resolveSeccomp(dockerDefaultProfile(), {
    arch: opts.arch ?? 'amd64',
    caps: opts.caps ?? DEFAULT_CAPS,
    kernel: opts.kernel ?? '6.1',
  });
  assert.ok(r);
  return r;
}

describe('Docker default profile resolved for a default container on amd64', () => {
  const s = resolved();

  it('keeps the default action, errno and the x86 architectures of archMap', () => {
    assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(s.defaultErrnoRet, 1);
    assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.equal(s.flags, undefined);
  });

  it('is exactly the 15 rules worked out by hand from the profile', () => {
    // Hand-derived from default.json: the unconditional group, minKernel 4.8 ptrace group, three
    // socket and five personality arg rules, the amd64 arches groups, the masked clone, clone3's
    // ENOSYS and chroot (CAP_SYS_CHROOT is a default cap), in the profile's order; every other rule
    // needs a capability the container lacks or another architecture.
    const summary = s.syscalls.map((r) => {
      const first = r.names.length > 3 ? `${r.names.length} names` : r.names.join(',');
      const args = r.args?.map((a) => `${a.index}${a.op.replace('SCMP_CMP_', ' ')} ${a.value}`).join(';');
      return [first, r.action.replace('SCMP_ACT_', ''), r.errnoRet ?? '', args ?? ''].join(' | ');
    });
    assert.deepEqual(summary, [
      '361 names | ALLOW |  | ',
      'process_vm_readv,process_vm_writev,ptrace | ALLOW |  | ',
      'socket | ALLOW |  | 0 LT 38',
      'socket | ALLOW |  | 0 EQ 39',
      'socket | ALLOW |  | 0 GT 40',
      'personality | ALLOW |  | 0 EQ 0',
      'personality | ALLOW |  | 0 EQ 8',
      'personality | ALLOW |  | 0 EQ 131072',
      'personality | ALLOW |  | 0 EQ 131080',
      'personality | ALLOW |  | 0 EQ 4294967295',
      'arch_prctl | ALLOW |  | ',
      'modify_ldt | ALLOW |  | ',
      'clone | ALLOW |  | 0 MASKED_EQ 2114060288',
      'clone3 | ERRNO | 38 | ',
      'chroot | ALLOW |  | ',
    ]);
    assert.deepEqual(s.syscalls[0]?.names, RAW.syscalls[0]?.names);
  });

  it('decisive syscalls', () => {
    for (const n of ['read', 'openat', 'ptrace', 'chroot', 'arch_prctl', 'modify_ldt'])
      assert.ok(unconditionallyAllowed(s, n), n);
    for (const n of [
      'mount',
      'umount2',
      'unshare',
      'setns',
      'bpf',
      'perf_event_open',
      'reboot',
      'open_by_handle_at',
      'init_module',
      'acct',
      'iopl',
      'settimeofday',
      'syslog',
      'kcmp',
      'pidfd_getfd',
      'get_mempolicy',
      'kexec_load',
      'io_uring_setup',
      's390_runtime_instr',
      'arm_fadvise64_64',
      'riscv_flush_icache',
      'sync_file_range2',
    ])
      assert.ok(!allowedAtAll(s, n), n);
    assert.equal(rulesFor(s, 'clone').length, 1);
    assert.deepEqual(rulesFor(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  });
});

describe('includes and excludes', () => {
  it('ptrace needs kernel 4.8 without CAP_SYS_PTRACE', () => {
    assert.ok(!allowedAtAll(resolved({ kernel: '4.4' }), 'ptrace'));
    assert.ok(allowedAtAll(resolved({ kernel: '4.8' }), 'ptrace'));
    assert.ok(allowedAtAll(resolved({ kernel: '5.10.0-28-amd64' }), 'ptrace'));
    assert.ok(allowedAtAll(resolved({ kernel: '4.4', caps: [...DEFAULT_CAPS, 'CAP_SYS_PTRACE'] }), 'ptrace'));
    // No kernel named: taken to be a current one.
    const r = resolveSeccomp(dockerDefaultProfile(), { arch: 'amd64', caps: [] });
    assert.ok(r && allowedAtAll(r, 'ptrace'));
  });

  it('CAP_SYS_ADMIN brings mount & co. and the unfiltered clone, and drops clone3 ENOSYS', () => {
    const s = resolved({ caps: [...DEFAULT_CAPS, 'CAP_SYS_ADMIN'] });
    for (const n of ['mount', 'umount2', 'unshare', 'setns', 'clone3', 'bpf', 'sethostname'])
      assert.ok(unconditionallyAllowed(s, n), n);
    const clone = rulesFor(s, 'clone');
    assert.equal(clone.length, 1);
    assert.equal(clone[0]?.args, undefined);
    assert.ok(!s.syscalls.some((r) => r.action === 'SCMP_ACT_ERRNO'));
  });

  it('other capabilities', () => {
    const s = resolved({ caps: ['CAP_SYS_TIME', 'CAP_SYS_MODULE', 'CAP_BPF', 'CAP_PERFMON'] });
    for (const n of [
      'settimeofday',
      'clock_settime',
      'init_module',
      'finit_module',
      'bpf',
      'perf_event_open',
    ])
      assert.ok(unconditionallyAllowed(s, n), n);
    assert.ok(!allowedAtAll(s, 'chroot'), 'chroot without CAP_SYS_CHROOT');
    assert.ok(!allowedAtAll(s, 'mount'));
  });

  it('arches: arm64 and s390x', () => {
    const arm = resolved({ arch: 'arm64' });
    assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    for (const n of ['arm_fadvise64_64', 'sync_file_range2', 'breakpoint'])
      assert.ok(allowedAtAll(arm, n), n);
    for (const n of ['arch_prctl', 'modify_ldt', 's390_runtime_instr']) assert.ok(!allowedAtAll(arm, n), n);
    assert.deepEqual(resolved({ arch: 'aarch64' }), arm);

    const s390 = resolved({ arch: 's390x' });
    assert.deepEqual(s390.architectures, ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390']);
    assert.ok(allowedAtAll(s390, 's390_pci_mmio_read'));
    assert.deepEqual(rulesFor(s390, 'clone')[0]?.args, [
      { index: 1, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
  });

  it('an arch without an archMap entry gets no architectures (the runtime uses its native one)', () => {
    const ppc = resolved({ arch: 'ppc64le' });
    assert.equal(ppc.architectures, undefined);
    assert.ok(allowedAtAll(ppc, 'swapcontext'));
    assert.equal(seccompArchOf('ppc64le'), 'SCMP_ARCH_PPC64LE');
    assert.equal(seccompArchOf('x86_64'), 'SCMP_ARCH_X86_64');
  });

  it("moby's conditional_include fixture", () => {
    const p = fixture('moby-seccomp-conditional_include.json') as DockerSeccompProfile;
    const names = (caps: string[]) =>
      resolveSeccomp(p, { arch: 'amd64', caps })?.syscalls.flatMap((r) => r.names);
    assert.deepEqual(names([]), ['chmod', 'ptrace']);
    assert.deepEqual(names(['CAP_SYSLOG']), ['chmod', 'syslog', 'ptrace']);
    assert.deepEqual(names(['CAP_SYSLOG', 'CAP_SYS_ADMIN']), ['chmod', 'syslog']);
  });

  it("the legacy format (one name per rule; moby's example fixture)", () => {
    const r = resolveSeccomp(fixture('moby-seccomp-example.json') as DockerSeccompProfile, {
      arch: 'amd64',
      caps: [],
    });
    assert.deepEqual(r, {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      syscalls: [
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
        },
        { names: ['open'], action: 'SCMP_ACT_ALLOW' },
        { names: ['close'], action: 'SCMP_ACT_ALLOW' },
        { names: ['syslog'], action: 'SCMP_ACT_ERRNO', errnoRet: 12345 },
      ],
    });
  });

  it('top-level architectures, flags and the listener pass through', () => {
    const r = resolveSeccomp(
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        flags: ['SECCOMP_FILTER_FLAG_LOG'],
        listenerPath: '/run/seccomp.sock',
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
      },
      { arch: 'arm64', caps: [] },
    );
    assert.deepEqual(r, {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      listenerPath: '/run/seccomp.sock',
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    });
  });

  it('an empty profile disables seccomp, as dockerd does', () => {
    assert.equal(resolveSeccomp(parseSeccompProfile({}), { arch: 'amd64', caps: [] }), undefined);
  });

  it('dockerDefaultProfile returns a fresh copy each time', () => {
    const a = dockerDefaultProfile();
    a.syscalls.length = 0;
    assert.equal(dockerDefaultProfile().syscalls.length, 33);
  });
});

describe('bad profiles and options are UserErrors', () => {
  const bad = (profile: unknown, re: RegExp, opts: { arch?: string; kernel?: string } = {}) =>
    assert.throws(
      () =>
        resolveSeccomp(profile as DockerSeccompProfile, {
          arch: opts.arch ?? 'amd64',
          caps: [],
          where: 'p.json',
          ...(opts.kernel ? { kernel: opts.kernel } : {}),
        }),
      (e: unknown) => e instanceof UserError && re.test(e.message) && e.message.startsWith('p.json'),
    );
  const rule = (r: object) => ({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [r] });

  it('profile shape', () => {
    bad([], /must be a JSON object/);
    bad('x', /must be a JSON object/);
    bad({ defaultAction: 'SCMP_ACT_NOPE' }, /unknown defaultAction "SCMP_ACT_NOPE"/);
    bad({ defaultAction: 7 }, /unknown defaultAction 7/);
    bad({ syscalls: [{ names: ['x'], action: 'SCMP_ACT_ALLOW' }] }, /defaultAction is empty/);
    bad({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: -1 }, /defaultErrnoRet must be a non-negative/);
    bad({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: {} }, /syscalls must be a list/);
    bad({ defaultAction: 'SCMP_ACT_ERRNO', flags: ['NOPE'] }, /unknown flag "NOPE"/);
    bad({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_VAX'] }, /unknown architecture/);
    bad({ defaultAction: 'SCMP_ACT_ERRNO', archMap: [{ architecture: 3 }] }, /archMap\[0\]\.architecture/);
    bad(
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_X86_64'],
        archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: null }],
      },
      /both "architectures" and "archMap"/,
    );
  });

  it('rules', () => {
    bad(rule({ names: ['a'], action: 'SCMP_ACT_BOGUS' }), /syscalls\[0\]: unknown action "SCMP_ACT_BOGUS"/);
    bad(rule({ name: 'a', names: ['b'], action: 'SCMP_ACT_ALLOW' }), /both "name" and "names"/);
    bad(rule({ action: 'SCMP_ACT_ALLOW' }), /no syscall names/);
    bad(rule({ names: 'read', action: 'SCMP_ACT_ALLOW' }), /names must be a list/);
    bad(rule({ names: [1], action: 'SCMP_ACT_ALLOW' }), /names must be a list of strings/);
    bad(rule({ names: ['a'], action: 'SCMP_ACT_ERRNO', errnoRet: 'EPERM' }), /errnoRet must be/);
    bad(
      rule({ names: ['a'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_XX' }] }),
      /unknown operator "SCMP_CMP_XX"/,
    );
    bad(
      rule({ names: ['a'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }),
      /index 6 is too large/,
    );
    bad(
      rule({ names: ['a'], action: 'SCMP_ACT_ALLOW', args: [{ value: 1, op: 'SCMP_CMP_EQ' }] }),
      /index is missing/,
    );
    bad(
      rule({
        names: ['a'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 2 ** 64, op: 'SCMP_CMP_EQ' }],
      }),
      /value .* too large/,
    );
    bad(rule({ names: ['a'], action: 'SCMP_ACT_ALLOW', args: 'x' }), /args must be a list/);
    bad(
      rule({ names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: 'four' } }),
      /minKernel "four" is not a kernel version/,
    );
    bad(
      rule({ names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { caps: 'CAP_X' } }),
      /includes\.caps must be a list/,
    );
    bad(rule({ names: ['a'], action: 'SCMP_ACT_ALLOW', excludes: [] }), /excludes must be an object/);
  });

  it('options', () => {
    bad({ defaultAction: 'SCMP_ACT_ALLOW' }, /unknown architecture "vax"/, { arch: 'vax' });
    bad({ defaultAction: 'SCMP_ACT_ALLOW' }, /invalid kernel version "latest"/, { kernel: 'latest' });
  });
});
