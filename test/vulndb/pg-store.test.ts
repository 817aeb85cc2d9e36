// The PostgreSQL engine (real PostgreSQL 15 on 127.0.0.1, started by scripts/postgres.sh from
// scripts/test.sh): the same feeds give the same records and the same findings as SQLite.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ROOT, runCli, tmpdir } from '../helpers/env.js';

const PG = process.env.DRYDOCK_TEST_PG;
const SKIP_PG = PG ? false : 'needs PostgreSQL: run scripts/test.sh (DRYDOCK_TEST_PG unset)';

async function sql(text: string): Promise<void> {
  const { Client } = createRequire(import.meta.url)('pg') as typeof import('pg');
  const c = new Client({ connectionString: PG });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

interface Report {
  Results: {
    Vulnerabilities: { VulnerabilityID: string; PkgName: string; FixedVersion?: string; Status: string }[];
  }[];
}
const findings = (stdout: string) =>
  (JSON.parse(stdout) as Report).Results.flatMap((r) =>
    r.Vulnerabilities.map((v) => `${v.VulnerabilityID} ${v.PkgName} ${v.FixedVersion ?? '-'} ${v.Status}`),
  ).sort();

describe('PostgreSQL vulnerability database', { skip: SKIP_PG }, () => {
  before(async () => {
    await sql('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public');
  });

  it('db import, db status and a scan give what the SQLite database gives', async () => {
    const feeds = path.join(ROOT, 'examples/feeds');
    const imp = await runCli(['db', 'import', feeds, '--db', PG as string]);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stderr, /osv:feeds: 16 advisories/);
    const again = await runCli(['db', 'import', feeds, '--db', PG as string]);
    assert.match(again.stderr, /osv:feeds: unchanged, skipped/);
    const st = await runCli(['db', 'status', '--db', PG as string, '--format', 'json']);
    const status = JSON.parse(st.stdout) as { advisories: number; schemaVersion: number; path: string };
    assert.deepEqual([status.advisories, status.schemaVersion], [16, 2]);
    assert.ok(!status.path.includes('drydock@'), 'the user name is not shown');

    const dir = tmpdir('dd-pg-');
    const app = path.join(dir, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'requirements.txt'), 'jinja2==2.10\n');
    writeFileSync(path.join(app, 'go.mod'), 'module x\n\ngo 1.19\n\nrequire golang.org/x/text v0.3.2\n');
    writeFileSync(
      path.join(app, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: { '': {}, 'node_modules/lodash': { version: '4.17.11' } },
      }),
    );
    const sqlite = path.join(dir, 'v.db');
    assert.equal((await runCli(['db', 'import', feeds, '--db', sqlite])).code, 0);
    const a = await runCli(['fs', app, '--db', PG as string, '--format', 'json']);
    const b = await runCli(['fs', app, '--db', sqlite, '--format', 'json']);
    assert.equal(a.code, 0, a.stderr);
    assert.ok(findings(a.stdout).length >= 6);
    assert.deepEqual(findings(a.stdout), findings(b.stdout));
  });

  it('db update into PostgreSQL: imports, then an unchanged feed costs one request', async () => {
    const body = readFileSync(path.join(ROOT, 'examples/feeds/ghsa/GHSA-jf85-cpcp-j695.json'));
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lodash.json`;
      const cfg = path.join(tmpdir('dd-pg-'), 'feeds.json');
      writeFileSync(cfg, JSON.stringify({ feeds: [{ name: 'ghsa-lodash', urls: [url] }] }));
      const first = await runCli(['db', 'update', '--feeds', cfg, '--db', PG as string]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /ghsa-lodash: updated \(4 records\)/);
      const second = await runCli(['db', 'update', '--feeds', cfg, '--db', PG as string]);
      assert.match(second.stderr, /ghsa-lodash: unchanged \(same content\)/);
      assert.equal(hits, 2);
      const st = JSON.parse(
        (await runCli(['db', 'status', '--db', PG as string, '--format', 'json'])).stdout,
      ) as {
        feeds: { name: string; advisories: number }[];
      };
      assert.equal(st.feeds.find((f) => f.name === 'ghsa-lodash:osv')?.advisories, 4);
    } finally {
      server.close();
    }
  });

  it('db export writes the PostgreSQL database as a SQLite file; explain reads either', async () => {
    const dir = tmpdir('dd-pg-');
    const file = path.join(dir, 'export.db');
    const exp = await runCli(['db', 'export', file, '--db', PG as string]);
    assert.equal(exp.code, 0, exp.stderr);
    const a = JSON.parse(
      (await runCli(['db', 'status', '--db', PG as string, '--format', 'json'])).stdout,
    ) as {
      advisories: number;
      feeds: { name: string; advisories: number; fingerprint: string }[];
    };
    const b = JSON.parse(
      (await runCli(['db', 'status', '--db', file, '--format', 'json'])).stdout,
    ) as typeof a;
    assert.equal(b.advisories, a.advisories);
    assert.deepEqual(
      b.feeds.map((f) => [f.name, f.advisories, f.fingerprint]),
      a.feeds.map((f) => [f.name, f.advisories, f.fingerprint]),
    );
    const app = path.join(dir, 'app');
    mkdirSync(app);
    writeFileSync(
      path.join(app, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: { '': {}, 'node_modules/lodash': { version: '4.17.11' } },
      }),
    );
    const x = await runCli(['explain', app, 'CVE-2019-10744', '--db', PG as string]);
    const y = await runCli(['explain', app, 'CVE-2019-10744', '--db', file]);
    assert.equal(x.code, 0, x.stderr);
    assert.match(x.stdout, /AFFECTED +lodash 4\.17\.11/);
    assert.equal(x.stdout, y.stdout);
  });

  it('a newer schema and an unreachable server are clean errors', async () => {
    await sql("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    const newer = await runCli(['db', 'status', '--db', PG as string]);
    assert.equal(newer.code, 2);
    assert.match(newer.stderr, /schema version 99/);
    await sql("UPDATE meta SET value = '2' WHERE key = 'schema_version'");
    const down = await runCli(['db', 'status', '--db', 'postgres://x@127.0.0.1:1/none']);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /cannot connect/);
  });
});
