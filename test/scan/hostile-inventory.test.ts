// Hostile or broken package files in one image: each gives a per-file warning, memory and time
// stay bounded, and the rest of the inventory is unaffected.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { BIN, SHARED, tmpdir } from '../helpers/env.js';
import { makeZip, pomProperties, tinyJar } from '../helpers/zip.js';

const STATUS = [
  'Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\n',
  'Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib\n',
  '',
].join('\n');

/** A BDB rpm Packages file whose overflow chain loops back on itself (from go-rpmdb's test data). */
function loopedBdb(): Buffer | undefined {
  const f = path.join(SHARED, 'data/go-rpmdb-testdata/libuuid/Packages');
  if (!existsSync(f)) return undefined;
  const db = Buffer.from(readFileSync(f));
  const pageSize = db.readUInt32LE(20);
  for (let pg = 1; pg * pageSize < db.length; pg++) {
    const base = pg * pageSize;
    if (db[base + 25] === 7 && db.readUInt32LE(base + 16) !== 0) {
      db.writeUInt32LE(pg, base + 16);
      return db;
    }
  }
  return undefined;
}

describe('hostile package files in one image', () => {
  it('each broken file is a warning; good packages are all reported; bounded time and memory', () => {
    const root = tmpdir('dd-hostile-inv-');
    const put = (rel: string, data: string | Buffer) => {
      mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
      writeFileSync(path.join(root, rel), data);
    };
    put('etc/os-release', 'ID=debian\nVERSION_ID="12"\n');
    put('var/lib/dpkg/status', STATUS);
    // good: a lockfile and an installed jar
    put(
      'srv/good/package-lock.json',
      JSON.stringify({
        lockfileVersion: 3,
        packages: { '': { name: 'good' }, 'node_modules/left-pad': { version: '1.3.0' } },
      }),
    );
    put('srv/good/lib/guava-32.1.jar', tinyJar('com.google.guava', 'guava', '32.1.3-jre'));
    // bad: truncated JSON lockfile, TOML with an unterminated string, a gemspec that would run code
    put('srv/bad1/package-lock.json', '{"lockfileVersion": 3, "packages": {"node_modules/a": {"vers');
    put('srv/bad2/poetry.lock', '[[package]]\nname = "requests\nversion = "2.31.0"\n');
    put(
      'usr/lib/ruby/gems/3.1.0/specifications/evil-1.0.gemspec',
      'Gem::Specification.new do |s|\n  s.name = "evil"\n  s.version = `touch /tmp/drydock-pwned`\nend\n',
    );
    // a jar bomb: 64 MiB of zeros in a nested jar (compressed ~64 KiB)
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    put(
      'srv/bomb/app.war',
      makeZip([
        { name: 'META-INF/maven/x/app/pom.properties', data: pomProperties('x', 'app', '1') },
        { name: 'WEB-INF/lib/zeros.jar', data: zeros, raw: deflateRawSync(zeros) },
      ]),
    );
    // a lockfile bigger than the analyzer reads (npm: 64 MiB)
    put('srv/huge/package-lock.json', Buffer.alloc(65 * 1024 * 1024, 0x20));
    const bdb = loopedBdb();
    if (bdb) put('var/lib/rpm/Packages', bdb);

    const t0 = Date.now();
    const r = spawnSync(
      '/usr/bin/time',
      ['-f', '%M', process.execPath, BIN, 'fs', root, '--format', 'json', '--list-all-pkgs'],
      {
        encoding: 'utf8',
        env: { ...process.env, DRYDOCK_CACHE_DIR: tmpdir('dd-cache-') },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(r.status, 0, r.stderr);
    const rssKb = Number(r.stderr.trim().split('\n').pop());
    const report = JSON.parse(r.stdout) as {
      Results: { Target: string; Packages?: { Name: string; Version: string }[] }[];
      Warnings?: string[];
    };
    const pkgs = report.Results.flatMap((x) => (x.Packages ?? []).map((p) => `${p.Name}@${p.Version}`));
    // The good inventory is complete.
    for (const want of [
      'base-files@12.4+deb12u5',
      'zlib1g@1.2.13.dfsg',
      'left-pad@1.3.0',
      'com.google.guava:guava@32.1.3-jre',
    ])
      assert.ok(pkgs.includes(want), `${want} in ${pkgs.join(', ')}`);
    assert.ok(!pkgs.some((p) => p.startsWith('evil@') || p.startsWith('requests@')));
    // One warning per broken file, naming it.
    const warnings = (report.Warnings ?? []).join('\n');
    for (const file of [
      'srv/bad1/package-lock.json',
      'srv/bad2/poetry.lock',
      'usr/lib/ruby/gems/3.1.0/specifications/evil-1.0.gemspec',
      'srv/bomb/app.war',
      'srv/huge/package-lock.json',
      ...(bdb ? ['var/lib/rpm/Packages'] : []),
    ])
      assert.ok(warnings.includes(file), `a warning names ${file}:\n${warnings}`);
    assert.ok(!existsSync('/tmp/drydock-pwned'));
    assert.ok(seconds < 30, `${seconds} s`);
    assert.ok(rssKb > 0 && rssKb < 400 * 1024, `peak RSS ${rssKb} KB`);
  });
});
