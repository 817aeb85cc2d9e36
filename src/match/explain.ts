// `drydock explain TARGET ID`: every advisory the database holds for one vulnerability, and for
// each, whether a package of the target is affected and why — or why not (fixed in the installed
// version, another release, outside the ranges, no such package). The answer to "why is this
// (not) reported?".

import type { OSInfo } from '../inventory/os.js';
import type { Package } from '../inventory/packages.js';
import type { Advisory } from '../vulndb/types.js';
import { judge, lookupOf, modularityMatches, osNamespace } from './match.js';

export interface Explanation {
  advisory: Advisory;
  /** One line per package of the target the advisory was checked against. */
  packages: { pkg: Package; affected: boolean; why: string }[];
  /** Why no package of the target was checked, when none was. */
  note?: string;
}

export function explain(
  id: string,
  advisories: Advisory[],
  packages: readonly Package[],
  os: OSInfo | undefined,
): Explanation[] {
  const osNs = osNamespace(os);
  const lookups = packages.flatMap((p) => {
    const l = lookupOf(p, osNs);
    return l ? [{ p, l }] : [];
  });
  return advisories
    .map((a) => {
      const hits = lookups.filter(({ l }) => l.namespace === a.namespace && l.name === a.package);
      const e: Explanation = { advisory: a, packages: [] };
      for (const { p, l } of hits) {
        if (p.type === 'rpm' && !modularityMatches(a, p)) {
          e.packages.push({
            pkg: p,
            affected: false,
            why: `module stream ${p.modularityLabel ?? 'none'} is not ${a.modularity ?? 'none'}`,
          });
          continue;
        }
        try {
          const v = judge(a, l);
          e.packages.push({ pkg: p, affected: v.affected, why: v.why });
        } catch (err) {
          e.packages.push({ pkg: p, affected: false, why: `not comparable: ${(err as Error).message}` });
        }
      }
      if (hits.length === 0) {
        const sameName = lookups.filter(({ l }) => l.name === a.package);
        e.note =
          sameName.length > 0
            ? `${a.package} is installed, but for ${sameName[0]?.l.namespace}, not ${a.namespace}`
            : `no package of the target is ${a.package} in ${a.namespace}${osNs ? '' : ' (the OS was not detected)'}`;
      }
      return e;
    })
    .filter((e) => e.advisory.id === id || e.advisory.aliases?.includes(id));
}
