// Debian/Ubuntu package versions, as dpkg orders them: [epoch:]upstream_version[-debian_revision].
//
// Grammar (Debian Policy 5.6.12 and dpkg's own parser):
// - epoch: decimal digits before the FIRST ':'; absent means 0; dpkg refuses values above INT_MAX.
// - debian_revision: what follows the LAST '-'; absent is the same as "0" for ordering ("1.0" = "1.0-0").
// - upstream_version: non-empty; may contain alphanumerics and . + ~, plus '-' (only when a revision
//   follows, by construction) and ':' (only when an epoch precedes, by construction).
//   Policy says it "should" start with a digit: dpkg only warns otherwise, so we accept it too.
// - debian_revision: non-empty when the '-' is present; alphanumerics and . + ~.
// Other characters are refused (Policy: "may contain only"; dpkg warns about them but compares).
// Leading/trailing whitespace (which dpkg would trim) is refused here: callers pass field values.
//
// Ordering (dpkg's verrevcmp): each part is a sequence of non-digit runs and digit runs. Non-digit
// runs compare character by character with '~' below everything (even the end of the string), then
// the end, then letters (ASCII order), then every other character (ASCII order, above letters).
// Digit runs compare numerically, so any length works without overflow.

import { VersionError, type VersionScheme } from './types.js';

/** Longer strings are refused: no real version comes near, and it bounds the work per call. */
export const MAX_DEB_VERSION_LENGTH = 256;
const MAX_EPOCH = 2147483647;

export interface DebVersion {
  epoch: number;
  upstream: string;
  /** "" when the version has no '-' (which orders like "0"). */
  revision: string;
}

// Character codes.
const ZERO = 48;
const NINE = 57;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const COLON = 58;
const TILDE = 126;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isAlnum(c: number): boolean {
  return isDigit(c) || isAlpha(c);
}

/** Why `v` is not a dpkg version, or undefined when it is one. */
function problem(v: string): string | undefined {
  if (typeof v !== 'string') return 'not a string';
  if (v.length === 0) return 'empty version';
  if (v.length > MAX_DEB_VERSION_LENGTH) return `longer than ${MAX_DEB_VERSION_LENGTH} characters`;
  const colon = v.indexOf(':');
  let start = 0;
  if (colon >= 0) {
    if (colon === 0) return 'empty epoch';
    for (let i = 0; i < colon; i++) if (!isDigit(v.charCodeAt(i))) return 'epoch is not a number';
    if (Number(v.slice(0, colon)) > MAX_EPOCH) return 'epoch is too big';
    start = colon + 1;
    if (start === v.length) return 'nothing after the epoch';
  }
  const hyphen = v.lastIndexOf('-');
  const upEnd = hyphen >= start ? hyphen : v.length;
  if (upEnd === start) return 'empty upstream version';
  for (let i = start; i < upEnd; i++) {
    const c = v.charCodeAt(i);
    if (!(isAlnum(c) || c === DOT || c === PLUS || c === TILDE || c === MINUS || c === COLON)) {
      return 'invalid character in upstream version';
    }
  }
  if (hyphen >= start) {
    if (hyphen === v.length - 1) return 'empty revision';
    for (let i = hyphen + 1; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (!(isAlnum(c) || c === DOT || c === PLUS || c === TILDE)) return 'invalid character in revision';
    }
  }
  return undefined;
}

/** Splits a version into epoch, upstream version and revision. Throws VersionError. */
export function parseDebVersion(v: string): DebVersion {
  const why = problem(v);
  if (why !== undefined) throw new VersionError(`invalid Debian version ${preview(v)}: ${why}`);
  const colon = v.indexOf(':');
  const epoch = colon >= 0 ? Number(v.slice(0, colon)) : 0;
  const rest = colon >= 0 ? v.slice(colon + 1) : v;
  const hyphen = rest.lastIndexOf('-');
  return hyphen >= 0
    ? { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) }
    : { epoch, upstream: rest, revision: '' };
}

function preview(v: unknown): string {
  if (typeof v !== 'string') return String(v);
  return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
}

/** dpkg's weight of one character in a non-digit run; the end of the string weighs 0, like a digit. */
function weight(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === TILDE) return -1;
  return c + 256;
}

/** dpkg's verrevcmp on one part (upstream version or revision). */
export function compareDebPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit run, compared position by position.
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const wa = weight(a, i);
      const wb = weight(b, j);
      if (wa !== wb) return wa < wb ? -1 : 1;
      i++;
      j++;
    }
    // Digit run, compared as a number: skip leading zeros, then longer wins, then the first difference.
    while (i < a.length && a.charCodeAt(i) === ZERO) i++;
    while (j < b.length && b.charCodeAt(j) === ZERO) j++;
    let firstDiff = 0;
    while (i < a.length && j < b.length && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}

/** Orders two parsed versions: epoch, then upstream version, then revision. */
export function compareDebVersions(a: DebVersion, b: DebVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return compareDebPart(a.upstream, b.upstream) || compareDebPart(a.revision, b.revision);
}

export const debScheme: VersionScheme = {
  name: 'deb',
  compare(a: string, b: string): number {
    return compareDebVersions(parseDebVersion(a), parseDebVersion(b));
  },
  valid(v: string): boolean {
    return problem(v) === undefined;
  },
};
