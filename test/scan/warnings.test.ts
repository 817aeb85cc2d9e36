// A scan is never silently empty: unknown OS, end-of-life OS, distroless and missing package
// databases each produce an explicit warning (in the report and on stderr).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openImage } from '../../src/image/source/open.js';
import { eolDate, isEndOfLife } from '../../src/inventory/eol.js';
import { scanImage } from '../../src/scan/scan.js';
import { ROOT, runCli, tmpdir } from '../helpers/env.js';
import { makeOciLayout } from '../helpers/oci.js';
import { makeTar } from '../helpers/tar.js';

const DEB12 = 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
const STATUS = 'Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n';

async function warningsOf(
  files: { name: string; content: string | Buffer }[],
  now = new Date('2026-12-04T00:00:00Z'),
) {
  const dir = tmpdir();
  const layout = makeOciLayout(path.join(dir, 'oci'), [{ tar: makeTar(files) }]);
  const image = await openImage(layout.dir);
  const r = await scanImage(image, { cacheDir: null, now });
  await image.close();
  return r.warnings;
}

describe('inventory warnings', () => {
  it('end-of-life OS', async () => {
    const apk = readFileSync(path.join(ROOT, 'test/fixtures/apk/alpine-3.10.installed'));
    const w = await warningsOf([
      { name: 'etc/alpine-release', content: '3.10.4\n' },
      { name: 'lib/apk/db/installed', content: apk },
    ]);
    assert.deepEqual(w, [
      'OS alpine 3.10.4 reached end of life on 2021-05-01: it gets no more security fixes, and vulnerability data for it may be incomplete',
    ]);
    // the same release before its end of life: no warning
    assert.deepEqual(
      await warningsOf(
        [
          { name: 'etc/alpine-release', content: '3.10.4\n' },
          { name: 'lib/apk/db/installed', content: apk },
        ],
        new Date('2021-01-01'),
      ),
      [],
    );
  });

  it('unknown OS, and no package database', async () => {
    assert.deepEqual(await warningsOf([{ name: 'app/run.sh', content: 'echo hi\n' }]), [
      'OS not detected: no os-release, alpine-release, debian_version, redhat-release or lsb-release',
      'no OS package database found: OS packages cannot be checked',
    ]);
    assert.deepEqual(await warningsOf([{ name: 'etc/os-release', content: DEB12 }]), [
      'no OS package database found for debian 12 (dpkg, apk or rpm database): OS packages cannot be checked',
    ]);
    assert.deepEqual(
      await warningsOf([
        { name: 'etc/os-release', content: DEB12 },
        { name: 'var/lib/dpkg/status', content: STATUS },
      ]),
      [],
    );
  });

  it('status.d-only (distroless) images, with and without an os-release', async () => {
    const sd = {
      name: 'var/lib/dpkg/status.d/base-files',
      content: 'Package: base-files\nVersion: 12.4\nArchitecture: amd64\n',
    };
    assert.deepEqual(await warningsOf([{ name: 'etc/os-release', content: DEB12 }, sd]), [
      'distroless image: 1 dpkg package(s) come from var/lib/dpkg/status.d only (no dpkg status file, no package manager)',
    ]);
    assert.deepEqual(await warningsOf([sd]), [
      'OS not detected: no os-release, alpine-release, debian_version, redhat-release or lsb-release',
      'distroless image: 1 dpkg package(s) come from var/lib/dpkg/status.d only (no dpkg status file, no package manager); without an os-release the distribution and release are unknown',
    ]);
  });

  it('the warnings reach the JSON report, stderr, and the table', async () => {
    const dir = tmpdir();
    const layout = makeOciLayout(path.join(dir, 'oci'), [
      { tar: makeTar([{ name: 'etc/alpine-release', content: '3.10.4\n' }]) },
    ]);
    const r = await runCli(['image', layout.dir, '-f', 'json', '--scanners', 'none']);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as { Warnings: string[]; Metadata: { OS: Record<string, unknown> } };
    assert.deepEqual(rep.Metadata.OS, {
      Family: 'alpine',
      Name: '3.10.4',
      EOSL: true,
      EOLDate: '2021-05-01',
    });
    assert.equal(rep.Warnings.length, 2);
    assert.match(r.stderr, /WARN OS alpine 3\.10\.4 reached end of life on 2021-05-01/);
    const t = await runCli(['image', layout.dir, '--scanners', 'none']);
    assert.match(t.stdout, /OS: +alpine 3\.10\.4 end of life since 2021-05-01/);
    assert.match(t.stdout, /Warnings \(2\)/);
  });

  it('end-of-life table lookups go from the most to the least specific version', () => {
    assert.equal(eolDate({ family: 'alpine', name: '3.10.4', source: '' }), '2021-05-01');
    assert.equal(eolDate({ family: 'debian', name: '10.13', source: '' }), '2024-06-30');
    assert.equal(eolDate({ family: 'ubuntu', name: '18.04', source: '' }) !== undefined, true);
    assert.equal(eolDate({ family: 'wolfi', name: '20230201', source: '' }), undefined);
    assert.equal(eolDate({ family: 'amazon', name: '2018.03', source: '' }), '2023-12-31');
    assert.equal(eolDate({ family: 'amazon', name: '2023', source: '' }), '2028-03-15');
    assert.equal(isEndOfLife({ family: 'debian', name: '12.8', source: '' }, new Date('2026-12-04')), false);
    assert.equal(
      isEndOfLife({ family: 'centos', name: '7.9.2009', source: '' }, new Date('2026-12-04')),
      true,
    );
  });

  it('without a vulnerability database the scan says so, in the report and on stderr', async () => {
    const cache = tmpdir('dd-cache-');
    const r = await runCli(['fs', tmpdir(), '-f', 'json'], { cacheDir: cache });
    assert.equal(r.code, 0, r.stderr);
    const w = (JSON.parse(r.stdout) as { Warnings: string[] }).Warnings;
    assert.ok(w.some((x) => x.startsWith(`no vulnerability database at ${cache}/db/drydock.db`)));
    assert.match(r.stderr, /no vulnerability database/);
  });

  it('a project checkout (language packages, no OS) gets no OS warnings from drydock fs', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const dir = tmpdir();
    mkdirSync(path.join(dir, 'node_modules/left-pad'), { recursive: true });
    writeFileSync(
      path.join(dir, 'node_modules/left-pad/package.json'),
      JSON.stringify({ name: 'left-pad', version: '1.3.0' }),
    );
    const project = await runCli(['fs', dir, '-f', 'json', '--scanners', 'none']);
    assert.equal(project.code, 0, project.stderr);
    assert.equal((JSON.parse(project.stdout) as { Warnings?: string[] }).Warnings, undefined);
    const empty = await runCli(['fs', tmpdir(), '-f', 'json', '--scanners', 'none']);
    assert.equal(
      (JSON.parse(empty.stdout) as { Warnings: string[] }).Warnings.length,
      2,
      'an empty tree still warns',
    );
  });
});
