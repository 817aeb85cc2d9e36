// RustSec advisory-db: crates/<crate>/RUSTSEC-YYYY-NNNN.md, Markdown whose first lines are a
// ```toml fenced block (the "front matter": [advisory], [versions], [affected]), then a "# Title"
// heading and the description.
//
// Each crate advisory becomes one Advisory in the "cargo" namespace for the crate:
// - id: the RUSTSEC id; `aliases` (CVE, GHSA) are kept, so the store can join it with other feeds.
//   `related` ids are other vulnerabilities and are dropped; `references` are kept.
// - ranges: one "unless" range holding every `patched` then `unaffected` requirement (Cargo
//   syntax, comma = AND; affected unless one of them holds), status "fixed" when `patched` is
//   non-empty, else "affected". [affected] (functions, os, arch) narrows the scope below the
//   package and is ignored: a crate in the lock file is reported whatever it calls.
// - severity: from the `cvss` vector's base score (CVSS v3.0/v3.1, computed per FIRST's formula;
//   >= 9 CRITICAL, >= 7 HIGH, >= 4 MEDIUM, > 0 LOW); UNKNOWN with no vector or a CVSS v4.0 one (kept
//   in `cvss` without a score).
// - title: the first heading after the front matter; description: the text after it, trimmed and
//   cut at 8 KiB; date: published.
// Skipped (no record): withdrawn advisories; informational "unmaintained" and "notice" advisories
// (no vulnerability: cargo-audit prints them as warnings) and any other informational kind except
// "unsound", which is kept as a regular advisory (soundness bugs are reported like vulnerabilities,
// usually without CVSS, hence UNKNOWN); advisories whose id is not a RUSTSEC id (the rust/ folder:
// CVEs in std, cargo and rustdoc, the toolchain rather than a crate); the template's placeholder
// RUSTSEC-0000-0000.

import { isTomlTable, parseToml, type TomlTable, type TomlValue } from '../../util/toml-lite.js';
import { cvss3BaseScore, severityOfScore } from '../cvss.js';
import type { Advisory, Cvss, FeedRecord, Importer, Severity } from '../types.js';

const MAX_FILE = 1 << 20;
const MAX_FRONT_MATTER = 64 * 1024;
export const MAX_DESCRIPTION = 8 * 1024;
const MAX_LIST = 1000;

const RUSTSEC_ID = /^RUSTSEC-[0-9]{4}-[0-9]{4,}$/;
const CRATE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Splits "```toml\n…\n```\nmarkdown" into the TOML text and the Markdown after it. */
export function splitFrontMatter(text: string): { toml: string; body: string } {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstEnd = s.indexOf('\n');
  const first = (firstEnd < 0 ? s : s.slice(0, firstEnd)).trim();
  if (first !== '```toml') throw new Error('no ```toml front matter');
  // The fence closes at the first line that is only ```. Such a line inside a multi-line TOML
  // string would cut the TOML short, which then fails to parse: an error, never a misread.
  let at = firstEnd + 1;
  while (at > 0 && at <= s.length) {
    const nl = s.indexOf('\n', at);
    const line = (nl < 0 ? s.slice(at) : s.slice(at, nl)).trim();
    if (line === '```') return { toml: s.slice(firstEnd + 1, at), body: nl < 0 ? '' : s.slice(nl + 1) };
    if (at - firstEnd > MAX_FRONT_MATTER) break;
    if (nl < 0) break;
    at = nl + 1;
  }
  throw new Error('unterminated ```toml front matter');
}

/** The first Markdown heading ("# Title") and the text after it. */
export function titleAndDescription(body: string): { title?: string; description?: string } {
  let at = 0;
  while (at < body.length) {
    const nl = body.indexOf('\n', at);
    const line = nl < 0 ? body.slice(at) : body.slice(at, nl);
    let h = 0;
    while (h < line.length && h < 7 && line[h] === '#') h++;
    if (h >= 1 && h <= 6 && (line[h] === ' ' || line[h] === '\t')) {
      const title = line.slice(h).trim();
      const rest = (nl < 0 ? '' : body.slice(nl + 1)).trim();
      const out: { title?: string; description?: string } = {};
      if (title) out.title = title;
      if (rest)
        out.description =
          rest.length > MAX_DESCRIPTION ? `${rest.slice(0, MAX_DESCRIPTION).trimEnd()}…` : rest;
      return out;
    }
    if (nl < 0) break;
    at = nl + 1;
  }
  return {};
}

function str(t: TomlTable, key: string, where: string): string | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  // Dates may be TOML date literals (date = 2021-01-31) or strings.
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && !isTomlTable(v)) return String(v);
  throw new Error(`${where}.${key}: expected a string`);
}

function strings(t: TomlTable, key: string, where: string): string[] {
  const v: TomlValue | undefined = t[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`${where}.${key}: expected an array`);
  if (v.length > MAX_LIST) throw new Error(`${where}.${key}: too many entries`);
  return v.map((x) => {
    if (typeof x !== 'string') throw new Error(`${where}.${key}: expected strings`);
    const s = x.trim();
    if (s === '') throw new Error(`${where}.${key}: empty entry`);
    return s;
  });
}

function cvssOf(vector: string): { cvss: Cvss; severity: Severity } {
  if (vector.startsWith('CVSS:3.0/') || vector.startsWith('CVSS:3.1/')) {
    const score = cvss3BaseScore(vector);
    if (score === undefined) throw new Error('advisory.cvss: bad CVSS vector');
    return {
      cvss: { source: 'rustsec', version: vector.slice(5, 8), vector, score },
      severity: severityOfScore(score),
    };
  }
  if (vector.startsWith('CVSS:4.0/')) {
    return { cvss: { source: 'rustsec', version: '4.0', vector }, severity: 'UNKNOWN' };
  }
  throw new Error('advisory.cvss: not a CVSS v3 or v4 vector');
}

/** The Advisory of one RustSec file, or undefined when it is skipped (see the header). */
export function rustsecAdvisory(text: string): Advisory | undefined {
  const { toml, body } = splitFrontMatter(text);
  const doc = parseToml(toml, { maxDepth: 8, maxValues: 10_000 });
  const adv = doc.advisory;
  if (!isTomlTable(adv)) throw new Error('missing [advisory]');
  const id = str(adv, 'id', 'advisory');
  const pkg = str(adv, 'package', 'advisory');
  if (!id) throw new Error('missing advisory.id');
  if (!pkg) throw new Error('missing advisory.package');
  const versions = doc.versions;
  if (versions !== undefined && !isTomlTable(versions)) throw new Error('[versions]: expected a table');
  const patched = versions ? strings(versions, 'patched', 'versions') : [];
  const unaffected = versions ? strings(versions, 'unaffected', 'versions') : [];
  const aliases = strings(adv, 'aliases', 'advisory');
  const references = strings(adv, 'references', 'advisory');
  const vector = str(adv, 'cvss', 'advisory');
  const c = vector ? cvssOf(vector) : undefined;
  const informational = str(adv, 'informational', 'advisory');

  if (str(adv, 'withdrawn', 'advisory') !== undefined) return undefined;
  if (informational !== undefined && informational !== 'unsound') return undefined;
  if (!RUSTSEC_ID.test(id) || id === 'RUSTSEC-0000-0000') return undefined;
  if (!CRATE_NAME.test(pkg)) throw new Error('advisory.package: bad crate name');

  const a: Advisory = {
    id,
    source: 'rustsec',
    namespace: 'cargo',
    package: pkg,
    status: patched.length > 0 ? 'fixed' : 'affected',
    ranges: [{ kind: 'unless', constraints: [...patched, ...unaffected] }],
    severity: c?.severity ?? 'UNKNOWN',
  };
  const others = [...new Set(aliases)].filter((x) => x !== id);
  if (others.length) a.aliases = others;
  const { title, description } = titleAndDescription(body);
  if (title !== undefined) a.title = title;
  if (description !== undefined) a.description = description;
  if (c) a.cvss = [c.cvss];
  if (references.length) a.references = references;
  const date = str(adv, 'date', 'advisory');
  if (date) a.published = date;
  const url = str(adv, 'url', 'advisory');
  if (url) a.url = url;
  return a;
}

export const rustsecImporter: Importer = {
  name: 'rustsec',

  detect(path: string, head: Buffer): boolean {
    if (!path.toLowerCase().endsWith('.md')) return false;
    const text = head.toString('utf8');
    return /^\uFEFF?```toml[ \t]*\r?\n/.test(text) && /^\[advisory\][ \t]*\r?$/m.test(text);
  },

  parse(_path: string, content: Buffer): FeedRecord[] {
    if (content.length > MAX_FILE) throw new Error('file too large for an advisory');
    const a = rustsecAdvisory(content.toString('utf8'));
    return a ? [{ advisory: a }] : [];
  },
};
