// Maven versions, ordered as Maven 3's ComparableVersion orders them (checked against maven-artifact
// 3.8.7), and Maven version ranges ("[1.0,2.0)", "(,1.0],[1.2,)", "[1.2]").
//
// Parsing, on the lowercased text: "." and "-" end an item (an empty item is 0); "-" also opens a
// nested list, and so does every switch between digits and non-digits ("1a1" is 1-a-1; a letter run
// that follows "." and precedes a digit opens one too, so "1.0.RC1" is 1-rc-1). Digit runs are
// numbers (any size); other runs are qualifiers: a, b and m directly followed by a digit mean alpha,
// beta and milestone; ga, final and release mean "" (the release itself); cr means rc. Each list
// then drops its trailing "null" items (0, "", empty lists), looking through nested lists.
// Order: numbers > lists > qualifiers; qualifiers alpha < beta < milestone < rc < snapshot < "" <
// sp < any other (others compared as text); lists item by item, a missing item comparing as "null".
// So 1-alpha < 1-snapshot < 1 = 1.0 = 1-ga < 1-sp < 1-abc < 1-1 < 1.1.
// This is Maven's order exactly, including where Maven's order is not transitive: a qualifier that
// ends at "." joins its list directly but one at the very end opens a nested list, so for unusual
// strings Maven itself cycles (1..0 < 1.jre.0 < 1.alpha < 1..0). On the shapes real versions take
// (numbers, then one qualifier after "-", "." or directly, with an optional number) it is a total
// order. Matching a version against a range needs only the pairwise answers Maven gives.
//
// Ranges: one or more comma-separated "[a,b]" "(a,b)" "[a,)" "(,b]" "[v]" sets (a union), each set
// parsed as maven-artifact's VersionRange does (bounds trimmed; a lower bound above the upper one,
// equal bounds not both inclusive, and sets that start below their predecessor's end are refused;
// "[,]" and "(,)" hold every version). A bare version "1.0",
// which Maven reads as a soft "recommended" version that every version satisfies, means exactly that
// version here: an advisory that names one version means that version.
// Refused (VersionError): empty versions (so also the set "[]", which Maven reads as the empty
// version), versions over 256 characters and versions with characters
// outside printable ASCII (space and control characters included), which no published Maven
// version uses and whose Unicode digit and case rules this file does not reproduce.

import { VersionError, type VersionScheme } from './types.js';

const MAX_VERSION = 256;
const MAX_RANGE = 4096;
const MAX_SETS = 64;

type Item = { t: 'int'; v: string } | { t: 'str'; v: string } | { t: 'list'; items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const SHORT: Record<string, string> = { a: 'alpha', b: 'beta', m: 'milestone' };

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function normNum(d: string): string {
  let i = 0;
  while (i < d.length - 1 && d.charCodeAt(i) === 0x30) i++;
  return d.slice(i);
}

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = followedByDigit && value.length === 1 ? (SHORT[value] ?? value) : value;
  v = Object.hasOwn(ALIASES, v) ? (ALIASES[v] as string) : v;
  return { t: 'str', v };
}

function parseItem(isDigit: boolean, buf: string): Item {
  return isDigit ? { t: 'int', v: normNum(buf) } : stringItem(buf, false);
}

function isNull(item: Item): boolean {
  if (item.t === 'int') return item.v === '0';
  if (item.t === 'str') return item.v === '';
  return item.items.length === 0;
}

/** Drops trailing null items, looking through (non-null) nested lists. */
function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const item = list[i] as Item;
    if (isNull(item)) list.splice(i, 1);
    else if (item.t !== 'list') break;
  }
}

function valid(version: string): boolean {
  if (typeof version !== 'string' || version.length === 0 || version.length > MAX_VERSION) return false;
  for (let i = 0; i < version.length; i++) {
    const c = version.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** Parses a Maven version into ComparableVersion's item tree. */
export function parseMavenVersion(version: string): Item {
  if (!valid(version)) throw new VersionError(`invalid Maven version: ${JSON.stringify(clip(version))}`);
  const s = version.toLowerCase();
  const top: Item[] = [];
  let list = top;
  const stack: Item[][] = [top];
  const openList = (): void => {
    const next: Item[] = [];
    list.push({ t: 'list', items: next });
    list = next;
    stack.push(next);
  };
  let isDigit = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '.' || ch === '-') {
      list.push(i === start ? { t: 'int', v: '0' } : parseItem(isDigit, s.slice(start, i)));
      start = i + 1;
      if (ch === '-') openList();
    } else if (isDigitCode(s.charCodeAt(i))) {
      if (!isDigit && i > start) {
        // ".X1" reads as "-X1": a qualifier followed by digits goes into a list of its own.
        if (list.length > 0) openList();
        list.push(stringItem(s.slice(start, i), true));
        start = i;
        openList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, s.slice(start, i)));
        start = i;
        openList();
      }
      isDigit = false;
    }
  }
  if (s.length > start) {
    if (!isDigit && list.length > 0) openList();
    list.push(parseItem(isDigit, s.slice(start)));
  }
  for (let i = stack.length - 1; i >= 0; i--) normalize(stack[i] as Item[]);
  return { t: 'list', items: top };
}

function clip(s: string): string {
  return typeof s === 'string' && s.length > 64 ? `${s.slice(0, 64)}...` : s;
}

function qualifierKey(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i < 0 ? `${QUALIFIERS.length}-${q}` : String(i);
}

const RELEASE_KEY = qualifierKey('');

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Item.compareTo, `b` undefined standing for Java's null (a missing item). */
function cmpItem(a: Item, b: Item | undefined): number {
  if (a.t === 'int') {
    if (!b) return a.v === '0' ? 0 : 1;
    if (b.t !== 'int') return 1;
    if (a.v.length !== b.v.length) return a.v.length < b.v.length ? -1 : 1;
    return cmpStr(a.v, b.v);
  }
  if (a.t === 'str') {
    if (!b) return cmpStr(qualifierKey(a.v), RELEASE_KEY);
    if (b.t !== 'str') return -1;
    return cmpStr(qualifierKey(a.v), qualifierKey(b.v));
  }
  if (!b) {
    for (const item of a.items) {
      const c = cmpItem(item, undefined);
      if (c !== 0) return c;
    }
    return 0;
  }
  if (b.t === 'int') return -1;
  if (b.t === 'str') return 1;
  const n = Math.max(a.items.length, b.items.length);
  for (let i = 0; i < n; i++) {
    const l = a.items[i];
    const r = b.items[i];
    const c = l ? cmpItem(l, r) : r ? -cmpItem(r, undefined) : 0;
    if (c !== 0) return c;
  }
  return 0;
}

export function compareMavenVersions(a: string, b: string): number {
  return cmpItem(parseMavenVersion(a), parseMavenVersion(b));
}

// ---- ranges ----

interface Restriction {
  lower?: Item;
  lowerInclusive: boolean;
  upper?: Item;
  upperInclusive: boolean;
}

/** Java's String.trim(): drops characters up to U+0020 at both ends. */
function javaTrim(s: string): string {
  let i = 0;
  let j = s.length;
  while (i < j && s.charCodeAt(i) <= 0x20) i++;
  while (j > i && s.charCodeAt(j - 1) <= 0x20) j--;
  return s.slice(i, j);
}

function rangeError(range: string, why: string): VersionError {
  return new VersionError(`invalid Maven version range (${why}): ${JSON.stringify(clip(range))}`);
}

function parseRestriction(spec: string, range: string): Restriction {
  const lowerInclusive = spec.startsWith('[');
  const upperInclusive = spec.endsWith(']');
  const body = javaTrim(spec.slice(1, -1));
  const comma = body.indexOf(',');
  if (comma < 0) {
    if (!lowerInclusive || !upperInclusive) throw rangeError(range, 'a single version must be in []');
    const v = parseMavenVersion(body);
    return { lower: v, lowerInclusive, upper: v, upperInclusive };
  }
  const lo = javaTrim(body.slice(0, comma));
  const hi = javaTrim(body.slice(comma + 1));
  const lower = lo === '' ? undefined : parseMavenVersion(lo);
  const upper = hi === '' ? undefined : parseMavenVersion(hi);
  if (lower && upper) {
    const c = cmpItem(upper, lower);
    if (c < 0 || (c === 0 && !(lowerInclusive && upperInclusive)))
      throw rangeError(range, 'bounds out of order');
  }
  return { lower, lowerInclusive, upper, upperInclusive };
}

/** A parsed range: a union of restrictions, or one exact version (a bare version). */
export type MavenRange = Restriction[];

export function parseMavenRange(range: string): MavenRange {
  if (typeof range !== 'string' || range.length > MAX_RANGE)
    throw new VersionError('Maven version range too long');
  let rest = javaTrim(range);
  const out: Restriction[] = [];
  let prevUpper: Item | undefined;
  while (rest.startsWith('[') || rest.startsWith('(')) {
    if (out.length >= MAX_SETS) throw rangeError(range, 'too many sets');
    const close1 = rest.indexOf(')');
    const close2 = rest.indexOf(']');
    let end = close2;
    if ((close2 < 0 || close1 < close2) && close1 >= 0) end = close1;
    if (end < 0) throw rangeError(range, 'unbounded range');
    const r = parseRestriction(rest.slice(0, end + 1), range);
    if (out.length > 0 && prevUpper && (!r.lower || cmpItem(r.lower, prevUpper) < 0)) {
      throw rangeError(range, 'sets overlap');
    }
    out.push(r);
    prevUpper = r.upper;
    rest = javaTrim(rest.slice(end + 1));
    if (rest.startsWith(',')) rest = javaTrim(rest.slice(1));
  }
  if (rest.length > 0) {
    if (out.length > 0) throw rangeError(range, 'text after the sets');
    const v = parseMavenVersion(rest);
    out.push({ lower: v, lowerInclusive: true, upper: v, upperInclusive: true });
  }
  if (out.length === 0) throw rangeError(range, 'empty');
  return out;
}

function contains(r: Restriction, v: Item): boolean {
  if (r.lower) {
    const c = cmpItem(r.lower, v);
    if (c > 0 || (c === 0 && !r.lowerInclusive)) return false;
  }
  if (r.upper) {
    const c = cmpItem(r.upper, v);
    if (c < 0 || (c === 0 && !r.upperInclusive)) return false;
  }
  return true;
}

export function mavenSatisfies(version: string, range: string): boolean {
  const sets = parseMavenRange(range);
  const v = parseMavenVersion(version);
  return sets.some((r) => contains(r, v));
}

export const mavenScheme: VersionScheme = {
  name: 'maven',
  compare: compareMavenVersions,
  valid,
  satisfies: mavenSatisfies,
};
