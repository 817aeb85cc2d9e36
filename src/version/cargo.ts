// Cargo versions and version requirements, as the `semver` crate (1.x, what Cargo and
// RustSec use) parses and evaluates them.
//
// Versions are strict SemVer 2.0.0: three numbers without leading zeros (each fits in a u64), an
// optional pre-release and build metadata, no "v" and no surrounding spaces. `compare` is SemVer
// precedence, so build metadata does not count (the crate's `Ord` would break such ties by the build
// string; requirement matching ignores it, as here).
//
// Requirements ("VersionReq"): comparators separated by commas, all of which must hold, at most 32;
// an operator `=`, `>`, `>=`, `<`, `<=`, `~`, `^` or none (which means `^`), then 1 to 3 numbers
// where the missing or `*`/`x`/`X` ones are wildcards; `*` alone matches every release. A
// pre-release version only matches when some comparator names a pre-release of the same
// major.minor.patch. RustSec lists such requirements in `patched = [...]` and `unaffected = [...]`;
// there is no `||` (a RustSec list is the OR).

import { compareDigits, comparePrerelease, isIdentChar, sign } from './semver-shared.js';
import { VersionError, type VersionScheme } from './types.js';

/** Longer inputs are refused outright; real crate versions are far shorter. */
const MAX_LENGTH = 256;
const MAX_REQ = 4096;
/** The crate refuses requirements with more comparators than this. */
const MAX_COMPARATORS = 32;
const U64_MAX = '18446744073709551615';

export interface CargoVersion {
  /** Decimal strings without leading zeros. */
  major: string;
  minor: string;
  patch: string;
  pre: string[];
}

type Fail = { error: string };

/** A u64 without leading zero at `i`: its digits and end, or why not. */
function readNumber(s: string, i: number, what: string): { n: string; end: number } | Fail {
  let j = i;
  while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
  if (j === i) return { error: `expected a ${what} number` };
  if (s.charCodeAt(i) === 48 && j - i > 1) return { error: `leading zero in ${what}` };
  const n = s.slice(i, j);
  if (n.length > U64_MAX.length || (n.length === U64_MAX.length && n > U64_MAX)) {
    return { error: `${what} number too large` };
  }
  return { n, end: j };
}

/** Dot-separated non-empty [0-9A-Za-z-] identifiers; pre-release numbers may not have a leading zero. */
function readIdents(s: string, i: number, pre: boolean): { ids: string[]; end: number } | Fail {
  const ids: string[] = [];
  let start = i;
  for (;;) {
    let j = start;
    let digits = true;
    while (j < s.length && isIdentChar(s.charCodeAt(j))) {
      if (!(s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57)) digits = false;
      j++;
    }
    if (j === start) return { error: `empty ${pre ? 'pre-release' : 'build'} identifier` };
    if (pre && digits && j - start > 1 && s.charCodeAt(start) === 48) {
      return { error: 'leading zero in pre-release' };
    }
    ids.push(s.slice(start, j));
    if (s.charCodeAt(j) !== 46) return { ids, end: j };
    start = j + 1;
  }
}

const failed = (r: object): r is Fail => 'error' in r;

/** Parses a version; the string says why when the crate would reject it. */
function parseVersion(s: string): CargoVersion | string {
  if (typeof s !== 'string') return 'not a string';
  if (s.length > MAX_LENGTH) return 'too long';
  const major = readNumber(s, 0, 'major');
  if (failed(major)) return major.error;
  if (s.charCodeAt(major.end) !== 46) return 'expected "." after major';
  const minor = readNumber(s, major.end + 1, 'minor');
  if (failed(minor)) return minor.error;
  if (s.charCodeAt(minor.end) !== 46) return 'expected "." after minor';
  const patch = readNumber(s, minor.end + 1, 'patch');
  if (failed(patch)) return patch.error;
  let i = patch.end;
  let pre: string[] = [];
  if (s.charCodeAt(i) === 45) {
    const r = readIdents(s, i + 1, true);
    if (failed(r)) return r.error;
    pre = r.ids;
    i = r.end;
  }
  if (s.charCodeAt(i) === 43) {
    const r = readIdents(s, i + 1, false);
    if (failed(r)) return r.error;
    i = r.end;
  }
  if (i !== s.length) return `unexpected ${JSON.stringify(s[i])}`;
  return { major: major.n, minor: minor.n, patch: patch.n, pre };
}

export function parseCargoVersion(s: string): CargoVersion | undefined {
  const r = parseVersion(s);
  return typeof r === 'string' ? undefined : r;
}

function mustParse(s: string): CargoVersion {
  const r = parseVersion(s);
  if (typeof r === 'string') {
    throw new VersionError(`invalid Cargo version ${JSON.stringify(String(s).slice(0, 80))}: ${r}`);
  }
  return r;
}

function compareParsed(a: CargoVersion, b: CargoVersion): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.pre, b.pre)
  );
}

// --- requirements ---------------------------------------------------------------------------

/** '' is the default (caret) operator; '*' is a bare requirement with wildcards ("1.*"). */
type Op = '=' | '>' | '>=' | '<' | '<=' | '~' | '^' | '' | '*';

interface Comparator {
  op: Op;
  major: string;
  /** Undefined when absent or a wildcard. */
  minor?: string;
  patch?: string;
  /** Only with a patch. */
  pre: string[];
}

function bad(req: string, why: string): VersionError {
  return new VersionError(`invalid Cargo requirement ${JSON.stringify(req.slice(0, 80))}: ${why}`);
}

const isWildcard = (c: string | undefined): boolean => c === '*' || c === 'x' || c === 'X';

function skipSpaces(s: string, i: number): number {
  while (s.charCodeAt(i) === 32) i++;
  return i;
}

/** One comparator at `i`; returns it and the position after its trailing spaces. */
function readComparator(s: string, i: number, req: string): { c: Comparator; end: number } {
  let op: Op = '';
  for (const o of ['>=', '<=', '=', '>', '<', '~', '^'] as const) {
    if (s.startsWith(o, i)) {
      op = o;
      i += o.length;
      break;
    }
  }
  i = skipSpaces(s, i);
  const major = readNumber(s, i, 'major');
  if (failed(major)) throw bad(req, major.error);
  i = major.end;
  const c: Comparator = { op, major: major.n, pre: [] };
  let wildcard = false;
  if (s[i] === '.') {
    i++;
    if (isWildcard(s[i])) {
      wildcard = true;
      if (op === '') c.op = '*';
      i++;
    } else {
      const minor = readNumber(s, i, 'minor');
      if (failed(minor)) throw bad(req, minor.error);
      c.minor = minor.n;
      i = minor.end;
    }
    if (s[i] === '.') {
      i++;
      if (isWildcard(s[i])) {
        if (op === '') c.op = '*';
        i++;
      } else if (wildcard) {
        throw bad(req, 'a number after a wildcard');
      } else {
        const patch = readNumber(s, i, 'patch');
        if (failed(patch)) throw bad(req, patch.error);
        c.patch = patch.n;
        i = patch.end;
      }
    }
  }
  if (c.patch !== undefined && s[i] === '-') {
    const r = readIdents(s, i + 1, true);
    if (failed(r)) throw bad(req, r.error);
    c.pre = r.ids;
    i = r.end;
  }
  if (c.patch !== undefined && s[i] === '+') {
    const r = readIdents(s, i + 1, false);
    if (failed(r)) throw bad(req, r.error);
    i = r.end;
  }
  return { c, end: skipSpaces(s, i) };
}

/** Parses a Cargo requirement; an empty list is `*`. */
export function parseCargoReq(req: string): Comparator[] {
  if (typeof req !== 'string') throw new VersionError('Cargo requirement must be a string');
  if (req.length > MAX_REQ) throw bad(req, 'too long');
  let i = skipSpaces(req, 0);
  if (isWildcard(req[i])) {
    const rest = skipSpaces(req, i + 1);
    if (rest === req.length) return [];
    throw bad(
      req,
      req[rest] === ',' ? 'a wildcard must be the only comparator' : 'unexpected text after wildcard',
    );
  }
  const out: Comparator[] = [];
  for (;;) {
    const { c, end } = readComparator(req, i, req);
    out.push(c);
    if (end === req.length) return out;
    if (req[end] !== ',') throw bad(req, `expected "," but found ${JSON.stringify(req[end])}`);
    if (out.length === MAX_COMPARATORS) throw bad(req, `more than ${MAX_COMPARATORS} comparators`);
    i = skipSpaces(req, end + 1);
  }
}

/**
 * Compares v with the comparator's numbers as far as the comparator spells them out: the sign of
 * the first difference, 0 when they agree on all given numbers (and on the pre-release when the
 * patch is given). `full` tells whether all three numbers were given.
 */
function comparePrefix(v: CargoVersion, c: Comparator): { r: number; full: boolean } {
  const r = compareDigits(v.major, c.major);
  if (r !== 0 || c.minor === undefined) return { r, full: false };
  const r2 = compareDigits(v.minor, c.minor);
  if (r2 !== 0 || c.patch === undefined) return { r: r2, full: false };
  const r3 = compareDigits(v.patch, c.patch);
  if (r3 !== 0) return { r: r3, full: true };
  return { r: comparePrerelease(v.pre, c.pre), full: true };
}

/** Whether v equals the comparator on every number it gives, and on the pre-release (empty unless a patch). */
function exact(v: CargoVersion, c: Comparator): boolean {
  const { r, full } = comparePrefix(v, c);
  return r === 0 && (full || v.pre.length === 0);
}

function matchesOne(v: CargoVersion, c: Comparator): boolean {
  switch (c.op) {
    case '=':
    case '*':
      return exact(v, c);
    case '>':
      // With numbers missing, v must be above the whole family they leave open (>1.2 is >=1.3.0).
      return comparePrefix(v, c).r > 0;
    case '>=':
      return exact(v, c) || matchesOne(v, { ...c, op: '>' });
    case '<':
      return comparePrefix(v, c).r < 0;
    case '<=':
      return exact(v, c) || matchesOne(v, { ...c, op: '<' });
    case '~': {
      // Same major (and minor when given); from the given patch and pre-release up.
      if (compareDigits(v.major, c.major) !== 0) return false;
      if (c.minor !== undefined && compareDigits(v.minor, c.minor) !== 0) return false;
      if (c.patch !== undefined) {
        const r = compareDigits(v.patch, c.patch);
        if (r !== 0) return r > 0;
      }
      return comparePrerelease(v.pre, c.pre) >= 0;
    }
    case '^':
    case '':
      return caret(v, c);
  }
}

/** ^M.m.p: keeps the left-most non-zero number of those given, and is at least M.m.p-pre. */
function caret(v: CargoVersion, c: Comparator): boolean {
  if (compareDigits(v.major, c.major) !== 0) return false;
  if (c.minor === undefined) return true;
  const majorZero = c.major === '0';
  const rm = compareDigits(v.minor, c.minor);
  if (c.patch === undefined) return majorZero ? rm === 0 : rm >= 0;
  const rp = compareDigits(v.patch, c.patch);
  if (!majorZero) {
    if (rm !== 0) return rm > 0;
    if (rp !== 0) return rp > 0;
  } else if (c.minor !== '0') {
    if (rm !== 0) return false;
    if (rp !== 0) return rp > 0;
  } else if (rm !== 0 || rp !== 0) {
    return false;
  }
  return comparePrerelease(v.pre, c.pre) >= 0;
}

function matchesReq(v: CargoVersion, req: readonly Comparator[]): boolean {
  for (const c of req) if (!matchesOne(v, c)) return false;
  if (v.pre.length === 0) return true;
  // A pre-release only matches if the requirement opts in to pre-releases of that very version.
  return req.some(
    (c) =>
      c.pre.length > 0 &&
      c.minor !== undefined &&
      c.patch !== undefined &&
      compareDigits(c.major, v.major) === 0 &&
      compareDigits(c.minor, v.minor) === 0 &&
      compareDigits(c.patch, v.patch) === 0,
  );
}

export function cargoSatisfies(version: string, req: string): boolean {
  return matchesReq(mustParse(version), parseCargoReq(req));
}

export const cargoScheme: VersionScheme = {
  name: 'cargo',
  compare(a: string, b: string): number {
    return sign(compareParsed(mustParse(a), mustParse(b)));
  },
  valid(v: string): boolean {
    return parseCargoVersion(v) !== undefined;
  },
  satisfies: cargoSatisfies,
};
