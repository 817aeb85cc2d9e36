// The vulnerability step of a scan: open the local database (never downloading anything here),
// match, filter, and say so loudly when there is no database rather than report zero findings.

import { existsSync } from 'node:fs';
import { debug } from '../log.js';
import { type AdvisorySource, type Finding, lookupOf, matchPackages, osNamespace } from '../match/match.js';
import { isPostgresUrl } from '../vulndb/pg-url.js';
import { type StoreStatus, VulnStore } from '../vulndb/store.js';
import type { Severity, Status } from '../vulndb/types.js';
import { applyIgnore, type IgnoreRules } from './ignore.js';
import type { ScanResult } from './scan.js';
import { applyVex, type VexDocument } from './vex.js';

export interface VulnOptions {
  dbPath: string;
  /** Only these severities are reported (default: all). */
  severities?: Severity[];
  /** Drop findings that have no fixed version. */
  ignoreUnfixed?: boolean;
  /** Drop findings with these statuses. */
  ignoreStatuses?: Status[];
  /** Accepted findings (--ignorefile, .drydockignore, .trivyignore), applied after the filters. */
  ignore?: IgnoreRules;
  /** VEX documents (--vex), applied after the ignore file. */
  vex?: VexDocument[];
  now?: Date;
  /** A database older than this gives a warning (default 7 days). */
  staleAfterMs?: number;
}

/** Adds `vulnerabilities` (and any warnings) to the scan result. */
export async function addVulnerabilities(r: ScanResult, o: VulnOptions): Promise<void> {
  if (isPostgresUrl(o.dbPath)) {
    const { PgStore } = await import('../vulndb/pg-store.js');
    const pg = await PgStore.open(o.dbPath);
    try {
      const st = await pg.status();
      const osNs = osNamespace(r.os);
      const lookups = r.packages.flatMap((p) => {
        const l = lookupOf(p, osNs);
        return l ? [{ namespace: l.namespace, name: l.name }] : [];
      });
      finish(r, o, st, await pg.source(lookups));
    } finally {
      await pg.close();
    }
    return;
  }
  if (!existsSync(o.dbPath)) {
    r.warnings.push(
      `no vulnerability database at ${o.dbPath}: only the inventory is reported — run "drydock db import" or "drydock db update"`,
    );
    return;
  }
  const store = VulnStore.open(o.dbPath, { readonly: true });
  try {
    finish(r, o, store.status(), store);
  } finally {
    store.close();
  }
}

/** Staleness warnings, matching and filters: the same for both database engines. */
function finish(r: ScanResult, o: VulnOptions, st: StoreStatus, source: AdvisorySource): void {
  if (st.advisories === 0) r.warnings.push(`the vulnerability database ${st.path} holds no advisories`);
  const built = st.builtAt ? Date.parse(st.builtAt) : Number.NaN;
  const now = (o.now ?? new Date()).getTime();
  if (Number.isFinite(built) && now - built > (o.staleAfterMs ?? 7 * 86_400_000))
    r.warnings.push(
      `the vulnerability database was last updated on ${st.builtAt?.slice(0, 10)}: findings may be missing — run "drydock db update"`,
    );
  const m = matchPackages(r.packages, r.os, source);
  r.warnings.push(...m.warnings);
  r.vulnerabilities = suppress(filterFindings(m.findings, o), o);
}

/** Drops what the ignore file and the VEX documents suppress (Trivy's order); counts go to --debug. */
export function suppress(findings: Finding[], o: Pick<VulnOptions, 'ignore' | 'vex' | 'now'>): Finding[] {
  let kept = findings;
  if (o.ignore) {
    const r = applyIgnore(kept, o.ignore, o.now ?? new Date());
    kept = r.kept;
    debug(
      `vuln: ${r.suppressed.length} finding(s) suppressed by ${o.ignore.file}` +
        (r.expired ? `, ${r.expired} named only by expired entries and kept` : ''),
    );
  }
  if (o.vex?.length) {
    const r = applyVex(kept, o.vex);
    kept = r.kept;
    debug(`vuln: ${r.suppressed.length} finding(s) suppressed by VEX`);
  }
  return kept;
}

export function filterFindings(findings: Finding[], o: Omit<VulnOptions, 'dbPath'>): Finding[] {
  return findings.filter(
    (f) =>
      (!o.severities || o.severities.includes(f.severity)) &&
      (!o.ignoreUnfixed || f.fixedVersion !== undefined) &&
      !o.ignoreStatuses?.includes(f.status),
  );
}
