import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import {
  ALL_CAPS,
  CAPABILITIES,
  capMask,
  capsFromMask,
  DOCKER_DEFAULT_CAPS,
  effectiveCaps,
  normalizeCap,
} from '../../src/harden/caps.js';

const D = (...names: string[]) => names.map((n) => `CAP_${n}`);
const sorted = (l: string[]) => [...l].sort();

describe('capabilities', () => {
  it('has the 41 capabilities of Linux 5.9+ numbered 0..40', () => {
    assert.equal(CAPABILITIES.length, 41);
    assert.deepEqual(
      CAPABILITIES.map((c) => c.number),
      Array.from({ length: 41 }, (_, i) => i),
    );
    assert.equal(new Set(ALL_CAPS).size, 41);
    // Numbers from include/uapi/linux/capability.h
    const n = (name: string) => CAPABILITIES.find((c) => c.name === name)?.number;
    assert.equal(n('CAP_SYS_ADMIN'), 21);
    assert.equal(n('CAP_NET_RAW'), 13);
    assert.equal(n('CAP_AUDIT_WRITE'), 29);
    assert.equal(n('CAP_CHECKPOINT_RESTORE'), 40);
  });

  it("Docker's default set is the CapEff every docker container shows: 00000000a80425fb", () => {
    assert.equal(DOCKER_DEFAULT_CAPS.length, 14);
    assert.equal(capMask(DOCKER_DEFAULT_CAPS), 0xa80425fbn);
    assert.deepEqual(sorted(capsFromMask(0xa80425fbn)), sorted([...DOCKER_DEFAULT_CAPS]));
    // A privileged container on Linux 5.9+: 000001ffffffffff
    assert.equal(capMask(ALL_CAPS), 0x1ffffffffffn);
    assert.deepEqual(
      CAPABILITIES.filter((c) => c.dockerDefault)
        .map((c) => c.name)
        .sort(),
      sorted([...DOCKER_DEFAULT_CAPS]),
    );
  });

  it('marks the PSS baseline set: the defaults without NET_RAW', () => {
    assert.deepEqual(
      CAPABILITIES.filter((c) => c.pssBaseline)
        .map((c) => c.name)
        .sort(),
      sorted(DOCKER_DEFAULT_CAPS.filter((c) => c !== 'CAP_NET_RAW')),
    );
  });

  it('normalises names as moby does', () => {
    assert.equal(normalizeCap('net_admin'), 'CAP_NET_ADMIN');
    assert.equal(normalizeCap('cap_sys_time'), 'CAP_SYS_TIME');
    assert.equal(normalizeCap(' Cap_Chown '), 'CAP_CHOWN');
    assert.equal(normalizeCap('all'), 'ALL');
  });

  // Each case: adds, drops, privileged -> expected set (moby TweakCapabilities semantics).
  const cases: [string, string[], string[], boolean, string[]][] = [
    ['defaults', [], [], false, [...DOCKER_DEFAULT_CAPS]],
    ['drop ALL + add', ['NET_BIND_SERVICE'], ['ALL'], false, D('NET_BIND_SERVICE')],
    ['drop ALL alone', [], ['all'], false, []],
    [
      'add ALL + drop',
      ['ALL'],
      ['NET_RAW', 'cap_sys_admin'],
      false,
      ALL_CAPS.filter((c) => c !== 'CAP_NET_RAW' && c !== 'CAP_SYS_ADMIN'),
    ],
    ['add ALL + drop ALL', ['ALL'], ['ALL'], false, [...ALL_CAPS]],
    ['privileged', [], ['ALL'], true, [...ALL_CAPS]],
    ['privileged ignores unknown names', ['NOPE'], [], true, [...ALL_CAPS]],
    ['duplicates', ['CHOWN', 'chown', 'CAP_CHOWN'], [], false, [...DOCKER_DEFAULT_CAPS]],
    [
      'drop some + add some',
      ['sys_time', 'NET_ADMIN'],
      ['NET_RAW', 'MKNOD'],
      false,
      [
        ...DOCKER_DEFAULT_CAPS.filter((c) => c !== 'CAP_NET_RAW' && c !== 'CAP_MKNOD'),
        'CAP_SYS_TIME',
        'CAP_NET_ADMIN',
      ],
    ],
    [
      'add beats drop of the same name',
      ['NET_ADMIN'],
      ['NET_ADMIN'],
      false,
      [...DOCKER_DEFAULT_CAPS, 'CAP_NET_ADMIN'],
    ],
    ['drop a default that is also added', ['CHOWN'], ['CHOWN'], false, [...DOCKER_DEFAULT_CAPS]],
  ];
  for (const [name, add, drop, priv, want] of cases) {
    it(`effective set: ${name}`, () => {
      assert.deepEqual(sorted(effectiveCaps(add, drop, priv)), sorted([...new Set(want)]));
    });
  }

  it('refuses unknown capabilities like the daemon', () => {
    assert.throws(
      () => effectiveCaps(['CAP_FOO'], []),
      (e: unknown) => e instanceof UserError && /unknown capability: "CAP_FOO"/.test(e.message),
    );
    assert.throws(() => effectiveCaps([], ['bogus']), UserError);
  });
});
