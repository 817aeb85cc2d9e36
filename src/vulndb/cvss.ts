// CVSS v3.0/v3.1 base scores from a vector string, per FIRST's specification (section 7.1 of
// the v3.1 document), and the qualitative severity rating scale.

import type { Severity } from './types.js';

const WEIGHTS: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};
const PR_UNCHANGED: Record<string, number> = { N: 0.85, L: 0.62, H: 0.27 };
const PR_CHANGED: Record<string, number> = { N: 0.85, L: 0.68, H: 0.5 };
const BASE = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'];

/** v3.1's Roundup: the smallest number with one decimal >= x, free of floating-point noise. */
function roundup31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** v3.0 rounded up with a plain ceiling to one decimal. */
function roundup30(x: number): number {
  return Math.ceil(x * 10) / 10;
}

/**
 * The base score of a "CVSS:3.x/AV:N/AC:L/..." vector, or undefined for a vector that is not a
 * well-formed v3.0/v3.1 base vector (temporal and environmental metrics are accepted and ignored).
 */
export function cvss3BaseScore(vector: string): number | undefined {
  if (vector.length > 200) return undefined;
  // Some feeds end the vector with a stray '/'.
  const parts = (vector.endsWith('/') ? vector.slice(0, -1) : vector).split('/');
  const head = parts.shift();
  if (head !== 'CVSS:3.1' && head !== 'CVSS:3.0') return undefined;
  const m = new Map<string, string>();
  for (const p of parts) {
    const i = p.indexOf(':');
    if (i <= 0 || m.has(p.slice(0, i))) return undefined;
    m.set(p.slice(0, i), p.slice(i + 1));
  }
  if (!BASE.every((k) => m.has(k))) return undefined;
  const scope = m.get('S');
  if (scope !== 'U' && scope !== 'C') return undefined;
  const w = (k: string): number | undefined => WEIGHTS[k]?.[m.get(k) as string];
  const pr = (scope === 'C' ? PR_CHANGED : PR_UNCHANGED)[m.get('PR') as string];
  const [av, ac, ui, c, i, a] = [w('AV'), w('AC'), w('UI'), w('C'), w('I'), w('A')];
  if ([av, ac, ui, c, i, a, pr].some((x) => x === undefined)) return undefined;
  const iss = 1 - (1 - (c as number)) * (1 - (i as number)) * (1 - (a as number));
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * (av as number) * (ac as number) * (pr as number) * (ui as number);
  if (impact <= 0) return 0;
  const roundup = head === 'CVSS:3.1' ? roundup31 : roundup30;
  return scope === 'U'
    ? roundup(Math.min(impact + exploitability, 10))
    : roundup(Math.min(1.08 * (impact + exploitability), 10));
}

/** CVSS v3/v4 qualitative rating of a base score. */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'UNKNOWN';
}
