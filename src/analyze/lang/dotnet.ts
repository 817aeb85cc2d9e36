// .NET: the NuGet packages an application was published with, from its <app>.deps.json.
//
// "libraries" lists everything the build resolved: "package" entries are NuGet packages, "project"
// entries the application's own projects, others (runtimepack, referenceassembly) are parts of
// the .NET runtime. A package whose entry under the runtime target carries no runtime, native,
// runtimeTargets or resources assets puts no file next to the app (a meta-package, a reference
// package the shared framework supersedes), so it is left out, as Trivy does. Packages a project depends on are direct;
// the rest indirect. deps.json records no development dependencies.

import { isObj, type Json } from '../../util/json.js';
import type { LangAnalyzer, LangPackage } from './types.js';

function hasAssets(entry: unknown): boolean {
  if (!isObj(entry)) return false;
  return ['runtime', 'native', 'runtimeTargets', 'resources'].some(
    (k) => isObj(entry[k]) && Object.keys(entry[k]).length > 0,
  );
}

/** "Newtonsoft.Json/13.0.1" -> name and version (names hold no "/"). */
export function splitLibraryKey(key: string): { name: string; version: string } | undefined {
  const i = key.indexOf('/');
  if (i <= 0 || i === key.length - 1 || key.indexOf('/', i + 1) >= 0) return undefined;
  return { name: key.slice(0, i), version: key.slice(i + 1) };
}

export function parseDepsJson(text: string): LangPackage[] {
  const json = JSON.parse(text) as unknown;
  if (!isObj(json)) throw new Error('not a JSON object');
  const libraries = json.libraries;
  if (libraries === undefined) return [];
  if (!isObj(libraries)) throw new Error('"libraries" is not an object');
  const targetName = isObj(json.runtimeTarget) ? json.runtimeTarget.name : undefined;
  const targets = isObj(json.targets) ? json.targets : {};
  const target =
    typeof targetName === 'string' && isObj(targets[targetName]) ? targets[targetName] : undefined;

  const direct = new Set<string>();
  if (target) {
    for (const [key, lib] of Object.entries(libraries)) {
      if (!isObj(lib) || lib.type !== 'project') continue;
      const deps = (target[key] as Json | undefined)?.dependencies;
      if (isObj(deps)) for (const [name, v] of Object.entries(deps)) direct.add(`${name.toLowerCase()}/${v}`);
    }
  }

  const out: LangPackage[] = [];
  for (const [key, lib] of Object.entries(libraries)) {
    if (!isObj(lib) || lib.type !== 'package') continue;
    const nv = splitLibraryKey(key);
    if (!nv) continue;
    // Without the runtime target we cannot tell what was deployed: keep everything.
    if (target && !hasAssets(target[key])) continue;
    const p: LangPackage = { name: nv.name, version: nv.version };
    if (target && !direct.has(`${nv.name.toLowerCase()}/${nv.version}`)) p.indirect = true;
    out.push(p);
  }
  return out;
}

export const dotnetDepsAnalyzer: LangAnalyzer = {
  name: 'dotnet-core',
  version: 1,
  lang: { type: 'dotnet-core', purlType: 'nuget' },
  maxFileSize: 32 * 1024 * 1024,
  prefilter: { extensions: ['.deps.json'] },
  matches: (path, info) => info.type === 'file' && path.endsWith('.deps.json'),
  async analyze(file) {
    return parseDepsJson((await file.read()).toString('utf8'));
  },
};
