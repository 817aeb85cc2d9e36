// Unit tests of the seccomp evaluator: Docker's default profile and libseccomp 2.5.4's precedence
// rules, each expectation taken from what the kernel did under runc (see kernel.test.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { DOCKER_DEFAULT_CAPS } from '../../src/harden/caps.js';
import { builtinProfile } from '../../src/seccomp/builtin.js';
import {
  checkFilterLoads,
  type EvalResult,
  evalProfile,
  evalSyscall,
  newerSyscall,
  SeccompFilterRejected,
} from '../../src/seccomp/eval.js';
import {
  dockerDefaultProfile,
  type OciSeccomp,
  type OciSyscall,
  resolveSeccomp,
  type SeccompArg,
} from '../../src/seccomp/resolve.js';

const CAPS = [...DOCKER_DEFAULT_CAPS];

function dockerDefault(): OciSeccomp {
  const r = resolveSeccomp(dockerDefaultProfile(), { arch: 'amd64', caps: CAPS, kernel: '6.18' });
  assert.ok(r);
  return r;
}

/** "allow" | "errno N" | "kill" | "trap" | "trace N" | "log": what a test compares. */
function verdict(r: EvalResult): string {
  switch (r.action) {
    case 'SCMP_ACT_ALLOW':
      return 'allow';
    case 'SCMP_ACT_LOG':
      return 'log';
    case 'SCMP_ACT_ERRNO':
      return `errno ${r.errnoRet}`;
    case 'SCMP_ACT_TRACE':
      return `trace ${r.errnoRet}`;
    case 'SCMP_ACT_TRAP':
      return 'trap';
    default:
      return 'kill';
  }
}

const A = (index: number, op: string, value: number, valueTwo?: number): SeccompArg => {
  const a: SeccompArg = { index, op: `SCMP_CMP_${op}` as SeccompArg['op'], value };
  if (valueTwo !== undefined) a.valueTwo = valueTwo;
  return a;
};
const E = (errnoRet: number, args?: SeccompArg[], names = ['getppid']): OciSyscall => {
  const r: OciSyscall = { names, action: 'SCMP_ACT_ERRNO', errnoRet };
  if (args) r.args = args;
  return r;
};
const filter = (syscalls: OciSyscall[], extra: Partial<OciSeccomp> = {}): OciSeccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
  syscalls,
  ...extra,
});
const ev = (f: OciSeccomp, arch: string, syscall: string | number, ...args: bigint[]): string =>
  verdict(evalSyscall(f, { arch, syscall, args }));

describe("Docker's default profile for a default amd64 container", () => {
  const f = dockerDefault();

  it('allows the unconditional group and resolves names and numbers alike', () => {
    const r = evalSyscall(f, { arch: 'amd64', syscall: 'getpid' });
    assert.equal(r.action, 'SCMP_ACT_ALLOW');
    assert.deepEqual(r.syscall, { name: 'getpid', number: 39 });
    assert.ok(typeof r.rule === 'object' && r.rule.index === 0);
    assert.equal(ev(f, 'x86_64', 39), 'allow');
    assert.equal(ev(f, 'SCMP_ARCH_X86', 'getpid'), 'allow');
  });

  it('filters socket families: AF_ALG (38) and AF_VSOCK (40) get EPERM, the rest pass', () => {
    for (const fam of [1n, 2n, 10n, 16n, 39n, 41n])
      assert.equal(ev(f, 'amd64', 'socket', fam, 1n, 0n), 'allow');
    for (const fam of [38n, 40n]) assert.equal(ev(f, 'amd64', 'socket', fam, 1n, 0n), 'errno 1');
    const r = evalSyscall(f, { arch: 'amd64', syscall: 'socket', args: [39n] });
    assert.ok(typeof r.rule === 'object');
    assert.deepEqual(r.rule.args, [{ index: 0, value: 39, op: 'SCMP_CMP_EQ' }]);
  });

  it('compares the full 64-bit family on x86_64, so high bits slip AF_VSOCK past "arg0 > 40"', () => {
    // The kernel reads socket's family as an int: 0x100000028 is AF_VSOCK (kernel-verified).
    assert.equal(ev(f, 'amd64', 'socket', 0x1_0000_0028n, 1n, 0n), 'allow');
    assert.equal(ev(f, 'amd64', 'socket', 0x1_0000_0026n, 5n, 0n), 'allow');
  });

  it('on 32-bit x86 compares the low word, but socketcall(SYS_SOCKET) escapes the family filter', () => {
    assert.equal(ev(f, 'x86', 'socket', 40n, 1n, 0n), 'errno 1');
    assert.equal(ev(f, 'x86', 'socket', 0x1_0000_0001n), 'allow');
    const r = evalSyscall(f, { arch: 'x86', syscall: 'socketcall', args: [1n, 0x1000n] });
    assert.equal(verdict(r), 'allow');
    assert.ok(r.notes?.some((n) => /socketcall/.test(n)));
    assert.throws(() => evalSyscall(f, { arch: 'x86', syscall: 'send' }), /socketcall \(102\).*arg0 = 9/);
  });

  it('allows only the five personality values', () => {
    for (const p of [0n, 8n, 0x20000n, 0x20008n, 0xffffffffn])
      assert.equal(ev(f, 'amd64', 'personality', p), 'allow');
    for (const p of [1n, 0x400000n, 0x1_0000_0000n])
      assert.equal(ev(f, 'amd64', 'personality', p), 'errno 1');
    assert.equal(ev(f, 'x86', 'personality', 0x1_0000_0008n), 'allow');
  });

  it('allows clone without namespace flags (MASKED_EQ 0x7E020000 == 0)', () => {
    assert.equal(ev(f, 'amd64', 'clone', 17n), 'allow');
    assert.equal(ev(f, 'amd64', 'clone', 0x1_0000_0000n | 17n), 'allow');
    assert.equal(ev(f, 'amd64', 'clone', 0x10000000n | 17n), 'errno 1');
    assert.equal(ev(f, 'amd64', 'clone', 0x20000n | 17n), 'errno 1');
  });

  it('gives clone3 ENOSYS from its own rule and denies the CAP_SYS_ADMIN calls', () => {
    const r = evalSyscall(f, { arch: 'amd64', syscall: 'clone3' });
    assert.equal(verdict(r), 'errno 38');
    assert.ok(typeof r.rule === 'object' && r.rule.names.includes('clone3'));
    for (const s of ['unshare', 'mount', 'bpf', 'kexec_load', 'open_by_handle_at', 'io_uring_setup'])
      assert.equal(ev(f, 'amd64', s), 'errno 1', s);
    assert.equal(ev(f, 'amd64', 'ptrace'), 'allow');
    assert.equal(ev(f, 'amd64', 'keyctl'), 'errno 1');
  });

  it("answers ENOSYS from runc's stub above the highest syscall it names, EPERM below", () => {
    const stat = evalSyscall(f, { arch: 'amd64', syscall: 'statmount' });
    assert.equal(stat.rule, 'enosys-stub');
    assert.equal(verdict(stat), 'errno 38');
    assert.equal(
      verdict(evalSyscall(f, { arch: 'amd64', syscall: 'statmount', runcStub: false })),
      'errno 1',
    );
    assert.equal(ev(f, 'amd64', 1000), 'errno 38');
    // uretprobe (335) is named by the profile but unknown to libseccomp: the default applies.
    const u = evalSyscall(f, { arch: 'amd64', syscall: 'uretprobe' });
    assert.equal(u.rule, 'default');
    assert.ok(u.notes?.some((n) => /uretprobe/.test(n)));
  });

  it('kills syscalls of an architecture the filter does not include', () => {
    const r = evalSyscall(f, { arch: 'arm64', syscall: 'getpid' });
    assert.equal(r.rule, 'bad-arch');
    assert.equal(r.action, 'SCMP_ACT_KILL_THREAD');
    const only64 = filter([E(201)], { architectures: ['SCMP_ARCH_X86_64'] });
    assert.equal(ev(only64, 'x86', 'getppid'), 'kill');
    // Without architectures the filter holds only the native one: the queried arch by default.
    assert.equal(ev(filter([E(201)], { architectures: [] }), 'x86', 'getppid'), 'errno 201');
    assert.equal(
      verdict(
        evalSyscall(filter([E(201)], { architectures: [] }), {
          arch: 'x86',
          syscall: 'getppid',
          native: 'amd64',
        }),
      ),
      'kill',
    );
  });
});

describe('Docker 24.0.0 default profile', () => {
  const f = resolveSeccomp(builtinProfile('docker-default-v24.0.0'), {
    arch: 'amd64',
    caps: CAPS,
    kernel: '6.18',
  });
  assert.ok(f);
  it('still allows io_uring and only denies AF_VSOCK', () => {
    assert.equal(ev(f, 'amd64', 'io_uring_setup'), 'allow');
    assert.equal(ev(f, 'amd64', 'socket', 38n), 'allow');
    assert.equal(ev(f, 'amd64', 'socket', 40n), 'errno 1');
  });
});

describe('libseccomp precedence between rules for one syscall', () => {
  it('tests the highest argument index first, whatever the rule order', () => {
    const f = filter([E(201, [A(0, 'EQ', 1)]), E(202, [A(1, 'EQ', 1)])]);
    assert.equal(ev(f, 'amd64', 'getppid', 1n, 1n), 'errno 202');
    assert.equal(ev(f, 'x86', 'getppid', 1n, 1n), 'errno 202');
    assert.equal(ev(f, 'amd64', 'getppid', 1n, 0n), 'errno 201');
    assert.equal(ev(f, 'amd64', 'getppid', 0n, 0n), 'allow');
  });

  it('on one argument: EQ before LT before GT, in either rule order', () => {
    const rules = [E(201, [A(0, 'GT', 3)]), E(202, [A(0, 'LT', 10)]), E(203, [A(0, 'EQ', 5)])];
    for (const f of [filter(rules), filter([...rules].reverse())]) {
      for (const arch of ['amd64', 'x86']) {
        assert.equal(ev(f, arch, 'getppid', 5n), 'errno 203');
        assert.equal(ev(f, arch, 'getppid', 2n), 'errno 202');
        assert.equal(ev(f, arch, 'getppid', 7n), 'errno 202');
        assert.equal(ev(f, arch, 'getppid', 12n), 'errno 201');
      }
    }
  });

  it('LT values smallest first, GT values largest first; NE is an EQ test', () => {
    const lt = filter([E(201, [A(0, 'LT', 10)]), E(202, [A(0, 'LT', 20)])]);
    assert.deepEqual(
      [5n, 15n, 25n].map((v) => ev(lt, 'amd64', 'getppid', v)),
      ['errno 201', 'errno 202', 'allow'],
    );
    const gt = filter([E(201, [A(0, 'GT', 10)]), E(202, [A(0, 'GT', 20)])]);
    assert.deepEqual(
      [5n, 15n, 25n].map((v) => ev(gt, 'amd64', 'getppid', v)),
      ['allow', 'errno 201', 'errno 202'],
    );
    // The NE 7 test sorts before EQ 5 (larger value): 5 != 7, so NE's rule wins for 5.
    const ne = filter([E(201, [A(0, 'EQ', 5)]), E(202, [A(0, 'NE', 7)])]);
    assert.deepEqual(
      [5n, 7n, 9n].map((v) => ev(ne, 'amd64', 'getppid', v)),
      ['errno 202', 'allow', 'errno 202'],
    );
  });

  it('MASKED_EQ against EQ: rule order on x86_64 (equal high words), value order on x86', () => {
    const f = filter([E(201, [A(0, 'MASKED_EQ', 0xf0, 0x10)]), E(202, [A(0, 'EQ', 0x15)])]);
    assert.equal(ev(f, 'amd64', 'getppid', 0x15n), 'errno 201');
    assert.equal(ev(f, 'x86', 'getppid', 0x15n), 'errno 202');
    assert.equal(ev(f, 'amd64', 'getppid', 0x1fn), 'errno 201');
    assert.equal(ev(f, 'amd64', 'getppid', 0x25n), 'allow');
  });

  it('an unconditional rule beats conditional ones; the first unconditional one stands', () => {
    assert.equal(ev(filter([E(201, [A(0, 'EQ', 5)]), E(202)]), 'amd64', 'getppid', 5n), 'errno 202');
    assert.equal(ev(filter([E(202), E(201, [A(0, 'EQ', 5)])]), 'amd64', 'getppid', 5n), 'errno 202');
    assert.equal(ev(filter([E(202), E(201)]), 'amd64', 'getppid'), 'errno 202');
  });

  it('runc skips a rule with the default action, so it does not override the others', () => {
    const f = filter([E(201, [A(0, 'EQ', 5)]), { names: ['getppid'], action: 'SCMP_ACT_ALLOW' }]);
    assert.equal(ev(f, 'amd64', 'getppid', 5n), 'errno 201');
    assert.equal(ev(f, 'amd64', 'getppid', 6n), 'allow');
  });

  it('conditions of one rule are ANDed; one argument named twice becomes OR (runc splits it)', () => {
    const and = filter([E(201, [A(0, 'EQ', 1), A(1, 'LE', 5)])]);
    assert.deepEqual(
      [
        [1n, 3n],
        [1n, 5n],
        [1n, 9n],
        [2n, 3n],
      ].map((a) => ev(and, 'x86', 'getppid', ...a)),
      ['errno 201', 'errno 201', 'allow', 'allow'],
    );
    const or = filter([E(201, [A(0, 'GT', 10), A(0, 'LT', 5)])]);
    assert.deepEqual(
      [3n, 7n, 12n].map((v) => ev(or, 'amd64', 'getppid', v)),
      ['errno 201', 'allow', 'errno 201'],
    );
  });

  it('refuses clashing rules like libseccomp (EEXIST): runc would not start the container', () => {
    const same = filter([E(201, [A(0, 'EQ', 5)]), E(202, [A(0, 'EQ', 5)])]);
    assert.throws(() => evalSyscall(same, { arch: 'amd64', syscall: 'getpid' }), SeccompFilterRejected);
    assert.throws(
      () => checkFilterLoads(same),
      (e: unknown) => e instanceof SeccompFilterRejected && e.rule === 1 && e.other === 0,
    );
    // A shorter rule after a longer one with the same prefix and another action clashes too...
    assert.throws(() =>
      checkFilterLoads(filter([E(201, [A(0, 'EQ', 5), A(1, 'EQ', 1)]), E(202, [A(0, 'EQ', 5)])])),
    );
    // ...but the other way round the longer rule is silently dropped.
    const dropped = filter([E(202, [A(0, 'EQ', 5)]), E(201, [A(0, 'EQ', 5), A(1, 'EQ', 1)])]);
    assert.equal(ev(dropped, 'amd64', 'getppid', 5n, 1n), 'errno 202');
    // x86 keeps only low words: 0x100000005 and 5 are the same test there.
    assert.throws(() =>
      checkFilterLoads(filter([E(201, [A(0, 'EQ', 0x1_0000_0005)]), E(202, [A(0, 'EQ', 5)])])),
    );
    assert.doesNotThrow(() =>
      checkFilterLoads(
        filter([E(201, [A(0, 'EQ', 0x1_0000_0005)]), E(202, [A(0, 'EQ', 5)])], {
          architectures: ['SCMP_ARCH_X86_64'],
        }),
      ),
    );
  });

  it('x32 is a 32-bit architecture to libseccomp: its syscalls carry the x32 bit', () => {
    const f = filter([E(201, [A(0, 'GT', 0x1_0000_0000)])], {
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
    });
    const r = evalSyscall(f, { arch: 'x32', syscall: 'getppid', args: [1n] });
    assert.equal(r.syscall.number, 0x4000_0000 + 110);
    assert.equal(verdict(r), 'errno 201');
    assert.equal(ev(f, 'amd64', 'getppid', 1n), 'allow');
  });

  it('64-bit arguments on x86_64, low 32 bits on x86', () => {
    const gt = filter([E(201, [A(0, 'GT', 0x1_0000_0000)])]);
    assert.deepEqual(
      [0x1_0000_0001n, 0x2_0000_0000n, 0xffff_ffffn, 1n].map((v) => ev(gt, 'amd64', 'getppid', v)),
      ['errno 201', 'errno 201', 'allow', 'allow'],
    );
    // On x86 the value is truncated to 0 (GT 0) and so is the argument.
    assert.deepEqual(
      [0x1_0000_0001n, 0x2_0000_0000n, 0xffff_ffffn, 1n].map((v) => ev(gt, 'x86', 'getppid', v)),
      ['errno 201', 'allow', 'errno 201', 'errno 201'],
    );
  });

  it('reproduces libseccomp 2.5.4 generator quirks the kernel really runs', () => {
    // The accumulator still holds arg1's low word when the third test runs: (1, 0x80000000)
    // matches "a1 < 0x100000000" on paper but the kernel allowed it.
    const acc = filter([E(203, [A(1, 'LT', 0x7fffffff), A(0, 'LT', 1), A(1, 'LT', 0x1_0000_0000)])]);
    assert.equal(ev(acc, 'amd64', 'getppid', 1n, 0x8000_0000n, 5n), 'allow');
    assert.equal(ev(acc, 'amd64', 'getppid', 0n, 0x1_0000_0001n), 'errno 203');
    // Pruning drops a rule whose last test equals an existing leaf (x86: a1 == 0 after "a1 != 0").
    const pruned = filter([
      E(202, [A(1, 'NE', 0)]),
      { names: ['getppid'], action: 'SCMP_ACT_TRAP', args: [A(1, 'EQ', 0), A(0, 'LE', 255)] },
    ]);
    assert.equal(ev(pruned, 'x86', 'getppid', 0n, 0n), 'allow');
    assert.equal(ev(pruned, 'x86', 'getppid', 0n, 1n), 'errno 202');
    // Two NE rules on one high word: the first keeps the "high word differs" branch.
    const ne = filter([E(202, [A(1, 'NE', 5)]), E(204, [A(1, 'NE', 255)])]);
    assert.equal(ev(ne, 'amd64', 'getppid', 2n, 0x1_0000_0005n), 'errno 202');
  });

  it('reports TRACE/ERRNO data as runc sets it, capped by the kernel', () => {
    const f = filter([
      E(12345, undefined, ['getppid']),
      { names: ['getpgrp'], action: 'SCMP_ACT_TRACE' },
      { names: ['geteuid'], action: 'SCMP_ACT_ERRNO' },
      { names: ['getuid'], action: 'SCMP_ACT_KILL' },
    ]);
    assert.equal(ev(f, 'amd64', 'getppid'), 'errno 4095');
    assert.equal(ev(f, 'amd64', 'getpgrp'), 'trace 1');
    assert.equal(ev(f, 'amd64', 'geteuid'), 'errno 1');
    assert.equal(evalSyscall(f, { arch: 'amd64', syscall: 'getuid' }).action, 'SCMP_ACT_KILL');
  });
});

describe('evalProfile', () => {
  it('resolves includes/excludes for the caps and kernel, then evaluates', () => {
    const p = dockerDefaultProfile();
    assert.equal(verdict(evalProfile(p, { arch: 'amd64', syscall: 'mount', caps: CAPS })), 'errno 1');
    assert.equal(
      verdict(evalProfile(p, { arch: 'amd64', syscall: 'mount', caps: [...CAPS, 'CAP_SYS_ADMIN'] })),
      'allow',
    );
    assert.equal(
      verdict(evalProfile(p, { arch: 'amd64', syscall: 'ptrace', caps: CAPS, kernel: '4.7' })),
      'errno 1',
    );
    assert.equal(
      verdict(evalProfile(p, { arch: 'amd64', syscall: 'ptrace', caps: CAPS, kernel: '4.8' })),
      'allow',
    );
  });

  it('reports an unconfined profile', () => {
    const r = evalProfile({ defaultAction: '', syscalls: [] }, { arch: 'amd64', syscall: 'mount', caps: [] });
    assert.equal(r.rule, 'unconfined');
    assert.equal(r.action, 'SCMP_ACT_ALLOW');
  });
});

describe('bad queries', () => {
  const f = dockerDefault();
  it('are one-line UserErrors', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => evalSyscall(f, { arch: 'vax', syscall: 'getpid' }), /unknown architecture "vax"/],
      [() => evalSyscall(f, { arch: 'amd64', syscall: 'getpidd' }), /no syscall "getpidd" on x86_64/],
      [() => evalSyscall(f, { arch: 'amd64', syscall: -1 }), /not a 32-bit unsigned integer/],
      [
        () => evalSyscall(f, { arch: 'amd64', syscall: 'getpid', args: [0n, 0n, 0n, 0n, 0n, 0n, 0n] }),
        /at most 6 arguments/,
      ],
      [
        () => evalSyscall(f, { arch: 'amd64', syscall: 'getpid', args: [1n << 64n] }),
        /does not fit in 64 bits/,
      ],
      [
        () => evalSyscall(f, { arch: 'amd64', syscall: 'getpid', native: 'z80' }),
        /unknown native architecture/,
      ],
      [
        () => evalSyscall({ ...f, defaultAction: 'SCMP_ACT_NOTIFY' }, { arch: 'amd64', syscall: 'getpid' }),
        /NOTIFY as the default/,
      ],
    ];
    for (const [fn, re] of cases) {
      assert.throws(
        fn,
        (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'),
      );
    }
  });

  it('refuse hostile filters passed straight from a config.json', () => {
    const bad: unknown[] = [
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: 'x' },
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: 'getpid', action: 'SCMP_ACT_ALLOW' }] },
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'X' }] },
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['getpid'], action: 'SCMP_ACT_ERRNO', args: [{ index: 9, value: 1, op: 'SCMP_CMP_EQ' }] },
        ],
      },
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          {
            names: ['getpid'],
            action: 'SCMP_ACT_ERRNO',
            args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }],
          },
        ],
      },
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['getpid'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_XOR' }] },
        ],
      },
      { defaultAction: 'SCMP_ACT_PERMIT', syscalls: [] },
    ];
    for (const b of bad)
      assert.throws(
        () => evalSyscall(b as OciSeccomp, { arch: 'amd64', syscall: 'getpid' }),
        UserError,
        JSON.stringify(b),
      );
  });

  it("take negative arguments as two's complement and unnamed numbers as they are", () => {
    assert.equal(ev(f, 'amd64', 'personality', -1n), 'errno 1');
    assert.equal(ev(f, 'amd64', 'personality', 0xffff_ffffn), 'allow');
    const r = evalSyscall(f, { arch: 'amd64', syscall: 400 });
    assert.deepEqual(r.syscall, { number: 400 });
    assert.equal(verdict(r), 'errno 1');
  });
});

describe('syscalls newer than libseccomp 2.5.4', () => {
  it('are known by number with the Linux version that added them', () => {
    assert.deepEqual(newerSyscall('x86_64', 'statmount'), { number: 457, linux: '6.8' });
    assert.deepEqual(newerSyscall('x32', 'mseal'), { number: 0x4000_0000 + 462, linux: '6.10' });
    assert.deepEqual(newerSyscall('riscv64', 'riscv_hwprobe'), { number: 258, linux: '6.4' });
    assert.equal(newerSyscall('aarch64', 'uretprobe'), undefined);
    assert.equal(newerSyscall('x86_64', 'getpid'), undefined);
    assert.deepEqual(evalSyscall(dockerDefault(), { arch: 'amd64', syscall: 462 }).syscall, {
      name: 'mseal',
      number: 462,
    });
  });
});
