import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseApkInstalled } from '../../../src/analyze/pkg/apk.js';
import { openImage } from '../../../src/image/source/open.js';
import { scanImage } from '../../../src/scan/scan.js';
import { ROOT, SHARED, SKIP_SHARED, tmpdir } from '../../helpers/env.js';
import { makeOciLayout } from '../../helpers/oci.js';
import { makeTar } from '../../helpers/tar.js';

const FIX = path.join(ROOT, 'test/fixtures/apk');

/** An independent reading of the same file with awk: name, version, arch, origin, license per block. */
function awkOracle(file: string): string[] {
  const prog =
    'BEGIN{RS="";FS="\\n"} {n="";v="";a="";o="";l=""; for(i=1;i<=NF;i++){k=substr($i,1,2); x=substr($i,3); if(k=="P:")n=x; else if(k=="V:")v=x; else if(k=="A:")a=x; else if(k=="o:")o=x; else if(k=="L:")l=x} if(n!=""&&v!="") print n"\\t"v"\\t"a"\\t"(o==""?n:o)"\\t"l}';
  return execFileSync('awk', [prog, file], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).sort();
}

function ours(file: string): string[] {
  return parseApkInstalled(readFileSync(file, 'utf8'))
    .map((p) => [p.name, p.version, p.arch, p.origin, p.license ?? ''].join('\t'))
    .sort();
}

describe('apk installed database', () => {
  it('Alpine 3.10.4 (bundled): 14 packages, origins, licenses and owned files', () => {
    const file = path.join(FIX, 'alpine-3.10.installed');
    assert.deepEqual(ours(file), awkOracle(file));
    const pkgs = parseApkInstalled(readFileSync(file, 'utf8'));
    assert.equal(pkgs.length, 14);
    const crypto = pkgs.find((p) => p.name === 'libcrypto1.1');
    assert.equal(crypto?.origin, 'openssl');
    assert.equal(crypto?.version, '1.1.1d-r2');
    const musl = pkgs.find((p) => p.name === 'musl');
    assert.deepEqual(musl?.files, ['lib/libc.musl-x86_64.so.1', 'lib/ld-musl-x86_64.so.1']);
  });

  it('other real databases (Alpine 3.11, Trivy and Syft test data) match an independent reading', {
    skip: SKIP_SHARED,
  }, () => {
    const files = [
      'data/trivy-alpine-image-extracts/alpine-311/rootfs/lib/apk/db/installed',
      'data/trivy-testdata/pkg/fanal/analyzer/testdata/lib/apk/db/installed',
      'data/syft-testdata/syft/pkg/cataloger/alpine/testdata/multiple-1/lib/apk/db/installed',
      'data/syft-testdata/syft/pkg/cataloger/alpine/testdata/multiple-2/lib/apk/db/installed',
    ];
    for (const f of files) {
      const file = path.join(SHARED, f);
      const got = ours(file);
      assert.ok(got.length > 0, f);
      assert.deepEqual(got, awkOracle(file), f);
    }
  });

  it('a corrupt database yields what can be read and no crash', { skip: SKIP_SHARED }, () => {
    const text = readFileSync(
      path.join(SHARED, 'data/syft-testdata/syft/pkg/cataloger/alpine/testdata/corrupt/lib/apk/db/installed'),
      'utf8',
    );
    const pkgs = parseApkInstalled(text);
    assert.deepEqual(
      pkgs.map((p) => [p.name, p.origin]),
      [['alpine-baselayout-data', 'alpine-baselayout']],
    );
    assert.deepEqual(parseApkInstalled('garbage\n\x00\x01\nP:\nV:\n'), []);
  });

  it('in an image: OS, purls, and the layer that added each package', async () => {
    const db = readFileSync(path.join(FIX, 'alpine-3.10.installed'), 'utf8');
    const extra = 'P:curl\nV:7.66.0-r0\nA:x86_64\no:curl\nL:MIT\nF:usr/bin\nR:curl\n\n';
    const dir = tmpdir();
    const layout = makeOciLayout(path.join(dir, 'oci'), [
      {
        tar: makeTar([
          { name: 'etc/os-release', content: readFileSync(path.join(FIX, 'alpine-3.10.os-release')) },
          { name: 'etc/alpine-release', content: readFileSync(path.join(FIX, 'alpine-3.10.alpine-release')) },
          { name: 'lib/apk/db/installed', content: db },
        ]),
      },
      { tar: makeTar([{ name: 'lib/apk/db/installed', content: `${db.trimEnd()}\n\n${extra}` }]) },
    ]);
    const image = await openImage(layout.dir);
    const r = await scanImage(image, { cacheDir: null });
    await image.close();
    assert.deepEqual(r.os && [r.os.family, r.os.name], ['alpine', '3.10.4']);
    assert.equal(r.packages.length, 15);
    const curl = r.packages.find((p) => p.name === 'curl');
    assert.equal(curl?.layer?.index, 1);
    assert.equal(curl?.purl, 'pkg:apk/alpine/curl@7.66.0-r0?arch=x86_64&distro=3.10.4');
    assert.ok(r.packages.filter((p) => p.name !== 'curl').every((p) => p.layer?.index === 0));
    assert.deepEqual(r.packages.find((p) => p.name === 'musl')?.licenses, ['MIT']);
  });
});
