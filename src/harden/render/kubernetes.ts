// Writes hardening plans into the user's own Kubernetes manifest stream, document by document.

import { type Document, isMap, isScalar, isSeq, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { UserError } from '../../errors.js';
import { parseConfigText } from '../doc.js';
import { parseSize } from '../inputs/common.js';
import {
  apparmorAnnotation,
  type K8sContainerRef,
  listContainers,
  parseKubernetes,
  parseQuantity,
  seccompAnnotation,
} from '../inputs/kubernetes.js';
import type { HardeningPlan } from '../plan-types.js';
import type { ContainerSpec, ProfileSetting } from '../spec.js';
import {
  detectYamlStyle,
  editableChild,
  editableMap,
  parseForEdit,
  put,
  removeKey,
  spliceDocuments,
} from './compose.js';

const MiB = 2 ** 20;

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Bytes as whole mebibytes, rounded up so the limit never shrinks below the plan. */
export function mebibytes(bytes: number): string {
  return `${Math.max(1, Math.ceil(bytes / MiB))}Mi`;
}

/** CPUs as Kubernetes writes them: whole cores as a number, fractions in millicores. */
export function cpuQuantity(cpus: number): string | number {
  return Number.isInteger(cpus) ? cpus : `${Math.max(1, Math.round(cpus * 1000))}m`;
}

/** The profile field for a plan's setting; undefined when Kubernetes cannot express it. */
function profileField(p: ProfileSetting): Record<string, string> | undefined {
  if (p.kind === 'default') return { type: 'RuntimeDefault' };
  if (p.kind === 'custom' && p.ref.startsWith('localhost/'))
    return { type: 'Localhost', localhostProfile: p.ref.slice('localhost/'.length) };
  return undefined;
}

/** A DNS-1123 label (volume names must be one) made from free text. */
function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function namesIn(seq: YAMLSeq): Set<string> {
  const out = new Set<string>();
  for (const it of seq.items) {
    if (!isMap(it)) continue;
    const n = it.get('name');
    if (typeof n === 'string') out.add(n);
  }
  return out;
}

function uniqueName(base: string, taken: Set<string>): string {
  const stem = base.slice(0, 55).replace(/-+$/, '') || 'tmp';
  let name = stem;
  for (let i = 2; taken.has(name); i++) name = `${stem}-${i}`;
  taken.add(name);
  return name;
}

/** The sequence at `key`, created empty when missing. */
function seqAt(doc: Document, map: YAMLMap, key: string): YAMLSeq | undefined {
  let seq = editableChild(doc, map, key, false);
  if (seq === undefined || (isScalar(seq) && seq.value === null)) {
    put(doc, map, key, []);
    seq = editableChild(doc, map, key, false);
  }
  return isSeq(seq) ? seq : undefined;
}

function removeAnnotation(doc: Document, ref: K8sContainerRef, key: string): void {
  const ann = ref.meta?.annotations;
  if (!isObj(ann) || !Object.hasOwn(ann, key)) return;
  const map = editableMap(doc, [...ref.metaPath, 'annotations']);
  if (!map) return;
  removeKey(doc, map, key);
  if (map.items.length === 0) {
    const meta = editableMap(doc, ref.metaPath);
    if (meta) removeKey(doc, meta, 'annotations');
  }
}

function hardenContainer(
  doc: Document,
  file: string,
  ref: K8sContainerRef,
  spec: ContainerSpec,
  plan: HardeningPlan,
): void {
  const c = editableMap(doc, ref.path);
  const sc = editableMap(doc, [...ref.path, 'securityContext']);
  const caps = editableMap(doc, [...ref.path, 'securityContext', 'capabilities']);
  const pod = editableMap(doc, ref.podSpecPath);
  if (!c || !sc || !caps || !pod) throw new UserError(`${file}: ${ref.resource} cannot be edited`);

  put(doc, sc, 'allowPrivilegeEscalation', false);
  if (spec.privileged !== undefined) put(doc, sc, 'privileged', false);
  put(doc, sc, 'readOnlyRootFilesystem', true);
  put(doc, caps, 'drop', ['ALL'], true);
  const add = plan.capAdd.map((n) => n.replace(/^CAP_/, ''));
  if (add.length > 0) put(doc, caps, 'add', add, add.length <= 3);
  else removeKey(doc, caps, 'add');

  // runAsNonRoot makes the kubelet refuse a root user, so it is only written when the user that
  // will run is known not to be root (or left to the image, where refusing root is the point).
  const numeric = plan.user === undefined ? undefined : /^(\d+)(?::(\d+))?$/.exec(plan.user);
  if (numeric) {
    put(doc, sc, 'runAsUser', Number(numeric[1]));
    if (numeric[2] !== undefined) put(doc, sc, 'runAsGroup', Number(numeric[2]));
    if (Number(numeric[1]) !== 0) put(doc, sc, 'runAsNonRoot', true);
  } else if (plan.user === undefined && (spec.user === undefined || !/^0(:|$)/.test(spec.user))) {
    put(doc, sc, 'runAsNonRoot', true);
  }

  const seccomp = profileField(plan.seccomp);
  if (seccomp) {
    put(doc, sc, 'seccompProfile', seccomp);
    // The API server rejects a legacy annotation that disagrees with the field.
    removeAnnotation(doc, ref, seccompAnnotation(ref.name));
  }
  const apparmor = plan.apparmor ? profileField(plan.apparmor) : undefined;
  if (apparmor) {
    put(doc, sc, 'appArmorProfile', apparmor);
    removeAnnotation(doc, ref, apparmorAnnotation(ref.name));
  }

  const limits = editableMap(doc, [...ref.path, 'resources', 'limits']);
  if (limits) {
    put(doc, limits, 'memory', mebibytes(plan.memory));
    if (plan.cpus !== undefined) put(doc, limits, 'cpu', cpuQuantity(plan.cpus));
  }
  // A request above its limit is refused: lower it to the limit.
  const res = ref.container.resources;
  const requests = isObj(res) && isObj(res.requests) ? res.requests : undefined;
  if (requests) {
    const reqMap = editableMap(doc, [...ref.path, 'resources', 'requests']);
    const mem = parseQuantity(requests.memory);
    if (reqMap && mem !== undefined && mem > Math.ceil(plan.memory / MiB) * MiB)
      put(doc, reqMap, 'memory', mebibytes(plan.memory));
    const cpu = parseQuantity(requests.cpu);
    if (reqMap && plan.cpus !== undefined && cpu !== undefined && cpu > plan.cpus)
      put(doc, reqMap, 'cpu', cpuQuantity(plan.cpus));
  }

  for (const ns of plan.privateNamespaces) {
    const key =
      ns === 'network' ? 'hostNetwork' : ns === 'pid' ? 'hostPID' : ns === 'ipc' ? 'hostIPC' : undefined;
    if (key) removeKey(doc, pod, key);
  }

  const ro = new Set(plan.readOnlyMounts);
  const priv = new Set(plan.privatePropagation);
  const vmList = Array.isArray(ref.container.volumeMounts) ? ref.container.volumeMounts : [];
  if (ro.size > 0 || priv.size > 0) {
    const vms = editableChild(doc, c, 'volumeMounts', false);
    vmList.forEach((vm, i) => {
      if (!isObj(vm) || typeof vm.mountPath !== 'string' || !isSeq(vms)) return;
      const item = editableChild(doc, vms, i, false);
      if (!isMap(item)) return;
      if (ro.has(vm.mountPath)) put(doc, item, 'readOnly', true);
      if (priv.has(vm.mountPath) && vm.mountPropagation !== undefined)
        put(doc, item, 'mountPropagation', 'None');
    });
  }

  const mounted = new Set(spec.mounts.map((m) => m.target).filter((t) => t !== undefined));
  const tmpfs = plan.tmpfs.filter((t) => !mounted.has(t.target));
  if (tmpfs.length > 0) {
    const vols = seqAt(doc, pod, 'volumes');
    const vms = seqAt(doc, c, 'volumeMounts');
    if (!vols || !vms) throw new UserError(`${file}: ${ref.resource}: volumes cannot be added`);
    const taken = namesIn(vols);
    for (const t of tmpfs) {
      const name = uniqueName(`${slug(ref.name)}-tmp-${slug(t.target)}`, taken);
      const emptyDir: Record<string, string> = { medium: 'Memory' };
      const size = /(?:^|,)size=([^,]+)/.exec(t.options)?.[1];
      const bytes = size === undefined ? undefined : parseSize(size);
      if (bytes !== undefined && bytes > 0) emptyDir.sizeLimit = mebibytes(bytes);
      vols.add(doc.createNode({ name, emptyDir }) as Node);
      vms.add(doc.createNode({ name, mountPath: t.target }) as Node);
    }
  }
}

/**
 * The manifest stream with each planned container (plans keyed by the parser's `source.resource`,
 * "Deployment/web container app") hardened. Documents without a planned container are kept
 * byte for byte; edited ones keep their comments and unrelated keys.
 */
export function renderKubernetes(text: string, file: string, plans: Map<string, HardeningPlan>): string {
  const sources = parseConfigText(text, file);
  const docs = parseForEdit(text);
  const style = detectYamlStyle(text);
  const pending = new Set(plans.keys());
  const changed = new Set<number>();
  for (const src of sources) {
    const v = src.value;
    // Documents that are no Kubernetes object are left alone, as the loader skips them.
    if (!isObj(v) || typeof v.kind !== 'string') continue;
    const refs = listContainers(src, file);
    if (!refs.some((r) => plans.has(r.resource))) continue;
    const specs = parseKubernetes(src, file);
    const doc = docs[src.index];
    if (!doc) continue;
    refs.forEach((ref, i) => {
      const plan = plans.get(ref.resource);
      const spec = specs[i];
      if (!plan || !spec) return;
      pending.delete(ref.resource);
      hardenContainer(doc, file, ref, spec, plan);
      changed.add(src.index);
    });
  }
  const missing = [...pending][0];
  if (missing !== undefined) throw new UserError(`${file}: no ${missing} to harden`);
  return spliceDocuments(text, docs, changed, style);
}
