// The vulnerability database: one SQLite file (better-sqlite3), versioned schema, advisories
// indexed by namespace + package. Imports replace a feed's rows inside one transaction, and
// `db update` builds a copy aside and renames it over the old file, so a reader (or a crash) never
// sees half a feed.
//
// Why not kysely (DESIGN.md's query layer): loading it took 57 ms, and every scan that matches
// vulnerabilities opens the store. The queries are few and portable; the PostgreSQL engine will
// implement the same `VulnStore` interface with the same SQL.

import { createRequire } from 'node:module';
import { UserError } from '../errors.js';
import type { Advisory, AffectedRange, Cvss, Severity, Status, VulnerabilityDetail } from './types.js';

type SqliteCtor = typeof import('better-sqlite3');
type Database = import('better-sqlite3').Database;

/** Bump with a migration in MIGRATIONS when the schema changes. */
export const SCHEMA_VERSION = 2;

/** MIGRATIONS[n] takes the schema from version n to n + 1. */
const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE feeds (
     name TEXT PRIMARY KEY,
     importer TEXT NOT NULL,
     origin TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     imported_at TEXT NOT NULL,
     advisories INTEGER NOT NULL,
     details INTEGER NOT NULL,
     errors INTEGER NOT NULL
   );
   CREATE TABLE advisories (
     rowid INTEGER PRIMARY KEY,
     feed TEXT NOT NULL,
     vuln_id TEXT NOT NULL,
     source TEXT NOT NULL,
     namespace TEXT NOT NULL,
     package TEXT NOT NULL,
     status TEXT NOT NULL,
     fixed TEXT,
     ranges TEXT,
     severity TEXT,
     modularity TEXT,
     data TEXT
   );
   CREATE INDEX advisories_by_package ON advisories (namespace, package);
   CREATE INDEX advisories_by_feed ON advisories (feed);
   CREATE TABLE details (
     feed TEXT NOT NULL,
     vuln_id TEXT NOT NULL,
     source TEXT NOT NULL,
     severity TEXT,
     data TEXT,
     PRIMARY KEY (vuln_id, source)
   );
   CREATE INDEX details_by_feed ON details (feed);`,
  // 2: `drydock explain` looks advisories up by vulnerability id.
  'CREATE INDEX advisories_by_id ON advisories (vuln_id);',
];

export interface FeedInfo {
  name: string;
  importer: string;
  /** Where it was imported from (a path or URL). */
  origin: string;
  /** Content fingerprint: an unchanged feed is not imported again. */
  fingerprint: string;
  importedAt: string;
  advisories: number;
  details: number;
  /** Files that could not be parsed (reported and skipped). */
  errors: number;
}

export interface StoreStatus {
  path: string;
  schemaVersion: number;
  builtAt: string | undefined;
  feeds: FeedInfo[];
  advisories: number;
  details: number;
}

/** Fields kept as JSON beside the indexed columns. */
type AdvisoryData = Pick<
  Advisory,
  'aliases' | 'title' | 'description' | 'cvss' | 'references' | 'published' | 'modified' | 'url'
>;

export interface AdvisoryRow {
  vuln_id: string;
  source: string;
  namespace: string;
  package: string;
  status: string;
  fixed: string | null;
  ranges: string | null;
  severity: string | null;
  modularity: string | null;
  data: string | null;
}

export function rowToAdvisory(r: AdvisoryRow): Advisory {
  const a: Advisory = {
    id: r.vuln_id,
    source: r.source,
    namespace: r.namespace,
    package: r.package,
    status: r.status as Status,
  };
  if (r.fixed !== null) a.fixed = r.fixed;
  if (r.ranges !== null) a.ranges = JSON.parse(r.ranges) as AffectedRange[];
  if (r.severity !== null) a.severity = r.severity as Severity;
  if (r.modularity !== null) a.modularity = r.modularity;
  if (r.data !== null) Object.assign(a, JSON.parse(r.data) as AdvisoryData);
  return a;
}

/** The column values of an advisory row, in ADVISORY_COLUMNS order after the feed (both engines). */
export function advisoryParams(feed: string, a: Advisory): (string | null)[] {
  return [
    feed,
    a.id,
    a.source,
    a.namespace,
    a.package,
    a.status,
    a.fixed ?? null,
    a.ranges && a.ranges.length > 0 ? JSON.stringify(a.ranges) : null,
    a.severity ?? null,
    a.modularity ?? null,
    dataOf(a),
  ];
}

export function dataOf(a: Advisory | VulnerabilityDetail): string | null {
  const d: Record<string, unknown> = {};
  for (const k of [
    'aliases',
    'title',
    'description',
    'cvss',
    'references',
    'published',
    'modified',
    'url',
  ] as const) {
    const v = (a as unknown as Record<string, unknown>)[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) d[k] = v;
  }
  return Object.keys(d).length > 0 ? JSON.stringify(d) : null;
}

/** Writes one feed's records: opened by `VulnStore.replaceFeed`, committed as a whole. */
export interface FeedWriter {
  advisory(a: Advisory): void;
  detail(d: VulnerabilityDetail): void;
}

export class VulnStore {
  private constructor(
    readonly path: string,
    private readonly db: Database,
  ) {}

  /**
   * Opens (and with `create`, creates or migrates) the database file. A file that is not a
   * drydock database, or one from a newer drydock, is a UserError.
   */
  static open(path: string, opts: { create?: boolean; readonly?: boolean } = {}): VulnStore {
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as SqliteCtor;
    let db: Database;
    try {
      db = new Sqlite(path, { readonly: opts.readonly === true, fileMustExist: opts.create !== true });
    } catch (e) {
      throw new UserError(`cannot open the vulnerability database ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const store = new VulnStore(path, db);
    try {
      if (!opts.readonly) {
        db.pragma('journal_mode = DELETE');
        db.pragma('synchronous = NORMAL');
      }
      store.migrate(opts.create === true && !opts.readonly);
    } catch (e) {
      db.close();
      if (e instanceof UserError) throw e;
      throw new UserError(`${path} is not a drydock vulnerability database: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return store;
  }

  private version(): number {
    const hasMeta = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
      .get();
    if (!hasMeta) {
      const tables = this.db
        .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'")
        .get() as {
        n: number;
      };
      if (tables.n > 0) throw new UserError(`${this.path} is not a drydock vulnerability database`);
      return 0;
    }
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
    return row ? Number(row.value) : 0;
  }

  private migrate(write: boolean): void {
    const v = this.version();
    if (v > SCHEMA_VERSION)
      throw new UserError(
        `${this.path} has schema version ${v}; this drydock reads up to ${SCHEMA_VERSION}: upgrade drydock`,
      );
    if (v === SCHEMA_VERSION) return;
    if (!write)
      throw new UserError(`${this.path} has schema version ${v}: run "drydock db update" or "db import"`);
    this.db.transaction(() => {
      for (let i = v; i < SCHEMA_VERSION; i++) this.db.exec(MIGRATIONS[i] as string);
      this.db
        .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)")
        .run(String(SCHEMA_VERSION));
    })();
  }

  close(): void {
    this.db.close();
  }

  feed(name: string): FeedInfo | undefined {
    const r = this.db.prepare('SELECT * FROM feeds WHERE name = ?').get(name) as
      | {
          name: string;
          importer: string;
          origin: string;
          fingerprint: string;
          imported_at: string;
          advisories: number;
          details: number;
          errors: number;
        }
      | undefined;
    return r
      ? {
          name: r.name,
          importer: r.importer,
          origin: r.origin,
          fingerprint: r.fingerprint,
          importedAt: r.imported_at,
          advisories: r.advisories,
          details: r.details,
          errors: r.errors,
        }
      : undefined;
  }

  /**
   * Replaces everything a feed contributed with what `fill` writes, in one transaction: on an
   * exception nothing changes. Returns the feed's new bookkeeping.
   */
  replaceFeed(
    info: Omit<FeedInfo, 'advisories' | 'details' | 'importedAt'>,
    /** Writes the records; may return how many files it had to skip (recorded as the feed's errors). */
    fill: (w: FeedWriter) => number | undefined,
    now = new Date(),
  ): FeedInfo {
    const insAdv = this.db.prepare(
      `INSERT INTO advisories (feed, vuln_id, source, namespace, package, status, fixed, ranges, severity, modularity, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insDetail = this.db.prepare(
      'INSERT OR REPLACE INTO details (feed, vuln_id, source, severity, data) VALUES (?, ?, ?, ?, ?)',
    );
    let advisories = 0;
    let details = 0;
    const result: FeedInfo = { ...info, importedAt: now.toISOString(), advisories: 0, details: 0 };
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM advisories WHERE feed = ?').run(info.name);
      this.db.prepare('DELETE FROM details WHERE feed = ?').run(info.name);
      const skipped = fill({
        advisory: (a) => {
          insAdv.run(...advisoryParams(info.name, a));
          advisories++;
        },
        detail: (d) => {
          insDetail.run(info.name, d.id, d.source, d.severity ?? null, dataOf(d));
          details++;
        },
      });
      result.advisories = advisories;
      result.details = details;
      if (skipped !== undefined) result.errors = skipped;
      this.db
        .prepare(
          `INSERT OR REPLACE INTO feeds (name, importer, origin, fingerprint, imported_at, advisories, details, errors)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          info.name,
          info.importer,
          info.origin,
          info.fingerprint,
          result.importedAt,
          advisories,
          details,
          result.errors,
        );
      this.db
        .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('built_at', ?)")
        .run(result.importedAt);
    })();
    return result;
  }

  private byPackage: import('better-sqlite3').Statement | undefined;
  private byId: import('better-sqlite3').Statement | undefined;

  /** Every advisory for a package in a namespace (the matcher's one query per package). */
  advisoriesFor(namespace: string, pkg: string): Advisory[] {
    this.byPackage ??= this.db.prepare(
      'SELECT vuln_id, source, namespace, package, status, fixed, ranges, severity, modularity, data FROM advisories WHERE namespace = ? AND package = ?',
    );
    return (this.byPackage.all(namespace, pkg) as AdvisoryRow[]).map(rowToAdvisory);
  }

  /** Every advisory of a vulnerability, under its id or as an alias (for `drydock explain`). */
  advisoriesById(id: string): Advisory[] {
    const rows = this.db
      .prepare(
        `SELECT vuln_id, source, namespace, package, status, fixed, ranges, severity, modularity, data FROM advisories
         WHERE vuln_id = ? OR (data IS NOT NULL AND instr(data, ?) > 0)`,
      )
      .all(id, JSON.stringify(id)) as AdvisoryRow[];
    return rows.map(rowToAdvisory).filter((a) => a.id === id || a.aliases?.includes(id));
  }

  /** Vulnerability-level details (NVD CVSS and severity) of one id, by source. */
  detailsFor(id: string): VulnerabilityDetail[] {
    this.byId ??= this.db.prepare('SELECT vuln_id, source, severity, data FROM details WHERE vuln_id = ?');
    return (
      this.byId.all(id) as {
        vuln_id: string;
        source: string;
        severity: string | null;
        data: string | null;
      }[]
    ).map((r) => {
      const d: VulnerabilityDetail = { id: r.vuln_id, source: r.source };
      if (r.severity !== null) d.severity = r.severity as Severity;
      if (r.data !== null) Object.assign(d, JSON.parse(r.data) as { cvss?: Cvss[] });
      return d;
    });
  }

  status(): StoreStatus {
    const feeds = (this.db.prepare('SELECT name FROM feeds ORDER BY name').all() as { name: string }[]).map(
      (r) => this.feed(r.name) as FeedInfo,
    );
    const count = (t: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    const built = this.db.prepare("SELECT value FROM meta WHERE key = 'built_at'").get() as
      | { value: string }
      | undefined;
    return {
      path: this.path,
      schemaVersion: this.version(),
      builtAt: built?.value,
      feeds,
      advisories: count('advisories'),
      details: count('details'),
    };
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)
      ?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  /** Writes a consistent copy of the database to `dest` (used to build an update aside). */
  copyTo(dest: string): void {
    this.db.prepare('VACUUM INTO ?').run(dest);
  }
}
