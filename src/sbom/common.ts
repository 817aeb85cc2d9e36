// What the CycloneDX and SPDX writers and readers share: drydock's property names, purl parsing,
// the limits on SBOM input, and the conversion of a read SBOM into drydock's inventory.

import { isLangAnalyzer } from '../analyze/lang/types.js';
import { ANALYZERS } from '../analyze/registry.js';
import { UserError } from '../errors.js';
import type { Image, Layer } from '../image/types.js';
import type { OSInfo } from '../inventory/os.js';
import type { LayerInfo, Package } from '../inventory/packages.js';
import { normalizePythonName } from '../inventory/purl.js';

export interface SbomTool {
  name: string;
  version: string;
}

export interface WriteOptions {
  tool: SbomTool;
  /** Document creation time (tests pin it). */
  now?: Date;
  /** Document identity (tests pin it); a random UUID by default. */
  uuid?: string;
}

/** Bounds on SBOM input: a hostile or broken document fails with one line instead of eating the machine. */
export const SBOM_LIMITS = {
  /** Bytes of JSON read. */
  maxBytes: 128 * 1024 * 1024,
  /** CycloneDX components (nested ones included) or SPDX packages. */
  maxComponents: 200_000,
  /** Nesting of CycloneDX components inside components. */
  maxDepth: 64,
};

/**
 * drydock's own facts, as CycloneDX property names and SPDX annotation keys. They let drydock read
 * back exactly what it wrote; other tools ignore them.
 */
export const PROP = {
  type: 'drydock:pkg:type',
  filePath: 'drydock:pkg:filePath',
  arch: 'drydock:pkg:arch',
  epoch: 'drydock:pkg:epoch',
  srcName: 'drydock:pkg:srcName',
  srcVersion: 'drydock:pkg:srcVersion',
  maintainer: 'drydock:pkg:maintainer',
  license: 'drydock:pkg:license',
  dev: 'drydock:pkg:dev',
  indirect: 'drydock:pkg:indirect',
  modularityLabel: 'drydock:pkg:modularityLabel',
  vendor: 'drydock:pkg:vendor',
  layerDiffID: 'drydock:layer:diffID',
  layerDigest: 'drydock:layer:digest',
  class: 'drydock:class',
  imageID: 'drydock:image:id',
  manifestDigest: 'drydock:image:manifestDigest',
  repoTag: 'drydock:image:repoTag',
  repoDigest: 'drydock:image:repoDigest',
  osCodename: 'drydock:os:codename',
} as const;

/** Per-layer facts of the image: drydock:image:layer:<index>:<diffID|digest|createdBy>. */
export function layerProp(index: number, field: 'diffID' | 'digest' | 'createdBy'): string {
  return `drydock:image:layer:${index}:${field}`;
}

/** Trivy's names for the same facts (its CycloneDX properties and SPDX annotations). */
const TRIVY = 'aquasecurity:trivy:';

export const OS_PKG_TYPES = new Set(['deb', 'apk', 'rpm']);

/** Language packages are grouped the way the JSON report groups them: one group per lockfile. */
export interface PackageGroup {
  /** "os" for OS packages, else the report target (a file path, or a label such as "Node.js"). */
  key: string;
  label: string;
  type: string;
  packages: Package[];
}

/** Report labels of installed-package types ("node-pkg" -> "Node.js"), as the JSON report uses them. */
export function langGroupLabels(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of ANALYZERS) if (isLangAnalyzer(a) && a.lang.group) out[a.lang.type] = a.lang.group;
  return out;
}

export function groupPackages(
  packages: Package[],
  groupLabels: Record<string, string> = langGroupLabels(),
): PackageGroup[] {
  const groups = new Map<string, PackageGroup>();
  for (const p of packages) {
    const os = OS_PKG_TYPES.has(p.type);
    const label = os ? 'os' : (groupLabels[p.type] ?? p.filePath);
    const key = os ? 'os' : `${p.type}\0${label}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, label, type: os ? 'os' : p.type, packages: [] };
      groups.set(key, g);
    }
    g.packages.push(p);
  }
  return [...groups.values()];
}

/** The epoch of a dpkg or rpm version ("1:1.2.13-1" -> 1), 0 when none. */
export function versionEpoch(type: string, version: string): number {
  if (type !== 'deb' && type !== 'rpm') return 0;
  const m = /^(\d+):/.exec(version);
  return m ? Number(m[1]) : 0;
}

/** pkg:oci purl of an image pulled from a registry (the repo digest names it), else undefined. */
export function ociPurl(image: Image): string | undefined {
  const rd = image.repoDigests[0];
  const at = rd?.lastIndexOf('@') ?? -1;
  if (!rd || at <= 0) return undefined;
  const repo = rd.slice(0, at);
  const digest = rd.slice(at + 1);
  const name = (repo.split('/').pop() ?? repo).toLowerCase();
  const enc = (s: string) => encodeURIComponent(s).replace(/%2F/g, '/');
  const q = [`repository_url=${enc(repo)}`];
  if (image.config.architecture) q.push(`arch=${enc(image.config.architecture)}`);
  return `pkg:oci/${enc(name)}@${enc(digest)}?${q.join('&')}`;
}

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty string, else undefined: SBOM fields of the wrong type are treated as absent. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// purl parsing (https://github.com/package-url/purl-spec): scheme:type/namespace/name@version?q#sub

export interface ParsedPurl {
  type: string;
  namespace: string | undefined;
  name: string;
  version: string | undefined;
  qualifiers: Record<string, string>;
}

function decode(s: string): string {
  return decodeURIComponent(s);
}

/** Parses a purl; undefined when it is not one. */
export function parsePurl(purl: string): ParsedPurl | undefined {
  if (purl.length > 4096 || !/^pkg:/i.test(purl)) return undefined;
  try {
    let rest = purl.slice(4).replace(/^\/+/, '');
    const hash = rest.indexOf('#');
    if (hash >= 0) rest = rest.slice(0, hash);
    const qualifiers: Record<string, string> = {};
    const q = rest.indexOf('?');
    if (q >= 0) {
      for (const kv of rest.slice(q + 1).split('&')) {
        const eq = kv.indexOf('=');
        if (eq <= 0) continue;
        const value = decode(kv.slice(eq + 1));
        if (value) qualifiers[kv.slice(0, eq).toLowerCase()] = value;
      }
      rest = rest.slice(0, q);
    }
    const slash = rest.indexOf('/');
    if (slash <= 0) return undefined;
    const type = rest.slice(0, slash).toLowerCase();
    if (!/^[a-z.+-][a-z0-9.+-]*$/.test(type)) return undefined;
    let path = rest.slice(slash + 1).replace(/\/+$/, '');
    let version: string | undefined;
    const at = path.lastIndexOf('@');
    if (at > 0 && path.lastIndexOf('/') < at) {
      version = decode(path.slice(at + 1)) || undefined;
      path = path.slice(0, at);
    }
    const segs = path.split('/').filter(Boolean).map(decode);
    const name = segs.pop();
    if (!name) return undefined;
    return { type, namespace: segs.length ? segs.join('/') : undefined, name, version, qualifiers };
  } catch {
    // A malformed %-escape.
    return undefined;
  }
}

/** drydock's (and Trivy's) package type for a purl type, when the SBOM does not say it. */
const TYPE_OF_PURL: Record<string, string> = {
  deb: 'deb',
  apk: 'apk',
  rpm: 'rpm',
  npm: 'node-pkg',
  pypi: 'python-pkg',
  gem: 'gemspec',
  maven: 'jar',
  golang: 'gobinary',
  cargo: 'cargo',
  nuget: 'nuget',
  composer: 'composer',
  conda: 'conda-pkg',
  swift: 'swift',
  cocoapods: 'cocoapods',
  hex: 'hex',
  conan: 'conan',
  pub: 'pub',
  bitnami: 'bitnami',
};

/** os-release IDs and purl namespaces as drydock's OS family names (see src/inventory/os.ts). */
const FAMILY: Record<string, string> = {
  rhel: 'redhat',
  almalinux: 'alma',
  ol: 'oracle',
  amzn: 'amazon',
  'opensuse-leap': 'opensuse.leap',
  'opensuse-tumbleweed': 'opensuse.tumbleweed',
  sles: 'suse linux enterprise server',
  mariner: 'cbl-mariner',
};

export function osFamily(id: string): string {
  const l = id.toLowerCase();
  return FAMILY[l] ?? l;
}

// ---------------------------------------------------------------------------------------------
// Reading: both formats are first brought to this shape, then converted the same way.

/** Multi-valued properties of one SBOM element, in document order. */
export class Props {
  private readonly m = new Map<string, string[]>();
  add(name: unknown, value: unknown): void {
    if (typeof name !== 'string' || typeof value !== 'string') return;
    const list = this.m.get(name);
    if (list) list.push(value);
    else this.m.set(name, [value]);
  }
  get(...names: string[]): string | undefined {
    for (const n of names) {
      const v = this.m.get(n);
      if (v?.length) return v[0];
    }
    return undefined;
  }
  all(name: string): string[] {
    return this.m.get(name) ?? [];
  }
  /** Trivy's name for a fact ("LayerDiffID" -> "aquasecurity:trivy:LayerDiffID"). */
  trivy(name: string): string | undefined {
    return this.get(`${TRIVY}${name}`);
  }
  trivyAll(name: string): string[] {
    return this.all(`${TRIVY}${name}`);
  }
  /** Annotation text "Key: value": drydock's keys as they are, bare keys (Trivy's) in Trivy's namespace. */
  addText(text: unknown): void {
    if (typeof text !== 'string') return;
    const i = text.indexOf(': ');
    if (i <= 0) return;
    const key = text.slice(0, i);
    this.add(key.includes(':') ? key : `${TRIVY}${key}`, text.slice(i + 2));
  }
}

export interface SbomPackage {
  name: string | undefined;
  /** CycloneDX group (Maven groupId, npm scope). */
  group: string | undefined;
  version: string | undefined;
  purl: string | undefined;
  licenses: string[];
  supplier: string | undefined;
  props: Props;
  /** The application (lockfile) the package belongs to, when the document says so. */
  parent: SbomParent | undefined;
}

export interface SbomParent {
  name: string;
  /** Path of the lockfile or binary, when known. */
  path: string | undefined;
  props: Props;
}

export interface SbomDocument {
  format: 'cyclonedx' | 'spdx';
  /** "CycloneDX 1.6", "SPDX-2.3". */
  spec: string;
  subject: { name: string | undefined; container: boolean; props: Props; digest: string | undefined };
  os: OSInfo | undefined;
  packages: SbomPackage[];
  warnings: string[];
}

export interface SbomInventory {
  image: Image;
  layerInfo: LayerInfo[];
  os: OSInfo | undefined;
  packages: Package[];
  warnings: string[];
  container: boolean;
}

/** A drydock package name from a purl: the namespace is part of the name in drydock's ecosystems. */
function nameFromPurl(p: ParsedPurl, declared: string | undefined): string {
  const ns = p.namespace;
  switch (p.type) {
    case 'npm':
      return ns ? `${ns.startsWith('@') ? ns : `@${ns}`}/${p.name}` : p.name;
    case 'maven':
      return ns ? `${ns}:${p.name}` : p.name;
    case 'composer':
    case 'golang':
      return ns ? `${ns}/${p.name}` : p.name;
    case 'pypi':
      return declared && normalizePythonName(declared) === normalizePythonName(p.name) ? declared : p.name;
    default:
      return declared ?? p.name;
  }
}

/** Full version of an OS package from its purl: the epoch travels as a qualifier there. */
function osVersion(p: ParsedPurl, declared: string | undefined): string {
  if (!p.version) return declared ?? '';
  const epoch = p.qualifiers.epoch;
  if (epoch && /^\d+$/.test(epoch) && epoch !== '0' && (p.type === 'deb' || p.type === 'rpm'))
    return `${epoch}:${p.version}`;
  return p.version;
}

/** Trivy's split source version (SrcEpoch, SrcVersion, SrcRelease) as one string. */
function trivySrcVersion(props: Props): string | undefined {
  const v = props.trivy('SrcVersion');
  if (!v) return undefined;
  const e = props.trivy('SrcEpoch');
  const r = props.trivy('SrcRelease');
  return `${e && e !== '0' ? `${e}:` : ''}${v}${r ? `-${r}` : ''}`;
}

/** The OS from the packages' purls (distro qualifier) when the document names no OS component. */
function osFromPurls(packages: Package[]): OSInfo | undefined {
  for (const pkg of packages) {
    if (!OS_PKG_TYPES.has(pkg.type)) continue;
    const p = parsePurl(pkg.purl);
    const distro = p?.qualifiers.distro;
    if (!p || !distro) continue;
    const m = /^([a-z][a-z0-9._]*)-(\d.*)$/i.exec(distro);
    if (m) return { family: osFamily(m[1] as string), name: m[2] as string, source: 'sbom' };
    if (/^\d/.test(distro) && p.namespace)
      return { family: osFamily(p.namespace), name: distro, source: 'sbom' };
  }
  return undefined;
}

/** Syft's absolute paths as image-relative ones; undefined for none. */
function strip(s: string): string | undefined {
  return s.replace(/^\/+/, '') || undefined;
}

/**
 * Converts a read SBOM into drydock's inventory: Package objects (type from drydock's or Trivy's
 * properties, else from the purl type), the OS, and the image layers the packages came from.
 */
export function toInventory(doc: SbomDocument, source: string): SbomInventory {
  const warnings = [...doc.warnings];
  const sp = doc.subject.props;
  // Layers: the image's own list (drydock's, then Trivy's), then any other diffID a package names.
  const layerInfo: LayerInfo[] = [];
  const byDiffID = new Map<string, LayerInfo>();
  const addLayer = (diffID: string, digest?: string, createdBy?: string): LayerInfo => {
    let l = byDiffID.get(diffID);
    if (!l) {
      l = { index: layerInfo.length, digest, diffID, createdBy };
      layerInfo.push(l);
      byDiffID.set(diffID, l);
    }
    l.digest ??= digest;
    return l;
  };
  for (let i = 0; ; i++) {
    const diffID = sp.get(layerProp(i, 'diffID'));
    if (!diffID) break;
    addLayer(diffID, sp.get(layerProp(i, 'digest')), sp.get(layerProp(i, 'createdBy')));
  }
  for (const d of sp.trivyAll('DiffID')) addLayer(d);

  let noPurl = 0;
  let badPurl = 0;
  const packages: Package[] = [];
  const seen = new Set<string>();
  for (const c of doc.packages) {
    if (!c.purl) {
      noPurl++;
      continue;
    }
    const purl = parsePurl(c.purl);
    if (!purl) {
      badPurl++;
      continue;
    }
    const props = c.props;
    const ours = props.get(PROP.type);
    const parentType = c.parent?.props.get(PROP.type) ?? c.parent?.props.trivy('Type');
    const type = ours ?? props.trivy('PkgType') ?? parentType ?? TYPE_OF_PURL[purl.type] ?? purl.type;
    const declared = c.name && c.group && !ours ? joinGroup(purl.type, c.group, c.name) : c.name;
    const name = ours && c.name ? c.name : nameFromPurl(purl, declared);
    const version = ours
      ? (c.version ?? '')
      : OS_PKG_TYPES.has(type)
        ? osVersion(purl, c.version)
        : (c.version ?? purl.version ?? '');
    const pkg: Package = {
      type,
      name,
      version,
      purl: c.purl,
      filePath:
        props.get(PROP.filePath) ??
        props.trivy('FilePath') ??
        strip(props.get('syft:location:0:path') ?? '') ??
        c.parent?.path ??
        source,
      layer: undefined,
    };
    const arch = props.get(PROP.arch) ?? (OS_PKG_TYPES.has(type) ? purl.qualifiers.arch : undefined);
    if (arch) pkg.arch = arch;
    const upstream = purl.type === 'deb' || purl.type === 'apk' ? purl.qualifiers.upstream : undefined;
    const srcName = props.get(PROP.srcName) ?? props.trivy('SrcName') ?? upstream?.split('@')[0];
    if (srcName) pkg.srcName = srcName;
    const srcVersion =
      props.get(PROP.srcVersion) ??
      trivySrcVersion(props) ??
      (upstream?.includes('@') ? upstream.slice(upstream.indexOf('@') + 1) : undefined);
    if (srcVersion) pkg.srcVersion = srcVersion;
    const maintainer = props.get(PROP.maintainer) ?? c.supplier;
    if (maintainer) pkg.maintainer = maintainer;
    const licenses = props.all(PROP.license);
    if (licenses.length) pkg.licenses = licenses;
    else if (c.licenses.length) pkg.licenses = c.licenses;
    if (props.get(PROP.dev) === 'true') pkg.dev = true;
    if (props.get(PROP.indirect) === 'true') pkg.indirect = true;
    const modularityLabel = props.get(PROP.modularityLabel) ?? props.trivy('Modularitylabel');
    if (modularityLabel) pkg.modularityLabel = modularityLabel;
    const vendor = props.get(PROP.vendor);
    if (vendor) pkg.vendor = vendor;
    const diffID =
      props.get(PROP.layerDiffID) ?? props.trivy('LayerDiffID') ?? props.get('syft:location:0:layerID');
    if (diffID) pkg.layer = addLayer(diffID, props.get(PROP.layerDigest) ?? props.trivy('LayerDigest'));
    const key = [pkg.type, pkg.name, pkg.version, pkg.purl, pkg.filePath, diffID ?? ''].join('\0');
    if (seen.has(key)) continue;
    seen.add(key);
    packages.push(pkg);
  }
  // The order `drydock image` reports: OS packages by name, then language packages by file.
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  packages.sort((a, b) => {
    const ao = OS_PKG_TYPES.has(a.type);
    const bo = OS_PKG_TYPES.has(b.type);
    if (ao !== bo) return ao ? -1 : 1;
    return ao
      ? cmp(a.name, b.name) || cmp(a.version, b.version) || cmp(a.arch ?? '', b.arch ?? '')
      : cmp(a.filePath, b.filePath) || cmp(a.name, b.name) || cmp(a.version, b.version);
  });
  if (noPurl > 0) warnings.push(`${noPurl} component(s) without a purl skipped`);
  if (badPurl > 0) warnings.push(`${badPurl} component(s) with an invalid purl skipped`);

  const os = doc.os ?? osFromPurls(packages);
  if (!os && packages.some((p) => OS_PKG_TYPES.has(p.type)))
    warnings.push('the SBOM names no operating system: OS packages cannot be checked');

  const imageID = sp.get(PROP.imageID) ?? sp.trivy('ImageID');
  const layers: Layer[] = layerInfo.map((l) => ({
    index: l.index,
    digest: l.digest,
    diffID: l.diffID,
    size: undefined,
    mediaType: undefined,
    createdBy: l.createdBy,
    open: () => Promise.reject(new UserError('an SBOM has no layer contents')),
  }));
  const image: Image = {
    kind: 'sbom',
    name: source,
    manifestDigest: sp.get(PROP.manifestDigest),
    configDigest: imageID ?? doc.subject.digest,
    config: { rootfs: { type: 'layers', diff_ids: layerInfo.map((l) => l.diffID) } },
    layers,
    repoTags: [...sp.all(PROP.repoTag), ...sp.trivyAll('RepoTag')],
    repoDigests: [...sp.all(PROP.repoDigest), ...sp.trivyAll('RepoDigest')],
    close: async () => {},
  };
  return { image, layerInfo, os, packages, warnings, container: doc.subject.container };
}

/** A CycloneDX group and name as one drydock name, the way the ecosystem writes it. */
function joinGroup(purlType: string, group: string, name: string): string {
  if (name.startsWith(`${group}/`) || name.startsWith(`${group}:`)) return name;
  return purlType === 'maven' ? `${group}:${name}` : `${group}/${name}`;
}
