import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { normalizeNuGetVersion, nugetScheme, parseNuGetRange } from '../../src/version/nuget.js';
import { VersionError } from '../../src/version/types.js';
import { SHARED, SKIP_SHARED } from '../helpers/env.js';
import { nugetVersionArb } from './lang-arbitraries.js';
import { sign } from './oracle-langs.js';

// No .NET runtime is available offline, so these expectations come from NuGet.Versioning's own tests
// (NuGet.Client: VersionComparerTests, VersionParsingTests) and its documented rules.
const s = nugetScheme;
const satisfies = s.satisfies as (v: string, r: string) => boolean;

describe('nuget versions: NuGet.Versioning test vectors', () => {
  it('VersionComparerTests: equal, not equal and less', () => {
    for (const [a, b] of [
      ['1.0.0', '1.0.0'],
      ['1.0.0-BETA', '1.0.0-beta'],
      ['1.0.0-BETA+AA', '1.0.0-beta+aa'],
      ['1.0.0-BETA.X.y.5.77.0+AA', '1.0.0-beta.x.y.5.77.0+aa'],
    ]) {
      assert.equal(s.compare(a as string, b as string), 0, `${a} == ${b}`);
    }
    for (const [a, b] of [
      ['0.0.0', '1.0.0'],
      ['1.0.0', '1.1.0'],
      ['1.0.0', '1.0.1'],
      ['1.999.9999', '2.1.1'],
      ['1.0.0-BETA', '1.0.0-beta2'],
      ['1.0.0-beta+AA', '1.0.0+aa'],
      ['1.0.0-BETA', '1.0.0-beta.1+AA'],
      ['1.0.0-BETA.X.y.5.77.0+AA', '1.0.0-beta.x.y.5.79.0+aa'],
      ['1.0.0-BETA.X.y.5.79.0+AA', '1.0.0-beta.x.y.5.790.0+abc'],
    ]) {
      assert.ok(s.compare(a as string, b as string) < 0, `${a} < ${b}`);
      assert.ok(s.compare(b as string, a as string) > 0, `${b} > ${a}`);
    }
  });

  it('VersionParsingTests: lengths, labels and metadata', () => {
    for (const v of ['2', '2.0', '2.0.0', '2.0.0.0']) assert.equal(normalizeNuGetVersion(v), '2.0.0', v);
    for (const v of [
      '1.0.0-Beta',
      '1.0.0-Beta.2',
      '1.0.0+MetaOnly',
      '1.0.0-Beta+Meta',
      '1.0.0-RC.X+MetaAA',
      '1.0.0-RC.X.35.A.3455+Meta-A-B-C',
      '234.234234.1111',
      '3.5.1-x.y.z+AA',
    ]) {
      assert.ok(s.valid(v), v);
    }
    assert.equal(normalizeNuGetVersion('1.0.0-RC.X.35.A.3455+Meta'), '1.0.0-RC.X.35.A.3455');
    assert.equal(normalizeNuGetVersion('01.002.0003.4'), '1.2.3.4');
  });

  it('orders the fourth part, label kinds and label counts', () => {
    const ordered = [
      '1.0.0-1',
      '1.0.0-2',
      '1.0.0-10',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.0.1',
      '1.0.1-alpha',
      '1.0.1',
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        assert.equal(
          sign(s.compare(ordered[i] as string, ordered[j] as string)),
          sign(i - j),
          `${ordered[i]} vs ${ordered[j]}`,
        );
      }
    }
    assert.equal(s.compare('1.0', '1.0.0.0'), 0);
    assert.equal(s.compare('1.0.0+a', '1.0.0+b'), 0, 'metadata ignored');
    assert.ok(s.compare('1.0.0--1', '1.0.0-0') < 0, 'int.TryParse reads "-1" as a negative number');
    assert.ok(
      s.compare('1.0.0-2147483648', '1.0.0-a') < 0,
      'too big for an int: compared as text, digits first',
    );
    assert.ok(s.compare('1.0.0-2147483648', '1.0.0-3') > 0, 'a number sorts before any text');
  });

  it('refuses what NuGet refuses, and the strings NuGet releases read differently', () => {
    for (const v of [
      '',
      ' ',
      '1.0.0-',
      '1.0.0+',
      '1.0.0-a..b',
      '1.0.0-01',
      '1.0.0-a_b',
      '1.0.0+a+b',
      '-1.0',
      '1.0.0.0.0',
      'a.b',
      '1..0',
      '1.',
      '2147483648.0',
      '1.0\u00a0',
      'x'.repeat(300),
    ]) {
      assert.equal(s.valid(v), false, JSON.stringify(v));
      assert.throws(
        () => s.compare(v, '1.0'),
        (e: unknown) => e instanceof VersionError && e.message.length < 120,
      );
    }
    assert.ok(s.valid(' 1.0.0 ') && s.valid('1.0.0-0') && s.valid('1.0.0+01') && s.valid('2147483647.0'));
  });
});

describe('nuget ranges', () => {
  it('reads the documented range notation', () => {
    const cases: [string, string, boolean][] = [
      ['1.0', '1.0', true],
      ['0.9', '1.0', false],
      ['9.0', '1.0', true],
      ['1.0', '(,1.0]', true],
      ['1.0.1', '(,1.0]', false],
      ['1.0', '(,1.0)', false],
      ['0.9', '(,1.0)', true],
      ['1.0', '[1.0]', true],
      ['1.0.0.1', '[1.0]', false],
      ['1.0', '(1.0,)', false],
      ['1.1', '(1.0,)', true],
      ['1.5', '(1.0, 2.0)', true],
      ['2.0', '(1.0, 2.0)', false],
      ['2.0', '[1.0, 2.0]', true],
      ['2.0.0-beta', '[1.0, 2.0)', true], // a pre-release of the bound is below it
      ['1.0.0-beta', '[1.0, 2.0)', false],
      ['7.0', '( , )', true], // both bounds blank: every version, as in NuGet
      ['1.0.0+meta', '[1.0.0]', true],
    ];
    for (const [v, r, want] of cases) assert.equal(satisfies(v, r), want, `${v} in ${r}`);
  });

  it('refuses what VersionRange.TryParse refuses', () => {
    for (const r of [
      '',
      ' ',
      '(,)',
      '[,]',
      '(1.0)',
      '[1.0)',
      '[1.0,2.0,3.0]',
      '[2.0,1.0]',
      '(1.0,1.0]',
      '[1.0',
      '1.0]',
      'x',
      '[x,]',
      '1.*',
      '*',
    ]) {
      assert.throws(() => parseNuGetRange(r), VersionError, JSON.stringify(r));
    }
    assert.doesNotThrow(() => parseNuGetRange('(1.0,1.0)'), 'an empty range is still a range');
    assert.equal(satisfies('1.0', '(1.0,1.0)'), false);
  });
});

describe('nuget: properties and hostile input', () => {
  const valid = nugetVersionArb().filter((v) => s.valid(v));
  it('compare is a total order', () => {
    fc.assert(
      fc.property(valid, valid, valid, (a, b, c) => {
        assert.equal(s.compare(a, a), 0);
        assert.equal(sign(s.compare(a, b)), 0 - sign(s.compare(b, a)));
        if (s.compare(a, b) <= 0 && s.compare(b, c) <= 0) assert.ok(s.compare(a, c) <= 0);
        if (s.compare(a, b) === 0) assert.equal(sign(s.compare(a, c)), sign(s.compare(b, c)));
      }),
      { numRuns: 5000 },
    );
  });

  it('normalising keeps the order and the [v] range holds exactly v', () => {
    fc.assert(
      fc.property(valid, valid, (a, b) => {
        assert.equal(s.compare(a, normalizeNuGetVersion(a)), 0);
        assert.equal(satisfies(b, `[${normalizeNuGetVersion(a)}]`), s.compare(a, b) === 0);
        assert.equal(satisfies(b, normalizeNuGetVersion(a)), s.compare(b, a) >= 0);
      }),
      { numRuns: 3000 },
    );
  });

  it('answers in well under 100 ms for 100 KB pathological strings', () => {
    for (const v of [
      '1'.repeat(100_000),
      `1.0-${'a.'.repeat(50_000)}`,
      `[${'1,'.repeat(50_000)}]`,
      '('.repeat(100_000),
    ]) {
      const t0 = performance.now();
      assert.equal(s.valid(v), false);
      assert.throws(() => satisfies('1.0', v), VersionError);
      assert.ok(performance.now() - t0 < 100);
    }
  });
});

describe('nuget: real advisories (GHSA, OSV form)', { skip: SKIP_SHARED }, () => {
  it('parses the NuGet ECOSYSTEM events of the jQuery advisory', () => {
    const file = path.join(
      SHARED,
      'data',
      'ghsa-osv-sample',
      'advisories',
      'github-reviewed',
      '2020',
      '04',
      'GHSA-gxr4-xjj5-5px2',
      'GHSA-gxr4-xjj5-5px2.json',
    );
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      affected: {
        package: { ecosystem: string; name: string };
        ranges: { events: Record<string, string>[] }[];
      }[];
    };
    const nuget = doc.affected.filter((a) => a.package.ecosystem === 'NuGet');
    assert.equal(nuget.length, 1);
    const events = nuget[0]?.ranges[0]?.events ?? [];
    const intro = events[0]?.introduced as string;
    const fixed = events[1]?.fixed as string;
    assert.deepEqual([intro, fixed], ['1.2.0', '3.5.0']);
    const range = `[${intro},${fixed})`;
    for (const v of ['1.2', '1.2.0.0', '3.4.1', '3.5.0-beta1']) assert.ok(satisfies(v, range), v);
    for (const v of ['1.1.4', '3.5.0', '3.5.1', '3.5.0.1']) assert.ok(!satisfies(v, range), v);
  });
});
