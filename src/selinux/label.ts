// Parses and validates container SELinux labels: --security-opt label=..., full contexts and k8s seLinuxOptions.

import { UserError } from '../errors.js';
import type { SelinuxLabel } from '../harden/spec.js';

/**
 * Reference policy builds with MLS_SENS=16 and MLS_CATS=MCS_CATS=1024, so names run s0..s15 and c0..c1023.
 * The targeted (MCS) policy that container hosts run defines s0 only.
 */
export const MAX_SENSITIVITY = 15;
export const MAX_CATEGORY = 1023;
const CATEGORY_COUNT = MAX_CATEGORY + 1;

/** Far above any real label, which runs to a few dozen characters; stops hostile input early. */
export const MAX_LABEL_LENGTH = 4096;
/** Bound on --security-opt entries read at once. */
export const MAX_SECURITY_OPTS = 1024;
/** Policy identifiers are short; this only keeps error messages and tables sane. */
const MAX_NAME_LENGTH = 255;

export type LabelField = 'user' | 'role' | 'type' | 'level' | 'filetype';
const LABEL_FIELDS: readonly LabelField[] = ['user', 'role', 'type', 'level', 'filetype'];

export interface McsLevel {
  /** 0..15 for s0..s15. */
  sensitivity: number;
  /** Sorted, without duplicates. */
  categories: readonly number[];
}

export interface MlsRange {
  low: McsLevel;
  /** Equals low when the text had no "-high" part. */
  high: McsLevel;
}

export interface ParsedLevel {
  text: string;
  /** As the kernel prints it back: sorted, runs of three or more as cA.cB, "low-high" only when they differ. */
  canonical: string;
  range: MlsRange;
  /** Accepted by the kernel but worth telling: unsorted or duplicate categories, sensitivities above s0. */
  warnings: string[];
}

export type LabelSource = 'security-opt' | 'context' | 'kubernetes' | 'spec';
export type Engine = 'docker' | 'podman';

/** A validated label. Structurally a SelinuxLabel, so it drops into ContainerSpec.selinux. */
export interface ContainerLabel extends SelinuxLabel {
  source: LabelSource;
  /** podman label=nested: processes inside may see and set SELinux labels. */
  nested?: boolean;
  /** The parsed level, when one was given. */
  mls?: MlsRange;
  warnings: string[];
}

export type LabelOption =
  | { kind: 'disable' }
  | { kind: 'nested' }
  | { kind: LabelField; value: string; level?: ParsedLevel };

export interface ParsedLabelOption {
  option: LabelOption;
  /** Written as label:... (or bare "disable"): dockerd still reads it but warns that it is deprecated. */
  legacy: boolean;
  raw: string;
}

export interface ParseOptions {
  /** dockerd rejects label=nested; podman accepts it. Unset accepts what either engine accepts. */
  engine?: Engine;
  /** Treat unsorted or duplicate categories as errors instead of warnings. */
  strict?: boolean;
}

function show(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function fail(where: string, msg: string): never {
  throw new UserError(`${where}: ${msg}`);
}

function checkLength(text: string, where: string, what: string): void {
  // Callers may hand over values straight from parsed YAML or JSON.
  if (typeof text !== 'string') fail(where, `${what} must be a string`);
  if (text.length > MAX_LABEL_LENGTH)
    fail(where, `${what} is ${text.length} characters long (limit ${MAX_LABEL_LENGTH})`);
}

// --- MLS/MCS levels ----------------------------------------------------------------------------

const SENS_RE = /^s(0|[1-9][0-9]?)$/;
const CAT_RE = /^c(0|[1-9][0-9]{0,3})$/;

function parseSensitivity(s: string, bad: (why: string) => never): number {
  const m = SENS_RE.exec(s);
  if (!m) {
    if (s === '') return bad('the sensitivity is missing (want s0..s15)');
    if (/^s0[0-9]+$/.test(s)) return bad(`sensitivity ${show(s)} has a leading zero`);
    return bad(`${show(s)} is not a sensitivity (want s0..s15)`);
  }
  const n = Number(m[1]);
  if (n > MAX_SENSITIVITY) return bad(`sensitivity ${s} is out of range (s0..s15)`);
  return n;
}

function parseCategory(s: string, bad: (why: string) => never): number {
  const m = CAT_RE.exec(s);
  if (!m) {
    if (s === '') return bad('empty category (stray or doubled comma?)');
    if (/^c0[0-9]+$/.test(s)) return bad(`category ${show(s)} has a leading zero`);
    if (/^c[0-9]+$/.test(s)) return bad(`category ${s} is out of range (c0..c1023)`);
    return bad(`${show(s)} is not a category (want c0..c1023)`);
  }
  const n = Number(m[1]);
  if (n > MAX_CATEGORY) return bad(`category ${s} is out of range (c0..c1023)`);
  return n;
}

function parseLevelPart(part: string, bad: (why: string) => never, warn: (w: string) => void): McsLevel {
  const colon = part.indexOf(':');
  const sensitivity = parseSensitivity(colon < 0 ? part : part.slice(0, colon), bad);
  if (colon < 0) return { sensitivity, categories: [] };
  const list = part.slice(colon + 1);
  if (list === '') bad(`${show(part)} has a ':' but no categories`);
  const seen = new Uint8Array(CATEGORY_COUNT);
  const dups: number[] = [];
  let last = -1;
  let unsorted = false;
  // The list length is bounded by MAX_LABEL_LENGTH, and every range loop by the 1024 categories.
  for (const item of list.split(',')) {
    const dot = item.indexOf('.');
    let from: number;
    let to: number;
    if (dot < 0) {
      from = parseCategory(item, bad);
      to = from;
    } else {
      const a = item.slice(0, dot);
      const b = item.slice(dot + 1);
      if (b.includes('.')) bad(`category range ${show(item)} has more than one '.'`);
      from = parseCategory(a, bad);
      to = parseCategory(b, bad);
      // The kernel and libsepol need the first category strictly below the second.
      if (from === to) bad(`category range ${item} starts and ends at the same category (write c${from})`);
      if (from > to) bad(`category range ${item} is reversed (write c${to}.c${from})`);
    }
    if (from <= last) unsorted = true;
    for (let c = from; c <= to; c++) {
      if (seen[c]) dups.push(c);
      else seen[c] = 1;
    }
    last = Math.max(last, to);
  }
  if (dups.length > 0) {
    const names = [...new Set(dups)].slice(0, 5).map((c) => `c${c}`);
    warn(`categories listed more than once: ${names.join(', ')}${dups.length > 5 ? ', ...' : ''}`);
  }
  if (unsorted) warn('categories are not in ascending order');
  const categories: number[] = [];
  for (let c = 0; c < CATEGORY_COUNT; c++) if (seen[c]) categories.push(c);
  return { sensitivity, categories };
}

/** True when `a` dominates `b`: sensitivity at least as high and every category of b in a. */
export function dominates(a: McsLevel, b: McsLevel): boolean {
  if (a.sensitivity < b.sensitivity) return false;
  const mine = new Set(a.categories);
  return b.categories.every((c) => mine.has(c));
}

export function levelsEqual(a: McsLevel, b: McsLevel): boolean {
  return (
    a.sensitivity === b.sensitivity &&
    a.categories.length === b.categories.length &&
    a.categories.every((c, i) => c === b.categories[i])
  );
}

/** A level as the kernel prints it: runs of three or more categories collapse to cA.cB. */
export function formatLevel(level: McsLevel): string {
  const cats = level.categories;
  const parts: string[] = [];
  let i = 0;
  while (i < cats.length) {
    let j = i;
    while (j + 1 < cats.length && (cats[j + 1] as number) === (cats[j] as number) + 1) j++;
    const first = cats[i] as number;
    const end = cats[j] as number;
    if (j - i >= 2) parts.push(`c${first}.c${end}`);
    else for (let k = i; k <= j; k++) parts.push(`c${cats[k] as number}`);
    i = j + 1;
  }
  return parts.length > 0 ? `s${level.sensitivity}:${parts.join(',')}` : `s${level.sensitivity}`;
}

export function formatMlsRange(range: MlsRange): string {
  const low = formatLevel(range.low);
  return levelsEqual(range.low, range.high) ? low : `${low}-${formatLevel(range.high)}`;
}

/**
 * An MLS/MCS level or range: "s0", "s0:c1,c2", "s0:c0.c5,c9", "s0-s0:c0.c1023". Rejects what the kernel
 * and libsepol reject (unknown names, reversed or empty ranges, a high level that does not dominate the low).
 */
export function parseMlsRange(text: string, where: string, opts: { strict?: boolean } = {}): ParsedLevel {
  checkLength(text, where, 'SELinux level');
  const bad = (why: string): never => fail(where, `invalid SELinux level ${show(text)}: ${why}`);
  if (text === '') bad('it is empty');
  if (/[\s\0]/.test(text)) bad('it contains whitespace or control characters');
  const warnings: string[] = [];
  const warn = (w: string): void => {
    if (opts.strict) bad(w);
    if (!warnings.includes(w)) warnings.push(w);
  };
  const dash = text.indexOf('-');
  const lowText = dash < 0 ? text : text.slice(0, dash);
  const highText = dash < 0 ? undefined : text.slice(dash + 1);
  if (highText?.includes('-')) bad("it has more than one '-'");
  if (highText === '') bad("nothing follows the '-'");
  const low = parseLevelPart(lowText, bad, warn);
  const high = highText === undefined ? low : parseLevelPart(highText, bad, warn);
  if (!dominates(high, low))
    bad(`the high level ${formatLevel(high)} does not dominate the low level ${formatLevel(low)}`);
  if (high.sensitivity > 0)
    warnings.push(
      `sensitivity s${high.sensitivity} exists only under an MLS policy; the targeted policy of container hosts defines s0 alone`,
    );
  const range = { low, high };
  return { text, canonical: formatMlsRange(range), range, warnings };
}

// --- names and contexts ------------------------------------------------------------------------

// checkpolicy identifiers start with a letter; CIL adds '.' for namespaces. ':' would split the context.
const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]*$/;

function checkName(field: 'user' | 'role' | 'type' | 'filetype', value: string, where: string): void {
  if (value === '') fail(where, `SELinux ${field} is empty`);
  if (value.length > MAX_NAME_LENGTH)
    fail(where, `SELinux ${field} is ${value.length} characters long (limit ${MAX_NAME_LENGTH})`);
  if (!NAME_RE.test(value))
    fail(
      where,
      `invalid SELinux ${field} ${show(value)}: want a policy name (a letter, then letters, digits, '_', '.', '-')`,
    );
}

function nameWarnings(field: LabelField, value: string, out: string[]): void {
  // A common slip is putting a role or user where the type goes; types end in _t by convention.
  if ((field === 'type' || field === 'filetype') && !value.endsWith('_t'))
    out.push(`${field} ${value} does not end in _t; SELinux types conventionally do`);
  if (field === 'role' && value === 'object_r')
    out.push('role object_r is for files; a process label with it is rejected by the kernel');
}

function addWarnings(out: string[], more: readonly string[], prefix = ''): void {
  for (const w of more) if (!out.includes(prefix + w)) out.push(prefix + w);
}

function setField(
  label: ContainerLabel,
  field: LabelField,
  value: string,
  where: string,
  opts: ParseOptions,
): void {
  if (field === 'level') {
    const lv = parseMlsRange(value, where, opts);
    label.level = value;
    label.mls = lv.range;
    addWarnings(label.warnings, lv.warnings, 'level: ');
  } else {
    checkName(field, value, where);
    label[field] = value;
    nameWarnings(field, value, label.warnings);
  }
}

/**
 * A full context "user:role:type[:level]" as in OCI process.selinuxLabel, linux.mountLabel and
 * docker inspect's ProcessLabel / MountLabel. The level may hold colons itself ("s0:c1,c2").
 */
export function parseContext(text: string, where: string, opts: ParseOptions = {}): ContainerLabel {
  checkLength(text, where, 'SELinux context');
  if (text === '') fail(where, 'SELinux context is empty');
  if (/[\s\0]/.test(text))
    fail(where, `invalid SELinux context ${show(text)}: it contains whitespace or control characters`);
  const i1 = text.indexOf(':');
  const i2 = i1 < 0 ? -1 : text.indexOf(':', i1 + 1);
  if (i2 < 0) fail(where, `invalid SELinux context ${show(text)}: want user:role:type[:level]`);
  const i3 = text.indexOf(':', i2 + 1);
  const user = text.slice(0, i1);
  const role = text.slice(i1 + 1, i2);
  const type = i3 < 0 ? text.slice(i2 + 1) : text.slice(i2 + 1, i3);
  const level = i3 < 0 ? undefined : text.slice(i3 + 1);
  if (user === '' || role === '' || type === '')
    fail(where, `invalid SELinux context ${show(text)}: user, role and type must all be set`);
  if (level === '') fail(where, `invalid SELinux context ${show(text)}: nothing follows the last ':'`);
  const label: ContainerLabel = { source: 'context', warnings: [] };
  setField(label, 'user', user, where, opts);
  setField(label, 'role', role, where, opts);
  setField(label, 'type', type, where, opts);
  if (level !== undefined) setField(label, 'level', level, where, opts);
  else label.warnings.push('no level: hosts running the targeted (MCS) policy reject a context without one');
  return label;
}

/** "user:role:type[:level]" for a label that names all three; undefined otherwise. */
export function formatContext(label: SelinuxLabel): string | undefined {
  if (!label.user || !label.role || !label.type) return undefined;
  return `${label.user}:${label.role}:${label.type}${label.level ? `:${label.level}` : ''}`;
}

// --- --security-opt label=... -------------------------------------------------------------------

const OPTION_HINT = 'want disable, nested, or user:, role:, type:, level:, filetype: followed by a value';

/**
 * One --security-opt value. Undefined when it is not a label option (seccomp=..., apparmor=...).
 * dockerd and podman split "key=value" at the first '=' and fall back to the first ':' only when there is
 * no '=' at all; the label value itself always uses ':' (go-selinux InitLabels).
 */
export function parseLabelOption(
  opt: string,
  where: string,
  opts: ParseOptions = {},
): ParsedLabelOption | undefined {
  checkLength(opt, where, 'security option');
  const raw = opt.trim();
  // dockerd writes a bare "disable" into HostConfig.SecurityOpt for --privileged and host namespaces.
  if (raw === 'disable') {
    if (opts.engine === 'podman') fail(where, 'podman does not accept a bare "disable"; write label=disable');
    return { option: { kind: 'disable' }, legacy: true, raw };
  }
  const eq = raw.indexOf('=');
  const colon = raw.indexOf(':');
  let value: string;
  let legacy = false;
  if (eq >= 0) {
    const key = raw.slice(0, eq);
    if (key !== 'label') {
      if (key.startsWith('label:'))
        fail(
          where,
          `security option ${show(raw)} mixes ':' and '='; write ${show(`label=${raw.slice(6).replace('=', ':')}`)}`,
        );
      return undefined;
    }
    value = raw.slice(eq + 1);
  } else if (colon >= 0) {
    if (raw.slice(0, colon) !== 'label') return undefined;
    value = raw.slice(colon + 1);
    legacy = true;
  } else {
    if (raw !== 'label') return undefined;
    return fail(where, `security option "label" needs a value (${OPTION_HINT})`);
  }
  if (value === '') fail(where, `security option ${show(raw)} has no value (${OPTION_HINT})`);
  if (value === 'disable') return { option: { kind: 'disable' }, legacy, raw };
  if (value === 'nested') {
    if (opts.engine === 'docker') fail(where, 'label=nested is a podman option; dockerd rejects it');
    return { option: { kind: 'nested' }, legacy, raw };
  }
  const sep = value.indexOf(':');
  if (sep < 0) {
    const e = value.indexOf('=');
    if (e > 0 && (LABEL_FIELDS as readonly string[]).includes(value.slice(0, e)))
      fail(
        where,
        `label option ${show(value)} needs ':' after the key: ${show(`label=${value.slice(0, e)}:${value.slice(e + 1)}`)}`,
      );
    fail(where, `unknown label option ${show(value)} (${OPTION_HINT})`);
  }
  const key = value.slice(0, sep);
  const v = value.slice(sep + 1);
  if (!(LABEL_FIELDS as readonly string[]).includes(key))
    fail(where, `unknown label option key ${show(key)} (${OPTION_HINT})`);
  const field = key as LabelField;
  if (v === '') fail(where, `label option ${field}: needs a value`);
  if (field === 'level')
    return { option: { kind: 'level', value: v, level: parseMlsRange(v, where, opts) }, legacy, raw };
  checkName(field, v, where);
  return { option: { kind: field, value: v }, legacy, raw };
}

/**
 * All label options of a --security-opt list combined the way the runtimes combine them: a later value for
 * the same key wins, and label=disable wins over everything (InitLabels returns as soon as it meets it).
 * Other security options are ignored.
 */
export function parseSecurityOpts(
  securityOpts: readonly string[],
  where: string,
  opts: ParseOptions = {},
): ContainerLabel {
  if (!Array.isArray(securityOpts)) fail(where, 'security options must be a list');
  if (securityOpts.length > MAX_SECURITY_OPTS)
    fail(where, `${securityOpts.length} security options (limit ${MAX_SECURITY_OPTS})`);
  const label: ContainerLabel = { source: 'security-opt', warnings: [] };
  const given: Partial<Record<LabelField, string>> = {};
  for (const o of securityOpts) {
    if (typeof o !== 'string') fail(where, 'security options must be strings');
    const p = parseLabelOption(o, where, opts);
    if (!p) continue;
    if (p.legacy && p.raw !== 'disable')
      addWarnings(label.warnings, [
        `${p.raw} uses the deprecated ':' separator; write label=${p.raw.slice(6)}`,
      ]);
    const op = p.option;
    if (op.kind === 'disable') label.disable = true;
    else if (op.kind === 'nested') label.nested = true;
    else {
      const before = given[op.kind];
      if (before !== undefined && before !== op.value)
        addWarnings(label.warnings, [
          `${op.kind} given twice (${before}, then ${op.value}); the last one wins`,
        ]);
      given[op.kind] = op.value;
    }
  }
  if (label.disable) {
    const ignored = LABEL_FIELDS.filter((f) => given[f] !== undefined);
    if (ignored.length > 0)
      addWarnings(label.warnings, [
        `label=disable overrides the other label options (${ignored.join(', ')} ignored)`,
      ]);
    return label;
  }
  for (const f of LABEL_FIELDS) {
    const v = given[f];
    if (v !== undefined) setField(label, f, v, where, opts);
  }
  return label;
}

// --- Kubernetes seLinuxOptions -------------------------------------------------------------------

const K8S_FIELDS = ['user', 'role', 'type', 'level'] as const;

/** securityContext.seLinuxOptions {user, role, type, level}; "" and null mean unset, as in the API. */
export function fromKubernetes(value: unknown, where: string, opts: ParseOptions = {}): ContainerLabel {
  const label: ContainerLabel = { source: 'kubernetes', warnings: [] };
  if (value === undefined || value === null) return label;
  if (typeof value !== 'object' || Array.isArray(value)) fail(where, 'seLinuxOptions must be a mapping');
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!(K8S_FIELDS as readonly string[]).includes(k))
      fail(
        where,
        `unknown field seLinuxOptions.${k.length > 40 ? `${k.slice(0, 37)}...` : k} (want user, role, type, level)`,
      );
  }
  for (const k of K8S_FIELDS) {
    const v = obj[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') fail(where, `seLinuxOptions.${k} must be a string`);
    setField(label, k, v, where, opts);
  }
  return label;
}

/** Validates a label another reader already split into fields (ContainerSpec.selinux). */
export function validateLabel(label: SelinuxLabel, where: string, opts: ParseOptions = {}): ContainerLabel {
  const out: ContainerLabel = { source: 'spec', warnings: [] };
  if (label.disable) out.disable = true;
  const nested = (label as { nested?: unknown }).nested;
  if (nested === true) out.nested = true;
  for (const f of LABEL_FIELDS) {
    const v = label[f];
    if (v === undefined) continue;
    if (typeof v !== 'string') fail(where, `SELinux ${f} must be a string`);
    if (v === '') continue;
    if (out.disable) continue;
    setField(out, f, v, where, opts);
  }
  if (out.disable) {
    const ignored = LABEL_FIELDS.filter((f) => typeof label[f] === 'string' && label[f] !== '');
    if (ignored.length > 0)
      out.warnings.push(`label=disable overrides the other label options (${ignored.join(', ')} ignored)`);
  }
  return out;
}

// --- MCS separation ------------------------------------------------------------------------------

/**
 * Under MCS a confined process reaches an object only when its high level dominates the object's level;
 * a container's files carry its low level. Two containers are separated when neither reaches the other's files.
 */
export function mcsSeparated(a: MlsRange, b: MlsRange): boolean {
  return !dominates(a.high, b.low) && !dominates(b.high, a.low);
}

/** True when the range reaches every category (c0.c1023): no MCS separation from anything at its sensitivity. */
export function coversAllCategories(level: McsLevel): boolean {
  return level.categories.length === CATEGORY_COUNT;
}
