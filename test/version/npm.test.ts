import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { npmScheme, parseNpmRange, parseNpmVersion } from '../../src/version/npm.js';
import { VersionError } from '../../src/version/types.js';
import { SKIP_SHARED } from '../helpers/env.js';
import {
  assertRejects,
  assertTotalOrder,
  GHSA_SAMPLE,
  ghsaNpmRange,
  hostileInputs,
  hostileShortInputs,
  nodeSemver,
  npmRange,
  npmVersion,
  osvVersions,
  readTsv,
  timed,
  tinyVersion,
} from './lang-version-helpers.js';

const semver = nodeSemver();
const SKIP_ORACLE = typeof semver === 'string' ? semver : false;
const oracle = () => semver as Exclude<typeof semver, string>;

const cmp = (a: string, b: string) => npmScheme.compare(a, b);
const sat = (v: string, r: string) => (npmScheme.satisfies as (v: string, r: string) => boolean)(v, r);
/** 1, 0, or err when the range does not parse. */
function ours(v: string, r: string): string {
  try {
    return sat(v, r) ? '1' : '0';
  } catch (e) {
    assert.ok(e instanceof VersionError, `not a VersionError: ${e}`);
    return 'err';
  }
}

describe('npm versions', () => {
  it('orders as SemVer 2.0.0 (node-semver comparisons.js)', () => {
    for (const [kind, a, b] of readTsv('npm-vectors.tsv')) {
      if (kind !== 'gt') continue;
      assert.equal(cmp(a as string, b as string), 1, `${a} > ${b}`);
      assert.equal(cmp(b as string, a as string), -1, `${b} < ${a}`);
    }
    // Build metadata does not count; numeric identifiers compare as numbers, below alphanumeric ones.
    assert.equal(cmp('1.2.3+a', '1.2.3+b'), 0);
    assert.equal(cmp('1.0.0-2', '1.0.0-10'), -1);
    assert.equal(cmp('1.0.0-10', '1.0.0-a'), -1);
    assert.equal(cmp('1.0.0-alpha', '1.0.0-alpha.1'), -1);
    assert.equal(cmp('1.0.0-rc.1', '1.0.0'), -1);
  });

  it('cleans versions as npm does and rejects what it rejects', () => {
    for (const v of [
      '1.2.3',
      'v1.2.3',
      '=1.2.3',
      '=v1.2.3',
      'v=1.2.3',
      ' 1.2.3 ',
      '1.2.3-0a',
      '1.2.3+01',
      'v 1.2.3',
    ]) {
      assert.ok(npmScheme.valid(v), v);
    }
    for (const v of [
      '1.2',
      '01.2.3',
      '1.2.3-01',
      '1.2.3-',
      '1.2.3+',
      '1.2.3.4',
      'a.b.c',
      '9007199254740992.0.0',
      '',
    ]) {
      assert.ok(!npmScheme.valid(v), v);
    }
    assert.deepEqual(parseNpmVersion('v1.2.3-beta.1+x'), {
      major: 1,
      minor: 2,
      patch: 3,
      pre: ['beta', '1'],
    });
    assert.equal(cmp('=v1.2.3', '1.2.3'), 0);
  });

  it('compares numeric pre-release identifiers exactly, even past 2^53', () => {
    // npm goes through floating point here and calls these equal; exact is the safer answer.
    assert.equal(cmp('1.0.0-9007199254740993', '1.0.0-9007199254740992'), 1);
  });

  it('is a total order', () => {
    assertTotalOrder(npmScheme, npmVersion);
  });

  it('agrees with the committed semver fixture', () => {
    const valid = readTsv('npm-valid.tsv');
    const pairs = readTsv('npm-pairs.tsv');
    assert.ok(valid.length > 500 && pairs.length > 2000);
    for (const [v, ok] of valid) assert.equal(npmScheme.valid(v as string), ok === '1', `valid(${v})`);
    for (const [a, b, s] of pairs) assert.equal(cmp(a as string, b as string), Number(s), `${a} vs ${b}`);
  });

  it('agrees with semver on generated versions', { skip: SKIP_ORACLE }, () => {
    const s = oracle();
    const vs = fc.sample(npmVersion, { numRuns: 4000, seed: 101 });
    for (const v of vs) assert.equal(npmScheme.valid(v), s.clean(v) !== null, `valid(${JSON.stringify(v)})`);
    const ok = vs.filter((v) => s.clean(v) !== null);
    const pairs = fc.sample(fc.tuple(fc.constantFrom(...ok), fc.constantFrom(...ok.slice(0, 50))), {
      numRuns: 4000,
      seed: 102,
    });
    for (const [a, b] of pairs) {
      assert.equal(cmp(a, b), s.compare(s.clean(a) as string, s.clean(b) as string), `${a} vs ${b}`);
    }
  });

  it('rejects bad and hostile input quickly', () => {
    for (const bad of ['', 'x', '1.2.3-', '1.2.3.4', '1.2', 'v', '1.2.3 4'])
      assertRejects(npmScheme, bad, '1.0.0');
    for (const bad of [...hostileInputs(), ...hostileShortInputs()]) {
      const ms = timed(() => assertRejects(npmScheme, bad, '1.0.0'));
      assert.ok(ms < 100, `${ms} ms for ${bad.slice(0, 20)}...`);
    }
    assert.ok(!npmScheme.valid(`1.0.0-${'a'.repeat(300)}`), 'longer than 256');
  });
});

describe('npm ranges', () => {
  it('desugars as npm documents (node-semver range-include.js / range-exclude.js)', () => {
    let n = 0;
    for (const [kind, r, v] of readTsv('npm-vectors.tsv')) {
      if (kind === 'gt') continue;
      assert.equal(sat(v as string, r as string), kind === 'include', `${v} in ${JSON.stringify(r)}`);
      n++;
    }
    assert.ok(n > 150);
  });

  it('keeps pre-releases out unless the range names one on the same major.minor.patch', () => {
    assert.equal(sat('1.2.3-beta.2', '>=1.2.3-beta.1 <2'), true);
    assert.equal(sat('1.2.4-beta.2', '>=1.2.3-beta.1 <2'), false);
    assert.equal(sat('1.2.4-beta.2', '>=1.2.3-beta.1 <2 || >=1.2.4-0'), true);
    assert.equal(sat('2.0.0-rc.1', '<2.0.0'), false);
    // An alternative that is just "*" makes the whole range "*", which no pre-release satisfies.
    assert.equal(sat('1.2.3-beta', '1.2.3-beta'), true);
    assert.equal(sat('1.2.3-beta', '* || 1.2.3-beta'), false);
    assert.equal(sat('1.2.3-beta', '>=0.0.0 || 1.2.3-beta'), false);
  });

  it('reads GitHub advisory ranges with commas as AND', () => {
    assert.equal(sat('2.1.3', '>= 2.0.0, < 2.1.4'), true);
    assert.equal(sat('2.1.4', '>= 2.0.0, < 2.1.4'), false);
    assert.equal(sat('1.9.9', '>= 2.0.0, < 2.1.4'), false);
    assert.equal(sat('0.9.0', '< 1.2.3'), true);
    assert.equal(sat('4.17.11', '< 4.17.12'), true);
    assert.equal(sat('1.5.0', '>= 1.0.0, < 2.0.0 || >= 3.0.0'), true);
    assert.equal(sat('2.5.0', '>= 1.0.0, < 2.0.0 || >= 3.0.0'), false);
    assert.equal(sat('1.5.0', '1.0.0 - 2.0.0, < 1.6.0'), true);
    for (const bad of ['>= 1.0.0,', ', < 2.0.0', '>= 1.0.0,, < 2.0.0'])
      assert.throws(() => sat('1.0.0', bad), VersionError);
  });

  it('agrees with the committed semver fixture', () => {
    const rows = readTsv('npm-ranges.tsv');
    assert.ok(rows.length > 2000);
    for (const [v, r, want] of rows)
      assert.equal(ours(v as string, r as string), want, `${v} in ${JSON.stringify(r)}`);
  });

  it('agrees with semver.satisfies on generated ranges', { skip: SKIP_ORACLE }, () => {
    const s = oracle();
    const versions = fc.oneof(
      tinyVersion,
      npmVersion.filter((v) => s.valid(v) !== null),
    );
    let matched = 0;
    for (const [v, r] of fc.sample(fc.tuple(versions, npmRange), { numRuns: 8000, seed: 103 })) {
      let want: string;
      try {
        new s.Range(r);
        want = s.satisfies(v, r) ? '1' : '0';
      } catch {
        want = 'err';
      }
      assert.equal(ours(v, r), want, `${v} in ${JSON.stringify(r)}`);
      if (want === '1') matched++;
    }
    assert.ok(matched > 500, `only ${matched} matches`);
  });

  it('accepts exactly the ranges semver accepts, on random characters', { skip: SKIP_ORACLE }, () => {
    const s = oracle();
    const chars = fc.constantFrom(...' <>=~^|-.*xXv0123+ab'.split(''), '1.2.3', '-beta', '||', ' - ');
    const junk = fc.array(chars, { maxLength: 12 }).map((a) => a.join(''));
    const versions = ['1.2.3', '0.0.0', '1.2.3-beta', '0.0.0-0', '2.0.0', '1.3.0-0', '0.1.0'];
    for (const r of fc.sample(junk, { numRuns: 20000, seed: 104 })) {
      let valid = true;
      try {
        new s.Range(r);
      } catch {
        valid = false;
      }
      for (const v of versions)
        assert.equal(ours(v, r), valid ? (s.satisfies(v, r) ? '1' : '0') : 'err', `${v} ${r}`);
    }
  });

  it('reads the comma form like semver reads the same range with spaces', { skip: SKIP_ORACLE }, () => {
    const s = oracle();
    for (const [v, r] of fc.sample(fc.tuple(tinyVersion, ghsaNpmRange), { numRuns: 3000, seed: 105 })) {
      const spaced = r.replace(/,/g, ' ');
      let want: string;
      try {
        new s.Range(spaced);
        want = s.satisfies(v, spaced) ? '1' : '0';
      } catch {
        want = 'err';
      }
      assert.equal(ours(v, r), want, `${v} in ${JSON.stringify(r)}`);
    }
  });

  it('throws VersionError on bad ranges, quickly on huge ones', () => {
    for (const bad of ['>', 'a', '1.2.3 - ', '>=1.0.0 - 2.0.0', '==1.2.3', '~>~1', '1.x.2', '>= 1.0.0 <']) {
      assert.throws(() => sat('1.0.0', bad), VersionError, bad);
    }
    assert.throws(() => sat('nope', '*'), VersionError);
    for (const bad of [
      ...hostileInputs(),
      ...hostileShortInputs(),
      `${'1.0.0 || '.repeat(10000)}x`,
      `${'>'.repeat(3000)}1`,
      '1 '.repeat(2000),
    ]) {
      const ms = timed(() => {
        try {
          sat('1.0.0', bad);
        } catch (e) {
          assert.ok(e instanceof VersionError);
        }
      });
      assert.ok(ms < 100, `${ms} ms for ${bad.slice(0, 20)}...`);
    }
    assert.ok(parseNpmRange('1 '.repeat(1000)).length === 1);
  });

  it('parses every npm version in the GitHub advisory sample', { skip: SKIP_SHARED }, () => {
    const events = osvVersions(GHSA_SAMPLE, 'npm');
    assert.ok(events.length >= 8);
    for (const e of events) {
      // OSV's "introduced: 0" means "from the first version": a sentinel, not a version.
      if (e.event === 'introduced' && e.version === '0') continue;
      assert.ok(npmScheme.valid(e.version), `${e.version} in ${e.file}`);
    }
    assert.equal(sat('4.17.11', '< 4.17.12'), true);
    assert.equal(sat('3.4.1', '>= 1.2.0, < 3.5.0'), true);
  });
});
