// SPDX 2.3 JSON: written from a scan result, and read back (SPDX 2.1-2.3) into drydock's inventory.

import { createHash, randomUUID } from 'node:crypto';
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
  type WriteOptions,
} from './common.js';

const NOASSERTION = 'NOASSERTION';

/** SPDX identifiers allow letters, digits, "." and "-" only. */
function slug(s: string, max = 60): string {
  return (
    s
      .replace(/[^A-Za-z0-9.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max) || 'x'
  );
}

/** SPDX dates: UTC, seconds precision, "Z". */
function spdxDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

class Annotator {
  constructor(
    private readonly date: string,
    private readonly tool: string,
  ) {}
  list(facts: [string, string | number | boolean | undefined][]): Json[] {
    const out: Json[] = [];
    for (const [key, value] of facts) {
      if (value === undefined || value === '' || value === false) continue;
      out.push({
        annotationDate: this.date,
        annotationType: 'OTHER',
        annotator: this.tool,
        comment: `${key}: ${value}`,
      });
    }
    return out;
  }
}

function purlRef(purl: string): Json {
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl };
}

function packageJson(p: Package, id: string, a: Annotator): Json {
  // SPDX requires a name; drydock's analyzers always give one, this only guards the format.
  const out: Json = { name: p.name || '(unnamed)', SPDXID: id };
  if (p.version) out.versionInfo = p.version;
  out.supplier = p.maintainer ? `Organization: ${p.maintainer}` : NOASSERTION;
  out.downloadLocation = NOASSERTION;
  out.filesAnalyzed = false;
  const where = p.layer?.diffID ? `, layer ${p.layer.diffID}` : '';
  out.sourceInfo = `package found in ${p.filePath}${where}`;
  // drydock does not check that a recorded license is an SPDX expression: the text is an annotation.
  out.licenseConcluded = NOASSERTION;
  out.licenseDeclared = NOASSERTION;
  out.copyrightText = NOASSERTION;
  out.externalRefs = [purlRef(p.purl)];
  out.primaryPackagePurpose = 'LIBRARY';
  out.annotations = a.list([
    [PROP.type, p.type],
    [PROP.filePath, p.filePath],
    [PROP.arch, p.arch],
    [PROP.srcName, p.srcName],
    [PROP.srcVersion, p.srcVersion],
    ...(p.licenses ?? []).map((l): [string, string] => [PROP.license, l]),
    [PROP.dev, p.dev],
    [PROP.indirect, p.indirect],
    [PROP.modularityLabel, p.modularityLabel],
    [PROP.vendor, p.vendor],
    [PROP.layerDiffID, p.layer?.diffID],
  ]);
  return out;
}

/**
 * An SPDX 2.3 document of a scan: the image (or directory) is the package the document
 * DESCRIBES; it CONTAINS the OS (which CONTAINS the OS packages) and one application package per
 * lockfile or installed-package group (which CONTAINS its packages). Each package has its purl as
 * a PACKAGE-MANAGER reference and drydock's facts as annotations ("drydock:pkg:type: deb").
 */
export function toSpdx(r: ScanResult, opts: WriteOptions, groupLabels?: Record<string, string>): Json {
  const now = opts.now ?? new Date();
  const created = spdxDate(now);
  const toolName = `${opts.tool.name}-${opts.tool.version}`;
  const a = new Annotator(created, `Tool: ${toolName}`);
  const img = r.image;
  const isImage = img.kind !== 'rootfs';
  const packages: Json[] = [];
  const relationships: Json[] = [];
  const rel = (from: string, type: string, to: string) =>
    relationships.push({ spdxElementId: from, relationshipType: type, relatedSpdxElement: to });
  const ids = new Set<string>();
  const uniqueId = (base: string): string => {
    let id = base;
    for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
    ids.add(id);
    return id;
  };

  const subjectId = uniqueId(isImage ? 'SPDXRef-ContainerImage' : 'SPDXRef-Filesystem');
  const subject: Json = {
    name: img.name,
    SPDXID: subjectId,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    primaryPackagePurpose: isImage ? 'CONTAINER' : 'APPLICATION',
  };
  if (isImage) {
    const id = img.configDigest;
    if (id?.startsWith('sha256:')) subject.checksums = [{ algorithm: 'SHA256', checksumValue: id.slice(7) }];
    const purl = ociPurl(img);
    if (purl) subject.externalRefs = [purlRef(purl)];
    const facts: [string, string | undefined][] = [
      [PROP.imageID, id],
      [PROP.manifestDigest, img.manifestDigest],
      ...img.repoTags.map((t): [string, string] => [PROP.repoTag, t]),
      ...img.repoDigests.map((d): [string, string] => [PROP.repoDigest, d]),
    ];
    for (const l of r.layerInfo) {
      facts.push([layerProp(l.index, 'diffID'), l.diffID]);
      facts.push([layerProp(l.index, 'digest'), l.digest]);
      facts.push([layerProp(l.index, 'createdBy'), l.createdBy]);
    }
    const ann = a.list(facts);
    if (ann.length) subject.annotations = ann;
  }
  packages.push(subject);
  rel('SPDXRef-DOCUMENT', 'DESCRIBES', subjectId);

  let osId: string | undefined;
  if (r.os) {
    osId = uniqueId('SPDXRef-OperatingSystem');
    const os: Json = {
      name: r.os.family,
      SPDXID: osId,
      versionInfo: r.os.name,
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      primaryPackagePurpose: 'OPERATING-SYSTEM',
    };
    if (r.os.prettyName) os.description = r.os.prettyName;
    const ann = a.list([[PROP.osCodename, r.os.codename]]);
    if (ann.length) os.annotations = ann;
    packages.push(os);
    rel(subjectId, 'CONTAINS', osId);
  }
  let app = 0;
  for (const g of groupPackages(r.packages, groupLabels)) {
    let parent = g.key === 'os' ? (osId ?? subjectId) : subjectId;
    if (g.key !== 'os') {
      parent = uniqueId(`SPDXRef-Application-${++app}`);
      packages.push({
        name: g.label,
        SPDXID: parent,
        downloadLocation: NOASSERTION,
        filesAnalyzed: false,
        primaryPackagePurpose: 'APPLICATION',
        annotations: a.list([
          [PROP.type, g.type],
          [PROP.class, 'lang-pkgs'],
        ]),
      });
      rel(subjectId, 'CONTAINS', parent);
    }
    for (const p of g.packages) {
      const h = createHash('sha256')
        .update(`${p.purl}\0${p.filePath}\0${p.layer?.diffID ?? ''}`)
        .digest('hex')
        .slice(0, 16);
      const id = uniqueId(`SPDXRef-Package-${slug(p.type, 20)}-${slug(p.name)}-${h}`);
      packages.push(packageJson(p, id, a));
      rel(parent, 'CONTAINS', id);
    }
  }
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: img.name,
    // The namespace SPDX suggests for documents of tools without a web presence of their own.
    documentNamespace: `https://spdx.org/spdxdocs/${toolName}-${slug(img.name)}-${opts.uuid ?? randomUUID()}`,
    creationInfo: { created, creators: [`Tool: ${toolName}`] },
    packages,
    relationships,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A license field, unless it says nothing. */
function license(v: unknown): string | undefined {
  const s = str(v);
  return s && s !== NOASSERTION && s !== 'NONE' ? s : undefined;
}

/** "Organization: Debian X <x@y>" -> "Debian X <x@y>". */
function agent(v: unknown): string | undefined {
  const s = str(v);
  if (!s || s === NOASSERTION) return undefined;
  return s.replace(/^(?:Person|Organization|Tool):\s*/, '') || undefined;
}

function purlOf(p: Json): string | undefined {
  if (!Array.isArray(p.externalRefs)) return undefined;
  for (const r of p.externalRefs) {
    if (!isObject(r) || r.referenceType !== 'purl') continue;
    if (r.referenceCategory !== 'PACKAGE-MANAGER' && r.referenceCategory !== 'PACKAGE_MANAGER') continue;
    const loc = str(r.referenceLocator);
    if (loc) return loc;
  }
  return undefined;
}

function readProps(p: Json): Props {
  const props = new Props();
  if (Array.isArray(p.annotations)) for (const a of p.annotations) if (isObject(a)) props.addText(a.comment);
  // Older Trivy documents put the same "Key: value" facts in attributionTexts.
  if (Array.isArray(p.attributionTexts)) for (const t of p.attributionTexts) props.addText(t);
  return props;
}

/** Reads an SPDX 2.x JSON document into the shape both readers share. */
export function fromSpdx(doc: Json, limits = SBOM_LIMITS): SbomDocument {
  const spec = doc.spdxVersion;
  if (typeof spec !== 'string' || !/^SPDX-2\.\d$/.test(spec))
    throw new UserError(`unsupported spdxVersion ${JSON.stringify(spec)?.slice(0, 20) ?? '(none)'}`);
  if (doc.packages !== undefined && !Array.isArray(doc.packages))
    throw new UserError('SPDX packages is not an array');
  const list = (doc.packages ?? []) as unknown[];
  if (list.length > limits.maxComponents)
    throw new UserError(`more than ${limits.maxComponents} SPDX packages: refusing to read further`);
  const rels = Array.isArray(doc.relationships) ? doc.relationships.filter(isObject) : [];
  const warnings: string[] = [];

  const byId = new Map<string, Json>();
  let skipped = 0;
  for (const p of list) {
    if (!isObject(p)) {
      skipped++;
      continue;
    }
    const id = str(p.SPDXID);
    if (id && !byId.has(id)) byId.set(id, p);
  }
  if (skipped) warnings.push(`${skipped} SPDX package(s) that are not objects skipped`);

  // The subject: what the document DESCRIBES (or the deprecated documentDescribes).
  let subjectId: string | undefined;
  for (const r of rels) {
    if (r.relationshipType === 'DESCRIBES' && r.spdxElementId === 'SPDXRef-DOCUMENT') {
      subjectId = str(r.relatedSpdxElement);
      if (subjectId && byId.has(subjectId)) break;
    }
  }
  if (!subjectId && Array.isArray(doc.documentDescribes)) subjectId = str(doc.documentDescribes[0]);
  const sp = subjectId ? byId.get(subjectId) : undefined;
  const checksum = Array.isArray(sp?.checksums)
    ? sp.checksums.find(
        (c): c is Json => isObject(c) && c.algorithm === 'SHA256' && typeof c.checksumValue === 'string',
      )
    : undefined;
  const subject = {
    name: str(sp?.name) ?? str(doc.name),
    container:
      sp?.primaryPackagePurpose === 'CONTAINER' ||
      !!subjectId?.startsWith('SPDXRef-ContainerImage') ||
      !!subjectId?.startsWith('SPDXRef-DocumentRoot-Image'),
    props: sp ? readProps(sp) : new Props(),
    digest: checksum ? `sha256:${checksum.checksumValue as string}` : undefined,
  };

  let os: SbomDocument['os'];
  const apps = new Map<string, SbomParent>();
  const packages: (SbomPackage & { id: string | undefined })[] = [];
  for (const p of list) {
    if (!isObject(p) || p === sp) continue;
    const id = str(p.SPDXID);
    const purpose = p.primaryPackagePurpose;
    const purl = purlOf(p);
    if (purpose === 'OPERATING-SYSTEM' || (!purl && id?.startsWith('SPDXRef-OperatingSystem'))) {
      const name = str(p.name);
      if (name && !os) {
        os = { family: osFamily(name), name: str(p.versionInfo) ?? '', source: 'sbom' };
        const pretty = str(p.description);
        if (pretty) os.prettyName = pretty;
        const codename = readProps(p).get(PROP.osCodename);
        if (codename) os.codename = codename;
      }
      continue;
    }
    if (!purl && (purpose === 'APPLICATION' || id?.startsWith('SPDXRef-Application'))) {
      const props = readProps(p);
      const name = str(p.name) ?? '';
      let path: string | undefined = name;
      if (!props.get(PROP.type) && id?.startsWith('SPDXRef-Application')) {
        // Trivy names an application by its type and puts the lockfile path in sourceInfo.
        props.add('aquasecurity:trivy:Type', name);
        path = str(p.sourceInfo);
      }
      if (id) apps.set(id, { name, path, props });
      continue;
    }
    packages.push({
      id,
      name: str(p.name),
      group: undefined,
      version: str(p.versionInfo),
      purl,
      licenses: [license(p.licenseDeclared) ?? license(p.licenseConcluded)].filter((l): l is string => !!l),
      supplier: agent(p.supplier) ?? agent(p.originator),
      props: readProps(p),
      parent: undefined,
    });
  }
  if (apps.size) {
    const parentOf = new Map<string, SbomParent>();
    for (const r of rels) {
      const from = str(r.spdxElementId);
      const to = str(r.relatedSpdxElement);
      if (!from || !to) continue;
      // An application CONTAINS its packages (drydock) or DEPENDS_ON them (Trivy); or the reverse.
      const t = r.relationshipType;
      const down = t === 'CONTAINS' || t === 'DEPENDS_ON';
      const up = t === 'CONTAINED_BY' || t === 'DEPENDENCY_OF';
      const app = down ? apps.get(from) : up ? apps.get(to) : undefined;
      const child = down ? to : from;
      if (app && !parentOf.has(child)) parentOf.set(child, app);
    }
    for (const p of packages) if (p.id) p.parent = parentOf.get(p.id);
  }
  return { format: 'spdx', spec, subject, os, packages, warnings };
}
