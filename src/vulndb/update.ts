// `drydock db update`: downloads each configured feed (several mirrors each, retries with
// backoff, conditional requests), and imports what changed into a copy of the database that
// replaces the old one only when every feed is done — a crash or SIGKILL at any point leaves the
// previous database as it was. An unchanged feed (304, or the same bytes) costs one request.

import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { HttpAgents, httpRequest } from '../util/http.js';
import { type ImportReport, importPaths } from './import.js';
import { VulnStore } from './store.js';

export interface FeedSource {
  /** The feed's name in the database ("debian-tracker", "osv-pypi"...). */
  name: string;
  /** The same file at several mirrors, tried in order. */
  urls: string[];
}

export interface UpdateOptions {
  timeoutMs?: number;
  retries?: number;
  /** Largest download accepted. */
  maxBytes?: number;
  now?: Date;
  /** Called as bytes arrive (for a TTY progress line). */
  onProgress?: (feed: string, bytes: number, total: number | undefined) => void;
  /** Test hook: the pause between retries. */
  backoffMs?: (attempt: number) => number;
}

export interface UpdateReport {
  feeds: { name: string; url?: string; state: 'unchanged' | 'updated' | 'failed'; detail: string }[];
  /** Whether the database file was replaced. */
  replaced: boolean;
}

interface SourceState {
  url: string;
  etag?: string;
  lastModified?: string;
  sha256: string;
}

/** Reads a feeds config: {"feeds": [{"name": "...", "urls": ["...", "..."]}]}. */
export function parseFeedsConfig(text: string, origin: string): FeedSource[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${origin}: not JSON: ${(e as Error).message}`);
  }
  const feeds = (json as { feeds?: unknown })?.feeds;
  if (!Array.isArray(feeds) || feeds.length === 0)
    throw new UserError(`${origin}: expected {"feeds": [...]}`);
  const seen = new Set<string>();
  return feeds.map((f, i) => {
    const name = (f as { name?: unknown })?.name;
    const urls = (f as { urls?: unknown })?.urls;
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name))
      throw new UserError(`${origin}: feeds[${i}].name must be a short lower-case name`);
    if (seen.has(name)) throw new UserError(`${origin}: feed "${name}" is listed twice`);
    seen.add(name);
    if (
      !Array.isArray(urls) ||
      urls.length === 0 ||
      !urls.every((u) => typeof u === 'string' && /^https?:\/\//.test(u))
    )
      throw new UserError(`${origin}: feeds[${i}].urls must be a list of http(s) URLs`);
    return { name, urls: urls as string[] };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

type Fetched =
  | { kind: 'not-modified' }
  | { kind: 'file'; file: string; sha256: string; etag?: string; lastModified?: string };

/** One URL: follows redirects, retries 429/5xx and network errors, streams to `dest`. */
async function fetchOne(
  url: string,
  dest: string,
  prev: SourceState | undefined,
  feed: string,
  agents: HttpAgents,
  o: Required<Pick<UpdateOptions, 'timeoutMs' | 'retries' | 'maxBytes'>> & UpdateOptions,
): Promise<Fetched> {
  let lastError = '';
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    if (attempt > 0) await sleep(o.backoffMs ? o.backoffMs(attempt) : Math.min(30_000, 500 * 2 ** attempt));
    let current = url;
    try {
      for (let hop = 0; ; hop++) {
        const headers: Record<string, string> = { 'user-agent': 'drydock' };
        if (prev && prev.url === url) {
          if (prev.etag) headers['if-none-match'] = prev.etag;
          if (prev.lastModified) headers['if-modified-since'] = prev.lastModified;
        }
        const res = await httpRequest(current, { headers, timeoutMs: o.timeoutMs, agents });
        if ([301, 302, 303, 307, 308].includes(res.statusCode) && res.headers.location) {
          await res.dump();
          if (hop >= 5) throw new Error('too many redirects');
          current = new URL(res.headers.location, current).toString();
          continue;
        }
        if (res.statusCode === 304) {
          await res.dump();
          return { kind: 'not-modified' };
        }
        if (res.statusCode === 429 || res.statusCode >= 500) {
          await res.dump();
          throw new Error(`HTTP ${res.statusCode}`);
        }
        if (res.statusCode !== 200) {
          await res.dump();
          // Not worth retrying: the next mirror may have it.
          return Promise.reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { final: true }));
        }
        const total = Number(res.headers['content-length']) || undefined;
        if (total !== undefined && total > o.maxBytes) {
          res.body.destroy();
          return Promise.reject(Object.assign(new Error(`${total} bytes, over the limit`), { final: true }));
        }
        const hash = createHash('sha256');
        const fd = openSync(dest, 'w');
        let bytes = 0;
        try {
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            bytes += chunk.length;
            if (bytes > o.maxBytes)
              throw Object.assign(new Error('download over the size limit'), { final: true });
            hash.update(chunk);
            writeSync(fd, chunk);
            o.onProgress?.(feed, bytes, total);
          }
        } finally {
          closeSync(fd);
        }
        if (total !== undefined && bytes !== total)
          throw new Error(`connection closed after ${bytes} of ${total} bytes`);
        const etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
        const lm =
          typeof res.headers['last-modified'] === 'string' ? res.headers['last-modified'] : undefined;
        return { kind: 'file', file: dest, sha256: hash.digest('hex'), etag, lastModified: lm };
      }
    } catch (e) {
      if ((e as { final?: boolean }).final) throw e;
      lastError = (e as Error).message;
    }
  }
  throw new Error(`${lastError} (after ${o.retries + 1} attempts)`);
}

/** Random access to a downloaded file for the ZIP reader. */
function fileAccess(file: string): {
  size: number;
  read(position: number, length: number): Promise<Buffer>;
  close(): void;
} {
  const fd = openSync(file, 'r');
  const size = statSync(file).size;
  return {
    size,
    read: async (position, length) => {
      const n = Math.max(0, Math.min(length, size - position));
      const b = Buffer.alloc(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, b, got, n - got, position + got);
        if (r === 0) break;
        got += r;
      }
      return b.subarray(0, got);
    },
    close: () => closeSync(fd),
  };
}

/**
 * Unpacks a downloaded ZIP (OSV publishes each ecosystem as all.zip) into `dir`, bounded: entry
 * names are flattened to safe file names (no directories, so no path can climb out), sizes capped.
 */
async function unzipInto(file: string, dir: string, maxBytes: number): Promise<number> {
  const { openZip, readEntry, Budget } = await import('../util/zip.js');
  const src = fileAccess(file);
  try {
    const z = await openZip(src, { maxEntries: 2_000_000, keep: (n) => !n.endsWith('/') });
    const budget = new Budget(maxBytes);
    let i = 0;
    for (const e of z.entries) {
      const data = await readEntry(src, e, { maxSize: 64 * 1024 * 1024, budget, dataEnd: z.dataEnd });
      const base = e.name.split('/').pop() ?? 'entry';
      const safe = `${String(i++).padStart(7, '0')}-${base.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)}`;
      const fd = openSync(path.join(dir, safe), 'wx');
      try {
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
    }
    return i;
  } finally {
    src.close();
  }
}

/** The file name a download is stored under, so that format detection sees a sensible path. */
function fileNameOf(url: string): string {
  const base = path.basename(new URL(url).pathname) || 'feed';
  return base.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'feed';
}

/** Removes temp files of updates that died (SIGKILL) before they could clean up. */
function removeStale(dbPath: string): void {
  const dir = path.dirname(dbPath);
  const prefix = `${path.basename(dbPath)}.update-`;
  if (!existsSync(dir)) return;
  for (const n of readdirSync(dir)) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('.')[0]);
    let alive = false;
    try {
      if (pid > 0 && pid !== process.pid) {
        process.kill(pid, 0);
        alive = true;
      }
    } catch {
      // no such process
    }
    if (!alive) rmSync(path.join(dir, n), { recursive: true, force: true });
  }
}

export async function updateDatabase(
  dbPath: string,
  sources: FeedSource[],
  opts: UpdateOptions = {},
): Promise<UpdateReport> {
  const o = { timeoutMs: 30_000, retries: 3, maxBytes: 2 * 1024 * 1024 * 1024, ...opts };
  mkdirSync(path.dirname(dbPath), { recursive: true });
  removeStale(dbPath);
  const work = mkdtempSync(`${dbPath}.update-${process.pid}.`);
  const agents = new HttpAgents();
  const report: UpdateReport = { feeds: [], replaced: false };
  const tmpDb = path.join(work, 'new.db');
  try {
    // Read the current state; the new database starts as a copy of the current one.
    if (existsSync(dbPath)) {
      const cur = VulnStore.open(dbPath, { readonly: true });
      try {
        cur.copyTo(tmpDb);
      } finally {
        cur.close();
      }
    }
    const store = VulnStore.open(tmpDb, { create: true });
    let changed = false;
    try {
      changed = await runSources(
        {
          getMeta: async (k) => store.getMeta(k),
          setMeta: async (k, v) => store.setMeta(k, v),
          importDir: async (dir, feedName) => importPaths(store, [dir], { now: o.now, feedName }),
        },
        sources,
        work,
        agents,
        o,
        report,
      );
    } finally {
      store.close();
    }
    if (changed || !existsSync(dbPath)) {
      renameSync(tmpDb, dbPath);
      report.replaced = true;
    }
    return report;
  } finally {
    agents.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Bytes of a file, for messages. */
export function sizeOf(p: string): number {
  return statSync(p).size;
}

/** What an update writes to: a SQLite copy, or PostgreSQL (each feed in its own transaction). */
interface UpdateTarget {
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  importDir(dir: string, feedName: (importer: string) => string): Promise<ImportReport>;
}

type Opts = Required<Pick<UpdateOptions, 'timeoutMs' | 'retries' | 'maxBytes'>> & UpdateOptions;

/** Downloads and imports every source; returns whether anything in the target changed. */
async function runSources(
  t: UpdateTarget,
  sources: FeedSource[],
  work: string,
  agents: HttpAgents,
  o: Opts,
  report: UpdateReport,
): Promise<boolean> {
  let changed = false;
  for (const src of sources) {
    const key = `source:${src.name}`;
    const prevText = await t.getMeta(key);
    const prev = prevText ? (JSON.parse(prevText) as SourceState) : undefined;
    const dir = path.join(work, src.name);
    mkdirSync(dir);
    const errors: string[] = [];
    let done = false;
    for (const url of src.urls) {
      try {
        const dest = path.join(dir, fileNameOf(url));
        const got = await fetchOne(url, dest, prev, src.name, agents, o);
        if (got.kind === 'not-modified') {
          report.feeds.push({
            name: src.name,
            url,
            state: 'unchanged',
            detail: 'not modified (HTTP 304)',
          });
        } else if (prev && prev.sha256 === got.sha256) {
          await t.setMeta(
            key,
            JSON.stringify({ ...prev, url, etag: got.etag, lastModified: got.lastModified }),
          );
          report.feeds.push({ name: src.name, url, state: 'unchanged', detail: 'same content' });
          changed = true; // the validators changed
        } else {
          if (dest.endsWith('.zip')) {
            const unpacked = path.join(dir, 'unpacked');
            mkdirSync(unpacked);
            await unzipInto(dest, unpacked, o.maxBytes);
            rmSync(dest);
          }
          const r = await t.importDir(dir, (imp) => `${src.name}:${imp}`);
          if (r.feeds.length === 0)
            throw new Error(r.errors[0] ?? `no vulnerability feed recognised in ${fileNameOf(url)}`);
          const n = r.feeds.reduce((a, f) => a + f.advisories + f.details, 0);
          await t.setMeta(
            key,
            JSON.stringify({ url, etag: got.etag, lastModified: got.lastModified, sha256: got.sha256 }),
          );
          changed = true;
          report.feeds.push({
            name: src.name,
            url,
            state: 'updated',
            detail: `${n} records${r.errors.length ? `, ${r.errors.length} file(s) skipped: ${r.errors[0]}` : ''}`,
          });
        }
        done = true;
        break;
      } catch (e) {
        errors.push(`${url}: ${(e as Error).message}`);
      }
    }
    if (!done) report.feeds.push({ name: src.name, state: 'failed', detail: errors.join('; ') });
    rmSync(dir, { recursive: true, force: true });
  }
  return changed;
}

/**
 * `db update` into PostgreSQL: the same downloads; each feed is replaced in its own transaction, so
 * a crash leaves every feed either as it was or fully updated.
 */
export async function updatePostgres(
  url: string,
  sources: FeedSource[],
  opts: UpdateOptions = {},
): Promise<UpdateReport> {
  const o = { timeoutMs: 30_000, retries: 3, maxBytes: 2 * 1024 * 1024 * 1024, ...opts };
  const { PgStore } = await import('./pg-store.js');
  const pg = await PgStore.open(url, { create: true });
  const work = mkdtempSync(path.join(tmpdir(), 'drydock-update-'));
  const agents = new HttpAgents();
  const report: UpdateReport = { feeds: [], replaced: false };
  try {
    report.replaced = await runSources(
      {
        getMeta: (k) => pg.getMeta(k),
        setMeta: (k, v) => pg.setMeta(k, v),
        importDir: (dir, feedName) => pg.importPaths([dir], { now: o.now, feedName }),
      },
      sources,
      work,
      agents,
      o,
      report,
    );
    return report;
  } finally {
    agents.close();
    await pg.close();
    rmSync(work, { recursive: true, force: true });
  }
}
