// fast-check generators of valid versions, biased to the tricky parts of each grammar, and of pairs
// that are often close (one small edit apart), where comparators go wrong. Used by the tests and by
// test/fixtures/version/generate-deb-rpm.ts (with a fixed seed, so the committed fixtures are reproducible).

import fc from 'fast-check';
import type { Pair } from './os-helpers.js';

const numbers = fc.constantFrom(
  '0',
  '00',
  '000',
  '1',
  '01',
  '001',
  '2',
  '9',
  '10',
  '010',
  '11',
  '99',
  '100',
  '20230401',
  '4294967296',
  '18446744073709551616',
  '123456789012345678901234567890',
);
const smallNumbers = fc.constantFrom('0', '1', '2', '9', '10', '01', '00');

/** `arb` or undefined, with `present` the chance (in tenths) of a value. */
function maybe<T>(arb: fc.Arbitrary<T>, present: number): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { weight: present, arbitrary: arb },
    { weight: 10 - present, arbitrary: fc.constant(undefined) },
  );
}

function joinParts(parts: string[]): string {
  return parts.join('');
}

// --- Debian

const debLetters = fc.constantFrom(
  'a',
  'b',
  'z',
  'A',
  'Z',
  'aa',
  'ab',
  'dfsg',
  'deb',
  'ubuntu',
  'esr',
  'rc',
  'git',
);

/** One upstream/revision piece: digits, letters or a separator the part allows. */
function debPiece(symbols: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: numbers },
    { weight: 2, arbitrary: debLetters },
    { weight: 3, arbitrary: fc.constantFrom(...symbols) },
  );
}

export const debVersion: fc.Arbitrary<string> = fc
  .record({
    epoch: maybe(fc.constantFrom('0', '1', '2', '01', '10', '00', '2147483647'), 3),
    first: fc.oneof({ weight: 9, arbitrary: numbers }, { weight: 1, arbitrary: debLetters }),
    revision: maybe(
      fc.array(debPiece(['.', '+', '~', '~~']), { minLength: 1, maxLength: 5 }).map(joinParts),
      6,
    ),
  })
  .chain(({ epoch, first, revision }) => {
    // ':' only after an epoch and '-' only before a revision, as dpkg requires.
    const symbols = ['.', '+', '~', '~~', '.~', '+~'];
    if (epoch !== undefined) symbols.push(':');
    if (revision !== undefined) symbols.push('-');
    return fc.array(debPiece(symbols), { maxLength: 6 }).map((pieces) => {
      const up = first + pieces.join('');
      return `${epoch !== undefined ? `${epoch}:` : ''}${up}${revision !== undefined ? `-${revision}` : ''}`;
    });
  });

const debEdits: ((v: string, n: number) => string)[] = [
  (v) => `${v}~`,
  (v) => `${v}~1`,
  (v) => `${v}+b1`,
  (v) => `${v}.0`,
  (v) => `${v}0`,
  (v) => `${v}a`,
  (v) => `${v}-0`,
  (v) => `${v}-1`,
  (v) => (v.includes(':') ? v.slice(v.indexOf(':') + 1) : `0:${v}`),
  (v) => (v.includes(':') ? v.slice(v.indexOf(':') + 1) : `1:${v}`),
  (v) => v.replace(/-[^-]*$/, ''),
  (v, n) => replaceNth(v, /\d+/g, n, (d) => String(BigInt(d) + 1n)),
  (v, n) => replaceNth(v, /\d+/g, n, (d) => `0${d}`),
  (v, n) => replaceNth(v, /[a-z]/g, n, (c) => c.toUpperCase()),
  (v, n) => replaceNth(v, /[.+~]/g, n, (c) => (c === '.' ? '+' : c === '+' ? '~' : '.')),
  (v, n) => v.slice(0, Math.max(1, v.length - 1 - (n % 3))),
];

// --- RPM

const rpmLetters = fc.constantFrom('a', 'b', 'z', 'A', 'Z', 'rc', 'git', 'el', 'fc', 'module', 'beta', 'p');
const rpmSeparators = fc.constantFrom('.', '.', '_', '+', '~', '^', '..', '~~', '^^', '.~', '~^', '^~', '+.');

function rpmField(min: number): fc.Arbitrary<string> {
  return fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: numbers },
        { weight: 2, arbitrary: rpmLetters },
        { weight: 3, arbitrary: rpmSeparators },
      ),
      { minLength: min, maxLength: 7 },
    )
    .map(joinParts);
}

export const rpmVersion: fc.Arbitrary<string> = fc
  .record({
    epoch: maybe(fc.constantFrom('0', '1', '2', '01', '10', '00'), 3),
    version: rpmField(1),
    release: maybe(rpmField(1), 7),
  })
  .map(
    ({ epoch, version, release }) =>
      `${epoch !== undefined ? `${epoch}:` : ''}${version}${release !== undefined ? `-${release}` : ''}`,
  );

/** (epoch, version, release) triples; null for a missing epoch or release. */
export const rpmTriple: fc.Arbitrary<[string | null, string, string | null]> = fc.tuple(
  fc.option(fc.constantFrom('0', '1', '2', '01', '10'), { nil: null }),
  rpmField(1),
  fc.option(rpmField(1), { nil: null }),
);

const rpmEdits: ((v: string, n: number) => string)[] = [
  (v) => `${v}~`,
  (v) => `${v}~rc1`,
  (v) => `${v}^`,
  (v) => `${v}^git1`,
  (v) => `${v}.0`,
  (v) => `${v}.`,
  (v) => `${v}a`,
  (v) => `${v}_1`,
  (v) => (v.includes('-') ? v.replace(/-[^-]*$/, '') : `${v}-1`),
  (v) => (v.includes('-') ? `${v}.1` : `${v}-0`),
  (v) => (v.includes(':') ? v.slice(v.indexOf(':') + 1) : `0:${v}`),
  (v) => (v.includes(':') ? v.slice(v.indexOf(':') + 1) : `1:${v}`),
  (v, n) => replaceNth(v, /\d+/g, n, (d) => String(BigInt(d) + 1n)),
  (v, n) => replaceNth(v, /\d+/g, n, (d) => `0${d}`),
  (v, n) => replaceNth(v, /[a-z]/g, n, (c) => c.toUpperCase()),
  (v, n) => replaceNth(v, /[._+]/g, n, (c) => (c === '.' ? '_' : c === '_' ? '+' : '.')),
  (v, n) => replaceNth(v, /[~^]/g, n, (c) => (c === '~' ? '^' : '~')),
];

// --- apk

const apkSuffix = fc.tuple(
  fc.constantFrom('alpha', 'beta', 'pre', 'rc', 'cvs', 'svn', 'git', 'hg', 'p'),
  fc.constantFrom('', '', '0', '1', '2', '01', '10', '20190101'),
);

/** Half the versions have no suffix at all. */
const apkSuffixes: fc.Arbitrary<[string, string][]> = fc.oneof(
  fc.constant<[string, string][]>([]),
  fc.array<[string, string]>(apkSuffix, { minLength: 1, maxLength: 3 }),
);

export const apkVersion: fc.Arbitrary<string> = fc
  .record({
    first: fc.constantFrom('0', '1', '2', '10', '01', '007', '20230101'),
    dots: fc.array(
      fc.constantFrom(
        '0',
        '00',
        '01',
        '001',
        '0015',
        '002',
        '1',
        '2',
        '05',
        '5',
        '10',
        '100',
        '18446744073709551616',
      ),
      { maxLength: 4 },
    ),
    letter: maybe(fc.constantFrom('a', 'b', 'z'), 3),
    suffixes: apkSuffixes,
    hash: maybe(fc.constantFrom('0', '00', '1234', '2345', 'abc', 'abcd', 'c0ffee', 'deadbeef'), 2),
    revision: maybe(smallNumbers, 6),
  })
  .map(
    ({ first, dots, letter, suffixes, hash, revision }) =>
      first +
      dots.map((d) => `.${d}`).join('') +
      (letter ?? '') +
      suffixes.map(([s, n]) => `_${s}${n}`).join('') +
      (hash !== undefined ? `~${hash}` : '') +
      (revision !== undefined ? `-r${revision}` : ''),
  );

const apkEdits: ((v: string, n: number) => string)[] = [
  (v) => v.replace(/(-r\d+)?$/, '_pre1$1'),
  (v) => v.replace(/(-r\d+)?$/, '_p1$1'),
  (v) => (/-r\d+$/.test(v) ? v.replace(/-r\d+$/, '') : `${v}-r0`),
  (v) => (/-r\d+$/.test(v) ? v.replace(/-r(\d+)$/, (_, d: string) => `-r${Number(d) + 1}`) : `${v}-r1`),
  (v) => v.replace(/^(\d+(?:\.\d+)*)/, '$1.0'),
  (v) => v.replace(/^(\d+(?:\.\d+)*)/, '$1.00'),
  (v) => v.replace(/^(\d+(?:\.\d+)*)(?![a-z])/, '$1a'),
  (v, n) => replaceNth(v, /\d+/g, n, (d) => String(BigInt(d) + 1n)),
  (v, n) => replaceNth(v, /\d+/g, n, (d) => `0${d}`),
  (v, n) => replaceNth(v, /\.0\d*/g, n, (d) => `.${d.slice(2) || '0'}`),
];

function replaceNth(v: string, re: RegExp, n: number, f: (m: string) => string): string {
  const matches = [...v.matchAll(re)];
  if (matches.length === 0) return v;
  const m = matches[n % matches.length] as RegExpMatchArray;
  const at = m.index ?? 0;
  return v.slice(0, at) + f(m[0]) + v.slice(at + m[0].length);
}

/**
 * Pairs of versions: independent ones, equal ones, and ones a few edits apart. `valid` drops edits
 * that leave the grammar (the generators themselves only make valid versions).
 */
function pairsOf(
  version: fc.Arbitrary<string>,
  edits: ((v: string, n: number) => string)[],
  valid: (v: string) => boolean,
): fc.Arbitrary<Pair> {
  const edited = fc
    .tuple(version, fc.array(fc.tuple(fc.nat(edits.length - 1), fc.nat()), { minLength: 1, maxLength: 3 }))
    .map(([v, steps]): Pair => {
      let w = v;
      for (const [e, n] of steps) {
        const next = (edits[e] as (v: string, n: number) => string)(w, n);
        if (valid(next)) w = next;
      }
      return [v, w];
    });
  return fc.oneof(
    { weight: 4, arbitrary: edited },
    { weight: 1, arbitrary: edited.map(([a, b]): Pair => [b, a]) },
    { weight: 3, arbitrary: fc.tuple(version, version) },
    { weight: 1, arbitrary: version.map((v): Pair => [v, v]) },
  );
}

export function debPairs(valid: (v: string) => boolean): fc.Arbitrary<Pair> {
  return pairsOf(debVersion, debEdits, valid);
}

export function rpmPairs(valid: (v: string) => boolean): fc.Arbitrary<Pair> {
  return pairsOf(rpmVersion, rpmEdits, valid);
}

export function apkPairs(valid: (v: string) => boolean): fc.Arbitrary<Pair> {
  return pairsOf(apkVersion, apkEdits, valid);
}
