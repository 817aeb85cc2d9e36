// Pieces the SemVer-family schemes (npm, go, cargo) share: SemVer 2.0.0 §11 precedence of
// numeric strings and pre-release identifier lists. Pure functions, no state.

/** Whether `s` is a non-empty run of ASCII digits. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Whether `c` (a char code) is an ASCII letter, digit or hyphen: SemVer's identifier characters. */
export function isIdentChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45;
}

/**
 * Compares two digit strings by numeric value, at any length (no float rounding): leading zeros are
 * ignored, then the longer number is the larger, then plain string order decides.
 */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  let j = 0;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (let k = 0; k < la; k++) {
    const d = a.charCodeAt(i + k) - b.charCodeAt(j + k);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** ASCII byte order, as every SemVer implementation compares alphanumeric identifiers. */
function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * SemVer 2.0.0 pre-release precedence. An empty list is a release, which sorts after every
 * pre-release of the same version; identifiers compare numerically when both are numeric, a numeric
 * one sorts before an alphanumeric one, alphanumeric ones compare in ASCII order, and when one list
 * is a prefix of the other the shorter sorts first.
 */
export function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) {
    return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  }
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) continue;
    const nx = isDigits(x);
    const ny = isDigits(y);
    if (nx !== ny) return nx ? -1 : 1;
    const c = nx ? compareDigits(x, y) : compareAscii(x, y);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** -1, 0 or 1. */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
