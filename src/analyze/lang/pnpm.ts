// pnpm: pnpm-lock.yaml, lockfile versions 5.x (pnpm 5-7), 6.x (pnpm 8) and 9.x (pnpm 9 and later).
//
// Format facts the reader relies on:
// - "packages" keys are dependency paths: "/name/1.0.0_peer@2.0.0" (v5), "/name@1.0.0(peer@2.0.0)"
//   (v6), "name@1.0.0" (v9; the peer variants live under "snapshots"). Tarball and git entries carry
//   explicit "name"/"version" fields. "file:" entries are local folders or tarballs: the project's own.
// - Importers (the workspace projects; the lockfile root itself before workspaces) list dependencies,
//   devDependencies and optionalDependencies as references: a version ("1.0.0(peer@2.0.0)"), a
//   dependency path (npm aliases: "/string-width/4.2.3", "string-width@4.2.3"), "link:" (another
//   workspace project) or "file:".
// - v5/v6 mark each package "dev: true" (development only) or "dev: false" (production only) and omit
//   the field when both use it; v9 dropped the field, so dev is derived from the graph: a package is
//   development-only when devDependencies reach it and production dependencies do not.
// - pnpm 11 may put an "environment" document (the package manager's own pinned packages) before the
//   project's document, separated by "---": that document is not the application's.

import { isYamlMap, parseYamlDocuments, type YamlMap, type YamlValue } from '../../util/yaml-lite.js';
import type { LangAnalyzer, LangPackage } from './types.js';

type Style = 'v5' | 'v6' | 'v9';

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function str(v: YamlValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function map(v: YamlValue | undefined): YamlMap | undefined {
  return isYamlMap(v) ? v : undefined;
}

/** "name@1.0.0(peer@2)" -> "name@1.0.0": peer suffixes never carry information about the package. */
function cutPeers(s: string, from = 1): string {
  const p = s.indexOf('(', from);
  return p < 0 ? s : s.slice(0, p);
}

/** Version text that is a version (not a URL, a path or empty). */
function isVersion(v: string | undefined): v is string {
  return !!v && !v.includes(':') && !v.includes('/') && !/\s/.test(v);
}

/** The last one or two ("@scope/name") path segments: registry-prefixed keys carry a host first. */
function tailName(segs: string[]): string | undefined {
  const last = segs[segs.length - 1];
  const before = segs[segs.length - 2];
  if (!last) return undefined;
  return before?.startsWith('@') ? `${before}/${last}` : last;
}

/** Name and version a "packages" key encodes (before fields such as "version" override it). */
export function parseDepPath(key: string, style: Style): { name: string; version: string } | undefined {
  if (style === 'v9') {
    const head = cutPeers(key);
    const at = head.indexOf('@', 1);
    if (at < 0) return undefined;
    return { name: head.slice(0, at), version: head.slice(at + 1) };
  }
  if (!key.startsWith('/')) return undefined; // tarball/git paths: only their fields say what they are
  if (style === 'v6') {
    const head = cutPeers(key.slice(1));
    const at = head.lastIndexOf('@');
    if (at <= 0) return undefined;
    const name = tailName(head.slice(0, at).split('/'));
    return name ? { name, version: head.slice(at + 1) } : undefined;
  }
  // v5: "/name/1.0.0_peers" or "/@scope/name/1.0.0_peers"; "_" and "(" start the peer suffix
  const segs = cutPeers(key.slice(1), 0).split('/');
  const last = segs.pop() ?? '';
  const us = last.indexOf('_');
  const version = us < 0 ? last : last.slice(0, us);
  const name = tailName(segs);
  return name ? { name, version } : undefined;
}

/**
 * The graph node ("packages" key in v5/v6, "snapshots" key in v9) that a dependency reference of
 * `name` points at; undefined for links to other workspace projects.
 */
export function refToNode(name: string, ref: string, style: Style): string | undefined {
  if (ref.startsWith('link:')) return undefined;
  const head = cutPeers(ref, 0);
  if (style === 'v9') {
    if (ref.startsWith('@')) return ref; // a scoped alias target: "@scope/real@1.0.0"
    const at = head.indexOf('@');
    const colon = head.indexOf(':');
    if (at > 0 && (colon < 0 || at < colon)) return ref; // an alias: "real@1.0.0"
    return `${name}@${ref}`;
  }
  if (ref.startsWith('/') || ref.startsWith('file:') || head.includes('/')) return ref;
  return style === 'v6' ? `/${name}@${ref}` : `/${name}/${ref}`;
}

/** The "packages" key of a v9 snapshot key: the peer suffix removed. */
function packageKeyOf(node: string, style: Style): string {
  return style === 'v9' ? cutPeers(node) : node;
}

/** Folders, local tarballs and links: the project's own code, not published packages. */
function isLocal(key: string, entry: YamlMap, style: Style): boolean {
  if (key.startsWith('file:') || key.startsWith('link:')) return true;
  if (style === 'v9') {
    const v = parseDepPath(key, style)?.version ?? '';
    if (v.startsWith('file:') || v.startsWith('link:')) return true;
  }
  const res = map(entry.resolution);
  if (res && (str(res.directory) !== undefined || str(res.type) === 'directory')) return true;
  return !!str(res?.tarball)?.startsWith('file:');
}

interface Node {
  deps: [string, string][];
}

function edges(entry: YamlMap | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const group of ['dependencies', 'optionalDependencies']) {
    const deps = map(entry?.[group]);
    if (!deps) continue;
    for (const [n, r] of Object.entries(deps)) {
      const ref = typeof r === 'string' ? r : str(map(r)?.version);
      if (ref) out.push([n, ref]);
    }
  }
  return out;
}

/** An importer's dependency references by group; v5 writes "name: ref", v6/v9 "name: {specifier, version}". */
function importerRefs(imp: YamlMap, groups: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const group of groups) {
    const deps = map(imp[group]);
    if (!deps) continue;
    for (const [n, r] of Object.entries(deps)) {
      const ref = typeof r === 'string' ? r : str(map(r)?.version);
      if (ref) out.push([n, ref]);
    }
  }
  return out;
}

const PROD = ['dependencies', 'optionalDependencies'];
const DEV = ['devDependencies'];

/** pnpm 11's environment document: importers that only pin the package manager and config deps. */
function isEnvDocument(doc: YamlMap): boolean {
  const importers = map(doc.importers);
  if (!importers || doc.dependencies || doc.devDependencies || doc.optionalDependencies) return false;
  const list = Object.values(importers).map(map);
  return (
    list.length > 0 &&
    list.every(
      (imp) =>
        !!imp &&
        (Object.hasOwn(imp, 'packageManagerDependencies') || Object.hasOwn(imp, 'configDependencies')) &&
        !imp.dependencies &&
        !imp.devDependencies &&
        !imp.optionalDependencies,
    )
  );
}

interface Found {
  name: string;
  version: string;
  dev: boolean;
  indirect: boolean;
}

function styleOf(lockfileVersion: string): Style {
  const major = Number.parseInt(lockfileVersion, 10);
  if (!Number.isFinite(major)) throw new Error(`bad lockfileVersion "${lockfileVersion}"`);
  return major >= 9 ? 'v9' : major >= 6 ? 'v6' : 'v5';
}

function parseDocument(doc: YamlMap, found: Map<string, Found>): void {
  const lv = str(doc.lockfileVersion);
  if (lv === undefined) throw new Error('no lockfileVersion');
  const packages = map(doc.packages) ?? {};
  let style = styleOf(lv);
  // Keys say more than the version number: a "9.0" file written with "/name@1.0.0" keys (hand-made
  // or converted) is read the v6 way.
  const keys = Object.keys(packages);
  if (style === 'v9' && keys.length > 0 && keys.every((k) => k.startsWith('/'))) style = 'v6';

  // Graph nodes: v9 snapshots (peer variants), v5/v6 packages entries.
  const nodes = new Map<string, Node>();
  const nodeSource = style === 'v9' ? (map(doc.snapshots) ?? packages) : packages;
  for (const [key, entry] of Object.entries(nodeSource)) nodes.set(key, { deps: edges(map(entry)) });

  // Importers: the workspace projects, or the lockfile itself before workspaces existed.
  const importers = map(doc.importers);
  const projects = importers ? Object.values(importers).map(map) : [doc];
  const reach = (groups: string[]): { seen: Set<string>; direct: Set<string> } => {
    const seen = new Set<string>();
    const direct = new Set<string>();
    const queue: string[] = [];
    for (const imp of projects) {
      if (!imp) continue;
      for (const [name, ref] of importerRefs(imp, groups)) {
        const node = refToNode(name, ref, style);
        if (!node) continue;
        direct.add(packageKeyOf(node, style));
        queue.push(node);
      }
    }
    // Visits every node at most once: bounded by the lockfile's size, cycles included.
    while (queue.length) {
      const node = queue.pop() as string;
      if (seen.has(node)) continue;
      seen.add(node);
      for (const [name, ref] of nodes.get(node)?.deps ?? []) {
        const next = refToNode(name, ref, style);
        if (next && !seen.has(next)) queue.push(next);
      }
    }
    return { seen, direct };
  };
  const prod = reach(PROD);
  const dev = reach(DEV);
  const prodPkgs = new Set([...prod.seen].map((n) => packageKeyOf(n, style)));
  const devPkgs = new Set([...dev.seen].map((n) => packageKeyOf(n, style)));
  const anyDirect = prod.direct.size + dev.direct.size > 0;

  for (const [key, value] of Object.entries(packages)) {
    const entry = map(value);
    if (!entry || isLocal(key, entry, style)) continue;
    const fromKey = parseDepPath(key, style);
    const name = str(entry.name) ?? fromKey?.name;
    const version = str(entry.version) ?? fromKey?.version;
    if (!name || !isVersion(version)) continue;
    const devFlag = str(entry.dev);
    const isDev =
      devFlag === 'true' ? true : devFlag === 'false' ? false : devPkgs.has(key) && !prodPkgs.has(key);
    const isIndirect = anyDirect && !prod.direct.has(key) && !dev.direct.has(key);
    const id = `${name}@${version}`;
    const prev = found.get(id);
    if (prev) {
      // One package in several peer variants: development-only / indirect only if every variant is.
      prev.dev &&= isDev;
      prev.indirect &&= isIndirect;
    } else {
      found.set(id, { name, version, dev: isDev, indirect: isIndirect });
    }
  }
}

export function parsePnpmLock(text: string): LangPackage[] {
  const docs = parseYamlDocuments(text);
  const found = new Map<string, Found>();
  // Empty documents ("---" with nothing after it) and the environment document hold no packages.
  const projectDocs = docs.filter((d) => d !== '' && !(isYamlMap(d) && isEnvDocument(d)));
  for (const doc of projectDocs) {
    if (!isYamlMap(doc)) throw new Error('not a pnpm lockfile (no YAML mapping)');
    parseDocument(doc, found);
  }
  return [...found.values()].map((f) => {
    const p: LangPackage = { name: f.name, version: f.version };
    if (f.dev) p.dev = true;
    if (f.indirect) p.indirect = true;
    return p;
  });
}

export const pnpmLockAnalyzer: LangAnalyzer = {
  name: 'pnpm-lock',
  version: 1,
  lang: { type: 'pnpm', purlType: 'npm' },
  maxFileSize: 64 * 1024 * 1024,
  // Lockfiles inside node_modules belong to published packages, not to the application.
  prefilter: { names: ['pnpm-lock.yaml'] },
  matches: (path) => baseName(path) === 'pnpm-lock.yaml' && !path.includes('node_modules/'),
  async analyze(file) {
    return parsePnpmLock((await file.read()).toString('utf8'));
  },
};
