// Compose files (compose-spec, and the v2/v3 formats with `version:`) read into one ContainerSpec per service.

import { UserError } from '../../errors.js';
import { normalizeCap } from '../caps.js';
import type { PathSeg, SourceDoc } from '../doc.js';
import {
  type ContainerSpec,
  type DeviceSpec,
  emptySpec,
  type MountSpec,
  type MountType,
  type PortSpec,
  type RestartSpec,
  type SpecField,
} from '../spec.js';
import {
  applySecurityOpt,
  isUlimitName,
  parseBool,
  parsePortShort,
  parseRestart,
  parseSize,
  parseUlimit,
  parseVolumeShort,
} from './common.js';

type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * True when a value still holds `${VAR}` or `$VAR` interpolation (compose resolves it from the
 * environment at `up` time, which an offline audit cannot). `$$` is an escaped dollar.
 */
export function isInterpolated(v: unknown): boolean {
  return typeof v === 'string' && /\$(\{|[A-Za-z_])/.test(v.replace(/\$\$/g, ''));
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

/** Reads one service with its location for messages and lines. */
class ServiceReader {
  readonly base: PathSeg[];
  constructor(
    readonly doc: SourceDoc,
    readonly file: string,
    readonly service: string,
    readonly def: Obj,
  ) {
    this.base = ['services', service];
  }

  line(...path: PathSeg[]): number | undefined {
    return this.doc.lineOf([...this.base, ...path]);
  }

  where(...path: PathSeg[]): string {
    // The nearest line that exists: a key inherited through a merge key has no line of its own.
    for (let n = path.length; n >= 0; n--) {
      const l = this.doc.lineOf([...this.base, ...path.slice(0, n)]);
      if (l !== undefined) return `${this.file}:${l}`;
    }
    return this.file;
  }

  fail(path: PathSeg[], msg: string): never {
    throw new UserError(`${this.where(...path)}: service "${this.service}": ${msg}`);
  }

  str(v: unknown, path: PathSeg[], allowNumber = false): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (allowNumber && typeof v === 'number' && Number.isFinite(v)) return String(v);
    return this.fail(path, `${path.join('.')} must be a string, not ${show(v)}`);
  }

  bool(v: unknown, path: PathSeg[]): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') {
      if (isInterpolated(v)) return undefined;
      const b = parseBool(v);
      if (b !== undefined) return b;
    }
    return this.fail(path, `${path.join('.')} must be true or false, not ${show(v)}`);
  }

  /** A number (integer unless `float`); strings holding one are accepted as compose does. */
  num(v: unknown, path: PathSeg[], float = false): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (isInterpolated(v)) return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    if (!Number.isFinite(n) || (!float && !Number.isInteger(n)))
      return this.fail(
        path,
        `${path.join('.')} must be ${float ? 'a number' : 'an integer'}, not ${show(v)}`,
      );
    return n;
  }

  size(v: unknown, path: PathSeg[]): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (isInterpolated(v)) return undefined;
    if (v === -1 || v === '-1') return -1;
    const n = typeof v === 'number' || typeof v === 'string' ? parseSize(v) : undefined;
    if (n === undefined) return this.fail(path, `${path.join('.')} is not a size: ${show(v)}`);
    return n;
  }

  list(v: unknown, path: PathSeg[]): unknown[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return this.fail(path, `${path.join('.')} must be a list, not ${show(v)}`);
    return v;
  }

  strings(v: unknown, path: PathSeg[]): string[] | undefined {
    const l = this.list(v, path);
    if (!l) return undefined;
    return l.map((x, i) => {
      if (typeof x !== 'string')
        return this.fail([...path, i], `${path.join('.')} must be a list of strings, not ${show(x)}`);
      return x;
    });
  }

  map(v: unknown, path: PathSeg[]): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) return this.fail(path, `${path.join('.')} must be a map, not ${show(v)}`);
    return v;
  }
}

/** One spec per service of a compose document. */
export function parseCompose(doc: SourceDoc, file: string): ContainerSpec[] {
  const root = doc.value;
  if (!isObj(root))
    throw new UserError(`${file}:${doc.line}: a compose file must be a map of top-level keys`);
  const services = root.services;
  if (services === undefined || services === null) {
    const legacy = Object.entries(root).some(
      ([k, v]) => !k.startsWith('x-') && isObj(v) && ('image' in v || 'build' in v),
    );
    if (legacy && root.version === undefined)
      throw new UserError(
        `${file}:${doc.line}: services at the top level are the compose v1 format, which compose no longer reads; put them under "services:"`,
      );
    return [];
  }
  if (!isObj(services))
    throw new UserError(
      `${file}:${doc.lineOf(['services']) ?? doc.line}: services must be a map of service names to definitions`,
    );
  const out: ContainerSpec[] = [];
  for (const [name, def] of Object.entries(services)) {
    if (!isObj(def))
      throw new UserError(
        `${file}:${doc.lineOf(['services', name]) ?? doc.line}: service "${name}" must be a map, not ${show(def)}`,
      );
    out.push(parseService(new ServiceReader(doc, file, name, def)));
  }
  return out;
}

function parseService(r: ServiceReader): ContainerSpec {
  const d = r.def;
  const containerName = r.str(d.container_name, ['container_name']);
  const spec = emptySpec(
    { file: r.file, kind: 'compose', line: r.line(), resource: `service ${r.service}` },
    containerName ?? r.service,
  );
  // A key inherited through a merge key (`<<: *base`) has no line in the service: the service's own line stands in.
  const mark = (field: SpecField, ...path: PathSeg[]) => {
    const l = r.line(...path) ?? r.line();
    if (l !== undefined) spec.lines[field] = l;
  };

  const image = r.str(d.image, ['image']);
  if (image !== undefined) {
    spec.image = image;
    mark('image', 'image');
  }
  const entrypoint = command(r, d.entrypoint, 'entrypoint');
  const cmd = command(r, d.command, 'command');
  if (entrypoint || cmd) spec.command = [...(entrypoint ?? []), ...(cmd ?? [])];

  const privileged = r.bool(d.privileged, ['privileged']);
  if (privileged !== undefined) {
    spec.privileged = privileged;
    mark('privileged', 'privileged');
  }
  for (const [key, field] of [
    ['cap_add', 'capAdd'],
    ['cap_drop', 'capDrop'],
  ] as const) {
    const caps = r.strings(d[key], [key]);
    if (!caps) continue;
    // An interpolated name cannot be judged; it is left out rather than reported as unknown.
    spec[field] = caps.filter((c) => !isInterpolated(c)).map(normalizeCap);
    mark(field, key);
  }
  const secOpts = r.strings(d.security_opt, ['security_opt']);
  secOpts?.forEach((opt, i) => {
    if (isInterpolated(opt)) return;
    applySecurityOpt(
      spec,
      opt,
      `${r.where('security_opt', i)}: service "${r.service}"`,
      r.line('security_opt', i),
    );
  });

  const user = r.str(d.user, ['user'], true);
  if (user !== undefined) {
    spec.user = user;
    mark('user', 'user');
  }
  const ro = r.bool(d.read_only, ['read_only']);
  if (ro !== undefined) {
    spec.readOnlyRootfs = ro;
    mark('readOnlyRootfs', 'read_only');
  }

  resources(r, spec, mark);
  namespaces(r, spec, mark);

  const cgroupParent = r.str(d.cgroup_parent, ['cgroup_parent']);
  if (cgroupParent !== undefined) {
    spec.cgroupParent = cgroupParent;
    mark('cgroupParent', 'cgroup_parent');
  }

  volumes(r, spec);
  tmpfs(r, spec);
  devices(r, spec);
  ports(r, spec);
  restart(r, spec, mark);
  healthcheck(r, spec, mark);
  ulimits(r, spec, mark);
  sysctls(r, spec, mark);
  return spec;
}

/** command/entrypoint: a list is exec form; a string is split the way a shell splits words. */
function command(r: ServiceReader, v: unknown, key: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return splitWords(v, () => r.fail([key], `${key} has an unterminated quote`));
  if (Array.isArray(v))
    return v.map((x, i) => {
      if (typeof x === 'string') return x;
      if (typeof x === 'number' || typeof x === 'boolean') return String(x);
      return r.fail([key, i], `${key} must be a string or a list of strings, not ${show(x)}`);
    });
  return r.fail([key], `${key} must be a string or a list of strings, not ${show(v)}`);
}

/** Shell-style word splitting: quotes group, backslash escapes; no expansion. */
export function splitWords(s: string, onError: () => never): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1] as string)) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) onError();
  if (inWord) out.push(cur);
  return out;
}

type Mark = (field: SpecField, ...path: PathSeg[]) => void;

function resources(r: ServiceReader, spec: ContainerSpec, mark: Mark): void {
  const d = r.def;
  const deploy = r.map(d.deploy, ['deploy']);
  const res = r.map(deploy?.resources, ['deploy', 'resources']);
  const limits = r.map(res?.limits, ['deploy', 'resources', 'limits']);
  const L = ['deploy', 'resources', 'limits'];

  // The service-level key wins over deploy.resources: compose refuses the two when they disagree.
  const mem = r.size(d.mem_limit, ['mem_limit']);
  const deployMem = r.size(limits?.memory, [...L, 'memory']);
  if (mem !== undefined) {
    spec.memory = mem;
    mark('memory', 'mem_limit');
  } else if (deployMem !== undefined) {
    spec.memory = deployMem;
    mark('memory', ...L, 'memory');
  }
  const swap = r.size(d.memswap_limit, ['memswap_limit']);
  if (swap !== undefined) {
    spec.memorySwap = swap;
    mark('memorySwap', 'memswap_limit');
  }
  const pids = r.num(d.pids_limit, ['pids_limit']);
  const deployPids = r.num(limits?.pids, [...L, 'pids']);
  if (pids !== undefined) {
    spec.pidsLimit = pids;
    mark('pidsLimit', 'pids_limit');
  } else if (deployPids !== undefined) {
    spec.pidsLimit = deployPids;
    mark('pidsLimit', ...L, 'pids');
  }
  const cpus = r.num(d.cpus, ['cpus'], true);
  const deployCpus = r.num(limits?.cpus, [...L, 'cpus'], true);
  if (cpus !== undefined) {
    if (cpus < 0) r.fail(['cpus'], `cpus must not be negative`);
    spec.cpus = cpus;
    mark('cpus', 'cpus');
  } else if (deployCpus !== undefined) {
    if (deployCpus < 0) r.fail([...L, 'cpus'], `cpus must not be negative`);
    spec.cpus = deployCpus;
    mark('cpus', ...L, 'cpus');
  }
  const shares = r.num(d.cpu_shares, ['cpu_shares']);
  if (shares !== undefined) {
    spec.cpuShares = shares;
    mark('cpuShares', 'cpu_shares');
  }
}

function namespaces(r: ServiceReader, spec: ContainerSpec, mark: Mark): void {
  const d = r.def;
  for (const [key, field] of [
    ['network_mode', 'network'],
    ['pid', 'pid'],
    ['ipc', 'ipc'],
    ['uts', 'uts'],
    ['userns_mode', 'userns'],
  ] as const) {
    const v = r.str(d[key], [key]);
    if (v === undefined || v === '' || isInterpolated(v)) continue;
    spec[field] = v;
    mark(field, key);
  }
  const cg = r.str(d.cgroup, ['cgroup']);
  if (cg !== undefined && !isInterpolated(cg)) {
    if (cg !== 'host' && cg !== 'private')
      r.fail(['cgroup'], `cgroup must be "host" or "private", not ${show(cg)}`);
    spec.cgroupns = cg;
    mark('cgroupns', 'cgroup');
  }
}

const LONG_MOUNT_TYPES: Record<string, MountType> = {
  bind: 'bind',
  volume: 'volume',
  tmpfs: 'tmpfs',
  npipe: 'npipe',
  cluster: 'other',
  image: 'other',
};

/**
 * Runs a parser of the short syntax on a value that may hold interpolation: "${X:-/a}" contains a
 * colon that is no separator, so each ${...} is swapped for a token, then restored in the result.
 * Returns undefined when the value cannot be read without knowing the variables.
 */
function withInterpolation<T>(
  v: string,
  parse: (s: string) => T,
  restore: (t: T, f: (s: string) => string) => T,
) {
  if (!isInterpolated(v)) return parse(v);
  const saved: string[] = [];
  const masked = v.replace(/\$\{[^}]*\}/g, (m) => {
    saved.push(m);
    return `\uE000${saved.length - 1}\uE000`;
  });
  const unmask = (s: string) => s.replace(/\uE000(\d+)\uE000/g, (_, i: string) => saved[Number(i)] ?? '');
  try {
    return restore(parse(masked), unmask);
  } catch (e) {
    if (e instanceof UserError) return undefined;
    throw e;
  }
}

function volumes(r: ServiceReader, spec: ContainerSpec): void {
  const list = r.list(r.def.volumes, ['volumes']);
  if (!list) return;
  const keyLine = r.line('volumes');
  if (keyLine !== undefined) spec.lines.mounts = keyLine;
  list.forEach((item, i) => {
    const path = ['volumes', i];
    const line = r.line(...path) ?? keyLine;
    let mount: MountSpec | undefined;
    if (typeof item === 'string') {
      const where = `${r.where(...path)}: service "${r.service}"`;
      mount = withInterpolation(
        item,
        (s) => parseVolumeShort(s, where),
        (m, f) => {
          if (m.source !== undefined) m.source = f(m.source);
          if (m.target !== undefined) m.target = f(m.target);
          if (m.type === 'volume' && m.source?.startsWith('$')) m.type = 'bind';
          return m;
        },
      );
    } else if (isObj(item)) {
      mount = longVolume(r, item, path);
    } else r.fail(path, `volumes items must be strings or maps, not ${show(item)}`);
    if (!mount) return;
    if (line !== undefined) mount.line = line;
    spec.mounts.push(mount);
  });
}

function longVolume(r: ServiceReader, v: Obj, path: PathSeg[]): MountSpec {
  const type = r.str(v.type, [...path, 'type']);
  if (type === undefined) r.fail(path, 'a volume in the long syntax needs a "type"');
  const mtype = LONG_MOUNT_TYPES[type];
  if (!mtype) r.fail([...path, 'type'], `unknown volume type ${show(type)}`);
  const target = r.str(v.target, [...path, 'target']);
  if (target === undefined || target === '') r.fail(path, 'a volume in the long syntax needs a "target"');
  const mount: MountSpec = {
    type: mtype,
    target,
    readOnly: r.bool(v.read_only, [...path, 'read_only']) ?? false,
  };
  const source = r.str(v.source, [...path, 'source']);
  if (source !== undefined && source !== '') mount.source = source;
  const bind = r.map(v.bind, [...path, 'bind']);
  const prop = r.str(bind?.propagation, [...path, 'bind', 'propagation']);
  if (prop !== undefined && prop !== '') mount.propagation = prop;
  return mount;
}

function tmpfs(r: ServiceReader, spec: ContainerSpec): void {
  const v = r.def.tmpfs;
  if (v === undefined || v === null) return;
  const items: [string, PathSeg[]][] =
    typeof v === 'string'
      ? [[v, ['tmpfs']]]
      : (r.strings(v, ['tmpfs']) ?? []).map((s, i): [string, PathSeg[]] => [s, ['tmpfs', i]]);
  if (spec.lines.mounts === undefined) {
    const l = r.line('tmpfs');
    if (l !== undefined) spec.lines.mounts = l;
  }
  for (const [s, path] of items) {
    // "/run:rw,size=64m": the options after the first colon go to the kernel, not to us.
    const target = s.split(':', 1)[0]?.trim() ?? '';
    if (target === '') r.fail(path, `invalid tmpfs ${show(s)}`);
    const mount: MountSpec = { type: 'tmpfs', target, readOnly: false };
    const line = r.line(...path);
    if (line !== undefined) mount.line = line;
    spec.mounts.push(mount);
  }
}

function devices(r: ServiceReader, spec: ContainerSpec): void {
  const list = r.list(r.def.devices, ['devices']);
  if (!list) return;
  const keyLine = r.line('devices');
  if (keyLine !== undefined) spec.lines.devices = keyLine;
  list.forEach((item, i) => {
    const path = ['devices', i];
    let dev: DeviceSpec;
    if (typeof item === 'string') {
      const parts = item.split(':');
      if (parts.length > 3 || parts.some((p) => p === '')) r.fail(path, `invalid device ${show(item)}`);
      dev = { host: parts[0] as string };
      if (parts.length === 2 && /^[rwm]+$/.test(parts[1] as string)) dev.permissions = parts[1];
      else if (parts.length >= 2) dev.container = parts[1];
      if (parts.length === 3) dev.permissions = parts[2];
    } else if (isObj(item)) {
      const source = r.str(item.source, [...path, 'source']);
      if (source === undefined || source === '') r.fail(path, 'a device in the long syntax needs a "source"');
      dev = { host: source };
      const target = r.str(item.target, [...path, 'target']);
      if (target) dev.container = target;
      const perms = r.str(item.permissions, [...path, 'permissions']);
      if (perms) dev.permissions = perms;
    } else r.fail(path, `devices items must be strings or maps, not ${show(item)}`);
    if (dev.permissions !== undefined && !/^[rwm]+$/.test(dev.permissions))
      r.fail(path, `invalid device permissions ${show(dev.permissions)} (want a combination of r, w, m)`);
    const line = r.line(...path) ?? keyLine;
    if (line !== undefined) dev.line = line;
    spec.devices.push(dev);
  });
}

function ports(r: ServiceReader, spec: ContainerSpec): void {
  const list = r.list(r.def.ports, ['ports']);
  if (!list) return;
  const keyLine = r.line('ports');
  if (keyLine !== undefined) spec.lines.ports = keyLine;
  list.forEach((item, i) => {
    const path = ['ports', i];
    const where = `${r.where(...path)}: service "${r.service}"`;
    let got: PortSpec[] | undefined;
    if (typeof item === 'number') {
      if (!Number.isInteger(item) || item < 1 || item > 65535) r.fail(path, `invalid port ${show(item)}`);
      got = [{ containerPort: item, protocol: 'tcp' }];
    } else if (typeof item === 'string') {
      got = withInterpolation(
        item,
        (s) => parsePortShort(s, where),
        (ps, f) => {
          for (const p of ps) if (p.hostIp !== undefined) p.hostIp = f(p.hostIp);
          return ps;
        },
      );
    } else if (isObj(item)) {
      got = longPort(r, item, path, where);
    } else r.fail(path, `ports items must be numbers, strings or maps, not ${show(item)}`);
    const line = r.line(...path) ?? keyLine;
    for (const p of got ?? []) {
      if (line !== undefined) p.line = line;
      spec.ports.push(p);
    }
  });
}

function longPort(r: ServiceReader, v: Obj, path: PathSeg[], where: string): PortSpec[] | undefined {
  const target = r.str(v.target, [...path, 'target'], true);
  if (target === undefined) r.fail(path, 'a port in the long syntax needs a "target"');
  const published = r.str(v.published, [...path, 'published'], true);
  const hostIp = r.str(v.host_ip, [...path, 'host_ip']);
  const proto = r.str(v.protocol, [...path, 'protocol']) ?? 'tcp';
  if ([target, published, hostIp, proto].some(isInterpolated)) return undefined;
  // Built back into the short form so both syntaxes share one grammar (and its range checks).
  let s = target;
  if (published !== undefined && published !== '') s = `${published}:${s}`;
  if (hostIp !== undefined && hostIp !== '')
    s = `${hostIp.includes(':') ? `[${hostIp}]` : hostIp}:${published !== undefined && published !== '' ? '' : ':'}${s}`;
  return parsePortShort(`${s}/${proto.toLowerCase()}`, where);
}

function restart(r: ServiceReader, spec: ContainerSpec, mark: Mark): void {
  const d = r.def;
  const v = r.str(d.restart, ['restart']);
  if (v !== undefined && !isInterpolated(v)) {
    spec.restart = parseRestart(v, `${r.where('restart')}: service "${r.service}"`);
    mark('restart', 'restart');
    return;
  }
  const deploy = r.map(d.deploy, ['deploy']);
  const P = ['deploy', 'restart_policy'];
  const policy = r.map(deploy?.restart_policy, P);
  if (!policy) return;
  const cond = r.str(policy.condition, [...P, 'condition']) ?? 'any';
  if (isInterpolated(cond)) return;
  const map: Record<string, RestartSpec['policy']> = {
    none: 'no',
    'on-failure': 'on-failure',
    any: 'always',
  };
  const p = map[cond];
  if (!p)
    r.fail(
      [...P, 'condition'],
      `restart_policy condition must be none, on-failure or any, not ${show(cond)}`,
    );
  const rs: RestartSpec = { policy: p };
  const max = r.num(policy.max_attempts, [...P, 'max_attempts']);
  if (max !== undefined) rs.maxRetries = max;
  spec.restart = rs;
  mark('restart', ...P);
}

function healthcheck(r: ServiceReader, spec: ContainerSpec, mark: Mark): void {
  const h = r.map(r.def.healthcheck, ['healthcheck']);
  if (!h) return;
  const H = ['healthcheck'];
  if (r.bool(h.disable, [...H, 'disable']) === true) {
    spec.healthcheck = false;
    mark('healthcheck', 'healthcheck');
    return;
  }
  const test = h.test;
  if (test === undefined || test === null) return; // only timings: the image's check, retimed
  let first: string | undefined;
  if (typeof test === 'string') first = test.trim();
  else if (Array.isArray(test)) {
    const t = r.strings(test, [...H, 'test']) ?? [];
    first = t[0];
  } else r.fail([...H, 'test'], `healthcheck.test must be a string or a list, not ${show(test)}`);
  spec.healthcheck = first !== 'NONE' && first !== '' && first !== undefined;
  mark('healthcheck', 'healthcheck');
}

function ulimits(r: ServiceReader, spec: ContainerSpec, mark: Mark): void {
  const u = r.map(r.def.ulimits, ['ulimits']);
  if (!u) return;
  for (const [name, v] of Object.entries(u)) {
    const path = ['ulimits', name];
    if (!isUlimitName(name)) r.fail(path, `unknown ulimit ${show(name)}`);
    let soft: number | undefined;
    let hard: number | undefined;
    if (isObj(v)) {
      soft = r.num(v.soft, [...path, 'soft']);
      hard = r.num(v.hard, [...path, 'hard']);
      if ((soft === undefined) !== (hard === undefined) && !isInterpolated(v.soft) && !isInterpolated(v.hard))
        r.fail(path, `ulimit ${name} needs both "soft" and "hard"`);
    } else {
      soft = r.num(v, path);
      hard = soft;
    }
    if (soft === undefined || hard === undefined) continue;
    spec.ulimits.push(parseUlimit(`${name}=${soft}:${hard}`, `${r.where(...path)}: service "${r.service}"`));
  }
  mark('ulimits', 'ulimits');
}

function sysctls(r: ServiceReader, spec: ContainerSpec, mark: Mark): void {
  const v = r.def.sysctls;
  if (v === undefined || v === null) return;
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (typeof item !== 'string') r.fail(['sysctls', i], `sysctls items must be "name=value" strings`);
      const eq = item.indexOf('=');
      if (eq <= 0) r.fail(['sysctls', i], `invalid sysctl ${show(item)} (want name=value)`);
      spec.sysctls[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
    });
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x !== null && typeof x === 'object') r.fail(['sysctls', k], `sysctl ${k} must be a scalar value`);
      spec.sysctls[k] = x === null || x === undefined ? '' : String(x);
    }
  } else r.fail(['sysctls'], `sysctls must be a map or a list, not ${show(v)}`);
  mark('sysctls', 'sysctls');
}
