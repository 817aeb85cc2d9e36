// End to end: an Ubuntu 22.04 root filesystem against Ubuntu's own OSV records (vunnel's copies
// of them): matched by source package and source version; dpkg --compare-versions decides.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, SHARED, SKIP_SHARED, tmpdir } from '../helpers/env.js';

const HAVE_DPKG = spawnSync('dpkg', ['--version']).status === 0;
const lt = (a: string, b: string) => spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;

const pkg = (name: string, version: string, source: string) =>
  `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\nSource: ${source}\n`;

describe('vulnerabilities: Ubuntu 22.04 against Ubuntu OSV', () => {
  it('open issues and fixes newer than the installed source version, per binary package', {
    skip: SKIP_SHARED || (HAVE_DPKG ? false : 'dpkg is not installed'),
  }, async () => {
    const root = tmpdir('dd-vuln-ubuntu-');
    const fs = path.join(root, 'rootfs');
    mkdirSync(path.join(fs, 'etc'), { recursive: true });
    mkdirSync(path.join(fs, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(path.join(fs, 'etc/os-release'), 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n');
    const installed = [
      ['libc6', '2.35-0ubuntu3.8', 'glibc'],
      ['libwayland-client0', '1.20.0-1', 'wayland'],
      ['libwayland-server0', '1.20.0-1ubuntu0.1', 'wayland'],
      ['sssd-common', '2.6.3-1ubuntu3.3', 'sssd'],
    ];
    writeFileSync(
      path.join(fs, 'var/lib/dpkg/status'),
      `${installed.map(([n, v, s]) => pkg(n as string, v as string, s as string)).join('\n')}\n`,
    );
    // From the records: CVE-2016-20013 is open (no fix) for glibc and sssd in 22.04;
    // CVE-2021-3782 is fixed in wayland 1.20.0-1ubuntu0.1.
    const expected = [
      'CVE-2016-20013 libc6',
      'CVE-2016-20013 sssd-common',
      ...installed
        .filter(([, v, s]) => s === 'wayland' && lt(v as string, '1.20.0-1ubuntu0.1'))
        .map(([n]) => `CVE-2021-3782 ${n}`),
    ].sort();
    assert.ok(expected.includes('CVE-2021-3782 libwayland-client0'));
    const db = path.join(root, 'v.db');
    const feed = path.join(SHARED, 'data/vunnel-provider-fixtures/ubuntu/test-fixtures/osv/cve');
    assert.equal((await runCli(['db', 'import', feed, '--db', db])).code, 0);
    const r = await runCli(['fs', fs, '--db', db, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      Results: {
        Class: string;
        Vulnerabilities: { VulnerabilityID: string; PkgName: string; Status: string }[];
      }[];
    };
    const got = report.Results.filter((x) => x.Class === 'os-pkgs')
      .flatMap((x) => x.Vulnerabilities.map((v) => `${v.VulnerabilityID} ${v.PkgName}`))
      .sort();
    assert.deepEqual(got, expected);
  });
});
