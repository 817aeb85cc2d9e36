import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareDebPart, debScheme, parseDebVersion } from '../../src/version/deb.js';
import { VersionError } from '../../src/version/types.js';
import { SKIP_SHARED } from '../helpers/env.js';
import { debPairs, debVersion } from './os-arbitraries.js';
import {
  aptPythonPath,
  aptVersionCompare,
  disagreements,
  dpkgCompare,
  dpkgRefuses,
  haveDpkg,
  type Pair,
  readPairs,
  realDebVersions,
  samplePairs,
  sign,
  sortedNeighbours,
  union,
} from './os-helpers.js';
import { assertTotalOrder, pathological } from './os-order.js';

const cmp = (a: string, b: string) => sign(debScheme.compare(a, b));
const SKIP_APT = aptPythonPath() ? false : 'python3-apt (apt_pkg) is not installed';
const SKIP_DPKG = haveDpkg() ? false : 'dpkg is not installed';

describe('deb versions: dpkg ordering', () => {
  it('Debian Policy 5.6.12 examples and classic cases', () => {
    // Policy: "~~" < "~~a" < "~" < "" < "a" for the non-digit parts.
    const policy = ['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0a'];
    for (let i = 1; i < policy.length; i++)
      assert.equal(cmp(policy[i - 1] as string, policy[i] as string), -1);
    assert.equal(cmp('1.0~rc1-1', '1.0-1'), -1);
    assert.equal(cmp('1.0-1', '1.0+b1-1'), -1);
    assert.equal(cmp('1.0', '1.0-0'), 0); // a missing revision orders like "0"
    assert.equal(cmp('0:1.0', '1.0'), 0);
    assert.equal(cmp('1:0.1', '2.0'), 1); // the epoch wins
    assert.equal(cmp('1.10', '1.9'), 1); // digit runs compare as numbers
    assert.equal(cmp('1.010', '1.10'), 0); // leading zeros do not count
    assert.equal(cmp('1.0a', '1.0+'), -1); // letters before other characters
    assert.equal(cmp('1.0a', '1.0.'), -1);
    assert.equal(cmp('1.0A', '1.0a'), -1); // ASCII order among letters
    assert.equal(cmp('1.2.3-1ubuntu1', '1.2.3-1'), 1);
    assert.equal(cmp('2:1.20.11-1+deb11u6', '2:1.20.11-1+deb11u5'), 1);
    assert.equal(cmp('111.0.5563.110-1~deb11u1', '111.0.5563.110-1'), -1);
    assert.equal(cmp('1.2-3-4', '1.2-3'), 1); // upstream "1.2-3", revision "4"
    assert.equal(cmp('1:2:3-1', '1:2:3-1'), 0); // ':' in the upstream version after an epoch
    assert.equal(cmp('123456789012345678901234567890', '123456789012345678901234567891'), -1);
  });

  it('parses epoch, upstream version and revision like dpkg', () => {
    assert.deepEqual(parseDebVersion('1.2.3'), { epoch: 0, upstream: '1.2.3', revision: '' });
    assert.deepEqual(parseDebVersion('2:1.0-1-2'), { epoch: 2, upstream: '1.0-1', revision: '2' });
    assert.deepEqual(parseDebVersion('01:a:b-c'), { epoch: 1, upstream: 'a:b', revision: 'c' });
    assert.equal(compareDebPart('~', ''), -1);
    assert.equal(compareDebPart('', 'a'), -1);
  });

  it("dpkg's own parser test facts (lib/dpkg/t/t-version.c)", () => {
    const parsed: [string, number, string, string][] = [
      ['0', 0, '0', ''],
      ['0:0', 0, '0', ''],
      ['0:0-0', 0, '0', '0'],
      ['0:0.0-0.0', 0, '0.0', '0.0'],
      ['1:0', 1, '0', ''],
      ['5:1', 5, '1', ''],
      ['0:0-0-0', 0, '0-0', '0'],
      ['0:0-0-0-0', 0, '0-0-0', '0'],
      ['0:0:0-0', 0, '0:0', '0'],
      ['0:0:0:0-0', 0, '0:0:0', '0'],
      ['0:0:0-0-0', 0, '0:0-0', '0'],
      ['0:0-0:0-0', 0, '0-0:0', '0'],
      ['0:09azAZ.-+~:-0', 0, '09azAZ.-+~:', '0'],
      ['0:0-azAZ09.+~', 0, '0', 'azAZ09.+~'],
    ];
    for (const [v, epoch, upstream, revision] of parsed) {
      assert.deepEqual(parseDebVersion(v), { epoch, upstream, revision }, v);
    }
    assert.equal(cmp('0-00', '00-0'), 0);
    assert.equal(cmp('1:2-3', '1:2-3'), 0);
    assert.equal(cmp('0-0', '1:0-0'), -1);
    assert.equal(cmp('a-0', 'b-0'), -1);
    assert.equal(cmp('0-a', '0-b'), -1);
    // Errors there, errors here.
    for (const v of [
      '',
      '  ',
      '0:',
      '0:0 0-1',
      '-1:0-1',
      '999999999999999999999999:0-1',
      'a:0-0',
      'A:0-0',
      '-0',
      '0:-0',
    ]) {
      assert.equal(debScheme.valid(v), false, v);
    }
    // Warnings there (dpkg compares anyway): a non-digit start is accepted here, bad characters are not.
    assert.equal(debScheme.valid('0:abc3-0'), true);
    for (const c of "!#@$%&/|\\<>()[]{};,_=*^'") {
      assert.equal(debScheme.valid(`0:0${c}-0`), false, c);
      assert.equal(debScheme.valid(`0:0-0${c}`), false, c);
    }
    assert.equal(debScheme.valid('0:0-0:0'), false);
    // dpkg trims surrounding blanks ("  0:0-1  "); callers hand us field values, so we refuse them.
    assert.equal(debScheme.valid(' 0:0-1'), false);
  });

  it('agrees with the committed oracle fixture (libapt, checked against dpkg)', () => {
    const rows = readPairs('deb-pairs.tsv');
    assert.ok(rows.length > 3000);
    const pairs = rows.map((r): Pair => [r.a, r.b]);
    assert.deepEqual(
      disagreements(
        debScheme,
        pairs,
        rows.map((r) => r.want),
      ),
      [],
    );
  });

  it('agrees with libapt on thousands of generated pairs', { skip: SKIP_APT }, () => {
    const pairs = fc.sample(debPairs(debScheme.valid), { numRuns: 6000 });
    const want = aptVersionCompare(pairs);
    assert.ok(want);
    assert.deepEqual(disagreements(debScheme, pairs, want), []);
  });

  it('agrees with dpkg --compare-versions itself on a sample', { skip: SKIP_DPKG }, () => {
    const pairs = fc.sample(debPairs(debScheme.valid), { numRuns: 150 });
    const want = dpkgCompare(pairs);
    assert.ok(want);
    assert.deepEqual(disagreements(debScheme, pairs, want), []);
  });

  it('is a total order (reflexive, antisymmetric, transitive)', () => {
    assertTotalOrder(debScheme, debVersion, debPairs(debScheme.valid));
  });

  it('refuses what is not a dpkg version, with a VersionError', () => {
    const bad = [
      '',
      ':1.0',
      '1:',
      'a:1.0',
      '-1:1.0',
      '1.0:2:3',
      '2147483648:1.0',
      '1.0-',
      '-1',
      '1.0 ',
      ' 1.0',
      '1 .0',
      '1.0-1_2',
      '1.0-1:2',
      '1.0_1',
      '1.0/1',
      '<unfixed>',
      '1.0\n',
      'é1',
      'x'.repeat(257),
    ];
    for (const v of bad) {
      assert.equal(debScheme.valid(v), false, v);
      assert.throws(() => debScheme.compare(v, '1.0'), VersionError, v);
      assert.throws(() => debScheme.compare('1.0', v), VersionError, v);
    }
    assert.equal(debScheme.valid('2147483647:1.0'), true);
    assert.equal(debScheme.valid('a'), true); // Policy: "should" start with a digit; dpkg only warns
    assert.throws(() => debScheme.compare('1.0-', '1'), /empty revision/);
    assert.throws(() => debScheme.compare('1.0', '3000000000:1'), /epoch is too big/);
  });

  it('dpkg refuses the malformed ones too (it only warns about bad characters)', { skip: SKIP_DPKG }, () => {
    for (const v of [':1.0', '1:', 'a:1.0', '-1:1.0', '1.0:2:3', '2147483648:1.0', '1.0-', '-1']) {
      assert.ok(dpkgRefuses(v), v);
    }
    for (const v of ['1.0', 'a', '2147483647:1.0', '1:2:3-1']) assert.ok(!dpkgRefuses(v), v);
  });

  it('rejects a 100 KB hostile string quickly', () => {
    pathological(debScheme);
  });
});

describe('deb versions: real data', { skip: SKIP_SHARED }, () => {
  const groups = SKIP_SHARED ? new Map<string, Set<string>>() : realDebVersions();
  const all = union(groups);

  it('every version in dpkg status files and Debian tracker data is valid', () => {
    assert.ok(all.length > 10000, `only ${all.length} versions`);
    for (const [src, set] of groups) {
      assert.ok(set.size > 0, src);
      const invalid = [...set].filter((v) => !debScheme.valid(v));
      assert.deepEqual(invalid, [], src);
    }
  });

  it('sorts them as libapt does (every neighbour, plus random pairs)', { skip: SKIP_APT }, () => {
    const pairs = [...sortedNeighbours(debScheme, all), ...samplePairs(all, 3000, 5)];
    const want = aptVersionCompare(pairs);
    assert.ok(want);
    assert.deepEqual(disagreements(debScheme, pairs, want), []);
  });
});
