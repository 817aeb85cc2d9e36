// The JSON report, in Trivy's shape (SchemaVersion 2) so that tools reading Trivy JSON read ours.

import { eolDate, isEndOfLife } from '../inventory/eol.js';
import type { Package } from '../inventory/packages.js';
import { splitDebVersion } from '../inventory/packages.js';
import type { Finding } from '../match/match.js';
import type { ScanResult } from '../scan/scan.js';
import { langGroups, OS_TYPES } from './groups.js';

const ANALYZED_BY: Record<string, string> = { deb: 'dpkg', apk: 'apk', rpm: 'rpm' };

const SOURCE_NAMES: Record<string, string> = {
  'debian-tracker': 'Debian Security Tracker',
  'debian-dsa': 'Debian Security Advisories',
  'alpine-secdb': 'Alpine Secdb',
  osv: 'OSV',
  rubysec: 'Ruby Advisory Database',
  friendsofphp: 'PHP Security Advisories Database',
  rustsec: 'RustSec Advisory Database',
  'redhat-csaf': 'Red Hat CSAF VEX',
  nvd: 'NVD',
};

/** One finding in Trivy's Vulnerabilities[] shape, plus drydock's reason for the match. */
function vulnJson(f: Finding): Record<string, unknown> {
  const p = f.pkg;
  const out: Record<string, unknown> = {
    VulnerabilityID: f.id,
    PkgID: `${p.name}@${p.version}`,
    PkgName: p.name,
    PkgPath: OS_TYPES.has(p.type) ? undefined : p.filePath,
    PkgIdentifier: { PURL: p.purl },
    InstalledVersion: p.version,
  };
  if (f.fixedVersion) out.FixedVersion = f.fixedVersion;
  out.Status = f.status;
  const layer = layerJson(p);
  if (layer) out.Layer = layer;
  out.SeveritySource = f.severitySource;
  if (f.url) out.PrimaryURL = f.url;
  out.DataSource = { ID: f.dataSource, Name: SOURCE_NAMES[f.dataSource] ?? f.dataSource };
  if (f.title) out.Title = f.title;
  if (f.description) out.Description = f.description;
  out.Severity = f.severity;
  if (f.cvss.length > 0) {
    const cvss: Record<string, Record<string, unknown>> = {};
    for (const c of f.cvss) {
      const e = cvss[c.source] ?? {};
      const k = c.version.startsWith('2') ? 'V2' : c.version.startsWith('4') ? 'V40' : 'V3';
      e[`${k}Vector`] = c.vector;
      if (c.score !== undefined) e[`${k}Score`] = c.score;
      cvss[c.source] = e;
    }
    out.CVSS = cvss;
  }
  if (f.aliases.length > 0) out.VendorIDs = f.aliases;
  if (f.references?.length) out.References = f.references;
  if (f.published) out.PublishedDate = f.published;
  if (f.modified) out.LastModifiedDate = f.modified;
  out.MatchReason = f.why;
  return out;
}
export interface ReportOptions {
  listAllPkgs: boolean;
  /** The time end-of-life dates are compared with. */
  now?: Date;
}

function layerJson(p: Package): Record<string, string> | undefined {
  if (!p.layer?.diffID) return undefined;
  const l: Record<string, string> = {};
  if (p.layer.digest) l.Digest = p.layer.digest;
  l.DiffID = p.layer.diffID;
  if (p.layer.createdBy) l.CreatedBy = p.layer.createdBy;
  return l;
}

function packageJson(p: Package): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ID: `${p.name}@${p.version}`,
    Name: p.name,
    Identifier: { PURL: p.purl },
  };
  if (p.type === 'deb' || p.type === 'rpm') {
    // Trivy splits both: Epoch, Version (upstream) and Release.
    const v = splitDebVersion(p.version);
    out.Version = v.version;
    if (v.release) out.Release = v.release;
    if (v.epoch) out.Epoch = v.epoch;
    if (p.arch) out.Arch = p.arch;
    if (p.srcName) out.SrcName = p.srcName;
    if (p.srcVersion) {
      const s = splitDebVersion(p.srcVersion);
      out.SrcVersion = s.version;
      if (s.release) out.SrcRelease = s.release;
      if (s.epoch) out.SrcEpoch = s.epoch;
    }
  } else {
    out.Version = p.version;
    if (p.arch) out.Arch = p.arch;
    if (p.srcName) out.SrcName = p.srcName;
    if (p.srcVersion) out.SrcVersion = p.srcVersion;
  }
  if (p.modularityLabel) out.Modularitylabel = p.modularityLabel;
  if (p.licenses?.length) out.Licenses = p.licenses;
  if (p.dev) out.Dev = true;
  if (p.indirect) out.Indirect = true;
  if (p.maintainer) out.Maintainer = p.maintainer;
  const layer = layerJson(p);
  if (layer) out.Layer = layer;
  out.FilePath = p.filePath;
  out.AnalyzedBy = ANALYZED_BY[p.type] ?? p.type;
  return out;
}

export function buildReport(r: ScanResult, opts: ReportOptions): Record<string, unknown> {
  const img = r.image;
  const isImage = img.kind !== 'rootfs';
  const metadata: Record<string, unknown> = {};
  if (r.os) {
    const os: Record<string, unknown> = { Family: r.os.family, Name: r.os.name };
    // Trivy's flag for an end-of-life release; drydock adds the date.
    if (isEndOfLife(r.os, opts.now ?? new Date())) {
      os.EOSL = true;
      os.EOLDate = eolDate(r.os);
    }
    metadata.OS = os;
  }
  if (isImage) {
    if (img.configDigest) metadata.ImageID = img.configDigest;
    metadata.DiffIDs = img.layers.map((l) => l.diffID);
    metadata.RepoTags = img.repoTags;
    metadata.RepoDigests = img.repoDigests;
    if (img.manifestDigest) metadata.ManifestDigest = img.manifestDigest;
    metadata.ImageConfig = img.config;
    metadata.Layers = r.layerInfo.map((l, i) => {
      const s = r.layers[i]?.stats;
      return {
        Digest: l.digest,
        DiffID: l.diffID,
        CreatedBy: l.createdBy,
        Entries: s?.entries,
        Size: s?.bytes,
      };
    });
  }
  const results: Record<string, unknown>[] = [];
  const osPkgs = r.packages.filter((p) => OS_TYPES.has(p.type));
  if (r.os || osPkgs.length > 0) {
    const res: Record<string, unknown> = {
      Target: `${img.name}${r.os ? ` (${r.os.family} ${r.os.name})` : ''}`,
      Class: 'os-pkgs',
      Type: r.os?.family ?? (osPkgs[0]?.type === 'apk' ? 'alpine' : 'debian'),
    };
    if (opts.listAllPkgs) res.Packages = osPkgs.map(packageJson);
    res.Vulnerabilities = (r.vulnerabilities ?? []).filter((f) => OS_TYPES.has(f.pkg.type)).map(vulnJson);
    results.push(res);
  }
  // Language packages: one result per lockfile or binary, one per ecosystem of installed packages.
  for (const g of langGroups(r.packages)) {
    const res: Record<string, unknown> = { Target: g.target, Class: 'lang-pkgs', Type: g.type };
    if (opts.listAllPkgs) res.Packages = g.pkgs.map(packageJson);
    const mine = new Set(g.pkgs);
    res.Vulnerabilities = (r.vulnerabilities ?? []).filter((f) => mine.has(f.pkg)).map(vulnJson);
    results.push(res);
  }
  const report: Record<string, unknown> = {
    SchemaVersion: 2,
    CreatedAt: (opts.now ?? new Date()).toISOString(),
    ArtifactName: img.name,
    ArtifactType: isImage ? 'container_image' : 'filesystem',
    Metadata: metadata,
    Results: results,
  };
  if (r.files) {
    report.Files = r.files.map((f) => ({
      Path: f.path,
      Type: f.type,
      Size: f.size,
      Mode: `0${f.mode.toString(8)}`,
      ...(f.linkname ? { Link: f.linkname } : {}),
      Layer: {
        Digest: r.layerInfo[f.layer]?.digest,
        DiffID: r.layerInfo[f.layer]?.diffID,
        CreatedBy: r.layerInfo[f.layer]?.createdBy,
      },
    }));
  }
  if (r.warnings.length > 0) report.Warnings = r.warnings;
  return report;
}
