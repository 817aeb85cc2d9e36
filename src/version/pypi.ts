// PEP 440 versions and version specifiers, as Python's `packaging` library (26.x) reads them: the
// reference pip and the PyPI advisory database use.
//
// Grammar (case-insensitive, surrounding whitespace ignored, optional leading "v"):
//   [N!] N(.N)* [[._-]? (a|alpha|b|beta|rc|c|pre|preview) [._-]? N?]
//               [-N | [._-]? (post|rev|r) [._-]? N?]
//               [[._-]? dev [._-]? N?] [+local]        local = [a-z0-9]+ ([._-][a-z0-9]+)*
// A missing number after a letter means 0; "1.0-1" is the implicit post-release 1.0.post1.
// `packaging` matches this with possessive (no backtracking) groups, so this file parses it with one
// greedy left-to-right scan, which accepts exactly the same strings and never backtracks.
//
// Order: epoch, then the release with trailing zeros ignored (1.0 == 1.0.0), then
//   X.devN < XaN.devM < XaN < XaN.postM < XbN < XrcN < X < X.postN.devM < X.postN,
// then the local part: none < any; parts compared one by one, numbers > strings, numbers numerically,
// strings in code-point order, a shorter list first when one is a prefix of the other.
//
// Specifier sets ("~=1.4.2, !=1.4.5, <2") follow `SpecifierSet.contains(v, prereleases=True)`: an
// installed pre-release is a real version that a range may or may not contain (advisory matching
// must not skip it the way an installer's default would). The exclusive-ordered rules stay: "<V"
// excludes pre-releases of V and ">V" excludes post-releases and local versions of V, unless V is
// itself one. Quirks of `packaging` that this file reproduces on purpose, because they decide which
// versions a real tool treats as in range: "~=" derives its prefix from the specifier text as
// written ("~=v1.4" matches nothing; "~=1.4.5.c1" means >=1.4.5c1 plus the prefix 1.4.5, while
// "~=1.4.5rc1" has the prefix 1.4), "===" compares the raw version string case-insensitively, and a
// set with no specifier ("" or ",") contains every version.
// Refused (VersionError): versions over 256 characters, non-ASCII text outside surrounding whitespace,
// and, in a non-"===" specifier, non-ASCII letters (which `packaging` itself cannot evaluate).

import { VersionError, type VersionScheme } from './types.js';

const MAX_VERSION = 256;
const MAX_RANGE = 4096;

type PreLabel = 'a' | 'b' | 'rc';

/** A parsed PEP 440 version; every number is a digit string without leading zeros. */
export interface Pep440Version {
  epoch: string;
  release: string[];
  pre?: { label: PreLabel; n: string };
  post?: string;
  dev?: string;
  /** Local parts, lowercased; all-digit parts normalised as numbers. */
  local?: string[];
}

// The characters Python's `str.strip()` and the regex `\s` treat as whitespace.
function isPySpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x1c && c <= 0x20) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

function pyStrip(s: string): string {
  let i = 0;
  let j = s.length;
  while (i < j && isPySpace(s.charCodeAt(i))) i++;
  while (j > i && isPySpace(s.charCodeAt(j - 1))) j--;
  return s.slice(i, j);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isSep(ch: string | undefined): boolean {
  return ch === '.' || ch === '_' || ch === '-';
}

function isAlnum(ch: string | undefined): boolean {
  return ch !== undefined && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'));
}

/** Strips leading zeros ("007" -> "7", "000" -> "0"). */
function normNum(d: string): string {
  let i = 0;
  while (i < d.length - 1 && d.charCodeAt(i) === 0x30) i++;
  return d.slice(i);
}

/** Compares two normalised digit strings numerically (any length). */
function cmpNum(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function isAllDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

// Alternatives in the order the reference grammar tries them (the longer spelling first).
const PRE_WORDS: [string, PreLabel][] = [
  ['alpha', 'a'],
  ['a', 'a'],
  ['beta', 'b'],
  ['b', 'b'],
  ['preview', 'rc'],
  ['pre', 'rc'],
  ['c', 'rc'],
  ['rc', 'rc'],
];
const POST_WORDS = ['post', 'rev', 'r'];

/** What the body of a version may hold, for the specifier variants that allow less. */
interface ParseMode {
  local: boolean;
  wildcard: boolean;
  minRelease: number;
}
const FULL: ParseMode = { local: true, wildcard: false, minRelease: 1 };

interface Scan {
  v: Pep440Version;
  wildcard: boolean;
}

/**
 * Scans an already stripped, ASCII-lowercased version body. Returns undefined when it is not a
 * version (under the given mode).
 */
function scanBody(s: string, mode: ParseMode): Scan | undefined {
  let p = 0;
  const digits = (): string => {
    const start = p;
    while (p < s.length && isDigit(s.charCodeAt(p))) p++;
    return s.slice(start, p);
  };
  if (s[p] === 'v') p++;
  let first = digits();
  if (first === '') return undefined;
  let epoch = '0';
  if (s[p] === '!') {
    epoch = normNum(first);
    p++;
    first = digits();
    if (first === '') return undefined;
  }
  const release = [normNum(first)];
  while (s[p] === '.' && p + 1 < s.length && isDigit(s.charCodeAt(p + 1))) {
    p++;
    release.push(normNum(digits()));
  }
  if (release.length < mode.minRelease) return undefined;
  const v: Pep440Version = { epoch, release };
  if (mode.wildcard && s[p] === '.' && s[p + 1] === '*' && p + 2 === s.length) {
    return { v, wildcard: true };
  }

  // Pre-release: [._-]? word [._-]? N?
  {
    let q = p;
    if (isSep(s[q])) q++;
    const hit = PRE_WORDS.find(([w]) => s.startsWith(w, q));
    if (hit) {
      q += hit[0].length;
      if (isSep(s[q])) q++;
      p = q;
      const n = digits();
      v.pre = { label: hit[1], n: n === '' ? '0' : normNum(n) };
    }
  }
  // Post-release: -N, or [._-]? (post|rev|r) [._-]? N?
  if (s[p] === '-' && p + 1 < s.length && isDigit(s.charCodeAt(p + 1))) {
    p++;
    v.post = normNum(digits());
  } else {
    let q = p;
    if (isSep(s[q])) q++;
    const word = POST_WORDS.find((w) => s.startsWith(w, q));
    if (word) {
      q += word.length;
      if (isSep(s[q])) q++;
      p = q;
      const n = digits();
      v.post = n === '' ? '0' : normNum(n);
    }
  }
  // Development release: [._-]? dev [._-]? N?
  {
    let q = p;
    if (isSep(s[q])) q++;
    if (s.startsWith('dev', q)) {
      q += 3;
      if (isSep(s[q])) q++;
      p = q;
      const n = digits();
      v.dev = n === '' ? '0' : normNum(n);
    }
  }
  // Local version: +part([._-]part)*
  if (s[p] === '+') {
    if (!mode.local) return undefined;
    p++;
    const parts: string[] = [];
    for (;;) {
      const start = p;
      while (isAlnum(s[p])) p++;
      if (p === start) return undefined;
      const part = s.slice(start, p);
      parts.push(isAllDigits(part) ? normNum(part) : part);
      if (isSep(s[p]) && isAlnum(s[p + 1])) p++;
      else break;
    }
    v.local = parts;
  }
  return p === s.length ? { v, wildcard: false } : undefined;
}

/** ASCII lowercase, or undefined when the text holds any non-ASCII character. */
function asciiLower(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e) return undefined;
  return s.toLowerCase();
}

/** Parses a PEP 440 version; undefined when it is not one. */
export function parsePypiVersion(version: string): Pep440Version | undefined {
  if (typeof version !== 'string' || version.length > MAX_VERSION) return undefined;
  const body = asciiLower(pyStrip(version));
  if (body === undefined) return undefined;
  return scanBody(body, FULL)?.v;
}

function parseOrThrow(version: string): Pep440Version {
  const v = parsePypiVersion(version);
  if (!v) throw new VersionError(`invalid PEP 440 version: ${JSON.stringify(clip(version))}`);
  return v;
}

function clip(s: string): string {
  return typeof s === 'string' && s.length > 64 ? `${s.slice(0, 64)}...` : s;
}

/** The normalised form of a version (what `str(Version(v))` prints). */
export function normalizePypiVersion(version: string): string {
  return format(parseOrThrow(version));
}

function format(v: Pep440Version): string {
  let out = v.release.join('.');
  if (v.epoch !== '0') out = `${v.epoch}!${out}`;
  if (v.pre) out += `${v.pre.label}${v.pre.n}`;
  if (v.post !== undefined) out += `.post${v.post}`;
  if (v.dev !== undefined) out += `.dev${v.dev}`;
  if (v.local) out += `+${v.local.join('.')}`;
  return out;
}

function trimmedLength(release: string[]): number {
  let n = release.length;
  while (n > 0 && release[n - 1] === '0') n--;
  return n;
}

function cmpRelease(a: string[], b: string[]): number {
  const la = trimmedLength(a);
  const lb = trimmedLength(b);
  for (let i = 0; i < Math.min(la, lb); i++) {
    const c = cmpNum(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return la === lb ? 0 : la < lb ? -1 : 1;
}

const PRE_RANK: Record<PreLabel, number> = { a: 0, b: 1, rc: 2 };

/** The pre/post/dev suffix as comparable numbers: [preRank, preN, postRank, postN, devRank, devN]. */
function suffix(v: Pep440Version): [number, string, number, string, number, string] {
  let preRank: number;
  let preN = '0';
  if (!v.pre && v.post === undefined && v.dev !== undefined) preRank = -1;
  else if (!v.pre) preRank = 3;
  else {
    preRank = PRE_RANK[v.pre.label];
    preN = v.pre.n;
  }
  return [
    preRank,
    preN,
    v.post === undefined ? 0 : 1,
    v.post ?? '0',
    v.dev === undefined ? 1 : 0,
    v.dev ?? '0',
  ];
}

function cmpLocal(a: string[] | undefined, b: string[] | undefined): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xn = isAllDigits(x);
    const yn = isAllDigits(y);
    let c: number;
    if (xn && yn) c = cmpNum(x, y);
    else if (xn !== yn) c = xn ? 1 : -1;
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function cmpPublic(a: Pep440Version, b: Pep440Version): number {
  let c = cmpNum(a.epoch, b.epoch);
  if (c !== 0) return c;
  c = cmpRelease(a.release, b.release);
  if (c !== 0) return c;
  const sa = suffix(a);
  const sb = suffix(b);
  for (let i = 0; i < 6; i += 2) {
    c = (sa[i] as number) - (sb[i] as number);
    if (c !== 0) return c < 0 ? -1 : 1;
    c = cmpNum(sa[i + 1] as string, sb[i + 1] as string);
    if (c !== 0) return c;
  }
  return 0;
}

/** Compares two parsed versions (PEP 440 order, local part included). */
export function comparePep440(a: Pep440Version, b: Pep440Version): number {
  return cmpPublic(a, b) || cmpLocal(a.local, b.local);
}

function isPrerelease(v: Pep440Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

// ---- specifiers ----

type Op = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';

interface Spec {
  op: Op;
  /** The specifier's version text as written (stripped), which "~=" and "===" read. */
  text: string;
  v?: Pep440Version;
  wildcard: boolean;
}

function parseSpec(raw: string): Spec {
  const s = pyStrip(raw);
  let op: Op;
  if (s.startsWith('===')) op = '===';
  else if (/^(~=|==|!=|<=|>=)/.test(s)) op = s.slice(0, 2) as Op;
  else if (s[0] === '<' || s[0] === '>') op = s[0] as Op;
  else throw new VersionError(`invalid PEP 440 specifier: ${JSON.stringify(clip(raw))}`);
  const text = pyStrip(s.slice(op.length));
  if (op === '===') {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isPySpace(c) || c === 0x3b || c === 0x29) {
        throw new VersionError(`invalid PEP 440 specifier: ${JSON.stringify(clip(raw))}`);
      }
    }
    return { op, text, wildcard: false };
  }
  const lower = asciiLower(text);
  const mode: ParseMode =
    op === '==' || op === '!='
      ? { local: true, wildcard: true, minRelease: 1 }
      : { local: false, wildcard: false, minRelease: op === '~=' ? 2 : 1 };
  const scanned = lower === undefined ? undefined : scanBody(lower, mode);
  if (!scanned) throw new VersionError(`invalid PEP 440 specifier: ${JSON.stringify(clip(raw))}`);
  return { op, text, v: scanned.v, wildcard: scanned.wildcard };
}

/** `packaging`'s split of a version string into comparable pieces ("1.2rc1" -> 0,1,2,rc1). */
function versionSplit(version: string): string[] {
  const bang = version.lastIndexOf('!');
  const epoch = bang < 0 ? '' : version.slice(0, bang);
  const rest = bang < 0 ? version : version.slice(bang + 1);
  const out = [epoch === '' ? '0' : epoch];
  for (const item of rest.split('.')) {
    const m = /^([0-9]+)((?:a|b|c|rc)[0-9]+)$/.exec(item);
    if (m) out.push(m[1] as string, m[2] as string);
    else out.push(item);
  }
  return out;
}

function numericPrefixLength(split: string[]): number {
  let n = 0;
  while (n < split.length && isAllDigits(split[n] as string)) n++;
  return n;
}

/** Prefix matching (`==P.*`), given the prefix text P as `packaging` sees it. */
function prefixMatch(prospective: Pep440Version, prefix: string): boolean {
  const parsed = parsePypiVersion(prefix);
  const spec = versionSplit(parsed ? format(parsed) : prefix);
  const specNumeric = numericPrefixLength(spec);
  let mine = versionSplit(format({ ...prospective, local: undefined }));
  const myNumeric = numericPrefixLength(mine);
  if (myNumeric < specNumeric) {
    mine = [
      ...mine.slice(0, myNumeric),
      ...new Array<string>(specNumeric - myNumeric).fill('0'),
      ...mine.slice(myNumeric),
    ];
  }
  if (mine.length < spec.length) return false;
  for (let i = 0; i < spec.length; i++) if (mine[i] !== spec[i]) return false;
  return true;
}

const SUFFIX_PREFIXES = ['dev', 'a', 'b', 'rc', 'post'];

/** The prefix "~=" implies, derived from the specifier text exactly as `packaging` does. */
function compatiblePrefix(text: string): string {
  const kept: string[] = [];
  for (const seg of versionSplit(text)) {
    if (SUFFIX_PREFIXES.some((p) => seg.startsWith(p))) break;
    kept.push(seg);
  }
  kept.pop();
  const [epoch, ...rest] = kept;
  return `${epoch}!${rest.join('.')}`;
}

function publicOf(v: Pep440Version): Pep440Version {
  return v.local ? { ...v, local: undefined } : v;
}

function matches(spec: Spec, p: Pep440Version, raw: string): boolean {
  if (spec.op === '===') return raw.toLowerCase() === spec.text.toLowerCase();
  const v = spec.v as Pep440Version;
  switch (spec.op) {
    case '==':
    case '!=': {
      let eq: boolean;
      if (spec.wildcard) eq = prefixMatch(p, format(v));
      else eq = comparePep440(v.local ? p : publicOf(p), v) === 0;
      return spec.op === '==' ? eq : !eq;
    }
    case '<=':
      return comparePep440(publicOf(p), v) <= 0;
    case '>=':
      return comparePep440(publicOf(p), v) >= 0;
    case '<': {
      if (comparePep440(p, v) >= 0) return false;
      if (!isPrerelease(v) && isPrerelease(p)) {
        const earliest: Pep440Version = { ...v, dev: '0', local: undefined };
        if (comparePep440(p, earliest) >= 0) return false;
      }
      return true;
    }
    case '>': {
      if (comparePep440(p, v) <= 0) return false;
      if (v.post === undefined && p.post !== undefined) {
        const base: Pep440Version = { epoch: p.epoch, release: p.release, pre: p.pre };
        if (comparePep440(base, v) === 0) return false;
      }
      if (p.local && comparePep440(publicOf(p), v) === 0) return false;
      return true;
    }
    case '~=':
      return comparePep440(publicOf(p), v) >= 0 && prefixMatch(p, compatiblePrefix(spec.text));
  }
}

/** Parses a comma-separated specifier set; throws VersionError when one specifier is invalid. */
function parseSpecifierSet(range: string): Spec[] {
  if (typeof range !== 'string' || range.length > MAX_RANGE) {
    throw new VersionError('PEP 440 specifier set too long');
  }
  const out: Spec[] = [];
  for (const piece of range.split(',')) {
    if (pyStrip(piece) === '') continue;
    out.push(parseSpec(piece));
  }
  return out;
}

/** Whether `version` is in the PEP 440 specifier set `range` (pre-releases count as versions). */
export function pypiSatisfies(version: string, range: string): boolean {
  const specs = parseSpecifierSet(range);
  const p = parseOrThrow(version);
  return specs.every((s) => matches(s, p, version));
}

export const pypiScheme: VersionScheme = {
  name: 'pypi',
  compare(a: string, b: string): number {
    return comparePep440(parseOrThrow(a), parseOrThrow(b));
  },
  valid(v: string): boolean {
    return parsePypiVersion(v) !== undefined;
  },
  satisfies: pypiSatisfies,
};
