// Normalisation of paths found in layers: relative to the image root, no "." or "..", never escaping.

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

export const MAX_PATH_LENGTH = 4096;

/**
 * Turns a tar entry name into a clean relative path ("etc/passwd"). A leading "/" or "./" is
 * dropped (as Docker does when it unpacks). A ".." that would climb above the root makes the
 * path invalid: such an entry is hostile, and the caller skips it with a warning.
 * The root itself normalises to "".
 */
export function normalizeEntryPath(name: string): NormalizedPath {
  if (name.includes('\0')) return { ok: false, reason: 'contains a NUL byte' };
  if (name.length > MAX_PATH_LENGTH) return { ok: false, reason: `longer than ${MAX_PATH_LENGTH} bytes` };
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return { ok: false, reason: 'climbs above the image root' };
      out.pop();
      continue;
    }
    out.push(part);
  }
  return { ok: true, path: out.join('/') };
}

/**
 * Resolves a link target relative to the directory of `from` inside the image, clamping at the
 * root the way the kernel does inside a chroot (so "../../../etc/shadow" from "a/b" is "etc/shadow").
 * Absolute targets are relative to the image root.
 */
export function resolveLinkTarget(from: string, target: string): string {
  const base = target.startsWith('/') ? [] : from.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') base.pop();
    else base.push(part);
  }
  return base.join('/');
}

/** True if `path` equals `dir` or lies below it ("" is the root, above everything). */
export function isUnder(path: string, dir: string): boolean {
  if (dir === '') return true;
  return (
    path === dir || (path.length > dir.length && path.startsWith(dir) && path.charCodeAt(dir.length) === 47)
  );
}
