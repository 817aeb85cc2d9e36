// Rust: Cargo.lock, lock format versions 1 to 4. Every [[package]] table pins one crate; those
// without a `source` are the workspace's own crates (members and path dependencies) and are not
// reported, the way npm's root and workspace links are not. A crate that one of them depends on is
// direct, any other indirect (dev-dependencies cannot be told apart in the lockfile).
//
// Dependency references: "name" (v2+, when one version is locked), "name version" (several), and
// "name version (source)" (v1 always; later ones when the same version comes from two sources).
// Format v1 also has a [metadata] table of checksums, which is not needed here.

import { isTomlTable, parseToml } from '../../util/toml-lite.js';
import type { LangAnalyzer, LangPackage } from './types.js';

interface LockEntry {
  name: string;
  version: string;
  source?: string;
  dependencies: string[];
}

function entries(doc: Record<string, unknown>): LockEntry[] {
  const pkgs = doc.package;
  if (pkgs === undefined) return [];
  if (!Array.isArray(pkgs)) throw new Error('"package" is not an array of tables');
  const out: LockEntry[] = [];
  for (const p of pkgs) {
    if (!isTomlTable(p) || typeof p.name !== 'string' || typeof p.version !== 'string') continue;
    const e: LockEntry = { name: p.name, version: p.version, dependencies: [] };
    if (typeof p.source === 'string') e.source = p.source;
    if (Array.isArray(p.dependencies))
      for (const d of p.dependencies) if (typeof d === 'string') e.dependencies.push(d);
    out.push(e);
  }
  return out;
}

/** The lock entries a dependency reference can mean. */
function resolve(ref: string, byName: Map<string, LockEntry[]>): LockEntry[] {
  const m = /^(\S+)(?: (\S+))?(?: \((.+)\))?$/.exec(ref.trim());
  if (!m) return [];
  const [, name, version, source] = m;
  return (byName.get(name as string) ?? []).filter(
    (e) =>
      (version === undefined || e.version === version) &&
      // v3+ writes git sources without the "#commit" suffix that the package's own source has
      (source === undefined || e.source === source || !!e.source?.startsWith(`${source}#`)),
  );
}

/** The crates a Cargo.lock pins, workspace members and path crates excluded. */
export function parseCargoLock(text: string): LangPackage[] {
  const all = entries(parseToml(text));
  const byName = new Map<string, LockEntry[]>();
  for (const e of all) {
    const list = byName.get(e.name);
    if (list) list.push(e);
    else byName.set(e.name, [e]);
  }
  const local = all.filter((e) => e.source === undefined);
  const direct = new Set<LockEntry>();
  for (const l of local)
    for (const ref of l.dependencies) for (const e of resolve(ref, byName)) direct.add(e);
  const out: LangPackage[] = [];
  for (const e of all) {
    if (e.source === undefined) continue;
    const p: LangPackage = { name: e.name, version: e.version };
    // without a local crate to start from, nothing says what is direct
    if (local.length > 0) p.indirect = !direct.has(e);
    out.push(p);
  }
  return out;
}

export const cargoLockAnalyzer: LangAnalyzer = {
  name: 'cargo',
  version: 1,
  lang: { type: 'cargo', purlType: 'cargo' },
  maxFileSize: 16 * 1024 * 1024,
  prefilter: { names: ['Cargo.lock'] },
  // Lockfiles in Cargo's download caches belong to published crates, not to the application.
  matches: (path) =>
    (path === 'Cargo.lock' || path.endsWith('/Cargo.lock')) &&
    !path.includes('.cargo/registry/') &&
    !path.includes('.cargo/git/'),
  async analyze(file) {
    return parseCargoLock((await file.read()).toString('utf8'));
  },
};
