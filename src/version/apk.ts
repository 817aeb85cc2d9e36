// Alpine (apk-tools) package versions, as current apk-tools orders them:
//   digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]
//
// Grammar (apk-tools' version validator):
// - starts with decimal digits; then any number of ".digits"; then at most one lowercase letter;
// - then any number of "_suffix" with an optional number, suffix one of the pre-releases alpha, beta,
//   pre, rc or the post-releases cvs, svn, git, hg, p (nothing else, lowercase);
// - then an optional "~" and a lowercase hex commit hash; then an optional "-r" and a number.
//
// Ordering: the versions are walked token by token while both have a token of the same kind:
// - the first number, suffix numbers and the revision compare numerically;
// - a later ".digits" compares numerically, unless either side starts with '0': then both compare as
//   strings, byte by byte, a prefix first (Gentoo's rule: "1.05" < "1.1", "8.2.0" < "8.2.001");
// - letters by ASCII, suffixes alpha < beta < pre < rc < cvs < svn < git < hg < p, hashes as strings.
// When the kinds differ (or one version ends), a pre-release suffix is older than anything; otherwise
// the version whose token comes later in the grammar (the end counting as last) is the older:
//   "1.0_rc1" < "1.0" < "1.0-r1" < "1.0~c0ffee" < "1.0_p1" < "1.0a" < "1.0.1".
// Numbers are compared exactly; apk-tools reads them into 64 bits, so the two differ only for
// components of 2^64 and more, which no real version has. Older apk-tools releases (before the
// "~hash" token existed) ranked a leading-zero component by its count of zeros instead
// ("8.2.0" > "8.2.001" there); current apk-tools and its test vectors say "8.2.0" < "8.2.001".

import { VersionError, type VersionScheme } from './types.js';

/** Longer strings are refused: no real version comes near, and it bounds the work per call. */
export const MAX_APK_VERSION_LENGTH = 256;

// Token kinds, in apk-tools' grammar order (the order matters: see the ordering notes above).
const INITIAL = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const HASH = 5;
const REVISION = 6;
const END = 7;

/** Suffix ranks: below NONE are pre-releases, above are post-releases. */
const SUFFIXES: Readonly<Record<string, number>> = {
  alpha: 1,
  beta: 2,
  pre: 3,
  rc: 4,
  cvs: 6,
  svn: 7,
  git: 8,
  hg: 9,
  p: 10,
};
const SUFFIX_NONE = 5;

interface Token {
  kind: number;
  /** The token's text: digits, the letter, the suffix name or the hash. */
  text: string;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102);
}

function preview(v: unknown): string {
  if (typeof v !== 'string') return String(v);
  return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
}

/** The tokens of `v` (ending with END), or why it is not an apk version. */
function tokenize(v: string): Token[] | string {
  if (typeof v !== 'string') return 'not a string';
  if (v.length === 0) return 'empty version';
  if (v.length > MAX_APK_VERSION_LENGTH) return `longer than ${MAX_APK_VERSION_LENGTH} characters`;
  const tokens: Token[] = [];
  let pos = 0;
  const run = (pred: (c: number) => boolean): string => {
    const start = pos;
    while (pos < v.length && pred(v.charCodeAt(pos))) pos++;
    return v.slice(start, pos);
  };
  const first = run(isDigit);
  if (first === '') return 'does not start with a digit';
  tokens.push({ kind: INITIAL, text: first });
  let prev = INITIAL;
  while (pos < v.length) {
    const c = v.charCodeAt(pos);
    let tok: Token;
    if (isLower(c)) {
      if (prev > DIGIT) return 'misplaced letter';
      tok = { kind: LETTER, text: v[pos] as string };
      pos++;
    } else if (c === 46 /* . */) {
      if (prev > DIGIT) return "misplaced '.'";
      pos++;
      const digits = run(isDigit);
      if (digits === '') return "no digits after '.'";
      tok = { kind: DIGIT, text: digits };
    } else if (isDigit(c)) {
      // Digits are read greedily, so a digit here can only follow a suffix name.
      if (prev !== SUFFIX) return 'misplaced digit';
      tok = { kind: SUFFIX_NO, text: run(isDigit) };
    } else if (c === 95 /* _ */) {
      if (prev > SUFFIX_NO) return "misplaced '_'";
      pos++;
      const name = run(isLower);
      if (!Object.hasOwn(SUFFIXES, name)) return `unknown suffix ${preview(name)}`;
      tok = { kind: SUFFIX, text: name };
    } else if (c === 126 /* ~ */) {
      if (prev >= HASH) return "misplaced '~'";
      pos++;
      const hash = run(isHex);
      if (hash === '') return "no hash after '~'";
      tok = { kind: HASH, text: hash };
    } else if (c === 45 /* - */) {
      if (prev >= REVISION) return "misplaced '-'";
      if (v.charCodeAt(pos + 1) !== 114 /* r */) return "'-' not followed by 'r'";
      pos += 2;
      const digits = run(isDigit);
      if (digits === '') return "no number after '-r'";
      tok = { kind: REVISION, text: digits };
    } else {
      return 'invalid character';
    }
    tokens.push(tok);
    prev = tok.kind;
  }
  tokens.push({ kind: END, text: '' });
  return tokens;
}

function parse(v: string): Token[] {
  const t = tokenize(v);
  if (typeof t === 'string') throw new VersionError(`invalid apk version ${preview(v)}: ${t}`);
  return t;
}

/** Compares two digit strings as numbers of any size. */
function compareNumbers(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  if (a.length - i !== b.length - j) return a.length - i < b.length - j ? -1 : 1;
  return compareStrings(a.slice(i), b.slice(j));
}

/** Byte order, a prefix first (apk-tools' blob sort). */
function compareStrings(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

function compareTokens(a: Token, b: Token): number {
  switch (a.kind) {
    case DIGIT:
      if (a.text.charCodeAt(0) === 48 || b.text.charCodeAt(0) === 48) return compareStrings(a.text, b.text);
      return compareNumbers(a.text, b.text);
    case INITIAL:
    case SUFFIX_NO:
    case REVISION:
      return compareNumbers(a.text, b.text);
    case SUFFIX:
      return Math.sign((SUFFIXES[a.text] ?? 0) - (SUFFIXES[b.text] ?? 0));
    default:
      // LETTER (one ASCII letter) and HASH (a hex string) both sort as strings.
      return compareStrings(a.text, b.text);
  }
}

function isPreRelease(t: Token): boolean {
  return t.kind === SUFFIX && (SUFFIXES[t.text] ?? 0) < SUFFIX_NONE;
}

function compareTokenLists(a: Token[], b: Token[]): number {
  let i = 0;
  for (;;) {
    const ta = a[i] as Token;
    const tb = b[i] as Token;
    if (ta.kind !== tb.kind) {
      if (isPreRelease(ta)) return -1;
      if (isPreRelease(tb)) return 1;
      // The token further along the grammar (END last) belongs to the older version.
      return ta.kind > tb.kind ? -1 : 1;
    }
    if (ta.kind === END) return 0;
    const r = compareTokens(ta, tb);
    if (r !== 0) return r;
    i++;
  }
}

export const apkScheme: VersionScheme = {
  name: 'apk',
  compare(a: string, b: string): number {
    return compareTokenLists(parse(a), parse(b));
  },
  valid(v: string): boolean {
    return typeof tokenize(v) !== 'string';
  },
};
