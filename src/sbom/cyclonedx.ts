// CycloneDX 1.6 JSON: written from a scan result, and read back (1.2-1.7) into drydock's inventory.

import { randomUUID } from 'node:crypto';
import { UserError } from '../errors.js';
import type { Package } from '../inventory/packages.js';
import type { ScanResult } from '../scan/scan.js';
import {
  groupPackages,
  isObject,
  type Json,
  layerProp,
  ociPurl,
  osFamily,
  PROP,
  Props,
  SBOM_LIMITS,
  type SbomDocument,
  type SbomPackage,
  type SbomParent,
  str,
  versionEpoch,
  type WriteOptions,
} from './common.js';

type Property = { name: string; value: string };

const SUBJECT_REF = 'drydock:target';

function prop(out: Property[], name: string, value: string | number | boolean | undefined): void {
  if (value === undefined || value === '' || value === false) return;
  out.push({ name, value: String(value) });
}

function packageComponent(p: Package, ref: string): Json {
  const c: Json = { 'bom-ref': ref, type: 'library', name: p.name };
  if (p.version) c.version = p.version;
  if (p.maintainer) c.supplier = { name: p.maintainer };
  if (p.licenses?.length) c.licenses = p.licenses.map((l) => ({ license: { name: l } }));
  c.purl = p.purl;
  const props: Property[] = [];
  prop(props, PROP.type, p.type);
  prop(props, PROP.filePath, p.filePath);
  prop(props, PROP.arch, p.arch);
  prop(props, PROP.epoch, versionEpoch(p.type, p.version) || undefined);
  prop(props, PROP.srcName, p.srcName);
  prop(props, PROP.srcVersion, p.srcVersion);
  prop(props, PROP.dev, p.dev);
  prop(props, PROP.indirect, p.indirect);
  prop(props, PROP.modularityLabel, p.modularityLabel);
  prop(props, PROP.vendor, p.vendor);
  prop(props, PROP.layerDiffID, p.layer?.diffID);
  prop(props, PROP.layerDigest, p.layer?.diffID ? p.layer.digest : undefined);
  c.properties = props;
  return c;
}

function subjectComponent(r: ScanResult): Json {
  const img = r.image;
  const isImage = img.kind !== 'rootfs';
  const c: Json = { 'bom-ref': SUBJECT_REF, type: isImage ? 'container' : 'application', name: img.name };
  if (!isImage) return c;
  const id = img.configDigest;
  if (id?.startsWith('sha256:')) c.hashes = [{ alg: 'SHA-256', content: id.slice(7) }];
  const purl = ociPurl(img);
  if (purl) c.purl = purl;
  const props: Property[] = [];
  prop(props, PROP.imageID, id);
  prop(props, PROP.manifestDigest, img.manifestDigest);
  for (const t of img.repoTags) prop(props, PROP.repoTag, t);
  for (const d of img.repoDigests) prop(props, PROP.repoDigest, d);
  for (const l of r.layerInfo) {
    prop(props, layerProp(l.index, 'diffID'), l.diffID);
    prop(props, layerProp(l.index, 'digest'), l.digest);
    prop(props, layerProp(l.index, 'createdBy'), l.createdBy);
  }
  if (props.length) c.properties = props;
  return c;
}

/**
 * A CycloneDX 1.6 BOM of a scan: the image (or directory) as metadata.component, its OS, one
 * application component per lockfile or installed-package group, and every package with drydock's
 * facts (type, file, layer, source package...) as `drydock:` properties. Dependencies say what
 * contains what: target -> OS -> OS packages, target -> application -> its packages.
 */
export function toCycloneDX(
  r: ScanResult,
  opts: WriteOptions,
  groupLabels?: Record<string, string>,
  /** Filled with each package's bom-ref, for writers that refer to components (vulnerabilities). */
  refOf?: Map<Package, string>,
): Json {
  const components: Json[] = [];
  const dependencies: { ref: string; dependsOn: string[] }[] = [];
  const top: string[] = [];
  const refs = new Set<string>([SUBJECT_REF]);
  const uniqueRef = (base: string): string => {
    let ref = base;
    for (let n = 2; refs.has(ref); n++) ref = `drydock:pkg:${n}:${base}`;
    refs.add(ref);
    return ref;
  };
  let osRef: string | undefined;
  if (r.os) {
    osRef = uniqueRef(`drydock:os:${r.os.family}@${r.os.name}`);
    const os: Json = { 'bom-ref': osRef, type: 'operating-system', name: r.os.family, version: r.os.name };
    if (r.os.prettyName) os.description = r.os.prettyName;
    const props: Property[] = [];
    prop(props, PROP.osCodename, r.os.codename);
    if (props.length) os.properties = props;
    components.push(os);
    top.push(osRef);
  }
  for (const g of groupPackages(r.packages, groupLabels)) {
    let parent = g.key === 'os' ? osRef : undefined;
    if (g.key !== 'os') {
      parent = uniqueRef(`drydock:app:${g.type}:${g.label}`);
      components.push({
        'bom-ref': parent,
        type: 'application',
        name: g.label,
        properties: [
          { name: PROP.type, value: g.type },
          { name: PROP.class, value: 'lang-pkgs' },
        ],
      });
      top.push(parent);
    }
    const children = g.packages.map((p) => {
      const ref = uniqueRef(p.purl);
      refOf?.set(p, ref);
      components.push(packageComponent(p, ref));
      return ref;
    });
    if (parent) dependencies.push({ ref: parent, dependsOn: children });
    else top.push(...children);
  }
  dependencies.unshift({ ref: SUBJECT_REF, dependsOn: top });
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${opts.uuid ?? randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: (opts.now ?? new Date()).toISOString(),
      tools: { components: [{ type: 'application', name: opts.tool.name, version: opts.tool.version }] },
      component: subjectComponent(r),
    },
    components,
    dependencies,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

function readProps(c: Json): Props {
  const props = new Props();
  if (Array.isArray(c.properties)) for (const p of c.properties) if (isObject(p)) props.add(p.name, p.value);
  return props;
}

function readLicenses(c: Json): string[] {
  const out: string[] = [];
  if (!Array.isArray(c.licenses)) return out;
  for (const l of c.licenses) {
    if (!isObject(l)) continue;
    const expr = str(l.expression);
    if (expr) out.push(expr);
    else if (isObject(l.license)) {
      const v = str(l.license.id) ?? str(l.license.name);
      if (v) out.push(v);
    }
  }
  return out;
}

const SKIPPED_TYPES = new Set(['operating-system', 'container', 'file', 'data', 'device-driver']);

/**
 * Reads a CycloneDX JSON BOM (spec 1.2 to 1.7) into the shape both readers share. Nested
 * components are walked without recursion, with bounds on count and depth.
 */
export function fromCycloneDX(doc: Json, limits = SBOM_LIMITS): SbomDocument {
  const spec = doc.specVersion;
  if (typeof spec !== 'string' || !/^1\.\d+$/.test(spec) || Number(spec.slice(2)) > 7)
    throw new UserError(
      `unsupported CycloneDX specVersion ${JSON.stringify(spec)?.slice(0, 20) ?? '(none)'}`,
    );
  if (doc.components !== undefined && !Array.isArray(doc.components))
    throw new UserError('CycloneDX components is not an array');
  const warnings: string[] = [];
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const mc = isObject(meta.component) ? meta.component : undefined;
  const subjectHash = Array.isArray(mc?.hashes)
    ? mc.hashes.find((h): h is Json => isObject(h) && h.alg === 'SHA-256' && typeof h.content === 'string')
    : undefined;
  const subject = {
    name: str(mc?.name),
    container: mc?.type === 'container',
    props: mc ? readProps(mc) : new Props(),
    digest: subjectHash ? `sha256:${subjectHash.content as string}` : undefined,
  };

  let os: SbomDocument['os'];
  const packages: (SbomPackage & { ref: string | undefined })[] = [];
  const apps = new Map<string, SbomParent>();
  let count = 0;
  let skipped = 0;
  // Depth-first over nested components, with the enclosing application as parent.
  const stack: { list: unknown[]; depth: number; parent: SbomParent | undefined }[] = [];
  if (Array.isArray(doc.components)) stack.push({ list: doc.components, depth: 1, parent: undefined });
  while (stack.length) {
    const { list, depth, parent } = stack.pop() as (typeof stack)[number];
    if (depth > limits.maxDepth)
      throw new UserError(`CycloneDX components nested deeper than ${limits.maxDepth}`);
    count += list.length;
    if (count > limits.maxComponents)
      throw new UserError(`more than ${limits.maxComponents} CycloneDX components: refusing to read further`);
    for (const c of list) {
      if (!isObject(c)) {
        skipped++;
        continue;
      }
      const type = str(c.type) ?? 'library';
      const ref = str(c['bom-ref']);
      let self: SbomParent | undefined;
      if (type === 'operating-system') {
        const name = str(c.name);
        if (name && !os) {
          os = { family: osFamily(name), name: str(c.version) ?? '', source: 'sbom' };
          const pretty = str(c.description);
          if (pretty) os.prettyName = pretty;
          const codename = readProps(c).get(PROP.osCodename);
          if (codename) os.codename = codename;
        }
      } else if (type === 'application' && !str(c.purl)) {
        self = { name: str(c.name) ?? '', path: str(c.name), props: readProps(c) };
        if (ref) apps.set(ref, self);
      } else if (!SKIPPED_TYPES.has(type)) {
        const supplier = isObject(c.supplier) ? str(c.supplier.name) : undefined;
        packages.push({
          ref,
          name: str(c.name),
          group: str(c.group),
          version: str(c.version),
          purl: str(c.purl),
          licenses: readLicenses(c),
          supplier,
          props: readProps(c),
          parent,
        });
      }
      if (Array.isArray(c.components) && c.components.length)
        stack.push({ list: c.components, depth: depth + 1, parent: self ?? parent });
    }
  }
  if (skipped) warnings.push(`${skipped} CycloneDX component(s) that are not objects skipped`);

  // Applications (lockfiles, binaries) name their packages in dependencies.
  if (apps.size && Array.isArray(doc.dependencies)) {
    const parentOf = new Map<string, SbomParent>();
    for (const d of doc.dependencies) {
      if (!isObject(d) || typeof d.ref !== 'string' || !Array.isArray(d.dependsOn)) continue;
      const app = apps.get(d.ref);
      if (!app) continue;
      for (const child of d.dependsOn)
        if (typeof child === 'string' && !parentOf.has(child)) parentOf.set(child, app);
    }
    for (const p of packages) if (!p.parent && p.ref) p.parent = parentOf.get(p.ref);
  }
  return { format: 'cyclonedx', spec: `CycloneDX ${spec}`, subject, os, packages, warnings };
}
