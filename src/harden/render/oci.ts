// `drydock harden --format oci`: the user's OCI config.json with the hardening plan written in,
// including Docker's default seccomp profile resolved for the container's capabilities and arch.

import { UserError } from '../../errors.js';
import { dockerDefaultProfile, goArch, resolveSeccomp } from '../../seccomp/resolve.js';
import type { HardeningPlan } from '../plan-types.js';
import { OCI_PROPAGATIONS } from '../spec.js';

export interface OciRenderOptions {
  /** The container's architecture (Go name); default: the image annotation, else this machine's. */
  arch?: string;
  /** The host kernel "X.Y" for the profile's minKernel rules; default: a current kernel. */
  kernel?: string;
}

/** Docker's masked paths (moby daemon/pkg/oci/defaults.go), in moby's order. */
export const DOCKER_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** Docker's read-only paths (moby daemon/pkg/oci/defaults.go). */
export const DOCKER_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

const NS_TYPES: Record<HardeningPlan['privateNamespaces'][number], string> = {
  network: 'network',
  pid: 'pid',
  ipc: 'ipc',
  uts: 'uts',
  userns: 'user',
  cgroupns: 'cgroup',
};

// The CFS period Docker uses for --cpus.
const CPU_PERIOD = 100_000;

type Obj = Record<string, unknown>;

/** A copy of `config` with `plan` applied; the input is not modified. */
export function renderOci(
  config: Record<string, unknown>,
  plan: HardeningPlan,
  opts: OciRenderOptions = {},
): Record<string, unknown> {
  if (!isObj(config)) throw new UserError('OCI config: not a JSON object');
  const out = structuredClone(config);
  const proc = child(out, 'process');
  const linux = child(out, 'linux');
  const caps = [...plan.capAdd];

  // Inheritable and ambient stay empty, as Docker and runc leave them since CVE-2022-24769: an
  // inheritable set lets programs with file capabilities gain those caps across execve.
  proc.capabilities = {
    bounding: [...caps],
    effective: [...caps],
    permitted: [...caps],
    inheritable: [],
    ambient: [],
  };
  proc.noNewPrivileges = true;

  const root = child(out, 'root');
  if (root.path === undefined) root.path = 'rootfs';
  root.readonly = true;

  if (plan.user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(plan.user.trim());
    // config.json holds numeric IDs only; a user name cannot be written there (username is Windows').
    if (m) {
      const user = child(proc, 'user', 'process.user');
      user.uid = Number(m[1]);
      user.gid = m[2] !== undefined ? Number(m[2]) : typeof user.gid === 'number' ? user.gid : 0;
    }
  }

  if (plan.apparmor) {
    const a = plan.apparmor;
    proc.apparmorProfile =
      a.kind === 'default' ? 'docker-default' : a.kind === 'custom' ? a.ref : 'unconfined';
  }

  if (plan.seccomp.kind === 'default') {
    const arch = opts.arch ?? imageArch(out) ?? process.arch;
    if (goArch(arch) === undefined) throw new UserError(`OCI config: unknown architecture "${arch}"`);
    const resolved = resolveSeccomp(dockerDefaultProfile(), {
      arch,
      caps,
      ...(opts.kernel !== undefined ? { kernel: opts.kernel } : {}),
    });
    linux.seccomp = resolved;
  } else if (plan.seccomp.kind === 'unconfined') delete linux.seccomp;

  const res = child(linux, 'resources', 'linux.resources');
  const memory = child(res, 'memory', 'linux.resources.memory');
  memory.limit = plan.memory;
  memory.swap = plan.memorySwap;
  const pids = child(res, 'pids', 'linux.resources.pids');
  pids.limit = plan.pidsLimit;
  if (plan.cpus !== undefined && plan.cpus > 0) {
    const cpu = child(res, 'cpu', 'linux.resources.cpu');
    cpu.period = CPU_PERIOD;
    cpu.quota = Math.round(plan.cpus * CPU_PERIOD);
  }

  applyNamespaces(linux, plan);
  const mounts = list(out, 'mounts');
  applyMountFixes(mounts, plan);
  addTmpfs(mounts, plan);

  for (const [key, defaults] of [
    ['maskedPaths', DOCKER_MASKED_PATHS],
    ['readonlyPaths', DOCKER_READONLY_PATHS],
  ] as const) {
    const cur = linux[key];
    if (cur === undefined || cur === null || (Array.isArray(cur) && cur.length === 0))
      linux[key] = [...defaults];
    else if (!Array.isArray(cur)) throw new UserError(`OCI config: linux.${key} must be a list`);
  }
  return out;
}

function applyNamespaces(linux: Obj, plan: HardeningPlan): void {
  if (plan.privateNamespaces.length === 0) return;
  const nss = list(linux, 'namespaces', 'linux.namespaces');
  for (const which of plan.privateNamespaces) {
    const type = NS_TYPES[which];
    // runc refuses a user namespace without ID mappings, and mappings need a rootfs owned by the
    // mapped range: that is for the user to set up, not something to invent here.
    if (type === 'user' && !(Array.isArray(linux.uidMappings) && Array.isArray(linux.gidMappings))) continue;
    const existing = nss.find((n) => isObj(n) && n.type === type) as Obj | undefined;
    // A path joins another process's namespace (possibly the host's); without it runc makes a new one.
    if (existing) delete existing.path;
    else nss.push({ type });
  }
}

function applyMountFixes(mounts: unknown[], plan: HardeningPlan): void {
  const ro = new Set(plan.readOnlyMounts);
  const priv = new Set(plan.privatePropagation);
  if (ro.size === 0 && priv.size === 0) return;
  for (const [i, m] of mounts.entries()) {
    if (!isObj(m) || typeof m.destination !== 'string') continue;
    const dest = m.destination;
    if (!ro.has(dest) && !priv.has(dest)) continue;
    if (m.options !== undefined && m.options !== null && !Array.isArray(m.options))
      throw new UserError(`OCI config: mounts[${i}].options must be a list`);
    let options = Array.isArray(m.options) ? [...(m.options as unknown[])] : [];
    if (ro.has(dest)) options = [...options.filter((o) => o !== 'rw' && o !== 'ro'), 'ro'];
    if (priv.has(dest)) options = [...options.filter((o) => !OCI_PROPAGATIONS.has(o as string)), 'rprivate'];
    m.options = options;
  }
}

function addTmpfs(mounts: unknown[], plan: HardeningPlan): void {
  for (const t of plan.tmpfs) {
    const options = t.options
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    // Docker's tmpfs defaults; a plan that asks for exec keeps it.
    for (const must of ['nosuid', 'nodev', 'noexec'])
      if (!options.includes(must) && !(must === 'noexec' && options.includes('exec'))) options.push(must);
    const mount = { destination: t.target, type: 'tmpfs', source: 'tmpfs', options };
    const i = mounts.findIndex((m) => isObj(m) && m.destination === t.target);
    if (i < 0) mounts.push(mount);
    // A volume or bind mount there already gives the path its own writable storage: keep it.
    else if ((mounts[i] as Obj).type === 'tmpfs') mounts[i] = mount;
  }
}

function imageArch(config: Obj): string | undefined {
  const a = config.annotations;
  if (!isObj(a)) return undefined;
  const arch = a['org.opencontainers.image.architecture'];
  return typeof arch === 'string' && goArch(arch) !== undefined ? arch : undefined;
}

function child(parent: Obj, key: string, name = key): Obj {
  const v = parent[key];
  if (v === undefined || v === null) {
    const o: Obj = {};
    parent[key] = o;
    return o;
  }
  if (!isObj(v)) throw new UserError(`OCI config: ${name} must be an object`);
  return v;
}

function list(parent: Obj, key: string, name = key): unknown[] {
  const v = parent[key];
  if (v === undefined || v === null) {
    const a: unknown[] = [];
    parent[key] = a;
    return a;
  }
  if (!Array.isArray(v)) throw new UserError(`OCI config: ${name} must be a list`);
  return v;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
