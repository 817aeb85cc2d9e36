// Feeds that list one vulnerability several times for the same package and release (the Alpine
// secdb under several fixed versions, Debian's DSA lists with regression updates) keep the record
// with the lowest fixed version, and the aliases of all of them.

import type { VersionScheme } from '../../version/types.js';
import type { Advisory } from '../types.js';

/** Adds `next` under `key`, or merges it into the record already there. */
export function keepLowestFix(
  byKey: Map<string, Advisory>,
  key: string,
  next: Advisory,
  scheme: VersionScheme,
): void {
  const prev = byKey.get(key);
  if (!prev) {
    byKey.set(key, next);
    return;
  }
  let better = false;
  if (next.fixed !== undefined) {
    try {
      better = prev.fixed === undefined || scheme.compare(next.fixed, prev.fixed) < 0;
    } catch {
      better = false; // an unparsable version: keep what is there
    }
  }
  const kept = better ? next : prev;
  const aliases = [...(prev.aliases ?? []), ...(next.aliases ?? [])];
  if (aliases.length) kept.aliases = [...new Set(aliases)];
  if (better) byKey.set(key, kept);
}
