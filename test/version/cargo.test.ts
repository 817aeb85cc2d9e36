import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cargoScheme, parseCargoReq, parseCargoVersion } from '../../src/version/cargo.js';
import { VersionError } from '../../src/version/types.js';
import { SKIP_SHARED } from '../helpers/env.js';
import {
  assertRejects,
  assertTotalOrder,
  cargoOracle,
  cargoReq,
  cargoVersion,
  hostileInputs,
  hostileShortInputs,
  readTsv,
  rustsecRequirements,
  timed,
  tinyVersion,
  uniq,
} from './lang-version-helpers.js';

const ask = cargoOracle();
const SKIP_ORACLE = typeof ask === 'string' ? ask : false;
const oracle = () => ask as Exclude<typeof ask, string>;
const cmp = (a: string, b: string) => cargoScheme.compare(a, b);
const sat = (v: string, r: string) => (cargoScheme.satisfies as (v: string, r: string) => boolean)(v, r);
function ours(v: string, r: string): string {
  try {
    return sat(v, r) ? '1' : '0';
  } catch (e) {
    assert.ok(e instanceof VersionError, `not a VersionError: ${e}`);
    return 'err';
  }
}

describe('Cargo versions', () => {
  it('parse strictly, as the semver crate does', () => {
    for (const v of [
      '0.0.0',
      '1.2.3',
      '1.2.3-alpha.1',
      '1.2.3-0a',
      '1.2.3+01',
      '1.2.3-1-1+1-1-1',
      '18446744073709551615.0.0',
    ]) {
      assert.ok(cargoScheme.valid(v), v);
    }
    for (const v of [
      'v1.2.3',
      '=1.2.3',
      ' 1.2.3',
      '1.2.3 ',
      '1.2',
      '01.2.3',
      '1.2.3-01',
      '1.2.3-',
      '1.2.3+',
      '1.2.3-a..b',
      '18446744073709551616.0.0',
      '1.2.3.4',
    ]) {
      assert.ok(!cargoScheme.valid(v), v);
    }
    assert.deepEqual(parseCargoVersion('1.2.3-rc.1+build'), {
      major: '1',
      minor: '2',
      patch: '3',
      pre: ['rc', '1'],
    });
  });

  it('order by SemVer precedence, ignoring build metadata', () => {
    const ascending = [
      '0.0.0-0',
      '0.0.0-alpha',
      '0.0.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.10.0',
      '18446744073709551615.0.0',
    ];
    for (let i = 0; i + 1 < ascending.length; i++) {
      assert.equal(
        cmp(ascending[i] as string, ascending[i + 1] as string),
        -1,
        `${ascending[i]} < ${ascending[i + 1]}`,
      );
    }
    assert.equal(cmp('1.0.0+a', '1.0.0+b'), 0);
    assert.equal(cmp('1.0.0-x+a', '1.0.0-x'), 0);
  });

  it('is a total order', () => {
    assertTotalOrder(cargoScheme, cargoVersion);
  });

  it('agrees with the committed semver crate fixture', () => {
    const valid = readTsv('cargo-valid.tsv');
    const pairs = readTsv('cargo-pairs.tsv');
    assert.ok(valid.length > 500 && pairs.length > 2000);
    for (const [v, ok] of valid)
      assert.equal(cargoScheme.valid(v as string), ok === '1', `valid(${JSON.stringify(v)})`);
    for (const [a, b, s] of pairs) assert.equal(cmp(a as string, b as string), Number(s), `${a} vs ${b}`);
  });

  it('agrees with the semver crate on generated versions', { skip: SKIP_ORACLE }, () => {
    const vs = uniq(fc.sample(cargoVersion, { numRuns: 4000, seed: 301 }));
    const valid = oracle()(vs.map((v) => `V\t${v}`));
    vs.forEach((v, i) => {
      assert.equal(cargoScheme.valid(v), valid[i] === '1', `valid(${JSON.stringify(v)})`);
    });
    const ok = vs.filter((_, i) => valid[i] === '1');
    const pairs = fc.sample(fc.tuple(fc.constantFrom(...ok), fc.constantFrom(...ok.slice(0, 50))), {
      numRuns: 5000,
      seed: 302,
    });
    const got = oracle()(pairs.map(([a, b]) => `C\t${a}\t${b}`));
    pairs.forEach(([a, b], i) => {
      assert.equal(cmp(a, b), Number(got[i]), `${a} vs ${b}`);
    });
  });

  it('rejects bad and hostile input quickly', () => {
    for (const bad of ['', 'x', '1.2.3-', 'v1.2.3', '1.2', '1.2.3 ', '1.2.3.4'])
      assertRejects(cargoScheme, bad, '1.0.0');
    for (const bad of [...hostileInputs(), ...hostileShortInputs()]) {
      const ms = timed(() => assertRejects(cargoScheme, bad, '1.0.0'));
      assert.ok(ms < 100, `${ms} ms for ${bad.slice(0, 20)}...`);
    }
  });
});

describe('Cargo requirements', () => {
  it('match as the semver crate test suite says (test_version_req.rs)', () => {
    let n = 0;
    for (const [kind, r, v] of readTsv('cargo-vectors.tsv')) {
      const req = r as string;
      if (kind === 'match' || kind === 'nomatch')
        assert.equal(sat(v as string, req), kind === 'match', `${v} in ${req}`);
      else if (kind === 'error') assert.throws(() => parseCargoReq(req), VersionError, req);
      else assert.ok(parseCargoReq(req).length > 0, req);
      n++;
    }
    assert.ok(n > 250);
  });

  it('read bare versions as caret and keep pre-releases to comparators that name them', () => {
    assert.equal(sat('1.9.0', '1.2.3'), true);
    assert.equal(sat('2.0.0', '1.2.3'), false);
    assert.equal(sat('0.2.9', '0.2.3'), true);
    assert.equal(sat('0.3.0', '0.2.3'), false);
    assert.equal(sat('1.2.4-alpha', '>= 1.2.3'), false);
    assert.equal(sat('1.2.3-beta', '>= 1.2.3-alpha, < 2'), true);
    assert.equal(sat('1.2.3-beta', '*'), false);
  });

  it('agree with the committed semver crate fixture', () => {
    const rows = readTsv('cargo-ranges.tsv');
    assert.ok(rows.length > 2000);
    for (const [v, r, want] of rows)
      assert.equal(ours(v as string, r as string), want, `${v} in ${JSON.stringify(r)}`);
  });

  it('agree with VersionReq::matches on generated requirements', { skip: SKIP_ORACLE }, () => {
    const versions = fc.oneof(
      tinyVersion,
      cargoVersion.filter((v) => cargoScheme.valid(v)),
    );
    const rows = fc.sample(fc.tuple(versions, cargoReq), { numRuns: 8000, seed: 303 });
    const got = oracle()(rows.map(([v, r]) => `R\t${v}\t${r}`));
    let matched = 0;
    rows.forEach(([v, r], i) => {
      assert.equal(ours(v, r), got[i], `${v} in ${JSON.stringify(r)}`);
      if (got[i] === '1') matched++;
    });
    assert.ok(matched > 500, `only ${matched} matches`);
  });

  it('accept exactly the requirements the crate accepts, on random characters', { skip: SKIP_ORACLE }, () => {
    const chars = fc.constantFrom(...' <>=~^,.*xX0123-+ab|'.split(''), '1.2.3', '-beta');
    const junk = fc.array(chars, { maxLength: 12 }).map((a) => a.join(''));
    const rows = fc
      .sample(junk, { numRuns: 10000, seed: 304 })
      .flatMap((r) => ['1.2.3', '0.0.0', '1.2.3-beta', '2.0.0'].map((v) => [v, r] as const));
    const got = oracle()(rows.map(([v, r]) => `R\t${v}\t${r}`));
    rows.forEach(([v, r], i) => {
      assert.equal(ours(v, r), got[i], `${v} in ${JSON.stringify(r)}`);
    });
  });

  it('throw VersionError on bad requirements, quickly on huge ones', () => {
    for (const bad of ['', '>', '1.2.3 || 2', '~>1', '>=1.*.1', '*, 1', '1.0.0,'])
      assert.throws(() => sat('1.0.0', bad), VersionError, bad);
    assert.throws(() => sat('v1.0.0', '*'), VersionError);
    assert.throws(
      () => parseCargoReq(Array.from({ length: 33 }, (_, i) => `>${i}`).join(', ')),
      /more than 32/,
    );
    assert.equal(parseCargoReq(Array.from({ length: 32 }, (_, i) => `>${i}`).join(', ')).length, 32);
    for (const bad of [...hostileInputs(), ...hostileShortInputs(), `${'>=1, '.repeat(1000)}1`]) {
      const ms = timed(() => {
        try {
          sat('1.0.0', bad);
        } catch (e) {
          assert.ok(e instanceof VersionError);
        }
      });
      assert.ok(ms < 100, `${ms} ms for ${bad.slice(0, 20)}...`);
    }
  });
});

describe('RustSec advisory database', { skip: SKIP_SHARED }, () => {
  it('parses every patched/unaffected/affected.functions requirement', () => {
    const reqs = rustsecRequirements();
    assert.ok(reqs.length > 1000, `${reqs.length} requirements`);
    const bad = reqs.filter((r) => {
      try {
        parseCargoReq(r.req);
        return false;
      } catch {
        return true;
      }
    });
    assert.deepEqual(bad, []);
    // RUSTSEC-style reading: a version is affected unless a patched or unaffected requirement matches.
    const patched = ['>= 1.2.3, < 1.3.0', '>= 1.3.4'];
    const unaffected = ['<= 0.1.2'];
    const affected = (v: string) => ![...patched, ...unaffected].some((r) => sat(v, r));
    assert.deepEqual(['0.1.2', '0.1.3', '1.2.3', '1.3.0', '1.3.4'].map(affected), [
      false,
      true,
      false,
      true,
      false,
    ]);
  });

  it('agrees with the semver crate on them', { skip: SKIP_ORACLE }, () => {
    const reqs = uniq(rustsecRequirements().map((r) => r.req));
    const versions = [
      '0.0.0',
      '0.1.0',
      '0.9.4',
      '0.9.5-alpha.1',
      '1.0.0',
      '1.0.0-rc.1',
      '1.2.3',
      '2.0.0',
      '10.0.0',
    ];
    const rows = reqs.flatMap((r) => versions.map((v) => [v, r] as const));
    const got = oracle()(rows.map(([v, r]) => `R\t${v}\t${r}`));
    rows.forEach(([v, r], i) => {
      assert.equal(ours(v, r), got[i], `${v} in ${JSON.stringify(r)}`);
    });
  });
});
