// Docker (moby) seccomp profiles and their resolution into the OCI runtime-spec `linux.seccomp` one
// container gets, with the daemon's rules for archMap, includes/excludes (arches, caps, minKernel).

import { UserError } from '../errors.js';
import { clip, show } from '../util/text.js';
import defaultProfileJson from './data/docker-default.json' with { type: 'json' };

/** The actions of the OCI runtime-spec (libseccomp 2.5+). */
export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

export const SECCOMP_OPERATORS = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const;
export type SeccompOperator = (typeof SECCOMP_OPERATORS)[number];

export const SECCOMP_ARCHES = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
] as const;

export const SECCOMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOperator;
}

/** A rule's includes/excludes condition. */
export interface SeccompFilter {
  /** Capabilities (CAP_ names) of the container's bounding set. */
  caps?: string[];
  /** Architectures as moby names them (amd64, arm64, x86, x32, s390x...). */
  arches?: string[];
  /** "<major>.<minor>". */
  minKernel?: string;
}

/** One rule of a Docker profile: `name` is the legacy one-syscall form of `names`. */
export interface DockerSyscallRule {
  names?: string[];
  name?: string;
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

export interface ArchMapEntry {
  architecture: string;
  subArchitectures: string[];
}

/** A profile in Docker's format (--security-opt seccomp=FILE, daemon seccomp-profile, the built-in one). */
export interface DockerSeccompProfile {
  defaultAction: SeccompAction | '';
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: ArchMapEntry[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: DockerSyscallRule[];
}

export interface OciSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
}

/** The OCI runtime-spec LinuxSeccomp (config.json `linux.seccomp`). */
export interface OciSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: OciSyscall[];
}

export interface ResolveOptions {
  /** The container's architecture, as Go names it (amd64, arm64, 386, s390x...; x86_64/aarch64 accepted). */
  arch: string;
  /** The container's bounding capability set (CAP_ names). */
  caps: readonly string[];
  /** The host kernel "X.Y" (more may follow: "6.1.0-18-amd64"); undefined = newer than any minKernel. */
  kernel?: string;
  /** Prefix of error messages (the file the profile came from). */
  where?: string;
}

// GOARCH -> the libseccomp name moby compares includes/excludes arches with, and the native SCMP arch
// it looks up in archMap.
const ARCHES: Record<string, { native: string; scmp: string }> = {
  '386': { native: 'x86', scmp: 'SCMP_ARCH_X86' },
  amd64: { native: 'amd64', scmp: 'SCMP_ARCH_X86_64' },
  arm: { native: 'arm', scmp: 'SCMP_ARCH_ARM' },
  arm64: { native: 'arm64', scmp: 'SCMP_ARCH_AARCH64' },
  loong64: { native: 'loong64', scmp: 'SCMP_ARCH_LOONGARCH64' },
  mips: { native: 'mips', scmp: 'SCMP_ARCH_MIPS' },
  mipsle: { native: 'mipsel', scmp: 'SCMP_ARCH_MIPSEL' },
  mips64: { native: 'mips64', scmp: 'SCMP_ARCH_MIPS64' },
  mips64le: { native: 'mipsel64', scmp: 'SCMP_ARCH_MIPSEL64' },
  mips64p32: { native: 'mips64n32', scmp: 'SCMP_ARCH_MIPS64N32' },
  mips64p32le: { native: 'mipsel64n32', scmp: 'SCMP_ARCH_MIPSEL64N32' },
  ppc: { native: 'ppc', scmp: 'SCMP_ARCH_PPC' },
  ppc64: { native: 'ppc64', scmp: 'SCMP_ARCH_PPC64' },
  ppc64le: { native: 'ppc64le', scmp: 'SCMP_ARCH_PPC64LE' },
  riscv64: { native: 'riscv64', scmp: 'SCMP_ARCH_RISCV64' },
  s390: { native: 's390', scmp: 'SCMP_ARCH_S390' },
  s390x: { native: 's390x', scmp: 'SCMP_ARCH_S390X' },
};
const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  x64: 'amd64',
  aarch64: 'arm64',
  i386: '386',
  i686: '386',
  x86: '386',
  ia32: '386',
};

/** The Go architecture name for `arch` (Go, uname or Node spelling), or undefined when unknown. */
export function goArch(arch: string): string | undefined {
  const a = arch.trim().toLowerCase();
  const go = ARCH_ALIASES[a] ?? a;
  return Object.hasOwn(ARCHES, go) ? go : undefined;
}

/** The seccomp architecture (SCMP_ARCH_...) of a Go architecture name. */
export function seccompArchOf(arch: string): string | undefined {
  const go = goArch(arch);
  return go === undefined ? undefined : ARCHES[go]?.scmp;
}

/**
 * Resolves a Docker profile for one container as dockerd does when it creates the container: the
 * archMap entry of the container's architecture gives `architectures`; a rule is dropped when its
 * excludes match (arch, any listed cap in the bounding set, kernel >= minKernel) or its includes do
 * not (arch not listed, a listed cap missing, kernel < minKernel). Returns undefined when the profile
 * disables seccomp (no defaultAction and no rules), as dockerd does.
 */
export function resolveSeccomp(profile: DockerSeccompProfile, opts: ResolveOptions): OciSeccomp | undefined {
  const where = opts.where ?? 'seccomp profile';
  const p = parseSeccompProfile(profile, where);
  const go = goArch(opts.arch);
  if (go === undefined) throw new UserError(`${where}: unknown architecture "${clip(opts.arch)}"`);
  const arch = ARCHES[go] as { native: string; scmp: string };
  const kernel = opts.kernel === undefined ? undefined : parseKernel(opts.kernel);
  if (opts.kernel !== undefined && kernel === undefined)
    throw new UserError(`${where}: invalid kernel version "${clip(opts.kernel)}" (want X.Y)`);
  if (p.defaultAction === '') {
    if (p.syscalls.length === 0) return undefined;
    throw new UserError(`${where}: defaultAction is empty`);
  }
  const caps = new Set(opts.caps);
  const atLeast = (min: string): boolean => {
    // A kernel the caller did not name is taken to be newer than every minKernel in a profile.
    if (kernel === undefined) return true;
    const m = parseKernel(min) as [number, number];
    return kernel[0] > m[0] || (kernel[0] === m[0] && kernel[1] >= m[1]);
  };

  const out: OciSeccomp = { defaultAction: p.defaultAction, syscalls: [] };
  if (p.defaultErrnoRet !== undefined) out.defaultErrnoRet = p.defaultErrnoRet;
  if (p.architectures && p.architectures.length > 0) out.architectures = [...p.architectures];
  else if (p.archMap && p.archMap.length > 0) {
    const archs: string[] = [];
    for (const e of p.archMap)
      if (e.architecture === arch.scmp) archs.push(e.architecture, ...e.subArchitectures);
    if (archs.length > 0) out.architectures = archs;
  }
  if (p.flags && p.flags.length > 0) out.flags = [...p.flags];
  if (p.listenerPath !== undefined) out.listenerPath = p.listenerPath;
  if (p.listenerMetadata !== undefined) out.listenerMetadata = p.listenerMetadata;

  for (const rule of p.syscalls) {
    const ex = rule.excludes;
    if (ex) {
      if (ex.arches?.includes(arch.native)) continue;
      if (ex.caps?.some((c) => caps.has(c))) continue;
      if (ex.minKernel !== undefined && atLeast(ex.minKernel)) continue;
    }
    const inc = rule.includes;
    if (inc) {
      if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(arch.native)) continue;
      if (inc.caps && !inc.caps.every((c) => caps.has(c))) continue;
      if (inc.minKernel !== undefined && !atLeast(inc.minKernel)) continue;
    }
    const s: OciSyscall = {
      names: rule.names ? [...rule.names] : [rule.name as string],
      action: rule.action,
    };
    if (rule.errnoRet !== undefined) s.errnoRet = rule.errnoRet;
    if (rule.args && rule.args.length > 0) s.args = rule.args.map((a) => ({ ...a }));
    out.syscalls.push(s);
  }
  return out;
}

let cachedDefault: DockerSeccompProfile | undefined;

/** Docker's built-in default profile (moby profiles/seccomp default.json), a fresh copy per call. */
export function dockerDefaultProfile(): DockerSeccompProfile {
  cachedDefault ??= parseSeccompProfile(defaultProfileJson, 'built-in Docker seccomp profile');
  return structuredClone(cachedDefault);
}

/**
 * Checks a Docker-format profile (parsed JSON, hostile) and returns it typed: every error is a
 * one-line UserError naming `where` and the rule. Fields dockerd ignores are ignored.
 */
export function parseSeccompProfile(value: unknown, where = 'seccomp profile'): DockerSeccompProfile {
  if (!isObject(value)) throw new UserError(`${where}: a seccomp profile must be a JSON object`);
  const defaultAction = value.defaultAction ?? '';
  if (defaultAction !== '' && !isAction(defaultAction))
    throw new UserError(`${where}: unknown defaultAction ${show(defaultAction)}`);
  const p: DockerSeccompProfile = { defaultAction, syscalls: [] };
  const errno = optUint(value.defaultErrnoRet, 0xffffffff, `${where}: defaultErrnoRet`);
  if (errno !== undefined) p.defaultErrnoRet = errno;
  const architectures = optStrings(value.architectures, `${where}: architectures`);
  if (architectures) {
    for (const a of architectures) checkScmpArch(a, `${where}: architectures`);
    p.architectures = architectures;
  }
  const archMap = optArray(value.archMap, `${where}: archMap`);
  if (archMap) {
    p.archMap = archMap.map((e, i) => {
      const w = `${where}: archMap[${i}]`;
      if (!isObject(e)) throw new UserError(`${w} must be an object`);
      if (typeof e.architecture !== 'string') throw new UserError(`${w}.architecture must be a string`);
      checkScmpArch(e.architecture, `${w}.architecture`);
      const subs = optStrings(e.subArchitectures, `${w}.subArchitectures`) ?? [];
      for (const s of subs) checkScmpArch(s, `${w}.subArchitectures`);
      return { architecture: e.architecture, subArchitectures: subs };
    });
  }
  if ((p.architectures?.length ?? 0) > 0 && (p.archMap?.length ?? 0) > 0)
    throw new UserError(`${where}: both "architectures" and "archMap" are set; use one of them`);
  const flags = optStrings(value.flags, `${where}: flags`);
  if (flags) {
    for (const f of flags)
      if (!(SECCOMP_FLAGS as readonly string[]).includes(f))
        throw new UserError(`${where}: unknown flag ${show(f)}`);
    p.flags = flags;
  }
  for (const key of ['listenerPath', 'listenerMetadata'] as const) {
    const v = value[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new UserError(`${where}: ${key} must be a string`);
    p[key] = v;
  }
  const rules = optArray(value.syscalls, `${where}: syscalls`) ?? [];
  p.syscalls = rules.map((r, i) => parseRule(r, `${where}: syscalls[${i}]`));
  return p;
}

function parseRule(r: unknown, w: string): DockerSyscallRule {
  if (!isObject(r)) throw new UserError(`${w} must be an object`);
  if (!isAction(r.action)) throw new UserError(`${w}: unknown action ${show(r.action)}`);
  const rule: DockerSyscallRule = { action: r.action };
  const name = r.name ?? '';
  if (typeof name !== 'string') throw new UserError(`${w}.name must be a string`);
  const names = optStrings(r.names, `${w}.names`);
  if (name !== '') {
    if (names && names.length > 0)
      throw new UserError(`${w}: both "name" and "names" are set; use one of them`);
    rule.name = name;
  } else if (names && names.length > 0) rule.names = names;
  else throw new UserError(`${w}: no syscall names`);
  if ((rule.names ?? []).some((n) => n === '')) throw new UserError(`${w}.names has an empty name`);
  const errno = optUint(r.errnoRet, 0xffffffff, `${w}.errnoRet`);
  if (errno !== undefined) rule.errnoRet = errno;
  const args = optArray(r.args, `${w}.args`);
  if (args && args.length > 0) rule.args = args.map((a, j) => parseArg(a, `${w}.args[${j}]`));
  if (r.comment !== undefined && r.comment !== null) {
    if (typeof r.comment !== 'string') throw new UserError(`${w}.comment must be a string`);
    rule.comment = r.comment;
  }
  const inc = parseFilter(r.includes, `${w}.includes`);
  if (inc) rule.includes = inc;
  const exc = parseFilter(r.excludes, `${w}.excludes`);
  if (exc) rule.excludes = exc;
  return rule;
}

function parseArg(a: unknown, w: string): SeccompArg {
  if (!isObject(a)) throw new UserError(`${w} must be an object`);
  // The kernel passes six syscall arguments.
  const index = optUint(a.index, 5, `${w}.index`);
  if (index === undefined) throw new UserError(`${w}.index is missing`);
  const value = optUint(a.value ?? 0, Number.MAX_SAFE_INTEGER, `${w}.value`) as number;
  if (!(SECCOMP_OPERATORS as readonly string[]).includes(a.op as string))
    throw new UserError(`${w}: unknown operator ${show(a.op)}`);
  const arg: SeccompArg = { index, value, op: a.op as SeccompOperator };
  const two = optUint(a.valueTwo, Number.MAX_SAFE_INTEGER, `${w}.valueTwo`);
  if (two !== undefined) arg.valueTwo = two;
  return arg;
}

function parseFilter(f: unknown, w: string): SeccompFilter | undefined {
  if (f === undefined || f === null) return undefined;
  if (!isObject(f)) throw new UserError(`${w} must be an object`);
  const out: SeccompFilter = {};
  const caps = optStrings(f.caps, `${w}.caps`);
  if (caps && caps.length > 0) out.caps = caps;
  const arches = optStrings(f.arches, `${w}.arches`);
  if (arches && arches.length > 0) out.arches = arches;
  if (f.minKernel !== undefined && f.minKernel !== null && f.minKernel !== '') {
    if (typeof f.minKernel !== 'string' || !parseKernel(f.minKernel))
      throw new UserError(`${w}.minKernel ${show(f.minKernel)} is not a kernel version "X.Y"`);
    out.minKernel = f.minKernel;
  }
  return out;
}

function parseKernel(v: string): [number, number] | undefined {
  const m = /^(\d{1,6})\.(\d{1,6})(?:[.\-+_~].*)?$/s.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function checkScmpArch(a: string, w: string): void {
  if (!(SECCOMP_ARCHES as readonly string[]).includes(a))
    throw new UserError(`${w}: unknown architecture ${show(a)}`);
}

function isAction(v: unknown): v is SeccompAction {
  return typeof v === 'string' && (SECCOMP_ACTIONS as readonly string[]).includes(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Go's encoder writes an empty slice as null, so null is "absent" throughout.
function optArray(v: unknown, w: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new UserError(`${w} must be a list`);
  return v;
}

function optStrings(v: unknown, w: string): string[] | undefined {
  const a = optArray(v, w);
  if (a === undefined) return undefined;
  if (!a.every((x) => typeof x === 'string')) throw new UserError(`${w} must be a list of strings`);
  return [...(a as string[])];
}

// Values past 2^53 would be rounded silently by a JSON parser, changing what a filter compares.
function optUint(v: unknown, max: number, w: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new UserError(`${w} must be a non-negative integer`);
  if (v > max) throw new UserError(`${w} ${v} is too large (at most ${max})`);
  return v;
}
