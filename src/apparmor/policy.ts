// Generates AppArmor profiles for containers from a small policy file (TOML or YAML).
//
// The TOML form is bane's input (genuinetools/bane: Name, [Filesystem] ReadOnlyPaths,
// LogOnWritePaths, WritablePaths, AllowExec, DenyExec, [Capabilities] Allow, Deny, [Network] Raw,
// Packet, Protocols) with bane's meaning: read-only paths become `deny PATH wl,`, logged writes
// `audit PATH w,`, writable paths `PATH w,`, allowed executables `PATH ix,`, denied ones
// `deny PATH mrwklx,`; Capabilities.Allow lists the only capabilities, Deny alone means all but
// those; raw and packet sockets are denied unless set to true; Protocols narrow `network,` to
// `network inet PROTO,`; a TOML Name gets bane's "docker-" prefix. On top of that: `base:
// docker-default` starts from Docker's rendered default profile and adds the policy inside its
// block; `deny:` paths; `mount`, `ptrace` and `signal` modes; and extra `rules:` lines.
//
// Every value that reaches the profile is checked so that no policy value, however hostile, can end
// a rule early, open or close a block, start a comment or an include, or leave confinement.

import { describe, UserError } from '../errors.js';
import { isKnownCap, normalizeCap } from '../harden/caps.js';
import { type PathSeg, parseConfigText } from '../harden/doc.js';
import { isTomlTable, parseToml, TomlDateTime, TomlError } from '../util/toml-lite.js';
import { allProfiles, parseAppArmor } from './parse.js';
import {
  checkProfileName,
  type DockerDefaultVersion,
  dockerDefaultInputs,
  renderDockerDefault,
  TYPICAL_HOST_INPUTS,
} from './template.js';

export type PolicyBase = 'none' | 'docker-default' | 'docker-default-v24.0.0';
export type PtraceMode = 'container' | 'deny' | 'allow';
export type SignalMode = 'container' | 'deny' | 'allow';

export interface DenyPath {
  path: string;
  /** Permissions to deny (default "rwklx", as docker-default denies sysrq-trigger). */
  perms: string;
}

export interface AppArmorPolicy {
  name: string;
  base: PolicyBase;
  filesystem: {
    readOnlyPaths: string[];
    logOnWritePaths: string[];
    writablePaths: string[];
    allowExec: string[];
    denyExec: string[];
  };
  capabilities: { allow: string[]; deny: string[] };
  /** Undefined raw/packet: denied in a standalone profile, left as the base has them otherwise. */
  network: { raw?: boolean; packet?: boolean; protocols: string[] };
  deny: DenyPath[];
  /** Default: denied (as docker-default and bane do). */
  mount?: 'deny' | 'allow';
  /** Default: no ptrace rule (standalone) or the base's own rule. */
  ptrace?: PtraceMode;
  /** Default "container": the signal peers docker-default allows. */
  signal?: SignalMode;
  /** Extra rules, one statement each, written at the end of the profile block. */
  rules: string[];
}

export interface GenerateOptions {
  /** The host's AppArmor inputs, as for docker-default (default: a Debian/Ubuntu host). */
  abi?: string;
  imports?: string[];
  innerImports?: string[];
  daemonProfile?: string;
}

export const MAX_POLICY_CHARS = 1024 * 1024;
const MAX_LIST = 4096;
const MAX_PATH = 4096;
const MAX_RULE = 1024;
const MAX_BRACE_DEPTH = 8;
const PROTOCOLS = new Set(['tcp', 'udp', 'icmp']);
const DENY_PERMS = /^[rwaklmx]{1,7}$/;

// ---------------------------------------------------------------------------------------------
// Value checks shared by the policy reader and the generator

/**
 * Checks one path glob for a file rule: it must start with '/' or '@{', hold no space, quote,
 * backslash, '#', control character or stray ',' '{' '}' '[' ']' '^', and braces and brackets must
 * balance, so that `PATH PERMS,` stays exactly one rule.
 */
export function checkAaPath(p: unknown, what: string): string {
  if (typeof p !== 'string') throw new UserError(`${what}: expected a path string`);
  if (p.length === 0 || p.length > MAX_PATH)
    throw new UserError(`${what}: path must be 1-${MAX_PATH} characters`);
  const bad = (why: string): UserError =>
    new UserError(`${what}: path ${JSON.stringify(p.slice(0, 80))} ${why}`);
  if (!p.startsWith('/') && !p.startsWith('@{')) throw bad("must start with '/' or '@{'");
  if (p.includes('->')) throw bad("must not contain '->'");
  let braces = 0;
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    const code = c.charCodeAt(0);
    if (code < 0x21 || code === 0x7f || (code >= 0x80 && code <= 0x9f) || c === '\u2028' || c === '\u2029') {
      throw bad('must not contain spaces or control characters');
    }
    if ('"\\#\'()'.includes(c)) throw bad(`must not contain ${JSON.stringify(c)}`);
    if (inClass) {
      if (c === ']') inClass = false;
      else if (c === '[' || c === '{' || c === '}' || c === ',')
        throw bad(`has ${JSON.stringify(c)} inside [...]`);
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (p[i + 1] === '^') i++;
      if (p[i + 1] === ']') throw bad('has an empty [...]');
    } else if (c === ']') throw bad("has ']' without '['");
    else if (c === '^') throw bad("has '^' outside [^...]");
    else if (c === '{') {
      if (++braces > MAX_BRACE_DEPTH) throw bad('nests {...} too deeply');
      if (p[i - 1] === '@' && !/^[A-Za-z_][A-Za-z0-9_]*\}/.test(p.slice(i + 1)))
        throw bad('has a bad @{VARIABLE}');
    } else if (c === '}') {
      if (--braces < 0) throw bad("has '}' without '{'");
    } else if (c === ',' && braces === 0) throw bad("has ',' outside {...}");
  }
  if (inClass) throw bad("has '[' without ']'");
  if (braces !== 0) throw bad("has '{' without '}'");
  return p;
}

/** A capability name as AppArmor writes it (lower case, no CAP_ prefix); known to Linux. */
export function checkCapability(c: unknown, what: string): string {
  if (typeof c !== 'string') throw new UserError(`${what}: expected a capability name`);
  const n = normalizeCap(c);
  if (n === 'ALL' || !isKnownCap(n) || !/^CAP_[A-Z_]+$/.test(n)) {
    throw new UserError(`${what}: ${JSON.stringify(c.slice(0, 60))} is not a Linux capability`);
  }
  return n.slice(4).toLowerCase();
}

function checkProtocol(p: unknown, what: string): string {
  if (typeof p !== 'string' || !PROTOCOLS.has(p.toLowerCase())) {
    throw new UserError(`${what}: protocol must be one of ${[...PROTOCOLS].join(', ')}`);
  }
  return p.toLowerCase();
}

const RULE_KINDS = new Set([
  'file',
  'link',
  'capability',
  'network',
  'signal',
  'ptrace',
  'mount',
  'remount',
  'umount',
  'pivot_root',
  'dbus',
  'unix',
  'rlimit',
]);

/**
 * Checks one extra rule: a single statement ending in ',' that the profile parser reads as one known
 * rule. Refused: anything that could end the rule early or open/close a block (newlines, '#', stray
 * ',' '{' '}'), includes, child profiles, and rules that leave confinement (change_profile, ux).
 */
export function checkRawRule(r: unknown, what: string): string {
  if (typeof r !== 'string') throw new UserError(`${what}: expected a rule string`);
  const rule = r.trim();
  const bad = (why: string): UserError =>
    new UserError(`${what}: rule ${JSON.stringify(rule.slice(0, 80))} ${why}`);
  if (rule.length === 0 || rule.length > MAX_RULE)
    throw new UserError(`${what}: rule must be 1-${MAX_RULE} characters`);
  if (!rule.endsWith(',')) throw bad("must end with ','");
  let braces = 0;
  let parens = 0;
  let quoted = false;
  for (let i = 0; i < rule.length; i++) {
    const c = rule[i] as string;
    const code = c.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f) || c === '\u2028' || c === '\u2029') {
      throw bad('must be one line without control characters');
    }
    if (c === '\\') throw bad('must not contain a backslash');
    if (c === '"') {
      quoted = !quoted;
      continue;
    }
    if (quoted) continue;
    if (c === '#') throw bad("must not contain '#' (comments and includes are not allowed)");
    if (c === '{') {
      if (i === 0 || /\s/.test(rule[i - 1] as string)) throw bad("must not open a block with '{'");
      if (++braces > MAX_BRACE_DEPTH) throw bad('nests {...} too deeply');
    } else if (c === '}') {
      if (--braces < 0) throw bad("has '}' without '{'");
    } else if (c === '(') parens++;
    else if (c === ')') {
      if (--parens < 0) throw bad("has ')' without '('");
    } else if (c === ',' && braces === 0 && parens === 0 && i !== rule.length - 1) {
      throw bad('must be a single rule (one trailing comma)');
    }
  }
  if (quoted || braces !== 0 || parens !== 0) throw bad('has unbalanced quotes, braces or parentheses');
  const doc = parseAppArmor(`profile x {\n  ${rule}\n}\n`, what);
  const profiles = allProfiles(doc);
  const only = profiles[0];
  const parsed = only?.rules[0];
  if (doc.issues.length > 0 || profiles.length !== 1 || !only || only.rules.length !== 1 || !parsed) {
    throw bad(
      `is not an AppArmor rule drydock understands${doc.issues[0] ? `: ${doc.issues[0].message}` : ''}`,
    );
  }
  if (only.includes.length > 0 || only.variables.length > 0)
    throw bad('must not be an include or a variable');
  if (!RULE_KINDS.has(parsed.kind)) throw bad(`is a ${parsed.kind} rule, which policies may not add`);
  if (parsed.kind === 'file' && !parsed.deny && (/u/i.test(parsed.perms) || parsed.target === 'unconfined')) {
    throw bad('would allow an unconfined exec');
  }
  return rule;
}

// ---------------------------------------------------------------------------------------------
// Reading a policy file

type Plain = Record<string, unknown>;

function keyNorm(k: string): string {
  return k.toLowerCase().replace(/[_-]/g, '');
}

class Reader {
  constructor(
    readonly file: string,
    readonly lineOf: (path: readonly PathSeg[]) => number | undefined,
  ) {}

  err(path: readonly PathSeg[], msg: string): UserError {
    const line = this.lineOf(path);
    const where = path.length > 0 ? `${path.join('.')}: ` : '';
    return new UserError(`${this.file}${line ? `:${line}` : ''}: ${where}${msg}`);
  }

  /** The table's entries by normalised key; unknown keys are an error naming the allowed ones. */
  table(v: unknown, path: readonly PathSeg[], allowed: readonly string[]): Map<string, [string, unknown]> {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof TomlDateTime) {
      throw this.err(path, 'expected a table/mapping');
    }
    const out = new Map<string, [string, unknown]>();
    for (const [k, val] of Object.entries(v as Plain)) {
      const n = keyNorm(k);
      if (!allowed.includes(n)) {
        throw this.err([...path, k], `unknown key (allowed: ${allowed.join(', ')})`);
      }
      if (out.has(n)) throw this.err([...path, k], `duplicate of ${out.get(n)?.[0]}`);
      out.set(n, [k, val]);
    }
    return out;
  }

  list<T>(v: unknown, path: readonly PathSeg[], check: (x: unknown, what: string) => T): T[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw this.err(path, 'expected a list');
    if (v.length > MAX_LIST) throw this.err(path, `more than ${MAX_LIST} entries`);
    return v.map((x, i) => this.wrap([...path, i], () => check(x, 'value')));
  }

  /** Runs a value check and re-throws its error with this file's location. */
  wrap<T>(path: readonly PathSeg[], f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof UserError) throw this.err(path, e.message.replace(/^value: /, ''));
      throw e;
    }
  }

  bool(v: unknown, path: readonly PathSeg[]): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw this.err(path, 'expected true or false');
    return v;
  }

  choice<T extends string>(v: unknown, path: readonly PathSeg[], values: readonly T[]): T | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      throw this.err(path, `expected one of ${values.join(', ')}`);
    }
    return v as T;
  }
}

function denyEntry(x: unknown, what: string): DenyPath {
  if (typeof x === 'string') return { path: checkAaPath(x, what), perms: 'rwklx' };
  if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
    const o = x as Plain;
    const keys = Object.keys(o).map(keyNorm);
    const extra = keys.find((k) => k !== 'path' && k !== 'perms');
    if (extra !== undefined) throw new UserError(`${what}: unknown key ${extra} (allowed: path, perms)`);
    const entry = Object.entries(o);
    const pathV = entry.find(([k]) => keyNorm(k) === 'path')?.[1];
    const permsV = entry.find(([k]) => keyNorm(k) === 'perms')?.[1] ?? 'rwklx';
    if (typeof permsV !== 'string' || !DENY_PERMS.test(permsV)) {
      throw new UserError(`${what}: perms must be letters from r w a k l m x`);
    }
    return { path: checkAaPath(pathV, what), perms: permsV };
  }
  throw new UserError(`${what}: expected a path or {path, perms}`);
}

/**
 * Builds a policy from a parsed TOML table or YAML mapping. `bane` applies bane's name rule (prefix
 * "docker-"). Errors name the file, the key and (for YAML) the line.
 */
export function policyFromValue(
  value: unknown,
  file: string,
  opts: { bane?: boolean; lineOf?: (path: readonly PathSeg[]) => number | undefined } = {},
): AppArmorPolicy {
  const rd = new Reader(file, opts.lineOf ?? (() => undefined));
  const top = rd.table(
    value,
    [],
    ['name', 'base', 'filesystem', 'capabilities', 'network', 'deny', 'mount', 'ptrace', 'signal', 'rules'],
  );
  const get = (m: Map<string, [string, unknown]>, k: string): [PathSeg[], unknown] => {
    const e = m.get(k);
    return [[e?.[0] ?? k], e?.[1]];
  };
  const [namePath, nameV] = get(top, 'name');
  if (typeof nameV !== 'string' || nameV === '')
    throw rd.err(namePath, 'a profile name (string) is required');
  const name = opts.bane && !nameV.startsWith('docker-') ? `docker-${nameV}` : nameV;
  rd.wrap(namePath, () => checkProfileName(name));
  const [basePath, baseV] = get(top, 'base');
  const base =
    rd.choice(baseV, basePath, ['none', 'docker-default', 'docker-default-v24.0.0'] as const) ?? 'none';

  const sub = (k: string, allowed: string[]): [PathSeg[], Map<string, [string, unknown]>] => {
    const [p, v] = get(top, k);
    return [p, v === undefined || v === null ? new Map() : rd.table(v, p, allowed)];
  };
  const [fsPath, fs] = sub('filesystem', [
    'readonlypaths',
    'logonwritepaths',
    'writablepaths',
    'allowexec',
    'denyexec',
  ]);
  const paths = (k: string): string[] => {
    const e = fs.get(k);
    return rd.list(e?.[1], [...fsPath, e?.[0] ?? k], checkAaPath);
  };
  const [capPath, caps] = sub('capabilities', ['allow', 'deny']);
  const capList = (k: string): string[] => {
    const e = caps.get(k);
    return rd.list(e?.[1], [...capPath, e?.[0] ?? k], checkCapability);
  };
  const [netPath, net] = sub('network', ['raw', 'packet', 'protocols']);
  const netE = (k: string): [PathSeg[], unknown] => {
    const e = net.get(k);
    return [[...netPath, e?.[0] ?? k], e?.[1]];
  };
  const policy: AppArmorPolicy = {
    name,
    base,
    filesystem: {
      readOnlyPaths: paths('readonlypaths'),
      logOnWritePaths: paths('logonwritepaths'),
      writablePaths: paths('writablepaths'),
      allowExec: paths('allowexec'),
      denyExec: paths('denyexec'),
    },
    capabilities: { allow: capList('allow'), deny: capList('deny') },
    network: { protocols: rd.list(netE('protocols')[1], netE('protocols')[0], checkProtocol) },
    deny: rd.list(get(top, 'deny')[1], get(top, 'deny')[0], denyEntry),
    rules: rd.list(get(top, 'rules')[1], get(top, 'rules')[0], checkRawRule),
  };
  const raw = rd.bool(netE('raw')[1], netE('raw')[0]);
  const packet = rd.bool(netE('packet')[1], netE('packet')[0]);
  if (raw !== undefined) policy.network.raw = raw;
  if (packet !== undefined) policy.network.packet = packet;
  const mount = rd.choice(get(top, 'mount')[1], get(top, 'mount')[0], ['deny', 'allow'] as const);
  const ptrace = rd.choice(get(top, 'ptrace')[1], get(top, 'ptrace')[0], [
    'container',
    'deny',
    'allow',
  ] as const);
  const signal = rd.choice(get(top, 'signal')[1], get(top, 'signal')[0], [
    'container',
    'deny',
    'allow',
  ] as const);
  if (mount) policy.mount = mount;
  if (ptrace) policy.ptrace = ptrace;
  if (signal) policy.signal = signal;
  return policy;
}

export type PolicyFormat = 'toml' | 'yaml';

/** The format by file extension, else by the first statement (a TOML `[table]` or `key = value`). */
export function policyFormat(text: string, file: string): PolicyFormat {
  const ext = file.toLowerCase().split('.').pop();
  if (ext === 'toml') return 'toml';
  if (ext === 'yaml' || ext === 'yml' || ext === 'json') return 'yaml';
  for (const l of text.split('\n', 200)) {
    const t = l.trim();
    if (t === '' || t.startsWith('#')) continue;
    return /^\[[^\]]+\]$/.test(t) || /^[A-Za-z0-9_."'-]+\s*=/.test(t) ? 'toml' : 'yaml';
  }
  return 'yaml';
}

/** Reads policy text (TOML as bane writes it, or YAML/JSON). */
export function parsePolicy(
  text: string,
  file: string,
  format: PolicyFormat = policyFormat(text, file),
): AppArmorPolicy {
  if (text.length > MAX_POLICY_CHARS) {
    throw new UserError(
      `${file}: larger than ${MAX_POLICY_CHARS} characters; policy files that large are refused`,
    );
  }
  if (format === 'toml') {
    let table: unknown;
    try {
      table = parseToml(text, { maxDepth: 16, maxValues: 100_000 });
    } catch (e) {
      if (e instanceof TomlError) throw new UserError(`${file}:${e.line}: not valid TOML: ${e.message}`);
      throw new UserError(`${file}: not valid TOML: ${describe(e)}`);
    }
    if (!isTomlTable(table)) throw new UserError(`${file}: expected a TOML table`);
    return policyFromValue(table, file, { bane: true });
  }
  const docs = parseConfigText(text, file).filter((d) => d.value !== null && d.value !== undefined);
  if (docs.length !== 1)
    throw new UserError(`${file}: expected one YAML document with the policy, found ${docs.length}`);
  const doc = docs[0] as (typeof docs)[number];
  return policyFromValue(doc.value, file, { lineOf: (p) => doc.lineOf(p) });
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Re-checks a policy built by code (not read from a file) before any value reaches the profile. */
function checked(p: AppArmorPolicy): AppArmorPolicy {
  return policyFromValue(
    {
      name: p.name,
      base: p.base,
      filesystem: {
        readOnlyPaths: p.filesystem.readOnlyPaths,
        logOnWritePaths: p.filesystem.logOnWritePaths,
        writablePaths: p.filesystem.writablePaths,
        allowExec: p.filesystem.allowExec,
        denyExec: p.filesystem.denyExec,
      },
      capabilities: { allow: p.capabilities.allow, deny: p.capabilities.deny },
      network: { raw: p.network.raw, packet: p.network.packet, protocols: p.network.protocols },
      deny: p.deny,
      mount: p.mount,
      ptrace: p.ptrace,
      signal: p.signal,
      rules: p.rules,
    },
    'policy',
  );
}

function fileRules(p: AppArmorPolicy): string[] {
  const out: string[] = [];
  const section = (comment: string, lines: string[]): void => {
    if (lines.length > 0) out.push(`  # ${comment}`, ...lines);
  };
  const fs = p.filesystem;
  section(
    'read-only paths',
    fs.readOnlyPaths.map((x) => `  deny ${x} wl,`),
  );
  section(
    'writes to these paths are logged',
    fs.logOnWritePaths.map((x) => `  audit ${x} w,`),
  );
  section(
    'writable paths',
    fs.writablePaths.map((x) => `  ${x} w,`),
  );
  section(
    'executables allowed (they inherit this profile)',
    fs.allowExec.map((x) => `  ${x} ix,`),
  );
  section(
    'executables denied',
    fs.denyExec.map((x) => `  deny ${x} mrwklx,`),
  );
  section(
    'denied paths',
    p.deny.map((d) => `  deny ${d.path} ${d.perms},`),
  );
  return out;
}

function signalRules(name: string, daemon: string): string[] {
  return [
    '  # Host (privileged) processes, runc, crun and the daemon may signal container processes.',
    '  signal (receive) peer=unconfined,',
    '  signal (receive) peer=runc,',
    '  signal (receive) peer=crun,',
    `  signal (receive) peer="${daemon}",`,
    '  # Container processes may signal each other.',
    `  signal (send,receive) peer="${name}",`,
  ];
}

const PTRACE_CONTAINER = (name: string): string => `  ptrace (trace,tracedby,read,readby) peer="${name}",`;

// The /proc and /sys protections of Docker's current default profile (moby profiles/apparmor).
const KERNEL_DENIES = [
  '  # Kernel interfaces: as in docker-default.',
  '  deny @{PROC}/* w,',
  '  deny @{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/** w,',
  '  deny @{PROC}/sys/[^k]** w,',
  '  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,',
  '  deny @{PROC}/sysrq-trigger rwklx,',
  '  deny @{PROC}/kcore rwklx,',
  '  deny /sys/[^f]*/** wklx,',
  '  deny /sys/f[^s]*/** wklx,',
  '  deny /sys/fs/[^c]*/** wklx,',
  '  deny /sys/fs/c[^g]*/** wklx,',
  '  deny /sys/fs/cg[^r]*/** wklx,',
  '  deny /sys/firmware/** rwklx,',
  '  deny /sys/devices/virtual/powercap/** rwklx,',
  '  deny /sys/kernel/security/** rwklx,',
];

function networkLines(p: AppArmorPolicy): string[] {
  return p.network.protocols.length > 0
    ? p.network.protocols.map((x) => `  network inet ${x},`)
    : ['  network,'];
}

function capabilityLines(p: AppArmorPolicy): string[] {
  return p.capabilities.allow.map((c) => `  capability ${c},`);
}

function standalone(p: AppArmorPolicy, o: ReturnType<typeof dockerDefaultInputs>): string {
  const lines: string[] = [`# AppArmor profile "${p.name}" generated by drydock from a container policy.`];
  if (o.Abi) lines.push(`abi <${o.Abi}>,`);
  lines.push('', ...o.Imports, '', `profile "${p.name}" flags=(attach_disconnected,mediate_deleted) {`);
  if (o.InnerImports.length > 0) lines.push(...o.InnerImports.map((x) => `  ${x}`), '');
  lines.push(...networkLines(p));
  if (p.network.raw !== true) lines.push('  deny network raw,');
  if (p.network.packet !== true) lines.push('  deny network packet,');
  lines.push('', '  file,', '  umount,', '');
  const files = fileRules(p);
  if (files.length > 0) lines.push(...files, '');
  if (p.capabilities.allow.length > 0) lines.push(...capabilityLines(p));
  else if (p.capabilities.deny.length > 0) lines.push('  capability,');
  lines.push(...p.capabilities.deny.map((c) => `  deny capability ${c},`));
  lines.push('');
  const signal = p.signal ?? 'container';
  if (signal === 'container') lines.push(...signalRules(p.name, o.DaemonProfile));
  else lines.push(signal === 'deny' ? '  deny signal,' : '  signal,');
  if (p.ptrace === 'container') lines.push(PTRACE_CONTAINER(p.name));
  else if (p.ptrace) lines.push(p.ptrace === 'deny' ? '  deny ptrace,' : '  ptrace,');
  lines.push('', p.mount === 'allow' ? '  mount,' : '  deny mount,', '', ...KERNEL_DENIES);
  if (p.rules.length > 0) lines.push('', '  # Extra rules from the policy.', ...p.rules.map((r) => `  ${r}`));
  lines.push('}', '');
  return lines.join('\n');
}

/** Replaces the one line of the base profile that equals `line`. */
function replaceLine(text: string, line: string, by: string[]): string {
  const ls = text.split('\n');
  const at = ls.indexOf(line);
  if (at < 0 || ls.indexOf(line, at + 1) >= 0)
    throw new Error(`docker-default template has no single line ${line}`);
  ls.splice(at, 1, ...by);
  return ls.join('\n');
}

function onDockerDefault(p: AppArmorPolicy, o: ReturnType<typeof dockerDefaultInputs>): string {
  const version: DockerDefaultVersion = p.base === 'docker-default-v24.0.0' ? 'v24.0.0' : 'current';
  let text = renderDockerDefault({
    name: p.name,
    daemonProfile: o.DaemonProfile,
    version,
    abi: o.Abi,
    imports: o.Imports,
    innerImports: o.InnerImports,
  });
  if (p.capabilities.allow.length > 0) text = replaceLine(text, '  capability,', capabilityLines(p));
  if (p.network.protocols.length > 0) text = replaceLine(text, '  network,', networkLines(p));
  if (p.mount === 'allow') text = replaceLine(text, '  deny mount,', ['  mount,']);
  const add: string[] = [];
  if (p.network.raw === false) add.push('  deny network raw,');
  if (p.network.packet === false) add.push('  deny network packet,');
  add.push(...fileRules(p));
  add.push(...p.capabilities.deny.map((c) => `  deny capability ${c},`));
  if (p.signal === 'deny') add.push('  deny signal,');
  if (p.signal === 'allow') add.push('  signal,');
  if (p.ptrace === 'deny') add.push('  deny ptrace,');
  if (p.ptrace === 'allow') add.push('  ptrace,');
  add.push(...p.rules.map((r) => `  ${r}`));
  if (add.length === 0) return text;
  const end = text.lastIndexOf('\n}');
  if (end < 0) throw new Error('docker-default template has no closing brace');
  return `${text.slice(0, end)}\n\n  # Added by drydock from the container policy.\n${add.join('\n')}${text.slice(end)}`;
}

/** The profile text for a policy. Every policy value is checked again here (UserError when refused). */
export function generateProfile(policy: AppArmorPolicy, opts: GenerateOptions = {}): string {
  const p = checked(policy);
  const o = dockerDefaultInputs({
    name: p.name,
    daemonProfile: opts.daemonProfile ?? TYPICAL_HOST_INPUTS.DaemonProfile,
    abi: opts.abi ?? TYPICAL_HOST_INPUTS.Abi,
    imports: opts.imports ?? TYPICAL_HOST_INPUTS.Imports,
    innerImports: opts.innerImports ?? TYPICAL_HOST_INPUTS.InnerImports,
  });
  return p.base === 'none' ? standalone(p, o) : onDockerDefault(p, o);
}

/** Reads a policy and generates its profile in one step. */
export function generateProfileFromText(text: string, file: string, opts: GenerateOptions = {}): string {
  return generateProfile(parsePolicy(text, file), opts);
}
