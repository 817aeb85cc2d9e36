// SARIF 2.1.0 for GitHub code scanning: one run, one rule per vulnerability id, one result per
// finding (a vulnerability in one package), located at the file the package was read from.
//
// What GitHub reads (its "SARIF support for code scanning" page): tool.driver.name and rules; for a
// rule its id, name, short and full descriptions, help (text and markdown), helpUri and
// properties.tags; properties["security-severity"], a score from 0.0 to 10.0 as a string, shown as
// critical (over 9.0), high (7.0-8.9), medium (4.0-6.9) or low (0.1-3.9) when the tags hold
// "security"; for a result ruleId, level, message.text, at least one location (artifactLocation.uri,
// region.startLine) and partialFingerprints, which keep one alert per finding across uploads.

import { createHash } from 'node:crypto';
import type { Finding } from '../match/match.js';
import type { ScanResult } from '../scan/scan.js';
import type { Severity } from '../vulndb/types.js';
import { OS_TYPES } from './groups.js';
import { highestScore, webUrl, worse } from './vuln-facts.js';

type Json = Record<string, unknown>;

export const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

export interface SarifOptions {
  tool: { name: string; version: string };
}

export type SarifLevel = 'error' | 'warning' | 'note';

/** The result level GitHub shows for a finding without a security-severity. */
export function sarifLevel(s: Severity): SarifLevel {
  return s === 'CRITICAL' || s === 'HIGH' ? 'error' : s === 'MEDIUM' ? 'warning' : 'note';
}

/** A score GitHub ranks like the severity, for findings no CVSS score comes with. */
const SEVERITY_SCORE: Partial<Record<Severity, number>> = { CRITICAL: 9.5, HIGH: 8.0, MEDIUM: 5.5, LOW: 2.0 };

/**
 * GitHub's security-severity of a vulnerability: the highest CVSS base score of its findings, else
 * a score inside the band of the worst severity; undefined when nothing is known.
 */
export function securitySeverity(findings: readonly Finding[]): string | undefined {
  const score =
    highestScore(findings) ?? SEVERITY_SCORE[findings.map((f) => f.severity).reduce(worse, 'UNKNOWN')];
  return score === undefined ? undefined : score.toFixed(1);
}

/**
 * A package's file as a relative URI reference: every byte outside RFC 3986's path characters is
 * percent-encoded, ':' too (a colon in the first segment would read as a URI scheme).
 */
export function pathUri(p: string): string {
  const bytes = Buffer.from(p.replace(/^\/+/, '/'), 'utf8');
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out +=
      b < 0x80 && /[A-Za-z0-9\-._~!$&'()*+,;=@/]/.test(ch)
        ? ch
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The file a finding is located at: the lockfile, manifest or package database it was read from. */
function fileOf(f: Finding, r: ScanResult): string {
  return f.pkg.filePath || r.image.name;
}

function firstLine(s: string, max = 200): string {
  const line = s.trim().split('\n')[0]?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Markdown table cells: no pipes or line breaks from feed text. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\s+/g, ' ');
}

function packageLabel(f: Finding): string {
  return OS_TYPES.has(f.pkg.type) ? f.pkg.name : `${f.pkg.name} (${f.pkg.type})`;
}

function ruleOf(id: string, findings: Finding[], r: ScanResult): Json {
  const first = findings[0] as Finding;
  const severity = findings.map((f) => f.severity).reduce(worse, 'UNKNOWN');
  const title = first.title?.trim() || (first.description ? firstLine(first.description) : '') || undefined;
  // One line: GitHub shows the short description as the alert's title.
  const short = title ? `${id}: ${firstLine(title)}` : `${id} in ${packageLabel(first)}`;
  const full = first.description?.trim() || title || short;
  const url = webUrl(first.url);
  const text: string[] = [`Vulnerability ${id}`, `Severity: ${severity}`];
  if (first.aliases.length) text.push(`Also known as: ${first.aliases.join(', ')}`);
  if (title) text.push(title);
  const md: string[] = [`**Vulnerability ${id}** (${severity})`, ''];
  if (first.aliases.length) md.push(`Also known as: ${first.aliases.join(', ')}`, '');
  if (title) md.push(cell(title), '');
  md.push('| Package | Installed | Fixed | Status | File |', '| --- | --- | --- | --- | --- |');
  for (const f of findings) {
    const fixed = f.fixedVersion ?? '-';
    text.push(
      '',
      `Package: ${packageLabel(f)}`,
      `Installed version: ${f.installedVersion}`,
      `Fixed version: ${fixed}`,
      `Status: ${f.status}`,
      `File: ${fileOf(f, r)}`,
      `Matched because: ${f.why}`,
    );
    md.push(
      `| ${cell(packageLabel(f))} | ${cell(f.installedVersion)} | ${cell(fixed)} | ${f.status} | ${cell(fileOf(f, r))} |`,
    );
  }
  md.push('', ...findings.map((f) => `- ${cell(f.why)}`));
  if (url) {
    text.push('', `Advisory: ${url}`);
    md.push('', `Advisory: <${url}>`);
  }
  const properties: Json = { tags: ['vulnerability', 'security', severity] };
  const score = securitySeverity(findings);
  if (score) properties['security-severity'] = score;
  const rule: Json = {
    id,
    name: findings.some((f) => OS_TYPES.has(f.pkg.type))
      ? 'OsPackageVulnerability'
      : 'LanguagePackageVulnerability',
    shortDescription: { text: short },
    fullDescription: { text: full },
    defaultConfiguration: { level: sarifLevel(severity) },
  };
  if (url) rule.helpUri = url;
  rule.help = { text: text.join('\n'), markdown: md.join('\n') };
  rule.properties = properties;
  return rule;
}

function resultOf(f: Finding, ruleIndex: number, r: ScanResult): Json {
  const p = f.pkg;
  const file = fileOf(f, r);
  const parts = [
    `Package ${packageLabel(f)} ${f.installedVersion} is affected by ${f.id} (${f.severity})${f.title ? `: ${f.title}` : ''}.`,
    f.fixedVersion ? `Fixed version: ${f.fixedVersion}.` : `No fixed version (status: ${f.status}).`,
    `File: ${file}.`,
  ];
  // The identity of an alert across uploads: this vulnerability in this package version at this
  // file. The version is part of it because one lockfile can hold two versions of a package.
  const identity = createHash('sha256')
    .update([f.id, p.type, p.name, f.installedVersion, file].join('\0'))
    .digest('hex');
  return {
    ruleId: f.id,
    ruleIndex,
    level: sarifLevel(f.severity),
    message: { text: parts.join(' ') },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: pathUri(file) }, region: { startLine: 1 } },
        message: { text: `${p.name}@${f.installedVersion}` },
      },
    ],
    partialFingerprints: { 'drydockFindingHash/v1': identity.slice(0, 32) },
  };
}

/** The scan's findings as a SARIF 2.1.0 log (no findings: one run with no results). */
export function toSarif(r: ScanResult, opts: SarifOptions): Json {
  const findings = r.vulnerabilities ?? [];
  const byId = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byId.get(f.id);
    if (list) list.push(f);
    else byId.set(f.id, [f]);
  }
  const ids = [...byId.keys()];
  const index = new Map(ids.map((id, i) => [id, i]));
  const rules = ids.map((id) => ruleOf(id, byId.get(id) as Finding[], r));
  const results = findings.map((f) => resultOf(f, index.get(f.id) as number, r));
  const run: Json = {
    tool: { driver: { name: opts.tool.name, version: opts.tool.version, rules } },
    results,
  };
  // Warnings (no vulnerability database, unknown OS...) say why a log may be short of findings.
  run.invocations = [
    {
      executionSuccessful: true,
      toolExecutionNotifications: r.warnings.map((w) => ({ level: 'warning', message: { text: w } })),
    },
  ];
  return { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] };
}
