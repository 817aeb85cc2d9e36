// npm: package-lock.json / npm-shrinkwrap.json (v1, v2, v3) and installed node_modules/**/package.json.

import { isObj } from '../../util/json.js';
import type { LangAnalyzer, LangPackage } from './types.js';

/** location: the "packages" key or the v1 dependency path in a lockfile; the package.json path. */
export type NpmPackage = LangPackage & { location: string };

const LOCK_NAMES = new Set(['package-lock.json', 'npm-shrinkwrap.json']);

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** "node_modules/@scope/a/node_modules/b" -> "b"; "node_modules/@scope/a" -> "@scope/a". */
export function nameFromLockKey(key: string): string | undefined {
  const i = key.lastIndexOf('node_modules/');
  if (i < 0) return undefined;
  return key.slice(i + 'node_modules/'.length) || undefined;
}

function licenseOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string')
    return (v as { type: string }).type;
  if (Array.isArray(v)) {
    const l = v.map(licenseOf).filter((x): x is string => !!x);
    return l.length ? l.join(' OR ') : undefined;
  }
  return undefined;
}

/** Every package a lockfile pins (the root project and workspace links excluded). */
export function parsePackageLock(text: string): NpmPackage[] {
  const json = JSON.parse(text) as unknown;
  if (!isObj(json)) throw new Error('not a JSON object');
  const out: NpmPackage[] = [];
  if (
    isObj(json.packages) &&
    (json.lockfileVersion === 2 || json.lockfileVersion === 3 || !isObj(json.dependencies))
  ) {
    for (const [key, entry] of Object.entries(json.packages)) {
      if (key === '' || !isObj(entry) || entry.link === true) continue;
      const name =
        typeof entry.name === 'string' && !key.includes('node_modules/') ? entry.name : nameFromLockKey(key);
      if (!name || typeof entry.version !== 'string') continue;
      // Workspace members live outside node_modules; they are the project's own code.
      if (!key.includes('node_modules/')) continue;
      const p: NpmPackage = { name, version: entry.version, location: key };
      if (entry.dev === true) p.dev = true;
      const license = licenseOf(entry.license);
      if (license) p.license = license;
      out.push(p);
    }
    return out;
  }
  // lockfileVersion 1: a nested "dependencies" tree
  const walk = (deps: unknown, prefix: string, depth: number) => {
    if (!isObj(deps) || depth > 64) return;
    for (const [name, entry] of Object.entries(deps)) {
      if (!isObj(entry) || typeof entry.version !== 'string') continue;
      const location = `${prefix}node_modules/${name}`;
      const p: NpmPackage = { name, version: entry.version, location };
      if (entry.dev === true) p.dev = true;
      out.push(p);
      walk(entry.dependencies, `${location}/`, depth + 1);
    }
  };
  walk(json.dependencies, '', 0);
  return out;
}

export const npmLockAnalyzer: LangAnalyzer = {
  name: 'npm-lock',
  version: 1,
  lang: { type: 'npm', purlType: 'npm' },
  maxFileSize: 64 * 1024 * 1024,
  // Lockfiles inside node_modules belong to published packages, not to the application.
  prefilter: { names: [...LOCK_NAMES] },
  matches: (path) => LOCK_NAMES.has(baseName(path)) && !path.includes('node_modules/'),
  async analyze(file) {
    return parsePackageLock((await file.read()).toString('utf8'));
  },
};

/** ".../node_modules/a/package.json" or ".../node_modules/@s/a/package.json", but not deeper files. */
export function isInstalledPackageJson(path: string): boolean {
  if (!path.endsWith('/package.json')) return false;
  const i = path.lastIndexOf('node_modules/');
  if (i < 0) return false;
  const rest = path.slice(i + 'node_modules/'.length, -'/package.json'.length);
  const parts = rest.split('/');
  return parts.length === 1
    ? parts[0] !== '' && !parts[0]?.startsWith('.')
    : parts.length === 2 && !!parts[0]?.startsWith('@');
}

export const nodePkgAnalyzer: LangAnalyzer = {
  name: 'node-pkg',
  version: 1,
  lang: { type: 'node-pkg', purlType: 'npm', group: 'Node.js' },
  maxFileSize: 4 * 1024 * 1024,
  prefilter: { names: ['package.json'] },
  matches: (path) => isInstalledPackageJson(path),
  async analyze(file) {
    const json = JSON.parse((await file.read()).toString('utf8')) as unknown;
    if (!isObj(json) || typeof json.name !== 'string' || typeof json.version !== 'string') return undefined;
    const p: NpmPackage = { name: json.name, version: json.version, location: file.path };
    const license = licenseOf(json.license ?? json.licenses);
    if (license) p.license = license;
    return p;
  },
};
