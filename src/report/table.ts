// A readable summary for terminals: image, OS, layers, packages per layer.

import { createRequire } from 'node:module';
import { eolDate, isEndOfLife } from '../inventory/eol.js';
import type { Package } from '../inventory/packages.js';
import type { Finding } from '../match/match.js';
import type { ScanResult } from '../scan/scan.js';
import { langGroups, OS_TYPES } from './groups.js';

function short(d: string | undefined): string {
  if (!d) return '-';
  const i = d.indexOf(':');
  return d.slice(i + 1, i + 13);
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

type Colors = typeof import('picocolors');

export function renderTable(r: ScanResult, opts: { listAllPkgs: boolean; color: boolean }): string {
  const pc = createRequire(import.meta.url)('picocolors') as Colors;
  const c = opts.color ? pc : pc.createColors(false);
  const lines: string[] = [];
  const img = r.image;
  lines.push(c.bold(img.name));
  lines.push(`  kind: ${img.kind}${img.configDigest ? `   image ID: ${img.configDigest}` : ''}`);
  lines.push(
    `  OS:   ${r.os ? `${r.os.family} ${r.os.name}${r.os.prettyName ? ` (${r.os.prettyName})` : ''}${isEndOfLife(r.os) ? c.red(` end of life since ${eolDate(r.os)}`) : ''}` : c.yellow('not detected')}`,
  );
  const os = r.packages.filter((p) => OS_TYPES.has(p.type)).length;
  const byType = new Map<string, number>();
  for (const p of r.packages) if (!OS_TYPES.has(p.type)) byType.set(p.type, (byType.get(p.type) ?? 0) + 1);
  const lang = [...byType].map(([t, n]) => `${t} ${n}`).join(', ');
  lines.push(`  packages: ${os} OS${lang ? `, ${r.packages.length - os} language (${lang})` : ''}`);
  if (img.kind !== 'rootfs' && r.layerInfo.length > 0) {
    lines.push('');
    lines.push(c.bold('Layers'));
    const count = new Map<number, number>();
    for (const p of r.packages) if (p.layer) count.set(p.layer.index, (count.get(p.layer.index) ?? 0) + 1);
    r.layerInfo.forEach((l, i) => {
      const created = (l.createdBy ?? '').replace(/\s+/g, ' ').slice(0, 60);
      lines.push(
        `  ${pad(String(i + 1), 3)} ${short(l.diffID)}  ${pad(`${count.get(i) ?? 0} pkgs`, 9)} ${created}`,
      );
    });
  }
  if (opts.listAllPkgs && r.packages.length > 0) {
    const w = Math.min(40, Math.max(...r.packages.map((p) => p.name.length)));
    const vw = Math.min(40, Math.max(...r.packages.map((p) => p.version.length)));
    const section = (title: string, kind: string, pkgs: readonly Package[]) => {
      lines.push('');
      lines.push(
        `${c.bold(title)}  ${c.dim(`${kind}, ${pkgs.length} package${pkgs.length === 1 ? '' : 's'}`)}`,
      );
      for (const p of pkgs) {
        lines.push(
          `  ${pad(p.name, w)}  ${pad(p.version, vw)}  ${pad(p.arch ?? '', 6)} layer ${p.layer?.diffID ? p.layer.index + 1 : '-'}`,
        );
      }
    };
    const osPkgs = r.packages.filter((p) => OS_TYPES.has(p.type));
    if (osPkgs.length > 0) section(r.os ? `${r.os.family} ${r.os.name}` : 'OS', 'OS packages', osPkgs);
    for (const g of langGroups(r.packages)) section(g.target, g.type, g.pkgs);
  }
  if (r.vulnerabilities) renderVulns(r, lines, c);
  if (r.warnings.length > 0) {
    lines.push('');
    lines.push(c.yellow(`Warnings (${r.warnings.length})`));
    for (const w of r.warnings.slice(0, 20)) lines.push(`  ${w}`);
    if (r.warnings.length > 20) lines.push(`  ... ${r.warnings.length - 20} more (see --format json)`);
  }
  return `${lines.join('\n')}\n`;
}

const SEVERITY_ORDER = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;

/** Findings per target (OS, then each lockfile or ecosystem), most severe first, with a summary line. */
function renderVulns(
  r: ScanResult,
  lines: string[],
  c: Pick<Colors, 'bold' | 'red' | 'yellow' | 'cyan' | 'dim'>,
): void {
  const all = r.vulnerabilities ?? [];
  const paint: Record<string, (s: string) => string> = {
    CRITICAL: (s) => c.bold(c.red(s)),
    HIGH: c.red,
    MEDIUM: c.yellow,
    LOW: c.cyan,
    UNKNOWN: c.dim,
  };
  const summary = (fs: readonly Finding[]) =>
    `${fs.length} (${SEVERITY_ORDER.map((s) => `${s}: ${fs.filter((f) => f.severity === s).length}`).join(', ')})`;
  lines.push('');
  lines.push(`${c.bold('Vulnerabilities')}  ${summary(all)}`);
  const targets: { title: string; findings: Finding[] }[] = [];
  const osF = all.filter((f) => OS_TYPES.has(f.pkg.type));
  if (osF.length > 0)
    targets.push({ title: r.os ? `${r.os.family} ${r.os.name}` : 'OS packages', findings: osF });
  for (const g of langGroups(r.packages)) {
    const mine = new Set(g.pkgs);
    const fs = all.filter((f) => mine.has(f.pkg));
    if (fs.length > 0) targets.push({ title: `${g.target} (${g.type})`, findings: fs });
  }
  for (const t of targets) {
    lines.push('');
    lines.push(`${c.bold(t.title)}  ${summary(t.findings)}`);
    const wId = Math.min(24, Math.max(...t.findings.map((f) => f.id.length)));
    const wPkg = Math.min(30, Math.max(...t.findings.map((f) => f.pkg.name.length)));
    const wVer = Math.min(30, Math.max(...t.findings.map((f) => f.installedVersion.length)));
    const wFix = Math.min(30, Math.max(5, ...t.findings.map((f) => (f.fixedVersion ?? '').length)));
    for (const f of t.findings) {
      const sev = (paint[f.severity] ?? String)(pad(f.severity, 8));
      const title = (f.title ?? '').replace(/\s+/g, ' ').slice(0, 60);
      lines.push(
        `  ${pad(f.id, wId)}  ${sev}  ${pad(f.pkg.name, wPkg)}  ${pad(f.installedVersion, wVer)}  ${pad(f.fixedVersion ?? f.status.replace(/_/g, ' '), wFix)}  ${title}`,
      );
    }
  }
}
