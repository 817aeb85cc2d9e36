// RPM package versions, as rpm 4.18 orders them: [epoch:]version[-release].
//
// Grammar (rpm's own EVR parser, with the characters rpmbuild accepts in Version/Release):
// - epoch: the decimal digits before a ':' at the start; absent means 0.
// - release: what follows the last '-'; version and release may not contain '-' or ':'.
// - version and release: non-empty, made of ASCII letters, digits and . _ + ~ ^.
//
// Ordering (rpmvercmp, applied to epoch, then version, then release):
// - characters other than letters, digits, '~' and '^' only separate segments; their kind and
//   number do not matter ("1.0" = "1_0" = "1..0").
// - a segment is a maximal run of digits (compared numerically, leading zeros ignored) or of
//   letters (compared in ASCII order, so "B" < "a"); a digit segment beats a letter segment.
// - '~' sorts before anything, the end of the string included ("1.0~rc1" < "1.0").
// - '^' sorts after the end of the string but before any segment ("1.0" < "1.0^git1" < "1.0.1").
// - when everything matched, the string with segments left over wins.
// - release: when only one side has one, that side is newer (rpm 4.18's rpmverCmp and
//   labelCompare: "1.0-1" > "1.0"); when neither has one, they are equal on that part.

import { VersionError, type VersionScheme } from './types.js';

/** Longer strings are refused: no real version comes near, and it bounds the work per call. */
export const MAX_RPM_VERSION_LENGTH = 256;

/** An epoch-version-release triple, as rpm headers and advisory feeds give it. */
export interface RpmEVR {
  /** null/undefined means no epoch, which compares as 0. */
  epoch?: string | number | null;
  version: string;
  /** null/undefined means no release, which is older than any release. */
  release?: string | null;
}

/** A parsed EVR string: epoch and release null when absent. */
export interface ParsedRpmEVR {
  epoch: string | null;
  version: string;
  release: string | null;
}

const TILDE = 126;
const CARET = 94;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The characters rpmbuild allows in Version and Release (macros aside). */
function isVerChar(c: number): boolean {
  return isDigit(c) || isAlpha(c) || c === 46 || c === 95 || c === 43 || c === TILDE || c === CARET;
}

function partProblem(s: string, what: string): string | undefined {
  if (s.length === 0) return `empty ${what}`;
  for (let i = 0; i < s.length; i++) {
    if (!isVerChar(s.charCodeAt(i))) return `invalid character in ${what}`;
  }
  return undefined;
}

function epochProblem(e: string): string | undefined {
  if (e.length === 0) return 'empty epoch';
  for (let i = 0; i < e.length; i++) if (!isDigit(e.charCodeAt(i))) return 'epoch is not a number';
  return undefined;
}

function preview(v: unknown): string {
  if (typeof v !== 'string') return String(v);
  return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
}

function split(v: string): ParsedRpmEVR | string {
  if (typeof v !== 'string') return 'not a string';
  if (v.length === 0) return 'empty version';
  if (v.length > MAX_RPM_VERSION_LENGTH) return `longer than ${MAX_RPM_VERSION_LENGTH} characters`;
  const colon = v.indexOf(':');
  let epoch: string | null = null;
  let rest = v;
  if (colon >= 0) {
    epoch = v.slice(0, colon);
    const why = epochProblem(epoch);
    if (why) return why;
    rest = v.slice(colon + 1);
  }
  const hyphen = rest.indexOf('-');
  let version = rest;
  let release: string | null = null;
  if (hyphen >= 0) {
    if (rest.indexOf('-', hyphen + 1) >= 0) return "more than one '-'";
    version = rest.slice(0, hyphen);
    release = rest.slice(hyphen + 1);
  }
  const why =
    partProblem(version, 'version') ?? (release === null ? undefined : partProblem(release, 'release'));
  return why ?? { epoch, version, release };
}

/** Splits "[epoch:]version[-release]". Throws VersionError. */
export function parseRpmEVR(v: string): ParsedRpmEVR {
  const r = split(v);
  if (typeof r === 'string') throw new VersionError(`invalid RPM version ${preview(v)}: ${r}`);
  return r;
}

/** rpm's rpmvercmp on one field (epoch, version or release): -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && isSeparator(a.charCodeAt(i))) i++;
    while (j < b.length && isSeparator(b.charCodeAt(j))) j++;
    const ca = i < a.length ? a.charCodeAt(i) : -1;
    const cb = j < b.length ? b.charCodeAt(j) : -1;
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (ca === -1) return -1;
      if (cb === -1) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === -1 || cb === -1) break;
    const numeric = isDigit(ca);
    const inSegment = numeric ? isDigit : isAlpha;
    let ei = i;
    while (ei < a.length && inSegment(a.charCodeAt(ei))) ei++;
    let ej = j;
    while (ej < b.length && inSegment(b.charCodeAt(ej))) ej++;
    // Segments of different kinds: digits are newer than letters.
    if (ej === j) return numeric ? 1 : -1;
    let sa = i;
    let sb = j;
    if (numeric) {
      while (sa < ei && a.charCodeAt(sa) === 48) sa++;
      while (sb < ej && b.charCodeAt(sb) === 48) sb++;
      if (ei - sa !== ej - sb) return ei - sa > ej - sb ? 1 : -1;
    }
    const segA = a.slice(sa, ei);
    const segB = b.slice(sb, ej);
    if (segA !== segB) return segA < segB ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

function isSeparator(c: number): boolean {
  return !isDigit(c) && !isAlpha(c) && c !== TILDE && c !== CARET;
}

function compareParsed(
  ea: string | null,
  va: string,
  ra: string | null,
  eb: string | null,
  vb: string,
  rb: string | null,
): number {
  const e = rpmvercmp(ea ?? '0', eb ?? '0');
  if (e !== 0) return e;
  const v = rpmvercmp(va, vb);
  if (v !== 0) return v;
  if (ra === null || rb === null) return ra === rb ? 0 : ra === null ? -1 : 1;
  return rpmvercmp(ra, rb);
}

function checkEVR(x: RpmEVR): { e: string | null; v: string; r: string | null } {
  if (x === null || typeof x !== 'object') throw new VersionError('invalid RPM EVR: not an object');
  let e: string | null = null;
  if (typeof x.epoch === 'number') {
    if (!Number.isSafeInteger(x.epoch) || x.epoch < 0) throw new VersionError(`invalid RPM epoch ${x.epoch}`);
    e = String(x.epoch);
  } else if (typeof x.epoch === 'string') {
    const why = x.epoch.length > 20 ? 'too long' : epochProblem(x.epoch);
    if (why) throw new VersionError(`invalid RPM epoch ${preview(x.epoch)}: ${why}`);
    e = x.epoch;
  } else if (x.epoch !== null && x.epoch !== undefined) {
    throw new VersionError('invalid RPM epoch');
  }
  const check = (s: unknown, what: string): string => {
    if (typeof s !== 'string') throw new VersionError(`invalid RPM ${what}: not a string`);
    const why = s.length > MAX_RPM_VERSION_LENGTH ? 'too long' : partProblem(s, what);
    if (why) throw new VersionError(`invalid RPM ${what} ${preview(s)}: ${why}`);
    return s;
  };
  const v = check(x.version, 'version');
  const r = x.release === null || x.release === undefined ? null : check(x.release, 'release');
  return { e, v, r };
}

/**
 * Orders two epoch-version-release triples like rpm's labelCompare (Python) / rpmverCmp (C):
 * missing epoch = 0, missing release older than any release.
 */
export function compareEVR(a: RpmEVR, b: RpmEVR): number {
  const x = checkEVR(a);
  const y = checkEVR(b);
  return compareParsed(x.e, x.v, x.r, y.e, y.v, y.r);
}

export const rpmScheme: VersionScheme = {
  name: 'rpm',
  compare(a: string, b: string): number {
    const x = parseRpmEVR(a);
    const y = parseRpmEVR(b);
    return compareParsed(x.epoch, x.version, x.release, y.epoch, y.version, y.release);
  },
  valid(v: string): boolean {
    return typeof split(v) !== 'string';
  },
};
