// A scan with its vulnerabilities as one CycloneDX 1.6 BOM: the inventory BOM `drydock sbom` writes,
// plus vulnerabilities[], one per finding (a vulnerability in one package), each pointing at its
// package's component by bom-ref.

import type { Package } from '../inventory/packages.js';
import type { Finding } from '../match/match.js';
import type { WriteOptions } from '../sbom/common.js';
import { toCycloneDX } from '../sbom/cyclonedx.js';
import type { ScanResult } from '../scan/scan.js';
import { severityOfScore } from '../vulndb/cvss.js';
import type { Cvss, Severity } from '../vulndb/types.js';
import { cvssScore, dateTime, webUrl } from './vuln-facts.js';

type Json = Record<string, unknown>;

/** drydock's facts about a finding that CycloneDX has no field for, as vulnerability properties. */
export const VULN_PROP = {
  status: 'drydock:status',
  fixedVersion: 'drydock:fixedVersion',
  why: 'drydock:why',
} as const;

/** CycloneDX's scoring methods for the CVSS versions feeds give. */
function method(version: string): string {
  if (version === '3.1') return 'CVSSv31';
  if (version.startsWith('3')) return 'CVSSv3';
  if (version.startsWith('2')) return 'CVSSv2';
  if (version.startsWith('4')) return 'CVSSv4';
  return 'other';
}

/** The qualitative rating of a base score, on the scale of its CVSS version (v2 has no critical). */
function ratingOf(version: string, score: number): Severity {
  if (!version.startsWith('2')) return severityOfScore(score);
  return score >= 7 ? 'HIGH' : score >= 4 ? 'MEDIUM' : 'LOW';
}

function cvssRating(c: Cvss): Json {
  const out: Json = { source: { name: c.source } };
  const score = cvssScore(c);
  if (score !== undefined) {
    out.score = score;
    out.severity = ratingOf(c.version, score).toLowerCase();
  }
  out.method = method(c.version);
  out.vector = c.vector;
  return out;
}

/** The id's issuer, from its prefix ("GHSA-..." -> "ghsa", "CVE-..." -> "cve"). */
function issuer(id: string): string {
  const i = id.indexOf('-');
  return (i > 0 ? id.slice(0, i) : id).toLowerCase();
}

function vulnerability(f: Finding, ref: string): Json {
  const v: Json = { id: f.id };
  const source: Json = { name: f.dataSource };
  const url = webUrl(f.url);
  if (url) source.url = url;
  v.source = source;
  if (f.aliases.length) v.references = f.aliases.map((id) => ({ id, source: { name: issuer(id) } }));
  // The severity drydock reports (the vendor's, or NVD's when the vendor gave none) comes first;
  // then every CVSS score. A vendor severity restated by its own CVSS score is not repeated.
  const ratings = f.cvss.map(cvssRating);
  const severity = f.severity.toLowerCase();
  if (!ratings.some((r) => (r.source as Json).name === f.severitySource && r.severity === severity))
    ratings.unshift({ source: { name: f.severitySource }, severity });
  v.ratings = ratings;
  const description = f.title ?? f.description;
  if (description) v.description = description;
  if (f.title && f.description) v.detail = f.description;
  if (f.fixedVersion && f.status === 'fixed') v.recommendation = `Upgrade ${f.pkg.name} to ${f.fixedVersion}`;
  const advisories = [...new Set([url, ...(f.references ?? []).map(webUrl)])].filter(
    (u): u is string => u !== undefined,
  );
  if (advisories.length) v.advisories = advisories.map((u) => ({ url: u }));
  const published = dateTime(f.published);
  if (published) v.published = published;
  const updated = dateTime(f.modified);
  if (updated) v.updated = updated;
  v.affects = [{ ref, versions: [{ version: f.installedVersion, status: 'affected' }] }];
  const props: { name: string; value: string }[] = [{ name: VULN_PROP.status, value: f.status }];
  if (f.fixedVersion) props.push({ name: VULN_PROP.fixedVersion, value: f.fixedVersion });
  props.push({ name: VULN_PROP.why, value: f.why });
  v.properties = props;
  return v;
}

/**
 * The inventory BOM of the scan with `vulnerabilities` added. A scan that did not match (no
 * database, --scanners none) has no vulnerabilities array at all; one that matched nothing has an
 * empty one.
 */
export function toCycloneDXWithVulns(
  r: ScanResult,
  opts: WriteOptions,
  groupLabels?: Record<string, string>,
): Json {
  const refOf = new Map<Package, string>();
  const bom = toCycloneDX(r, opts, groupLabels, refOf);
  if (!r.vulnerabilities) return bom;
  const vulns: Json[] = [];
  for (const f of r.vulnerabilities) {
    const ref = refOf.get(f.pkg);
    // Every finding's package is in the inventory; a stray one is skipped, never a dangling ref.
    if (ref) vulns.push(vulnerability(f, ref));
  }
  bom.vulnerabilities = vulns;
  return bom;
}
