// Audit reports: JSON in Trivy's misconfiguration shape (Results[].Misconfigurations[]) plus the
// controls each rule implements, a terminal table, and SARIF 2.1.0 for code scanning.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathUri, SARIF_SCHEMA } from '../report/sarif.js';
import type { AuditFinding, AuditTarget } from './audit.js';
import type { Rule, Severity } from './rules/types.js';
import type { InputKind } from './spec.js';

type Json = Record<string, unknown>;

const TYPE: Record<InputKind, string> = {
  'docker-run': 'docker-run',
  inspect: 'docker-inspect',
  compose: 'docker-compose',
  kubernetes: 'kubernetes',
  oci: 'oci-runtime-config',
  daemon: 'docker-daemon',
};

const PROVIDER: Record<InputKind, string> = {
  'docker-run': 'Docker',
  inspect: 'Docker',
  compose: 'Docker',
  kubernetes: 'Kubernetes',
  oci: 'OCI',
  daemon: 'Docker',
};

function misconfType(rule: Rule, kind: InputKind): string {
  if (rule.target === 'daemon') return 'Docker Daemon Configuration Check';
  if (rule.target === 'image') return 'Container Image Configuration Check';
  return kind === 'kubernetes' ? 'Kubernetes Security Check' : 'Container Runtime Security Check';
}

function misconf(f: AuditFinding, kind: InputKind): Json {
  const r = f.rule;
  return {
    Type: misconfType(r, kind),
    ID: r.id,
    Title: r.title,
    Description: r.description,
    Message: f.message,
    Namespace: `drydock.${r.target}`,
    Resolution: r.resolution,
    Severity: r.severity,
    PrimaryURL: r.references[0] ?? '',
    References: r.references,
    Status: f.status,
    Compliance: r.compliance,
    CauseMetadata: {
      Resource: f.resource,
      Provider: PROVIDER[kind],
      Service: r.target,
      ...(f.line ? { StartLine: f.line, EndLine: f.line } : {}),
    },
  };
}

export function auditJson(
  targets: readonly AuditTarget[],
  opts: { artifact: string; includePasses: boolean; createdAt?: Date },
): Json {
  return {
    SchemaVersion: 2,
    CreatedAt: (opts.createdAt ?? new Date()).toISOString(),
    ArtifactName: opts.artifact,
    ArtifactType: 'config',
    Results: targets.map((t) => ({
      Target: t.target,
      Class: 'config',
      Type: TYPE[t.kind],
      MisconfSummary: { Successes: t.passes.length, Failures: t.failures.length },
      Misconfigurations: [...t.failures, ...(opts.includePasses ? t.passes : [])].map((f) =>
        misconf(f, t.kind),
      ),
    })),
  };
}

const ORDER: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];

export function countBySeverity(targets: readonly AuditTarget[]): Record<Severity, number> {
  const n: Record<Severity, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0 };
  for (const t of targets) for (const f of t.failures) n[f.rule.severity]++;
  return n;
}

type Colors = typeof import('picocolors');

export function auditTable(targets: readonly AuditTarget[], opts: { color: boolean }): string {
  const pc = createRequire(import.meta.url)('picocolors') as Colors;
  const c = opts.color ? pc : pc.createColors(false);
  const sev = (s: Severity) =>
    s === 'CRITICAL' ? c.red(c.bold(s)) : s === 'HIGH' ? c.red(s) : s === 'MEDIUM' ? c.yellow(s) : c.dim(s);
  const out: string[] = [];
  for (const t of targets) {
    const n = t.failures.length;
    out.push(
      `${c.bold(t.target)} ${c.dim(`(${TYPE[t.kind]})`)}  ${n === 0 ? c.green('no failures') : `${n} failure${n === 1 ? '' : 's'}`}, ${t.passes.length} passed`,
    );
    let last = '';
    for (const f of t.failures) {
      if (f.resource !== last) {
        out.push(`  ${c.bold(f.resource)}`);
        last = f.resource;
      }
      const loc = f.line ? c.dim(`:${f.line}`) : '';
      out.push(`    ${sev(f.rule.severity).padEnd(opts.color ? 0 : 8)} ${f.rule.id}${loc}  ${f.message}`);
      const controls = f.rule.compliance.length > 0 ? `  [${f.rule.compliance.join(', ')}]` : '';
      out.push(`      ${c.dim(`${f.rule.resolution}${controls}`)}`);
    }
    out.push('');
  }
  const by = countBySeverity(targets);
  const total = ORDER.reduce((a, s) => a + by[s], 0);
  out.push(`Total: ${total} (${ORDER.map((s) => `${s}: ${by[s]}`).join(', ')})`);
  return `${out.join('\n')}\n`;
}

const LEVEL: Record<Severity, string> = { CRITICAL: 'error', HIGH: 'error', MEDIUM: 'warning', LOW: 'note' };
const SCORE: Record<Severity, string> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0' };

export function auditSarif(targets: readonly AuditTarget[], tool: { name: string; version: string }): Json {
  const rules = new Map<string, Rule>();
  for (const t of targets) for (const f of t.failures) rules.set(f.rule.id, f.rule);
  const ruleList = [...rules.values()].sort((a, b) => a.id.localeCompare(b.id));
  const index = new Map(ruleList.map((r, i) => [r.id, i]));
  const results: Json[] = [];
  for (const t of targets) {
    for (const f of t.failures) {
      const uri = t.target.startsWith('<') ? 'docker-run' : pathUri(t.target);
      results.push({
        ruleId: f.rule.id,
        ruleIndex: index.get(f.rule.id),
        level: LEVEL[f.rule.severity],
        message: { text: f.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri },
              region: { startLine: f.line ?? 1 },
            },
            logicalLocations: [{ name: f.resource, kind: 'resource' }],
          },
        ],
        partialFingerprints: {
          'drydock/v1': createHash('sha256')
            .update(`${f.rule.id}\0${t.target}\0${f.resource}\0${f.message}`)
            .digest('hex'),
        },
      });
    }
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            rules: ruleList.map((r) => ({
              id: r.id,
              name: r.title
                .replace(/[^A-Za-z0-9]+/g, ' ')
                .trim()
                .replace(/ (.)/g, (_, x: string) => x.toUpperCase()),
              shortDescription: { text: r.title },
              fullDescription: { text: r.description },
              help: {
                text: `${r.resolution}${r.compliance.length ? ` Controls: ${r.compliance.join(', ')}.` : ''}`,
              },
              helpUri: r.references[0],
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: {
                tags: ['security', 'configuration', ...r.compliance],
                'security-severity': SCORE[r.severity],
              },
            })),
          },
        },
        results,
      },
    ],
  };
}
