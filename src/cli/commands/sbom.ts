// `drydock sbom` (scan a target, write CycloneDX or SPDX) and `drydock sbom-scan` (read an SBOM,
// report its inventory the way `drydock image` reports a scanned image).

import { EXIT_OK } from '../../errors.js';
import { warn } from '../../log.js';
import { buildReport } from '../../report/json.js';
import { renderTable } from '../../report/table.js';
import type { WriteOptions } from '../../sbom/common.js';
import { toCycloneDX } from '../../sbom/cyclonedx.js';
import { readSbom } from '../../sbom/read.js';
import { toSpdx } from '../../sbom/spdx.js';
import type { ScanResult } from '../../scan/scan.js';
import type { Options } from '../framework.js';
import { emit, scanTarget } from './scan.js';

export async function runSbom(target: string, o: Options, toolVersion: string): Promise<number> {
  return scanTarget(target, o, '', async (result) => {
    const opts: WriteOptions = { tool: { name: 'drydock', version: toolVersion } };
    const doc = o.format === 'spdx-json' ? toSpdx(result, opts) : toCycloneDX(result, opts);
    await emit(`${JSON.stringify(doc, null, 2)}\n`, o.output as string | undefined);
    return EXIT_OK;
  });
}

/** Metadata that describes an image; an SBOM of a directory has none of it. */
const IMAGE_METADATA = ['ImageID', 'DiffIDs', 'RepoTags', 'RepoDigests', 'ManifestDigest', 'Layers'];

export async function runSbomScan(file: string, o: Options): Promise<number> {
  const t0 = Date.now();
  const inv = await readSbom(file);
  for (const w of inv.warnings) warn(w);
  const result: ScanResult = {
    image: inv.image,
    layers: [],
    layerInfo: inv.layerInfo,
    os: inv.os,
    packages: inv.packages,
    files: undefined,
    warnings: inv.warnings,
    stats: { layers: inv.layerInfo.length, analyzed: 0, cached: 0, ms: Date.now() - t0 },
  };
  if (o.scanners !== 'none') {
    // The same vulnerability step as a scanned image: an SBOM is an inventory like any other.
    const { addVulnerabilities } = await import('../../scan/vulns.js');
    const { dbPath } = await import('./db.js');
    const { vulnOptions } = await import('./scan.js');
    await addVulnerabilities(result, { dbPath: dbPath(o), ...vulnOptions(o) });
    for (const w of result.warnings.filter((x) => x.includes('vulnerability database'))) warn(w);
  }
  const output = o.output as string | undefined;
  let text: string;
  const other = await (await import('./formats.js')).renderVulnFormat(result, o.format, {
    container: inv.container,
  });
  if (other !== undefined) {
    text = other;
  } else if (o.format === 'json') {
    const report = buildReport(result, { listAllPkgs: !!o.listAllPkgs });
    // As Trivy reports an SBOM: the artifact type is the SBOM format.
    report.ArtifactType = inv.format;
    const md = report.Metadata as Record<string, unknown>;
    delete md.ImageConfig;
    if (!inv.container) for (const k of IMAGE_METADATA) delete md[k];
    text = `${JSON.stringify(report, null, 2)}\n`;
  } else {
    text = renderTable(result, { listAllPkgs: !!o.listAllPkgs, color: !output && !!process.stdout.isTTY });
  }
  await emit(text, output);
  const exitCode = (o.exitCode as number | undefined) ?? 0;
  return exitCode > 0 && (result.vulnerabilities?.length ?? 0) > 0 ? exitCode : EXIT_OK;
}
