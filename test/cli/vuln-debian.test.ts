// End to end: a real Debian 12 image against a Debian Security Tracker feed. The expected
// findings are computed here with dpkg --compare-versions (not drydock's comparator) from the
// dpkg-query listing the test setup recorded; the feed mixes real hits with decoys.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { img, oracle, runCli, SKIP_IMAGES, tmpdir } from '../helpers/env.js';

const HAVE_DPKG = spawnSync('dpkg', ['--version']).status === 0;

function dpkgLt(a: string, b: string): boolean {
  return spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
}

interface Release {
  status: string;
  fixed_version?: string;
  urgency: string;
  nodsa?: string;
  nodsa_reason?: string;
  repositories: Record<string, string>;
}

describe('vulnerabilities: Debian image against a Debian tracker feed', () => {
  it('reports exactly the CVEs whose fix is newer than the installed source version, and no decoy', {
    skip: SKIP_IMAGES || (HAVE_DPKG ? false : 'dpkg is not installed'),
  }, async () => {
    const pkgs = oracle('debian-current').filter((p) => p.status === 'installed');
    // Source packages with their installed source version (one per source).
    const sources = new Map<string, { version: string; binaries: string[] }>();
    for (const p of pkgs) {
      const s = sources.get(p.srcName) ?? { version: p.srcVersion, binaries: [] };
      s.binaries.push(p.name);
      sources.set(p.srcName, s);
    }
    const feed: Record<
      string,
      Record<string, { description: string; releases: Record<string, Release> }>
    > = {};
    const expected = new Set<string>();
    let n = 0;
    const add = (src: string, release: string, r: Partial<Release>, hit: boolean) => {
      const id = `CVE-2099-${String(10000 + n++)}`;
      feed[src] ??= {};
      (feed[src] as Record<string, unknown>)[id] = {
        description: `test ${id}`,
        releases: {
          [release]: { urgency: 'medium', repositories: { [release]: '0' }, status: 'resolved', ...r },
        },
      };
      if (hit) for (const b of sources.get(src)?.binaries ?? []) expected.add(`${id} ${b}`);
    };
    for (const [src, { version }] of [...sources].slice(0, 40)) {
      const newer = `${version}+deb12u99`;
      const older = version.includes(':') ? `${version.split(':')[0]}:0.0.1-1` : '0.0.1-1';
      // a fix newer than what is installed: affected (checked with dpkg, not assumed)
      add(src, 'bookworm', { status: 'resolved', fixed_version: newer }, dpkgLt(version, newer));
      // an older fix and the exact installed version: not affected
      add(src, 'bookworm', { status: 'resolved', fixed_version: older }, dpkgLt(version, older));
      add(src, 'bookworm', { status: 'resolved', fixed_version: version }, false);
      // "0": never affected
      add(src, 'bookworm', { status: 'resolved', fixed_version: '0' }, false);
      // another release only
      add(src, 'bullseye', { status: 'resolved', fixed_version: newer }, false);
      // open, no fix yet: affected; open but no-dsa: will not fix (still reported)
      add(src, 'bookworm', { status: 'open' }, true);
      add(src, 'bookworm', { status: 'open', nodsa: 'Minor issue', nodsa_reason: '' }, true);
    }
    // decoys: a binary package name used as a source, and a package that is not installed
    add('libssl3', 'bookworm', { status: 'resolved', fixed_version: '99:1-1' }, false);
    add('no-such-package', 'bookworm', { status: 'open' }, false);
    assert.ok(expected.size > 40);

    const dir = tmpdir('dd-vuln-deb-');
    const feedDir = path.join(dir, 'feed');
    mkdirSync(feedDir);
    writeFileSync(path.join(feedDir, 'debian.json'), JSON.stringify(feed));
    const db = path.join(dir, 'v.db');
    const imp = await runCli(['db', 'import', feedDir, '--db', db]);
    assert.equal(imp.code, 0, imp.stderr);
    const r = await runCli(['image', img('debian-current.oci.tar'), '--db', db, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      Results: {
        Class: string;
        Vulnerabilities: { VulnerabilityID: string; PkgName: string; Status: string }[];
      }[];
    };
    const got = new Set(
      report.Results.filter((x) => x.Class === 'os-pkgs').flatMap((x) =>
        x.Vulnerabilities.map((v) => `${v.VulnerabilityID} ${v.PkgName}`),
      ),
    );
    const missing = [...expected].filter((x) => !got.has(x));
    const extra = [...got].filter((x) => !expected.has(x));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
    // --ignore-unfixed keeps only findings with a fixed version; --exit-code reports them
    const fixedOnly = await runCli([
      'image',
      img('debian-current.oci.tar'),
      '--db',
      db,
      '--format',
      'json',
      '--ignore-unfixed',
      '--exit-code',
      '5',
    ]);
    assert.equal(fixedOnly.code, 5);
    const vs = (JSON.parse(fixedOnly.stdout) as typeof report).Results.flatMap((x) => x.Vulnerabilities);
    assert.ok(vs.length > 0 && vs.every((v) => v.Status === 'fixed'));
  });
});
