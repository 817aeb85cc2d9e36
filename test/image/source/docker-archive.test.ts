import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openImage } from '../../../src/image/source/open.js';
import { scanImage } from '../../../src/scan/scan.js';
import { tmpdir } from '../../helpers/env.js';
import { makeOciLayout, sha256 } from '../../helpers/oci.js';
import { makeTar } from '../../helpers/tar.js';

const STATUS = (name: string) =>
  `Package: ${name}\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\n`;

/** A docker-archive in Docker >= 25's layout: an OCI layout plus manifest.json naming blobs. */
function docker25Archive(dir: string, images: { tag: string; pkg: string }[]): string {
  const root = path.join(dir, 'root');
  const entries: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  for (const { tag, pkg } of images) {
    const l = makeOciLayout(root, [
      {
        tar: makeTar([{ name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }]),
        compression: 'none',
      },
      { tar: makeTar([{ name: 'var/lib/dpkg/status', content: STATUS(pkg) }]), compression: 'none' },
    ]);
    entries.push({
      Config: `blobs/sha256/${l.configDigest.slice(7)}`,
      RepoTags: [tag],
      Layers: l.layerDigests.map((d) => `blobs/sha256/${d.slice(7)}`),
    });
  }
  writeFileSync(path.join(root, 'manifest.json'), JSON.stringify(entries));
  const file = path.join(dir, 'images.tar');
  execFileSync('tar', ['-C', root, '-cf', file, '.']);
  return file;
}

describe('docker-archive', () => {
  it("reads Docker >= 25's layout and picks an image by tag", async () => {
    const dir = tmpdir();
    mkdirSync(dir, { recursive: true });
    const file = docker25Archive(dir, [
      { tag: 'example.com/team/app:1.0', pkg: 'alpha' },
      { tag: 'example.com/team/app:2.0', pkg: 'beta' },
    ]);
    for (const [ref, pkg] of [
      ['example.com/team/app:1.0', 'alpha'],
      ['team/app:2.0', 'beta'],
    ] as const) {
      const image = await openImage(`${file}:${ref}`);
      const r = await scanImage(image, { cacheDir: null });
      await image.close();
      assert.deepEqual(
        r.packages.map((p) => p.name),
        [pkg],
      );
      assert.equal(r.packages[0]?.layer?.index, 1);
      // blob names are digests here, so layers know their digest (= diffID, uncompressed)
      assert.equal(r.packages[0]?.layer?.digest, r.packages[0]?.layer?.diffID);
      assert.deepEqual(image.repoTags, [ref.startsWith('example') ? ref : `example.com/${ref}`]);
    }
    await assert.rejects(openImage(file), /holds 2 images; name one as PATH:TAG/);
    await assert.rejects(openImage(`${file}:nope:1`), /image "nope:1" not found/);
  });

  it('reads gzip- and zstd-compressed archives (docker save | gzip) and removes the temp copy', async () => {
    const dir = tmpdir();
    const file = docker25Archive(dir, [{ tag: 'x:1', pkg: 'alpha' }]);
    const tmp = tmpdir('dd-arch-');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      for (const [ext, cmd] of [
        ['gz', 'gzip'],
        ['zst', 'zstd'],
      ] as const) {
        const packed = `${file}.${ext}`;
        writeFileSync(packed, execFileSync(cmd, ['-c', '-q', file], { maxBuffer: 1 << 28 }));
        const image = await openImage(packed);
        const r = await scanImage(image, { cacheDir: null });
        await image.close();
        assert.deepEqual(
          r.packages.map((p) => p.name),
          ['alpha'],
        );
      }
      const { readdirSync } = await import('node:fs');
      assert.deepEqual(readdirSync(tmp), []);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it('verifies the config named by its digest', async () => {
    const dir = tmpdir();
    const file = docker25Archive(dir, [{ tag: 'x:1', pkg: 'alpha' }]);
    const root = path.join(dir, 'root');
    const m = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8')) as { Config: string }[];
    const cfgPath = path.join(root, m[0]?.Config ?? '');
    writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace('"os":"linux"', '"os":"LINUX"'));
    execFileSync('tar', ['-C', root, '-cf', file, '.']);
    await assert.rejects(
      openImage(file),
      (e: Error) => /digest mismatch for config/.test(e.message) && !!sha256,
    );
  });
});
