import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { builtinProfile } from '../../src/seccomp/builtin.js';
import { LINT_RULES, type LintFinding, lintProfile } from '../../src/seccomp/lint.js';
import type { DockerSeccompProfile, DockerSyscallRule } from '../../src/seccomp/resolve.js';

function profile(
  rules: DockerSyscallRule[],
  extra: Partial<DockerSeccompProfile> = {},
): DockerSeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: rules,
    ...extra,
  };
}

const ids = (fs: LintFinding[]): string[] => fs.map((f) => f.id);
const find = (fs: LintFinding[], id: string, path?: string): LintFinding[] =>
  fs.filter((f) => f.id === id && (path === undefined || f.path === path));

describe('lintProfile on Docker’s own profiles', () => {
  it('reports only the documented ptrace choice for the current default', () => {
    // Docker allows ptrace without CAP_SYS_PTRACE on kernels >= 4.8 (seccomp is re-checked after
    // ptrace there); drydock reports it as LOW. Everything else is gated, filtered or denied.
    for (const arch of [undefined, 'amd64', 'arm64', 's390x']) {
      const fs = lintProfile(builtinProfile('docker-default'), arch === undefined ? {} : { arch });
      assert.deepEqual(
        fs.map((f) => [f.id, f.severity, f.path]),
        [['SCL003', 'LOW', 'syscalls[1].names[2]']],
        String(arch),
      );
      assert.match(fs[0]?.message ?? '', /^ptrace is allowed without CAP_SYS_PTRACE on kernels >= 4\.8/);
    }
  });

  it('reports io_uring and AF_ALG for v24.0.0', () => {
    const fs = lintProfile(builtinProfile('docker-default-v24.0.0'));
    assert.deepEqual(ids(fs).sort(), ['SCL003', 'SCL004', 'SCL007', 'SCL007', 'SCL007']);
    assert.deepEqual(
      find(fs, 'SCL007').map((f) => f.message.split(' ')[0]),
      ['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
    );
    const sock = find(fs, 'SCL004')[0];
    assert.equal(sock?.severity, 'LOW');
    assert.equal(sock?.path, 'syscalls[2].names[0]');
    assert.match(sock?.message ?? '', /AF_ALG \(38\)/);
    assert.doesNotMatch(sock?.message ?? '', /AF_VSOCK \(40\) through/);
  });

  it('has unique, stable rule IDs', () => {
    const all = LINT_RULES.map((r) => r.id);
    assert.equal(new Set(all).size, all.length);
    assert.deepEqual(
      all,
      Array.from({ length: 16 }, (_, i) => `SCL${String(i + 1).padStart(3, '0')}`),
    );
  });
});

describe('lintProfile on bad profiles', () => {
  it('flags denylist profiles and what they leave reachable', () => {
    const fs = lintProfile(
      profile([{ names: ['mount', 'umount2', 'io_uring_setup'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }], {
        defaultAction: 'SCMP_ACT_ALLOW',
        defaultErrnoRet: undefined,
      }),
      { arch: 'amd64' },
    );
    assert.equal(find(fs, 'SCL001', 'defaultAction').length, 1);
    const reach = find(fs, 'SCL003', 'defaultAction').map((f) => f.message.split(' ')[0]);
    assert.ok(reach.includes('bpf') && reach.includes('keyctl') && reach.includes('unshare'));
    assert.ok(!reach.includes('mount') && !reach.includes('umount2'));
    // arm-only or missing names are not reported for amd64: iopl exists, so it is.
    assert.ok(reach.includes('iopl'));
    assert.deepEqual(
      find(fs, 'SCL007').map((f) => f.message.split(' ')[0]),
      ['io_uring_enter', 'io_uring_register'],
    );
  });

  it('flags SCMP_ACT_LOG and SCMP_ACT_KILL defaults and the clone3 errno they imply', () => {
    const log = lintProfile(profile([], { defaultAction: 'SCMP_ACT_LOG', defaultErrnoRet: undefined }));
    assert.equal(find(log, 'SCL002', 'defaultAction').length, 1);
    assert.equal(find(log, 'SCL001').length, 0);
    assert.ok(find(log, 'SCL003', 'defaultAction').length > 20);
    const kill = lintProfile(
      profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW' }], { defaultAction: 'SCMP_ACT_KILL' }),
    );
    assert.equal(find(kill, 'SCL012', 'defaultAction').length, 1);
    assert.equal(find(kill, 'SCL016', 'defaultErrnoRet').length, 1);
    const c3 = find(kill, 'SCL013', 'defaultAction')[0];
    assert.match(c3?.message ?? '', /clone3 falls to the default action KILL_THREAD: glibc 2\.34\+/);
  });

  it('flags every risky allow that lacks Docker’s capability gate', () => {
    const risky = [
      'ptrace',
      'mount',
      'umount2',
      'bpf',
      'keyctl',
      'add_key',
      'request_key',
      'unshare',
      'setns',
      'kexec_load',
      'kexec_file_load',
      'open_by_handle_at',
      'userfaultfd',
      'perf_event_open',
      'init_module',
      'finit_module',
      'delete_module',
      'reboot',
      'swapon',
      'swapoff',
      'acct',
      'iopl',
      'ioperm',
    ];
    const fs = lintProfile(
      profile([
        {
          names: [...risky, 'personality', 'clone', 'clone3', 'socket', 'io_uring_setup', 'read'],
          action: 'SCMP_ACT_ALLOW',
        },
      ]),
    );
    const flagged = find(fs, 'SCL003').map((f) => f.message.split(' ')[0]);
    assert.deepEqual([...flagged].sort(), [...risky].sort());
    const sev = (n: string) => find(fs, 'SCL003').find((f) => f.message.startsWith(`${n} `))?.severity;
    assert.equal(sev('init_module'), 'HIGH');
    assert.equal(sev('acct'), 'LOW');
    assert.equal(
      find(fs, 'SCL003')
        .find((f) => f.message.startsWith('keyctl '))
        ?.message.includes('Docker never allows it'),
      true,
    );
    assert.equal(find(fs, 'SCL004', 'syscalls[0].names[26]').length, 1);
    assert.equal(find(fs, 'SCL005', 'syscalls[0].names[23]').length, 1);
    assert.deepEqual(
      find(fs, 'SCL006').map((f) => [f.path, f.severity]),
      [
        ['syscalls[0].names[24]', 'HIGH'],
        ['syscalls[0].names[25]', 'MEDIUM'],
      ],
    );
    assert.equal(find(fs, 'SCL007').length, 1);
    // clone3 is allowed, so no errno complaint.
    assert.equal(find(fs, 'SCL013').length, 0);
  });

  it('accepts the same syscalls behind Docker’s gates and filters', () => {
    const fs = lintProfile(
      profile([
        {
          names: ['mount', 'unshare', 'bpf', 'clone', 'clone3'],
          action: 'SCMP_ACT_ALLOW',
          includes: { caps: ['CAP_SYS_ADMIN'] },
        },
        { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_BPF'] } },
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
          excludes: { caps: ['CAP_SYS_ADMIN'] },
        },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 38, op: 'SCMP_CMP_LT' }] },
        {
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }],
        },
      ]),
    );
    assert.deepEqual(fs, []);
  });

  it('flags a clone filter that lets CLONE_NEWUSER through', () => {
    const fs = lintProfile(
      profile([
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 0x00020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
        },
      ]),
    );
    assert.deepEqual(
      fs.map((f) => [f.id, f.severity]),
      [['SCL006', 'MEDIUM']],
    );
  });

  it('flags rules equal to the default action (runc < 1.0.2 refused them)', () => {
    const fs = lintProfile(
      profile(
        [
          { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' },
          { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
          { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
          { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        ],
        { defaultErrnoRet: 1 },
      ),
    );
    assert.deepEqual(
      find(fs, 'SCL008').map((f) => f.path),
      ['syscalls[0]', 'syscalls[1]'],
    );
    assert.match(find(fs, 'SCL008')[0]?.message ?? '', /requested action matches default action of filter/);
    assert.equal(find(fs, 'SCL013').length, 0);
  });

  it('flags duplicates, conflicts and shadowed rules', () => {
    const fs = lintProfile(
      profile([
        { names: ['read', 'write', 'read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['getpid'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
        { names: ['getpid'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
        {
          names: ['socket'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 97,
          args: [{ index: 0, value: 38, op: 'SCMP_CMP_EQ' }],
        },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW' },
        { names: ['kill'], action: 'SCMP_ACT_ALLOW' },
        { names: ['kill'], action: 'SCMP_ACT_KILL_PROCESS' },
      ]),
    );
    assert.deepEqual(
      find(fs, 'SCL009').map((f) => f.path),
      ['syscalls[0].names[2]', 'syscalls[1].names[0]'],
    );
    assert.deepEqual(
      find(fs, 'SCL010').map((f) => f.path),
      ['syscalls[3].names[0]', 'syscalls[8].names[0]'],
    );
    assert.deepEqual(
      find(fs, 'SCL011').map((f) => [f.path, f.severity]),
      [
        ['syscalls[4].names[0]', 'LOW'],
        ['syscalls[5].names[0]', 'MEDIUM'],
      ],
    );
    assert.match(find(fs, 'SCL011')[1]?.message ?? '', /never takes effect/);
    assert.equal(find(fs, 'SCL004', 'syscalls[6].names[0]').length, 1);
  });

  it('flags conditions that can never match, unknown names and misplaced errnos', () => {
    const fs = lintProfile(
      profile([
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 0xff, valueTwo: 0x100, op: 'SCMP_CMP_MASKED_EQ' }],
        },
        {
          names: ['ioctl'],
          action: 'SCMP_ACT_ALLOW',
          args: [
            { index: 1, value: 1, op: 'SCMP_CMP_EQ' },
            { index: 1, value: 2, op: 'SCMP_CMP_EQ' },
          ],
        },
        { names: ['mkdri', 'mseal', 'arm_fadvise64_64'], action: 'SCMP_ACT_ALLOW', errnoRet: 5 },
      ]),
    );
    assert.deepEqual(
      find(fs, 'SCL014').map((f) => f.path),
      ['syscalls[0].args', 'syscalls[1].args'],
    );
    assert.deepEqual(
      find(fs, 'SCL015').map((f) => f.path),
      ['syscalls[2].names[0]'],
    );
    assert.deepEqual(
      find(fs, 'SCL016').map((f) => f.path),
      ['syscalls[2].errnoRet'],
    );
  });

  it('explains errno 38 vs 1 for clone3', () => {
    const eperm = lintProfile(
      profile([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }], { defaultErrnoRet: 13 }),
    );
    const f = find(eperm, 'SCL013', 'syscalls[0].names[0]')[0];
    assert.match(f?.message ?? '', /clone3 is denied with ERRNO\(EPERM\).*ENOSYS \(38\)/);
    const byDefault = lintProfile(
      profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW' }], { defaultErrnoRet: 1 }),
    );
    assert.equal(find(byDefault, 'SCL013', 'defaultAction').length, 1);
    const enosys = lintProfile(
      profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW' }], { defaultErrnoRet: 38 }),
    );
    assert.deepEqual(enosys, []);
  });

  it('limits checks to rules for the given architecture', () => {
    const p = profile([{ names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } }]);
    assert.equal(find(lintProfile(p), 'SCL003').length, 1);
    assert.equal(find(lintProfile(p, { arch: 'arm64' }), 'SCL003').length, 1);
    assert.equal(find(lintProfile(p, { arch: 'amd64' }), 'SCL003').length, 0);
  });

  it('rejects hostile input with a one-line UserError', () => {
    assert.throws(
      () => lintProfile([] as unknown as DockerSeccompProfile, { where: 'p.json' }),
      (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.match(e.message, /^p\.json: /);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      },
    );
    assert.throws(() => lintProfile(profile([]), { arch: 'vax' }), UserError);
    assert.throws(
      () =>
        lintProfile({
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{ names: ['x'], action: 'NOPE' }],
        } as never),
      /unknown action/,
    );
  });
});
