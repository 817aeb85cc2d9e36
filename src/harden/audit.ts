// Runs the audit rules over loaded inputs: every container against the container rules of the
// chosen profile, every daemon config against the daemon rules; one result per input file.

import type { ImageFacts } from './inputs/inspect.js';
import type { LoadedInput } from './load.js';
import { checkCapNames } from './load.js';
import { ALL_RULES } from './rules/index.js';
import {
  type AuditProfile,
  type ContainerRule,
  type DaemonRule,
  type ImageRule,
  inProfile,
  type Rule,
  type Severity,
} from './rules/types.js';
import type { ContainerSpec, DaemonSpec, InputKind } from './spec.js';

export interface AuditFinding {
  rule: Rule;
  status: 'FAIL' | 'PASS';
  message: string;
  /** The resource the finding is about ("Deployment/web container app", "daemon"). */
  resource: string;
  line?: number;
}

export interface AuditTarget {
  target: string;
  kind: InputKind;
  /** Failures, by resource (in input order), then rule order. */
  failures: AuditFinding[];
  /** Rules that were checked and passed, one entry per resource. */
  passes: AuditFinding[];
}

export interface AuditOptions {
  profile: AuditProfile;
  /** Report only these severities (all when empty). */
  severities?: Severity[];
  /** Rule IDs to skip. */
  skip?: string[];
}

export function selectRules(opts: AuditOptions): Rule[] {
  const skip = new Set((opts.skip ?? []).map((s) => s.toUpperCase()));
  return ALL_RULES.filter(
    (r) =>
      inProfile(r, opts.profile) &&
      !skip.has(r.id) &&
      (!opts.severities || opts.severities.length === 0 || opts.severities.includes(r.severity)),
  );
}

function containerFindings(
  spec: ContainerSpec,
  rules: ContainerRule[],
  daemon: DaemonSpec | undefined,
): AuditFinding[] {
  const out: AuditFinding[] = [];
  for (const rule of rules) {
    if (rule.forms && !rule.forms.includes(spec.source.kind)) continue;
    const hits = rule.check(spec, { daemon });
    if (hits.length === 0) {
      out.push({
        rule,
        status: 'PASS',
        message: rule.title,
        resource: spec.source.resource,
        line: spec.source.line,
      });
      continue;
    }
    for (const h of hits) {
      const line =
        h.line ??
        (h.field ? spec.lines[h.field as keyof ContainerSpec['lines']] : undefined) ??
        spec.source.line;
      out.push({ rule, status: 'FAIL', message: h.message, resource: spec.source.resource, line });
    }
  }
  return out;
}

function daemonFindings(d: DaemonSpec, rules: DaemonRule[]): AuditFinding[] {
  const out: AuditFinding[] = [];
  for (const rule of rules) {
    const hits = rule.check(d);
    if (hits.length === 0) {
      out.push({ rule, status: 'PASS', message: rule.title, resource: d.source.resource });
      continue;
    }
    for (const h of hits) {
      const line = (h.field ? d.lines[h.field as keyof DaemonSpec['lines']] : undefined) ?? d.source.line;
      out.push({ rule, status: 'FAIL', message: h.message, resource: d.source.resource, line });
    }
  }
  return out;
}

function imageFindings(img: ImageFacts, rules: ImageRule[]): AuditFinding[] {
  const out: AuditFinding[] = [];
  const resource = `image ${img.ref}`;
  for (const rule of rules) {
    const hits = rule.check(img);
    if (hits.length === 0) out.push({ rule, status: 'PASS', message: rule.title, resource, line: img.line });
    for (const h of hits) out.push({ rule, status: 'FAIL', message: h.message, resource, line: img.line });
  }
  return out;
}

/** Audits every input; a daemon config among them is the context of every container (daemon-wide settings). */
export function audit(inputs: readonly LoadedInput[], opts: AuditOptions): AuditTarget[] {
  const rules = selectRules(opts);
  const cRules = rules.filter((r): r is ContainerRule => r.target === 'container');
  const dRules = rules.filter((r): r is DaemonRule => r.target === 'daemon');
  const iRules = rules.filter((r): r is ImageRule => r.target === 'image');
  const daemon = inputs.find((i) => i.daemon)?.daemon;
  for (const input of inputs) for (const c of input.containers) checkCapNames(c);
  return inputs.map((input) => {
    const all: AuditFinding[] = [];
    for (const c of input.containers) all.push(...containerFindings(c, cRules, daemon));
    for (const img of input.images) all.push(...imageFindings(img, iRules));
    if (input.daemon) all.push(...daemonFindings(input.daemon, dRules));
    return {
      target: input.file,
      kind: input.kind,
      failures: all.filter((f) => f.status === 'FAIL'),
      passes: all.filter((f) => f.status === 'PASS'),
    };
  });
}
