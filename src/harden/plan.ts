// Decides the hardened configuration of a container: drop every capability and add back only what
// the workload needs (ports below 1024, known daemons, the entrypoint's file capabilities, the
// user's own non-critical additions), no-new-privileges, a read-only root with tmpfs scratch dirs,
// memory and PIDs limits, the default seccomp and AppArmor profiles, a non-root user when the image
// has one, and private namespaces.

import { capabilityInfo, normalizeCap, sortCaps } from './caps.js';
import type { HardeningPlan, TmpfsSpec } from './plan-types.js';
import type { ContainerSpec } from './spec.js';

/** What an image tells the planner (from its config and its entrypoint binary). */
export interface ImageHints {
  ref?: string;
  /** The image's USER. */
  user?: string;
  exposedPorts?: { port: number; protocol: string }[];
  entrypoint?: string[];
  cmd?: string[];
  /** File capabilities (security.capability) of the entrypoint binary, CAP_ names. */
  fileCaps?: string[];
  /** The entrypoint path the file capabilities were read from. */
  fileCapsPath?: string;
}

export interface PlanOptions {
  image?: ImageHints;
  /** Whether AppArmor can be applied (for OCI output on this host); default true. */
  appArmor?: boolean;
  /** Default memory limit when the input has none (bytes). */
  memory?: number;
  pidsLimit?: number;
}

export const DEFAULT_MEMORY = 512 * 1024 * 1024;
export const DEFAULT_PIDS = 256;

const TMP_OPTS = 'rw,noexec,nosuid,nodev,size=64m';

interface Workload {
  re: RegExp;
  name: string;
  caps: string[];
  tmpfs: string[];
  /** Caps only needed while it starts as root (not needed when the plan runs it as a non-root user). */
  rootOnly?: boolean;
}

/**
 * Well-known daemons and what they need beyond nothing. Matched against the image name and the
 * command. The caps are what their official images use when started as root.
 */
const WORKLOADS: Workload[] = [
  {
    re: /(^|[/\s])(ntpd|chronyd|openntpd|ntp)(\s|:|@|$)/,
    name: 'an NTP daemon (sets the clock)',
    caps: ['CAP_SYS_TIME'],
    tmpfs: [],
  },
  {
    re: /(^|[/\s])(nginx|openresty)(\s|:|@|$)/,
    name: 'nginx (master starts as root, workers switch user)',
    caps: ['CAP_CHOWN', 'CAP_SETGID', 'CAP_SETUID'],
    tmpfs: ['/var/cache/nginx'],
    rootOnly: true,
  },
  {
    re: /(^|[/\s])(httpd|apache2?)(\s|:|@|$)/,
    name: 'Apache httpd (starts as root, children switch user)',
    caps: ['CAP_SETGID', 'CAP_SETUID'],
    tmpfs: ['/usr/local/apache2/logs'],
    rootOnly: true,
  },
  {
    re: /(^|[/\s])(postgres|postgresql)(\s|:|@|$)/,
    name: 'PostgreSQL (the entrypoint fixes data dir ownership, then switches user)',
    caps: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_SETGID', 'CAP_SETUID'],
    tmpfs: ['/var/run/postgresql'],
    rootOnly: true,
  },
  {
    re: /(^|[/\s])(redis|redis-server|valkey)(\s|:|@|$)/,
    name: 'Redis (the entrypoint switches user)',
    caps: ['CAP_SETGID', 'CAP_SETUID'],
    tmpfs: [],
    rootOnly: true,
  },
];

/** Capabilities a user added that the plan never keeps on its own: they enable host escapes. */
const NEVER_KEEP = new Set([
  'CAP_SYS_ADMIN',
  'CAP_SYS_MODULE',
  'CAP_DAC_READ_SEARCH',
  'CAP_SYS_RAWIO',
  'CAP_SYS_PTRACE',
  'CAP_MAC_ADMIN',
  'CAP_MAC_OVERRIDE',
  'CAP_BPF',
  'CAP_SYS_BOOT',
]);

const SENSITIVE = [
  '/',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/proc',
  '/sys',
  '/usr',
  '/var/lib',
  '/var/log',
  '/root',
  '/home',
  '/run',
  '/var/run',
];
const SOCKETS = /(docker|containerd|crio|podman|dockershim)\.sock$|^\/var\/lib\/kubelet(\/|$)/;

function isRoot(user: string | undefined): boolean {
  if (user === undefined || user.trim() === '') return true;
  const u = (user.split(':')[0] as string).trim();
  return u === '0' || u === 'root';
}

function under(p: string, dir: string): boolean {
  return dir === '/' ? p === '/' : p === dir || p.startsWith(`${dir}/`);
}

export function planHardening(spec: ContainerSpec, opts: PlanOptions = {}): HardeningPlan {
  const img = opts.image;
  const notes: string[] = [];
  const reasons: Record<string, string> = {};
  const add = (cap: string, why: string) => {
    if (!reasons[cap]) reasons[cap] = why;
  };

  // The user the hardened container runs as.
  let user: string | undefined;
  if (!isRoot(spec.user))
    user = undefined; // keep the input's non-root user
  else if (img?.user && !isRoot(img.user)) user = img.user;
  if (isRoot(spec.user) && user === undefined) {
    notes.push(
      img
        ? 'the image has no non-root USER: it runs as root; create a user in the image'
        : 'runs as root unless the image sets USER: give it an unprivileged user (--image tells drydock the image)',
    );
  }

  // Ports below 1024 need NET_BIND_SERVICE.
  const ports = [
    ...spec.ports.map((p) => p.containerPort),
    ...(img?.exposedPorts ?? []).map((p) => p.port),
  ].filter((p) => p > 0 && p < 1024);
  if (ports.length > 0 && spec.network !== 'none')
    add(
      'CAP_NET_BIND_SERVICE',
      `listens on port ${[...new Set(ports)].sort((a, b) => a - b).join(', ')} (below 1024)`,
    );

  // Known workloads.
  const text = [
    spec.image ?? '',
    img?.ref ?? '',
    ...(spec.command ?? []),
    ...(img?.entrypoint ?? []),
    ...(img?.cmd ?? []),
  ].join(' ');
  const tmpDirs = ['/tmp', '/run'];
  for (const w of WORKLOADS) {
    if (!w.re.test(text)) continue;
    for (const d of w.tmpfs) if (!tmpDirs.includes(d)) tmpDirs.push(d);
    if (w.rootOnly && user === undefined && !isRoot(spec.user)) continue;
    if (w.rootOnly && user !== undefined) continue;
    for (const c of w.caps) add(c, w.name);
  }

  // File capabilities of the entrypoint: the binary cannot work without them.
  for (const c of img?.fileCaps ?? [])
    add(normalizeCap(c), `file capability of ${img?.fileCapsPath ?? 'the entrypoint'}`);

  // The user's own additions, unless they open escapes.
  if (!spec.privileged) {
    for (const raw of spec.capAdd) {
      const c = normalizeCap(raw);
      if (c === 'ALL') {
        notes.push('--cap-add ALL removed: add back only the capabilities the workload needs');
        continue;
      }
      if (!capabilityInfo(c)) continue;
      if (NEVER_KEEP.has(c)) {
        notes.push(
          `${c} removed (${capabilityInfo(c)?.escapes[0] ?? 'escape risk'}); add it back only if the workload fails without it`,
        );
        continue;
      }
      add(c, 'added by the original configuration');
    }
  } else
    notes.push('privileged removed: if the workload fails, add the single capability or device it needs');

  const capAdd = sortCaps(Object.keys(reasons));

  // Mounts.
  const readOnlyMounts: string[] = [];
  const privatePropagation: string[] = [];
  for (const m of spec.mounts) {
    if (m.target === undefined) continue;
    const src = m.source ?? '';
    if ((m.type === 'bind' || m.type === 'hostPath') && SOCKETS.test(src)) {
      notes.push(
        `${src} is mounted: anyone in the container controls the host's containers; remove the mount`,
      );
      continue;
    }
    if (
      (m.type === 'bind' || m.type === 'hostPath') &&
      !m.readOnly &&
      SENSITIVE.some((d) => under(src.replace(/\/+$/, '') || '/', d))
    )
      readOnlyMounts.push(m.target);
    if (m.propagation && /^(r?shared|bidirectional)$/i.test(m.propagation)) privatePropagation.push(m.target);
  }
  for (const d of spec.devices)
    notes.push(`host device ${d.host} is passed through: remove it unless needed, or make it read-only`);
  for (const p of spec.ports)
    if (p.hostPort && (p.hostIp === undefined || p.hostIp === '' || p.hostIp === '0.0.0.0'))
      notes.push(
        `port ${p.hostPort} is published on all interfaces: bind it to one address (127.0.0.1:${p.hostPort}:${p.containerPort})`,
      );

  const privateNamespaces: HardeningPlan['privateNamespaces'] = [];
  for (const ns of ['network', 'pid', 'ipc', 'uts', 'userns', 'cgroupns'] as const) {
    // An OCI config without a user namespace is the normal case; one needs ID mappings the plan cannot invent.
    if (ns === 'userns' && spec.source.kind === 'oci') continue;
    if (spec[ns] !== undefined && /^host$/i.test(spec[ns] as string)) privateNamespaces.push(ns);
  }
  if (privateNamespaces.length > 0) notes.push(`host namespaces removed (${privateNamespaces.join(', ')})`);

  const tmpfs: TmpfsSpec[] = tmpDirs
    .filter((t) => !spec.mounts.some((m) => m.target === t))
    .map((target) => ({ target, options: TMP_OPTS }));

  const memory = spec.memory && spec.memory > 0 ? spec.memory : (opts.memory ?? DEFAULT_MEMORY);
  const pidsLimit = spec.pidsLimit && spec.pidsLimit > 0 ? spec.pidsLimit : (opts.pidsLimit ?? DEFAULT_PIDS);

  const plan: HardeningPlan = {
    dropAllCaps: true,
    capAdd,
    capReasons: Object.fromEntries(capAdd.map((c) => [c, reasons[c] as string])),
    noNewPrivileges: true,
    privileged: false,
    readOnlyRootfs: true,
    tmpfs,
    memory,
    memorySwap: memory,
    pidsLimit,
    seccomp: spec.seccomp?.kind === 'custom' ? spec.seccomp : { kind: 'default' },
    privateNamespaces,
    readOnlyMounts,
    privatePropagation,
    notes,
  };
  if (spec.cpus !== undefined && spec.cpus > 0) plan.cpus = spec.cpus;
  if (opts.appArmor !== false)
    plan.apparmor = spec.apparmor?.kind === 'custom' ? spec.apparmor : { kind: 'default' };
  if (user !== undefined) plan.user = user;
  const r = spec.restart;
  if (
    r &&
    (r.policy === 'always' ||
      r.policy === 'unless-stopped' ||
      (r.policy === 'on-failure' && (r.maxRetries === undefined || r.maxRetries === 0 || r.maxRetries > 5)))
  )
    plan.restart = { policy: 'on-failure', maxRetries: 5 };
  return plan;
}
