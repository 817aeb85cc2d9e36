// One pass over one layer's entries: whiteouts, file listing, and the files analyzers asked for.

import {
  closeSync,
  createReadStream,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ImageError } from '../errors.js';
import { normalizeEntryPath } from '../image/path.js';
import type { EntrySink, TarEntry } from '../image/tar.js';
import { debug } from '../log.js';
import { Dispatcher } from './dispatch.js';
import type { Analyzer, AnalyzerFile, LayerAnalysis } from './types.js';

export interface SessionOptions {
  /** Files up to this size are held in memory; bigger ones are spilled to `tmpDir`. */
  memoryThreshold: number;
  /** Default largest file handed to an analyzer. */
  maxFileSize: number;
  tmpDir: string;
  listFiles: boolean;
}

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';

const TYPE_CHAR: Record<string, string> = {
  file: 'f',
  dir: 'd',
  symlink: 'l',
  hardlink: 'h',
  char: 'c',
  block: 'b',
  fifo: 'p',
  other: '?',
};

let spillCounter = 0;

/** Captures one entry's content (holes of sparse files read as zeros). */
class Capture implements EntrySink {
  buffer: Buffer | undefined;
  file: string | undefined;
  private fd: number | undefined;
  done = false;

  constructor(
    readonly filePath: string,
    readonly size: number,
    readonly mode: number,
    readonly analyzers: Analyzer[],
    opts: SessionOptions,
  ) {
    if (size <= opts.memoryThreshold) this.buffer = Buffer.alloc(size);
    else {
      this.file = path.join(opts.tmpDir, `spill-${process.pid}-${++spillCounter}`);
      this.fd = openSync(this.file, 'wx', 0o600);
    }
  }

  write(chunk: Buffer, position: number): void {
    if (position + chunk.length > this.size)
      throw new ImageError(`entry "${this.filePath}" has more data than its size`);
    if (this.buffer) chunk.copy(this.buffer, position);
    else writeSync(this.fd as number, chunk, 0, chunk.length, position);
  }

  end(): void {
    if (this.fd !== undefined) {
      ftruncateSync(this.fd, this.size); // trailing holes of sparse files
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.done = true;
  }

  toFile(): AnalyzerFile {
    return {
      path: this.filePath,
      type: 'file',
      size: this.size,
      mode: this.mode,
      read: async () => this.buffer ?? readFileSync(this.file as string),
      readAt: async (position, length) => this.readAt(position, length),
      localPath: this.buffer ? undefined : this.file,
      stream: () => (this.buffer ? Readable.from([this.buffer]) : createReadStream(this.file as string)),
    };
  }

  /** Random access for analyzers of big files (archives): one bounded read, clamped to the size. */
  private readAt(position: number, length: number): Buffer {
    if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0)
      throw new RangeError(`bad read range ${position}+${length}`);
    const n = Math.max(0, Math.min(length, this.size - position));
    if (this.buffer) return this.buffer.subarray(position, position + n);
    const out = Buffer.alloc(n);
    if (n === 0) return out;
    const fd = openSync(this.file as string, 'r');
    try {
      let got = 0;
      while (got < n) {
        const r = readSync(fd, out, got, n - got, position + got);
        if (r === 0) break;
        got += r;
      }
      return got === n ? out : out.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }

  release(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.file) rmSync(this.file, { force: true });
    this.buffer = undefined;
  }
}

/**
 * Receives entries (from a tar layer or a directory walk), decides what each analyzer gets,
 * and collects per-path results. Call `drain()` between chunks to run analyzers on the files
 * completed so far; that keeps memory bounded and applies backpressure to the stream.
 */
export class AnalysisSession {
  readonly result: LayerAnalysis;
  private completed: Capture[] = [];
  private inMemory = new Map<string, Capture>();
  private current: Capture | undefined;
  /** Finds the few analyzers whose matches() an entry needs (prefilters), in list order. */
  private readonly dispatcher: Dispatcher;

  constructor(
    diffID: string,
    analyzers: Analyzer[],
    private readonly opts: SessionOptions,
    private readonly label: string,
  ) {
    this.result = {
      diffID,
      results: Object.fromEntries(analyzers.map((a) => [a.name, {}])),
      whiteouts: [],
      opaqueDirs: [],
      stats: { entries: 0, bytes: 0, analyzed: 0 },
      warnings: [],
    };
    if (opts.listFiles) this.result.files = [];
    this.dispatcher = new Dispatcher(analyzers);
  }

  warn(msg: string): void {
    if (this.result.warnings.length < 1000) this.result.warnings.push(msg);
    debug(`${this.label}: ${msg}`);
  }

  /** Handler for TarParser: returns a sink when some analyzer wants the entry's content. */
  entry(e: TarEntry): EntrySink | null {
    if (this.current && !this.current.done) this.current.end();
    this.current = undefined;
    const st = this.result.stats;
    st.entries++;
    st.bytes += e.size;
    const n = normalizeEntryPath(e.name);
    if (!n.ok) {
      this.warn(`skipped entry "${e.name.slice(0, 200)}": ${n.reason}`);
      return null;
    }
    const p = n.path;
    if (p === '') return null;
    const slash = p.lastIndexOf('/');
    const base = p.slice(slash + 1);
    if (base.startsWith(WH_PREFIX)) {
      const dir = slash < 0 ? '' : p.slice(0, slash);
      if (base === WH_OPAQUE) this.result.opaqueDirs.push(dir);
      else if (base.startsWith('.wh..wh.')) {
        // AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not part of the image
      } else {
        const name = base.slice(WH_PREFIX.length);
        if (name === '' || name === '.' || name === '..') this.warn(`ignored invalid whiteout "${p}"`);
        else this.result.whiteouts.push(dir ? `${dir}/${name}` : name);
      }
      return null;
    }
    let linkname = e.linkname;
    if (e.type === 'hardlink') {
      const t = normalizeEntryPath(e.linkname);
      if (!t.ok || t.path === '') {
        this.warn(
          `skipped hard link "${p}" -> "${e.linkname.slice(0, 200)}": target ${t.ok ? 'is the root' : t.reason}`,
        );
        return null;
      }
      linkname = t.path;
    }
    if (this.result.files)
      this.result.files.push([p, TYPE_CHAR[e.type] ?? '?', e.size, e.mode & 0o7777, linkname]);
    const info = { type: e.type, size: e.size, mode: e.mode };
    let wanting: Analyzer[] | undefined;
    for (const a of this.dispatcher.candidates(p, slash, base, e.mode)) {
      if (!a.matches(p, info)) continue;
      if (wanting) wanting.push(a);
      else wanting = [a];
    }
    if (!wanting) return null;
    if (e.type === 'hardlink') {
      this.hardlink(p, linkname, e.mode, wanting);
      return null;
    }
    if (e.type !== 'file') {
      // A symlink, directory or device at this path still hides the file below it.
      for (const a of wanting) (this.result.results[a.name] as Record<string, unknown>)[p] = null;
      return null;
    }
    const accepted = wanting.filter((a) => e.size <= (a.maxFileSize ?? this.opts.maxFileSize));
    for (const a of wanting) {
      if (!accepted.includes(a)) {
        (this.result.results[a.name] as Record<string, unknown>)[p] = null;
        this.warn(`${a.name}: skipped ${p} (${e.size} bytes, over the analyzer's limit)`);
      }
    }
    if (accepted.length === 0) return null;
    const cap = new Capture(p, e.size, e.mode, accepted, this.opts);
    this.current = cap;
    this.completed.push(cap);
    return cap;
  }

  private hardlink(p: string, target: string, mode: number, wanting: Analyzer[]): void {
    const src = this.inMemory.get(target);
    if (src?.buffer) {
      const cap = new Capture(p, src.size, mode, wanting, {
        ...this.opts,
        memoryThreshold: Number.MAX_SAFE_INTEGER,
      });
      src.buffer.copy(cap.buffer as Buffer);
      cap.end();
      this.completed.push(cap);
      return;
    }
    for (const a of wanting) (this.result.results[a.name] as Record<string, unknown>)[p] = null;
    this.warn(`hard link ${p} -> ${target}: target content not captured; skipped`);
  }

  /** Runs analyzers on every file completed so far. */
  async drain(): Promise<void> {
    if (this.completed.length === 0) return;
    const ready: Capture[] = [];
    const waiting: Capture[] = [];
    for (const c of this.completed) (c.done ? ready : waiting).push(c);
    this.completed = waiting;
    for (const cap of ready) {
      const file = cap.toFile();
      for (const a of cap.analyzers) {
        const bucket = this.result.results[a.name] as Record<string, unknown>;
        try {
          const r = await a.analyze(file);
          bucket[cap.filePath] = r === undefined ? null : r;
          this.result.stats.analyzed++;
        } catch (e) {
          bucket[cap.filePath] = null;
          this.warn(`${a.name}: could not parse ${cap.filePath}: ${(e as Error).message}`);
        }
      }
      // Keep small captured files for hard links later in the same layer.
      if (cap.buffer && cap.size <= 1024 * 1024 && this.inMemory.size < 256)
        this.inMemory.set(cap.filePath, cap);
      else cap.release();
    }
  }

  /** Releases temp files; call in a finally block. */
  dispose(): void {
    for (const c of this.completed) c.release();
    this.completed = [];
    for (const c of this.inMemory.values()) c.release();
    this.inMemory.clear();
  }
}
