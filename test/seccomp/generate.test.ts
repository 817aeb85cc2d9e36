import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import {
  architecturesFor,
  buildProfile,
  generateFromAudit,
  generateFromStrace,
  MAX_INPUT_BYTES,
  observeAudit,
  observeStrace,
  RUNTIME_SYSCALLS,
} from '../../src/seccomp/generate.js';
import {
  type DockerSeccompProfile,
  dockerDefaultProfile,
  goArch,
  type OciSeccomp,
  resolveSeccomp,
} from '../../src/seccomp/resolve.js';
import { ROOT, tmpdir } from '../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'seccomp');
const fixture = (name: string): string => readFileSync(path.join(FIX, name), 'utf8');
const names = (p: DockerSeccompProfile): string[] => p.syscalls[0]?.names ?? [];

describe('observeStrace', () => {
  it('reads every strace line shape once per call', () => {
    const o = observeStrace(fixture('strace-formats.txt'));
    assert.deepEqual([...o.syscalls.keys()].sort(), [
      '_llseek',
      'brk',
      'cachestat',
      'clock_nanosleep',
      'execve',
      'exit_group',
      'getpid',
      'gettid',
      'getuid',
      'mkdirat',
      'open',
      'restart_syscall',
      'set_robust_list',
      'wait4',
    ]);
    // wait4 and clock_nanosleep were unfinished then resumed: counted once each.
    assert.equal(o.syscalls.get('wait4'), 1);
    assert.equal(o.syscalls.get('clock_nanosleep'), 1);
    assert.deepEqual(o.unknown, ['notasyscall']);
    assert.deepEqual(o.unnamed, ['x86_64:999']);
    // PID 104 switched to 32-bit mode: syscall_0x5 is x86 open, not x86_64 fstat.
    assert.deepEqual(o.arches.sort(), ['x86', 'x86_64']);
  });

  it('reads -c summary tables, per personality', () => {
    const o = observeStrace(fixture('strace-summary.txt'));
    assert.deepEqual([...o.syscalls.keys()].sort(), ['execve', 'openat', 'read', 'socketcall']);
    assert.deepEqual(o.arches.sort(), ['x86', 'x86_64']);
  });

  it('parses only the head of very long lines and refuses oversized input', () => {
    const long = `read(3, "${'x'.repeat(300_000)}"..., 300000) = 300000\n`;
    assert.deepEqual([...observeStrace(long).syscalls.keys()], ['read']);
    assert.throws(
      () => observeStrace('x'.repeat(MAX_INPUT_BYTES + 1), { where: 'big.log' }),
      /^UserError: big\.log: input is larger than 100 MB$/,
    );
  });

  it('ignores program output and rejects text without syscalls', () => {
    assert.equal(observeStrace('hello(world\nls: /x: No such file\n').syscalls.size, 0);
    assert.throws(
      () => generateFromStrace('just some text\n', { where: 'x.txt' }),
      /x\.txt: no syscalls found/,
    );
    assert.throws(() => observeStrace('read() = 0', { arch: 'vax' }), UserError);
  });
});

describe('observeAudit', () => {
  it('reads raw, kernel-log and interpreted SECCOMP and SYSCALL records', () => {
    const o = observeAudit(fixture('audit-seccomp.log'));
    assert.deepEqual([...o.syscalls.keys()].sort(), [
      'cachestat',
      'execve',
      'exit',
      'exit_group',
      'getpid',
      'mount',
      'mprotect',
      'mseal',
      'newfstatat',
      'open',
      'openat',
      'read',
      'write',
    ]);
    assert.equal(o.syscalls.get('write'), 2);
    assert.deepEqual(o.unnamed, ['x86_64:999']);
    assert.deepEqual(o.arches.sort(), ['x32', 'x86', 'x86_64']);
  });

  it('filters by comm and exe (quoted, bare or hex-encoded)', () => {
    const app = observeAudit(fixture('audit-seccomp.log'), { comm: 'app' });
    assert.ok(!app.syscalls.has('mount'));
    assert.ok(app.syscalls.has('mprotect'));
    assert.ok(!app.syscalls.has('open'));
    const spaced = observeAudit(fixture('audit-seccomp.log'), { comm: '/tmp/a b c' });
    assert.deepEqual([...spaced.syscalls.keys()], ['exit']);
    const exe = observeAudit(fixture('audit-seccomp.log'), { exe: '/usr/bin/other' });
    assert.deepEqual([...exe.syscalls.keys()], ['mount']);
  });

  it('reports malformed records with their line number', () => {
    const bad =
      'type=PATH msg=audit(1.0:1): item=0\ntype=SECCOMP msg=audit(1.0:2): pid=1 arch=c000003e compat=0\n';
    assert.throws(
      () => observeAudit(bad, { where: 'a.log' }),
      /^UserError: a\.log: line 2: audit SECCOMP record without syscall=$/,
    );
    assert.throws(
      () => observeAudit('type=SECCOMP msg=audit(1.0:2): arch=deadbeef syscall=1\n'),
      /line 1: unsupported audit arch deadbeef/,
    );
    assert.throws(
      () => observeAudit('type=SYSCALL msg=audit(1.0:2): arch=c000003e syscall=$(x)\n'),
      /invalid syscall=/,
    );
    assert.throws(
      () => observeAudit('no audit here\n', { where: 'a.log' }),
      /a\.log: no SECCOMP or SYSCALL audit records/,
    );
    assert.throws(() => generateFromAudit('type=PROCTITLE msg=audit(1.0:1): proctitle=6C73\n'), UserError);
  });

  it('generates a profile from the audit fixture', () => {
    const p = generateFromAudit(fixture('audit-seccomp.log'), { comm: 'app' });
    assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    for (const n of [
      'openat',
      'read',
      'write',
      'cachestat',
      'mseal',
      'getpid',
      'mprotect',
      'execve',
      'exit_group',
    ])
      assert.ok(names(p).includes(n), n);
    assert.ok(!names(p).includes('mount'));
  });
});

describe('buildProfile', () => {
  const obs = observeStrace(fixture('strace-formats.txt'));

  it('allows exactly the observed names plus the runtime set, denying the rest with EPERM', () => {
    const r = buildProfile(obs);
    assert.equal(r.profile.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(r.profile.defaultErrnoRet, 1);
    assert.deepEqual(r.profile.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const allowed = names(r.profile);
    assert.deepEqual(allowed, [...allowed].sort());
    assert.deepEqual(allowed, [...new Set([...r.observed, ...RUNTIME_SYSCALLS])].sort());
    assert.ok(r.added.includes('fstatfs') && !r.added.includes('execve'));
    // clone3 was not observed: ENOSYS so glibc falls back to clone, as Docker does.
    assert.deepEqual(r.profile.syscalls[1], {
      names: ['clone3'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 38,
      comment: 'ENOSYS, not EPERM: glibc then falls back to clone',
    });
    assert.equal(r.profile.syscalls.length, 2);
    // The result is a valid Docker profile.
    assert.ok(resolveSeccomp(r.profile, { arch: 'amd64', caps: [] }));
  });

  it('can leave out the runtime set and follows the architecture', () => {
    const r = buildProfile(obs, { runtime: false, arch: 'arm64' });
    assert.deepEqual(names(r.profile), r.observed);
    assert.deepEqual(r.profile.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    assert.deepEqual(architecturesFor('riscv64'), ['SCMP_ARCH_RISCV64']);
    assert.throws(() => architecturesFor('vax'), UserError);
  });

  it('with base docker-default, keeps Docker’s filters for the observed syscalls only', () => {
    const o = observeStrace(
      [
        'socket(AF_INET, SOCK_STREAM, 0) = 3',
        'personality(0xffffffff) = 0',
        'clone(child_stack=NULL, flags=SIGCHLD) = 5',
        'keyctl(KEYCTL_GET_KEYRING_ID, 0, 0) = -1 EPERM (Operation not permitted)',
        'mount("none", "/mnt", "tmpfs", 0, NULL) = -1 EPERM (Operation not permitted)',
        'read(3, "", 10) = 0',
      ].join('\n'),
    );
    const r = buildProfile(o, { base: dockerDefaultProfile() });
    const p = r.profile;
    assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
    assert.ok(p.archMap && p.archMap.length > 0);
    const rulesFor = (n: string) => p.syscalls.filter((s) => (s.names ?? []).includes(n));
    assert.deepEqual(
      rulesFor('socket').map((s) => s.args?.map((a) => `${a.op} ${a.value}`)),
      [['SCMP_CMP_LT 38'], ['SCMP_CMP_EQ 39'], ['SCMP_CMP_GT 40']],
    );
    assert.equal(rulesFor('personality').length, 5);
    assert.ok(rulesFor('clone').some((s) => s.args?.[0]?.op === 'SCMP_CMP_MASKED_EQ'));
    assert.deepEqual(
      rulesFor('mount').map((s) => s.includes?.caps),
      [['CAP_SYS_ADMIN']],
    );
    assert.deepEqual(r.deniedByBase, ['keyctl']);
    // Non-allow rules stay (clone3 ENOSYS); unobserved allows are gone.
    assert.deepEqual(
      rulesFor('clone3').map((s) => [s.action, s.errnoRet, s.excludes?.caps]),
      [['SCMP_ACT_ERRNO', 38, ['CAP_SYS_ADMIN']]],
    );
    assert.equal(rulesFor('mkdir').length, 0);
    assert.equal(rulesFor('ptrace').length, 0);
    // Resolved for a default container it allows socket only for the families Docker allows.
    const oci = resolveSeccomp(p, { arch: 'amd64', caps: [] }) as OciSeccomp;
    const allowAll = oci.syscalls.find((s) => !s.args && s.action === 'SCMP_ACT_ALLOW');
    assert.ok(allowAll?.names.includes('read'));
    assert.ok(!allowAll?.names.includes('socket'));
  });

  it('refuses a denylist base', () => {
    assert.throws(
      () => buildProfile(obs, { base: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] } }),
      /base profile must deny by default/,
    );
  });
});

// ---- real traces and a real runtime

const HOST_ARCH = goArch(process.arch);
function stracePossible(): string | false {
  const v = spawnSync('strace', ['-V'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return 'strace is not installed';
  const probe = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `strace cannot ptrace here: ${(probe.stderr ?? '').trim().split('\n')[0]}`;
  if (spawnSync('busybox', ['true']).status !== 0) return 'busybox is not installed';
  return false;
}
const SKIP_STRACE = stracePossible();

function runcPossible(): string | false {
  if (SKIP_STRACE) return SKIP_STRACE;
  if (process.getuid?.() !== 0) return 'runc needs root';
  if (spawnSync('runc', ['--version']).status !== 0) return 'runc is not installed';
  if (!existsSync('/bin/busybox')) return '/bin/busybox (busybox-static) is missing';
  const f = spawnSync('file', ['-L', '/bin/busybox'], { encoding: 'utf8' });
  if (f.status === 0 && !/statically linked/.test(f.stdout))
    return '/bin/busybox is not static (need busybox-static)';
  if (!HOST_ARCH) return `unknown host architecture ${process.arch}`;
  return false;
}
const SKIP_RUNC = runcPossible();

const TRACED = 'ls /; cat /etc/hostname';
const HOSTNAME = 'drydock-seccomp-test';

function traceBusybox(dir: string): string {
  const log = path.join(dir, 'trace.log');
  const r = spawnSync('strace', ['-f', '-qq', '-o', log, 'busybox', 'sh', '-c', TRACED], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(log, 'utf8');
}

describe('real strace trace of busybox', { skip: SKIP_STRACE }, () => {
  it('yields the syscalls busybox used and nothing it did not', () => {
    const dir = tmpdir('dd-seccomp-gen-');
    after(() => rmSync(dir, { recursive: true, force: true }));
    const p = generateFromStrace(traceBusybox(dir), { arch: process.arch });
    const allowed = names(p);
    for (const n of ['execve', 'getdents64', 'write', 'exit_group', 'clone'])
      assert.ok(allowed.includes(n), n);
    for (const n of ['mkdir', 'mkdirat', 'unshare', 'mount', 'ptrace', 'socket'])
      assert.ok(!allowed.includes(n), n);
  });
});

interface RuncRun {
  status: number | null;
  out: string;
}

describe('generated profiles under real runc', { skip: SKIP_RUNC }, () => {
  const dir = tmpdir('dd-seccomp-runc-');
  after(() => rmSync(dir, { recursive: true, force: true }));
  let trace = '';
  let rootfs = '';
  let counter = 0;

  const setup = (): void => {
    if (trace) return;
    trace = traceBusybox(dir);
    rootfs = path.join(dir, 'rootfs');
    for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc'])
      mkdirSync(path.join(rootfs, d), { recursive: true });
    copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
    for (const a of ['sh', 'ls', 'cat', 'mkdir', 'unshare', 'true'])
      symlinkSync('busybox', path.join(rootfs, 'bin', a));
    writeFileSync(path.join(rootfs, 'etc', 'hostname'), `${HOSTNAME}\n`);
  };

  const tr = (): string => {
    setup();
    return trace;
  };

  const run = (seccomp: OciSeccomp | undefined, script: string, noNewPrivileges = true): RuncRun => {
    setup();
    const id = `dd-seccomp-${process.pid}-${++counter}`;
    const bundle = path.join(dir, id);
    mkdirSync(bundle);
    const spec = spawnSync('runc', ['spec', '--bundle', bundle], { encoding: 'utf8' });
    assert.equal(spec.status, 0, spec.stderr);
    const cfgPath = path.join(bundle, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.process.terminal = false;
    cfg.process.args = ['/bin/sh', '-c', script];
    cfg.process.noNewPrivileges = noNewPrivileges;
    cfg.root = { path: rootfs, readonly: true };
    cfg.hostname = 'drydock';
    cfg.mounts.push({
      destination: '/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'size=1m'],
    });
    if (seccomp) cfg.linux.seccomp = seccomp;
    else delete cfg.linux.seccomp;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const state = path.join(dir, 'state');
    const r = spawnSync('runc', ['--root', state, 'run', '--bundle', bundle, id], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status === null) spawnSync('runc', ['--root', state, 'delete', '-f', id]);
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  const oci = (p: DockerSeccompProfile): OciSeccomp => {
    const s = resolveSeccomp(p, {
      arch: HOST_ARCH as string,
      caps: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    });
    assert.ok(s);
    return s;
  };
  const withExtra = (p: DockerSeccompProfile, extra: string[]): DockerSeccompProfile => {
    const q = structuredClone(p);
    (q.syscalls[0] as { names: string[] }).names.push(...extra);
    return q;
  };

  it('runs the traced command under the generated profile (noNewPrivileges true and false)', () => {
    const p = oci(generateFromStrace(tr(), { arch: process.arch }));
    for (const nnp of [true, false]) {
      const r = run(p, TRACED, nnp);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /^bin$/m);
      assert.match(r.out, new RegExp(`^${HOSTNAME}$`, 'm'));
    }
  });

  it('denies with EPERM a command that needs a syscall the trace did not show (mkdir), proven by a control', () => {
    const gen = generateFromStrace(tr(), { arch: process.arch });
    const denied = run(oci(gen), 'mkdir /tmp/d');
    assert.notEqual(denied.status, 0);
    assert.match(denied.out, /mkdir: can't create directory '\/tmp\/d': Operation not permitted/);
    const control = run(oci(withExtra(gen, ['mkdir', 'mkdirat'])), 'mkdir /tmp/d && echo made');
    assert.equal(control.status, 0, control.out);
    assert.match(control.out, /made/);
  });

  it('denies unshare (user namespace) that works without seccomp', (t) => {
    const denied = run(oci(generateFromStrace(tr(), { arch: process.arch })), 'unshare -U true');
    assert.notEqual(denied.status, 0);
    assert.match(denied.out, /unshare\(0x10000000\): Operation not permitted/);
    const control = run(undefined, 'unshare -U true && echo unshared');
    if (control.status === 0) assert.match(control.out, /unshared/);
    else
      t.diagnostic(
        `control without seccomp failed too (kernel forbids user namespaces?): ${control.out.trim()}`,
      );
  });

  it('needs the runtime set: without it runc cannot start the container', (t) => {
    const bare = oci(generateFromStrace(tr(), { arch: process.arch, runtime: false }));
    for (const nnp of [true, false]) {
      const r = run(bare, TRACED, nnp);
      assert.notEqual(r.status, 0);
      assert.doesNotMatch(r.out, new RegExp(HOSTNAME));
      t.diagnostic(`noNewPrivileges ${nnp}: ${r.out.trim().split('\n').pop()}`);
    }
  });

  it('with base docker-default: the traced command runs, mkdir is denied', () => {
    const p = oci(generateFromStrace(tr(), { arch: process.arch, base: dockerDefaultProfile() }));
    const ok = run(p, TRACED, false);
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, new RegExp(`^${HOSTNAME}$`, 'm'));
    const denied = run(p, 'mkdir /tmp/d');
    assert.match(denied.out, /Operation not permitted/);
  });
});
