import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { DOCKER_DEFAULT_CAPS } from '../../src/harden/caps.js';
import { builtinProfile } from '../../src/seccomp/builtin.js';
import {
  argSetOf,
  boxOf,
  boxWitness,
  type DiffResult,
  diffProfiles,
  formatDiffTable,
  witnessOf,
} from '../../src/seccomp/diff.js';
import type { DockerSeccompProfile, DockerSyscallRule } from '../../src/seccomp/resolve.js';

const CAPS = [...DOCKER_DEFAULT_CAPS];
const current = (): DockerSeccompProfile => builtinProfile('docker-default');
const v24 = (): DockerSeccompProfile => builtinProfile('docker-default-v24.0.0');

function profile(
  rules: DockerSyscallRule[],
  extra: Partial<DockerSeccompProfile> = {},
): DockerSeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: rules,
    ...extra,
  };
}

function bySyscall(r: DiffResult, name: string) {
  return r.entries.filter((e) => e.syscall === name);
}

describe('diffProfiles: Docker current default vs v24.0.0 (amd64, default caps)', () => {
  const r = diffProfiles(current(), v24(), { arch: 'amd64', caps: CAPS, labels: ['current', 'v24.0.0'] });

  it('finds io_uring allowed only by v24', () => {
    for (const n of ['io_uring_setup', 'io_uring_enter', 'io_uring_register']) {
      const [e, ...more] = bySyscall(r, n);
      assert.ok(e, n);
      assert.equal(more.length, 0);
      assert.equal(e.kind, 'allowed-only-in-b');
      assert.equal(e.condition, '');
      assert.equal(e.a, 'ERRNO(EPERM)');
      assert.equal(e.b, 'ALLOW');
      assert.equal(e.message, `${n} allowed by v24.0.0, denied by current [ERRNO(EPERM)]`);
    }
  });

  it('finds the syscalls added since v24 allowed only by current, flagging names libseccomp 2.5.4 lacks', () => {
    for (const [n, known] of [
      ['cachestat', true],
      ['fchmodat2', true],
      ['map_shadow_stack', true],
      ['futex_wake', true],
      ['mseal', false],
      ['statmount', false],
      ['listmount', false],
      ['uretprobe', false],
    ] as const) {
      const [e] = bySyscall(r, n);
      assert.ok(e, n);
      assert.equal(e.kind, 'allowed-only-in-a', n);
      assert.equal(e.known, known, n);
    }
    assert.ok(r.notes.some((n) => n.includes('libseccomp 2.5.4') && n.includes('mseal')));
  });

  it('reduces the socket rules to the one family v24 allows and current denies', () => {
    const [e, ...more] = bySyscall(r, 'socket');
    assert.ok(e);
    assert.equal(more.length, 0);
    assert.equal(e.kind, 'allowed-only-in-b');
    assert.equal(e.condition, 'arg0 == 38');
    assert.deepEqual(e.witnesses, [[{ index: 0, value: '38' }]]);
    assert.equal(e.exact, true);
    assert.equal(e.message, 'socket(arg0 == 38) allowed by v24.0.0, denied by current [ERRNO(EPERM)]');
  });

  it('has exactly the hand-checked set of differences and no header difference', () => {
    // From the two default.json files: v24 allows io_uring_* and socket family 38; current adds the
    // 6.x syscalls, name_to_handle_at (CAP_SYS_ADMIN-only in v24) and riscv_hwprobe (no number on
    // amd64 but mentioned, so compared); current's lsm_* sit in the CAP_SYS_ADMIN group.
    assert.deepEqual(r.header, []);
    assert.deepEqual(
      r.entries.filter((e) => e.kind === 'allowed-only-in-a').map((e) => e.syscall),
      [
        'cachestat',
        'fchmodat2',
        'futex_requeue',
        'futex_wait',
        'futex_wake',
        'getxattrat',
        'listmount',
        'listxattrat',
        'map_shadow_stack',
        'mseal',
        'name_to_handle_at',
        'removexattrat',
        'riscv_hwprobe',
        'setxattrat',
        'statmount',
        'uretprobe',
      ],
    );
    assert.deepEqual(
      r.entries.filter((e) => e.kind === 'allowed-only-in-b').map((e) => e.syscall),
      ['io_uring_enter', 'io_uring_register', 'io_uring_setup', 'socket'],
    );
    assert.equal(r.summary.actionDiffers, 0);
  });

  it('is antisymmetric: swapping the profiles swaps the kinds', () => {
    const s = diffProfiles(v24(), current(), { arch: 'amd64', caps: CAPS });
    assert.equal(s.summary.onlyA, r.summary.onlyB);
    assert.equal(s.summary.onlyB, r.summary.onlyA);
    assert.equal(bySyscall(s, 'socket')[0]?.kind, 'allowed-only-in-a');
  });

  it('renders a table with one row per difference', () => {
    const t = formatDiffTable(r);
    assert.match(
      t,
      /^seccomp diff current -> v24\.0\.0 \(x86_64\): 16 allowed only by current, 4 allowed only by v24\.0\.0/,
    );
    assert.match(t, /\nsocket +arg0 == 38 +ERRNO\(EPERM\) +ALLOW +arg0=38\n/);
    assert.match(t, /\nmseal \* +any +ALLOW +ERRNO\(EPERM\)\n/);
    assert.match(t, /\* unknown to libseccomp 2\.5\.4/);
  });

  it('depends on the capabilities: CAP_SYS_ADMIN changes which differences exist', () => {
    const admin = diffProfiles(current(), v24(), { arch: 'amd64', caps: [...CAPS, 'CAP_SYS_ADMIN'] });
    assert.equal(bySyscall(admin, 'clone').length, 0);
    assert.equal(bySyscall(admin, 'name_to_handle_at').length, 0);
    assert.equal(bySyscall(admin, 'lsm_get_self_attr')[0]?.kind, 'allowed-only-in-a');
    assert.equal(bySyscall(r, 'lsm_get_self_attr').length, 0);
  });
});

describe('diffProfiles: a profile against itself and trivial rewrites', () => {
  it('finds nothing for the same profile', () => {
    for (const p of [current, v24]) {
      const r = diffProfiles(p(), p(), { arch: 'amd64', caps: CAPS });
      assert.deepEqual(r.entries, []);
      assert.deepEqual(r.header, []);
      assert.match(formatDiffTable(r), /no syscall behaves differently/);
    }
  });

  it('ignores rule order, name grouping and rules equal to the default action', () => {
    const a = profile([
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
    ]);
    const b = profile([
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 39, op: 'SCMP_CMP_LE' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 41, op: 'SCMP_CMP_GE' }] },
      { name: 'write', action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { name: 'read', action: 'SCMP_ACT_ALLOW' },
    ]);
    assert.deepEqual(diffProfiles(a, b, { arch: 'amd64', caps: [] }).entries, []);
  });
});

describe('diffProfiles: argument conditions', () => {
  const opts = { arch: 'amd64', caps: [] as string[] };

  it('describes MASKED_EQ differences soundly with a checked witness (clone namespace flags)', () => {
    const docker = profile([
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ]);
    const userOnly = profile([
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0x10000000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ]);
    const open = profile([{ names: ['clone'], action: 'SCMP_ACT_ALLOW' }]);

    const r1 = diffProfiles(docker, open, { ...opts, labels: ['docker', 'open'] });
    const [e1] = bySyscall(r1, 'clone');
    assert.ok(e1);
    assert.equal(e1.kind, 'allowed-only-in-b');
    assert.equal(e1.condition, '(arg0 & 0x7e020000) != 0');
    // The smallest value with a namespace bit: CLONE_NEWNS 0x20000.
    assert.deepEqual(e1.witnesses, [[{ index: 0, value: String(0x20000) }]]);
    assert.equal(e1.exact, true);

    const r2 = diffProfiles(docker, userOnly, opts);
    const [e2, ...more] = bySyscall(r2, 'clone');
    assert.ok(e2);
    assert.equal(more.length, 0);
    assert.equal(e2.kind, 'allowed-only-in-b');
    assert.equal(e2.condition, '(arg0 & 0x10000000) == 0 && (arg0 & 0x7e020000) != 0');
    const w = BigInt(e2.witnesses[0]?.[0]?.value ?? '0');
    assert.equal(w & 0x10000000n, 0n);
    assert.notEqual(w & 0x7e020000n, 0n);

    // CLONE_NEWUSER itself: allowed by neither docker nor userOnly, so not a difference between them.
    assert.equal(bySyscall(diffProfiles(userOnly, docker, opts), 'clone')[0]?.kind, 'allowed-only-in-a');
  });

  it('computes exact interval differences for EQ/NE/LT/LE/GT/GE', () => {
    const a = profile([
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 10, op: 'SCMP_CMP_LT' }] },
    ]);
    const b = profile([
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_LE' }] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 5, op: 'SCMP_CMP_GT' }] },
    ]);
    const r = diffProfiles(a, b, opts);
    const [p] = bySyscall(r, 'personality');
    assert.equal(p?.condition, '1 <= arg0 <= 7');
    assert.equal(p?.kind, 'allowed-only-in-b');
    const s = bySyscall(r, 'socket');
    assert.deepEqual(
      s.map((e) => [e.kind, e.condition]),
      [
        ['allowed-only-in-a', 'arg0 <= 5'],
        ['allowed-only-in-b', 'arg0 >= 10'],
      ],
    );
  });

  it('handles multi-argument rules and reports different denials as action differences', () => {
    const a = profile([
      {
        names: ['openat'],
        action: 'SCMP_ACT_ALLOW',
        args: [
          { index: 2, value: 0, op: 'SCMP_CMP_EQ' },
          { index: 3, value: 0o777, op: 'SCMP_CMP_LE' },
        ],
      },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ]);
    const b = profile([{ names: ['openat'], action: 'SCMP_ACT_ALLOW' }], {
      defaultAction: 'SCMP_ACT_KILL_PROCESS',
    });
    const r = diffProfiles(a, b, opts);
    assert.deepEqual(r.header, [{ field: 'defaultAction', a: 'ERRNO(EPERM)', b: 'KILL_PROCESS' }]);
    const o = bySyscall(r, 'openat');
    assert.equal(o.length, 1);
    assert.equal(o[0]?.kind, 'allowed-only-in-b');
    assert.equal(o[0]?.condition, 'arg2 != 0 || arg3 >= 512');
    const c3 = bySyscall(r, 'clone3')[0];
    assert.equal(c3?.kind, 'action-differs');
    assert.equal(c3?.message, 'clone3: ERRNO(ENOSYS) in A, KILL_PROCESS in B');
    // Every syscall neither profile names differs too (ERRNO vs KILL_PROCESS).
    assert.equal(bySyscall(r, 'mkdir')[0]?.kind, 'action-differs');
  });

  it('lets an unconditional rule win over conditional ones, as libseccomp does', () => {
    const a = profile([
      {
        names: ['mkdirat'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 13,
        args: [{ index: 2, value: 0o700, op: 'SCMP_CMP_EQ' }],
      },
      { names: ['mkdirat'], action: 'SCMP_ACT_ALLOW' },
    ]);
    const b = profile([{ names: ['mkdirat'], action: 'SCMP_ACT_ALLOW' }]);
    assert.deepEqual(bySyscall(diffProfiles(a, b, opts), 'mkdirat'), []);
  });

  it('treats a rule whose MASKED_EQ datum has bits outside the mask as never matching', () => {
    const a = profile([
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0xff, valueTwo: 0x100, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ]);
    const b = profile([]);
    assert.deepEqual(bySyscall(diffProfiles(a, b, opts), 'clone'), []);
  });

  it('treats a disabled profile (no defaultAction, no rules) as unconfined', () => {
    const r = diffProfiles(profile([]), { defaultAction: '', syscalls: [] }, opts);
    assert.deepEqual(r.header[0], { field: 'seccomp', a: 'enabled', b: 'disabled' });
    assert.equal(bySyscall(r, 'read')[0]?.kind, 'allowed-only-in-b');
  });

  it('falls back to sampled comparison for pathological profiles, within bounds', () => {
    const many: DockerSyscallRule[] = [];
    for (let i = 0; i < 300; i++)
      many.push({
        names: ['ioctl'],
        action: 'SCMP_ACT_ALLOW',
        args: [
          { index: 1, value: i * 2, op: 'SCMP_CMP_EQ' },
          { index: 0, value: i, op: 'SCMP_CMP_NE' },
        ],
      });
    const t0 = Date.now();
    const r = diffProfiles(profile(many), profile([]), opts);
    assert.ok(Date.now() - t0 < 20_000);
    const [e] = bySyscall(r, 'ioctl');
    assert.ok(e);
    assert.equal(e.exact, false);
    assert.equal(e.kind, 'allowed-only-in-a');
    assert.ok(r.notes.some((n) => n.includes('sample values')));
  });

  it('rejects an unknown architecture or a bad profile with a UserError', () => {
    assert.throws(() => diffProfiles(profile([]), profile([]), { arch: 'vax', caps: [] }), UserError);
    const bad = { defaultAction: 'SCMP_ACT_NOPE', syscalls: [] } as unknown as DockerSeccompProfile;
    assert.throws(() => diffProfiles(bad, profile([]), { ...opts, labels: ['bad.json', 'B'] }), /bad\.json/);
  });
});

describe('argument set algebra', () => {
  it('finds the smallest value satisfying masks and intervals', () => {
    assert.equal(witnessOf({ iv: [[0n, 100n]], eq: { mask: 0xf0n, value: 0x30n }, ne: [] }), 0x30n);
    assert.equal(witnessOf({ iv: [[0x31n, 100n]], eq: { mask: 0xf0n, value: 0x30n }, ne: [] }), 0x31n);
    assert.equal(witnessOf({ iv: [[0x40n, 100n]], eq: { mask: 0xf0n, value: 0x30n }, ne: [] }), undefined);
    assert.equal(
      witnessOf({
        iv: [[0n, 10n]],
        ne: [
          { mask: 1n, value: 0n },
          { mask: 2n, value: 0n },
        ],
      }),
      3n,
    );
    assert.equal(
      witnessOf({ iv: [[0n, 2n ** 64n - 1n]], eq: { mask: 1n, value: 1n }, ne: [{ mask: 1n, value: 1n }] }),
      undefined,
    );
  });

  it('builds boxes from rule arguments and intersects comparisons on one argument', () => {
    assert.equal(
      boxWitness(
        boxOf([
          { index: 0, value: 5, op: 'SCMP_CMP_GT' },
          { index: 0, value: 7, op: 'SCMP_CMP_LT' },
        ]),
      )?.[0],
      6n,
    );
    assert.equal(
      boxWitness(
        boxOf([
          { index: 0, value: 1, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 2, op: 'SCMP_CMP_EQ' },
        ]),
      ),
      undefined,
    );
    assert.deepEqual(argSetOf({ index: 0, value: 0, op: 'SCMP_CMP_LT' }).iv, []);
  });
});
