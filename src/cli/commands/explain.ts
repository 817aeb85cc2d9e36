// `drydock explain TARGET ID`: why a vulnerability is (or is not) reported for a target.

import { existsSync } from 'node:fs';
import { EXIT_OK, UserError } from '../../errors.js';
import { explain } from '../../match/explain.js';
import { isPostgresUrl } from '../../vulndb/pg-url.js';
import { VulnStore } from '../../vulndb/store.js';
import type { Advisory } from '../../vulndb/types.js';
import type { Options } from '../framework.js';
import { dbPath } from './db.js';
import { emit, scanTarget } from './scan.js';

export async function runExplain(target: string, id: string, o: Options): Promise<number> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{1,100}$/.test(id))
    throw new UserError(`"${id.slice(0, 80)}" is not a vulnerability id`);
  const db = dbPath(o);
  if (!isPostgresUrl(db) && !existsSync(db))
    throw new UserError(`no vulnerability database at ${db}: run "drydock db import" or "db update"`);
  return scanTarget(target, o, '', async (result) => {
    let advisories: Advisory[];
    if (isPostgresUrl(db)) {
      const { PgStore } = await import('../../vulndb/pg-store.js');
      const pg = await PgStore.open(db);
      try {
        advisories = await pg.advisoriesById(id);
      } finally {
        await pg.close();
      }
    } else {
      const store = VulnStore.open(db, { readonly: true });
      try {
        advisories = store.advisoriesById(id);
      } finally {
        store.close();
      }
    }
    const ex = explain(id, advisories, result.packages, result.os);
    if (o.format === 'json') {
      const json = ex.map((e) => ({
        VulnerabilityID: e.advisory.id,
        Aliases: e.advisory.aliases ?? [],
        DataSource: e.advisory.source,
        Namespace: e.advisory.namespace,
        Package: e.advisory.package,
        Status: e.advisory.status,
        FixedVersion: e.advisory.fixed,
        Ranges: e.advisory.ranges,
        Packages: e.packages.map((x) => ({
          PkgName: x.pkg.name,
          InstalledVersion: x.pkg.version,
          FilePath: x.pkg.filePath,
          Affected: x.affected,
          Reason: x.why,
        })),
        ...(e.note ? { Note: e.note } : {}),
      }));
      await emit(`${JSON.stringify(json, null, 2)}\n`, o.output as string | undefined);
      return EXIT_OK;
    }
    const lines: string[] = [];
    if (ex.length === 0)
      lines.push(`${id}: no advisory in the database ${db} names it (as an id or an alias)`);
    for (const e of ex) {
      const a = e.advisory;
      lines.push(
        `${a.id}${a.aliases?.length ? ` (${a.aliases.join(', ')})` : ''} — ${a.source}, ${a.namespace} ${a.package}: ${a.status.replace(/_/g, ' ')}${a.fixed ? `, fixed in ${a.fixed}` : ''}`,
      );
      for (const x of e.packages)
        lines.push(
          `  ${x.affected ? 'AFFECTED    ' : 'not affected'}  ${x.pkg.name} ${x.pkg.version}: ${x.why}`,
        );
      if (e.note) lines.push(`  -             ${e.note}`);
    }
    await emit(`${lines.join('\n')}\n`, o.output as string | undefined);
    return EXIT_OK;
  });
}
