import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { SCHEMA_VERSION, VulnStore } from '../../src/vulndb/store.js';
import type { Advisory } from '../../src/vulndb/types.js';
import { tmpdir } from '../helpers/env.js';

const A: Advisory = {
  id: 'CVE-2023-0001',
  source: 'debian-tracker',
  namespace: 'debian:12',
  package: 'openssl',
  status: 'fixed',
  fixed: '3.0.9-1',
  severity: 'HIGH',
  aliases: ['DSA-5417-1'],
  title: 'a title',
};
const B: Advisory = {
  id: 'GHSA-xxxx-yyyy-zzzz',
  source: 'osv',
  namespace: 'npm',
  package: 'left-pad',
  status: 'affected',
  ranges: [{ kind: 'events', introduced: '0', fixed: '1.3.0' }],
};

function fresh(): VulnStore {
  return VulnStore.open(path.join(tmpdir('dd-db-'), 'v.db'), { create: true });
}

describe('vulnerability store', () => {
  it('stores advisories and returns them by namespace + package, with every field', () => {
    const s = fresh();
    const info = s.replaceFeed(
      { name: 'f1', importer: 'x', origin: '/x', fingerprint: 'fp', errors: 0 },
      (w) => {
        w.advisory(A);
        w.advisory(B);
        w.detail({
          id: 'CVE-2023-0001',
          source: 'nvd',
          severity: 'CRITICAL',
          cvss: [{ source: 'nvd', version: '3.1', vector: 'CVSS:3.1/AV:N', score: 9.8 }],
        });
        return undefined;
      },
    );
    assert.deepEqual([info.advisories, info.details], [2, 1]);
    assert.deepEqual(s.advisoriesFor('debian:12', 'openssl'), [A]);
    assert.deepEqual(s.advisoriesFor('npm', 'left-pad'), [B]);
    assert.deepEqual(s.advisoriesFor('debian:11', 'openssl'), []);
    assert.equal(s.detailsFor('CVE-2023-0001')[0]?.severity, 'CRITICAL');
    const st = s.status();
    assert.equal(st.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual([st.advisories, st.details, st.feeds.length], [2, 1, 1]);
    s.close();
  });

  it('re-importing a feed replaces its rows only; a failing import changes nothing', () => {
    const s = fresh();
    s.replaceFeed({ name: 'f1', importer: 'x', origin: '/x', fingerprint: '1', errors: 0 }, (w) => {
      w.advisory(A);
      return undefined;
    });
    s.replaceFeed({ name: 'f2', importer: 'y', origin: '/y', fingerprint: '1', errors: 0 }, (w) => {
      w.advisory(B);
      return undefined;
    });
    s.replaceFeed({ name: 'f1', importer: 'x', origin: '/x', fingerprint: '2', errors: 0 }, (w) => {
      w.advisory({ ...A, fixed: '3.0.10-1' });
      return 3;
    });
    assert.equal(s.advisoriesFor('debian:12', 'openssl')[0]?.fixed, '3.0.10-1');
    assert.equal(s.advisoriesFor('npm', 'left-pad').length, 1);
    assert.equal(s.feed('f1')?.errors, 3);
    assert.throws(() =>
      s.replaceFeed({ name: 'f1', importer: 'x', origin: '/x', fingerprint: '3', errors: 0 }, (w) => {
        w.advisory({ ...A, fixed: '9' });
        throw new Error('parser blew up');
      }),
    );
    assert.equal(s.advisoriesFor('debian:12', 'openssl')[0]?.fixed, '3.0.10-1');
    assert.equal(s.feed('f1')?.fingerprint, '2');
    s.close();
  });

  it('refuses a file that is not a drydock database, a newer schema, and a missing file', () => {
    const dir = tmpdir('dd-db-');
    const junk = path.join(dir, 'junk.db');
    writeFileSync(junk, 'not sqlite at all '.repeat(100));
    assert.throws(() => VulnStore.open(junk, { create: true }), UserError);
    const other = path.join(dir, 'other.db');
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Sqlite(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    assert.throws(() => VulnStore.open(other, { create: true }), /not a drydock vulnerability database/);
    const newer = path.join(dir, 'newer.db');
    VulnStore.open(newer, { create: true }).close();
    const n = new Sqlite(newer);
    n.prepare("UPDATE meta SET value = '999' WHERE key = 'schema_version'").run();
    n.close();
    assert.throws(() => VulnStore.open(newer), /schema version 999/);
    assert.throws(() => VulnStore.open(path.join(dir, 'missing.db')), UserError);
  });

  it('copyTo writes a consistent copy that opens read-only', () => {
    const s = fresh();
    s.replaceFeed({ name: 'f1', importer: 'x', origin: '/x', fingerprint: '1', errors: 0 }, (w) => {
      w.advisory(A);
      return undefined;
    });
    const dest = path.join(tmpdir('dd-db-'), 'copy.db');
    s.copyTo(dest);
    s.close();
    const c = VulnStore.open(dest, { readonly: true });
    assert.deepEqual(c.advisoriesFor('debian:12', 'openssl'), [A]);
    c.close();
  });
});
