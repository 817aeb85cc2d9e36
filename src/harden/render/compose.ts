// Writes a hardening plan into the user's own compose file, keeping its comments, anchors and other keys.

import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  type Node,
  Pair,
  parseAllDocuments,
  type ScalarTag,
  type Tags,
  visit,
  YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { UserError } from '../../errors.js';
import { type PathSeg, parseConfigText } from '../doc.js';
import { parseVolumeShort } from '../inputs/common.js';
import { isObj, parseCompose } from '../inputs/compose.js';
import type { HardeningPlan } from '../plan-types.js';

// ---- YAML editing helpers, shared with the Kubernetes renderer ----------------------------------

export interface YamlStyle {
  indent: number;
  /** Block sequences indented under their key ("key:\n  - a") rather than level with it ("key:\n- a"). */
  indentSeq: boolean;
}

/** The file's own indentation habits, so the rewritten parts look like the rest. */
export function detectYamlStyle(text: string): YamlStyle {
  const lines = text.split('\n', 20_000);
  let indent: number | undefined;
  let indentSeq: boolean | undefined;
  for (let i = 0; i < lines.length - 1 && (indent === undefined || indentSeq === undefined); i++) {
    const m = /^( *)[^\s#-][^#]*:\s*(#.*)?$/.exec(lines[i] as string);
    if (!m) continue;
    const keyIndent = (m[1] as string).length;
    let j = i + 1;
    while (j < lines.length && /^\s*(#.*)?$/.test(lines[j] as string)) j++;
    const next = /^( *)(- |-$)?/.exec(lines[j] ?? '');
    if (!next) continue;
    const nextIndent = (next[1] as string).length;
    if (next[2] !== undefined) {
      if (indentSeq === undefined) indentSeq = nextIndent > keyIndent;
    } else if (indent === undefined && nextIndent > keyIndent) indent = nextIndent - keyIndent;
  }
  return { indent: indent ?? 2, indentSeq: indentSeq ?? true };
}

export function stringifyOptions(style: YamlStyle) {
  return {
    indent: style.indent,
    indentSeq: style.indentSeq,
    // No folding of long strings and no padding inside flow collections: both would rewrite
    // lines the plan never touched.
    lineWidth: 0,
    flowCollectionPadding: false,
  };
}

/**
 * Number tags that write a parsed number back as its source text. Re-stringified, `0755` would
 * become `755`: the same number in YAML 1.2, but Kubernetes reads YAML 1.1, where it is octal.
 */
function keepNumberSource(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t === 'string' || !('resolve' in t) || typeof t.resolve !== 'function') return t;
    if (t.tag !== 'tag:yaml.org,2002:int' && t.tag !== 'tag:yaml.org,2002:float') return t;
    const tag: ScalarTag = t as ScalarTag;
    const wrapped: ScalarTag = {
      ...tag,
      stringify(item, ctx, onComment, onChompKeep) {
        const src = item.source;
        if (typeof src === 'string' && (tag.test?.test(src) ?? false)) {
          let same = false;
          try {
            same = Number(tag.resolve(src, () => {}, {} as never)) === Number(item.value);
          } catch {
            same = false;
          }
          if (same) return src;
        }
        return tag.stringify ? tag.stringify(item, ctx, onComment, onChompKeep) : String(item.value);
      },
    };
    return wrapped;
  });
}

/** Parses for editing with the options doc.ts reads with, so document indexes and merges agree. */
export function parseForEdit(text: string): Document[] {
  const docs = parseAllDocuments(text, {
    merge: true,
    uniqueKeys: true,
    strict: true,
    customTags: keepNumberSource,
  });
  return Array.isArray(docs) ? docs : [];
}

/**
 * Re-stringifying writes one space before every comment ("a: 1   # x" becomes "a: 1 # x"). A line
 * that differs from the original only there is put back as written, so untouched lines stay
 * untouched. Lines found verbatim in the original (block scalar content among them) are never swapped.
 */
export function restoreCommentSpacing(original: string, rendered: string): string {
  const norm = (l: string) => l.replace(/(\S)[ \t]+#/, '$1 #');
  const verbatim = new Set(original.split('\n'));
  const byNorm = new Map<string, string | null>();
  for (const l of verbatim) {
    if (!/\S[ \t]{2,}#|\S\t#/.test(l)) continue;
    const n = norm(l);
    byNorm.set(n, byNorm.has(n) ? null : l); // ambiguous: such lines stay as rendered
  }
  if (byNorm.size === 0) return rendered;
  return rendered
    .split('\n')
    .map((l) => (verbatim.has(l) ? l : (byNorm.get(l) ?? l)))
    .join('\n');
}

/**
 * The stream back as text: untouched documents byte for byte, edited ones re-stringified.
 * Trailing comments after the last document belong to it, so they go with it.
 */
export function spliceDocuments(
  text: string,
  docs: Document[],
  changed: Set<number>,
  style: YamlStyle,
): string {
  let out = '';
  let pos = 0;
  docs.forEach((d, i) => {
    const end = d.range?.[2] ?? pos;
    const original = text.slice(pos, end);
    if (!changed.has(i)) out += original;
    // A JSON document stays JSON (kubectl -o json output, say): YAML's flow style would be neither.
    else if (/^\s*[{[]/.test(original))
      out += `${JSON.stringify(d.toJS({ maxAliasCount: 1000 }), null, 2)}\n`;
    else out += restoreCommentSpacing(original, d.toString(stringifyOptions(style)));
    pos = end;
  });
  const lastChanged = docs.length > 0 && changed.has(docs.length - 1);
  if (!lastChanged) out += text.slice(pos);
  return out;
}

export function isMergeKey(k: unknown): boolean {
  if (!isScalar(k)) return k === '<<';
  return k.value === '<<' || (typeof k.value === 'symbol' && k.value.description === '<<');
}

function keyString(k: unknown): string {
  return isScalar(k) ? String(k.value) : String(k);
}

/** A copy of a node without anchors: a copy that kept them would capture the aliases after it. */
export function ownCopy(node: Node): Node {
  const c = node.clone() as Node;
  visit(c, {
    Node(_, n) {
      if (n.anchor) n.anchor = undefined;
    },
  });
  return c;
}

const MAX_MERGE_DEPTH = 20;

function mergeSources(doc: Document, map: YAMLMap): YAMLMap[] {
  const out: YAMLMap[] = [];
  const add = (n: unknown) => {
    const r = isAlias(n) ? n.resolve(doc) : n;
    if (isMap(r)) out.push(r);
  };
  for (const p of map.items) {
    if (!isMergeKey(p.key)) continue;
    if (isSeq(p.value)) for (const it of p.value.items) add(it);
    else add(p.value);
  }
  return out;
}

/** Keys a map gets from its merge keys (`<<: *base`), in YAML's precedence (earlier sources win). */
function inheritedPairs(doc: Document, map: YAMLMap, depth = 0): Pair[] {
  if (depth > MAX_MERGE_DEPTH) throw new UserError('merge keys nested too deep');
  const out = new Map<string, Pair>();
  for (const src of mergeSources(doc, map)) {
    for (const p of src.items) {
      if (isMergeKey(p.key)) continue;
      const k = keyString(p.key);
      if (!out.has(k)) out.set(k, p as Pair);
    }
    for (const p of inheritedPairs(doc, src, depth + 1)) {
      const k = keyString(p.key);
      if (!out.has(k)) out.set(k, p);
    }
  }
  return [...out.values()];
}

// Keys are matched by their text, as doc.ts does: `8080:` is an integer key the yaml package's own
// lookups would not find under "8080".
function ownPair(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((p) => !isMergeKey(p.key) && keyString(p.key) === key);
}

function ownHas(map: YAMLMap, key: string): boolean {
  return ownPair(map, key) !== undefined;
}

function setOwn(doc: Document, map: YAMLMap, key: string, node: Node): void {
  const pair = ownPair(map, key);
  if (pair) pair.value = node;
  else map.items.push(new Pair(doc.createNode(key), node));
}

function deleteOwn(map: YAMLMap, key: string): void {
  map.items = (map.items as Pair[]).filter((p) => isMergeKey(p.key) || keyString(p.key) !== key);
}

/**
 * The child node at `key`, made safe to edit in place: an alias is replaced by a copy of what it
 * points to, and a key the map only inherits through a merge key is copied in as its own.
 * With `create`, a missing (or null) map is added.
 */
export function editableChild(
  doc: Document,
  parent: YAMLMap | YAMLSeq,
  key: PathSeg,
  create: boolean,
): Node | undefined {
  let node: unknown;
  if (isMap(parent)) {
    const k = String(key);
    const pair = ownPair(parent, k);
    node = pair?.value ?? undefined;
    if (!pair) {
      const inh = inheritedPairs(doc, parent).find((p) => keyString(p.key) === k);
      if (inh && isNode(inh.value)) {
        node = ownCopy(isAlias(inh.value) ? (inh.value.resolve(doc) as Node) : inh.value);
        setOwn(doc, parent, k, node as Node);
      }
    }
    if (isAlias(node)) {
      node = ownCopy(node.resolve(doc) as Node);
      setOwn(doc, parent, k, node as Node);
    }
    if (create && (node === undefined || node === null || (isScalar(node) && node.value === null))) {
      node = new YAMLMap();
      setOwn(doc, parent, k, node as Node);
    }
  } else {
    if (typeof key !== 'number') return undefined;
    node = parent.get(key, true);
    if (isAlias(node)) {
      node = ownCopy(node.resolve(doc) as Node);
      parent.set(key, node);
    }
  }
  return isNode(node) ? node : undefined;
}

/** The map at `path`, each step made editable; missing maps are created. Undefined when a step is no collection. */
export function editableMap(doc: Document, path: readonly PathSeg[]): YAMLMap | undefined {
  let cur: unknown = doc.contents;
  if (isAlias(cur)) return undefined;
  for (const seg of path) {
    if (!isMap(cur) && !isSeq(cur)) return undefined;
    cur = editableChild(doc, cur, seg, true);
  }
  return isMap(cur) ? cur : undefined;
}

/** Sets a key to a plain value, keeping the comments of the node it replaces. */
export function put(doc: Document, map: YAMLMap, key: string, value: unknown, flow?: boolean): void {
  const old = ownPair(map, key)?.value;
  // A scalar of the same type is updated in place: its quoting and comments stay as written.
  if (isScalar(old) && value !== null && typeof old.value === typeof value && typeof value !== 'object') {
    old.value = value;
    return;
  }
  const node = doc.createNode(value) as Node;
  if (isSeq(node) || isMap(node)) {
    if (isSeq(old) || isMap(old)) node.flow = old.flow ?? false;
    else if (flow !== undefined) node.flow = flow;
  }
  if (isNode(old)) {
    if (old.commentBefore) node.commentBefore = old.commentBefore;
    if (old.comment) node.comment = old.comment;
  }
  setOwn(doc, map, key, node);
}

/**
 * Removes a key. A key the map inherits through a merge key cannot be deleted from it: it is
 * overridden with `neutral` when given, else the merge is written out first (the inherited keys
 * become the map's own, and `<<` goes).
 */
export function removeKey(doc: Document, map: YAMLMap, key: string, neutral?: unknown): void {
  const inherited = inheritedPairs(doc, map);
  if (!inherited.some((p) => keyString(p.key) === key)) {
    deleteOwn(map, key);
    return;
  }
  // Where an explicit value means the same as no key, it overrides the inherited one more quietly.
  if (neutral !== undefined) {
    put(doc, map, key, neutral);
    return;
  }
  deleteOwn(map, key);
  const items: Pair[] = [];
  let placed = false;
  for (const p of map.items as Pair[]) {
    if (!isMergeKey(p.key)) {
      items.push(p);
      continue;
    }
    if (placed) continue;
    placed = true;
    for (const ip of inherited) {
      const k = keyString(ip.key);
      if (k === key || ownHas(map, k)) continue;
      const v = isAlias(ip.value) ? (ip.value.resolve(doc) as Node) : (ip.value as Node | null);
      items.push(new Pair(doc.createNode(k), v ? ownCopy(v) : null));
    }
  }
  map.items = items;
}

// ---- Compose ---------------------------------------------------------------------------------------

/** "536870912" → "512m": the units compose users write. Always a string (deploy.resources wants one). */
export function composeSize(bytes: number): string {
  for (const [unit, n] of [
    ['g', 2 ** 30],
    ['m', 2 ** 20],
    ['k', 2 ** 10],
  ] as const)
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  return `${bytes}b`;
}

const capName = (c: string) => c.replace(/^CAP_/, '');

/** The service's security_opt list rewritten for the plan; labels and other settings stay. */
function securityOpts(existing: unknown, plan: HardeningPlan): string[] {
  const list = Array.isArray(existing) ? existing.filter((x): x is string => typeof x === 'string') : [];
  const out: string[] = [];
  const keyOf = (o: string) => /^([a-z-]+)(?:[=:]|$)/.exec(o.trim())?.[1] ?? '';
  let haveSeccomp = false;
  let haveApparmor = false;
  for (const o of list) {
    const key = keyOf(o);
    const value = o.trim().slice(key.length + 1);
    if (key === 'no-new-privileges') continue;
    if (key === 'seccomp') {
      if (plan.seccomp.kind !== 'custom' || value === 'unconfined') continue;
      haveSeccomp = true;
    }
    if (key === 'apparmor') {
      if (plan.apparmor === undefined) {
        if (value === 'unconfined') continue;
      } else if (plan.apparmor.kind !== 'custom' || value === 'unconfined') continue;
      haveApparmor = true;
    }
    out.push(o);
  }
  out.unshift('no-new-privileges:true');
  if (plan.seccomp.kind === 'custom' && !haveSeccomp && plan.seccomp.ref !== 'inline JSON profile')
    out.push(`seccomp=${plan.seccomp.ref}`);
  if (plan.apparmor?.kind === 'default') out.push('apparmor=docker-default');
  else if (plan.apparmor?.kind === 'custom' && !haveApparmor) out.push(`apparmor=${plan.apparmor.ref}`);
  return out;
}

const SHARED_PROPAGATION = /^(r?shared|r?slave)$/;

/** A short-syntax volume made read-only and/or privately propagated. */
function editShortVolume(
  item: string,
  target: string,
  ro: boolean,
  priv: boolean,
): string | Record<string, unknown> {
  const segs = item.split(':');
  // A lone container path (an anonymous volume) has no options to add to: the long form does.
  if (segs.length === 1) return ro ? { type: 'volume', target, read_only: true } : item;
  const hasOpts = !item.endsWith(`:${target}`);
  const head = hasOpts ? item.slice(0, item.lastIndexOf(':')) : item;
  let opts = hasOpts ? (segs[segs.length - 1] as string).split(',').filter(Boolean) : [];
  if (ro) opts = [...opts.filter((o) => !['ro', 'rw', 'readonly'].includes(o)), 'ro'];
  if (priv) opts = opts.map((o) => (SHARED_PROPAGATION.test(o) ? 'rprivate' : o));
  return opts.length > 0 ? `${head}:${opts.join(',')}` : head;
}

/** The container path of a `volumes` entry, read with the parser's grammar. */
function volumeTarget(item: unknown): string | undefined {
  if (isObj(item)) return typeof item.target === 'string' ? item.target : undefined;
  if (typeof item !== 'string') return undefined;
  try {
    return parseVolumeShort(item, '').target;
  } catch {
    return undefined; // interpolation the parser skipped too
  }
}

function editVolumes(doc: Document, svc: YAMLMap, merged: unknown[], plan: HardeningPlan): void {
  const ro = new Set(plan.readOnlyMounts);
  const priv = new Set(plan.privatePropagation);
  if (ro.size === 0 && priv.size === 0) return;
  const seq = editableChild(doc, svc, 'volumes', false);
  if (!isSeq(seq)) return;
  merged.forEach((item, i) => {
    const target = volumeTarget(item);
    if (target === undefined || (!ro.has(target) && !priv.has(target))) return;
    const old = editableChild(doc, seq, i, false);
    if (typeof item === 'string') {
      const next = editShortVolume(item, target, ro.has(target), priv.has(target));
      if (typeof next === 'string' && isScalar(old)) old.value = next;
      else seq.set(i, doc.createNode(next));
    } else if (isMap(old)) {
      if (ro.has(target)) put(doc, old, 'read_only', true);
      if (priv.has(target) && isObj(item) && isObj(item.bind) && typeof item.bind.propagation === 'string') {
        const bind = editableChild(doc, old, 'bind', false);
        if (isMap(bind)) put(doc, bind, 'propagation', 'rprivate');
      }
    }
  });
}

function hardenService(
  doc: Document,
  file: string,
  name: string,
  merged: Record<string, unknown>,
  plan: HardeningPlan,
): void {
  const svc = editableMap(doc, ['services', name]);
  if (!svc) throw new UserError(`${file}: service "${name}" cannot be edited (its definition is not a map)`);
  const putIn = (m: YAMLMap | undefined, k: string, v: unknown) => {
    if (m) put(doc, m, k, v);
  };

  put(doc, svc, 'cap_drop', ['ALL'], true);
  if (plan.capAdd.length > 0) put(doc, svc, 'cap_add', plan.capAdd.map(capName), plan.capAdd.length <= 3);
  else removeKey(doc, svc, 'cap_add', []);
  removeKey(doc, svc, 'privileged', false);
  put(doc, svc, 'security_opt', securityOpts(merged.security_opt, plan));
  put(doc, svc, 'read_only', true);

  if (plan.tmpfs.length > 0) {
    const planned = new Set(plan.tmpfs.map((t) => t.target));
    const existing =
      typeof merged.tmpfs === 'string' ? [merged.tmpfs] : Array.isArray(merged.tmpfs) ? merged.tmpfs : [];
    const kept = existing.filter(
      (t): t is string => typeof t === 'string' && !planned.has(t.split(':', 1)[0]?.trim() ?? ''),
    );
    put(doc, svc, 'tmpfs', [
      ...kept,
      ...plan.tmpfs.map((t) => (t.options ? `${t.target}:${t.options}` : t.target)),
    ]);
  }

  // deploy.resources.limits is updated only where the file has it: compose refuses the two disagreeing.
  const deploy = isObj(merged.deploy) ? merged.deploy : undefined;
  const limits =
    deploy && isObj(deploy.resources) && isObj(deploy.resources.limits) ? deploy.resources.limits : undefined;
  const limitsMap = () => editableMap(doc, ['services', name, 'deploy', 'resources', 'limits']);
  put(doc, svc, 'mem_limit', composeSize(plan.memory));
  if (limits?.memory !== undefined) putIn(limitsMap(), 'memory', composeSize(plan.memory));
  put(doc, svc, 'memswap_limit', plan.memorySwap < 0 ? -1 : composeSize(plan.memorySwap));
  put(doc, svc, 'pids_limit', plan.pidsLimit);
  if (limits?.pids !== undefined) putIn(limitsMap(), 'pids', plan.pidsLimit);
  if (plan.cpus !== undefined) {
    put(doc, svc, 'cpus', plan.cpus);
    if (limits?.cpus !== undefined) putIn(limitsMap(), 'cpus', plan.cpus);
  }
  if (plan.user !== undefined) put(doc, svc, 'user', plan.user);

  const hostKeys: Record<string, string> = {
    network: 'network_mode',
    pid: 'pid',
    ipc: 'ipc',
    uts: 'uts',
    userns: 'userns_mode',
  };
  for (const ns of plan.privateNamespaces) {
    if (ns === 'cgroupns') {
      if (merged.cgroup === 'host') put(doc, svc, 'cgroup', 'private');
      continue;
    }
    const key = hostKeys[ns] as string;
    if (merged[key] === 'host') removeKey(doc, svc, key);
  }

  if (Array.isArray(merged.volumes)) editVolumes(doc, svc, merged.volumes, plan);

  if (plan.restart) {
    put(doc, svc, 'restart', `${plan.restart.policy}:${plan.restart.maxRetries}`);
    if (deploy && isObj(deploy.restart_policy)) {
      const rp = editableMap(doc, ['services', name, 'deploy', 'restart_policy']);
      putIn(rp, 'condition', plan.restart.policy);
      putIn(rp, 'max_attempts', plan.restart.maxRetries);
    }
  }
}

/**
 * The compose file with each planned service (plans are keyed by service name) hardened in place.
 * Services without a plan, comments, anchors and unrelated keys are kept.
 */
export function renderCompose(text: string, file: string, plans: Map<string, HardeningPlan>): string {
  const sources = parseConfigText(text, file);
  const docs = parseForEdit(text);
  const style = detectYamlStyle(text);
  const pending = new Set(plans.keys());
  const changed = new Set<number>();
  for (const src of sources) {
    const specs = parseCompose(src, file);
    const root = src.value;
    if (!isObj(root) || !isObj(root.services)) continue;
    const doc = docs[src.index];
    if (!doc) continue;
    for (const spec of specs) {
      const name = spec.source.resource.replace(/^service /, '');
      const plan = plans.get(name);
      const merged = root.services[name];
      if (!plan || !isObj(merged)) continue;
      pending.delete(name);
      hardenService(doc, file, name, merged, plan);
      changed.add(src.index);
    }
  }
  const missing = [...pending][0];
  if (missing !== undefined) throw new UserError(`${file}: no service "${missing}" to harden`);
  return spliceDocuments(text, docs, changed, style);
}
