// ruby-advisory-db (the database bundler-audit reads): one YAML file per advisory,
// gems/<gem>/<CVE-…|GHSA-…|OSVDB-…>.yml, and rubies/<engine>/*.yml for Ruby interpreters.
//
// A gem advisory becomes one Advisory in the "gem" namespace for the gem as named on the registry:
// - id: "CVE-<cve>" when the file has a CVE, else "GHSA-<ghsa>", else the file name without ".yml";
//   the other identifiers (GHSA, "OSVDB-<n>") are aliases. `related:` ids are other vulnerabilities,
//   not aliases; `related.url` becomes the references.
// - ranges: one "unless" range holding every `patched_versions` then `unaffected_versions` entry
//   (bundler-audit's rule: affected unless some entry is satisfied; each entry is one
//   comma-separated RubyGems requirement). status "fixed" when there are patched versions, else
//   "affected" (every version not listed as unaffected).
// - severity: the file gives bare base scores, no vectors. The first of cvss_v3, cvss_v4, cvss_v2
//   present decides: v3/v4 on their scale (>= 9 CRITICAL, >= 7 HIGH, >= 4 MEDIUM, > 0 LOW), v2 on
//   NVD's v2 scale (>= 7 HIGH, >= 4 MEDIUM, else LOW; v2 has no CRITICAL); none, or a 0 score,
//   gives UNKNOWN. All scores go to `cvss` with an empty vector and version "3.x" for cvss_v3 (the
//   schema does not say 3.0 or 3.1), "4.0", "2.0".
// - `platform:` (e.g. jruby-only advisories, 14 files) has no place in the model and is ignored,
//   as are `framework:`, `library:` and `notes:`.
// Interpreter advisories (rubies/, an `engine:` key instead of `gem:`) are validated and skipped:
// they describe ruby/jruby/mruby builds, which drydock reports as OS packages (matched by the
// distro feeds) or not at all, never as gems.

import { isYamlMap, isYamlNull, parseYaml, type YamlValue, yamlScalar } from '../../util/yaml-lite.js';
import { severityOfScore } from '../cvss.js';
import type { Advisory, Cvss, FeedRecord, Importer, Severity } from '../types.js';

/** Real advisories are under 16 KiB; anything past this is not one. */
const MAX_FILE = 1 << 20;
/** Descriptions longer than this are cut (some quote whole upstream announcements). */
export const MAX_DESCRIPTION = 8 * 1024;
const MAX_LIST = 1000;

/** An optional list of scalars. */
function list(v: YamlValue | undefined, key: string): string[] {
  if (v === undefined || (typeof v === 'string' && isYamlNull(v.trim()))) return [];
  if (!Array.isArray(v)) throw new Error(`${key}: expected a list`);
  if (v.length > MAX_LIST) throw new Error(`${key}: more than ${MAX_LIST} entries`);
  const out: string[] = [];
  for (const item of v) {
    if (typeof item !== 'string') throw new Error(`${key}: expected a list of strings`);
    const t = item.trim();
    if (t === '') throw new Error(`${key}: empty entry`);
    out.push(t);
  }
  return out;
}

/** A CVSS score as written ("7.5", ".17"); undefined when absent; an error when not 0..10. */
function score(doc: Record<string, YamlValue>, key: string): number | undefined {
  const s = yamlScalar(doc, key);
  if (s === undefined) return undefined;
  const n = /^[0-9]{0,2}(?:\.[0-9]{1,3})?$/.test(s) ? Number(s) : Number.NaN;
  if (!(n >= 0 && n <= 10)) throw new Error(`${key}: bad score`);
  return n;
}

/** NVD's CVSS v2 rating (no CRITICAL band). */
export function severityOfV2Score(n: number): Severity {
  if (n >= 7) return 'HIGH';
  if (n >= 4) return 'MEDIUM';
  return n > 0 ? 'LOW' : 'UNKNOWN';
}

/** "2019-9837" or "CVE-2019-9837" -> "CVE-2019-9837"; likewise GHSA and OSVDB. */
function prefixed(prefix: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (/\s/.test(v)) throw new Error(`bad ${prefix} id`);
  return v.toUpperCase().startsWith(`${prefix}-`) ? `${prefix}${v.slice(prefix.length)}` : `${prefix}-${v}`;
}

function fileStem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

export function capDescription(text: string): string {
  const t = text.trim();
  return t.length > MAX_DESCRIPTION ? `${t.slice(0, MAX_DESCRIPTION).trimEnd()}…` : t;
}

/** The Advisory of one parsed gem advisory document, or undefined for an interpreter advisory. */
export function rubysecAdvisory(doc: YamlValue, path: string): Advisory | undefined {
  if (!isYamlMap(doc)) throw new Error('not a ruby-advisory-db advisory (expected a mapping)');
  const gem = yamlScalar(doc, 'gem');
  const engine = yamlScalar(doc, 'engine');
  if (gem === undefined && engine === undefined) throw new Error('missing "gem"');
  const patched = list(doc.patched_versions, 'patched_versions');
  const unaffected = list(doc.unaffected_versions, 'unaffected_versions');
  const cve = prefixed('CVE', yamlScalar(doc, 'cve'));
  const ghsa = prefixed('GHSA', yamlScalar(doc, 'ghsa'));
  const osvdb = prefixed('OSVDB', yamlScalar(doc, 'osvdb'));
  const v3 = score(doc, 'cvss_v3');
  const v4 = score(doc, 'cvss_v4');
  const v2 = score(doc, 'cvss_v2');
  const related = doc.related;
  if (related !== undefined && !isYamlMap(related) && !(typeof related === 'string' && isYamlNull(related)))
    throw new Error('related: expected a mapping');
  const references = isYamlMap(related) ? [...new Set(list(related.url, 'related.url'))] : [];
  if (gem === undefined) return undefined; // rubies/<engine>/: see the header
  if (/\s/.test(gem)) throw new Error('bad gem name');

  const ids = [cve, ghsa, osvdb].filter((x): x is string => x !== undefined);
  const id = cve ?? ghsa ?? fileStem(path);
  const aliases = ids.filter((x) => x !== id);

  const cvss: Cvss[] = [];
  if (v3 !== undefined) cvss.push({ source: 'rubysec', version: '3.x', vector: '', score: v3 });
  if (v4 !== undefined) cvss.push({ source: 'rubysec', version: '4.0', vector: '', score: v4 });
  if (v2 !== undefined) cvss.push({ source: 'rubysec', version: '2.0', vector: '', score: v2 });
  const severity: Severity =
    v3 !== undefined
      ? severityOfScore(v3)
      : v4 !== undefined
        ? severityOfScore(v4)
        : v2 !== undefined
          ? severityOfV2Score(v2)
          : 'UNKNOWN';

  const a: Advisory = {
    id,
    source: 'rubysec',
    namespace: 'gem',
    package: gem,
    status: patched.length > 0 ? 'fixed' : 'affected',
    ranges: [{ kind: 'unless', constraints: [...patched, ...unaffected] }],
    severity,
  };
  if (aliases.length) a.aliases = aliases;
  const title = yamlScalar(doc, 'title');
  if (title !== undefined) a.title = title;
  const description = yamlScalar(doc, 'description');
  if (description !== undefined) a.description = capDescription(description);
  if (cvss.length) a.cvss = cvss;
  if (references.length) a.references = references;
  const date = yamlScalar(doc, 'date');
  if (date !== undefined && /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(date)) a.published = date;
  const url = yamlScalar(doc, 'url');
  if (url !== undefined) a.url = url;
  return a;
}

export const rubysecImporter: Importer = {
  name: 'rubysec',

  detect(path: string, head: Buffer): boolean {
    if (!/\.ya?ml$/i.test(path)) return false;
    const text = head.toString('utf8');
    // Both kinds of advisory start with their gem or engine key (after "---").
    return /^(?:gem|engine):/m.test(text);
  },

  parse(path: string, content: Buffer): FeedRecord[] {
    if (content.length > MAX_FILE) throw new Error('file too large for an advisory');
    const doc = parseYaml(content.toString('utf8'), { maxDepth: 8, maxDocuments: 1 });
    const a = rubysecAdvisory(doc, path);
    return a ? [{ advisory: a }] : [];
  },
};
