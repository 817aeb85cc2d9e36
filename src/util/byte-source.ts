// Random access to an analyzer's file without holding all of it: executables run to hundreds of MB,
// and the parsers that read them need a few small ranges (headers, tables, one section).

import type { Readable } from 'node:stream';

export interface ByteSource {
  readonly size: number;
  /** Bytes [offset, offset + length), cut short at the end of the source (empty past it). */
  read(offset: number, length: number): Promise<Buffer>;
  /** Releases an open stream, if any; later reads reopen it. */
  close(): void;
}

/** A source over bytes already in memory: reads are views, not copies. */
export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read: async (offset, length) => {
      const start = clamp(offset, buf.length);
      return buf.subarray(start, clamp(start + Math.max(0, length), buf.length));
    },
    close: () => {},
  };
}

function clamp(n: number, max: number): number {
  return Number.isFinite(n) ? Math.min(Math.max(0, Math.floor(n)), max) : max;
}

/** Bytes kept from earlier reads; parsers re-read headers, and a stream cannot seek back cheaply. */
const CACHE_LIMIT = 16 * 1024 * 1024;
/** The most recent stream bytes kept, so that reads a little behind the position need no new pass. */
const WINDOW = 1024 * 1024;

/**
 * A source over a stream that can only be read from the start. It keeps one stream open and moves
 * forward through it, holding the last WINDOW bytes it passed; a read that starts further back and
 * that no cached range covers starts a new pass. Parsers that read in increasing offset order (give
 * or take the window) therefore cost one pass whatever the file size, and memory holds only the
 * window and the ranges asked for.
 */
export class StreamSource implements ByteSource {
  private stream: Readable | undefined;
  private iter: AsyncIterator<Buffer> | undefined;
  /** Recent chunks, oldest first; `recentStart` is the file offset of the first, `pos` the end. */
  private recent: Buffer[] = [];
  private recentLen = 0;
  private recentStart = 0;
  private pos = 0;
  private cache: { offset: number; buf: Buffer }[] = [];
  private cached = 0;
  /** How many times the stream was opened (tests check that parsers stay near one pass). */
  passes = 0;

  constructor(
    readonly size: number,
    private readonly open: () => Readable,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const start = clamp(offset, this.size);
    const end = clamp(start + Math.max(0, length), this.size);
    if (end === start) return Buffer.alloc(0);
    for (const c of this.cache)
      if (c.offset <= start && end <= c.offset + c.buf.length)
        return c.buf.subarray(start - c.offset, end - c.offset);
    if (!this.iter || start < this.recentStart) this.reopen();
    const out = Buffer.alloc(end - start);
    let at = this.recentStart;
    for (const c of this.recent) {
      copyOverlap(c, at, out, start);
      at += c.length;
    }
    while (this.pos < end) {
      const r = await (this.iter as AsyncIterator<Buffer>).next();
      if (r.done) break;
      const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      copyOverlap(chunk, this.pos, out, start);
      this.pos += chunk.length;
      this.recent.push(chunk);
      this.recentLen += chunk.length;
      while (this.recent.length > 1 && this.recentLen - (this.recent[0] as Buffer).length >= WINDOW) {
        const old = this.recent.shift() as Buffer;
        this.recentLen -= old.length;
        this.recentStart += old.length;
      }
    }
    const got = out.subarray(0, Math.max(0, Math.min(end, this.pos) - start));
    this.remember(start, got);
    return got;
  }

  private remember(offset: number, buf: Buffer): void {
    if (buf.length > CACHE_LIMIT) return;
    this.cache.push({ offset, buf });
    this.cached += buf.length;
    while (this.cached > CACHE_LIMIT) {
      const old = this.cache.shift() as { offset: number; buf: Buffer };
      this.cached -= old.buf.length;
    }
  }

  private reopen(): void {
    this.close();
    this.stream = this.open();
    this.iter = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.passes++;
  }

  close(): void {
    this.stream?.destroy();
    this.stream = undefined;
    this.iter = undefined;
    this.recent = [];
    this.recentLen = 0;
    this.recentStart = 0;
    this.pos = 0;
  }
}

/** Copies the part of `chunk` (which starts at file offset `at`) that falls in `out` (at `start`). */
function copyOverlap(chunk: Buffer, at: number, out: Buffer, start: number): void {
  const from = Math.max(at, start);
  const to = Math.min(at + chunk.length, start + out.length);
  if (to > from) chunk.copy(out, from - start, from - at, to - at);
}

/** Files up to this size are read whole (small captures are held in memory by the analysis session). */
export const READ_WHOLE_LIMIT = 1024 * 1024;

/** What fileSource needs of an analyzer's file; `readAt` (random access) is used when offered. */
export interface SourceFile {
  size: number;
  read(): Promise<Buffer>;
  stream(): Readable;
  readAt?(position: number, length: number): Promise<Buffer>;
}

/**
 * A source over an analyzer's file: small files whole; bigger ones by random access when the file
 * offers it, else streamed range by range.
 */
export async function fileSource(file: SourceFile): Promise<ByteSource> {
  if (file.size <= READ_WHOLE_LIMIT) return bufferSource(await file.read());
  const readAt = file.readAt?.bind(file);
  if (readAt) {
    const size = file.size;
    return {
      size,
      read: async (offset, length) => {
        const start = clamp(offset, size);
        const n = clamp(start + Math.max(0, length), size) - start;
        return n === 0 ? Buffer.alloc(0) : readAt(start, n);
      },
      close: () => {},
    };
  }
  return new StreamSource(file.size, () => file.stream());
}
