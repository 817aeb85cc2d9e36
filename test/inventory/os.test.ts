import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseKeyValue, type ReleaseFile } from '../../src/analyze/os/release-files.js';
import type { Placed } from '../../src/image/merge.js';
import { openImage } from '../../src/image/source/open.js';
import { detectOS } from '../../src/inventory/os.js';
import { scanImage } from '../../src/scan/scan.js';
import { SHARED, SKIP_SHARED } from '../helpers/env.js';

function view(files: Record<string, string>): Map<string, Placed<ReleaseFile>> {
  const m = new Map<string, Placed<ReleaseFile>>();
  for (const [p, text] of Object.entries(files)) {
    const v: ReleaseFile = p.endsWith('os-release')
      ? { kind: 'os-release', fields: parseKeyValue(text) }
      : p.endsWith('lsb-release')
        ? { kind: 'lsb-release', fields: parseKeyValue(text) }
        : { kind: 'text', text: text.trim() };
    m.set(p, { layer: 0, value: v });
  }
  return m;
}

describe('detectOS', () => {
  it('prefers debian_version for the Debian point release', () => {
    const os = detectOS(
      view({
        'usr/lib/os-release':
          'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm',
        'etc/debian_version': '12.8\n',
      }),
    );
    assert.deepEqual(os, {
      family: 'debian',
      name: '12.8',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      codename: 'bookworm',
      source: 'etc/debian_version',
    });
  });
  it('handles alpine, redhat-release, lsb-release and debian_version alone', () => {
    assert.equal(detectOS(view({ 'etc/alpine-release': '3.19.1' }))?.name, '3.19.1');
    assert.deepEqual(
      [
        detectOS(view({ 'etc/redhat-release': 'Rocky Linux release 9.3 (Blue Onyx)' }))?.family,
        detectOS(view({ 'etc/redhat-release': 'Rocky Linux release 9.3 (Blue Onyx)' }))?.name,
      ],
      ['rocky', '9.3'],
    );
    assert.equal(
      detectOS(view({ 'etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04' }))?.family,
      'ubuntu',
    );
    assert.equal(detectOS(view({ 'etc/debian_version': '11.9' }))?.name, '11.9');
    assert.equal(detectOS(view({})), undefined);
  });
  it('reads the os-release files of many distributions (syft testdata)', { skip: SKIP_SHARED }, () => {
    const base = path.join(SHARED, 'data/syft-testdata/syft/linux/testdata/os');
    const cases: [string, string, string][] = [
      ['ubuntu/etc/os-release', 'ubuntu', '20.04'],
      ['alpine/etc/os-release', 'alpine', '3.11.6'],
      ['centos/usr/lib/os-release', 'centos', '8'],
      ['debian/from-os-release/usr/lib/os-release', 'debian', '8'],
      ['fedora/usr/lib/os-release', 'fedora', '36'],
      ['almalinux/from-os-release/etc/os-release', 'alma', '8.4'],
      ['rockylinux/from-os-release/etc/os-release', 'rocky', '8.4'],
    ];
    for (const [file, family, version] of cases) {
      const os = detectOS(view({ 'etc/os-release': readFileSync(path.join(base, file), 'utf8') }));
      assert.equal(os?.family, family, file);
      assert.equal(os?.name, version, file);
    }
    const deb = path.join(base, 'debian/from-debian_version/etc');
    const d = detectOS(
      view({
        'etc/os-release': readFileSync(path.join(deb, 'os-release'), 'utf8'),
        'etc/debian_version': readFileSync(path.join(deb, 'debian_version'), 'utf8'),
      }),
    );
    assert.equal(d?.name, '10.8');
    const alma = detectOS(
      view({
        'etc/redhat-release': readFileSync(
          path.join(base, 'almalinux/from-redhat-release/etc/redhat-release'),
          'utf8',
        ),
      }),
    );
    assert.deepEqual([alma?.family, alma?.name], ['alma', '8.10']);
  });

  it("detects every distribution in Syft's os test data through the real pipeline", {
    skip: SKIP_SHARED,
  }, async () => {
    const base = path.join(SHARED, 'data/syft-testdata/syft/linux/testdata/os');
    const cases: [string, string | undefined, string | undefined][] = [
      ['almalinux/from-os-release', 'alma', '8.4'],
      ['almalinux/from-redhat-release', 'alma', '8.10'],
      ['alpine', 'alpine', '3.11.6'],
      ['amazon', 'amazon', '2'],
      ['centos', 'centos', '8'],
      ['centos5', 'centos', '5.7'],
      ['debian/from-os-release', 'debian', '8'],
      ['debian/with-point-release', 'debian', '13.5'],
      ['fedora', 'fedora', '36'],
      ['mariner', 'cbl-mariner', '1.0'],
      ['opensuse-leap', 'opensuse.leap', '15.2'],
      ['oraclelinux', 'oracle', '8.3'],
      ['photon', 'photon', '2.0'],
      ['redhat/from-os-release', 'redhat', '7.3'],
      ['redhat/from-redhat-release', 'redhat', '8.10'],
      ['rockylinux/from-os-release', 'rocky', '8.4'],
      ['rockylinux/from-redhat-release', 'rocky', '8.10'],
      ['sles', 'suse linux enterprise server', '15.2'],
      ['ubuntu', 'ubuntu', '20.04'],
      ['wolfi', 'wolfi', '20220914'],
      ['empty', undefined, undefined],
      ['busybox', undefined, undefined],
    ];
    for (const [dir, family, version] of cases) {
      const image = await openImage(`rootfs:${path.join(base, dir)}`);
      const r = await scanImage(image, { cacheDir: null });
      assert.deepEqual([r.os?.family, r.os?.name], [family, version], dir);
    }
  });
});
