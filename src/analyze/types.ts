// The analyzer extension point: what an analyzer declares and what it is handed.

import type { Readable } from 'node:stream';
import type { EntryType } from '../image/tar.js';

export interface FileInfo {
  /** Normalised path relative to the image root ("etc/os-release"). */
  path: string;
  type: EntryType;
  size: number;
  mode: number;
}

/** A file handed to an analyzer: content held in memory or spilled to a temp file. */
export interface AnalyzerFile extends FileInfo {
  read(): Promise<Buffer>;
  stream(): Readable;
  /**
   * Reads `length` bytes at `position` without loading the whole file (archives keep their index
   * at the end). Shorter at the end of the file. Optional: test doubles may leave it out.
   */
  readAt?(position: number, length: number): Promise<Buffer>;
  /**
   * Set when a big file was spilled to disk: drydock's own temp copy, which an analyzer may open by
   * path (SQLite) and even patch in place; it is deleted after the analyzers ran.
   */
  localPath?: string | undefined;
}

/**
 * Which entries an analyzer can possibly want, declared so that a layer's million entries are
 * dispatched with a Map lookup instead of asking every analyzer's `matches()` (see dispatch.ts).
 * An entry is offered to `matches()` when ANY criterion admits it. It must admit every path
 * `matches()` accepts (a superset; test/analyze/prefilter.test.ts checks it): a path it leaves out
 * is never analyzed.
 */
export interface Prefilter {
  /** Exact basenames ("yarn.lock"). */
  readonly names?: readonly string[];
  /** Basename prefixes up to the first '.' (the whole basename if it has none): "libnode". */
  readonly stems?: readonly string[];
  /** Basename suffixes (".jar", ".deps.json"; printable ASCII) matched on the lower-cased basename. */
  readonly extensions?: readonly string[];
  /** Directories (image-relative, no trailing '/') whose direct entries are all offered. */
  readonly dirs?: readonly string[];
  /** Entries with any of these mode bits set (0o111: executables). */
  readonly modeBits?: number;
}

export interface Analyzer<R = unknown> {
  /** Stable name; results and cache entries are keyed by it. */
  readonly name: string;
  /** Bump to invalidate cached results produced by older code. */
  readonly version: number;
  /** Largest file the analyzer reads (bytes); bigger matches are skipped with a warning. */
  readonly maxFileSize?: number;
  /** Narrows the entries `matches()` is asked about; without one it is asked about every entry. */
  readonly prefilter?: Prefilter;
  /** Called for the entries the prefilter admits (every entry without one): keep it cheap. */
  matches(path: string, info: { type: EntryType; size: number; mode: number }): boolean;
  /** Parses one file; the result must be JSON-serialisable (it is cached). */
  analyze(file: AnalyzerFile): Promise<R | undefined>;
}

/** What one layer yielded: analyzer results by path, and what the layer deletes below it. */
export interface LayerAnalysis {
  diffID: string;
  /** analyzer name -> path -> result (null: the path exists in this layer but gave no result). */
  results: Record<string, Record<string, unknown>>;
  /** Paths removed by `.wh.NAME` entries. */
  whiteouts: string[];
  /** Directories whose lower content is hidden (`.wh..wh..opq`). */
  opaqueDirs: string[];
  /** Every entry, when a file listing was requested: [path, type, size, mode, linkname]. */
  files?: [string, string, number, number, string][];
  stats: { entries: number; bytes: number; analyzed: number };
  warnings: string[];
}
