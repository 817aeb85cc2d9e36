// Shape checks for parsed JSON (feeds, lockfiles, VEX documents): untrusted input, so every field
// is tested before it is used.

export type Json = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty string, else undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** An array, else an empty one. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
