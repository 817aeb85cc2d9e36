import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isInstalledPackageJson, nameFromLockKey, parsePackageLock } from '../../../src/analyze/lang/npm.js';
import { npmPurl } from '../../../src/inventory/purl.js';
import { img, SHARED, SKIP_IMAGES, SKIP_SHARED, tmpdir } from '../../helpers/env.js';

type Tree = { version?: string; dependencies?: Record<string, Tree> };

function flatten(deps: Record<string, Tree> | undefined, out = new Set<string>()): Set<string> {
  for (const [name, t] of Object.entries(deps ?? {})) {
    if (t.version) out.add(`${name}@${t.version}`);
    flatten(t.dependencies, out);
  }
  return out;
}

/** The real tool's view of a lockfile: `npm ls --package-lock-only --all --json`, offline. */
function npmLs(lockFile: string): Set<string> {
  const dir = tmpdir('dd-npmls-');
  copyFileSync(lockFile, path.join(dir, 'package-lock.json'));
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as {
    packages?: Record<string, Record<string, unknown>>;
  };
  const root = lock.packages?.[''] ?? {};
  const pkg: Record<string, unknown> = { name: root.name ?? 'root', version: root.version ?? '1.0.0' };
  for (const k of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'])
    if (root[k]) pkg[k] = root[k];
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
  const r = spawnSync('npm', ['ls', '--package-lock-only', '--all', '--json', '--offline'], {
    cwd: dir,
    encoding: 'utf8',
  });
  return flatten((JSON.parse(r.stdout) as Tree).dependencies);
}

function ours(lockFile: string): Set<string> {
  return new Set(parsePackageLock(readFileSync(lockFile, 'utf8')).map((p) => `${p.name}@${p.version}`));
}

const TRIVY = 'data/trivy-testdata/pkg/dependency/parser/nodejs/npm/testdata';

describe('npm package-lock.json', () => {
  it('v2 and v3 lockfiles (Trivy test data) match npm ls --package-lock-only', { skip: SKIP_SHARED }, () => {
    for (const f of [
      'package-lock_v2.json',
      'package-lock_v3.json',
      'package-lock_v3_with_peer.json',
      'package-lock_v3_with-same-dev-and-non-dev.json',
    ]) {
      const file = path.join(SHARED, TRIVY, f);
      const want = npmLs(file);
      assert.ok(want.size >= 3, `${f}: npm listed packages`);
      assert.deepEqual([...ours(file)].sort(), [...want].sort(), f);
    }
  });

  it('the lockfile npm wrote in the debian-app test image matches npm ls', { skip: SKIP_IMAGES }, () => {
    const file = img('unpacked/debian-app/rootfs/app/package-lock.json');
    assert.deepEqual([...ours(file)].sort(), [...npmLs(file)].sort());
    assert.deepEqual([...ours(file)].sort(), ['lodash@4.17.20', 'minimist@1.2.5']);
  });

  it('v1 lockfiles: the nested dependency tree', { skip: SKIP_SHARED }, () => {
    const pkgs = parsePackageLock(readFileSync(path.join(SHARED, TRIVY, 'package-lock_v1.json'), 'utf8'));
    const ids = new Set(pkgs.map((p) => `${p.name}@${p.version}`));
    // facts read from the file: nested copies and dev dependencies are kept
    assert.ok(ids.has('body-parser@1.18.3'));
    assert.ok(
      pkgs.some((p) => p.location.includes('/node_modules/') && p.location.split('node_modules/').length > 2),
      'nested entries',
    );
    assert.ok(
      pkgs.some((p) => p.dev),
      'dev dependencies are marked',
    );
    // the v1 and v3 lockfiles of Trivy's test project pin the same packages
    const v3 = ours(path.join(SHARED, TRIVY, 'package-lock_v3.json'));
    assert.deepEqual([...ids].sort(), [...v3].sort());
  });

  it('workspaces and links are the project, not dependencies', { skip: SKIP_SHARED }, () => {
    const pkgs = parsePackageLock(
      readFileSync(path.join(SHARED, TRIVY, 'package-lock_v3_with_workspace.json'), 'utf8'),
    );
    assert.ok(pkgs.length > 0);
    assert.ok(pkgs.every((p) => p.location.includes('node_modules/')));
  });

  it('bad lockfiles throw (the session turns that into a per-file warning)', () => {
    assert.throws(() => parsePackageLock('{not json'));
    assert.throws(() => parsePackageLock('[]'));
    assert.deepEqual(
      parsePackageLock('{"lockfileVersion":3,"packages":{"node_modules/a":{"version":7}}}'),
      [],
    );
  });

  it('names, purls and installed package.json paths', () => {
    assert.equal(nameFromLockKey('node_modules/@babel/core/node_modules/semver'), 'semver');
    assert.equal(nameFromLockKey('node_modules/@babel/core'), '@babel/core');
    assert.equal(npmPurl('@babel/core', '7.0.0'), 'pkg:npm/%40babel/core@7.0.0');
    assert.equal(npmPurl('lodash', '4.17.20'), 'pkg:npm/lodash@4.17.20');
    assert.ok(isInstalledPackageJson('app/node_modules/lodash/package.json'));
    assert.ok(isInstalledPackageJson('usr/lib/node_modules/@scope/x/package.json'));
    assert.ok(!isInstalledPackageJson('app/node_modules/lodash/fp/package.json'));
    assert.ok(!isInstalledPackageJson('app/package.json'));
    assert.ok(!isInstalledPackageJson('app/node_modules/.bin/package.json'));
  });
});

describe('installed node_modules', () => {
  it('the debian-app image lists what npm ls lists for the installed tree', {
    skip: SKIP_IMAGES,
  }, async () => {
    const app = img('unpacked/debian-app/rootfs/app');
    const r = spawnSync('npm', ['ls', '--all', '--json', '--offline'], { cwd: app, encoding: 'utf8' });
    const want = flatten((JSON.parse(r.stdout) as Tree).dependencies);
    const { openImage } = await import('../../../src/image/source/open.js');
    const { scanImage } = await import('../../../src/scan/scan.js');
    const image = await openImage(img('debian-app.docker.tar'));
    const res = await scanImage(image, { cacheDir: null });
    await image.close();
    const installed = res.packages.filter((p) => p.type === 'node-pkg');
    assert.deepEqual(new Set(installed.map((p) => `${p.name}@${p.version}`)), want);
    assert.ok(
      installed.every((p) => p.layer?.index === 2),
      'from the COPY app/ layer',
    );
    assert.deepEqual(
      readdirSync(path.join(app, 'node_modules'))
        .filter((d) => !d.startsWith('.'))
        .sort(),
      ['lodash', 'minimist'],
    );
    const lock = res.packages.filter((p) => p.type === 'npm');
    assert.deepEqual(
      lock.map((p) => [p.name, p.version, p.filePath, p.licenses]),
      [
        ['lodash', '4.17.20', 'app/package-lock.json', ['MIT']],
        ['minimist', '1.2.5', 'app/package-lock.json', ['MIT']],
      ],
    );
  });
});

describe('ownership', () => {
  it('node_modules packages whose files an OS package owns are not reported twice', async () => {
    const { makeOciLayout } = await import('../../helpers/oci.js');
    const { makeTar } = await import('../../helpers/tar.js');
    const { openImage } = await import('../../../src/image/source/open.js');
    const { scanImage } = await import('../../../src/scan/scan.js');
    const apkDb = [
      'P:npm',
      'V:10.2.5-r0',
      'A:x86_64',
      'o:npm',
      'F:usr/lib/node_modules/npm',
      'R:package.json',
      'F:usr/lib/node_modules/npm/node_modules/semver',
      'R:package.json',
      '',
      '',
    ].join('\n');
    const pj = (name: string, version: string) => JSON.stringify({ name, version });
    const dir = tmpdir();
    const layout = makeOciLayout(path.join(dir, 'oci'), [
      {
        tar: (makeTar as typeof import('../../helpers/tar.js').makeTar)([
          { name: 'etc/alpine-release', content: '3.19.1\n' },
          { name: 'lib/apk/db/installed', content: apkDb },
          { name: 'usr/lib/node_modules/npm/package.json', content: pj('npm', '10.2.5') },
          {
            name: 'usr/lib/node_modules/npm/node_modules/semver/package.json',
            content: pj('semver', '7.5.4'),
          },
          { name: 'app/node_modules/semver/package.json', content: pj('semver', '7.3.0') },
        ]),
      },
    ]);
    const image = await openImage(layout.dir);
    const r = await scanImage(image, { cacheDir: null });
    await image.close();
    assert.deepEqual(
      r.packages.filter((p) => p.type === 'node-pkg').map((p) => [p.name, p.version, p.filePath]),
      [['semver', '7.3.0', 'app/node_modules/semver/package.json']],
    );
    assert.deepEqual(
      r.packages.filter((p) => p.type === 'apk').map((p) => p.name),
      ['npm'],
    );
  });
});
