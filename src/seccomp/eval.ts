// What a seccomp filter decides for one syscall: the rule database libseccomp 2.5.4 builds when
// runc 1.1 loads an OCI `linux.seccomp`, walked the way the BPF program generated from it runs.
//
// Established against the kernel (test/seccomp/kernel.test.ts runs filters under real runc and
// compares; the offline fuzzing behind it ran libseccomp's own exported BPF):
// - runc skips a rule whose action (errno included) equals the default action, skips names
//   libseccomp does not know, and splits a rule naming one argument twice into one rule per
//   condition (OR instead of AND); a rule that clashes with an earlier one (same comparisons,
//   other action) makes libseccomp return EEXIST and the container does not start.
// - Per syscall, the first unconditional rule wins over everything else; a longer rule after a
//   shorter one with the same prefix is dropped.
// - Conditional rules are merged into a tree whose siblings are ordered by argument (highest
//   index first), operator (EQ/NE/MASKED_EQ, then LT/LE, then GT/GE) and value (LT/LE: smallest
//   first; others: largest first), not by rule order; the first sibling whose comparison leads to
//   an action decides, a failed branch falls back to the next sibling.
// - 64-bit architectures compare the full 64-bit argument (high word, then low word), even for
//   arguments the kernel reads as 32-bit int: socket(0x100000028, ...) passes "arg0 > 40" and
//   creates an AF_VSOCK socket. 32-bit ones (x86, arm, and x32 in libseccomp's view) compare only
//   the low 32 bits of argument and value.
// - libseccomp's generator reuses the accumulator across siblings, so after falling back from a
//   deeper level a test can compare the word that level loaded (modelled in walk()).
// - On x86, ppc64le and s390x a socket or SysV IPC rule also matches the multiplexed
//   socketcall/ipc syscall with only "arg0 == call number": its argument conditions are lost.
// - runc prepends a stub returning ENOSYS for syscall numbers above the highest one the filter
//   names on a listed architecture, unless the default action is ALLOW, LOG or TRACE.
// - An architecture that is neither listed nor native gets SCMP_ACT_KILL_THREAD.

import { UserError } from '../errors.js';
import { clip } from '../util/text.js';
import newer from './data/syscalls-newer.json' with { type: 'json' };
import {
  type DockerSeccompProfile,
  type OciSeccomp,
  resolveSeccomp,
  SECCOMP_ACTIONS,
  SECCOMP_OPERATORS,
  type SeccompAction,
  type SeccompArg,
} from './resolve.js';
import {
  IPCCALLS,
  SCMP_TO_ARCH,
  SOCKETCALLS,
  type SyscallArch,
  syscallArch,
  syscallName,
  syscallNumber,
} from './syscalls.js';

export interface EvalQuery {
  /** The calling task's architecture: amd64, x86_64, SCMP_ARCH_X86, 386, arm64... */
  arch: string;
  /** A name, or a number of `arch`'s syscall table. */
  syscall: string | number;
  /** Up to six argument values (missing ones are 0); negative values are taken as two's complement. */
  args?: readonly bigint[];
  /**
   * The host's own architecture, which libseccomp always puts in the filter. Default: the filter's
   * first listed architecture (moby's archMap lists the native one first), else `arch`.
   */
  native?: string;
  /** Model runc's ENOSYS stub (default true); false gives plain libseccomp (e.g. crun, systemd). */
  runcStub?: boolean;
}

/** The rule of the filter (its index in `syscalls`) whose action was taken. */
export interface MatchedRule {
  index: number;
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
}

/**
 * Who decided: a rule, the default action, runc's ENOSYS stub for numbers above the filter's
 * highest, libseccomp's bad-architecture action, or no filter at all (seccomp disabled).
 */
export type Decider = MatchedRule | 'default' | 'enosys-stub' | 'bad-arch' | 'unconfined';

export interface EvalResult {
  action: SeccompAction;
  /** The errno the syscall fails with (ERRNO), or the tracer's message value (TRACE). */
  errnoRet?: number;
  rule: Decider;
  /** The syscall as resolved on the queried architecture. */
  syscall: { name?: string; number: number };
  /** Caveats worth telling a reader (multiplexed socketcall, kernel exemptions). */
  notes?: string[];
}

/** runc would refuse to start a container with this filter (libseccomp rejected a rule). */
export class SeccompFilterRejected extends UserError {
  /** The filter rule (index in `syscalls`) libseccomp refused, and the earlier one it clashes with. */
  readonly rule: number | undefined;
  readonly other: number | undefined;
  constructor(message: string, rule?: number, other?: number) {
    super(message);
    this.name = 'SeccompFilterRejected';
    this.rule = rule;
    this.other = other;
  }
}

const MASK32 = 0xffffffffn;
const MASK64 = 0xffffffffffffffffn;
const ENOSYS = 38;
const EPERM = 1;
// The kernel caps SECCOMP_RET_ERRNO data at MAX_ERRNO.
const MAX_ERRNO = 4095;

type Op = 'EQ' | 'MEQ' | 'GT' | 'GE';
type OrigOp = SeccompArg['op'];

/** An action as libseccomp compares actions: kind plus its 16-bit data, and the rule it came from. */
interface Act {
  key: string;
  action: SeccompAction;
  data?: number;
  rule: number;
}

interface Node {
  arg: number;
  hi: boolean;
  op: Op;
  orig: OrigOp;
  mask: bigint;
  datum: bigint;
  full: bigint;
  t?: Act;
  f?: Act;
  nt?: Level;
  nf?: Level;
}

interface Level {
  nodes: Node[];
}

interface SysEntry {
  uncond?: Act;
  tree?: Level;
}

interface ArchFilter {
  arch: SyscallArch;
  bits: 32 | 64;
  entries: Map<number, SysEntry>;
  /** The highest syscall number the filter names on this arch (runc's ENOSYS stub bound). */
  maxNamed: number;
  /** Conditional rules added so far (bounded: see MAX_CONDITIONAL). */
  conditional: number;
}

// The kernel takes at most 4096 BPF instructions (BPF_MAXINSNS) and libseccomp spends at least one
// on nearly every conditional rule; larger filters are refused rather than merged in O(n^2).
const MAX_CONDITIONAL = 4096;

interface Compiled {
  filter: OciSeccomp;
  def: Act;
  arches: Set<SyscallArch>;
  byArch: Map<SyscallArch, ArchFilter>;
  stub: boolean;
}

// libseccomp's argument size per architecture (x32 counts as 32-bit: one low-word comparison).
const BITS: Record<SyscallArch, 32 | 64> = {
  x86_64: 64,
  x86: 32,
  x32: 32,
  aarch64: 64,
  arm: 32,
  riscv64: 64,
  ppc64le: 64,
  s390x: 64,
};

const MULTIPLEXED: Partial<Record<SyscallArch, { socketcall: number; ipc: number }>> = {
  x86: { socketcall: 102, ipc: 117 },
  ppc64le: { socketcall: 102, ipc: 117 },
  s390x: { socketcall: 102, ipc: 117 },
};

// Compiled filters by identity, checked against a fingerprint in case the caller mutated one.
const compiledCache = new WeakMap<OciSeccomp, { json: string; compiled: Compiled }>();

/**
 * The verdict the kernel gives for one syscall under `filter` as runc 1.1 / libseccomp 2.5.4 load
 * it. Throws SeccompFilterRejected when runc would not start the container at all, UserError for
 * an unknown architecture or syscall.
 */
export function evalSyscall(filter: OciSeccomp, q: EvalQuery): EvalResult {
  const arch = syscallArch(q.arch);
  if (arch === undefined) throw new UserError(`seccomp eval: unknown architecture "${clip(q.arch)}"`);
  const sys = resolveQuerySyscall(arch, q.syscall);
  const args = normalizeArgs(q.args);
  const c = compile(filter);
  const notes: string[] = [];
  const result = (act: Act, rule: Decider): EvalResult => {
    const r: EvalResult = { action: act.action, rule, syscall: sys };
    if (act.data !== undefined)
      r.errnoRet = act.key.startsWith('ERRNO') ? Math.min(act.data, MAX_ERRNO) : act.data;
    if (notes.length > 0) r.notes = notes;
    return r;
  };

  if (arch === 'x86_64' && sys.number === 335)
    notes.push('recent kernels (seen on 6.18) run uretprobe (x86_64 335) without consulting seccomp');

  const native = q.native === undefined ? undefined : syscallArch(q.native);
  if (q.native !== undefined && native === undefined)
    throw new UserError(`seccomp eval: unknown native architecture "${clip(q.native)}"`);
  const nativeArch = native ?? firstListed(filter) ?? arch;
  const inFilter = c.arches.has(arch) || arch === nativeArch;
  if (!inFilter) {
    return result({ key: 'KILL_THREAD', action: 'SCMP_ACT_KILL_THREAD', rule: -1 }, 'bad-arch');
  }
  const af = archFilter(c, arch);
  // runc's stub only covers the architectures config.json lists, never the implicit native one.
  if (
    q.runcStub !== false &&
    c.stub &&
    c.arches.has(arch) &&
    af.maxNamed > 0 &&
    stubCovers(arch, sys.number, af.maxNamed)
  ) {
    return result(
      { key: `ERRNO:${ENOSYS}`, action: 'SCMP_ACT_ERRNO', data: ENOSYS, rule: -1 },
      'enosys-stub',
    );
  }
  const mux = MULTIPLEXED[arch];
  if (mux && (sys.number === mux.socketcall || sys.number === mux.ipc))
    notes.push(
      'a multiplexed socketcall/ipc call: rules for the socket or IPC syscalls match it on the call number alone, their argument conditions do not apply',
    );
  const entry = af.entries.get(sys.number);
  let act: Act | undefined;
  if (entry?.uncond) act = entry.uncond;
  else if (entry?.tree)
    act = walk(entry.tree, { args, bits: af.bits, acc: BigInt(sys.number) }, { word: -1, mask: MASK32 }, 0);
  if (act === undefined) return result(c.def, 'default');
  return result(act, matchedRule(filter, act.rule));
}

/** resolveSeccomp (dockerd's per-container resolution) followed by evalSyscall. */
export function evalProfile(
  profile: DockerSeccompProfile,
  q: EvalQuery & { caps: readonly string[]; kernel?: string; where?: string },
): EvalResult {
  const resolved = resolveSeccomp(profile, {
    arch: q.arch,
    caps: q.caps,
    ...(q.kernel === undefined ? {} : { kernel: q.kernel }),
    ...(q.where === undefined ? {} : { where: q.where }),
  });
  if (resolved === undefined) {
    const arch = syscallArch(q.arch);
    if (arch === undefined) throw new UserError(`seccomp eval: unknown architecture "${clip(q.arch)}"`);
    return { action: 'SCMP_ACT_ALLOW', rule: 'unconfined', syscall: resolveQuerySyscall(arch, q.syscall) };
  }
  return evalSyscall(resolved, q);
}

/**
 * Checks that runc could load `filter` on each listed architecture drydock has a table for, as
 * libseccomp would build it; throws SeccompFilterRejected naming the conflicting rule otherwise.
 */
export function checkFilterLoads(filter: OciSeccomp): void {
  const c = compile(filter);
  for (const a of c.arches) archFilter(c, a);
}

function firstListed(filter: OciSeccomp): SyscallArch | undefined {
  for (const a of filter.architectures ?? []) {
    const t = SCMP_TO_ARCH[a];
    if (t) return t;
  }
  return undefined;
}

function stubCovers(arch: SyscallArch, nr: number, max: number): boolean {
  // x86_64 and x32 share AUDIT_ARCH_X86_64: the stub tells them apart by the x32 bit and leaves the
  // other mode to the filter when that mode is not listed.
  if (arch === 'x86_64' && (nr & 0x40000000) !== 0) return false;
  if (arch === 'x32' && (nr & 0x40000000) === 0) return false;
  return nr >>> 0 > max;
}

function resolveQuerySyscall(arch: SyscallArch, s: string | number): { name?: string; number: number } {
  if (typeof s === 'number') {
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff)
      throw new UserError(`seccomp eval: syscall number ${s} is not a 32-bit unsigned integer`);
    const name = syscallName(arch, s) ?? newerSyscallName(arch, s);
    return name === undefined ? { number: s } : { name, number: s };
  }
  const name = s.trim();
  if (/^\d{1,10}$/.test(name)) return resolveQuerySyscall(arch, Number(name));
  const nr = syscallNumber(arch, name) ?? newerSyscallNumber(arch, name);
  if (nr === undefined) {
    const mux = MULTIPLEXED[arch];
    const call = SOCKETCALLS[name] ?? IPCCALLS[name];
    if (mux && call !== undefined)
      throw new UserError(
        `seccomp eval: on ${arch} ${name} exists only through ${SOCKETCALLS[name] !== undefined ? `socketcall (${mux.socketcall})` : `ipc (${mux.ipc})`}: query that with arg0 = ${call}`,
      );
    throw new UserError(`seccomp eval: no syscall "${clip(name)}" on ${arch}`);
  }
  return { name, number: nr };
}

function normalizeArgs(args: readonly bigint[] | undefined): bigint[] {
  const out = [0n, 0n, 0n, 0n, 0n, 0n];
  if (args === undefined) return out;
  if (args.length > 6)
    throw new UserError(`seccomp eval: a syscall has at most 6 arguments, got ${args.length}`);
  args.forEach((v, i) => {
    if (typeof v !== 'bigint') throw new UserError(`seccomp eval: argument ${i} is not an integer`);
    if (v < -(1n << 63n) || v > MASK64)
      throw new UserError(`seccomp eval: argument ${i} does not fit in 64 bits`);
    out[i] = v & MASK64;
  });
  return out;
}

function matchedRule(filter: OciSeccomp, index: number): MatchedRule {
  const r = filter.syscalls[index];
  if (r === undefined) throw new Error(`internal: no rule ${index}`);
  const m: MatchedRule = { index, names: [...r.names], action: r.action };
  if (r.errnoRet !== undefined) m.errnoRet = r.errnoRet;
  if (r.args && r.args.length > 0) m.args = r.args.map((a) => ({ ...a }));
  return m;
}

// ---- building the filter as runc + libseccomp do

function actOf(action: SeccompAction, errnoRet: number | undefined, rule: number): Act {
  switch (action) {
    case 'SCMP_ACT_ERRNO':
    case 'SCMP_ACT_TRACE': {
      // runc defaults both to EPERM; libseccomp keeps the low 16 bits (runc casts to int16).
      const data = (errnoRet ?? EPERM) & 0xffff;
      return { key: `${action === 'SCMP_ACT_ERRNO' ? 'ERRNO' : 'TRACE'}:${data}`, action, data, rule };
    }
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return { key: 'KILL_THREAD', action, rule };
    default:
      return { key: action.replace('SCMP_ACT_', ''), action, rule };
  }
}

function compile(filter: OciSeccomp): Compiled {
  const json = JSON.stringify(filter);
  const hit = compiledCache.get(filter);
  if (hit && hit.json === json) return hit.compiled;
  if (!(SECCOMP_ACTIONS as readonly string[]).includes(filter.defaultAction))
    throw new UserError(`seccomp eval: unknown defaultAction "${clip(String(filter.defaultAction))}"`);
  if (filter.defaultAction === 'SCMP_ACT_NOTIFY')
    throw new SeccompFilterRejected('runc refuses SCMP_ACT_NOTIFY as the default action');
  checkShape(filter);
  const arches = new Set<SyscallArch>();
  for (const a of filter.architectures ?? []) {
    const t = SCMP_TO_ARCH[a];
    if (t) arches.add(t);
  }
  const def = actOf(filter.defaultAction, filter.defaultErrnoRet, -1);
  const stub = !['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(filter.defaultAction);
  const c: Compiled = { filter: structuredClone(filter), def, arches, byArch: new Map(), stub };
  compiledCache.set(filter, { json, compiled: c });
  return c;
}

// evalSyscall takes filters straight from config.json files too: check what the walk relies on.
function checkShape(filter: OciSeccomp): void {
  if (!Array.isArray(filter.syscalls)) throw new UserError('seccomp eval: the filter has no syscalls list');
  filter.syscalls.forEach((r, i) => {
    const w = `seccomp eval: syscalls[${i}]`;
    if (typeof r !== 'object' || r === null) throw new UserError(`${w} is not an object`);
    if (!Array.isArray(r.names) || !r.names.every((n) => typeof n === 'string'))
      throw new UserError(`${w}.names is not a list of names`);
    if (!(SECCOMP_ACTIONS as readonly string[]).includes(r.action))
      throw new UserError(`${w}: unknown action "${clip(String(r.action))}"`);
    for (const a of r.args ?? []) {
      const int = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
      if (!int(a.index) || a.index > 5)
        throw new UserError(`${w}: argument index ${String(a.index)} is not 0-5`);
      if (!int(a.value) || (a.valueTwo !== undefined && !int(a.valueTwo)))
        throw new UserError(`${w}: argument values must be integers from 0 to 2^53`);
      if (!(SECCOMP_OPERATORS as readonly string[]).includes(a.op))
        throw new UserError(`${w}: unknown operator "${clip(String(a.op))}"`);
    }
  });
}

function archFilter(c: Compiled, arch: SyscallArch): ArchFilter {
  const hit = c.byArch.get(arch);
  if (hit) return hit;
  const af: ArchFilter = { arch, bits: BITS[arch], entries: new Map(), maxNamed: 0, conditional: 0 };
  const mux = MULTIPLEXED[arch];
  c.filter.syscalls.forEach((rule, index) => {
    const act = actOf(rule.action, rule.errnoRet, index);
    for (const name of rule.names) {
      // runc sizes its stub by every name the arch resolves, whatever the rule's action;
      // multiplexed socket/IPC names resolve to libseccomp's negative pseudo numbers there.
      const direct = syscallNumber(arch, name);
      const muxCall = mux ? (SOCKETCALLS[name] ?? IPCCALLS[name]) : undefined;
      if (direct !== undefined && muxCall === undefined && direct > af.maxNamed) af.maxNamed = direct;
      if (act.key === c.def.key) continue;
      if (rule.action === 'SCMP_ACT_NOTIFY' && name === 'write')
        throw new SeccompFilterRejected(`syscalls[${index}]: runc refuses SCMP_ACT_NOTIFY for write`, index);
      // send/recv and the SysV IPC calls exist on x86 only through socketcall/ipc.
      if (direct === undefined && muxCall === undefined) continue;
      const args = rule.args ?? [];
      const counts = [0, 0, 0, 0, 0, 0];
      for (const a of args) counts[a.index] = (counts[a.index] ?? 0) + 1;
      const groups = counts.some((n) => n > 1) ? args.map((a) => [a]) : [args];
      for (const g of groups) {
        const slots: (SeccompArg | undefined)[] = [
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
        ];
        for (const a of g) slots[a.index] = a;
        addRule(af, name, direct, act, slots, index);
      }
    }
  });
  c.byArch.set(arch, af);
  return af;
}

function addRule(
  af: ArchFilter,
  name: string,
  nr: number | undefined,
  act: Act,
  slots: (SeccompArg | undefined)[],
  index: number,
): void {
  const mux = MULTIPLEXED[af.arch];
  const sock = SOCKETCALLS[name];
  const ipc = IPCCALLS[name];
  if (mux && (sock !== undefined || ipc !== undefined)) {
    // The multiplexed form keeps the rule's other conditions but its arg0 becomes the call number.
    const muxSlots = [...slots];
    muxSlots[0] = { index: 0, op: 'SCMP_CMP_EQ', value: (sock ?? ipc) as number };
    dbAdd(af, sock !== undefined ? mux.socketcall : mux.ipc, act, muxSlots, index, name);
  }
  if (nr !== undefined) dbAdd(af, nr, act, slots, index, name);
}

function dbAdd(
  af: ArchFilter,
  nr: number,
  act: Act,
  slots: (SeccompArg | undefined)[],
  index: number,
  name: string,
): void {
  const chain = af.bits === 64 ? chain64(slots, act) : chain32(slots, act);
  if (chain !== undefined && ++af.conditional > MAX_CONDITIONAL)
    throw new UserError(
      `seccomp filter has more than ${MAX_CONDITIONAL} conditional rules for ${af.arch}: too large to evaluate (the kernel loads at most ${MAX_CONDITIONAL} BPF instructions)`,
    );
  const entry = af.entries.get(nr);
  if (entry === undefined) {
    af.entries.set(nr, chain === undefined ? { uncond: act } : { tree: chain });
    return;
  }
  // The first unconditional rule for a syscall stands; later rules for it are dropped.
  if (entry.uncond) return;
  if (chain === undefined) {
    entry.tree = undefined;
    entry.uncond = act;
    return;
  }
  const top = chain.nodes[0] as Node;
  // libseccomp first prunes what the new rule makes redundant, and may decide the new rule is.
  const st: PruneState = { flags: 0, action: act.key, entry };
  const removed = prune(entry.tree, top, st, 0);
  if (removed > 0) {
    if (entry.tree === undefined) {
      entry.tree = chain;
      return;
    }
  } else if ((st.flags & F_REDUNDANT) === F_REDUNDANT) return;
  const tree = entry.tree as Level;
  const err = addNode(tree, top);
  if (err) {
    const other = err.rule >= 0 && err.rule !== index ? err.rule : undefined;
    throw new SeccompFilterRejected(
      `syscalls[${index}] (${name}) gives another action than ${other === undefined ? 'an overlapping rule' : `syscalls[${other}]`} for the same arguments: libseccomp refuses it (EEXIST) and runc does not start the container`,
      index,
      other,
    );
  }
}

// ---- libseccomp's pruning before a rule is merged in. It walks the existing tree against the new
// chain, removes existing parts the new rule covers with the same action, and flags the new rule
// as redundant when its last comparison matches an existing leaf, even one with another action or
// reached through other comparisons: such a rule is silently dropped (seen with libseccomp 2.5.4).

const F_MATCH = 0x1;
const F_ONCE = 0x2;
const F_XFIN = 0x10;
const F_NFIN = 0x20;
const F_XPRE = 0x100;
const F_NPRE = 0x200;
const F_SET = F_MATCH | F_ONCE;
const F_REDUNDANT = F_MATCH | F_XFIN | F_NPRE;

interface PruneState {
  flags: number;
  /** The new rule's action. */
  action: string;
  entry: SysEntry;
}

/** Prunes `level` against the new chain node `n`; returns how many nodes it removed. */
function prune(level: Level | undefined, n: Node | undefined, st: PruneState, depth: number): number {
  const sn: PruneState = { ...st };
  const removed = { count: 0 };
  // Running through the whole level without a decision means no match.
  if (pruneScan(level, n, st, sn, removed, depth)) sn.flags &= ~F_MATCH;
  if (sn.flags & F_MATCH) st.flags |= sn.flags;
  else st.flags &= ~F_MATCH;
  return removed.count;
}

/** One level of prune(); false when it stopped early with a decision in `sn`. */
function pruneScan(
  level: Level | undefined,
  n: Node | undefined,
  st: PruneState,
  sn: PruneState,
  removed: { count: number },
  depth: number,
): boolean {
  if (n === undefined || level === undefined || level.nodes.length === 0 || depth > 64) return false;
  if ((st.flags & F_SET) === F_ONCE) return false;
  for (const x of [...level.nodes]) {
    if (removedNodes.has(x)) continue;
    let gone = false;
    if (sameTest(x, n)) {
      sn.flags |= F_SET;
      if (isLeaf(n)) sn.flags |= F_NFIN;
      if (isLeaf(x)) sn.flags |= F_XFIN;
      if ((x.t || x.nt) && !(n.t || n.nt)) return false;
      if ((x.f || x.nf) && !(n.f || n.nf)) return false;
      if (sn.flags & F_NFIN && sn.flags & F_XFIN) {
        if ((n.t?.key ?? '') !== (x.t?.key ?? '')) return false;
        if ((n.f?.key ?? '') !== (x.f?.key ?? '')) return false;
      }
      for (const sub of ['nt', 'nf'] as const) {
        const nSub = n[sub];
        if (nSub === undefined || gone) continue;
        const sx: PruneState = { ...st, flags: st.flags | F_SET };
        removed.count += prune(x[sub], nSub.nodes[0], sx, depth + 1);
        if (sx.flags & F_MATCH) sn.flags |= sx.flags;
        gone = removedNodes.has(x);
      }
      if (gone) continue;
      const same = otherAction(level, st.action) === undefined;
      if (same && sn.flags & F_MATCH && sn.flags & F_NFIN && sn.flags & F_XPRE) {
        removed.count += removeNode(st.entry, x);
        if (st.entry.tree === undefined) return false;
      } else if (same && sn.flags & F_MATCH && sn.flags & F_XFIN && sn.flags & F_NPRE) return false;
      continue;
    }
    // Look one level further down whichever side is "behind" in the ordering.
    const existingFirst = lessThan(x, n);
    if (st.flags & (existingFirst ? F_NPRE : F_XPRE)) return false;
    for (const sub of ['nt', 'nf'] as const) {
      const next = existingFirst ? x[sub] : n[sub];
      if (next === undefined || gone) continue;
      const sx: PruneState = { ...st, flags: (st.flags & ~F_MATCH) | (existingFirst ? F_XPRE : F_NPRE) };
      removed.count += existingFirst
        ? prune(next, n, sx, depth + 1)
        : prune(level, next.nodes[0], sx, depth + 1);
      if (sx.flags & F_MATCH) {
        sn.flags |= sx.flags;
        return false;
      }
      gone = removedNodes.has(x);
    }
  }
  return true;
}

// Nodes unlinked by pruning (a rule being merged may still hold references to them).
const removedNodes = new WeakSet<Node>();

/**
 * Unlinks `target` from the syscall's tree, and any node left without branches or actions on the
 * way down to it; returns the number of nodes removed.
 */
function removeNode(entry: SysEntry, target: Node): number {
  const root = entry.tree;
  if (root === undefined) return 0;
  const cnt = removeIn(root, target, 0);
  if (root.nodes.length === 0) entry.tree = undefined;
  return cnt;
}

function removeIn(level: Level, target: Node, depth: number): number {
  if (depth > 64) return 0;
  let cnt = 0;
  for (const c of [...level.nodes]) {
    if (c !== target) {
      for (const sub of ['nt', 'nf'] as const) {
        const l = c[sub];
        if (l === undefined) continue;
        cnt += removeIn(l, target, depth + 1);
        if (l.nodes.length === 0) c[sub] = undefined;
      }
      const zombie = isLeaf(c) && c.t === undefined && c.f === undefined;
      if (!zombie) {
        if (cnt > 0) return cnt;
        continue;
      }
    }
    level.nodes.splice(level.nodes.indexOf(c), 1);
    return cnt + markRemoved(c, 0);
  }
  return cnt;
}

function markRemoved(n: Node, depth: number): number {
  if (depth > 64 || removedNodes.has(n)) return 0;
  removedNodes.add(n);
  let cnt = 1;
  for (const l of [n.nt, n.nf]) for (const c of l?.nodes ?? []) cnt += markRemoved(c, depth + 1);
  return cnt;
}

interface Cond {
  arg: number;
  op: OrigOp;
  mask: bigint;
  datum: bigint;
}

function condOf(a: SeccompArg): Cond {
  const v = BigInt(a.value) & MASK64;
  if (a.op === 'SCMP_CMP_MASKED_EQ')
    return { arg: a.index, op: a.op, mask: v, datum: BigInt(a.valueTwo ?? 0) & MASK64 };
  return { arg: a.index, op: a.op, mask: MASK64, datum: v };
}

function node(
  arg: number,
  hi: boolean,
  op: Op,
  orig: OrigOp,
  mask: bigint,
  datum: bigint,
  full: bigint,
): Node {
  return { arg, hi, op, orig, mask, datum: datum & mask, full };
}

// Where the rule's action goes: the true or the false branch of the last comparisons.
interface Tail {
  nodes: Node[];
  onTrue: boolean;
}

function link(tail: Tail, next: Level): void {
  for (const n of tail.nodes) {
    if (tail.onTrue) n.nt = next;
    else n.nf = next;
  }
}

function finish(head: Level | undefined, tail: Tail, act: Act): Level | undefined {
  if (head === undefined) return undefined;
  for (const n of tail.nodes) {
    if (tail.onTrue) n.t = act;
    else n.f = act;
  }
  return head;
}

// A 64-bit argument is compared word by word: high word first, then the low word when the high
// words are equal (GT/GE/LT/LE take three comparisons, EQ/NE/MASKED_EQ two).
function chain64(slots: (SeccompArg | undefined)[], act: Act): Level | undefined {
  let head: Level | undefined;
  let tail: Tail = { nodes: [], onTrue: false };
  for (const a of slots) {
    if (a === undefined) continue;
    const c = condOf(a);
    const hiMask = c.mask >> 32n;
    const loMask = c.mask & MASK32;
    if (c.op === 'SCMP_CMP_MASKED_EQ' && hiMask === 0n && loMask === 0n) continue;
    const hiDatum = (c.datum & c.mask) >> 32n;
    const loDatum = c.datum & c.mask & MASK32;
    let first: Node;
    let next: Tail;
    switch (c.op) {
      case 'SCMP_CMP_GT':
      case 'SCMP_CMP_GE':
      case 'SCMP_CMP_LT':
      case 'SCMP_CMP_LE': {
        const above = node(c.arg, true, 'GT', c.op, hiMask, hiDatum, c.datum);
        const same = node(c.arg, true, 'EQ', c.op, hiMask, hiDatum, c.datum);
        const loOp: Op = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_LE' ? 'GT' : 'GE';
        const low = node(c.arg, false, loOp, c.op, loMask, loDatum, c.datum);
        above.nf = { nodes: [same] };
        same.nt = { nodes: [low] };
        first = above;
        next =
          c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_GE'
            ? { nodes: [above, low], onTrue: true }
            : { nodes: [same, low], onTrue: false };
        break;
      }
      default: {
        const op: Op = c.op === 'SCMP_CMP_MASKED_EQ' ? 'MEQ' : 'EQ';
        const hiNode = node(c.arg, true, op, c.op, hiMask, hiDatum, c.datum);
        const loNode = node(c.arg, false, op, c.op, loMask, loDatum, c.datum);
        hiNode.nt = { nodes: [loNode] };
        first = hiNode;
        next =
          c.op === 'SCMP_CMP_NE'
            ? { nodes: [hiNode, loNode], onTrue: false }
            : { nodes: [loNode], onTrue: true };
      }
    }
    const level: Level = { nodes: [first] };
    if (head === undefined) head = level;
    else link(tail, level);
    tail = next;
  }
  return finish(head, tail, act);
}

// A 32-bit architecture sees 32-bit arguments: one comparison of the low word each.
function chain32(slots: (SeccompArg | undefined)[], act: Act): Level | undefined {
  let head: Level | undefined;
  let tail: Tail = { nodes: [], onTrue: false };
  for (const a of slots) {
    if (a === undefined) continue;
    const c = condOf(a);
    if (c.op === 'SCMP_CMP_MASKED_EQ' && (c.mask & MASK32) === 0n) continue;
    let op: Op;
    let onTrue = true;
    switch (c.op) {
      case 'SCMP_CMP_NE':
        op = 'EQ';
        onTrue = false;
        break;
      case 'SCMP_CMP_LT':
        op = 'GE';
        onTrue = false;
        break;
      case 'SCMP_CMP_LE':
        op = 'GT';
        onTrue = false;
        break;
      case 'SCMP_CMP_MASKED_EQ':
        op = 'MEQ';
        break;
      case 'SCMP_CMP_GT':
        op = 'GT';
        break;
      case 'SCMP_CMP_GE':
        op = 'GE';
        break;
      default:
        op = 'EQ';
    }
    // 2.5.4 keeps only the low words: values equal there make the same node.
    const n = node(c.arg, false, op, c.op, c.mask & MASK32, c.datum & MASK32, c.datum);
    const level: Level = { nodes: [n] };
    if (head === undefined) head = level;
    else link(tail, level);
    tail = { nodes: [n], onTrue };
  }
  return finish(head, tail, act);
}

function argPriority(n: Node): number {
  return n.arg * 2 + (n.hi ? 1 : 0);
}

function opPriority(op: OrigOp): number {
  switch (op) {
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      return 2;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      return 1;
    default:
      return 3;
  }
}

function sameTest(a: Node, b: Node): boolean {
  return argPriority(a) === argPriority(b) && a.op === b.op && a.datum === b.datum && a.mask === b.mask;
}

// Siblings are kept in descending order of this relation; a new node goes after its equals.
function lessThan(a: Node, b: Node): boolean {
  const pa = argPriority(a);
  const pb = argPriority(b);
  if (pa !== pb) return pa < pb;
  const oa = opPriority(a.orig);
  const ob = opPriority(b.orig);
  if (oa !== ob) return oa < ob;
  if (a.orig === 'SCMP_CMP_LT' || a.orig === 'SCMP_CMP_LE') return a.datum > b.datum;
  return a.datum < b.datum;
}

function isLeaf(n: Node): boolean {
  return n.nt === undefined && n.nf === undefined;
}

/** The first action in `level` (and below) that differs from `key`, if any. */
function otherAction(level: Level | undefined, key: string, depth = 0): Act | undefined {
  if (level === undefined || depth > 64) return undefined;
  for (const n of level.nodes) {
    if (n.t && n.t.key !== key) return n.t;
    if (n.f && n.f.key !== key) return n.f;
    const below = otherAction(n.nt, key, depth + 1) ?? otherAction(n.nf, key, depth + 1);
    if (below) return below;
  }
  return undefined;
}

/**
 * Merges the new chain starting at `n` into `level`. Returns the action it conflicts with when
 * libseccomp would fail with EEXIST.
 */
function addNode(level: Level, n: Node, depth = 0): Act | undefined {
  if (depth > 64) return undefined;
  const nodes = level.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const x = nodes[i] as Node;
    if (sameTest(x, n)) return mergeNode(x, n, depth);
    if (lessThan(x, n)) {
      nodes.splice(i, 0, n);
      return undefined;
    }
  }
  nodes.push(n);
  return undefined;
}

function mergeNode(x: Node, n: Node, depth: number): Act | undefined {
  for (const side of ['t', 'f'] as const) {
    const nAct = n[side];
    if (nAct === undefined) continue;
    const sub = side === 't' ? 'nt' : 'nf';
    const xAct = x[side];
    if (xAct === undefined) {
      const clash = otherAction(x[sub], nAct.key);
      if (clash) return clash;
      x[sub] = undefined;
      x[side] = nAct;
    } else if (xAct.key !== nAct.key) {
      // Two comparisons of the same high word with different full values. On the true side the
      // larger value takes over; on the false side libseccomp 2.5.4 writes the new node's *true*
      // action over the existing one's (0, KILL_THREAD, when it has none) if the value is smaller.
      if (n.hi && side === 't' && n.full > x.full) x.t = nAct;
      if (n.hi && side === 'f' && n.full < x.full && x.t !== undefined)
        x.t = n.t ?? { key: 'KILL_THREAD', action: 'SCMP_ACT_KILL_THREAD', rule: nAct.rule };
      if (isLeaf(x) || isLeaf(n)) return xAct;
    }
  }
  for (const [sub, side] of [
    ['nt', 't'],
    ['nf', 'f'],
  ] as const) {
    const nSub = n[sub];
    if (nSub === undefined) continue;
    const xSub = x[sub];
    if (xSub !== undefined) {
      for (const child of nSub.nodes) {
        const err = addNode(xSub, child, depth + 1);
        if (err) return err;
      }
    } else if (x[side] === undefined) {
      x[sub] = nSub;
    } else {
      // The existing rule is shorter (more general): the new, longer one adds nothing.
      return undefined;
    }
  }
  return undefined;
}

// ---- evaluation: the BPF program tests siblings in order; a branch without an action falls
// through to the next sibling, and a level that runs out falls back to its parent's next sibling.
// libseccomp 2.5.4 decides at generation time whether a test must reload the accumulator, from
// what the previous sibling (or the parent) loaded; after a fall-through from a deeper level the
// accumulator still holds that level's word, so the next test can compare the wrong word. The
// kernel runs exactly that, so the walk keeps the real accumulator and the generator's belief.

interface AccState {
  /** Which word is loaded: arg * 2 + (high word ? 1 : 0); -1 = the syscall number. */
  word: number;
  mask: bigint;
}

interface Machine {
  args: bigint[];
  bits: 32 | 64;
  acc: bigint;
}

function walk(level: Level, m: Machine, gen: AccState, depth: number): Act | undefined {
  if (depth > 64) return undefined;
  let state: AccState = { ...gen };
  for (const n of level.nodes) {
    state = reload(state, n, m);
    const post = { ...state };
    const ok = compare(n, m.acc);
    const sub = ok ? n.nt : n.nf;
    const act = ok ? n.t : n.f;
    if (sub) {
      const r = walk(sub, m, post, depth + 1);
      if (r) return r;
    } else if (act) return act;
    state = afterNode(n, post, depth);
  }
  return undefined;
}

/** The accumulator belief after a node's load, loading for real when a machine runs it. */
function reload(state: AccState, n: Node, m?: Machine): AccState {
  const word = n.arg * 2 + (n.hi ? 1 : 0);
  const mask = n.mask & MASK32;
  const out = { ...state };
  if (word !== out.word || (mask & out.mask) !== mask) {
    out.word = word;
    out.mask = MASK32;
    if (m) m.acc = load(m, n);
  }
  if (mask !== out.mask) {
    out.mask = mask;
    if (m) m.acc &= mask;
  }
  return out;
}

/**
 * The generator's belief about the accumulator when it emits the sibling after `n`: unchanged when
 * n's true outcome falls straight through to that sibling, otherwise whatever the code it generated
 * for n's true and then false branches last loaded (fuzzing against libseccomp 2.5.4's exported BPF
 * cannot tell this apart from other orders; the observable part is the fall-through rule).
 */
function afterNode(n: Node, post: AccState, depth: number): AccState {
  if (!n.t && !n.nt) return post;
  let s = post;
  if (n.nt) s = generated(n.nt, s, depth + 1);
  if (n.nf) s = generated(n.nf, s, depth + 1);
  return s;
}

/** The generator's accumulator belief after emitting `level` and everything below it. */
function generated(level: Level, start: AccState, depth: number): AccState {
  let state = start;
  if (depth > 64) return state;
  for (const n of level.nodes) {
    state = reload(state, n);
    state = afterNode(n, { ...state }, depth);
  }
  return state;
}

function load(m: Machine, n: Node): bigint {
  const a = m.args[n.arg] ?? 0n;
  if (m.bits === 32) return a & MASK32;
  return n.hi ? (a >> 32n) & MASK32 : a & MASK32;
}

function compare(n: Node, acc: bigint): boolean {
  const k = n.datum & MASK32;
  switch (n.op) {
    case 'GT':
      return acc > k;
    case 'GE':
      return acc >= k;
    default:
      return acc === k;
  }
}

// ---- syscalls newer than libseccomp 2.5.4 (data/syscalls-newer.json), callable by number

interface NewerSyscall {
  name: string;
  linux: string;
  numbers: Partial<Record<SyscallArch, number>>;
}

const NEWER: NewerSyscall[] = (newer as { syscalls: NewerSyscall[] }).syscalls;

/** A syscall libseccomp 2.5.4 does not know, with the Linux version that added it, if `name` is one. */
export function newerSyscall(arch: SyscallArch, name: string): { number: number; linux: string } | undefined {
  for (const s of NEWER) {
    const nr = s.numbers[arch];
    if (s.name === name && nr !== undefined) return { number: nr, linux: s.linux };
  }
  return undefined;
}

/** Every syscall of the newer table, for any architecture (name -> Linux version). */
export function newerSyscallVersions(): Map<string, string> {
  return new Map(NEWER.map((s) => [s.name, s.linux]));
}

function newerSyscallNumber(arch: SyscallArch, name: string): number | undefined {
  return syscallNumber(arch, name) === undefined ? newerSyscall(arch, name)?.number : undefined;
}

function newerSyscallName(arch: SyscallArch, nr: number): string | undefined {
  for (const s of NEWER) if (s.numbers[arch] === nr) return s.name;
  return undefined;
}
