// Kubernetes manifests (workloads, pod templates, Lists) read into one ContainerSpec per container.

import { UserError } from '../../errors.js';
import { normalizeCap } from '../caps.js';
import type { PathSeg, SourceDoc } from '../doc.js';
import {
  type ContainerSpec,
  emptySpec,
  type MountSpec,
  type PortSpec,
  type ProfileSetting,
  type SelinuxLabel,
  type SpecField,
} from '../spec.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Where each workload kind keeps its pod spec and the pod's metadata. */
const POD_PATHS: Record<string, { spec: string[]; meta: string[] }> = {
  Pod: { spec: ['spec'], meta: ['metadata'] },
  Deployment: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  StatefulSet: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  DaemonSet: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  ReplicaSet: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  ReplicationController: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  Job: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  CronJob: {
    spec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
    meta: ['spec', 'jobTemplate', 'spec', 'template', 'metadata'],
  },
  PodTemplate: { spec: ['template', 'spec'], meta: ['template', 'metadata'] },
};

/** Lists nest Lists only in odd hand-made files; deeper than this is refused. */
const MAX_LIST_DEPTH = 4;

export type ContainerRole = 'container' | 'initContainer' | 'ephemeralContainer';

const ROLE_KEYS: [ContainerRole, string, string][] = [
  ['initContainer', 'initContainers', ' (init)'],
  ['container', 'containers', ''],
  ['ephemeralContainer', 'ephemeralContainers', ' (ephemeral)'],
];

/** One container of a workload, with the paths the parser and the renderer both need. */
export interface K8sContainerRef {
  kind: string;
  objectName: string;
  name: string;
  role: ContainerRole;
  /** The key plans are filed under: "Deployment/web container app". */
  resource: string;
  /** Path of the container (…containers[i]), of the pod spec and of the pod's metadata. */
  path: PathSeg[];
  podSpecPath: PathSeg[];
  metaPath: PathSeg[];
  container: Obj;
  podSpec: Obj;
  meta: Obj | undefined;
}

export function containerResource(
  kind: string,
  objectName: string,
  name: string,
  role: ContainerRole,
): string {
  const suffix = ROLE_KEYS.find((r) => r[0] === role)?.[2] ?? '';
  return `${kind}/${objectName} container ${name}${suffix}`;
}

function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

class Locator {
  constructor(
    readonly doc: SourceDoc,
    readonly file: string,
  ) {}

  where(path: readonly PathSeg[]): string {
    for (let n = path.length; n >= 0; n--) {
      const l = this.doc.lineOf(path.slice(0, n));
      if (l !== undefined) return `${this.file}:${l}`;
    }
    return `${this.file}:${this.doc.line}`;
  }

  fail(path: readonly PathSeg[], msg: string): never {
    throw new UserError(`${this.where(path)}: ${msg}`);
  }

  map(v: unknown, path: readonly PathSeg[], what: string): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) return this.fail(path, `${what} must be a map, not ${show(v)}`);
    return v;
  }

  list(v: unknown, path: readonly PathSeg[], what: string): unknown[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return this.fail(path, `${what} must be a list, not ${show(v)}`);
    return v;
  }

  str(v: unknown, path: readonly PathSeg[], what: string): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') return this.fail(path, `${what} must be a string, not ${show(v)}`);
    return v;
  }

  bool(v: unknown, path: readonly PathSeg[], what: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') return this.fail(path, `${what} must be true or false, not ${show(v)}`);
    return v;
  }

  int(v: unknown, path: readonly PathSeg[], what: string, min = 0, max = 2 ** 31 - 1): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      return this.fail(path, `${what} must be an integer from ${min} to ${max}, not ${show(v)}`);
    return v;
  }
}

function getPath(v: unknown, path: readonly string[]): unknown {
  let cur = v;
  for (const seg of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

/** Every container of every workload in one document, Lists expanded. */
export function listContainers(doc: SourceDoc, file: string): K8sContainerRef[] {
  const loc = new Locator(doc, file);
  const out: K8sContainerRef[] = [];
  walkObject(loc, doc.value, [], 0, out);
  return out;
}

function walkObject(
  loc: Locator,
  obj: unknown,
  base: PathSeg[],
  depth: number,
  out: K8sContainerRef[],
): void {
  if (!isObj(obj)) loc.fail(base, `a Kubernetes object must be a map, not ${show(obj)}`);
  const kind = obj.kind;
  if (kind === undefined || kind === null) loc.fail(base, 'a Kubernetes object needs a "kind"');
  if (typeof kind !== 'string') loc.fail([...base, 'kind'], `kind must be a string, not ${show(kind)}`);
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(obj.items))) {
    if (depth >= MAX_LIST_DEPTH) loc.fail(base, `Lists nested more than ${MAX_LIST_DEPTH} deep`);
    const items = loc.list(obj.items, [...base, 'items'], `${kind}.items`) ?? [];
    items.forEach((it, i) => {
      walkObject(loc, it, [...base, 'items', i], depth + 1, out);
    });
    return;
  }
  const paths = POD_PATHS[kind];
  if (!paths) return; // Service, ConfigMap, custom resources...
  const meta = loc.map(obj.metadata, [...base, 'metadata'], 'metadata');
  const objectName =
    loc.str(meta?.name, [...base, 'metadata', 'name'], 'metadata.name') ??
    loc.str(meta?.generateName, [...base, 'metadata', 'generateName'], 'metadata.generateName') ??
    '<unnamed>';
  const specPath = [...base, ...paths.spec];
  // Each level is checked, so a scalar where a map belongs is named by the line that holds it.
  let cur: unknown = obj;
  for (let i = 0; i < paths.spec.length; i++) {
    const seg = paths.spec[i] as string;
    const next = (cur as Obj)[seg];
    const p = [...base, ...paths.spec.slice(0, i + 1)];
    if (next === undefined || next === null)
      loc.fail(p.slice(0, -1), `${kind}/${objectName} has no pod spec (${paths.spec.join('.')})`);
    loc.map(next, p, paths.spec.slice(0, i + 1).join('.'));
    cur = next;
  }
  const podSpec = cur as Obj;
  const podMeta = loc.map(getPath(obj, paths.meta), [...base, ...paths.meta], paths.meta.join('.'));
  const containers = loc.list(podSpec.containers, [...specPath, 'containers'], 'containers');
  if (!containers || containers.length === 0) loc.fail(specPath, `${kind}/${objectName} has no containers`);
  const seen = new Set<string>();
  for (const [role, key] of ROLE_KEYS) {
    const list = loc.list(podSpec[key], [...specPath, key], key) ?? [];
    list.forEach((c, i) => {
      const path = [...specPath, key, i];
      const container = loc.map(c, path, `${key} items`);
      if (!container) loc.fail(path, `${key} items must be maps`);
      const name = loc.str(container.name, [...path, 'name'], 'container name');
      if (name === undefined || name === '')
        loc.fail(path, `a container of ${kind}/${objectName} has no name`);
      if (seen.has(name))
        loc.fail([...path, 'name'], `${kind}/${objectName} has two containers named "${name}"`);
      seen.add(name);
      out.push({
        kind,
        objectName,
        name,
        role,
        resource: containerResource(kind, objectName, name, role),
        path,
        podSpecPath: specPath,
        metaPath: [...base, ...paths.meta],
        container,
        podSpec,
        meta: podMeta,
      });
    });
  }
}

/** One spec per container (init and ephemeral ones included) of every workload in the document. */
export function parseKubernetes(doc: SourceDoc, file: string): ContainerSpec[] {
  const loc = new Locator(doc, file);
  return listContainers(doc, file).map((ref) => containerSpec(loc, ref));
}

/** A value set on the container, else on the pod, with the line of whichever set it. */
interface Picked {
  value: unknown;
  path: PathSeg[];
}

function containerSpec(loc: Locator, ref: K8sContainerRef): ContainerSpec {
  const { container: c, podSpec: pod, path: cp, podSpecPath: pp } = ref;
  const spec = emptySpec(
    {
      file: loc.file,
      kind: 'kubernetes',
      line: loc.doc.lineOf(cp) ?? loc.doc.line,
      resource: ref.resource,
    },
    ref.name,
  );
  spec.containerKind = ref.role;
  const mark = (field: SpecField, path: readonly PathSeg[]) => {
    const l = loc.doc.lineOf(path);
    if (l !== undefined) spec.lines[field] = l;
  };

  const image = loc.str(c.image, [...cp, 'image'], 'image');
  if (image !== undefined) {
    spec.image = image;
    mark('image', [...cp, 'image']);
  }
  const strs = (key: string) =>
    loc.list(c[key], [...cp, key], key)?.map((x, i) => {
      if (typeof x === 'string') return x;
      return loc.fail([...cp, key, i], `${key} must be a list of strings, not ${show(x)}`);
    });
  const command = strs('command');
  const args = strs('args');
  if (command || args) spec.command = [...(command ?? []), ...(args ?? [])];

  const csc = loc.map(c.securityContext, [...cp, 'securityContext'], 'securityContext') ?? {};
  const psc = loc.map(pod.securityContext, [...pp, 'securityContext'], 'securityContext') ?? {};
  const cscPath = [...cp, 'securityContext'];
  const pscPath = [...pp, 'securityContext'];
  const pick = (key: string): Picked | undefined => {
    if (csc[key] !== undefined && csc[key] !== null) return { value: csc[key], path: [...cscPath, key] };
    if (psc[key] !== undefined && psc[key] !== null) return { value: psc[key], path: [...pscPath, key] };
    return undefined;
  };

  const privileged = loc.bool(csc.privileged, [...cscPath, 'privileged'], 'privileged');
  if (privileged !== undefined) {
    spec.privileged = privileged;
    mark('privileged', [...cscPath, 'privileged']);
  }
  const ape = loc.bool(
    csc.allowPrivilegeEscalation,
    [...cscPath, 'allowPrivilegeEscalation'],
    'allowPrivilegeEscalation',
  );
  if (ape !== undefined) {
    spec.noNewPrivileges = !ape;
    mark('noNewPrivileges', [...cscPath, 'allowPrivilegeEscalation']);
  }
  const caps = loc.map(csc.capabilities, [...cscPath, 'capabilities'], 'capabilities');
  for (const [key, field] of [
    ['add', 'capAdd'],
    ['drop', 'capDrop'],
  ] as const) {
    const p = [...cscPath, 'capabilities', key];
    const list = loc.list(caps?.[key], p, `capabilities.${key}`);
    if (!list) continue;
    spec[field] = list.map((x, i) => {
      if (typeof x !== 'string') return loc.fail([...p, i], `capabilities.${key} must be a list of strings`);
      return normalizeCap(x);
    });
    mark(field, p);
  }
  const rorf = loc.bool(
    csc.readOnlyRootFilesystem,
    [...cscPath, 'readOnlyRootFilesystem'],
    'readOnlyRootFilesystem',
  );
  if (rorf !== undefined) {
    spec.readOnlyRootfs = rorf;
    mark('readOnlyRootfs', [...cscPath, 'readOnlyRootFilesystem']);
  }

  const uid = pick('runAsUser');
  const gid = pick('runAsGroup');
  if (uid) {
    const u = loc.int(uid.value, uid.path, 'runAsUser');
    const g = gid ? loc.int(gid.value, gid.path, 'runAsGroup') : undefined;
    spec.user = g === undefined ? `${u}` : `${u}:${g}`;
    mark('user', uid.path);
  } else if (gid) loc.int(gid.value, gid.path, 'runAsGroup');
  const nonRoot = pick('runAsNonRoot');
  if (nonRoot) {
    spec.runAsNonRoot = loc.bool(nonRoot.value, nonRoot.path, 'runAsNonRoot');
    mark('runAsNonRoot', nonRoot.path);
  }
  const procMount = loc.str(csc.procMount, [...cscPath, 'procMount'], 'procMount');
  if (procMount !== undefined) {
    spec.procMount = procMount;
    mark('procMount', [...cscPath, 'procMount']);
  }

  const annotations = annotationsOf(loc, ref);
  if (annotations) spec.annotations = annotations;
  const annPath = (key: string) => [...ref.metaPath, 'annotations', key];
  profiles(loc, spec, ref, csc, psc, cscPath, pscPath, annotations ?? {}, annPath);

  const se = pick('seLinuxOptions');
  if (se) {
    const o = loc.map(se.value, se.path, 'seLinuxOptions') ?? {};
    const label: SelinuxLabel = {};
    for (const k of ['user', 'role', 'type', 'level'] as const) {
      const v = loc.str(o[k], [...se.path, k], `seLinuxOptions.${k}`);
      if (v !== undefined && v !== '') label[k] = v;
    }
    spec.selinux = label;
    mark('selinux', se.path);
  }
  const win = pick('windowsOptions');
  if (win) {
    const o = loc.map(win.value, win.path, 'windowsOptions') ?? {};
    const hp = loc.bool(o.hostProcess, [...win.path, 'hostProcess'], 'windowsOptions.hostProcess');
    if (hp !== undefined) {
      spec.hostProcess = hp;
      mark('hostProcess', [...win.path, 'hostProcess']);
    }
  }
  const sysctls = loc.list(psc.sysctls, [...pscPath, 'sysctls'], 'sysctls');
  if (sysctls) {
    sysctls.forEach((s, i) => {
      const o = loc.map(s, [...pscPath, 'sysctls', i], 'sysctls items');
      const name = loc.str(o?.name, [...pscPath, 'sysctls', i, 'name'], 'sysctl name');
      if (!name) loc.fail([...pscPath, 'sysctls', i], 'a sysctl needs a "name"');
      const v = o?.value;
      if (v !== undefined && v !== null && typeof v === 'object')
        loc.fail([...pscPath, 'sysctls', i, 'value'], `sysctl ${name} value must be a string`);
      spec.sysctls[name] = v === undefined || v === null ? '' : String(v);
    });
    mark('sysctls', [...pscPath, 'sysctls']);
  }

  podLevel(loc, spec, ref, mark);
  resources(loc, spec, c, cp, mark);
  volumes(loc, spec, ref);
  ports(loc, spec, c, cp);

  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    if (loc.map(c[probe], [...cp, probe], probe)) {
      spec.healthcheck = true;
      if (spec.lines.healthcheck === undefined) mark('healthcheck', [...cp, probe]);
    }
  }
  return spec;
}

function annotationsOf(loc: Locator, ref: K8sContainerRef): Record<string, string> | undefined {
  const a = loc.map(ref.meta?.annotations, [...ref.metaPath, 'annotations'], 'annotations');
  if (!a) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) {
    if (typeof v !== 'string')
      loc.fail([...ref.metaPath, 'annotations', k], `annotation "${k}" must be a string, not ${show(v)}`);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
export const seccompAnnotation = (name: string) => `container.seccomp.security.alpha.kubernetes.io/${name}`;
export const apparmorAnnotation = (name: string) => `container.apparmor.security.beta.kubernetes.io/${name}`;

function profileField(loc: Locator, v: unknown, path: PathSeg[], what: string): ProfileSetting {
  const o = loc.map(v, path, what) ?? {};
  const type = loc.str(o.type, [...path, 'type'], `${what}.type`);
  switch (type) {
    case 'RuntimeDefault':
      return { kind: 'default' };
    case 'Unconfined':
      return { kind: 'unconfined' };
    case 'Localhost': {
      const p = loc.str(o.localhostProfile, [...path, 'localhostProfile'], `${what}.localhostProfile`);
      if (!p) return loc.fail(path, `${what} of type Localhost needs a localhostProfile`);
      return { kind: 'custom', ref: `localhost/${p}` };
    }
    default:
      return loc.fail(
        [...path, 'type'],
        `${what}.type must be RuntimeDefault, Unconfined or Localhost, not ${show(type)}`,
      );
  }
}

/** The legacy annotation values: runtime/default (docker/default for seccomp), unconfined, localhost/<x>. */
function profileAnnotation(v: string): ProfileSetting {
  if (v === 'runtime/default' || v === 'docker/default') return { kind: 'default' };
  if (v === 'unconfined') return { kind: 'unconfined' };
  return { kind: 'custom', ref: v };
}

function profiles(
  loc: Locator,
  spec: ContainerSpec,
  ref: K8sContainerRef,
  csc: Obj,
  psc: Obj,
  cscPath: PathSeg[],
  pscPath: PathSeg[],
  ann: Record<string, string>,
  annPath: (key: string) => PathSeg[],
): void {
  // Precedence as the API server syncs them: the container's field, the container's annotation,
  // the pod's field, the pod's annotation.
  const lineOf = (p: PathSeg[]) => loc.doc.lineOf(p);
  for (const [field, key, ctrAnn, podAnn] of [
    ['seccomp', 'seccompProfile', seccompAnnotation(ref.name), SECCOMP_POD_ANNOTATION],
    ['apparmor', 'appArmorProfile', apparmorAnnotation(ref.name), undefined],
  ] as const) {
    let setting: ProfileSetting | undefined;
    let line: number | undefined;
    if (csc[key] !== undefined && csc[key] !== null) {
      setting = profileField(loc, csc[key], [...cscPath, key], key);
      line = lineOf([...cscPath, key]);
    } else if (Object.hasOwn(ann, ctrAnn)) {
      setting = profileAnnotation(ann[ctrAnn] as string);
      line = lineOf(annPath(ctrAnn));
    } else if (psc[key] !== undefined && psc[key] !== null) {
      setting = profileField(loc, psc[key], [...pscPath, key], key);
      line = lineOf([...pscPath, key]);
    } else if (podAnn && Object.hasOwn(ann, podAnn)) {
      setting = profileAnnotation(ann[podAnn] as string);
      line = lineOf(annPath(podAnn));
    }
    if (!setting) continue;
    spec[field] = setting;
    if (line !== undefined) spec.lines[field] = line;
  }
}

function podLevel(
  loc: Locator,
  spec: ContainerSpec,
  ref: K8sContainerRef,
  mark: (f: SpecField, p: readonly PathSeg[]) => void,
): void {
  const { podSpec: pod, podSpecPath: pp, container: c, path: cp } = ref;
  for (const [key, field] of [
    ['hostNetwork', 'network'],
    ['hostPID', 'pid'],
    ['hostIPC', 'ipc'],
  ] as const) {
    if (loc.bool(pod[key], [...pp, key], key) === true) {
      spec[field] = 'host';
      mark(field, [...pp, key]);
    }
  }
  if (loc.bool(pod.hostUsers, [...pp, 'hostUsers'], 'hostUsers') === false) {
    spec.userns = 'private';
    mark('userns', [...pp, 'hostUsers']);
  }
  const policies: Record<string, 'always' | 'on-failure' | 'no'> = {
    Always: 'always',
    OnFailure: 'on-failure',
    Never: 'no',
  };
  // An init container with its own restartPolicy (a sidecar) overrides the pod's.
  for (const [v, p] of [
    [c.restartPolicy, [...cp, 'restartPolicy']],
    [pod.restartPolicy, [...pp, 'restartPolicy']],
  ] as const) {
    const s = loc.str(v, p, 'restartPolicy');
    if (s === undefined) continue;
    const policy = policies[s];
    if (!policy) loc.fail(p, `restartPolicy must be Always, OnFailure or Never, not ${show(s)}`);
    spec.restart = { policy };
    mark('restart', p);
    break;
  }
}

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes resource quantity ("512Mi", "1.5Gi", "500m", "129e6", 2) as a number, or undefined. */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\+?(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?)|[eE]([+-]?\d{1,3}))$/.exec(
    v.trim(),
  );
  if (!m) return undefined;
  const n = Number(m[1]);
  let mult: number;
  if (m[2]) mult = BINARY[m[2]] as number;
  else if (m[4] !== undefined) mult = 10 ** Number(m[4]);
  else mult = DECIMAL[m[3] ?? ''] as number;
  const r = n * mult;
  return Number.isFinite(r) ? r : undefined;
}

function resources(
  loc: Locator,
  spec: ContainerSpec,
  c: Obj,
  cp: PathSeg[],
  mark: (f: SpecField, p: readonly PathSeg[]) => void,
): void {
  const res = loc.map(c.resources, [...cp, 'resources'], 'resources');
  const limits = loc.map(res?.limits, [...cp, 'resources', 'limits'], 'resources.limits');
  if (!limits) return;
  const lp = [...cp, 'resources', 'limits'];
  if (limits.memory !== undefined && limits.memory !== null) {
    const q = parseQuantity(limits.memory);
    if (q === undefined)
      loc.fail([...lp, 'memory'], `limits.memory is not a quantity: ${show(limits.memory)}`);
    // The kubelet rounds a fractional byte count up.
    spec.memory = Math.ceil(q);
    mark('memory', [...lp, 'memory']);
  }
  if (limits.cpu !== undefined && limits.cpu !== null) {
    const q = parseQuantity(limits.cpu);
    if (q === undefined) loc.fail([...lp, 'cpu'], `limits.cpu is not a quantity: ${show(limits.cpu)}`);
    spec.cpus = q;
    mark('cpus', [...lp, 'cpu']);
  }
}

/** The volume's type: its one key besides "name" (hostPath, configMap, emptyDir...). */
function volumeKind(v: Obj): string {
  return Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
}

function volumes(loc: Locator, spec: ContainerSpec, ref: K8sContainerRef): void {
  const { podSpec: pod, podSpecPath: pp, container: c, path: cp } = ref;
  const vols = loc.list(pod.volumes, [...pp, 'volumes'], 'volumes') ?? [];
  const byName = new Map<string, { v: Obj; i: number }>();
  vols.forEach((v, i) => {
    const o = loc.map(v, [...pp, 'volumes', i], 'volumes items');
    if (!o) loc.fail([...pp, 'volumes', i], 'volumes items must be maps');
    const name = loc.str(o.name, [...pp, 'volumes', i, 'name'], 'volume name');
    if (!name) loc.fail([...pp, 'volumes', i], 'a volume needs a "name"');
    if (byName.has(name)) loc.fail([...pp, 'volumes', i, 'name'], `two volumes are named "${name}"`);
    byName.set(name, { v: o, i });
  });
  const base = (o: Obj, i: number): MountSpec => {
    const kind = volumeKind(o);
    const m: MountSpec = { type: 'volume', source: o.name as string, readOnly: false, volumeKind: kind };
    if (kind === 'hostPath') {
      const hp = loc.map(o.hostPath, [...pp, 'volumes', i, 'hostPath'], 'hostPath');
      const path = loc.str(hp?.path, [...pp, 'volumes', i, 'hostPath', 'path'], 'hostPath.path');
      if (!path) loc.fail([...pp, 'volumes', i, 'hostPath'], 'a hostPath volume needs a "path"');
      m.type = 'hostPath';
      m.source = path;
    } else if (kind === 'emptyDir') {
      const ed = loc.map(o.emptyDir, [...pp, 'volumes', i, 'emptyDir'], 'emptyDir');
      if (ed?.medium === 'Memory') m.type = 'tmpfs';
    }
    return m;
  };

  const mounted = new Set<string>();
  const vm = loc.list(c.volumeMounts, [...cp, 'volumeMounts'], 'volumeMounts') ?? [];
  vm.forEach((x, i) => {
    const p = [...cp, 'volumeMounts', i];
    const o = loc.map(x, p, 'volumeMounts items');
    if (!o) loc.fail(p, 'volumeMounts items must be maps');
    const name = loc.str(o.name, [...p, 'name'], 'volumeMount name');
    if (!name) loc.fail(p, 'a volumeMount needs a "name"');
    const vol = byName.get(name);
    if (!vol) loc.fail([...p, 'name'], `volumeMount "${name}" names no volume of the pod`);
    const target = loc.str(o.mountPath, [...p, 'mountPath'], 'mountPath');
    if (!target) loc.fail(p, `volumeMount "${name}" needs a mountPath`);
    const m = base(vol.v, vol.i);
    m.target = target;
    m.readOnly = loc.bool(o.readOnly, [...p, 'readOnly'], 'readOnly') ?? false;
    const prop = loc.str(o.mountPropagation, [...p, 'mountPropagation'], 'mountPropagation');
    if (prop !== undefined && prop !== 'None') {
      if (prop !== 'HostToContainer' && prop !== 'Bidirectional')
        loc.fail(
          [...p, 'mountPropagation'],
          `mountPropagation must be None, HostToContainer or Bidirectional`,
        );
      m.propagation = prop;
    }
    const line = loc.doc.lineOf(p);
    if (line !== undefined) m.line = line;
    mounted.add(name);
    spec.mounts.push(m);
  });
  // Volumes this container does not mount still belong to the pod: the pod-level volume checks see them.
  for (const [name, { v, i }] of byName) {
    if (mounted.has(name)) continue;
    const m = base(v, i);
    const line = loc.doc.lineOf([...pp, 'volumes', i]);
    if (line !== undefined) m.line = line;
    spec.mounts.push(m);
  }
  const l = loc.doc.lineOf([...cp, 'volumeMounts']) ?? loc.doc.lineOf([...pp, 'volumes']);
  if (l !== undefined) spec.lines.mounts = l;
}

function ports(loc: Locator, spec: ContainerSpec, c: Obj, cp: PathSeg[]): void {
  const list = loc.list(c.ports, [...cp, 'ports'], 'ports');
  if (!list) return;
  list.forEach((x, i) => {
    const p = [...cp, 'ports', i];
    const o = loc.map(x, p, 'ports items');
    if (!o) loc.fail(p, 'ports items must be maps');
    const containerPort = loc.int(o.containerPort, [...p, 'containerPort'], 'containerPort', 1, 65535);
    if (containerPort === undefined) loc.fail(p, 'a port needs a containerPort');
    const port: PortSpec = { containerPort, protocol: 'tcp' };
    const hostPort = loc.int(o.hostPort, [...p, 'hostPort'], 'hostPort', 0, 65535);
    if (hostPort !== undefined) port.hostPort = hostPort;
    const hostIp = loc.str(o.hostIP, [...p, 'hostIP'], 'hostIP');
    if (hostIp !== undefined) port.hostIp = hostIp;
    const proto = loc.str(o.protocol, [...p, 'protocol'], 'protocol');
    if (proto !== undefined) {
      if (!['TCP', 'UDP', 'SCTP'].includes(proto))
        loc.fail([...p, 'protocol'], `protocol must be TCP, UDP or SCTP, not ${show(proto)}`);
      port.protocol = proto.toLowerCase();
    }
    const line = loc.doc.lineOf(p);
    if (line !== undefined) port.line = line;
    spec.ports.push(port);
  });
  const l = loc.doc.lineOf([...cp, 'ports']);
  if (l !== undefined) spec.lines.ports = l;
}
