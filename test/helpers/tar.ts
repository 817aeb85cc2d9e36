// A minimal ustar/PAX writer for building hostile and edge-case layers in tests.

import { gzipSync } from 'node:zlib';

export interface TarSpec {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'fifo';
  content?: Buffer | string;
  linkname?: string;
  mode?: number;
  /** Emit a PAX header carrying the name (for names over 100 bytes). */
  pax?: Record<string, string>;
  /** Override the size field (to lie about it). */
  size?: number;
}

const TYPE: Record<string, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  dir: '5',
  fifo: '6',
};

function octal(n: number, len: number): string {
  return `${n.toString(8).padStart(len - 1, '0')}\0`;
}

export function header(
  name: string,
  type: string,
  size: number,
  opts: { linkname?: string; mode?: number } = {},
): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write(octal(opts.mode ?? 0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(1704067200, 12), 136);
  h.write('        ', 148);
  h.write(type, 156);
  if (opts.linkname) h.write(opts.linkname.slice(0, 100), 157);
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function padTo512(b: Buffer): Buffer {
  const r = b.length % 512;
  return r === 0 ? b : Buffer.concat([b, Buffer.alloc(512 - r)]);
}

function paxRecords(rec: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(rec)) {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len)
      len = String(len).length + Buffer.byteLength(body);
    parts.push(Buffer.from(`${len}${body}`));
  }
  return Buffer.concat(parts);
}

/** Builds a tar archive; `end: false` leaves out the end-of-archive blocks. */
export function makeTar(entries: TarSpec[], opts: { end?: boolean } = {}): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const content = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    const type = e.type ?? 'file';
    if (e.pax) {
      const rec = paxRecords(e.pax);
      out.push(header('PaxHeaders/x', 'x', rec.length), padTo512(rec));
    }
    const size = e.size ?? (type === 'file' ? content.length : 0);
    out.push(header(e.name, TYPE[type] as string, size, { linkname: e.linkname, mode: e.mode }));
    if (type === 'file' && content.length > 0) out.push(padTo512(content));
  }
  if (opts.end !== false) out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

export function gz(b: Buffer): Buffer {
  return gzipSync(b);
}
