// The Debian Security Tracker's JSON dump: {source-package: {issue: {description?, scope?, debianbug?,
// releases: {codename: {status, repositories, fixed_version?, urgency?, nodsa?, nodsa_reason?,
// next_point_update?}}}}}. The tracker writes it from its database (bin/tracker_service.py, "json"):
// - status "resolved" (the release is not vulnerable) with fixed_version: the first fixed version, or
//   "0" when the package was never affected ("<not-affected>" in data/CVE/list);
// - status "open" (vulnerable); an "<end-of-life>" note sets urgency to "end-of-life"; a no-dsa note
//   adds nodsa (its comment, possibly "") and nodsa_reason ("" for <no-dsa>, "postponed", "ignored");
// - status "undetermined" (not yet triaged).
// Issues are CVE ids or the tracker's TEMP-NNNNNNN-XXXXXX ids (issues without a CVE yet); both are kept.
// Only the releases the tracker supports at the time appear; a package with no release has "releases": []
// (seen in the real data) or {}.
//
// One Advisory per (issue x source package x release):
//   resolved + fixed_version "0"      -> not_affected
//   resolved + fixed_version v        -> fixed (fixed = v)
//   resolved without fixed_version    -> not_affected (the tracker says not vulnerable, with no version)
//   open + urgency "end-of-life"      -> end_of_life
//   open + nodsa_reason "postponed"   -> fix_deferred
//   open + nodsa_reason "ignored"     -> will_not_fix
//   open + nodsa / nodsa_reason ""    -> will_not_fix (no-dsa: no security update planned)
//   open                              -> affected
//   undetermined                      -> under_investigation
// Severity from urgency, trailing "*" stripped ("high**": set automatically, not by the security team):
//   unimportant, low -> LOW; medium -> MEDIUM; high -> HIGH; "not yet assigned", "end-of-life", missing
//   or anything else -> UNKNOWN.
// Namespaces: "debian:<major>" from the codename (woody "3.0", sarge "3.1", then the major number);
// sid -> "debian:unstable" (no release number; drydock's OS detection reports "<testing>/sid" for
// such images, which the matcher has to map); an unknown codename -> "debian:<codename>".
//
// The full dump is about 70 MB. Rather than one JSON.parse of everything (a tree several times the
// size of the text), the top-level object is split here into its members by a byte scanner and each
// package's value is parsed on its own: the peak is the input buffer plus one package's tree, and
// records stream out as the scan goes. JSON.parse still validates every value; the scanner checks the
// top-level punctuation and caps nesting.

import type { Advisory, FeedRecord, Importer, Severity, Status } from '../types.js';

const SOURCE = 'debian-tracker';

/** Debian release codenames and the version drydock's OS detection reports for them (major only from 4 on). */
export const DEBIAN_RELEASES: Readonly<Record<string, string>> = {
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2.0',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};

const CODENAME = /^[a-z][a-z0-9-]{0,31}$/;

/** "bookworm" -> "debian:12"; "sid"/"unstable" -> "debian:unstable"; unknown -> "debian:<codename>". */
export function debianNamespace(codename: string): string {
  if (!CODENAME.test(codename)) throw new Error(`bad release name ${preview(codename)}`);
  if (codename === 'sid' || codename === 'unstable') return 'debian:unstable';
  return `debian:${Object.hasOwn(DEBIAN_RELEASES, codename) ? DEBIAN_RELEASES[codename] : codename}`;
}

/** "high**" -> "high" (a loop: a regular expression anchored at the end could rescan the string). */
function stripStars(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === '*') end--;
  return s.slice(0, end);
}

/** The tracker's urgency ("high**", "not yet assigned", "end-of-life"...) as a drydock severity. */
export function urgencySeverity(urgency: unknown): Severity {
  if (typeof urgency !== 'string') return 'UNKNOWN';
  switch (stripStars(urgency).trim().toLowerCase()) {
    case 'unimportant':
    case 'low':
      return 'LOW';
    case 'medium':
      return 'MEDIUM';
    case 'high':
      return 'HIGH';
    default:
      return 'UNKNOWN';
  }
}

export interface TrackerRelease {
  status?: unknown;
  fixed_version?: unknown;
  urgency?: unknown;
  nodsa?: unknown;
  nodsa_reason?: unknown;
}

/** A release entry's status (and fixed version) per the table above; throws for an unknown status. */
export function trackerStatus(r: TrackerRelease): { status: Status; fixed?: string } {
  switch (r.status) {
    case 'resolved': {
      const v = r.fixed_version;
      if (typeof v === 'string' && v !== '' && v !== '0') return { status: 'fixed', fixed: v };
      if (v !== undefined && v !== null && typeof v !== 'string')
        throw new Error('fixed_version is not a string');
      return { status: 'not_affected' };
    }
    case 'open': {
      if (typeof r.urgency === 'string' && stripStars(r.urgency) === 'end-of-life')
        return { status: 'end_of_life' };
      if (r.nodsa_reason === 'postponed') return { status: 'fix_deferred' };
      if (r.nodsa_reason === 'ignored') return { status: 'will_not_fix' };
      if (typeof r.nodsa === 'string' || r.nodsa_reason === '') return { status: 'will_not_fix' };
      return { status: 'affected' };
    }
    case 'undetermined':
      return { status: 'under_investigation' };
    default:
      throw new Error(`unknown status ${preview(r.status)}`);
  }
}

function preview(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** CVE-2023-1234, TEMP-0000000-2A3B4C: letters, a dash, then letters, digits and dashes. */
const ISSUE_ID = /^[A-Z][A-Z0-9]{0,15}-[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
/** Debian source package names (Policy 5.6.1), with some slack for case. */
const PACKAGE = /^[A-Za-z0-9][A-Za-z0-9+.~_-]{0,199}$/;

/** The records of one package's issues. */
function* packageRecords(pkg: string, issues: unknown): Generator<FeedRecord> {
  if (!PACKAGE.test(pkg)) throw new Error(`bad package name ${preview(pkg)}`);
  if (!isObject(issues)) throw new Error(`package ${preview(pkg)}: not an object`);
  for (const [id, issue] of Object.entries(issues)) {
    if (!ISSUE_ID.test(id)) throw new Error(`package ${preview(pkg)}: bad issue id ${preview(id)}`);
    if (!isObject(issue)) throw new Error(`${id} in ${pkg}: not an object`);
    const releases = issue.releases;
    if (releases === undefined || (Array.isArray(releases) && releases.length === 0)) continue;
    if (!isObject(releases)) throw new Error(`${id} in ${pkg}: releases is not an object`);
    const description = typeof issue.description === 'string' ? issue.description : undefined;
    const bug = issue.debianbug;
    const references =
      typeof bug === 'number' && Number.isSafeInteger(bug) && bug > 0
        ? [`https://bugs.debian.org/${bug}`]
        : undefined;
    for (const [codename, rel] of Object.entries(releases)) {
      if (!isObject(rel)) throw new Error(`${id} in ${pkg}/${codename}: not an object`);
      let st: ReturnType<typeof trackerStatus>;
      let namespace: string;
      try {
        st = trackerStatus(rel);
        namespace = debianNamespace(codename);
      } catch (e) {
        throw new Error(`${id} in ${pkg}/${codename}: ${(e as Error).message}`);
      }
      const advisory: Advisory = {
        id,
        source: SOURCE,
        namespace,
        package: pkg,
        status: st.status,
        severity: urgencySeverity(rel.urgency),
        url: `https://security-tracker.debian.org/tracker/${id}`,
      };
      if (st.fixed !== undefined) advisory.fixed = st.fixed;
      if (description !== undefined) advisory.description = description;
      if (references) advisory.references = references;
      yield { advisory };
    }
  }
}

/** Deepest nesting inside one package's value (the real data has 4: issue, releases, release, repositories). */
const MAX_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index after the JSON string starting at buf[i] (a quote). */
function skipString(buf: Buffer, i: number): number {
  let j = i + 1;
  for (;;) {
    if (j >= buf.length) throw new Error('truncated JSON (unterminated string)');
    const c = buf[j] as number;
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) j += 2;
    else if (c < 0x20) throw new Error('invalid JSON (control character in a string)');
    else j++;
  }
}

/** Index after the object or array starting at buf[i]; nesting capped. */
function skipContainer(buf: Buffer, i: number): number {
  let depth = 0;
  let j = i;
  while (j < buf.length) {
    const c = buf[j] as number;
    if (c === QUOTE) {
      j = skipString(buf, j);
      continue;
    }
    if (c === LBRACE || c === LBRACKET) {
      if (++depth > MAX_DEPTH) throw new Error(`JSON nested deeper than ${MAX_DEPTH}`);
    } else if (c === RBRACE || c === RBRACKET) {
      if (--depth === 0) return j + 1;
    }
    j++;
  }
  throw new Error('truncated JSON');
}

function parseSlice(buf: Buffer, start: number, end: number, what: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8', start, end));
  } catch (e) {
    throw new Error(`${what}: invalid JSON (${(e as Error).message.slice(0, 80)})`);
  }
}

/**
 * The members of the top-level JSON object, one at a time: [key, parsed value]. Each value must be an
 * object (a package's issues).
 */
export function* topLevelMembers(buf: Buffer): Generator<[string, unknown]> {
  let i = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
  const ws = () => {
    while (isWs(buf[i])) i++;
  };
  ws();
  if (buf[i] !== LBRACE) throw new Error('not a JSON object');
  i++;
  ws();
  if (buf[i] === RBRACE) {
    i++;
  } else {
    for (;;) {
      if (buf[i] !== QUOTE)
        throw new Error(i >= buf.length ? 'truncated JSON' : 'invalid JSON (expected a key)');
      const keyEnd = skipString(buf, i);
      const key = parseSlice(buf, i, keyEnd, 'key') as string;
      i = keyEnd;
      ws();
      if (buf[i] !== COLON)
        throw new Error(i >= buf.length ? 'truncated JSON' : 'invalid JSON (expected ":")');
      i++;
      ws();
      if (buf[i] !== LBRACE) throw new Error(`package ${preview(key)}: not an object`);
      const end = skipContainer(buf, i);
      yield [key, parseSlice(buf, i, end, `package ${preview(key)}`)];
      i = end;
      ws();
      if (buf[i] === COMMA) {
        i++;
        ws();
        continue;
      }
      if (buf[i] === RBRACE) {
        i++;
        break;
      }
      throw new Error(i >= buf.length ? 'truncated JSON' : 'invalid JSON (expected "," or "}")');
    }
  }
  ws();
  if (i < buf.length) throw new Error('invalid JSON (text after the object)');
}

/** From the first bytes: `{ "<package>": { "CVE-...` or `"TEMP-...`, and a "releases" key soon after. */
const HEAD = /^\s*\{\s*"[^"\\]{1,200}"\s*:\s*\{\s*"(?:CVE|TEMP)-/;

export const debianTrackerImporter: Importer = {
  name: SOURCE,
  detect(_path: string, head: Buffer): boolean {
    let text = head.toString('utf8', 0, Math.min(head.length, 4096));
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    // Echo's feed starts the same way ({package: {CVE: {fixed_version}}}) but has no releases
    return HEAD.test(text) && /"releases"\s*:\s*[{[]/.test(text);
  },
  *parse(_path: string, content: Buffer): Iterable<FeedRecord> {
    for (const [pkg, issues] of topLevelMembers(content)) yield* packageRecords(pkg, issues);
  },
};
