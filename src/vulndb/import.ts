// `drydock db import PATH...`: walks files and directories, detects each file's format from its
// content, and loads every format found under a path as one feed ("<importer>:<path name>").
// A feed whose files are byte-for-byte unchanged since the last import is skipped; a file that
// fails to parse is reported and skipped, the rest of the feed is imported.

import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { IMPORTERS } from './importers.js';
import type { FeedInfo, VulnStore } from './store.js';

/** What an import writes to: the SQLite store, or the PostgreSQL store's collector. */
export type ImportTarget = Pick<VulnStore, 'feed' | 'replaceFeed'>;

import type { Importer } from './types.js';

/** Bounds on what one import reads. */
export const IMPORT_LIMITS = {
  files: 2_000_000,
  /** One feed file; the Debian tracker's JSON is ~70 MB today. */
  fileBytes: 512 * 1024 * 1024,
  depth: 32,
};

export interface ImportReport {
  feeds: (FeedInfo & { skipped: boolean })[];
  /** "<file>: <message>" for every file that could not be read or parsed. */
  errors: string[];
  /** Files no importer recognised. */
  unrecognised: number;
}

/** Thrown inside a feed's transaction to roll it back. */
class AllFilesFailed extends Error {}

interface Found {
  rel: string;
  abs: string;
  hash: string;
}

function head(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4096);
    return b.subarray(0, readSync(fd, b, 0, b.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Regular files under `root` (symlinks are not followed), sorted for a stable fingerprint. */
function walk(root: string, errors: string[]): { rel: string; abs: string }[] {
  const out: { rel: string; abs: string }[] = [];
  const visit = (abs: string, rel: string, depth: number) => {
    if (out.length >= IMPORT_LIMITS.files)
      throw new UserError(`${root}: more than ${IMPORT_LIMITS.files} files`);
    const st = lstatSync(abs);
    if (st.isDirectory()) {
      if (depth >= IMPORT_LIMITS.depth) {
        errors.push(`${abs}: nested deeper than ${IMPORT_LIMITS.depth} directories; skipped`);
        return;
      }
      for (const name of readdirSync(abs).sort()) {
        if (name.startsWith('.')) continue;
        visit(path.join(abs, name), rel ? `${rel}/${name}` : name, depth + 1);
      }
    } else if (st.isFile()) {
      if (st.size > IMPORT_LIMITS.fileBytes) errors.push(`${abs}: ${st.size} bytes, over the limit; skipped`);
      else out.push({ rel: rel || path.basename(abs), abs });
    }
  };
  visit(root, '', 0);
  return out;
}

function detect(rel: string, abs: string): Importer | undefined {
  const h = head(abs);
  return IMPORTERS.find((i) => i.detect(rel, h));
}

/** Imports every feed found under each path. Paths that do not exist are UserErrors. */
export function importPaths(
  store: ImportTarget,
  paths: string[],
  opts: {
    force?: boolean;
    now?: Date;
    onFile?: (done: number, total: number) => void;
    /** The feed's name for an importer's files under a path (default "<importer>:<path name>"). */
    feedName?: (importer: string, root: string) => string;
  } = {},
): ImportReport {
  const report: ImportReport = { feeds: [], errors: [], unrecognised: 0 };
  for (const p of paths) {
    const root = path.resolve(p);
    try {
      lstatSync(root);
    } catch {
      throw new UserError(`${p}: no such file or directory`);
    }
    const files = walk(root, report.errors);
    const groups = new Map<Importer, Found[]>();
    let done = 0;
    for (const f of files) {
      let imp: Importer | undefined;
      try {
        imp = detect(f.rel, f.abs);
      } catch (e) {
        report.errors.push(`${f.abs}: ${(e as Error).message}`);
        continue;
      }
      if (!imp) {
        report.unrecognised++;
        continue;
      }
      const hash = createHash('sha256').update(readFileSync(f.abs)).digest('hex');
      const list = groups.get(imp) ?? [];
      list.push({ ...f, hash });
      groups.set(imp, list);
      opts.onFile?.(++done, files.length * 2);
    }
    for (const [imp, found] of groups) {
      const name = opts.feedName ? opts.feedName(imp.name, root) : `${imp.name}:${path.basename(root)}`;
      const fp = createHash('sha256');
      for (const f of found) fp.update(`${f.rel}\0${f.hash}\n`);
      const fingerprint = fp.digest('hex');
      const before = store.feed(name);
      if (before && before.fingerprint === fingerprint && !opts.force) {
        report.feeds.push({ ...before, skipped: true });
        continue;
      }
      const errors: string[] = [];
      let info: FeedInfo;
      try {
        info = store.replaceFeed(
          { name, importer: imp.name, origin: root, fingerprint, errors: 0 },
          (w) => {
            for (const f of found) {
              try {
                // Parsed to completion before anything is written: a file that fails half-way
                // contributes nothing.
                const records = [...imp.parse(f.rel, readFileSync(f.abs))];
                for (const r of records) {
                  if ('advisory' in r) w.advisory(r.advisory);
                  else w.detail(r.detail);
                }
              } catch (e) {
                errors.push(`${f.abs}: ${(e as Error).message}`);
              }
              opts.onFile?.(++done, files.length * 2);
            }
            // Not one file of the feed could be read: keep what the database had (rolled back).
            if (errors.length === found.length) throw new AllFilesFailed();
            // Recorded on the feed so that `db status` shows it.
            return errors.length;
          },
          opts.now,
        );
      } catch (e) {
        if (!(e instanceof AllFilesFailed)) throw e;
        report.errors.push(...errors);
        continue;
      }
      report.errors.push(...errors);
      report.feeds.push({ ...info, skipped: false });
    }
  }
  return report;
}
