// Writes the hardened `docker run` command: the user's own command line with its security options
// replaced by the hardening plan's, everything else (env, names, ports, image, command) kept as typed.

import { parseVolumeShort, splitVolume } from '../inputs/common.js';
import type { DockerRunOption, DockerRunParsed } from '../inputs/docker-run.js';
import { parseMountLong, splitMountFields } from '../inputs/docker-run.js';
import { shellQuote, shellQuoteLiteral } from '../inputs/shell-words.js';
import type { HardeningPlan } from '../plan-types.js';
import { DOCKER_PROPAGATIONS, type ProfileSetting } from '../spec.js';

const INDENT = '  ';

/** Options the plan always decides: the input's spelling of them is dropped. */
const ALWAYS_REPLACED = new Set([
  'privileged',
  'cap-add',
  'cap-drop',
  'read-only',
  'memory',
  'memory-swap',
  'pids-limit',
]);

const NAMESPACE_FLAGS: Record<HardeningPlan['privateNamespaces'][number], string> = {
  network: 'network',
  pid: 'pid',
  ipc: 'ipc',
  uts: 'uts',
  userns: 'userns',
  cgroupns: 'cgroupns',
};

/** The key of a --security-opt value ("seccomp" for "seccomp:x.json", "no-new-privileges" alone). */
function securityKey(value: string): string {
  const m = /^([a-z-]+)(?:[=:]|$)/.exec(value.trim());
  return m ? (m[1] as string) : '';
}

function securityValue(value: string): string {
  const m = /^[a-z-]+[=:](.*)$/s.exec(value.trim());
  return m ? (m[1] as string) : '';
}

/** Bytes the way a person writes them for docker: 256m, 1g, or a plain number. */
export function formatBytes(n: number): string {
  if (n < 0) return String(n);
  for (const [unit, size] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

function stripCap(name: string): string {
  return name.startsWith('CAP_') ? name.slice(4) : name;
}

/** A change to one option: dropped, kept as typed, or rewritten with a new value. */
type Decision = { kind: 'drop' } | { kind: 'keep' } | { kind: 'value'; value: string };

function editVolume(value: string, readOnly: boolean, privateProp: boolean): string {
  const parts = splitVolume(value);
  // An anonymous volume ("/data") has no options slot; a third part would be read as a target.
  if (parts.length < 2) return value;
  let opts = parts.length === 3 ? (parts[2] as string).split(',').filter(Boolean) : [];
  if (readOnly) opts = [...opts.filter((o) => o !== 'rw' && o !== 'ro' && o !== 'readonly'), 'ro'];
  if (privateProp) opts = [...opts.filter((o) => !DOCKER_PROPAGATIONS.has(o)), 'rprivate'];
  return `${parts[0]}:${parts[1]}:${opts.join(',')}`;
}

function csvField(f: string): string {
  return /[",]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f;
}

function editMount(value: string, readOnly: boolean, privateProp: boolean): string {
  let fields = splitMountFields(value, 'mount').filter((f) => f.trim() !== '');
  const key = (f: string) => (f.includes('=') ? f.slice(0, f.indexOf('=')) : f).trim().toLowerCase();
  if (readOnly) fields = [...fields.filter((f) => key(f) !== 'readonly' && key(f) !== 'ro'), 'readonly'];
  if (privateProp)
    fields = [...fields.filter((f) => key(f) !== 'bind-propagation'), 'bind-propagation=rprivate'];
  return fields.map(csvField).join(',');
}

function tmpfsTarget(v: string): string {
  const colon = v.indexOf(':');
  return colon < 0 ? v : v.slice(0, colon);
}

function mountTarget(opt: DockerRunOption): string | undefined {
  const v = opt.value ?? '';
  try {
    if (opt.name === 'volume') return parseVolumeShort(v, 'volume').target;
    if (opt.name === 'mount') return parseMountLong(v, 'mount').target;
    if (opt.name === 'tmpfs') return tmpfsTarget(v);
  } catch {
    return undefined;
  }
  return undefined;
}

/** The hardened command line, one option per line with ` \` continuations. */
export function renderDockerRun(parsed: DockerRunParsed, plan: HardeningPlan): string {
  const { argv, argvRaw, options, imageIndex } = parsed;
  // Values from a shell line may hold $VAR meant to expand; values from argv are literal.
  const quote = parsed.literal ? shellQuoteLiteral : shellQuote;
  const readOnly = new Set(plan.readOnlyMounts);
  const privateProp = new Set(plan.privatePropagation);
  const privateNs = new Set(plan.privateNamespaces.map((n) => NAMESPACE_FLAGS[n]));
  const planTmpfs = new Set(plan.tmpfs.map((t) => t.target));
  let seccompRaw: string | undefined;
  let apparmorRaw: string | undefined;

  const decide = (opt: DockerRunOption): Decision => {
    const name = opt.name;
    const v = opt.value ?? '';
    if (name === '--' || ALWAYS_REPLACED.has(name)) return { kind: 'drop' };
    if (privateNs.has(name)) return { kind: 'drop' };
    if (name === 'user' && plan.user !== undefined) return { kind: 'drop' };
    if ((name === 'cpus' || name === 'cpu-quota' || name === 'cpu-period') && plan.cpus !== undefined)
      return { kind: 'drop' };
    if (name === 'restart' && plan.restart) return { kind: 'drop' };
    if (name === 'security-opt') {
      const key = securityKey(v);
      if (key === 'seccomp') {
        seccompRaw = v;
        return { kind: 'drop' };
      }
      if (key === 'apparmor') {
        apparmorRaw = v;
        return { kind: 'drop' };
      }
      if (key === 'label' && securityValue(v) === 'disable') return { kind: 'drop' };
      if (['no-new-privileges', 'systempaths', 'writable-cgroups', 'unmask'].includes(key))
        return { kind: 'drop' };
      return { kind: 'keep' };
    }
    if (name === 'tmpfs' && planTmpfs.has(tmpfsTarget(v))) return { kind: 'drop' };
    if (name === 'volume' || name === 'mount') {
      const target = mountTarget(opt);
      if (target === undefined) return { kind: 'keep' };
      const ro = readOnly.has(target);
      const pp = privateProp.has(target);
      if (!ro && !pp) return { kind: 'keep' };
      const edited = name === 'volume' ? editVolume(v, ro, pp) : editMount(v, ro, pp);
      return edited === v ? { kind: 'keep' } : { kind: 'value', value: edited };
    }
    return { kind: 'keep' };
  };

  const lines: string[] = [];
  const keptTargets = new Set<string>();
  // Options that share a token (a -itd cluster) are written together, as typed when none changed.
  const groups = new Map<number, DockerRunOption[]>();
  for (const o of options) {
    const g = groups.get(o.token);
    if (g) g.push(o);
    else groups.set(o.token, [o]);
  }
  for (const [token, members] of groups) {
    const decisions = members.map(decide);
    members.forEach((m, k) => {
      if (
        decisions[k]?.kind !== 'drop' &&
        (m.name === 'volume' || m.name === 'mount' || m.name === 'tmpfs')
      ) {
        const t = mountTarget(m);
        if (t !== undefined) keptTargets.add(t);
      }
    });
    if (decisions.every((d) => d.kind === 'keep')) {
      const span = members[0]?.span ?? 1;
      lines.push(argvRaw.slice(token, token + span).join(' '));
      continue;
    }
    if (members.length === 1 && decisions[0]?.kind === 'value') {
      lines.push(rewriteSingle(members[0] as DockerRunOption, decisions[0].value, argv, argvRaw, quote));
      continue;
    }
    members.forEach((m, k) => {
      const d = decisions[k] as Decision;
      if (d.kind === 'drop') return;
      const value = d.kind === 'value' ? d.value : m.value;
      lines.push(value === undefined ? `--${m.name}` : `--${m.name} ${quote(value)}`);
    });
  }

  lines.push('--cap-drop ALL');
  for (const c of plan.capAdd) lines.push(`--cap-add ${shellQuoteLiteral(stripCap(c))}`);
  lines.push('--security-opt no-new-privileges');
  const seccomp = profileOption('seccomp', plan.seccomp, seccompRaw, 'omit', quote);
  if (seccomp) lines.push(seccomp);
  if (plan.apparmor) {
    const apparmor = profileOption('apparmor', plan.apparmor, apparmorRaw, 'docker-default', quote);
    if (apparmor) lines.push(apparmor);
  }
  lines.push('--read-only');
  for (const t of plan.tmpfs) {
    if (keptTargets.has(t.target)) continue; // the user mounts something there already
    lines.push(`--tmpfs ${shellQuoteLiteral(t.options ? `${t.target}:${t.options}` : t.target)}`);
  }
  lines.push(`--memory ${formatBytes(plan.memory)}`);
  lines.push(`--memory-swap ${formatBytes(plan.memorySwap)}`);
  lines.push(`--pids-limit ${plan.pidsLimit}`);
  if (plan.cpus !== undefined) lines.push(`--cpus ${plan.cpus}`);
  if (plan.user !== undefined) lines.push(`--user ${shellQuoteLiteral(plan.user)}`);
  // Without the flag the daemon's default applies, which is the host's namespace on cgroup v1.
  if (privateNs.has('cgroupns')) lines.push('--cgroupns private');
  if (plan.restart) lines.push(`--restart on-failure:${plan.restart.maxRetries}`);

  const image = argv[imageIndex] as string;
  const tail = argvRaw.slice(imageIndex);
  if (image.startsWith('-')) tail.unshift('--');
  const prefix = parsed.prefixRaw.length > 0 ? parsed.prefixRaw.join(' ') : `${parsed.engine} run`;
  return [prefix, ...lines.map((l) => INDENT + l), INDENT + tail.join(' ')].join(' \\\n');
}

/**
 * A --security-opt line for a confinement profile: the default profile is written as `defaultForm`
 * ("omit" = no option, Docker's default applies), a custom profile keeps the user's own spelling.
 */
function profileOption(
  key: 'seccomp' | 'apparmor',
  setting: ProfileSetting,
  original: string | undefined,
  defaultForm: string,
  quote: (w: string) => string,
): string | undefined {
  if (setting.kind === 'default')
    return defaultForm === 'omit' ? undefined : `--security-opt ${key}=${defaultForm}`;
  if (setting.kind === 'unconfined') return `--security-opt ${key}=unconfined`;
  const origValue = original === undefined ? undefined : securityValue(original);
  if (
    original !== undefined &&
    origValue !== undefined &&
    (origValue === setting.ref || setting.ref === 'inline JSON profile')
  )
    return `--security-opt ${quote(original)}`;
  return `--security-opt ${shellQuoteLiteral(`${key}=${setting.ref}`)}`;
}

/** One option with a new value, keeping the user's flag spelling (-v, --volume, --volume=). */
function rewriteSingle(
  opt: DockerRunOption,
  value: string,
  argv: string[],
  argvRaw: string[],
  quote: (w: string) => string,
): string {
  const tok = argv[opt.token] as string;
  const old = opt.value ?? '';
  const suffix = value.startsWith(old) ? value.slice(old.length) : undefined;
  if (opt.span === 2 && (tok === `--${opt.name}` || /^-[a-zA-Z]$/.test(tok))) {
    // Appending to the user's own spelling keeps quoting and $(...) substitutions intact.
    const rawValue = argvRaw[opt.token + 1] as string;
    const v = suffix !== undefined ? rawValue + quote(suffix) : quote(value);
    return `${argvRaw[opt.token]} ${v}`;
  }
  if (tok.startsWith(`--${opt.name}=`)) {
    const raw = argvRaw[opt.token] as string;
    const flag = `--${opt.name}=`;
    if (suffix !== undefined && raw.startsWith(flag)) return raw + quote(suffix);
    return flag + quote(value);
  }
  return `--${opt.name} ${quote(value)}`;
}
