// Reads the Docker daemon's configuration (daemon.json, dockerd flags, its systemd unit) into a DaemonSpec.
// Whatever dockerd itself refuses (unknown keys or flags, wrong types, a setting made both ways) is refused.

import { UserError } from '../../errors.js';
import { parseConfigText, type SourceDoc } from '../doc.js';
import type { DaemonField, DaemonSpec, SourceRef, UlimitSpec } from '../spec.js';
import { isUlimitName, parseUlimit } from './common.js';

type FlagKind = 'bool' | 'string' | 'int' | 'list';
/** How dockerd decodes a daemon.json value ("any" = not checked here: dockerd ignores it or takes several forms). */
type JsonType = 'bool' | 'string' | 'int' | 'strings' | 'object' | 'array' | 'any';

interface FlagDef {
  kind: FlagKind;
  /** The daemon.json key when it differs from the flag's name (dockerd's plural names for repeatable flags). */
  key?: string;
  /** Type of the daemon.json value under `key` (or under the flag's own name when there is no `key`). */
  json: JsonType;
}

const bool: FlagDef = { kind: 'bool', json: 'bool' };
const str: FlagDef = { kind: 'string', json: 'string' };
const int: FlagDef = { kind: 'int', json: 'int' };
const list = (key: string | undefined, json: JsonType = 'strings'): FlagDef =>
  key === undefined ? { kind: 'list', json } : { kind: 'list', key, json };

/**
 * Every flag of Docker 27's dockerd on Linux (the dockerd reference's option list, plus the hidden
 * network-diagnostic-port and deprecated restart). A daemon.json key is valid when it is one of these
 * names or one of the `key`s, as dockerd checks it.
 */
const FLAGS: ReadonlyMap<string, FlagDef> = new Map<string, FlagDef>([
  ['add-runtime', list('runtimes', 'object')],
  ['allow-nondistributable-artifacts', list(undefined)],
  ['api-cors-header', str],
  ['authorization-plugin', list('authorization-plugins')],
  ['bip', str],
  ['bridge', str],
  ['cdi-spec-dir', list('cdi-spec-dirs')],
  ['cgroup-parent', str],
  ['config-file', str],
  ['containerd', str],
  ['containerd-namespace', str],
  ['containerd-plugins-namespace', str],
  ['cpu-rt-period', int],
  ['cpu-rt-runtime', int],
  ['cri-containerd', bool],
  ['data-root', str],
  ['debug', bool],
  ['default-address-pool', list('default-address-pools', 'array')],
  ['default-cgroupns-mode', str],
  ['default-gateway', str],
  ['default-gateway-v6', str],
  ['default-ipc-mode', str],
  ['default-network-opt', list('default-network-opts', 'object')],
  ['default-runtime', str],
  // A size: dockerd reads "64M" strings; numbers are left to dockerd.
  ['default-shm-size', { kind: 'string', json: 'any' }],
  ['default-ulimit', list('default-ulimits', 'object')],
  ['dns', list(undefined)],
  ['dns-opt', list('dns-opts')],
  ['dns-search', list(undefined)],
  ['exec-opt', list('exec-opts')],
  ['exec-root', str],
  ['experimental', bool],
  ['feature', list('features', 'object')],
  ['fixed-cidr', str],
  ['fixed-cidr-v6', str],
  ['group', str],
  ['help', bool],
  ['host', list('hosts')],
  ['host-gateway-ip', str],
  ['http-proxy', str],
  ['https-proxy', str],
  ['icc', bool],
  ['init', bool],
  ['init-path', str],
  ['insecure-registry', list('insecure-registries')],
  ['ip', str],
  ['ip-forward', bool],
  ['ip-masq', bool],
  ['ip6tables', bool],
  ['iptables', bool],
  ['ipv6', bool],
  ['label', list('labels')],
  ['live-restore', bool],
  ['log-driver', str],
  ['log-format', str],
  ['log-level', str],
  ['log-opt', list('log-opts', 'object')],
  ['max-concurrent-downloads', int],
  ['max-concurrent-uploads', int],
  ['max-download-attempts', int],
  ['metrics-addr', str],
  ['mtu', int],
  ['network-control-plane-mtu', int],
  ['network-diagnostic-port', int],
  ['no-new-privileges', bool],
  ['no-proxy', str],
  ['node-generic-resource', list('node-generic-resources')],
  ['pidfile', str],
  ['raw-logs', bool],
  ['registry-mirror', list('registry-mirrors')],
  ['restart', bool],
  ['rootless', bool],
  ['seccomp-profile', str],
  ['selinux-enabled', bool],
  ['shutdown-timeout', int],
  ['storage-driver', str],
  ['storage-opt', list('storage-opts')],
  ['swarm-default-advertise-addr', str],
  ['tls', bool],
  ['tlscacert', str],
  ['tlscert', str],
  ['tlskey', str],
  ['tlsverify', bool],
  ['userland-proxy', bool],
  ['userland-proxy-path', str],
  ['userns-remap', str],
  ['validate', bool],
  ['version', bool],
]);

const SHORT: ReadonlyMap<string, string> = new Map([
  ['b', 'bridge'],
  ['D', 'debug'],
  ['G', 'group'],
  ['h', 'help'],
  ['H', 'host'],
  ['l', 'log-level'],
  ['p', 'pidfile'],
  ['r', 'restart'],
  ['s', 'storage-driver'],
  ['v', 'version'],
]);

/** daemon.json's proxy settings live in a "proxies" object; dockerd flattens it onto these flags. */
const PROXY_KEYS = new Set(['http-proxy', 'https-proxy', 'no-proxy']);
/** Keys dockerd accepts without a flag behind them. */
const FLAGLESS_KEYS = new Set(['builder', 'deprecated-key-path', 'proxies']);

/** daemon.json key -> the flag it stands for. */
const KEY_TO_FLAG: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [name, def] of FLAGS) {
    m.set(name, name);
    if (def.key !== undefined) m.set(def.key, name);
  }
  return m;
})();

/** The DaemonSpec field each security-relevant flag fills, and its `lines` entry. */
const MAPPED: ReadonlyMap<string, { field: keyof DaemonSpec; line?: DaemonField }> = new Map<
  string,
  { field: keyof DaemonSpec; line?: DaemonField }
>([
  ['icc', { field: 'icc', line: 'icc' }],
  ['selinux-enabled', { field: 'selinuxEnabled', line: 'selinuxEnabled' }],
  ['userns-remap', { field: 'usernsRemap', line: 'usernsRemap' }],
  ['no-new-privileges', { field: 'noNewPrivileges', line: 'noNewPrivileges' }],
  ['live-restore', { field: 'liveRestore', line: 'liveRestore' }],
  ['seccomp-profile', { field: 'seccompProfile', line: 'seccompProfile' }],
  ['default-ulimit', { field: 'defaultUlimits', line: 'defaultUlimits' }],
  ['host', { field: 'hosts', line: 'hosts' }],
  ['tls', { field: 'tls', line: 'tls' }],
  ['tlsverify', { field: 'tlsVerify', line: 'tlsVerify' }],
  ['tlscacert', { field: 'tlsCaCert' }],
  ['tlscert', { field: 'tlsCert' }],
  ['tlskey', { field: 'tlsKey' }],
  ['log-level', { field: 'logLevel', line: 'logLevel' }],
  ['log-driver', { field: 'logDriver', line: 'logDriver' }],
  ['iptables', { field: 'iptables', line: 'iptables' }],
  ['insecure-registry', { field: 'insecureRegistries', line: 'insecureRegistries' }],
  ['storage-driver', { field: 'storageDriver', line: 'storageDriver' }],
  ['authorization-plugin', { field: 'authorizationPlugins', line: 'authorizationPlugins' }],
  ['userland-proxy', { field: 'userlandProxy', line: 'userlandProxy' }],
  ['experimental', { field: 'experimental', line: 'experimental' }],
  ['cgroup-parent', { field: 'cgroupParent', line: 'cgroupParent' }],
  ['storage-opt', { field: 'storageOpts', line: 'storageOpts' }],
  ['default-cgroupns-mode', { field: 'defaultCgroupnsMode' }],
  ['rootless', { field: 'rootless' }],
]);

/** logrus's level names, which dockerd's --log-level goes through. */
const LOG_LEVELS = new Set(['panic', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace']);

/** What a parse set, by dockerd flag name, for mergeDaemon's both-ways check (which sees more than DaemonSpec keeps). */
interface Directive {
  /** How the input spelt it: the daemon.json key or "--flag". */
  as: string;
  line?: number;
}
const DIRECTIVES = new WeakMap<DaemonSpec, Map<string, Directive>>();

const MAX_WORDS = 10_000;

function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** A user-written string quoted for a one-line message (control characters escaped). */
function q(s: string): string {
  return JSON.stringify(short(s));
}

function at(file: string, line: number | undefined): string {
  return line === undefined ? file : `${file}:${line}`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a number' : 'a fractional number';
  return `a ${typeof v}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Edit distance capped at `max` + 1, for "did you mean" hints on short names. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max || a.length > 64 || b.length > 64) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

function suggest(name: string, candidates: Iterable<string>, prefix = ''): string {
  let best: string | undefined;
  // Short names are too close to too many others for a hint to mean anything.
  let bestD = Math.min(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(name, c, 2);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best === undefined ? '' : ` (did you mean ${prefix}${best}?)`;
}

function emptyDaemon(source: SourceRef): DaemonSpec {
  return { source, lines: {} };
}

function setField(spec: DaemonSpec, flag: string, value: unknown, line: number | undefined): void {
  const m = MAPPED.get(flag);
  if (!m) return;
  (spec as unknown as Record<string, unknown>)[m.field] = value;
  if (m.line !== undefined && line !== undefined) spec.lines[m.line] = line;
}

/**
 * Checks and normalises a value of a mapped string setting. Listening addresses are written out
 * the way dockerd reads them: a bare "host:port" or ":port" is TCP, an empty host is 127.0.0.1.
 */
function checkString(flag: string, value: string, where: string): string {
  switch (flag) {
    case 'log-level':
      if (!LOG_LEVELS.has(value.toLowerCase()))
        throw new UserError(`${where}: invalid log level ${q(value)} (debug, info, warn, error, fatal)`);
      return value;
    case 'default-cgroupns-mode':
      if (value !== 'host' && value !== 'private')
        throw new UserError(`${where}: invalid default-cgroupns-mode ${q(value)} (host or private)`);
      return value;
    case 'host':
      return normalizeHost(value, where);
    default:
      return value;
  }
}

function normalizeHost(raw: string, where: string): string {
  const v = raw.trim();
  if (v === '') return 'unix:///var/run/docker.sock';
  const sep = v.indexOf('://');
  const scheme = sep < 0 ? 'tcp' : v.slice(0, sep).toLowerCase();
  const rest = sep < 0 ? v : v.slice(sep + 3);
  if (scheme === 'unix' || scheme === 'fd') return `${scheme}://${rest}`;
  if (scheme !== 'tcp')
    throw new UserError(`${where}: invalid daemon address ${q(raw)} (tcp://, unix:// or fd://)`);
  const slash = rest.indexOf('/');
  const hostPort = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (/\s/.test(hostPort)) throw new UserError(`${where}: invalid daemon address ${q(raw)}`);
  const withHost = hostPort === '' || hostPort.startsWith(':') ? `127.0.0.1${hostPort}` : hostPort;
  return `tcp://${withHost}${path}`;
}

function checkUlimit(u: UlimitSpec, where: string): UlimitSpec {
  if (!isUlimitName(u.name)) throw new UserError(`${where}: unknown ulimit ${q(u.name)}`);
  for (const n of [u.soft, u.hard])
    if (!Number.isSafeInteger(n) || n < -1)
      throw new UserError(`${where}: invalid ${u.name} ulimit value ${n}`);
  // -1 is unlimited.
  const softOver = u.soft === -1 ? u.hard !== -1 : u.hard !== -1 && u.soft > u.hard;
  if (softOver)
    throw new UserError(`${where}: ${u.name} ulimit soft limit ${u.soft} is over the hard limit ${u.hard}`);
  return u;
}

// ---------------------------------------------------------------------------------------------
// daemon.json

/** /etc/docker/daemon.json as a parsed document. */
export function parseDaemonJson(doc: SourceDoc, file: string): DaemonSpec {
  const root = doc.value;
  if (!isObject(root))
    throw new UserError(`${at(file, doc.line)}: daemon.json must be a JSON object, not ${typeName(root)}`);
  const spec = emptyDaemon({ file, kind: 'daemon', line: doc.line, resource: 'daemon.json' });
  const directives = new Map<string, Directive>();
  DIRECTIVES.set(spec, directives);

  // dockerd checks every key before it looks at any value, and names all the unknown ones at once.
  const unknown: { key: string; line: number | undefined }[] = [];
  for (const key of Object.keys(root)) {
    const line = doc.lineOf([key]);
    if (key === 'proxies' && isObject(root[key])) {
      for (const sub of Object.keys(root[key])) {
        if (PROXY_KEYS.has(sub)) directives.set(sub, { as: `proxies.${sub}`, line: doc.lineOf([key, sub]) });
        else unknown.push({ key: `proxies.${sub}`, line: doc.lineOf([key, sub]) });
      }
      continue;
    }
    const flag = KEY_TO_FLAG.get(key);
    if (flag !== undefined) directives.set(flag, { as: key, line });
    else if (!FLAGLESS_KEYS.has(key)) unknown.push({ key, line });
  }
  if (unknown.length > 0) {
    const first = unknown[0] as { key: string; line: number | undefined };
    // A hostile file can hold thousands; the message stays one readable line.
    const names =
      unknown
        .slice(0, 10)
        .map((u) => `${q(u.key)}${u.line === undefined ? '' : ` (line ${u.line})`}`)
        .join(', ') + (unknown.length > 10 ? ` and ${unknown.length - 10} more` : '');
    const hint = unknown.length === 1 ? suggest(first.key, KEY_TO_FLAG.keys()) : '';
    throw new UserError(
      `${at(file, first.line)}: dockerd refuses daemon.json keys that match no configuration option: ${names}${hint}`,
    );
  }

  for (const key of Object.keys(root)) {
    const value = root[key];
    const line = doc.lineOf([key]);
    const where = at(file, line);
    if (key === 'proxies') {
      if (value !== null && !isObject(value))
        throw new UserError(`${where}: "proxies" must be an object, not ${typeName(value)}`);
      for (const [sub, v] of Object.entries(value ?? {}))
        if (v !== null && typeof v !== 'string')
          throw new UserError(
            `${at(file, doc.lineOf([key, sub]))}: "proxies.${sub}" must be a string, not ${typeName(v)}`,
          );
      continue;
    }
    const flag = KEY_TO_FLAG.get(key);
    if (flag === undefined) continue; // builder, deprecated-key-path: dockerd's own business
    const def = FLAGS.get(flag) as FlagDef;
    // A repeatable flag's singular name passes dockerd's key check but fills nothing: the daemon ignores it.
    const type: JsonType = def.key !== undefined && key !== def.key ? 'any' : def.json;
    // JSON null leaves dockerd's default in place.
    if (value === null || type === 'any') continue;
    checkJsonType(key, value, type, where);
    if (!MAPPED.has(flag)) continue;
    if (flag === 'default-ulimit') {
      setField(spec, flag, jsonUlimits(value as Record<string, unknown>, doc, file), line);
    } else if (type === 'strings') {
      const items = (value as string[]).map((s, i) =>
        checkString(flag, s, at(file, doc.lineOf([key, i]) ?? line)),
      );
      setField(spec, flag, items, line);
    } else if (type === 'string') {
      setField(spec, flag, checkString(flag, value as string, where), line);
    } else setField(spec, flag, value, line);
  }
  return spec;
}

function checkJsonType(key: string, value: unknown, type: JsonType, where: string): void {
  const bad = (want: string) => new UserError(`${where}: "${key}" must be ${want}, not ${typeName(value)}`);
  switch (type) {
    case 'bool':
      if (typeof value !== 'boolean') throw bad('true or false');
      return;
    case 'string':
      if (typeof value !== 'string') throw bad('a string');
      return;
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw bad('a whole number');
      return;
    case 'strings':
      if (!Array.isArray(value)) throw bad('a list of strings');
      for (const [i, item] of value.entries())
        if (typeof item !== 'string')
          throw new UserError(`${where}: "${key}" item ${i + 1} must be a string, not ${typeName(item)}`);
      return;
    case 'object':
      if (!isObject(value)) throw bad('an object');
      return;
    case 'array':
      if (!Array.isArray(value)) throw bad('a list');
      return;
    case 'any':
      return;
  }
}

/** "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}}. */
function jsonUlimits(value: Record<string, unknown>, doc: SourceDoc, file: string): UlimitSpec[] {
  const out: UlimitSpec[] = [];
  for (const [name, entry] of Object.entries(value)) {
    const where = at(file, doc.lineOf(['default-ulimits', name]));
    if (!isObject(entry))
      throw new UserError(
        `${where}: default-ulimits ${q(name)} must be an object with Soft and Hard, not ${typeName(entry)}`,
      );
    // dockerd decodes these fields case-insensitively (Go's encoding/json).
    const field = (f: string): unknown => {
      const k = Object.keys(entry).find((x) => x.toLowerCase() === f);
      return k === undefined ? undefined : entry[k];
    };
    const declared = field('name');
    if (declared !== undefined && declared !== name)
      throw new UserError(
        `${where}: default-ulimits ${q(name)} has Name ${q(String(declared))}; they must match`,
      );
    const soft = field('soft');
    const hard = field('hard');
    if (
      typeof soft !== 'number' ||
      typeof hard !== 'number' ||
      !Number.isInteger(soft) ||
      !Number.isInteger(hard)
    )
      throw new UserError(`${where}: default-ulimits ${q(name)} needs whole-number Soft and Hard values`);
    out.push(checkUlimit({ name, soft, hard }, where));
  }
  return out;
}

/**
 * Where strict JSON first goes wrong in `text`, and how, for a file:line message (V8's own messages
 * do not always say where, and quote the whole input). Only called on text JSON.parse refused.
 */
function jsonError(text: string): { offset: number; what: string } | undefined {
  type Want = 'value' | 'value-or-end' | 'key' | 'key-or-end' | 'colon' | 'comma-or-end' | 'done';
  const stack: string[] = [];
  let want = 'value' as Want;
  let afterComma = false;
  const unexpected = (i: number) => ({ offset: i, what: `unexpected ${JSON.stringify(text[i])}` });
  const afterValue = () => {
    want = stack.length === 0 ? 'done' : 'comma-or-end';
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (want === 'done') return { offset: i, what: 'more text after the JSON value' };
    if (want === 'colon') {
      if (c !== ':') return { offset: i, what: `expected ":" after the key, got ${JSON.stringify(c)}` };
      want = 'value';
      afterComma = false;
      i++;
      continue;
    }
    if (want === 'comma-or-end') {
      const top = stack[stack.length - 1];
      afterComma = c === ',';
      if (c === ',') want = top === '{' ? 'key' : 'value';
      else if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
        stack.pop();
        afterValue();
      } else
        return { offset: i, what: `expected "," or "${top === '{' ? '}' : ']'}", got ${JSON.stringify(c)}` };
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return { offset: i, what: 'unterminated string' };
        const d = text.charCodeAt(j);
        if (d === 0x22) break;
        if (d < 0x20) return { offset: j, what: 'control character in a string' };
        if (d === 0x5c) {
          const e = text[j + 1] ?? '';
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) j += 6;
          else if ('"\\/bfnrt'.includes(e) && e !== '') j += 2;
          else return { offset: j, what: 'invalid escape in a string' };
          continue;
        }
        j++;
      }
      i = j + 1;
      if (want === 'key' || want === 'key-or-end') want = 'colon';
      else afterValue();
      continue;
    }
    if (want === 'key' || want === 'key-or-end') {
      if (c === '}' && want === 'key-or-end') {
        stack.pop();
        afterValue();
        i++;
        continue;
      }
      return {
        offset: i,
        what: c === '}' ? 'trailing comma' : `expected a "quoted" key, got ${JSON.stringify(c)}`,
      };
    }
    // want is value or value-or-end
    if (c === ']' && want === 'value-or-end') {
      stack.pop();
      afterValue();
      i++;
      continue;
    }
    if (c === '{' || c === '[') {
      if (stack.length >= 1000) return { offset: i, what: 'nested too deeply' };
      stack.push(c);
      want = c === '{' ? 'key-or-end' : 'value-or-end';
      i++;
      continue;
    }
    const lit = ['true', 'false', 'null'].find((l) => text.startsWith(l, i));
    if (lit) {
      i += lit.length;
      afterValue();
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    if (num) {
      i += num[0].length;
      afterValue();
      continue;
    }
    if ((c === ']' || c === '}') && afterComma) return { offset: i, what: 'trailing comma' };
    if (c === ']' || c === '}') return { offset: i, what: `expected a value, got ${JSON.stringify(c)}` };
    return unexpected(i);
  }
  if (want !== 'done') return { offset: text.length, what: 'unexpected end of file' };
  return undefined;
}

/**
 * daemon.json text as dockerd reads it: strict JSON (no YAML, comments or trailing commas), an
 * empty file being no settings.
 */
export function parseDaemonJsonText(text: string, file: string): DaemonSpec {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return emptyDaemon({ file, kind: 'daemon', resource: 'daemon.json' });
  try {
    JSON.parse(body);
  } catch {
    const err = jsonError(body);
    if (!err) throw new UserError(`${file}: not valid JSON`);
    const before = body.slice(0, err.offset);
    const line = before.split('\n').length;
    const col = err.offset - before.lastIndexOf('\n');
    throw new UserError(`${file}:${line}:${col}: not valid JSON: ${err.what}`);
  }
  const docs = parseConfigText(body, file);
  const doc = docs[0];
  if (!doc) return emptyDaemon({ file, kind: 'daemon', resource: 'daemon.json' });
  return parseDaemonJson(doc, file);
}

// ---------------------------------------------------------------------------------------------
// dockerd command lines

interface Segment {
  text: string;
  line: number;
}

interface Word {
  text: string;
  line: number;
  /** Some of it was quoted (so a lone "$VAR" is not split by the unit expander). */
  quoted: boolean;
}

/**
 * Splits a command line into words the way a shell or systemd does for plain arguments: single
 * quotes are literal, double quotes allow backslash escapes, a backslash outside quotes escapes the
 * next character. Each segment is one physical line; a segment boundary separates words.
 */
function splitWords(segments: readonly Segment[], file: string, showLines: boolean): Word[] {
  const words: Word[] = [];
  let cur: Word | undefined;
  let quote: '"' | "'" | undefined;
  let quoteLine = 0;
  const push = () => {
    if (cur) {
      if (words.length >= MAX_WORDS)
        throw new UserError(`${file}: more than ${MAX_WORDS} words on the command line`);
      words.push(cur);
    }
    cur = undefined;
  };
  for (const seg of segments) {
    const s = seg.text;
    for (let i = 0; i < s.length; i++) {
      const c = s[i] as string;
      if (quote) {
        if (c === quote) quote = undefined;
        else if (quote === '"' && c === '\\' && i + 1 < s.length) {
          const n = s[i + 1] as string;
          (cur as Word).text += n === 'n' ? '\n' : n === 't' ? '\t' : n;
          i++;
        } else (cur as Word).text += c;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r') {
        push();
        continue;
      }
      cur ??= { text: '', line: seg.line, quoted: false };
      if (c === '"' || c === "'") {
        quote = c;
        quoteLine = seg.line;
        cur.quoted = true;
      } else if (c === '\\' && i + 1 < s.length) {
        cur.text += s[i + 1];
        i++;
      } else cur.text += c;
    }
    if (quote) {
      // A quoted string does not run on to the next line.
      throw new UserError(
        `${showLines ? at(file, quoteLine) : file}: unterminated ${quote} quote on the dockerd command line`,
      );
    }
    push();
  }
  return words;
}

/** Lines of a text, a trailing backslash joining a line to the next (as in a unit file or a shell). */
function segmentsOf(text: string, firstLine = 1): Segment[] {
  const out: Segment[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    let t = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (t.endsWith('\\') && !t.endsWith('\\\\')) t = t.slice(0, -1);
    out.push({ text: t, line: firstLine + i });
  }
  return out;
}

/** Go's strconv.ParseBool, which pflag uses for --flag=value. */
function goBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

interface FlagParseOptions {
  file: string;
  source: SourceRef;
  /** Put line numbers in messages and `lines` (a unit file or a multi-line text). */
  showLines: boolean;
}

const SYSTEMD_EXEC_PREFIX = /^[-@:+!]+/;

function parseWords(input: Word[], opts: FlagParseOptions): DaemonSpec {
  const { file, showLines } = opts;
  const spec = emptyDaemon(opts.source);
  const directives = new Map<string, Directive>();
  DIRECTIVES.set(spec, directives);
  const where = (w: Word | undefined) => (showLines && w ? at(file, w.line) : file);
  const lineOf = (w: Word) => (showLines ? w.line : undefined);

  let words = input;
  const first = words[0];
  if (first?.text.startsWith('ExecStart=')) {
    const rest = first.text.slice('ExecStart='.length);
    words = rest === '' ? words.slice(1) : [{ ...first, text: rest }, ...words.slice(1)];
  }
  const prog = words[0];
  // A leading "-" is a flag, unless it is systemd's prefix on a path ("-/usr/bin/dockerd").
  if (prog && (!prog.text.startsWith('-') || /^[-@:+!]+(\/|dockerd)/.test(prog.text))) {
    // systemd's prefixes: "@" means the next word is argv[0], the others change error handling or privileges.
    const prefix = SYSTEMD_EXEC_PREFIX.exec(prog.text)?.[0] ?? '';
    const path = prog.text.slice(prefix.length);
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (!base.startsWith('dockerd'))
      throw new UserError(`${where(prog)}: ${q(path)} is not dockerd; expected a dockerd command line`);
    // dockerd-rootless.sh starts dockerd inside RootlessKit.
    if (base.startsWith('dockerd-rootless')) setField(spec, 'rootless', true, undefined);
    words = words.slice(prefix.includes('@') ? 2 : 1);
  }

  const record = (name: string, as: string, w: Word) => {
    if (!directives.has(name)) directives.set(name, { as, line: lineOf(w) });
  };

  for (let i = 0; i < words.length; i++) {
    const w = words[i] as Word;
    const arg = w.text;
    if (arg === '--' || !arg.startsWith('-') || arg === '-') {
      const positional = arg === '--' ? words[i + 1] : w;
      if (!positional) break;
      throw new UserError(
        `${where(positional)}: dockerd takes no arguments, only flags; got ${q(positional.text)}`,
      );
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const def = FLAGS.get(name);
      if (!def)
        throw new UserError(
          `${where(w)}: unknown dockerd flag --${short(name)}${suggest(name, FLAGS.keys(), '--')}`,
        );
      let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
      if (def.kind !== 'bool' && value === undefined) {
        const next = words[++i];
        if (!next) throw new UserError(`${where(w)}: dockerd flag --${name} needs a value`);
        value = next.text;
      }
      record(name, `--${name}`, w);
      applyFlag(spec, name, def, value, where(w), lineOf(w));
      continue;
    }
    // One or more shorthands: "-D", "-Dl debug", "-Htcp://x", "-H=tcp://x".
    for (let j = 1; j < arg.length; j++) {
      const c = arg[j] as string;
      const name = SHORT.get(c);
      const def = name === undefined ? undefined : FLAGS.get(name);
      if (name === undefined || !def)
        throw new UserError(`${where(w)}: unknown dockerd flag -${c} in ${q(arg)}`);
      record(name, `-${c}`, w);
      if (def.kind === 'bool') {
        if (arg[j + 1] === '=') {
          applyFlag(spec, name, def, arg.slice(j + 2), where(w), lineOf(w));
          break;
        }
        applyFlag(spec, name, def, undefined, where(w), lineOf(w));
        continue;
      }
      let value = arg.slice(j + 1);
      if (value.startsWith('=')) value = value.slice(1);
      else if (value === '') {
        const next = words[++i];
        if (!next) throw new UserError(`${where(w)}: dockerd flag -${c} needs a value`);
        value = next.text;
      }
      applyFlag(spec, name, def, value, where(w), lineOf(w));
      break;
    }
  }
  return spec;
}

function applyFlag(
  spec: DaemonSpec,
  name: string,
  def: FlagDef,
  value: string | undefined,
  where: string,
  line: number | undefined,
): void {
  if (def.kind === 'bool') {
    const b = value === undefined ? true : goBool(value);
    if (b === undefined)
      throw new UserError(`${where}: invalid value ${q(value ?? '')} for --${name} (true or false)`);
    setField(spec, name, b, line);
    return;
  }
  const v = value ?? '';
  if (def.kind === 'int') {
    if (!/^[+-]?(0[xXoObB])?[0-9a-fA-F_]+$/.test(v))
      throw new UserError(`${where}: invalid value ${q(v)} for --${name} (a whole number)`);
    return;
  }
  if (!MAPPED.has(name)) return;
  if (def.kind === 'string') {
    setField(spec, name, checkString(name, v, where), line);
    return;
  }
  if (name === 'default-ulimit') {
    const u = checkUlimit(parseUlimit(v, where), where);
    // A later --default-ulimit for the same resource replaces the earlier one, as in dockerd's map.
    const prev = (spec.defaultUlimits ?? []).filter((x) => x.name !== u.name);
    setField(spec, name, [...prev, u], spec.defaultUlimits === undefined ? line : undefined);
    return;
  }
  const m = MAPPED.get(name) as { field: keyof DaemonSpec };
  const prev = (spec[m.field] as string[] | undefined) ?? [];
  // The line recorded is the first occurrence's: that is where the setting starts.
  const firstLine = m.field in spec ? undefined : line;
  setField(spec, name, [...prev, checkString(name, v, where)], firstLine);
}

/**
 * A dockerd command line: a string (shell-style quoting, optionally "ExecStart=" and the dockerd
 * path first) or the words already split. Unknown flags and stray arguments are refused, as dockerd does.
 */
export function parseDockerdFlags(cmd: string | string[], file = '<dockerd>'): DaemonSpec {
  const source: SourceRef = { file, kind: 'daemon', resource: 'dockerd command line' };
  if (Array.isArray(cmd)) {
    if (cmd.length > MAX_WORDS)
      throw new UserError(`${file}: more than ${MAX_WORDS} words on the command line`);
    const words = cmd.map((text) => ({ text: String(text), line: 1, quoted: false }));
    return parseWords(words, { file, source, showLines: false });
  }
  const text = cmd.trimStart();
  const showLines = text.includes('\n');
  const words = splitWords(segmentsOf(text), file, showLines);
  return parseWords(words, { file, source, showLines });
}

// ---------------------------------------------------------------------------------------------
// systemd units

/** systemd's expansion of $NAME (a whole word: split on whitespace) and ${NAME} (inside a word). */
function expandEnv(words: Word[], env: ReadonlyMap<string, string>): Word[] {
  const out: Word[] = [];
  for (const w of words) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(w.text);
    if (whole && !w.quoted) {
      // An unset variable expands to nothing, as systemd does (EnvironmentFile= values are not read here).
      for (const part of (env.get(whole[1] as string) ?? '').split(/\s+/).filter(Boolean))
        out.push({ text: part, line: w.line, quoted: false });
      continue;
    }
    const text = w.text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string | undefined) =>
      name === undefined ? '$' : (env.get(name) ?? ''),
    );
    out.push({ ...w, text });
  }
  return out;
}

/**
 * A systemd unit for dockerd (docker.service or a drop-in): its [Service] ExecStart= is read with
 * parseDockerdFlags. An empty ExecStart= clears earlier ones, so the last non-empty one wins; Environment=
 * values in the same file are expanded.
 */
export function parseDockerdUnit(text: string, file: string): DaemonSpec {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  let section = '';
  let exec: Segment[] | undefined;
  const env = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    const raw = (lines[i] as string).replace(/\r$/, '');
    const t = raw.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    if (t.startsWith('[')) {
      if (!t.endsWith(']')) throw new UserError(`${file}:${startLine}: invalid section header ${q(t)}`);
      section = t.slice(1, -1);
      continue;
    }
    const segs: Segment[] = [{ text: raw, line: startLine }];
    let last = segs[0] as Segment;
    // A trailing backslash continues the value; comment lines inside a continuation are skipped.
    while (last.text.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = (lines[i] as string).replace(/\r$/, '');
      if (/^\s*[#;]/.test(next)) continue;
      last.text = last.text.slice(0, -1);
      last = { text: next, line: i + 1 };
      segs.push(last);
    }
    if (last.text.endsWith('\\')) last.text = last.text.slice(0, -1);
    const eq = (segs[0] as Segment).text.indexOf('=');
    if (eq < 0) throw new UserError(`${file}:${startLine}: expected Key=value, got ${q(t)}`);
    if (section !== 'Service') continue;
    const key = (segs[0] as Segment).text.slice(0, eq).trim();
    const value: Segment[] = [
      { text: (segs[0] as Segment).text.slice(eq + 1), line: startLine },
      ...segs.slice(1),
    ];
    const empty = value.every((s) => s.text.trim() === '');
    if (key === 'ExecStart') exec = empty ? undefined : value;
    else if (key === 'Environment') {
      if (empty) env.clear();
      for (const w of splitWords(value, file, true)) {
        const e = w.text.indexOf('=');
        if (e > 0) env.set(w.text.slice(0, e), w.text.slice(e + 1));
      }
    }
  }
  if (!exec)
    throw new UserError(`${file}: no ExecStart= in a [Service] section; nothing says how dockerd is started`);
  const words = expandEnv(splitWords(exec, file, true), env);
  const source: SourceRef = {
    file,
    kind: 'daemon',
    line: (exec[0] as Segment).line,
    resource: 'dockerd ExecStart',
  };
  return parseWords(words, { file, source, showLines: true });
}

// ---------------------------------------------------------------------------------------------
// Merging

const FIELD_TO_FLAG: ReadonlyMap<keyof DaemonSpec, string> = new Map(
  [...MAPPED].map(([flag, m]) => [m.field, flag] as const),
);

/** The settings a spec made, from what its parser recorded, else from its defined fields. */
function directivesOf(spec: DaemonSpec): Map<string, Directive> {
  const known = DIRECTIVES.get(spec);
  if (known) return known;
  const out = new Map<string, Directive>();
  for (const [field, flag] of FIELD_TO_FLAG) {
    if (spec[field] === undefined) continue;
    const m = MAPPED.get(flag);
    const line = m?.line === undefined ? undefined : spec.lines[m.line];
    out.set(flag, line === undefined ? { as: flag } : { as: flag, line });
  }
  return out;
}

/**
 * daemon.json and dockerd's flags together. dockerd refuses to start when one setting is given both
 * ways, whatever the values ("the following directives are specified both as a flag and in the
 * configuration file"); so does this. Lines in the result are daemon.json's, the file its source names.
 */
export function mergeDaemon(json: DaemonSpec | undefined, flags: DaemonSpec | undefined): DaemonSpec {
  if (!json && !flags) return emptyDaemon({ file: '<dockerd>', kind: 'daemon', resource: 'dockerd' });
  if (!json || !flags) {
    const only = (json ?? flags) as DaemonSpec;
    const copy = structuredClone(only);
    DIRECTIVES.set(copy, new Map(directivesOf(only)));
    return copy;
  }
  const jd = directivesOf(json);
  const fd = directivesOf(flags);
  const clashes: string[] = [];
  let firstLine: number | undefined;
  for (const [flag, j] of jd) {
    // dockerd merges runtimes from both places instead of refusing.
    if (flag === 'add-runtime') continue;
    const f = fd.get(flag);
    if (!f) continue;
    firstLine ??= j.line;
    clashes.push(
      `${q(j.as)}${j.line === undefined ? '' : ` (line ${j.line})`} and ${f.as} (${at(flags.source.file, f.line)})`,
    );
  }
  if (clashes.length > 0)
    throw new UserError(
      `${at(json.source.file, firstLine)}: dockerd refuses settings given both as a flag and in the configuration file: ${clashes.join(', ')}`,
    );

  const merged: DaemonSpec = {
    source: { file: json.source.file, kind: 'daemon', resource: 'dockerd' },
    lines: { ...json.lines },
  };
  if (json.source.line !== undefined) merged.source.line = json.source.line;
  const target = merged as unknown as Record<string, unknown>;
  for (const spec of [flags, json]) {
    for (const [k, v] of Object.entries(spec)) {
      if (k === 'source' || k === 'lines' || v === undefined) continue;
      target[k] = structuredClone(v);
    }
  }
  DIRECTIVES.set(merged, new Map([...fd, ...jd]));
  return merged;
}
