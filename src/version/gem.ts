// RubyGems versions (Gem::Version) and requirements (Gem::Requirement), as RubyGems 3.x defines them.
//
// A version is digits, then any number of ".segment" (letters and digits), then optionally
// "-part(.part)*" where parts may also hold "-"; surrounding ASCII whitespace is ignored and an
// empty or blank string means "0". Each "-" reads as ".pre.", so "1.0-rc1" is 1.0.pre.rc1.
// The version splits into runs of digits (numbers) and runs of letters (strings). Ordering: trailing
// zeros are dropped from the numeric part (before the first string) and from the end, then segments
// are compared one by one, a missing one counting as 0: numbers numerically, strings byte-wise
// ("A" < "a"), and a string below any number, so "1.0.a" < "1.0" and "1.0.a" == "1.a".
//
// A requirement is "[op] version" with op one of = != > < >= <= ~> (none means =). "~> 1.2.3" is
// ">= 1.2.3" and, after dropping any pre-release part of the candidate, "< 1.3" (the last numeric
// segment dropped and the one before it bumped). Requirements joined by commas must all hold:
// ruby-advisory-db writes `patched_versions: ["~> 4.2.5, >= 4.2.5.1", ">= 5.0.0"]`, each entry one
// comma-separated Gem::Requirement (rubysecAffected below applies the whole list).
// Refused (VersionError): versions over 256 characters and an empty requirement list.

import { VersionError, type VersionScheme } from './types.js';

const MAX_VERSION = 256;
const MAX_RANGE = 4096;

/** A segment: a digit string without leading zeros (number) or a run of ASCII letters. */
type Seg = { num: string } | { str: string };

export interface GemVersion {
  /** The stripped text with "-" replaced by ".pre." (what Gem::Version#version holds). */
  text: string;
  segments: Seg[];
}

function isWs(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isAlnumCode(c: number): boolean {
  return isDigitCode(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Whether `s[from..to)` is exactly one match of Gem::Version::VERSION_PATTERN. */
function matchesVersionPattern(s: string, from: number, to: number): boolean {
  let p = from;
  const run = (ok: (c: number) => boolean): number => {
    const start = p;
    while (p < to && ok(s.charCodeAt(p))) p++;
    return p - start;
  };
  if (run(isDigitCode) === 0) return false;
  while (p < to && s[p] === '.') {
    p++;
    if (run(isAlnumCode) === 0) return false;
  }
  if (p < to && s[p] === '-') {
    const dashPart = (c: number): boolean => isAlnumCode(c) || c === 0x2d;
    p++;
    if (run(dashPart) === 0) return false;
    while (p < to && s[p] === '.') {
      p++;
      if (run(dashPart) === 0) return false;
    }
  }
  return p === to;
}

function normNum(d: string): string {
  let i = 0;
  while (i < d.length - 1 && d.charCodeAt(i) === 0x30) i++;
  return d.slice(i);
}

function segmentsOf(text: string): Seg[] {
  const out: Seg[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const start = i;
    if (isDigitCode(c)) {
      while (i < text.length && isDigitCode(text.charCodeAt(i))) i++;
      out.push({ num: normNum(text.slice(start, i)) });
    } else if (isAlnumCode(c)) {
      while (i < text.length && isAlnumCode(text.charCodeAt(i)) && !isDigitCode(text.charCodeAt(i))) i++;
      out.push({ str: text.slice(start, i) });
    } else i++;
  }
  return out;
}

function build(stripped: string): GemVersion {
  const text = stripped === '' ? '0' : stripped.replaceAll('-', '.pre.');
  return { text, segments: segmentsOf(text) };
}

/** Parses a Gem::Version string; undefined when `Gem::Version.correct?` would say no. */
export function parseGemVersion(version: string): GemVersion | undefined {
  if (typeof version !== 'string' || version.length > MAX_VERSION) return undefined;
  let i = 0;
  let j = version.length;
  while (i < j && isWs(version.charCodeAt(i))) i++;
  while (j > i && isWs(version.charCodeAt(j - 1))) j--;
  if (i < j && !matchesVersionPattern(version, i, j)) return undefined;
  return build(version.slice(i, j));
}

function parseOrThrow(version: string): GemVersion {
  const v = parseGemVersion(version);
  if (!v) throw new VersionError(`invalid RubyGems version: ${JSON.stringify(clip(version))}`);
  return v;
}

function clip(s: string): string {
  return typeof s === 'string' && s.length > 64 ? `${s.slice(0, 64)}...` : s;
}

const isZero = (s: Seg): boolean => 'num' in s && s.num === '0';

function dropTrailingZeros(segs: Seg[]): Seg[] {
  let n = segs.length;
  while (n > 0 && isZero(segs[n - 1] as Seg)) n--;
  return segs.slice(0, n);
}

function canonical(v: GemVersion): Seg[] {
  const k = v.segments.findIndex((s) => 'str' in s);
  if (k < 0) return dropTrailingZeros(v.segments);
  return [...dropTrailingZeros(v.segments.slice(0, k)), ...dropTrailingZeros(v.segments.slice(k))];
}

const ZERO: Seg = { num: '0' };

function cmpSeg(a: Seg, b: Seg): number {
  if ('num' in a && 'num' in b) {
    if (a.num.length !== b.num.length) return a.num.length < b.num.length ? -1 : 1;
    return a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
  }
  if ('str' in a && 'str' in b) return a.str < b.str ? -1 : a.str > b.str ? 1 : 0;
  return 'str' in a ? -1 : 1;
}

/** Gem::Version#<=> on parsed versions. */
export function compareGemVersions(a: GemVersion, b: GemVersion): number {
  if (a.text === b.text) return 0;
  const l = canonical(a);
  const r = canonical(b);
  const n = Math.max(l.length, r.length);
  for (let i = 0; i < n; i++) {
    const c = cmpSeg(l[i] ?? ZERO, r[i] ?? ZERO);
    if (c !== 0) return c;
  }
  return 0;
}

/** The segments before the first string one (Gem::Version#release / #bump drop the rest). */
function numericHead(v: GemVersion): Seg[] {
  const k = v.segments.findIndex((s) => 'str' in s);
  return k < 0 ? v.segments : v.segments.slice(0, k);
}

function fromSegments(segs: Seg[]): GemVersion {
  return build(segs.map((s) => ('num' in s ? s.num : s.str)).join('.'));
}

/** Gem::Version#release: a pre-release without its string segments and what follows them. */
function release(v: GemVersion): GemVersion {
  return /[a-zA-Z]/.test(v.text) ? fromSegments(numericHead(v)) : v;
}

/** Adds one to a digit string. */
function succ(d: string): string {
  const digits = d.split('');
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === '9') digits[i--] = '0';
  if (i < 0) return `1${digits.join('')}`;
  digits[i] = String(Number(digits[i]) + 1);
  return digits.join('');
}

/** Gem::Version#bump: "1.2.3" -> "1.3", "1.2.a" -> "2", "1" -> "2". */
function bump(v: GemVersion): GemVersion {
  const segs = [...numericHead(v)] as { num: string }[];
  if (segs.length > 1) segs.pop();
  const last = segs[segs.length - 1] as { num: string };
  segs[segs.length - 1] = { num: succ(last.num) };
  return fromSegments(segs);
}

type Op = '=' | '!=' | '>' | '<' | '>=' | '<=' | '~>';
const TWO_CHAR_OPS = new Set(['!=', '>=', '<=', '~>']);

interface Requirement {
  op: Op;
  v: GemVersion;
}

function parseRequirement(raw: string): Requirement {
  let i = 0;
  let j = raw.length;
  while (i < j && isWs(raw.charCodeAt(i))) i++;
  while (j > i && isWs(raw.charCodeAt(j - 1))) j--;
  let op: Op = '=';
  const two = raw.slice(i, i + 2);
  if (TWO_CHAR_OPS.has(two)) {
    op = two as Op;
    i += 2;
  } else if (raw[i] === '=' || raw[i] === '>' || raw[i] === '<') {
    op = raw[i] as Op;
    i += 1;
  }
  while (i < j && isWs(raw.charCodeAt(i))) i++;
  if (i >= j || !matchesVersionPattern(raw, i, j)) {
    throw new VersionError(`invalid RubyGems requirement: ${JSON.stringify(clip(raw))}`);
  }
  return { op, v: build(raw.slice(i, j)) };
}

function holds(r: Requirement, v: GemVersion): boolean {
  const c = compareGemVersions(v, r.v);
  switch (r.op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '>':
      return c > 0;
    case '<':
      return c < 0;
    case '>=':
      return c >= 0;
    case '<=':
      return c <= 0;
    case '~>':
      return c >= 0 && compareGemVersions(release(v), bump(r.v)) < 0;
  }
}

/** Parses "op version, op version, ..." (all must hold); throws VersionError. */
export function parseGemRequirements(range: string): Requirement[] {
  if (typeof range !== 'string' || range.length > MAX_RANGE) {
    throw new VersionError('RubyGems requirement too long');
  }
  if (range === '') throw new VersionError('empty RubyGems requirement');
  return range.split(',').map(parseRequirement);
}

/** Whether `version` meets every comma-separated requirement in `range` (Gem::Requirement#satisfied_by?). */
export function gemSatisfies(version: string, range: string): boolean {
  const reqs = parseGemRequirements(range);
  const v = parseOrThrow(version);
  return reqs.every((r) => holds(r, v));
}

/**
 * ruby-advisory-db's rule (bundler-audit's): a version is affected unless it meets one of the
 * `patched_versions` or one of the `unaffected_versions` entries.
 */
export function rubysecAffected(
  version: string,
  patched: readonly string[],
  unaffected: readonly string[] = [],
): boolean {
  return ![...patched, ...unaffected].some((r) => gemSatisfies(version, r));
}

export const gemScheme: VersionScheme = {
  name: 'gem',
  compare(a: string, b: string): number {
    return compareGemVersions(parseOrThrow(a), parseOrThrow(b));
  },
  valid(v: string): boolean {
    return parseGemVersion(v) !== undefined;
  },
  satisfies: gemSatisfies,
};
