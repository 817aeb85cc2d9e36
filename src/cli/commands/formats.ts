// The machine-readable vulnerability formats `drydock image|fs|sbom-scan --format` write besides
// the table and the JSON report: SARIF 2.1.0 (code scanning) and CycloneDX 1.6 with vulnerabilities.

import type { ScanResult } from '../../scan/scan.js';

/**
 * The report in `format` if it is sarif or cyclonedx, else undefined. `container: false` says the
 * scanned subject is a directory even though it was read from an SBOM.
 */
export async function renderVulnFormat(
  result: ScanResult,
  format: unknown,
  opts: { container?: boolean } = {},
): Promise<string | undefined> {
  if (format !== 'sarif' && format !== 'cyclonedx') return undefined;
  const { VERSION } = await import('../main.js');
  const tool = { name: 'drydock', version: VERSION };
  let doc: Record<string, unknown>;
  if (format === 'sarif') {
    const { toSarif } = await import('../../report/sarif.js');
    doc = toSarif(result, { tool });
  } else {
    const { toCycloneDXWithVulns } = await import('../../report/cyclonedx-vulns.js');
    doc = toCycloneDXWithVulns(result, { tool });
    const subject = (doc.metadata as { component: Record<string, unknown> }).component;
    if (opts.container === false) subject.type = 'application';
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}
