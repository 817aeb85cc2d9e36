import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { goScheme, parseGoRange, parseGoVersion } from '../../src/version/go.js';
import { VersionError } from '../../src/version/types.js';
import { SKIP_SHARED } from '../helpers/env.js';
import {
  assertRejects,
  assertTotalOrder,
  GO_VULNDB,
  goOracle,
  goVersion,
  hostileInputs,
  hostileShortInputs,
  osvVersions,
  readTsv,
  timed,
  uniq,
} from './lang-version-helpers.js';

const ask = goOracle();
const SKIP_ORACLE = typeof ask === 'string' ? ask : false;
const cmp = (a: string, b: string) => goScheme.compare(a, b);
const sat = (v: string, r: string) => (goScheme.satisfies as (v: string, r: string) => boolean)(v, r);
/** How the oracle (which needs the "v") is asked about a version we also accept without it. */
const withV = (v: string) => (v.startsWith('v') ? v : `v${v}`);

describe('Go versions', () => {
  it('follows golang.org/x/mod/semver (its semver_test.go list, in ascending order)', () => {
    const rows = readTsv('go-vectors.tsv');
    assert.ok(rows.length > 30);
    const valid = rows.filter(([, canonical]) => canonical !== '' && canonical !== undefined);
    for (const [v, canonical] of rows) assert.equal(goScheme.valid(v as string), !!canonical, `valid(${v})`);
    for (let i = 0; i < valid.length; i++) {
      for (let j = 0; j < valid.length; j++) {
        const [a, ca] = valid[i] as string[];
        const [b, cb] = valid[j] as string[];
        const want = ca === cb ? 0 : i < j ? -1 : 1;
        assert.equal(cmp(a as string, b as string), want, `${a} vs ${b}`);
      }
    }
  });

  it('orders pseudo-versions, +incompatible and the toolchain like the go command', () => {
    // A pseudo-version sorts below the release it precedes and above the previous one.
    assert.equal(cmp('v0.0.0-20191109021931-daa7c04131f5', 'v0.0.0'), -1);
    assert.equal(cmp('v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.3'), 1);
    assert.equal(cmp('v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.4'), -1);
    assert.equal(cmp('v1.2.3-pre.0.20191109021931-daa7c04131f5', 'v1.2.3-pre'), 1);
    assert.equal(cmp('v0.0.0-20191109021931-daa7c04131f5', 'v0.0.0-20200101000000-aaaaaaaaaaaa'), -1);
    // +incompatible is build metadata: ignored.
    assert.equal(cmp('v2.0.0+incompatible', 'v2.0.0'), 0);
    assert.equal(cmp('v3.0.1-0.20180525145409-4c9aadca8f89+incompatible', 'v3.0.0+incompatible'), 1);
    // The OSV form without "v" is the same version; shorthands are what Go makes of them.
    assert.equal(cmp('1.2.3', 'v1.2.3'), 0);
    assert.equal(cmp('v1.2', 'v1.2.0'), 0);
    assert.equal(cmp('v1', 'v1.0.0'), 0);
    assert.equal(cmp('v1.22.2', 'v1.22.10'), -1);
    assert.equal(cmp('v1.21.0-rc.2', 'v1.21.0'), -1);
    assert.equal(cmp('v1.21.0-rc.2', 'v1.21.0-rc.10'), -1);
    assert.equal(cmp('1.26.0-0', 'v1.26.0-rc.1'), -1);
    // Arbitrary size numbers.
    assert.equal(cmp('v123456789012345678901234567890.0.0', 'v123456789012345678901234567891.0.0'), -1);
    assert.deepEqual(parseGoVersion('v1.2.3-pre.1+meta'), {
      major: '1',
      minor: '2',
      patch: '3',
      pre: ['pre', '1'],
    });
  });

  it('is a total order', () => {
    assertTotalOrder(goScheme, goVersion);
  });

  it('agrees with the committed golang.org/x/mod/semver fixture', () => {
    const valid = readTsv('go-valid.tsv');
    const pairs = readTsv('go-pairs.tsv');
    assert.ok(valid.length > 500 && pairs.length > 2000);
    for (const [v, ok] of valid) assert.equal(goScheme.valid(v as string), ok === '1', `valid(${v})`);
    for (const [a, b, s] of pairs) assert.equal(cmp(a as string, b as string), Number(s), `${a} vs ${b}`);
  });

  it('agrees with golang.org/x/mod/semver on generated versions', { skip: SKIP_ORACLE }, () => {
    const oracle = ask as Exclude<typeof ask, string>;
    const vs = uniq(fc.sample(goVersion, { numRuns: 4000, seed: 201 }));
    const valid = oracle(vs.map((v) => `V\t${withV(v)}`));
    vs.forEach((v, i) => {
      assert.equal(goScheme.valid(v), valid[i] === '1', `valid(${JSON.stringify(v)})`);
    });
    const ok = vs.filter((_, i) => valid[i] === '1');
    const pairs = fc.sample(fc.tuple(fc.constantFrom(...ok), fc.constantFrom(...ok.slice(0, 50))), {
      numRuns: 5000,
      seed: 202,
    });
    const got = oracle(pairs.map(([a, b]) => `C\t${withV(a)}\t${withV(b)}`));
    pairs.forEach(([a, b], i) => {
      assert.equal(cmp(a, b), Number(got[i]), `${a} vs ${b}`);
    });
  });

  it('rejects bad and hostile input quickly', () => {
    for (const bad of [
      '',
      'v',
      'V1.2.3',
      'go1.21',
      'v1.2.3-',
      'v1.2-pre',
      'v01.2.3',
      'v1.2.3-01',
      ' v1.2.3',
      'v1.2.3.4',
    ]) {
      assertRejects(goScheme, bad, 'v1.0.0');
    }
    for (const bad of [...hostileInputs(), ...hostileShortInputs()]) {
      const ms = timed(() => assertRejects(goScheme, bad, 'v1.0.0'));
      assert.ok(ms < 100, `${ms} ms for ${bad.slice(0, 20)}...`);
    }
  });
});

describe('Go ranges', () => {
  it('are plain intervals in Go order, with commas or spaces for AND and || for OR', () => {
    assert.equal(sat('v1.2.3', '< 1.2.4'), true);
    assert.equal(sat('1.2.4', '< v1.2.4'), false);
    assert.equal(sat('v1.5.0', '>= 1.0.0, < 1.6.0'), true);
    assert.equal(sat('v1.6.0', '>= 1.0.0, < 1.6.0'), false);
    assert.equal(sat('v1.6.0', '>=1.0.0 <1.6.0 || =v1.6.0'), true);
    assert.equal(sat('v1.6.0+incompatible', '= 1.6.0'), true);
    assert.equal(sat('v1.6.0', '1.6.0'), true);
    // No npm-style pre-release rule: a pseudo-version inside the interval is inside.
    assert.equal(sat('v1.2.4-0.20191109021931-daa7c04131f5', '>= 1.2.3, < 1.3.0'), true);
    assert.equal(sat('v1.21.0-rc.2', '>= 1.21.0-0, < 1.21.5'), true);
    assert.equal(parseGoRange('>= 1.0.0, < 2 || 3').length, 2);
  });

  it('agree with a combination of compare results', () => {
    const ops = fc.constantFrom('<', '<=', '>', '>=', '=');
    const valid = goVersion.filter((v) => goScheme.valid(v));
    fc.assert(
      fc.property(valid, fc.array(fc.tuple(ops, valid), { minLength: 1, maxLength: 3 }), (v, comps) => {
        const want = comps.every(([op, b]) => {
          const c = cmp(v, b);
          return op === '<'
            ? c < 0
            : op === '<='
              ? c <= 0
              : op === '>'
                ? c > 0
                : op === '>='
                  ? c >= 0
                  : c === 0;
        });
        assert.equal(sat(v, comps.map(([op, b]) => `${op} ${b}`).join(', ')), want);
      }),
      { numRuns: 2000, seed: 203 },
    );
  });

  it('throw VersionError on bad ranges, quickly on huge ones', () => {
    for (const bad of ['', '>', '< x', '1.2.3 ||', '~1.2', '^1.2', '>=> 1', '!= 1.6.0']) {
      assert.throws(() => sat('v1.0.0', bad), VersionError, bad);
    }
    assert.throws(() => sat('x', '*'), VersionError);
    for (const bad of [...hostileInputs(), ...hostileShortInputs(), `${'< 1.0.0, '.repeat(400)}`]) {
      const ms = timed(() => {
        try {
          sat('v1.0.0', bad);
        } catch (e) {
          assert.ok(e instanceof VersionError);
        }
      });
      assert.ok(ms < 100, `${ms} ms for ${bad.slice(0, 20)}...`);
    }
  });
});

describe('Go vulnerability database', { skip: SKIP_SHARED }, () => {
  it('parses every version in its SEMVER ranges', () => {
    const events = osvVersions(GO_VULNDB, 'Go');
    assert.ok(events.length > 8000, `${events.length} events`);
    const bad = events.filter(
      (e) => !(e.event === 'introduced' && e.version === '0') && !goScheme.valid(e.version),
    );
    assert.deepEqual(bad, []);
  });

  it('agrees with golang.org/x/mod/semver on all of them', { skip: SKIP_ORACLE }, () => {
    const oracle = ask as Exclude<typeof ask, string>;
    const vs = uniq(osvVersions(GO_VULNDB, 'Go').map((e) => e.version));
    const sorted = [...vs].sort(cmp);
    const got = oracle(sorted.slice(1).map((v, i) => `C\t${withV(sorted[i] as string)}\t${withV(v)}`));
    sorted.slice(1).forEach((v, i) => {
      assert.equal(Number(got[i]), cmp(sorted[i] as string, v), `${sorted[i]} vs ${v}`);
    });
  });
});
