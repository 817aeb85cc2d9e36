// OSV records (the Open Source Vulnerability schema, 1.x), one vulnerability per file, as JSON (the
// Go vulnerability database, GitHub's advisory database, Ubuntu, osv.dev exports) or as YAML (the
// PyPI advisory database).
//
// Each (record × affected package) becomes one Advisory; several `affected` entries naming the same
// package (GitHub lists one per vulnerable branch) are merged so the package keeps all its ranges.
// Facts taken from the schema:
// - `events` of a range are read in order: each `introduced` opens an interval that the next `fixed`
//   (excluded) or `last_affected` (included) closes; `limit` bounds every interval of its range.
//   "introduced: 0" means "from the beginning" and is left out. GIT ranges name commits, which
//   installed packages do not carry: they are ignored (the ECOSYSTEM/SEMVER ranges and `versions`
//   next to them say the same in versions).
// - `versions` enumerates affected versions; kept unless an unbounded interval already covers all.
// - `withdrawn` at or before now: the record is retracted and yields nothing.
// Choices (test/vulndb/sources/osv.test.ts shows the data behind each):
// - Distro ecosystems ("Debian:12", "Ubuntu:22.04:LTS", "Ubuntu:Pro:16.04:LTS", "Alpine:v3.18")
//   map to the namespace drydock's OS detection reports; a single "introduced 0 .. fixed X" becomes
//   `fixed: X` (what the OS matcher reads). Ubuntu Pro (ESM) entries share the release's namespace
//   (the package is affected on a plain install; the fix needs Pro), but an entry for the same
//   package outside Pro wins. Ubuntu/Debian/Alpine "<DISTRO>-CVE-…" ids become the CVE id (the id
//   the other OS feeds and NVD use), the original id kept as an alias. Distro notices (USN, DSA,
//   DLA, DTSA, LSN) restate the per-CVE records and are skipped so findings are not doubled.
// - GitHub's `database_specific.last_known_affected_version_range` ("< X" / "<= X"), given when no
//   fix exists, bounds the open interval: without it a branch with no fix would mark every later
//   version affected, including the fixed releases of other branches.
// - Severity: GitHub's database_specific.severity (MODERATE is MEDIUM), else Ubuntu's priority
//   (negligible/low LOW, medium MEDIUM, high HIGH, critical CRITICAL; untriaged falls through; Debian's
//   ecosystem_specific.urgency likewise, "unimportant" LOW), else the rating of the first CVSS v3
//   base score (computed from the vector; v2 and v4 vectors are kept unscored), else UNKNOWN.

import { normalizePythonName } from '../../inventory/purl.js';
import { isObj, str } from '../../util/json.js';
import { parseYaml } from '../../util/yaml-lite.js';
import { cvss3BaseScore, severityOfScore } from '../cvss.js';
import type { Advisory, AffectedRange, Cvss, FeedRecord, Importer, Severity } from '../types.js';

/** The real records at hand are at most 61 KB; a file far beyond any record is refused unread. */
const MAX_FILE_SIZE = 32 << 20;
const MAX_ID_LENGTH = 256;

const LANGUAGE_NAMESPACES: Record<string, string> = {
  npm: 'npm',
  PyPI: 'pypi',
  RubyGems: 'gem',
  Packagist: 'composer',
  Go: 'go',
  'crates.io': 'cargo',
  Maven: 'maven',
  NuGet: 'nuget',
};

export interface OsvNamespace {
  namespace: string;
  /** An OS release: the OS matcher reads `fixed`. */
  distro: boolean;
  /** Ubuntu Pro (ESM): the fix needs a subscription. */
  pro?: boolean;
}

function isDigits(s: string | undefined): boolean {
  if (!s) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** "major.minor" made of digits: "22.04", "3.18". */
function isMajorMinor(s: string | undefined): boolean {
  if (!s) return false;
  const dot = s.indexOf('.');
  return dot > 0 && isDigits(s.slice(0, dot)) && isDigits(s.slice(dot + 1));
}

/**
 * drydock's namespace for an OSV ecosystem, or undefined for ecosystems drydock does not match
 * (Hex, Pub, SwiftURL, Ubuntu FIPS streams, Alpine edge...).
 */
export function osvNamespace(ecosystem: string): OsvNamespace | undefined {
  const lang = Object.hasOwn(LANGUAGE_NAMESPACES, ecosystem) ? LANGUAGE_NAMESPACES[ecosystem] : undefined;
  if (lang) return { namespace: lang, distro: false };
  const parts = ecosystem.split(':');
  if (parts[0] === 'Debian' && parts.length === 2 && isDigits(parts[1]))
    return { namespace: `debian:${parts[1]}`, distro: true };
  if (parts[0] === 'Alpine' && parts.length === 2 && parts[1]?.[0] === 'v' && isMajorMinor(parts[1].slice(1)))
    return { namespace: `alpine:${parts[1].slice(1)}`, distro: true };
  // Rocky Linux and AlmaLinux publish their own errata as OSV ("Rocky Linux:8", "AlmaLinux:9"):
  // matched by binary rpm name, like Red Hat's data, under drydock's OS family names.
  if ((parts[0] === 'Rocky Linux' || parts[0] === 'AlmaLinux') && parts.length === 2 && isDigits(parts[1]))
    return { namespace: `${parts[0] === 'AlmaLinux' ? 'alma' : 'rocky'}:${parts[1]}`, distro: true };
  if (parts[0] === 'Ubuntu') {
    const pro = parts[1] === 'Pro';
    const rest = parts.slice(pro ? 2 : 1);
    if (rest.length === 2 && rest[1] !== 'LTS') return undefined;
    if ((rest.length === 1 || rest.length === 2) && isMajorMinor(rest[0]))
      return { namespace: `ubuntu:${rest[0]}`, distro: true, ...(pro ? { pro } : {}) };
  }
  return undefined;
}

/** The package name as the matcher looks it up in `namespace`. */
export function osvPackageName(namespace: string, name: string): string {
  if (namespace === 'pypi') return normalizePythonName(name);
  if (namespace === 'composer') return name.toLowerCase();
  return name;
}

function ghsaSeverity(s: unknown): Severity | undefined {
  switch (typeof s === 'string' ? s.toUpperCase() : '') {
    case 'CRITICAL':
      return 'CRITICAL';
    case 'HIGH':
      return 'HIGH';
    case 'MODERATE':
    case 'MEDIUM':
      return 'MEDIUM';
    case 'LOW':
      return 'LOW';
    default:
      return undefined;
  }
}

/** Ubuntu's CVE priority, or Debian's urgency (the same words but "unimportant"). */
export function ubuntuPriority(s: unknown): Severity | undefined {
  switch (typeof s === 'string' ? s.toLowerCase() : '') {
    case 'negligible':
    case 'unimportant':
    case 'low':
      return 'LOW';
    case 'medium':
      return 'MEDIUM';
    case 'high':
      return 'HIGH';
    case 'critical':
      return 'CRITICAL';
    case 'untriaged':
      return 'UNKNOWN';
    default:
      return undefined;
  }
}

/** The strings of a list field; a field that is present but not a list is malformed. */
function strings(v: unknown, what: string): string[] {
  if (v === undefined || v === null || v === '') return [];
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v.filter((x): x is string => typeof x === 'string' && x !== '');
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null || v === '') return [];
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
}

/** A version in an event: a string (YAML and JSON) or, leniently, a JSON number. */
function version(v: unknown): string {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new Error('an event version is not a string');
}

/** Go's data/osv files zero their timestamps ("0001-01-01T00:00:00Z"): that is no date. */
function timestamp(v: unknown): string | undefined {
  const s = str(v);
  return s && !s.startsWith('0001-01-01') ? s : undefined;
}

/** Whether a `withdrawn` timestamp is in effect at `now` (a future one is not yet). */
export function isWithdrawn(withdrawn: unknown, now = Date.now()): boolean {
  const s = str(withdrawn);
  if (!s) return false;
  const t = Date.parse(s);
  return Number.isNaN(t) || t <= now;
}

type Interval = { introduced?: string; fixed?: string; lastAffected?: string; limit?: string };

/** One OSV range's events as intervals, in the order they come. */
export function rangeIntervals(events: unknown): Interval[] {
  const out: Interval[] = [];
  let open: Interval | undefined;
  let limit: string | undefined;
  for (const ev of list(events, 'events')) {
    if (!isObj(ev)) throw new Error('an event is not a mapping');
    if ('introduced' in ev) {
      if (open) out.push(open);
      const v = version(ev.introduced);
      open = v === '0' ? {} : { introduced: v };
    } else if ('fixed' in ev) {
      out.push({ ...open, fixed: version(ev.fixed) });
      open = undefined;
    } else if ('last_affected' in ev) {
      out.push({ ...open, lastAffected: version(ev.last_affected) });
      open = undefined;
    } else if ('limit' in ev) {
      limit ??= version(ev.limit);
    } else {
      throw new Error('an event has none of introduced, fixed, last_affected, limit');
    }
  }
  if (open) out.push(open);
  if (limit !== undefined && limit !== '*') for (const iv of out) iv.limit ??= limit;
  return out;
}

/** GitHub's "< X" / "<= X" for a branch with no fix, as the end of an open interval. */
function lastKnownAffected(range: unknown): Partial<Interval> | undefined {
  const s = str(range)?.trim();
  if (!s) return undefined;
  const le = s.startsWith('<=');
  if (!le && !s.startsWith('<')) return undefined;
  const v = s.slice(le ? 2 : 1).trim();
  if (v === '' || v.includes(',') || v.includes(' ')) return undefined;
  return le ? { lastAffected: v } : { limit: v };
}

function isOpen(iv: Interval): boolean {
  return iv.fixed === undefined && iv.lastAffected === undefined && iv.limit === undefined;
}

function cvssVersion(type: string, vector: string): string | undefined {
  if (type === 'CVSS_V2') return '2.0';
  if (type === 'CVSS_V3') return vector.startsWith('CVSS:3.0/') ? '3.0' : '3.1';
  if (type === 'CVSS_V4') return '4.0';
  return undefined;
}

interface SeverityFacts {
  cvss: Cvss[];
  /** Ubuntu priority or Debian urgency. */
  vendor?: Severity;
}

/** The CVSS vectors and Ubuntu priority of a `severity` list. */
function severityFacts(v: unknown, source: string, into: SeverityFacts): void {
  for (const s of list(v, 'severity')) {
    if (!isObj(s)) continue;
    const type = str(s.type);
    const score = str(s.score)?.trim();
    if (!type || !score) continue;
    if (type === 'Ubuntu') {
      into.vendor ??= ubuntuPriority(score);
      continue;
    }
    // GitHub writes a few vectors with a trailing "/"
    const vector = score.endsWith('/') ? score.slice(0, -1) : score;
    const ver = cvssVersion(type, vector);
    if (!ver || into.cvss.some((c) => c.vector === vector)) continue;
    const c: Cvss = { source, version: ver, vector };
    const base = ver.startsWith('3') ? cvss3BaseScore(vector) : undefined;
    if (base !== undefined) c.score = base;
    into.cvss.push(c);
  }
}

function severityOf(facts: SeverityFacts, ghsa: Severity | undefined): Severity {
  if (ghsa) return ghsa;
  // "untriaged" says nothing yet: the CVSS rating is better than UNKNOWN
  if (facts.vendor && facts.vendor !== 'UNKNOWN') return facts.vendor;
  const scored = facts.cvss.find((c) => c.score !== undefined);
  return scored ? severityOfScore(scored.score as number) : 'UNKNOWN';
}

/** Who scored the vectors of a record, from its id's prefix. */
function scorer(id: string): string {
  if (id.startsWith('GHSA-')) return 'ghsa';
  if (id.startsWith('UBUNTU-') || id.startsWith('USN-')) return 'ubuntu';
  return 'osv';
}

/** "UBUNTU-CVE-2021-3782" -> "CVE-2021-3782" (Debian and Alpine name theirs the same way). */
function distroCveId(id: string): string | undefined {
  for (const p of ['UBUNTU-', 'DEBIAN-', 'ALPINE-']) {
    if (id.startsWith(p) && id.startsWith('CVE-', p.length)) return id.slice(p.length);
  }
  return undefined;
}

/** Ubuntu and Debian security notices (USN, livepatch LSN, DSA, DLA, DTSA). */
const NOTICE_PREFIXES = ['USN-', 'LSN-', 'DSA-', 'DLA-', 'DTSA-'];

interface Group {
  ns: OsvNamespace;
  name: string;
  entries: { pro: boolean; intervals: Interval[]; versions: string[]; facts: SeverityFacts }[];
}

function groupAffected(affected: unknown[], source: string): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const a of affected) {
    if (!isObj(a)) throw new Error('an affected entry is not a mapping');
    if (a.package === undefined) continue; // a commit-only entry
    if (!isObj(a.package)) throw new Error('affected package is not a mapping');
    const ecosystem = str(a.package.ecosystem);
    const rawName = str(a.package.name);
    if (!ecosystem || !rawName) throw new Error('affected package has no ecosystem or name');
    const ns = osvNamespace(ecosystem);
    if (!ns) continue;
    const intervals: Interval[] = [];
    for (const r of list(a.ranges, 'ranges')) {
      if (!isObj(r)) throw new Error('a range is not a mapping');
      // GIT ranges name commits; a range type from a later schema version is skipped likewise
      if (r.type !== 'SEMVER' && r.type !== 'ECOSYSTEM') continue;
      for (const iv of rangeIntervals(r.events)) intervals.push(iv);
    }
    const dbs = isObj(a.database_specific) ? a.database_specific : {};
    const eco = isObj(a.ecosystem_specific) ? a.ecosystem_specific : {};
    const bound = lastKnownAffected(dbs.last_known_affected_version_range);
    const open = intervals.filter(isOpen);
    if (bound && open.length === 1) Object.assign(open[0] as Interval, bound);
    const versions = strings(a.versions, 'versions');
    if (intervals.length === 0 && versions.length === 0) continue; // nothing to match versions against
    const facts: SeverityFacts = { cvss: [] };
    severityFacts(a.severity, source, facts);
    facts.vendor =
      ubuntuPriority(eco.priority) ??
      ubuntuPriority(dbs.priority) ??
      ubuntuPriority(eco.urgency) ??
      facts.vendor;
    const name = osvPackageName(ns.namespace, rawName);
    const key = `${ns.namespace}\0${name}`;
    let g = groups.get(key);
    if (!g) {
      g = { ns, name, entries: [] };
      groups.set(key, g);
    }
    g.entries.push({ pro: ns.pro === true, intervals, versions, facts });
  }
  return groups;
}

/** The record's facts shared by all its packages. */
interface Common {
  id: string;
  aliases: string[];
  title?: string;
  description?: string;
  references: string[];
  published?: string;
  modified?: string;
  url?: string;
  ghsa?: Severity;
  facts: SeverityFacts;
}

function toAdvisory(g: Group, c: Common): Advisory {
  // Ubuntu: the same package outside Pro is what a plain install gets
  const plain = g.entries.filter((e) => !e.pro);
  const entries = plain.length ? plain : g.entries;
  const intervals = entries.flatMap((e) => e.intervals);
  const everything = intervals.some((iv) => iv.introduced === undefined && isOpen(iv));
  const a: Advisory = {
    id: c.id,
    source: 'osv',
    namespace: g.ns.namespace,
    package: g.name,
    status: !everything && intervals.some((iv) => iv.fixed !== undefined) ? 'fixed' : 'affected',
  };
  const only = intervals.length === 1 ? intervals[0] : undefined;
  if (everything) {
    // every version is affected: nothing narrows it
  } else if (g.ns.distro && only && only.introduced === undefined && only.fixed && !only.limit) {
    a.fixed = only.fixed;
  } else {
    const ranges: AffectedRange[] = intervals.map((iv) => ({ kind: 'events', ...iv }));
    const versions = [...new Set(entries.flatMap((e) => e.versions))];
    if (versions.length) ranges.push({ kind: 'versions', versions });
    a.ranges = ranges;
  }
  const facts: SeverityFacts = { cvss: [], vendor: undefined };
  for (const e of entries) {
    facts.vendor ??= e.facts.vendor;
    for (const v of e.facts.cvss) if (!facts.cvss.some((x) => x.vector === v.vector)) facts.cvss.push(v);
  }
  facts.vendor ??= c.facts.vendor;
  for (const v of c.facts.cvss) if (!facts.cvss.some((x) => x.vector === v.vector)) facts.cvss.push(v);
  a.severity = severityOf(facts, c.ghsa);
  if (c.aliases.length) a.aliases = c.aliases;
  if (c.title) a.title = c.title;
  if (c.description) a.description = c.description;
  if (facts.cvss.length) a.cvss = facts.cvss;
  if (c.references.length) a.references = c.references;
  if (c.published) a.published = c.published;
  if (c.modified) a.modified = c.modified;
  if (c.url) a.url = c.url;
  return a;
}

/** JSON or YAML text to a value; a short error for anything else. */
function decode(path: string, content: Buffer): unknown {
  if (content.length > MAX_FILE_SIZE) throw new Error('file too large for an OSV record');
  let text = content.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = text.trimStart()[0];
  if (first === '{') {
    try {
      return JSON.parse(text);
    } catch (e) {
      // V8's message quotes the input: keep it short
      throw new Error(`invalid JSON: ${(e as Error).message.slice(0, 120)}`);
    }
  }
  if (/\.ya?ml$/i.test(path)) return parseYaml(text);
  throw new Error('not an OSV record (neither a JSON object nor YAML)');
}

/** Parses one OSV record into one Advisory per affected package (none when withdrawn). */
export function parseOsv(path: string, content: Buffer, now = Date.now()): Advisory[] {
  const doc = decode(path, content);
  if (!isObj(doc)) throw new Error('an OSV record must be a mapping');
  const rawId = str(doc.id);
  if (!rawId || rawId.length > MAX_ID_LENGTH) throw new Error('an OSV record needs an "id"');
  if (isWithdrawn(doc.withdrawn, now)) return [];
  if (NOTICE_PREFIXES.some((p) => rawId.startsWith(p))) return [];
  const affected = list(doc.affected, 'affected');
  const cve = distroCveId(rawId);
  const id = cve ?? rawId;
  const aliasSet = new Set([
    ...strings(doc.aliases, 'aliases'),
    ...strings(doc.upstream, 'upstream'),
    ...(cve ? [rawId] : []),
  ]);
  aliasSet.delete(id);
  const dbs = isObj(doc.database_specific) ? doc.database_specific : {};
  const refSet = new Set<string>();
  for (const r of list(doc.references, 'references')) {
    const u = isObj(r) ? str(r.url) : undefined;
    if (u) refSet.add(u);
  }
  const references = [...refSet];
  const source = scorer(rawId);
  const common: Common = {
    id,
    aliases: [...aliasSet],
    title: str(doc.summary),
    description: str(doc.details),
    references,
    published: timestamp(doc.published),
    modified: timestamp(doc.modified),
    url:
      str(dbs.url) ??
      (rawId.startsWith('GHSA-') ? `https://github.com/advisories/${rawId}` : undefined) ??
      references.find((u) => u.endsWith(`/${rawId}`) || u.endsWith(`/${id}`)),
    ghsa: ghsaSeverity(dbs.severity),
    facts: { cvss: [] },
  };
  severityFacts(doc.severity, source, common.facts);
  const out: Advisory[] = [];
  for (const g of groupAffected(affected, source).values()) out.push(toAdvisory(g, common));
  return out;
}

/** The top-level keys of a JSON object's first bytes, and the "id" if it is a string. */
export function jsonTopKeys(head: string): { keys: Set<string>; id?: string } {
  const keys = new Set<string>();
  let id: string | undefined;
  let i = 0;
  while (i < head.length && (head[i] === ' ' || head[i] === '\n' || head[i] === '\r' || head[i] === '\t'))
    i++;
  if (head[i] !== '{') return { keys };
  let depth = 0;
  let last: string | undefined; // the string just read at depth 1
  let expectKey = false;
  let idNext = false;
  for (; i < head.length; i++) {
    const c = head[i];
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < head.length && head[j] !== '"') {
        if (head[j] === '\\') j++;
        else s += head[j];
        j++;
      }
      if (j >= head.length) break; // cut off inside a string
      if (depth === 1) {
        if (idNext) {
          id = s;
          idNext = false;
        }
        last = expectKey ? s : undefined;
      }
      i = j;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
      idNext = false;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) break;
    } else if (c === ':' && depth === 1 && last !== undefined) {
      keys.add(last);
      idNext = last === 'id';
      last = undefined;
      expectKey = false;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
      idNext = false;
    }
  }
  return { keys, id };
}

/** The keys at column 0 of a YAML text's first bytes, and the "id" value. */
export function yamlTopKeys(head: string): { keys: Set<string>; id?: string } {
  const keys = new Set<string>();
  let id: string | undefined;
  for (const raw of head.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(line.slice(0, colon))) continue;
    if (colon + 1 < line.length && line[colon + 1] !== ' ') continue;
    const key = line.slice(0, colon);
    keys.add(key);
    if (key === 'id')
      id = line
        .slice(colon + 1)
        .trim()
        .replace(/^["']|["']$/g, '');
  }
  return { keys, id };
}

/** "PYSEC-2021-1", "GHSA-xxxx-xxxx-xxxx", "GO-2022-0001", "UBUNTU-CVE-…": a prefix, a dash, more. */
function osvLikeId(id: string | undefined): boolean {
  if (!id) return false;
  const dash = id.indexOf('-');
  return dash > 0 && dash < id.length - 1 && /^[A-Za-z][A-Za-z0-9]*$/.test(id.slice(0, dash));
}

export function detectOsv(path: string, head: Buffer): boolean {
  const lower = path.toLowerCase();
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const first = text.trimStart()[0];
  let top: { keys: Set<string>; id?: string };
  if (first === '{') top = jsonTopKeys(text);
  else if (lower.endsWith('.yaml') || lower.endsWith('.yml')) top = yamlTopKeys(text);
  else return false;
  const { keys, id } = top;
  if (!id || !(keys.has('affected') || keys.has('modified'))) return false;
  return keys.has('schema_version') || osvLikeId(id);
}

export const osvImporter: Importer = {
  name: 'osv',
  detect: detectOsv,
  parse(path: string, content: Buffer): Iterable<FeedRecord> {
    return parseOsv(path, content).map((advisory) => ({ advisory }));
  },
};
