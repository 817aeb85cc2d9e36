// Storage of the trust server: every published version of every role (tuf_files), the keys the
// server holds (server-managed timestamp and snapshot keys), and the changefeed. One schema for
// SQLite (better-sqlite3, the default: one file) and PostgreSQL (`pg`, optional).
//
// Writes of one update are one transaction; a (gun, role, version) that exists already, or any
// stored version >= the one being written, fails the whole update with OldVersionError (Notary's
// rollback protection at the storage layer).

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { OldVersionError } from './errors.js';

export interface TufFile {
  gun: string;
  role: string;
  version: number;
  sha256: string;
  data: Buffer;
  created: string;
}

export interface MetaUpdate {
  role: string;
  version: number;
  data: Buffer;
}

export interface Change {
  id: number;
  gun: string;
  version: number;
  sha256: string;
  category: 'update' | 'deletion';
  created: string;
}

export interface StoredKey {
  gun: string;
  role: string;
  keyid: string;
  keytype: string;
  /** base64 public key as in TUF metadata */
  public: string;
  /** PKCS#8 PEM, encrypted when the server has a passphrase */
  private: string;
  created: string;
}

export interface ChangeQuery {
  /** start after (or, reversed, before) this id; 0 = from the start (or the latest) */
  after: number;
  limit: number;
  reversed: boolean;
  gun?: string;
}

export interface TrustStore {
  readonly kind: 'sqlite' | 'postgres';
  readonly location: string;
  getCurrent(gun: string, role: string): Promise<TufFile | undefined>;
  getVersion(gun: string, role: string, version: number): Promise<TufFile | undefined>;
  getChecksum(gun: string, role: string, sha256hex: string): Promise<TufFile | undefined>;
  /** Atomically writes all updates (and a changefeed record for a timestamp). */
  updateMany(gun: string, updates: MetaUpdate[], now: Date): Promise<void>;
  /** Deletes all metadata of a GUN; records a deletion in the changefeed when there was any. */
  deleteGun(gun: string, now: Date): Promise<number>;
  getChanges(q: ChangeQuery): Promise<Change[]>;
  /** Keys of a GUN for a role, oldest first. */
  getKeys(gun: string, role: string): Promise<StoredKey[]>;
  getKey(gun: string, keyid: string): Promise<StoredKey | undefined>;
  addKey(k: StoredKey): Promise<void>;
  health(): Promise<void>;
  close(): Promise<void>;
}

export const SCHEMA_VERSION = 1;

export function sha256hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function checkUnique(updates: MetaUpdate[]): void {
  const seen = new Set<string>();
  for (const u of updates) {
    const k = `${u.role}\0${u.version}`;
    if (seen.has(k)) throw new OldVersionError(u.role);
    seen.add(k);
  }
}

function minVersions(updates: MetaUpdate[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const u of updates) {
    const cur = m.get(u.role);
    if (cur === undefined || u.version < cur) m.set(u.role, u.version);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// SQLite

type SqliteCtor = typeof import('better-sqlite3');
type SqliteDb = import('better-sqlite3').Database;

const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS trust_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tuf_files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  gun TEXT NOT NULL, role TEXT NOT NULL, version INTEGER NOT NULL,
  sha256 TEXT NOT NULL, data BLOB NOT NULL, created TEXT NOT NULL,
  UNIQUE (gun, role, version)
);
CREATE INDEX IF NOT EXISTS tuf_files_sha256 ON tuf_files (gun, role, sha256);
CREATE TABLE IF NOT EXISTS keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  gun TEXT NOT NULL, role TEXT NOT NULL, keyid TEXT NOT NULL, keytype TEXT NOT NULL,
  public TEXT NOT NULL, private TEXT NOT NULL, created TEXT NOT NULL,
  UNIQUE (gun, keyid)
);
CREATE TABLE IF NOT EXISTS changefeed (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  gun TEXT NOT NULL, version INTEGER NOT NULL, sha256 TEXT NOT NULL,
  category TEXT NOT NULL, created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changefeed_gun ON changefeed (gun, id);
`;

interface FileRow {
  gun: string;
  role: string;
  version: number;
  sha256: string;
  data: Buffer;
  created: string;
}

function rowToFile(r: FileRow | undefined): TufFile | undefined {
  if (!r) return undefined;
  return { ...r, version: Number(r.version), data: Buffer.from(r.data) };
}

export class SqliteTrustStore implements TrustStore {
  readonly kind = 'sqlite' as const;
  private constructor(
    readonly location: string,
    private readonly db: SqliteDb,
  ) {}

  static open(file: string): SqliteTrustStore {
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as SqliteCtor;
    let db: SqliteDb;
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Sqlite(file);
    } catch (e) {
      throw new UserError(`cannot open the trust server database ${file}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SQLITE_SCHEMA);
      const row = db.prepare("SELECT value FROM trust_meta WHERE key = 'schema_version'").get() as
        | { value: string }
        | undefined;
      if (!row) {
        db.prepare("INSERT INTO trust_meta (key, value) VALUES ('schema_version', ?)").run(
          String(SCHEMA_VERSION),
        );
      } else if (Number(row.value) > SCHEMA_VERSION) {
        throw new UserError(
          `${file} was written by a newer drydock (trust server schema ${row.value}, this one knows ${SCHEMA_VERSION})`,
        );
      }
    } catch (e) {
      db.close();
      if (e instanceof UserError) throw e;
      throw new UserError(`${file} is not a drydock trust server database: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return new SqliteTrustStore(file, db);
  }

  async getCurrent(gun: string, role: string): Promise<TufFile | undefined> {
    return rowToFile(
      this.db
        .prepare('SELECT * FROM tuf_files WHERE gun = ? AND role = ? ORDER BY version DESC LIMIT 1')
        .get(gun, role) as FileRow | undefined,
    );
  }

  async getVersion(gun: string, role: string, version: number): Promise<TufFile | undefined> {
    return rowToFile(
      this.db
        .prepare('SELECT * FROM tuf_files WHERE gun = ? AND role = ? AND version = ?')
        .get(gun, role, version) as FileRow | undefined,
    );
  }

  async getChecksum(gun: string, role: string, sha256: string): Promise<TufFile | undefined> {
    return rowToFile(
      this.db
        .prepare(
          'SELECT * FROM tuf_files WHERE gun = ? AND role = ? AND sha256 = ? ORDER BY version DESC LIMIT 1',
        )
        .get(gun, role, sha256.toLowerCase()) as FileRow | undefined,
    );
  }

  async updateMany(gun: string, updates: MetaUpdate[], now: Date): Promise<void> {
    checkUnique(updates);
    const created = now.toISOString();
    const newer = this.db.prepare(
      'SELECT 1 FROM tuf_files WHERE gun = ? AND role = ? AND version >= ? LIMIT 1',
    );
    const ins = this.db.prepare(
      'INSERT INTO tuf_files (gun, role, version, sha256, data, created) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const feed = this.db.prepare(
      "INSERT INTO changefeed (gun, version, sha256, category, created) VALUES (?, ?, ?, 'update', ?)",
    );
    const tx = this.db.transaction(() => {
      for (const [role, min] of minVersions(updates)) {
        if (newer.get(gun, role, min)) throw new OldVersionError(role);
      }
      for (const u of updates) {
        const sum = sha256hex(u.data);
        ins.run(gun, u.role, u.version, sum, u.data, created);
        if (u.role === 'timestamp') feed.run(gun, u.version, sum, created);
      }
    });
    try {
      tx.immediate();
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new OldVersionError('metadata');
      throw e;
    }
  }

  async deleteGun(gun: string, now: Date): Promise<number> {
    const tx = this.db.transaction(() => {
      const n = this.db.prepare('DELETE FROM tuf_files WHERE gun = ?').run(gun).changes;
      if (n > 0) {
        this.db
          .prepare(
            "INSERT INTO changefeed (gun, version, sha256, category, created) VALUES (?, 0, '', 'deletion', ?)",
          )
          .run(gun, now.toISOString());
      }
      return n;
    });
    return tx.immediate();
  }

  async getChanges(q: ChangeQuery): Promise<Change[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.gun !== undefined) {
      where.push('gun = ?');
      args.push(q.gun);
    }
    if (q.reversed) {
      if (q.after > 0) {
        where.push('id < ?');
        args.push(q.after);
      }
    } else {
      where.push('id > ?');
      args.push(q.after);
    }
    const sql = `SELECT * FROM changefeed ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${q.reversed ? 'DESC' : 'ASC'} LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit) as Change[];
    if (q.reversed) rows.reverse();
    return rows.map((r) => ({ ...r, id: Number(r.id), version: Number(r.version) }));
  }

  async getKeys(gun: string, role: string): Promise<StoredKey[]> {
    return this.db
      .prepare('SELECT * FROM keys WHERE gun = ? AND role = ? ORDER BY id')
      .all(gun, role) as StoredKey[];
  }

  async getKey(gun: string, keyid: string): Promise<StoredKey | undefined> {
    return this.db.prepare('SELECT * FROM keys WHERE gun = ? AND keyid = ?').get(gun, keyid) as
      | StoredKey
      | undefined;
  }

  async addKey(k: StoredKey): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO keys (gun, role, keyid, keytype, public, private, created) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(k.gun, k.role, k.keyid, k.keytype, k.public, k.private, k.created);
  }

  async health(): Promise<void> {
    this.db.prepare('SELECT 1 FROM tuf_files LIMIT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

type PgModule = typeof import('pg');
type PgPool = import('pg').Pool;
type PgClient = import('pg').PoolClient;

const PG_SCHEMA = `
CREATE TABLE IF NOT EXISTS trust_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tuf_files (
  id BIGSERIAL PRIMARY KEY,
  gun TEXT NOT NULL, role TEXT NOT NULL, version INTEGER NOT NULL,
  sha256 TEXT NOT NULL, data BYTEA NOT NULL, created TEXT NOT NULL,
  UNIQUE (gun, role, version)
);
CREATE INDEX IF NOT EXISTS tuf_files_sha256 ON tuf_files (gun, role, sha256);
CREATE TABLE IF NOT EXISTS keys (
  id BIGSERIAL PRIMARY KEY,
  gun TEXT NOT NULL, role TEXT NOT NULL, keyid TEXT NOT NULL, keytype TEXT NOT NULL,
  public TEXT NOT NULL, private TEXT NOT NULL, created TEXT NOT NULL,
  UNIQUE (gun, keyid)
);
CREATE TABLE IF NOT EXISTS changefeed (
  id BIGSERIAL PRIMARY KEY,
  gun TEXT NOT NULL, version INTEGER NOT NULL, sha256 TEXT NOT NULL,
  category TEXT NOT NULL, created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changefeed_gun ON changefeed (gun, id);
`;

/** A URL for messages, without any password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export class PgTrustStore implements TrustStore {
  readonly kind = 'postgres' as const;
  private constructor(
    readonly location: string,
    private readonly pool: PgPool,
  ) {}

  static async open(url: string): Promise<PgTrustStore> {
    let pg: PgModule;
    try {
      pg = createRequire(import.meta.url)('pg') as PgModule;
    } catch (e) {
      throw new UserError('PostgreSQL storage needs the "pg" package (npm install pg)', { cause: e });
    }
    const where = redactUrl(url);
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
    pool.on('error', () => {
      // idle client errors (server restart): the next query reports them
    });
    try {
      const c = await pool.connect();
      try {
        await c.query('SELECT pg_advisory_lock(74207)');
        try {
          await c.query(PG_SCHEMA);
          const r = await c.query("SELECT value FROM trust_meta WHERE key = 'schema_version'");
          if (r.rows.length === 0) {
            await c.query(
              "INSERT INTO trust_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT DO NOTHING",
              [String(SCHEMA_VERSION)],
            );
          } else if (Number(r.rows[0].value) > SCHEMA_VERSION) {
            throw new UserError(
              `${where} was written by a newer drydock (trust server schema ${r.rows[0].value})`,
            );
          }
        } finally {
          await c.query('SELECT pg_advisory_unlock(74207)');
        }
      } finally {
        c.release();
      }
    } catch (e) {
      await pool.end().catch(() => {});
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot open the trust server database ${where}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return new PgTrustStore(where, pool);
  }

  private async one(sql: string, args: unknown[]): Promise<TufFile | undefined> {
    const r = await this.pool.query(sql, args);
    return rowToFile(r.rows[0] as FileRow | undefined);
  }

  getCurrent(gun: string, role: string): Promise<TufFile | undefined> {
    return this.one('SELECT * FROM tuf_files WHERE gun = $1 AND role = $2 ORDER BY version DESC LIMIT 1', [
      gun,
      role,
    ]);
  }

  getVersion(gun: string, role: string, version: number): Promise<TufFile | undefined> {
    return this.one('SELECT * FROM tuf_files WHERE gun = $1 AND role = $2 AND version = $3', [
      gun,
      role,
      version,
    ]);
  }

  getChecksum(gun: string, role: string, sha256: string): Promise<TufFile | undefined> {
    return this.one(
      'SELECT * FROM tuf_files WHERE gun = $1 AND role = $2 AND sha256 = $3 ORDER BY version DESC LIMIT 1',
      [gun, role, sha256.toLowerCase()],
    );
  }

  private async tx<T>(fn: (c: PgClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      if ((e as { code?: string }).code === '23505') throw new OldVersionError('metadata');
      throw e;
    } finally {
      c.release();
    }
  }

  async updateMany(gun: string, updates: MetaUpdate[], now: Date): Promise<void> {
    checkUnique(updates);
    const created = now.toISOString();
    await this.tx(async (c) => {
      for (const [role, min] of minVersions(updates)) {
        const r = await c.query(
          'SELECT 1 FROM tuf_files WHERE gun = $1 AND role = $2 AND version >= $3 LIMIT 1',
          [gun, role, min],
        );
        if (r.rows.length > 0) throw new OldVersionError(role);
      }
      for (const u of updates) {
        const sum = sha256hex(u.data);
        await c.query(
          'INSERT INTO tuf_files (gun, role, version, sha256, data, created) VALUES ($1, $2, $3, $4, $5, $6)',
          [gun, u.role, u.version, sum, u.data, created],
        );
        if (u.role === 'timestamp') {
          await c.query(
            "INSERT INTO changefeed (gun, version, sha256, category, created) VALUES ($1, $2, $3, 'update', $4)",
            [gun, u.version, sum, created],
          );
        }
      }
    });
  }

  deleteGun(gun: string, now: Date): Promise<number> {
    return this.tx(async (c) => {
      const r = await c.query('DELETE FROM tuf_files WHERE gun = $1', [gun]);
      const n = r.rowCount ?? 0;
      if (n > 0) {
        await c.query(
          "INSERT INTO changefeed (gun, version, sha256, category, created) VALUES ($1, 0, '', 'deletion', $2)",
          [gun, now.toISOString()],
        );
      }
      return n;
    });
  }

  async getChanges(q: ChangeQuery): Promise<Change[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.gun !== undefined) {
      args.push(q.gun);
      where.push(`gun = $${args.length}`);
    }
    if (q.reversed) {
      if (q.after > 0) {
        args.push(q.after);
        where.push(`id < $${args.length}`);
      }
    } else {
      args.push(q.after);
      where.push(`id > $${args.length}`);
    }
    args.push(q.limit);
    const sql = `SELECT * FROM changefeed ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${q.reversed ? 'DESC' : 'ASC'} LIMIT $${args.length}`;
    const r = await this.pool.query(sql, args);
    const rows = r.rows as Change[];
    if (q.reversed) rows.reverse();
    return rows.map((x) => ({ ...x, id: Number(x.id), version: Number(x.version) }));
  }

  async getKeys(gun: string, role: string): Promise<StoredKey[]> {
    const r = await this.pool.query('SELECT * FROM keys WHERE gun = $1 AND role = $2 ORDER BY id', [
      gun,
      role,
    ]);
    return r.rows as StoredKey[];
  }

  async getKey(gun: string, keyid: string): Promise<StoredKey | undefined> {
    const r = await this.pool.query('SELECT * FROM keys WHERE gun = $1 AND keyid = $2', [gun, keyid]);
    return r.rows[0] as StoredKey | undefined;
  }

  async addKey(k: StoredKey): Promise<void> {
    await this.pool.query(
      'INSERT INTO keys (gun, role, keyid, keytype, public, private, created) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [k.gun, k.role, k.keyid, k.keytype, k.public, k.private, k.created],
    );
  }

  async health(): Promise<void> {
    await this.pool.query('SELECT 1 FROM tuf_files LIMIT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Opens the store a `--db` value names: sqlite:PATH (or a plain path) or postgres://... */
export async function openTrustStore(db: string): Promise<TrustStore> {
  if (/^postgres(ql)?:\/\//i.test(db)) return PgTrustStore.open(db);
  const file = db.startsWith('sqlite:') ? db.slice('sqlite:'.length) : db;
  if (file === '') throw new UserError('--db sqlite: needs a file path (sqlite:/path/to/trust-server.db)');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    throw new UserError(`--db ${JSON.stringify(db)}: use sqlite:PATH or postgres://USER@HOST:PORT/DB`);
  }
  return SqliteTrustStore.open(file);
}
