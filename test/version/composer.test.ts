import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type ComposerConstraint,
  composerScheme,
  isComposerBranch,
  normalizeComposerVersion,
  parseComposerConstraint,
  phpVersionCompare,
} from '../../src/version/composer.js';
import { VersionError } from '../../src/version/types.js';
import { SKIP_SHARED } from '../helpers/env.js';
import {
  assertRejects,
  assertTotalOrder,
  composerConstraint,
  composerOracle,
  composerTinyVersion,
  composerVersion,
  fopBranches,
  fopConstraint,
  hostileInputs,
  hostileShortInputs,
  readTsv,
  timed,
  uniq,
} from './lang-version-helpers.js';

const ask = composerOracle();
const SKIP_ORACLE = typeof ask === 'string' ? ask : false;
const oracle = () => ask as Exclude<typeof ask, string>;
const cmp = (a: string, b: string) => composerScheme.compare(a, b);
const sat = (v: string, c: string) => (composerScheme.satisfies as (v: string, c: string) => boolean)(v, c);
function ours(v: string, c: string): string {
  try {
    return sat(v, c) ? '1' : '0';
  } catch (e) {
    assert.ok(e instanceof VersionError, `not a VersionError: ${e}`);
    return 'err';
  }
}
function normalized(v: string): string {
  try {
    return normalizeComposerVersion(v);
  } catch (e) {
    assert.ok(e instanceof VersionError, `not a VersionError: ${e}`);
    return 'ERR';
  }
}
/** Composer's own string form of a constraint ("[>= 1.0.0.0-dev < 2.0.0.0-dev]"). */
function show(c: ComposerConstraint): string {
  if (c.kind === 'all') return '*';
  if (c.kind === 'op') return `${c.op} ${c.version}`;
  return `[${c.items.map(show).join(c.kind === 'and' ? ' ' : ' || ')}]`;
}

describe('Composer versions', () => {
  it('normalize as composer/semver does (its VersionParserTest vectors)', () => {
    let n = 0;
    for (const [kind, input, want] of readTsv('composer-vectors.tsv')) {
      if (kind === 'normalize') assert.equal(normalized(input as string), want, input);
      else if (kind === 'normalize-fails') assert.equal(normalized(input ?? ''), 'ERR', input);
      else continue;
      n++;
    }
    assert.ok(n > 40);
  });

  it('order by stability: dev < alpha < beta < RC < stable < patch', () => {
    const ascending = [
      '1.0.0-dev',
      '1.0.0-alpha1',
      '1.0.0-a2',
      '1.0.0-beta',
      '1.0.0-b2',
      '1.0.0-RC1',
      '1.0.0-rc2',
      '1.0.0',
      '1.0.0-p1',
      '1.0.0-pl2',
      '1.0.0-patch3',
      '1.0.0.1',
      '1.0.1-dev',
      '1.1',
    ];
    for (let i = 0; i + 1 < ascending.length; i++) {
      assert.equal(
        cmp(ascending[i] as string, ascending[i + 1] as string),
        -1,
        `${ascending[i]} < ${ascending[i + 1]}`,
      );
    }
    assert.equal(cmp('v1.2', '1.2.0.0'), 0);
    assert.equal(cmp('1.02', '1.2'), 0);
    assert.equal(cmp('2.4.4-p9', '2.4.4'), 1);
    assert.equal(cmp('1.0.0+build', '1.0.0'), 0);
    assert.equal(cmp('1.x-dev', '1.99.0'), 1);
  });

  it('leave named dev branches out of the order', () => {
    for (const v of ['dev-master', 'master', 'dev-feature/x', 'DEV-foo']) {
      assert.ok(isComposerBranch(v), v);
      assert.ok(!composerScheme.valid(v), v);
      assert.throws(() => cmp(v, '1.0.0'), /dev branch/);
    }
    assert.ok(!isComposerBranch('1.x-dev') && composerScheme.valid('1.x-dev'));
    // Composer matches a branch by name only.
    assert.equal(sat('dev-master', '>=1.0'), false);
    assert.equal(sat('dev-master', '*'), true);
    assert.equal(sat('dev-master', 'dev-master'), true);
    assert.equal(sat('dev-master', '!=1.0'), true);
  });

  it('implement PHP version_compare', () => {
    assert.equal(
      phpVersionCompare('1.0.0.0-bogus', '1.0.0.0-beta'),
      0,
      'words match special forms by prefix',
    );
    assert.equal(phpVersionCompare('1.0-dev1', '1.0-dev.1'), 0);
    assert.equal(phpVersionCompare('1.', '1.0'), -1);
    assert.equal(phpVersionCompare('99999999999999999999', '9223372036854775807'), 0, 'strtol saturates');
  });

  it('implement PHP version_compare exactly, on random strings', { skip: SKIP_ORACLE }, () => {
    const tok = fc.constantFrom(
      '1',
      '0',
      '2',
      '10',
      '007',
      '.',
      '-',
      '_',
      '+',
      'dev',
      'alpha',
      'a',
      'beta',
      'b',
      'RC',
      'rc',
      'pl',
      'p',
      'patch',
      'stable',
      '#',
      'x',
      '..',
      ' ',
      '*',
      '9223372036854775808',
    );
    const str = fc.array(tok, { maxLength: 7 }).map((a) => a.join(''));
    const pairs = fc.sample(fc.tuple(str, str), { numRuns: 8000, seed: 401 });
    const got = oracle()(pairs.map(([a, b]) => `P\t${a}\t${b}`));
    pairs.forEach(([a, b], i) => {
      assert.equal(String(phpVersionCompare(a, b)), got[i], `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    });
  });

  it('is a total order', () => {
    assertTotalOrder(composerScheme, composerVersion);
  });

  it('agree with the committed composer/semver fixture', () => {
    const norm = readTsv('composer-normalize.tsv');
    const pairs = readTsv('composer-pairs.tsv');
    assert.ok(norm.length > 500 && pairs.length > 2000);
    for (const [v, n] of norm) assert.equal(normalized(v as string), n, `normalize(${JSON.stringify(v)})`);
    for (const [a, b, s] of pairs) assert.equal(cmp(a as string, b as string), Number(s), `${a} vs ${b}`);
  });

  it('agree with composer/semver on generated versions', { skip: SKIP_ORACLE }, () => {
    const vs = uniq(fc.sample(composerVersion, { numRuns: 4000, seed: 402 }));
    const norm = oracle()(vs.map((v) => `N\t${v}`));
    vs.forEach((v, i) => {
      assert.equal(normalized(v), norm[i], `normalize(${JSON.stringify(v)})`);
    });
    const ok = vs.filter((_, i) => norm[i] !== 'ERR' && !(norm[i] as string).startsWith('dev-'));
    const pairs = fc.sample(fc.tuple(fc.constantFrom(...ok), fc.constantFrom(...ok.slice(0, 50))), {
      numRuns: 5000,
      seed: 403,
    });
    const got = oracle()(pairs.map(([a, b]) => `C\t${a}\t${b}`));
    pairs.forEach(([a, b], i) => {
      assert.equal(cmp(a, b), Number(got[i]), `${a} vs ${b}`);
    });
  });

  it('reject bad and hostile input quickly', () => {
    for (const bad of [
      '',
      'a',
      '1.0.0-meh',
      '1.0.0.0.0',
      'feature-foo',
      '1.0\n2',
      '1.0\u00a0',
      'dev-master',
    ]) {
      assertRejects(composerScheme, bad, '1.0.0');
    }
    for (const bad of [...hostileInputs(), ...hostileShortInputs()]) {
      const ms = timed(() => assertRejects(composerScheme, bad, '1.0.0'));
      assert.ok(ms < 100, `${ms} ms for ${bad.slice(0, 20)}...`);
    }
  });
});

describe('Composer constraints', () => {
  it('parse as composer/semver does (its VersionParserTest vectors)', () => {
    let n = 0;
    for (const [kind, input, want] of readTsv('composer-vectors.tsv')) {
      if (kind === 'constraint') assert.equal(show(parseComposerConstraint(input as string)), want, input);
      else if (kind === 'constraint-fails')
        assert.throws(() => parseComposerConstraint(input ?? ''), VersionError, input);
      else continue;
      n++;
    }
    assert.ok(n > 90);
  });

  it('read FriendsOfPHP branches (AND-ed with a comma) the way Composer does', () => {
    const c = '>=2.0.0,<2.0.17';
    assert.equal(sat('2.0.16', c), true);
    assert.equal(sat('2.0.17', c), false);
    assert.equal(sat('2.0.17-beta1', c), false, 'a bare "<" keeps the fixed version\'s pre-releases out');
    assert.equal(sat('2.0.0-beta1', c), true, 'a bare ">=" lets the first version\'s pre-releases in');
    assert.equal(sat('1.9.9', c), false);
    assert.equal(sat('v2.0.5', c), true);
    assert.equal(sat('2.4.4', '<2.4.4-p9'), true);
    assert.equal(sat('2.4.4-p9', '<2.4.4-p9'), false);
    assert.equal(sat('2.4.4-p8', '<2.4.4-p9'), true);
    assert.equal(sat('1.2.5', '>= 1.0, < 1.2.3 || >= 1.2.5'), true);
  });

  it('agree with the committed composer/semver fixture', () => {
    const rows = readTsv('composer-ranges.tsv');
    assert.ok(rows.length > 2000);
    for (const [v, c, want] of rows)
      assert.equal(ours(v as string, c as string), want, `${v} in ${JSON.stringify(c)}`);
  });

  it('agree with Semver::satisfies on generated constraints', { skip: SKIP_ORACLE }, () => {
    const versions = fc.oneof(composerTinyVersion, composerVersion);
    const rows = [
      ...fc.sample(fc.tuple(versions, composerConstraint), { numRuns: 6000, seed: 404 }),
      ...fc.sample(fc.tuple(versions, fopConstraint), { numRuns: 3000, seed: 405 }),
    ];
    const got = oracle()(rows.map(([v, c]) => `S\t${v}\t${c}`));
    let matched = 0;
    rows.forEach(([v, c], i) => {
      assert.equal(ours(v, c), got[i] === 'ERR' ? 'err' : got[i], `${v} in ${JSON.stringify(c)}`);
      if (got[i] === '1') matched++;
    });
    assert.ok(matched > 800, `only ${matched} matches`);
  });

  it('refuse numbers PHP could only hold as floats, where Composer would go on with nonsense', () => {
    // Composer turns 99999999999999999999 + 1 into "1.0E+20"; a clear error is safer.
    assert.throws(() => parseComposerConstraint('^0.0.99999999999999999999'), /too large/);
    assert.equal(
      show(parseComposerConstraint('^0.0.9223372036854775806')),
      '[>= 0.0.9223372036854775806.0-dev < 0.0.9223372036854775807.0-dev]',
    );
  });

  it('throw VersionError on bad constraints, quickly on huge ones', () => {
    for (const bad of ['', '1.0.0-meh', '>2.0,,<=3.0', '>2.0 ||| <=3.0', '~>1.2', '>=', '1.0\t||2.0x']) {
      assert.throws(() => sat('1.0.0', bad), VersionError, JSON.stringify(bad));
    }
    assert.throws(() => sat('nope', '*'), VersionError);
    const huge = [
      ...hostileInputs(),
      ...hostileShortInputs(),
      `${'>=1.0, '.repeat(600)}<2`,
      `${' ,'.repeat(2000)}1`,
      `1${' '.repeat(4000)},`,
    ];
    for (const bad of huge) {
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

describe('FriendsOfPHP security advisories', { skip: SKIP_SHARED }, () => {
  it('parses every branch constraint', () => {
    const branches = fopBranches();
    assert.ok(branches.length > 3000, `${branches.length} branches`);
    const bad = branches.filter((b) => {
      try {
        parseComposerConstraint(b.versions.join(','));
        return b.versions.length === 0;
      } catch {
        return true;
      }
    });
    assert.deepEqual(bad, []);
  });

  it('agrees with Semver::satisfies on them', { skip: SKIP_ORACLE }, () => {
    const constraints = uniq(fopBranches().map((b) => b.versions.join(',')));
    const versions = [
      '0.1',
      '1.0.0',
      '2.0.0-beta1',
      '2.0.16',
      '2.0.17',
      '2.4.4',
      '2.4.4-p9',
      '3.4.35',
      '4.2.7-RC1',
      '8.2.1',
      'dev-master',
    ];
    const rows = constraints.flatMap((c) => versions.map((v) => [v, c] as const));
    const got = oracle()(rows.map(([v, c]) => `S\t${v}\t${c}`));
    let matched = 0;
    rows.forEach(([v, c], i) => {
      assert.equal(ours(v, c), got[i], `${v} in ${c}`);
      if (got[i] === '1') matched++;
    });
    assert.ok(matched > 100, `only ${matched} matches`);
  });
});
