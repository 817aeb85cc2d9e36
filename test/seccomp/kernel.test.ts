// Kernel truth for the seccomp evaluator: a static probe runs syscalls under real runc with a
// filter in config.json, and every outcome must be the class evalSyscall predicts.
// Needs root, x86_64, gcc with a static libc (libc6-dev) and runc; skips cleanly otherwise.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOCKER_DEFAULT_CAPS } from '../../src/harden/caps.js';
import { builtinProfile } from '../../src/seccomp/builtin.js';
import { type EvalResult, evalSyscall, SeccompFilterRejected } from '../../src/seccomp/eval.js';
import {
  dockerDefaultProfile,
  type OciSeccomp,
  type OciSyscall,
  resolveSeccomp,
  type SeccompArg,
} from '../../src/seccomp/resolve.js';
import { syscallNumber } from '../../src/seccomp/syscalls.js';
import { tmpdir } from '../helpers/env.js';

function have(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function staticLibc(): boolean {
  const r = spawnSync('gcc', ['-print-file-name=libc.a'], { encoding: 'utf8' });
  const p = r.stdout?.trim() ?? '';
  return r.status === 0 && path.isAbsolute(p) && existsSync(p);
}

const SKIP =
  process.platform !== 'linux' || process.arch !== 'x64'
    ? 'needs Linux on x86_64 (the probe makes i386 calls with int 0x80)'
    : process.getuid?.() !== 0
      ? 'needs root to run containers with runc'
      : !have('runc', ['--version'])
        ? 'needs runc (apt-get install runc)'
        : !have('gcc', ['--version'])
          ? 'needs gcc (apt-get install gcc libc6-dev)'
          : !staticLibc()
            ? 'needs a static libc for gcc -static (apt-get install libc6-dev)'
            : false;

// The probe reads "mode nr a0..a5" lines; per line a child makes the call (x86_64 `syscall`, or
// i386 `int 0x80`; x86mem passes a pointer to a1..a5 as socketcall/ipc expect) and the parent
// reports "ret V", "errno E", "trap D" (SIGSYS caught: SECCOMP_RET_TRAP) or "signal S" (killed).
const PROBE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct result { long kind; long value; };
static int out_fd = -1;
static unsigned int mem[5];

static long sys32(unsigned long nr, const unsigned long *a) {
  unsigned int ret = (unsigned int)nr;
  register unsigned long r8 __asm__("r8") = a[5];
  __asm__ volatile("push %%rbp\n\tmov %%r8d, %%ebp\n\tint $0x80\n\tpop %%rbp"
                   : "+a"(ret), "+r"(r8)
                   : "b"((unsigned int)a[0]), "c"((unsigned int)a[1]), "d"((unsigned int)a[2]),
                     "S"((unsigned int)a[3]), "D"((unsigned int)a[4])
                   : "memory", "cc", "r9", "r10", "r11");
  return (long)(int)ret;
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx) {
  (void)sig; (void)ctx;
  struct result r = {2, si->si_errno};
  if (write(out_fd, &r, sizeof r) < 0) _exit(3);
  _exit(0);
}

int main(void) {
  char line[512];
  int n = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    char mode[8];
    unsigned long nr, a[6] = {0};
    if (sscanf(line, "%7s %lu %lu %lu %lu %lu %lu %lu", mode, &nr, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]) < 2) continue;
    int p[2];
    if (pipe(p) < 0) { printf("%d fail %d\n", n++, errno); continue; }
    pid_t pid = fork();
    if (pid < 0) { printf("%d fail %d\n", n++, errno); close(p[0]); close(p[1]); continue; }
    if (pid == 0) {
      close(p[0]);
      out_fd = p[1];
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_sigaction = on_sigsys;
      sa.sa_flags = SA_SIGINFO;
      sigaction(SIGSYS, &sa, NULL);
      pid_t self = (pid_t)syscall(SYS_getpid);
      struct result r;
      long ret;
      if (strcmp(mode, "x86") == 0 || strcmp(mode, "x86mem") == 0) {
        unsigned long b[6];
        memcpy(b, a, sizeof b);
        if (strcmp(mode, "x86mem") == 0) {
          for (int i = 0; i < 5; i++) mem[i] = (unsigned int)a[i + 1];
          b[1] = (unsigned long)(unsigned int)(unsigned long)mem;
        }
        ret = sys32(nr, b);
        if (ret < 0 && ret > -4096) { r.kind = 1; r.value = -ret; } else { r.kind = 0; r.value = ret; }
      } else {
        errno = 0;
        ret = syscall((long)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (ret == -1) { r.kind = 1; r.value = errno; } else { r.kind = 0; r.value = ret; }
      }
      /* an allowed clone returns here in the new process too: it leaves at once */
      if ((pid_t)syscall(SYS_getpid) != self) _exit(0);
      if (write(p[1], &r, sizeof r) < 0) _exit(3);
      _exit(0);
    }
    close(p[1]);
    struct pollfd pf = {p[0], POLLIN, 0};
    struct result r;
    int got = 0;
    if (poll(&pf, 1, 5000) > 0) got = read(p[0], &r, sizeof r) == (ssize_t)sizeof r;
    else kill(pid, SIGKILL);
    close(p[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (got && r.kind == 0) printf("%d ret %ld\n", n, r.value);
    else if (got && r.kind == 1) printf("%d errno %ld\n", n, r.value);
    else if (got && r.kind == 2) printf("%d trap %ld\n", n, r.value);
    else if (WIFSIGNALED(st)) printf("%d signal %d\n", n, WTERMSIG(st));
    else printf("%d exit %d\n", n, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    n++;
  }
  return 0;
}
`;

interface Case {
  label: string;
  /** x86_64 (syscall), x86 (int 0x80) or x86mem (int 0x80, a1 points at the other arguments). */
  mode: 'x86_64' | 'x86' | 'x86mem';
  syscall: string;
  args?: bigint[];
}

const CAPS = [...DOCKER_DEFAULT_CAPS];
let work = '';
let baseSpec: Record<string, unknown> = {};
let runs = 0;

function setup(): void {
  work = tmpdir('dd-seccomp-kernel-');
  const rootfs = path.join(work, 'rootfs');
  for (const d of ['proc', 'dev', 'sys', 'tmp']) mkdirSync(path.join(rootfs, d), { recursive: true });
  writeFileSync(path.join(work, 'probe.c'), PROBE_C);
  const cc = spawnSync(
    'gcc',
    [
      '-O2',
      '-static',
      '-no-pie',
      '-mno-red-zone',
      '-o',
      path.join(rootfs, 'probe'),
      path.join(work, 'probe.c'),
    ],
    { encoding: 'utf8' },
  );
  if (cc.status !== 0) throw new Error(`cannot build the static probe (libc6-dev?): ${cc.stderr.trim()}`);
  const spec = spawnSync('runc', ['spec', '--bundle', work], { encoding: 'utf8' });
  if (spec.status !== 0) throw new Error(`runc spec failed: ${spec.stderr.trim()}`);
  baseSpec = JSON.parse(readFileSync(path.join(work, 'config.json'), 'utf8')) as Record<string, unknown>;
}

/** Runs the probe under runc with `seccomp` as linux.seccomp; returns runc's status and the outcomes. */
function runProbe(
  seccomp: OciSeccomp,
  lines: string[],
): { status: number | null; stderr: string; out: string[] } {
  const bundle = path.join(work, `bundle-${runs}`);
  const id = `dd-seccomp-${process.pid}-${runs++}`;
  mkdirSync(bundle, { recursive: true });
  const spec = structuredClone(baseSpec) as {
    process: Record<string, unknown>;
    root: unknown;
    linux: Record<string, unknown>;
  };
  spec.process.terminal = false;
  spec.process.args = ['/probe'];
  spec.process.capabilities = { bounding: CAPS, effective: CAPS, permitted: CAPS };
  spec.root = { path: path.join(work, 'rootfs'), readonly: true };
  spec.linux.seccomp = seccomp;
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  const state = path.join(work, 'state');
  const r = spawnSync('runc', ['--root', state, 'run', '--bundle', bundle, id], {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
    timeout: 120_000,
  });
  spawnSync('runc', ['--root', state, 'delete', '-f', id], { stdio: 'ignore' });
  const out: string[] = [];
  for (const l of r.stdout.split('\n')) {
    const m = /^(\d+) (.*)$/.exec(l);
    if (m) out[Number(m[1])] = m[2] as string;
  }
  return { status: r.status, stderr: r.stderr, out };
}

function line(c: Case): string {
  const table = c.mode === 'x86_64' ? 'x86_64' : 'x86';
  const nr = syscallNumber(table, c.syscall);
  assert.ok(nr !== undefined, `${c.syscall} on ${table}`);
  const args = (c.args ?? []).map((a) => (c.mode === 'x86_64' ? a : a & 0xffffffffn));
  return [c.mode, nr, ...args].join(' ');
}

/**
 * Whether the kernel's outcome is the class the evaluator predicts. `filterErrnos` are the errno
 * values the filter itself can return: an allowed call must not come back with one of them (the
 * distinctive variants make that a real check), a denied one must come back with exactly its own.
 */
function agrees(pred: EvalResult, got: string | undefined, filterErrnos: Set<number>): boolean {
  if (got === undefined) return false;
  const [kind, val] = got.split(' ') as [string, string];
  switch (pred.action) {
    case 'SCMP_ACT_ALLOW':
    case 'SCMP_ACT_LOG':
      return kind === 'ret' || (kind === 'errno' && !filterErrnos.has(Number(val)));
    case 'SCMP_ACT_ERRNO':
      return kind === 'errno' && Number(val) === pred.errnoRet;
    case 'SCMP_ACT_TRACE':
      // No tracer attached: the kernel fails the call with ENOSYS.
      return kind === 'errno' && val === '38';
    case 'SCMP_ACT_TRAP':
      return kind === 'trap';
    default:
      return kind === 'signal' && val === '31';
  }
}

function check(title: string, f: OciSeccomp, cases: Case[]): void {
  const r = runProbe(f, cases.map(line));
  assert.equal(r.status, 0, `${title}: runc failed: ${r.stderr.trim()}`);
  const errnos = new Set<number>([38]);
  if (f.defaultAction === 'SCMP_ACT_ERRNO') errnos.add(f.defaultErrnoRet ?? 1);
  for (const s of f.syscalls) if (s.action === 'SCMP_ACT_ERRNO') errnos.add(s.errnoRet ?? 1);
  const wrong: string[] = [];
  cases.forEach((c, i) => {
    const arch = c.mode === 'x86_64' ? 'amd64' : 'x86';
    const pred = evalSyscall(f, { arch, syscall: c.syscall, args: c.args ?? [] });
    if (!agrees(pred, r.out[i], errnos))
      wrong.push(
        `${c.label}: predicted ${pred.action}${pred.errnoRet === undefined ? '' : `(${pred.errnoRet})`}, kernel ${r.out[i] ?? '(nothing)'}`,
      );
  });
  assert.deepEqual(wrong, [], `${title}:\n${wrong.join('\n')}`);
}

/** Every ERRNO gets its own errno (200 + rule index, 250 for the default) so no answer is ambiguous. */
function distinctive(f: OciSeccomp): OciSeccomp {
  const d = structuredClone(f);
  if (d.defaultAction === 'SCMP_ACT_ERRNO') d.defaultErrnoRet = 250;
  d.syscalls.forEach((s, i) => {
    if (s.action === 'SCMP_ACT_ERRNO') s.errnoRet = 200 + i;
  });
  return d;
}

const c = (label: string, mode: Case['mode'], syscall: string, ...args: bigint[]): Case => ({
  label,
  mode,
  syscall,
  args,
});
const CLONE_NEWUSER = 0x10000000n;
const CLONE_NEWNS = 0x20000n;
const SIGCHLD = 17n;

const DEFAULT_CASES: Case[] = [
  c('getpid', 'x86_64', 'getpid'),
  ...[1n, 2n, 10n, 16n, 38n, 39n, 40n, 41n].map((fam) =>
    c(`socket(${fam})`, 'x86_64', 'socket', fam, 1n, 0n),
  ),
  c('socket(AF_VSOCK | 1<<32)', 'x86_64', 'socket', 0x1_0000_0028n, 1n, 0n),
  c('socket(AF_ALG | 1<<32)', 'x86_64', 'socket', 0x1_0000_0026n, 5n, 0n),
  ...[0n, 8n, 0x20000n, 0x20008n, 0xffffffffn, 1n, 0x400000n, 0x1_0000_0000n].map((p) =>
    c(`personality(${p.toString(16)})`, 'x86_64', 'personality', p),
  ),
  c('clone(SIGCHLD)', 'x86_64', 'clone', SIGCHLD),
  c('clone(CLONE_NEWUSER)', 'x86_64', 'clone', CLONE_NEWUSER | SIGCHLD),
  c('clone(CLONE_NEWNS)', 'x86_64', 'clone', CLONE_NEWNS | SIGCHLD),
  c('clone3', 'x86_64', 'clone3'),
  c('unshare(0)', 'x86_64', 'unshare', 0n),
  c('unshare(CLONE_NEWUSER)', 'x86_64', 'unshare', CLONE_NEWUSER),
  c('mount', 'x86_64', 'mount'),
  c('keyctl', 'x86_64', 'keyctl'),
  c('bpf', 'x86_64', 'bpf'),
  c('ptrace(-1)', 'x86_64', 'ptrace', 0xffffn),
  c('kexec_load', 'x86_64', 'kexec_load'),
  c('open_by_handle_at', 'x86_64', 'open_by_handle_at'),
  c('io_uring_setup', 'x86_64', 'io_uring_setup'),
  c('cachestat', 'x86_64', 'cachestat'),
  c('i386 getpid', 'x86', 'getpid'),
  c('i386 socket(AF_VSOCK)', 'x86', 'socket', 40n, 1n, 0n),
  c('i386 socket(AF_UNIX)', 'x86', 'socket', 1n, 1n, 0n),
  c('i386 socketcall(SOCKET, AF_VSOCK)', 'x86mem', 'socketcall', 1n, 40n, 1n, 0n),
  c('i386 personality(0x400000)', 'x86', 'personality', 0x400000n),
  c('i386 personality(8)', 'x86', 'personality', 8n),
];

/** Calls by number past what libseccomp 2.5.4 names: runc's ENOSYS stub. */
const STUB_CASES: { label: string; mode: 'x86_64' | 'x86'; nr: number }[] = [
  { label: 'statmount (457)', mode: 'x86_64', nr: 457 },
  { label: 'mseal (462)', mode: 'x86_64', nr: 462 },
  { label: 'i386 listmount (458)', mode: 'x86', nr: 458 },
];

function dockerDefault(): OciSeccomp {
  const r = resolveSeccomp(dockerDefaultProfile(), { arch: 'amd64', caps: CAPS, kernel: os.release() });
  assert.ok(r);
  return r;
}

describe('seccomp verdicts against the kernel (runc)', { skip: SKIP }, () => {
  before(setup);
  after(() => {
    if (work && existsSync(work)) rmSync(work, { recursive: true, force: true });
  });

  it("Docker's default profile (amd64, the 14 default caps)", () => {
    check('docker-default', dockerDefault(), DEFAULT_CASES);
  });

  it("Docker's default profile with a distinctive errno per rule", () => {
    check('docker-default distinctive', distinctive(dockerDefault()), DEFAULT_CASES);
  });

  it('Docker 24.0.0 default profile, distinctive errnos (io_uring allowed, only AF_VSOCK denied)', () => {
    const f = resolveSeccomp(builtinProfile('docker-default-v24.0.0'), {
      arch: 'amd64',
      caps: CAPS,
      kernel: os.release(),
    });
    assert.ok(f);
    const d = distinctive(f);
    check('v24 distinctive', d, DEFAULT_CASES);
    assert.equal(evalSyscall(d, { arch: 'amd64', syscall: 'io_uring_setup' }).action, 'SCMP_ACT_ALLOW');
  });

  it("runc's ENOSYS stub above the highest syscall the profile names", () => {
    const f = distinctive(dockerDefault());
    const r = runProbe(
      f,
      STUB_CASES.map((s) => `${s.mode} ${s.nr}`),
    );
    assert.equal(r.status, 0, r.stderr);
    STUB_CASES.forEach((s, i) => {
      const pred = evalSyscall(f, { arch: s.mode === 'x86_64' ? 'amd64' : 'x86', syscall: s.nr });
      assert.equal(pred.rule, 'enosys-stub', s.label);
      assert.equal(r.out[i], 'errno 38', s.label);
    });
  });

  it('a generated profile: default ERRNO, ALLOW rules with arg conditions, MASKED_EQ, KILL_PROCESS, TRAP', () => {
    const base = dockerDefault().syscalls[0] as OciSyscall;
    const targets = ['getppid', 'getpgrp', 'geteuid', 'getuid', 'getgid'];
    const A = (index: number, op: string, value: number, valueTwo?: number): SeccompArg => ({
      index,
      op: `SCMP_CMP_${op}` as SeccompArg['op'],
      value,
      ...(valueTwo === undefined ? {} : { valueTwo }),
    });
    const f: OciSeccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 250,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        {
          names: [...base.names.filter((n) => !targets.includes(n)), 'arch_prctl', 'clone'],
          action: 'SCMP_ACT_ALLOW',
        },
        { names: ['getppid'], action: 'SCMP_ACT_ALLOW', args: [A(0, 'LT', 10), A(1, 'EQ', 7)] },
        { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 202, args: [A(1, 'EQ', 7)] },
        { names: ['getpgrp'], action: 'SCMP_ACT_ALLOW', args: [A(0, 'MASKED_EQ', 0xff00, 0x1200)] },
        { names: ['getpgrp'], action: 'SCMP_ACT_KILL_PROCESS', args: [A(0, 'GT', 0xffff)] },
        { names: ['geteuid'], action: 'SCMP_ACT_TRAP', args: [A(2, 'NE', 0)] },
        { names: ['geteuid'], action: 'SCMP_ACT_ALLOW', args: [A(0, 'GE', 0x1_0000_0000)] },
        { names: ['getuid'], action: 'SCMP_ACT_ERRNO', errnoRet: 207, args: [A(0, 'GT', 3), A(0, 'LT', 1)] },
        { names: ['getgid'], action: 'SCMP_ACT_KILL_PROCESS' },
      ],
    };
    const cases: Case[] = [];
    for (const mode of ['x86_64', 'x86'] as const) {
      for (const a of [
        [1n, 7n],
        [12n, 7n],
        [1n, 8n],
        [0x1_0000_0001n, 7n],
      ])
        cases.push(c(`getppid(${a})`, mode, 'getppid', ...a));
      for (const v of [0x1234n, 0x12ffn, 0x1300n, 0x1_0000n, 0x5n, 0x1_0000_1234n])
        cases.push(c(`getpgrp(${v.toString(16)})`, mode, 'getpgrp', v));
      for (const a of [
        [0n, 0n, 0n],
        [0n, 0n, 1n],
        [0x1_0000_0000n, 0n, 0n],
        [0x1_0000_0000n, 0n, 1n],
      ])
        cases.push(c(`geteuid(${a})`, mode, 'geteuid', ...a));
      for (const v of [0n, 2n, 5n]) cases.push(c(`getuid(${v})`, mode, 'getuid', v));
      cases.push(c('getgid', mode, 'getgid'));
      cases.push(c('getpid', mode, 'getpid'));
    }
    check('generated', f, cases);
  });

  it('a filter libseccomp refuses (clashing rules) does not start, as predicted', () => {
    const f: OciSeccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        {
          names: ['getppid'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 201,
          args: [{ index: 0, value: 5, op: 'SCMP_CMP_EQ' }],
        },
        {
          names: ['getppid'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 202,
          args: [{ index: 0, value: 5, op: 'SCMP_CMP_EQ' }],
        },
      ],
    };
    assert.throws(() => evalSyscall(f, { arch: 'amd64', syscall: 'getppid' }), SeccompFilterRejected);
    const r = runProbe(f, ['x86_64 39']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /file exists/);
  });

  it('random filters over three syscalls agree with the kernel (fixed seed)', () => {
    let seed = 20240611;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)] as T;
    const targets = ['getppid', 'getpgrp', 'geteuid'];
    const vals = [0n, 1n, 5n, 6n, 0xffn, 0xffff_ffffn, 0x1_0000_0000n, 0x1_0000_0005n, 0x8000_0000n];
    const ops = ['EQ', 'NE', 'LT', 'LE', 'GT', 'GE', 'MASKED_EQ'];
    const actions = [
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_ALLOW',
      'SCMP_ACT_KILL_PROCESS',
      'SCMP_ACT_TRAP',
      'SCMP_ACT_LOG',
      'SCMP_ACT_TRACE',
    ] as const;
    let compared = 0;
    for (let t = 0; t < 12; t++) {
      const f: OciSeccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
        syscalls: [],
      };
      const n = 2 + Math.floor(rnd() * 5);
      for (let i = 0; i < n; i++) {
        const action = pick(actions);
        const rule: OciSyscall = { names: [pick(targets)], action };
        if (action === 'SCMP_ACT_ERRNO') rule.errnoRet = 201 + Math.floor(rnd() * 5);
        const nargs = Math.floor(rnd() * 3);
        if (nargs > 0)
          rule.args = Array.from({ length: nargs }, () => {
            const op = pick(ops);
            return op === 'MASKED_EQ'
              ? {
                  index: Math.floor(rnd() * 3),
                  op: 'SCMP_CMP_MASKED_EQ' as const,
                  value: Number(pick([0xfn, 0xff00n, 0xffff_ffffn])),
                  valueTwo: Number(pick(vals)),
                }
              : {
                  index: Math.floor(rnd() * 3),
                  op: `SCMP_CMP_${op}` as SeccompArg['op'],
                  value: Number(pick(vals)),
                };
          });
        f.syscalls.push(rule);
      }
      let refused = false;
      try {
        evalSyscall(f, { arch: 'amd64', syscall: 'getppid' });
        evalSyscall(f, { arch: 'x86', syscall: 'getppid' });
      } catch (e) {
        if (!(e instanceof SeccompFilterRejected)) throw e;
        refused = true;
      }
      if (refused) {
        const r = runProbe(f, ['x86_64 39']);
        assert.notEqual(r.status, 0, `filter ${t} should be refused: ${JSON.stringify(f)}`);
        continue;
      }
      const cases: Case[] = [];
      for (let k = 0; k < 12; k++) {
        const name = pick(targets);
        const args = [pick(vals), pick(vals), pick(vals)];
        cases.push(
          c(`${name}(${args.join(',')})`, 'x86_64', name, ...args),
          c(`i386 ${name}(${args.join(',')})`, 'x86', name, ...args),
        );
      }
      check(`random filter ${t}: ${JSON.stringify(f.syscalls)}`, f, cases);
      compared += cases.length;
    }
    assert.ok(compared > 100);
  });
});
