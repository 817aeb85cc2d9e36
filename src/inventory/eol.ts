// End-of-life dates of OS releases, from a table transcribed from Trivy's detectors (eol-data.json).

import data from './eol-data.json' with { type: 'json' };
import type { OSInfo } from './os.js';

const FAMILIES = (data as { families: Record<string, Record<string, string>> }).families;

/**
 * The end-of-life date of an OS release, or undefined when the table does not know the release.
 * The version is matched from the most to the least specific: "3.10.4" tries "3.10.4", "3.10", "3".
 */
export function eolDate(os: OSInfo): string | undefined {
  const table = FAMILIES[os.family];
  if (!table) return undefined;
  // Amazon Linux 1 calls itself by its last AMI release ("2018.03"); the table knows it as "1".
  if (os.family === 'amazon' && !/^(2|2022|2023)(\.|$)/.test(os.name)) return table['1'];
  const parts = os.name.split('.');
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).join('.');
    if (table[key]) return table[key];
  }
  return undefined;
}

/** True when the release's end of life is before `now`; undefined when unknown. */
export function isEndOfLife(os: OSInfo, now = new Date()): boolean | undefined {
  const d = eolDate(os);
  if (!d) return undefined;
  return new Date(`${d}T00:00:00Z`).getTime() < now.getTime();
}
