// What `drydock harden` decided for one container; each input form's renderer applies it to the
// original document, so the output is the user's own config with the hardening written in.

import type { ProfileSetting } from './spec.js';

export interface TmpfsSpec {
  target: string;
  /** Mount options as Docker writes them: "rw,noexec,nosuid,size=64m". */
  options: string;
}

export interface HardeningPlan {
  /** Always true: the plan drops every capability and adds back only `capAdd`. */
  dropAllCaps: true;
  /** CAP_-prefixed names the workload needs, sorted by number; may be empty. */
  capAdd: string[];
  /** Why each added capability is kept (cap name → reason). */
  capReasons: Record<string, string>;
  noNewPrivileges: true;
  privileged: false;
  readOnlyRootfs: true;
  /** Writable scratch dirs for a read-only root (target + options). */
  tmpfs: TmpfsSpec[];
  /** Bytes. */
  memory: number;
  /** Bytes: equal to memory, so no swap on top. */
  memorySwap: number;
  pidsLimit: number;
  /** CPUs; undefined = keep the input's (or none). */
  cpus?: number;
  /** The seccomp profile: Docker's default unless the input named its own profile (kept). */
  seccomp: ProfileSetting;
  /** The AppArmor profile: docker-default unless the input named its own; undefined = leave unset (no AppArmor). */
  apparmor?: ProfileSetting;
  /** Run as this user ("uid[:gid]" or "name"); undefined = keep the input's user. */
  user?: string;
  /** Namespaces the input shared with the host that the plan makes private again. */
  privateNamespaces: Array<'network' | 'pid' | 'ipc' | 'uts' | 'userns' | 'cgroupns'>;
  /** Container paths of mounts that become read-only (sensitive host paths mounted writable). */
  readOnlyMounts: string[];
  /** Container paths of mounts whose shared propagation becomes rprivate. */
  privatePropagation: string[];
  /** Restart policy: on-failure with at most 5 retries when the input restarts always. */
  restart?: { policy: 'on-failure'; maxRetries: number };
  /** Things the plan could not fix by itself (docker.sock mounts, devices, host ports...), one line each. */
  notes: string[];
}
