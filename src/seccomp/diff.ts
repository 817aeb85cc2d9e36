// Semantic diff of two seccomp profiles for one container: per syscall, the argument values one profile
// lets through and the other does not, as readable conditions plus concrete witness arguments.

import { UserError } from '../errors.js';
import {
  type DockerSeccompProfile,
  type OciSeccomp,
  type OciSyscall,
  resolveSeccomp,
  type SeccompAction,
  type SeccompArg,
} from './resolve.js';
import { type SyscallArch, syscallArch, syscallNames, syscallNumber } from './syscalls.js';

/** Seccomp compares the six syscall arguments as unsigned 64-bit values. */
export const ARG_MAX = (1n << 64n) - 1n;
export const ARG_COUNT = 6;

/** `(arg & mask) == value`. */
export interface MaskTest {
  mask: bigint;
  value: bigint;
}

/** Inclusive range of argument values. */
export type Interval = readonly [bigint, bigint];

/**
 * A set of values of one argument: inside one of the intervals, matching `eq` and matching none of
 * `ne`. Intervals are exact for EQ/NE/LT/LE/GT/GE; the mask tests carry MASKED_EQ and its negation.
 */
export interface ArgSet {
  iv: Interval[];
  eq?: MaskTest;
  ne: MaskTest[];
}

/** One condition per argument (undefined = any value); a region is a union of boxes. */
export type Box = ReadonlyArray<ArgSet | undefined>;

// Beyond these the exact algebra gives up and the syscall is compared on sample values instead, so
// a hostile profile with thousands of conditional rules cannot make the diff explode.
const MAX_BOXES = 4096;
const MAX_SEARCH_STEPS = 200_000;
const MAX_NE_TESTS = 24;
const MAX_RULES_PER_SYSCALL = 200;
const MAX_SAMPLE_WORK = 4_000_000;

class TooComplex extends Error {}

const FULL_IV: Interval[] = [[0n, ARG_MAX]];

/** The values of one argument a rule's comparison accepts (libseccomp / OCI semantics). */
export function argSetOf(a: SeccompArg): ArgSet {
  const v = BigInt(a.value);
  switch (a.op) {
    case 'SCMP_CMP_EQ':
      return { iv: [[v, v]], ne: [] };
    case 'SCMP_CMP_NE':
      return { iv: complementIv([[v, v]]), ne: [] };
    case 'SCMP_CMP_LT':
      return { iv: v === 0n ? [] : [[0n, v - 1n]], ne: [] };
    case 'SCMP_CMP_LE':
      return { iv: [[0n, v]], ne: [] };
    case 'SCMP_CMP_GT':
      return { iv: v >= ARG_MAX ? [] : [[v + 1n, ARG_MAX]], ne: [] };
    case 'SCMP_CMP_GE':
      return { iv: [[v, ARG_MAX]], ne: [] };
    case 'SCMP_CMP_MASKED_EQ': {
      // OCI/Docker: `value` is the mask, `valueTwo` the datum; datum bits outside the mask never match.
      const datum = BigInt(a.valueTwo ?? 0);
      if ((datum & ~v) !== 0n) return { iv: [], ne: [] };
      return { iv: [...FULL_IV], eq: { mask: v, value: datum }, ne: [] };
    }
  }
}

/** Does a rule's argument list accept these concrete argument values (missing values are 0)? */
export function argsMatch(args: readonly SeccompArg[] | undefined, values: readonly bigint[]): boolean {
  for (const a of args ?? []) {
    const x = values[a.index] ?? 0n;
    const v = BigInt(a.value);
    let ok: boolean;
    switch (a.op) {
      case 'SCMP_CMP_EQ':
        ok = x === v;
        break;
      case 'SCMP_CMP_NE':
        ok = x !== v;
        break;
      case 'SCMP_CMP_LT':
        ok = x < v;
        break;
      case 'SCMP_CMP_LE':
        ok = x <= v;
        break;
      case 'SCMP_CMP_GT':
        ok = x > v;
        break;
      case 'SCMP_CMP_GE':
        ok = x >= v;
        break;
      case 'SCMP_CMP_MASKED_EQ':
        ok = (x & v) === BigInt(a.valueTwo ?? 0);
        break;
    }
    if (!ok) return false;
  }
  return true;
}

// ---- intervals

function intersectIv(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i] as Interval;
    const [blo, bhi] = b[j] as Interval;
    const lo = bigMax(alo, blo);
    const hi = bigMin(ahi, bhi);
    if (lo <= hi) out.push([lo, hi]);
    if (ahi < bhi) i++;
    else j++;
  }
  return out;
}

// Math.max/min do not take bigints.
function bigMax(a: bigint, b: bigint): bigint {
  if (a > b) return a;
  return b;
}

function bigMin(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}

function complementIv(a: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let next = 0n;
  for (const [lo, hi] of a) {
    if (lo > next) out.push([next, lo - 1n]);
    next = hi + 1n;
  }
  if (next <= ARG_MAX) out.push([next, ARG_MAX]);
  return out;
}

function unionIv(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const all = [...a, ...b].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [lo, hi] of all) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1n) {
      if (hi > last[1]) last[1] = hi;
    } else out.push([lo, hi]);
  }
  return out;
}

function isFullIv(a: readonly Interval[]): boolean {
  return a.length === 1 && a[0]?.[0] === 0n && a[0][1] === ARG_MAX;
}

// ---- argument sets

function intersectSet(a: ArgSet, b: ArgSet): ArgSet {
  const iv = intersectIv(a.iv, b.iv);
  let eq = a.eq ?? b.eq;
  if (a.eq && b.eq) {
    if (((a.eq.value ^ b.eq.value) & a.eq.mask & b.eq.mask) !== 0n) return { iv: [], ne: [] };
    eq = { mask: a.eq.mask | b.eq.mask, value: a.eq.value | b.eq.value };
  }
  const ne = dedupeMasks([...a.ne, ...b.ne]);
  const out: ArgSet = { iv, ne };
  if (eq) out.eq = eq;
  return out;
}

function dedupeMasks(ms: MaskTest[]): MaskTest[] {
  const seen = new Set<string>();
  return ms.filter((m) => {
    const k = `${m.mask}:${m.value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The complement of an argument set as a union of argument sets. */
function complementSet(s: ArgSet): ArgSet[] {
  const out: ArgSet[] = [];
  if (!isFullIv(s.iv)) {
    const iv = complementIv(s.iv);
    if (iv.length > 0) out.push({ iv, ne: [] });
  }
  if (s.eq && s.eq.mask !== 0n) out.push({ iv: [...FULL_IV], ne: [s.eq] });
  for (const n of s.ne) out.push({ iv: [...FULL_IV], eq: n, ne: [] });
  return out;
}

/**
 * The smallest value in the set, or undefined when it is empty. Mask tests make this a search over
 * the 64 bits (high to low, trying 0 first), memoised on (bit, at-lower-bound, at-upper-bound,
 * satisfied-negations) so it stays polynomial for the handful of tests real profiles produce.
 */
export function witnessOf(s: ArgSet): bigint | undefined {
  if (s.iv.length === 0) return undefined;
  // A negated test whose datum has bits outside its mask can never be violated.
  const ne = s.ne.filter((n) => (n.value & ~n.mask) === 0n);
  const eq = s.eq;
  if (!eq && ne.length === 0) return s.iv[0]?.[0];
  if (ne.some((n) => n.mask === 0n)) return undefined; // (x & 0) != 0 is always false
  if (ne.length > MAX_NE_TESTS) throw new TooComplex();
  const steps = { n: 0 };
  for (const [lo, hi] of s.iv) {
    const w = searchBits(lo, hi, eq, ne, steps);
    if (w !== undefined) return w;
  }
  return undefined;
}

function searchBits(
  lo: bigint,
  hi: bigint,
  eq: MaskTest | undefined,
  ne: readonly MaskTest[],
  steps: { n: number },
): bigint | undefined {
  const all = (1 << ne.length) - 1;
  const dead = new Set<string>();
  const rec = (bit: number, tl: boolean, th: boolean, sat: number, acc: bigint): bigint | undefined => {
    if (bit < 0) return sat === all ? acc : undefined;
    const key = `${bit}:${tl ? 1 : 0}${th ? 1 : 0}:${sat}`;
    if (dead.has(key)) return undefined;
    if (++steps.n > MAX_SEARCH_STEPS) throw new TooComplex();
    const b = 1n << BigInt(bit);
    const lb = (lo & b) !== 0n;
    const hb = (hi & b) !== 0n;
    for (const one of [false, true]) {
      if (eq && (eq.mask & b) !== 0n && ((eq.value & b) !== 0n) !== one) continue;
      if (tl && !one && lb) continue;
      if (th && one && !hb) continue;
      let nsat = sat;
      for (let j = 0; j < ne.length; j++) {
        const n = ne[j] as MaskTest;
        if ((nsat & (1 << j)) === 0 && (n.mask & b) !== 0n && ((n.value & b) !== 0n) !== one) nsat |= 1 << j;
      }
      const r = rec(bit - 1, tl && one === lb, th && one === hb, nsat, one ? acc | b : acc);
      if (r !== undefined) return r;
    }
    dead.add(key);
    return undefined;
  };
  return rec(63, true, true, 0, 0n);
}

// ---- boxes and regions

const FULL_BOX: Box = [undefined, undefined, undefined, undefined, undefined, undefined];

/** The box of a rule's argument list (comparisons on the same argument are ANDed). */
export function boxOf(args: readonly SeccompArg[] | undefined): Box {
  const box: (ArgSet | undefined)[] = [...FULL_BOX];
  for (const a of args ?? []) {
    const s = argSetOf(a);
    const cur = box[a.index];
    box[a.index] = cur ? intersectSet(cur, s) : s;
  }
  return box;
}

/** A witness per argument (0 for unconstrained ones), or undefined when the box is empty. */
export function boxWitness(box: Box): bigint[] | undefined {
  const out: bigint[] = [];
  for (let i = 0; i < ARG_COUNT; i++) {
    const s = box[i];
    if (!s) {
      out.push(0n);
      continue;
    }
    const w = witnessOf(s);
    if (w === undefined) return undefined;
    out.push(w);
  }
  return out;
}

function intersectBox(a: Box, b: Box): Box {
  const out: (ArgSet | undefined)[] = [];
  for (let i = 0; i < ARG_COUNT; i++) {
    const x = a[i];
    const y = b[i];
    out.push(x && y ? intersectSet(x, y) : (x ?? y));
  }
  return out;
}

function complementBox(box: Box): Box[] {
  const out: Box[] = [];
  for (let i = 0; i < ARG_COUNT; i++) {
    const s = box[i];
    if (!s) continue;
    for (const piece of complementSet(s)) {
      const b: (ArgSet | undefined)[] = [...FULL_BOX];
      b[i] = piece;
      out.push(b);
    }
  }
  return out;
}

function intersectRegions(a: readonly Box[], b: readonly Box[]): Box[] {
  const out: Box[] = [];
  for (const x of a)
    for (const y of b) {
      const z = intersectBox(x, y);
      if (boxWitness(z) !== undefined) out.push(z);
      if (out.length > MAX_BOXES) throw new TooComplex();
    }
  return simplify(out);
}

function subtractRegion(a: readonly Box[], cut: readonly Box[]): Box[] {
  let cur: Box[] = [...a];
  for (const c of cut) {
    if (cur.length === 0) break;
    cur = intersectRegions(cur, complementBox(c));
  }
  return cur;
}

function setKey(s: ArgSet | undefined): string {
  if (!s) return '*';
  const iv = s.iv.map(([lo, hi]) => `${lo}-${hi}`).join(',');
  const eq = s.eq ? `&${s.eq.mask}=${s.eq.value}` : '';
  const ne = s.ne.map((n) => `&${n.mask}!${n.value}`).join('');
  return `${iv}${eq}${ne}`;
}

function boxKey(b: Box): string {
  return b.map(setKey).join('|');
}

/**
 * Removes duplicates and joins boxes that differ only in the intervals of one argument, so the
 * pieces the complement produces read back as one condition ("arg0 == 38" rather than fragments).
 */
function simplify(boxes: Box[]): Box[] {
  const seen = new Map<string, Box>();
  for (const b of boxes) seen.set(boxKey(b), b);
  let list = [...seen.values()];
  for (let round = 0; round < 8; round++) {
    let merged = false;
    const out: Box[] = [];
    const byRest = new Map<string, number>();
    for (const b of list) {
      let joined = false;
      for (let i = 0; i < ARG_COUNT && !joined; i++) {
        const s = b[i];
        if (s && (s.eq || s.ne.length > 0)) continue;
        const rest = `${i}#${b.map((x, j) => (j === i ? '' : setKey(x))).join('|')}`;
        const at = byRest.get(rest);
        if (at !== undefined) {
          const other = out[at] as Box;
          const o = other[i];
          const nb: (ArgSet | undefined)[] = [...other];
          const iv = unionIv(o ? o.iv : FULL_IV, s ? s.iv : FULL_IV);
          nb[i] = isFullIv(iv) ? undefined : { iv, ne: [] };
          out[at] = nb;
          joined = true;
          merged = true;
        }
      }
      if (!joined) {
        const idx = out.length;
        out.push(b);
        for (let i = 0; i < ARG_COUNT; i++) {
          const s = b[i];
          if (s && (s.eq || s.ne.length > 0)) continue;
          const rest = `${i}#${b.map((x, j) => (j === i ? '' : setKey(x))).join('|')}`;
          if (!byRest.has(rest)) byRest.set(rest, idx);
        }
      }
    }
    list = out;
    if (!merged) break;
  }
  return list;
}

// ---- effects

/** The outcome of a syscall: ALLOW, LOG, ERRNO(EPERM), KILL_PROCESS... (KILL is KILL_THREAD). */
export function effectOf(action: SeccompAction, errnoRet: number | undefined): string {
  const a = action === 'SCMP_ACT_KILL' ? 'KILL_THREAD' : action.replace(/^SCMP_ACT_/, '');
  if (action === 'SCMP_ACT_ERRNO') return `ERRNO(${errnoName(errnoRet ?? 1)})`;
  if (action === 'SCMP_ACT_TRACE') return `TRACE(${errnoRet ?? 1})`;
  return a;
}

/** Whether the syscall runs: ALLOW and LOG do; everything else stops or fakes it. */
export function effectPermits(effect: string): boolean {
  return effect === 'ALLOW' || effect === 'LOG';
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  13: 'EACCES',
  22: 'EINVAL',
  38: 'ENOSYS',
  95: 'EOPNOTSUPP',
};

export function errnoName(n: number): string {
  return ERRNO_NAMES[n] ?? String(n);
}

/** A resolved filter ready to evaluate: runc's view of which rules exist for each syscall. */
export interface PreparedFilter {
  defaultEffect: string;
  rules: Map<string, { effect: string; args?: SeccompArg[]; index: number }[]>;
  architectures: string[];
  /** True when the profile disables seccomp (dockerd returns no filter). */
  unconfined: boolean;
}

/**
 * Indexes a resolved filter by syscall name. Rules whose action equals the default action are
 * dropped, as runc >= 1.0.2 does (libseccomp refuses them with "requested action matches default
 * action of filter").
 */
export function prepareFilter(s: OciSeccomp | undefined): PreparedFilter {
  if (!s) return { defaultEffect: 'ALLOW', rules: new Map(), architectures: [], unconfined: true };
  const defaultEffect = effectOf(s.defaultAction, s.defaultErrnoRet);
  const rules = new Map<string, { effect: string; args?: SeccompArg[]; index: number }[]>();
  s.syscalls.forEach((r: OciSyscall, index) => {
    const effect = effectOf(r.action, r.errnoRet);
    if (effect === defaultEffect) return;
    for (const n of r.names) {
      let list = rules.get(n);
      if (!list) {
        list = [];
        rules.set(n, list);
      }
      const entry: { effect: string; args?: SeccompArg[]; index: number } = { effect, index };
      if (r.args && r.args.length > 0) entry.args = r.args;
      list.push(entry);
    }
  });
  return { defaultEffect, rules, architectures: s.architectures ?? [], unconfined: false };
}

/**
 * The effect of one call as the kernel would see it with libseccomp 2.5 building the filter: the
 * first rule without argument conditions wins over every conditional rule (checked here against
 * libseccomp 2.5.4, whatever the order); otherwise the first matching conditional rule — libseccomp's
 * choice between overlapping conditional rules of different actions follows its decision tree, and
 * drydock approximates it by rule order (the diff notes when that matters).
 */
export function evaluate(f: PreparedFilter, name: string, values: readonly bigint[]): string {
  const list = f.rules.get(name) ?? [];
  const uncond = list.find((r) => !r.args);
  if (uncond) return uncond.effect;
  for (const r of list) if (argsMatch(r.args, values)) return r.effect;
  return f.defaultEffect;
}

interface Pieces {
  byEffect: Map<string, Box[]>;
  /** Conditional rules of different actions overlap: the result depends on libseccomp's tree. */
  overlap: boolean;
}

function piecesOf(f: PreparedFilter, name: string): Pieces {
  const list = f.rules.get(name) ?? [];
  if (list.length > MAX_RULES_PER_SYSCALL) throw new TooComplex();
  const byEffect = new Map<string, Box[]>();
  const add = (e: string, r: Box[]): void => {
    if (r.length === 0) return;
    byEffect.set(e, simplify([...(byEffect.get(e) ?? []), ...r]));
  };
  const uncond = list.find((r) => !r.args);
  if (uncond) {
    add(uncond.effect, [FULL_BOX]);
    return { byEffect, overlap: false };
  }
  const covered: { effect: string; box: Box }[] = [];
  let overlap = false;
  for (const r of list) {
    const box = boxOf(r.args);
    if (boxWitness(box) === undefined) continue;
    const earlier = covered.map((c) => c.box);
    const fresh = subtractRegion([box], earlier);
    if (!overlap && covered.some((c) => c.effect !== r.effect && intersectRegions([c.box], [box]).length > 0))
      overlap = true;
    add(r.effect, fresh);
    covered.push({ effect: r.effect, box });
  }
  add(
    f.defaultEffect,
    subtractRegion(
      [FULL_BOX],
      covered.map((c) => c.box),
    ),
  );
  return { byEffect, overlap };
}

// ---- descriptions

function num(v: bigint): string {
  return v < 65536n ? v.toString() : `0x${v.toString(16)}`;
}

function describeSet(i: number, s: ArgSet): string {
  const a = `arg${i}`;
  const parts: string[] = [];
  if (!isFullIv(s.iv)) parts.push(describeIv(a, s.iv));
  if (s.eq) parts.push(`(${a} & ${num(s.eq.mask)}) == ${num(s.eq.value)}`);
  for (const n of s.ne) parts.push(`(${a} & ${num(n.mask)}) != ${num(n.value)}`);
  return parts.join(' && ');
}

function describeIv(a: string, iv: readonly Interval[]): string {
  if (iv.length === 0) return 'false';
  const comp = complementIv(iv);
  // "arg0 != 40" reads better than "arg0 <= 39 || arg0 >= 41".
  if (comp.length > 0 && comp.length <= 3 && comp.every(([lo, hi]) => lo === hi))
    return comp.map(([v]) => `${a} != ${num(v)}`).join(' && ');
  const one = ([lo, hi]: Interval): string => {
    if (lo === hi) return `${a} == ${num(lo)}`;
    if (lo === 0n) return `${a} <= ${num(hi)}`;
    if (hi === ARG_MAX) return `${a} >= ${num(lo)}`;
    return `${num(lo)} <= ${a} <= ${num(hi)}`;
  };
  if (iv.length > 1 && iv.every(([lo, hi]) => lo === hi))
    return `${a} in {${iv.map(([v]) => num(v)).join(', ')}}`;
  return iv.map(one).join(' || ');
}

function describeBox(b: Box): string {
  const parts: string[] = [];
  b.forEach((s, i) => {
    if (s) parts.push(describeSet(i, s));
  });
  return parts.join(' && ');
}

/** "" for every argument value, else the boxes joined with " || " (each parenthesised when needed). */
export function describeRegion(r: readonly Box[]): string {
  if (r.some((b) => b.every((s) => s === undefined))) return '';
  const ds = r.map(describeBox);
  return ds.length === 1 ? (ds[0] as string) : ds.map((d) => (/\|\||&&/.test(d) ? `(${d})` : d)).join(' || ');
}

// ---- the diff

export interface DiffOptions {
  /** The container's architecture (amd64, arm64, x86_64...). */
  arch: string;
  /** The container's bounding capability set (CAP_ names). */
  caps: string[];
  /** The host kernel "X.Y"; undefined = newer than any minKernel. */
  kernel?: string;
  /** Names for the two profiles in messages ("A" and "B" by default). */
  labels?: [string, string];
}

/** One argument assignment: only the constrained arguments are listed. */
export type Witness = { index: number; value: string }[];

export type DiffKind = 'allowed-only-in-a' | 'allowed-only-in-b' | 'action-differs';

export interface DiffEntry {
  syscall: string;
  kind: DiffKind;
  /** Effect in profile A / B for these arguments: ALLOW, ERRNO(EPERM), KILL_PROCESS... */
  a: string;
  b: string;
  /** The argument values concerned; "" means every value. */
  condition: string;
  /** Concrete arguments that show the difference, each checked against both filters. */
  witnesses: Witness[];
  /** False when the condition is an approximation (sampled, or overlapping conditional rules). */
  exact: boolean;
  /** False when libseccomp 2.5.4 has no number for the name on these architectures: runc ignores it. */
  known: boolean;
  message: string;
}

export interface HeaderDiff {
  field: 'seccomp' | 'defaultAction' | 'architectures' | 'flags';
  a: string;
  b: string;
}

export interface DiffResult {
  arch: string;
  labels: [string, string];
  header: HeaderDiff[];
  entries: DiffEntry[];
  notes: string[];
  summary: { onlyA: number; onlyB: number; actionDiffers: number };
}

const MAX_WITNESSES = 3;

/**
 * Compares what two Docker-format profiles let a container do, after resolving both for its arch,
 * capabilities and kernel. Every syscall name of the architecture and every name either profile
 * mentions is compared on its effective behaviour, so reordering rules or splitting a names list
 * makes no difference while "socket arg0 != 40" vs "arg0 < 38 || == 39 || > 40" does.
 */
export function diffProfiles(
  a: DockerSeccompProfile,
  b: DockerSeccompProfile,
  opts: DiffOptions,
): DiffResult {
  const labels: [string, string] = opts.labels ?? ['A', 'B'];
  const ropts = {
    arch: opts.arch,
    caps: opts.caps,
    ...(opts.kernel === undefined ? {} : { kernel: opts.kernel }),
  };
  const ra = resolveSeccomp(a, { ...ropts, where: labels[0] });
  const rb = resolveSeccomp(b, { ...ropts, where: labels[1] });
  const fa = prepareFilter(ra);
  const fb = prepareFilter(rb);
  const table = syscallArch(opts.arch);
  if (!table)
    throw new UserError(`seccomp diff: no syscall table for architecture "${opts.arch.slice(0, 40)}"`);

  const header: HeaderDiff[] = [];
  if (fa.unconfined !== fb.unconfined)
    header.push({
      field: 'seccomp',
      a: fa.unconfined ? 'disabled' : 'enabled',
      b: fb.unconfined ? 'disabled' : 'enabled',
    });
  if (fa.defaultEffect !== fb.defaultEffect)
    header.push({ field: 'defaultAction', a: fa.defaultEffect, b: fb.defaultEffect });
  const archA = fa.architectures.join(',');
  const archB = fb.architectures.join(',');
  if (archA !== archB)
    header.push({ field: 'architectures', a: archA || '(native)', b: archB || '(native)' });
  const flagsA = [...(ra?.flags ?? [])].sort().join(',');
  const flagsB = [...(rb?.flags ?? [])].sort().join(',');
  if (flagsA !== flagsB) header.push({ field: 'flags', a: flagsA || '(none)', b: flagsB || '(none)' });

  const tables = new Set<SyscallArch>([table]);
  for (const s of [...fa.architectures, ...fb.architectures]) {
    const t = syscallArch(s);
    if (t) tables.add(t);
  }
  const names = new Set<string>(syscallNames(table));
  for (const n of fa.rules.keys()) names.add(n);
  for (const n of fb.rules.keys()) names.add(n);

  const entries: DiffEntry[] = [];
  const notes: string[] = [];
  const unknown: string[] = [];
  const approx: string[] = [];
  for (const name of [...names].sort()) {
    const known = [...tables].some((t) => syscallNumber(t, name) !== undefined);
    let found: DiffEntry[];
    try {
      found = exactDiff(fa, fb, name, labels, known);
    } catch (err) {
      if (!(err instanceof TooComplex)) throw err;
      found = sampledDiff(fa, fb, name, labels, known);
      approx.push(name);
    }
    if (found.length > 0 && !known) unknown.push(name);
    entries.push(...found);
  }
  if (unknown.length > 0)
    notes.push(
      `not in libseccomp 2.5.4's syscall table for ${[...tables].join('/')}: ${unknown.join(', ')} — a runtime ` +
        'built with it ignores these rules and applies the default action; newer libseccomp honours them',
    );
  if (approx.length > 0)
    notes.push(
      `too many conditional rules to compare exactly, compared on sample values: ${approx.join(', ')}`,
    );
  const overlapNames = entries.filter((e) => !e.exact && !approx.includes(e.syscall)).map((e) => e.syscall);
  if (overlapNames.length > 0)
    notes.push(
      `conditional rules of different actions overlap for ${[...new Set(overlapNames)].join(', ')}: libseccomp ` +
        'resolves the overlap by its decision tree; drydock assumed the earlier rule wins',
    );
  return {
    arch: table,
    labels,
    header,
    entries,
    notes,
    summary: {
      onlyA: entries.filter((e) => e.kind === 'allowed-only-in-a').length,
      onlyB: entries.filter((e) => e.kind === 'allowed-only-in-b').length,
      actionDiffers: entries.filter((e) => e.kind === 'action-differs').length,
    },
  };
}

function exactDiff(
  fa: PreparedFilter,
  fb: PreparedFilter,
  name: string,
  labels: [string, string],
  known: boolean,
): DiffEntry[] {
  const pa = piecesOf(fa, name);
  const pb = piecesOf(fb, name);
  const exact = !pa.overlap && !pb.overlap;
  const out: DiffEntry[] = [];
  for (const [ea, ra] of pa.byEffect)
    for (const [eb, rb] of pb.byEffect) {
      if (ea === eb) continue;
      const r = intersectRegions(ra, rb);
      if (r.length === 0) continue;
      const witnesses: Witness[] = [];
      let verified = true;
      for (const box of r.slice(0, MAX_WITNESSES)) {
        const w = boxWitness(box);
        if (!w) continue;
        if (evaluate(fa, name, w) !== ea || evaluate(fb, name, w) !== eb) verified = false;
        witnesses.push(toWitness(box, w));
      }
      out.push(entry(name, ea, eb, describeRegion(r), witnesses, exact && verified, known, labels));
    }
  return out;
}

function toWitness(box: Box, w: readonly bigint[]): Witness {
  const out: Witness = [];
  box.forEach((s, i) => {
    if (s) out.push({ index: i, value: (w[i] ?? 0n).toString() });
  });
  return out;
}

/** Compares on the boundary values of every constant the rules mention (bounded, may miss cases). */
function sampledDiff(
  fa: PreparedFilter,
  fb: PreparedFilter,
  name: string,
  labels: [string, string],
  known: boolean,
): DiffEntry[] {
  const perArg: Set<bigint>[] = Array.from({ length: ARG_COUNT }, () => new Set<bigint>([0n, ARG_MAX]));
  for (const r of [...(fa.rules.get(name) ?? []), ...(fb.rules.get(name) ?? [])])
    for (const a of r.args ?? []) {
      const s = perArg[a.index] as Set<bigint>;
      const v = BigInt(a.value);
      for (const x of [v - 1n, v, v + 1n, BigInt(a.valueTwo ?? 0), v & ~BigInt(a.valueTwo ?? 0)])
        if (x >= 0n && x <= ARG_MAX && s.size < 64) s.add(x);
    }
  const groups = new Map<string, Witness[]>();
  const used = perArg.map((s, i) => ({ i, vals: [...s] })).filter((x) => x.vals.length > 2);
  const total = used.reduce((n, x) => n * x.vals.length, 1);
  const ruleCount = (fa.rules.get(name)?.length ?? 0) + (fb.rules.get(name)?.length ?? 0);
  const limit = Math.min(total, 20_000, Math.floor(MAX_SAMPLE_WORK / Math.max(1, ruleCount)));
  for (let k = 0; k < limit; k++) {
    const values: bigint[] = Array(ARG_COUNT).fill(0n);
    let rest = k;
    for (const u of used) {
      values[u.i] = u.vals[rest % u.vals.length] as bigint;
      rest = Math.floor(rest / u.vals.length);
    }
    const ea = evaluate(fa, name, values);
    const eb = evaluate(fb, name, values);
    if (ea === eb) continue;
    const key = `${ea}\n${eb}`;
    const list = groups.get(key) ?? [];
    if (list.length < MAX_WITNESSES) list.push(used.map((u) => ({ index: u.i, value: String(values[u.i]) })));
    groups.set(key, list);
  }
  return [...groups].map(([key, ws]) => {
    const [ea, eb] = key.split('\n') as [string, string];
    const cond = ws.map((w) => w.map((x) => `arg${x.index} == ${x.value}`).join(' && ')).join(' || ');
    return entry(name, ea, eb, `sampled: ${cond}`, ws, false, known, labels);
  });
}

function entry(
  syscall: string,
  a: string,
  b: string,
  condition: string,
  witnesses: Witness[],
  exact: boolean,
  known: boolean,
  labels: [string, string],
): DiffEntry {
  const pa = effectPermits(a);
  const pb = effectPermits(b);
  const kind: DiffKind = pa && !pb ? 'allowed-only-in-a' : pb && !pa ? 'allowed-only-in-b' : 'action-differs';
  const call = condition === '' ? syscall : `${syscall}(${condition})`;
  const message =
    kind === 'allowed-only-in-a'
      ? `${call} allowed by ${labels[0]}, denied by ${labels[1]} [${b}]`
      : kind === 'allowed-only-in-b'
        ? `${call} allowed by ${labels[1]}, denied by ${labels[0]} [${a}]`
        : `${call}: ${a} in ${labels[0]}, ${b} in ${labels[1]}`;
  return { syscall, kind, a, b, condition, witnesses, exact, known, message };
}

/** Plain-text table of a diff: header differences, one row per entry, notes. */
export function formatDiffTable(r: DiffResult): string {
  const [la, lb] = r.labels;
  const lines: string[] = [];
  lines.push(
    `seccomp diff ${la} -> ${lb} (${r.arch}): ${r.summary.onlyA} allowed only by ${la}, ` +
      `${r.summary.onlyB} allowed only by ${lb}, ${r.summary.actionDiffers} denied differently`,
  );
  for (const h of r.header) lines.push(`  ${h.field}: ${la} ${h.a} | ${lb} ${h.b}`);
  if (r.entries.length === 0) {
    lines.push('no syscall behaves differently');
  } else {
    const rows: string[][] = [['SYSCALL', 'ARGUMENTS', la, lb, 'EXAMPLE']];
    for (const e of r.entries) {
      const w = e.witnesses[0];
      const example =
        w && w.length > 0 ? w.map((x) => `arg${x.index}=${num(BigInt(x.value))}`).join(' ') : '';
      rows.push([
        `${e.syscall}${e.known ? '' : ' *'}`,
        (e.condition === '' ? 'any' : e.condition) + (e.exact ? '' : ' ~'),
        e.a,
        e.b,
        example,
      ]);
    }
    lines.push(...renderTable(rows));
    if (r.entries.some((e) => !e.known)) lines.push('* unknown to libseccomp 2.5.4 on this architecture');
    if (r.entries.some((e) => !e.exact)) lines.push('~ approximate (see notes)');
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

function renderTable(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((c, i) => {
      widths[i] = Math.min(Math.max(widths[i] ?? 0, c.length), 60);
    });
  return rows.map((row) =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
