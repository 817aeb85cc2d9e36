// Proves compileFilter's programs against libseccomp in the kernel: C harnesses (built here with gcc)
// load our program and libseccomp's filter for the same profile into a thread and report what the
// kernel did with each syscall; differential fuzzing compares every verdict with libseccomp's filter
// database (its PFC export) and its exported program. Skips without gcc and libseccomp-dev.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { DOCKER_DEFAULT_CAPS } from '../../src/harden/caps.js';
import {
  AUDIT_ARCH,
  checkBpf,
  compileSeccomp,
  decodeBpf,
  type Endian,
  encodeBpf,
  runBpf,
  type SockFilter,
} from '../../src/seccomp/bpf.js';
import { builtinProfile } from '../../src/seccomp/builtin.js';
import {
  type OciSeccomp,
  resolveSeccomp,
  type SeccompAction,
  type SeccompArg,
  type SeccompOperator,
} from '../../src/seccomp/resolve.js';
import { type SyscallArch, syscallNumber } from '../../src/seccomp/syscalls.js';
import { tmpdir } from '../helpers/env.js';

// ---------------------------------------------------------------------------------------------------
// The harness and the oracles

/**
 * One C source, two programs. `bpf-run PROG.bin < cases` loads a raw struct sock_filter array; `lsc-run
 * RULES < cases` (built with -DLSC) builds the filter with libseccomp as runc does and loads the
 * program libseccomp exports (`--export OUT.bin` writes it, `--pfc` prints libseccomp's pseudo code).
 * Both load the filter into a worker thread with prctl(PR_SET_NO_NEW_PRIVS) and
 * seccomp(SECCOMP_SET_MODE_FILTER), then make one raw syscall per case, in a fresh process:
 * "[i386] NR A0..A5" (i386: int $0x80, which the kernel filters as AUDIT_ARCH_I386 with 32-bit
 * arguments). Outcomes: ok | errno=N | trap data=N | killthread | killprocess sig=N | loadfail errno=N.
 */
const HARNESS_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef LSC
#include <seccomp.h>
#endif

struct tcase { int abi32; unsigned long nr; unsigned long a[6]; };
struct shared { volatile int done; volatile long ret; volatile int trap; volatile int trap_data; volatile int loadfail; };
static struct sock_fprog g_prog;
static struct shared *g_sh;
static struct tcase g_case;
static struct sock_filter g_insns[65536];

static void spin(void) { for (;;) __asm__ volatile("pause"); }

static long raw64(const struct tcase *c) {
  register unsigned long r10 __asm__("r10") = c->a[3];
  register unsigned long r8 __asm__("r8") = c->a[4];
  register unsigned long r9 __asm__("r9") = c->a[5];
  long ret;
  __asm__ volatile("syscall" : "=a"(ret)
                   : "a"(c->nr), "D"(c->a[0]), "S"(c->a[1]), "d"(c->a[2]), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

/* int $0x80 from 64-bit code: an i386 syscall (ebx, ecx, edx, esi, edi, ebp). */
static long raw32(const struct tcase *c) {
  register unsigned long r8 __asm__("r8") = c->a[5];
  long ret;
  __asm__ volatile("push %%rbp\n\tmov %%r8, %%rbp\n\tint $0x80\n\tpop %%rbp"
                   : "=a"(ret), "+r"(r8)
                   : "a"(c->nr), "b"(c->a[0]), "c"(c->a[1]), "d"(c->a[2]), "S"(c->a[3]), "D"(c->a[4])
                   : "r9", "r10", "r11", "memory");
  return (int)ret;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  g_sh->trap_data = si->si_errno;
  g_sh->trap = 1;
  g_sh->done = 1;
  spin(); /* returning needs rt_sigreturn, which the filter may refuse */
}

/* Only this thread is filtered; it ends in a loop without syscalls until the process exits. */
static void *worker(void *p) {
  (void)p;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &g_prog) != 0) {
    g_sh->loadfail = errno ? errno : -1;
    g_sh->done = 1;
    spin();
  }
  long r = g_case.abi32 ? raw32(&g_case) : raw64(&g_case);
  g_sh->ret = r;
  g_sh->done = 1;
  spin();
  return NULL;
}

static void run_case(const struct tcase *c) {
  memset((void *)g_sh, 0, sizeof(*g_sh));
  g_case = *c;
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); exit(3); }
  if (pid == 0) {
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) _exit(4);
    for (int i = 0; i < 100000; i++) {
      if (g_sh->done) _exit(0);
      if (pthread_tryjoin_np(t, NULL) == 0) _exit(5); /* the worker died alone: KILL_THREAD */
      struct timespec ts = {0, 20000};
      nanosleep(&ts, NULL);
    }
    _exit(6);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st)) printf("killprocess sig=%d\n", WTERMSIG(st));
  else if (WEXITSTATUS(st) == 5) printf("killthread\n");
  else if (WEXITSTATUS(st) == 6) printf("timeout\n");
  else if (WEXITSTATUS(st) != 0) printf("harness-error %d\n", WEXITSTATUS(st));
  else if (g_sh->loadfail) printf("loadfail errno=%d\n", g_sh->loadfail);
  else if (g_sh->trap) printf("trap data=%d\n", g_sh->trap_data);
  else if (g_sh->ret < 0 && g_sh->ret >= -4095) printf("errno=%ld\n", -g_sh->ret);
  else printf("ok\n");
  fflush(stdout);
}

static int run_cases(FILE *in) {
  g_sh = mmap(NULL, sizeof(*g_sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (g_sh == MAP_FAILED) { perror("mmap"); return 3; }
  char line[1024];
  while (fgets(line, sizeof(line), in)) {
    struct tcase c;
    memset(&c, 0, sizeof(c));
    char *p = line, *end;
    while (*p == ' ') p++;
    if (*p == '\n' || *p == 0 || *p == '#') continue;
    if (strncmp(p, "i386", 4) == 0) { c.abi32 = 1; p += 4; }
    c.nr = strtoull(p, &end, 0);
    if (end == p) { fprintf(stderr, "bad case line: %s", line); return 3; }
    p = end;
    for (int i = 0; i < 6; i++) {
      unsigned long v = strtoull(p, &end, 0);
      if (end == p) break;
      c.a[i] = v;
      p = end;
    }
    run_case(&c);
  }
  return 0;
}

#ifndef LSC
int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: bpf-run PROG.bin < cases\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 2; }
  size_t n = fread(g_insns, sizeof(g_insns[0]), 65536, f);
  fclose(f);
  g_prog.len = (unsigned short)n;
  g_prog.filter = g_insns;
  return run_cases(stdin);
}
#else
static uint32_t parse_action(const char *s) {
  if (!strcmp(s, "KILL_PROCESS")) return SCMP_ACT_KILL_PROCESS;
  if (!strcmp(s, "KILL_THREAD")) return SCMP_ACT_KILL_THREAD;
  if (!strcmp(s, "TRAP")) return SCMP_ACT_TRAP;
  if (!strcmp(s, "LOG")) return SCMP_ACT_LOG;
  if (!strcmp(s, "ALLOW")) return SCMP_ACT_ALLOW;
  if (!strcmp(s, "NOTIFY")) return SCMP_ACT_NOTIFY;
  if (!strncmp(s, "ERRNO:", 6)) return SCMP_ACT_ERRNO(strtoul(s + 6, NULL, 0));
  if (!strncmp(s, "TRACE:", 6)) return SCMP_ACT_TRACE(strtoul(s + 6, NULL, 0));
  fprintf(stderr, "bad action %s\n", s);
  exit(2);
}

static enum scmp_compare parse_op(const char *s) {
  static const char *names[] = {"", "NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ"};
  for (int i = 1; i <= 7; i++) if (!strcmp(s, names[i])) return (enum scmp_compare)i;
  fprintf(stderr, "bad op %s\n", s);
  exit(2);
}

/* RULES lines: "default ACTION" | "native ARCH" | "arch ARCH" | "rule ACTION SYSCALL [ARG OP A B]...".
 * "native" stands in for another host: the filter starts with that architecture alone. */
int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: lsc-run RULES [--export OUT | --pfc] < cases\n"); return 2; }
  FILE *rf = fopen(argv[1], "r");
  if (!rf) { perror(argv[1]); return 2; }
  char line[8192];
  scmp_filter_ctx ctx = NULL;
  uint32_t def = 0;
  int lineno = 0;
  while (fgets(line, sizeof(line), rf)) {
    lineno++;
    char *tok[64];
    int nt = 0;
    for (char *s = strtok(line, " \t\n"); s && nt < 64; s = strtok(NULL, " \t\n")) tok[nt++] = s;
    if (nt == 0 || tok[0][0] == '#') continue;
    if (!strcmp(tok[0], "default")) {
      def = parse_action(tok[1]);
      ctx = seccomp_init(def);
      if (!ctx) { printf("init-error\n"); return 3; }
    } else if (!strcmp(tok[0], "native") || !strcmp(tok[0], "arch")) {
      uint32_t a = seccomp_arch_resolve_name(tok[1]);
      if (a == 0) { fprintf(stderr, "bad arch %s\n", tok[1]); return 2; }
      int rc = 0;
      if (!strcmp(tok[0], "native") && a != seccomp_arch_native()) {
        rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
        if (rc == 0) rc = seccomp_arch_add(ctx, a);
      } else if (!strcmp(tok[0], "arch")) {
        rc = seccomp_arch_add(ctx, a);
        if (rc == -EEXIST) rc = 0;
      }
      if (rc != 0) { printf("arch-error %s %d\n", tok[1], rc); return 3; }
    } else if (!strcmp(tok[0], "rule")) {
      uint32_t act = parse_action(tok[1]);
      /* runc: same action as the default is skipped, unknown names are skipped */
      if (act == def) continue;
      int nr = seccomp_syscall_resolve_name(tok[2]);
      if (nr == __NR_SCMP_ERROR) continue;
      struct scmp_arg_cmp cmp[16];
      int nc = 0, counts[6] = {0};
      for (int i = 3; i + 3 < nt && nc < 16; i += 4) {
        cmp[nc].arg = (unsigned)strtoul(tok[i], NULL, 0);
        cmp[nc].op = parse_op(tok[i + 1]);
        cmp[nc].datum_a = strtoull(tok[i + 2], NULL, 0);
        cmp[nc].datum_b = strtoull(tok[i + 3], NULL, 0);
        if (cmp[nc].arg < 6) counts[cmp[nc].arg]++;
        nc++;
      }
      /* runc: several conditions on one argument become one rule each */
      int split = 0;
      for (int i = 0; i < 6; i++) if (counts[i] > 1) split = 1;
      int rc = 0;
      if (split) {
        for (int i = 0; i < nc && rc == 0; i++) rc = seccomp_rule_add_array(ctx, act, nr, 1, &cmp[i]);
      } else {
        rc = seccomp_rule_add_array(ctx, act, nr, nc, cmp);
      }
      if (rc != 0) { printf("rule-error line %d %s %d\n", lineno, tok[2], rc); return 3; }
    } else {
      fprintf(stderr, "bad line %d\n", lineno);
      return 2;
    }
  }
  fclose(rf);
  if (!ctx) { fprintf(stderr, "no default line\n"); return 2; }
  if (argc >= 3 && !strcmp(argv[2], "--pfc")) return seccomp_export_pfc(ctx, 1) ? 3 : 0;
  FILE *tmp = tmpfile();
  if (!tmp || seccomp_export_bpf(ctx, fileno(tmp)) != 0) { printf("export-error\n"); return 3; }
  long sz = lseek(fileno(tmp), 0, SEEK_END);
  lseek(fileno(tmp), 0, SEEK_SET);
  if (sz <= 0 || sz % 8 || sz / 8 > 65536) { printf("export-error size %ld\n", sz); return 3; }
  if (read(fileno(tmp), g_insns, sz) != sz) { printf("export-error read\n"); return 3; }
  if (argc >= 4 && !strcmp(argv[2], "--export")) {
    FILE *o = fopen(argv[3], "wb");
    if (!o || fwrite(g_insns, 1, sz, o) != (size_t)sz) { perror(argv[3]); return 3; }
    fclose(o);
    return 0;
  }
  g_prog.len = (unsigned short)(sz / 8);
  g_prog.filter = g_insns;
  return run_cases(stdin);
}
#endif
`;

interface Harness {
  bpfRun: string;
  lscRun: string;
}

/** Builds both programs in `dir`; a reason to skip when gcc or libseccomp-dev is missing. */
function buildHarness(dir: string): Harness | string {
  if (process.arch !== 'x64' || process.platform !== 'linux') return 'the harness is x86_64 Linux code';
  if (spawnSync('gcc', ['--version']).status !== 0) return 'needs gcc (apt-get install gcc)';
  if (!existsSync('/usr/include/seccomp.h')) return 'needs libseccomp-dev (apt-get install libseccomp-dev)';
  const src = path.join(dir, 'harness.c');
  writeFileSync(src, HARNESS_C);
  const bpfRun = path.join(dir, 'bpf-run');
  const lscRun = path.join(dir, 'lsc-run');
  for (const [out, extra] of [
    [bpfRun, []],
    [lscRun, ['-DLSC', '-lseccomp']],
  ] as const) {
    const r = spawnSync('gcc', ['-O1', '-Wall', '-o', out, src, '-lpthread', ...extra], { encoding: 'utf8' });
    if (r.status !== 0) return `could not build the seccomp harness: ${r.stderr.trim().split('\n')[0]}`;
  }
  return { bpfRun, lscRun };
}

const SCMP_NAMES: Record<string, string> = {
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_RISCV64: 'riscv64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390X: 's390x',
};

function actionText(action: string, errnoRet: number | undefined): string {
  const a = action.replace('SCMP_ACT_', '');
  if (a === 'KILL') return 'KILL_THREAD';
  // runc's default data for ERRNO and TRACE is EPERM.
  return a === 'ERRNO' || a === 'TRACE' ? `${a}:${errnoRet ?? 1}` : a;
}

/** The lsc-run rules for an OCI filter, one libseccomp rule per name as runc adds them. */
function rulesText(f: OciSeccomp, native = 'x86_64'): string {
  const lines = [`default ${actionText(f.defaultAction, f.defaultErrnoRet)}`];
  if (native !== 'x86_64') lines.push(`native ${native}`);
  for (const a of f.architectures ?? []) lines.push(`arch ${SCMP_NAMES[a] ?? a}`);
  for (const r of f.syscalls)
    for (const n of r.names) {
      const args = (r.args ?? []).map(
        (x) => `${x.index} ${x.op.replace('SCMP_CMP_', '')} ${x.value} ${x.valueTwo ?? 0}`,
      );
      lines.push(['rule', actionText(r.action, r.errnoRet), n, ...args].join(' '));
    }
  return `${lines.join('\n')}\n`;
}

type Stmt = { kind: 'if'; cond: string; yes: Stmt[]; no: Stmt[] } | { kind: 'ret'; value: number };

function pfcAction(text: string): number {
  const a = /^action (.*);$/.exec(text)?.[1] ?? '';
  const fixed: Record<string, number> = {
    ALLOW: 0x7fff0000,
    KILL: 0,
    KILL_PROCESS: 0x80000000,
    TRAP: 0x30000,
    LOG: 0x7ffc0000,
  };
  if (Object.hasOwn(fixed, a)) return fixed[a] as number;
  const m = /^(ERRNO|TRACE)\((\d+)\)$/.exec(a);
  if (m) return ((m[1] === 'ERRNO' ? 0x50000 : 0x7ff00000) | Number(m[2])) >>> 0;
  if (/^0x[0-9a-f]+$/.test(a)) return Number(a) >>> 0;
  throw new Error(`unknown PFC action: ${text}`);
}

function parsePfc(lines: Array<[number, string]>, from: number, indent: number): [Stmt[], number] {
  const out: Stmt[] = [];
  let i = from;
  while (i < lines.length) {
    const [ind, text] = lines[i] as [number, string];
    if (ind < indent) break;
    if (text.startsWith('action ')) {
      out.push({ kind: 'ret', value: pfcAction(text) });
      i++;
      continue;
    }
    const m = /^if \((.*)\)$/.exec(text);
    if (!m || ind !== indent) throw new Error(`unexpected PFC line: ${text}`);
    const [thenPart, j] = parsePfc(lines, i + 1, indent + 2);
    let elsePart: Stmt[] = [];
    i = j;
    if (lines[i]?.[0] === indent && lines[i]?.[1] === 'else')
      [elsePart, i] = parsePfc(lines, i + 1, indent + 2);
    out.push({ kind: 'if', cond: m[1] as string, yes: thenPart, no: elsePart });
  }
  return [out, i];
}

interface Data {
  nr: number;
  arch: number;
  args: readonly bigint[];
}

function holds(cond: string, d: Data): boolean {
  const m = /^(\$arch|\$syscall|\$a(\d)(\.hi32|\.lo32)?)(?: & (0x[0-9a-f]+))? (==|>|>=) (\d+)$/.exec(cond);
  if (!m) throw new Error(`unexpected PFC condition: ${cond}`);
  let v: number;
  if (m[1] === '$arch') v = d.arch >>> 0;
  else if (m[1] === '$syscall') v = d.nr >>> 0;
  else {
    const arg = d.args[Number(m[2])] ?? 0n;
    v = Number(m[3] === '.hi32' ? (arg >> 32n) & 0xffffffffn : arg & 0xffffffffn);
  }
  if (m[4]) v = (v & Number(m[4])) >>> 0;
  const k = Number(m[6]);
  return m[5] === '==' ? v === k : m[5] === '>' ? v > k : v >= k;
}

function evalStmts(stmts: Stmt[], d: Data): number | undefined {
  for (const s of stmts) {
    if (s.kind === 'ret') return s.value;
    const r = evalStmts(holds(s.cond, d) ? s.yes : s.no, d);
    if (r !== undefined) return r;
  }
  return undefined;
}

/**
 * Evaluates libseccomp's PFC export: its filter database, which is what its rules mean. The x32 range
 * check of an x86_64 or x32 block is not printed in PFC; `arches` adds it as libseccomp's BPF does.
 */
function pfcOracle(text: string, arches: readonly string[]): (d: Data) => number {
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'))
    .map((l): [number, string] => [l.length - l.trimStart().length, l.trim()]);
  const [top] = parsePfc(lines, 0, 0);
  const blocks = new Map<number, { syscalls: Map<number, Stmt[]>; deflt: number }>();
  let badArch = 0;
  for (const s of top) {
    if (s.kind === 'ret') {
      badArch = s.value;
      continue;
    }
    const arch = Number(/== (\d+)$/.exec(s.cond)?.[1]);
    const b = blocks.get(arch) ?? { syscalls: new Map(), deflt: 0 };
    for (const x of s.yes)
      if (x.kind === 'ret') b.deflt = x.value;
      else b.syscalls.set(Number(/== (\d+)$/.exec(x.cond)?.[1]), x.yes);
    blocks.set(arch, b);
  }
  const x8664 = arches.includes('x86_64');
  const x32 = arches.includes('x32');
  return (d) => {
    const b = blocks.get(d.arch >>> 0);
    if (!b) return badArch;
    const nr = d.nr >>> 0;
    if (d.arch >>> 0 === 0xc000003e) {
      if (x8664 && !x32 && nr >= 0x40000000 && nr !== 0xffffffff) return badArch;
      if (x32 && !x8664 && nr < 0x40000000) return badArch;
    }
    const body = b.syscalls.get(nr);
    return (body && evalStmts(body, d)) ?? b.deflt;
  };
}

// ---------------------------------------------------------------------------------------------------
// Running both programs in the kernel

const DIR = tmpdir('dd-bpf-');
const built = buildHarness(DIR);
const harness = typeof built === 'string' ? undefined : built;
let kernelSkip: string | false = typeof built === 'string' ? built : false;
if (harness) {
  // A kernel (or sandbox) without seccomp filters for unprivileged threads cannot run the proof.
  const allow = path.join(DIR, 'allow.bin');
  writeFileSync(allow, encodeBpf([{ code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 }]));
  const r = spawnSync(harness.bpfRun, [allow], { input: '39\n', encoding: 'utf8' });
  if (r.stdout.trim() !== 'ok')
    kernelSkip = `seccomp filters cannot be loaded here (${r.stdout.trim() || r.stderr.trim()})`;
}
const fuzzSkip: string | false = typeof built === 'string' ? built : false;

/**
 * Runs a harness with a time limit: libseccomp 2.5.4 loops forever building some filters (two socket
 * rules, `0 GT 6` with a 64-bit MASKED_EQ on one and a 64-bit GT on the other, hang in seccomp_export_bpf).
 */
function run(cmd: string, args: string[], input = ''): { code: number; out: string; timedOut: boolean } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 10_000 });
  return { code: r.status ?? -1, out: r.stdout, timedOut: r.status === null && r.signal !== null };
}

interface Compared {
  ours: string[];
  theirs: string[];
}

/** Runs the cases under our program and under libseccomp's filter for the same profile. */
function inKernel(name: string, f: OciSeccomp, cases: string[]): Compared {
  const h = harness as Harness;
  const prog = path.join(DIR, `${name}.bin`);
  writeFileSync(prog, encodeBpf(compileSeccomp(f, { arch: 'amd64' }).program));
  const rules = path.join(DIR, `${name}.rules`);
  writeFileSync(rules, rulesText(f));
  const input = `${cases.join('\n')}\n`;
  const ours = run(h.bpfRun, [prog], input);
  const theirs = run(h.lscRun, [rules], input);
  assert.equal(ours.code, 0, `bpf-run failed: ${ours.out}`);
  assert.equal(theirs.code, 0, `lsc-run failed: ${theirs.out}`);
  const o = ours.out.trim().split('\n');
  const t = theirs.out.trim().split('\n');
  assert.equal(o.length, cases.length);
  assert.equal(t.length, cases.length);
  for (const line of o)
    assert.match(line, /^(ok|errno=\d+|trap data=\d+|killthread|killprocess sig=31)$/, line);
  return { ours: o, theirs: t };
}

function assertSame(c: Compared, cases: string[]): void {
  const diffs = cases
    .map((k, i) => ({ k, ours: c.ours[i], theirs: c.theirs[i] }))
    .filter((x) => x.ours !== x.theirs);
  assert.deepEqual(diffs, [], 'outcomes differ from libseccomp');
}

const outcome = (c: Compared, cases: string[], k: string): string | undefined => c.ours[cases.indexOf(k)];

// Allowed calls fail in the kernel's own way (EINVAL for a bad socket type or CLONE_THREAD without
// CLONE_SIGHAND, ENOSYS for x32 numbers on a kernel without x32) and never with the filter's errno.
const DOCKER_CASES = [
  // socket(family, type 0xdead): AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_ALG, AF_NFC, AF_VSOCK, ...
  ...[1, 2, 10, 16, 37, 38, 39, 40, 41, 45].map((f) => `41 ${f} 0xdead`),
  // the same families with high words set: the filter sees 64 bits, the kernel an int
  ...['0x100000002', '0x100000026', '0x100000028', '0xffffffff00000027', '0xffffffffffffffff'].map(
    (f) => `41 ${f} 0xdead`,
  ),
  // personality
  ...[
    '0',
    '1',
    '8',
    '0x20000',
    '0x20008',
    '0xffffffff',
    '0x100000000',
    '0x100000008',
    '0xffffffffffffffff',
  ].map((p) => `135 ${p}`),
  // clone(flags | CLONE_THREAD): plain, CLONE_NEWNS, NEWUSER, NEWNET, NEWPID, NEWCGROUP, a high bit
  ...[
    '0x10000',
    '0x30000',
    '0x10010000',
    '0x40010000',
    '0x20010000',
    '0x2010000',
    '0x100010000',
    '0x7e030000',
  ].map((x) => `56 ${x}`),
  '435 0 0', // clone3
  '39', // getpid
  '165 0 0 0 0 0', // mount
  '1000', // no such syscall
  '0xffffffffffffffff', // nr -1
  // x32 numbering: getpid, socket, personality, clone
  '0x40000027',
  '0x40000029 2 0xdead',
  '0x40000029 40 0xdead',
  '0x40000087 8',
  '0x40000087 9',
  '0x40000038 0x30000',
  // i386 (int $0x80): getpid, socketcall(SOCKET/ACCEPT), socket, personality, clone, clone3, mount
  'i386 20',
  'i386 102 1 0',
  'i386 102 5 0',
  'i386 359 2 0xdead',
  'i386 359 40 0xdead',
  'i386 136 0xffffffff',
  'i386 136 9',
  'i386 120 0x10000',
  'i386 120 0x30000',
  'i386 435 0 0',
  'i386 21 0 0 0',
];

function dockerFilter(name: 'docker-default' | 'docker-default-v24.0.0'): OciSeccomp {
  const f = resolveSeccomp(builtinProfile(name), {
    arch: 'amd64',
    caps: [...DOCKER_DEFAULT_CAPS],
    kernel: '6.1',
  });
  assert.ok(f);
  return f;
}

const rule = (
  names: string[],
  action: SeccompAction,
  args: Array<[number, SeccompOperator, number, number?]> = [],
  errnoRet?: number,
): OciSeccomp['syscalls'][number] => {
  const r: OciSeccomp['syscalls'][number] = { names, action };
  if (errnoRet !== undefined) r.errnoRet = errnoRet;
  if (args.length > 0)
    r.args = args.map(([index, op, value, valueTwo]): SeccompArg => {
      const a: SeccompArg = { index, op, value };
      if (valueTwo !== undefined) a.valueTwo = valueTwo;
      return a;
    });
  return r;
};
const X86_ALL = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];

describe('compiled programs give the kernel verdicts of libseccomp filters', { skip: kernelSkip }, () => {
  it('Docker default (current) for amd64 with the 14 default capabilities', () => {
    const c = inKernel('docker', dockerFilter('docker-default'), DOCKER_CASES);
    assertSame(c, DOCKER_CASES);
    // The outcomes mean something: the filter's EPERM, ENOSYS answers and allowed calls all occur.
    assert.equal(outcome(c, DOCKER_CASES, '41 2 0xdead'), 'errno=22');
    assert.equal(outcome(c, DOCKER_CASES, '41 38 0xdead'), 'errno=1');
    assert.equal(outcome(c, DOCKER_CASES, '41 40 0xdead'), 'errno=1');
    assert.equal(outcome(c, DOCKER_CASES, '41 0x100000026 0xdead'), 'errno=22');
    assert.equal(outcome(c, DOCKER_CASES, '135 0x20008'), 'ok');
    assert.equal(outcome(c, DOCKER_CASES, '135 1'), 'errno=1');
    assert.equal(outcome(c, DOCKER_CASES, '56 0x10000'), 'errno=22');
    assert.equal(outcome(c, DOCKER_CASES, '56 0x30000'), 'errno=1');
    assert.equal(outcome(c, DOCKER_CASES, '56 0x100010000'), 'errno=22');
    assert.equal(outcome(c, DOCKER_CASES, '435 0 0'), 'errno=38');
    assert.equal(outcome(c, DOCKER_CASES, '0x40000027'), 'errno=38');
    assert.equal(outcome(c, DOCKER_CASES, 'i386 359 40 0xdead'), 'errno=1');
    assert.equal(outcome(c, DOCKER_CASES, 'i386 359 2 0xdead'), 'errno=22');
  });

  it('Docker 24.0.0 default for amd64 (socket only refuses AF_VSOCK there)', () => {
    const c = inKernel('docker-v24', dockerFilter('docker-default-v24.0.0'), DOCKER_CASES);
    assertSame(c, DOCKER_CASES);
    assert.equal(outcome(c, DOCKER_CASES, '41 38 0xdead'), 'errno=22');
    assert.equal(outcome(c, DOCKER_CASES, '41 40 0xdead'), 'errno=1');
  });

  // getpid, getppid, getuid... ignore their arguments: the outcome is the filter's alone.
  const OPS: Array<[string, number, number, SeccompOperator]> = [
    ['getpid', 39, 20, 'SCMP_CMP_NE'],
    ['getppid', 110, 64, 'SCMP_CMP_LT'],
    ['getuid', 102, 24, 'SCMP_CMP_LE'],
    ['geteuid', 107, 49, 'SCMP_CMP_EQ'],
    ['getgid', 104, 47, 'SCMP_CMP_GE'],
    ['getegid', 108, 50, 'SCMP_CMP_GT'],
  ];
  const BOUNDARY = [
    '0',
    '5',
    '0xffffffff',
    '0x100000004',
    '0x100000005',
    '0x100000006',
    '0x1ffffffff',
    '0x200000005',
    '0xffffffff00000005',
    '0xffffffffffffffff',
  ];

  it('each operator on 64-bit values, on x86_64, x32 and i386', () => {
    const f: OciSeccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: X86_ALL,
      syscalls: [
        ...OPS.map(([name, , , op], i) => rule([name], 'SCMP_ACT_ERRNO', [[1, op, 0x100000005]], 101 + i)),
        rule(['gettid'], 'SCMP_ACT_ERRNO', [[1, 'SCMP_CMP_MASKED_EQ', 0xff000000ff, 0x1200000034]], 107),
      ],
    };
    const cases: string[] = [];
    for (const [, nr, i386] of [...OPS, ['gettid', 186, 224] as const])
      for (const v of [...BOUNDARY, '0x1200000034', '0x3400001234', '0x34', '0x12ffffff34']) {
        cases.push(`${nr} 0 ${v}`, `0x${(0x40000000 + nr).toString(16)} 0 ${v}`, `i386 ${i386} 0 ${v}`);
      }
    const c = inKernel('ops', f, cases);
    assertSame(c, cases);
    // x86_64: 64-bit comparisons; i386: the low words only.
    assert.equal(outcome(c, cases, '107 0 0x100000005'), 'errno=104');
    assert.equal(outcome(c, cases, '107 0 5'), 'ok');
    assert.equal(outcome(c, cases, 'i386 49 0 0x100000005'), 'errno=104');
    assert.equal(outcome(c, cases, '108 0 0x200000005'), 'errno=106');
    assert.equal(outcome(c, cases, '108 0 0x100000006'), 'errno=106');
    assert.equal(outcome(c, cases, '108 0 0xffffffff'), 'ok');
    assert.equal(outcome(c, cases, '110 0 0xffffffff'), 'errno=102');
    assert.equal(outcome(c, cases, '186 0 0x12ffffff34'), 'errno=107');
    assert.equal(outcome(c, cases, '186 0 0x3400001234'), 'ok');
  });

  it('several rules on one syscall, every action, multiple arguments, same-argument rules', () => {
    const f: OciSeccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1000,
      architectures: X86_ALL,
      syscalls: [
        rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_GT', 5]], 110),
        rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 7]], 111),
        rule(['getpid'], 'SCMP_ACT_ERRNO', [[1, 'SCMP_CMP_EQ', 2]], 112),
        rule(['getpid'], 'SCMP_ACT_TRAP', [[0, 'SCMP_CMP_LT', 3]]),
        rule(['getppid'], 'SCMP_ACT_KILL_PROCESS', [[0, 'SCMP_CMP_GE', 0x100000000]]),
        rule(['getppid'], 'SCMP_ACT_LOG', [[0, 'SCMP_CMP_EQ', 3]]),
        rule(['getuid'], 'SCMP_ACT_KILL_THREAD', [[0, 'SCMP_CMP_EQ', 9]]),
        rule(['getuid'], 'SCMP_ACT_ALLOW', [[0, 'SCMP_CMP_NE', 9]]),
        rule(['geteuid'], 'SCMP_ACT_NOTIFY', [[0, 'SCMP_CMP_EQ', 1]]),
        rule(['getegid'], 'SCMP_ACT_TRACE', [], 9),
        // an unconditional rule replaces the conditional ones before it and drops later ones
        rule(['gettid'], 'SCMP_ACT_ALLOW', [[0, 'SCMP_CMP_EQ', 1]]),
        rule(['gettid'], 'SCMP_ACT_ERRNO', [], 120),
        rule(['gettid'], 'SCMP_ACT_LOG', [[0, 'SCMP_CMP_EQ', 2]]),
        rule(['getpgrp'], 'SCMP_ACT_LOG'),
        rule(['getpgrp'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 1]], 121),
        // several arguments in one rule
        rule(
          ['getgid'],
          'SCMP_ACT_ERRNO',
          [
            [0, 'SCMP_CMP_EQ', 1],
            [1, 'SCMP_CMP_GT', 0x100000000],
            [2, 'SCMP_CMP_MASKED_EQ', 0xf0, 0x30],
          ],
          130,
        ),
        rule(
          ['getsid'],
          'SCMP_ACT_ERRNO',
          [
            [0, 'SCMP_CMP_NE', 1],
            [1, 'SCMP_CMP_NE', 2],
          ],
          131,
        ),
        // two conditions on one argument: runc adds one rule per condition (either matches)
        rule(
          ['getpgid'],
          'SCMP_ACT_ERRNO',
          [
            [0, 'SCMP_CMP_EQ', 1],
            [0, 'SCMP_CMP_EQ', 2],
          ],
          132,
        ),
        rule(['sched_yield'], 'SCMP_ACT_ERRNO', [], 0),
        // same action as the default: runc skips it
        rule(['sched_getscheduler'], 'SCMP_ACT_ERRNO', [], 1000),
        rule(['umask'], 'SCMP_ACT_ALLOW'),
      ],
    };
    const args = [
      '',
      '0 0',
      '1',
      '2',
      '3',
      '5',
      '6',
      '7',
      '7 2',
      '8 2',
      '9',
      '1 2',
      '2 2',
      '0x100000000',
      '0x100000003',
      '1 3',
      '1 0x100000001 0x35',
      '1 0x100000001 0x4f',
      '1 0x100000000 0x30',
      '1 0x200000000 0x130',
    ];
    const names: Array<[number, number, number]> = [
      [39, 20, 0x40000027],
      [110, 64, 0x4000006e],
      [102, 24, 0x40000066],
      [107, 49, 0x4000006b],
      [108, 50, 0x4000006c],
      [186, 224, 0x400000ba],
      [111, 65, 0x4000006f],
      [104, 47, 0x40000068],
      [124, 147, 0x4000007c],
      [121, 132, 0x40000079],
      [24, 158, 0x40000018],
      [145, 157, 0x40000091],
      [95, 60, 0x4000005f],
    ];
    const cases: string[] = [];
    for (const [nr, i386, x32] of names)
      for (const a of args)
        cases.push(`${nr} ${a}`.trim(), `i386 ${i386} ${a}`.trim(), `0x${x32.toString(16)} ${a}`.trim());
    const c = inKernel('rules', f, cases);
    assertSame(c, cases);
    const expect: Record<string, string> = {
      '39 7': 'errno=111', // EQ is tried before GT
      '39 7 2': 'errno=112', // a higher argument index is tried first
      '39 6': 'errno=110',
      '39 1': 'trap data=0',
      '39 3': 'errno=1000',
      '110 0x100000000': 'killprocess sig=31',
      '110 3': 'ok',
      '102 9': 'killthread',
      '102 8 2': 'ok',
      '107 1': 'errno=38', // USER_NOTIF without a listener
      '108': 'errno=38', // TRACE without a tracer
      '186 1': 'errno=120',
      '111 1': 'ok',
      '104 1 0x100000001 0x35': 'errno=130',
      '104 1 0x100000001 0x4f': 'errno=1000',
      '104 1 0x100000000 0x30': 'errno=1000',
      '124 0 0': 'errno=131', // a0 != 1 and a1 != 2
      '124 1 3': 'errno=1000',
      '124 2 2': 'errno=1000',
      '121 2': 'errno=132',
      '121 3': 'errno=1000',
      '24': 'ok', // ERRNO(0): the call "succeeds" without running
      '145': 'errno=1000',
      'i386 20 7': 'errno=111',
      'i386 20 0x100000000': 'trap data=0', // 32-bit: the high word never reaches the filter
    };
    for (const [k, v] of Object.entries(expect)) assert.equal(outcome(c, cases, k), v, k);
  });

  it('a default action of KILL_PROCESS', () => {
    const f: OciSeccomp = {
      defaultAction: 'SCMP_ACT_KILL_PROCESS',
      syscalls: [
        rule(['getpid'], 'SCMP_ACT_ALLOW'),
        rule(['getppid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_LE', 4]], 77),
      ],
    };
    const cases = ['39', '110 4', '110 5', '102', 'i386 20', '0x40000027'];
    const c = inKernel('killproc', f, cases);
    assertSame(c, cases);
    assert.deepEqual(c.ours, [
      'ok',
      'errno=77',
      'killprocess sig=31',
      'killprocess sig=31',
      'killthread',
      'killthread',
    ]);
  });

  it('refuses the rules libseccomp refuses (runc fails the container)', () => {
    const h = harness as Harness;
    const bad: OciSeccomp[] = [
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 1]], 2),
          rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 1]], 3),
        ],
      },
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          rule(
            ['getpid'],
            'SCMP_ACT_ERRNO',
            [
              [0, 'SCMP_CMP_EQ', 1],
              [1, 'SCMP_CMP_EQ', 2],
            ],
            2,
          ),
          rule(['getpid'], 'SCMP_ACT_LOG', [[0, 'SCMP_CMP_EQ', 1]]),
        ],
      },
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule(['getpid'], 'SCMP_ACT_ERRNO', [], 4095)] },
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 70000,
        syscalls: [rule(['getpid'], 'SCMP_ACT_ALLOW')],
      },
    ];
    bad.forEach((f, i) => {
      const rules = path.join(DIR, `bad${i}.rules`);
      writeFileSync(rules, rulesText(f));
      const r = run(h.lscRun, [rules], '39\n');
      assert.equal(r.code, 3, `libseccomp accepted bad profile ${i}`);
      assert.throws(() => compileSeccomp(f, { arch: 'amd64' }), UserError);
    });
    // ...while the longer rule after a shorter one is silently dropped by both.
    const ok: OciSeccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        rule(['getpid'], 'SCMP_ACT_LOG', [[0, 'SCMP_CMP_EQ', 1]]),
        rule(
          ['getpid'],
          'SCMP_ACT_ERRNO',
          [
            [0, 'SCMP_CMP_EQ', 1],
            [1, 'SCMP_CMP_EQ', 2],
          ],
          2,
        ),
      ],
    };
    const cases = ['39 1 2', '39 1', '39 2 2'];
    const c = inKernel('shorter-first', ok, cases);
    assertSame(c, cases);
    assert.deepEqual(c.ours, ['ok', 'ok', 'ok']);
  });

  it('where libseccomp 2.5.4 generates a program against its own rules, the kernel shows it and drydock flags it', () => {
    // A stale argument word: the a2 > 1 test is reached from the low-word subtree without a reload.
    const stale: OciSeccomp = {
      defaultAction: 'SCMP_ACT_KILL_PROCESS',
      syscalls: [
        rule(['getpid'], 'SCMP_ACT_ERRNO', [[2, 'SCMP_CMP_LE', 1]], 2),
        rule(['getpid'], 'SCMP_ACT_ERRNO', [[2, 'SCMP_CMP_GE', 0x100000005]], 2),
        rule(['getpid'], 'SCMP_ACT_ERRNO', [[2, 'SCMP_CMP_LT', 5]], 1),
      ],
    };
    const cases = ['39 0 0 255', '39 0 0 1', '39 0 0 3', '39 0 0 0x100000005'];
    const c = inKernel('stale', stale, cases);
    // a2 = 255 matches no rule: the default action; libseccomp's program answers ERRNO(2).
    assert.deepEqual(c.ours, ['killprocess sig=31', 'errno=2', 'errno=1', 'errno=2']);
    assert.deepEqual(c.theirs, ['errno=2', 'errno=2', 'errno=1', 'errno=2']);
    assert.deepEqual(compileSeccomp(stale, { arch: 'amd64' }).libseccompDivergence, [
      { arch: 'x86_64', nr: 39, reason: 'stale-argument-word' },
    ]);
    // An unloaded syscall number: the i386 block's first syscall is the pseudo syscall "send" (no
    // number on i386), which took the load of the number with it: every i386 call gets the default.
    const unloaded: OciSeccomp = {
      defaultAction: 'SCMP_ACT_TRAP',
      architectures: ['SCMP_ARCH_X86'],
      syscalls: [
        rule(['send'], 'SCMP_ACT_ERRNO', [], 3),
        rule(['accept'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 0x100000000]], 2),
        rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 1]], 4),
      ],
    };
    const cases2 = ['i386 102 9 0', 'i386 102 5 0', 'i386 20 1', 'i386 20 2', '39 1'];
    const c2 = inKernel('unloaded', unloaded, cases2);
    assert.deepEqual(c2.ours, ['errno=3', 'errno=2', 'errno=4', 'trap data=0', 'errno=4']);
    assert.deepEqual(c2.theirs, ['trap data=0', 'trap data=0', 'trap data=0', 'trap data=0', 'errno=4']);
    assert.deepEqual(compileSeccomp(unloaded, { arch: 'amd64' }).libseccompDivergence, [
      { arch: 'x86', reason: 'unloaded-syscall-number' },
    ]);
  });

  it('the kernel accepts and refuses programs as checkBpf says', () => {
    const h = harness as Harness;
    const progs: Array<[string, SockFilter[]]> = [
      ['docker', compileSeccomp(dockerFilter('docker-default'), { arch: 'amd64' }).program],
      [
        'mod',
        [
          { code: 0x00, jt: 0, jf: 0, k: 5 },
          { code: 0x94, jt: 0, jf: 0, k: 3 },
          { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
        ],
      ],
      [
        'xor',
        [
          { code: 0x00, jt: 0, jf: 0, k: 5 },
          { code: 0xa4, jt: 0, jf: 0, k: 3 },
          { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
        ],
      ],
      [
        'div0',
        [
          { code: 0x34, jt: 0, jf: 0, k: 0 },
          { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
        ],
      ],
      [
        'ldh',
        [
          { code: 0x28, jt: 0, jf: 0, k: 0 },
          { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
        ],
      ],
      [
        'ld64',
        [
          { code: 0x20, jt: 0, jf: 0, k: 64 },
          { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
        ],
      ],
      [
        'ld2',
        [
          { code: 0x20, jt: 0, jf: 0, k: 2 },
          { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
        ],
      ],
      [
        'noret',
        [
          { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
          { code: 0x00, jt: 0, jf: 0, k: 1 },
        ],
      ],
      [
        'jump-out',
        [
          { code: 0x15, jt: 1, jf: 0, k: 0 },
          { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
        ],
      ],
    ];
    for (const [name, prog] of progs) {
      const file = path.join(DIR, `chk-${name}.bin`);
      writeFileSync(file, encodeBpf(prog));
      const loaded = run(h.bpfRun, [file], '39\n').out.trim() !== 'loadfail errno=22';
      assert.equal(checkBpf(prog) === undefined, loaded, name);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Differential fuzzing against libseccomp (exported program and filter database)

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Mode {
  native: SyscallArch;
  extra: string[];
  names: string[];
  endian: Endian;
}
const MODES: Mode[] = [
  {
    native: 'x86_64',
    extra: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    names: ['getpid', 'personality', 'socket', 'semop', 'send', 'accept', 'socketcall', 'bind'],
    endian: 'little',
  },
  {
    native: 'aarch64',
    extra: ['SCMP_ARCH_ARM'],
    names: ['getpid', 'personality', 'socket', 'bind', 'clone'],
    endian: 'little',
  },
  {
    native: 's390x',
    extra: [],
    names: ['getpid', 'personality', 'socket', 'bind', 'semop', 'clone'],
    endian: 'big',
  },
  {
    native: 'ppc64le',
    extra: [],
    names: ['getpid', 'personality', 'socket', 'recv', 'semop'],
    endian: 'little',
  },
];
const ACTIONS: Array<[SeccompAction, number?]> = [
  ['SCMP_ACT_ALLOW'],
  ['SCMP_ACT_ERRNO', 1],
  ['SCMP_ACT_ERRNO', 2],
  ['SCMP_ACT_ERRNO', 3],
  ['SCMP_ACT_KILL_PROCESS'],
  ['SCMP_ACT_TRAP'],
  ['SCMP_ACT_LOG'],
  ['SCMP_ACT_TRACE', 9],
];
const OPERATORS: SeccompOperator[] = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
];
const VALUES = [0, 1, 5, 6, 0xffffffff, 0x100000000, 0x100000005, 0x1ffffffff, 2 ** 53 - 1];
const MASKS = [0, 0xff, 0xffffffff, 0xff00000000, 0x1000000ff, 0x7e020000];
const ARGS = [
  0n,
  1n,
  4n,
  5n,
  6n,
  7n,
  0xffn,
  0xfffffffen,
  0xffffffffn,
  0x100000000n,
  0x100000005n,
  0x100000006n,
  0x1ffffffffn,
  0x200000000n,
  0x7e020000n,
  (1n << 53n) - 1n,
  (1n << 64n) - 1n,
];

function randomFilter(rnd: () => number, mode: Mode): OciSeccomp {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)] as T;
  const [da, de] = pick(ACTIONS);
  const f: OciSeccomp = {
    defaultAction: da,
    architectures: mode.extra.filter(() => rnd() < 0.6),
    syscalls: [],
  };
  if (de !== undefined) f.defaultErrnoRet = de;
  const pool = mode.names.slice(0, 1 + Math.floor(rnd() * mode.names.length));
  const n = 1 + Math.floor(rnd() * 7);
  for (let i = 0; i < n; i++) {
    const [a, e] = pick(ACTIONS);
    const args: Array<[number, SeccompOperator, number, number?]> = [];
    const nargs = rnd() < 0.2 ? 0 : 1 + Math.floor(rnd() * 3);
    for (let j = 0; j < nargs; j++) {
      const op = pick(OPERATORS);
      const index = Math.floor(rnd() * 3);
      args.push(
        op === 'SCMP_CMP_MASKED_EQ' ? [index, op, pick(MASKS), pick(VALUES)] : [index, op, pick(VALUES)],
      );
    }
    f.syscalls.push(rule([pick(pool)], a, args, e));
  }
  return f;
}

describe('differential fuzzing against libseccomp 2.5.4', { skip: fuzzSkip }, () => {
  for (const [m, mode] of MODES.entries()) {
    it(`random profiles, native ${mode.native}: the filter database always, the exported program unless flagged`, () => {
      const h = harness as Harness;
      const rnd = prng(777 + 31 * m);
      const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)] as T;
      const stats = {
        profiles: 0,
        refusedByBoth: 0,
        libseccompHangs: 0,
        exactVsProgram: 0,
        flagged: 0,
        verdicts: 0,
      };
      for (let i = 0; i < 150; i++) {
        const f = randomFilter(rnd, mode);
        const rules = path.join(DIR, `fuzz-${m}-${i}.rules`);
        const bin = path.join(DIR, `fuzz-${m}-${i}.bin`);
        writeFileSync(rules, rulesText(f, mode.native));
        const exported = run(h.lscRun, [rules, '--export', bin]);
        let ours: ReturnType<typeof compileSeccomp> | undefined;
        let err: unknown;
        try {
          ours = compileSeccomp(f, { arch: mode.native });
        } catch (e) {
          err = e;
        }
        if (exported.timedOut) {
          // libseccomp never finishes (see run()); drydock must still compile a valid program.
          if (!(err instanceof UserError))
            assert.equal(checkBpf((ours as ReturnType<typeof compileSeccomp>).program), undefined);
          stats.libseccompHangs++;
          continue;
        }
        if (exported.code !== 0) {
          assert.ok(
            err instanceof UserError,
            `libseccomp refused (${exported.out.trim()}), drydock did not: ${rulesText(f)}`,
          );
          stats.refusedByBoth++;
          continue;
        }
        assert.equal(err, undefined, `drydock refused what libseccomp accepts: ${rulesText(f)}`);
        const prog = (ours as ReturnType<typeof compileSeccomp>).program;
        assert.equal(checkBpf(prog), undefined);
        const theirs = decodeBpf(readFileSync(bin), mode.endian);
        const pfc = pfcOracle(
          run(h.lscRun, [rules, '--pfc']).out,
          (ours as ReturnType<typeof compileSeccomp>).arches,
        );
        const flags = (ours as ReturnType<typeof compileSeccomp>).libseccompDivergence;
        stats.profiles++;
        if (flags.length > 0) stats.flagged++;
        const arches = (ours as ReturnType<typeof compileSeccomp>).arches;
        const nrs = new Set<number>([0xffffffff, 0x40000000, 0x3fffffff, 102, 117]);
        for (const a of arches)
          for (const name of mode.names) {
            const nr = syscallNumber(a, name);
            if (nr !== undefined) nrs.add(nr);
          }
        let exact = true;
        for (const arch of [...new Set(arches.map((a) => AUDIT_ARCH[a])), 0x12345678])
          for (const nr of nrs)
            for (let t = 0; t < 12; t++) {
              const d = { nr, arch, args: [pick(ARGS), pick(ARGS), pick(ARGS), pick(ARGS), 0n, 0n] };
              const mine = runBpf(prog, d, mode.endian);
              stats.verdicts++;
              assert.equal(
                mine,
                pfc(d),
                `differs from libseccomp's filter database for ${JSON.stringify(d, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}:\n${rulesText(f, mode.native)}`,
              );
              const lib = runBpf(theirs, d, mode.endian);
              if (mine === lib) continue;
              exact = false;
              const archName = arches.find((a) => AUDIT_ARCH[a] === arch);
              const covered =
                flags.some((x) => x.arch === archName && (x.nr === undefined || x.nr === nr)) ||
                flags.some((x) => AUDIT_ARCH[x.arch] === arch && (x.nr === undefined || x.nr === nr));
              assert.ok(
                covered,
                `unflagged difference from libseccomp's program (nr ${nr}):\n${rulesText(f, mode.native)}`,
              );
            }
        if (exact) stats.exactVsProgram++;
      }
      assert.ok(stats.profiles >= 50, JSON.stringify(stats));
      assert.ok(stats.exactVsProgram >= stats.profiles * 0.7, JSON.stringify(stats));
    });
  }

  it('instruction counts stay close to libseccomp for the Docker defaults', () => {
    const h = harness as Harness;
    for (const name of ['docker-default', 'docker-default-v24.0.0'] as const) {
      const f = dockerFilter(name);
      const rules = path.join(DIR, `${name}.rules`);
      const bin = path.join(DIR, `${name}.lsc.bin`);
      writeFileSync(rules, rulesText(f));
      assert.equal(run(h.lscRun, [rules, '--export', bin]).code, 0);
      const theirs = decodeBpf(readFileSync(bin)).length;
      const ours = compileSeccomp(f, { arch: 'amd64' }).program.length;
      assert.ok(ours <= theirs * 1.15 && ours >= theirs * 0.7, `${name}: ${ours} vs libseccomp ${theirs}`);
    }
  });
});
