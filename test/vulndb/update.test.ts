// `db update` against a real HTTP server on 127.0.0.1 serving real feed files: conditional
// requests, unchanged content, mirrors and retries, a corrupt feed, ZIP archives, and SIGKILL in
// the middle of an update.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VulnStore } from '../../src/vulndb/store.js';
import { type FeedSource, updateDatabase } from '../../src/vulndb/update.js';
import { BIN, ROOT, tmpdir } from '../helpers/env.js';
import { makeZip } from '../helpers/zip.js';

const FEEDS = path.join(ROOT, 'examples/feeds');
const LODASH = readFileSync(path.join(FEEDS, 'ghsa/GHSA-jf85-cpcp-j695.json'));
const JQUERY = readFileSync(path.join(FEEDS, 'ghsa/GHSA-gxr4-xjj5-5px2.json'));
const GO = readdirSync(path.join(FEEDS, 'go')).map((f) => readFileSync(path.join(FEEDS, 'go', f)));

interface Route {
  body: Buffer;
  etag?: boolean;
  /** Fail this many requests with 500 first. */
  failures?: number;
  /** Send half the body, then stall forever. */
  stall?: boolean;
}

const routes = new Map<string, Route>();
const hits = new Map<string, number>();
let server: http.Server;
let base = '';

before(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    const r = routes.get(url);
    if (!r) {
      res.writeHead(404).end();
      return;
    }
    if (r.failures && r.failures > 0) {
      r.failures--;
      res.writeHead(500).end();
      return;
    }
    const etag = `"${createHash('sha256').update(r.body).digest('hex').slice(0, 16)}"`;
    if (r.etag && req.headers['if-none-match'] === etag) {
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { 'content-length': r.body.length, ...(r.etag ? { etag } : {}) });
    if (r.stall) {
      res.write(r.body.subarray(0, r.body.length >> 1));
      return;
    }
    res.end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const fast = { retries: 2, timeoutMs: 5000, backoffMs: () => 10 };

function count(db: string): number {
  const s = VulnStore.open(db, { readonly: true });
  try {
    return s.status().advisories;
  } finally {
    s.close();
  }
}

describe('db update', () => {
  it('imports, then costs one request per unchanged feed (304 or same bytes); a changed feed is re-imported', async () => {
    const db = path.join(tmpdir('dd-upd-'), 'v.db');
    routes.set('/a/lodash.json', { body: LODASH, etag: true });
    routes.set('/b/jquery.json', { body: JQUERY });
    const feeds: FeedSource[] = [
      { name: 'lodash', urls: [`${base}/a/lodash.json`] },
      { name: 'jquery', urls: [`${base}/b/jquery.json`] },
    ];
    const r1 = await updateDatabase(db, feeds, fast);
    assert.deepEqual(
      r1.feeds.map((f) => f.state),
      ['updated', 'updated'],
    );
    assert.equal(r1.replaced, true);
    const n = count(db);
    assert.ok(n >= 3);
    const r2 = await updateDatabase(db, feeds, fast);
    assert.deepEqual(
      r2.feeds.map((f) => [f.state, f.detail]),
      [
        ['unchanged', 'not modified (HTTP 304)'],
        ['unchanged', 'same content'],
      ],
    );
    assert.equal(count(db), n);
    // lodash's feed now serves the jquery advisory: its old records are replaced
    routes.set('/a/lodash.json', { body: JQUERY, etag: true });
    const r3 = await updateDatabase(db, feeds, fast);
    assert.deepEqual(
      r3.feeds.map((f) => f.state),
      ['updated', 'unchanged'],
    );
    const s = VulnStore.open(db, { readonly: true });
    assert.deepEqual(s.advisoriesFor('npm', 'lodash'), []);
    assert.ok(s.advisoriesFor('npm', 'jquery').length > 0);
    s.close();
    assert.deepEqual(readdirSync(path.dirname(db)), ['v.db'], 'no temp files left');
  });

  it('mirrors and retries: a flaky mirror is retried, a dead one is skipped; a corrupt feed is reported, the rest imported', async () => {
    const db = path.join(tmpdir('dd-upd-'), 'v.db');
    routes.set('/flaky/lodash.json', { body: LODASH, failures: 2 });
    routes.set('/good/jquery.json', { body: JQUERY });
    routes.set('/bad/broken.json', { body: Buffer.from('{"id": "GHSA-x", "affected": [ {"package": ') });
    const r = await updateDatabase(
      db,
      [
        { name: 'lodash', urls: [`${base}/flaky/lodash.json`] },
        { name: 'jquery', urls: [`${base}/missing/jquery.json`, `${base}/good/jquery.json`] },
        { name: 'broken', urls: [`${base}/bad/broken.json`] },
      ],
      fast,
    );
    assert.deepEqual(
      r.feeds.map((f) => [f.name, f.state]),
      [
        ['lodash', 'updated'],
        ['jquery', 'updated'],
        ['broken', 'failed'],
      ],
    );
    assert.equal(r.feeds[1]?.url, `${base}/good/jquery.json`);
    assert.equal(hits.get('/flaky/lodash.json'), 3);
    const s = VulnStore.open(db, { readonly: true });
    assert.ok(s.advisoriesFor('npm', 'lodash').length > 0 && s.advisoriesFor('npm', 'jquery').length > 0);
    s.close();
  });

  it('reads OSV ZIP archives (as OSV publishes each ecosystem)', async () => {
    const db = path.join(tmpdir('dd-upd-'), 'v.db');
    routes.set('/osv/Go/all.zip', { body: makeZip(GO.map((data, i) => ({ name: `GO-${i}.json`, data }))) });
    const r = await updateDatabase(db, [{ name: 'osv-go', urls: [`${base}/osv/Go/all.zip`] }], fast);
    assert.equal(r.feeds[0]?.state, 'updated', r.feeds[0]?.detail);
    const s = VulnStore.open(db, { readonly: true });
    assert.equal(s.advisoriesFor('go', 'golang.org/x/text').length, 3);
    s.close();
  });

  it('SIGKILL in the middle of a download leaves the previous database whole; the next run cleans up', async () => {
    const dir = tmpdir('dd-upd-');
    const db = path.join(dir, 'v.db');
    routes.set('/k/lodash.json', { body: LODASH });
    await updateDatabase(db, [{ name: 'lodash', urls: [`${base}/k/lodash.json`] }], fast);
    const before = readFileSync(db);
    const n = count(db);
    routes.set('/k/jquery.json', {
      body: Buffer.concat([JQUERY, Buffer.alloc(4 * 1024 * 1024, 0x20)]),
      stall: true,
    });
    const cfg = path.join(dir, 'feeds.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        feeds: [
          { name: 'lodash', urls: [`${base}/k/lodash.json`] },
          { name: 'jquery', urls: [`${base}/k/jquery.json`] },
        ],
      }),
    );
    const child = spawn(process.execPath, [BIN, 'db', 'update', '--feeds', cfg, '--db', db], {
      stdio: 'ignore',
    });
    // Wait until the stalled download has started (a temp dir exists beside the database).
    for (let i = 0; i < 200 && !(hits.get('/k/jquery.json') ?? 0); i++)
      await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(
      readdirSync(dir).some((f) => f.startsWith('v.db.update-')),
      'an update in progress',
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    assert.ok(readFileSync(db).equals(before), 'the database file is untouched');
    assert.equal(count(db), n);
    routes.set('/k/jquery.json', { body: JQUERY });
    const r = await updateDatabase(db, [{ name: 'jquery', urls: [`${base}/k/jquery.json`] }], fast);
    assert.equal(r.feeds[0]?.state, 'updated');
    assert.deepEqual(readdirSync(dir).sort(), ['feeds.json', 'v.db'], 'the killed run left nothing behind');
    assert.ok(existsSync(db));
  });
});
