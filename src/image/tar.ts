// Streaming, bounded tar parser (ustar, PAX, GNU long names, GNU and PAX sparse files).
//
// Push-based and synchronous: feed chunks with push(), finish with end(). For every entry the
// handler decides whether it wants the data (returns a sink) or not (data is skipped without
// copying). Nothing is buffered beyond one header block, PAX/GNU metadata records (bounded) and
// the sparse map of the current entry (bounded).

import { ImageError } from '../errors.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

export interface SparseChunk {
  offset: number;
  length: number;
}

export interface TarEntry {
  /** Name as recorded in the archive (after PAX / GNU long-name processing), not normalised. */
  name: string;
  type: EntryType;
  /** Logical size of the file (for sparse files the real size, holes included). */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string;
  /** Offset of the entry's header in the uncompressed stream. */
  offset: number;
  /** Present for sparse files: the data chunks, in order; the rest of the file is holes. */
  sparse?: SparseChunk[];
  /** Extended attributes from PAX SCHILY.xattr.* records; values are binary strings (latin1). */
  xattrs?: Record<string, string>;
}

/** Receives an entry's data. `position` is the logical offset in the file (holes are skipped). */
export interface EntrySink {
  write(chunk: Buffer, position: number): void;
  end(): void;
}

export interface TarHandler {
  /** Called once per entry; return a sink to receive its data, or null to skip it. */
  entry(entry: TarEntry): EntrySink | null;
}

export interface TarLimits {
  /** Largest PAX extended header or GNU long-name record accepted. */
  maxMetaBytes: number;
  /** Largest number of entries in one archive. */
  maxEntries: number;
  /** Largest number of sparse chunks per file. */
  maxSparseChunks: number;
}

export const DEFAULT_TAR_LIMITS: TarLimits = {
  maxMetaBytes: 1 << 20,
  maxEntries: 10_000_000,
  maxSparseChunks: 1 << 16,
};

const BLOCK = 512;

type State =
  | { kind: 'header' }
  | { kind: 'meta'; type: 'pax' | 'paxGlobal' | 'longName' | 'longLink'; remaining: number; padding: number }
  | { kind: 'sparseMap'; remaining: number }
  | { kind: 'sparseExt' }
  | { kind: 'data'; remaining: number; padding: number }
  | { kind: 'padding'; remaining: number }
  | { kind: 'eof' };

interface Pending {
  entry: TarEntry;
  storedSize: number;
  pax1Sparse: boolean;
}

export function parseOctal(buf: Buffer, off: number, len: number, what: string, at: number): number {
  const first = buf[off] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement, first byte's high bit is the marker
    if (first & 0x40) throw new ImageError(`corrupt tar header at offset ${at}: negative ${what}`);
    let v = first & 0x3f;
    for (let i = 1; i < len; i++) {
      v = v * 256 + (buf[off + i] ?? 0);
      if (v > Number.MAX_SAFE_INTEGER)
        throw new ImageError(`corrupt tar header at offset ${at}: ${what} too large`);
    }
    return v;
  }
  let v = 0;
  let i = off;
  const end = off + len;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) {
    if (buf[i] === 0) return 0;
    i++;
  }
  for (; i < end; i++) {
    const c = buf[i] ?? 0;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) throw new ImageError(`corrupt tar header at offset ${at}: bad ${what} field`);
    v = v * 8 + (c - 0x30);
  }
  return v;
}

export function cstr(buf: Buffer, off: number, len: number): string {
  let end = off;
  const max = off + len;
  while (end < max && buf[end] !== 0) end++;
  return buf.toString('utf8', off, end);
}

export function isZeroBlock(buf: Buffer, off: number): boolean {
  for (let i = off; i < off + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

export function checksumOk(buf: Buffer, off: number, at: number): boolean {
  const stored = parseOctal(buf, off + 148, 8, 'checksum', at);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (buf[off + i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

export function pad(n: number): number {
  const r = n % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

interface PaxRecords {
  [key: string]: string;
}

const XATTR = 'SCHILY.xattr.';

export function parsePax(buf: Buffer, at: number): { records: PaxRecords; sparseMap: SparseChunk[] } {
  const records: PaxRecords = {};
  const sparseMap: SparseChunk[] = [];
  let pendingOffset: number | undefined;
  let i = 0;
  while (i < buf.length) {
    if (buf[i] === 0) break; // some writers pad with NULs
    const sp = buf.indexOf(0x20, i);
    if (sp < 0) throw new ImageError(`corrupt PAX header at offset ${at}`);
    const len = Number.parseInt(buf.toString('ascii', i, sp), 10);
    if (!Number.isFinite(len) || len <= sp - i + 1 || i + len > buf.length || buf[i + len - 1] !== 0x0a) {
      throw new ImageError(`corrupt PAX record at offset ${at}`);
    }
    const eqAt = buf.indexOf(0x3d, sp + 1);
    if (eqAt <= sp + 1 || eqAt >= i + len) throw new ImageError(`corrupt PAX record at offset ${at}`);
    const key = buf.toString('utf8', sp + 1, eqAt);
    // Extended attributes are binary (security.capability): kept byte for byte as latin1.
    const value = buf.toString(key.startsWith(XATTR) ? 'latin1' : 'utf8', eqAt + 1, i + len - 1);
    // GNU sparse 0.0 repeats offset/numbytes pairs, so they cannot live in a plain map
    if (key === 'GNU.sparse.offset') pendingOffset = Number(value);
    else if (key === 'GNU.sparse.numbytes' && pendingOffset !== undefined) {
      sparseMap.push({ offset: pendingOffset, length: Number(value) });
      pendingOffset = undefined;
    } else records[key] = value;
    i += len;
  }
  return { records, sparseMap };
}

export function typeOf(flag: number): EntryType {
  switch (flag) {
    case 0:
    case 0x30: // '0'
    case 0x37: // '7' contiguous file
      return 'file';
    case 0x31:
      return 'hardlink';
    case 0x32:
      return 'symlink';
    case 0x33:
      return 'char';
    case 0x34:
      return 'block';
    case 0x35:
      return 'dir';
    case 0x36:
      return 'fifo';
    default:
      return 'other';
  }
}

export class TarParser {
  private state: State = { kind: 'header' };
  private carry: Buffer | null = null;
  private pos = 0; // bytes consumed so far
  private entries = 0;
  private meta: Buffer[] = [];
  private metaLen = 0;
  private pax: PaxRecords = {};
  private paxSparse: SparseChunk[] = [];
  private globalPax: PaxRecords = {};
  private longName: string | undefined;
  private longLink: string | undefined;
  private pending: Pending | undefined;
  private sink: EntrySink | null = null;
  private sparseText = '';
  private sparseIdx = 0;
  private sparseUsed = 0; // bytes of the current sparse chunk already written
  private dataPos = 0; // logical position for non-sparse entries
  private zeroBlocks = 0;
  /** Set when the archive ended without the two zero blocks (some writers omit them). */
  missingEndMarker = false;

  constructor(
    private readonly handler: TarHandler,
    private readonly limits: TarLimits = DEFAULT_TAR_LIMITS,
  ) {}

  get entryCount(): number {
    return this.entries;
  }

  get bytesConsumed(): number {
    return this.pos;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let off = 0;
    while (off < buf.length) {
      const st = this.state;
      switch (st.kind) {
        case 'eof':
          // Anything after the end marker is ignored (tar pads to a record size).
          this.pos += buf.length - off;
          return;
        case 'header': {
          if (buf.length - off < BLOCK) {
            this.carry = Buffer.from(buf.subarray(off));
            return;
          }
          this.header(buf, off);
          off += BLOCK;
          this.pos += BLOCK;
          break;
        }
        case 'sparseExt': {
          if (buf.length - off < BLOCK) {
            this.carry = Buffer.from(buf.subarray(off));
            return;
          }
          this.sparseExtBlock(buf, off);
          off += BLOCK;
          this.pos += BLOCK;
          break;
        }
        case 'meta': {
          const n = Math.min(st.remaining, buf.length - off);
          if (n > 0) {
            this.meta.push(Buffer.from(buf.subarray(off, off + n)));
            this.metaLen += n;
          }
          off += n;
          this.pos += n;
          st.remaining -= n;
          if (st.remaining === 0) {
            this.finishMeta(st.type);
            this.state = st.padding > 0 ? { kind: 'padding', remaining: st.padding } : { kind: 'header' };
          }
          break;
        }
        case 'sparseMap': {
          // PAX sparse 1.0: the data begins with a text map, padded to a block.
          const n = Math.min(st.remaining, buf.length - off);
          const consumed = this.sparseMapText(buf, off, n);
          off += consumed;
          this.pos += consumed;
          st.remaining -= consumed;
          if (this.state.kind === 'sparseMap' && st.remaining === 0) {
            throw new ImageError(
              `corrupt sparse map in tar entry at offset ${this.pending?.entry.offset ?? 0}`,
            );
          }
          break;
        }
        case 'data': {
          const n = Math.min(st.remaining, buf.length - off);
          if (n > 0 && this.sink) this.deliver(buf.subarray(off, off + n));
          off += n;
          this.pos += n;
          st.remaining -= n;
          if (st.remaining === 0) {
            this.finishEntry();
            this.state = st.padding > 0 ? { kind: 'padding', remaining: st.padding } : { kind: 'header' };
          }
          break;
        }
        case 'padding': {
          const n = Math.min(st.remaining, buf.length - off);
          off += n;
          this.pos += n;
          st.remaining -= n;
          if (st.remaining === 0) this.state = { kind: 'header' };
          break;
        }
      }
    }
  }

  /** Call at the end of the stream; throws if the archive is truncated. */
  end(): void {
    const st = this.state;
    if (st.kind === 'eof') return;
    if (st.kind === 'header' && !this.carry) {
      // No end-of-archive blocks (or just one): data is complete, the marker is missing.
      if (this.zeroBlocks === 0) this.missingEndMarker = true;
      return;
    }
    if (st.kind === 'padding') {
      // The last file's data is complete; only its padding (and the end marker) is missing.
      this.missingEndMarker = true;
      return;
    }
    if (st.kind === 'header' && this.carry) {
      throw new ImageError(`truncated tar: partial header at offset ${this.pos}`);
    }
    const name = this.pending?.entry.name;
    throw new ImageError(
      `truncated tar: stream ended inside ${name ? `entry "${name}"` : 'metadata'} at offset ${this.pos}`,
    );
  }

  private header(buf: Buffer, off: number): void {
    const at = this.pos;
    if (isZeroBlock(buf, off)) {
      this.zeroBlocks++;
      if (this.zeroBlocks >= 2) this.state = { kind: 'eof' };
      return;
    }
    if (this.zeroBlocks > 0) {
      // A lone zero block followed by more headers: GNU tar treats it as a warning; so do we.
      this.zeroBlocks = 0;
    }
    if (!checksumOk(buf, off, at)) throw new ImageError(`corrupt tar: bad header checksum at offset ${at}`);
    const flag = buf[off + 156] ?? 0;
    const size = parseOctal(buf, off + 124, 12, 'size', at);
    const padding = pad(size);
    // Metadata records that describe the next entry
    if (flag === 0x78 /* x */ || flag === 0x67 /* g */ || flag === 0x4c /* L */ || flag === 0x4b /* K */) {
      if (size > this.limits.maxMetaBytes) {
        throw new ImageError(
          `tar metadata record at offset ${at} is ${size} bytes (limit ${this.limits.maxMetaBytes})`,
        );
      }
      const type =
        flag === 0x78 ? 'pax' : flag === 0x67 ? 'paxGlobal' : flag === 0x4c ? 'longName' : 'longLink';
      this.meta = [];
      this.metaLen = 0;
      if (size === 0) {
        this.finishMeta(type);
        return;
      }
      this.state = { kind: 'meta', type, remaining: size, padding };
      return;
    }
    if (++this.entries > this.limits.maxEntries) {
      throw new ImageError(`tar has more than ${this.limits.maxEntries} entries`);
    }
    const magic = buf.toString('latin1', off + 257, off + 263);
    let name = cstr(buf, off, 100);
    if (magic === 'ustar\0') {
      const prefix = cstr(buf, off + 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    let linkname = cstr(buf, off + 157, 100);
    const pax = { ...this.globalPax, ...this.pax };
    if (this.longName !== undefined) name = this.longName;
    if (this.longLink !== undefined) linkname = this.longLink;
    if (pax.path !== undefined && this.pax.path !== undefined) name = pax.path;
    if (pax.linkpath !== undefined && this.pax.linkpath !== undefined) linkname = pax.linkpath;
    const num = (key: string, fallback: number): number => {
      const v = pax[key];
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new ImageError(`corrupt PAX ${key} at offset ${at}`);
      return n;
    };
    let storedSize = size;
    if (this.pax.size !== undefined) storedSize = num('size', size);
    const type = flag === 0x53 /* S */ ? 'file' : typeOf(flag);
    const entry: TarEntry = {
      name,
      type,
      size: storedSize,
      mode: parseOctal(buf, off + 100, 8, 'mode', at),
      uid: num('uid', parseOctal(buf, off + 108, 8, 'uid', at)),
      gid: num('gid', parseOctal(buf, off + 116, 8, 'gid', at)),
      mtime: Math.floor(num('mtime', parseOctal(buf, off + 136, 12, 'mtime', at))),
      linkname,
      offset: at,
    };
    for (const k of Object.keys(this.pax)) {
      if (!k.startsWith(XATTR)) continue;
      if (!entry.xattrs) entry.xattrs = Object.create(null) as Record<string, string>;
      entry.xattrs[k.slice(XATTR.length)] = this.pax[k] as string;
    }
    this.longName = undefined;
    this.longLink = undefined;
    const paxSparse = this.paxSparse;
    const localPax = this.pax;
    this.pax = {};
    this.paxSparse = [];

    // Links, directories, devices and fifos carry no data whatever their size field says
    // (as GNU tar and Go's archive/tar read them).
    const dataSize = type === 'file' || type === 'other' ? storedSize : 0;
    if (dataSize === 0 && type !== 'file') entry.size = 0;
    let pax1Sparse = false;
    if (flag === 0x53) {
      // Old GNU sparse: map in the header (4 slots) plus extension blocks.
      entry.size = parseOctal(buf, off + 483, 12, 'realsize', at);
      entry.sparse = [];
      this.readOldSparse(buf, off + 386, 4, entry.sparse, at);
      this.pending = { entry, storedSize: dataSize, pax1Sparse };
      if (buf[off + 482]) {
        this.state = { kind: 'sparseExt' };
        return;
      }
      this.startData(dataSize);
      return;
    }
    if (localPax['GNU.sparse.major'] === '1' || localPax['GNU.sparse.name'] !== undefined) {
      // PAX sparse: 0.1 has GNU.sparse.map, 1.0 keeps the map at the start of the data.
      if (localPax['GNU.sparse.name'] !== undefined) entry.name = localPax['GNU.sparse.name'];
      const real = localPax['GNU.sparse.realsize'] ?? localPax['GNU.sparse.size'];
      if (real !== undefined)
        entry.size = num(localPax['GNU.sparse.realsize'] ? 'GNU.sparse.realsize' : 'GNU.sparse.size', 0);
      if (localPax['GNU.sparse.major'] === '1') {
        pax1Sparse = true;
        entry.sparse = [];
      } else if (localPax['GNU.sparse.map'] !== undefined) {
        entry.sparse = this.parseSparseMapList(localPax['GNU.sparse.map'], at);
      } else {
        entry.sparse = paxSparse;
      }
    } else if (localPax['GNU.sparse.size'] !== undefined && paxSparse.length > 0) {
      // PAX sparse 0.0
      entry.size = num('GNU.sparse.size', 0);
      entry.sparse = paxSparse;
    }
    if (entry.sparse && entry.sparse.length > this.limits.maxSparseChunks) {
      throw new ImageError(`tar entry "${entry.name}" has too many sparse chunks`);
    }
    this.pending = { entry, storedSize: dataSize, pax1Sparse };
    if (pax1Sparse) {
      this.sparseText = '';
      if (dataSize === 0) throw new ImageError(`corrupt sparse entry "${entry.name}" at offset ${at}`);
      this.state = { kind: 'sparseMap', remaining: dataSize };
      return;
    }
    this.startData(dataSize);
  }

  private readOldSparse(buf: Buffer, off: number, slots: number, out: SparseChunk[], at: number): void {
    for (let i = 0; i < slots; i++) {
      const o = off + i * 24;
      if (buf[o] === 0) break;
      const offset = parseOctal(buf, o, 12, 'sparse offset', at);
      const length = parseOctal(buf, o + 12, 12, 'sparse length', at);
      out.push({ offset, length });
      if (out.length > this.limits.maxSparseChunks)
        throw new ImageError(`tar entry at offset ${at} has too many sparse chunks`);
    }
  }

  private sparseExtBlock(buf: Buffer, off: number): void {
    const p = this.pending;
    if (!p?.entry.sparse) throw new ImageError('corrupt tar: sparse extension without entry');
    this.readOldSparse(buf, off, 21, p.entry.sparse, this.pos);
    if (!buf[off + 504]) this.startData(p.storedSize);
  }

  private parseSparseMapList(text: string, at: number): SparseChunk[] {
    const nums = text.split(',').map((s) => Number(s));
    if (nums.length % 2 !== 0 || nums.some((n) => !Number.isSafeInteger(n) || n < 0)) {
      throw new ImageError(`corrupt GNU.sparse.map at offset ${at}`);
    }
    const out: SparseChunk[] = [];
    for (let i = 0; i < nums.length; i += 2)
      out.push({ offset: nums[i] as number, length: nums[i + 1] as number });
    return out;
  }

  /** Consumes PAX 1.0 sparse-map text; returns bytes consumed. Switches to data when complete. */
  private sparseMapText(buf: Buffer, off: number, n: number): number {
    const p = this.pending as Pending;
    const st = this.state as { kind: 'sparseMap'; remaining: number };
    // The map is a list of decimal numbers, one per line: count, then offset/length pairs.
    // It is padded to a block boundary; we read it block by block.
    let consumed = 0;
    while (consumed < n) {
      const take = Math.min(n - consumed, BLOCK - (this.sparseText.length % BLOCK));
      this.sparseText += buf.toString('latin1', off + consumed, off + consumed + take);
      consumed += take;
      if (this.sparseText.length > this.limits.maxMetaBytes) {
        throw new ImageError(`sparse map of "${p.entry.name}" is too large`);
      }
      if (this.sparseText.length % BLOCK !== 0) continue;
      const lines = this.sparseText.split('\n');
      const count = Number(lines[0]);
      if (!Number.isSafeInteger(count) || count < 0 || count > this.limits.maxSparseChunks) {
        throw new ImageError(`corrupt sparse map in "${p.entry.name}"`);
      }
      if (lines.length - 1 >= 1 + count * 2) {
        const chunks: SparseChunk[] = [];
        for (let i = 0; i < count; i++) {
          const o = Number(lines[1 + i * 2]);
          const l = Number(lines[2 + i * 2]);
          if (!Number.isSafeInteger(o) || !Number.isSafeInteger(l) || o < 0 || l < 0) {
            throw new ImageError(`corrupt sparse map in "${p.entry.name}"`);
          }
          chunks.push({ offset: o, length: l });
        }
        p.entry.sparse = chunks;
        const remaining = st.remaining - consumed;
        this.startData(remaining, p.storedSize);
        return consumed;
      }
    }
    return consumed;
  }

  private startData(remaining: number, totalStored?: number): void {
    const p = this.pending as Pending;
    const e = p.entry;
    if (e.sparse) {
      // Validate the map against the logical size and the stored data.
      let stored = 0;
      let last = 0;
      for (const c of e.sparse) {
        if (c.offset < last || c.offset + c.length > e.size) {
          throw new ImageError(`corrupt sparse map in tar entry "${e.name}"`);
        }
        last = c.offset + c.length;
        stored += c.length;
      }
      if (stored > remaining)
        throw new ImageError(`corrupt sparse entry "${e.name}": map exceeds stored data`);
    }
    this.sink = this.handler.entry(e);
    this.sparseIdx = 0;
    this.sparseUsed = 0;
    this.dataPos = 0;
    const padding = pad(totalStored ?? remaining);
    if (remaining === 0) {
      this.finishEntry();
      this.state = padding > 0 ? { kind: 'padding', remaining: padding } : { kind: 'header' };
      return;
    }
    this.state = { kind: 'data', remaining, padding };
  }

  private deliver(chunk: Buffer): void {
    const sink = this.sink as EntrySink;
    const sparse = this.pending?.entry.sparse;
    if (!sparse) {
      sink.write(chunk, this.dataPos);
      this.dataPos += chunk.length;
      return;
    }
    let off = 0;
    while (off < chunk.length && this.sparseIdx < sparse.length) {
      const c = sparse[this.sparseIdx] as SparseChunk;
      const n = Math.min(c.length - this.sparseUsed, chunk.length - off);
      if (n > 0) sink.write(chunk.subarray(off, off + n), c.offset + this.sparseUsed);
      off += n;
      this.sparseUsed += n;
      if (this.sparseUsed >= c.length) {
        this.sparseIdx++;
        this.sparseUsed = 0;
      }
    }
    // Bytes beyond the map (GNU pads the last block) are ignored.
  }

  private finishEntry(): void {
    if (this.sink) this.sink.end();
    this.sink = null;
    this.pending = undefined;
  }

  private finishMeta(type: 'pax' | 'paxGlobal' | 'longName' | 'longLink'): void {
    const data = Buffer.concat(this.meta, this.metaLen);
    this.meta = [];
    this.metaLen = 0;
    const at = this.pos;
    if (type === 'longName' || type === 'longLink') {
      const s = cstr(data, 0, data.length);
      if (type === 'longName') this.longName = s;
      else this.longLink = s;
      return;
    }
    const { records, sparseMap } = parsePax(data, at);
    if (type === 'paxGlobal') {
      // Global records set defaults for later entries; a global path makes no sense, drop it.
      delete records.path;
      delete records.linkpath;
      delete records.size;
      Object.assign(this.globalPax, records);
      return;
    }
    Object.assign(this.pax, records);
    this.paxSparse.push(...sparseMap);
  }
}
