// Value grammars shared by several input forms: --security-opt, sizes, the short volume and port
// syntaxes, ulimits and restart policies, as the docker CLI and compose read them.

import { UserError } from '../../errors.js';
import {
  type ContainerSpec,
  DOCKER_PROPAGATIONS,
  type MountSpec,
  type PortSpec,
  type RestartSpec,
  type UlimitSpec,
} from '../spec.js';

/**
 * Applies one --security-opt / security_opt value to a spec. Both the current `key=value` and the
 * deprecated `key:value` forms are accepted, as dockerd still does. `where` prefixes errors.
 */
export function applySecurityOpt(spec: ContainerSpec, opt: string, where: string, line?: number): void {
  const raw = opt.trim();
  if (raw === 'no-new-privileges') {
    spec.noNewPrivileges = true;
    if (line) spec.lines.noNewPrivileges = line;
    return;
  }
  const m = /^([a-z-]+)[=:](.*)$/s.exec(raw);
  if (!m) throw new UserError(`${where}: invalid --security-opt "${short(raw)}"`);
  const key = m[1] as string;
  const value = m[2] as string;
  switch (key) {
    case 'no-new-privileges': {
      const b = parseBool(value);
      if (b === undefined) throw new UserError(`${where}: invalid no-new-privileges value "${short(value)}"`);
      spec.noNewPrivileges = b;
      if (line) spec.lines.noNewPrivileges = line;
      return;
    }
    case 'seccomp':
      if (value === '') throw new UserError(`${where}: seccomp= needs a profile, "unconfined" or "builtin"`);
      spec.seccomp =
        value === 'unconfined'
          ? { kind: 'unconfined' }
          : value === 'builtin'
            ? { kind: 'default' }
            : { kind: 'custom', ref: value.trimStart().startsWith('{') ? 'inline JSON profile' : value };
      if (line) spec.lines.seccomp = line;
      return;
    case 'apparmor':
      if (value === '') throw new UserError(`${where}: apparmor= needs a profile name or "unconfined"`);
      spec.apparmor =
        value === 'unconfined'
          ? { kind: 'unconfined' }
          : value === 'docker-default' || value === 'runtime/default'
            ? { kind: 'default' }
            : { kind: 'custom', ref: value };
      if (line) spec.lines.apparmor = line;
      return;
    case 'label': {
      const label = spec.selinux ?? {};
      if (value === 'disable') label.disable = true;
      else {
        const lm = /^(user|role|type|level|filetype)[:=](.*)$/s.exec(value);
        if (!lm) throw new UserError(`${where}: invalid label option "${short(value)}"`);
        label[lm[1] as 'user' | 'role' | 'type' | 'level' | 'filetype'] = lm[2] as string;
      }
      spec.selinux = label;
      if (line) spec.lines.selinux = line;
      return;
    }
    case 'systempaths':
      if (value !== 'unconfined') throw new UserError(`${where}: systempaths only takes "unconfined"`);
      spec.procMount = 'Unmasked';
      if (line) spec.lines.procMount = line;
      return;
    case 'writable-cgroups':
      if (parseBool(value) === undefined)
        throw new UserError(`${where}: invalid writable-cgroups value "${short(value)}"`);
      return;
    default:
      throw new UserError(`${where}: unknown --security-opt "${short(key)}"`);
  }
}

/** A value quoted in a one-line error: control characters escaped, long values cut. */
function short(s: string): string {
  let t = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    t += named[c] ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c);
  }
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

export function parseBool(v: string | boolean): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (['1', 't', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'f', 'false', 'no', 'off'].includes(s)) return false;
  return undefined;
}

/**
 * A size as docker (RAMInBytes) and compose read it: a number with an optional b, k, m, g, t, p
 * suffix (also kb, mb, KiB...), 1024-based. Numbers are bytes. Returns undefined when invalid.
 */
export function parseSize(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgtp]?)(?:i?b)?\s*$/i.exec(v);
  if (!m) return undefined;
  const exp = 'bkmgtp'.indexOf((m[2] || 'b').toLowerCase());
  const n = Number(m[1]) * 1024 ** exp;
  return Number.isFinite(n) ? Math.floor(n) : undefined;
}

/**
 * The short volume syntax "[SOURCE:]TARGET[:OPTIONS]". A source that is a path (absolute, ./, ../
 * or ~) is a bind mount, anything else a named volume; a lone target is an anonymous volume.
 */
export function parseVolumeShort(v: string, where: string): MountSpec {
  const parts = splitVolume(v);
  if (parts.length === 0 || parts.length > 3 || parts.some((p) => p === ''))
    throw new UserError(`${where}: invalid volume "${short(v)}"`);
  if (parts.length === 1) return { type: 'volume', target: parts[0] as string, readOnly: false };
  const [source, target, opts = ''] = parts as [string, string, string?];
  const mount: MountSpec = {
    type: /^(\/|\.{1,2}(\/|$)|~)/.test(source) ? 'bind' : 'volume',
    source,
    target,
    readOnly: false,
  };
  for (const o of opts.split(',').filter(Boolean)) {
    if (o === 'ro' || o === 'readonly') mount.readOnly = true;
    else if (o === 'rw') mount.readOnly = false;
    else if (DOCKER_PROPAGATIONS.has(o)) mount.propagation = o;
    else if (!['z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated', 'U', 'O'].includes(o))
      throw new UserError(`${where}: invalid volume option "${short(o)}" in "${short(v)}"`);
  }
  return mount;
}

/** Splits a short volume spec as the CLI does: on ":", except after a Windows drive letter ("C:\x"). */
export function splitVolume(v: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === ':' && !(cur.length === 1 && /[A-Za-z]/.test(cur) && /[\\/]/.test(v[i + 1] ?? ''))) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * The short port syntax "[[IP:]HOST_PORT:]CONTAINER_PORT[/PROTO]" with ranges ("8000-8002:80-82").
 * IPv6 addresses are written in brackets. Returns one PortSpec per container port.
 */
export function parsePortShort(v: string, where: string): PortSpec[] {
  const s = v.trim();
  let proto = 'tcp';
  let rest = s;
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    proto = s.slice(slash + 1).toLowerCase();
    rest = s.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(proto))
      throw new UserError(`${where}: invalid port protocol in "${short(v)}"`);
  }
  let hostIp: string | undefined;
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  let parts: string[];
  if (v6) {
    hostIp = v6[1];
    parts = (v6[2] as string).split(':');
    if (parts.length !== 2) throw new UserError(`${where}: invalid port "${short(v)}"`);
  } else {
    parts = rest.split(':');
    if (parts.length === 3) hostIp = parts.shift();
    if (parts.length > 2) throw new UserError(`${where}: invalid port "${short(v)}"`);
  }
  const container = parts.pop() as string;
  const host = parts.pop();
  const cr = parseRange(container);
  const hr = host === undefined || host === '' ? undefined : parseRange(host);
  if (!cr || (host !== undefined && host !== '' && !hr))
    throw new UserError(`${where}: invalid port "${short(v)}"`);
  const count = cr[1] - cr[0] + 1;
  if (count > 65536) throw new UserError(`${where}: invalid port range "${short(v)}"`);
  if (hr && hr[1] - hr[0] + 1 !== count && hr[0] !== hr[1] && count !== 1)
    throw new UserError(`${where}: port ranges of different sizes in "${short(v)}"`);
  const out: PortSpec[] = [];
  for (let i = 0; i < count; i++) {
    const p: PortSpec = { containerPort: cr[0] + i, protocol: proto };
    if (hostIp !== undefined) p.hostIp = hostIp;
    if (hr) p.hostPort = hr[0] === hr[1] ? hr[0] : hr[0] + i;
    out.push(p);
  }
  return out;
}

function parseRange(s: string): [number, number] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s.trim());
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 65535 || b > 65535 || b < a) return undefined;
  return [a, b];
}

/** "--ulimit nofile=1024:2048" (hard defaults to soft); -1 = unlimited. */
export function parseUlimit(v: string, where: string): UlimitSpec {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(v.trim());
  if (!m) throw new UserError(`${where}: invalid ulimit "${short(v)}" (want name=soft[:hard])`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  return { name: m[1] as string, soft, hard };
}

const ULIMIT_NAMES = new Set([
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

export function isUlimitName(name: string): boolean {
  return ULIMIT_NAMES.has(name);
}

/** "no", "always", "unless-stopped", "on-failure[:N]". */
export function parseRestart(v: string, where: string): RestartSpec {
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(v.trim());
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure'))
    throw new UserError(`${where}: invalid restart policy "${short(v)}"`);
  const r: RestartSpec = { policy: m[1] as RestartSpec['policy'] };
  if (m[2] !== undefined) r.maxRetries = Number(m[2]);
  return r;
}
