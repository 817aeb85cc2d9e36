// NuGet versions (NuGet.Versioning's NuGetVersion: SemVer 2.0 with an optional 4th "revision"
// number) and NuGet version ranges, written from NuGet.Versioning's documented rules (no .NET runtime
// is available here to run it as an oracle).
//
// A version is 1 to 4 dot-separated numbers (missing ones are 0, leading zeros allowed: "01.2" is
// 1.2.0.0), then optionally "-label(.label)*" and "+metadata(.part)*". Labels and metadata parts are
// non-empty [A-Za-z0-9-]; a numeric label may not have leading zeros ("1.0-01" is invalid), metadata
// parts may. Surrounding whitespace is ignored.
// Order: major, minor, patch, revision numerically; a version without labels above one with labels;
// labels one by one: two numeric labels (what .NET's int.TryParse accepts: an optional "-" sign,
// digits, within 32 bits) by value, a numeric label below a non-numeric one, non-numeric labels
// case-insensitively by character code; fewer labels first when one list prefixes the other.
// Build metadata never counts: 1.0.0+a == 1.0.0+b == 1.0.0.
//
// Ranges (VersionRange.Parse): "1.0" means >= 1.0; "[1.0]" exactly 1.0; "[1.0,2.0)", "(1.0,)",
// "(,2.0]" ... with at most one comma; "(,)" and "[,]" are refused but "( , )" is every version, as
// in NuGet; a lower bound above the upper one, or equal bounds with one side open, are refused.
// A range contains pre-releases like any other version (advisory matching, not package selection).
// Refused (VersionError) although some NuGet releases accept them: floating ranges ("1.*", "*"), empty
// version parts ("1..2", "1."), numbers over 2147483647 (NuGet's parsers disagree across releases
// there), non-ASCII text, and versions over 256 characters.

import { VersionError, type VersionScheme } from './types.js';

const MAX_VERSION = 256;
const MAX_INT = '2147483647';

export interface NuGetVersion {
  /** major, minor, patch, revision: digit strings without leading zeros. */
  numbers: [string, string, string, string];
  labels: string[];
  metadata?: string;
}

function isAsciiWs(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function trim(s: string): string {
  let i = 0;
  let j = s.length;
  while (i < j && isAsciiWs(s.charCodeAt(i))) i++;
  while (j > i && isAsciiWs(s.charCodeAt(j - 1))) j--;
  return s.slice(i, j);
}

function normNum(d: string): string {
  let i = 0;
  while (i < d.length - 1 && d.charCodeAt(i) === 0x30) i++;
  return d.slice(i);
}

function cmpNum(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const DIGITS = /^[0-9]+$/;
const PART = /^[A-Za-z0-9-]+$/;

function validPart(s: string, allowLeadingZeros: boolean): boolean {
  if (!PART.test(s)) return false;
  return allowLeadingZeros || !(s.length > 1 && s[0] === '0' && DIGITS.test(s));
}

/** Parses a NuGet version; undefined when it is not one. */
export function parseNuGetVersion(version: string): NuGetVersion | undefined {
  if (typeof version !== 'string' || version.length > MAX_VERSION) return undefined;
  const s = trim(version);
  // The version part runs to the first "-" or "+", the labels from that "-" to the first "+".
  const dash = s.search(/[-+]/);
  const core = dash < 0 ? s : s.slice(0, dash);
  let labelText: string | undefined;
  let metadata: string | undefined;
  if (dash >= 0) {
    const rest = s.slice(dash + 1);
    if (s[dash] === '+') metadata = rest;
    else {
      const plus = rest.indexOf('+');
      labelText = plus < 0 ? rest : rest.slice(0, plus);
      if (plus >= 0) metadata = rest.slice(plus + 1);
    }
  }
  const nums = core.split('.');
  if (nums.length > 4) return undefined;
  const numbers: [string, string, string, string] = ['0', '0', '0', '0'];
  for (let i = 0; i < nums.length; i++) {
    const n = nums[i] as string;
    if (!DIGITS.test(n)) return undefined;
    const v = normNum(n);
    if (cmpNum(v, MAX_INT) > 0) return undefined;
    numbers[i] = v;
  }
  const labels = labelText === undefined ? [] : labelText.split('.');
  if (!labels.every((l) => validPart(l, false))) return undefined;
  if (metadata !== undefined && !metadata.split('.').every((p) => validPart(p, true))) return undefined;
  return { numbers, labels, metadata };
}

/** NuGet's normalized form: "1.0.0", "1.0.0.4", "1.0.0-beta.1" (no metadata, revision only if set). */
export function normalizeNuGetVersion(version: string): string {
  const v = parseOrThrow(version);
  const [major, minor, patch, revision] = v.numbers;
  let out = `${major}.${minor}.${patch}`;
  if (revision !== '0') out += `.${revision}`;
  if (v.labels.length) out += `-${v.labels.join('.')}`;
  return out;
}

function parseOrThrow(version: string): NuGetVersion {
  const v = parseNuGetVersion(version);
  if (!v) throw new VersionError(`invalid NuGet version: ${JSON.stringify(clip(version))}`);
  return v;
}

function clip(s: string): string {
  return typeof s === 'string' && s.length > 64 ? `${s.slice(0, 64)}...` : s;
}

/** The value .NET's int.TryParse gives a label, as a signed digit string; undefined if none. */
function labelNumber(label: string): { neg: boolean; digits: string } | undefined {
  const m = /^(-?)([0-9]+)$/.exec(label);
  if (!m) return undefined;
  const neg = m[1] === '-';
  const digits = normNum(m[2] as string);
  const limit = neg ? '2147483648' : MAX_INT;
  if (cmpNum(digits, limit) > 0) return undefined;
  return { neg: neg && digits !== '0', digits };
}

function cmpSigned(a: { neg: boolean; digits: string }, b: { neg: boolean; digits: string }): number {
  if (a.neg !== b.neg) return a.neg ? -1 : 1;
  const c = cmpNum(a.digits, b.digits);
  return a.neg ? -c : c;
}

function cmpLabel(a: string, b: string): number {
  const x = labelNumber(a);
  const y = labelNumber(b);
  if (x && y) return cmpSigned(x, y);
  if (x || y) return x ? -1 : 1;
  const ua = a.toUpperCase();
  const ub = b.toUpperCase();
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** VersionComparer.Default on parsed versions (metadata ignored). */
export function compareNuGetVersions(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const c = cmpNum(a.numbers[i] as string, b.numbers[i] as string);
    if (c !== 0) return c;
  }
  if (a.labels.length === 0 || b.labels.length === 0) {
    return a.labels.length === b.labels.length ? 0 : a.labels.length === 0 ? 1 : -1;
  }
  const n = Math.min(a.labels.length, b.labels.length);
  for (let i = 0; i < n; i++) {
    const c = cmpLabel(a.labels[i] as string, b.labels[i] as string);
    if (c !== 0) return c;
  }
  return a.labels.length === b.labels.length ? 0 : a.labels.length < b.labels.length ? -1 : 1;
}

// ---- ranges ----

export interface NuGetRange {
  min?: NuGetVersion;
  minInclusive: boolean;
  max?: NuGetVersion;
  maxInclusive: boolean;
}

function rangeError(range: string, why: string): VersionError {
  return new VersionError(`invalid NuGet version range (${why}): ${JSON.stringify(clip(range))}`);
}

function bound(text: string, range: string): NuGetVersion | undefined {
  if (trim(text) === '') return undefined;
  const v = parseNuGetVersion(text);
  if (!v) throw rangeError(range, 'bad version');
  return v;
}

export function parseNuGetRange(range: string): NuGetRange {
  if (typeof range !== 'string' || range.length > 2 * MAX_VERSION + 8)
    throw rangeError(String(range), 'too long');
  const s = trim(range);
  if (s === '') throw rangeError(range, 'empty');
  if (s.includes('*')) throw rangeError(range, 'floating ranges are not supported');
  const open = s[0];
  if (open !== '[' && open !== '(') {
    const min = bound(s, range);
    return { min, minInclusive: true, maxInclusive: false };
  }
  const close = s[s.length - 1];
  if (s.length < 2 || (close !== ']' && close !== ')')) throw rangeError(range, 'missing closing bracket');
  const minInclusive = open === '[';
  const maxInclusive = close === ']';
  const parts = s.slice(1, -1).split(',');
  if (parts.length > 2) throw rangeError(range, 'more than two bounds');
  if (parts.every((p) => p === '')) throw rangeError(range, 'no bounds');
  if (parts.length === 1 && !(minInclusive && maxInclusive))
    throw rangeError(range, 'a single version must be in []');
  const min = bound(parts[0] as string, range);
  const max = bound(parts.length === 2 ? (parts[1] as string) : (parts[0] as string), range);
  if (min && max) {
    const c = compareNuGetVersions(min, max);
    if (c > 0) throw rangeError(range, 'lower bound above upper bound');
    if (c === 0 && minInclusive !== maxInclusive) throw rangeError(range, 'equal bounds, one open');
  }
  return { min, minInclusive, max, maxInclusive };
}

export function nugetSatisfies(version: string, range: string): boolean {
  const r = parseNuGetRange(range);
  const v = parseOrThrow(version);
  if (r.min) {
    const c = compareNuGetVersions(r.min, v);
    if (c > 0 || (c === 0 && !r.minInclusive)) return false;
  }
  if (r.max) {
    const c = compareNuGetVersions(r.max, v);
    if (c < 0 || (c === 0 && !r.maxInclusive)) return false;
  }
  return true;
}

export const nugetScheme: VersionScheme = {
  name: 'nuget',
  compare(a: string, b: string): number {
    return compareNuGetVersions(parseOrThrow(a), parseOrThrow(b));
  },
  valid(v: string): boolean {
    return parseNuGetVersion(v) !== undefined;
  },
  satisfies: nugetSatisfies,
};
