// The contract of language-package analyzers: what they return, and how the inventory labels them.

import type { Analyzer } from '../types.js';

/** One package a language analyzer found in a file (a lockfile entry, an installed package, a binary). */
export interface LangPackage {
  name: string;
  version: string;
  /** Where inside the file, when a file holds many (lockfile key, nested jar path). */
  location?: string;
  /** A development-only dependency (lockfiles that record it). */
  dev?: boolean;
  /** Not a direct dependency of the project (lockfiles that record it). */
  indirect?: boolean;
  license?: string;
  /** purl namespace when the name does not carry it (Maven groupId). */
  namespace?: string;
}

/** How the inventory reports what a language analyzer returns. */
export interface LangInfo {
  /** Package type in the inventory and reports, Trivy's names: "yarn", "pnpm", "bundler", "gobinary"... */
  type: string;
  /** purl type: "npm", "pypi", "gem", "composer", "golang", "cargo", "maven", "nuget". */
  purlType: string;
  /**
   * Installed-package analyzers (one package per metadata file) gather every file under one report
   * target with this label ("Node.js", "Python"...); lockfile analyzers get one target per file.
   */
  group?: string;
}

/** A language analyzer returns a list (lockfiles, binaries) or a single package (installed metadata). */
export interface LangAnalyzer extends Analyzer<LangPackage[] | LangPackage> {
  readonly lang: LangInfo;
}

export function isLangAnalyzer(a: Analyzer): a is LangAnalyzer {
  return (a as Partial<LangAnalyzer>).lang !== undefined;
}
