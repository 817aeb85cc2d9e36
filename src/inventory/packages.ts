// Builds the package inventory from merged analyzer results, with the layer each package came from.

import { isLangAnalyzer, type LangPackage } from '../analyze/lang/types.js';
import { APK_DB, type ApkPackage } from '../analyze/pkg/apk.js';
import type { DpkgPackage } from '../analyze/pkg/dpkg.js';
import { DPKG_STATUS, isDpkgStatusD } from '../analyze/pkg/dpkg.js';
import type { RpmDbResult } from '../analyze/pkg/rpm.js';
import { parseSourceRpm, type RpmPackage } from '../analyze/pkg/rpm-header.js';
import { ANALYZERS } from '../analyze/registry.js';
import type { LayerAnalysis } from '../analyze/types.js';
import { mergeAnalyzer, pathHistory } from '../image/merge.js';
import type { OSInfo } from './os.js';
import { langPurl, purlEncode } from './purl.js';

export interface LayerInfo {
  index: number;
  digest: string | undefined;
  diffID: string;
  createdBy: string | undefined;
}

export interface Package {
  /** "deb", "apk", "rpm", "npm"... */
  type: string;
  name: string;
  /** The full version as the package manager records it ("1:1.2.13.dfsg-1"). */
  version: string;
  arch?: string;
  srcName?: string;
  srcVersion?: string;
  maintainer?: string;
  licenses?: string[];
  /** Development-only dependency (lockfiles that record it). */
  dev?: boolean;
  /** Not a direct dependency of the project (lockfiles that record it). */
  indirect?: boolean;
  /** rpm only */
  modularityLabel?: string;
  vendor?: string;
  purl: string;
  /** The file the package was read from. */
  filePath: string;
  layer: LayerInfo | undefined;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Splits a dpkg version into epoch, upstream version and Debian revision. */
export function splitDebVersion(v: string): { epoch: number; version: string; release: string } {
  let epoch = 0;
  let rest = v;
  const c = v.indexOf(':');
  if (c > 0 && /^\d+$/.test(v.slice(0, c))) {
    epoch = Number(v.slice(0, c));
    rest = v.slice(c + 1);
  }
  const d = rest.lastIndexOf('-');
  if (d > 0) return { epoch, version: rest.slice(0, d), release: rest.slice(d + 1) };
  return { epoch, version: rest, release: '' };
}

export function debPurl(p: DpkgPackage, os: OSInfo | undefined): string {
  const ns = os?.family === 'ubuntu' ? 'ubuntu' : 'debian';
  const { epoch } = splitDebVersion(p.version);
  const noEpoch = epoch > 0 ? p.version.slice(p.version.indexOf(':') + 1) : p.version;
  const q: string[] = [];
  if (p.arch) q.push(`arch=${purlEncode(p.arch)}`);
  if (os) q.push(`distro=${purlEncode(`${os.family}-${os.name}`)}`);
  if (epoch > 0) q.push(`epoch=${epoch}`);
  return `pkg:deb/${ns}/${purlEncode(p.name)}@${purlEncode(noEpoch)}${q.length ? `?${q.join('&')}` : ''}`;
}

/** Origin of each package in a database rewritten by several layers: the first layer with that version. */
function originLayers(
  history: { layer: number; value: { name: string; arch: string; version: string }[] }[],
): Map<string, number> {
  let prev = new Map<string, { version: string; layer: number }>();
  for (const h of history) {
    const next = new Map<string, { version: string; layer: number }>();
    for (const p of h.value) {
      const key = `${p.name}:${p.arch}`;
      const before = prev.get(key);
      next.set(key, {
        version: p.version,
        layer: before && before.version === p.version ? before.layer : h.layer,
      });
    }
    prev = next;
  }
  return new Map([...prev].map(([k, v]) => [k, v.layer]));
}

function dpkgPackages(layers: LayerAnalysis[], layerInfo: LayerInfo[], os: OSInfo | undefined): Package[] {
  const view = mergeAnalyzer<DpkgPackage[]>(layers, 'dpkg');
  const out: Package[] = [];
  for (const [path, placed] of view) {
    let origins: Map<string, number> | undefined;
    if (path === DPKG_STATUS) origins = originLayers(pathHistory<DpkgPackage[]>(layers, 'dpkg', path));
    else if (!isDpkgStatusD(path)) continue;
    for (const p of placed.value) {
      const li = origins?.get(`${p.name}:${p.arch}`) ?? placed.layer;
      const pkg: Package = {
        type: 'deb',
        name: p.name,
        version: p.version,
        arch: p.arch,
        srcName: p.srcName,
        srcVersion: p.srcVersion,
        purl: debPurl(p, os),
        filePath: path,
        layer: layerInfo[li],
      };
      if (p.maintainer) pkg.maintainer = p.maintainer;
      out.push(pkg);
    }
  }
  return out;
}

export function apkPurl(p: ApkPackage, os: OSInfo | undefined): string {
  const ns = os?.family === 'wolfi' || os?.family === 'chainguard' ? os.family : 'alpine';
  const q: string[] = [];
  if (p.arch) q.push(`arch=${purlEncode(p.arch)}`);
  if (os) q.push(`distro=${purlEncode(os.name)}`);
  return `pkg:apk/${ns}/${purlEncode(p.name)}@${purlEncode(p.version)}${q.length ? `?${q.join('&')}` : ''}`;
}

function apkPackages(layers: LayerAnalysis[], layerInfo: LayerInfo[], os: OSInfo | undefined): Package[] {
  const placed = mergeAnalyzer<ApkPackage[]>(layers, 'apk').get(APK_DB);
  if (!placed) return [];
  const origins = originLayers(pathHistory<ApkPackage[]>(layers, 'apk', APK_DB));
  return placed.value.map((p) => {
    const pkg: Package = {
      type: 'apk',
      name: p.name,
      version: p.version,
      arch: p.arch,
      srcName: p.origin,
      srcVersion: p.version,
      purl: apkPurl(p, os),
      filePath: APK_DB,
      layer: layerInfo[origins.get(`${p.name}:${p.arch}`) ?? placed.layer],
    };
    if (p.maintainer) pkg.maintainer = p.maintainer;
    if (p.license) pkg.licenses = p.license.split(/\s+(?:AND|OR)\s+|\s+/).filter(Boolean);
    return pkg;
  });
}

export function rpmVersion(p: { epoch: number; version: string; release: string }): string {
  return `${p.epoch > 0 ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;
}

export function rpmPurl(p: RpmPackage, os: OSInfo | undefined): string {
  const distro = os?.family.split(' ')[0];
  const ns = distro?.replace(/\..*$/, '') ?? 'rpm';
  const q: string[] = [];
  if (p.arch) q.push(`arch=${purlEncode(p.arch)}`);
  if (os) q.push(`distro=${purlEncode(`${distro}-${os.name}`)}`);
  if (p.epoch > 0) q.push(`epoch=${p.epoch}`);
  return `pkg:rpm/${ns}/${purlEncode(p.name)}@${purlEncode(`${p.version}-${p.release}`)}${q.length ? `?${q.join('&')}` : ''}`;
}

function rpmPackages(layers: LayerAnalysis[], layerInfo: LayerInfo[], os: OSInfo | undefined): Package[] {
  const out: Package[] = [];
  for (const [path, placed] of mergeAnalyzer<RpmDbResult>(layers, 'rpm')) {
    const history = pathHistory<RpmDbResult>(layers, 'rpm', path).map((h) => ({
      layer: h.layer,
      value: h.value.packages.map((p) => ({ name: p.name, arch: p.arch, version: rpmVersion(p) })),
    }));
    const origins = originLayers(history);
    for (const p of placed.value.packages) {
      const src = parseSourceRpm(p.sourceRpm);
      const pkg: Package = {
        type: 'rpm',
        name: p.name,
        version: rpmVersion(p),
        arch: p.arch,
        purl: rpmPurl(p, os),
        filePath: path,
        layer: layerInfo[origins.get(`${p.name}:${p.arch}`) ?? placed.layer],
      };
      if (src) {
        pkg.srcName = src.name;
        pkg.srcVersion = rpmVersion({ epoch: p.epoch, version: src.version, release: src.release });
      }
      if (p.license) pkg.licenses = [p.license];
      if (p.modularityLabel) pkg.modularityLabel = p.modularityLabel;
      if (p.vendor) pkg.vendor = p.vendor;
      out.push(pkg);
    }
  }
  return out;
}

/** Every OS package in the merged image (dpkg, apk, rpm), sorted, each with its origin layer. */
export function osPackages(
  layers: LayerAnalysis[],
  layerInfo: LayerInfo[],
  os: OSInfo | undefined,
): Package[] {
  const out = [
    ...dpkgPackages(layers, layerInfo, os),
    ...apkPackages(layers, layerInfo, os),
    ...rpmPackages(layers, layerInfo, os),
  ];
  // Code-unit order: stable across locales, and no ICU collator to load.
  out.sort((a, b) => cmp(a.name, b.name) || cmp(a.version, b.version) || cmp(a.arch ?? '', b.arch ?? ''));
  return out;
}

/**
 * Files owned by OS packages (apk, rpm and dpkg record them), so that language packages the OS
 * package manager installed (Alpine's npm, RHEL's nodejs bundles...) are not reported twice.
 */
export function ownedFiles(layers: LayerAnalysis[]): Set<string> {
  const owned = new Set<string>();
  for (const placed of mergeAnalyzer<ApkPackage[]>(layers, 'apk').values()) {
    for (const p of placed.value) for (const f of p.files) owned.add(f);
  }
  for (const placed of mergeAnalyzer<RpmDbResult>(layers, 'rpm').values()) {
    for (const p of placed.value.packages) for (const f of p.files) owned.add(f);
  }
  for (const placed of mergeAnalyzer<string[]>(layers, 'dpkg-files').values()) {
    for (const f of placed.value) owned.add(f);
  }
  return owned;
}

/**
 * Language packages from every language analyzer: lockfiles and binaries give one entry per
 * distinct name@version per file; installed metadata gives one package per file. Files an OS
 * package owns are skipped.
 */
export function langPackages(layers: LayerAnalysis[], layerInfo: LayerInfo[]): Package[] {
  const owned = ownedFiles(layers);
  const out: Package[] = [];
  for (const a of ANALYZERS) {
    if (!isLangAnalyzer(a)) continue;
    const { type, purlType } = a.lang;
    for (const [path, placed] of mergeAnalyzer<LangPackage[] | LangPackage>(layers, a.name)) {
      if (owned.has(path)) continue;
      const list = Array.isArray(placed.value) ? placed.value : [placed.value];
      const seen = new Set<string>();
      for (const p of list) {
        const id = `${p.namespace ?? ''}\0${p.name}@${p.version}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const pkg: Package = {
          type,
          name: p.name,
          version: p.version,
          purl: langPurl(purlType, p.name, p.version, p.namespace),
          filePath: path,
          layer: layerInfo[placed.layer],
        };
        if (p.license) pkg.licenses = [p.license];
        if (p.dev) pkg.dev = true;
        if (p.indirect) pkg.indirect = true;
        out.push(pkg);
      }
    }
  }
  out.sort((a, b) => cmp(a.filePath, b.filePath) || cmp(a.name, b.name) || cmp(a.version, b.version));
  return out;
}
