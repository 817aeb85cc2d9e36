// The vulnerability database on PostgreSQL (`--db postgres://...`), for the service and for teams
// that share one database. Same schema and SQL as the SQLite store, same importers (a feed is parsed
// by `importPaths` into memory, then written in one transaction), and the matcher's lookups are
// done in two set queries before matching: one for every (namespace, package) of the scan, one
// for the details of every vulnerability found.

import { createRequire } from 'node:module';
import { UserError } from '../errors.js';
import type { AdvisorySource } from '../match/match.js';
import { type ImportReport, type ImportTarget, importPaths } from './import.js';
import {
  type AdvisoryRow,
  advisoryParams,
  dataOf,
  type FeedInfo,
  rowToAdvisory,
  type StoreStatus,
  type VulnStore,
} from './store.js';
import type { Advisory, Cvss, Severity, VulnerabilityDetail } from './types.js';

type PgClient = import('pg').Client;

export const PG_SCHEMA_VERSION = 2;

const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE feeds (
     name TEXT PRIMARY KEY, importer TEXT NOT NULL, origin TEXT NOT NULL, fingerprint TEXT NOT NULL,
     imported_at TEXT NOT NULL, advisories INTEGER NOT NULL, details INTEGER NOT NULL, errors INTEGER NOT NULL
   );
   CREATE TABLE advisories (
     id BIGSERIAL PRIMARY KEY, feed TEXT NOT NULL, vuln_id TEXT NOT NULL, source TEXT NOT NULL,
     namespace TEXT NOT NULL, package TEXT NOT NULL, status TEXT NOT NULL, fixed TEXT, ranges TEXT,
     severity TEXT, modularity TEXT, data TEXT
   );
   CREATE INDEX advisories_by_package ON advisories (namespace, package);
   CREATE INDEX advisories_by_feed ON advisories (feed);
   CREATE TABLE details (
     feed TEXT NOT NULL, vuln_id TEXT NOT NULL, source TEXT NOT NULL, severity TEXT, data TEXT,
     PRIMARY KEY (vuln_id, source)
   );
   CREATE INDEX details_by_feed ON details (feed);`,
  'CREATE INDEX advisories_by_id ON advisories (vuln_id);',
];

interface Pending {
  info: FeedInfo;
  advisories: Advisory[];
  details: VulnerabilityDetail[];
}

const ADVISORY_COLUMNS =
  'vuln_id, source, namespace, package, status, fixed, ranges, severity, modularity, data';

export class PgStore {
  private constructor(
    readonly url: string,
    private readonly db: PgClient,
  ) {}

  /** Connects and, with `create`, creates or migrates the schema (a newer schema is refused). */
  static async open(url: string, opts: { create?: boolean } = {}): Promise<PgStore> {
    const { Client } = createRequire(import.meta.url)('pg') as typeof import('pg');
    const db = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    // A redacted URL in messages: no password.
    const shown = url.replace(/\/\/[^@/]*@/, '//***@');
    try {
      await db.connect();
    } catch (e) {
      throw new UserError(`cannot connect to the vulnerability database ${shown}: ${(e as Error).message}`);
    }
    const store = new PgStore(shown, db);
    try {
      await store.migrate(opts.create === true);
    } catch (e) {
      await db.end();
      if (e instanceof UserError) throw e;
      throw new UserError(`${shown}: ${(e as Error).message}`);
    }
    return store;
  }

  private async version(): Promise<number> {
    const t = await this.db.query("SELECT to_regclass('public.meta') AS t");
    if (!t.rows[0]?.t) return 0;
    const r = await this.db.query("SELECT value FROM meta WHERE key = 'schema_version'");
    return r.rows[0] ? Number(r.rows[0].value) : 0;
  }

  private async migrate(write: boolean): Promise<void> {
    const v = await this.version();
    if (v > PG_SCHEMA_VERSION)
      throw new UserError(
        `${this.url} has schema version ${v}; this drydock reads up to ${PG_SCHEMA_VERSION}`,
      );
    if (v === PG_SCHEMA_VERSION) return;
    if (!write) throw new UserError(`${this.url} has schema version ${v}: run "drydock db import"`);
    await this.db.query('BEGIN');
    try {
      for (let i = v; i < PG_SCHEMA_VERSION; i++) await this.db.query(MIGRATIONS[i] as string);
      await this.db.query(
        "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [String(PG_SCHEMA_VERSION)],
      );
      await this.db.query('COMMIT');
    } catch (e) {
      await this.db.query('ROLLBACK');
      throw e;
    }
  }

  async getMeta(key: string): Promise<string | undefined> {
    const r = await this.db.query('SELECT value FROM meta WHERE key = $1', [key]);
    return r.rows[0]?.value as string | undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db.query(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
      [key, value],
    );
  }

  async close(): Promise<void> {
    await this.db.end();
  }

  private async feeds(): Promise<Map<string, FeedInfo>> {
    const r = await this.db.query('SELECT * FROM feeds ORDER BY name');
    return new Map(
      r.rows.map((x) => [
        x.name as string,
        {
          name: x.name,
          importer: x.importer,
          origin: x.origin,
          fingerprint: x.fingerprint,
          importedAt: x.imported_at,
          advisories: x.advisories,
          details: x.details,
          errors: x.errors,
        } as FeedInfo,
      ]),
    );
  }

  /** `db import` into PostgreSQL: parsed by the same code, each feed written in one transaction. */
  async importPaths(paths: string[], opts: Parameters<typeof importPaths>[2] = {}): Promise<ImportReport> {
    const known = await this.feeds();
    const pending: Pending[] = [];
    const target: ImportTarget = {
      feed: (name) => known.get(name),
      replaceFeed: (info, fill, now = new Date()) => {
        const advisories: Advisory[] = [];
        const details: VulnerabilityDetail[] = [];
        const skipped = fill({ advisory: (a) => advisories.push(a), detail: (d) => details.push(d) });
        const full: FeedInfo = {
          ...info,
          importedAt: now.toISOString(),
          advisories: advisories.length,
          details: details.length,
          errors: skipped ?? info.errors,
        };
        pending.push({ info: full, advisories, details });
        return full;
      },
    };
    const report = importPaths(target, paths, opts);
    for (const p of pending) await this.write(p);
    return report;
  }

  private async write(p: Pending): Promise<void> {
    const name = p.info.name;
    await this.db.query('BEGIN');
    try {
      await this.db.query('DELETE FROM advisories WHERE feed = $1', [name]);
      await this.db.query('DELETE FROM details WHERE feed = $1', [name]);
      // Multi-row inserts: one round trip per 500 rows.
      for (let i = 0; i < p.advisories.length; i += 500) {
        const rows = p.advisories.slice(i, i + 500);
        const values: unknown[] = [];
        const tuples = rows.map((a, j) => {
          values.push(...advisoryParams(name, a));
          const b = j * 11;
          return `(${Array.from({ length: 11 }, (_, k) => `$${b + k + 1}`).join(', ')})`;
        });
        await this.db.query(
          `INSERT INTO advisories (feed, ${ADVISORY_COLUMNS}) VALUES ${tuples.join(', ')}`,
          values,
        );
      }
      // Details are keyed by (id, source): the last record of a feed wins, as in SQLite.
      const byKey = new Map<string, VulnerabilityDetail>();
      for (const d of p.details) byKey.set(`${d.id}\0${d.source}`, d);
      const details = [...byKey.values()];
      for (let i = 0; i < details.length; i += 500) {
        const rows = details.slice(i, i + 500);
        const values: unknown[] = [];
        const tuples = rows.map((d, j) => {
          values.push(name, d.id, d.source, d.severity ?? null, dataOf(d));
          const b = j * 5;
          return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
        });
        await this.db.query(
          `INSERT INTO details (feed, vuln_id, source, severity, data) VALUES ${tuples.join(', ')}
           ON CONFLICT (vuln_id, source) DO UPDATE SET feed = EXCLUDED.feed, severity = EXCLUDED.severity, data = EXCLUDED.data`,
          values,
        );
      }
      const f = p.info;
      await this.db.query(
        `INSERT INTO feeds (name, importer, origin, fingerprint, imported_at, advisories, details, errors)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (name) DO UPDATE SET importer = EXCLUDED.importer, origin = EXCLUDED.origin,
           fingerprint = EXCLUDED.fingerprint, imported_at = EXCLUDED.imported_at, advisories = EXCLUDED.advisories,
           details = EXCLUDED.details, errors = EXCLUDED.errors`,
        [f.name, f.importer, f.origin, f.fingerprint, f.importedAt, f.advisories, f.details, f.errors],
      );
      await this.db.query(
        "INSERT INTO meta (key, value) VALUES ('built_at', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [f.importedAt],
      );
      await this.db.query('COMMIT');
    } catch (e) {
      await this.db.query('ROLLBACK');
      throw new UserError(`${this.url}: writing feed ${name} failed: ${(e as Error).message}`);
    }
  }

  /** Every advisory of a vulnerability, under its id or as an alias (for `drydock explain`). */
  async advisoriesById(id: string): Promise<Advisory[]> {
    const r = await this.db.query(
      `SELECT ${ADVISORY_COLUMNS} FROM advisories WHERE vuln_id = $1 OR (data IS NOT NULL AND strpos(data, $2) > 0)`,
      [id, JSON.stringify(id)],
    );
    return (r.rows as AdvisoryRow[]).map(rowToAdvisory).filter((a) => a.id === id || a.aliases?.includes(id));
  }

  /** Copies every feed into a SQLite store (`db export` of a PostgreSQL database). */
  async exportTo(target: VulnStore): Promise<void> {
    for (const f of (await this.feeds()).values()) {
      const adv = await this.db.query(
        `SELECT ${ADVISORY_COLUMNS} FROM advisories WHERE feed = $1 ORDER BY id`,
        [f.name],
      );
      const det = await this.db.query('SELECT vuln_id, source, severity, data FROM details WHERE feed = $1', [
        f.name,
      ]);
      target.replaceFeed(
        {
          name: f.name,
          importer: f.importer,
          origin: f.origin,
          fingerprint: f.fingerprint,
          errors: f.errors,
        },
        (w) => {
          for (const row of adv.rows as AdvisoryRow[]) w.advisory(rowToAdvisory(row));
          for (const row of det.rows as {
            vuln_id: string;
            source: string;
            severity: string | null;
            data: string | null;
          }[]) {
            const d: VulnerabilityDetail = { id: row.vuln_id, source: row.source };
            if (row.severity !== null) d.severity = row.severity as Severity;
            if (row.data !== null) Object.assign(d, JSON.parse(row.data) as Partial<VulnerabilityDetail>);
            w.detail(d);
          }
          return f.errors;
        },
        new Date(f.importedAt),
      );
    }
  }

  /** The advisories and details a scan's packages need, fetched in two queries, served in memory. */
  async source(lookups: { namespace: string; name: string }[]): Promise<AdvisorySource> {
    const byPkg = new Map<string, Advisory[]>();
    const byId = new Map<string, { source: string; severity?: Severity; cvss?: Cvss[] }[]>();
    if (lookups.length > 0) {
      const r = await this.db.query(
        `SELECT ${ADVISORY_COLUMNS} FROM advisories a
         JOIN unnest($1::text[], $2::text[]) AS l(namespace, package) USING (namespace, package)`,
        [lookups.map((l) => l.namespace), lookups.map((l) => l.name)],
      );
      for (const row of r.rows as AdvisoryRow[]) {
        const a = rowToAdvisory(row);
        const k = `${a.namespace}\0${a.package}`;
        const list = byPkg.get(k) ?? [];
        list.push(a);
        byPkg.set(k, list);
      }
      const ids = [...new Set([...byPkg.values()].flat().map((a) => a.id))];
      if (ids.length > 0) {
        const d = await this.db.query(
          'SELECT vuln_id, source, severity, data FROM details WHERE vuln_id = ANY($1)',
          [ids],
        );
        for (const row of d.rows as {
          vuln_id: string;
          source: string;
          severity: string | null;
          data: string | null;
        }[]) {
          const det: { source: string; severity?: Severity; cvss?: Cvss[] } = { source: row.source };
          if (row.severity !== null) det.severity = row.severity as Severity;
          if (row.data !== null) Object.assign(det, JSON.parse(row.data) as { cvss?: Cvss[] });
          const list = byId.get(row.vuln_id) ?? [];
          list.push(det);
          byId.set(row.vuln_id, list);
        }
      }
    }
    return {
      advisoriesFor: (namespace, pkg) => byPkg.get(`${namespace}\0${pkg}`) ?? [],
      detailsFor: (id) => byId.get(id) ?? [],
    };
  }

  async status(): Promise<StoreStatus> {
    const count = async (t: string) =>
      Number((await this.db.query(`SELECT count(*) AS n FROM ${t}`)).rows[0]?.n ?? 0);
    const built = await this.db.query("SELECT value FROM meta WHERE key = 'built_at'");
    return {
      path: this.url,
      schemaVersion: await this.version(),
      builtAt: built.rows[0]?.value,
      feeds: [...(await this.feeds()).values()],
      advisories: await count('advisories'),
      details: await count('details'),
    };
  }
}
