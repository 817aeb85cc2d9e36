// `drydock db import|status|export`: the local vulnerability database.

import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { defaultCacheDir } from '../../cache/layer-cache.js';
import { EXIT_OK, UserError } from '../../errors.js';
import { warn } from '../../log.js';
import { type ImportReport, importPaths } from '../../vulndb/import.js';
import { isPostgresUrl } from '../../vulndb/pg-url.js';
import { type StoreStatus, VulnStore } from '../../vulndb/store.js';
import type { Options } from '../framework.js';
import { emit } from './scan.js';

/** --db, else <cache dir>/db/drydock.db. */
export function dbPath(o: Options): string {
  if (typeof o.db === 'string') return isPostgresUrl(o.db) ? o.db : path.resolve(o.db);
  const cache = typeof o.cacheDir === 'string' ? o.cacheDir : defaultCacheDir();
  return path.join(cache, 'db', 'drydock.db');
}

const SQLITE_MAGIC = 'SQLite format 3\0';

function isSqliteFile(p: string): boolean {
  try {
    const b = readFileSync(p, { flag: 'r' }).subarray(0, 16);
    return b.toString('latin1') === SQLITE_MAGIC;
  } catch {
    return false;
  }
}

export async function runDbImport(paths: string[], o: Options): Promise<number> {
  const db = dbPath(o);
  if (isPostgresUrl(db)) {
    for (const p of paths) if (!existsSync(p)) throw new UserError(`${p}: no such file or directory`);
    const { PgStore } = await import('../../vulndb/pg-store.js');
    const pg = await PgStore.open(db, { create: true });
    try {
      const report = await pg.importPaths(paths, { force: !!o.force });
      reportImport(report, paths);
    } finally {
      await pg.close();
    }
    return EXIT_OK;
  }
  // One argument that is an exported database: it replaces the local one (offline bundle).
  if (paths.length === 1 && isSqliteFile(paths[0] as string)) {
    const src = VulnStore.open(path.resolve(paths[0] as string), { readonly: true });
    const st = src.status();
    src.close();
    mkdirSync(path.dirname(db), { recursive: true });
    const tmp = `${db}.import-${process.pid}`;
    copyFileSync(paths[0] as string, tmp);
    renameSync(tmp, db);
    process.stderr.write(
      `drydock: database ${db} replaced by ${paths[0]}: ${st.feeds.length} feed(s), ${st.advisories} advisories\n`,
    );
    return EXIT_OK;
  }
  for (const p of paths) if (!existsSync(p)) throw new UserError(`${p}: no such file or directory`);
  mkdirSync(path.dirname(db), { recursive: true });
  const existed = existsSync(db);
  const store = VulnStore.open(db, { create: true });
  let found = true;
  try {
    const tty = process.stderr.isTTY && !o.quiet;
    let last = 0;
    const report = importPaths(store, paths, {
      force: !!o.force,
      // A TTY gets a progress line: detection, then parsing (each file is counted twice).
      onFile: tty
        ? (done, total) => {
            const now = Date.now();
            if (now - last < 100 && done < total) return;
            last = now;
            process.stderr.write(
              `\r\x1b[Kimporting: ${Math.floor((done / Math.max(1, total)) * 100)}% (${done}/${total})`,
            );
          }
        : undefined,
    });
    if (tty) process.stderr.write('\r\x1b[K');
    found = report.feeds.length > 0;
    reportImport(report, paths);
  } finally {
    store.close();
    // Nothing imported into a database this run created: leave no empty file behind.
    if (!found && !existed) rmSync(db, { force: true });
  }
  return EXIT_OK;
}

export async function runDbStatus(o: Options): Promise<number> {
  const db = dbPath(o);
  let st: StoreStatus;
  if (isPostgresUrl(db)) {
    const { PgStore } = await import('../../vulndb/pg-store.js');
    const pg = await PgStore.open(db);
    try {
      st = await pg.status();
    } finally {
      await pg.close();
    }
  } else {
    if (!existsSync(db))
      throw new UserError(`no vulnerability database at ${db}: run "drydock db import" or "db update"`);
    const store = VulnStore.open(db, { readonly: true });
    st = store.status();
    store.close();
  }
  if (o.format === 'json') {
    await emit(`${JSON.stringify(st, null, 2)}\n`, undefined);
    return EXIT_OK;
  }
  const lines = [
    `database: ${st.path}`,
    `schema:   ${st.schemaVersion}`,
    `built:    ${st.builtAt ?? '-'}`,
    `records:  ${st.advisories} advisories, ${st.details} vulnerability details`,
    '',
    'feeds:',
  ];
  const w = Math.max(4, ...st.feeds.map((f) => f.name.length));
  for (const f of st.feeds)
    lines.push(
      `  ${f.name.padEnd(w)}  ${String(f.advisories).padStart(7)} adv  ${String(f.details).padStart(7)} det  ${f.importedAt}${f.errors ? `  ${f.errors} file(s) skipped` : ''}`,
    );
  await emit(`${lines.join('\n')}\n`, undefined);
  return EXIT_OK;
}

export async function runDbExport(file: string, o: Options): Promise<number> {
  const db = dbPath(o);
  const pg = isPostgresUrl(db);
  if (!pg && !existsSync(db)) throw new UserError(`no vulnerability database at ${db}`);
  const dest = path.resolve(file);
  // Renaming over a device or FIFO would replace it: the export must be a regular file.
  if (existsSync(dest) && !statSync(dest).isFile()) throw new UserError(`${file} is not a regular file`);
  const tmp = `${dest}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { force: true });
    if (pg) {
      // PostgreSQL is exported as the same SQLite file a local database is.
      const { PgStore } = await import('../../vulndb/pg-store.js');
      const src = await PgStore.open(db);
      try {
        const out = VulnStore.open(tmp, { create: true });
        try {
          await src.exportTo(out);
        } finally {
          out.close();
        }
      } finally {
        await src.close();
      }
    } else {
      const store = VulnStore.open(db, { readonly: true });
      try {
        store.copyTo(tmp);
      } finally {
        store.close();
      }
    }
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
  process.stderr.write(`drydock: exported ${pg ? db.replace(/\/\/[^@/]*@/, '//***@') : db} to ${dest}\n`);
  return EXIT_OK;
}

export async function runDbUpdate(o: Options): Promise<number> {
  if (o.offline) throw new UserError('db update downloads feeds: it cannot run with --offline');
  const { parseFeedsConfig, updateDatabase, updatePostgres } = await import('../../vulndb/update.js');
  let sources: import('../../vulndb/update.js').FeedSource[];
  if (typeof o.feeds === 'string') {
    let text: string;
    try {
      text = readFileSync(o.feeds, 'utf8');
    } catch (e) {
      throw new UserError(`cannot read ${o.feeds}: ${(e as Error).message}`);
    }
    sources = parseFeedsConfig(text, o.feeds);
  } else {
    sources = [...(await import('../../vulndb/feeds.js')).DEFAULT_FEEDS];
  }
  const db = dbPath(o);
  const tty = process.stderr.isTTY && !o.quiet;
  let last = 0;
  const report = await (isPostgresUrl(db) ? updatePostgres : updateDatabase)(db, sources, {
    timeoutMs: (o.timeout as number | undefined) ?? 30_000,
    retries: (o.retries as number | undefined) ?? 3,
    onProgress: tty
      ? (feed, bytes, total) => {
          const now = Date.now();
          if (now - last < 100) return;
          last = now;
          const pct = total ? ` ${Math.floor((bytes / total) * 100)}%` : '';
          process.stderr.write(`\r\x1b[K${feed}: ${(bytes / 1048576).toFixed(1)} MB${pct}`);
        }
      : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');
  for (const f of report.feeds) {
    const line = `${f.name}: ${f.state}${f.detail ? ` (${f.detail})` : ''}`;
    if (f.state === 'failed') warn(line);
    else process.stderr.write(`drydock: ${line}\n`);
  }
  process.stderr.write(`drydock: ${report.replaced ? `database ${db} updated` : 'nothing changed'}\n`);
  const failed = report.feeds.filter((f) => f.state === 'failed').length;
  if (failed === report.feeds.length && failed > 0) throw new UserError(`every feed failed to download`);
  return EXIT_OK;
}

/** Prints what an import did; throws when no feed was found at all. */
function reportImport(report: ImportReport, paths: string[]): void {
  for (const e of report.errors) warn(e);
  for (const f of report.feeds) {
    process.stderr.write(
      `drydock: ${f.name}: ${f.skipped ? 'unchanged, skipped' : `${f.advisories} advisories, ${f.details} details${f.errors ? `, ${f.errors} file(s) skipped` : ''}`}\n`,
    );
  }
  if (report.feeds.length === 0) {
    throw new UserError(
      `no vulnerability feed found in ${paths.join(', ')} (${report.unrecognised} file(s) not recognised)`,
    );
  }
}
