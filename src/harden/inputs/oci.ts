// Reads an OCI runtime-spec config.json (runc spec, umoci, podman, containerd bundles) into the
// ContainerSpec model. Absent fields mean what runc does with them, not what Docker would do.

import path from 'node:path';
import { UserError } from '../../errors.js';
import { clip, show } from '../../util/text.js';
import type { PathSeg, SourceDoc } from '../doc.js';
import {
  type ContainerSpec,
  emptySpec,
  type MountSpec,
  type MountType,
  type NamespaceMode,
  OCI_PROPAGATIONS,
  type SelinuxLabel,
} from '../spec.js';

const NAMESPACE_TYPES = new Set(['mount', 'pid', 'network', 'uts', 'ipc', 'user', 'cgroup', 'time']);

// Namespace types of the OCI spec -> the ContainerSpec field that holds their mode.
const NS_FIELDS = {
  network: 'network',
  pid: 'pid',
  ipc: 'ipc',
  uts: 'uts',
  user: 'userns',
  cgroup: 'cgroupns',
} as const;

// Image name annotations that container engines write into the bundles they create.
const IMAGE_ANNOTATIONS = ['io.kubernetes.cri.image-name', 'io.kubernetes.cri-o.ImageName'];

type Obj = Record<string, unknown>;

/** One config.json document → the container it describes. Wrong types are a UserError with file:line. */
export function parseOciConfig(doc: SourceDoc, file: string): ContainerSpec {
  const v = doc.value;
  const at = (p: readonly PathSeg[]): number => lineNear(doc, p);
  const fail = (p: readonly PathSeg[], msg: string): never => {
    throw new UserError(`${file}:${at(p)}: ${msg}`);
  };
  if (!isObj(v) || typeof v.ociVersion !== 'string' || !isObj(v.process))
    throw new UserError(
      `${file}:${doc.line}: not an OCI runtime config.json (an object with "ociVersion" and "process")`,
    );
  const proc = v.process;
  const linux = optObj(v.linux, ['linux'], fail) ?? {};
  const annotations = optStringMap(v.annotations, ['annotations'], fail);
  const hostname = optString(v.hostname, ['hostname'], fail);
  const name = hostname || path.basename(file);
  const spec = emptySpec({ file, kind: 'oci', line: doc.line, resource: `OCI config ${name}` }, name);
  const line = (field: keyof ContainerSpec['lines'], p: readonly PathSeg[]): void => {
    const l = doc.lineOf(p);
    if (l !== undefined) spec.lines[field] = l;
  };

  if (annotations) {
    spec.annotations = annotations;
    for (const key of IMAGE_ANNOTATIONS)
      if (annotations[key]) {
        spec.image = annotations[key];
        line('image', ['annotations', key]);
        break;
      }
  }

  const args = optStrings(proc.args, ['process', 'args'], fail);
  if (args) spec.command = args;

  // runc gives a process without a capabilities object no capabilities at all (seen with runc
  // 1.1.5: CapBnd 0), and an absent list is an empty one.
  const caps = optObj(proc.capabilities, ['process', 'capabilities'], fail);
  if (caps) {
    for (const set of ['effective', 'permitted', 'inheritable', 'ambient'])
      optStrings(caps[set], ['process', 'capabilities', set], fail);
    spec.capsExplicit = optStrings(caps.bounding, ['process', 'capabilities', 'bounding'], fail) ?? [];
    line('capsExplicit', ['process', 'capabilities', 'bounding']);
    spec.lines.capsExplicit ??= at(['process', 'capabilities']);
  } else {
    spec.capsExplicit = [];
    spec.lines.capsExplicit = at(['process']);
  }

  const nnp = optBool(proc.noNewPrivileges, ['process', 'noNewPrivileges'], fail);
  if (nnp !== undefined) {
    spec.noNewPrivileges = nnp;
    line('noNewPrivileges', ['process', 'noNewPrivileges']);
  }

  const user = optObj(proc.user, ['process', 'user'], fail);
  if (user) {
    const uid = optUint(user.uid, ['process', 'user', 'uid'], fail);
    const gid = optUint(user.gid, ['process', 'user', 'gid'], fail);
    const username = optString(user.username, ['process', 'user', 'username'], fail);
    if (uid !== undefined) spec.user = gid === undefined ? String(uid) : `${uid}:${gid}`;
    else if (username) spec.user = username;
    if (spec.user !== undefined) line('user', ['process', 'user']);
  }

  // runc loads no AppArmor profile unless the config names one.
  const aa = optString(proc.apparmorProfile, ['process', 'apparmorProfile'], fail);
  spec.apparmor =
    aa === undefined || aa === '' || aa === 'unconfined'
      ? { kind: 'unconfined' }
      : aa === 'docker-default' || aa === 'runtime/default'
        ? { kind: 'default' }
        : { kind: 'custom', ref: aa };
  spec.lines.apparmor = at(['process', 'apparmorProfile']);

  const label = optString(proc.selinuxLabel, ['process', 'selinuxLabel'], fail);
  if (label) {
    spec.selinux = parseSelinuxLabel(label) ?? fail(['process', 'selinuxLabel'], badLabel(label));
    line('selinux', ['process', 'selinuxLabel']);
  }

  const seccomp = linux.seccomp;
  spec.lines.seccomp = at(['linux', 'seccomp']);
  if (seccomp === undefined || seccomp === null) spec.seccomp = { kind: 'unconfined' };
  else {
    if (!isObj(seccomp)) fail(['linux', 'seccomp'], 'linux.seccomp must be an object');
    else if (typeof seccomp.defaultAction !== 'string')
      fail(['linux', 'seccomp'], 'linux.seccomp.defaultAction must be a string');
    spec.seccomp = { kind: 'custom', ref: 'linux.seccomp' };
  }

  const root = optObj(v.root, ['root'], fail);
  if (root) {
    const ro = optBool(root.readonly, ['root', 'readonly'], fail);
    if (ro !== undefined) {
      spec.readOnlyRootfs = ro;
      line('readOnlyRootfs', ['root', 'readonly']);
    }
  }

  parseResources(spec, linux, doc, fail);
  parseNamespaces(spec, linux, doc, fail);

  const mounts = optArray(v.mounts, ['mounts'], fail) ?? [];
  mounts.forEach((m, i) => {
    spec.mounts.push(parseMount(m, ['mounts', i], doc, fail));
  });
  if (mounts.length > 0) line('mounts', ['mounts']);

  const devices = optArray(linux.devices, ['linux', 'devices'], fail) ?? [];
  devices.forEach((d, i) => {
    const p = ['linux', 'devices', i];
    if (!isObj(d)) fail(p, 'a linux.devices item must be an object');
    const dev = d as Obj;
    const devPath = optString(dev.path, [...p, 'path'], fail);
    if (!devPath) fail(p, 'a linux.devices item needs a "path"');
    spec.devices.push({ host: devPath as string, container: devPath as string, line: at(p) });
  });
  if (devices.length > 0) line('devices', ['linux', 'devices']);

  // runc masks nothing unless told to: an absent or empty list leaves /proc/kcore & co. readable.
  const masked = optStrings(linux.maskedPaths, ['linux', 'maskedPaths'], fail);
  if (!masked || masked.length === 0) {
    spec.procMount = 'Unmasked';
    spec.lines.procMount = at(['linux', 'maskedPaths']);
    spec.lines.maskedPaths = spec.lines.procMount;
  } else line('maskedPaths', ['linux', 'maskedPaths']);

  const rlimits = optArray(proc.rlimits, ['process', 'rlimits'], fail) ?? [];
  rlimits.forEach((r, i) => {
    const p = ['process', 'rlimits', i];
    if (!isObj(r)) fail(p, 'a process.rlimits item must be an object');
    const rl = r as Obj;
    const type = optString(rl.type, [...p, 'type'], fail);
    if (!type || !/^RLIMIT_[A-Z]+$/.test(type)) fail(p, `invalid rlimit type ${show(rl.type)}`);
    spec.ulimits.push({
      name: (type as string).slice('RLIMIT_'.length).toLowerCase(),
      soft: rlimitValue(rl.soft, [...p, 'soft'], fail),
      hard: rlimitValue(rl.hard, [...p, 'hard'], fail),
    });
  });
  if (rlimits.length > 0) line('ulimits', ['process', 'rlimits']);

  const sysctls = optStringMap(linux.sysctl, ['linux', 'sysctl'], fail);
  if (sysctls) {
    spec.sysctls = sysctls;
    line('sysctls', ['linux', 'sysctl']);
  }

  const cgroupsPath = optString(linux.cgroupsPath, ['linux', 'cgroupsPath'], fail);
  if (cgroupsPath) {
    spec.cgroupParent = cgroupsPath;
    line('cgroupParent', ['linux', 'cgroupsPath']);
  }
  return spec;
}

function parseResources(spec: ContainerSpec, linux: Obj, doc: SourceDoc, fail: Fail): void {
  const res = optObj(linux.resources, ['linux', 'resources'], fail);
  if (!res) return;
  const set = (field: keyof ContainerSpec['lines'], p: PathSeg[]): void => {
    const l = doc.lineOf(p);
    if (l !== undefined) spec.lines[field] = l;
  };
  const mem = optObj(res.memory, ['linux', 'resources', 'memory'], fail);
  if (mem) {
    const limit = optInt(mem.limit, ['linux', 'resources', 'memory', 'limit'], fail);
    if (limit !== undefined) {
      spec.memory = Math.max(limit, 0);
      set('memory', ['linux', 'resources', 'memory', 'limit']);
    }
    const swap = optInt(mem.swap, ['linux', 'resources', 'memory', 'swap'], fail);
    if (swap !== undefined) {
      spec.memorySwap = swap;
      set('memorySwap', ['linux', 'resources', 'memory', 'swap']);
    }
  }
  const pids = optObj(res.pids, ['linux', 'resources', 'pids'], fail);
  if (pids) {
    const limit = optInt(pids.limit, ['linux', 'resources', 'pids', 'limit'], fail);
    if (limit !== undefined) {
      spec.pidsLimit = limit;
      set('pidsLimit', ['linux', 'resources', 'pids', 'limit']);
    }
  }
  const cpu = optObj(res.cpu, ['linux', 'resources', 'cpu'], fail);
  if (cpu) {
    const quota = optInt(cpu.quota, ['linux', 'resources', 'cpu', 'quota'], fail);
    // The kernel's CFS period when none is written.
    const period = optInt(cpu.period, ['linux', 'resources', 'cpu', 'period'], fail) ?? 100_000;
    if (quota !== undefined && quota > 0 && period > 0) {
      spec.cpus = quota / period;
      set('cpus', ['linux', 'resources', 'cpu', 'quota']);
    }
    const shares = optInt(cpu.shares, ['linux', 'resources', 'cpu', 'shares'], fail);
    if (shares !== undefined) {
      spec.cpuShares = shares;
      set('cpuShares', ['linux', 'resources', 'cpu', 'shares']);
    }
  }
}

function parseNamespaces(spec: ContainerSpec, linux: Obj, doc: SourceDoc, fail: Fail): void {
  const list = optArray(linux.namespaces, ['linux', 'namespaces'], fail) ?? [];
  const seen = new Map<string, string | undefined>();
  list.forEach((n, i) => {
    const p = ['linux', 'namespaces', i];
    if (!isObj(n)) fail(p, 'a linux.namespaces item must be an object');
    const ns = n as Obj;
    const type = optString(ns.type, [...p, 'type'], fail);
    if (!type || !NAMESPACE_TYPES.has(type)) fail(p, `unknown namespace type ${show(ns.type)}`);
    if (seen.has(type as string)) fail(p, `namespace "${type}" is listed twice`);
    seen.set(type as string, optString(ns.path, [...p, 'path'], fail) || undefined);
  });
  const nsLine = lineNear(doc, ['linux', 'namespaces']);
  for (const [type, field] of Object.entries(NS_FIELDS)) {
    // A namespace the config does not list is not created: the container stays in runc's own, the host's.
    let mode: NamespaceMode | undefined;
    if (!seen.has(type)) mode = 'host';
    else {
      const nsPath = seen.get(type);
      if (nsPath !== undefined) mode = `container:${nsPath}`;
    }
    if (mode !== undefined) {
      spec[field] = mode;
      spec.lines[field] = nsLine;
    }
  }
}

function parseMount(m: unknown, p: PathSeg[], doc: SourceDoc, fail: Fail): MountSpec {
  if (!isObj(m)) fail(p, 'a mounts item must be an object');
  const o = m as Obj;
  const destination = optString(o.destination, [...p, 'destination'], fail);
  if (!destination) fail(p, 'a mount needs a "destination"');
  const fsType = optString(o.type, [...p, 'type'], fail) ?? '';
  const source = optString(o.source, [...p, 'source'], fail);
  const options = optStrings(o.options, [...p, 'options'], fail) ?? [];
  const isBind = fsType === 'bind' || options.includes('bind') || options.includes('rbind');
  const type: MountType = isBind ? 'bind' : fsType === 'tmpfs' ? 'tmpfs' : 'other';
  const mount: MountSpec = { type, target: destination as string, readOnly: false };
  if (source !== undefined && source !== '') mount.source = source;
  for (const opt of options) {
    if (opt === 'ro') mount.readOnly = true;
    else if (opt === 'rw') mount.readOnly = false;
    else if (OCI_PROPAGATIONS.has(opt)) mount.propagation = opt;
  }
  const line = doc.lineOf(p);
  if (line !== undefined) mount.line = line;
  return mount;
}

/** "user:role:type[:level]"; the MLS level may hold colons itself ("s0:c1,c2"). */
export function parseSelinuxLabel(label: string): SelinuxLabel | undefined {
  const parts = label.split(':');
  if (parts.length < 3 || parts.slice(0, 3).some((x) => x === '')) return undefined;
  const out: SelinuxLabel = {
    user: parts[0] as string,
    role: parts[1] as string,
    type: parts[2] as string,
  };
  if (parts.length > 3) out.level = parts.slice(3).join(':');
  return out;
}

function badLabel(label: string): string {
  return `invalid SELinux label ${show(label)} (want user:role:type[:level])`;
}

function lineNear(doc: SourceDoc, p: readonly PathSeg[]): number {
  // The key itself, else the nearest enclosing key that is written in the file.
  for (let n = p.length; n > 0; n--) {
    const l = doc.lineOf(p.slice(0, n));
    if (l !== undefined) return l;
  }
  return doc.line;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Fail = (p: readonly PathSeg[], msg: string) => never;

function dotted(p: readonly PathSeg[]): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function optObj(v: unknown, p: readonly PathSeg[], fail: Fail): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) fail(p, `${dotted(p)} must be an object`);
  return v as Obj;
}

function optArray(v: unknown, p: readonly PathSeg[], fail: Fail): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(p, `${dotted(p)} must be a list`);
  return v as unknown[];
}

function optStrings(v: unknown, p: readonly PathSeg[], fail: Fail): string[] | undefined {
  const a = optArray(v, p, fail);
  if (a === undefined) return undefined;
  a.forEach((x, i) => {
    if (typeof x !== 'string') fail([...p, i], `${dotted(p)} must be a list of strings`);
  });
  return [...(a as string[])];
}

function optString(v: unknown, p: readonly PathSeg[], fail: Fail): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(p, `${dotted(p)} must be a string`);
  return v as string;
}

function optBool(v: unknown, p: readonly PathSeg[], fail: Fail): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(p, `${dotted(p)} must be true or false`);
  return v as boolean;
}

function optInt(v: unknown, p: readonly PathSeg[], fail: Fail): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(p, `${dotted(p)} must be an integer`);
  return v as number;
}

function optUint(v: unknown, p: readonly PathSeg[], fail: Fail): number | undefined {
  const n = optInt(v, p, fail);
  if (n !== undefined && n < 0) fail(p, `${dotted(p)} must not be negative`);
  return n;
}

// RLIM_INFINITY is 2^64-1, which JSON numbers cannot hold exactly; Docker writes unlimited as -1.
function rlimitValue(v: unknown, p: readonly PathSeg[], fail: Fail): number {
  const n = optUint(v, p, fail);
  if (n === undefined) return fail(p, `${dotted(p)} is missing`);
  return n > Number.MAX_SAFE_INTEGER ? -1 : n;
}

function optStringMap(v: unknown, p: readonly PathSeg[], fail: Fail): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) fail(p, `${dotted(p)} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    if (typeof x !== 'string') fail([...p, k], `${dotted(p)}["${clip(k)}"] must be a string`);
    Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
