// Alpine's security database ("secdb"): one document per release and repository, as JSON (what Alpine
// serves today, v3.x/main.json) or as YAML (the deprecated alpine-secdb repository, v3.3 to v3.11):
//   {distroversion: "v3.18", reponame, urlprefix, apkurl, archs,
//    packages: [{pkg: {name, secfixes: {"<fixed version>": ["CVE-...", ...], "0": [...]}}}]}
// Wolfi's and Chainguard's security.json use the same shape without distroversion (reponame "os" for
// Wolfi, "chainguard" for Chainguard). Trivy's vuln-list repackaging (one file per package with name
// and secfixes at the top level beside the document's other keys) is read too.
//
// One Advisory per (id x package x release): namespace "alpine:<major.minor>" from distroversion
// ("v3.18" -> "alpine:3.18", "edge" -> "alpine:edge"), "wolfi" or "chainguard"; package = the secdb
// name, Alpine's origin (source) package; fixed = the secfixes key, status fixed; key "0" means the
// package was never affected (Alpine's convention) -> not_affected; key "None" (SecureOS's feed, read
// by vunnel as "no fix") -> affected. No severity: the secdb has none.
// Entries may carry more than an id: "CVE-2019-11091  XSA-297", "CVE-2024-22195 GHSA-h5c8-rqwp-cp95",
// "CVE-2018-16452 (SMB)", "CVE-2017-5753 CVE-2017-5715 CVE-2017-5754 XSA-254 XPTI". Each CVE in an entry
// gets its own advisory with the entry's other ids (XSA, GHSA, TALOS...) as aliases; an entry without a
// CVE is keyed by its first id. Text in parentheses and words that are not ids are dropped. The
// slips seen in the real data are repaired: "CVE_2019-2426", "CVE 2018-16859", "CVE-2017-8073.patch"
// and "CVE-2017-17434-1"/"-2" (parts of one CVE); placeholders like "CVE-????-?????" are not ids. An id listed under several versions of one package
// keeps the lowest fixed version (the first fix; later ones are regression fixes), and a fixed version
// wins over "0". Version keys are kept as written, even the few that apk's grammar refuses
// ("4.8.0.-r1"): the matcher must expect a VersionError from them.

import { parseYaml } from '../../util/yaml-lite.js';
import { apkScheme } from '../../version/apk.js';
import type { Advisory, FeedRecord, Importer } from '../types.js';
import { keepLowestFix } from './lowest-fix.js';

const SOURCE = 'alpine-secdb';

/** The largest document read (Alpine's biggest secdb JSON is a few MB). */
const MAX_SIZE = 64 * 1024 * 1024;
/** Longest secfixes entry: the real ones are under 100 characters. */
const MAX_ENTRY = 1024;

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
/** XSA-297, GHSA-h5c8-rqwp-cp95, TALOS-2017-0488, ZBX-1234: a prefix, a dash, then an alphanumeric tail. */
const OTHER_ID = /^[A-Z][A-Z0-9]{1,15}-[A-Za-z0-9]{1,32}(?:-[A-Za-z0-9]{1,32}){0,4}$/;
const PACKAGE = /^[A-Za-z0-9][A-Za-z0-9+._~-]{0,199}$/;

function preview(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The ids a secfixes entry names: `ids` get an advisory each, `aliases` are attached to each of them. */
export function parseSecfixEntry(entry: string): { ids: string[]; aliases: string[] } {
  let text = entry.length > MAX_ENTRY ? entry.slice(0, MAX_ENTRY) : entry;
  const paren = text.indexOf('(');
  if (paren >= 0) text = text.slice(0, paren);
  const cves: string[] = [];
  const others: string[] = [];
  const words = text.trim().split(/\s+/);
  for (let k = 0; k < words.length; k++) {
    let w = words[k] as string;
    // typos seen in the real data
    if (w === 'CVE' && /^\d{4}-\d{4,}$/.test(words[k + 1] ?? '')) w = `CVE-${words[++k]}`;
    else if (w.startsWith('CVE_')) w = `CVE-${w.slice(4)}`;
    if (w.endsWith('.patch')) w = w.slice(0, -6);
    const part = /^(CVE-\d{4}-\d{4,})-\d{1,3}$/.exec(w); // "CVE-2017-17434-1": a part of one CVE
    if (part) w = part[1] as string;
    if (CVE_ID.test(w)) {
      if (!cves.includes(w)) cves.push(w);
    } else if (!w.startsWith('CVE-') && OTHER_ID.test(w) && !others.includes(w)) {
      others.push(w);
    }
  }
  if (cves.length) return { ids: cves, aliases: others };
  return { ids: others.slice(0, 1), aliases: others.slice(1) };
}

/**
 * Which distribution publishes a secdb document. The document does not name it: its repository host
 * does (a label of urlprefix's host name), or the folder it was stored in; Alpine alone has releases.
 */
const HOST_LABELS: Readonly<Record<string, string>> = {
  alpinelinux: 'alpine',
  wolfi: 'wolfi',
  chainguard: 'chainguard',
  cgr: 'chainguard',
  mini: 'minimos',
  cve0: 'secureos',
};
const FAMILIES = new Set(['alpine', 'wolfi', 'chainguard', 'minimos', 'secureos']);

function hostFamily(urlprefix: unknown): string | undefined {
  if (typeof urlprefix !== 'string' || urlprefix.length > 2048) return undefined;
  let host: string;
  try {
    host = new URL(urlprefix).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  const labels = host.split('.').slice(0, -1); // not the top-level domain
  for (const l of labels) if (Object.hasOwn(HOST_LABELS, l)) return HOST_LABELS[l];
  return undefined;
}

/** The namespace of a secdb document (see the header comment); throws when it cannot tell. */
export function secdbNamespace(doc: Record<string, unknown>, path: string): string {
  const dv = typeof doc.distroversion === 'string' ? doc.distroversion : '';
  const release = /^v?(\d{1,3})\.(\d{1,3})(?:\.\d{1,3})?$/.exec(dv);
  // Trivy's Chainguard sample keeps Wolfi's urlprefix: the reponame decides first
  let family = doc.reponame === 'chainguard' ? 'chainguard' : hostFamily(doc.urlprefix);
  family ??= path
    .toLowerCase()
    .split(/[\\/]/)
    .find((seg) => FAMILIES.has(seg));
  if (!family && (release || dv === 'edge')) family = 'alpine';
  if (!family) throw new Error(`cannot tell the distribution (urlprefix ${preview(doc.urlprefix)})`);
  if (family !== 'alpine') return family;
  if (release) return `alpine:${Number(release[1])}.${Number(release[2])}`;
  if (dv === 'edge') return 'alpine:edge';
  throw new Error(`unknown distroversion ${preview(doc.distroversion)}`);
}

interface Pkg {
  name: unknown;
  secfixes: unknown;
}

/** The advisory's page, where the distribution has one per id. */
function advisoryUrl(namespace: string, id: string): string | undefined {
  if (namespace.startsWith('alpine:')) return `https://security.alpinelinux.org/vuln/${id}`;
  if (namespace === 'wolfi' || namespace === 'chainguard')
    return `https://images.chainguard.dev/security/${id}`;
  return undefined;
}

function packageAdvisories(namespace: string, pkg: Pkg, byKey: Map<string, Advisory>): void {
  const name = pkg.name;
  if (typeof name !== 'string' || !PACKAGE.test(name)) throw new Error(`bad package name ${preview(name)}`);
  const sf = pkg.secfixes;
  if (sf === undefined || sf === null || sf === '') return;
  if (!isObject(sf)) throw new Error(`${name}: secfixes is not a mapping`);
  for (const [version, list] of Object.entries(sf)) {
    if (version === '' || version.length > 256 || /\s/.test(version))
      throw new Error(`${name}: bad version ${preview(version)}`);
    // "7.4.0-r0:" with nothing under it (seen in v3.6/main.yaml): no ids
    if (list === null || list === '') continue;
    if (!Array.isArray(list)) throw new Error(`${name} ${version}: not a list of ids`);
    for (const entry of list) {
      if (entry === null || entry === '') continue;
      if (typeof entry !== 'string') throw new Error(`${name} ${version}: ${preview(entry)} is not a string`);
      const { ids, aliases } = parseSecfixEntry(entry);
      for (const id of ids) {
        const next: Advisory = { id, source: SOURCE, namespace, package: name, status: 'fixed' };
        if (version === '0') next.status = 'not_affected';
        else if (version === 'None') next.status = 'affected';
        else next.fixed = version;
        if (aliases.length) next.aliases = [...aliases];
        const url = advisoryUrl(namespace, id);
        if (url) next.url = url;
        const key = `${id}\0${name}`;
        keepLowestFix(byKey, key, next, apkScheme);
      }
    }
  }
}

function parseDocument(content: Buffer): Record<string, unknown> {
  if (content.length > MAX_SIZE) throw new Error(`larger than ${MAX_SIZE} bytes`);
  let text = content.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = text.trimStart()[0];
  let doc: unknown;
  if (first === '{') {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new Error(`invalid JSON (${(e as Error).message.slice(0, 80)})`);
    }
  } else {
    doc = parseYaml(text, { maxDepth: 16 });
  }
  if (!isObject(doc)) throw new Error('not a secdb document');
  return doc;
}

/** All advisories of one secdb document. */
export function secdbAdvisories(path: string, content: Buffer): Advisory[] {
  const doc = parseDocument(content);
  const namespace = secdbNamespace(doc, path);
  const byKey = new Map<string, Advisory>();
  if (doc.packages !== undefined) {
    const pkgs = doc.packages;
    if (pkgs === '' || pkgs === null) return [];
    if (!Array.isArray(pkgs)) throw new Error('packages is not a list');
    for (const p of pkgs) {
      if (!isObject(p) || !isObject(p.pkg)) throw new Error('a packages entry without "pkg"');
      packageAdvisories(namespace, p.pkg as unknown as Pkg, byKey);
    }
  } else if (doc.secfixes !== undefined && doc.name !== undefined) {
    packageAdvisories(namespace, doc as unknown as Pkg, byKey); // Trivy's per-package file
  } else {
    throw new Error('no packages in the document');
  }
  return [...byKey.values()];
}

export const alpineSecdbImporter: Importer = {
  name: SOURCE,
  detect(_path: string, head: Buffer): boolean {
    const text = head.toString('utf8', 0, Math.min(head.length, 4096));
    // every secdb document carries the apk URL template; the package list follows
    return /(?:^|[\s{,])["']?apkurl["']?\s*:/.test(text) && /["']?(?:secfixes|packages)["']?\s*:/.test(text);
  },
  *parse(path: string, content: Buffer): Iterable<FeedRecord> {
    for (const advisory of secdbAdvisories(path, content)) yield { advisory };
  },
};
