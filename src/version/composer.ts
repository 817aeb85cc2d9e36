// Composer (Packagist) versions and constraints, as composer/semver (the library Composer itself
// uses) reads them: a version is first normalized by VersionParser::normalize ("v1.2" ->
// "1.2.0.0", "1.0-b2" -> "1.0.0.0-beta2", "2.4.4-p9" -> "2.4.4.0-patch9", "1.x-dev" ->
// "1.9999999.9999999.9999999-dev", "2010-01-02" -> "2010.01.02"), then normalized versions are ordered
// by PHP's version_compare: numbers numerically, and the stability words dev < alpha < beta < RC <
// (a number) < patch.
//
// Dev branches ("dev-master", "dev-feature/x") have no place in that order: Composer only ever
// matches them by name. They are not `valid` here and `compare` throws on them; `satisfies` answers
// for them as Composer does (only "*", "dev-<same name>" or "!=" constraints match a branch), and
// `isComposerBranch` tells them apart so a caller can decide what an unordered version means.
//
// Constraints (`satisfies`) follow Composer's syntax: `||` (or `|`) between alternatives, a comma or
// space between AND-ed parts, operators = == != <> < <= > >=, `~`, `^`, wildcards (1.2.*), hyphen
// ranges (1.0 - 2.0) and stability flags (@dev). A FriendsOfPHP advisory branch lists AND-ed
// constraints (versions: ['>=2.0.0', '<2.0.17']): join them with a comma. Note Composer's rule that
// a bare `<2.0.17` excludes 2.0.17's pre-releases while `>=2.0.0` includes 2.0.0's.

import { compareDigits } from './semver-shared.js';
import { VersionError, type VersionScheme } from './types.js';

const MAX_LENGTH = 256;
const MAX_CONSTRAINT = 4096;
/** PHP's integer ceiling: version_compare reads numbers with strtol, which stops here. */
const LONG_MAX = '9223372036854775807';

// --- PHP's version_compare ------------------------------------------------------------------

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/**
 * PHP's canonical form: "-", "_" and "+" become ".", a "." goes between a digit and a non-digit, and
 * any other non-alphanumeric character becomes "." (never two in a row). The first character is kept.
 */
function canonicalize(v: string): string {
  if (v.length === 0) return '';
  let out = v[0] as string;
  let last = out;
  for (let i = 1; i < v.length; i++) {
    const c = v[i] as string;
    const prev = v[i - 1] as string;
    if (c === '-' || c === '_' || c === '+') {
      if (last !== '.') out += last = '.';
    } else if (
      (!isDigit(prev) && prev !== '.' && isDigit(c)) ||
      (isDigit(prev) && !isDigit(c) && c !== '.')
    ) {
      if (last !== '.') out += '.';
      out += last = c;
    } else if (!isAlnum(c)) {
      if (last !== '.') out += last = '.';
    } else {
      out += last = c;
    }
  }
  return out;
}

/** The rank of a word part: PHP matches the special words as prefixes, anything else ranks lowest. */
function specialRank(part: string): number {
  const forms: [string, number][] = [
    ['dev', 0],
    ['alpha', 1],
    ['a', 1],
    ['beta', 2],
    ['b', 2],
    ['RC', 3],
    ['rc', 3],
    ['#', 4],
    ['pl', 5],
    ['p', 5],
  ];
  for (const [name, rank] of forms) if (part.startsWith(name)) return rank;
  return -1;
}

const clampLong = (digits: string): string => (compareDigits(digits, LONG_MAX) > 0 ? LONG_MAX : digits);

/** Compares one part of each side: numbers numerically, words by rank, a number ranks as "#". */
function comparePart(x: string, y: string): number {
  const dx = isDigit(x[0]);
  const dy = isDigit(y[0]);
  if (dx && dy) return compareDigits(clampLong(x), clampLong(y));
  if (!dx && !dy) return Math.sign(specialRank(x) - specialRank(y));
  return dx ? Math.sign(4 - specialRank(y)) : Math.sign(specialRank(x) - 4);
}

/** PHP's version_compare(a, b): -1, 0 or 1. */
export function phpVersionCompare(a: string, b: string): number {
  if (a === '' || b === '') return a === b ? 0 : a === '' ? -1 : 1;
  // "#..." is PHP's internal stand-in for "a number" and is not canonicalized.
  const pa = (a[0] === '#' ? a : canonicalize(a)).split('.');
  const pb = (b[0] === '#' ? b : canonicalize(b)).split('.');
  // PHP stops when either side has no part left, or only an empty trailing one ("1." ends there).
  const has = (p: string[], k: number): boolean => k < p.length && !(k === p.length - 1 && p[k] === '');
  let k = 0;
  while (has(pa, k) && has(pb, k)) {
    const r = comparePart(pa[k] as string, pb[k] as string);
    if (r !== 0) return r;
    k++;
  }
  // Whatever is left on one side decides: a number makes it newer, a word is weighed against "#".
  if (k < pa.length) {
    const rest = pa.slice(k).join('.');
    return isDigit(rest[0]) ? 1 : phpVersionCompare(rest, '#N#');
  }
  if (k < pb.length) {
    const rest = pb.slice(k).join('.');
    return isDigit(rest[0]) ? -1 : phpVersionCompare('#N#', rest);
  }
  return 0;
}

// --- VersionParser::normalize ---------------------------------------------------------------

/** PHP's trim(): these characters only. */
function phpTrim(s: string): string {
  let i = 0;
  let j = s.length;
  const ws = ' \t\n\r\0\x0B';
  while (i < j && ws.includes(s[i] as string)) i++;
  while (j > i && ws.includes(s[j - 1] as string)) j--;
  return s.slice(i, j);
}

function bad(what: string, s: string, why?: string): VersionError {
  return new VersionError(
    `invalid Composer ${what} ${JSON.stringify(s.slice(0, 80))}${why ? `: ${why}` : ''}`,
  );
}

/** Composer only reads ASCII; control characters and anything else are refused up front. */
function checkText(what: string, s: unknown, max: number): string {
  if (typeof s !== 'string') throw new VersionError(`Composer ${what} must be a string`);
  if (s.length > max) throw bad(what, s, 'too long');
  // Leading/trailing whitespace is trimmed later; inside, only printable ASCII is accepted.
  const t = phpTrim(s);
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw bad(what, s, 'unexpected character');
  }
  return s;
}

// The pre-release suffix Composer accepts after the numbers: a stability word (or its short form)
// with optional numbers, then optionally "dev". Groups: 1 word, 2 its numbers, 3 the dev part.
// Composer writes the numbers as a possessive "(?:[.-]?\\d+)*+"; the form here matches the same
// strings without the ambiguity that would make a backtracking engine exponential on long digit runs.
const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)([.-]?\\d+(?:[.-]\\d+)*)?)?([.-]?dev)?';
const CLASSICAL_RE = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, 'i');
const DATE_RE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3})?)${MODIFIER}$`, 'i');
const BRANCH_NUMBERS_RE = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/i;

function expandStability(word: string): string {
  const w = word.toLowerCase();
  if (w === 'a') return 'alpha';
  if (w === 'b') return 'beta';
  if (w === 'p' || w === 'pl') return 'patch';
  if (w === 'rc') return 'RC';
  return w;
}

/** A numeric branch ("1.x", "2.1.*") as Composer writes it: x becomes 9999999; others are "dev-<name>". */
function normalizeBranch(name: string): string {
  const n = phpTrim(name);
  const m = BRANCH_NUMBERS_RE.exec(n);
  if (!m) return `dev-${n}`;
  let v = '';
  for (let i = 1; i < 5; i++) v += m[i] !== undefined ? (m[i] as string).replace(/[*X]/g, 'x') : '.x';
  return `${v.replace(/x/g, '9999999')}-dev`;
}

/** VersionParser::normalize: the canonical form Composer compares, or a VersionError. */
export function normalizeComposerVersion(input: string): string {
  let v = phpTrim(checkText('version', input, MAX_LENGTH));
  // "1.0 as 2.0" (an inline alias) is the version on the left.
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(v);
  if (alias) v = alias[1] as string;
  const flag = /@(?:stable|RC|beta|alpha|dev)$/i.exec(v);
  if (flag) v = v.slice(0, v.length - flag[0].length);
  if (v === 'master' || v === 'trunk' || v === 'default') v = `dev-${v}`;
  if (v.slice(0, 4).toLowerCase() === 'dev-') return `dev-${v.slice(4)}`;
  const build = /^([^,\s+]+)\+\S+$/.exec(v);
  if (build) v = build[1] as string;
  let m = CLASSICAL_RE.exec(v);
  let base: string | undefined;
  let at = 0;
  if (m) {
    base = `${m[1]}${m[2] || '.0'}${m[3] || '.0'}${m[4] || '.0'}`;
    at = 5;
  } else {
    m = DATE_RE.exec(v);
    if (m) {
      base = (m[1] as string).replace(/\D/g, '.');
      at = 2;
    }
  }
  if (m && base !== undefined) {
    const word = m[at];
    if (word) {
      // Composer keeps the exact-case check: only "stable" itself is dropped.
      if (word === 'stable') return base;
      const digits = m[at + 1] ? (m[at + 1] as string).replace(/^[.-]+/, '') : '';
      base += `-${expandStability(word)}${digits}`;
    }
    if (m[at + 2]) base += '-dev';
    return base;
  }
  // "1.x-dev", "2.1.*-dev": numeric branches.
  const dev = /^(.*?)[.-]?dev$/i.exec(v);
  if (dev) {
    const n = normalizeBranch(dev[1] as string);
    if (!n.includes('dev-')) return n;
  }
  throw bad('version', input);
}

const isBranch = (normalized: string): boolean => normalized.startsWith('dev-');

/** Whether Composer reads this version as a named dev branch ("dev-master"), which has no order. */
export function isComposerBranch(version: string): boolean {
  try {
    return isBranch(normalizeComposerVersion(version));
  } catch {
    return false;
  }
}

/** Normalized, and not a branch: what `compare` can order. */
function orderable(v: string): string {
  const n = normalizeComposerVersion(v);
  if (isBranch(n)) throw bad('version', v, 'a dev branch has no order');
  return n;
}

// --- constraints ----------------------------------------------------------------------------

type Op = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A parsed constraint: Composer's Constraint, MultiConstraint (and/or) and MatchAllConstraint. */
export type ComposerConstraint =
  | { kind: 'all' }
  | { kind: 'op'; op: Op; version: string }
  | { kind: 'and' | 'or'; items: ComposerConstraint[] };
type Constraint = ComposerConstraint;

const OPS: Record<string, Op> = {
  '=': '==',
  '==': '==',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

const op = (o: string, version: string): Constraint => ({ kind: 'op', op: OPS[o] as Op, version });

/** Composer's parseStability on a normalized version: which stability a "@flag" would apply to. */
function stabilityOf(version: string): string {
  const v = version.replace(/#.+$/, '');
  if (v.startsWith('dev-') || v.endsWith('-dev')) return 'dev';
  const m = new RegExp(`${MODIFIER}(?:\\+.*)?$`, 'i').exec(v.toLowerCase());
  if (m?.[3]) return 'dev';
  const w = m?.[1];
  if (w === 'beta' || w === 'b') return 'beta';
  if (w === 'alpha' || w === 'a') return 'alpha';
  if (w === 'rc') return 'RC';
  return 'stable';
}

/** Adds `by` to a version number the way PHP's integer arithmetic would, refusing overflow. */
function addTo(n: string, by: number, c: string): string {
  const r = BigInt(n) + BigInt(by);
  if (r > BigInt(LONG_MAX)) throw bad('constraint', c, 'number too large');
  return r.toString();
}

/**
 * Composer's manipulateVersionString: the four numbers with `position` (1-4) raised by `increment`
 * and the ones after it set to 0.
 */
function bump(nums: (string | undefined)[], position: number, increment: number, c: string): string {
  const out: string[] = [];
  for (let i = 1; i <= 4; i++) {
    if (i > position) out.push('0');
    else if (i === position && increment) out.push(addTo(nums[i] ?? '0', increment, c));
    else out.push(nums[i] ?? '');
  }
  return out.join('.');
}

// One version inside a constraint. Groups: 1-4 numbers, 5 stability word, 6 its numbers, 7 dev
// part, 8 an "x-dev" wildcard part.
const VERSION_IN_CONSTRAINT = `v?(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:\\.(\\d+))?(?:${MODIFIER}|\\.([xX*][.-]?dev))(?:\\+[^\\s]+)?`;
const TILDE_RE = new RegExp(`^~>?${VERSION_IN_CONSTRAINT}$`, 'i');
const CARET_RE = new RegExp(`^\\^${VERSION_IN_CONSTRAINT}$`, 'i');
const WILDCARD_RE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.[xX*])+$/;
const HYPHEN_RE = new RegExp(`^(${VERSION_IN_CONSTRAINT}) +- +(${VERSION_IN_CONSTRAINT})$`, 'i');
const ENDS_WITH_MODIFIER_RE = new RegExp(`-${MODIFIER}$`);

const given = (s: string | undefined): boolean => s !== undefined && s !== '';

/** One AND-part of a constraint ("~1.2", ">=2.0@dev", "1.0 - 2.0") to Composer's primitive constraints. */
function parseOne(input: string): Constraint[] {
  let c = input;
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(c);
  if (alias) c = alias[1] as string;
  let stabilityFlag: string | undefined;
  const flag = /^([^,\s]*?)@(stable|RC|beta|alpha|dev)$/i.exec(c);
  if (flag) {
    c = flag[1] !== '' ? (flag[1] as string) : '*';
    if (flag[2] !== 'stable') stabilityFlag = flag[2];
  }
  // "dev-x#ref" / "1.x-dev#ref": the ref only matters to Composer's installer.
  const ref = /^(dev-[^,\s@]+?|[^,\s@]+?\.x-dev)#.+$/i.exec(c);
  if (ref) c = ref[1] as string;

  const all = /^(v)?[xX*](\.[xX*])*$/i.exec(c);
  if (all) return all[1] || all[2] ? [op('>=', '0.0.0.0-dev')] : [{ kind: 'all' }];

  let m = TILDE_RE.exec(c);
  if (m) {
    if (c.startsWith('~>')) throw bad('constraint', input, 'use "~", not "~>"');
    let position = given(m[4]) ? 4 : given(m[3]) ? 3 : given(m[2]) ? 2 : 1;
    if (m[8]) position++;
    const suffix = !m[5] && !m[7] && !m[8] ? '-dev' : '';
    const low = normalizeComposerVersion((c + suffix).slice(1));
    const high = `${bump(m, Math.max(1, position - 1), 1, input)}-dev`;
    return [op('>=', low), op('<', high)];
  }

  m = CARET_RE.exec(c);
  if (m) {
    const position = m[1] !== '0' || !given(m[2]) ? 1 : m[2] !== '0' || !given(m[3]) ? 2 : 3;
    const suffix = !m[5] && !m[7] && !m[8] ? '-dev' : '';
    const low = normalizeComposerVersion((c + suffix).slice(1));
    const high = `${bump(m, position, 1, input)}-dev`;
    return [op('>=', low), op('<', high)];
  }

  m = WILDCARD_RE.exec(c);
  if (m) {
    const position = given(m[3]) ? 3 : given(m[2]) ? 2 : 1;
    const low = `${bump(m, position, 0, input)}-dev`;
    const high = `${bump(m, position, 1, input)}-dev`;
    return low === '0.0.0.0-dev' ? [op('<', high)] : [op('>=', low), op('<', high)];
  }

  m = HYPHEN_RE.exec(c);
  if (m) {
    // Groups: 1 the low version (2-9 its parts as above), 10 the high one (11-18).
    const lowSuffix = !m[6] && !m[8] && !m[9] ? '-dev' : '';
    const low = op('>=', normalizeComposerVersion(m[1] as string) + lowSuffix);
    const absent = (x: string | undefined): boolean => x === undefined || x === '';
    if ((!absent(m[12]) && !absent(m[13])) || m[15] || m[17] || m[18]) {
      return [low, op('<=', normalizeComposerVersion(m[10] as string))];
    }
    normalizeComposerVersion(m[10] as string);
    const high = bump(['', m[11], m[12], m[13], m[14]], absent(m[12]) ? 1 : 2, 1, input);
    return [low, op('<', `${high}-dev`)];
  }

  const basic = /^(<>|!=|>=?|<=?|==?)?\s*(.*)$/.exec(c) as RegExpExecArray;
  const rest = basic[2] as string;
  let version: string;
  try {
    version = normalizeComposerVersion(rest);
  } catch (e) {
    // "foo-dev" means the branch "dev-foo", unless an operator makes it a typo.
    if (rest.endsWith('-dev') && /^[0-9a-zA-Z./-]+$/.test(rest)) {
      version = normalizeComposerVersion(`dev-${rest.slice(0, -4)}`);
    } else {
      throw bad('constraint', input, e instanceof Error ? e.message : undefined);
    }
  }
  const o = basic[1] || '=';
  if (o !== '==' && o !== '=' && stabilityFlag && stabilityOf(version) === 'stable') {
    version += `-${stabilityFlag}`;
  } else if ((o === '<' || o === '>=') && !ENDS_WITH_MODIFIER_RE.test(rest.toLowerCase())) {
    // A bare "<1.0" or ">=1.0" is meant to include/exclude 1.0's pre-releases: compare with 1.0-dev.
    if (!rest.startsWith('dev-')) version += '-dev';
  }
  return [op(o, version)];
}

/**
 * Composer splits AND-parts at a comma or space that is not part of an operator ("> 1"), a hyphen
 * range ("1 - 2") or an alias ("1 as 2"): the separator needs a non-operator character before it,
 * no "-" next to it, and something other than ",", "as" or the end after it.
 */
function splitAnd(s: string): string[] {
  const out: string[] = [];
  let from = 0;
  let p = 1;
  while (p < s.length) {
    const before = s[p - 1] as string;
    const end =
      p >= 2 && s.slice(p - 2, p) === 'as' ? -1 : '=>< ,'.includes(before) ? -1 : matchSeparator(s, p);
    if (end > 0) {
      out.push(s.slice(from, p));
      from = end;
      p = end + 1;
    } else {
      p++;
    }
  }
  out.push(s.slice(from));
  return out;
}

/** The end of a separator starting at `p` (spaces, one "," or " ", spaces), or -1. */
function matchSeparator(s: string, p: number): number {
  let e = p;
  while (s[e] === ' ') e++;
  // The separator character is the last of the spaces or the comma right after them; try the
  // longest first, as a backtracking matcher would.
  for (let q = s[e] === ',' ? e : e - 1; q >= p; q--) {
    if (s[q] !== ',' && s[q] !== ' ') continue;
    if (s[q - 1] === '-' || s[q + 1] === '-') continue;
    let r = q + 1;
    while (s[r] === ' ') r++;
    for (; r > q; r--) {
      if (r < s.length && s[r] !== ',' && s.slice(r, r + 2) !== 'as') return r;
    }
  }
  return -1;
}

/** Parses a Composer constraint string. */
export function parseComposerConstraint(input: string): Constraint {
  const s = phpTrim(checkText('constraint', input, MAX_CONSTRAINT));
  const groups: Constraint[] = [];
  for (const alt of s.split(/\s*\|\|?\s*/)) {
    const parts = splitAnd(alt);
    const items = parts.flatMap((p) => parseOne(p));
    groups.push(items.length === 1 ? (items[0] as Constraint) : { kind: 'and', items });
  }
  return groups.length === 1 ? (groups[0] as Constraint) : { kind: 'or', items: groups };
}

/** Does the normalized version `v` (Composer's "== v" provider) satisfy `c`? */
function matches(c: Constraint, v: string): boolean {
  switch (c.kind) {
    case 'all':
      return true;
    case 'and':
      return c.items.every((x) => matches(x, v));
    case 'or':
      return c.items.some((x) => matches(x, v));
    case 'op': {
      const b1 = isBranch(v);
      const b2 = isBranch(c.version);
      // Branches only compare by name, and never fall inside an interval.
      if (c.op === '!=') return b1 || b2 ? v !== c.version : phpVersionCompare(v, c.version) !== 0;
      if (c.op === '==')
        return b1 || b2 ? b1 && b2 && v === c.version : phpVersionCompare(c.version, v) === 0;
      if (b1 || b2) return false;
      const r = phpVersionCompare(v, c.version);
      return c.op === '<' ? r < 0 : c.op === '<=' ? r <= 0 : c.op === '>' ? r > 0 : r >= 0;
    }
  }
}

const constraintCache = new Map<string, Constraint>();

export function composerSatisfies(version: string, constraint: string): boolean {
  const v = normalizeComposerVersion(version);
  let c = constraintCache.get(constraint);
  if (!c) {
    c = parseComposerConstraint(constraint);
    if (constraintCache.size >= 500) constraintCache.clear();
    constraintCache.set(constraint, c);
  }
  return matches(c, v);
}

export const composerScheme: VersionScheme = {
  name: 'composer',
  compare(a: string, b: string): number {
    return phpVersionCompare(orderable(a), orderable(b));
  },
  valid(v: string): boolean {
    try {
      orderable(v);
      return true;
    } catch {
      return false;
    }
  },
  satisfies: composerSatisfies,
};
