// Go module and toolchain versions, ordered as golang.org/x/mod/semver orders them (what the go
// command uses): "v" + SemVer 2.0.0, where "v1" and "v1.2" are shorthands for v1.0.0 and v1.2.0 and
// build metadata ("+incompatible") is ignored. Pseudo-versions (v0.0.0-20191109021931-daa7c04131f5,
// v1.2.4-0.2019..., v1.2.3-pre.0.2019...) are ordinary pre-releases, so they already sort where the
// go command puts them. The Go vulnerability database writes the same versions without the "v"
// ("1.2.3"), so both spellings are accepted. The standard library ("stdlib") is versioned the same
// way once "go1.21rc2" is spelled v1.21.0-rc.2, which is how drydock reports it.
//
// Ranges (`satisfies`) are plain intervals in this order, which is what OSV's SEMVER events mean:
// comparators `<`, `<=`, `>`, `>=`, `=` (or a bare version) separated by commas or spaces are AND-ed,
// and `||` separates alternatives. Unlike npm or Cargo, no special rule keeps pre-releases out.

import { compareDigits, comparePrerelease, isIdentChar, sign } from './semver-shared.js';
import { VersionError, type VersionScheme } from './types.js';

/** Longer inputs are refused outright (real module versions are well under 100 characters). */
const MAX_LENGTH = 256;
const MAX_RANGE = 4096;

export interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  pre: string[];
}

/** A decimal number without leading zero, as Go's parser requires. Returns its end or -1. */
function numberEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
  if (j === i || (s.charCodeAt(i) === 48 && j - i > 1)) return -1;
  return j;
}

/** End of dot-separated non-empty identifiers from `i`, or -1; pre-release numbers have no leading zero. */
function identsEnd(s: string, i: number, pre: boolean): number {
  let start = i;
  for (;;) {
    let j = start;
    let digits = true;
    while (j < s.length && isIdentChar(s.charCodeAt(j))) {
      if (!(s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57)) digits = false;
      j++;
    }
    if (j === start) return -1;
    if (pre && digits && j - start > 1 && s.charCodeAt(start) === 48) return -1;
    if (s.charCodeAt(j) !== 46) return j;
    start = j + 1;
  }
}

/** Parses "v1.2.3-pre+build", "v1", "v1.2", or the same without "v". Undefined when Go rejects it. */
export function parseGoVersion(input: string): GoVersion | undefined {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_LENGTH) return undefined;
  const s = input.charCodeAt(0) === 118 ? input.slice(1) : input;
  const e1 = numberEnd(s, 0);
  if (e1 < 0) return undefined;
  const major = s.slice(0, e1);
  if (e1 === s.length) return { major, minor: '0', patch: '0', pre: [] };
  if (s.charCodeAt(e1) !== 46) return undefined;
  const e2 = numberEnd(s, e1 + 1);
  if (e2 < 0) return undefined;
  const minor = s.slice(e1 + 1, e2);
  if (e2 === s.length) return { major, minor, patch: '0', pre: [] };
  if (s.charCodeAt(e2) !== 46) return undefined;
  const e3 = numberEnd(s, e2 + 1);
  if (e3 < 0) return undefined;
  const patch = s.slice(e2 + 1, e3);
  let i = e3;
  let pre: string[] = [];
  if (s.charCodeAt(i) === 45) {
    const e = identsEnd(s, i + 1, true);
    if (e < 0) return undefined;
    pre = s.slice(i + 1, e).split('.');
    i = e;
  }
  if (s.charCodeAt(i) === 43) {
    const e = identsEnd(s, i + 1, false);
    if (e < 0) return undefined;
    i = e;
  }
  return i === s.length ? { major, minor, patch, pre } : undefined;
}

function compareParsed(a: GoVersion, b: GoVersion): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.pre, b.pre)
  );
}

function mustParse(v: string): GoVersion {
  const p = parseGoVersion(v);
  if (!p) throw new VersionError(`invalid Go version: ${JSON.stringify(String(v).slice(0, 80))}`);
  return p;
}

// --- ranges ---------------------------------------------------------------------------------

type Op = '<' | '<=' | '>' | '>=' | '=';

interface Comparator {
  op: Op;
  v: GoVersion;
}

function bad(range: string, why: string): VersionError {
  return new VersionError(`invalid Go range ${JSON.stringify(range.slice(0, 80))}: ${why}`);
}

/** Splits "< 1.2.3, >=v1.0.0 || =2.0.0" into alternatives of comparators. */
export function parseGoRange(range: string): Comparator[][] {
  if (typeof range !== 'string') throw new VersionError('Go range must be a string');
  if (range.length > MAX_RANGE) throw bad(range, 'too long');
  const alternatives: Comparator[][] = [];
  for (const alt of range.split('||')) {
    // An operator may be followed by spaces; glue it to its version before splitting on spaces.
    const tokens = alt
      .replace(/(<=|>=|==|<|>|=)\s+/g, '$1')
      .split(/[\s,]+/)
      .filter((t) => t !== '');
    if (tokens.length === 0) throw bad(range, 'empty alternative');
    const comparators: Comparator[] = [];
    for (const t of tokens) {
      const m = /^(<=|>=|==|<|>|=)?(.*)$/.exec(t) as RegExpExecArray;
      const v = parseGoVersion(m[2] as string);
      if (!v) throw bad(range, `bad version ${JSON.stringify((m[2] as string).slice(0, 40))}`);
      const op = (m[1] === '==' || m[1] === undefined ? '=' : m[1]) as Op;
      comparators.push({ op, v });
    }
    alternatives.push(comparators);
  }
  return alternatives;
}

function test(c: Comparator, v: GoVersion): boolean {
  const r = compareParsed(v, c.v);
  switch (c.op) {
    case '=':
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

export function goSatisfies(version: string, range: string): boolean {
  const v = mustParse(version);
  return parseGoRange(range).some((alt) => alt.every((c) => test(c, v)));
}

export const goScheme: VersionScheme = {
  name: 'go',
  compare(a: string, b: string): number {
    return sign(compareParsed(mustParse(a), mustParse(b)));
  },
  valid(v: string): boolean {
    return parseGoVersion(v) !== undefined;
  },
  satisfies: goSatisfies,
};
