import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { apkScheme } from '../../src/version/apk.js';
import { VersionError } from '../../src/version/types.js';
import { modelCompare } from '../helpers/apk-model.js';
import { SKIP_SHARED } from '../helpers/env.js';
import { apkPairs, apkVersion } from './os-arbitraries.js';
import { FIXTURES, realApkVersions, sign, union } from './os-helpers.js';
import { assertTotalOrder, pathological } from './os-order.js';

const cmp = (a: string, b: string) => sign(apkScheme.compare(a, b));

/** apk-tools' test/version.data rows (transcribed in test/fixtures/version/apk-version.data). */
function vectors() {
  const rows = {
    compare: [] as [string, string, string][],
    fuzzy: 0,
    valid: [] as string[],
    invalid: [] as string[],
  };
  for (const raw of readFileSync(path.join(FIXTURES, 'apk-version.data'), 'utf8').split('\n')) {
    if (raw.startsWith('#')) continue;
    const line = raw.replace(/\s#.*$/, '').trim();
    const f = line.split(/\s+/);
    if (f.length === 3) {
      if (['<', '>', '='].includes(f[1] as string)) rows.compare.push(f as [string, string, string]);
      else rows.fuzzy++;
    } else if (raw.startsWith('!')) {
      rows.invalid.push(raw.slice(1));
    } else if (line !== '') {
      rows.valid.push(line);
    }
  }
  return rows;
}

describe('apk versions: apk-tools ordering', () => {
  it("agrees with apk-tools' published test vectors", () => {
    const v = vectors();
    assert.ok(v.compare.length > 700);
    const skipped: string[] = [];
    for (const [a, op, b] of v.compare) {
      // Two rows compare an invalid version (apk still answers; we refuse): check it is invalid.
      if (!apkScheme.valid(a) || !apkScheme.valid(b)) {
        skipped.push(apkScheme.valid(a) ? b : a);
        continue;
      }
      const want = op === '<' ? -1 : op === '>' ? 1 : 0;
      assert.equal(cmp(a, b), want, `${a} ${op} ${b}`);
      assert.equal(cmp(b, a), -want || 0, `${b} vs ${a}`);
    }
    assert.deepEqual(skipped, ['23_foo', '1.0bc']);
    assert.equal(v.fuzzy, 16); // fuzzy dependency matching, not an ordering
    assert.equal(v.valid.length, 6);
    assert.equal(v.invalid.length, 25);
    for (const x of v.valid) assert.equal(apkScheme.valid(x), true, x);
    for (const x of v.invalid) assert.equal(apkScheme.valid(x), false, `!${x}`);
  });

  it('orders token kinds as apk does', () => {
    const chain = ['1.0_alpha', '1.0_rc1', '1.0', '1.0-r1', '1.0~c0ffee', '1.0_p1', '1.0a', '1.0.1', '1.1'];
    for (let i = 1; i < chain.length; i++) {
      assert.equal(cmp(chain[i - 1] as string, chain[i] as string), -1, `${chain[i - 1]} < ${chain[i]}`);
    }
    assert.equal(cmp('1.05', '1.1'), -1); // a leading zero compares as a string
    assert.equal(cmp('1.0', '1.00'), -1);
    assert.equal(cmp('1.10', '1.9'), 1);
    assert.equal(cmp('006', '1.0.0'), 1); // the first number is always numeric
    assert.equal(cmp('01', '1'), 0);
    assert.equal(cmp('1.0-r01', '1.0-r1'), 0);
    assert.equal(cmp('1.0_p01', '1.0_p1'), 0);
    assert.equal(cmp('1.0_p', '1.0_p0'), -1);
    assert.equal(cmp('1.0_git20230101', '1.0_p1'), -1);
    assert.equal(cmp('1.0~abc', '1.0~abd'), -1);
    assert.equal(cmp('1.0_pre20191002222144-r0', '1.0_pre20210530193627-r0'), -1);
    assert.equal(cmp('1.18446744073709551616', '1.18446744073709551615'), 1); // exact beyond 64 bits
  });

  it('matches a sort-key restatement of the order on generated versions', () => {
    fc.assert(
      fc.property(apkPairs(apkScheme.valid), ([a, b]) => {
        assert.equal(cmp(a, b), modelCompare(a, b), `${a} vs ${b}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('is a total order (reflexive, antisymmetric, transitive)', () => {
    assertTotalOrder(apkScheme, apkVersion, apkPairs(apkScheme.valid));
  });

  it('refuses what is not an apk version, with a VersionError', () => {
    const bad = [
      '',
      'v1.0',
      '1.0-1',
      '1.0-r',
      '1.0.',
      '1..0',
      '1.0A',
      '1.0ab',
      '1.0_',
      '1.0_RC1',
      '1.0_beta1a',
      '1.0~',
      '1.0~ABC',
      '1.0~g123',
      '1.0-r1-r2',
      '1.0-r1_p1',
      '1.0 ',
      '1:1.0',
      'x'.repeat(257),
    ];
    for (const v of bad) {
      assert.equal(apkScheme.valid(v), false, v);
      assert.throws(() => apkScheme.compare(v, '1.0'), VersionError, v);
      assert.throws(() => apkScheme.compare('1.0', v), VersionError, v);
    }
    assert.throws(() => apkScheme.compare('1.0_foo', '1'), /unknown suffix "foo"/);
  });

  it('rejects a 100 KB hostile string quickly', () => {
    pathological(apkScheme);
  });
});

describe('apk versions: real data', { skip: SKIP_SHARED }, () => {
  const groups = SKIP_SHARED ? new Map<string, Set<string>>() : realApkVersions();

  it('Alpine, Wolfi and Chainguard secdb fixed versions and installed versions parse', () => {
    assert.ok(union(groups).length > 1400);
    // Typos in the 2020 alpine-secdb (e.g. "1.0.4.-r0", "2.7.16-33", "6.6.2p1-r0"): apk-tools'
    // validator refuses them too, so no comparison can be trusted for them.
    const typos = [
      '0.12.5.-r0',
      '0.8.21.r2',
      '1.0.4.-r0',
      '1.11-20-r0',
      '1.18.-r2',
      '1.7.5.-r1',
      '10.2.22.r0',
      '10.2.24.r0',
      '10.2.26.r0',
      '2.15.r-r1',
      '2.7.16-33',
      '4.10-1-r1',
      '4.8.0.-r1',
      '57-1-r2',
      '6.6.2p1-r0',
    ];
    for (const [src, set] of groups) {
      const invalid = [...set].filter((v) => !apkScheme.valid(v)).sort();
      assert.deepEqual(invalid, src === 'alpine-secdb-legacy' ? typos : [], src);
    }
  });

  it('sorts them consistently with the sort-key restatement', () => {
    const all = union(groups).filter((v) => apkScheme.valid(v));
    const sorted = [...all].sort(apkScheme.compare);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1] as string;
      const b = sorted[i] as string;
      assert.ok(modelCompare(a, b) <= 0, `${a} vs ${b}`);
    }
  });
});
