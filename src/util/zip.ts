// A small ZIP reader for analyzers: random access through a `RandomAccess` source, so a big archive
// is never loaded whole. End of central directory (incl. ZIP64), central directory, local headers;
// stored and deflated entries. Every size and count is capped: archives in images are hostile input.
//
// Format facts from PKWARE's APPNOTE.TXT (sections 4.3.6 - 4.3.16, 4.5.3).

/** Positioned reads; a read may come back short only at the end of the source. */
export interface RandomAccess {
  readonly size: number;
  read(position: number, length: number): Promise<Buffer>;
}

export function bufferSource(buf: Buffer): RandomAccess {
  return {
    size: buf.length,
    read: async (position, length) => buf.subarray(position, Math.min(buf.length, position + length)),
  };
}

/** A window of another source: a stored entry read in place (a jar kept uncompressed in a jar). */
export function sliceSource(src: RandomAccess, offset: number, size: number): RandomAccess {
  if (offset < 0 || size < 0 || offset + size > src.size)
    throw new ZipError('entry data past the end of the archive');
  return {
    size,
    read: (position, length) => src.read(offset + position, Math.max(0, Math.min(length, size - position))),
  };
}

/** A malformed archive. */
export class ZipError extends Error {
  override name = 'ZipError';
}

/** A limit was hit (size, count, ratio): the archive may be a bomb. */
export class ZipLimitError extends ZipError {
  override name = 'ZipLimitError';
}

/** Decompressed bytes (and central directory bytes) an archive and everything nested in it may cost. */
export class Budget {
  constructor(public remaining: number) {}

  take(n: number, what: string): void {
    if (n > this.remaining) throw new ZipLimitError(`${what}: over the decompression budget`);
    this.remaining -= n;
  }
}

export interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Where the local header starts in the source (any prefix before the archive accounted for). */
  localOffset: number;
}

export interface OpenOptions {
  /** Largest central directory read (bytes). */
  maxCentralDirectory?: number;
  /** Most central directory records walked. */
  maxEntries?: number;
  /** Entries to keep (the others are walked, not stored). */
  keep?: (name: string) => boolean;
  /** Charged with the central directory size. */
  budget?: Budget;
}

export interface ZipDirectory {
  /** The kept entries, in central directory order. */
  entries: ZipEntry[];
  /** Records in the central directory. */
  total: number;
  /** End of the entry data: where the central directory starts in the source. */
  dataEnd: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOCATOR64 = 0x07064b50;
const EOCD_SIZE = 22;
const EOCD64_SIZE = 56;
const LOCATOR64_SIZE = 20;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

function u64(buf: Buffer, at: number, what: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} is out of range`);
  return Number(v);
}

async function readExact(src: RandomAccess, position: number, length: number, what: string): Promise<Buffer> {
  if (position < 0 || position + length > src.size)
    throw new ZipError(`${what} lies past the end of the archive`);
  const b = await src.read(position, length);
  if (b.length !== length) throw new ZipError(`${what}: short read`);
  return b;
}

interface EndRecord {
  total: number;
  cdSize: number;
  cdOffset: number;
  /** Where the record that follows the central directory starts (EOCD or ZIP64 EOCD). */
  cdEnd: number;
}

/** Finds the end of central directory record: the last signature whose comment fits the tail. */
async function findEnd(src: RandomAccess): Promise<EndRecord> {
  if (src.size < EOCD_SIZE) throw new ZipError('not a ZIP archive (too small)');
  const tailLen = Math.min(src.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = src.size - tailLen;
  const tail = await readExact(src, tailStart, tailLen, 'end of central directory');
  let at = -1;
  for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== SIG_EOCD) continue;
    if (i + EOCD_SIZE + tail.readUInt16LE(i + 20) <= tailLen) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new ZipError('not a ZIP archive (no end of central directory)');
  const eocdPos = tailStart + at;
  let total = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  let cdEnd = eocdPos;
  // ZIP64: a locator right before the EOCD points at the ZIP64 end record.
  if (eocdPos >= LOCATOR64_SIZE + EOCD64_SIZE) {
    const loc =
      at >= LOCATOR64_SIZE
        ? tail.subarray(at - LOCATOR64_SIZE, at)
        : await readExact(src, eocdPos - LOCATOR64_SIZE, LOCATOR64_SIZE, 'ZIP64 locator');
    if (loc.readUInt32LE(0) === SIG_LOCATOR64) {
      // The recorded offset ignores any prefix; the record normally sits right before the locator.
      const recorded = u64(loc, 8, 'ZIP64 end record offset');
      const candidates = [eocdPos - LOCATOR64_SIZE - EOCD64_SIZE, recorded];
      let rec: Buffer | undefined;
      for (const pos of candidates) {
        if (pos < 0 || pos + EOCD64_SIZE > eocdPos) continue;
        const b = await readExact(src, pos, EOCD64_SIZE, 'ZIP64 end record');
        if (b.readUInt32LE(0) === SIG_EOCD64) {
          rec = b;
          cdEnd = pos;
          break;
        }
      }
      if (!rec) throw new ZipError('ZIP64 end record not found');
      total = u64(rec, 32, 'ZIP64 entry count');
      cdSize = u64(rec, 40, 'ZIP64 central directory size');
      cdOffset = u64(rec, 48, 'ZIP64 central directory offset');
    } else if (total === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
      throw new ZipError('ZIP64 archive without a ZIP64 locator');
    }
  }
  return { total, cdSize, cdOffset, cdEnd };
}

/** Reads the central directory. Throws ZipError on a malformed archive, ZipLimitError over a limit. */
export async function openZip(src: RandomAccess, opts: OpenOptions = {}): Promise<ZipDirectory> {
  const maxCd = opts.maxCentralDirectory ?? 64 * 1024 * 1024;
  const maxEntries = opts.maxEntries ?? 1_000_000;
  const end = await findEnd(src);
  if (end.cdSize > end.cdEnd) throw new ZipError('central directory larger than the archive');
  if (end.cdSize > maxCd)
    throw new ZipLimitError(`central directory of ${end.cdSize} bytes is over the limit`);
  opts.budget?.take(end.cdSize, 'central directory');
  // Where the directory really is; a difference from the recorded offset is a prefix (a launch
  // script before an executable jar), which shifts every local header by the same amount.
  const cdStart = end.cdEnd - end.cdSize;
  const base = cdStart - end.cdOffset;
  if (base < 0) throw new ZipError('central directory offset points past the end of the archive');
  const walk = { maxEntries, keep: opts.keep, srcSize: src.size };
  const cd = await readExact(src, cdStart, end.cdSize, 'central directory');
  const startsRight = (b: Buffer) => b.length >= 4 && b.readUInt32LE(0) === SIG_CENTRAL;
  if (end.cdSize === 0 || startsRight(cd)) return walkCentral(cd, base, cdStart, walk);
  // Junk between the directory and the end record: trust the recorded offset instead.
  const at = await readExact(src, end.cdOffset, end.cdSize, 'central directory');
  if (!startsRight(at)) throw new ZipError('bad central directory');
  return walkCentral(at, 0, end.cdOffset, walk);
}

function walkCentral(
  cd: Buffer,
  base: number,
  dataEnd: number,
  o: { maxEntries: number; keep: ((name: string) => boolean) | undefined; srcSize: number },
): ZipDirectory {
  const entries: ZipEntry[] = [];
  let total = 0;
  let p = 0;
  // The 16-bit count wraps in big archives written without ZIP64: walk the bytes, not the count.
  while (p < cd.length) {
    if (p + CENTRAL_SIZE > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL)
      throw new ZipError(`bad central directory record ${total}`);
    if (++total > o.maxEntries) throw new ZipLimitError(`more than ${o.maxEntries} entries`);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc32 = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localOffset = cd.readUInt32LE(p + 42);
    const next = p + CENTRAL_SIZE + nameLen + extraLen + commentLen;
    if (next > cd.length) throw new ZipError(`central directory record ${total} is truncated`);
    const nameBytes = cd.subarray(p + CENTRAL_SIZE, p + CENTRAL_SIZE + nameLen);
    // Bit 11: UTF-8 names; otherwise CP437, whose ASCII half is all a jar's metadata names use.
    const name = nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1');
    if (o.keep && !o.keep(name)) {
      p = next;
      continue;
    }
    if (size === U32_MAX || compressedSize === U32_MAX || localOffset === U32_MAX) {
      const z = zip64Extra(cd.subarray(p + CENTRAL_SIZE + nameLen, p + CENTRAL_SIZE + nameLen + extraLen));
      if (!z) throw new ZipError(`entry "${name.slice(0, 100)}" lacks its ZIP64 sizes`);
      let i = 0;
      const need = (what: string): number => {
        if (i + 8 > z.length) throw new ZipError(`entry "${name.slice(0, 100)}": short ZIP64 field`);
        const v = u64(z, i, what);
        i += 8;
        return v;
      };
      if (size === U32_MAX) size = need('ZIP64 size');
      if (compressedSize === U32_MAX) compressedSize = need('ZIP64 compressed size');
      if (localOffset === U32_MAX) localOffset = need('ZIP64 offset');
    }
    localOffset += base;
    if (localOffset + LOCAL_SIZE > dataEnd || localOffset + LOCAL_SIZE > o.srcSize)
      throw new ZipError(`entry "${name.slice(0, 100)}" points past the end of the archive`);
    entries.push({ name, flags, method, crc32, compressedSize, size, localOffset });
    p = next;
  }
  return { entries, total, dataEnd };
}

function zip64Extra(extra: Buffer): Buffer | undefined {
  let i = 0;
  while (i + 4 <= extra.length) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (i + 4 + len > extra.length) return undefined;
    if (id === 0x0001) return extra.subarray(i + 4, i + 4 + len);
    i += 4 + len;
  }
  return undefined;
}

/** Where an entry's data starts, from its local header (whose name and extra lengths may differ). */
export async function entryDataStart(src: RandomAccess, e: ZipEntry, dataEnd = src.size): Promise<number> {
  const h = await readExact(src, e.localOffset, LOCAL_SIZE, `local header of "${e.name.slice(0, 100)}"`);
  if (h.readUInt32LE(0) !== SIG_LOCAL) throw new ZipError(`bad local header for "${e.name.slice(0, 100)}"`);
  const start = e.localOffset + LOCAL_SIZE + h.readUInt16LE(26) + h.readUInt16LE(28);
  if (start + e.compressedSize > Math.min(dataEnd, src.size))
    throw new ZipError(`entry "${e.name.slice(0, 100)}" data runs past the end of the archive`);
  return start;
}

export interface ReadOptions {
  /** Largest decompressed entry accepted. */
  maxSize: number;
  /** Charged with the decompressed size. */
  budget?: Budget;
  /** Largest size / compressed size accepted for entries over 1 MiB. */
  maxRatio?: number;
  /** End of the entry data (`ZipDirectory.dataEnd`). */
  dataEnd?: number;
}

type Zlib = typeof import('node:zlib');
let zlibModule: Promise<Zlib> | undefined;
function zlib(): Promise<Zlib> {
  zlibModule ??= import('node:zlib');
  return zlibModule;
}

function checkEntry(e: ZipEntry, opts: ReadOptions): void {
  const n = e.name.slice(0, 100);
  if (e.flags & 0x1) throw new ZipError(`entry "${n}" is encrypted`);
  if (e.method !== 0 && e.method !== 8)
    throw new ZipError(`entry "${n}": compression method ${e.method} unsupported`);
  if (e.method === 0 && e.compressedSize !== e.size) throw new ZipError(`stored entry "${n}" has two sizes`);
  if (e.size > opts.maxSize) throw new ZipLimitError(`entry "${n}" (${e.size} bytes) is over the size limit`);
  const ratio = opts.maxRatio ?? 1100; // deflate cannot do better than ~1032:1
  if (e.size > 1024 * 1024 && e.size > Math.max(1, e.compressedSize) * ratio)
    throw new ZipLimitError(`entry "${n}" has a suspicious compression ratio`);
}

/**
 * The stored bytes of an entry as a source, without reading them (stored entries only): a jar
 * kept uncompressed inside a jar is read in place.
 */
export async function storedEntrySource(
  src: RandomAccess,
  e: ZipEntry,
  dataEnd?: number,
): Promise<RandomAccess> {
  if (e.flags & 0x1) throw new ZipError(`entry "${e.name.slice(0, 100)}" is encrypted`);
  if (e.method !== 0 || e.compressedSize !== e.size) throw new ZipError('not a stored entry');
  return sliceSource(src, await entryDataStart(src, e, dataEnd), e.size);
}

/** Decompresses one entry, checking its size and CRC-32. */
export async function readEntry(src: RandomAccess, e: ZipEntry, opts: ReadOptions): Promise<Buffer> {
  checkEntry(e, opts);
  const n = e.name.slice(0, 100);
  opts.budget?.take(e.size, `entry "${n}"`);
  const start = await entryDataStart(src, e, opts.dataEnd);
  const raw = await readExact(src, start, e.compressedSize, `entry "${n}"`);
  const z = await zlib();
  let out: Buffer;
  if (e.method === 0) out = raw;
  else {
    // The declared size bounds the output: a lying header cannot make us allocate more.
    const o = { maxOutputLength: Math.max(1, e.size) };
    try {
      out =
        raw.length < 256 * 1024
          ? z.inflateRawSync(raw, o)
          : await new Promise<Buffer>((resolve, reject) =>
              z.inflateRaw(raw, o, (err, b) => (err ? reject(err) : resolve(b))),
            );
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
        throw new ZipError(`entry "${n}" inflates past its declared size`);
      throw new ZipError(`entry "${n}": ${(err as Error).message}`);
    }
  }
  if (out.length !== e.size) throw new ZipError(`entry "${n}" has ${out.length} bytes, ${e.size} declared`);
  if (z.crc32(out) !== e.crc32) throw new ZipError(`entry "${n}": CRC mismatch`);
  return out;
}
