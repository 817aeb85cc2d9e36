// What the container-selinux process and file types grant, for explaining a container's SELinux label.

/**
 * Facts come from containers/container-selinux (container.te, container.if, container_selinux.8,
 * container_contexts) and go-selinux; test/fixtures/selinux/README.md lists the sources per entry.
 */
export interface KnownType {
  name: string;
  kind: 'process' | 'file';
  /** Older names the policy still accepts for the same type. */
  aliases: readonly string[];
  /** Process types: false for domains SELinux does not confine (spc_t, unconfined_t, the engine's). False for files. */
  confined: boolean;
  /** Process types: MCS-constrained domains reach only objects their clearance dominates. False for files. */
  mcsConstrained: boolean;
  /** Allowed in seLinuxOptions.type by the Kubernetes Pod Security Standards baseline profile. */
  pssBaseline: boolean;
  /** Kubernetes version whose baseline profile first allows it, when not all do. */
  pssSince?: string;
  summary: string;
  grants: readonly string[];
  risks: readonly string[];
}

/** The runtimes' default process type (container_contexts "process"), used when a label names no type. */
export const DEFAULT_PROCESS_TYPE = 'container_t';
/** The default mount label type (container_contexts "file"); filetype= replaces it. */
export const DEFAULT_FILE_TYPE = 'container_file_t';
/** What a container runs as when the runtime sets no process label (label=disable, --privileged). */
export const UNLABELED_PROCESS_TYPE = 'spc_t';

/** seLinuxOptions.type values the PSS baseline profile allows ("" means unset). */
export const PSS_BASELINE_TYPES: readonly string[] = [
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
];

const CONTAINER_DOMAIN_GRANTS = [
  'read, write and execute files labelled container_file_t whose level its clearance dominates (its own rootfs and relabelled volumes)',
  'read and execute image layers labelled container_ro_file_t',
  'bind and connect to any TCP/UDP port',
];

export const KNOWN_TYPES: readonly KnownType[] = [
  {
    name: 'container_t',
    kind: 'process',
    aliases: ['svirt_lxc_net_t'],
    confined: true,
    mcsConstrained: true,
    pssBaseline: true,
    summary: 'the default confined container domain (Docker, Podman, CRI-O and containerd on SELinux hosts)',
    grants: [
      ...CONTAINER_DOMAIN_GRANTS,
      'every capability but sys_module, mac_override and mac_admin while the boolean virt_sandbox_use_all_caps is on (the default); the runtime still decides which capabilities the process holds',
      'host files with their own types (etc_t, user_home_t, var_log_t, ...) stay off limits unless relabelled with :z/:Z',
    ],
    risks: [],
  },
  {
    name: 'container_init_t',
    kind: 'process',
    aliases: [],
    confined: true,
    mcsConstrained: true,
    pssBaseline: true,
    summary: 'confined domain for systemd running as PID 1 in a container (podman picks it in systemd mode)',
    grants: [
      ...CONTAINER_DOMAIN_GRANTS,
      'create and write cgroup directories and files, mount on cgroupfs (systemd manages its own cgroup tree)',
      'mount on, unmount and remount /proc',
    ],
    risks: ['writes cgroup files, which container_t may not; use it only for systemd-based containers'],
  },
  {
    name: 'container_kvm_t',
    kind: 'process',
    aliases: [],
    confined: true,
    mcsConstrained: true,
    pssBaseline: true,
    summary: 'confined domain for VM-isolated containers (Kata Containers: QEMU runs in it)',
    grants: [
      ...CONTAINER_DOMAIN_GRANTS,
      'use /dev/kvm, vhost devices, VFIO devices and tun/tap queues',
      'run QEMU and mount on /proc (virtiofs)',
    ],
    risks: ['VFIO device access lets it drive passed-through PCI devices'],
  },
  {
    name: 'container_engine_t',
    kind: 'process',
    aliases: [],
    confined: true,
    mcsConstrained: true,
    pssBaseline: true,
    pssSince: 'v1.31',
    summary: 'confined domain for a container engine (podman, buildah, buildkit) running inside a container',
    grants: [
      ...CONTAINER_DOMAIN_GRANTS,
      'mount, remount and unmount any filesystem type, and mount on /proc, sysctl files and cgroupfs',
      'create and write cgroup directories and files',
    ],
    risks: [
      'may mount any filesystem and remount /proc: much more than container_t; give it only to engines that start nested containers',
    ],
  },
  {
    name: 'container_userns_t',
    kind: 'process',
    aliases: [],
    confined: true,
    mcsConstrained: true,
    pssBaseline: false,
    summary:
      'confined domain for containers in a user namespace that need to mount (nested user-namespaced engines)',
    grants: [
      ...CONTAINER_DOMAIN_GRANTS,
      'mount sysfs, tmpfs, proc and devpts; remount cgroupfs',
      'every capability but sys_module, mac_override and mac_admin whatever virt_sandbox_use_all_caps says',
    ],
    risks: [
      'policy allows every capability but sys_module (sys_admin included) and mounts of proc and sysfs; safe only inside a user namespace',
    ],
  },
  {
    name: 'container_logreader_t',
    kind: 'process',
    aliases: [],
    confined: true,
    mcsConstrained: true,
    pssBaseline: false,
    summary: 'confined domain for log collectors that read host logs',
    grants: [
      ...CONTAINER_DOMAIN_GRANTS,
      'read every file of a host log type, list log directories, read the audit log',
    ],
    risks: ['reads all host logs, including the audit log, which may hold secrets'],
  },
  {
    name: 'container_logwriter_t',
    kind: 'process',
    aliases: [],
    confined: true,
    mcsConstrained: true,
    pssBaseline: false,
    summary: 'confined domain for containers that manage host logs',
    grants: [...CONTAINER_DOMAIN_GRANTS, 'create, change and delete host log files and the audit log'],
    risks: ['can rewrite or delete host logs and the audit log, erasing evidence'],
  },
  {
    name: 'container_device_t',
    kind: 'process',
    aliases: [],
    confined: true,
    mcsConstrained: true,
    pssBaseline: false,
    summary: 'confined domain for containers that use arbitrary device nodes',
    grants: [...CONTAINER_DOMAIN_GRANTS, 'read and write any character device node passed into it'],
    risks: ['any character device node passed in is usable, whatever its SELinux type'],
  },
  {
    name: 'container_device_plugin_t',
    kind: 'process',
    aliases: [],
    confined: true,
    mcsConstrained: true,
    pssBaseline: false,
    summary: 'confined domain for Kubernetes device plugins',
    grants: [
      ...CONTAINER_DOMAIN_GRANTS,
      'read and write any character device, write sysfs, read debugfs, connect to the kubelet socket',
    ],
    risks: ['device, sysfs and kubelet access: a compromise reaches hardware and the node agent'],
  },
  {
    name: 'container_device_plugin_init_t',
    kind: 'process',
    aliases: [],
    confined: true,
    mcsConstrained: true,
    pssBaseline: false,
    summary: 'confined domain for device plugin init containers that change kubelet configuration',
    grants: [
      ...CONTAINER_DOMAIN_GRANTS,
      'read and write any character device, write sysfs, manage kubelet configuration files (kubernetes_file_t)',
    ],
    risks: ['can rewrite kubelet configuration, which controls every pod on the node'],
  },
  {
    name: 'spc_t',
    kind: 'process',
    aliases: [],
    confined: false,
    mcsConstrained: false,
    pssBaseline: false,
    summary:
      'super privileged container: an unconfined domain; what --privileged, --pid=host, --ipc=host and label=disable give under container-selinux',
    grants: [
      'everything SELinux allows an unconfined domain: host files, devices and processes of any type',
      'ptrace and transition to every domain',
    ],
    risks: [
      'no SELinux confinement: only DAC, capabilities, namespaces, seccomp and AppArmor stand between the container and the host',
      'not MCS-constrained: its level does not separate it from other containers',
    ],
  },
  {
    name: 'container_runtime_t',
    kind: 'process',
    aliases: ['docker_t'],
    confined: false,
    mcsConstrained: false,
    pssBaseline: false,
    summary: "the container engine's own domain (dockerd, podman, containerd, CRI-O, runc)",
    grants: [
      'everything the engine may do: manage all container files, relabel, mount, load modules via kmod',
    ],
    risks: [
      'a workload in the engine domain gets the near-host power of the engine; it is unconfined on Fedora/RHEL',
    ],
  },
  {
    name: 'unconfined_t',
    kind: 'process',
    aliases: [],
    confined: false,
    mcsConstrained: false,
    pssBaseline: false,
    summary: 'the unconfined login-user domain',
    grants: ['everything SELinux allows an unconfined domain'],
    risks: ['no SELinux confinement at all'],
  },
  {
    name: 'container_file_t',
    kind: 'file',
    aliases: ['svirt_sandbox_file_t'],
    confined: false,
    mcsConstrained: false,
    pssBaseline: false,
    summary: 'container content: the default mount label for the rootfs and :z/:Z volumes of a container',
    grants: ['container domains read, write and execute it when their clearance dominates its level'],
    risks: [],
  },
  {
    name: 'container_ro_file_t',
    kind: 'file',
    aliases: ['container_share_t', 'docker_share_t'],
    confined: false,
    mcsConstrained: false,
    pssBaseline: false,
    summary: 'read-only container content: image layers in the storage of the engine',
    grants: ['container domains read and execute it but cannot write it'],
    risks: ['as the filetype of a container, its own writable files become unwritable to it'],
  },
  {
    name: 'container_var_lib_t',
    kind: 'file',
    aliases: ['docker_var_lib_t'],
    confined: false,
    mcsConstrained: false,
    pssBaseline: false,
    summary: 'state directories of the engine (/var/lib/docker, /var/lib/containers)',
    grants: ['the engine manages it; container domains may only use it as an entrypoint'],
    risks: ['labelling container files with the state type of the engine mixes them with engine state'],
  },
  {
    name: 'container_log_t',
    kind: 'file',
    aliases: ['docker_log_t'],
    confined: false,
    mcsConstrained: false,
    pssBaseline: false,
    summary: 'container logs (/var/log/containers, /var/log/pods)',
    grants: ['the engine writes it; log reader domains read it'],
    risks: ['labelling container files as logs exposes them to log readers'],
  },
];

const BY_NAME = new Map<string, KnownType>();
for (const t of KNOWN_TYPES) {
  BY_NAME.set(t.name, t);
  for (const a of t.aliases) BY_NAME.set(a, t);
}

export interface TypeMatch {
  type: KnownType;
  /** Set when the name looked up is an alias of type.name. */
  alias?: string;
}

export function lookupType(name: string): TypeMatch | undefined {
  const t = BY_NAME.get(name);
  if (!t) return undefined;
  return t.name === name ? { type: t } : { type: t, alias: name };
}

/** One line per known type: name, kind, confinement, MCS, PSS baseline, summary. */
export function formatTypesTable(kind?: 'process' | 'file'): string {
  const rows = KNOWN_TYPES.filter((t) => kind === undefined || t.kind === kind).map((t) => [
    t.name + (t.aliases.length > 0 ? ` (${t.aliases.join(', ')})` : ''),
    t.kind,
    t.kind === 'file' ? '-' : t.confined ? 'confined' : 'unconfined',
    t.kind === 'file' ? '-' : t.mcsConstrained ? 'yes' : 'no',
    t.kind === 'file'
      ? '-'
      : t.pssBaseline
        ? `allowed${t.pssSince ? ` since ${t.pssSince}` : ''}`
        : 'forbidden',
    t.summary,
  ]);
  return renderColumns(['TYPE', 'KIND', 'SELINUX', 'MCS', 'PSS BASELINE', 'WHAT IT IS'], rows);
}

/** Left-aligned columns; the last column is not padded. */
export function renderColumns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
