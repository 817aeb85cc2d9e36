// rpm databases in all three formats: SQLite rpmdb.sqlite (Fedora 33+, RHEL 9, CBL-Mariner 2...),
// Berkeley DB Packages (RHEL/CentOS 7-8, Amazon Linux 2) and NDB Packages.db (SUSE).

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { languagePathFilter } from '../owned.js';
import type { Analyzer } from '../types.js';
import { bdbHashValues } from './rpm-bdb.js';
import { type RpmPackage, rpmPackageFromHeader } from './rpm-header.js';
import { ndbBlobs } from './rpm-ndb.js';

export const RPM_SQLITE = ['var/lib/rpm/rpmdb.sqlite', 'usr/lib/sysimage/rpm/rpmdb.sqlite'];
export const RPM_BDB = ['var/lib/rpm/Packages'];
export const RPM_NDB = ['var/lib/rpm/Packages.db', 'usr/lib/sysimage/rpm/Packages.db'];
const ALL = new Set([...RPM_SQLITE, ...RPM_BDB, ...RPM_NDB]);

type SqliteCtor = typeof import('better-sqlite3');

/** Reads every package of an rpmdb.sqlite held in memory (never writes, never touches a WAL). */
export function readRpmSqlite(buf: Buffer): { packages: RpmPackage[]; errors: number } {
  // rpm keeps its database in WAL mode (header bytes 18-19 = 2). An in-memory copy cannot use a
  // WAL, so mark the copy as a rollback-journal database; rpm checkpoints the WAL when it closes.
  if (
    buf.length >= 100 &&
    buf.toString('latin1', 0, 15) === 'SQLite format 3' &&
    (buf[18] === 2 || buf[19] === 2)
  ) {
    buf = Buffer.from(buf);
    buf[18] = 1;
    buf[19] = 1;
  }
  return readPackagesTable(buf);
}

/**
 * Reads an rpmdb.sqlite from drydock's own temp copy by path, so that SQLite pages it in instead
 * of holding the whole database in memory twice. The WAL flag is cleared in the copy, as above.
 */
export function readRpmSqliteFile(path: string): { packages: RpmPackage[]; errors: number } {
  const fd = openSync(path, 'r+');
  try {
    const head = Buffer.alloc(100);
    const n = readSync(fd, head, 0, 100, 0);
    if (
      n === 100 &&
      head.toString('latin1', 0, 15) === 'SQLite format 3' &&
      (head[18] === 2 || head[19] === 2)
    )
      writeSync(fd, Buffer.from([1, 1]), 0, 2, 18);
  } finally {
    closeSync(fd);
  }
  return readPackagesTable(path);
}

function readPackagesTable(source: Buffer | string): { packages: RpmPackage[]; errors: number } {
  // better-sqlite3 is loaded only when an rpm database is found.
  const Database = createRequire(import.meta.url)('better-sqlite3') as SqliteCtor;
  const db =
    typeof source === 'string'
      ? new Database(source, { readonly: true, fileMustExist: true })
      : new Database(source, { readonly: true });
  try {
    const rows = db.prepare('SELECT blob FROM Packages').raw().iterate() as IterableIterator<[Buffer]>;
    const packages: RpmPackage[] = [];
    let errors = 0;
    for (const [blob] of rows) {
      try {
        const p = Buffer.isBuffer(blob) ? rpmPackageFromHeader(blob) : undefined;
        if (p) packages.push(p);
      } catch {
        errors++;
      }
    }
    return { packages, errors };
  } finally {
    db.close();
  }
}

function fromBlobs(blobs: Iterable<Buffer>): { packages: RpmPackage[]; errors: number } {
  const packages: RpmPackage[] = [];
  let errors = 0;
  for (const blob of blobs) {
    if (blob.length < 16) continue; // BDB key 0 holds the next instance number, not a header
    try {
      const p = rpmPackageFromHeader(blob);
      if (p) packages.push(p);
    } catch {
      errors++;
    }
  }
  return { packages, errors };
}

/** Reads every package of a Berkeley DB Packages file. */
export function readRpmBdb(buf: Buffer): { packages: RpmPackage[]; errors: number } {
  return fromBlobs(bdbHashValues(buf));
}

/** Reads every package of an NDB Packages.db. */
export function readRpmNdb(buf: Buffer): { packages: RpmPackage[]; errors: number } {
  return fromBlobs(ndbBlobs(buf));
}

export interface RpmDbResult {
  format: 'sqlite' | 'bdb' | 'ndb';
  packages: RpmPackage[];
  /** Headers that could not be parsed (skipped). */
  badHeaders: number;
}

export const rpmAnalyzer: Analyzer<RpmDbResult> = {
  name: 'rpm',
  version: 5,
  maxFileSize: 512 * 1024 * 1024,
  prefilter: { names: [...ALL].map((p) => p.slice(p.lastIndexOf('/') + 1)) },
  matches: (path) => ALL.has(path),
  async analyze(file) {
    const format = RPM_SQLITE.includes(file.path) ? 'sqlite' : RPM_BDB.includes(file.path) ? 'bdb' : 'ndb';
    const read = format === 'sqlite' ? readRpmSqlite : format === 'bdb' ? readRpmBdb : readRpmNdb;
    const { packages, errors } =
      format === 'sqlite' && file.localPath ? readRpmSqliteFile(file.localPath) : read(await file.read());
    // Keep only the owned files the inventory needs (see ../owned.ts).
    const relevant = await languagePathFilter();
    for (const p of packages) p.files = p.files.filter(relevant);
    return { format, packages, badHeaders: errors };
  },
};
