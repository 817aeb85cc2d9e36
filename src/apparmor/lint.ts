// Lints AppArmor profiles for container use: findings with stable IDs (AAL001...) about what a
// profile lets a container do that Docker's own default profile or common hardening would not.
//
// File access is decided the way AppArmor decides it, for a few concrete paths that matter for
// container escapes: allowed when an allow rule (or `file,`) covers the path with the permission and
// no deny rule does. Included files (abstractions, tunables) are not read: the checks look at the
// rules written in the profile itself.

import { capabilityInfo, normalizeCap } from '../harden/caps.js';
import type { Severity } from '../harden/rules/types.js';
import {
  type Aare,
  type AareBudget,
  AareBudgetExceeded,
  aareMatches,
  compileAare,
  DEFAULT_VARIABLES,
} from './aare.js';
import {
  type AaFileRule,
  type AaPolicyText,
  type AaProfile,
  type AaRule,
  type AaVariable,
  allProfiles,
  parseAppArmor,
} from './parse.js';

export interface AaLintRule {
  id: string;
  title: string;
  severity: Severity;
  description: string;
  resolution: string;
}

export interface AaFinding {
  id: string;
  severity: Severity;
  title: string;
  message: string;
  /** The profile the finding is about (absent for file-level findings). */
  profile?: string;
  line?: number;
}

function rule(
  id: string,
  severity: Severity,
  title: string,
  description: string,
  resolution: string,
): AaLintRule {
  return { id, severity, title, description, resolution };
}

export const APPARMOR_LINT_RULES: readonly AaLintRule[] = [
  rule(
    'AAL001',
    'HIGH',
    'Profile does not enforce',
    'flags=(complain) only logs violations and flags=(unconfined) confines nothing.',
    'Remove complain/unconfined from the profile flags once the profile is tested.',
  ),
  rule(
    'AAL002',
    'LOW',
    'Every capability allowed',
    'A bare `capability,` rule leaves the container capability set as the only limit.',
    'List the capabilities the workload needs (`capability chown,`) or deny the dangerous ones.',
  ),
  rule(
    'AAL003',
    'HIGH',
    'Dangerous capability allowed',
    'The profile explicitly allows a capability that enables container escapes (sys_admin, sys_module...).',
    'Remove the capability rule or add `deny capability NAME,`.',
  ),
  rule(
    'AAL004',
    'HIGH',
    'Writes to /proc/sys not denied',
    'Kernel tunables under /proc/sys (core_pattern, binfmt_misc, modprobe) allow host code execution.',
    'Add the docker-default /proc/sys deny rules, e.g. `deny @{PROC}/sys/[^k]** w,`.',
  ),
  rule(
    'AAL005',
    'HIGH',
    'Writes to /sys not denied',
    'Writable sysfs (uevent_helper, firmware, power, security) affects the whole host.',
    'Add the docker-default /sys deny rules, e.g. `deny /sys/[^f]*/** wklx,`.',
  ),
  rule(
    'AAL006',
    'HIGH',
    'Mount allowed',
    'mount, remount or pivot_root rules let the container change its filesystem view (e.g. remount /proc).',
    'Remove the rule; use `deny mount,`.',
  ),
  rule(
    'AAL007',
    'HIGH',
    'ptrace unrestricted',
    'A ptrace rule without a confined peer lets the container trace processes of other profiles.',
    'Restrict ptrace to the profile itself: `ptrace (trace,read,tracedby,readby) peer=NAME,` or deny it.',
  ),
  rule(
    'AAL008',
    'MEDIUM',
    'Write and execute on the same path',
    'A path that can be written and then executed lets a compromised process run new code.',
    'Drop w/a or x from the rule; keep writable paths non-executable.',
  ),
  rule(
    'AAL009',
    'HIGH',
    'Wildcard write from the root',
    'A rule such as `/** rwlk` grants writes to the whole filesystem.',
    'Grant writes only to the paths the workload needs.',
  ),
  rule(
    'AAL010',
    'HIGH',
    '/proc/sysrq-trigger not denied',
    'Writing /proc/sysrq-trigger can reboot or crash the host.',
    'Add `deny @{PROC}/sysrq-trigger rwklx,`.',
  ),
  rule(
    'AAL011',
    'MEDIUM',
    'Raw network sockets allowed',
    'Raw sockets allow packet spoofing (ARP/ICMP) on the container network when CAP_NET_RAW is held.',
    'Add `deny network raw,` unless the workload needs ping-like tools.',
  ),
  rule(
    'AAL012',
    'MEDIUM',
    'Packet sockets allowed',
    'AF_PACKET sockets allow sniffing and spoofing at the link layer.',
    'Add `deny network packet,`.',
  ),
  rule(
    'AAL013',
    'HIGH',
    'Transition to unconfined',
    'ux/Ux exec modes and change_profile let a process leave confinement.',
    'Use ix, px or cx exec modes; remove change_profile rules.',
  ),
  rule(
    'AAL014',
    'MEDIUM',
    '/proc/kcore not denied',
    'Reading /proc/kcore exposes host kernel memory.',
    'Add `deny @{PROC}/kcore rwklx,`.',
  ),
  rule(
    'AAL015',
    'LOW',
    'Statement not understood',
    'drydock could not read a statement, so it was not checked; apparmor_parser may also reject it.',
    'Check the statement (a missing comma, an unknown rule); validate with apparmor_parser -Q -K.',
  ),
  rule(
    'AAL016',
    'MEDIUM',
    'No profile',
    'The text defines no profile block, so it confines nothing.',
    'Write the rules inside `profile NAME flags=(...) { ... }`.',
  ),
  rule(
    'AAL017',
    'LOW',
    'All file access allowed',
    'A bare `file,` rule allows every file access not denied later.',
    'Prefer explicit path rules, or keep the docker-default deny rules next to `file,`.',
  ),
];

const RULES = new Map(APPARMOR_LINT_RULES.map((r) => [r.id, r]));

export const PROC_SYS_PATHS = [
  '/proc/sys/kernel/core_pattern',
  '/proc/sys/kernel/modprobe',
  '/proc/sys/fs/binfmt_misc/register',
  '/proc/sys/vm/drop_caches',
];
export const SYS_PATHS = [
  '/sys/kernel/uevent_helper',
  '/sys/firmware/efi/efivars/x',
  '/sys/power/state',
  '/sys/kernel/security/apparmor/.load',
];
const BROAD_PATHS = ['/etc/shadow', '/usr/lib/x/y.so', '/root/.ssh/authorized_keys'];

type Vars = Record<string, readonly string[]>;

// Work allowed for glob matching in one lint run (about a second); a hostile profile of huge globs
// stops the file checks early with an AAL015 finding instead of running for minutes.
const MATCH_BUDGET = 200_000_000;

class Checker {
  private readonly cache = new Map<string, Aare | undefined>();
  constructor(
    private readonly vars: Vars,
    private readonly budget: AareBudget,
  ) {}

  // By pattern, then path: keys are the rule's own strings, so the cache adds no copies of them.
  private readonly results = new Map<string, Map<string, boolean>>();

  matches(pattern: string, path: string): boolean {
    let byPath = this.results.get(pattern);
    if (!byPath) {
      byPath = new Map();
      this.results.set(pattern, byPath);
    }
    const known = byPath.get(path);
    if (known !== undefined) return known;
    const r = this.match(pattern, path);
    byPath.set(path, r);
    return r;
  }

  private match(pattern: string, path: string): boolean {
    if (this.budget.left <= 0) return false;
    let g = this.cache.get(pattern);
    if (!this.cache.has(pattern)) {
      g = compileAare(pattern, this.vars);
      this.cache.set(pattern, g);
    }
    if (!g) return false;
    try {
      return aareMatches(g, path, this.budget);
    } catch (e) {
      if (e instanceof AareBudgetExceeded) return false;
      throw e;
    }
  }

  /** Whether the rules let the process access `path` with `perm` (w counts append for allows). */
  fileAllowed(rules: AaRule[], path: string, perm: 'r' | 'w' | 'x'): boolean {
    let allowed = false;
    for (const r of rules) {
      if (r.kind !== 'file') continue;
      const has = r.path === undefined || (r.deny ? r.perms.includes(perm) : grants(r, perm));
      if (!has || (r.path !== undefined && !this.matches(r.path, path))) continue;
      if (r.deny) return false;
      allowed = true;
    }
    return allowed;
  }
}

function grants(r: AaFileRule, perm: 'r' | 'w' | 'x'): boolean {
  if (perm === 'w') return r.perms.includes('w') || r.perms.includes('a');
  return r.perms.includes(perm);
}

function withVariables(base: Vars, defs: AaVariable[]): Vars {
  const out: Vars = { ...base };
  for (const d of defs) {
    out[d.name] = d.append ? [...(out[d.name] ?? []), ...d.values] : d.values;
  }
  return out;
}

function networkGrants(rules: AaRule[], what: 'raw' | 'packet'): boolean {
  let allowed = false;
  for (const r of rules) {
    if (r.kind !== 'network') continue;
    const w = r.words;
    if (r.deny) {
      if (w.length === 0 || (w.length === 1 && w[0] === what)) return false;
      continue;
    }
    if (
      what === 'raw' &&
      (w.length === 0 || w.includes('raw') || (w.length === 1 && /^inet6?$/.test(w[0] as string)))
    )
      allowed = true;
    if (what === 'packet' && (w.length === 0 || w.includes('packet'))) allowed = true;
  }
  return allowed;
}

const BROAD_PEERS = new Set(['', '*', '**', 'unconfined', '/**']);

function lintOne(p: AaProfile, vars: Vars, budget: AareBudget, out: AaFinding[]): void {
  const add = (id: string, message: string, line = p.line): void => {
    const r = RULES.get(id) as AaLintRule;
    out.push({ id, severity: r.severity, title: r.title, message, profile: p.name, line });
  };
  const chk = new Checker(withVariables(vars, p.variables), budget);
  const rules = p.rules;
  const allows = rules.filter((r) => !r.deny);

  const mode = p.flags.filter((f) => f === 'complain' || f === 'unconfined');
  if (mode.length > 0)
    add('AAL001', `profile ${p.name} has flags=(${p.flags.join(',')}): ${mode.join(', ')} mode`);

  for (const r of allows) {
    if (r.kind === 'capability' && r.caps.length === 0)
      add('AAL002', 'capability, allows every capability', r.line);
    if (r.kind === 'capability') {
      const denied = new Set(
        rules.flatMap((d) => (d.kind === 'capability' && d.deny ? d.caps : [])).map((c) => c.toLowerCase()),
      );
      for (const c of r.caps) {
        const info = capabilityInfo(normalizeCap(c));
        if (info && (info.risk === 'critical' || info.risk === 'high') && !denied.has(c)) {
          add('AAL003', `capability ${c} allowed (${info.risk} risk: ${info.allows})`, r.line);
        }
      }
    }
  }

  const procSys = PROC_SYS_PATHS.filter((x) => chk.fileAllowed(rules, x, 'w'));
  if (procSys.length > 0) add('AAL004', `writes allowed to ${procSys.join(', ')}`);
  const sys = SYS_PATHS.filter((x) => chk.fileAllowed(rules, x, 'w'));
  if (sys.length > 0) add('AAL005', `writes allowed to ${sys.join(', ')}`);

  for (const r of allows) {
    if (r.kind === 'mount' || r.kind === 'remount' || r.kind === 'pivot_root') {
      add('AAL006', `${r.kind} allowed: ${r.text}`, r.line);
    }
    if (r.kind === 'ptrace') {
      const traces = r.perms.length === 0 || r.perms.some((x) => x === 'trace' || x === 'read');
      if (traces && BROAD_PEERS.has(r.peer ?? ''))
        add('AAL007', `ptrace without a confined peer: ${r.text}`, r.line);
    }
    if (r.kind === 'change_profile') add('AAL013', `change_profile allowed: ${r.text}`, r.line);
    if (r.kind === 'file' && r.path !== undefined) {
      if (/u/i.test(r.perms) && r.perms.includes('x')) add('AAL013', `unconfined exec: ${r.text}`, r.line);
      if (grants(r, 'w') && r.perms.includes('x')) add('AAL008', `write and exec on ${r.path}`, r.line);
      if (grants(r, 'w') && BROAD_PATHS.every((x) => chk.matches(r.path as string, x))) {
        add('AAL009', `${r.path} ${r.perms} grants writes across the filesystem`, r.line);
      }
    }
    if (r.kind === 'file' && r.path === undefined) add('AAL017', 'file, allows all file access', r.line);
  }
  // w and x granted by different rules with the same path text
  const byPath = new Map<string, { w: boolean; x: boolean; line: number }>();
  for (const r of allows) {
    if (r.kind !== 'file' || r.path === undefined) continue;
    const e = byPath.get(r.path) ?? { w: false, x: false, line: r.line };
    const both = e.w && e.x;
    e.w ||= grants(r, 'w');
    e.x ||= r.perms.includes('x');
    byPath.set(r.path, e);
    const sameRule = grants(r, 'w') && r.perms.includes('x');
    if (!both && e.w && e.x && !sameRule)
      add('AAL008', `write and exec on ${r.path} (separate rules)`, r.line);
  }

  if (chk.fileAllowed(rules, '/proc/sysrq-trigger', 'w'))
    add('AAL010', 'writes allowed to /proc/sysrq-trigger');
  if (chk.fileAllowed(rules, '/proc/kcore', 'r')) add('AAL014', 'reads allowed from /proc/kcore');
  if (networkGrants(rules, 'raw')) add('AAL011', 'raw sockets allowed (no `deny network raw,`)');
  if (networkGrants(rules, 'packet')) add('AAL012', 'packet sockets allowed (no `deny network packet,`)');
}

/** Lints an already parsed text. */
export function lintParsed(doc: AaPolicyText): AaFinding[] {
  const out: AaFinding[] = [];
  const vars = withVariables({ ...DEFAULT_VARIABLES }, doc.variables);
  const profiles = allProfiles(doc);
  if (profiles.length === 0) {
    const r = RULES.get('AAL016') as AaLintRule;
    out.push({ id: r.id, severity: r.severity, title: r.title, message: 'no profile block found' });
  }
  const budget: AareBudget = { left: MATCH_BUDGET };
  for (const p of profiles) lintOne(p, vars, budget, out);
  const issue = RULES.get('AAL015') as AaLintRule;
  if (budget.left <= 0) {
    out.push({
      id: issue.id,
      severity: issue.severity,
      title: issue.title,
      message: 'path globs too large or too many: file access checks stopped early',
    });
  }
  for (const i of doc.issues) {
    out.push({
      id: issue.id,
      severity: issue.severity,
      title: issue.title,
      message: i.message,
      line: i.line,
    });
  }
  return out;
}

/** Parses and lints profile text; throws UserError only for oversized input. */
export function lintProfile(text: string, where = 'profile'): AaFinding[] {
  return lintParsed(parseAppArmor(text, where));
}

const SEVERITY_ORDER: Record<Severity, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3 };

/** Findings sorted by severity, then line, then ID. */
export function sortFindings(findings: readonly AaFinding[]): AaFinding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.line ?? 0) - (b.line ?? 0) ||
      a.id.localeCompare(b.id),
  );
}

// Profile text is hostile: control characters must not reach a terminal.
function clean(s: string): string {
  let out = '';
  for (const ch of s.replace(/[\r\n\t]+/g, ' ')) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || (c >= 0x7f && c <= 0x9f) ? '?' : ch;
  }
  return out;
}

/** A plain-text table: ID, severity, line, profile, message. */
export function formatLintTable(findings: readonly AaFinding[]): string {
  if (findings.length === 0) return 'no findings\n';
  const rows = sortFindings(findings).map((f) => [
    f.id,
    f.severity,
    f.line === undefined ? '-' : String(f.line),
    clean(f.profile ?? '-'),
    clean(f.message),
  ]);
  const head = ['ID', 'SEVERITY', 'LINE', 'PROFILE', 'MESSAGE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return `${[fmt(head), ...rows.map(fmt)].join('\n')}\n`;
}
