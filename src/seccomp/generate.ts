// Least-privilege seccomp profiles from observed behaviour: `strace -f` output or Linux audit logs
// (SECCOMP / SYSCALL records) become an allowlist, optionally intersected with a base profile.

import { UserError } from '../errors.js';
import { effectOf, effectPermits } from './diff.js';
import {
  type DockerSeccompProfile,
  type DockerSyscallRule,
  dockerDefaultProfile,
  goArch,
  parseSeccompProfile,
  seccompArchOf,
} from './resolve.js';
import { SYSCALL_ARCHES, type SyscallArch, syscallArch, syscallName, syscallNumber } from './syscalls.js';

/** Input larger than this is refused: traces of real workloads are far smaller. */
export const MAX_INPUT_BYTES = 100 * 1024 * 1024;
/** Only this much of a line is parsed; the syscall name and audit fields come first. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * What runc 1.1.5 itself calls after installing the filter and before the container process runs,
 * established by tracing `runc run` here (15 runs with noNewPrivileges, 10 without — Docker's default,
 * where runc loads the filter earlier, before dropping privileges), plus what the Go runtime of
 * runc init may call on any thread at any moment (signals, memory, thread exit). Without them the
 * container never starts: e.g. "ensure /proc/self/fd is on procfs: operation not permitted" when
 * fstatfs is missing.
 */
export const RUNTIME_SYSCALLS: readonly string[] = [
  // runc init after seccomp, noNewPrivileges: true
  'close',
  'epoll_ctl',
  'epoll_pwait',
  'execve',
  'fstatfs',
  'futex',
  'getdents64',
  'getpid',
  'nanosleep',
  'openat',
  'read',
  'sched_yield',
  'write',
  // ... and additionally with noNewPrivileges: false
  'capget',
  'capset',
  'chdir',
  'faccessat2',
  'fcntl',
  'fstat',
  'getcwd',
  'getppid',
  'newfstatat',
  'prctl',
  'rt_sigreturn',
  'setgid',
  'setgroups',
  'setuid',
  'tgkill',
  // Go runtime housekeeping that may land between filter load and execve
  'exit',
  'exit_group',
  'gettid',
  'madvise',
  'mmap',
  'munmap',
  'rt_sigprocmask',
  'sigaltstack',
];

// Syscalls newer than libseccomp 2.5.4's tables, by number (same on every architecture that uses the
// unified table since Linux 5.1; x32 adds 0x40000000). Lets traces from new kernels name them.
const NEWER_BY_NUMBER: Record<number, string> = {
  451: 'cachestat',
  452: 'fchmodat2',
  453: 'map_shadow_stack',
  454: 'futex_wake',
  455: 'futex_wait',
  456: 'futex_requeue',
  457: 'statmount',
  458: 'listmount',
  459: 'lsm_get_self_attr',
  460: 'lsm_set_self_attr',
  461: 'lsm_list_modules',
  462: 'mseal',
  463: 'setxattrat',
  464: 'getxattrat',
  465: 'listxattrat',
  466: 'removexattrat',
};
const NEWER_NAMES = new Set([...Object.values(NEWER_BY_NUMBER), 'uretprobe', 'riscv_hwprobe']);
const X32_BIT = 0x40000000;

/** AUDIT_ARCH_* values (linux/audit.h: EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE). */
const AUDIT_ARCH: Record<number, SyscallArch> = {
  3221225534: 'x86_64',
  1073741827: 'x86',
  3221225655: 'aarch64',
  1073741864: 'arm',
  3221225715: 'riscv64',
  3221225493: 'ppc64le',
  2147483670: 's390x',
};

export interface Observation {
  /** Syscall names seen, with how often. */
  syscalls: Map<string, number>;
  /** Names that no syscall table knows (kept out of profiles). */
  unknown: string[];
  /** Numbers no table names, as "arch:nr". */
  unnamed: string[];
  /** Syscall tables the calls came from (personalities, audit arches). */
  arches: SyscallArch[];
  /** Lines that contributed a syscall. */
  records: number;
}

export interface ObserveOptions {
  /** The traced program's architecture (strace names are looked up in its table); x86_64 by default. */
  arch?: string;
  /** Prefix of error messages (the file the text came from). */
  where?: string;
}

export interface AuditObserveOptions extends ObserveOptions {
  /** Keep only records of this command name (audit `comm=`). */
  comm?: string;
  /** Keep only records of this executable (audit `exe=`). */
  exe?: string;
}

export interface GenerateOptions extends ObserveOptions {
  /**
   * Intersect with this profile: its allow rules keep only observed syscalls (with their argument
   * filters and includes/excludes), its deny rules, default action and archMap stay as they are.
   */
  base?: DockerSeccompProfile;
  /** Add what the container runtime needs after loading the filter (RUNTIME_SYSCALLS); default true. */
  runtime?: boolean;
}

export interface GenerateResult {
  profile: DockerSeccompProfile;
  /** Observed syscall names, sorted. */
  observed: string[];
  /** Names added for the runtime that the trace did not show. */
  added: string[];
  /** Observed (or runtime) names the base profile does not allow: the result denies them too. */
  deniedByBase: string[];
  /** Names and numbers that could not be put in the profile. */
  unknown: string[];
  unnamed: string[];
}

class Collector {
  readonly syscalls = new Map<string, number>();
  readonly unknown = new Set<string>();
  readonly unnamed = new Set<string>();
  readonly arches = new Set<SyscallArch>();
  records = 0;

  add(name: string, arch: SyscallArch): void {
    this.records++;
    if (!isKnown(name)) {
      if (this.unknown.size < 1000) this.unknown.add(name);
      return;
    }
    this.arches.add(arch);
    this.syscalls.set(name, (this.syscalls.get(name) ?? 0) + 1);
  }

  addNumber(arch: SyscallArch, nr: number): void {
    const name = nameOfNumber(arch, nr);
    if (name) this.add(name, arch);
    else if (this.unnamed.size < 1000) this.unnamed.add(`${arch}:${nr}`);
  }

  done(): Observation {
    return {
      syscalls: this.syscalls,
      unknown: [...this.unknown].sort(),
      unnamed: [...this.unnamed].sort(),
      arches: [...this.arches],
      records: this.records,
    };
  }
}

function isKnown(name: string): boolean {
  return NEWER_NAMES.has(name) || SYSCALL_ARCHES.some((a) => syscallNumber(a, name) !== undefined);
}

function nameOfNumber(arch: SyscallArch, nr: number): string | undefined {
  const n = syscallName(arch, nr);
  if (n) return n;
  const base = arch === 'x32' ? nr - X32_BIT : nr;
  return NEWER_BY_NUMBER[base];
}

function tableOf(arch: string | undefined, where: string): SyscallArch {
  if (arch === undefined) return 'x86_64';
  // Node spells amd64 "x64": fall back to the Go name.
  const t = syscallArch(arch) ?? syscallArch(goArch(arch) ?? '');
  if (!t) throw new UserError(`${where}: no syscall table for architecture "${arch.slice(0, 40)}"`);
  return t;
}

function checkSize(text: string, where: string): void {
  if (typeof text !== 'string') throw new UserError(`${where}: expected text`);
  if (text.length > MAX_INPUT_BYTES)
    throw new UserError(`${where}: input is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MB`);
}

/** Calls `fn` for every line (without its newline, cut at MAX_LINE_CHARS) with its 1-based number. */
function eachLine(text: string, fn: (line: string, no: number) => void): void {
  let start = 0;
  let no = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    no++;
    const stop = Math.min(end, start + MAX_LINE_CHARS);
    let line = text.slice(start, stop);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    fn(line, no);
    start = end + 1;
  }
}

// strace prefixes: "[pid  123] " (stderr) or "123  " (-o FILE with -f), "<comm>" after the PID with -Y,
// then optional -t/-tt/-ttt/-r stamps.
const PID_PREFIX = /^(?:\[pid\s+(\d+)(?:<[^>\n]{0,64}>)?\]\s*|(\d+)(?:<[^>\n]{0,64}>)?\s+(?=\S))/;
const STAMP = /^(?:\d{2}:\d{2}:\d{2}(?:\.\d+)?|\d+\.\d+)\s+/;
const CALL = /^([a-z_][a-z0-9_]{0,63})\(/;
const RESUMED = /^<\.\.\. ([a-z_][a-z0-9_]{0,63}) resumed>/;
const UNNAMED = /^syscall_(0x[0-9a-f]{1,8}|\d{1,10})\(/;
const PERSONALITY = /^\[ Process PID=(\d+) runs in (64 bit|32 bit|x32) mode\. \]$/;
const SUMMARY_HEAD = /^% time\s+seconds\s+usecs\/call\s+calls\s+(?:errors\s+)?syscall\s*$/;
const SUMMARY_ROW = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+\s+(?:\d+\s+)?([a-z_][a-z0-9_]{0,63})\s*$/;
const SUMMARY_MODE = /^System call usage summary for (32 bit|x32) mode:$/;
// A call line is complete when it has a result or is explicitly unfinished; program output that
// happens to contain "word(" has neither.
const FINISHED = /\)\s+=\s+(?:-?\d|0x|\?|[A-Z])|<unfinished \.\.\.>\s*$|\) = \?/;

/**
 * Reads `strace -f` output (stderr or -o FILE, with or without PIDs and timestamps, -ff per-process
 * files, -c summaries). "<unfinished ...>"/"resumed" pairs count once per call; signals, exits and
 * strace's own messages are skipped; processes switching personality ("runs in 32 bit mode") are
 * looked up in that architecture's table.
 */
export function observeStrace(text: string, opts: ObserveOptions = {}): Observation {
  const where = opts.where ?? 'strace output';
  checkSize(text, where);
  const native = tableOf(opts.arch, where);
  const compat: Record<string, SyscallArch> = {
    '64 bit': native,
    '32 bit': native === 'x86_64' ? 'x86' : native === 'aarch64' ? 'arm' : native,
    x32: 'x32',
  };
  const personality = new Map<string, SyscallArch>();
  const c = new Collector();
  let summaryArch: SyscallArch | undefined;
  eachLine(text, (raw) => {
    let line = raw.trimStart();
    if (line === '' || line.startsWith('strace: ') || line.startsWith('> ')) return;
    const pers = PERSONALITY.exec(line);
    if (pers) {
      personality.set(pers[1] as string, compat[pers[2] as string] ?? native);
      return;
    }
    if (SUMMARY_HEAD.test(line)) {
      summaryArch ??= native;
      return;
    }
    const mode = SUMMARY_MODE.exec(line);
    if (mode) {
      summaryArch = compat[mode[1] as string] ?? native;
      return;
    }
    if (summaryArch !== undefined) {
      const row = SUMMARY_ROW.exec(line);
      if (row) {
        if (row[1] !== 'total') c.add(row[1] as string, summaryArch);
        return;
      }
    }
    const pm = PID_PREFIX.exec(line);
    const pid = pm ? (pm[1] ?? pm[2] ?? '') : '';
    if (pm) line = line.slice(pm[0].length);
    const st = STAMP.exec(line);
    if (st) line = line.slice(st[0].length);
    if (line.startsWith('---') || line.startsWith('+++')) return;
    const arch = personality.get(pid) ?? native;
    // A resumed call was counted when it started.
    if (RESUMED.test(line)) return;
    const truncated = raw.length >= MAX_LINE_CHARS;
    const un = UNNAMED.exec(line);
    if (un) {
      if (!truncated && !FINISHED.test(line)) return;
      const v = un[1] as string;
      c.addNumber(arch, v.startsWith('0x') ? Number.parseInt(v.slice(2), 16) : Number(v));
      return;
    }
    const m = CALL.exec(line);
    if (!m || (!truncated && !FINISHED.test(line))) return;
    c.add(m[1] as string, arch);
  });
  return c.done();
}

// key=value fields of an audit record; values may be quoted or hex-encoded.
const AUDIT_TYPE = /\btype=(SECCOMP|SYSCALL|1326|1300)\b/;
const FIELD = (key: string): RegExp => new RegExp(`(?:^|\\s)${key}=("[^"]*"|\\S+)`);
const F_ARCH = FIELD('arch');
const F_SYSCALL = FIELD('syscall');
const F_COMM = FIELD('comm');
const F_EXE = FIELD('exe');

/**
 * Reads Linux audit records: SECCOMP (type=1326, what a filter with SCMP_ACT_LOG or any non-allow
 * action reported) and SYSCALL (type=1300, auditctl syscall rules), raw (`arch=c000003e syscall=83`,
 * /var/log/audit/audit.log or the kernel log) or interpreted by `ausearch -i` (`arch=x86_64
 * syscall=mkdir`). Other record types are ignored.
 */
export function observeAudit(text: string, opts: AuditObserveOptions = {}): Observation {
  const where = opts.where ?? 'audit log';
  checkSize(text, where);
  const fallback = tableOf(opts.arch, where);
  const c = new Collector();
  let typed = 0;
  eachLine(text, (line, no) => {
    const t = AUDIT_TYPE.exec(line);
    if (!t) return;
    typed++;
    // Fields follow the "msg=audit(...):" / "audit(...):" header.
    const colon = line.indexOf('):', t.index);
    const body = colon >= 0 ? line.slice(colon + 2) : line.slice(t.index);
    if (opts.comm !== undefined && unquote(F_COMM.exec(body)?.[1]) !== opts.comm) return;
    if (opts.exe !== undefined && unquote(F_EXE.exec(body)?.[1]) !== opts.exe) return;
    const sys = F_SYSCALL.exec(body)?.[1];
    if (sys === undefined) throw new UserError(`${where}: line ${no}: audit ${t[1]} record without syscall=`);
    const archField = F_ARCH.exec(body)?.[1];
    let arch = fallback;
    if (archField !== undefined) {
      if (/^[0-9a-f]{8}$/i.test(archField)) {
        const a = AUDIT_ARCH[Number.parseInt(archField, 16)];
        if (!a) throw new UserError(`${where}: line ${no}: unsupported audit arch ${archField}`);
        arch = a;
      } else {
        const a = syscallArch(archField);
        if (!a)
          throw new UserError(`${where}: line ${no}: unsupported audit arch "${archField.slice(0, 20)}"`);
        arch = a;
      }
    }
    if (/^\d{1,10}$/.test(sys)) {
      const nr = Number(sys);
      // x32 calls come with the x86_64 audit arch and the x32 bit set in the number.
      c.addNumber(arch === 'x86_64' && nr >= X32_BIT ? 'x32' : arch, nr);
    } else if (/^[a-z_][a-z0-9_]{0,63}$/.test(sys)) c.add(sys, arch);
    else throw new UserError(`${where}: line ${no}: invalid syscall=${sys.slice(0, 20)}`);
  });
  if (typed === 0 && text.trim() !== '')
    throw new UserError(
      `${where}: no SECCOMP or SYSCALL audit records (type=SECCOMP / type=1326 / type=SYSCALL)`,
    );
  return c.done();
}

function unquote(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) return v.slice(1, -1);
  // auditd hex-encodes values with spaces or special characters.
  if (/^[0-9A-F]+$/.test(v) && v.length % 2 === 0) return Buffer.from(v, 'hex').toString('utf8');
  return v;
}

/** The architectures Docker lists for a native one (archMap of its default profile). */
export function architecturesFor(arch: string): string[] {
  const scmp =
    seccompArchOf(arch) ?? (arch.toUpperCase().startsWith('SCMP_ARCH_') ? arch.toUpperCase() : undefined);
  if (!scmp) throw new UserError(`seccomp generate: unknown architecture "${arch.slice(0, 40)}"`);
  const entry = dockerDefaultProfile().archMap?.find((e) => e.architecture === scmp);
  return entry ? [entry.architecture, ...entry.subArchitectures] : [scmp];
}

/**
 * Builds the least-privilege profile for an observation: defaultAction SCMP_ACT_ERRNO (EPERM), one
 * ALLOW rule with the observed names plus RUNTIME_SYSCALLS, clone3 answered with ENOSYS unless it
 * was observed (so glibc falls back to clone, as with Docker's default). With `base`, the base
 * profile restricted to those names instead.
 */
export function buildProfile(obs: Observation, opts: GenerateOptions = {}): GenerateResult {
  const where = opts.where ?? 'seccomp generate';
  const arch = opts.arch ?? archOfObservation(obs);
  const observed = [...obs.syscalls.keys()].sort();
  const want = new Set(observed);
  const added: string[] = [];
  if (opts.runtime ?? true)
    for (const n of RUNTIME_SYSCALLS)
      if (!want.has(n)) {
        want.add(n);
        added.push(n);
      }
  added.sort();
  if (want.size === 0) throw new UserError(`${where}: no syscalls observed`);

  if (!opts.base) {
    const syscalls: DockerSyscallRule[] = [{ names: [...want].sort(), action: 'SCMP_ACT_ALLOW' }];
    if (!want.has('clone3'))
      syscalls.push({
        names: ['clone3'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 38,
        comment: 'ENOSYS, not EPERM: glibc then falls back to clone',
      });
    return {
      profile: {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 1,
        architectures: architecturesFor(arch),
        syscalls,
      },
      observed,
      added,
      deniedByBase: [],
      unknown: obs.unknown,
      unnamed: obs.unnamed,
    };
  }

  const base = parseSeccompProfile(structuredClone(opts.base), `${where}: base profile`);
  if (base.defaultAction === '' || effectPermits(effectOf(base.defaultAction, base.defaultErrnoRet)))
    throw new UserError(
      `${where}: base profile must deny by default (its defaultAction is ${base.defaultAction || 'empty'}); ` +
        'intersecting with a denylist would allow every unlisted syscall',
    );
  const allowedByBase = new Set<string>();
  const rules: DockerSyscallRule[] = [];
  for (const r of base.syscalls) {
    const names = r.names ?? [r.name as string];
    if (!effectPermits(effectOf(r.action, r.errnoRet))) {
      rules.push(r);
      continue;
    }
    const keep = names.filter((n) => want.has(n));
    for (const n of keep) allowedByBase.add(n);
    if (keep.length === 0) continue;
    const { name: _legacy, ...rest } = r;
    rules.push({ ...rest, names: keep });
  }
  base.syscalls = rules;
  return {
    profile: base,
    observed,
    added,
    deniedByBase: [...want].filter((n) => !allowedByBase.has(n)).sort(),
    unknown: obs.unknown,
    unnamed: obs.unnamed,
  };
}

function archOfObservation(obs: Observation): string {
  // Compat calls (x86, arm, x32) come from processes of a 64-bit host: the profile is for the host arch.
  if (obs.arches.includes('x86_64') || obs.arches.includes('x32')) return 'x86_64';
  if (obs.arches.includes('aarch64')) return 'aarch64';
  return obs.arches[0] ?? 'x86_64';
}

/** A least-privilege profile from `strace -f` output (see observeStrace and buildProfile). */
export function generateFromStrace(text: string, opts: GenerateOptions = {}): DockerSeccompProfile {
  const obs = observeStrace(text, opts);
  if (obs.syscalls.size === 0)
    throw new UserError(`${opts.where ?? 'strace output'}: no syscalls found (is this strace output?)`);
  return buildProfile(obs, opts).profile;
}

/** A least-privilege profile from audit SECCOMP/SYSCALL records (see observeAudit and buildProfile). */
export function generateFromAudit(
  text: string,
  opts: GenerateOptions & AuditObserveOptions = {},
): DockerSeccompProfile {
  const obs = observeAudit(text, opts);
  if (obs.syscalls.size === 0)
    throw new UserError(`${opts.where ?? 'audit log'}: no syscalls found in the audit records`);
  return buildProfile(obs, opts).profile;
}
