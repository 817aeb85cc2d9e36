// Unit tests of the seccomp BPF compiler: encodings, jumps, architectures, libseccomp's rule
// semantics and bounds, checked by running the programs in drydock's own BPF interpreter.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { DOCKER_DEFAULT_CAPS } from '../../src/harden/caps.js';
import {
  AUDIT_ARCH,
  actionValue,
  BPF,
  BPF_MAXINSNS,
  bpfEndian,
  checkBpf,
  compileFilter,
  compileSeccomp,
  decodeBpf,
  describeAction,
  encodeBpf,
  formatBpf,
  runBpf,
  SECCOMP_RET,
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

const ALLOW = SECCOMP_RET.ALLOW;
const errno = (n: number): number => (SECCOMP_RET.ERRNO | n) >>> 0;
const X86_64 = AUDIT_ARCH.x86_64;

function rule(
  names: string[],
  action: SeccompAction,
  args: Array<[number, SeccompOperator, number, number?]> = [],
  errnoRet?: number,
): OciSeccomp['syscalls'][number] {
  const r: OciSeccomp['syscalls'][number] = { names, action };
  if (errnoRet !== undefined) r.errnoRet = errnoRet;
  if (args.length > 0)
    r.args = args.map(([index, op, value, valueTwo]): SeccompArg => {
      const a: SeccompArg = { index, op, value };
      if (valueTwo !== undefined) a.valueTwo = valueTwo;
      return a;
    });
  return r;
}

function filter(syscalls: OciSeccomp['syscalls'], more: Partial<OciSeccomp> = {}): OciSeccomp {
  return { defaultAction: 'SCMP_ACT_ALLOW', syscalls, ...more };
}

/** Verdict of `prog` for a syscall by name on an architecture (x86_64 by default). */
function verdict(
  prog: SockFilter[],
  name: string,
  args: bigint[] = [],
  arch: SyscallArch = 'x86_64',
): number {
  const nr = syscallNumber(arch, name);
  assert.ok(nr !== undefined, `${name} on ${arch}`);
  return runBpf(prog, { nr, arch: AUDIT_ARCH[arch], args }, bpfEndian(arch));
}

const ins = (code: number, k: number, jt = 0, jf = 0): SockFilter => ({ code, jt, jf, k });

describe('actions', () => {
  it('maps OCI actions to filter return values as runc does', () => {
    assert.equal(actionValue('SCMP_ACT_KILL'), 0);
    assert.equal(actionValue('SCMP_ACT_KILL_THREAD'), 0);
    assert.equal(actionValue('SCMP_ACT_KILL_PROCESS'), 0x80000000);
    assert.equal(actionValue('SCMP_ACT_TRAP'), 0x00030000);
    assert.equal(actionValue('SCMP_ACT_ERRNO'), 0x00050001); // EPERM without errnoRet
    assert.equal(actionValue('SCMP_ACT_ERRNO', 38), 0x00050026);
    assert.equal(actionValue('SCMP_ACT_ERRNO', 70000), 0x00051170); // & 0xffff, like runc's int16
    assert.equal(actionValue('SCMP_ACT_TRACE'), 0x7ff00001);
    assert.equal(actionValue('SCMP_ACT_TRACE', 9), 0x7ff00009);
    assert.equal(actionValue('SCMP_ACT_LOG'), 0x7ffc0000);
    assert.equal(actionValue('SCMP_ACT_ALLOW'), 0x7fff0000);
    assert.equal(actionValue('SCMP_ACT_NOTIFY'), 0x7fc00000);
  });

  it('describes return values', () => {
    assert.equal(describeAction(0x7fff0000), 'ALLOW');
    assert.equal(describeAction(0x00050026), 'ERRNO(38)');
    assert.equal(describeAction(0x80000000), 'KILL_PROCESS');
    assert.equal(describeAction(0), 'KILL_THREAD');
    assert.equal(describeAction(0x7ff00009), 'TRACE(9)');
    assert.equal(describeAction(0x12340000), '0x12340000');
  });

  it('refuses ERRNO data libseccomp refuses (4095 and more), only where runc would reach it', () => {
    assert.throws(
      () => compileFilter(filter([rule(['getpid'], 'SCMP_ACT_ERRNO', [], 4095)]), { arch: 'amd64' }),
      /4095/,
    );
    assert.throws(
      () =>
        compileFilter(filter([], { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 70000 }), {
          arch: 'amd64',
        }),
      UserError,
    );
    // 65537 & 0xffff = 1; an unknown name is skipped before libseccomp sees the action.
    compileFilter(filter([rule(['getpid'], 'SCMP_ACT_ERRNO', [], 65537)]), { arch: 'amd64' });
    compileFilter(filter([rule(['no_such_call'], 'SCMP_ACT_ERRNO', [], 5000)]), { arch: 'amd64' });
    const p = compileFilter(filter([rule(['getpid'], 'SCMP_ACT_ERRNO', [], 4094)]), { arch: 'amd64' });
    assert.equal(verdict(p, 'getpid'), errno(4094));
  });
});

describe('the BPF interpreter', () => {
  const data = { nr: 7, arch: 0xc000003e, args: [0x1122334455667788n, 2n, 3n, 4n, 5n, 0xffffffffffffffffn] };

  it('loads seccomp_data words in the machine byte order', () => {
    const ld = (k: number, endian: 'little' | 'big' = 'little') =>
      runBpf([ins(0x20, k), ins(0x16, 0)], data, endian);
    assert.equal(ld(0), 7);
    assert.equal(ld(4), 0xc000003e);
    assert.equal(ld(16), 0x55667788);
    assert.equal(ld(20), 0x11223344);
    assert.equal(ld(16, 'big'), 0x11223344);
    assert.equal(ld(20, 'big'), 0x55667788);
    assert.equal(ld(60), 0xffffffff);
    assert.throws(() => ld(64), UserError);
    assert.throws(() => ld(2), UserError);
  });

  it('runs ALU, jumps, scratch memory, X and RET A like the kernel', () => {
    const A = (ops: SockFilter[]): number => runBpf([ins(BPF.LD | BPF.IMM, 100), ...ops, ins(0x16, 0)], data);
    const alu = (op: number, k: number): SockFilter => ins(BPF.ALU | op | BPF.K, k);
    assert.equal(A([alu(BPF.ADD, 5)]), 105);
    assert.equal(A([alu(BPF.SUB, 101)]), 0xffffffff);
    assert.equal(A([alu(BPF.MUL, 0x10000000)]), (100 * 0x10000000) % 2 ** 32);
    assert.equal(A([alu(BPF.DIV, 7)]), 14);
    assert.equal(A([alu(BPF.MOD, 7)]), 2);
    assert.equal(A([alu(BPF.AND, 0x24)]), 0x24);
    assert.equal(A([alu(BPF.OR, 1)]), 101);
    assert.equal(A([alu(BPF.XOR, 100)]), 0);
    assert.equal(A([alu(BPF.LSH, 24)]), (100 << 24) >>> 0);
    assert.equal(A([alu(BPF.RSH, 2)]), 25);
    assert.equal(A([ins(BPF.ALU | BPF.NEG, 0)]), (-100 >>> 0) as number);
    // X, TAX/TXA, ST/LDX MEM, LEN
    assert.equal(A([ins(BPF.LDX | BPF.IMM, 3), ins(BPF.ALU | BPF.ADD | BPF.X, 0)]), 103);
    assert.equal(A([ins(BPF.MISC | BPF.TAX, 0), ins(BPF.ALU | BPF.ADD | BPF.X, 0)]), 200);
    assert.equal(
      A([ins(BPF.ST, 3), ins(BPF.LD | BPF.IMM, 0), ins(BPF.LDX | BPF.MEM, 3), ins(BPF.MISC | BPF.TXA, 0)]),
      100,
    );
    assert.equal(A([ins(BPF.LD | BPF.W | BPF.LEN, 0)]), 64);
    // A division by zero in X ends the program with 0.
    assert.equal(
      A([ins(BPF.LDX | BPF.IMM, 0), ins(BPF.ALU | BPF.DIV | BPF.X, 0), ins(BPF.LD | BPF.IMM, 9)]),
      0,
    );
    // jumps: JA, JEQ/JGT/JGE/JSET taken and not taken
    const j = (code: number, k: number): number =>
      runBpf(
        [ins(BPF.LD | BPF.IMM, 100), ins(BPF.JMP | code | BPF.K, k, 1, 0), ins(0x06, 1), ins(0x06, 2)],
        data,
      );
    assert.equal(j(BPF.JEQ, 100), 2);
    assert.equal(j(BPF.JEQ, 99), 1);
    assert.equal(j(BPF.JGT, 99), 2);
    assert.equal(j(BPF.JGT, 100), 1);
    assert.equal(j(BPF.JGE, 100), 2);
    assert.equal(j(BPF.JGE, 101), 1);
    assert.equal(j(BPF.JSET, 4), 2);
    assert.equal(j(BPF.JSET, 3), 1);
    assert.equal(runBpf([ins(BPF.JMP | BPF.JA, 1), ins(0x06, 1), ins(0x06, 2)], data), 2);
    assert.throws(() => runBpf([ins(BPF.LD | BPF.IMM, 1)], data), /ran off its end/);
  });
});

describe('checkBpf (the kernel checks, confirmed in bpf.test.ts)', () => {
  const ret = ins(0x06, ALLOW);
  it('accepts valid programs and refuses what seccomp refuses', () => {
    assert.equal(checkBpf([ret]), undefined);
    assert.equal(checkBpf([ins(0x20, 60), ins(BPF.ALU | BPF.XOR | BPF.K, 3), ret]), undefined);
    assert.match(checkBpf([]) ?? '', /length 0/);
    assert.match(checkBpf(Array.from({ length: BPF_MAXINSNS + 1 }, () => ret)) ?? '', /length 4097/);
    assert.match(checkBpf([ins(BPF.ALU | BPF.MOD | BPF.K, 3), ret]) ?? '', /not allowed/);
    assert.match(checkBpf([ins(BPF.ALU | BPF.DIV | BPF.K, 0), ret]) ?? '', /division by zero/);
    assert.match(checkBpf([ins(0x28, 0), ret]) ?? '', /not allowed/); // BPF_H
    assert.match(checkBpf([ins(0x20, 64), ret]) ?? '', /outside seccomp_data/);
    assert.match(checkBpf([ins(0x20, 6), ret]) ?? '', /outside seccomp_data/);
    assert.match(checkBpf([ins(BPF.ST, 16), ret]) ?? '', /scratch/);
    assert.match(checkBpf([ins(0x15, 0, 1, 0), ret]) ?? '', /jump out/);
    assert.match(checkBpf([ins(BPF.JMP | BPF.JA, 5), ret]) ?? '', /jump out/);
    assert.match(checkBpf([ret, ins(0x20, 0)]) ?? '', /return/);
  });
});

describe('encodings and output formats', () => {
  const prog = compileFilter(filter([rule(['personality'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_NE', 8]], 13)]), {
    arch: 'amd64',
  });

  it('round-trips the raw bytes in both byte orders', () => {
    for (const e of ['little', 'big'] as const) assert.deepEqual(decodeBpf(encodeBpf(prog, e), e), prog);
    const le = encodeBpf([ins(0x20, 4)]);
    assert.deepEqual([...le], [0x20, 0, 0, 0, 4, 0, 0, 0]);
    assert.deepEqual([...encodeBpf([ins(0x20, 4)], 'big')], [0, 0x20, 0, 0, 0, 0, 0, 4]);
    assert.throws(() => decodeBpf(new Uint8Array(9)), UserError);
  });

  it('prints asm (bpf_dbg syntax), C, JSON and hex', () => {
    const asm = formatBpf(prog, 'asm');
    assert.match(asm, /^l0:\tld \[4\]\s+; arch$/m);
    assert.match(asm, /jeq #0xc000003e, l\d+, l\d+\s+; AUDIT_ARCH_X86_64/);
    assert.match(asm, /ld \[16\]\s+; args\[0\] low/);
    assert.match(asm, /ld \[20\]\s+; args\[0\] high/);
    assert.match(asm, /ret #0x5000d\s+; ERRNO\(13\)/);
    assert.match(asm, /ret #0x7fff0000\s+; ALLOW/);
    assert.equal(asm.trim().split('\n').length, prog.length);
    assert.match(formatBpf(prog, 'asm', { endian: 'big' }), /ld \[16\]\s+; args\[0\] high/);
    const c = formatBpf(prog, 'c');
    assert.match(c, /static struct sock_filter filter\[\] = \{/);
    assert.match(c, /\{ 0x20, 0, 0, 0x00000004 \},\s+\/\*\s+0: ld \[4\] \*\//);
    assert.deepEqual(JSON.parse(formatBpf(prog, 'json')), prog);
    const hex = formatBpf(prog, 'hex').trim().split('\n');
    assert.equal(hex.length, prog.length);
    assert.ok(hex.every((l) => /^[0-9a-f]{16}$/.test(l)));
    assert.deepEqual(decodeBpf(Uint8Array.from(Buffer.from(hex.join(''), 'hex'))), prog);
    assert.equal(formatBpf([], 'asm'), '');
  });
});

describe('architecture checks', () => {
  it('gives a foreign arch the bad-arch action, KILL_THREAD', () => {
    const p = compileFilter(filter([]), { arch: 'amd64' });
    assert.equal(runBpf(p, { nr: 39, arch: AUDIT_ARCH.aarch64 }), 0);
    assert.equal(runBpf(p, { nr: 39, arch: X86_64 }), ALLOW);
    assert.equal(checkBpf(p), undefined);
  });

  it('x86_64 alone: x32 numbers get the bad-arch action, nr -1 the default', () => {
    const p = compileFilter(filter([], { defaultAction: 'SCMP_ACT_ERRNO' }), { arch: 'x86_64' });
    assert.equal(runBpf(p, { nr: 0x40000027, arch: X86_64 }), 0);
    assert.equal(runBpf(p, { nr: 0xffffffff, arch: X86_64 }), errno(1));
    assert.equal(runBpf(p, { nr: 0x3fffffff, arch: X86_64 }), errno(1));
  });

  it('x86_64 with x32 dispatches both numberings; x32 alone refuses x86_64 numbers', () => {
    const f = filter([rule(['getpid'], 'SCMP_ACT_ALLOW')], {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X32'],
    });
    const both = compileFilter(f, { arch: 'amd64' });
    assert.equal(runBpf(both, { nr: 39, arch: X86_64 }), ALLOW);
    assert.equal(runBpf(both, { nr: 0x40000027, arch: X86_64 }), ALLOW);
    assert.equal(runBpf(both, { nr: 0x40000028, arch: X86_64 }), errno(1));
    const x32 = compileFilter({ ...f, architectures: [] }, { arch: 'x32' });
    assert.equal(runBpf(x32, { nr: 0x40000027, arch: X86_64 }), ALLOW);
    assert.equal(runBpf(x32, { nr: 39, arch: X86_64 }), 0);
    assert.equal(runBpf(x32, { nr: 0xffffffff, arch: X86_64 }), errno(1));
  });

  it('checks every architecture of the filter with its own syscall numbers', () => {
    const f = filter([rule(['getpid'], 'SCMP_ACT_ERRNO', [], 9)], {
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    });
    const r = compileSeccomp(f, { arch: 'amd64' });
    assert.deepEqual(r.arches, ['x86_64', 'x86', 'x32']);
    assert.equal(verdict(r.program, 'getpid'), errno(9));
    assert.equal(verdict(r.program, 'getpid', [], 'x86'), errno(9));
    assert.equal(verdict(r.program, 'getpid', [], 'x32'), errno(9));
    assert.equal(runBpf(r.program, { nr: 39, arch: AUDIT_ARCH.x86 }), ALLOW); // 39 is mkdir on i386
    const arm = compileSeccomp({ ...f, architectures: ['SCMP_ARCH_ARM'] }, { arch: 'arm64' });
    assert.deepEqual(arm.arches, ['aarch64', 'arm']);
    assert.equal(verdict(arm.program, 'getpid', [], 'aarch64'), errno(9));
    assert.equal(verdict(arm.program, 'getpid', [], 'arm'), errno(9));
    assert.equal(arm.endian, 'little');
  });

  it('big-endian s390x tests the high word at the lower offset', () => {
    const f = filter([rule(['personality'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 0x100000008]], 5)]);
    const r = compileSeccomp(f, { arch: 's390x' });
    assert.equal(r.endian, 'big');
    assert.equal(bpfEndian('s390x'), 'big');
    assert.equal(verdict(r.program, 'personality', [0x100000008n], 's390x'), errno(5));
    assert.equal(verdict(r.program, 'personality', [8n], 's390x'), ALLOW);
    assert.equal(verdict(r.program, 'personality', [0x800000001n], 's390x'), ALLOW);
  });

  it('refuses unknown architectures and mixed byte orders', () => {
    assert.throws(
      () => compileFilter(filter([]), { arch: 'mips' }),
      /no syscall table for architecture "mips"/,
    );
    assert.throws(
      () => compileFilter(filter([], { architectures: ['SCMP_ARCH_MIPS'] }), { arch: 'amd64' }),
      /SCMP_ARCH_MIPS has no syscall table/,
    );
    assert.throws(
      () => compileFilter(filter([], { architectures: ['SCMP_ARCH_S390X'] }), { arch: 'amd64' }),
      /byte order/,
    );
  });
});

describe('argument comparisons', () => {
  const VALUES = [
    0n,
    1n,
    5n,
    0xffffffffn,
    0x100000000n,
    0x100000005n,
    0x1ffffffffn,
    0xfffff00000000n,
    (1n << 53n) - 1n,
  ];
  const around = (v: bigint): bigint[] =>
    [v - 1n, v, v + 1n, v ^ 0x100000000n, v & 0xffffffffn, v | 0xffffffff00000000n].filter(
      (x) => x >= 0n && x < 1n << 64n,
    );
  const holds = (op: SeccompOperator, a: bigint, v: bigint, two: bigint): boolean => {
    switch (op) {
      case 'SCMP_CMP_NE':
        return a !== v;
      case 'SCMP_CMP_LT':
        return a < v;
      case 'SCMP_CMP_LE':
        return a <= v;
      case 'SCMP_CMP_EQ':
        return a === v;
      case 'SCMP_CMP_GE':
        return a >= v;
      case 'SCMP_CMP_GT':
        return a > v;
      case 'SCMP_CMP_MASKED_EQ':
        // libseccomp masks the value too
        return (a & v) === (two & v);
    }
  };
  const OPS: SeccompOperator[] = [
    'SCMP_CMP_NE',
    'SCMP_CMP_LT',
    'SCMP_CMP_LE',
    'SCMP_CMP_EQ',
    'SCMP_CMP_GE',
    'SCMP_CMP_GT',
    'SCMP_CMP_MASKED_EQ',
  ];

  it('compares 64-bit arguments on their two halves (x86_64) and the low halves (i386, x32, arm)', () => {
    const lo = (x: bigint): bigint => x & 0xffffffffn;
    let checked = 0;
    for (const op of OPS)
      for (const v of VALUES) {
        const two = op === 'SCMP_CMP_MASKED_EQ' ? 0x1200000034n : 0n;
        const f = filter([rule(['getpid'], 'SCMP_ACT_ERRNO', [[2, op, Number(v), Number(two)]], 77)], {
          architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        });
        const p = compileFilter(f, { arch: 'amd64' });
        assert.equal(checkBpf(p), undefined);
        for (const base of [...VALUES, 0x1200000034n, 0x3400001234n])
          for (const a of around(base)) {
            const want = (m: boolean) => (m ? errno(77) : ALLOW);
            // A zero MASKED_EQ mask is no condition at all.
            const m64 = op === 'SCMP_CMP_MASKED_EQ' && v === 0n ? true : holds(op, a, v, two);
            const m32 = op === 'SCMP_CMP_MASKED_EQ' && lo(v) === 0n ? true : holds(op, lo(a), lo(v), lo(two));
            assert.equal(verdict(p, 'getpid', [0n, 0n, a]), want(m64), `${op} ${v} x86_64 a=${a}`);
            assert.equal(verdict(p, 'getpid', [0n, 0n, a], 'x86'), want(m32), `${op} ${v} x86 a=${a}`);
            assert.equal(verdict(p, 'getpid', [0n, 0n, a], 'x32'), want(m32), `${op} ${v} x32 a=${a}`);
            checked++;
          }
      }
    assert.ok(checked > 3000);
  });

  it('ANDs the conditions of a rule; runc splits conditions on one argument into rules (OR)', () => {
    const p = compileFilter(
      filter([
        rule(
          ['getpid'],
          'SCMP_ACT_ERRNO',
          [
            [0, 'SCMP_CMP_EQ', 1],
            [3, 'SCMP_CMP_GT', 0x100000000],
            [5, 'SCMP_CMP_MASKED_EQ', 0xf0, 0x30],
          ],
          10,
        ),
        rule(
          ['getppid'],
          'SCMP_ACT_ERRNO',
          [
            [0, 'SCMP_CMP_EQ', 1],
            [0, 'SCMP_CMP_EQ', 2],
          ],
          11,
        ),
      ]),
      { arch: 'amd64' },
    );
    assert.equal(verdict(p, 'getpid', [1n, 0n, 0n, 0x100000001n, 0n, 0x3fn]), errno(10));
    assert.equal(verdict(p, 'getpid', [1n, 0n, 0n, 0x100000000n, 0n, 0x3fn]), ALLOW);
    assert.equal(verdict(p, 'getpid', [2n, 0n, 0n, 0x100000001n, 0n, 0x3fn]), ALLOW);
    assert.equal(verdict(p, 'getpid', [1n, 0n, 0n, 0x100000001n, 0n, 0x4fn]), ALLOW);
    assert.equal(verdict(p, 'getppid', [1n]), errno(11));
    assert.equal(verdict(p, 'getppid', [2n]), errno(11));
    assert.equal(verdict(p, 'getppid', [3n]), ALLOW);
  });
});

describe("libseccomp's rules for several rules on one syscall", () => {
  const compile = (rules: OciSeccomp['syscalls'], more: Partial<OciSeccomp> = {}) =>
    compileFilter(filter(rules, more), { arch: 'amd64' });

  it('an unconditional rule replaces earlier conditional ones and drops later ones', () => {
    const p = compile([
      rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 1]], 1),
      rule(['getpid'], 'SCMP_ACT_ERRNO', [], 2),
      rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 3]], 3),
      rule(['getpid'], 'SCMP_ACT_ERRNO', [], 4),
    ]);
    for (const a of [0n, 1n, 3n]) assert.equal(verdict(p, 'getpid', [a]), errno(2));
  });

  it('skips rules whose action is the default action, as runc does', () => {
    const r = compileSeccomp(
      filter(
        [
          rule(['getpid'], 'SCMP_ACT_ERRNO', [], 1),
          rule(['getpid'], 'SCMP_ACT_ALLOW', [[0, 'SCMP_CMP_EQ', 1]]),
        ],
        { defaultAction: 'SCMP_ACT_ERRNO' },
      ),
      { arch: 'amd64' },
    );
    assert.equal(r.defaultActionRules, 1);
    assert.equal(verdict(r.program, 'getpid', [1n]), ALLOW);
    assert.equal(verdict(r.program, 'getpid', [2n]), errno(1));
  });

  it('tries EQ before LT/LE before GT/GE, a higher argument first, then larger (LT: smaller) values', () => {
    const p = compile([
      rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_GT', 5]], 10),
      rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 7]], 11),
      rule(['getpid'], 'SCMP_ACT_ERRNO', [[1, 'SCMP_CMP_EQ', 2]], 12),
      rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_LT', 9]], 13),
      rule(['getppid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_GT', 5]], 20),
      rule(['getppid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_GT', 7]], 21),
      rule(['getuid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_LT', 10]], 30),
      rule(['getuid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_LT', 5]], 31),
      rule(['getgid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_LE', 5]], 40),
      rule(['getgid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_LE', 10]], 41),
    ]);
    assert.equal(verdict(p, 'getpid', [7n]), errno(11));
    assert.equal(verdict(p, 'getpid', [7n, 2n]), errno(12));
    assert.equal(verdict(p, 'getpid', [6n]), errno(13)); // LT (9) is tried before GT (5)
    assert.equal(verdict(p, 'getpid', [10n]), errno(10));
    assert.equal(verdict(p, 'getpid', [0x100000000n]), errno(10));
    assert.equal(verdict(p, 'getppid', [8n]), errno(21));
    assert.equal(verdict(p, 'getppid', [6n]), errno(20));
    assert.equal(verdict(p, 'getppid', [0x100000000n]), errno(21)); // equal high words: larger value
    assert.equal(verdict(p, 'getuid', [3n]), errno(31));
    assert.equal(verdict(p, 'getuid', [7n]), errno(30));
    assert.equal(verdict(p, 'getgid', [3n]), errno(40)); // LE too: the smaller value first
    assert.equal(verdict(p, 'getgid', [7n]), errno(41));
    assert.equal(verdict(p, 'getgid', [11n]), ALLOW);
  });

  it('a shorter rule first wins over a longer one; later, it replaces it or is refused (EEXIST)', () => {
    const first = compile([
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
    ]);
    assert.equal(verdict(first, 'getpid', [1n, 2n]), SECCOMP_RET.LOG);
    const same = compile([
      rule(
        ['getpid'],
        'SCMP_ACT_ERRNO',
        [
          [0, 'SCMP_CMP_EQ', 1],
          [1, 'SCMP_CMP_EQ', 2],
        ],
        2,
      ),
      rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 1]], 2),
    ]);
    assert.equal(verdict(same, 'getpid', [1n, 5n]), errno(2));
    assert.throws(
      () =>
        compile([
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
        ]),
      /syscalls\[1\] \(getpid, LOG\) conflicts .*EEXIST/,
    );
    assert.throws(
      () =>
        compile([
          rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 1]], 2),
          rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 1]], 3),
        ]),
      (e: unknown) => e instanceof UserError && !/\n/.test(e.message),
    );
  });
});

describe('syscall names', () => {
  it('multiplexes socket and ipc calls on x86: arg0 becomes the call number, other conditions stay', () => {
    const f = filter(
      [
        rule(
          ['socket'],
          'SCMP_ACT_ERRNO',
          [
            [0, 'SCMP_CMP_EQ', 2],
            [1, 'SCMP_CMP_EQ', 3],
          ],
          5,
        ),
        rule(['semop'], 'SCMP_ACT_ERRNO', [], 6),
      ],
      {
        architectures: ['SCMP_ARCH_X86'],
      },
    );
    const r = compileSeccomp(f, { arch: 'amd64' });
    const i386 = (nr: number, args: bigint[]) => runBpf(r.program, { nr, arch: AUDIT_ARCH.x86, args });
    assert.equal(i386(359, [2n, 3n]), errno(5)); // socket
    assert.equal(i386(359, [10n, 3n]), ALLOW);
    assert.equal(i386(102, [1n, 3n]), errno(5)); // socketcall(SYS_SOCKET, args) with a1 == 3
    assert.equal(i386(102, [1n, 4n]), ALLOW);
    assert.equal(i386(102, [2n, 3n]), ALLOW);
    assert.equal(i386(117, [1n]), errno(6)); // ipc(SEMOP)
    assert.equal(i386(117, [2n]), ALLOW);
    assert.deepEqual(r.absentNames.x86, ['semop']);
    assert.equal(verdict(r.program, 'socket', [2n, 3n]), errno(5));
  });

  it('skips names libseccomp does not know, and names absent on an architecture add nothing there', () => {
    const r = compileSeccomp(
      filter([rule(['getpid', 'no_such_call', 'arch_prctl'], 'SCMP_ACT_ERRNO', [], 3)]),
      {
        arch: 'arm64',
      },
    );
    assert.deepEqual(r.unknownNames, ['no_such_call']);
    assert.deepEqual(r.absentNames.aarch64, ['arch_prctl']);
    assert.equal(verdict(r.program, 'getpid', [], 'aarch64'), errno(3));
  });

  it('resolves sys_debug_setcontext as switch_endian off a ppc64le host (libseccomp pseudo numbers)', () => {
    const f = filter([rule(['sys_debug_setcontext'], 'SCMP_ACT_ERRNO', [], 4)], {
      architectures: ['SCMP_ARCH_PPC64LE'],
    });
    const off = compileSeccomp(f, { arch: 'aarch64' }).program;
    assert.equal(runBpf(off, { nr: 363, arch: AUDIT_ARCH.ppc64le }), errno(4));
    assert.equal(runBpf(off, { nr: 256, arch: AUDIT_ARCH.ppc64le }), ALLOW);
    const on = compileSeccomp({ ...f, architectures: [] }, { arch: 'ppc64le' }).program;
    assert.equal(runBpf(on, { nr: 256, arch: AUDIT_ARCH.ppc64le }), errno(4));
  });
});

describe('long jumps and bounds', () => {
  it('reaches targets past 255 instructions through BPF_JA', () => {
    // 200 values on one argument make one long decision chain; every value stays reachable.
    const values = Array.from({ length: 200 }, (_, i) => i * 3);
    const f = filter(
      values.map((v) => rule(['personality'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', v]], 1 + (v % 4000))),
      { architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    );
    const p = compileFilter(f, { arch: 'amd64' });
    assert.equal(checkBpf(p), undefined);
    assert.ok(p.length > 300);
    assert.ok(p.some((x) => x.code === (BPF.JMP | BPF.JA)));
    for (const v of values) {
      assert.equal(verdict(p, 'personality', [BigInt(v)]), errno(1 + v));
      assert.equal(verdict(p, 'personality', [BigInt(v)], 'x86'), errno(1 + v));
      assert.equal(verdict(p, 'personality', [BigInt(v + 1)]), ALLOW);
      assert.equal(verdict(p, 'personality', [BigInt(v) + 0x100000000n]), ALLOW);
    }
  });

  it('compiles the Docker defaults well under the limit, with the expected verdicts', () => {
    for (const name of ['docker-default', 'docker-default-v24.0.0'] as const)
      for (const arch of ['amd64', 'arm64', 'ppc64le', 'riscv64']) {
        const f = resolveSeccomp(builtinProfile(name), {
          arch,
          caps: [...DOCKER_DEFAULT_CAPS],
          kernel: '6.1',
        });
        assert.ok(f);
        const r = compileSeccomp(f, { arch });
        assert.equal(checkBpf(r.program), undefined);
        assert.ok(r.program.length < 1200, `${name} ${arch}: ${r.program.length}`);
        const native = r.arches[0] as SyscallArch;
        assert.equal(verdict(r.program, 'read', [], native), ALLOW);
        assert.equal(verdict(r.program, 'mount', [], native), errno(1));
        assert.equal(verdict(r.program, 'clone3', [], native), errno(38));
        assert.equal(verdict(r.program, 'socket', [40n], native), errno(1));
        assert.equal(verdict(r.program, 'socket', [2n], native), ALLOW);
        assert.equal(verdict(r.program, 'personality', [0xffffffffn], native), ALLOW);
        assert.equal(verdict(r.program, 'personality', [1n], native), errno(1));
      }
  });

  it('refuses programs past BPF_MAXINSNS and rule sets past the merge bounds, quickly', () => {
    const big = filter(
      Array.from({ length: 3000 }, (_, i) =>
        rule(['personality'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', i]], 5),
      ),
      { architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    );
    assert.throws(
      () => compileFilter(big, { arch: 'amd64' }),
      /more than 4096 instructions \(the kernel's BPF_MAXINSNS\)/,
    );
    // A ~1 MB profile of distinct comparisons: bounded work, a one-line UserError.
    const hostile = filter(
      Array.from({ length: 8000 }, (_, i) =>
        rule(['personality', 'getpid', 'socket'], i % 2 ? 'SCMP_ACT_ALLOW' : 'SCMP_ACT_LOG', [
          [i % 6, 'SCMP_CMP_GT', (i * 2654435761) % 2 ** 40],
        ]),
      ),
      { architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    );
    assert.ok(JSON.stringify(hostile).length > 900_000);
    const t0 = Date.now();
    assert.throws(
      () => compileFilter(hostile, { arch: 'amd64' }),
      (e: unknown) => e instanceof UserError && /more than/.test(e.message) && !e.message.includes('\n'),
    );
    assert.ok(Date.now() - t0 < 10_000);
    // Many names on unconditional rules merge into one small program.
    const names = filter([
      rule(
        Array.from({ length: 100_000 }, (_, i) => (i % 2 ? 'read' : 'write')),
        'SCMP_ACT_ERRNO',
        [],
        3,
      ),
    ]);
    assert.ok(compileFilter(names, { arch: 'amd64' }).length < 20);
  });

  it('reports bad profile values as one-line UserErrors naming the rule', () => {
    const bad = (f: unknown, re: RegExp) =>
      assert.throws(
        () => compileFilter(f as OciSeccomp, { arch: 'amd64', where: 'p.json' }),
        (e: unknown) => e instanceof UserError && re.test(e.message) && e.message.startsWith('p.json: '),
      );
    bad({ defaultAction: 'SCMP_ACT_NOPE', syscalls: [] }, /defaultAction: unknown action "SCMP_ACT_NOPE"/);
    bad(filter([{ names: ['getpid'], action: 'X' as SeccompAction }]), /syscalls\[0\]: unknown action/);
    bad(filter([{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }]), /errnoRet/);
    bad(
      filter([
        { names: ['getpid'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] },
      ]),
      /args\[0\]\.index/,
    );
    bad(
      filter([
        {
          names: ['getpid'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 1, op: 'SCMP_CMP_XX' as SeccompOperator }],
        },
      ]),
      /unknown operator "SCMP_CMP_XX"/,
    );
    bad(
      filter([
        {
          names: ['getpid'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 2 ** 64, op: 'SCMP_CMP_EQ' }],
        },
      ]),
      /value must be an integer from 0 to 2\^53-1/,
    );
    bad(
      filter([{ names: ['getpid'], action: 'SCMP_ACT_ALLOW', args: [null as unknown as SeccompArg] }]),
      /must be an object/,
    );
  });
});

describe('where libseccomp 2.5.4 programs may disagree with its rules', () => {
  it('flags a stale argument word and an unloaded syscall number, not the Docker 24 default', () => {
    const stale = compileSeccomp(
      filter(
        [
          rule(['getpid'], 'SCMP_ACT_ERRNO', [[2, 'SCMP_CMP_LE', 1]], 2),
          rule(['getpid'], 'SCMP_ACT_ERRNO', [[2, 'SCMP_CMP_GE', 0x100000005]], 2),
          rule(['getpid'], 'SCMP_ACT_ERRNO', [[2, 'SCMP_CMP_LT', 5]], 1),
        ],
        { defaultAction: 'SCMP_ACT_KILL_PROCESS' },
      ),
      { arch: 'amd64' },
    );
    assert.deepEqual(stale.libseccompDivergence, [{ arch: 'x86_64', nr: 39, reason: 'stale-argument-word' }]);
    // drydock follows the rules: 255 matches none of them.
    assert.equal(verdict(stale.program, 'getpid', [0n, 0n, 255n]), SECCOMP_RET.KILL_PROCESS);
    const unloaded = compileSeccomp(
      filter(
        [
          rule(['send'], 'SCMP_ACT_ERRNO', [], 3),
          rule(['getpid'], 'SCMP_ACT_ERRNO', [[0, 'SCMP_CMP_EQ', 1]], 4),
        ],
        {
          architectures: ['SCMP_ARCH_X86'],
        },
      ),
      { arch: 'amd64' },
    );
    assert.deepEqual(unloaded.libseccompDivergence, [{ arch: 'x86', reason: 'unloaded-syscall-number' }]);
    const f = resolveSeccomp(builtinProfile('docker-default-v24.0.0'), {
      arch: 'amd64',
      caps: [...DOCKER_DEFAULT_CAPS],
      kernel: '6.1',
    });
    assert.ok(f);
    assert.deepEqual(compileSeccomp(f, { arch: 'amd64' }).libseccompDivergence, []);
  });
});
