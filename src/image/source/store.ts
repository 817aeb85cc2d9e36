// Blob stores: where an image's files and blobs come from (a layout directory or a tar archive).

// Synchronous fs calls on purpose: these reads are small, sit on every scan's critical path, and
// fs/promises alone costs a cached scan more than they do.
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, ImageError, UserError } from '../../errors.js';
import { parseDigest } from '../../util/digest.js';
import { normalizeEntryPath, resolveLinkTarget } from '../path.js';
import { checksumOk, cstr, isZeroBlock, pad, parseOctal, parsePax, typeOf } from '../tar.js';

export interface BlobStore {
  /** A human name for messages ("archive foo.tar"). */
  readonly label: string;
  /** Reads a small named file whole (index.json, manifest.json); undefined if absent. */
  readFile(name: string, maxBytes: number): Promise<Buffer | undefined>;
  /** Opens a named file as a stream; `size` is returned for progress and checks. */
  openFile(name: string): Promise<{ stream: Readable; size: number }>;
  has(name: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Reads `len` bytes at `pos` (fewer at end of file). */
function readFully(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let off = 0;
  while (off < len) {
    const n = readSync(fd, buf, off, len - off, pos + off);
    if (n === 0) break;
    off += n;
  }
  return off < len ? buf.subarray(0, off) : buf;
}

export function blobPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

/** An OCI layout (or extracted archive) on disk. Only regular files are read. */
export class DirStore implements BlobStore {
  readonly label: string;
  constructor(private readonly root: string) {
    this.label = `directory ${root}`;
  }

  private resolve(name: string): string {
    const n = normalizeEntryPath(name);
    if (!n.ok) throw new ImageError(`invalid path "${name}" in ${this.label}: ${n.reason}`);
    return path.join(this.root, n.path);
  }

  async has(name: string): Promise<boolean> {
    try {
      return statSync(this.resolve(name)).isFile();
    } catch {
      return false;
    }
  }

  private openRegular(name: string): { fd: number; size: number } | undefined {
    const p = this.resolve(name);
    let fd: number;
    try {
      // O_NONBLOCK so that a FIFO planted in a layout cannot hang us before we check its type.
      fd = openSync(p, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new UserError(`cannot read ${name} in ${this.label}: ${describe(e)}`);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw new ImageError(`${name} in ${this.label} is not a regular file`);
    }
    return { fd, size: st.size };
  }

  /**
   * Small files (index.json, manifests, configs) are read synchronously: a thread-pool round
   * trip per file costs more than the read, and these reads are on every scan's critical path.
   */
  async readFile(name: string, maxBytes: number): Promise<Buffer | undefined> {
    const f = this.openRegular(name);
    if (!f) return undefined;
    try {
      if (f.size > maxBytes) {
        throw new ImageError(
          `${name} in ${this.label} is ${f.size} bytes, more than the ${maxBytes} allowed`,
        );
      }
      return readFully(f.fd, 0, f.size);
    } finally {
      closeSync(f.fd);
    }
  }

  async openFile(name: string): Promise<{ stream: Readable; size: number }> {
    const f = this.openRegular(name);
    if (!f) throw new ImageError(`${name} is missing from ${this.label}`);
    const stream = createReadStream('', { fd: f.fd, highWaterMark: 256 * 1024 });
    return { stream, size: f.size };
  }

  async close(): Promise<void> {}
}

interface Member {
  type: ReturnType<typeof typeOf>;
  offset: number; // start of data
  size: number;
  linkname: string;
}

export const MAX_ARCHIVE_MEMBERS = 200_000;

/**
 * A tar archive (docker save, skopeo, oci-archive) read in place: the headers are indexed with
 * positioned reads, and members are streamed as byte ranges, so the archive is never extracted.
 */
export class TarStore implements BlobStore {
  readonly label: string;
  private members = new Map<string, Member>();

  private constructor(
    private readonly file: string,
    private readonly fd: number,
    private readonly fileSize: number,
    shownAs: string,
    private readonly onClose?: () => Promise<void>,
  ) {
    this.label = `archive ${shownAs}`;
  }

  /** `shownAs` names the archive in messages (the user's file when we read a decompressed copy). */
  static async open(file: string, shownAs = file, onClose?: () => Promise<void>): Promise<TarStore> {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw new UserError(`cannot open ${file}: ${describe(e)}`);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw new UserError(`${file} is not a regular file`);
    }
    const store = new TarStore(file, fd, st.size, shownAs, onClose);
    try {
      await store.index();
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return store;
  }

  private readAt(pos: number, len: number): Buffer {
    const buf = readFully(this.fd, pos, len);
    if (buf.length < len) throw new ImageError(`${this.label} is truncated at offset ${pos + buf.length}`);
    return buf;
  }

  private async index(): Promise<void> {
    let pos = 0;
    let longName: string | undefined;
    let paxPath: string | undefined;
    let paxSize: number | undefined;
    let count = 0;
    while (pos + 512 <= this.fileSize) {
      const h = this.readAt(pos, 512);
      if (isZeroBlock(h, 0)) break;
      let sumOk = false;
      try {
        sumOk = checksumOk(h, 0, pos);
      } catch {
        // an unparsable checksum field is a bad checksum
      }
      if (!sumOk) {
        if (pos === 0) throw new UserError(`${this.label.slice(8)} is not a tar archive`);
        throw new ImageError(`${this.label}: bad tar header checksum at offset ${pos}`);
      }
      const flag = h[156] ?? 0;
      let size = parseOctal(h, 124, 12, 'size', pos);
      const dataAt = pos + 512;
      if (flag === 0x78 || flag === 0x4c || flag === 0x67 || flag === 0x4b) {
        if (size > 1 << 20) throw new ImageError(`${this.label}: oversized tar metadata at offset ${pos}`);
        const data = this.readAt(dataAt, size);
        if (flag === 0x4c) longName = cstr(data, 0, data.length);
        else if (flag === 0x78) {
          const { records } = parsePax(data, pos);
          if (records.path !== undefined) paxPath = records.path;
          if (records.size !== undefined) paxSize = Number(records.size);
        }
        pos = dataAt + size + pad(size);
        continue;
      }
      if (++count > MAX_ARCHIVE_MEMBERS)
        throw new ImageError(`${this.label} has more than ${MAX_ARCHIVE_MEMBERS} members`);
      let name = cstr(h, 0, 100);
      if (h.toString('latin1', 257, 263) === 'ustar\0') {
        const prefix = cstr(h, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      if (longName !== undefined) name = longName;
      if (paxPath !== undefined) name = paxPath;
      if (paxSize !== undefined) size = paxSize;
      longName = undefined;
      paxPath = undefined;
      paxSize = undefined;
      const type = typeOf(flag);
      const dataSize = type === 'file' || type === 'other' ? size : 0;
      if (dataAt + dataSize > this.fileSize) {
        throw new ImageError(`${this.label} is truncated: member "${name}" extends past the end`);
      }
      const n = normalizeEntryPath(name);
      if (n.ok && n.path !== '') {
        this.members.set(n.path, { type, offset: dataAt, size: dataSize, linkname: cstr(h, 157, 100) });
      }
      pos = dataAt + dataSize + pad(dataSize);
    }
  }

  /** Follows symlinks and hard links between members (skopeo links <id>/layer.tar to <diffid>.tar). */
  private lookup(name: string): Member | undefined {
    const n = normalizeEntryPath(name);
    if (!n.ok) throw new ImageError(`invalid member name "${name}" in ${this.label}: ${n.reason}`);
    let cur = n.path;
    for (let hops = 0; hops < 16; hops++) {
      const m = this.members.get(cur);
      if (!m) return undefined;
      if (m.type === 'symlink') cur = resolveLinkTarget(cur, m.linkname);
      else if (m.type === 'hardlink') {
        const t = normalizeEntryPath(m.linkname);
        if (!t.ok) throw new ImageError(`hard link "${cur}" in ${this.label} points outside the archive`);
        cur = t.path;
      } else if (m.type === 'file') return m;
      else throw new ImageError(`${cur} in ${this.label} is not a regular file`);
    }
    throw new ImageError(`too many levels of links at "${name}" in ${this.label}`);
  }

  async has(name: string): Promise<boolean> {
    return this.lookup(name) !== undefined;
  }

  async readFile(name: string, maxBytes: number): Promise<Buffer | undefined> {
    const m = this.lookup(name);
    if (!m) return undefined;
    if (m.size > maxBytes)
      throw new ImageError(`${name} in ${this.label} is ${m.size} bytes, more than the ${maxBytes} allowed`);
    return m.size === 0 ? Buffer.alloc(0) : this.readAt(m.offset, m.size);
  }

  async openFile(name: string): Promise<{ stream: Readable; size: number }> {
    const m = this.lookup(name);
    if (!m) throw new ImageError(`${name} is missing from ${this.label}`);
    if (m.size === 0) {
      const { Readable } = await import('node:stream');
      return { stream: Readable.from([]), size: 0 };
    }
    const stream = createReadStream(this.file, {
      start: m.offset,
      end: m.offset + m.size - 1,
      highWaterMark: 256 * 1024,
    });
    return { stream, size: m.size };
  }

  async close(): Promise<void> {
    closeSync(this.fd);
    await this.onClose?.();
  }
}
