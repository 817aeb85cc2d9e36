// Matching packages against the vulnerability store. OS packages are matched only against their
// vendor's data: Debian/Ubuntu by source package and source version (reported per binary
// package), Alpine by origin, rpm distros by binary name with epoch and modularity stream.
// Language packages by ecosystem + name + the advisory's ranges. Never by NVD product names.

import type { OSInfo } from '../inventory/os.js';
import type { Package } from '../inventory/packages.js';
import { normalizePythonName } from '../inventory/purl.js';
import { LANG_ECOSYSTEM, SCHEMES } from '../version/index.js';
import type { VersionScheme } from '../version/types.js';
import type { Advisory, AffectedRange, Cvss, Severity, Status } from '../vulndb/types.js';

/** The store queries the matcher needs (VulnStore implements them). */
export interface AdvisorySource {
  advisoriesFor(namespace: string, pkg: string): Advisory[];
  detailsFor(
    id: string,
  ): { source: string; severity?: Severity; cvss?: Cvss[]; title?: string; description?: string }[];
}

export interface Finding {
  id: string;
  aliases: string[];
  pkg: Package;
  installedVersion: string;
  fixedVersion?: string;
  status: Status;
  severity: Severity;
  /** Whose severity: the advisory's source, or "nvd" when the vendor gave none. */
  severitySource: string;
  cvss: Cvss[];
  title?: string;
  description?: string;
  references?: string[];
  published?: string;
  modified?: string;
  url?: string;
  /** The feed the advisory came from. */
  dataSource: string;
  namespace: string;
  /** Why it matched, in words ("source package openssl 3.0.9-1 < fixed 3.0.11-1 (debian:12)"). */
  why: string;
}

/** The namespace OS packages are looked up in, from the detected OS; undefined if we have no data for it. */
export function osNamespace(os: OSInfo | undefined): string | undefined {
  if (!os) return undefined;
  const v = os.name;
  const major = v.split('.')[0] ?? v;
  switch (os.family) {
    case 'debian':
      return /^\d+/.test(v) ? `debian:${major}` : undefined;
    case 'ubuntu':
      return `ubuntu:${v.split('.').slice(0, 2).join('.')}`;
    case 'alpine':
      return `alpine:${v.split('.').slice(0, 2).join('.')}`;
    case 'redhat':
    case 'centos':
      return `redhat:${major}`;
    case 'wolfi':
    case 'chainguard':
      return os.family;
    default:
      return `${os.family}:${major}`;
  }
}

const OS_SCHEME: Record<string, string> = { deb: 'deb', apk: 'apk', rpm: 'rpm' };

/** Whether `version` lies in one range, per the scheme. Throws VersionError on unparsable data. */
export function inRange(scheme: VersionScheme, version: string, r: AffectedRange): boolean {
  switch (r.kind) {
    case 'events': {
      if (r.introduced && r.introduced !== '0' && scheme.compare(version, r.introduced) < 0) return false;
      if (r.fixed) return scheme.compare(version, r.fixed) < 0;
      if (r.lastAffected) return scheme.compare(version, r.lastAffected) <= 0;
      if (r.limit) return scheme.compare(version, r.limit) < 0;
      return true;
    }
    case 'constraint':
      return scheme.satisfies ? scheme.satisfies(version, r.constraint) : false;
    case 'unless':
      return scheme.satisfies ? !r.constraints.some((c) => scheme.satisfies?.(version, c)) : false;
    case 'versions':
      return r.versions.some((v) => scheme.valid(v) && scheme.compare(version, v) === 0);
  }
}

/** The first fixed version a set of ranges names above `version`, for the report. */
function fixedOf(scheme: VersionScheme, version: string, ranges: AffectedRange[]): string | undefined {
  const fixes: string[] = [];
  for (const r of ranges) if (r.kind === 'events' && r.fixed && scheme.valid(r.fixed)) fixes.push(r.fixed);
  const above = fixes.filter((f) => scheme.compare(f, version) > 0).sort((a, b) => scheme.compare(a, b));
  return above[0] ?? (fixes.length > 0 ? fixes.join(', ') : undefined);
}

export interface Lookup {
  namespace: string;
  name: string;
  version: string;
  scheme: VersionScheme;
  what: string;
}

export function lookupOf(p: Package, osNs: string | undefined): Lookup | undefined {
  const os = OS_SCHEME[p.type];
  if (os) {
    if (!osNs) return undefined;
    const scheme = SCHEMES[os] as VersionScheme;
    if (p.type === 'deb')
      return {
        namespace: osNs,
        name: p.srcName ?? p.name,
        version: p.srcVersion ?? p.version,
        scheme,
        what: 'source package',
      };
    if (p.type === 'apk')
      return { namespace: osNs, name: p.srcName ?? p.name, version: p.version, scheme, what: 'origin' };
    return { namespace: osNs, name: p.name, version: p.version, scheme, what: 'package' };
  }
  const eco = LANG_ECOSYSTEM[p.type];
  if (!eco) return undefined;
  const scheme = SCHEMES[eco] as VersionScheme;
  let name = p.name;
  if (eco === 'pypi') name = normalizePythonName(name);
  else if (eco === 'composer') name = name.toLowerCase();
  return { namespace: eco, name, version: p.version, scheme, what: p.type };
}

export interface Verdict {
  affected: boolean;
  fixed?: string;
  /** Why the package is (or is not) affected, in words. */
  why: string;
}

/** Whether one advisory affects one looked-up package. Throws VersionError on unparsable data. */
export function judge(a: Advisory, l: Lookup): Verdict {
  const who = `${l.what} ${l.name} ${l.version}`;
  const where = `(${l.namespace}, ${a.source})`;
  if (a.status === 'not_affected')
    return { affected: false, why: `${l.what} ${l.name}: not affected ${where}` };
  if (a.fixed !== undefined) {
    const affected = l.scheme.compare(l.version, a.fixed) < 0;
    return { affected, fixed: a.fixed, why: `${who} ${affected ? '<' : '>='} fixed ${a.fixed} ${where}` };
  }
  if (a.ranges && a.ranges.length > 0) {
    const affected = a.ranges.some((r) => inRange(l.scheme, l.version, r));
    const fixed = fixedOf(l.scheme, l.version, a.ranges);
    return {
      affected,
      ...(fixed ? { fixed } : {}),
      why: `${who} ${affected ? 'in' : 'outside'} the affected ranges of ${a.id} ${where}`,
    };
  }
  // No fixed version and no ranges: the vendor says every version is affected.
  return {
    affected: true,
    why: `${l.what} ${l.name}: ${a.status.replace(/_/g, ' ')} in ${l.namespace} (${a.source}), no fixed version`,
  };
}

export function modularityMatches(a: Advisory, p: Package): boolean {
  if (!a.modularity && !p.modularityLabel) return true;
  if (!a.modularity || !p.modularityLabel) return false;
  // The package's label is "name:stream:version:context"; advisories name "name:stream".
  return p.modularityLabel === a.modularity || p.modularityLabel.startsWith(`${a.modularity}:`);
}

export interface MatchResult {
  findings: Finding[];
  /** Advisories whose versions could not be compared (bad data): reported, never silently dropped. */
  warnings: string[];
}

/** Every finding for every package. */
export function matchPackages(
  packages: readonly Package[],
  os: OSInfo | undefined,
  db: AdvisorySource,
): MatchResult {
  const osNs = osNamespace(os);
  const findings: Finding[] = [];
  const warnings: string[] = [];
  const detailCache = new Map<string, ReturnType<AdvisorySource['detailsFor']>>();
  const detailsOf = (id: string) => {
    let d = detailCache.get(id);
    if (!d) {
      d = db.detailsFor(id);
      detailCache.set(id, d);
    }
    return d;
  };
  for (const p of packages) {
    const l = lookupOf(p, osNs);
    if (!l) continue;
    if (!l.scheme.valid(l.version)) {
      warnings.push(`${p.name} ${p.version}: version not comparable as ${l.scheme.name}; not matched`);
      continue;
    }
    const seen = new Map<string, Finding>();
    for (const a of db.advisoriesFor(l.namespace, l.name)) {
      if (a.status === 'not_affected') continue;
      if (p.type === 'rpm' && !modularityMatches(a, p)) continue;
      let verdict: Verdict;
      try {
        verdict = judge(a, l);
      } catch (e) {
        warnings.push(`${a.id} (${a.source}) for ${l.name}: ${(e as Error).message}; not matched`);
        continue;
      }
      const { affected, fixed, why } = verdict;
      if (!affected) continue;
      const details = detailsOf(a.id);
      const nvd = details.find((d) => d.source === 'nvd');
      const vendorSeverity = a.severity && a.severity !== 'UNKNOWN' ? a.severity : undefined;
      const f: Finding = {
        id: a.id,
        aliases: a.aliases ?? [],
        pkg: p,
        installedVersion: p.version,
        status: a.status === 'fixed' && !fixed ? 'affected' : a.status,
        severity: vendorSeverity ?? nvd?.severity ?? 'UNKNOWN',
        severitySource: vendorSeverity ? a.source : nvd?.severity ? 'nvd' : a.source,
        cvss: [...(a.cvss ?? []), ...details.flatMap((d) => d.cvss ?? [])],
        dataSource: a.source,
        namespace: l.namespace,
        why,
      };
      if (fixed) f.fixedVersion = fixed;
      const title = a.title ?? nvd?.title;
      if (title) f.title = title;
      const description = a.description ?? nvd?.description;
      if (description) f.description = description;
      for (const k of ['references', 'published', 'modified', 'url'] as const)
        if (a[k]) (f as unknown as Record<string, unknown>)[k] = a[k];
      // One finding per vulnerability per package: the same CVE from two feeds (or under an
      // alias: GHSA-… for CVE-…) is reported once, preferring the record with a fixed version.
      const key = [a.id, ...(a.aliases ?? [])].find((x) => seen.has(x));
      const prev = key ? seen.get(key) : undefined;
      if (prev) {
        if (!prev.fixedVersion && f.fixedVersion)
          Object.assign(prev, { ...f, id: prev.id.startsWith('CVE-') ? prev.id : f.id });
        for (const x of [a.id, ...(a.aliases ?? [])])
          if (x !== prev.id && !prev.aliases.includes(x)) prev.aliases.push(x);
        for (const x of [a.id, ...(a.aliases ?? [])]) seen.set(x, prev);
        continue;
      }
      // Prefer the CVE id when the advisory's own id is not one.
      const cve = a.id.startsWith('CVE-') ? undefined : (a.aliases ?? []).find((x) => x.startsWith('CVE-'));
      if (cve) {
        f.aliases = [a.id, ...f.aliases.filter((x) => x !== cve)];
        f.id = cve;
      }
      for (const x of [a.id, ...(a.aliases ?? [])]) seen.set(x, f);
      findings.push(f);
    }
  }
  const rank: Record<Severity, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, UNKNOWN: 4 };
  findings.sort(
    (x, y) =>
      rank[x.severity] - rank[y.severity] ||
      (x.pkg.name < y.pkg.name ? -1 : x.pkg.name > y.pkg.name ? 1 : 0) ||
      (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
  );
  return { findings, warnings };
}
