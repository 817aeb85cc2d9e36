// The version schemes vulnerability matching needs: one comparator per ecosystem, each with the
// range syntax its feeds use. Implementations live beside this file (deb.ts, rpm.ts, npm.ts...).

/** A version string the scheme cannot parse (thrown by `compare`; `valid` says it without throwing). */
export class VersionError extends Error {
  override name = 'VersionError';
}

export interface VersionScheme {
  /** "deb", "rpm", "apk", "npm", "pypi", "gem", "maven", "nuget", "go", "composer", "cargo". */
  readonly name: string;
  /** Negative, zero or positive, like Array.prototype.sort's comparator. Throws VersionError. */
  compare(a: string, b: string): number;
  valid(v: string): boolean;
  /**
   * Whether `version` lies in `range`, written in the syntax this ecosystem's advisories use
   * (npm "<1.2.3 || >=2.0.0 <2.1.0", PEP 440 ">=1.0,<1.2", RubyGems "~> 1.2", Maven "[1.0,2.0)"...).
   * Throws VersionError for a range it cannot parse.
   */
  satisfies?(version: string, range: string): boolean;
}
