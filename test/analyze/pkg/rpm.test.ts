import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readRpmBdb, readRpmNdb, readRpmSqlite } from '../../../src/analyze/pkg/rpm.js';
import { BdbError } from '../../../src/analyze/pkg/rpm-bdb.js';
import type { RpmPackage } from '../../../src/analyze/pkg/rpm-header.js';
import { parseSourceRpm, RpmHeaderError, rpmPackageFromHeader } from '../../../src/analyze/pkg/rpm-header.js';
import { NdbError } from '../../../src/analyze/pkg/rpm-ndb.js';
import { openImage } from '../../../src/image/source/open.js';
import { rpmVersion } from '../../../src/inventory/packages.js';
import { scanImage } from '../../../src/scan/scan.js';
import { SHARED, SKIP_SHARED, tmpdir } from '../../helpers/env.js';

const DB = 'data/go-rpmdb-testdata';

/** The fields rpm -qa reports, as one comparable string. */
type RpmFacts = Omit<RpmPackage, 'files' | 'modularityLabel'> & { modularityLabel?: string | null };

function rpmKey(p: RpmFacts): string {
  return [
    p.name,
    p.epoch,
    p.version,
    p.release,
    p.arch,
    p.sourceRpm,
    p.license ?? '',
    p.vendor ?? '',
    p.modularityLabel ?? '',
  ].join('|');
}

/** Writes `files` into a fresh root filesystem and scans it with the whole pipeline. */
async function scanRootfs(files: Record<string, Buffer | string>, now?: Date) {
  const root = tmpdir();
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), content);
  }
  const image = await openImage(`rootfs:${root}`);
  const r = await scanImage(image, { cacheDir: null, now });
  await image.close();
  return r;
}

/** Mutates `orig` at random places; `read` may only succeed or throw one of `allowed`. */
function fuzz(
  orig: Buffer,
  maxEdits: number,
  read: (b: Buffer) => unknown,
  allowed: (e: unknown) => boolean,
): void {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: orig.length - 1 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: maxEdits,
      }),
      (edits) => {
        const b = Buffer.from(orig);
        for (const [pos, byte] of edits) b[pos] = byte;
        try {
          read(b);
        } catch (e) {
          assert.ok(allowed(e), String(e));
        }
      },
    ),
    { numRuns: 300 },
  );
}

interface Expected {
  packages: RpmFacts[];
}

function firstHeader(): Buffer {
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  // Opened from memory: SQLite would create -shm/-wal files beside a WAL database opened by path,
  // and ../shared is read-only data. The copy is marked rollback-journal, as the analyzer does.
  const buf = Buffer.from(readFileSync(path.join(SHARED, DB, 'cbl-mariner-2.0/rpmdb.sqlite')));
  buf[18] = 1;
  buf[19] = 1;
  const db = new Database(buf, { readonly: true });
  const row = db.prepare('SELECT blob FROM Packages LIMIT 1').get() as { blob: Buffer };
  db.close();
  return row.blob;
}

describe('rpm SQLite database', () => {
  it('CBL-Mariner 2.0 rpmdb.sqlite (129 packages) equals rpm -qa from rpm 4.18', {
    skip: SKIP_SHARED,
  }, () => {
    const { packages, errors } = readRpmSqlite(
      readFileSync(path.join(SHARED, DB, 'cbl-mariner-2.0/rpmdb.sqlite')),
    );
    const exp = JSON.parse(
      readFileSync(path.join(SHARED, DB, 'expected-rpm-4.18/cbl-mariner-2.0.json'), 'utf8'),
    ) as Expected;
    assert.equal(errors, 0);
    assert.deepEqual(packages.map(rpmKey).sort(), exp.packages.map(rpmKey).sort());
    const release = packages.find((p) => p.name === 'mariner-release');
    assert.deepEqual(release?.files, [
      'etc/issue',
      'etc/issue.net',
      'etc/lsb-release',
      'etc/mariner-release',
      'etc/os-release',
      'usr/lib/os-release',
    ]);
  });

  it('in an image: rpm packages with Trivy-style versions and purls, EOL warning', {
    skip: SKIP_SHARED,
  }, async () => {
    const r = await scanRootfs(
      {
        'var/lib/rpm/rpmdb.sqlite': readFileSync(path.join(SHARED, DB, 'cbl-mariner-2.0/rpmdb.sqlite')),
        'etc/os-release': 'ID=mariner\nVERSION_ID="2.0"\n',
      },
      new Date('2026-12-04'),
    );
    assert.equal(r.os?.family, 'cbl-mariner');
    assert.equal(r.packages.filter((p) => p.type === 'rpm').length, 129);
    const audit = r.packages.find((p) => p.name === 'audit');
    assert.equal(audit?.purl, 'pkg:rpm/cbl-mariner/audit@3.0.6-1.cm2?arch=x86_64&distro=cbl-mariner-2.0');
    assert.deepEqual([audit?.srcName, audit?.srcVersion], ['audit', '3.0.6-1.cm2']);
    assert.match(r.warnings.join('\n'), /cbl-mariner 2\.0 reached end of life on 2025-07-31/);
  });

  it('a big database is read from the spilled temp copy; the image file is left untouched', {
    skip: SKIP_SHARED,
  }, async () => {
    const root = tmpdir();
    const db = path.join(root, 'var/lib/rpm/rpmdb.sqlite');
    mkdirSync(path.dirname(db), { recursive: true });
    const orig = readFileSync(path.join(SHARED, DB, 'cbl-mariner-2.0/rpmdb.sqlite'));
    writeFileSync(db, orig);
    assert.equal(orig[18], 2, 'the test database is in WAL mode');
    const image = await openImage(`rootfs:${root}`);
    // 4 KiB threshold: the 3.6 MB database is spilled and opened by path (localPath).
    const r = await scanImage(image, { cacheDir: null, memoryThreshold: 4096 });
    await image.close();
    assert.equal(r.packages.filter((p) => p.type === 'rpm').length, 129);
    assert.ok(readFileSync(db).equals(orig));
    assert.deepEqual(readdirSync(path.dirname(db)), ['rpmdb.sqlite']);
  });

  it('a corrupt database file is a per-file warning; the scan goes on', async () => {
    const r = await scanRootfs({
      'var/lib/rpm/rpmdb.sqlite': Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(5000, 0x41)]),
      'etc/os-release': 'ID=fedora\nVERSION_ID=40\n',
    });
    assert.equal(r.os?.family, 'fedora');
    assert.match(r.warnings.join('\n'), /rpm: could not parse var\/lib\/rpm\/rpmdb\.sqlite/);
  });
});

describe('rpm Berkeley DB database', () => {
  const LAB = path.join(SHARED, 'lab/samples/rpm');
  it('libuuid Packages (RHEL 8) and a BDB built with rpm 4.18 + db5.3_load equal rpm -qa', {
    skip: SKIP_SHARED,
  }, async () => {
    const exp = JSON.parse(
      readFileSync(path.join(SHARED, DB, 'expected-rpm-4.18/libuuid.json'), 'utf8'),
    ) as Expected;
    const got = readRpmBdb(readFileSync(path.join(SHARED, DB, 'libuuid/Packages')));
    assert.equal(got.errors, 0);
    assert.deepEqual(got.packages.map(rpmKey), exp.packages.map(rpmKey));
    // through the whole pipeline, as CentOS 7 / RHEL 8 images keep it
    const res = await scanRootfs({
      'var/lib/rpm/Packages': readFileSync(path.join(SHARED, DB, 'libuuid/Packages')),
      'etc/redhat-release': 'Red Hat Enterprise Linux release 8.8 (Ootpa)\n',
    });
    assert.deepEqual(
      res.packages.map((p) => [p.type, p.name, p.version, p.srcName, p.purl]),
      [
        [
          'rpm',
          'libuuid',
          '2.32.1-42.el8_8',
          'util-linux',
          'pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64&distro=redhat-8.8',
        ],
      ],
    );
    const lab = readRpmBdb(readFileSync(path.join(LAB, 'Packages.bdb')));
    const qa = readFileSync(path.join(LAB, 'rpm-qa.tsv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t').slice(0, 6).join('|'))
      .sort();
    assert.deepEqual(
      lab.packages.map((p) => [p.name, p.epoch, p.version, p.release, p.arch, p.sourceRpm].join('|')).sort(),
      qa,
    );
  });

  it('a loop in an overflow chain, a bad magic and truncation are BdbErrors', { skip: SKIP_SHARED }, () => {
    const orig = readFileSync(path.join(SHARED, DB, 'libuuid/Packages'));
    const pageSize = orig.readUInt32LE(20);
    // find an overflow page that continues on another page, and point it at itself
    let looped: Buffer | undefined;
    for (let pg = 1; pg * pageSize < orig.length; pg++) {
      const base = pg * pageSize;
      if (orig[base + 25] === 7 && orig.readUInt32LE(base + 16) !== 0) {
        looped = Buffer.from(orig);
        looped.writeUInt32LE(pg, base + 16);
        break;
      }
    }
    assert.ok(looped, 'the test database has a multi-page overflow chain');
    assert.throws(
      () => readRpmBdb(looped as Buffer),
      (e: unknown) => e instanceof BdbError && /loop in overflow chain/.test(e.message),
    );
    const bad = Buffer.from(orig);
    bad.writeUInt32LE(0x1234, 12);
    assert.throws(() => readRpmBdb(bad), BdbError);
    assert.throws(() => readRpmBdb(orig.subarray(0, 100)), BdbError);
    assert.throws(() => readRpmBdb(orig.subarray(0, pageSize * 3)), BdbError);
  });

  it('random corruption gives BdbError, RpmHeaderError or a skipped header, never a crash (property)', {
    skip: SKIP_SHARED,
  }, () => {
    const orig = readFileSync(path.join(SHARED, DB, 'libuuid/Packages'));
    fuzz(orig, 8, readRpmBdb, (e) => e instanceof BdbError || e instanceof RangeError);
  });
});

describe('rpm NDB database', () => {
  const file = () => readFileSync(path.join(SHARED, DB, 'sle15-bci/Packages.db'));
  // Debian's rpm is built without the NDB backend, so there is no rpm -qa oracle here: the checks
  // are that every slot's blob is a valid header and facts read from the file with xxd.
  it('SLE 15 BCI Packages.db: 35 packages, every header parses', { skip: SKIP_SHARED }, async () => {
    const r = readRpmNdb(file());
    assert.equal(r.errors, 0);
    assert.equal(r.packages.length, 35);
    const glibc = r.packages.find((p) => p.name === 'glibc');
    assert.deepEqual(
      [glibc?.version, glibc?.release, glibc?.arch, glibc?.sourceRpm],
      ['2.31', '9.3.2', 'x86_64', 'glibc-2.31-9.3.2.src.rpm'],
    );
    assert.ok(r.packages.every((p) => p.vendor === 'SUSE LLC <https://www.suse.com/>'));
    const res = await scanRootfs({ 'usr/lib/sysimage/rpm/Packages.db': file() });
    assert.equal(res.packages.filter((p) => p.type === 'rpm').length, 35);
  });

  it('bad magic, bad slots and oversized blobs are NdbErrors; random corruption never crashes', {
    skip: SKIP_SHARED,
  }, () => {
    const orig = file();
    const bad = Buffer.from(orig);
    bad.write('XXXX', 0);
    assert.throws(() => readRpmNdb(bad), NdbError);
    const slot = Buffer.from(orig);
    slot.writeUInt32LE(0xffffff, 0x28); // first package's blkoff far outside the file
    assert.throws(
      () => readRpmNdb(slot),
      (e: unknown) => e instanceof NdbError && /outside the file/.test(e.message),
    );
    const blob = Buffer.from(orig);
    blob.writeUInt32LE(0x7fffffff, 0x100c); // first blob's length
    assert.throws(
      () => readRpmNdb(blob),
      (e: unknown) => e instanceof NdbError && /larger than its blocks/.test(e.message),
    );
    fuzz(orig.subarray(0, 16384), 6, readRpmNdb, (e) => e instanceof NdbError || e instanceof RangeError);
  });
});

describe('rpm header blobs', () => {
  it('truncated and mutated headers throw RpmHeaderError or parse, never anything else (property)', {
    skip: SKIP_SHARED,
  }, () => {
    const blob = firstHeader();
    assert.equal(rpmPackageFromHeader(blob)?.name !== undefined, true);
    assert.throws(() => rpmPackageFromHeader(blob.subarray(0, 100)), RpmHeaderError);
    assert.throws(
      () => rpmPackageFromHeader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1])),
      RpmHeaderError,
    );
    fuzz(blob, 1, rpmPackageFromHeader, (e) => e instanceof RpmHeaderError || e instanceof RangeError);
  });

  it('source rpm names and versions', () => {
    assert.deepEqual(parseSourceRpm('util-linux-2.32.1-42.el8_8.src.rpm'), {
      name: 'util-linux',
      version: '2.32.1',
      release: '42.el8_8',
    });
    assert.equal(parseSourceRpm('(none)'), undefined);
    assert.equal(rpmVersion({ epoch: 1, version: '3.0.7', release: '24.el9' }), '1:3.0.7-24.el9');
  });
});
