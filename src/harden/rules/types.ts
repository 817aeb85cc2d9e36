// The contract of an audit rule: a pure function over a ContainerSpec (or DaemonSpec) with a stable
// ID, the controls it implements, and what to do about it.

import type { ImageFacts } from '../inputs/inspect.js';
import type { ContainerSpec, DaemonField, DaemonSpec, InputKind, SpecField } from '../spec.js';

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';

/** Rule sets a user can pick with --profile. */
export type AuditProfile = 'cis' | 'pss-baseline' | 'pss-restricted' | 'all';

export interface RuleHit {
  message: string;
  /** The field that caused it (its line is the finding's location). */
  field?: SpecField | DaemonField;
  /** An explicit line (a mount or port item), overriding the field's. */
  line?: number;
}

interface RuleBase {
  /** Stable ID: DDC### for containers, DDD### for the daemon, DDI### for images. */
  id: string;
  title: string;
  severity: Severity;
  description: string;
  resolution: string;
  /**
   * Controls the rule implements: "CIS-DOCKER-1.6:5.5", "PSS-BASELINE:privileged",
   * "PSS-RESTRICTED:capabilities", "DOCKER-BENCH:C.5.3.3". Empty for drydock's own escape checks.
   */
  compliance: string[];
  references: string[];
}

export interface RuleContext {
  /** The daemon config audited alongside (daemon-wide no-new-privileges, seccomp profile). */
  daemon?: DaemonSpec;
}

export interface ContainerRule extends RuleBase {
  target: 'container';
  /** Input forms the rule can decide; all when absent. */
  forms?: InputKind[];
  check(spec: ContainerSpec, ctx: RuleContext): RuleHit[];
}

export interface DaemonRule extends RuleBase {
  target: 'daemon';
  check(spec: DaemonSpec): RuleHit[];
}

export interface ImageRule extends RuleBase {
  target: 'image';
  check(image: ImageFacts): RuleHit[];
}

export type Rule = ContainerRule | DaemonRule | ImageRule;

/** Whether a rule belongs to a profile: CIS controls, PSS baseline, PSS restricted (which includes baseline). */
export function inProfile(rule: Rule, profile: AuditProfile): boolean {
  switch (profile) {
    case 'all':
      return true;
    case 'cis':
      return rule.compliance.some((c) => c.startsWith('CIS-DOCKER-'));
    case 'pss-baseline':
      return rule.compliance.some((c) => c.startsWith('PSS-BASELINE:'));
    case 'pss-restricted':
      return rule.compliance.some((c) => c.startsWith('PSS-BASELINE:') || c.startsWith('PSS-RESTRICTED:'));
  }
}
