// Facts about findings that the SARIF and CycloneDX vulnerability writers share: severity order,
// CVSS scores, and which feed-supplied strings are safe to write where a format demands a URI or a
// date-time (feeds are third-party data: a malformed value is left out, never written as is).

import type { Finding } from '../match/match.js';
import { cvss3BaseScore } from '../vulndb/cvss.js';
import type { Cvss, Severity } from '../vulndb/types.js';

const RANK: Record<Severity, number> = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, LOW: 1, UNKNOWN: 0 };

/** The more severe of two severities. */
export function worse(a: Severity, b: Severity): Severity {
  return RANK[b] > RANK[a] ? b : a;
}

/** A CVSS entry's base score: the feed's own, else computed from a v3.x vector. */
export function cvssScore(c: Cvss): number | undefined {
  if (typeof c.score === 'number' && Number.isFinite(c.score) && c.score >= 0 && c.score <= 10)
    return c.score;
  return c.version.startsWith('3') ? cvss3BaseScore(c.vector) : undefined;
}

/** The highest CVSS base score of the findings, if any has one. */
export function highestScore(findings: readonly Finding[]): number | undefined {
  let best: number | undefined;
  for (const f of findings)
    for (const c of f.cvss) {
      const s = cvssScore(c);
      if (s !== undefined && (best === undefined || s > best)) best = s;
    }
  return best;
}

/** An absolute http(s) URL from a feed, normalised; undefined for anything else. */
export function webUrl(s: string | undefined): string | undefined {
  if (!s || s.length > 2048) return undefined;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A feed's timestamp as an RFC 3339 date-time (what JSON Schema's "date-time" accepts): kept when
 * it already is one, converted when it is another form Date understands ("2023-01-02"), else dropped.
 */
export function dateTime(s: string | undefined): string | undefined {
  if (!s || s.length > 64) return undefined;
  if (RFC3339.test(s) && Number.isFinite(Date.parse(s))) return s;
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}
