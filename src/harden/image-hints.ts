// What `drydock harden --image` learns from an image: its USER, exposed ports, entrypoint, and the
// file capabilities (security.capability) of the entrypoint binary, read from the layers' PAX
// SCHILY.xattr records with whiteouts and symlinks applied.

import { readLayer } from '../image/layer.js';
import type { EntrySink, TarEntry } from '../image/tar.js';
import type { Image } from '../image/types.js';
import { capsFromMask } from './caps.js';
import type { ImageHints } from './plan.js';

interface Node {
  type: 'file' | 'symlink' | 'other';
  link?: string;
  caps?: string[];
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const VFS_CAP_REVISION_MASK = 0xff000000;

/**
 * Decodes a security.capability value (struct vfs_cap_data / vfs_ns_cap_data, little endian):
 * revision 1 has one 32-bit permitted word, revisions 2 and 3 two (3 adds the namespace root UID).
 * Returns the permitted set, or undefined for a malformed value.
 */
export function decodeFileCaps(raw: Buffer): string[] | undefined {
  if (raw.length < 8) return undefined;
  const magic = raw.readUInt32LE(0);
  const rev = (magic & VFS_CAP_REVISION_MASK) >>> 0;
  let lo: number;
  let hi = 0;
  if (rev === 0x01000000 && raw.length >= 12) lo = raw.readUInt32LE(4);
  else if ((rev === 0x02000000 && raw.length >= 20) || (rev === 0x03000000 && raw.length >= 24)) {
    lo = raw.readUInt32LE(4);
    hi = raw.readUInt32LE(12);
  } else return undefined;
  return capsFromMask((BigInt(hi) << 32n) | BigInt(lo));
}

function norm(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

class HintSink {
  /** The merged view of the layers read so far. */
  readonly nodes = new Map<string, Node>();
  private layer = new Map<string, Node | null>();
  private whiteouts = new Set<string>();
  private opaque = new Set<string>();
  warnings: string[] = [];

  entry(e: TarEntry): EntrySink | null {
    const p = norm(e.name);
    const base = p.slice(p.lastIndexOf('/') + 1);
    const dir = p.slice(0, p.lastIndexOf('/')) || '/';
    if (base === '.wh..wh..opq') this.opaque.add(dir);
    else if (base.startsWith('.wh.')) this.whiteouts.add(norm(`${dir}/${base.slice(4)}`));
    else if (e.type === 'symlink') this.layer.set(p, { type: 'symlink', link: e.linkname });
    else if (e.type === 'file' || e.type === 'hardlink') {
      const raw = e.xattrs?.['security.capability'];
      const caps = raw === undefined ? undefined : decodeFileCaps(Buffer.from(raw, 'latin1'));
      this.layer.set(p, (e.mode & 0o111) !== 0 || caps ? { type: 'file', ...(caps ? { caps } : {}) } : null);
    } else this.layer.set(p, null);
    return null;
  }

  /** Applies the layer just read: its whiteouts and opaque dirs hide lower paths, its entries win. */
  endLayer(): void {
    if (this.whiteouts.size > 0 || this.opaque.size > 0) {
      for (const k of [...this.nodes.keys()]) {
        let cur = k;
        let first = true;
        while (cur !== '/' && cur !== '') {
          if (this.whiteouts.has(cur) || (!first && this.opaque.has(cur))) {
            this.nodes.delete(k);
            break;
          }
          first = false;
          cur = cur.slice(0, cur.lastIndexOf('/')) || '/';
        }
        if (cur === '/' && this.opaque.has('/') && k !== '/') this.nodes.delete(k);
      }
    }
    for (const [k, v] of this.layer) {
      if (v === null) this.nodes.delete(k);
      else this.nodes.set(k, v);
    }
    this.layer = new Map();
    this.whiteouts = new Set();
    this.opaque = new Set();
  }

  async drain(): Promise<void> {}
  warn(msg: string): void {
    if (this.warnings.length < 100) this.warnings.push(msg);
  }
}

/** Resolves symlinks component by component inside the image (at most 40 links, like the kernel). */
function resolve(nodes: Map<string, Node>, path: string): string | undefined {
  let parts = norm(path).split('/').filter(Boolean);
  let done: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const seg = parts.shift() as string;
    const cur = `/${[...done, seg].join('/')}`;
    const n = nodes.get(cur);
    if (n?.type === 'symlink' && n.link !== undefined) {
      if (++hops > 40) return undefined;
      const target = n.link.startsWith('/') ? n.link : `/${done.join('/')}/${n.link}`;
      parts = [...norm(target).split('/').filter(Boolean), ...parts];
      done = [];
      continue;
    }
    done.push(seg);
  }
  return `/${done.join('/')}`;
}

/** The program an image starts: Entrypoint[0], or Cmd[0]; a shell form's first word. */
function program(entrypoint: string[] | undefined, cmd: string[] | undefined): string | undefined {
  const argv = entrypoint && entrypoint.length > 0 ? entrypoint : cmd;
  if (!argv || argv.length === 0) return undefined;
  if (/(^|\/)(ba)?sh$/.test(argv[0] as string) && argv[1] === '-c' && argv[2]) {
    const words = argv[2].trim().split(/\s+/);
    return words[0] === 'exec' ? words[1] : words[0];
  }
  return argv[0];
}

export async function imageHints(image: Image): Promise<ImageHints> {
  const cfg = image.config.config ?? {};
  const hints: ImageHints = {
    ref: image.name,
    exposedPorts: Object.keys(cfg.ExposedPorts ?? {}).flatMap((k) => {
      const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(k);
      return m ? [{ port: Number(m[1]), protocol: m[2] ?? 'tcp' }] : [];
    }),
  };
  if (cfg.User) hints.user = cfg.User;
  if (cfg.Entrypoint) hints.entrypoint = cfg.Entrypoint;
  if (cfg.Cmd) hints.cmd = cfg.Cmd;
  const prog = program(cfg.Entrypoint ?? undefined, cfg.Cmd ?? undefined);
  if (!prog) return hints;
  const sink = new HintSink();
  for (const layer of image.layers) {
    await readLayer(layer, sink);
    sink.endLayer();
  }
  const pathVar = (cfg.Env ?? []).find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  const candidates = prog.includes('/')
    ? [prog.startsWith('/') ? prog : `${cfg.WorkingDir || '/'}/${prog}`]
    : pathVar
        .split(':')
        .filter((d) => d.startsWith('/'))
        .map((d) => `${d}/${prog}`);
  for (const c of candidates) {
    const real = resolve(sink.nodes, c);
    const node = real ? sink.nodes.get(real) : undefined;
    if (node?.type !== 'file') continue;
    if (node.caps && node.caps.length > 0) {
      hints.fileCaps = node.caps;
      hints.fileCapsPath = real;
    }
    break;
  }
  return hints;
}
