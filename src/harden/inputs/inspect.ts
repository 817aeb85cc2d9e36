// `docker inspect` / `podman inspect` JSON as an input form: containers become ContainerSpecs (from
// HostConfig, Config, Mounts...), images become ImageFacts for the rules that look at the image.

import { UserError } from '../../errors.js';
import { normalizeCap } from '../caps.js';
import type { PathSeg, SourceDoc } from '../doc.js';
import { type ContainerSpec, emptySpec, type MountSpec, type MountType, type SpecField } from '../spec.js';
import { parseVolumeShort } from './common.js';
import { applyEngineSecurityOpt, oneLine } from './docker-run.js';

/** What an image's inspect output says about how its containers run. */
export interface ImageFacts {
  /** The first tag, else the first digest reference, else the image ID. */
  ref: string;
  user?: string;
  /** A HEALTHCHECK is configured; false = HEALTHCHECK NONE; undefined = none said. */
  healthcheck?: boolean;
  exposedPorts: { port: number; protocol: string }[];
  entrypoint?: string[];
  cmd?: string[];
  /** Line of the image's element in the file. */
  line?: number;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function setKey(obj: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Typed access to one element with errors that carry file:line and the JSON path. */
class Reader {
  constructor(
    private readonly doc: SourceDoc,
    private readonly file: string,
  ) {}

  line(path: readonly PathSeg[]): number {
    for (let n = path.length; n > 0; n--) {
      const l = this.doc.lineOf(path.slice(0, n));
      if (l !== undefined) return l;
    }
    return this.doc.line;
  }

  where(path: readonly PathSeg[]): string {
    return `${this.file}:${this.line(path)}`;
  }

  fail(path: readonly PathSeg[], msg: string): never {
    throw new UserError(`${this.where(path)}: ${pathText(path)} ${msg}`);
  }

  /** The value at obj[key]; null counts as absent, as docker prints null for unset lists and maps. */
  private at(obj: Obj, key: string): unknown {
    return Object.hasOwn(obj, key) ? obj[key] : undefined;
  }

  bool(obj: Obj, key: string, path: readonly PathSeg[]): boolean | undefined {
    const v = this.at(obj, key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail([...path, key], `must be true or false, not ${show(v)}`);
    return v;
  }

  str(obj: Obj, key: string, path: readonly PathSeg[]): string | undefined {
    const v = this.at(obj, key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail([...path, key], `must be a string, not ${show(v)}`);
    return v;
  }

  num(obj: Obj, key: string, path: readonly PathSeg[]): number | undefined {
    const v = this.at(obj, key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.fail([...path, key], `must be a number, not ${show(v)}`);
    return v;
  }

  obj(obj: Obj, key: string, path: readonly PathSeg[]): Obj | undefined {
    const v = this.at(obj, key);
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) this.fail([...path, key], `must be an object, not ${show(v)}`);
    return v;
  }

  arr(obj: Obj, key: string, path: readonly PathSeg[]): unknown[] | undefined {
    const v = this.at(obj, key);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail([...path, key], `must be a list, not ${show(v)}`);
    return v;
  }

  strList(obj: Obj, key: string, path: readonly PathSeg[]): string[] | undefined {
    const a = this.arr(obj, key, path);
    if (!a) return undefined;
    return a.map((x, j) => {
      if (typeof x !== 'string') this.fail([...path, key, j], `must be a string, not ${show(x)}`);
      return x;
    });
  }

  /** A command given as a list, or (podman's Config.Entrypoint) a string; "" is none. */
  command(obj: Obj, key: string, path: readonly PathSeg[]): string[] | undefined {
    const v = this.at(obj, key);
    if (typeof v === 'string') return v === '' ? undefined : [v];
    return this.strList(obj, key, path);
  }

  objItem(v: unknown, path: readonly PathSeg[]): Obj {
    if (!isObj(v)) this.fail(path, `must be an object, not ${show(v)}`);
    return v;
  }
}

function pathText(path: readonly PathSeg[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s || 'the document';
}

/**
 * Reads the JSON `docker inspect`, `docker container inspect`, `docker image inspect` or
 * `podman inspect` prints: an array of containers and images (a single object is accepted too).
 */
export function parseInspect(
  doc: SourceDoc,
  file: string,
): { containers: ContainerSpec[]; images: ImageFacts[] } {
  try {
    return parseElements(doc, file);
  } catch (e) {
    // Values are echoed in messages (security options, binds); a message stays one line.
    if (e instanceof UserError && oneLine(e.message) !== e.message) throw new UserError(oneLine(e.message));
    throw e;
  }
}

function parseElements(doc: SourceDoc, file: string): { containers: ContainerSpec[]; images: ImageFacts[] } {
  const value = doc.value;
  const r = new Reader(doc, file);
  const elements: { el: unknown; base: PathSeg[]; index: number }[] = Array.isArray(value)
    ? value.map((el, index) => ({ el, base: [index], index }))
    : isObj(value)
      ? [{ el: value, base: [], index: 0 }]
      : [];
  if (!Array.isArray(value) && !isObj(value))
    throw new UserError(`${file}:${doc.line}: not docker inspect output (expected a JSON array of objects)`);
  const containers: ContainerSpec[] = [];
  const images: ImageFacts[] = [];
  for (const { el, base, index } of elements) {
    if (!isObj(el))
      throw new UserError(`${r.where(base)}: element ${index} is not an object but ${show(el)}`);
    if (has(el, 'HostConfig') || has(el, 'State') || (has(el, 'Mounts') && has(el, 'Config')))
      containers.push(parseContainer(r, el, base, doc, file, index));
    else if (has(el, 'RootFS') || has(el, 'RepoTags') || has(el, 'RepoDigests'))
      images.push(parseImage(r, el, base, index));
    else
      throw new UserError(
        `${r.where(base)}: element ${index} is neither a container (no HostConfig or State) nor an image (no RootFS or RepoTags)`,
      );
  }
  return { containers, images };
}

function has(o: Obj, k: string): boolean {
  return Object.hasOwn(o, k);
}

const MOUNT_TYPES: Record<string, MountType> = {
  bind: 'bind',
  volume: 'volume',
  tmpfs: 'tmpfs',
  npipe: 'npipe',
};

const NAMESPACES: Array<[string, 'network' | 'pid' | 'ipc' | 'uts' | 'userns' | 'cgroupns']> = [
  ['NetworkMode', 'network'],
  ['PidMode', 'pid'],
  ['IpcMode', 'ipc'],
  ['UTSMode', 'uts'],
  ['UsernsMode', 'userns'],
  ['CgroupnsMode', 'cgroupns'],
  // podman's name for the cgroup namespace mode
  ['CgroupMode', 'cgroupns'],
];

const BIND_OPTIONS = new Set([
  'ro',
  'rw',
  'shared',
  'rshared',
  'slave',
  'rslave',
  'private',
  'rprivate',
  'z',
  'Z',
]);

const RESTART = new Set(['no', 'always', 'on-failure', 'unless-stopped']);

function parseContainer(
  r: Reader,
  el: Obj,
  base: PathSeg[],
  doc: SourceDoc,
  file: string,
  index: number,
): ContainerSpec {
  const rawName = r.str(el, 'Name', base);
  const id = r.str(el, 'Id', base);
  const display = rawName || (id ? id.slice(0, 12) : `#${index}`);
  const spec = emptySpec(
    { file, kind: 'inspect', line: doc.lineOf(base) ?? doc.line, resource: `container ${display}` },
    display.replace(/^\//, ''),
  );
  const mark = (field: SpecField, path: PathSeg[]) => {
    const l = doc.lineOf(path);
    if (l !== undefined) spec.lines[field] = l;
  };

  const cfgPath = [...base, 'Config'];
  const cfg = r.obj(el, 'Config', base);
  const image =
    (cfg && r.str(cfg, 'Image', cfgPath)) || r.str(el, 'ImageName', base) || r.str(el, 'Image', base);
  if (image) {
    spec.image = image;
    mark('image', cfg && r.str(cfg, 'Image', cfgPath) ? [...cfgPath, 'Image'] : [...base, 'Image']);
  }
  const path = r.str(el, 'Path', base);
  const args = r.strList(el, 'Args', base) ?? [];
  if (path) spec.command = [path, ...args];
  else if (cfg) {
    const cmd = [...(r.command(cfg, 'Entrypoint', cfgPath) ?? []), ...(r.command(cfg, 'Cmd', cfgPath) ?? [])];
    if (cmd.length > 0) spec.command = cmd;
  }
  if (cfg) {
    const user = r.str(cfg, 'User', cfgPath);
    if (user) {
      spec.user = user;
      mark('user', [...cfgPath, 'User']);
    }
    const hc = r.obj(cfg, 'Healthcheck', cfgPath);
    if (hc) {
      const test = r.strList(hc, 'Test', [...cfgPath, 'Healthcheck']) ?? [];
      if (test[0] === 'NONE') spec.healthcheck = false;
      else if (test.length > 0) spec.healthcheck = true;
      if (spec.healthcheck !== undefined) mark('healthcheck', [...cfgPath, 'Healthcheck']);
    }
  }
  const state = r.obj(el, 'State', base);
  if (state && spec.healthcheck === undefined) {
    const health = r.obj(state, 'Health', [...base, 'State']);
    const status = health && r.str(health, 'Status', [...base, 'State', 'Health']);
    if (status) {
      spec.healthcheck = true;
      mark('healthcheck', [...base, 'State', 'Health']);
    }
  }

  const hp = [...base, 'HostConfig'];
  const hc = r.obj(el, 'HostConfig', base) ?? {};

  const privileged = r.bool(hc, 'Privileged', hp);
  if (privileged !== undefined) {
    spec.privileged = privileged;
    mark('privileged', [...hp, 'Privileged']);
  }
  for (const [key, field] of [
    ['CapAdd', 'capAdd'],
    ['CapDrop', 'capDrop'],
  ] as const) {
    const caps = r.strList(hc, key, hp);
    if (caps && caps.length > 0) {
      spec[field].push(...caps.map(normalizeCap));
      mark(field, [...hp, key]);
    }
  }
  // podman prints the resulting set; its CapAdd/CapDrop do not always say what was asked.
  for (const key of ['BoundingCaps', 'EffectiveCaps']) {
    const caps = r.strList(el, key, base);
    if (caps) {
      spec.capsExplicit = caps.map(normalizeCap);
      mark('capsExplicit', [...base, key]);
      break;
    }
  }

  const opts = r.strList(hc, 'SecurityOpt', hp) ?? [];
  opts.forEach((o, j) => {
    const p = [...hp, 'SecurityOpt', j];
    applyEngineSecurityOpt(spec, o, r.where(p), r.line(p));
  });
  const aa = r.str(el, 'AppArmorProfile', base);
  if (aa) {
    spec.apparmor =
      aa === 'unconfined'
        ? { kind: 'unconfined' }
        : aa === 'docker-default'
          ? { kind: 'default' }
          : { kind: 'custom', ref: aa };
    mark('apparmor', [...base, 'AppArmorProfile']);
  }
  const label = r.str(el, 'ProcessLabel', base);
  if (label) {
    // user:role:type:level, where the MLS level may hold colons itself (s0:c1,c2).
    const [u, ro, ty, ...lv] = label.split(':');
    const sel = spec.selinux ?? {};
    if (u && sel.user === undefined) sel.user = u;
    if (ro && sel.role === undefined) sel.role = ro;
    if (ty && sel.type === undefined) sel.type = ty;
    if (lv.length > 0 && sel.level === undefined) sel.level = lv.join(':');
    spec.selinux = sel;
    spec.lines.selinux ??= r.line([...base, 'ProcessLabel']);
  }

  const ro = r.bool(hc, 'ReadonlyRootfs', hp);
  if (ro !== undefined) {
    spec.readOnlyRootfs = ro;
    mark('readOnlyRootfs', [...hp, 'ReadonlyRootfs']);
  }
  const memory = r.num(hc, 'Memory', hp);
  if (memory !== undefined && memory > 0) {
    spec.memory = memory;
    mark('memory', [...hp, 'Memory']);
  }
  const swap = r.num(hc, 'MemorySwap', hp);
  if (swap !== undefined && swap !== 0) {
    spec.memorySwap = swap;
    mark('memorySwap', [...hp, 'MemorySwap']);
  }
  const pids = r.num(hc, 'PidsLimit', hp);
  if (pids !== undefined && pids !== 0) {
    spec.pidsLimit = pids;
    mark('pidsLimit', [...hp, 'PidsLimit']);
  }
  const nano = r.num(hc, 'NanoCpus', hp);
  const quota = r.num(hc, 'CpuQuota', hp);
  const period = r.num(hc, 'CpuPeriod', hp);
  if (nano !== undefined && nano > 0) {
    spec.cpus = nano / 1e9;
    mark('cpus', [...hp, 'NanoCpus']);
  } else if (quota !== undefined && quota > 0) {
    // --cpu-quota/--cpu-period is the older spelling of the same CFS limit.
    spec.cpus = quota / (period && period > 0 ? period : 100_000);
    mark('cpus', [...hp, 'CpuQuota']);
  }
  const shares = r.num(hc, 'CpuShares', hp);
  if (shares !== undefined && shares > 0) {
    spec.cpuShares = shares;
    mark('cpuShares', [...hp, 'CpuShares']);
  }
  for (const [key, field] of NAMESPACES) {
    const mode = r.str(hc, key, hp);
    if (mode && spec[field] === undefined) {
      spec[field] = mode;
      mark(field, [...hp, key]);
    }
  }

  readMounts(r, el, hc, base, spec);

  const devices = r.arr(hc, 'Devices', hp) ?? [];
  devices.forEach((d, j) => {
    const p = [...hp, 'Devices', j];
    const o = r.objItem(d, p);
    const host = r.str(o, 'PathOnHost', p);
    if (!host) r.fail([...p, 'PathOnHost'], 'is missing');
    const dev: ContainerSpec['devices'][number] = { host, line: r.line(p) };
    const inner = r.str(o, 'PathInContainer', p);
    if (inner) dev.container = inner;
    const perms = r.str(o, 'CgroupPermissions', p);
    if (perms) dev.permissions = perms;
    spec.devices.push(dev);
  });
  if (devices.length > 0) mark('devices', [...hp, 'Devices']);

  const bindings = r.obj(hc, 'PortBindings', hp) ?? {};
  for (const key of Object.keys(bindings)) {
    const p = [...hp, 'PortBindings', key];
    const m = /^(\d{1,5})(?:\/([a-z]+))?$/.exec(key);
    const containerPort = m ? Number(m[1]) : Number.NaN;
    if (!m || containerPort > 65535) r.fail(p, 'is not a port such as "80/tcp"');
    const protocol = m[2] ?? 'tcp';
    const list = r.arr(bindings, key, [...hp, 'PortBindings']) ?? [];
    if (list.length === 0) spec.ports.push({ containerPort, protocol, line: r.line(p) });
    list.forEach((b, j) => {
      const bp = [...p, j];
      const o = r.objItem(b, bp);
      const port = { containerPort, protocol, line: r.line(bp) } as ContainerSpec['ports'][number];
      const hostIp = r.str(o, 'HostIp', bp);
      if (hostIp !== undefined) port.hostIp = hostIp;
      const hostPort = r.str(o, 'HostPort', bp);
      if (hostPort) {
        const hm = /^(\d{1,5})(?:-\d{1,5})?$/.exec(hostPort);
        if (!hm || Number(hm[1]) > 65535) r.fail([...bp, 'HostPort'], `is not a port: ${show(hostPort)}`);
        port.hostPort = Number(hm[1]);
      }
      spec.ports.push(port);
    });
  }
  if (spec.ports.length > 0) mark('ports', [...hp, 'PortBindings']);
  if (r.bool(hc, 'PublishAllPorts', hp)) {
    spec.annotations = {};
    setKey(spec.annotations, 'drydock/publish-all', 'true');
  }

  const rp = r.obj(hc, 'RestartPolicy', hp);
  if (rp) {
    const p = [...hp, 'RestartPolicy'];
    const name = r.str(rp, 'Name', p);
    if (name) {
      if (!RESTART.has(name)) r.fail([...p, 'Name'], `is not a restart policy: ${show(name)}`);
      spec.restart = { policy: name as NonNullable<ContainerSpec['restart']>['policy'] };
      const max = r.num(rp, 'MaximumRetryCount', p);
      if (name === 'on-failure' && max !== undefined && max > 0) spec.restart.maxRetries = max;
      mark('restart', p);
    }
  }
  const parent = r.str(hc, 'CgroupParent', hp);
  if (parent) {
    spec.cgroupParent = parent;
    mark('cgroupParent', [...hp, 'CgroupParent']);
  }
  const ulimits = r.arr(hc, 'Ulimits', hp) ?? [];
  ulimits.forEach((u, j) => {
    const p = [...hp, 'Ulimits', j];
    const o = r.objItem(u, p);
    const name = r.str(o, 'Name', p);
    if (!name) r.fail([...p, 'Name'], 'is missing');
    const soft = r.num(o, 'Soft', p) ?? 0;
    const hard = r.num(o, 'Hard', p) ?? soft;
    // podman names them RLIMIT_NOFILE; docker nofile.
    spec.ulimits.push({ name: name.toLowerCase().replace(/^rlimit_/, ''), soft, hard });
  });
  if (ulimits.length > 0) mark('ulimits', [...hp, 'Ulimits']);
  const sysctls = r.obj(hc, 'Sysctls', hp) ?? {};
  for (const k of Object.keys(sysctls)) {
    const v = sysctls[k];
    if (typeof v !== 'string' && typeof v !== 'number')
      r.fail([...hp, 'Sysctls', k], `must be a string, not ${show(v)}`);
    setKey(spec.sysctls, k, String(v));
  }
  if (Object.keys(sysctls).length > 0) mark('sysctls', [...hp, 'Sysctls']);
  const masked = r.arr(hc, 'MaskedPaths', hp);
  if (masked && masked.length === 0 && spec.procMount === undefined) {
    spec.procMount = 'Unmasked';
    mark('procMount', [...hp, 'MaskedPaths']);
  }
  return spec;
}

/**
 * The container's mounts: the top-level Mounts list (what the daemon mounted), else HostConfig's
 * Binds and Mounts (what was asked); HostConfig.Tmpfs adds the --tmpfs mounts that Mounts omits.
 */
function readMounts(r: Reader, el: Obj, hc: Obj, base: PathSeg[], spec: ContainerSpec): void {
  const hp = [...base, 'HostConfig'];
  const top = r.arr(el, 'Mounts', base);
  if (top) {
    top.forEach((m, j) => {
      const p = [...base, 'Mounts', j];
      const o = r.objItem(m, p);
      const type = r.str(o, 'Type', p) ?? 'volume';
      const mount: MountSpec = { type: MOUNT_TYPES[type] ?? 'other', readOnly: r.bool(o, 'RW', p) === false };
      const source = type === 'volume' ? r.str(o, 'Name', p) || r.str(o, 'Source', p) : r.str(o, 'Source', p);
      if (source) mount.source = source;
      const target = r.str(o, 'Destination', p);
      if (target) mount.target = target;
      const prop = r.str(o, 'Propagation', p);
      if (prop) mount.propagation = prop;
      mount.line = r.line(p);
      spec.mounts.push(mount);
    });
    if (top.length > 0) spec.lines.mounts = r.line([...base, 'Mounts']);
  } else {
    const binds = r.strList(hc, 'Binds', hp) ?? [];
    binds.forEach((b, j) => {
      const p = [...hp, 'Binds', j];
      // Binds carry mount flags the short -v syntax does not (rbind, nosuid...): keep the meaningful ones.
      const parts = b.split(':');
      let spelled = b;
      if (parts.length === 3) {
        const keep = (parts[2] as string).split(',').filter((x) => BIND_OPTIONS.has(x));
        spelled = keep.length > 0 ? `${parts[0]}:${parts[1]}:${keep.join(',')}` : `${parts[0]}:${parts[1]}`;
      }
      const mount = parseVolumeShort(spelled, r.where(p));
      mount.line = r.line(p);
      spec.mounts.push(mount);
    });
    const asked = r.arr(hc, 'Mounts', hp) ?? [];
    asked.forEach((m, j) => {
      const p = [...hp, 'Mounts', j];
      const o = r.objItem(m, p);
      const type = r.str(o, 'Type', p) ?? 'volume';
      const mount: MountSpec = {
        type: MOUNT_TYPES[type] ?? 'other',
        readOnly: r.bool(o, 'ReadOnly', p) === true,
      };
      const source = r.str(o, 'Source', p);
      if (source) mount.source = source;
      const target = r.str(o, 'Target', p);
      if (target) mount.target = target;
      const bo = r.obj(o, 'BindOptions', p);
      const prop = bo && r.str(bo, 'Propagation', [...p, 'BindOptions']);
      if (prop) mount.propagation = prop;
      mount.line = r.line(p);
      spec.mounts.push(mount);
    });
    if (binds.length + asked.length > 0)
      spec.lines.mounts = r.line([...hp, binds.length > 0 ? 'Binds' : 'Mounts']);
  }
  const tmpfs = r.obj(hc, 'Tmpfs', hp) ?? {};
  for (const target of Object.keys(tmpfs)) {
    const p = [...hp, 'Tmpfs', target];
    const opts = tmpfs[target];
    if (typeof opts !== 'string') r.fail(p, `must be a string of mount options, not ${show(opts)}`);
    if (spec.mounts.some((m) => m.target === target)) continue;
    spec.mounts.push({ type: 'tmpfs', target, readOnly: opts.split(',').includes('ro'), line: r.line(p) });
    spec.lines.mounts ??= r.line(p);
  }
}

function parseImage(r: Reader, el: Obj, base: PathSeg[], index: number): ImageFacts {
  const tags = r.strList(el, 'RepoTags', base) ?? [];
  const digests = r.strList(el, 'RepoDigests', base) ?? [];
  const id = r.str(el, 'Id', base);
  const facts: ImageFacts = {
    ref: tags[0] ?? digests[0] ?? id ?? `image #${index}`,
    exposedPorts: [],
    line: r.line(base),
  };
  const cp = [...base, 'Config'];
  const cfg = r.obj(el, 'Config', base);
  if (!cfg) return facts;
  const user = r.str(cfg, 'User', cp);
  if (user) facts.user = user;
  const hc = r.obj(cfg, 'Healthcheck', cp);
  if (hc) {
    const test = r.strList(hc, 'Test', [...cp, 'Healthcheck']) ?? [];
    if (test[0] === 'NONE') facts.healthcheck = false;
    else if (test.length > 0) facts.healthcheck = true;
  }
  const exposed = r.obj(cfg, 'ExposedPorts', cp) ?? {};
  for (const key of Object.keys(exposed)) {
    const m = /^(\d{1,5})(?:\/([a-z]+))?$/.exec(key);
    if (!m || Number(m[1]) > 65535) r.fail([...cp, 'ExposedPorts', key], 'is not a port such as "80/tcp"');
    facts.exposedPorts.push({ port: Number(m[1]), protocol: m[2] ?? 'tcp' });
  }
  const entrypoint = r.command(cfg, 'Entrypoint', cp);
  if (entrypoint) facts.entrypoint = entrypoint;
  const cmd = r.command(cfg, 'Cmd', cp);
  if (cmd) facts.cmd = cmd;
  return facts;
}
