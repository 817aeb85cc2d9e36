// The vulnerability data model every importer produces and the store keeps: advisories keyed by
// namespace (a distro release or a language ecosystem) + package, each with its own status,
// affected ranges or fixed version, and severity as its source states it.

/** drydock's statuses; each importer maps its source's vocabulary onto these. */
export type Status =
  | 'fixed' // a fixed version exists (the package is affected below it)
  | 'affected' // affected, no fix yet
  | 'will_not_fix' // the vendor will not fix it (Debian no-dsa/ignored, Red Hat "Will not fix")
  | 'fix_deferred' // a fix is postponed (Debian postponed, Red Hat "Fix deferred")
  | 'end_of_life' // the release or package is out of support
  | 'not_affected' // the vendor says this package is not affected
  | 'under_investigation'; // undetermined / needs triage

export const STATUSES: readonly Status[] = [
  'fixed',
  'affected',
  'will_not_fix',
  'fix_deferred',
  'end_of_life',
  'not_affected',
  'under_investigation',
];

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN';

/**
 * Which versions of a package an advisory covers. OS feeds give a fixed version (`Advisory.fixed`);
 * language feeds give ranges in one of these shapes. A version is affected if ANY range says so.
 */
export type AffectedRange =
  /** OSV semantics: affected from `introduced` (default: the beginning) up to `fixed` (excluded) or `lastAffected` (included) or `limit` (excluded). */
  | { kind: 'events'; introduced?: string; fixed?: string; lastAffected?: string; limit?: string }
  /** Affected iff the version satisfies this constraint in the ecosystem's syntax (a FriendsOfPHP branch, a GHSA range). */
  | { kind: 'constraint'; constraint: string }
  /** Affected iff the version satisfies NONE of these (RubySec/RustSec patched + unaffected lists). */
  | { kind: 'unless'; constraints: string[] }
  /** Affected versions listed one by one (OSV `versions`). */
  | { kind: 'versions'; versions: string[] };

export interface Cvss {
  /** Who scored it: "nvd", "redhat", "ghsa"... */
  source: string;
  /** "3.1", "3.0", "2.0", "4.0" */
  version: string;
  vector: string;
  score?: number;
}

/** One package's view of one vulnerability, from one source. */
export interface Advisory {
  /** The vulnerability: CVE-2023-1234, GHSA-xxxx-xxxx-xxxx, RUSTSEC-2021-0001, GO-2022-0001... */
  id: string;
  /** The feed it came from ("debian-tracker", "alpine-secdb", "osv", "rubysec", "friendsofphp", "rustsec", "redhat-csaf"). */
  source: string;
  /**
   * Where it applies: "debian:12", "ubuntu:22.04", "alpine:3.18", "redhat:9", "wolfi", or a language
   * ecosystem: "npm", "pypi", "gem", "composer", "go", "cargo", "maven", "nuget".
   */
  namespace: string;
  /**
   * The package as the matcher looks it up: the SOURCE package for Debian/Ubuntu, the origin for
   * Alpine, the rpm name, or the ecosystem's name (PyPI names PEP 503-normalised, Maven "group:artifact").
   */
  package: string;
  status: Status;
  /** OS feeds: the first fixed version (affected iff installed < fixed). */
  fixed?: string;
  /** Language feeds: affected versions. Absent with no `fixed`: every version is affected. */
  ranges?: AffectedRange[];
  /** The source's own severity for this package (vendor severity wins over NVD's). */
  severity?: Severity;
  /** rpm modularity stream ("nodejs:18") the advisory is limited to. */
  modularity?: string;
  /** Other ids of the same vulnerability (CVE ↔ GHSA ↔ GO-...). */
  aliases?: string[];
  title?: string;
  description?: string;
  cvss?: Cvss[];
  references?: string[];
  /** ISO 8601 */
  published?: string;
  modified?: string;
  /** The advisory's page at its source. */
  url?: string;
}

/** Vulnerability-level facts from sources that describe CVEs, not packages (NVD): CVSS and a fallback severity. */
export interface VulnerabilityDetail {
  id: string;
  source: string;
  severity?: Severity;
  cvss?: Cvss[];
  title?: string;
  description?: string;
  references?: string[];
  published?: string;
  modified?: string;
}

/** What an importer yields, record by record (importers stream; a feed can hold 100k+ records). */
export type FeedRecord = { advisory: Advisory } | { detail: VulnerabilityDetail };

/** A parser for one upstream format. Importers do no I/O beyond the files they are given. */
export interface Importer {
  /** "osv", "debian-tracker", "alpine-secdb", "rubysec", "friendsofphp", "rustsec", "redhat-csaf", "nvd". */
  readonly name: string;
  /**
   * Whether a file is in this format, from its path (relative to the imported root) and its first
   * bytes (up to 4 KiB). Cheap; no full parse.
   */
  detect(path: string, head: Buffer): boolean;
  /** Parses one file. Throws an Error with a short message for a malformed file. */
  parse(path: string, content: Buffer): Iterable<FeedRecord>;
}
