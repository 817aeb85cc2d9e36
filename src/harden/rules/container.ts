// Container rules: CIS Docker Benchmark v1.6 section 5 (the checks decidable from a config), the
// docker-bench community capability checks, Kubernetes Pod Security Standards (baseline and
// restricted) and drydock's escape-risk checks. Each is a pure function over a ContainerSpec.

import { capabilityInfo, DOCKER_DEFAULT_CAPS, normalizeCap, specCaps } from '../caps.js';
import type { ContainerSpec, MountSpec } from '../spec.js';
import type { ContainerRule, RuleHit, Severity } from './types.js';

const CIS = 'CIS-DOCKER-1.6:';
const CIS_REF = 'https://www.cisecurity.org/benchmark/docker';
const PSS_REF = 'https://kubernetes.io/docs/concepts/security/pod-security-standards/';
const BENCH_REF = 'https://github.com/docker/docker-bench-security';
const CAPS_REF = 'https://man7.org/linux/man-pages/man7/capabilities.7.html';
const RUN_REF = 'https://docs.docker.com/reference/cli/docker/container/run/';

function who(spec: ContainerSpec): string {
  return spec.source.resource;
}

/** True when the user is root: unset (root unless the image says otherwise) counts as unknown. */
export function userIsRoot(user: string | undefined): boolean | undefined {
  if (user === undefined || user.trim() === '') return undefined;
  const u = (user.split(':')[0] as string).trim();
  return u === '0' || u === 'root';
}

function numericUid(user: string | undefined): number | undefined {
  if (user === undefined) return undefined;
  const u = (user.split(':')[0] as string).trim();
  return /^\d+$/.test(u) ? Number(u) : undefined;
}

/** Capabilities a container gets beyond Docker's default set. */
function addedBeyondDefault(spec: ContainerSpec): string[] {
  const caps = specCaps(spec) ?? [];
  return caps.filter((c) => !DOCKER_DEFAULT_CAPS.includes(c));
}

function hasCap(spec: ContainerSpec, cap: string): boolean {
  return (specCaps(spec) ?? []).includes(cap);
}

function capField(spec: ContainerSpec): RuleHit['field'] {
  if (spec.privileged) return 'privileged';
  return spec.capsExplicit ? 'capsExplicit' : 'capAdd';
}

function capRule(id: string, cap: string, control: string, severity: Severity, why: string): ContainerRule {
  const short = cap.replace(/^CAP_/, '');
  return {
    target: 'container',
    id,
    title: `${cap} is not granted`,
    severity,
    description: `${cap} ${why}`,
    resolution: `Do not add ${short} (remove --cap-add ${short} / capabilities.add, do not run privileged); drop ALL and add back only what the workload needs.`,
    compliance: [control],
    references: [BENCH_REF, CAPS_REF],
    check(spec) {
      if (!hasCap(spec, cap)) return [];
      return [
        {
          message: `${who(spec)} has ${cap}${spec.privileged ? ' (privileged)' : ''}: ${capabilityInfo(cap)?.escapes[0] ?? why}`,
          field: capField(spec),
        },
      ];
    },
  };
}

const PSS_BASELINE_CAPS = new Set([
  'CAP_AUDIT_WRITE',
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
]);

/** CIS 5.6's sensitive host directories. */
const CIS_SENSITIVE = ['/', '/boot', '/dev', '/etc', '/lib', '/proc', '/sys', '/usr'];

/** Host paths whose write access (or any access, for the whole root) leads out of the container. */
const ESCAPE_PATHS = [
  '/var/lib/docker',
  '/var/lib/containerd',
  '/var/lib/kubelet',
  '/var/lib/containers',
  '/etc/kubernetes',
  '/var/log',
  '/root',
  '/home',
  '/run',
  '/var/run',
  '/sys/fs/cgroup',
  '/proc/sys',
  '/proc/sysrq-trigger',
  '/sys/kernel',
  '/lib/modules',
  '/usr/lib/modules',
];

const RUNTIME_SOCKETS = [
  /(^|\/)docker\.sock$/,
  /(^|\/)containerd\.sock$/,
  /(^|\/)crio\.sock$/,
  /(^|\/)podman\.sock$/,
  /(^|\/)dockershim\.sock$/,
  /^\/var\/lib\/kubelet(\/|$)/,
  /^\/run\/containerd\/?$/,
  /^\/var\/run\/docker\/?$/,
  /^\/run\/docker\/?$/,
  /^\/var\/run\/?$/,
  /^\/run\/?$/,
];

function normPath(p: string): string {
  let s = p.replace(/\/+/g, '/');
  if (s.length > 1) s = s.replace(/\/$/, '');
  // "/x/../y" spelled by a hostile config must not dodge the checks.
  const out: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return s.startsWith('/') ? `/${out.join('/')}` : out.join('/');
}

function hostSource(m: MountSpec): string | undefined {
  if (m.type !== 'bind' && m.type !== 'hostPath') return undefined;
  return m.source === undefined ? undefined : normPath(m.source);
}

function under(path: string, dir: string): boolean {
  return dir === '/' ? path === '/' : path === dir || path.startsWith(`${dir}/`);
}

const mountLine = (spec: ContainerSpec, m: MountSpec): number | undefined => m.line ?? spec.lines.mounts;

/** Files the engine itself bind-mounts into every container (they appear in OCI configs it writes). */
const ENGINE_FILES = new Set([
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
  '/run/.containerenv',
  '/run/secrets',
  '/dev/shm',
]);
function engineManaged(spec: ContainerSpec, m: MountSpec): boolean {
  return spec.source.kind === 'oci' && m.target !== undefined && ENGINE_FILES.has(m.target);
}

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);

const PSS_SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

const DANGEROUS_DEVICES =
  /^\/dev\/(mem|kmem|port|sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|dm-|mapper|loop|kvm|fuse|disk)/;

function hostNs(mode: string | undefined): boolean {
  return mode !== undefined && /^host$/i.test(mode.trim());
}

function nsRule(
  id: string,
  ns: 'network' | 'pid' | 'ipc' | 'uts' | 'userns',
  flag: string,
  cis: string,
  pss: boolean,
  severity: Severity,
  why: string,
): ContainerRule {
  return {
    target: 'container',
    id,
    title: `The host's ${ns === 'userns' ? 'user' : ns} namespace is not shared`,
    severity,
    description: why,
    resolution: `Do not use ${flag}; give the container its own ${ns === 'userns' ? 'user' : ns} namespace.`,
    compliance: [`${CIS}${cis}`, ...(pss ? ['PSS-BASELINE:hostNamespaces'] : [])],
    references: [CIS_REF, ...(pss ? [PSS_REF] : [])],
    check(spec) {
      return hostNs(spec[ns])
        ? [{ message: `${who(spec)} shares the host's ${ns} namespace (${flag})`, field: ns }]
        : [];
    },
  };
}

export const CONTAINER_RULES: ContainerRule[] = [
  {
    target: 'container',
    id: 'DDC001',
    title: 'Privileged containers are not used',
    severity: 'CRITICAL',
    description:
      'A privileged container gets every capability, all host devices, no seccomp, AppArmor or SELinux confinement and writable /sys: root in it is root on the host.',
    resolution:
      'Remove --privileged / privileged: true; add only the capabilities and devices the workload needs.',
    compliance: [`${CIS}5.5`, 'PSS-BASELINE:privileged'],
    references: [CIS_REF, PSS_REF, RUN_REF],
    check(spec) {
      return spec.privileged ? [{ message: `${who(spec)} runs privileged`, field: 'privileged' }] : [];
    },
  },
  {
    target: 'container',
    id: 'DDC002',
    title: 'Linux kernel capabilities are restricted within containers',
    severity: 'HIGH',
    description:
      "Capabilities beyond Docker's 14 defaults widen what root in the container can do to the kernel and the host.",
    resolution:
      'Remove the added capabilities, or better: --cap-drop ALL and --cap-add only what the workload needs.',
    compliance: [`${CIS}5.4`],
    references: [CIS_REF, CAPS_REF],
    check(spec) {
      if (spec.privileged) return []; // DDC001 reports it
      const extra = addedBeyondDefault(spec);
      if (extra.length === 0) return [];
      const worst = extra
        .map((c) => capabilityInfo(c)?.risk ?? 'low')
        .sort(
          (a, b) =>
            ['critical', 'high', 'medium', 'low'].indexOf(a) -
            ['critical', 'high', 'medium', 'low'].indexOf(b),
        )[0];
      return [
        {
          message: `${who(spec)} adds ${extra.join(', ')} to Docker's default capabilities (highest risk: ${worst})`,
          field: capField(spec),
        },
      ];
    },
  },
  capRule(
    'DDC003',
    'CAP_DAC_READ_SEARCH',
    'DOCKER-BENCH:C.5.3.1',
    'CRITICAL',
    'lets open_by_handle_at(2) read any file of the host filesystem (the shocker exploit).',
  ),
  capRule(
    'DDC004',
    'CAP_SYS_MODULE',
    'DOCKER-BENCH:C.5.3.2',
    'CRITICAL',
    'loads kernel modules: code in the host kernel.',
  ),
  capRule(
    'DDC005',
    'CAP_SYS_ADMIN',
    'DOCKER-BENCH:C.5.3.3',
    'CRITICAL',
    'allows mount, unshare, setns and more; with cgroup v1 it enables the release_agent escape.',
  ),
  capRule(
    'DDC006',
    'CAP_SYS_PTRACE',
    'DOCKER-BENCH:C.5.3.4',
    'HIGH',
    'traces and injects code into other processes, on the host too when the PID namespace is shared.',
  ),
  {
    target: 'container',
    id: 'DDC007',
    title: 'Capabilities added are within the Pod Security Standards baseline set',
    severity: 'MEDIUM',
    description:
      'The baseline profile allows adding only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT (not NET_RAW, although Docker grants it by default).',
    resolution: 'Remove the other capabilities from capabilities.add / --cap-add.',
    compliance: ['PSS-BASELINE:capabilities'],
    references: [PSS_REF],
    check(spec) {
      if (spec.privileged) return [];
      const bad = spec.capsExplicit
        ? (specCaps(spec) ?? []).filter((c) => !PSS_BASELINE_CAPS.has(c) && c !== 'CAP_NET_RAW')
        : spec.capAdd.map(normalizeCap).filter((c) => !PSS_BASELINE_CAPS.has(c));
      if (bad.length === 0) return [];
      return [
        {
          message: `${who(spec)} adds ${bad.join(', ')}, outside the baseline profile's allowed capabilities`,
          field: capField(spec),
        },
      ];
    },
  },
  {
    target: 'container',
    id: 'DDC008',
    title: 'All capabilities are dropped; only NET_BIND_SERVICE is added',
    severity: 'MEDIUM',
    description:
      'The restricted profile requires dropping ALL capabilities and adding back at most NET_BIND_SERVICE.',
    resolution:
      'Set capabilities.drop: [ALL] (--cap-drop ALL) and add only NET_BIND_SERVICE if the workload binds a port below 1024.',
    compliance: ['PSS-RESTRICTED:capabilities'],
    references: [PSS_REF],
    check(spec) {
      const caps = specCaps(spec) ?? [];
      const extra = caps.filter((c) => c !== 'CAP_NET_BIND_SERVICE');
      if (spec.privileged)
        return [{ message: `${who(spec)} runs privileged (every capability)`, field: 'privileged' }];
      if (spec.capsExplicit) {
        return extra.length > 0
          ? [
              {
                message: `${who(spec)} keeps ${extra.join(', ')}; only NET_BIND_SERVICE may remain`,
                field: 'capsExplicit',
              },
            ]
          : [];
      }
      const hits: RuleHit[] = [];
      if (!spec.capDrop.map(normalizeCap).includes('ALL'))
        hits.push({
          message: `${who(spec)} does not drop ALL capabilities`,
          field: spec.lines.capDrop ? 'capDrop' : undefined,
        });
      const added = spec.capAdd.map(normalizeCap).filter((c) => c !== 'CAP_NET_BIND_SERVICE');
      if (added.length > 0)
        hits.push({
          message: `${who(spec)} adds ${added.join(', ')}; only NET_BIND_SERVICE may be added`,
          field: 'capAdd',
        });
      return hits;
    },
  },
  {
    target: 'container',
    id: 'DDC009',
    title: 'NET_RAW is dropped',
    severity: 'LOW',
    description:
      'Docker and containerd grant CAP_NET_RAW by default: raw and packet sockets allow ARP/DNS spoofing of neighbours and reach AF_PACKET kernel bugs. Few workloads need it (ping works with ping_group_range).',
    resolution: 'Add --cap-drop NET_RAW (or drop ALL).',
    compliance: [],
    references: [CAPS_REF],
    check(spec) {
      if (spec.privileged || !hasCap(spec, 'CAP_NET_RAW')) return [];
      return [
        { message: `${who(spec)} keeps CAP_NET_RAW`, field: spec.lines.capDrop ? 'capDrop' : capField(spec) },
      ];
    },
  },
  {
    target: 'container',
    id: 'DDC010',
    title: 'An AppArmor profile is enabled',
    severity: 'HIGH',
    description:
      'AppArmor (docker-default, or a profile of your own) confines file access, mounts and /proc writes; unconfined containers lose that layer.',
    resolution:
      'Remove apparmor=unconfined; run with docker-default (the default) or a custom profile (--security-opt apparmor=NAME).',
    compliance: [`${CIS}5.2`, 'PSS-BASELINE:appArmorProfile'],
    references: [CIS_REF, PSS_REF],
    check(spec) {
      if (spec.privileged) return [];
      if (spec.apparmor?.kind === 'unconfined')
        return [{ message: `${who(spec)} runs without AppArmor (unconfined)`, field: 'apparmor' }];
      if (spec.apparmor === undefined && spec.source.kind === 'inspect')
        return [
          {
            message: `${who(spec)} has no AppArmor profile applied (AppArmorProfile is empty)`,
            field: 'apparmor',
          },
        ];
      return [];
    },
  },
  {
    target: 'container',
    id: 'DDC011',
    title: 'SELinux labelling is not disabled',
    severity: 'HIGH',
    description: 'label=disable turns off SELinux separation for the container on SELinux hosts.',
    resolution: 'Remove --security-opt label=disable; use a container type such as container_t.',
    compliance: [`${CIS}5.3`],
    references: [CIS_REF],
    check(spec) {
      return spec.selinux?.disable
        ? [{ message: `${who(spec)} disables SELinux labelling`, field: 'selinux' }]
        : [];
    },
  },
  {
    target: 'container',
    id: 'DDC012',
    title: 'SELinux options are within the baseline profile',
    severity: 'MEDIUM',
    description:
      'The baseline profile allows only the container types container_t, container_init_t, container_kvm_t and container_engine_t, and no custom SELinux user or role.',
    resolution: 'Remove the SELinux user and role, and use one of the allowed types.',
    compliance: ['PSS-BASELINE:seLinuxOptions'],
    references: [PSS_REF],
    check(spec) {
      const l = spec.selinux;
      if (!l) return [];
      const bad: string[] = [];
      if (l.type !== undefined && !PSS_SELINUX_TYPES.has(l.type)) bad.push(`type ${l.type}`);
      if (l.user) bad.push(`user ${l.user}`);
      if (l.role) bad.push(`role ${l.role}`);
      return bad.length > 0
        ? [{ message: `${who(spec)} sets SELinux ${bad.join(', ')}`, field: 'selinux' }]
        : [];
    },
  },
  {
    target: 'container',
    id: 'DDC013',
    title: 'The default seccomp profile is not disabled',
    severity: 'HIGH',
    description:
      "Docker's default seccomp profile blocks about 44 dangerous syscalls (kexec_load, open_by_handle_at, keyctl, unshare without CAP_SYS_ADMIN...); unconfined containers reach all of them.",
    resolution:
      'Remove seccomp=unconfined / seccompProfile Unconfined; keep the default profile or use a custom one.',
    compliance: [`${CIS}5.22`, 'PSS-BASELINE:seccompProfile'],
    references: [CIS_REF, PSS_REF],
    check(spec) {
      if (spec.seccomp?.kind === 'unconfined')
        return [{ message: `${who(spec)} runs without seccomp (unconfined)`, field: 'seccomp' }];
      if (spec.privileged && spec.seccomp === undefined && spec.source.kind !== 'kubernetes')
        return [
          {
            message: `${who(spec)} is privileged, so Docker applies no seccomp profile`,
            field: 'privileged',
          },
        ];
      return [];
    },
  },
  {
    target: 'container',
    id: 'DDC014',
    title: 'A seccomp profile is set explicitly (RuntimeDefault or Localhost)',
    severity: 'MEDIUM',
    description:
      'Kubernetes runs containers Unconfined unless the pod or container sets seccompProfile (or the kubelet enables SeccompDefault); the restricted profile requires RuntimeDefault or Localhost.',
    resolution: 'Set securityContext.seccompProfile.type: RuntimeDefault on the pod.',
    compliance: ['PSS-RESTRICTED:seccompProfile'],
    references: [PSS_REF],
    forms: ['kubernetes'],
    check(spec) {
      return spec.seccomp === undefined
        ? [{ message: `${who(spec)} sets no seccompProfile (Unconfined by default)` }]
        : [];
    },
  },
  {
    target: 'container',
    id: 'DDC015',
    title: 'The container cannot acquire new privileges',
    severity: 'MEDIUM',
    description:
      'Without no_new_privs, setuid binaries and file capabilities in the image can raise the privileges of a process in the container.',
    resolution:
      'Add --security-opt no-new-privileges (allowPrivilegeEscalation: false in Kubernetes), or set it daemon-wide.',
    compliance: [`${CIS}5.26`, 'PSS-RESTRICTED:allowPrivilegeEscalation'],
    references: [CIS_REF, PSS_REF],
    check(spec, ctx) {
      if (spec.noNewPrivileges === true) return [];
      if (
        spec.noNewPrivileges === undefined &&
        ctx.daemon?.noNewPrivileges &&
        spec.source.kind !== 'kubernetes'
      )
        return [];
      return [
        {
          message:
            spec.noNewPrivileges === false
              ? `${who(spec)} explicitly allows privilege escalation`
              : `${who(spec)} does not set no-new-privileges`,
          field: spec.noNewPrivileges === false ? 'noNewPrivileges' : undefined,
        },
      ];
    },
  },
  {
    target: 'container',
    id: 'DDC016',
    title: 'The container runs as a non-root user',
    severity: 'MEDIUM',
    description:
      'Root in a container is root on the host for every kernel bug, every writable host mount and every capability. The restricted profile requires runAsNonRoot: true.',
    resolution:
      'Run as an unprivileged user: --user 1000:1000, USER in the image, or runAsNonRoot: true with runAsUser.',
    compliance: ['CIS-DOCKER-1.6:4.1', 'PSS-RESTRICTED:runAsNonRoot'],
    references: [CIS_REF, PSS_REF],
    check(spec) {
      if (spec.source.kind === 'kubernetes') {
        if (spec.runAsNonRoot === true) return [];
        return [
          {
            message: `${who(spec)} does not set runAsNonRoot: true${userIsRoot(spec.user) ? ' and runs as UID 0' : ''}`,
            field: spec.runAsNonRoot === false ? 'runAsNonRoot' : spec.lines.user ? 'user' : undefined,
          },
        ];
      }
      const root = userIsRoot(spec.user);
      if (root === false && numericUid(spec.user) !== undefined) return [];
      if (root === false) return []; // a named non-root user
      return [
        {
          message:
            root === true
              ? `${who(spec)} runs as root`
              : `${who(spec)} sets no user (root unless the image's USER says otherwise)`,
          field: root ? 'user' : undefined,
        },
      ];
    },
  },
  {
    target: 'container',
    id: 'DDC017',
    title: 'runAsUser is not 0',
    severity: 'MEDIUM',
    description: 'The restricted profile forbids running as UID 0 explicitly.',
    resolution: 'Set runAsUser to a non-zero UID.',
    compliance: ['PSS-RESTRICTED:runAsUser'],
    references: [PSS_REF],
    check(spec) {
      return numericUid(spec.user) === 0 ? [{ message: `${who(spec)} sets user UID 0`, field: 'user' }] : [];
    },
  },
  {
    target: 'container',
    id: 'DDC018',
    title: "The container's root filesystem is mounted read-only",
    severity: 'LOW',
    description:
      'A writable root filesystem lets an intruder change binaries and configuration and persist in the container.',
    resolution:
      'Add --read-only (readOnlyRootFilesystem: true) and tmpfs mounts for the directories the workload writes.',
    compliance: [`${CIS}5.13`],
    references: [CIS_REF],
    check(spec) {
      return spec.readOnlyRootfs
        ? []
        : [
            {
              message: `${who(spec)} has a writable root filesystem`,
              field: spec.readOnlyRootfs === false ? 'readOnlyRootfs' : undefined,
            },
          ];
    },
  },
  {
    target: 'container',
    id: 'DDC019',
    title: 'Memory usage is limited',
    severity: 'MEDIUM',
    description: 'Without a memory limit one container can exhaust the host memory (denial of service).',
    resolution: 'Set --memory (resources.limits.memory, mem_limit).',
    compliance: [`${CIS}5.11`],
    references: [CIS_REF],
    check(spec) {
      return spec.memory && spec.memory > 0
        ? []
        : [{ message: `${who(spec)} has no memory limit`, field: spec.lines.memory ? 'memory' : undefined }];
    },
  },
  {
    target: 'container',
    id: 'DDC020',
    title: 'CPU priority is set',
    severity: 'LOW',
    description: 'Without CPU shares or a CPU limit a container can starve others.',
    resolution: 'Set --cpus or --cpu-shares (resources.limits.cpu, cpus).',
    compliance: [`${CIS}5.12`],
    references: [CIS_REF],
    check(spec) {
      const set =
        (spec.cpus !== undefined && spec.cpus > 0) ||
        (spec.cpuShares !== undefined && spec.cpuShares > 0 && spec.cpuShares !== 1024);
      return set ? [] : [{ message: `${who(spec)} has no CPU limit or shares` }];
    },
  },
  {
    target: 'container',
    id: 'DDC021',
    title: 'The PIDs cgroup limit is used',
    severity: 'MEDIUM',
    description: 'Without a PIDs limit a fork bomb in the container takes down the host.',
    resolution: 'Set --pids-limit (pids_limit), e.g. 256.',
    compliance: [`${CIS}5.29`],
    references: [CIS_REF],
    forms: ['docker-run', 'inspect', 'compose', 'oci'],
    check(spec) {
      return spec.pidsLimit !== undefined && spec.pidsLimit > 0
        ? []
        : [
            {
              message: `${who(spec)} has no PIDs limit`,
              field: spec.lines.pidsLimit ? 'pidsLimit' : undefined,
            },
          ];
    },
  },
  nsRule(
    'DDC022',
    'network',
    '--network host / hostNetwork',
    '5.10',
    true,
    'HIGH',
    "A container in the host's network namespace sees and can bind every host interface, reach services on localhost and sniff traffic (with NET_RAW).",
  ),
  nsRule(
    'DDC023',
    'pid',
    '--pid host / hostPID',
    '5.16',
    true,
    'HIGH',
    "A container in the host's PID namespace sees every host process, can signal them, and with SYS_PTRACE inject code into them.",
  ),
  nsRule(
    'DDC024',
    'ipc',
    '--ipc host / hostIPC',
    '5.17',
    true,
    'HIGH',
    "Sharing the host's IPC namespace exposes host shared memory and semaphores.",
  ),
  nsRule(
    'DDC025',
    'uts',
    '--uts host',
    '5.21',
    false,
    'MEDIUM',
    "Sharing the host's UTS namespace lets the container change the host's hostname.",
  ),
  {
    ...nsRule(
      'DDC026',
      'userns',
      '--userns host',
      '5.31',
      false,
      'MEDIUM',
      "Sharing the host's user namespace disables the daemon's user-namespace remapping for this container.",
    ),
    // An OCI config without a user namespace is the normal case (Docker without userns-remap).
    forms: ['docker-run', 'inspect', 'compose'],
  },
  {
    target: 'container',
    id: 'DDC027',
    title: 'Sensitive host system directories are not mounted',
    severity: 'HIGH',
    description:
      'Writable mounts of /, /boot, /dev, /etc, /lib, /proc, /sys or /usr let the container change the host.',
    resolution: 'Remove the mount or make it read-only (:ro, readOnly: true) and as narrow as possible.',
    compliance: [`${CIS}5.6`],
    references: [CIS_REF],
    check(spec) {
      const hits: RuleHit[] = [];
      for (const m of spec.mounts) {
        const src = hostSource(m);
        if (src === undefined || m.readOnly) continue;
        const dir = CIS_SENSITIVE.find((d) => (d === '/' ? src === '/' : under(src, d)));
        if (dir)
          hits.push({
            message: `${who(spec)} mounts host ${src} writable at ${m.target ?? '(not mounted)'}`,
            line: mountLine(spec, m),
            field: 'mounts',
          });
      }
      return hits;
    },
  },
  {
    target: 'container',
    id: 'DDC028',
    title: 'The container runtime socket is not mounted',
    severity: 'CRITICAL',
    description:
      'A container with docker.sock (or containerd.sock, crio.sock, the kubelet directory) can start a privileged container on the host: full host control.',
    resolution:
      'Remove the socket mount; use a narrowly scoped API proxy if the workload truly needs the engine.',
    compliance: [`${CIS}5.32`],
    references: [CIS_REF],
    check(spec) {
      const hits: RuleHit[] = [];
      for (const m of spec.mounts) {
        const src = hostSource(m);
        if (src === undefined) continue;
        if (RUNTIME_SOCKETS.some((re) => re.test(src)))
          hits.push({
            message: `${who(spec)} mounts the host's ${src}${m.readOnly ? ' (read-only does not help: the socket still accepts API calls)' : ''}`,
            line: mountLine(spec, m),
            field: 'mounts',
          });
      }
      return hits;
    },
  },
  {
    target: 'container',
    id: 'DDC029',
    title: 'No writable host paths that lead out of the container',
    severity: 'HIGH',
    description:
      "Writable mounts of the runtime's and kubelet's state, /var/log, /root, /home, /run, cgroupfs, /proc/sys or kernel modules, or any mount of the host's root, give ways to run code on or read secrets of the host.",
    resolution: 'Remove the mount, or make it read-only and narrow it to the file the workload needs.',
    compliance: [],
    references: [CIS_REF],
    check(spec) {
      const hits: RuleHit[] = [];
      for (const m of spec.mounts) {
        const src = hostSource(m);
        if (src === undefined) continue;
        if (RUNTIME_SOCKETS.some((re) => re.test(src))) continue; // DDC028
        if (src === '/') {
          hits.push({
            message: `${who(spec)} mounts the host's root filesystem${m.readOnly ? ' (read-only: host secrets readable)' : ''}`,
            line: mountLine(spec, m),
            field: 'mounts',
          });
          continue;
        }
        if (m.readOnly) continue;
        const dir = ESCAPE_PATHS.find((d) => under(src, d) || under(d, src));
        if (dir && !CIS_SENSITIVE.some((d) => d !== '/' && under(src, d)))
          hits.push({
            message: `${who(spec)} mounts host ${src} writable`,
            line: mountLine(spec, m),
            field: 'mounts',
          });
      }
      return hits;
    },
  },
  {
    target: 'container',
    id: 'DDC030',
    title: 'No hostPath volumes',
    severity: 'MEDIUM',
    description: 'The baseline profile forbids hostPath volumes: they expose the node filesystem to the pod.',
    resolution: 'Use emptyDir, configMap, secret or persistent volumes instead of hostPath (bind mounts).',
    compliance: ['PSS-BASELINE:hostPathVolumes'],
    references: [PSS_REF],
    check(spec) {
      return spec.mounts
        .filter((m) => (m.type === 'hostPath' || m.type === 'bind') && !engineManaged(spec, m))
        .map((m) => ({
          message: `${who(spec)} uses host path ${m.source ?? '?'}`,
          line: mountLine(spec, m),
          field: 'mounts' as const,
        }));
    },
  },
  {
    target: 'container',
    id: 'DDC031',
    title: 'Only restricted volume types are used',
    severity: 'LOW',
    description:
      'The restricted profile allows only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes.',
    resolution: 'Replace the other volume types (hostPath, nfs, ...) with the allowed ones.',
    compliance: ['PSS-RESTRICTED:volumeTypes'],
    references: [PSS_REF],
    check(spec) {
      const seen = new Set<string>();
      const hits: RuleHit[] = [];
      for (const m of spec.mounts) {
        if (engineManaged(spec, m)) continue;
        // Outside Kubernetes: a bind mount is a hostPath, a tmpfs an emptyDir, a named volume a claim.
        const kind =
          m.volumeKind ??
          (m.type === 'bind' || m.type === 'hostPath'
            ? 'hostPath'
            : m.type === 'npipe'
              ? 'npipe'
              : undefined);
        if (kind === undefined || RESTRICTED_VOLUMES.has(kind) || seen.has(kind)) continue;
        seen.add(kind);
        hits.push({
          message: `${who(spec)} uses a ${kind} volume`,
          line: mountLine(spec, m),
          field: 'mounts',
        });
      }
      return hits;
    },
  },
  {
    target: 'container',
    id: 'DDC032',
    title: 'Mount propagation is not shared',
    severity: 'MEDIUM',
    description:
      'Shared (rshared, Bidirectional) propagation lets mounts made in the container appear on the host.',
    resolution:
      'Use private propagation (the default), or rslave (HostToContainer) if the container must see host mounts.',
    compliance: [`${CIS}5.20`],
    references: [CIS_REF],
    check(spec) {
      return spec.mounts
        .filter((m) => m.propagation !== undefined && /^(r?shared|bidirectional)$/i.test(m.propagation))
        .map((m) => ({
          message: `${who(spec)} mounts ${m.target ?? m.source ?? '?'} with ${m.propagation} propagation`,
          line: mountLine(spec, m),
          field: 'mounts' as const,
        }));
    },
  },
  {
    target: 'container',
    id: 'DDC033',
    title: 'Host devices are not directly exposed',
    severity: 'MEDIUM',
    description:
      'A host device in the container (disks, /dev/mem, /dev/kvm...) can be read, written or used to reach the host.',
    resolution: 'Remove --device; if one is needed, give it read-only permissions (:r).',
    compliance: [`${CIS}5.18`],
    references: [CIS_REF],
    check(spec) {
      const list = spec.devices;
      if (list.length === 0) return [];
      const show = (d: (typeof list)[number]) =>
        `${d.host}${d.permissions ? ` (${d.permissions})` : ''}${DANGEROUS_DEVICES.test(d.host) ? ': raw access to host memory or storage' : ''}`;
      if (list.length <= 5)
        return list.map((d) => ({
          message: `${who(spec)} has host device ${show(d)}`,
          line: d.line ?? spec.lines.devices,
          field: 'devices' as const,
        }));
      // A privileged-style device list: one finding, the dangerous ones named.
      const bad = list.filter((d) => DANGEROUS_DEVICES.test(d.host)).map((d) => d.host);
      return [
        {
          message: `${who(spec)} has ${list.length} host devices (${list
            .slice(0, 3)
            .map((d) => d.host)
            .join(
              ', ',
            )}, ...)${bad.length > 0 ? `, with raw access to host memory or storage: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''}` : ''}`,
          line: list[0]?.line ?? spec.lines.devices,
          field: 'devices' as const,
        },
      ];
    },
  },
  {
    target: 'container',
    id: 'DDC034',
    title: 'Privileged ports are not mapped',
    severity: 'LOW',
    description:
      'Mapping a host port below 1024 to a container lets it take a well-known service port of the host.',
    resolution: 'Publish on a host port of 1024 or above.',
    compliance: [`${CIS}5.8`],
    references: [CIS_REF],
    check(spec) {
      return spec.ports
        .filter((p) => p.hostPort !== undefined && p.hostPort > 0 && p.hostPort < 1024)
        .map((p) => ({
          message: `${who(spec)} maps host port ${p.hostPort} to ${p.containerPort}/${p.protocol}`,
          line: p.line ?? spec.lines.ports,
          field: 'ports' as const,
        }));
    },
  },
  {
    target: 'container',
    id: 'DDC035',
    title: 'Published ports are bound to a specific host interface',
    severity: 'LOW',
    description:
      'Ports published on 0.0.0.0 (or ::) are reachable from every network of the host, bypassing host firewalls set with ufw/firewalld.',
    resolution: 'Publish on a specific address: -p 127.0.0.1:8080:80.',
    compliance: [`${CIS}5.14`],
    references: [CIS_REF],
    check(spec) {
      return spec.ports
        .filter(
          (p) =>
            p.hostPort !== undefined &&
            p.hostPort > 0 &&
            (p.hostIp === undefined || ['', '0.0.0.0', '::', '[::]'].includes(p.hostIp)),
        )
        .map((p) => ({
          message: `${who(spec)} publishes ${p.hostPort}->${p.containerPort}/${p.protocol} on all interfaces`,
          line: p.line ?? spec.lines.ports,
          field: 'ports' as const,
        }));
    },
  },
  {
    target: 'container',
    id: 'DDC036',
    title: 'No host ports',
    severity: 'MEDIUM',
    description:
      'The baseline profile forbids host ports: they bypass network policy and tie the pod to node ports.',
    resolution: 'Remove hostPort (published ports); expose the workload through a Service.',
    compliance: ['PSS-BASELINE:hostPorts'],
    references: [PSS_REF],
    check(spec) {
      return spec.ports
        .filter((p) => p.hostPort !== undefined && p.hostPort > 0)
        .map((p) => ({
          message: `${who(spec)} uses host port ${p.hostPort}`,
          line: p.line ?? spec.lines.ports,
          field: 'ports' as const,
        }));
    },
  },
  {
    target: 'container',
    id: 'DDC037',
    title: 'Only needed ports are published',
    severity: 'LOW',
    description:
      '--publish-all publishes every port the image EXPOSEs, on random host ports and all interfaces.',
    resolution: 'Publish the ports the service needs with -p.',
    compliance: [`${CIS}5.9`],
    references: [CIS_REF],
    forms: ['docker-run', 'inspect'],
    check(spec) {
      return spec.annotations?.['drydock/publish-all'] === 'true'
        ? [{ message: `${who(spec)} publishes every exposed port (--publish-all)` }]
        : [];
    },
  },
  {
    target: 'container',
    id: 'DDC038',
    title: "The 'on-failure' restart policy is limited to 5 retries",
    severity: 'LOW',
    description:
      'A container that restarts forever on failure hides crash loops and can be abused to exhaust the host.',
    resolution: 'Use --restart on-failure:5.',
    compliance: [`${CIS}5.15`],
    references: [CIS_REF],
    forms: ['docker-run', 'inspect', 'compose'],
    check(spec) {
      const r = spec.restart;
      if (!r) return [];
      if (r.policy === 'always' || r.policy === 'unless-stopped')
        return [{ message: `${who(spec)} restarts ${r.policy}`, field: 'restart' }];
      if (r.policy === 'on-failure' && (r.maxRetries === undefined || r.maxRetries === 0 || r.maxRetries > 5))
        return [
          {
            message: `${who(spec)} restarts on failure ${r.maxRetries ? `up to ${r.maxRetries} times` : 'without a limit'}`,
            field: 'restart',
          },
        ];
      return [];
    },
  },
  {
    target: 'container',
    id: 'DDC039',
    title: 'cgroup usage is confirmed',
    severity: 'LOW',
    description:
      'A custom cgroup parent moves the container out of the cgroup Docker manages and its limits.',
    resolution: 'Confirm the cgroup parent is intended, or remove --cgroup-parent.',
    compliance: [`${CIS}5.25`],
    references: [CIS_REF],
    forms: ['docker-run', 'inspect', 'compose'],
    check(spec) {
      return spec.cgroupParent
        ? [{ message: `${who(spec)} uses cgroup parent ${spec.cgroupParent}`, field: 'cgroupParent' }]
        : [];
    },
  },
  {
    target: 'container',
    id: 'DDC040',
    title: 'Container health is checked at runtime',
    severity: 'LOW',
    description: 'Without a health check, a hung or hijacked service keeps running unnoticed.',
    resolution: 'Add a HEALTHCHECK to the image or --health-cmd (healthcheck, liveness/readiness probes).',
    compliance: [`${CIS}5.27`],
    references: [CIS_REF],
    forms: ['docker-run', 'inspect', 'compose', 'kubernetes'],
    check(spec) {
      if (spec.healthcheck === true) return [];
      if (spec.containerKind && spec.containerKind !== 'container') return [];
      return [
        {
          message:
            spec.healthcheck === false
              ? `${who(spec)} disables its health check`
              : spec.source.kind === 'docker-run' || spec.source.kind === 'compose'
                ? `${who(spec)} configures no health check (unless the image has a HEALTHCHECK)`
                : `${who(spec)} has no health check`,
          field: spec.healthcheck === false ? 'healthcheck' : undefined,
        },
      ];
    },
  },
  {
    target: 'container',
    id: 'DDC041',
    title: "Docker's default bridge docker0 is not used",
    severity: 'LOW',
    description:
      'Containers on the default bridge can reach each other without restriction (icc) and have no DNS names.',
    resolution: 'Attach the container to a user-defined network (--network NAME).',
    compliance: [`${CIS}5.30`],
    references: [CIS_REF],
    forms: ['docker-run', 'inspect'],
    check(spec) {
      const n = spec.network;
      return n === undefined || n === 'bridge' || n === 'default'
        ? [
            {
              message: `${who(spec)} uses the default bridge network`,
              field: spec.lines.network ? 'network' : undefined,
            },
          ]
        : [];
    },
  },
  {
    target: 'container',
    id: 'DDC042',
    title: 'Only safe sysctls are set',
    severity: 'MEDIUM',
    description:
      'The baseline profile allows only namespaced, safe sysctls (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, ...).',
    resolution: 'Remove the other sysctls.',
    compliance: ['PSS-BASELINE:sysctls'],
    references: [PSS_REF],
    check(spec) {
      const bad = Object.keys(spec.sysctls).filter((k) => !SAFE_SYSCTLS.has(k.replace(/\//g, '.')));
      return bad.length > 0
        ? [{ message: `${who(spec)} sets sysctls ${bad.join(', ')}`, field: 'sysctls' }]
        : [];
    },
  },
  {
    target: 'container',
    id: 'DDC043',
    title: '/proc is masked',
    severity: 'HIGH',
    description:
      'The runtime masks /proc/kcore, /proc/keys, /proc/sysrq-trigger and friends and makes /proc/sys read-only; Unmasked (systempaths=unconfined) exposes them.',
    resolution: 'Remove procMount: Unmasked / --security-opt systempaths=unconfined.',
    compliance: ['PSS-BASELINE:procMount'],
    references: [PSS_REF],
    check(spec) {
      if (spec.privileged) return [];
      return spec.procMount !== undefined && spec.procMount !== 'Default'
        ? [{ message: `${who(spec)} has an unmasked /proc`, field: 'procMount' }]
        : [];
    },
  },
  {
    target: 'container',
    id: 'DDC044',
    title: 'No Windows HostProcess containers',
    severity: 'CRITICAL',
    description: 'A HostProcess container runs directly on the Windows node with full access.',
    resolution: 'Remove windowsOptions.hostProcess.',
    compliance: ['PSS-BASELINE:hostProcess'],
    references: [PSS_REF],
    forms: ['kubernetes'],
    check(spec) {
      return spec.hostProcess
        ? [{ message: `${who(spec)} is a Windows HostProcess container`, field: 'hostProcess' }]
        : [];
    },
  },
  {
    target: 'container',
    id: 'DDC045',
    title: 'No host PID namespace together with SYS_PTRACE',
    severity: 'CRITICAL',
    description:
      'With the host PID namespace and CAP_SYS_PTRACE a container can attach to any host process and run code as it.',
    resolution: 'Drop one of them: give the container its own PID namespace, or drop SYS_PTRACE.',
    compliance: [],
    references: [CAPS_REF],
    check(spec) {
      return hostNs(spec.pid) && hasCap(spec, 'CAP_SYS_PTRACE')
        ? [
            {
              message: `${who(spec)} shares the host PID namespace and has CAP_SYS_PTRACE: it can inject code into host processes`,
              field: 'pid',
            },
          ]
        : [];
    },
  },
  {
    target: 'container',
    id: 'DDC046',
    title: 'No confinement removed together with SYS_ADMIN',
    severity: 'CRITICAL',
    description:
      'CAP_SYS_ADMIN without seccomp or AppArmor allows mounting cgroupfs and the release_agent escape (CVE-2022-0492) and mounting host devices.',
    resolution: 'Drop SYS_ADMIN, or at least keep the default seccomp and AppArmor profiles.',
    compliance: [],
    references: [CAPS_REF],
    check(spec) {
      if (spec.privileged || !hasCap(spec, 'CAP_SYS_ADMIN')) return [];
      const open = spec.seccomp?.kind === 'unconfined' || spec.apparmor?.kind === 'unconfined';
      return open
        ? [
            {
              message: `${who(spec)} has CAP_SYS_ADMIN with ${spec.seccomp?.kind === 'unconfined' ? 'seccomp' : 'AppArmor'} unconfined: cgroup release_agent and mount escapes`,
              field: 'capAdd',
            },
          ]
        : [];
    },
  },
];
