// The Debian security tracker's advisory lists: data/DSA/list (Debian Security Advisories), data/DLA/list
// (LTS advisories) and data/DTSA/list (the old testing-security advisories). Plain text, newest first:
//
//   [29 Mar 2023] DSA-5380-1 xorg-server - security update          <- header: [date] ID title
//   	{CVE-2023-1393}                                               <- the CVEs it fixes
//   	[bullseye] - xorg-server 2:1.20.11-1+deb11u6                  <- [release] - source-package version
//   	[woody] - mailman <not-affected> (Vulnerable code not present) <- or a <tag> instead of a version
//   	NOTE: fixed in testing at time of DSA                         <- notes, ignored
//
// Dates are "01 Aug 2002" or, in DTSA/list, "August 26th, 2005". Old entries append a "(bug #n; medium)"
// note to the version, naming the urgency. Tags seen: <not-affected>, <unfixed>, <end-of-life>; the
// tracker's other package tags are accepted too.
//
// One Advisory per (CVE x source package x release), so that matching by CVE works like the tracker
// JSON: id = the CVE, aliases = the DSA/DLA ids that list it, source "debian-dsa". An advisory listing no
// CVE (regression updates, old DSAs) gives records with its own id (DSA-5356-2) and no aliases. When
// several advisories name the same CVE, package and release (regression updates repeat the CVEs), the
// lowest fixed version is kept: the first release that fixed the CVE; a fixed version wins over a tag.
// Status: a version -> fixed; <not-affected> -> not_affected; <unfixed> -> affected; <end-of-life> ->
// end_of_life; <no-dsa>, <ignored> -> will_not_fix; <postponed> -> fix_deferred; <undetermined> ->
// under_investigation. Severity only where the line names an urgency (low/medium/high/unimportant);
// none otherwise. Namespaces as in debian-tracker.ts (etch -> "debian:4"...).

import { debScheme } from '../../version/deb.js';
import type { Advisory, FeedRecord, Importer, Severity, Status } from '../types.js';
import { debianNamespace, urgencySeverity } from './debian-tracker.js';
import { keepLowestFix } from './lowest-fix.js';

const SOURCE = 'debian-dsa';

/** Longest line read: the longest real one (a CVE list) is about 1.5 KB. */
const MAX_LINE = 64 * 1024;

const ADVISORY_ID = /^(?:DSA|DLA|DTSA)-\d{1,6}(?:-\d{1,4})?$/;
const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
const PACKAGE = /^[A-Za-z0-9][A-Za-z0-9+.~_-]{0,199}$/;
const RELEASE = /^\[([a-z][a-z0-9-]{0,31})\] - (\S+)(.*)$/;

const TAGS: Readonly<Record<string, Status>> = {
  'not-affected': 'not_affected',
  unfixed: 'affected',
  'end-of-life': 'end_of_life',
  'no-dsa': 'will_not_fix',
  ignored: 'will_not_fix',
  postponed: 'fix_deferred',
  undetermined: 'under_investigation',
};

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

/** "29 Mar 2023" or "August 26th, 2005" -> "2023-03-29"; undefined when it is neither. */
export function parseListDate(s: string): string | undefined {
  const t = s.replace(',', ' ').trim().split(/\s+/);
  if (t.length !== 3) return undefined;
  const [a, b, c] = t as [string, string, string];
  let day: string;
  let month: number | undefined;
  if (/^\d{1,2}$/.test(a)) {
    day = a;
    month = MONTHS[b.slice(0, 3).toLowerCase()];
  } else {
    const m = /^(\d{1,2})(?:st|nd|rd|th)?$/.exec(b);
    if (!m) return undefined;
    day = m[1] as string;
    month = MONTHS[a.slice(0, 3).toLowerCase()];
  }
  if (!month || !/^\d{4}$/.test(c) || Number(day) < 1 || Number(day) > 31) return undefined;
  return `${c}-${String(month).padStart(2, '0')}-${day.padStart(2, '0')}`;
}

export interface ListEntry {
  release: string;
  package: string;
  status: Status;
  fixed?: string;
  severity?: Severity;
}

/** `[bullseye] - xorg-server 2:1.20.11-1+deb11u6 (medium)` (already trimmed). Throws when malformed. */
export function parseEntryLine(line: string): ListEntry {
  const m = RELEASE.exec(line);
  if (!m) throw new Error('bad package line');
  const [, release, pkg, rest] = m as unknown as [string, string, string, string];
  if (!PACKAGE.test(pkg)) throw new Error(`bad package name ${JSON.stringify(pkg.slice(0, 40))}`);
  let text = rest.trim();
  let note = '';
  const open = text.indexOf('(');
  if (open >= 0) {
    if (!text.endsWith(')')) throw new Error('unterminated note');
    note = text.slice(open + 1, -1);
    text = text.slice(0, open).trim();
  }
  const entry: ListEntry = { release, package: pkg, status: 'fixed' };
  if (text.startsWith('<')) {
    if (!text.endsWith('>')) throw new Error('bad tag');
    const tag = text.slice(1, -1);
    const status = Object.hasOwn(TAGS, tag) ? TAGS[tag] : undefined;
    if (!status) throw new Error(`unknown tag <${tag.slice(0, 40)}>`);
    entry.status = status;
  } else {
    if (text === '' || /\s/.test(text)) throw new Error('expected one version');
    entry.fixed = text;
  }
  // "(medium)", "(bug #332424; medium)": an urgency among the ";"-separated parts
  for (const part of note.split(';')) {
    const sev = urgencySeverity(part);
    if (sev !== 'UNKNOWN') entry.severity = sev;
  }
  return entry;
}

interface Header {
  id: string;
  title: string;
  published?: string;
  cves: string[];
  entries: ListEntry[];
}

/** The advisories of a list, in file order. Throws at the first malformed line. */
export function parseList(text: string): Header[] {
  const out: Header[] = [];
  let cur: Header | undefined;
  let n = 0;
  let start = 0;
  if (text.charCodeAt(0) === 0xfeff) start = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    if (end - start > MAX_LINE) throw new Error(`line ${n}: longer than ${MAX_LINE} characters`);
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const body = line.trim();
    if (body === '') continue;
    try {
      if (line[0] === '[') {
        const close = line.indexOf(']');
        if (close < 0) throw new Error('bad header');
        const after = line.slice(close + 1).trim();
        const sp = after.search(/\s/);
        const id = sp < 0 ? after : after.slice(0, sp);
        if (!ADVISORY_ID.test(id)) throw new Error(`bad advisory id ${JSON.stringify(id.slice(0, 40))}`);
        cur = { id, title: sp < 0 ? '' : after.slice(sp).trim(), cves: [], entries: [] };
        const date = parseListDate(line.slice(1, close));
        if (date) cur.published = date;
        out.push(cur);
      } else if (line[0] !== ' ' && line[0] !== '\t') {
        throw new Error('unexpected text');
      } else if (!cur) {
        throw new Error('indented line before the first advisory');
      } else if (body[0] === '{') {
        if (!body.endsWith('}')) throw new Error('unterminated {...}');
        for (const tok of body.slice(1, -1).trim().split(/\s+/)) {
          if (CVE_ID.test(tok) && !cur.cves.includes(tok)) cur.cves.push(tok);
        }
      } else if (body[0] === '[') {
        cur.entries.push(parseEntryLine(body));
      } else if (!body.startsWith('NOTE:')) {
        throw new Error('unexpected text');
      }
    } catch (e) {
      throw new Error(`line ${n}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** The records of a parsed list: one per (CVE or advisory id, package, release), merged as described above. */
export function listRecords(headers: Header[]): Advisory[] {
  const byKey = new Map<string, Advisory>();
  for (const h of headers) {
    const ids = h.cves.length ? h.cves : [h.id];
    for (const e of h.entries) {
      const namespace = debianNamespace(e.release);
      for (const id of ids) {
        const key = `${id}\0${namespace}\0${e.package}`;
        const next: Advisory = {
          id,
          source: SOURCE,
          namespace,
          package: e.package,
          status: e.status,
          url: `https://security-tracker.debian.org/tracker/${h.id}`,
        };
        if (e.fixed !== undefined) next.fixed = e.fixed;
        if (e.severity) next.severity = e.severity;
        if (h.title) next.title = h.title;
        if (h.published) next.published = h.published;
        if (id !== h.id) next.aliases = [h.id];
        // the file is newest first: the earlier entry stays unless a later one has a lower fix
        keepLowestFix(byKey, key, next, debScheme);
      }
    }
  }
  return [...byKey.values()];
}

/** First non-empty line: `[date] DSA-n(-n) ...`. */
const HEAD = /^\[[^\]\n]{1,40}\] (?:DSA|DLA|DTSA)-\d/;

export const debianDsaImporter: Importer = {
  name: SOURCE,
  detect(_path: string, head: Buffer): boolean {
    let text = head.toString('utf8', 0, Math.min(head.length, 4096));
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return HEAD.test(text.trimStart());
  },
  *parse(_path: string, content: Buffer): Iterable<FeedRecord> {
    if (content.includes(0)) throw new Error('binary data, not a DSA/DLA list');
    for (const advisory of listRecords(parseList(content.toString('utf8')))) yield { advisory };
  },
};
