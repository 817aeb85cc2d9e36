// npm versions and ranges: SemVer 2.0.0 as the `semver` package (7.x, the one npm itself uses)
// parses and orders them, and npm's range syntax (comparators, hyphen ranges, x-ranges, ~, ^, ||)
// with its pre-release rule. GitHub advisories write AND-ed comparators with commas
// (">= 2.0.0, < 2.1.4"); a comma is accepted here as one more AND separator.
//
// The range grammar is applied the way npm documents it: each `||` alternative is desugared into
// plain comparators (`~1.2` is `>=1.2.0 <1.3.0-0`, `^0.0.3` is `>=0.0.3 <0.0.4-0`, `1.x` is
// `>=1.0.0 <2.0.0-0`, `1.2 - 2` is `>=1.2.0 <3.0.0-0`...), and a version matches an alternative when
// it satisfies every comparator there. A pre-release version (1.2.3-beta) only matches an alternative
// that holds a comparator with a pre-release on the same major.minor.patch; a range npm rejects
// throws here instead of matching nothing.

import { comparePrerelease, isIdentChar, sign } from './semver-shared.js';
import { VersionError, type VersionScheme } from './types.js';

/** npm refuses version strings longer than this. */
const MAX_LENGTH = 256;
/** Inputs longer than this are rejected before any work (npm would trim them first). */
const MAX_INPUT = 4096;
const MAX_RANGE = 4096;

export interface NpmVersion {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated pre-release identifiers; empty for a release. Build metadata is dropped. */
  pre: string[];
}

// --- versions -------------------------------------------------------------------------------

/** A non-negative integer npm accepts: no leading zero, at most Number.MAX_SAFE_INTEGER. */
function readNumber(s: string, i: number): { n: number; end: number } | undefined {
  const c = s.charCodeAt(i);
  if (!(c >= 48 && c <= 57)) return undefined;
  let end = i + 1;
  if (c !== 48) while (end < s.length && s.charCodeAt(end) >= 48 && s.charCodeAt(end) <= 57) end++;
  const n = Number(s.slice(i, end));
  return n <= Number.MAX_SAFE_INTEGER ? { n, end } : undefined;
}

/** Reads `.`-separated identifiers of [0-9A-Za-z-]; pre-release numbers may not have a leading zero. */
function readIdents(s: string, i: number, pre: boolean): { ids: string[]; end: number } | undefined {
  const ids: string[] = [];
  let start = i;
  for (;;) {
    let j = start;
    let digitsOnly = true;
    while (j < s.length && isIdentChar(s.charCodeAt(j))) {
      const c = s.charCodeAt(j);
      if (c < 48 || c > 57) digitsOnly = false;
      j++;
    }
    if (j === start) return undefined;
    if (pre && digitsOnly && j - start > 1 && s.charCodeAt(start) === 48) return undefined;
    ids.push(s.slice(start, j));
    if (s.charCodeAt(j) !== 46) return { ids, end: j };
    start = j + 1;
  }
}

/** major.minor.patch[-pre][+build] from position `i`, as npm's strict grammar; `end` is where it stopped. */
function readFull(s: string, i: number): { v: NpmVersion; end: number } | undefined {
  const major = readNumber(s, i);
  if (!major || s.charCodeAt(major.end) !== 46) return undefined;
  const minor = readNumber(s, major.end + 1);
  if (!minor || s.charCodeAt(minor.end) !== 46) return undefined;
  const patch = readNumber(s, minor.end + 1);
  if (!patch) return undefined;
  let end = patch.end;
  let pre: string[] = [];
  if (s.charCodeAt(end) === 45) {
    const r = readIdents(s, end + 1, true);
    if (!r) return undefined;
    pre = r.ids;
    end = r.end;
  }
  if (s.charCodeAt(end) === 43) {
    const r = readIdents(s, end + 1, false);
    if (!r) return undefined;
    end = r.end;
  }
  return { v: { major: major.n, minor: minor.n, patch: patch.n, pre }, end };
}

/** `v?` + a full version and nothing else (npm's FULLPLAIN), at most 256 characters. */
function parseStrict(s: string): NpmVersion | undefined {
  if (s.length > MAX_LENGTH) return undefined;
  const i = s.charCodeAt(0) === 118 ? 1 : 0;
  const r = readFull(s, i);
  return r && r.end === s.length ? r.v : undefined;
}

/**
 * Parses a version the way npm cleans one (`semver.clean`): surrounding whitespace and any run of
 * leading `v`/`=` are dropped. Undefined when npm would reject it.
 */
export function parseNpmVersion(input: string): NpmVersion | undefined {
  if (typeof input !== 'string' || input.length > MAX_INPUT) return undefined;
  const s = input.trim().replace(/^[=v]+/, '');
  if (s.length > MAX_LENGTH) return undefined;
  return parseStrict(s.trim());
}

function compareParsed(a: NpmVersion, b: NpmVersion): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  return comparePrerelease(a.pre, b.pre);
}

function mustParse(v: string): NpmVersion {
  const p = parseNpmVersion(v);
  if (!p) throw new VersionError(`invalid npm version: ${JSON.stringify(String(v).slice(0, 80))}`);
  return p;
}

// --- ranges ---------------------------------------------------------------------------------

type Op = '' | '<' | '<=' | '>' | '>=';

interface Comparator {
  op: Op;
  /** Undefined for the "any version" comparator (`*`, `x`, `>=0.0.0`, an empty range). */
  v?: NpmVersion;
}

/** One `||` alternative: every comparator must hold. `any` marks an alternative that is only "*". */
interface ComparatorSet {
  comparators: Comparator[];
  any: boolean;
}

function bad(range: string, why: string): VersionError {
  return new VersionError(`invalid npm range ${JSON.stringify(range.slice(0, 80))}: ${why}`);
}

const isX = (id: string | undefined): boolean => id === undefined || id === 'x' || id === 'X' || id === '*';

interface PartialVersion {
  /** The operator in front, for comparator words (`<`, `<=`, `>`, `>=`, `=` or ''). */
  gtlt: string;
  M: string;
  m?: string;
  p?: string;
  /** Pre-release text without its `-`, only after a third component. */
  pr?: string;
  /** Where the `v`/`=` prefix run ended and the first component starts. */
  bodyStart: number;
  end: number;
}

/** One component of a partial version: a number without leading zero, or x, X, *. */
function readXrId(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 120 || c === 88 || c === 42) return i + 1;
  if (c === 48) return i + 1;
  if (c >= 49 && c <= 57) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    return j;
  }
  return i;
}

/**
 * npm's partial version ("XRANGEPLAIN"): a run of `v`, `=` and spaces, then 1 to 3 components where
 * the third may carry a pre-release and build metadata. Must end exactly at `s.length`.
 */
function readPartial(s: string, i: number, gtlt: string): PartialVersion | undefined {
  while (i < s.length && (s[i] === 'v' || s[i] === '=' || s[i] === ' ')) i++;
  const bodyStart = i;
  const ids: string[] = [];
  let j = i;
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      if (s.charCodeAt(j) !== 46) break;
      j++;
    }
    const e = readXrId(s, j);
    if (e === j) return undefined;
    ids.push(s.slice(j, e));
    j = e;
  }
  let pr: string | undefined;
  if (ids.length === 3) {
    if (s.charCodeAt(j) === 45) {
      const r = readIdents(s, j + 1, true);
      if (!r) return undefined;
      pr = s.slice(j + 1, r.end);
      j = r.end;
    }
    if (s.charCodeAt(j) === 43) {
      const r = readIdents(s, j + 1, false);
      if (!r) return undefined;
      j = r.end;
    }
  }
  if (j !== s.length) return undefined;
  const [M, m, p] = ids as [string, string | undefined, string | undefined];
  return { gtlt, M, m, p, pr, bodyStart, end: j };
}

/** `>=`, `<=`, `>`, `<`, `=` or '' at the start of a word: the longest that applies. */
function readGtlt(s: string): string {
  if (s[0] === '<' || s[0] === '>') return s[1] === '=' ? s.slice(0, 2) : s[0];
  return s[0] === '=' ? '=' : '';
}

const inc = (n: string): string => `${+n + 1}`;

/** `~M.m.p`: patch-level changes when a minor is given, minor-level otherwise. */
function desugarTilde(w: string): string {
  const start = w.startsWith('~>') ? 2 : w.startsWith('~') ? 1 : -1;
  if (start < 0) return w;
  const x = readPartial(w, start, '');
  if (!x) return w;
  const { M, m, p, pr } = x;
  if (isX(M)) return '';
  if (isX(m)) return `>=${M}.0.0 <${inc(M)}.0.0-0`;
  if (isX(p)) return `>=${M}.${m}.0 <${M}.${inc(m as string)}.0-0`;
  const low = pr ? `${M}.${m}.${p}-${pr}` : `${M}.${m}.${p}`;
  return `>=${low} <${M}.${inc(m as string)}.0-0`;
}

/** `^M.m.p`: changes that keep the left-most non-zero component. */
function desugarCaret(w: string): string {
  if (!w.startsWith('^')) return w;
  const x = readPartial(w, 1, '');
  if (!x) return w;
  const { M, m, p, pr } = x;
  if (isX(M)) return '';
  if (isX(m)) return `>=${M}.0.0 <${inc(M)}.0.0-0`;
  const mm = m as string;
  if (isX(p)) return M === '0' ? `>=${M}.${mm}.0 <${M}.${inc(mm)}.0-0` : `>=${M}.${mm}.0 <${inc(M)}.0.0-0`;
  const pp = p as string;
  const low = pr ? `${M}.${mm}.${pp}-${pr}` : `${M}.${mm}.${pp}`;
  if (M !== '0') return `>=${low} <${inc(M)}.0.0-0`;
  if (mm !== '0') return `>=${low} <${M}.${inc(mm)}.0-0`;
  return `>=${low} <${M}.${mm}.${inc(pp)}-0`;
}

/** X-ranges, bare or behind an operator: `1.x`, `<=1.2`, `>1`, `*`. Anything else passes through. */
function desugarXRange(w: string): string {
  const gtlt0 = readGtlt(w);
  const x = readPartial(w, gtlt0.length, gtlt0);
  if (!x) return w;
  let { gtlt } = x;
  const { M, m, p } = x;
  // npm leaves "x.1" or "1.x.2" untouched, which then fails as a comparator.
  if ((isX(M) && !isX(m)) || (isX(m) && p !== undefined && !isX(p))) return w;
  const xM = isX(M);
  const xm = xM || isX(m);
  const anyX = xm || isX(p);
  if (!anyX) return w;
  if (gtlt === '=') gtlt = '';
  if (xM) return gtlt === '>' || gtlt === '<' ? '<0.0.0-0' : '*';
  if (gtlt) {
    let MM = M;
    let mm = xm ? '0' : (m as string);
    if (gtlt === '>') {
      gtlt = '>=';
      if (xm) MM = inc(M);
      else mm = inc(mm);
    } else if (gtlt === '<=') {
      gtlt = '<';
      if (xm) MM = inc(M);
      else mm = inc(mm);
    }
    return `${gtlt}${MM}.${mm}.0${gtlt === '<' ? '-0' : ''}`;
  }
  if (xm) return `>=${M}.0.0 <${inc(M)}.0.0-0`;
  return `>=${M}.${m}.0 <${M}.${inc(m as string)}.0-0`;
}

/** npm drops the first `*` together with an operator right before it (`>=*` is "any"). */
function dropStar(w: string): string {
  const k = w.indexOf('*');
  if (k < 0) return w;
  let start = k;
  if (start > 0 && w[start - 1] === '=') start--;
  if (start > 0 && (w[start - 1] === '<' || w[start - 1] === '>')) start--;
  return w.slice(0, start) + w.slice(k + 1);
}

/** `A - B`: inclusive, where a partial B allows everything that starts with it. */
function desugarHyphen(s: string): string | undefined {
  // npm's pattern: optional space, partial, one space, '-', one space, partial, optional space.
  let i = s[0] === ' ' ? 1 : 0;
  let j = i;
  while (j < s.length && (s[j] === 'v' || s[j] === '=' || s[j] === ' ')) j++;
  const fromEnd = s.indexOf(' ', j);
  if (fromEnd < 0 || s.slice(fromEnd, fromEnd + 3) !== ' - ') return undefined;
  const fromText = s.slice(i, fromEnd);
  const from = readPartial(fromText, 0, '');
  if (!from) return undefined;
  i = fromEnd + 3;
  let rest = s.slice(i);
  if (rest.endsWith(' ')) rest = rest.slice(0, -1);
  const to = readPartial(rest, 0, '');
  if (!to || rest.slice(to.bodyStart).includes(' ')) return undefined;
  let low: string;
  if (isX(from.M)) low = '';
  else if (isX(from.m)) low = `>=${from.M}.0.0`;
  else if (isX(from.p)) low = `>=${from.M}.${from.m}.0`;
  else low = `>=${fromText}`;
  let high: string;
  if (isX(to.M)) high = '';
  else if (isX(to.m)) high = `<${inc(to.M)}.0.0-0`;
  else if (isX(to.p)) high = `<${to.M}.${inc(to.m as string)}.0-0`;
  else if (to.pr) high = `<=${to.M}.${to.m}.${to.p}-${to.pr}`;
  else high = `<=${rest}`;
  return `${low} ${high}`.trim();
}

const isSpace = (c: string | undefined): boolean => c === ' ';
const isVersionStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= '0' && c <= '9') || c === 'x' || c === 'X' || c === '*');

/**
 * Joins an operator to the version after it ("> 1.2.3" -> ">1.2.3", "< =1" -> "<=1"): npm removes the
 * one space that follows `[space]?[<>]?=?` when a run of v/=/spaces and then a version follow.
 */
function joinOperators(s: string): string {
  let out = '';
  let copyFrom = 0;
  let i = 0;
  while (i < s.length) {
    const start = i;
    if (s[i] === '<' || s[i] === '>') i++;
    else if (!(s[i] === 'v' || s[i] === '=' || isSpace(s[i])) && !isVersionStart(s[i])) {
      i++;
      continue;
    }
    while (i < s.length && (s[i] === 'v' || s[i] === '=' || isSpace(s[i]))) i++;
    if (!isVersionStart(s[i])) continue;
    let k = start;
    if (isSpace(s[k])) k++;
    if (s[k] === '<' || s[k] === '>') k++;
    if (s[k] === '=') k++;
    if (isSpace(s[k])) {
      out += s.slice(copyFrom, k);
      copyFrom = k + 1;
    }
    // Skip the version itself so its characters do not start another match.
    while (i < s.length && /[0-9A-Za-z.*+-]/.test(s[i] as string)) i++;
  }
  return out + s.slice(copyFrom);
}

/** A desugared comparator word: operator, `v?`, a full version. '' is "any". */
function parseComparator(w: string, range: string): Comparator {
  if (w === '') return { op: '' };
  const gtlt = readGtlt(w);
  const v = parseStrict(w.slice(gtlt.length));
  if (!v) throw bad(range, `bad comparator ${JSON.stringify(w.slice(0, 40))}`);
  return { op: gtlt === '=' ? '' : (gtlt as Op), v };
}

const BUILD_RE = /\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*/g;

/** One `||` alternative (without commas) to its comparators, following npm's rewriting steps. */
function parseSet(text: string, range: string): Comparator[] {
  // npm strips build metadata anywhere in the alternative first.
  let s = text.replace(BUILD_RE, '');
  s = desugarHyphen(s) ?? s;
  s = joinOperators(s).replace(/~>? /g, '~').replace(/\^ /g, '^');
  const words: string[] = [];
  for (const w of s.split(' ')) {
    let r = desugarCaret(w);
    r = r === w ? desugarTilde(w) : r;
    r = r
      .split(' ')
      .map((x) => (x === '' ? x : desugarXRange(x)))
      .join(' ');
    r = r.includes(' ') ? r : dropStar(r);
    for (const x of r.split(' ')) words.push(x === '>=0.0.0' ? '' : x);
  }
  const out: Comparator[] = [];
  for (const w of words) out.push(parseComparator(w, range));
  return out;
}

const isNull = (c: Comparator): boolean =>
  c.op === '<' &&
  !!c.v &&
  c.v.major === 0 &&
  c.v.minor === 0 &&
  c.v.patch === 0 &&
  c.v.pre.length === 1 &&
  c.v.pre[0] === '0';

/** Parses an npm range (with GitHub's comma as AND) into its `||` alternatives. */
export function parseNpmRange(range: string): ComparatorSet[] {
  if (typeof range !== 'string') throw new VersionError('npm range must be a string');
  if (range.length > MAX_RANGE) throw bad(range, 'too long');
  const raw = range.trim().replace(/\s+/g, ' ');
  const sets: ComparatorSet[] = [];
  for (const alt of raw.split('||')) {
    const parts = alt.includes(',') ? alt.split(',') : [alt];
    const comparators: Comparator[] = [];
    for (const part of parts) {
      const t = part.trim();
      if (parts.length > 1 && t === '') throw bad(range, 'empty comparator between commas');
      comparators.push(...parseSet(t, range));
    }
    // npm: a null comparator (<0.0.0-0) leaves nothing to match; "any" comparators next to others go.
    const nothing = comparators.find(isNull);
    const live = comparators.filter((c) => c.v);
    sets.push(
      nothing ? { comparators: [nothing], any: false } : { comparators: live, any: live.length === 0 },
    );
  }
  return sets;
}

function test(c: Comparator, v: NpmVersion): boolean {
  if (!c.v) return true;
  const r = compareParsed(v, c.v);
  switch (c.op) {
    case '':
      return r === 0;
    case '<':
      return r < 0;
    case '<=':
      return r <= 0;
    case '>':
      return r > 0;
    case '>=':
      return r >= 0;
  }
}

function testSet(set: ComparatorSet, v: NpmVersion): boolean {
  for (const c of set.comparators) if (!test(c, v)) return false;
  if (v.pre.length === 0) return true;
  // A pre-release only counts when the range names a pre-release of the same major.minor.patch.
  return set.comparators.some(
    (c) =>
      !!c.v && c.v.pre.length > 0 && c.v.major === v.major && c.v.minor === v.minor && c.v.patch === v.patch,
  );
}

const rangeCache = new Map<string, ComparatorSet[]>();

function cachedRange(range: string): ComparatorSet[] {
  let sets = rangeCache.get(range);
  if (!sets) {
    sets = parseNpmRange(range);
    if (rangeCache.size >= 500) rangeCache.clear();
    rangeCache.set(range, sets);
  }
  return sets;
}

export function npmSatisfies(version: string, range: string): boolean {
  const v = mustParse(version);
  const sets = cachedRange(range);
  // npm: when an alternative is just "*", the whole range is "*" (which no pre-release satisfies).
  if (sets.some((s) => s.any)) return v.pre.length === 0;
  return sets.some((s) => testSet(s, v));
}

export const npmScheme: VersionScheme = {
  name: 'npm',
  compare(a: string, b: string): number {
    return sign(compareParsed(mustParse(a), mustParse(b)));
  },
  valid(v: string): boolean {
    return parseNpmVersion(v) !== undefined;
  },
  satisfies: npmSatisfies,
};
