// Quoting untrusted values inside one-line error messages.

/** One line, at most `max` characters (line breaks and tabs become spaces; long values end in "..."). */
export function clip(s: string, max = 60): string {
  const one = s.replace(/[\r\n\t]+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 3)}...` : one;
}

/** A JSON value for a message: strings quoted, `undefined` as "(missing)", anything else as JSON. */
export function show(v: unknown, max = 60): string {
  if (typeof v === 'string') return `"${clip(v, max)}"`;
  if (v === undefined) return '(missing)';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return clip(s, max);
}
