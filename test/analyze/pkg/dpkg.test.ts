import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { INSTALLED_STATES, parseDpkgStatus } from '../../../src/analyze/pkg/dpkg.js';
import { img, oracle, ROOT, SHARED, SKIP_IMAGES, SKIP_SHARED } from '../../helpers/env.js';

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
