import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { dpkgFilesAnalyzer, INSTALLED_STATES, parseDpkgStatus } from '../../../src/analyze/pkg/dpkg.js';
import { openImage } from '../../../src/image/source/open.js';
import { scanImage } from '../../../src/scan/scan.js';
import { img, oracle, ROOT, SHARED, SKIP_IMAGES, SKIP_SHARED, tmpdir } from '../../helpers/env.js';

interface Expected {
  packages: {
    package: string;
    version: string;
    sourcePackage: string;
    sourceVersion: string;
    architecture: string;
    status: string;
  }[];
}

function compare(statusFile: string, expectedFile: string): void {
  const got = parseDpkgStatus(readFileSync(statusFile, 'utf8'));
  const exp = (JSON.parse(readFileSync(expectedFile, 'utf8')) as Expected).packages.filter((p) =>
    INSTALLED_STATES.has(p.status),
  );
  const key = (n: string, a: string) => `${n}:${a}`;
  const want = new Map(
    exp.map((p) => [key(p.package, p.architecture), [p.version, p.sourcePackage, p.sourceVersion]]),
  );
  const have = new Map(got.map((p) => [key(p.name, p.arch), [p.version, p.srcName, p.srcVersion]]));
  assert.equal(have.size, want.size);
  assert.deepEqual(have, want);
}

describe('dpkg status parser vs dpkg-query', () => {
  it('Ubuntu 18.04 status (Trivy vector, bundled)', () => {
    compare(
      path.join(ROOT, 'test/fixtures/dpkg/ubuntu-18.04.status'),
      path.join(ROOT, 'test/fixtures/dpkg/ubuntu-18.04.expected.json'),
    );
  });
  it('Debian 12 host status, 749 packages', { skip: SKIP_SHARED }, () => {
    const d = path.join(SHARED, 'data/dpkg-status-vectors/debian-bookworm-host');
    compare(path.join(d, 'status'), path.join(d, 'expected-dpkg-query.json'));
  });
  for (const tag of ['debian-current', 'debian-old', 'debian-app']) {
    it(`${tag} test image status`, { skip: SKIP_IMAGES }, () => {
      const got = parseDpkgStatus(readFileSync(img('status', `${tag}.dpkg-status`), 'utf8'));
      const want = oracle(tag).filter((p) => INSTALLED_STATES.has(p.status));
      assert.deepEqual(
        got.map((p) => [p.name, p.version, p.srcName, p.srcVersion, p.arch]).sort(),
        want.map((p) => [p.name, p.version, p.srcName, p.srcVersion, p.arch]).sort(),
      );
    });
  }
});

describe('dpkg status parser details', () => {
  it('reads "Source: name (version)", skips config-files, keeps continuation lines out', () => {
    const text = [
      'Package: libfoo1',
      'Status: install ok installed',
      'Architecture: amd64',
      'Source: foo (1:2.0-1)',
      'Version: 2.0-1+b1',
      'Description: a thing',
      ' Package: not-a-package',
      '',
      'Package: gone',
      'Status: deinstall ok config-files',
      'Version: 1.0',
      '',
      'Package: bar',
      'Status: install ok unpacked',
      'Version: 3',
      'Source: bar-src',
      '',
    ].join('\n');
    assert.deepEqual(parseDpkgStatus(text), [
      {
        name: 'libfoo1',
        version: '2.0-1+b1',
        arch: 'amd64',
        srcName: 'foo',
        srcVersion: '1:2.0-1',
        status: 'installed',
      },
      { name: 'bar', version: '3', arch: '', srcName: 'bar-src', srcVersion: '3', status: 'unpacked' },
    ]);
  });
  it('reads distroless status.d files, which have no Status field', () => {
    assert.equal(
      parseDpkgStatus('Package: base-files\nVersion: 12.4\nArchitecture: amd64\n', false).length,
      1,
    );
    assert.equal(parseDpkgStatus('Package: base-files\nVersion: 12.4\n', true).length, 0);
  });
});

/** This machine's Debian-installed Python distributions (metadata under /usr/lib/python3/dist-packages). */
function hostDebianPython(): { metadata: string[]; lists: string[] } | undefined {
  const dir = '/usr/lib/python3/dist-packages';
  if (!existsSync(dir) || !existsSync('/var/lib/dpkg/info')) return undefined;
  const metadata = readdirSync(dir)
    .filter((n) => n.endsWith('.egg-info') || n.endsWith('.dist-info'))
    .map((n) => path.join(dir, n));
  const lists = readdirSync('/var/lib/dpkg/info')
    .filter((n) => n.endsWith('.list'))
    .map((n) => path.join('/var/lib/dpkg/info', n));
  return metadata.length > 0 ? { metadata, lists } : undefined;
}

describe('dpkg file lists (ownership of language packages)', () => {
  const host = hostDebianPython();
  it("Debian's python3-* distributions are owned by their .deb, a pip-installed one is reported", {
    skip: host ? false : 'no Debian-installed Python distributions on this machine',
  }, async () => {
    const root = tmpdir('dd-dpkg-own-');
    const put = (rel: string, data: string | Buffer) => {
      mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
      writeFileSync(path.join(root, rel), data);
    };
    put('var/lib/dpkg/status', readFileSync('/var/lib/dpkg/status'));
    for (const l of host?.lists ?? []) put(path.relative('/', l), readFileSync(l));
    // Copy the metadata as it is on disk (egg-info files or directories with PKG-INFO / METADATA).
    let owned = 0;
    for (const m of host?.metadata ?? []) {
      const rel = path.relative('/', m);
      if (statSync(m).isDirectory()) {
        for (const f of ['PKG-INFO', 'METADATA'])
          if (existsSync(path.join(m, f))) put(`${rel}/${f}`, readFileSync(path.join(m, f)));
      } else put(rel, readFileSync(m));
      // The oracle: dpkg -S names the package that owns the metadata.
      if (spawnSync('dpkg', ['-S', m]).status === 0) owned++;
    }
    put(
      'usr/local/lib/python3.11/dist-packages/extra_pkg-1.2.3.dist-info/METADATA',
      'Name: extra-pkg\nVersion: 1.2.3\n',
    );
    const r = await scanImage(await openImage(`rootfs:${root}`), { cacheDir: null });
    const py = r.packages.filter((p) => p.type === 'python-pkg').map((p) => `${p.name}@${p.version}`);
    assert.ok(owned > 0);
    // Everything dpkg -S attributes to a package is suppressed; what it does not know stays.
    assert.equal(py.length, (host?.metadata.length ?? 0) - owned + 1);
    assert.ok(py.includes('extra-pkg@1.2.3'));
  });

  it('only paths a language analyzer would read are kept from a .list file', async () => {
    const list = [
      '/.',
      '/usr/lib/python3/dist-packages/six-1.16.0.egg-info',
      '/usr/lib/python3/dist-packages/six.py',
      '/usr/share/doc/python3-six/copyright',
      '/usr/share/nodejs/acorn/package.json',
      '',
    ].join('\n');
    const file = {
      path: 'var/lib/dpkg/info/python3-six.list',
      type: 'file' as const,
      size: list.length,
      mode: 0o644,
      read: async () => Buffer.from(list),
      stream: () => Readable.from([Buffer.from(list)]),
    };
    assert.ok(dpkgFilesAnalyzer.matches(file.path, file));
    assert.ok(!dpkgFilesAnalyzer.matches('var/lib/dpkg/info/python3-six.md5sums', file));
    const kept = await dpkgFilesAnalyzer.analyze(file);
    assert.ok(kept?.includes('usr/lib/python3/dist-packages/six-1.16.0.egg-info'));
    assert.ok(!kept?.includes('usr/share/doc/python3-six/copyright'));
    assert.ok(!kept?.includes('usr/lib/python3/dist-packages/six.py'));
  });
});
