// Shared by the SARIF and CycloneDX vulnerability tests: a directory with vulnerable lockfiles,
// scanned and matched against the real advisories of examples/feeds, and the official SARIF schema.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { openImage } from '../../src/image/source/open.js';
import { type ScanResult, scanImage } from '../../src/scan/scan.js';
import { addVulnerabilities } from '../../src/scan/vulns.js';
import { importPaths } from '../../src/vulndb/import.js';
import { VulnStore } from '../../src/vulndb/store.js';
import { ROOT, tmpdir } from '../helpers/env.js';

export const NOW = new Date('2026-01-02T03:04:05.678Z');
export const TOOL = { name: 'drydock', version: '0.0.0-test' };

/**
 * A project whose lockfiles hold, by a reading of the bundled advisories: lodash 4.17.11 (below
 * the 4.17.12 fix of GHSA-jf85-cpcp-j695 / CVE-2019-10744, CRITICAL, CVSS 3.1 vector scoring 9.1),
 * jquery 3.4.0 (below the 3.5.0 fix of GHSA-gxr4-xjj5-5px2 / CVE-2020-11022, MEDIUM, 6.9) and
 * Jinja2 2.10 (below the 2.10.1 fix of PYSEC-2019-217 / CVE-2019-10906 and the 2.11.3 fix of
 * PYSEC-2021-66 / CVE-2020-28493, neither with a severity or CVSS score).
 */
export function projectDir(): string {
  const dir = tmpdir('dd-report-vulns-');
  mkdirSync(path.join(dir, 'app'));
  writeFileSync(
    path.join(dir, 'app', 'package-lock.json'),
    JSON.stringify({
      name: 'app',
      lockfileVersion: 3,
      packages: {
        '': { name: 'app', version: '1.0.0' },
        'node_modules/lodash': { version: '4.17.11' },
        'node_modules/jquery': { version: '3.4.0' },
      },
    }),
  );
  writeFileSync(path.join(dir, 'app', 'requirements.txt'), 'Jinja2==2.10\n');
  return dir;
}

/** A database with the bundled feeds, built in a temporary directory. */
export function feedsDb(): string {
  const db = path.join(tmpdir('dd-report-db-'), 'vulns.db');
  const store = VulnStore.open(db, { create: true });
  try {
    const rep = importPaths(store, [path.join(ROOT, 'examples', 'feeds')], { now: NOW });
    assert.deepEqual(rep.errors, []);
  } finally {
    store.close();
  }
  return db;
}

/** Scans `dir` as a root filesystem and matches it against `db` (no cache, pinned clock). */
export async function scanWithVulns(dir: string, db: string): Promise<ScanResult> {
  const image = await openImage(`rootfs:${dir}`);
  try {
    const r = await scanImage(image, { cacheDir: null, now: NOW });
    await addVulnerabilities(r, { dbPath: db, now: NOW, staleAfterMs: Number.MAX_SAFE_INTEGER });
    return r;
  } finally {
    await image.close();
  }
}

const require = createRequire(import.meta.url);

type Validate = ((doc: unknown) => boolean) & { errors?: unknown[] | null };

let sarif: Validate | undefined;

/**
 * The official SARIF 2.1.0 JSON schema (OASIS, errata 01), committed unmodified as a fixture (origin
 * in test/fixtures/README.md). It declares JSON Schema draft-04, which Ajv 8 reads with ajv-draft-04.
 */
export function sarifValidator(): Validate {
  if (sarif) return sarif;
  const Ajv = require('ajv-draft-04') as typeof import('ajv-draft-04').default;
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const file = path.join(ROOT, 'test', 'fixtures', 'sarif', 'sarif-schema-2.1.0.json');
  sarif = ajv.compile(JSON.parse(readFileSync(file, 'utf8'))) as Validate;
  return sarif;
}
