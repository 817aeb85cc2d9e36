import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Package } from '../../src/inventory/packages.js';
import { matchPackages, osNamespace } from '../../src/match/match.js';
import { importPaths } from '../../src/vulndb/import.js';
import { VulnStore } from '../../src/vulndb/store.js';
import type { Advisory } from '../../src/vulndb/types.js';
import { SHARED, SKIP_SHARED, tmpdir } from '../helpers/env.js';

function store(
  advisories: Advisory[],
  details: { id: string; severity: 'CRITICAL' | 'LOW' }[] = [],
): VulnStore {
  const s = VulnStore.open(path.join(tmpdir('dd-match-'), 'v.db'), { create: true });
  s.replaceFeed({ name: 't', importer: 't', origin: 't', fingerprint: 't', errors: 0 }, (w) => {
    for (const a of advisories) w.advisory(a);
    for (const d of details) w.detail({ id: d.id, source: 'nvd', severity: d.severity });
    return undefined;
  });
  return s;
}

const pkg = (p: Partial<Package> & Pick<Package, 'type' | 'name' | 'version'>): Package => ({
  purl: `pkg:x/${p.name}@${p.version}`,
  filePath: 'x',
  layer: undefined,
  ...p,
});

const deb = (name: string, version: string, src = name, srcVersion = version) =>
  pkg({ type: 'deb', name, version, srcName: src, srcVersion, arch: 'amd64' });

const adv = (a: Partial<Advisory> & Pick<Advisory, 'id' | 'package'>): Advisory => ({
  source: 'debian-tracker',
  namespace: 'debian:12',
  status: 'fixed',
  ...a,
});

describe('matching', () => {
  it('Debian: by source package and source version; decoys do not match', () => {
    const s = store(
      [
        adv({ id: 'CVE-1', package: 'openssl', fixed: '3.0.11-1~deb12u1', severity: 'HIGH' }),
        adv({ id: 'CVE-2', package: 'openssl', fixed: '3.0.8-1' }), // older fix: not affected
        adv({ id: 'CVE-3', package: 'openssl', status: 'not_affected' }),
        adv({ id: 'CVE-4', package: 'openssl', status: 'will_not_fix' }),
        adv({ id: 'CVE-5', package: 'openssl', namespace: 'debian:11', fixed: '9.9.9-1' }), // other release
        adv({ id: 'CVE-6', package: 'libssl3', fixed: '9.9.9-1' }), // binary name, not a source
        adv({ id: 'CVE-7', package: 'openssl', fixed: '3.0.9-1' }), // equal: fixed
      ],
      [{ id: 'CVE-4', severity: 'LOW' }],
    );
    const r = matchPackages(
      [deb('libssl3', '3.0.9-1', 'openssl', '3.0.9-1')],
      { family: 'debian', name: '12.4', source: 'x' },
      s,
    );
    assert.deepEqual(
      r.findings.map((f) => [f.id, f.status, f.fixedVersion, f.severity, f.severitySource, f.pkg.name]),
      [
        ['CVE-1', 'fixed', '3.0.11-1~deb12u1', 'HIGH', 'debian-tracker', 'libssl3'],
        ['CVE-4', 'will_not_fix', undefined, 'LOW', 'nvd', 'libssl3'],
      ],
    );
    assert.match(
      r.findings[0]?.why ?? '',
      /source package openssl 3\.0\.9-1 < fixed 3\.0\.11-1~deb12u1 \(debian:12/,
    );
    s.close();
  });

  it('namespaces from the detected OS', () => {
    assert.equal(osNamespace({ family: 'debian', name: '12.4', source: '' }), 'debian:12');
    assert.equal(osNamespace({ family: 'ubuntu', name: '22.04', source: '' }), 'ubuntu:22.04');
    assert.equal(osNamespace({ family: 'alpine', name: '3.18.4', source: '' }), 'alpine:3.18');
    assert.equal(osNamespace({ family: 'redhat', name: '9.4', source: '' }), 'redhat:9');
    assert.equal(osNamespace({ family: 'debian', name: 'trixie/sid', source: '' }), undefined);
    assert.equal(osNamespace(undefined), undefined);
  });

  it('language packages: OSV events, constraints, "unless" lists; one finding per CVE across aliases', () => {
    const s = store([
      {
        id: 'GHSA-a',
        aliases: ['CVE-10'],
        source: 'osv',
        namespace: 'npm',
        package: 'lodash',
        status: 'fixed',
        ranges: [{ kind: 'events', introduced: '0', fixed: '4.17.21' }],
        severity: 'HIGH',
      },
      {
        id: 'GHSA-b',
        source: 'osv',
        namespace: 'npm',
        package: 'lodash',
        status: 'fixed',
        ranges: [{ kind: 'events', introduced: '5.0.0', fixed: '5.0.1' }],
      },
      {
        id: 'CVE-10',
        source: 'other',
        namespace: 'npm',
        package: 'lodash',
        status: 'fixed',
        ranges: [{ kind: 'constraint', constraint: '<4.17.21' }],
      },
      {
        id: 'CVE-11',
        source: 'rubysec',
        namespace: 'gem',
        package: 'rack',
        status: 'fixed',
        ranges: [{ kind: 'unless', constraints: ['~> 2.2.8', '>= 3.0.9'] }],
      },
      {
        id: 'CVE-12',
        source: 'osv',
        namespace: 'pypi',
        package: 'django-rest-framework',
        status: 'fixed',
        ranges: [{ kind: 'events', introduced: '0', fixed: '3.15.2' }],
      },
    ]);
    const r = matchPackages(
      [
        pkg({ type: 'npm', name: 'lodash', version: '4.17.20' }),
        pkg({ type: 'gemspec', name: 'rack', version: '2.2.7' }),
        pkg({ type: 'bundler', name: 'rack', version: '2.2.8.1' }),
        pkg({ type: 'pip', name: 'Django_Rest.Framework', version: '3.14.0' }),
      ],
      undefined,
      s,
    );
    assert.deepEqual(
      r.findings.map((f) => [f.id, f.pkg.type, f.pkg.version, f.fixedVersion ?? null, f.aliases.sort()]),
      [
        ['CVE-10', 'npm', '4.17.20', '4.17.21', ['GHSA-a']],
        // UNKNOWN severity, then by package name (code-unit order)
        ['CVE-12', 'pip', '3.14.0', '3.15.2', []],
        ['CVE-11', 'gemspec', '2.2.7', null, []],
      ],
    );
    s.close();
  });
});

describe('matching: Rocky Linux and AlmaLinux errata (their own OSV records)', () => {
  it('rpm packages by binary name with epoch-aware comparison; the other distro and release do not match', {
    skip: SKIP_SHARED,
  }, () => {
    const s = VulnStore.open(path.join(tmpdir('dd-match-'), 'v.db'), { create: true });
    const fx = path.join(SHARED, 'data/vunnel-provider-fixtures');
    importPaths(s, [
      path.join(fx, 'rocky/test-fixtures/osv'),
      path.join(fx, 'alma/test-fixtures/osv-database'),
    ]);
    const rpm = (name: string, version: string) => pkg({ type: 'rpm', name, version, arch: 'x86_64' });
    // RLSA-2023:3220: firefox fixed in 0:102.11.0-2.el8_7 for Rocky Linux 8 (read from the record)
    const rocky = matchPackages(
      [rpm('firefox', '102.10.0-1.el8_7'), rpm('python3-requests', '2.20.0-2.1.el8_1')],
      { family: 'rocky', name: '8.7', source: 'x' },
      s,
    );
    assert.deepEqual(
      rocky.findings.filter((f) => f.pkg.name === 'firefox').map((f) => [f.id, f.fixedVersion, f.namespace]),
      [['RLSA-2023:3220', '0:102.11.0-2.el8_7', 'rocky:8']],
    );
    assert.equal(rocky.findings.filter((f) => f.pkg.name === 'python3-requests').length, 0, 'an Alma record');
    // ALSA-2023:4520 (CVE-2023-32681): python3-requests fixed in 2.20.0-3.el8_8 for AlmaLinux 8
    const alma = matchPackages(
      [rpm('python3-requests', '2.20.0-2.1.el8_1'), rpm('firefox', '102.10.0-1.el8_7')],
      { family: 'alma', name: '8.8', source: 'x' },
      s,
    );
    const req = alma.findings.filter((f) => f.pkg.name === 'python3-requests');
    assert.deepEqual(
      req.map((f) => [f.id, f.fixedVersion]),
      [['ALSA-2023:4520', '2.20.0-3.el8_8']], // the CVE is only "related" in the record
    );
    assert.equal(
      matchPackages(
        [rpm('python3-requests', '2.20.0-3.el8_8')],
        { family: 'alma', name: '8.8', source: 'x' },
        s,
      ).findings.length,
      0,
      'the fixed version itself',
    );
    assert.equal(
      matchPackages([rpm('firefox', '102.10.0-1.el8_7')], { family: 'rocky', name: '9.2', source: 'x' }, s)
        .findings.length,
      0,
      'another release',
    );
    s.close();
  });
});
