// Lint for Docker-format seccomp profiles: risky allows, rules runc rejects or ignores, duplicates,
// shadowed and dead rules, and errno choices that break glibc (stable IDs SCL001...).

import { UserError } from '../errors.js';
import type { Severity } from '../harden/rules/types.js';
import { clip } from '../util/text.js';
import { argsMatch, boxOf, boxWitness, effectOf, effectPermits, errnoName } from './diff.js';
import {
  type DockerSeccompProfile,
  type DockerSyscallRule,
  goArch,
  parseSeccompProfile,
  type SeccompFilter,
} from './resolve.js';
import { SYSCALL_ARCHES, syscallArch, syscallNumber } from './syscalls.js';

export interface LintFinding {
  id: string;
  severity: Severity;
  message: string;
  /** Where in the profile: "defaultAction", "syscalls[3]", "syscalls[0].names[12]". */
  path: string;
}

export interface LintOptions {
  /** Only rules that apply on this architecture (amd64, arm64, x86_64...) are checked. */
  arch?: string;
  /** Prefix of error messages (the file the profile came from). */
  where?: string;
}

export interface LintRule {
  id: string;
  severity: Severity;
  title: string;
}

/** Every check, for documentation and `--explain`; a finding may carry a different severity. */
export const LINT_RULES: readonly LintRule[] = [
  { id: 'SCL001', severity: 'HIGH', title: 'defaultAction allows every syscall (denylist profile)' },
  { id: 'SCL002', severity: 'MEDIUM', title: 'defaultAction SCMP_ACT_LOG blocks nothing' },
  {
    id: 'SCL003',
    severity: 'HIGH',
    title: 'risky syscall allowed without the capability Docker gates it with',
  },
  { id: 'SCL004', severity: 'MEDIUM', title: 'socket allowed without an address-family filter' },
  { id: 'SCL005', severity: 'MEDIUM', title: 'personality allowed without an argument filter' },
  { id: 'SCL006', severity: 'HIGH', title: 'clone/clone3 allowed without a namespace-flag filter' },
  { id: 'SCL007', severity: 'MEDIUM', title: 'io_uring allowed' },
  { id: 'SCL008', severity: 'LOW', title: 'rule action equals the default action' },
  { id: 'SCL009', severity: 'LOW', title: 'duplicate rule for a syscall' },
  { id: 'SCL010', severity: 'MEDIUM', title: 'conflicting rules for a syscall' },
  { id: 'SCL011', severity: 'LOW', title: 'rule shadowed by an unconditional rule' },
  { id: 'SCL012', severity: 'LOW', title: 'SCMP_ACT_KILL kills only the thread' },
  { id: 'SCL013', severity: 'MEDIUM', title: 'clone3 denied with an errno other than ENOSYS' },
  { id: 'SCL014', severity: 'MEDIUM', title: 'argument condition can never match' },
  { id: 'SCL015', severity: 'LOW', title: 'unknown syscall name' },
  { id: 'SCL016', severity: 'LOW', title: 'errno set for an action that does not use it' },
];

interface Risk {
  /** Capabilities Docker's default profile requires (in `includes.caps`) before allowing it. */
  caps: string[];
  severity: Severity;
  why: string;
}

// Gating capabilities as in Docker's default profile; an allow behind one of them only lets through
// what the capability already grants.
const MOUNT: Risk = {
  caps: ['CAP_SYS_ADMIN'],
  severity: 'HIGH',
  why: 'mounts filesystems (inside a user namespace even without privileges)',
};
const NS: Risk = {
  caps: ['CAP_SYS_ADMIN'],
  severity: 'HIGH',
  why: 'creates or joins namespaces: unprivileged user namespaces expose much more kernel attack surface',
};
const KEYS: Risk = {
  caps: [],
  severity: 'HIGH',
  why: 'the kernel keyring is not namespaced, so containers could reach each other’s keys',
};
const MODULE: Risk = { caps: ['CAP_SYS_MODULE'], severity: 'HIGH', why: 'loads or unloads kernel modules' };
const KEXEC: Risk = { caps: ['CAP_SYS_BOOT'], severity: 'HIGH', why: 'loads a new kernel' };
const SWAP: Risk = { caps: ['CAP_SYS_ADMIN'], severity: 'MEDIUM', why: 'changes host swap devices' };
const IOPORT: Risk = { caps: ['CAP_SYS_RAWIO'], severity: 'HIGH', why: 'gives direct access to I/O ports' };
const RISKY: Record<string, Risk> = {
  ptrace: {
    caps: ['CAP_SYS_PTRACE'],
    severity: 'MEDIUM',
    why: 'inspects and modifies other processes (before Linux 4.8 it could also bypass seccomp)',
  },
  mount: MOUNT,
  umount: MOUNT,
  umount2: MOUNT,
  fsopen: MOUNT,
  fsmount: MOUNT,
  fsconfig: MOUNT,
  fspick: MOUNT,
  move_mount: MOUNT,
  open_tree: MOUNT,
  mount_setattr: MOUNT,
  pivot_root: MOUNT,
  unshare: NS,
  setns: NS,
  bpf: {
    caps: ['CAP_SYS_ADMIN', 'CAP_BPF'],
    severity: 'HIGH',
    why: 'loads eBPF programs, a frequent source of kernel exploits',
  },
  keyctl: KEYS,
  add_key: KEYS,
  request_key: KEYS,
  kexec_load: KEXEC,
  kexec_file_load: KEXEC,
  open_by_handle_at: {
    caps: ['CAP_DAC_READ_SEARCH'],
    severity: 'HIGH',
    why: 'opens host files by handle (the "shocker" container breakout)',
  },
  userfaultfd: {
    caps: [],
    severity: 'MEDIUM',
    why: 'stalls page faults in the kernel, a common way to widen race windows in exploits',
  },
  perf_event_open: {
    caps: ['CAP_SYS_ADMIN', 'CAP_PERFMON'],
    severity: 'MEDIUM',
    why: 'exposes performance counters that leak kernel and other-process information',
  },
  init_module: MODULE,
  finit_module: MODULE,
  delete_module: MODULE,
  reboot: { caps: ['CAP_SYS_BOOT'], severity: 'MEDIUM', why: 'reboots the host or enables Ctrl-Alt-Del' },
  swapon: SWAP,
  swapoff: SWAP,
  acct: { caps: ['CAP_SYS_PACCT'], severity: 'LOW', why: 'switches host process accounting' },
  iopl: IOPORT,
  ioperm: IOPORT,
};

const IO_URING = ['io_uring_setup', 'io_uring_enter', 'io_uring_register'];
// Namespace flags Docker's clone filter masks out (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET).
const CLONE_NEWUSER = 0x10000000n;
const SIGCHLD = 17n;
const AF_ALG = 38n;
const AF_VSOCK = 40n;

// Added to Linux after libseccomp 2.5.4 (which drydock's tables come from); not typos.
const NEWER_SYSCALLS = new Set([
  'cachestat',
  'fchmodat2',
  'map_shadow_stack',
  'futex_wake',
  'futex_wait',
  'futex_requeue',
  'statmount',
  'listmount',
  'lsm_get_self_attr',
  'lsm_set_self_attr',
  'lsm_list_modules',
  'mseal',
  'setxattrat',
  'getxattrat',
  'listxattrat',
  'removexattrat',
  'uretprobe',
  'riscv_hwprobe',
]);

// GOARCH -> the name moby's includes/excludes `arches` use.
const MOBY_ARCH: Record<string, string> = {
  '386': 'x86',
  mipsle: 'mipsel',
  mips64le: 'mipsel64',
  mips64p32: 'mips64n32',
  mips64p32le: 'mipsel64n32',
};

interface Use {
  name: string;
  rule: DockerSyscallRule;
  ri: number;
  ni: number;
  path: string;
}

/**
 * Checks a Docker-format profile for risky or ineffective rules. Rules gated by `includes.caps` are
 * judged as Docker intends (the capability already grants the power); `opts.arch` limits the check
 * to rules that apply on that architecture.
 */
export function lintProfile(profile: DockerSeccompProfile, opts: LintOptions = {}): LintFinding[] {
  const where = opts.where ?? 'seccomp profile';
  const p = parseSeccompProfile(profile, where);
  const out: LintFinding[] = [];
  const add = (id: string, path: string, message: string, severity?: Severity): void => {
    const rule = LINT_RULES.find((r) => r.id === id) as LintRule;
    out.push({ id, severity: severity ?? rule.severity, message, path });
  };
  let mobyArch: string | undefined;
  if (opts.arch !== undefined) {
    const go = goArch(opts.arch);
    if (!go) throw new UserError(`${where}: unknown architecture "${opts.arch.slice(0, 40)}"`);
    mobyArch = MOBY_ARCH[go] ?? go;
  }
  const table = opts.arch === undefined ? undefined : syscallArch(opts.arch);

  const defAction = p.defaultAction === '' ? undefined : p.defaultAction;
  const defEffect = defAction === undefined ? undefined : effectOf(defAction, p.defaultErrnoRet);
  const denylist = defAction === 'SCMP_ACT_ALLOW' || defAction === 'SCMP_ACT_LOG';

  if (defAction === 'SCMP_ACT_ALLOW')
    add(
      'SCL001',
      'defaultAction',
      'defaultAction is SCMP_ACT_ALLOW: every syscall not listed is allowed, including ones added to future ' +
        'kernels; use SCMP_ACT_ERRNO with an allowlist',
    );
  if (defAction === 'SCMP_ACT_LOG')
    add('SCL002', 'defaultAction', 'defaultAction is SCMP_ACT_LOG: unlisted syscalls are logged but allowed');
  if (defAction === 'SCMP_ACT_KILL')
    add(
      'SCL012',
      'defaultAction',
      'SCMP_ACT_KILL kills only the calling thread (it is SCMP_ACT_KILL_THREAD), leaving the process in an ' +
        'inconsistent state; use SCMP_ACT_KILL_PROCESS',
    );
  if (p.defaultErrnoRet !== undefined && defAction !== 'SCMP_ACT_ERRNO' && defAction !== 'SCMP_ACT_TRACE')
    add(
      'SCL016',
      'defaultErrnoRet',
      `defaultErrnoRet is set but defaultAction ${defAction ?? '(empty)'} does not return an errno`,
    );

  const uses: Use[] = [];
  p.syscalls.forEach((rule, ri) => {
    if (mobyArch !== undefined && !appliesOn(rule, mobyArch)) return;
    const names = rule.names ?? [rule.name as string];
    names.forEach((name, ni) => {
      const path = rule.names ? `syscalls[${ri}].names[${ni}]` : `syscalls[${ri}].name`;
      uses.push({ name, rule, ri, ni, path });
    });
  });
  const byName = new Map<string, Use[]>();
  for (const u of uses) {
    const list = byName.get(u.name) ?? [];
    list.push(u);
    byName.set(u.name, list);
  }

  // Per-rule checks.
  const seenRules = new Set<number>();
  for (const u of uses) {
    if (seenRules.has(u.ri)) continue;
    seenRules.add(u.ri);
    const r = u.rule;
    const path = `syscalls[${u.ri}]`;
    const eff = effectOf(r.action, r.errnoRet);
    if (defEffect !== undefined && eff === defEffect)
      add(
        'SCL008',
        path,
        `rule action ${eff} equals the default action, so the rule does nothing; runc before 1.0.2 refused it ` +
          '("requested action matches default action of filter")',
      );
    if (r.action === 'SCMP_ACT_KILL')
      add(
        'SCL012',
        `${path}.action`,
        'SCMP_ACT_KILL kills only the calling thread (it is SCMP_ACT_KILL_THREAD); use SCMP_ACT_KILL_PROCESS',
      );
    if (r.errnoRet !== undefined && r.action !== 'SCMP_ACT_ERRNO' && r.action !== 'SCMP_ACT_TRACE')
      add('SCL016', `${path}.errnoRet`, `errnoRet is set but action ${r.action} does not return an errno`);
    if (r.args && r.args.length > 0 && boxWitness(boxOf(r.args)) === undefined)
      add(
        'SCL014',
        `${path}.args`,
        `the argument conditions of this rule can never all hold, so it never matches`,
      );
  }

  // Per-name checks.
  for (const [name, list] of byName) {
    const first = list[0] as Use;
    if (!knownName(name))
      add(
        'SCL015',
        first.path,
        `"${clip(name, 40)}" is not a syscall on any architecture libseccomp 2.5.4 or newer kernels know (typo?); ` +
          'runc ignores names it cannot resolve',
      );
    checkDuplicates(list, add);
    checkShadowed(list, add);
  }

  // Risky allows.
  const allowUses = (name: string): Use[] =>
    (byName.get(name) ?? []).filter((u) => effectPermits(effectOf(u.rule.action, u.rule.errnoRet)));
  const gated = (u: Use, caps: readonly string[]): boolean =>
    caps.length > 0 && (u.rule.includes?.caps ?? []).some((c) => caps.includes(c));
  const deniedOutright = (name: string): boolean =>
    (byName.get(name) ?? []).some(
      (u) =>
        !effectPermits(effectOf(u.rule.action, u.rule.errnoRet)) &&
        !u.rule.args?.length &&
        !hasFilter(u.rule),
    );

  for (const [name, risk] of Object.entries(RISKY)) {
    if (denylist) {
      if (!deniedOutright(name) && (table === undefined || syscallNumber(table, name) !== undefined))
        add(
          'SCL003',
          'defaultAction',
          `${name} is not denied and the default action allows it: ${risk.why}`,
          risk.severity,
        );
      continue;
    }
    for (const u of allowUses(name)) {
      if (u.rule.args?.length || gated(u, risk.caps)) continue;
      const minKernel = u.rule.includes?.minKernel;
      if (name === 'ptrace' && minKernel !== undefined && kernelAtLeast(minKernel, 4, 8)) {
        add(
          'SCL003',
          u.path,
          `ptrace is allowed without CAP_SYS_PTRACE on kernels >= ${minKernel} (Docker's choice: seccomp is ` +
            're-checked after ptrace since 4.8, so the old bypass is closed); processes can still trace others ' +
            'of the same user in the container',
          'LOW',
        );
        continue;
      }
      const gate =
        risk.caps.length === 0
          ? 'Docker never allows it'
          : `Docker allows it only with an includes.caps ${risk.caps.join(' or ')}`;
      add('SCL003', u.path, `${name} is allowed unconditionally (${gate}): ${risk.why}`, risk.severity);
    }
  }

  for (const name of IO_URING) {
    const why =
      'io_uring performs I/O outside the syscall path seccomp sees and has been a rich source of kernel ' +
      'exploits; moby removed it from the default profile in 25.0 (PR #46762)';
    if (denylist) {
      if (!deniedOutright(name)) add('SCL007', 'defaultAction', `${name} is not denied: ${why}`);
      continue;
    }
    for (const u of allowUses(name)) add('SCL007', u.path, `${name} is allowed: ${why}`);
  }

  if (!denylist) {
    for (const u of allowUses('socket')) {
      if (gated(u, ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN'])) continue;
      if (!u.rule.args?.length) {
        add(
          'SCL004',
          u.path,
          'socket is allowed for every address family: AF_ALG (38, kernel crypto API) and AF_VSOCK (40, host ' +
            'communication) are reachable; Docker allows arg0 < 38, == 39, > 40',
        );
        continue;
      }
      const open = [
        [AF_ALG, 'AF_ALG (38)'],
        [AF_VSOCK, 'AF_VSOCK (40)'],
      ]
        .filter(([v]) => argsMatch(u.rule.args, [v as bigint, 0n, 0n, 0n, 0n, 0n]))
        .map(([, n]) => n as string);
      if (open.length > 0)
        add(
          'SCL004',
          u.path,
          `the socket filter lets ${open.join(' and ')} through; Docker's current default denies AF_ALG and AF_VSOCK`,
          'LOW',
        );
    }
    for (const u of allowUses('personality'))
      if (!u.rule.args?.length)
        add(
          'SCL005',
          u.path,
          'personality is allowed for every persona (e.g. ADDR_NO_RANDOMIZE disables ASLR); Docker allows only ' +
            '0x0, 0x8, 0x20000, 0x20008 and 0xffffffff',
        );
    for (const u of allowUses('clone')) {
      if (gated(u, ['CAP_SYS_ADMIN'])) continue;
      const flags = CLONE_NEWUSER | SIGCHLD;
      if (!u.rule.args?.length)
        add(
          'SCL006',
          u.path,
          'clone is allowed without a namespace-flag filter: the container can create user and other ' +
            'namespaces; Docker requires (arg0 & 0x7E020000) == 0 unless CAP_SYS_ADMIN is granted',
        );
      else if (argsMatch(u.rule.args, [flags, flags, 0n, 0n, 0n, 0n]))
        add('SCL006', u.path, 'the clone filter lets CLONE_NEWUSER through', 'MEDIUM');
    }
    for (const u of allowUses('clone3'))
      if (!gated(u, ['CAP_SYS_ADMIN']))
        add(
          'SCL006',
          u.path,
          'clone3 is allowed: its flags are in a struct seccomp cannot inspect, so namespace creation cannot be ' +
            'filtered; Docker returns ENOSYS (38) unless CAP_SYS_ADMIN is granted, and glibc falls back to clone',
          'MEDIUM',
        );
  }

  checkClone3Errno(byName, defAction, defEffect, add);
  return out;
}

function checkClone3Errno(
  byName: Map<string, Use[]>,
  defAction: string | undefined,
  defEffect: string | undefined,
  add: (id: string, path: string, message: string, severity?: Severity) => void,
): void {
  const why =
    'glibc 2.34+ creates threads with clone3 and falls back to clone only when it fails with ENOSYS (38); ' +
    'with EPERM (1) or a kill, pthread_create fails — deny clone3 with errnoRet 38 as Docker does';
  const uses = byName.get('clone3') ?? [];
  for (const u of uses) {
    const eff = effectOf(u.rule.action, u.rule.errnoRet);
    if (effectPermits(eff) || eff === `ERRNO(${errnoName(38)})` || u.rule.args?.length) continue;
    add('SCL013', u.path, `clone3 is denied with ${eff}: ${why}`);
  }
  // Only rules without an includes gate always apply; otherwise the default decides for most containers.
  const always = uses.filter((u) => !u.rule.includes?.caps?.length && !u.rule.args?.length);
  if (always.length > 0 || defAction === undefined || defEffect === undefined) return;
  if (effectPermits(defEffect) || defEffect === `ERRNO(${errnoName(38)})`) return;
  add('SCL013', 'defaultAction', `clone3 falls to the default action ${defEffect}: ${why}`);
}

function ruleKey(r: DockerSyscallRule): string {
  const args = (r.args ?? [])
    .map((a) => `${a.index}:${a.op}:${a.value}:${a.valueTwo ?? 0}`)
    .sort()
    .join(',');
  return `${args}|${filtersKey(r)}`;
}

function filterKey(f: SeccompFilter | undefined): string {
  if (!f) return '';
  return [
    [...(f.caps ?? [])].sort().join(','),
    [...(f.arches ?? [])].sort().join(','),
    f.minKernel ?? '',
  ].join(';');
}

function filtersKey(r: DockerSyscallRule): string {
  return `${filterKey(r.includes)}|${filterKey(r.excludes)}`;
}

function hasFilter(r: DockerSyscallRule): boolean {
  const f = (x: SeccompFilter | undefined): boolean =>
    !!x && ((x.caps?.length ?? 0) > 0 || (x.arches?.length ?? 0) > 0 || x.minKernel !== undefined);
  return f(r.includes) || f(r.excludes);
}

function checkDuplicates(
  list: Use[],
  add: (id: string, path: string, message: string, severity?: Severity) => void,
): void {
  const seen = new Map<string, Use>();
  for (const u of list) {
    const key = ruleKey(u.rule);
    const prev = seen.get(key);
    if (!prev) {
      seen.set(key, u);
      continue;
    }
    if (prev.ri === u.ri) {
      add('SCL009', u.path, `${u.name} is listed twice in the same rule`);
      continue;
    }
    const e1 = effectOf(prev.rule.action, prev.rule.errnoRet);
    const e2 = effectOf(u.rule.action, u.rule.errnoRet);
    if (e1 === e2)
      add(
        'SCL009',
        u.path,
        `${u.name} already has a rule with the same conditions and action in ${prev.path}`,
      );
    else
      add(
        'SCL010',
        u.path,
        `${u.name} has the same conditions as ${prev.path} but action ${e2} instead of ${e1}; libseccomp keeps ` +
          'only one of them',
      );
  }
}

function checkShadowed(
  list: Use[],
  add: (id: string, path: string, message: string, severity?: Severity) => void,
): void {
  const uncond = list.filter((u) => !u.rule.args?.length);
  for (const c of list) {
    if (!c.rule.args?.length) continue;
    // The unconditional rule must apply whenever the conditional one does.
    const u = uncond.find((x) => !hasFilter(x.rule) || filtersKey(x.rule) === filtersKey(c.rule));
    if (!u) continue;
    const eu = effectOf(u.rule.action, u.rule.errnoRet);
    const ec = effectOf(c.rule.action, c.rule.errnoRet);
    if (eu === ec)
      add('SCL011', c.path, `useless: ${u.path} already gives ${c.name} ${eu} for every argument value`);
    else
      add(
        'SCL011',
        c.path,
        `never takes effect: the unconditional rule in ${u.path} (${eu}) wins over this conditional ${ec} rule ` +
          'for every argument value, whatever the order (libseccomp)',
        'MEDIUM',
      );
  }
  // Two unconditional rules with different actions: libseccomp keeps the first one added.
  for (let i = 1; i < uncond.length; i++) {
    const a = uncond[0] as Use;
    const b = uncond[i] as Use;
    const ea = effectOf(a.rule.action, a.rule.errnoRet);
    const eb = effectOf(b.rule.action, b.rule.errnoRet);
    if (ea === eb || ruleKey(a.rule) === ruleKey(b.rule)) continue;
    if (hasFilter(a.rule) || hasFilter(b.rule)) continue;
    add(
      'SCL010',
      b.path,
      `${b.name} is also unconditionally ${ea} in ${a.path}; libseccomp applies the first (${ea})`,
    );
  }
}

function appliesOn(rule: DockerSyscallRule, arch: string): boolean {
  if (rule.excludes?.arches?.includes(arch)) return false;
  const inc = rule.includes?.arches;
  return !inc || inc.length === 0 || inc.includes(arch);
}

// Multi-arch profiles list other architectures' syscalls: only a name no table knows is suspicious.
function knownName(name: string): boolean {
  if (NEWER_SYSCALLS.has(name)) return true;
  return SYSCALL_ARCHES.some((a) => syscallNumber(a, name) !== undefined);
}

function kernelAtLeast(v: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a > major || (a === major && b >= minor);
}
