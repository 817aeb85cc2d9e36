// Package URL matching for suppression rules (VEX products, ignore-file `purls`). A rule's purl is a
// pattern: without a version it matches every version, without qualifiers any qualifiers, and each
// qualifier it names must be present with the same value (extra ones are ignored). Subpaths are not
// compared. These are the matching rules the OpenVEX community settled on and Trivy documents.

import { normalizePythonName } from '../inventory/purl.js';

export interface Purl {
  type: string;
  /** Percent-decoded namespace segments joined with "/" ("" when none). */
  namespace: string;
  name: string;
  version?: string;
  qualifiers: Map<string, string>;
}

/** Longest purl accepted: a rule is a short string, a longer one is a mistake. */
const MAX_PURL = 4096;

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Parses a purl ("pkg:type/ns/name@version?k=v#sub"); undefined when it is not one. */
export function parsePurl(text: string): Purl | undefined {
  if (text.length > MAX_PURL || !/^pkg:/i.test(text)) return undefined;
  let rest = text.slice(4).replace(/^\/+/, '');
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers = new Map<string, string>();
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) return undefined;
      const value = decode(pair.slice(eq + 1));
      if (value === undefined) return undefined;
      if (value !== '') qualifiers.set(pair.slice(0, eq).toLowerCase(), value);
    }
    rest = rest.slice(0, q);
  }
  // The version follows the last "@" of the last segment: an npm scope ("@scope") may be written
  // unencoded in a hand-written rule.
  const slash = rest.lastIndexOf('/');
  const at = rest.lastIndexOf('@');
  let version: string | undefined;
  if (at > slash && at > 0) {
    version = decode(rest.slice(at + 1));
    if (version === undefined) return undefined;
    rest = rest.slice(0, at);
  }
  const parts = rest.split('/').filter((p) => p !== '');
  if (parts.length < 2) return undefined;
  const decoded = parts.map(decode);
  if (decoded.some((p) => p === undefined)) return undefined;
  const segs = decoded as string[];
  const type = (segs[0] as string).toLowerCase();
  let name = segs[segs.length - 1] as string;
  if (type === 'pypi') name = normalizePythonName(name);
  const p: Purl = { type, namespace: segs.slice(1, -1).join('/'), name, qualifiers };
  if (version !== undefined && version !== '') p.version = version;
  return p;
}

/** Whether `actual` (a package's full purl) is one of the packages the rule `pattern` names. */
export function purlMatches(pattern: Purl, actual: Purl): boolean {
  if (pattern.type !== actual.type || pattern.name !== actual.name) return false;
  if (pattern.namespace !== actual.namespace) return false;
  if (pattern.version !== undefined && pattern.version !== actual.version) return false;
  for (const [k, v] of pattern.qualifiers) if (actual.qualifiers.get(k) !== v) return false;
  return true;
}
