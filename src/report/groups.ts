// How packages are grouped into report targets, shared by the JSON report and the table (as Trivy
// does): OS packages form one target; lockfiles and binaries one target per file; installed
// packages of one ecosystem (node_modules, site-packages, gemspecs, jars...) one target.

import { isLangAnalyzer } from '../analyze/lang/types.js';
import { ANALYZERS } from '../analyze/registry.js';
import type { Package } from '../inventory/packages.js';

export const OS_TYPES: ReadonlySet<string> = new Set(['deb', 'apk', 'rpm']);

/** Installed-package types and the label their one target carries ("Node.js", "Python"...). */
const GROUP_TARGET: Record<string, string> = Object.fromEntries(
  ANALYZERS.filter(isLangAnalyzer)
    .filter((a) => a.lang.group)
    .map((a) => [a.lang.type, a.lang.group as string]),
);

export interface LangGroup {
  target: string;
  type: string;
  pkgs: Package[];
}

/** Language packages by report target, in the order they first appear. */
export function langGroups(packages: readonly Package[]): LangGroup[] {
  const groups = new Map<string, LangGroup>();
  for (const p of packages) {
    if (OS_TYPES.has(p.type)) continue;
    const label = GROUP_TARGET[p.type];
    const key = label !== undefined ? p.type : `${p.type}\0${p.filePath}`;
    let g = groups.get(key);
    if (!g) {
      g = { target: label ?? p.filePath, type: p.type, pkgs: [] };
      groups.set(key, g);
    }
    g.pkgs.push(p);
  }
  return [...groups.values()];
}
