// Linux capabilities: the reference table (all 41, what each allows, its risk, the escapes it
// enables) and Docker's capability arithmetic, computed the way moby's daemon does it.

import { UserError } from '../errors.js';
import type { ContainerSpec } from './spec.js';

export type CapRisk = 'critical' | 'high' | 'medium' | 'low';

export interface CapabilityInfo {
  /** With the CAP_ prefix. */
  name: string;
  /** The kernel's number (include/uapi/linux/capability.h). */
  number: number;
  allows: string;
  risk: CapRisk;
  /** Known container escapes or attacks it enables. */
  escapes: string[];
  /** In Docker's (and containerd's, CRI-O's) default set. */
  dockerDefault: boolean;
  /** Allowed in capabilities.add by the Kubernetes Pod Security Standards baseline profile. */
  pssBaseline: boolean;
}

function cap(
  name: string,
  number: number,
  risk: CapRisk,
  allows: string,
  escapes: string[] = [],
  flags: { docker?: boolean; pss?: boolean } = {},
): CapabilityInfo {
  return {
    name: `CAP_${name}`,
    number,
    allows,
    risk,
    escapes,
    dockerDefault: flags.docker ?? false,
    pssBaseline: flags.pss ?? false,
  };
}

const D = { docker: true, pss: true };

/** Every capability of Linux 5.9+ (CAP_LAST_CAP = 40), in kernel order. */
export const CAPABILITIES: readonly CapabilityInfo[] = [
  cap('CHOWN', 0, 'low', 'change the owner and group of any file', [], D),
  cap(
    'DAC_OVERRIDE',
    1,
    'medium',
    'bypass file read, write and execute permission checks',
    ['with CAP_DAC_READ_SEARCH, shocker-style writes to host files through open_by_handle_at'],
    D,
  ),
  cap(
    'DAC_READ_SEARCH',
    2,
    'critical',
    'bypass read and directory search permission checks; open_by_handle_at(2)',
    ['shocker (open_by_handle_at brute-forces inode handles and reads any file of the host filesystem)'],
  ),
  cap('FOWNER', 3, 'low', 'bypass checks that need the file owner (chmod, utime, ACLs) on any file', [], D),
  cap(
    'FSETID',
    4,
    'low',
    'keep set-user/group-ID bits when a file is modified; set SGID for other groups',
    [],
    D,
  ),
  cap('KILL', 5, 'low', 'send signals to processes of other users', [], D),
  cap('SETGID', 6, 'low', 'change group IDs; forge GIDs in socket credentials', [], D),
  cap('SETUID', 7, 'low', 'change user IDs; forge UIDs in socket credentials', [], D),
  cap(
    'SETPCAP',
    8,
    'medium',
    'add bounding-set capabilities to the inheritable set; drop bounding capabilities',
    [],
    D,
  ),
  cap('LINUX_IMMUTABLE', 9, 'low', 'set the immutable and append-only file attributes'),
  cap('NET_BIND_SERVICE', 10, 'low', 'bind sockets to ports below 1024', [], D),
  cap('NET_BROADCAST', 11, 'low', 'make socket broadcasts and listen to multicasts (unused by the kernel)'),
  cap(
    'NET_ADMIN',
    12,
    'high',
    'configure interfaces, routing, firewall (iptables/nftables), promiscuous mode, traffic control',
    [
      'rewrite the network of a shared (host) network namespace',
      'nf_tables kernel exploits (CVE-2022-1015, CVE-2023-32233)',
    ],
  ),
  cap(
    'NET_RAW',
    13,
    'medium',
    'open RAW and PACKET sockets; bind to any address for transparent proxying',
    [
      'ARP and DNS spoofing of neighbours on the bridge',
      'AF_PACKET kernel exploits (CVE-2020-14386, CVE-2016-8655)',
    ],
    { docker: true },
  ),
  cap('IPC_LOCK', 14, 'low', 'lock memory (mlock, mlockall, mmap MAP_LOCKED, shmctl SHM_LOCK)'),
  cap('IPC_OWNER', 15, 'low', 'bypass permission checks on System V IPC objects'),
  cap('SYS_MODULE', 16, 'critical', 'load and unload kernel modules', [
    'insert a kernel module: code execution in the host kernel, full host compromise',
  ]),
  cap('SYS_RAWIO', 17, 'critical', 'raw I/O: iopl, ioperm, /dev/mem, /dev/kmem, raw SCSI commands, FIBMAP', [
    'read and write host physical memory or disks directly',
  ]),
  cap('SYS_CHROOT', 18, 'low', 'use chroot(2); change mount namespaces with setns(2)', [], D),
  cap(
    'SYS_PTRACE',
    19,
    'high',
    'trace and inspect any process (ptrace, process_vm_readv/writev, kcmp, pidfd_getfd)',
    ['with --pid=host: inject code into host processes', 'before Linux 4.8, ptrace bypasses seccomp filters'],
  ),
  cap('SYS_PACCT', 20, 'low', 'turn process accounting on and off (acct)'),
  cap(
    'SYS_ADMIN',
    21,
    'critical',
    'mount, unshare, setns, sethostname, quotactl, swapon, keyctl, BPF, perf and much more ("the new root")',
    [
      'cgroup v1 release_agent escape (CVE-2022-0492) when AppArmor or seccomp is off',
      'mount host block devices or procfs and write to the host',
      'notify_on_release / core_pattern tricks',
    ],
  ),
  cap('SYS_BOOT', 22, 'high', 'reboot the host and load a new kernel (reboot, kexec_load)', [
    'reboot or replace the host kernel',
  ]),
  cap('SYS_NICE', 23, 'low', 'raise priorities, set real-time scheduling and CPU affinity, migrate pages'),
  cap('SYS_RESOURCE', 24, 'medium', 'override resource limits, disk quotas and reserved space', [
    'exhaust host resources past limits',
  ]),
  cap('SYS_TIME', 25, 'medium', 'set the system clock and the real-time clock (not namespaced)', [
    'change the host clock',
  ]),
  cap('SYS_TTY_CONFIG', 26, 'low', 'vhangup(2) and privileged ioctls on virtual terminals'),
  cap(
    'MKNOD',
    27,
    'medium',
    'create device special files with mknod(2)',
    ['create device nodes (the device cgroup still decides access)'],
    D,
  ),
  cap('LEASE', 28, 'low', 'take file leases on files it does not own'),
  cap('AUDIT_WRITE', 29, 'low', 'write records to the kernel audit log', [], D),
  cap('AUDIT_CONTROL', 30, 'high', 'change kernel auditing rules and status', ['disable host auditing']),
  cap('SETFCAP', 31, 'medium', 'set file capabilities; map UID 0 in a child user namespace', [], D),
  cap('MAC_OVERRIDE', 32, 'high', 'override mandatory access control (Smack)', [
    'bypass the host MAC policy',
  ]),
  cap('MAC_ADMIN', 33, 'high', 'change mandatory access control configuration (AppArmor, SELinux, Smack)', [
    'load or replace AppArmor/SELinux policy, removing the container confinement',
  ]),
  cap('SYSLOG', 34, 'medium', 'privileged syslog operations; read kernel addresses', [
    'read kernel pointers from dmesg/kallsyms (KASLR bypass for kernel exploits)',
  ]),
  cap('WAKE_ALARM', 35, 'low', 'trigger something that will wake the system (CLOCK_REALTIME_ALARM timers)'),
  cap('BLOCK_SUSPEND', 36, 'low', 'block system suspend (EPOLLWAKEUP, /proc/sys/wake_lock)'),
  cap('AUDIT_READ', 37, 'medium', 'read the audit log over a multicast netlink socket'),
  cap('PERFMON', 38, 'high', 'privileged performance monitoring (perf_event_open)', [
    'perf subsystem kernel exploits; observe other processes',
  ]),
  cap('BPF', 39, 'high', 'load BPF programs and create BPF maps', [
    'BPF verifier exploits (CVE-2021-3490, CVE-2021-31440); read kernel memory with tracing programs',
  ]),
  cap(
    'CHECKPOINT_RESTORE',
    40,
    'medium',
    'checkpoint/restore: choose PIDs (set_tid, ns_last_pid), read /proc/<pid>/map_files',
  ),
];

const BY_NAME = new Map(CAPABILITIES.map((c) => [c.name, c]));

/** Docker's default set (moby daemon/pkg/oci/caps/defaults.go), in moby's order. */
export const DOCKER_DEFAULT_CAPS: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export const ALL_CAPS: readonly string[] = CAPABILITIES.map((c) => c.name);

export function capabilityInfo(name: string): CapabilityInfo | undefined {
  return BY_NAME.get(name);
}

/**
 * One name as moby normalises it: upper case, "CAP_" prefixed; "ALL" stays "ALL". Returns the
 * normalised name even for an unknown capability (isKnownCap tells).
 */
export function normalizeCap(raw: string): string {
  const up = raw.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

export function isKnownCap(name: string): boolean {
  return name === 'ALL' || BY_NAME.has(name);
}

/** The names of a list that are not capabilities (after normalisation). */
export function unknownCaps(names: readonly string[]): string[] {
  return names.map(normalizeCap).filter((n) => !isKnownCap(n));
}

/**
 * The bounding set a container gets, as moby's TweakCapabilities computes it: privileged = all;
 * no changes = the defaults; ALL in add = all minus drops; ALL in drop = only the adds; otherwise
 * defaults minus drops plus adds (an add beats a drop of the same name). Unknown names are an error,
 * as the daemon refuses them. Returned sorted by capability number, without duplicates.
 */
export function effectiveCaps(
  adds: readonly string[],
  drops: readonly string[],
  privileged = false,
  basics: readonly string[] = DOCKER_DEFAULT_CAPS,
): string[] {
  if (privileged) return [...ALL_CAPS];
  const add = adds.map(normalizeCap);
  const drop = drops.map(normalizeCap);
  const bad = [...add, ...drop].filter((n) => !isKnownCap(n));
  if (bad.length > 0) throw new UserError(`unknown capability: "${bad[0]}"`);
  let caps: string[];
  if (add.includes('ALL')) caps = ALL_CAPS.filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) caps = add;
  else caps = [...basics.filter((c) => !drop.includes(c)), ...add];
  return sortCaps(caps);
}

export function sortCaps(caps: Iterable<string>): string[] {
  return [...new Set(caps)].sort(
    (a, b) => (BY_NAME.get(a)?.number ?? 99) - (BY_NAME.get(b)?.number ?? 99) || a.localeCompare(b),
  );
}

/** A container's effective capability set, or undefined when its names are invalid. */
export function specCaps(spec: ContainerSpec): string[] | undefined {
  if (spec.privileged) return [...ALL_CAPS];
  if (spec.capsExplicit) return sortCaps(spec.capsExplicit.map(normalizeCap).filter((c) => BY_NAME.has(c)));
  try {
    return effectiveCaps(spec.capAdd, spec.capDrop, false);
  } catch {
    return undefined;
  }
}

/** Capability sets as the kernel prints them in /proc/<pid>/status (CapEff: 00000000a80425fb). */
export function capMask(caps: Iterable<string>): bigint {
  let m = 0n;
  for (const c of caps) {
    const info = BY_NAME.get(c);
    if (info) m |= 1n << BigInt(info.number);
  }
  return m;
}

export function capsFromMask(mask: bigint): string[] {
  return CAPABILITIES.filter((c) => (mask >> BigInt(c.number)) & 1n).map((c) => c.name);
}
