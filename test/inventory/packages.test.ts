import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openImage } from '../../src/image/source/open.js';
import { debPurl, splitDebVersion } from '../../src/inventory/packages.js';
import { scanImage } from '../../src/scan/scan.js';
import { ROOT, tmpdir } from '../helpers/env.js';
import { makeOciLayout } from '../helpers/oci.js';
import { makeTar } from '../helpers/tar.js';

const fixture = (f: string) => readFileSync(path.join(ROOT, 'test/fixtures/dpkg/status.d', f));

describe('package inventory', () => {
  it('distroless status.d files: per-file origin layer, whiteouts, config-files excluded', async () => {
    const dir = tmpdir();
    const layout = makeOciLayout(path.join(dir, 'oci'), [
      {
        tar: makeTar([
          { name: 'var/lib/dpkg/status.d/single', content: fixture('single') },
          { name: 'etc/debian_version', content: '10.3\n' },
        ]),
      },
      {
        tar: makeTar([
          { name: 'var/lib/dpkg/status.d/multiple', content: fixture('multiple') },
          { name: 'var/lib/dpkg/status.d/deinstall', content: fixture('deinstall') },
          { name: 'var/lib/dpkg/status.d/multiple.md5sums', content: 'ignored' },
        ]),
      },
      { tar: makeTar([{ name: 'var/lib/dpkg/status.d/.wh.single', content: '' }]) },
    ]);
    const image = await openImage(layout.dir);
    const r = await scanImage(image, { cacheDir: null });
    await image.close();
    assert.equal(r.os?.family, 'debian');
    assert.equal(r.os?.name, '10.3');
    const got = r.packages.map((p) => [p.name, p.version, p.srcName, p.layer?.index]);
    assert.deepEqual(got, [
      ['linux-image-6.14.0-1012-aws', '6.14.0-1012.12~24.04.1', 'linux-signed-aws-6.14', 1],
      ['tzdata', '2020a-0+deb10u1', 'tzdata-dev', 1],
      ['util-linux', '2.33.1-0.1', 'util-linux', 1],
    ]);
  });

  it('files over the memory threshold are spilled to a temp file and give the same result', async () => {
    const status = readFileSync(path.join(ROOT, 'test/fixtures/dpkg/ubuntu-18.04.status'));
    const dir = tmpdir();
    const layout = makeOciLayout(path.join(dir, 'oci'), [
      { tar: makeTar([{ name: 'var/lib/dpkg/status', content: status }]) },
    ]);
    const tmp = tmpdir('dd-spill-');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const runs = [];
      for (const memoryThreshold of [1 << 20, 1024]) {
        const image = await openImage(layout.dir);
        runs.push(
          (await scanImage(image, { cacheDir: null, memoryThreshold })).packages.map(
            (p) => `${p.name}=${p.version}`,
          ),
        );
        await image.close();
      }
      assert.equal(runs[0]?.length, 90);
      assert.deepEqual(runs[0], runs[1]);
      const { readdirSync } = await import('node:fs');
      assert.deepEqual(readdirSync(tmp), [], 'spill files and the temp dir are removed');
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it('splits dpkg versions and builds purls as Trivy does', () => {
    assert.deepEqual(splitDebVersion('1:1.2.13.dfsg-1'), { epoch: 1, version: '1.2.13.dfsg', release: '1' });
    assert.deepEqual(splitDebVersion('2.36-9+deb12u7'), { epoch: 0, version: '2.36', release: '9+deb12u7' });
    assert.deepEqual(splitDebVersion('20230311'), { epoch: 0, version: '20230311', release: '' });
    assert.deepEqual(splitDebVersion('1.0-rc1-2'), { epoch: 0, version: '1.0-rc1', release: '2' });
    assert.equal(
      debPurl(
        {
          name: 'zlib1g',
          version: '1:1.2.13.dfsg-1',
          arch: 'amd64',
          srcName: 'zlib',
          srcVersion: '1:1.2.13.dfsg-1',
          status: 'installed',
        },
        { family: 'debian', name: '12.8', source: '' },
      ),
      'pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.8&epoch=1',
    );
  });
});
