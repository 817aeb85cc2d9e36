// Properties every VersionScheme must have, and its behaviour on hostile input.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VersionError, type VersionScheme } from '../../src/version/types.js';
import { type Pair, sign } from './os-helpers.js';

/**
 * compare is a total preorder on valid versions: reflexive, antisymmetric, transitive, and versions
 * it calls equal compare the same against everything else. Checked on sorted lists of versions that
 * are mostly a few edits apart, where a broken comparator shows.
 */
export function assertTotalOrder(
  scheme: VersionScheme,
  version: fc.Arbitrary<string>,
  pairs: fc.Arbitrary<Pair>,
  numRuns = 300,
): void {
  const c = (a: string, b: string) => sign(scheme.compare(a, b));
  fc.assert(
    fc.property(pairs, ([a, b]) => {
      assert.equal(c(a, a), 0);
      assert.equal(c(a, b), -c(b, a) || 0, `${a} vs ${b}`);
    }),
    { numRuns: numRuns * 10 },
  );
  const set = fc.array(
    fc.oneof(
      version.map((v) => [v]),
      pairs,
    ),
    { minLength: 1, maxLength: 12 },
  );
  fc.assert(
    fc.property(set, (groups) => {
      const vs = groups.flat();
      const sorted = [...vs].sort(c);
      for (let i = 0; i < sorted.length; i++) {
        for (let j = i + 1; j < sorted.length; j++) {
          const a = sorted[i] as string;
          const b = sorted[j] as string;
          assert.ok(c(a, b) <= 0, `sorted list not ordered: ${a} > ${b}`);
          if (c(a, b) === 0) {
            for (const x of vs) assert.equal(c(a, x), c(b, x), `${a} = ${b} but not against ${x}`);
          }
        }
      }
    }),
    { numRuns },
  );
}

/** 100 KB hostile strings: valid() is false and compare throws VersionError, each well under 100 ms. */
export function pathological(scheme: VersionScheme, valid = '1.0'): void {
  const n = 100_000;
  const hostile = [
    '1'.repeat(n),
    '0'.repeat(n),
    '1.'.repeat(n / 2),
    '1-'.repeat(n / 2),
    '1:'.repeat(n / 2),
    '~'.repeat(n),
    '^'.repeat(n),
    'a1'.repeat(n / 2),
    `1${'_p'.repeat(n / 2)}`,
    `1${'.0'.repeat(n / 2)}!`,
    `${'1'.repeat(n)}\u0000`,
  ];
  for (const h of hostile) {
    const t0 = performance.now();
    assert.equal(scheme.valid(h), false);
    assert.throws(() => scheme.compare(h, valid), VersionError);
    assert.throws(() => scheme.compare(valid, h), VersionError);
    const ms = performance.now() - t0;
    assert.ok(ms < 100, `${h.slice(0, 10)}...: ${ms} ms`);
  }
  for (const x of [undefined, null, 1, {}] as unknown as string[]) {
    assert.equal(scheme.valid(x), false);
    assert.throws(() => scheme.compare(x, valid), VersionError);
  }
}
