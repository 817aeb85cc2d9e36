import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareEVR, parseRpmEVR, rpmScheme, rpmvercmp } from '../../src/version/rpm.js';
import { VersionError } from '../../src/version/types.js';
import { SKIP_SHARED } from '../helpers/env.js';
import { rpmPairs, rpmTriple, rpmVersion } from './os-arbitraries.js';
import {
  disagreements,
  FIXTURES,
  haveRpm,
  type Pair,
  readPairs,
  realRpmVersions,
  rpmLabelCompare,
  rpmVercmp,
  samplePairs,
  sign,
  sortedNeighbours,
  type Triple,
  union,
} from './os-helpers.js';
import { assertTotalOrder, pathological } from './os-order.js';

const cmp = (a: string, b: string) => sign(rpmScheme.compare(a, b));
const SKIP_RPM = haveRpm() ? false : 'rpm is not installed';
const HAVE_PYRPM = rpmLabelCompare([]) !== undefined;

function readTriples(): { a: Triple; b: Triple; want: number }[] {
  const v = (x: string) => (x === '(none)' ? null : x);
  return readFileSync(path.join(FIXTURES, 'rpm-evr.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const f = l.split('\t') as string[];
      return {
        a: [v(f[0] as string), f[1] as string, v(f[2] as string)],
        b: [v(f[3] as string), f[4] as string, v(f[5] as string)],
        want: Number(f[6]),
      };
    });
}

const evr = ([epoch, version, release]: Triple) => ({ epoch, version, release });

describe('rpm versions: rpmvercmp ordering', () => {
  it("agrees with rpm's own test vectors (tests/rpmvercmp.at)", () => {
    const rows = readPairs('rpmvercmp-vectors.tsv');
    assert.equal(rows.length, 97);
    for (const { a, b, want } of rows) assert.equal(sign(rpmvercmp(a, b)), want, `${a} vs ${b}`);
    // The same through the scheme: none of these has an epoch or a '-'.
    for (const { a, b, want } of rows) assert.equal(cmp(a, b), want, `${a} vs ${b}`);
  });

  it('classic rpmvercmp cases (each checked with rpm 4.18 too)', () => {
    const cases: [string, string, number][] = [
      ['1.0', '1.0', 0],
      ['1.0', '2.0', -1],
      ['2.0.1', '2.0.1a', -1], // leftover segment wins
      ['2.0.1a', '2.0.1', 1],
      ['5.5p1', '5.5p10', -1],
      ['10xyz', '10.1xyz', -1],
      ['xyz10', 'xyz10.1', -1],
      ['1.0', '1.0.0', -1], // '.' alone is no segment, the '0' is
      ['1.0', '1_0', 0], // separators do not matter
      ['1..0', '1.0', 0],
      ['1.0a', '1.0.a', 0],
      ['a', '1', -1], // digits beat letters
      ['1.0010', '1.9', 1], // numerically, leading zeros ignored
      ['1.05', '1.5', 0],
      ['FC5', 'fc4', -1], // ASCII: uppercase first
      ['2a', '2.0', -1],
      ['1.0~rc1', '1.0', -1], // '~' sorts before the end
      ['1.0~rc1', '1.0~rc2', -1],
      ['1.0~rc1~git123', '1.0~rc1', -1],
      ['1.0^', '1.0', 1], // '^' sorts after the end...
      ['1.0^git1', '1.0.1', -1], // ...but before any further segment
      ['1.0^git1', '1.0^git2', -1],
      ['1.0^git1~pre', '1.0^git1', -1],
      ['1.0~rc1^git1', '1.0~rc1', 1],
      ['1.0^20160101', '1.0.1~rc1', -1],
    ];
    for (const [a, b, want] of cases) {
      assert.equal(rpmvercmp(a, b), want, `${a} vs ${b}`);
      assert.equal(rpmvercmp(b, a), -want || 0, `${b} vs ${a}`);
    }
  });

  it('epoch first, then version, then release; a missing release is older', () => {
    assert.equal(cmp('1:1.0-1', '2.0-1'), 1);
    assert.equal(cmp('0:1.0-1', '1.0-1'), 0);
    assert.equal(cmp('01:1.0-1', '1:1.0-1'), 0);
    assert.equal(cmp('1.0-1.el8', '1.0-1.el8_1'), -1);
    assert.equal(cmp('1.0-1', '1.0'), 1); // rpm 4.18: rpm.vercmp and labelCompare agree
    assert.equal(cmp('1.0', '1.0-~1'), -1);
    assert.equal(cmp('2:9.11.36-5.el8', '32:9.11.36-3.el8_6.7'), -1);
    assert.equal(cmp('1.9.5p2-10.el9_3', '1.9.5p2-9.el9_2.2'), 1);
    assert.deepEqual(parseRpmEVR('32:9.8.2-0.68.rc1.el6_10.17'), {
      epoch: '32',
      version: '9.8.2',
      release: '0.68.rc1.el6_10.17',
    });
    assert.deepEqual(parseRpmEVR('1.0'), { epoch: null, version: '1.0', release: null });
  });

  it('agrees with the committed rpm.vercmp fixture', () => {
    const rows = readPairs('rpm-pairs.tsv');
    assert.ok(rows.length > 3000);
    const pairs = rows.map((r): Pair => [r.a, r.b]);
    assert.deepEqual(
      disagreements(
        rpmScheme,
        pairs,
        rows.map((r) => r.want),
      ),
      [],
    );
  });

  it('agrees with rpm (Lua rpm.vercmp) on thousands of generated pairs', { skip: SKIP_RPM }, () => {
    const pairs = fc.sample(rpmPairs(rpmScheme.valid), { numRuns: 6000 });
    const want = rpmVercmp(pairs);
    assert.ok(want);
    assert.deepEqual(disagreements(rpmScheme, pairs, want), []);
  });

  it('compareEVR agrees with the committed labelCompare fixture', () => {
    const rows = readTriples();
    assert.ok(rows.length >= 500);
    const bad = rows.filter((r) => sign(compareEVR(evr(r.a), evr(r.b))) !== r.want);
    assert.deepEqual(bad, []);
    // Numbers work as epochs too.
    assert.equal(compareEVR({ epoch: 1, version: '1.0' }, { epoch: '0', version: '9' }), 1);
    assert.equal(compareEVR({ version: '1.0', release: '1' }, { epoch: 0, version: '1.0', release: '1' }), 0);
    assert.equal(compareEVR({ version: '1.0' }, { version: '1.0', release: '0' }), -1);
  });

  it('compareEVR agrees with python3-rpm labelCompare on generated triples', {
    skip: HAVE_PYRPM ? false : 'python3-rpm is not installed',
  }, () => {
    const pairs = fc.sample(
      fc.oneof(
        fc.tuple(rpmTriple, rpmTriple),
        fc.tuple(rpmTriple, rpmTriple).map(([a, b]): [Triple, Triple] => [a, [b[0], a[1], b[2]]]),
      ),
      { numRuns: 2000 },
    );
    const want = rpmLabelCompare(pairs);
    assert.ok(want);
    const bad = pairs.filter(([a, b], i) => sign(compareEVR(evr(a), evr(b))) !== want[i]);
    assert.deepEqual(bad, []);
  });

  it('is a total order (reflexive, antisymmetric, transitive)', () => {
    assertTotalOrder(rpmScheme, rpmVersion, rpmPairs(rpmScheme.valid));
  });

  it('refuses what is not an RPM version, with a VersionError', () => {
    const bad = [
      '',
      ':1.0',
      'a:1.0',
      '1:',
      '1.0-',
      '-1',
      '1.0-1-1',
      '1.0:1',
      '1.0 ',
      '1,0',
      '1.0-1/2',
      '%{version}',
      'é',
      'x'.repeat(257),
    ];
    for (const v of bad) {
      assert.equal(rpmScheme.valid(v), false, v);
      assert.throws(() => rpmScheme.compare(v, '1.0'), VersionError, v);
      assert.throws(() => rpmScheme.compare('1.0', v), VersionError, v);
    }
    assert.throws(() => rpmScheme.compare('1.0-1-1', '1'), /more than one '-'/);
    for (const x of [
      { version: '' },
      { version: '1-1' },
      { epoch: -1, version: '1' },
      { epoch: 1.5, version: '1' },
      { epoch: 'x', version: '1' },
      { version: '1', release: '' },
      { version: 1 },
      null,
    ]) {
      assert.throws(() => compareEVR(x as never, { version: '1' }), VersionError, JSON.stringify(x));
    }
  });

  it('rejects a 100 KB hostile string quickly', () => {
    pathological(rpmScheme);
    const t0 = performance.now();
    assert.throws(() => compareEVR({ version: '1'.repeat(100_000) }, { version: '1' }), VersionError);
    assert.ok(performance.now() - t0 < 100);
  });
});

describe('rpm versions: real data', { skip: SKIP_SHARED }, () => {
  const groups = SKIP_SHARED ? new Map<string, Set<string>>() : realRpmVersions();
  const all = union(groups);

  it('every EVR in real rpmdbs, Red Hat CSAF/API and OVAL data is valid', () => {
    assert.ok(all.length > 200, `only ${all.length} versions`);
    for (const [src, set] of groups) {
      const invalid = [...set].filter((v) => !rpmScheme.valid(v));
      assert.deepEqual(invalid, [], src);
    }
  });

  it('sorts them as rpm does (every neighbour, plus random pairs)', { skip: SKIP_RPM }, () => {
    const pairs = [...sortedNeighbours(rpmScheme, all), ...samplePairs(all, 3000, 5)];
    const want = rpmVercmp(pairs);
    assert.ok(want);
    assert.deepEqual(disagreements(rpmScheme, pairs, want), []);
  });
});
