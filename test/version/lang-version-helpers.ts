// Shared by the npm, go, cargo and composer version tests and by the fixture generator
// (test/fixtures/version/generate-lang.ts): batch oracles built from the real implementations,
// generators biased to each grammar's tricky parts, readers for the advisory data in ../shared.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { VersionScheme } from '../../src/version/types.js';
import { ROOT, SHARED } from '../helpers/env.js';

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'version');
const ORACLE_SOURCES = path.join(FIXTURES, 'oracles');
const CACHE = path.join(os.tmpdir(), 'drydock-version-oracles');

/** Sends one request per line to a batch oracle and returns one answer per line. */
export type Ask = (lines: string[]) => string[];

function runBatch(cmd: string, args: string[], lines: string[], env?: NodeJS.ProcessEnv): string[] {
  if (lines.length === 0) return [];
  const r = spawnSync(cmd, args, {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: env ?? process.env,
  });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  const out = r.stdout.split('\n');
  assert.ok(out.length > lines.length, `${cmd}: expected ${lines.length} answers, got ${out.length - 1}`);
  return out.slice(0, lines.length);
}

const works = (cmd: string, args: string[]): boolean => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0;
};

function sourceHash(...files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** golang.org/x/mod/semver (Debian's golang-golang-x-mod-dev), built once in GOPATH mode, offline. */
export function goOracle(): Ask | string {
  const gopath = '/usr/share/gocode';
  if (!works('go', ['version'])) return 'needs go (golang-go) for the Go semver oracle';
  if (!existsSync(path.join(gopath, 'src/golang.org/x/mod/semver/semver.go'))) {
    return 'needs golang.org/x/mod/semver (apt-get install golang-golang-x-mod-dev)';
  }
  const src = path.join(ORACLE_SOURCES, 'go-semver.go');
  const bin = path.join(CACHE, `go-semver-${sourceHash(src)}`);
  if (!existsSync(bin)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${bin}.${process.pid}`;
    const env = { ...process.env, GO111MODULE: 'off', GOPATH: gopath, GOFLAGS: '', GOTOOLCHAIN: 'local' };
    const r = spawnSync('go', ['build', '-o', tmp, src], { encoding: 'utf8', env });
    if (r.status !== 0) return `could not build the Go semver oracle: ${r.stderr.trim()}`;
    renameSync(tmp, bin);
  }
  return (lines) => runBatch(bin, [], lines);
}

/** The `semver` crate from Debian's librust-semver-dev, built once with `cargo build --offline`. */
export function cargoOracle(): Ask | string {
  if (!works('cargo', ['--version'])) return 'needs cargo for the semver crate oracle';
  const registry = '/usr/share/cargo/registry';
  const crate = existsSync(registry)
    ? readdirSync(registry)
        .filter((d) => /^semver-1\.\d+\.\d+$/.test(d))
        .sort()
        .pop()
    : undefined;
  if (!crate) return 'needs the semver crate source (apt-get install librust-semver-dev)';
  const src = path.join(ORACLE_SOURCES, 'cargo-semver', 'src', 'main.rs');
  const dir = path.join(CACHE, `cargo-semver-${sourceHash(src)}-${crate}`);
  const bin = path.join(dir, 'target', 'release', 'cargo-semver-oracle');
  if (!existsSync(bin)) {
    mkdirSync(path.join(dir, 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'src', 'main.rs'), readFileSync(src));
    writeFileSync(
      path.join(dir, 'Cargo.toml'),
      `[package]\nname = "cargo-semver-oracle"\nversion = "0.1.0"\nedition = "2021"\n\n` +
        `[dependencies]\nsemver = { path = "${path.join(registry, crate)}" }\n`,
    );
    const r = spawnSync('cargo', ['build', '--offline', '--release', '--quiet'], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (r.status !== 0) return `could not build the semver crate oracle: ${r.stderr.trim()}`;
  }
  return (lines) => runBatch(bin, [], lines);
}

/** composer/semver (Debian's php-composer-semver) driven by one php process. */
export function composerOracle(): Ask | string {
  if (!works('php', ['-v'])) return 'needs php-cli for the composer/semver oracle';
  if (!existsSync('/usr/share/php/Composer/Semver/autoload.php')) {
    return 'needs composer/semver (apt-get install php-composer-semver)';
  }
  const script = path.join(ORACLE_SOURCES, 'composer-semver.php');
  return (lines) => runBatch('php', [script], lines);
}

/** The parts of npm's `semver` package the tests use. */
export interface NodeSemver {
  valid(v: string): string | null;
  clean(v: string): string | null;
  compare(a: string, b: string): number;
  satisfies(v: string, r: string): boolean;
  Range: new (r: string) => { range: string };
  SEMVER_SPEC_VERSION: string;
}

export function nodeSemver(): NodeSemver | string {
  try {
    return createRequire(import.meta.url)('semver') as NodeSemver;
  } catch {
    return 'needs the semver devDependency (npm install)';
  }
}

/** The version of the installed semver package (for messages and the fixtures README). */
export function nodeSemverVersion(): string {
  const req = createRequire(import.meta.url);
  return (JSON.parse(readFileSync(req.resolve('semver/package.json'), 'utf8')) as { version: string })
    .version;
}

// --- fixtures ---------------------------------------------------------------------------------

export function readTsv(name: string): string[][] {
  return readFileSync(path.join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
}

export function writeTsv(name: string, header: string, rows: string[][]): void {
  for (const r of rows)
    for (const c of r) assert.ok(!/[\t\n]/.test(c), `tab or newline in fixture cell ${c}`);
  const text = `# ${header}\n${rows.map((r) => r.join('\t')).join('\n')}\n`;
  writeFileSync(path.join(FIXTURES, name), text);
}

/** Unique values, first occurrence order. */
export function uniq<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

// --- properties -------------------------------------------------------------------------------

/** compare is a total preorder: reflexive, antisymmetric and transitive, with consistent ties. */
export function assertTotalOrder(
  scheme: VersionScheme,
  versions: fc.Arbitrary<string>,
  numRuns = 3000,
): void {
  const valid = versions.filter((v) => scheme.valid(v));
  fc.assert(
    fc.property(valid, valid, valid, (a, b, c) => {
      const ab = scheme.compare(a, b);
      const bc = scheme.compare(b, c);
      const ac = scheme.compare(a, c);
      assert.equal(scheme.compare(a, a), 0);
      assert.equal(Math.sign(ab) + Math.sign(scheme.compare(b, a)), 0, `${a} vs ${b} is not antisymmetric`);
      if (ab <= 0 && bc <= 0) assert.ok(ac <= 0, `${a} <= ${b} <= ${c} but ${a} > ${c}`);
      if (ab === 0) assert.equal(Math.sign(ac), Math.sign(bc), `${a} == ${b} but they differ against ${c}`);
    }),
    { numRuns, seed: 20240601 },
  );
  // A sorted sample stays sorted pairwise (catches cycles the random triples miss).
  const sample = uniq(fc.sample(valid, { numRuns: 400, seed: 7 }));
  sample.sort((a, b) => scheme.compare(a, b));
  for (let i = 0; i < sample.length; i++) {
    for (let j = i + 1; j < sample.length; j++) {
      assert.ok(
        scheme.compare(sample[i] as string, sample[j] as string) <= 0,
        `${sample[i]} vs ${sample[j]}`,
      );
    }
  }
}

/** valid() is false, compare() throws VersionError, and both finish fast on hostile input. */
export function assertRejects(scheme: VersionScheme, bad: string, good: string): void {
  assert.equal(scheme.valid(bad), false, `valid(${JSON.stringify(bad.slice(0, 40))})`);
  assert.throws(
    () => scheme.compare(bad, good),
    (e: Error) => e.name === 'VersionError' && e.message.length < 200,
  );
  assert.throws(
    () => scheme.compare(good, bad),
    (e: Error) => e.name === 'VersionError',
  );
}

/** Hostile strings: huge, repetitive, and patterns that hurt backtracking regexes. */
export function hostileInputs(): string[] {
  const k = 100_000;
  return [
    '1'.repeat(k),
    `${'1.'.repeat(k / 2)}0`,
    `1.0.0-${'a.'.repeat(k / 2)}!`,
    `1.0.0+${'a-'.repeat(k / 2)}!`,
    `${'v'.repeat(k)}1.0.0`,
    `${'='.repeat(k)}`,
    `${' '.repeat(k)}1.0.0${' '.repeat(k)}x`,
    `1.0${'-dev'.repeat(k / 4)}!`,
    `${'0'.repeat(k)}.0.0`,
    `1.0.0-${'0'.repeat(k)}`,
  ];
}

/** Short strings, under every length cap, that would make an ambiguous backtracking regex explode. */
export function hostileShortInputs(): string[] {
  const d = '1'.repeat(200);
  return [
    `1.0-beta${d}x`,
    `1.0.0-beta${d}!`,
    `${'1.'.repeat(100)}x`,
    `1.0-beta${'.1'.repeat(100)}x`,
    `1.0-b${'-1'.repeat(100)}x`,
    `2010${'01'.repeat(100)}x`,
    `v${'0'.repeat(200)}.0.0x`,
    `1.0${'-dev'.repeat(50)}x`,
    `1.0.0-${'a-'.repeat(100)}.`,
    `~1.0-beta${d}x`,
    `^1.0-beta${d}x`,
    `1.0-beta${d.slice(100)} - 2.0-beta${d.slice(100)}x`,
    `>=1.0-beta${d}x`,
    `dev-${'a#'.repeat(100)}`,
    '1.x-dev#'.repeat(30),
    '@dev'.repeat(60),
    `1.0 as ${'as '.repeat(80)}x`,
    `${'1 - '.repeat(60)}x`,
    `${'~'.repeat(200)}1`,
    `${'>='.repeat(100)}1`,
    `${'1 ,'.repeat(80)}x`,
    `${'v='.repeat(100)}1.x`,
    `${'1.2.3 '.repeat(40)}-`,
  ];
}

export function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

// --- generators -------------------------------------------------------------------------------

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const pick = (...xs: string[]) => fc.constantFrom(...xs);
/** `a` one time in `every`, '' otherwise. */
const opt = (a: fc.Arbitrary<string>, every = 3) => fc.oneof(w(every - 1, fc.constant('')), w(1, a));
const joined = (a: fc.Arbitrary<string>, sep: string, min = 1, max = 3) =>
  fc.array(a, { minLength: min, maxLength: max }).map((xs) => xs.join(sep));

/** SemVer-ish pieces: small numbers most of the time, so that ties and neighbours are common. */
const smallNum = fc.oneof(
  w(10, pick('0', '1', '2')),
  w(2, pick('3', '10', '11')),
  w(1, fc.nat(999).map(String)),
);
const preIdent = fc.oneof(
  w(6, pick('alpha', 'beta', 'rc', '0', '1', '2', '10')),
  w(2, pick('a-b', '-', '0a', '1a', 'x', 'X', 'A', 'alpha1', 'beta2', 'RC', 'Alpha', '00a')),
);
const buildIdent = pick('build', '001', 'x-y', '1', 'sha.5114f85', 'exp');
const prerelease = joined(preIdent, '.').map((s) => `-${s}`);
const build = joined(buildIdent, '.', 1, 2).map((s) => `+${s}`);

// npm -----------------------------------------------------------------------------------------

const npmNum = fc.oneof(w(20, smallNum), w(1, pick('01', '00', '9007199254740991', '9007199254740992')));
const npmPreIdent = fc.oneof(w(12, preIdent), w(1, pick('01', '9007199254740991', '')));
export const npmVersion: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(w(12, fc.constant('')), w(1, pick('v', '=', 'v=', '=v', ' ', 'vv', '= '))),
    npmNum,
    npmNum,
    npmNum,
    opt(joined(npmPreIdent, '.').map((s) => `-${s}`)),
    opt(build, 5),
  )
  .map(([p, a, b, c, pre, bld]) => `${p}${a}.${b}.${c}${pre}${bld}`);

const xid = fc.oneof(w(6, npmNum), w(1, pick('x', 'X', '*')));
const npmPartial = fc
  .tuple(
    fc.oneof(w(12, fc.constant('')), w(1, pick('v', '=', 'v=', '==', 'vv'))),
    xid,
    fc.option(xid, { nil: undefined, freq: 6 }),
    fc.option(xid, { nil: undefined, freq: 5 }),
    opt(prerelease),
    opt(build, 6),
  )
  .map(
    ([p, a, b, c, pre, bld]) =>
      p + a + (b !== undefined ? `.${b}${c !== undefined ? `.${c}${pre}${bld}` : ''}` : ''),
  );
const npmOp = fc.oneof(
  w(8, pick('', '<', '<=', '>', '>=', '=', '~', '^')),
  w(1, pick('< ', '>= ', '~ ', '^ ', '= ', '~>', '~> ', '==', '=>', '<>', '>=  ')),
);
const npmComparator = fc.oneof(
  w(
    6,
    fc.tuple(npmOp, npmPartial).map(([o, p]) => o + p),
  ),
  w(
    1,
    fc.tuple(npmPartial, npmPartial).map(([a, b]) => `${a} - ${b}`),
  ),
  w(1, pick('*', 'x', '', '>=0.0.0', '<0.0.0-0', '>*', '<=*', '*1.2.3')),
);
const tiny = pick('0', '1', '2');
const tinyPre = opt(
  joined(pick('alpha', 'beta', '0', '1'), '.', 1, 2).map((s) => `-${s}`),
  4,
);
/** Versions from the same tiny pool as `npmCleanRange`, so that they often fall inside. */
export const tinyVersion: fc.Arbitrary<string> = fc
  .tuple(tiny, tiny, tiny, tinyPre)
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre}`);
const tinyPartial = fc.oneof(
  w(3, tinyVersion),
  w(
    1,
    fc.tuple(tiny, pick('', '.x', '.*', '.1', '.0')).map(([a, b]) => a + b),
  ),
  w(
    1,
    fc.tuple(tiny, tiny, pick('.x', '.*', '')).map(([a, b, c]) => `${a}.${b}${c}`),
  ),
);
const npmCleanRange = joined(
  fc.oneof(
    w(
      5,
      fc.tuple(pick('', '<', '<=', '>', '>=', '=', '~', '^'), tinyPartial).map(([o, p]) => o + p),
    ),
    w(
      1,
      fc.tuple(tinyPartial, tinyPartial).map(([a, b]) => `${a} - ${b}`),
    ),
  ),
  ' ',
  1,
  2,
).chain((first) =>
  fc.oneof(
    w(2, fc.constant(first)),
    w(
      1,
      tinyPartial.map((v) => `${first} || ${v}`),
    ),
  ),
);
/** npm ranges, plain npm syntax (no commas): well-formed ones near tinyVersion, and odd ones. */
export const npmRange: fc.Arbitrary<string> = fc.oneof(
  w(4, npmCleanRange),
  w(1, joined(joined(npmComparator, ' ', 1, 3), ' || ', 1, 3)),
);
/** GitHub's style: comparators separated by ", " (no hyphen ranges, since npm has no comma form to compare with). */
export const ghsaNpmRange: fc.Arbitrary<string> = joined(
  joined(
    fc
      .tuple(pick('<', '<=', '>', '>=', '=', ''), pick('', ' '), npmPartial)
      .map(([o, s, p]) => o + (o ? s : '') + p),
    ', ',
    1,
    3,
  ),
  ' || ',
  1,
  2,
);

// go ------------------------------------------------------------------------------------------

const goNum = fc.oneof(w(20, smallNum), w(1, pick('01', '00', '123456789012345678901234567890')));
const pseudo = pick(
  '0.20191109021931-daa7c04131f5',
  '0.20200131131040-063a3fb69896',
  '20191109021931-daa7c04131f5',
  'pre.0.20191109021931-daa7c04131f5',
  'rc.1.0.20190930145003-cad42f6e0932',
  '0',
);
const goPre = fc.oneof(w(3, joined(fc.oneof(w(8, preIdent), w(1, pick('01', ''))), '.')), w(2, pseudo));
export const goVersion: fc.Arbitrary<string> = fc.oneof(
  w(
    12,
    fc
      .tuple(
        fc.oneof(w(6, fc.constant('v')), w(2, fc.constant('')), w(1, pick('V', ' v', 'go'))),
        goNum,
        goNum,
        goNum,
        opt(goPre.map((s) => `-${s}`)),
        opt(fc.oneof(w(3, fc.constant('+incompatible')), w(1, build), w(1, pick('+', '+a..b'))), 4),
      )
      .map(([p, a, b, c, pre, bld]) => `${p}${a}.${b}.${c}${pre}${bld}`),
  ),
  w(
    2,
    fc
      .tuple(pick('v', ''), goNum, fc.option(goNum, { nil: undefined }), opt(pick('-pre', '+meta', '.')))
      .map(([p, a, b, s]) => `${p}${a}${b !== undefined ? `.${b}` : ''}${s}`),
  ),
  w(1, pick('v1.2.3.4', 'v1.2.3-', 'v1.2.3+', 'v', '', '1.07', 'v1.2.3-01', 'RELEASE.2025-02-28T09-55-16Z')),
);

// cargo ---------------------------------------------------------------------------------------

const cargoNum = fc.oneof(
  w(20, smallNum),
  w(1, pick('01', '00', '18446744073709551615', '18446744073709551616', '99999999999999999999')),
);
export const cargoVersion: fc.Arbitrary<string> = fc.oneof(
  w(
    12,
    fc
      .tuple(
        fc.oneof(w(20, fc.constant('')), w(1, pick('v', ' ', '='))),
        cargoNum,
        cargoNum,
        cargoNum,
        opt(joined(fc.oneof(w(10, preIdent), w(1, pick('01', ''))), '.').map((s) => `-${s}`)),
        opt(fc.oneof(w(5, build), w(1, pick('+', '+01', '+a..b'))), 5),
      )
      .map(([p, a, b, c, pre, bld]) => `${p}${a}.${b}.${c}${pre}${bld}`),
  ),
  w(1, pick('1.2', '1', '1.2.3.4', '1.2.3-', '1.2.3 ', '1.2.3-a+', '')),
);
const cargoPart = fc.oneof(w(8, cargoNum), w(1, pick('*', 'x', 'X')));
const cargoPartial = fc
  .tuple(
    cargoNum,
    fc.option(cargoPart, { nil: undefined, freq: 6 }),
    fc.option(cargoPart, { nil: undefined, freq: 4 }),
    opt(prerelease),
    opt(build, 8),
  )
  .map(
    ([a, b, c, pre, bld]) =>
      a + (b !== undefined ? `.${b}${c !== undefined ? `.${c}${pre}${bld}` : ''}` : ''),
  );
const cargoComparator = fc.oneof(
  w(
    10,
    fc
      .tuple(pick('', '=', '>', '>=', '<', '<=', '~', '^'), pick('', '', ' ', '  '), cargoPartial)
      .map((x) => x.join('')),
  ),
  w(1, pick('*', 'x', '=*', '>= *', '~>1.2', '==1', '=>1', '1.2.3 - 2.0.0', '1 || 2', '1.*.2', '')),
);
const cargoCleanReq = joined(
  fc.tuple(pick('', '=', '>', '>=', '<', '<=', '~', '^'), pick('', ' '), tinyPartial).map((x) => x.join('')),
  ', ',
  1,
  2,
);
const cargoOddReq = fc
  .tuple(
    pick('', '', ' '),
    fc.array(cargoComparator, { minLength: 1, maxLength: 3 }),
    pick(',', ', ', ' , ', ',  '),
    pick('', '', ' '),
  )
  .map(([a, cs, sep, c]) => a + cs.join(sep) + c);
export const cargoReq: fc.Arbitrary<string> = fc.oneof(w(4, cargoCleanReq), w(1, cargoOddReq));

// composer ------------------------------------------------------------------------------------

const composerNum = fc.oneof(
  w(10, pick('0', '1', '2', '3', '10')),
  w(1, pick('00', '01', '007', '12345', '123456', '2010', '99999999999999')),
);
const stability = pick(
  'alpha',
  'beta',
  'RC',
  'rc',
  'a',
  'b',
  'p',
  'pl',
  'patch',
  'stable',
  'dev',
  'ALPHA',
  'Beta',
  'STABLE',
);
const composerModifier = opt(
  fc
    .tuple(pick('', '-', '.', '_'), stability, pick('', '1', '2', '.1', '-2', '1.2', '10'))
    .map((x) => x.join('')),
  2,
);
const composerPlain = fc
  .tuple(
    fc.oneof(w(8, fc.constant('')), w(1, pick('v', 'V'))),
    fc.oneof(w(6, joined(composerNum, '.', 1, 4)), w(1, joined(composerNum, '.', 5, 5))),
    composerModifier,
    opt(pick('-dev', '.dev', 'dev', '-DEV'), 4),
    opt(pick('+build', '+1.2', '+a-b'), 6),
  )
  .map((x) => x.join(''));
export const composerVersion: fc.Arbitrary<string> = fc.oneof(
  w(12, composerPlain),
  w(1, pick('2010-01-02', '20100102', '2010.01.02.123', '2010:01:02', '201001021530', '20100102-203040-p1')),
  w(
    1,
    pick(
      'dev-master',
      'master',
      'dev-feature/x',
      '1.x-dev',
      '2.1.*-dev',
      'v1.x-dev',
      '1.0.x-dev',
      'foo-dev',
      '1.0 as 2.0',
      '1.0@dev',
      '1.0@beta',
      ' 1.0 ',
      'DEV-foo',
      'trunk',
      '2.4.4-p9',
      '1.0.0-meh',
      '1.0.0.0.0',
      'a',
      '',
    ),
  ),
);
const composerOp = fc.oneof(
  w(8, pick('', '=', '==', '!=', '<>', '<', '<=', '>', '>=', '~', '^')),
  w(1, pick('< ', '>= ', '~>', '> ', '=> ')),
);
const composerWildcard = fc
  .tuple(pick('', 'v'), fc.array(pick('0', '1', '2', '10'), { maxLength: 3 }), pick('.*', '.x', '.X', '.*.*'))
  .map(([v, a, x]) => (a.length ? v + a.join('.') + x : '*'));
const noSpace = composerVersion.filter((v) => !v.includes(' ') && v !== '');
const composerSimple = fc.oneof(
  w(
    8,
    fc
      .tuple(composerOp, noSpace, opt(pick('@dev', '@stable', '@beta', '@RC', '@alpha'), 6))
      .map((x) => x.join('')),
  ),
  w(1, composerWildcard),
  w(
    1,
    fc.tuple(noSpace, noSpace).map(([a, b]) => `${a} - ${b}`),
  ),
  w(1, pick('*', 'x', 'v*', '*.*', '@dev', 'dev-master#abc', '1.x-dev#abc', '1.0 as 2.0')),
);
const composerTiny = fc
  .tuple(joined(tiny, '.', 1, 3), opt(pick('-beta1', '-alpha', '-RC1', '-p1', '-dev', '-beta2'), 3))
  .map(([a, b]) => a + b);
/** Composer versions from a tiny pool, so that they often fall inside `composerConstraint`. */
export const composerTinyVersion: fc.Arbitrary<string> = composerTiny;
const composerClean = joined(
  fc.oneof(
    w(
      6,
      fc
        .tuple(pick('', '=', '!=', '<', '<=', '>', '>=', '~', '^', '>= '), composerTiny)
        .map((x) => x.join('')),
    ),
    w(
      1,
      fc.tuple(tiny, pick('.*', '.x', '.1.*')).map(([a, b]) => a + b),
    ),
    w(
      1,
      fc.tuple(composerTiny, composerTiny).map(([a, b]) => `${a} - ${b}`),
    ),
  ),
  ', ',
  1,
  2,
).chain((first) =>
  fc.oneof(
    w(2, fc.constant(first)),
    w(
      1,
      composerTiny.map((v) => `${first} || ${v}`),
    ),
  ),
);
const composerOdd = fc
  .array(
    fc
      .array(composerSimple, { minLength: 1, maxLength: 3 })
      .chain((parts) =>
        fc
          .array(pick(',', ' ', ', ', ' , '), { minLength: parts.length, maxLength: parts.length })
          .map((seps) => parts.map((p, i) => (i ? seps[i] : '') + p).join('')),
      ),
    { minLength: 1, maxLength: 3 },
  )
  .chain((alts) => pick('||', ' || ', '|', ' | ').map((s) => alts.join(s)));
export const composerConstraint: fc.Arbitrary<string> = fc.oneof(w(4, composerClean), w(1, composerOdd));

/** FriendsOfPHP-style: ">=x" and "<y" joined by a comma, the way an advisory branch reads. */
export const fopConstraint: fc.Arbitrary<string> = fc
  .tuple(
    fc.option(
      composerPlain.filter((v) => !v.includes('dev')),
      { nil: undefined },
    ),
    composerPlain.filter((v) => !v.includes('dev')),
    pick('<', '<='),
    pick(',', ', '),
  )
  .map(([lo, hi, op, sep]) => (lo ? `>=${lo}${sep}${op}${hi}` : `${op}${hi}`));

// --- advisory data in ../shared ---------------------------------------------------------------

function* walk(dir: string, ext: RegExp): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p, ext);
    else if (ext.test(e.name)) yield p;
  }
}

interface OsvRange {
  type: string;
  events: Record<string, string>[];
}
interface OsvFile {
  affected?: { package: { ecosystem: string; name: string }; ranges?: OsvRange[]; versions?: string[] }[];
}

/** Every version in the OSV events (and `versions` lists) of `ecosystem` under `dir`. */
export function osvVersions(
  dir: string,
  ecosystem: string,
): { file: string; version: string; event: string }[] {
  const out: { file: string; version: string; event: string }[] = [];
  for (const f of walk(dir, /\.json$/)) {
    const j = JSON.parse(readFileSync(f, 'utf8')) as OsvFile;
    for (const a of j.affected ?? []) {
      if (a.package.ecosystem !== ecosystem) continue;
      for (const r of a.ranges ?? []) {
        for (const e of r.events)
          for (const [k, v] of Object.entries(e)) out.push({ file: f, version: v, event: k });
      }
      for (const v of a.versions ?? []) out.push({ file: f, version: v, event: 'versions' });
    }
  }
  return out;
}

export const GO_VULNDB = path.join(SHARED, 'data', 'osv-go-vulndb', 'osv');
export const GHSA_SAMPLE = path.join(SHARED, 'data', 'ghsa-osv-sample');
export const RUSTSEC = path.join(SHARED, 'data', 'rustsec-advisory-db');
export const FRIENDSOFPHP = path.join(SHARED, 'data', 'packagist-friendsofphp');

/** The requirement strings of every RustSec advisory: `patched`, `unaffected` and `[affected.functions]`. */
export function rustsecRequirements(): { file: string; key: string; req: string }[] {
  const out: { file: string; key: string; req: string }[] = [];
  for (const f of walk(RUSTSEC, /^RUSTSEC-.*\.md$/)) {
    const text = readFileSync(f, 'utf8');
    const toml = /```toml\n([\s\S]*?)\n```/.exec(text)?.[1];
    if (!toml) continue;
    let section = '';
    // Arrays may span lines; read `key = [ ... ]` with the strings inside.
    const re = /^\s*\[([^\]\n]+)\]\s*$|^\s*("[^"\n]*"|[A-Za-z_-]+)\s*=\s*\[([^\]]*)\]/gm;
    for (const m of toml.matchAll(re)) {
      if (m[1] !== undefined) {
        section = m[1].trim();
        continue;
      }
      const key = m[2] as string;
      const inVersions = section === 'versions' && (key === 'patched' || key === 'unaffected');
      if (!inVersions && section !== 'affected.functions') continue;
      for (const s of (m[3] as string).matchAll(/"([^"]*)"/g))
        out.push({ file: f, key, req: s[1] as string });
    }
  }
  return out;
}

/** Every FriendsOfPHP advisory branch: its `versions` list (the constraints that are AND-ed). */
export function fopBranches(): { file: string; versions: string[] }[] {
  const out: { file: string; versions: string[] }[] = [];
  for (const f of walk(FRIENDSOFPHP, /\.ya?ml$/)) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^\s*versions:[ \t]*\[([^\]]*)\]/gm)) {
      const items = ((m[1] as string).match(/'[^']*'|"[^"]*"|[^,\s][^,]*/g) ?? []).map((x) =>
        x.trim().replace(/^['"]|['"]$/g, ''),
      );
      out.push({ file: f, versions: items });
    }
  }
  return out;
}
