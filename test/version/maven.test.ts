import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mavenScheme, parseMavenRange } from '../../src/version/maven.js';
import { VersionError } from '../../src/version/types.js';
import { SHARED, SKIP_SHARED } from '../helpers/env.js';
import { mavenConventionalArb, mavenPairArb, mavenRangeArb, mavenVersionArb } from './lang-arbitraries.js';
import { FIXTURES, MAVEN_CLASSPATH, probe, readTsv, runBatch, runSeed, sign } from './oracle-langs.js';

const s = mavenScheme;
const satisfies = s.satisfies as (v: string, r: string) => boolean;
const ORACLE_ARGS = ['-cp', MAVEN_CLASSPATH, path.join(FIXTURES, 'MavenOracle.java')];
const haveJars = MAVEN_CLASSPATH.split(':').every((j) => existsSync(j));
const oracleVersion = haveJars ? probe('java', [...ORACLE_ARGS, '--version']) : undefined;
const SKIP_ORACLE =
  oracleVersion === '3.8.7' ? false : 'needs java and Debian maven-artifact 3.8.7 for the live oracle';

function tryOr<T>(f: () => T): T | 'err' {
  try {
    return f();
  } catch (e) {
    assert.ok(e instanceof VersionError, `expected a VersionError, got ${e}`);
    return 'err';
  }
}

function assertOrder(list: string[]): void {
  for (let i = 0; i < list.length; i++) {
    for (let j = 0; j < list.length; j++) {
      assert.equal(
        sign(s.compare(list[i] as string, list[j] as string)),
        sign(i - j),
        `${list[i]} vs ${list[j]}`,
      );
    }
  }
}

function assertEqual(a: string, b: string): void {
  assert.equal(s.compare(a, b), 0, `${a} == ${b}`);
  assert.equal(s.compare(b, a), 0, `${b} == ${a}`);
}

describe('maven versions: ComparableVersionTest vectors (maven-artifact 3.8.x)', () => {
  it('orders the qualifier and number lists', () => {
    assertOrder([
      '1-alpha2snapshot',
      '1-alpha2',
      '1-alpha-123',
      '1-beta-2',
      '1-beta123',
      '1-m2',
      '1-m11',
      '1-rc',
      '1-cr2',
      '1-rc123',
      '1-SNAPSHOT',
      '1',
      '1-sp',
      '1-sp2',
      '1-sp123',
      '1-abc',
      '1-def',
      '1-pom-1',
      '1-1-snapshot',
      '1-1',
      '1-2',
      '1-123',
    ]);
    assertOrder([
      // Since MNG-7644 (in 3.8.7) ".a" reads as "-a": 2.0.a == 2.0.0.a sorts below 2-1 (older lists had it above).
      '2.0',
      '2.0.a',
      '2-1',
      '2.0.2',
      '2.0.123',
      '2.1.0',
      '2.1-a',
      '2.1b',
      '2.1-c',
      '2.1-1',
      '2.1.0.1',
      '2.2',
      '2.123',
      '11.a2',
      '11.a11',
      '11.b2',
      '11.b11',
      '11.m2',
      '11.m11',
      '11',
      '11.a',
      '11b',
      '11c',
      '11m',
    ]);
  });

  it('treats the equal spellings as equal', () => {
    const pairs = [
      ['1', '1'],
      ['1', '1.0'],
      ['1', '1.0.0'],
      ['1.0', '1.0.0'],
      ['1', '1-0'],
      ['1', '1.0-0'],
      ['1.0', '1.0-0'],
      ['1a', '1-a'],
      ['1a', '1.0-a'],
      ['1a', '1.0.0-a'],
      ['1.0a', '1-a'],
      ['1.0.0a', '1-a'],
      ['1x', '1-x'],
      ['1x', '1.0-x'],
      ['1x', '1.0.0-x'],
      ['1.0x', '1-x'],
      ['1.0.0x', '1-x'],
      ['1ga', '1'],
      ['1release', '1'],
      ['1final', '1'],
      ['1cr', '1rc'],
      ['1a1', '1-alpha-1'],
      ['1b2', '1-beta-2'],
      ['1m3', '1-milestone-3'],
      ['1X', '1x'],
      ['1A', '1a'],
      ['1B', '1b'],
      ['1M', '1m'],
      ['1Ga', '1'],
      ['1GA', '1'],
      ['1RELEASE', '1'],
      ['1RELeaSE', '1'],
      ['1Final', '1'],
      ['1FinaL', '1'],
      ['1FINAL', '1'],
      ['1Cr', '1Rc'],
      ['1cR', '1rC'],
      ['1m3', '1Milestone3'],
      ['1m3', '1MileStone3'],
      ['1m3', '1MILESTONE3'],
      ['1-abcdefghijklmnopqrstuvwxyz', '1-ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
    ];
    for (const [a, b] of pairs) assertEqual(a as string, b as string);
    assertEqual('2.0.a', '2.0.0.a');
  });

  it('compares the single pairs', () => {
    const pairs = [
      ['1', '2'],
      ['1.5', '2'],
      ['1', '2.5'],
      ['1.0', '1.1'],
      ['1.1', '1.2'],
      ['1.0.0', '1.1'],
      ['1.0.1', '1.1'],
      ['1.1', '1.2.0'],
      ['1.0-alpha-1', '1.0'],
      ['1.0-alpha-1', '1.0-alpha-2'],
      ['1.0-alpha-1', '1.0-beta-1'],
      ['1.0-beta-1', '1.0-SNAPSHOT'],
      ['1.0-SNAPSHOT', '1.0'],
      ['1.0-alpha-1-SNAPSHOT', '1.0-alpha-1'],
      ['1.0', '1.0-1'],
      ['1.0-1', '1.0-2'],
      ['1.0.0', '1.0-1'],
      ['2.0-1', '2.0.1'],
      ['2.0.1-klm', '2.0.1-lmn'],
      ['2.0.1', '2.0.1-xyz'],
      ['2.0.1', '2.0.1-123'],
      ['2.0.1-xyz', '2.0.1-123'],
      // MNG-5568, MNG-6572, MNG-6964
      ['6.1.0rc3', '6.1.0'],
      ['6.1.0rc3', '6.1H.5-beta'],
      ['6.1.0', '6.1H.5-beta'],
      ['20190126.230843', '1234567890.12345'],
      ['1234567890.12345', '123456789012345.1H.5-beta'],
      ['123456789012345.1H.5-beta', '12345678901234567890.1H.5-beta'],
      ['1-0.alpha', '1'],
      ['1-0.beta', '1'],
      ['1-0.alpha', '1-0.beta'],
    ];
    for (const [a, b] of pairs) {
      assert.ok(s.compare(a as string, b as string) < 0, `${a} < ${b}`);
      assert.ok(s.compare(b as string, a as string) > 0, `${b} > ${a}`);
    }
  });

  it('ignores leading zeros at any length', () => {
    for (let n = 1; n <= 19; n++) {
      assertEqual(`${'0'.repeat(n - 1)}1`, '1');
      assertEqual('0'.repeat(n), '0');
    }
  });
});

describe('maven ranges', () => {
  it('reads the range notation', () => {
    const cases: [string, string, boolean][] = [
      ['1.5', '[1.0,2.0)', true],
      ['2.0', '[1.0,2.0)', false],
      ['1.0', '[1.0,2.0)', true],
      ['1.0', '(1.0,2.0)', false],
      ['2.0-SNAPSHOT', '[1.0,2.0)', true], // a snapshot of 2.0 sorts below 2.0
      ['0.9', '(,1.0]', true],
      ['1.0', '(,1.0]', true],
      ['1.0.1', '(,1.0]', false],
      ['1.2', '[1.2]', true],
      ['1.2.0', '[1.2]', true],
      ['1.2.1', '[1.2]', false],
      ['1.1', '(,1.0],[1.2,)', false],
      ['1.3', '(,1.0],[1.2,)', true],
      ['3', '[1,2] , [3,4]', true],
      ['9', '[,]', true],
      ['1.2', '1.2', true], // a bare version means that version (not Maven's "anything")
      ['1.3', '1.2', false],
      ['5.2.19.RELEASE', '[,5.2.20.RELEASE)', true],
      ['5.2.20.RELEASE', '[,5.2.20.RELEASE)', false],
    ];
    for (const [v, r, want] of cases) assert.equal(satisfies(v, r), want, `${v} in ${r}`);
  });

  it('refuses malformed ranges', () => {
    for (const r of [
      '',
      '[',
      '[1.0',
      '(1.0]',
      '[1.0)',
      '[2.0,1.0]',
      '(1.0,1.0]',
      '[1.0]x',
      '[1,2],3',
      '[1,3],[2,4]',
      '[]',
    ]) {
      assert.throws(() => parseMavenRange(r), VersionError, JSON.stringify(r));
    }
  });
});

describe('maven: oracle fixtures (maven-artifact 3.8.7, committed)', () => {
  it('agrees on every pair of maven-pairs.tsv', () => {
    const rows = readTsv('maven-pairs.tsv');
    assert.ok(rows.length > 2500);
    for (const [a, b, want] of rows as [string, string, string][]) {
      assert.equal(String(sign(s.compare(a, b))), want, `compare(${a}, ${b})`);
    }
  });

  it('agrees on every row of maven-satisfies.tsv', () => {
    const rows = readTsv('maven-satisfies.tsv');
    assert.ok(rows.length > 1500);
    for (const [v, r, want] of rows as [string, string, string][]) {
      assert.equal(String(tryOr(() => satisfies(v, r))), want, `${v} in ${r}`);
    }
  });
});

describe('maven: live oracle (java + maven-artifact)', { skip: SKIP_ORACLE }, () => {
  it('agrees on compare and ranges for fresh random samples', () => {
    const seed = runSeed();
    const printable = (x: string): boolean => /^[\x21-\x7e]+$/.test(x);
    const pairs = fc
      .sample(mavenPairArb(), { numRuns: 5000, seed })
      .filter(([a, b]) => printable(a) && printable(b));
    // A bare version is Maven's soft requirement (every version), which this scheme reads as exact.
    const sats = fc
      .sample(fc.tuple(mavenVersionArb(), mavenRangeArb()), { numRuns: 3000, seed })
      .filter(([v, r]) => printable(v) && /^[[(]/.test(r));
    const lines = [...pairs.map(([a, b]) => `c\t${a}\t${b}`), ...sats.map(([v, r]) => `r\t${v}\t${r}`)];
    const out = runBatch('java', ORACLE_ARGS, lines) as string[];
    lines.forEach((line, i) => {
      const [kind, x, y] = line.split('\t') as [string, string, string];
      const mine = kind === 'c' ? String(sign(s.compare(x, y))) : String(tryOr(() => satisfies(x, y)));
      assert.equal(mine, out[i], `seed ${seed}: ${line}`);
    });
  });
});

describe('maven: properties and hostile input', () => {
  it('compare is antisymmetric and reflexive on every version', () => {
    const valid = mavenVersionArb().filter((v) => s.valid(v));
    fc.assert(
      fc.property(valid, valid, (a, b) => {
        assert.equal(s.compare(a, a), 0);
        assert.equal(sign(s.compare(a, b)), 0 - sign(s.compare(b, a)));
      }),
      { numRuns: 5000 },
    );
  });

  it('compare is a total order on conventional versions', () => {
    const v = mavenConventionalArb();
    fc.assert(
      fc.property(v, v, v, (a, b, c) => {
        if (s.compare(a, b) <= 0 && s.compare(b, c) <= 0) assert.ok(s.compare(a, c) <= 0);
        if (s.compare(a, b) === 0) assert.equal(sign(s.compare(a, c)), sign(s.compare(b, c)));
      }),
      { numRuns: 5000 },
    );
  });

  it("reproduces ComparableVersion's own cycles on unusual versions (checked against maven-artifact)", () => {
    // A qualifier that ends at "." joins its list directly, one at the very end opens a nested list,
    // and the two compare inconsistently with a trailing "null": Maven itself orders these in a circle.
    assert.ok(s.compare('1..0', '01.jre.0') < 0);
    assert.ok(s.compare('01.jre.0', '01.alpha') < 0);
    assert.ok(s.compare('01.alpha', '1..0') < 0);
  });

  it('refuses empty, non-printable and oversized versions', () => {
    for (const v of ['', ' ', '1 0', '1.0\n', '1.0\u00e9', '١', 'x'.repeat(257)]) {
      assert.equal(s.valid(v), false, JSON.stringify(v));
      assert.throws(
        () => s.compare(v, '1'),
        (e: unknown) => e instanceof VersionError && e.message.length < 120,
      );
    }
    assert.equal(s.valid('x'.repeat(256)), true);
  });

  it('answers in well under 100 ms for 100 KB pathological strings', () => {
    for (const v of [
      '1'.repeat(100_000),
      `1${'-a'.repeat(50_000)}`,
      '['.repeat(100_000),
      `[${'1,'.repeat(50_000)}]`,
    ]) {
      const t0 = performance.now();
      assert.throws(() => s.compare(v, '1'), VersionError);
      assert.throws(() => satisfies('1', v), VersionError);
      assert.ok(performance.now() - t0 < 100);
    }
    const t0 = performance.now();
    assert.throws(() => satisfies('1', '[1,2],'.repeat(600)), VersionError);
    assert.ok(performance.now() - t0 < 100);
  });
});

describe('maven: real advisories (GHSA, OSV form)', { skip: SKIP_SHARED }, () => {
  it('parses the Maven ECOSYSTEM events and orders each range', () => {
    const dir = path.join(SHARED, 'data', 'ghsa-osv-sample', 'advisories', 'github-reviewed');
    const files = [
      '2021/12/GHSA-jfh8-c2jp-5v3q/GHSA-jfh8-c2jp-5v3q.json',
      '2022/03/GHSA-36p3-wjmg-h94x/GHSA-36p3-wjmg-h94x.json',
      '2020/04/GHSA-gxr4-xjj5-5px2/GHSA-gxr4-xjj5-5px2.json',
    ];
    let ranges = 0;
    for (const f of files) {
      const doc = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as {
        affected: {
          package: { ecosystem: string };
          ranges?: { type: string; events: Record<string, string>[] }[];
        }[];
      };
      for (const a of doc.affected) {
        if (a.package.ecosystem !== 'Maven') continue;
        for (const r of a.ranges ?? []) {
          const [intro, fixed] = [r.events[0]?.introduced, r.events[1]?.fixed] as [string, string];
          assert.ok(s.valid(intro) && s.valid(fixed));
          assert.ok(s.compare(intro, fixed) < 0, `${intro} < ${fixed}`);
          assert.ok(satisfies(intro, `[${intro},${fixed})`) && !satisfies(fixed, `[${intro},${fixed})`));
          ranges++;
        }
      }
    }
    assert.equal(ranges, 14);
    // Spring4Shell: 5.2.20.RELEASE fixes the 5.2 line; its milestones and the bare 5.2.19 do not.
    const fixed = '5.2.20.RELEASE';
    for (const v of ['5.2.19.RELEASE', '5.2.19', '5.2.20.M1', '5.2.20-SNAPSHOT', '5.2.20.RC1']) {
      assert.ok(s.compare(v, fixed) < 0, v);
    }
    for (const v of ['5.2.20', '5.2.20.GA', '5.2.20.FINAL', '5.2.20.SP1', '5.2.21.RELEASE']) {
      assert.ok(s.compare(v, fixed) >= 0, v);
    }
  });
});
