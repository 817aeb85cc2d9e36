import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isYamlMap, parseYaml } from '../../src/util/yaml-lite.js';
import { gemScheme, parseGemRequirements, rubysecAffected } from '../../src/version/gem.js';
import { VersionError } from '../../src/version/types.js';
import { SHARED, SKIP_SHARED } from '../helpers/env.js';
import { gemPairArb, gemSatisfiesArb, gemVersionArb } from './lang-arbitraries.js';
import { FIXTURES, probe, readTsv, runJsonOracle, runSeed, sign } from './oracle-langs.js';

const s = gemScheme;
const satisfies = s.satisfies as (v: string, r: string) => boolean;
const ORACLE = ['ruby', [path.join(FIXTURES, 'gem-oracle.rb')]] as const;
const oracleVersion = probe(ORACLE[0], [...ORACLE[1], '--version']);
const SKIP_ORACLE = oracleVersion ? false : 'needs ruby (RubyGems) for the live oracle';

function tryOr<T>(f: () => T): T | 'err' {
  try {
    return f();
  } catch (e) {
    assert.ok(e instanceof VersionError, `expected a VersionError, got ${e}`);
    return 'err';
  }
}

describe('gem versions: published vectors', () => {
  it('compares as RubyGems test_gem_version.rb expects', () => {
    const cases: [string, string, number][] = [
      ['1.0', '1.0.0', 0],
      ['1.0', '1.0.a', 1],
      ['1.8.2', '0.0.0', 1],
      ['1.8.2', '1.8.2.a', 1],
      ['1.8.2.b', '1.8.2.a', 1],
      ['1.8.2.a', '1.8.2', -1],
      ['1.8.2.a10', '1.8.2.a9', 1],
      ['', '0', 0],
      ['0.beta.1', '0.0.beta.1', 0],
      ['0.0.beta', '0.0.beta.1', -1],
      ['0.0.beta', '0.beta.1', -1],
      ['5.a', '5.0.0.rc2', -1],
      ['5.x', '5.0.0.rc2', 1],
      ['1.0.0-rc1', '1.0.0.pre.rc1', 0],
      ['1.0-1', '1.0.a', 1],
      ['01.002', '1.2', 0],
      ['1.A', '1.a', -1],
      ['99999999999999999999', '99999999999999999998', 1],
    ];
    for (const [a, b, want] of cases) {
      assert.equal(sign(s.compare(a, b)), want, `${a} <=> ${b}`);
      assert.equal(sign(s.compare(b, a)), 0 - want, `${b} <=> ${a}`);
    }
  });

  it('meets requirements as Gem::Requirement does', () => {
    const cases: [string, string, boolean][] = [
      ['1.4', '~> 1.4', true],
      ['1.5', '~> 1.4', true],
      ['2.0', '~> 1.4', false],
      ['1.3', '~> 1.4', false],
      ['1.5', '~> 1.4.4', false],
      ['1.4.9', '~> 1.4.4', true],
      ['3.0.0', '~> 3.0.0.rc1', true],
      ['3.0.0.rc2', '~> 3.0.0.rc1', true],
      ['3.1.0', '~> 3.0.0.rc1', false],
      ['1.9', '~> 1', true],
      ['2.0.a', '~> 1', false],
      ['1.0', '~> 1.a', true],
      ['0.0.1', '> 0.a', true],
      ['1.0.a', '< 1.0.a', false],
      ['1.0.0', '!= 1.0', false],
      ['1.0.0', '1.0', true],
      ['2.1.0.pre', '~> 2.0.0', false],
      ['2.0.9.beta', '~> 2.0.0', true],
      ['4.2.5', '~> 4.2.5, >= 4.2.5.1', false],
      ['4.2.5.1', '~> 4.2.5, >= 4.2.5.1', true],
      ['4.3.0', '~> 4.2.5, >= 4.2.5.1', false],
      ['0', '>= 0', true],
    ];
    for (const [v, r, want] of cases) assert.equal(satisfies(v, r), want, `${v} ${r}`);
  });

  it('refuses malformed versions and requirements', () => {
    for (const v of [
      '.',
      '1.',
      '.1',
      'a',
      '1..2',
      '1.0-',
      '-1',
      '1 2',
      '1.0_1',
      '1.0\u00a0',
      'x'.repeat(300),
    ]) {
      assert.equal(s.valid(v), false, JSON.stringify(v));
      assert.throws(
        () => s.compare(v, '1'),
        (e: unknown) => e instanceof VersionError && e.message.length < 120,
      );
    }
    for (const r of ['', ' ', '> = 1', '=> 1', '== 1', '~ 1', '>= ', '>= 1,', '1 2', '>= a']) {
      assert.throws(() => satisfies('1.0', r), VersionError, JSON.stringify(r));
    }
    assert.ok(s.valid('') && s.valid(' \t') && s.valid(' 1.0\n'), 'blank means 0; whitespace is ignored');
  });

  it('answers in well under 100 ms for 100 KB pathological strings', () => {
    for (const v of [
      '1'.repeat(100_000),
      `1${'.a'.repeat(50_000)}`,
      `1-${'-'.repeat(100_000)}`,
      ' '.repeat(100_000),
    ]) {
      const t0 = performance.now();
      s.valid(v);
      assert.throws(() => satisfies('1.0', `>= ${v}`), VersionError);
      assert.ok(performance.now() - t0 < 100);
    }
  });
});

describe('gem: oracle fixtures (RubyGems 3.3.15, committed)', () => {
  it('agrees on every pair of gem-pairs.tsv', () => {
    const rows = readTsv('gem-pairs.tsv');
    assert.ok(rows.length > 2500);
    for (const [a, b, want] of rows as [string, string, string][]) {
      assert.equal(
        String(tryOr(() => sign(s.compare(a, b)))),
        want,
        `compare(${JSON.stringify(a)}, ${JSON.stringify(b)})`,
      );
    }
  });

  it('agrees on every row of gem-satisfies.tsv', () => {
    const rows = readTsv('gem-satisfies.tsv');
    assert.ok(rows.length > 1500);
    for (const [v, r, want] of rows as [string, string, string][]) {
      assert.equal(String(tryOr(() => satisfies(v, r))), want, `${JSON.stringify(v)} ${JSON.stringify(r)}`);
    }
  });
});

describe('gem: live oracle (ruby)', { skip: SKIP_ORACLE }, () => {
  it('agrees on compare and satisfies for fresh random samples', () => {
    const seed = runSeed();
    const pairs = fc.sample(gemPairArb(), { numRuns: 4000, seed });
    const sats = fc.sample(gemSatisfiesArb(), { numRuns: 3000, seed });
    const queries: unknown[][] = [
      ...pairs.map(([a, b]) => ['cmp', a, b]),
      ...sats.map(([v, r]) => ['sat', v, r]),
    ];
    const out = runJsonOracle(ORACLE[0], [...ORACLE[1]], queries) as unknown[];
    queries.forEach((q, i) => {
      const [kind, x, y] = q as [string, string, string];
      const mine = kind === 'cmp' ? tryOr(() => sign(s.compare(x, y))) : tryOr(() => satisfies(x, y));
      assert.deepEqual(mine, out[i], `seed ${seed}: ${JSON.stringify(q)}`);
    });
  });
});

describe('gem: properties', () => {
  it('compare is a total order', () => {
    const valid = gemVersionArb().filter((v) => s.valid(v));
    fc.assert(
      fc.property(valid, valid, valid, (a, b, c) => {
        assert.equal(s.compare(a, a), 0);
        assert.equal(sign(s.compare(a, b)), 0 - sign(s.compare(b, a)));
        if (s.compare(a, b) <= 0 && s.compare(b, c) <= 0) assert.ok(s.compare(a, c) <= 0);
        if (s.compare(a, b) === 0) assert.equal(sign(s.compare(a, c)), sign(s.compare(b, c)));
      }),
      { numRuns: 3000 },
    );
  });
});

/** The items of a top-level block list `key:` ("- item" lines, quoted or not), read line by line. */
function listOf(text: string, key: string): string[] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${key}:`));
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    const m = /^\s+-\s+(.*?)\s*$/.exec(l);
    if (!m) break;
    const item = m[1] as string;
    out.push(/^(["']).*\1$/.test(item) ? item.slice(1, -1) : item);
  }
  return out;
}

describe('gem: real advisories (ruby-advisory-db)', { skip: SKIP_SHARED }, () => {
  const root = path.join(SHARED, 'data', 'rubysec-advisory-db', 'gems');

  it('parses every patched_versions and unaffected_versions requirement', () => {
    let files = 0;
    let unread = 0;
    let reqs = 0;
    let selfChecks = 0;
    for (const gem of readdirSync(root)) {
      if (!statSync(path.join(root, gem)).isDirectory()) continue;
      for (const f of readdirSync(path.join(root, gem))) {
        if (!f.endsWith('.yml')) continue;
        files++;
        const text = readFileSync(path.join(root, gem, f), 'utf8');
        let patched: string[];
        let unaffected: string[];
        try {
          const doc = parseYaml(text);
          assert.ok(isYamlMap(doc));
          patched = Array.isArray(doc.patched_versions) ? (doc.patched_versions as string[]) : [];
          unaffected = Array.isArray(doc.unaffected_versions) ? (doc.unaffected_versions as string[]) : [];
          assert.deepEqual(patched, listOf(text, 'patched_versions'));
        } catch {
          // YAML the lockfile reader refuses (e.g. a tab in a description): read the two lists by line.
          unread++;
          patched = listOf(text, 'patched_versions');
          unaffected = listOf(text, 'unaffected_versions');
        }
        for (const r of [...patched, ...unaffected]) {
          reqs++;
          assert.doesNotThrow(() => parseGemRequirements(r), `${gem}/${f}: ${r}`);
        }
        // The version a ">=", "~>" or "=" patched entry names is itself not affected.
        for (const r of patched) {
          for (const part of r.split(',')) {
            const m = /^\s*(>=|~>|=)?\s*(\S+)\s*$/.exec(part);
            if (!m || r.includes('<')) continue;
            const v = m[2] as string;
            if (r.split(',').every((p) => satisfies(v, p))) {
              assert.equal(rubysecAffected(v, patched, unaffected), false, `${gem}/${f}: ${v}`);
              selfChecks++;
            }
          }
        }
      }
    }
    assert.ok(files >= 1230 && unread < 10, `${files} advisories, ${unread} unreadable`);
    assert.ok(reqs >= 2200, `${reqs} requirements`);
    assert.ok(selfChecks > 1500, `${selfChecks} self checks`);
  });

  it('applies a real advisory as bundler-audit does (actionpack CVE-2016-0751)', () => {
    const doc = parseYaml(readFileSync(path.join(root, 'actionpack', 'CVE-2016-0751.yml'), 'utf8'));
    assert.ok(isYamlMap(doc));
    const patched = doc.patched_versions as string[];
    assert.deepEqual(patched, [
      '>= 5.0.0.beta1.1',
      '~> 4.2.5, >= 4.2.5.1',
      '~> 4.1.14, >= 4.1.14.1',
      '~> 3.2.22.1',
    ]);
    const affected = (v: string): boolean => rubysecAffected(v, patched);
    for (const v of ['4.2.5', '4.2.0', '4.1.14', '3.2.22', '5.0.0.beta1', '4.0.13', '2.3.18'])
      assert.ok(affected(v), v);
    for (const v of [
      '4.2.5.1',
      '4.2.6',
      '4.2.11.3',
      '4.1.14.1',
      '4.1.16',
      '3.2.22.1',
      '3.2.22.5',
      '5.0.0',
      '6.1.7',
    ]) {
      assert.ok(!affected(v), v);
    }
  });
});
