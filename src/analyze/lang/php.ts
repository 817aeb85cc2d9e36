// PHP / Composer: composer.lock and the installed-package list vendor/composer/installed.json
// (Composer 1 writes a bare array; Composer 2 an object with "packages", "dev", "dev-package-names").

import { isObj } from '../../util/json.js';
import type { LangAnalyzer, LangPackage } from './types.js';

const MAX_NAME = 214;
const MAX_VERSION = 256;
const MAX_LICENSES = 32;
const MAX_LICENSE = 200;
// Composer package names are "vendor/project"; anything else is not a package we can name.
const COMPOSER_NAME = /^[^/\s]+\/[^/\s]+$/;

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** "license": "MIT" or ["MIT", "GPL-2.0"]; Composer reads a list as a choice between them. */
function licenseOf(v: unknown): string | undefined {
  const list = (typeof v === 'string' ? [v] : Array.isArray(v) ? v : []).filter(
    (l): l is string => typeof l === 'string' && l !== '' && l.length <= MAX_LICENSE,
  );
  return list.length > 0 && list.length <= MAX_LICENSES ? list.join(' OR ') : undefined;
}

/** name, version (as written: "v1.0.2" stays "v1.0.2", as Composer shows it) and license of one entry. */
function packageOf(entry: unknown): LangPackage | undefined {
  if (!isObj(entry)) return undefined;
  const { name, version } = entry;
  if (typeof name !== 'string' || name.length > MAX_NAME || !COMPOSER_NAME.test(name)) return undefined;
  if (typeof version !== 'string' || version === '' || version.length > MAX_VERSION) return undefined;
  const p: LangPackage = { name, version };
  const license = licenseOf(entry.license);
  if (license) p.license = license;
  return p;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`invalid JSON: ${(e as Error).message.slice(0, 100)}`);
  }
}

/** Every package a composer.lock pins; "packages-dev" entries are marked dev. */
export function parseComposerLock(text: string): LangPackage[] {
  const json = parseJson(text);
  if (!isObj(json) || !(Array.isArray(json.packages) || Array.isArray(json['packages-dev'])))
    throw new Error('not a composer.lock (no "packages" list)');
  const out: LangPackage[] = [];
  const seen = new Set<string>();
  for (const [key, dev] of [
    ['packages', false],
    ['packages-dev', true],
  ] as const) {
    const list = json[key];
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const p = packageOf(entry);
      if (!p) continue;
      const id = `${p.name}@${p.version}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (dev) p.dev = true;
      out.push(p);
    }
  }
  return out;
}

/**
 * The packages vendor/composer/installed.json records. Composer 2's "dev-package-names" lists those
 * installed only for require-dev; Composer 1's array form does not say, so nothing is marked dev.
 */
export function parseInstalledJson(text: string): LangPackage[] {
  const json = parseJson(text);
  let list: unknown[];
  let devNames = new Set<string>();
  if (Array.isArray(json)) {
    list = json;
  } else if (isObj(json) && Array.isArray(json.packages)) {
    list = json.packages;
    const names = json['dev-package-names'];
    if (Array.isArray(names)) devNames = new Set(names.filter((n): n is string => typeof n === 'string'));
  } else {
    throw new Error('not a Composer installed.json (neither a list nor {"packages": [...]})');
  }
  const out: LangPackage[] = [];
  const seen = new Set<string>();
  for (const entry of list) {
    const p = packageOf(entry);
    if (!p) continue;
    const id = `${p.name}@${p.version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (devNames.has(p.name)) p.dev = true;
    out.push(p);
  }
  return out;
}

/** An application's composer.lock; those that packages under a vendor/ dir ship are theirs, not the app's. */
export function isComposerLock(path: string): boolean {
  return baseName(path) === 'composer.lock' && !/(?:^|\/)vendor\//.test(path);
}

/** <vendor-dir>/composer/installed.json (the vendor dir's name is configurable). */
export function isComposerInstalled(path: string): boolean {
  return path === 'composer/installed.json' || path.endsWith('/composer/installed.json');
}

export const composerLockAnalyzer: LangAnalyzer = {
  name: 'composer',
  version: 1,
  lang: { type: 'composer', purlType: 'composer' },
  maxFileSize: 32 * 1024 * 1024,
  prefilter: { names: ['composer.lock'] },
  matches: (path, info) => info.type === 'file' && isComposerLock(path),
  async analyze(file) {
    return parseComposerLock((await file.read()).toString('utf8'));
  },
};

export const composerVendorAnalyzer: LangAnalyzer = {
  name: 'composer-vendor',
  version: 1,
  lang: { type: 'composer-vendor', purlType: 'composer' },
  maxFileSize: 32 * 1024 * 1024,
  prefilter: { names: ['installed.json'] },
  matches: (path, info) => info.type === 'file' && isComposerInstalled(path),
  async analyze(file) {
    return parseInstalledJson((await file.read()).toString('utf8'));
  },
};
