// The NVD's CVE records in the CVE API 2.0 JSON shape: an API response page (or a feed file of the
// same shape) {resultsPerPage, format: "NVD_CVE", version: "2.0", vulnerabilities: [{cve: {...}}]}, or
// one cve object per file ({id, sourceIdentifier, published, lastModified, vulnStatus, ...}, as
// mirrors keep them). NVD says nothing about packages drydock can match, so only
// VulnerabilityDetail records come out: CVSS vectors and a fallback severity.
//
// - Rejected CVEs (vulnStatus "Rejected") are skipped.
// - cvss[]: every metric of metrics.cvssMetricV40/V31/V30/V2, source "nvd" for nvd@nist.gov, else
//   the source as NVD gives it (a CNA's e-mail address or domain).
// - severity: the baseSeverity (CRITICAL/HIGH/MEDIUM/LOW; v2's sits beside cvssData, not in it;
//   v4's NONE and anything else -> UNKNOWN) of the best metric: NVD's own (nvd@nist.gov) first,
//   then other "Primary" ones, then "Secondary" (a CNA's), and within each v3.1, v3.0, v4.0, v2.
//   No metric at all -> UNKNOWN.
// - description: the English one; published/modified: NVD's UTC timestamps with "Z" added.
// The NVD 1.1 feed shape (CVE_Items) was retired by NVD in 2023 and is refused with a clear error.

import { arr, isObj, str } from '../../util/json.js';
import type { Cvss, FeedRecord, Importer, Severity, VulnerabilityDetail } from '../types.js';

const SOURCE = 'nvd';
const NVD = 'nvd@nist.gov';
/** Metric lists in the order of preference for the severity. */
const METRICS: [key: string, version: string][] = [
  ['cvssMetricV31', '3.1'],
  ['cvssMetricV30', '3.0'],
  ['cvssMetricV40', '4.0'],
  ['cvssMetricV2', '2.0'],
];
const SEVERITIES = new Set(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']);

/** NVD writes UTC times without a zone ("2023-10-12T19:15:11.747"): say so. */
export function nvdTime(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?$/.test(s) ? `${s}Z` : s;
}

/** One cve object as a VulnerabilityDetail; undefined when rejected or without a CVE id. */
export function nvdDetail(cve: unknown): VulnerabilityDetail | undefined {
  if (!isObj(cve)) return undefined;
  const id = str(cve.id);
  if (!id || !/^CVE-\d{4}-\d{1,12}$/.test(id)) return undefined;
  if (str(cve.vulnStatus)?.toLowerCase() === 'rejected') return undefined;

  const cvss: Cvss[] = [];
  let best: { rank: number; severity: Severity } | undefined;
  const metrics = isObj(cve.metrics) ? cve.metrics : {};
  METRICS.forEach(([key, defaultVersion], versionRank) => {
    for (const m of arr(metrics[key])) {
      if (!isObj(m) || !isObj(m.cvssData)) continue;
      const data = m.cvssData;
      const vector = str(data.vectorString);
      if (!vector) continue;
      const source = str(m.source) ?? '';
      const c: Cvss = {
        source: source === NVD ? SOURCE : source || 'unknown',
        version: str(data.version) ?? defaultVersion,
        vector,
      };
      if (typeof data.baseScore === 'number') c.score = data.baseScore;
      cvss.push(c);
      const raw = str(data.baseSeverity) ?? str(m.baseSeverity);
      if (!raw) continue;
      const up = raw.toUpperCase();
      const severity: Severity = SEVERITIES.has(up) ? (up as Severity) : 'UNKNOWN';
      const who = source === NVD ? 0 : m.type === 'Primary' ? 1 : 2;
      const rank = who * METRICS.length + versionRank;
      if (!best || rank < best.rank) best = { rank, severity };
    }
  });

  const d: VulnerabilityDetail = { id, source: SOURCE, severity: best?.severity ?? 'UNKNOWN' };
  if (cvss.length > 0) d.cvss = cvss;
  let description: string | undefined;
  for (const x of arr(cve.descriptions)) {
    if (isObj(x) && x.lang === 'en') {
      description = str(x.value)?.trim() || undefined;
      if (description) break;
    }
  }
  if (description) d.description = description;
  const references: string[] = [];
  const seen = new Set<string>();
  for (const r of arr(cve.references)) {
    const url = isObj(r) ? str(r.url) : undefined;
    if (url && !seen.has(url)) {
      seen.add(url);
      references.push(url);
    }
  }
  if (references.length > 0) d.references = references;
  const published = nvdTime(cve.published);
  if (published) d.published = published;
  const modified = nvdTime(cve.lastModified);
  if (modified) d.modified = modified;
  return d;
}

/** The cve objects of a parsed NVD file, whichever of the two shapes it has. */
export function* nvdCves(doc: unknown): Iterable<unknown> {
  if (!isObj(doc)) throw new Error('not a JSON object');
  if (Array.isArray(doc.vulnerabilities)) {
    for (const v of doc.vulnerabilities) if (isObj(v)) yield v.cve;
    return;
  }
  if (doc.vulnerabilities !== undefined) throw new Error('"vulnerabilities" is not an array');
  if (doc.CVE_Items !== undefined)
    throw new Error('NVD 1.1 feeds (CVE_Items) are not supported: use the CVE API 2.0 format');
  if (typeof doc.id === 'string' && (doc.metrics !== undefined || doc.descriptions !== undefined)) {
    yield doc;
    return;
  }
  throw new Error('not an NVD CVE API 2.0 file (no "vulnerabilities" list or cve "id")');
}

export const nvdImporter: Importer = {
  name: SOURCE,
  detect(path: string, head: Buffer): boolean {
    if (!path.toLowerCase().endsWith('.json')) return false;
    const text = head.toString('latin1');
    // An API page or feed file.
    if (/"format"\s*:\s*"NVD_CVE"/.test(text)) return true;
    if (/"resultsPerPage"\s*:/.test(text) && /"vulnerabilities"\s*:/.test(text) && /"cve"\s*:/.test(text))
      return true;
    // The legacy feed, to refuse it with a clear message rather than ignore it.
    if (/"CVE_data_type"\s*:\s*"CVE"/.test(text) && /"CVE_Items"\s*:/.test(text)) return true;
    // One cve object: its id comes first, NVD's own fields follow.
    return (
      /^\s*\{\s*"id"\s*:\s*"CVE-\d{4}-\d+"/.test(text) && /"(?:sourceIdentifier|vulnStatus)"\s*:/.test(text)
    );
  },
  *parse(_path: string, content: Buffer): Iterable<FeedRecord> {
    let doc: unknown;
    try {
      doc = JSON.parse(content.toString('utf8'));
    } catch (e) {
      throw new Error(`invalid JSON: ${(e as Error).message.slice(0, 120)}`);
    }
    for (const cve of nvdCves(doc)) {
      const detail = nvdDetail(cve);
      if (detail) yield { detail };
    }
  },
};
