// Classic BPF seccomp programs from OCI seccomp filters, with the verdicts of runc + libseccomp 2.5.4.
//
// What the kernel runs is decided by libseccomp, not by the profile alone. Its semantics below were
// established on this machine (libseccomp 2.5.4, Linux 6.x) by building filters with libseccomp,
// exporting them (seccomp_export_bpf, seccomp_export_pfc) and running syscalls under both programs in
// the kernel; test/seccomp/bpf.test.ts re-checks them (kernel runs and differential fuzzing).
//
// runc's use of libseccomp (runc 1.1 libcontainer/seccomp):
//  - seccomp_init(default) holds the native architecture (the `arch` option); each of `architectures`
//    is added after it (duplicates ignored); another byte order is refused (EDOM).
//  - One rule per name of `names`, in profile order. A rule whose action value equals the default
//    action's is skipped (libseccomp refuses it: EACCES). A name libseccomp does not know is skipped.
//    ERRNO/TRACE without errnoRet use EPERM (1); the data is errnoRet & 0xffff, and libseccomp refuses
//    ERRNO data from 4095 on (EINVAL; as the default action, seccomp_init fails). Several conditions on
//    one argument become one rule each (libseccomp refuses them in one rule: EINVAL); otherwise the
//    conditions of a rule are ANDed.
//  - Not modelled: runc's patchbpf stub answering ENOSYS for syscalls newer than the profile, the
//    filter flags (TSYNC, LOG, SPEC_ALLOW) and the notify listener: none is part of this program.
//
// Architectures:
//  - seccomp_data.arch is compared with each AUDIT_ARCH value (linux/audit.h); any other value gets
//    libseccomp's default bad-arch action, KILL (KILL_THREAD, return value 0).
//  - x86_64 without x32: a number with the x32 bit (>= 0x40000000) gets the bad-arch action, except
//    0xffffffff (nr -1, used by tracers to skip a call) which gets the default action. x32 without
//    x86_64: numbers below 0x40000000 get the bad-arch action. Both: one block dispatches both
//    numberings (x32 numbers carry the bit).
//  - 32-bit architectures (x86, x32, arm) test only the low 32 bits of an argument against the low 32
//    bits of the value and mask; 64-bit ones test both halves (below).
//  - x86, ppc64le and s390x multiplex the socket and SysV IPC calls: a rule on socket..sendmmsg or
//    semop..shmctl also becomes a rule on socketcall/ipc with arg0 == the call number, replacing any
//    condition on arg0 and keeping the others (which then test socketcall's own arguments); the
//    direct syscall keeps the rule where the architecture has one.
//  - A name is resolved on the native architecture and carried by name to the others; a name without
//    a number on an architecture adds no code there (libseccomp keeps a pseudo syscall, which can
//    still make a later rule conflict). Its pseudo numbers give sys_debug_setcontext and switch_endian
//    the same value: off a native ppc64le the first stands for the second.
//
// Several rules on one syscall (libseccomp's per-syscall decision tree):
//  - A rule without conditions is final: it replaces the conditional rules before it, and later rules
//    on the syscall are dropped whatever their action. A MASKED_EQ with a zero mask (on a 32-bit
//    architecture: a zero low half) is no condition.
//  - A condition becomes 32-bit word tests, argument by argument in index order: EQ/MASKED_EQ/NE test
//    hi == then lo == (NE accepts when either differs; MASKED_EQ masks the word and the value);
//    GT/GE/LT/LE test hi > then hi == then lo > (GT, LE) or lo >= (GE, LT).
//  - The rules of a syscall merge test by test into a tree. Equal tests (argument, half, operation,
//    value, mask) share a node. Siblings are ordered by argument index (highest first), high half
//    first, EQ/NE/MASKED_EQ before LT/LE before GT/GE, then value (larger first; smaller first for
//    LT/LE), then insertion order. Siblings are tried in order and the first path reaching an action
//    decides; a path ending without one falls back to the next sibling of the level above, finally to
//    the default action.
//  - Where a shorter rule and a longer one share a prefix, the shorter one's action ends the path
//    when it came first (the longer is dropped); when it comes later it replaces the longer rules'
//    subtree if all their actions are its own, and is refused (EEXIST) otherwise. Identical tests with
//    different actions are refused (EEXIST). Overlapping GT/GE rules with different actions on equal
//    high words: the larger value wins. A refused rule makes runc fail the container; here it is a
//    UserError.
//
// libseccomp 2.5.4's BPF generator does not always implement that tree (its BPF and its own PFC
// export disagree): (1) a test may skip reloading its argument word when libseccomp assumes the
// accumulator still holds it, though a jump from a subtree arrives with another word; (2) outside the
// x86_64/x32 range check, the load of the syscall number rides on the first syscall of its priority
// order and is lost when that one is a pseudo syscall, so the block compares the arch value with
// syscall numbers. Whether (1) bites depends on its block layout. This program implements the tree
// (differential tests find no difference with libseccomp's PFC); CompileResult.libseccompDivergence
// names where libseccomp's own program may differ. Elsewhere verdicts match libseccomp's program.
//
// The layout is drydock's own (verdicts, not bytes, match): arch checks, per architecture chunks of
// syscall checks each followed by the decision blocks it needs (identical blocks shared, loads skipped
// when every jump arrives with the word loaded) and nearby returns; conditional jumps past 255 go
// through BPF_JA. Programs over BPF_MAXINSNS (4096) are refused, as the kernel refuses them.

import { UserError } from '../errors.js';
import { clip, show } from '../util/text.js';
import {
  type OciSeccomp,
  SECCOMP_ACTIONS,
  SECCOMP_OPERATORS,
  type SeccompAction,
  type SeccompOperator,
} from './resolve.js';
import {
  IPCCALLS,
  SOCKETCALLS,
  SYSCALL_ARCHES,
  type SyscallArch,
  syscallArch,
  syscallNumber,
} from './syscalls.js';

/** One classic BPF instruction (struct sock_filter, linux/filter.h). */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** The kernel's limit on a classic BPF program (linux/bpf_common.h). */
export const BPF_MAXINSNS = 4096;

// Instruction classes, sizes, modes and operations of linux/bpf_common.h.
export const BPF = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  MISC: 0x07,
  W: 0x00,
  IMM: 0x00,
  ABS: 0x20,
  MEM: 0x60,
  LEN: 0x80,
  K: 0x00,
  X: 0x08,
  A: 0x10,
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  TAX: 0x00,
  TXA: 0x80,
} as const;

const LD_ABS = BPF.LD | BPF.W | BPF.ABS;
const RET_K = BPF.RET | BPF.K;
const JA = BPF.JMP | BPF.JA;
const JEQ_K = BPF.JMP | BPF.JEQ | BPF.K;
const JGT_K = BPF.JMP | BPF.JGT | BPF.K;
const JGE_K = BPF.JMP | BPF.JGE | BPF.K;
const AND_K = BPF.ALU | BPF.AND | BPF.K;

/** Offsets in struct seccomp_data. */
export const SECCOMP_DATA = { nr: 0, arch: 4, instructionPointer: 8, args: 16, size: 64 } as const;

/** Return values of a seccomp filter (linux/seccomp.h); the low 16 bits carry data. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;

export type Endian = 'little' | 'big';

interface ArchInfo {
  /** AUDIT_ARCH_* of linux/audit.h: what seccomp_data.arch holds. */
  audit: number;
  bits: 32 | 64;
  endian: Endian;
  /** socketcall and ipc numbers where libseccomp multiplexes those calls. */
  mux?: { socketcall: number; ipc: number };
}

const ARCH_INFO: Record<SyscallArch, ArchInfo> = {
  x86_64: { audit: 0xc000003e, bits: 64, endian: 'little' },
  x86: { audit: 0x40000003, bits: 32, endian: 'little', mux: { socketcall: 102, ipc: 117 } },
  // x32 shares x86_64's AUDIT_ARCH; its syscall numbers carry X32_SYSCALL_BIT.
  x32: { audit: 0xc000003e, bits: 32, endian: 'little' },
  aarch64: { audit: 0xc00000b7, bits: 64, endian: 'little' },
  arm: { audit: 0x40000028, bits: 32, endian: 'little' },
  riscv64: { audit: 0xc00000f3, bits: 64, endian: 'little' },
  ppc64le: { audit: 0xc0000015, bits: 64, endian: 'little', mux: { socketcall: 102, ipc: 117 } },
  s390x: { audit: 0x80000016, bits: 64, endian: 'big', mux: { socketcall: 102, ipc: 117 } },
};

/** AUDIT_ARCH value per architecture (x32 shares x86_64's). */
export const AUDIT_ARCH: Readonly<Record<SyscallArch, number>> = Object.fromEntries(
  SYSCALL_ARCHES.map((a) => [a, ARCH_INFO[a].audit]),
) as Record<SyscallArch, number>;

// Names with the same libseccomp pseudo syscall number: off their native architecture the first
// resolves as the second (libseccomp maps the number back to the first name in its table).
const PSEUDO_ALIASES: Record<string, string> = { sys_debug_setcontext: 'switch_endian' };

/** The byte order of a native architecture's programs (what a .bin file for it holds). */
export function bpfEndian(arch: string): Endian {
  const a = syscallArch(arch);
  return a === undefined ? 'little' : ARCH_INFO[a].endian;
}

/** The filter return value runc gives an OCI action (EPERM when ERRNO/TRACE has no errnoRet). */
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  const data = ((errnoRet ?? EPERM) & 0xffff) >>> 0;
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET.ERRNO | data) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET.TRACE | data) >>> 0;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET.LOG;
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_NOTIFY':
      return SECCOMP_RET.USER_NOTIF;
  }
}

/** A filter return value in words: ALLOW, ERRNO(1), TRACE(7), KILL_PROCESS... */
export function describeAction(ret: number): string {
  const r = ret >>> 0;
  const action = (r & 0xffff0000) >>> 0;
  const data = r & 0xffff;
  if ((r & 0x80000000) !== 0 && action === SECCOMP_RET.KILL_PROCESS) return 'KILL_PROCESS';
  switch (action) {
    case SECCOMP_RET.KILL_THREAD:
      return data === 0 ? 'KILL_THREAD' : `KILL_THREAD(${data})`;
    case SECCOMP_RET.TRAP:
      return data === 0 ? 'TRAP' : `TRAP(${data})`;
    case SECCOMP_RET.ERRNO:
      return `ERRNO(${data})`;
    case SECCOMP_RET.USER_NOTIF:
      return 'USER_NOTIF';
    case SECCOMP_RET.TRACE:
      return `TRACE(${data})`;
    case SECCOMP_RET.LOG:
      return 'LOG';
    case SECCOMP_RET.ALLOW:
      return 'ALLOW';
  }
  // The kernel treats unknown actions as KILL_PROCESS.
  return `0x${hex8(r)}`;
}

// ---------------------------------------------------------------------------------------------------
// libseccomp's per-syscall decision tree

type Side = 't' | 'f';
type WordOp = 'eq' | 'gt' | 'ge' | 'masked';

/** One 32-bit word test; `prev`/`next` link the siblings of its level. */
interface TreeNode {
  arg: number;
  hi: boolean;
  offset: number;
  op: WordOp;
  /** The profile's operator, which orders siblings. */
  origOp: SeccompOperator;
  mask: number;
  datum: number;
  /** The rule's whole 64-bit value: libseccomp's tie-break between conflicting GT/GE rules. */
  full: bigint;
  tAct: number | undefined;
  fAct: number | undefined;
  tNext: TreeNode | undefined;
  fNext: TreeNode | undefined;
  prev: TreeNode | undefined;
  next: TreeNode | undefined;
}

interface Cond {
  arg: number;
  op: SeccompOperator;
  a: bigint;
  b: bigint;
}

/** A syscall's rules on one architecture; `chains` undefined = one unconditional action. */
interface SyscallEntry {
  name: string;
  nr: number | undefined;
  action: number;
  chains: TreeNode | undefined;
}

class Conflict extends Error {}

const MAX64 = (1n << 64n) - 1n;
const lo32 = (v: bigint): number => Number(v & 0xffffffffn);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

function newNode(
  arg: number,
  hi: boolean,
  offset: number,
  op: WordOp,
  origOp: SeccompOperator,
  mask: number,
  datum: number,
  full: bigint,
): TreeNode {
  return {
    arg,
    hi,
    offset,
    op,
    origOp,
    mask: mask >>> 0,
    datum: (datum & mask) >>> 0,
    full,
    tAct: undefined,
    fAct: undefined,
    tNext: undefined,
    fNext: undefined,
    prev: undefined,
    next: undefined,
  };
}

function setNext(n: TreeNode, side: Side, to: TreeNode): void {
  if (side === 't') n.tNext = to;
  else n.fNext = to;
}

function argOffsets(info: ArchInfo, arg: number): { lo: number; hi: number } {
  const base = SECCOMP_DATA.args + 8 * arg;
  return info.endian === 'little' ? { lo: base, hi: base + 4 } : { lo: base + 4, hi: base };
}

/**
 * The word tests of one rule, linked in argument order; undefined when no condition remains (the
 * rule is unconditional). Returns the number of nodes too, for the size bound.
 */
function buildChain(
  conds: Cond[],
  action: number,
  info: ArchInfo,
): { head: TreeNode | undefined; count: number } {
  let head: TreeNode | undefined;
  let count = 0;
  // The branches that accept every condition so far; they lead to the next one or to the action.
  let open: Array<[TreeNode, Side]> = [];
  const start = (first: TreeNode): void => {
    for (const [n, s] of open) setNext(n, s, first);
    head ??= first;
  };
  for (let arg = 0; arg < 6; arg++) {
    const c = conds.find((x) => x.arg === arg);
    if (!c) continue;
    const masked = c.op === 'SCMP_CMP_MASKED_EQ';
    const mask = masked ? c.a : MAX64;
    const datum = masked ? c.b : c.a;
    const off = argOffsets(info, arg);
    if (info.bits === 32) {
      const m = lo32(mask);
      if (masked && m === 0) continue;
      const [op, side] = WORD32[c.op];
      const n = newNode(arg, false, off.lo, op, c.op, m, lo32(datum), datum);
      count += 1;
      start(n);
      open = [[n, side]];
      continue;
    }
    if (masked && mask === 0n) continue;
    if (c.op === 'SCMP_CMP_EQ' || c.op === 'SCMP_CMP_NE' || masked) {
      const op: WordOp = masked ? 'masked' : 'eq';
      const h = newNode(arg, true, off.hi, op, c.op, hi32(mask), hi32(datum), datum);
      const l = newNode(arg, false, off.lo, op, c.op, lo32(mask), lo32(datum), datum);
      h.tNext = l;
      count += 2;
      start(h);
      open =
        c.op === 'SCMP_CMP_NE'
          ? [
              [h, 'f'],
              [l, 'f'],
            ]
          : [[l, 't']];
      continue;
    }
    // GT/GE/LT/LE: hi > value.hi decides alone; on equal high words the low words decide.
    const above = newNode(arg, true, off.hi, 'gt', c.op, 0xffffffff, hi32(datum), datum);
    const same = newNode(arg, true, off.hi, 'eq', c.op, 0xffffffff, hi32(datum), datum);
    const lowOp: WordOp = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_LE' ? 'gt' : 'ge';
    const low = newNode(arg, false, off.lo, lowOp, c.op, 0xffffffff, lo32(datum), datum);
    above.fNext = same;
    same.tNext = low;
    count += 3;
    start(above);
    open =
      c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_GE'
        ? [
            [above, 't'],
            [low, 't'],
          ]
        : [
            [same, 'f'],
            [low, 'f'],
          ];
  }
  if (!head) return { head: undefined, count: 0 };
  for (const [n, s] of open) {
    if (s === 't') n.tAct = action;
    else n.fAct = action;
  }
  return { head, count };
}

// 32-bit architectures: one test per condition; NE/LT/LE accept on the false branch.
const WORD32: Record<SeccompOperator, [WordOp, Side]> = {
  SCMP_CMP_EQ: ['eq', 't'],
  SCMP_CMP_NE: ['eq', 'f'],
  SCMP_CMP_GT: ['gt', 't'],
  SCMP_CMP_GE: ['ge', 't'],
  SCMP_CMP_LT: ['ge', 'f'],
  SCMP_CMP_LE: ['gt', 'f'],
  SCMP_CMP_MASKED_EQ: ['masked', 't'],
};

function sameTest(a: TreeNode, b: TreeNode): boolean {
  return a.arg === b.arg && a.hi === b.hi && a.op === b.op && a.datum === b.datum && a.mask === b.mask;
}

function opRank(op: SeccompOperator): number {
  switch (op) {
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE':
    case 'SCMP_CMP_MASKED_EQ':
      return 3;
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      return 2;
    default:
      return 1;
  }
}

/** True when sibling `a` ranks below `b` (b is tried first). */
function ranksBelow(a: TreeNode, b: TreeNode): boolean {
  const pa = a.arg * 2 + (a.hi ? 1 : 0);
  const pb = b.arg * 2 + (b.hi ? 1 : 0);
  if (pa !== pb) return pa < pb;
  const oa = opRank(a.origOp);
  const ob = opRank(b.origOp);
  if (oa !== ob) return oa < ob;
  if (a.origOp === 'SCMP_CMP_LT' || a.origOp === 'SCMP_CMP_LE') return a.datum > b.datum;
  return a.datum < b.datum;
}

function levelHead(n: TreeNode): TreeNode {
  let h = n;
  for (let guard = 0; h.prev && guard < 1e6; guard++) h = h.prev;
  return h;
}

function isLeaf(n: TreeNode): boolean {
  return !n.tNext && !n.fNext;
}

/** Whether every action in the level of `n` and below it is `act` (true for no tree). */
function onlyAction(n: TreeNode | undefined, act: number, seen = new Set<TreeNode>()): boolean {
  if (!n) return true;
  for (let x: TreeNode | undefined = levelHead(n); x; x = x.next) {
    if (seen.has(x)) continue;
    seen.add(x);
    if (x.tAct !== undefined && x.tAct !== act) return false;
    if (x.fAct !== undefined && x.fAct !== act) return false;
    if (!onlyAction(x.tNext, act, seen) || !onlyAction(x.fNext, act, seen)) return false;
  }
  return true;
}

interface Ref {
  get(): TreeNode | undefined;
  set(n: TreeNode): void;
}

function branch(x: TreeNode, side: Side): Ref {
  return side === 't'
    ? { get: () => x.tNext, set: (n) => (x.tNext = n) }
    : { get: () => x.fNext, set: (n) => (x.fNext = n) };
}

/**
 * Merges the new rule's node `n` (and what hangs below it) into the level `ref` points into, scanning
 * from that node on as libseccomp does.
 */
function mergeLevel(ref: Ref, n: TreeNode, budget: Budget): void {
  let x = ref.get() as TreeNode;
  for (;;) {
    budget.step();
    if (sameTest(x, n)) {
      mergeNode(x, n, budget);
      return;
    }
    if (!ranksBelow(x, n)) {
      if (!x.next) {
        n.prev = x;
        x.next = n;
        return;
      }
      x = x.next;
      continue;
    }
    if (x.prev) x.prev.next = n;
    n.prev = x.prev;
    n.next = x;
    x.prev = n;
    if (ref.get() === x) ref.set(n);
    return;
  }
}

function mergeNode(x: TreeNode, n: TreeNode, budget: Budget): void {
  if (n.tAct !== undefined) {
    if (x.tAct === undefined) {
      if (!onlyAction(x.tNext, n.tAct)) throw new Conflict();
      x.tNext = undefined;
      x.tAct = n.tAct;
    } else if (n.tAct !== x.tAct) {
      if (n.hi && n.full > x.full) x.tAct = n.tAct;
      if (isLeaf(x) || isLeaf(n)) throw new Conflict();
    }
  }
  if (n.fAct !== undefined) {
    if (x.fAct === undefined) {
      if (!onlyAction(x.fNext, n.fAct)) throw new Conflict();
      x.fNext = undefined;
      x.fAct = n.fAct;
    } else if (n.fAct !== x.fAct) {
      // libseccomp copies the true action here (for LT/LE); no chain has a high-word test with
      // actions on both branches, so this never changes a verdict, but it is kept faithful.
      if (n.hi && n.full < x.full && x.tAct !== undefined) x.tAct = n.tAct ?? SECCOMP_RET.KILL_THREAD;
      if (isLeaf(x) || isLeaf(n)) throw new Conflict();
    }
  }
  for (const side of ['t', 'f'] as const) {
    const nNext = side === 't' ? n.tNext : n.fNext;
    if (!nNext) continue;
    const xNext = side === 't' ? x.tNext : x.fNext;
    const xAct = side === 't' ? x.tAct : x.fAct;
    if (xNext) mergeLevel(branch(x, side), nNext, budget);
    else if (xAct === undefined) setNext(x, side, nNext);
    // The existing rule is shorter: it decides, and libseccomp stops merging this node here.
    else return;
  }
}

/** Adds one rule to a syscall's entry (libseccomp db_rule_add). */
function addToEntry(
  db: ArchDb,
  name: string,
  nr: number | undefined,
  conds: Cond[],
  action: number,
  budget: Budget,
): void {
  const chain = buildChain(conds, action, db.info);
  const key = nr === undefined ? `p:${name}` : `n:${nr}`;
  const e = db.entries.get(key);
  if (!e) {
    db.entries.set(key, { name, nr, action, chains: chain.head });
    budget.attached(chain.count);
    return;
  }
  // An unconditional rule already decides this syscall.
  if (!e.chains) return;
  if (!chain.head) {
    e.chains = undefined;
    e.action = action;
    return;
  }
  const top: Ref = { get: () => e.chains, set: (n) => (e.chains = n) };
  mergeLevel(top, chain.head, budget);
  budget.attached(chain.count);
}

/**
 * Bounds the work on hostile profiles: merge steps, and the word tests the trees keep (far more than
 * any loadable program holds; identical subtrees share instructions, so the exact bound is checked on
 * the program).
 */
class Budget {
  private steps = 0;
  private pending = 0;
  private recountAt = 8192;
  constructor(
    private readonly fail: (what: string) => never,
    private readonly live: () => number,
  ) {}
  step(): void {
    if (++this.steps > MAX_MERGE_STEPS) this.fail('the rules are too many to merge');
  }
  attached(n: number): void {
    this.pending += n;
    if (this.pending <= this.recountAt) return;
    // Merged and replaced nodes are not live any more; count what the trees still hold.
    const live = this.live();
    if (live > MAX_TREE_NODES) this.fail(`the rules need more than ${MAX_TREE_NODES} argument tests`);
    this.pending = live;
    this.recountAt = Math.max(2 * live, 8192);
  }
}

const MAX_MERGE_STEPS = 100_000_000;
const MAX_TREE_NODES = 32_768;

/** Nodes reachable in the trees of all syscalls. */
function liveNodes(dbs: ArchDb[]): number {
  const seen = new Set<TreeNode>();
  const stack: TreeNode[] = [];
  for (const db of dbs) for (const e of db.entries.values()) if (e.chains) stack.push(e.chains);
  while (stack.length > 0) {
    const n = stack.pop() as TreeNode;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const x of [n.prev, n.next, n.tNext, n.fNext]) if (x && !seen.has(x)) stack.push(x);
  }
  return seen.size;
}

// ---------------------------------------------------------------------------------------------------
// Rules per architecture

export interface CompileOptions {
  /** The native architecture runc runs on (amd64, x86_64, arm64, SCMP_ARCH_AARCH64...). */
  arch: string;
  /** Prefix of error messages (the file the profile came from). */
  where?: string;
}

export interface CompileResult {
  program: SockFilter[];
  /** Byte order of the program's words (the native architecture's). */
  endian: Endian;
  /** The architectures in the filter, native first. */
  arches: SyscallArch[];
  /** Syscall names libseccomp does not know, skipped as runc does. */
  unknownNames: string[];
  /** Per architecture, names the profile uses that have no syscall there (they add no code). */
  absentNames: Partial<Record<SyscallArch, string[]>>;
  /** Rules skipped because their action is the default action (runc). */
  defaultActionRules: number;
  /**
   * Where libseccomp 2.5.4's own program may disagree with its rules (and so with this program),
   * from two bugs of its generator: a test that reuses a stale argument word (per syscall), and an
   * architecture block that compares syscall numbers without loading them (whole architecture).
   * Over-approximate: libseccomp's block layout often happens to avoid them.
   */
  libseccompDivergence: LibseccompDivergence[];
}

export interface LibseccompDivergence {
  arch: SyscallArch;
  /** The syscall, or undefined for the whole architecture. */
  nr?: number;
  reason: 'stale-argument-word' | 'unloaded-syscall-number';
}

function knownName(name: string): boolean {
  return (
    Object.hasOwn(SOCKETCALLS, name) ||
    Object.hasOwn(IPCCALLS, name) ||
    SYSCALL_ARCHES.some((a) => syscallNumber(a, name) !== undefined)
  );
}

interface ArchDb {
  arch: SyscallArch;
  info: ArchInfo;
  entries: Map<string, SyscallEntry>;
}

/** Adds one libseccomp rule to every architecture of the filter (all or nothing, as libseccomp). */
function addRule(
  dbs: ArchDb[],
  native: SyscallArch,
  name: string,
  action: number,
  conds: Cond[],
  budget: Budget,
  absent: Map<SyscallArch, Set<string>>,
): void {
  const nativeReal = syscallNumber(native, name) !== undefined;
  for (const db of dbs) {
    const target =
      db.arch !== native && !nativeReal && Object.hasOwn(PSEUDO_ALIASES, name)
        ? (PSEUDO_ALIASES[name] as string)
        : name;
    const nr = syscallNumber(db.arch, target);
    if (nr === undefined) {
      const set = absent.get(db.arch) ?? new Set<string>();
      set.add(name);
      absent.set(db.arch, set);
    }
    const mux = db.info.mux;
    const sock = Object.hasOwn(SOCKETCALLS, target);
    const muxed = mux !== undefined && (sock || Object.hasOwn(IPCCALLS, target));
    // Without a number the rule still lands in libseccomp's tree for the pseudo syscall (where it can
    // conflict with another rule) but never in the program; multiplexing architectures keep only the
    // multiplexed names' pseudo syscalls.
    if (nr !== undefined || mux === undefined || muxed) addToEntry(db, target, nr, conds, action, budget);
    if (!muxed || !mux) continue;
    const call = (sock ? SOCKETCALLS[target] : IPCCALLS[target]) as number;
    const via = sock ? mux.socketcall : mux.ipc;
    const muxConds: Cond[] = [
      { arg: 0, op: 'SCMP_CMP_EQ', a: BigInt(call), b: 0n },
      ...conds.filter((c) => c.arg !== 0),
    ];
    addToEntry(db, sock ? 'socketcall' : 'ipc', via, muxConds, action, budget);
  }
}

/** Compiles an OCI seccomp filter to the classic BPF program runc would load (see the header). */
export function compileFilter(filter: OciSeccomp, opts: CompileOptions): SockFilter[] {
  return compileSeccomp(filter, opts).program;
}

export function compileSeccomp(filter: OciSeccomp, opts: CompileOptions): CompileResult {
  const where = opts.where ?? 'seccomp filter';
  const fail = (what: string): never => {
    throw new UserError(`${where}: ${what}`);
  };
  const native = syscallArch(opts.arch);
  if (native === undefined)
    fail(`no syscall table for architecture "${clip(opts.arch)}" (known: ${SYSCALL_ARCHES.join(', ')})`);
  const nativeArch = native as SyscallArch;
  const arches: SyscallArch[] = [nativeArch];
  for (const a of filter.architectures ?? []) {
    const s = syscallArch(a);
    if (s === undefined) fail(`architecture ${clip(String(a))} has no syscall table in drydock`);
    const sa = s as SyscallArch;
    if (ARCH_INFO[sa].endian !== ARCH_INFO[nativeArch].endian)
      fail(`${a} and the native ${nativeArch} differ in byte order (libseccomp refuses to mix them)`);
    if (!arches.includes(sa)) arches.push(sa);
  }
  const defaultAction = checkedAction(
    filter.defaultAction,
    filter.defaultErrnoRet,
    `${where}: defaultAction`,
  );
  if (!libseccompAccepts(defaultAction))
    fail(
      `defaultAction ${describeAction(defaultAction)}: libseccomp refuses errno values from 4095 on (runc fails)`,
    );
  const dbs: ArchDb[] = arches.map((arch) => ({ arch, info: ARCH_INFO[arch], entries: new Map() }));
  const budget = new Budget(fail, () => liveNodes(dbs));
  const unknown = new Set<string>();
  const absent = new Map<SyscallArch, Set<string>>();
  let defaultRules = 0;
  const rules = Array.isArray(filter.syscalls) ? filter.syscalls : [];
  rules.forEach((rule, i) => {
    const w = `syscalls[${i}]`;
    const action = checkedAction(rule.action, rule.errnoRet, `${where}: ${w}`);
    const conds = (rule.args ?? []).map((a, j) => checkedCond(a, `${where}: ${w}.args[${j}]`));
    const perArg = new Set(conds.map((c) => c.arg));
    // runc adds each condition as a rule of its own when two of them test one argument.
    const groups = perArg.size < conds.length ? conds.map((c) => [c]) : [conds];
    for (const name of rule.names ?? []) {
      budget.step();
      if (action === defaultAction) {
        defaultRules++;
        continue;
      }
      if (typeof name !== 'string' || !knownName(name)) {
        unknown.add(String(name));
        continue;
      }
      if (!libseccompAccepts(action))
        fail(
          `${w} (${name}): libseccomp refuses ${describeAction(action)}: errno values from 4095 on are invalid (runc fails)`,
        );
      for (const g of groups) {
        try {
          addRule(dbs, nativeArch, name, action, g, budget, absent);
        } catch (e) {
          if (!(e instanceof Conflict)) throw e;
          fail(
            `${w} (${name}, ${describeAction(action)}) conflicts with an earlier rule testing the same ` +
              'arguments with another action; libseccomp refuses it (EEXIST) and runc fails',
          );
        }
      }
    }
  });
  const program = generate(dbs, defaultAction, fail);
  const divergence: LibseccompDivergence[] = [];
  for (const block of archBlocks(dbs)) {
    const entries = block.flatMap((db) => [...db.entries.values()]);
    const real = entries.filter((e) => e.nr !== undefined);
    // Established by exporting libseccomp's programs: unless an x32 range check loads it (x86_64 or
    // x32 alone), the syscall number is loaded with the first syscall of libseccomp's priority
    // order, and lost when that one is a pseudo syscall (no number on the architecture).
    const checked = block.length === 1 && (block[0]?.arch === 'x86_64' || block[0]?.arch === 'x32');
    if (!checked && real.length > 0 && real.every((e) => e.chains) && real.length < entries.length)
      for (const db of block) divergence.push({ arch: db.arch, reason: 'unloaded-syscall-number' });
    for (const db of block)
      for (const e of db.entries.values())
        if (e.chains && e.nr !== undefined && libseccompStaleWordRisk(e.chains))
          divergence.push({ arch: db.arch, nr: e.nr, reason: 'stale-argument-word' });
  }
  const absentNames: Partial<Record<SyscallArch, string[]>> = {};
  for (const [a, s] of absent) absentNames[a] = [...s].sort();
  return {
    program,
    endian: ARCH_INFO[nativeArch].endian,
    arches,
    unknownNames: [...unknown].sort(),
    absentNames,
    defaultActionRules: defaultRules,
    libseccompDivergence: divergence,
  };
}

const ACTIONS = new Set<string>(SECCOMP_ACTIONS);
const OPERATORS = new Set<string>(SECCOMP_OPERATORS);

function checkedAction(action: unknown, errnoRet: unknown, w: string): number {
  if (typeof action !== 'string' || !ACTIONS.has(action))
    throw new UserError(`${w}: unknown action ${show(action)}`);
  if (errnoRet !== undefined && errnoRet !== null && !isUint(errnoRet, 0xffffffff))
    throw new UserError(`${w}: errnoRet must be an integer from 0 to 4294967295`);
  return actionValue(action as SeccompAction, (errnoRet ?? undefined) as number | undefined);
}

function checkedCond(a: unknown, w: string): Cond {
  if (typeof a !== 'object' || a === null) throw new UserError(`${w} must be an object`);
  const r = a as Record<string, unknown>;
  if (!isUint(r.index, 5)) throw new UserError(`${w}.index must be an argument number from 0 to 5`);
  if (typeof r.op !== 'string' || !OPERATORS.has(r.op))
    throw new UserError(`${w}: unknown operator ${show(r.op)}`);
  const value = r.value ?? 0;
  const two = r.valueTwo ?? 0;
  // Past 2^53 a JSON number no longer holds the value the profile wrote.
  if (!isUint(value, Number.MAX_SAFE_INTEGER))
    throw new UserError(`${w}.value must be an integer from 0 to 2^53-1`);
  if (!isUint(two, Number.MAX_SAFE_INTEGER))
    throw new UserError(`${w}.valueTwo must be an integer from 0 to 2^53-1`);
  return {
    arg: r.index as number,
    op: r.op as SeccompOperator,
    a: BigInt(value as number),
    b: BigInt(two as number),
  };
}

/** libseccomp refuses SCMP_ACT_ERRNO with data >= MAX_ERRNO (4095) (checked with libseccomp 2.5.4). */
function libseccompAccepts(action: number): boolean {
  return (action & 0xffff0000) >>> 0 !== SECCOMP_RET.ERRNO || (action & 0xffff) < 4095;
}

function isUint(v: unknown, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

/**
 * Whether libseccomp 2.5.4's generator would let a test reuse the accumulator across a jump that
 * arrives holding another word. It skips the load of a node whose word its running state says is
 * already loaded: the state after the previous sibling (for the first node of a level: the state
 * before its parent's test). A sibling is also reached when a subtree of an earlier sibling runs out,
 * with that subtree's last word in the accumulator; whether libseccomp then reloads depends on where
 * its layout puts the block. drydock always loads, so only such syscalls can differ from libseccomp.
 */
function libseccompStaleWordRisk(top: TreeNode): boolean {
  interface Acc {
    off: number;
    mask: number;
  }
  interface LBlock {
    node: TreeNode;
    cont: LBlock | undefined;
    accIn: Acc;
    load: boolean;
    accStart: Acc;
    accEnd: Acc;
  }
  const undef: Acc = { off: -1, mask: 0xffffffff };
  const ids = new Map<TreeNode, number>();
  const contIds = new Map<LBlock | undefined, number>([[undefined, 0]]);
  const memo = new Map<string, LBlock>();
  const queue: LBlock[] = [];
  const get = (node: TreeNode, cont: LBlock | undefined, accIn: Acc): LBlock => {
    let id = ids.get(node);
    if (id === undefined) {
      id = ids.size;
      ids.set(node, id);
    }
    const key = `${id}/${contIds.get(cont)}/${accIn.off}/${accIn.mask}`;
    let b = memo.get(key);
    if (!b) {
      const load = node.offset !== accIn.off || (node.mask & accIn.mask) >>> 0 !== node.mask;
      b = {
        node,
        cont,
        accIn,
        load,
        accStart: load ? undef : accIn,
        accEnd: { off: node.offset, mask: node.mask },
      };
      memo.set(key, b);
      contIds.set(b, contIds.size);
      queue.push(b);
    }
    return b;
  };
  get(levelHead(top), undefined, { off: SECCOMP_DATA.nr, mask: 0xffffffff });
  for (let i = 0; i < queue.length; i++) {
    // Past this many blocks libseccomp's program would not load anyway; stop looking.
    if (i > BPF_MAXINSNS * 4) return true;
    const b = queue[i] as LBlock;
    const n = b.node;
    const sibling = n.next ? get(n.next, b.cont, b.accEnd) : b.cont;
    for (const [act, next] of [
      [n.tAct, n.tNext],
      [n.fAct, n.fNext],
    ] as const) {
      if (act !== undefined) continue;
      const to = next ? get(levelHead(next), sibling, b.accStart) : sibling;
      if (to && !to.load && (to.accIn.off !== b.accEnd.off || to.accIn.mask !== b.accEnd.mask)) return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Code generation

/** An instruction whose jump targets are labels, resolved by layout(). No label: the next one. */
interface Ins {
  code: number;
  k: number;
  t?: Label;
  f?: Label;
}
interface Label {
  at?: Ins;
}

/** A straight run of instructions; labels bind to the next instruction added. */
class Code {
  readonly ins: Ins[] = [];
  private pending: Label[] = [];
  constructor(private readonly fail: (what: string) => never) {}
  label(l: Label): void {
    this.pending.push(l);
  }
  add(code: number, k: number, t?: Label, f?: Label): void {
    const i: Ins = { code, k: k >>> 0 };
    if (t) i.t = t;
    if (f) i.f = f;
    for (const l of this.pending) l.at = i;
    this.pending = [];
    this.ins.push(i);
    if (this.ins.length > BPF_MAXINSNS) this.fail(TOO_BIG);
  }
  append(other: Code): void {
    for (const i of other.ins) {
      for (const l of this.pending) l.at = i;
      this.pending = [];
      this.ins.push(i);
    }
    if (this.ins.length > BPF_MAXINSNS) this.fail(TOO_BIG);
  }
}

const TOO_BIG = `the program needs more than ${BPF_MAXINSNS} instructions (the kernel's BPF_MAXINSNS)`;

// A dispatch chunk's checks, its return island and its syscall bodies stay within a short jump.
const CHUNK_BUDGET = 240;

/** The architectures grouped as the program checks them: x32 and x86_64 share an AUDIT_ARCH. */
function archBlocks(dbs: ArchDb[]): ArchDb[][] {
  const blocks: ArchDb[][] = [];
  for (const db of dbs) {
    const b = blocks.find((x) => (x[0] as ArchDb).info.audit === db.info.audit);
    if (b) b.push(db);
    else blocks.push([db]);
  }
  return blocks;
}

function generate(dbs: ArchDb[], defaultAction: number, fail: (what: string) => never): SockFilter[] {
  const code = new Code(fail);
  const blocks = archBlocks(dbs).map((b) => ({ audit: (b[0] as ArchDb).info.audit, dbs: b }));
  const badArch: Label = {};
  const starts = blocks.map((): Label => ({}));
  code.add(LD_ABS, SECCOMP_DATA.arch);
  blocks.forEach((b, i) => {
    code.add(JEQ_K, b.audit, starts[i], i === blocks.length - 1 ? badArch : undefined);
  });
  code.label(badArch);
  code.add(RET_K, SECCOMP_RET.KILL_THREAD);
  blocks.forEach((b, i) => {
    code.label(starts[i] as Label);
    genArchBlock(code, b.dbs, defaultAction, fail);
  });
  return layout(code.ins, fail);
}

function genArchBlock(code: Code, dbs: ArchDb[], defaultAction: number, fail: (what: string) => never): void {
  const arches = dbs.map((d) => d.arch);
  const dispatch: Label = {};
  const badArch: Label = {};
  code.add(LD_ABS, SECCOMP_DATA.nr);
  if (arches.includes('x86_64') && !arches.includes('x32')) {
    code.add(JGE_K, X32_SYSCALL_BIT, undefined, dispatch);
    code.add(JEQ_K, 0xffffffff, dispatch, badArch);
    code.label(badArch);
    code.add(RET_K, SECCOMP_RET.KILL_THREAD);
  } else if (arches.includes('x32') && !arches.includes('x86_64')) {
    code.add(JGE_K, X32_SYSCALL_BIT, dispatch, badArch);
    code.label(badArch);
    code.add(RET_K, SECCOMP_RET.KILL_THREAD);
  }
  code.label(dispatch);
  const graph = new BlockGraph(fail);
  const entries: Array<{ e: SyscallEntry; root: GTarget }> = [];
  for (const db of dbs)
    for (const e of db.entries.values())
      if (e.nr !== undefined)
        entries.push({ e, root: e.chains ? graph.body(e.chains, defaultAction) : { ret: e.action } });
  graph.settleLoads(entries.map((x) => x.root));
  // Twins (x86_64 and x32 read, ...) often share their tests: keep them in one chunk.
  entries.sort((a, b) =>
    a.e.name < b.e.name ? -1 : a.e.name > b.e.name ? 1 : (a.e.nr as number) - (b.e.nr as number),
  );
  let i = 0;
  while (i < entries.length) {
    // A chunk: its checks, a jump past the rest, the decision blocks it needs with their returns.
    // Jumps inside mostly stay short; the layout adds long jumps where they do not.
    const blocks = new Set<GBlock>();
    const retValues = new Set<number>();
    let size = 2;
    const start = i;
    while (i < entries.length) {
      const { root } = entries[i] as { root: GTarget };
      const more = graph.reach(root, blocks);
      const newRets = new Set<number>();
      for (const t of [root, ...more.flatMap((b) => [b.t, b.f])])
        if ('ret' in t && !retValues.has(t.ret)) newRets.add(t.ret);
      const extra = 1 + more.reduce((n, b) => n + b.size, 0) + newRets.size;
      // A twin whose tests the chunk already has costs a check only: keep it with them.
      const twin = !('ret' in root) && more.length === 0;
      if (i > start && size + extra > CHUNK_BUDGET && !twin) break;
      size += extra;
      for (const b of more) blocks.add(b);
      for (const r of newRets) retValues.add(r);
      i++;
    }
    const rets = new RetIslands(code);
    const labels = new Map<GBlock, Label>();
    const labelOf = (t: GTarget): Label => {
      if ('ret' in t) return rets.label(t.ret);
      let l = labels.get(t);
      if (!l) {
        l = {};
        labels.set(t, l);
      }
      return l;
    };
    for (let j = start; j < i; j++) {
      const { e, root } = entries[j] as { e: SyscallEntry; root: GTarget };
      code.add(JEQ_K, e.nr as number, labelOf(root));
    }
    const last = i >= entries.length;
    const next: Label = {};
    // Blocks below may still jump to the default action: its labeled return comes after them.
    if (last) code.add(RET_K, defaultAction);
    else code.add(JA, 0, next);
    for (const b of graph.order(entries.slice(start, i).map((x) => x.root))) {
      code.label(labelOf(b));
      if (b.load) {
        code.add(LD_ABS, b.offset);
        if (b.mask !== 0xffffffff) code.add(AND_K, b.mask);
      }
      const op = b.op === 'gt' ? JGT_K : b.op === 'ge' ? JGE_K : JEQ_K;
      code.add(op, b.datum, labelOf(b.t), labelOf(b.f));
      // Both branches of a test jump, so returns can sit between blocks.
      rets.maybeFlush();
    }
    rets.flush();
    if (!last) code.label(next);
  }
  if (entries.length === 0) code.add(RET_K, defaultAction);
}

/**
 * Return instructions placed close to their jumps: a return value's label is emitted once the
 * first jump to it is about to be out of reach, and a new copy starts for later jumps.
 */
class RetIslands {
  private pending = new Map<number, { label: Label; first: number }>();
  constructor(private readonly code: Code) {}
  label(value: number): Label {
    let p = this.pending.get(value);
    if (!p) {
      p = { label: {}, first: this.code.ins.length };
      this.pending.set(value, p);
    }
    return p.label;
  }
  maybeFlush(): void {
    const now = this.code.ins.length;
    for (const p of this.pending.values())
      if (now - p.first > CHUNK_BUDGET - this.pending.size) {
        this.flush();
        return;
      }
  }
  flush(): void {
    for (const [value, p] of this.pending) {
      this.code.label(p.label);
      this.code.add(RET_K, value);
    }
    this.pending = new Map();
  }
}

/** A word test with its two targets; identical tests with identical targets are one block. */
interface GBlock {
  offset: number;
  mask: number;
  op: WordOp;
  datum: number;
  t: GTarget;
  f: GTarget;
  /** Whether the block loads (and masks) its word; not when every jump to it arrives with it. */
  load: boolean;
  size: number;
}
type GTarget = GBlock | { ret: number };

class BlockGraph {
  private readonly interned = new Map<string, GBlock>();
  private readonly ids = new Map<GBlock, number>();
  constructor(private readonly fail: (what: string) => never) {}

  /**
   * One syscall's decision tree. A level's nodes are tried in order; a branch without action or
   * subtree goes on to the next sibling, the end of a level goes back to where the level was entered
   * from (the parent's next sibling; at the top, the default action).
   */
  body(top: TreeNode, defaultAction: number): GTarget {
    // Instances of a node are (node, continuation) pairs; found depth first, interned children first.
    interface Inst {
      node: TreeNode;
      cont: Inst | number;
      t?: Inst | number;
      f?: Inst | number;
      block?: GBlock;
    }
    const memo = new Map<TreeNode, Map<Inst | number, Inst>>();
    let count = 0;
    const inst = (node: TreeNode, cont: Inst | number): Inst => {
      let m = memo.get(node);
      if (!m) {
        m = new Map();
        memo.set(node, m);
      }
      let x = m.get(cont);
      if (!x) {
        x = { node, cont };
        m.set(cont, x);
        if (++count > MAX_TREE_NODES) this.fail(`the rules need more than ${MAX_TREE_NODES} argument tests`);
      }
      return x;
    };
    const root = inst(levelHead(top), defaultAction);
    const post: Inst[] = [];
    const seen = new Set<Inst>();
    const stack: Array<[Inst, boolean]> = [[root, false]];
    while (stack.length > 0) {
      const [x, done] = stack.pop() as [Inst, boolean];
      if (done) {
        post.push(x);
        continue;
      }
      if (seen.has(x)) continue;
      seen.add(x);
      const n = x.node;
      const sibling = n.next ? inst(n.next, x.cont) : x.cont;
      x.t = n.tAct !== undefined ? n.tAct : n.tNext ? inst(levelHead(n.tNext), sibling) : sibling;
      x.f = n.fAct !== undefined ? n.fAct : n.fNext ? inst(levelHead(n.fNext), sibling) : sibling;
      stack.push([x, true]);
      for (const y of [x.f, x.t]) if (typeof y !== 'number' && !seen.has(y)) stack.push([y, false]);
    }
    const target = (y: Inst | number | undefined): GTarget => {
      if (typeof y === 'number') return { ret: y };
      // Pathological merges of shared nodes could in principle link a level into a loop.
      if (!y?.block) this.fail('the rules of a syscall do not form a decision tree (a loop)');
      return y.block;
    };
    for (const x of post) {
      const n = x.node;
      x.block = this.intern(n.offset, n.mask, n.op, n.datum, target(x.t), target(x.f));
    }
    return target(root);
  }

  private intern(offset: number, mask: number, op: WordOp, datum: number, t: GTarget, f: GTarget): GBlock {
    const k = (x: GTarget): string => ('ret' in x ? `r${x.ret}` : `b${this.ids.get(x)}`);
    const key = `${offset}/${mask}/${op}/${datum}/${k(t)}/${k(f)}`;
    let b = this.interned.get(key);
    if (!b) {
      b = { offset, mask, op, datum, t, f, load: true, size: mask === 0xffffffff ? 2 : 3 };
      this.interned.set(key, b);
      this.ids.set(b, this.ids.size);
    }
    return b;
  }

  /**
   * Drops the load of blocks that every jump reaches with their word already in the accumulator
   * (a test leaves its own masked word there; the dispatch leaves the syscall number).
   */
  settleLoads(roots: GTarget[]): void {
    const arriving = new Map<GBlock, string | null>();
    const see = (b: GTarget, state: string): void => {
      if ('ret' in b) return;
      const had = arriving.get(b);
      if (had === undefined) arriving.set(b, state);
      else if (had !== state) arriving.set(b, null);
    };
    for (const r of roots) see(r, 'dispatch');
    for (const b of this.interned.values()) {
      const state = `${b.offset}/${b.mask}`;
      see(b.t, state);
      see(b.f, state);
    }
    for (const b of this.interned.values()) {
      b.load = arriving.get(b) !== `${b.offset}/${b.mask}`;
      b.size = b.load ? (b.mask === 0xffffffff ? 2 : 3) : 1;
    }
  }

  /** The blocks reachable from `root` that `have` lacks. */
  reach(root: GTarget, have: Set<GBlock>): GBlock[] {
    const out: GBlock[] = [];
    const seen = new Set<GBlock>();
    const stack: GTarget[] = [root];
    while (stack.length > 0) {
      const x = stack.pop() as GTarget;
      if ('ret' in x || seen.has(x) || have.has(x)) continue;
      seen.add(x);
      out.push(x);
      stack.push(x.t, x.f);
    }
    return out;
  }

  /** The blocks reachable from the roots, every block before the blocks it jumps to. */
  order(roots: GTarget[]): GBlock[] {
    const post: GBlock[] = [];
    const seen = new Set<GBlock>();
    const stack: Array<[GBlock, boolean]> = [];
    for (const r of [...roots].reverse()) if (!('ret' in r)) stack.push([r, false]);
    while (stack.length > 0) {
      const [x, done] = stack.pop() as [GBlock, boolean];
      if (done) {
        post.push(x);
        continue;
      }
      if (seen.has(x)) continue;
      seen.add(x);
      stack.push([x, true]);
      for (const y of [x.f, x.t]) if (!('ret' in y) && !seen.has(y)) stack.push([y, false]);
    }
    return post.reverse();
  }
}

/**
 * Resolves labels to relative jumps. A conditional jump reaches at most 255 instructions ahead;
 * further targets go through a BPF_JA placed right after the jump.
 */
function layout(ins: Ins[], fail: (what: string) => never): SockFilter[] {
  const prog = [...ins];
  // A fall-through names its instruction now: jumps inserted below must not capture it.
  prog.forEach((x, i) => {
    if ((x.code & 0x07) !== BPF.JMP || x.code === JA) return;
    const next = prog[i + 1];
    if (!next) throw new Error('internal error: the seccomp program ends with a jump');
    x.t ??= { at: next };
    x.f ??= { at: next };
  });
  const far: Map<Ins, [Ins | undefined, Ins | undefined]> = new Map();
  for (let round = 0; ; round++) {
    // Every round adds a jump, and the program may not grow past BPF_MAXINSNS.
    if (round > BPF_MAXINSNS) fail(TOO_BIG);
    const pos = new Map<Ins, number>();
    prog.forEach((x, i) => {
      pos.set(x, i);
    });
    const at = (l: Label | undefined): number => {
      if (!l?.at) throw new Error('internal error: unbound label in the seccomp program');
      const p = pos.get(l.at);
      if (p === undefined) throw new Error('internal error: label outside the seccomp program');
      return p;
    };
    let grew = false;
    for (let i = 0; i < prog.length; i++) {
      const x = prog[i] as Ins;
      if ((x.code & 0x07) !== BPF.JMP || x.code === JA) continue;
      const dt = at(x.t) - i - 1;
      const df = at(x.f) - i - 1;
      if (dt < 0 || df < 0) throw new Error('internal error: backward jump in the seccomp program');
      if (dt <= 255 && df <= 255) continue;
      const tramp = far.get(x) ?? [undefined, undefined];
      const add: Ins[] = [];
      if (dt > 255 && !tramp[0]) {
        tramp[0] = { code: JA, k: 0, t: x.t as Label };
        add.push(tramp[0]);
        x.t = { at: tramp[0] };
      }
      if (df > 255 && !tramp[1]) {
        tramp[1] = { code: JA, k: 0, t: x.f as Label };
        add.push(tramp[1]);
        x.f = { at: tramp[1] };
      }
      far.set(x, tramp);
      if (add.length === 0) throw new Error('internal error: jump trampoline out of reach');
      prog.splice(i + 1, 0, ...add);
      if (prog.length > BPF_MAXINSNS) fail(TOO_BIG);
      // Positions after the jump moved: measure again (jumps over the insertion grew too).
      grew = true;
      break;
    }
    if (grew) continue;
    return prog.map((x, i) => {
      if (x.code === JA) return { code: x.code, jt: 0, jf: 0, k: at(x.t) - i - 1 };
      if ((x.code & 0x07) === BPF.JMP)
        return { code: x.code, jt: at(x.t) - i - 1, jf: at(x.f) - i - 1, k: x.k };
      return { code: x.code, jt: 0, jf: 0, k: x.k };
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Running, encoding and printing programs

/** The input of a seccomp filter (struct seccomp_data). */
export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  /** Up to six 64-bit arguments (missing ones are 0). */
  args?: readonly bigint[];
}

/**
 * Runs a program the way the kernel does and returns the filter's 32-bit result. `endian` is the
 * byte order of the machine (it decides which word of a 64-bit argument is at the lower offset).
 */
export function runBpf(prog: readonly SockFilter[], data: SeccompData, endian: Endian = 'little'): number {
  const buf = new DataView(new ArrayBuffer(SECCOMP_DATA.size));
  const le = endian === 'little';
  buf.setUint32(SECCOMP_DATA.nr, data.nr >>> 0, le);
  buf.setUint32(SECCOMP_DATA.arch, data.arch >>> 0, le);
  buf.setBigUint64(SECCOMP_DATA.instructionPointer, BigInt.asUintN(64, data.instructionPointer ?? 0n), le);
  for (let i = 0; i < 6; i++)
    buf.setBigUint64(SECCOMP_DATA.args + 8 * i, BigInt.asUintN(64, data.args?.[i] ?? 0n), le);
  let a = 0;
  let x = 0;
  const mem = new Uint32Array(16);
  for (let pc = 0; pc < prog.length; pc++) {
    const ins = prog[pc] as SockFilter;
    const k = ins.k >>> 0;
    const cls = ins.code & 0x07;
    switch (cls) {
      case BPF.LD:
      case BPF.LDX: {
        const mode = ins.code & 0xe0;
        let v: number;
        if (mode === BPF.ABS && cls === BPF.LD && (ins.code & 0x18) === BPF.W) {
          if (k % 4 !== 0 || k + 4 > SECCOMP_DATA.size)
            throw new UserError(`BPF program: bad load offset ${k} at ${pc}`);
          v = buf.getUint32(k, le);
        } else if (mode === BPF.IMM) v = k;
        else if (mode === BPF.MEM) {
          if (k > 15) throw new UserError(`BPF program: bad scratch slot ${k} at ${pc}`);
          v = mem[k] as number;
        } else if (mode === BPF.LEN) v = SECCOMP_DATA.size;
        else throw new UserError(`BPF program: unsupported load 0x${ins.code.toString(16)} at ${pc}`);
        if (cls === BPF.LD) a = v >>> 0;
        else x = v >>> 0;
        break;
      }
      case BPF.ST:
      case BPF.STX:
        if (k > 15) throw new UserError(`BPF program: bad scratch slot ${k} at ${pc}`);
        mem[k] = cls === BPF.ST ? a : x;
        break;
      case BPF.ALU: {
        const op = ins.code & 0xf0;
        const src = (ins.code & BPF.X) !== 0 ? x : k;
        // Classic BPF ends the program with 0 on a division by zero.
        if ((op === BPF.DIV || op === BPF.MOD) && src === 0) return 0;
        a = alu(op, a, src, pc);
        break;
      }
      case BPF.JMP: {
        const op = ins.code & 0xf0;
        if (op === BPF.JA) {
          pc += k;
          break;
        }
        const src = (ins.code & BPF.X) !== 0 ? x : k;
        let cond: boolean;
        if (op === BPF.JEQ) cond = a === src;
        else if (op === BPF.JGT) cond = a > src;
        else if (op === BPF.JGE) cond = a >= src;
        else if (op === BPF.JSET) cond = (a & src) !== 0;
        else throw new UserError(`BPF program: unsupported jump 0x${ins.code.toString(16)} at ${pc}`);
        pc += cond ? ins.jt : ins.jf;
        break;
      }
      case BPF.RET:
        return ((ins.code & 0x18) === BPF.A ? a : k) >>> 0;
      case BPF.MISC:
        if ((ins.code & 0xf8) === BPF.TAX) x = a;
        else a = x;
        break;
    }
  }
  throw new UserError('BPF program: ran off its end without a return');
}

function alu(op: number, a: number, s: number, pc: number): number {
  switch (op) {
    case BPF.ADD:
      return (a + s) >>> 0;
    case BPF.SUB:
      return (a - s) >>> 0;
    case BPF.MUL:
      return Math.imul(a, s) >>> 0;
    case BPF.DIV:
      return Math.floor(a / s) >>> 0;
    case BPF.MOD:
      return (a % s) >>> 0;
    case BPF.OR:
      return (a | s) >>> 0;
    case BPF.AND:
      return (a & s) >>> 0;
    case BPF.XOR:
      return (a ^ s) >>> 0;
    case BPF.LSH:
      return s >= 32 ? 0 : (a << s) >>> 0;
    case BPF.RSH:
      return s >= 32 ? 0 : a >>> s;
    case BPF.NEG:
      return -a >>> 0;
  }
  throw new UserError(`BPF program: unsupported ALU operation 0x${op.toString(16)} at ${pc}`);
}

/**
 * Checks a program as the kernel does before accepting it (bpf_check_classic, seccomp_check_filter):
 * 1..4096 instructions, only the opcodes seccomp allows (32-bit aligned loads inside seccomp_data, no
 * MOD, no division by a zero constant), scratch slots 0..15, jumps inside the program, a return at
 * the end. Returns the first problem, or undefined. (The kernel also refuses reading a scratch slot
 * before any store to it; that flow check is not made here.)
 */
export function checkBpf(prog: readonly SockFilter[]): string | undefined {
  if (prog.length === 0 || prog.length > BPF_MAXINSNS)
    return `length ${prog.length} is not 1..${BPF_MAXINSNS}`;
  for (let pc = 0; pc < prog.length; pc++) {
    const ins = prog[pc] as SockFilter;
    const code = ins.code;
    const k = ins.k >>> 0;
    if (!SECCOMP_OPCODES.has(code)) return `opcode 0x${code.toString(16)} at ${pc} is not allowed in seccomp`;
    if (code === LD_ABS && (k % 4 !== 0 || k + 4 > SECCOMP_DATA.size))
      return `load outside seccomp_data at ${pc}`;
    if ((code & 0xe0) === BPF.MEM && (code & 0x07) <= BPF.LDX && k > 15) return `bad scratch slot at ${pc}`;
    if ((code === BPF.ST || code === BPF.STX) && k > 15) return `bad scratch slot at ${pc}`;
    if (code === (BPF.ALU | BPF.DIV | BPF.K) && k === 0) return `division by zero at ${pc}`;
    if ((code & 0x07) === BPF.JMP) {
      const far = code === JA ? k : Math.max(ins.jt, ins.jf);
      if (pc + 1 + far >= prog.length) return `jump out of the program at ${pc}`;
    }
  }
  const last = prog[prog.length - 1] as SockFilter;
  if ((last.code & 0x07) !== BPF.RET) return 'the program does not end with a return';
  return undefined;
}

// seccomp_check_filter's list of allowed instructions.
const SECCOMP_OPCODES = new Set<number>([
  LD_ABS,
  BPF.LD | BPF.W | BPF.LEN,
  BPF.LDX | BPF.W | BPF.LEN,
  BPF.RET | BPF.K,
  BPF.RET | BPF.A,
  ...[BPF.ADD, BPF.SUB, BPF.MUL, BPF.DIV, BPF.AND, BPF.OR, BPF.XOR, BPF.LSH, BPF.RSH].flatMap((op) => [
    BPF.ALU | op | BPF.K,
    BPF.ALU | op | BPF.X,
  ]),
  BPF.ALU | BPF.NEG,
  BPF.LD | BPF.IMM,
  BPF.LDX | BPF.IMM,
  BPF.MISC | BPF.TAX,
  BPF.MISC | BPF.TXA,
  BPF.LD | BPF.MEM,
  BPF.LDX | BPF.MEM,
  BPF.ST,
  BPF.STX,
  JA,
  ...[BPF.JEQ, BPF.JGE, BPF.JGT, BPF.JSET].flatMap((op) => [BPF.JMP | op | BPF.K, BPF.JMP | op | BPF.X]),
]);

/** The program as the kernel reads it: 8 bytes per instruction in the architecture's byte order. */
export function encodeBpf(prog: readonly SockFilter[], endian: Endian = 'little'): Uint8Array {
  const out = new Uint8Array(prog.length * 8);
  const v = new DataView(out.buffer);
  const le = endian === 'little';
  prog.forEach((ins, i) => {
    v.setUint16(i * 8, ins.code, le);
    v.setUint8(i * 8 + 2, ins.jt);
    v.setUint8(i * 8 + 3, ins.jf);
    v.setUint32(i * 8 + 4, ins.k >>> 0, le);
  });
  return out;
}

export function decodeBpf(bytes: Uint8Array, endian: Endian = 'little'): SockFilter[] {
  if (bytes.length % 8 !== 0)
    throw new UserError(`a BPF program is a multiple of 8 bytes, not ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = endian === 'little';
  const out: SockFilter[] = [];
  for (let i = 0; i < bytes.length; i += 8)
    out.push({
      code: v.getUint16(i, le),
      jt: v.getUint8(i + 2),
      jf: v.getUint8(i + 3),
      k: v.getUint32(i + 4, le),
    });
  return out;
}

export type BpfFormat = 'c' | 'hex' | 'json' | 'asm';

/**
 * Prints a program: `asm` in bpf_dbg's syntax with comments, `c` as a struct sock_filter array,
 * `json` as {code, jt, jf, k} objects, `hex` as the raw bytes (one instruction per line, the
 * architecture's byte order, so `xxd -r -p` rebuilds the binary).
 */
export function formatBpf(
  prog: readonly SockFilter[],
  format: BpfFormat,
  opts: { endian?: Endian } = {},
): string {
  const endian = opts.endian ?? 'little';
  switch (format) {
    case 'json':
      return `[\n${prog.map((i) => `  {"code": ${i.code}, "jt": ${i.jt}, "jf": ${i.jf}, "k": ${i.k >>> 0}}`).join(',\n')}\n]\n`;
    case 'hex': {
      const bytes = encodeBpf(prog, endian);
      const lines: string[] = [];
      for (let i = 0; i < bytes.length; i += 8)
        lines.push(Array.from(bytes.subarray(i, i + 8), (b) => b.toString(16).padStart(2, '0')).join(''));
      return lines.length > 0 ? `${lines.join('\n')}\n` : '';
    }
    case 'c': {
      const lines = prog.map((ins, i) => {
        const body = `{ 0x${ins.code.toString(16).padStart(2, '0')}, ${ins.jt}, ${ins.jf}, 0x${hex8(ins.k)} },`;
        return `\t${body.padEnd(36)}/* ${String(i).padStart(4)}: ${disasm(ins, i, endian).text} */`;
      });
      return (
        `/* ${prog.length} instructions; load with prctl(PR_SET_NO_NEW_PRIVS) and seccomp(SECCOMP_SET_MODE_FILTER) */\n` +
        `static struct sock_filter filter[] = {\n${lines.join('\n')}\n};\n` +
        'static struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };\n'
      );
    }
    case 'asm': {
      const lines = prog.map((ins, i) => {
        const d = disasm(ins, i, endian);
        const head = `l${i}:\t${d.text}`;
        return d.note ? `${head.padEnd(40)}; ${d.note}` : head;
      });
      return lines.length > 0 ? `${lines.join('\n')}\n` : '';
    }
  }
}

const AUDIT_NAMES = new Map<number, string>([
  [0xc000003e, 'AUDIT_ARCH_X86_64'],
  [0x40000003, 'AUDIT_ARCH_I386'],
  [0xc00000b7, 'AUDIT_ARCH_AARCH64'],
  [0x40000028, 'AUDIT_ARCH_ARM'],
  [0xc00000f3, 'AUDIT_ARCH_RISCV64'],
  [0xc0000015, 'AUDIT_ARCH_PPC64LE'],
  [0x80000016, 'AUDIT_ARCH_S390X'],
]);

function fieldName(k: number, endian: Endian): string {
  if (k === SECCOMP_DATA.nr) return 'nr';
  if (k === SECCOMP_DATA.arch) return 'arch';
  if (k === 8 || k === 12)
    return `instruction_pointer ${(k === 8) === (endian === 'little') ? 'low' : 'high'}`;
  if (k >= 16 && k < 64) {
    const i = Math.floor((k - 16) / 8);
    const low = (k % 8 === 0) === (endian === 'little');
    return `args[${i}] ${low ? 'low' : 'high'}`;
  }
  return `offset ${k}`;
}

function disasm(ins: SockFilter, pc: number, endian: Endian): { text: string; note?: string } {
  const k = ins.k >>> 0;
  const cls = ins.code & 0x07;
  const hk = `#0x${k.toString(16)}`;
  switch (cls) {
    case BPF.LD:
    case BPF.LDX: {
      const r = cls === BPF.LD ? 'ld' : 'ldx';
      const mode = ins.code & 0xe0;
      if (mode === BPF.ABS) return { text: `${r} [${k}]`, note: fieldName(k, endian) };
      if (mode === BPF.IMM) return { text: `${r} ${hk}` };
      if (mode === BPF.MEM) return { text: `${r} M[${k}]` };
      if (mode === BPF.LEN) return { text: `${r} #len` };
      break;
    }
    case BPF.ST:
      return { text: `st M[${k}]` };
    case BPF.STX:
      return { text: `stx M[${k}]` };
    case BPF.ALU: {
      const names: Record<number, string> = {
        [BPF.ADD]: 'add',
        [BPF.SUB]: 'sub',
        [BPF.MUL]: 'mul',
        [BPF.DIV]: 'div',
        [BPF.MOD]: 'mod',
        [BPF.OR]: 'or',
        [BPF.AND]: 'and',
        [BPF.XOR]: 'xor',
        [BPF.LSH]: 'lsh',
        [BPF.RSH]: 'rsh',
        [BPF.NEG]: 'neg',
      };
      const n = names[ins.code & 0xf0] ?? `alu?0x${ins.code.toString(16)}`;
      if ((ins.code & 0xf0) === BPF.NEG) return { text: 'neg' };
      return { text: `${n} ${(ins.code & BPF.X) !== 0 ? 'x' : hk}` };
    }
    case BPF.JMP: {
      const op = ins.code & 0xf0;
      if (op === BPF.JA) return { text: `ja l${pc + 1 + k}` };
      const names: Record<number, string> = {
        [BPF.JEQ]: 'jeq',
        [BPF.JGT]: 'jgt',
        [BPF.JGE]: 'jge',
        [BPF.JSET]: 'jset',
      };
      const src = (ins.code & BPF.X) !== 0 ? 'x' : hk;
      const arch = AUDIT_NAMES.get(k);
      return {
        text: `${names[op] ?? `j?0x${ins.code.toString(16)}`} ${src}, l${pc + 1 + ins.jt}, l${pc + 1 + ins.jf}`,
        note: op === BPF.JEQ && arch ? arch : undefined,
      };
    }
    case BPF.RET:
      if ((ins.code & 0x18) === BPF.A) return { text: 'ret a' };
      return { text: `ret ${hk}`, note: describeAction(k) };
    case BPF.MISC:
      return { text: (ins.code & 0xf8) === BPF.TAX ? 'tax' : 'txa' };
  }
  return { text: `.word 0x${ins.code.toString(16)} ${ins.jt} ${ins.jf} 0x${k.toString(16)}` };
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
