// SPDX 2.3 output checked against the official SPDX 2.3 JSON schema and SPDX 2.3's other requirements;
// read back, it gives the same inventory; Trivy's and Syft's documents read too.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { toInventory } from '../../src/sbom/common.js';
import { readSbomJson } from '../../src/sbom/read.js';
import { fromSpdx, toSpdx } from '../../src/sbom/spdx.js';
import { img, SHARED, SKIP_IMAGES, SKIP_SHARED } from '../helpers/env.js';
import {
  alpineRootfs,
  assertSpdxStructure,
  assertValid,
  comparable,
  debianRootfs,
  NOW,
  scanTarget,
  spdxValidator,
  TOOL,
  UUID,
} from './helpers.js';

type Json = Record<string, unknown>;
type Pkg = Json & { SPDXID: string; name: string; annotations?: { comment: string }[] };

const facts = (p: Pkg) => (p.annotations ?? []).map((a) => a.comment);

describe('SPDX output', () => {
  it('a directory scan: SPDX 2.3 document, packages, purls, annotations, relationships', async () => {
    const r = await scanTarget(`rootfs:${debianRootfs()}`);
    const doc = toSpdx(r, { tool: TOOL, now: NOW, uuid: UUID });
    assertSpdxStructure(doc);
    assert.deepEqual(doc.creationInfo, {
      created: '2026-01-02T03:04:05Z',
      creators: ['Tool: drydock-0.0.0-test'],
    });
    assert.match(doc.documentNamespace as string, new RegExp(`-${UUID}$`));
    const pkgs = doc.packages as Pkg[];
    const subject = pkgs[0] as Pkg;
    assert.equal(subject.primaryPackagePurpose, 'APPLICATION');
    const os = pkgs.find((p) => p.primaryPackagePurpose === 'OPERATING-SYSTEM') as Pkg;
    assert.deepEqual([os.name, os.versionInfo], ['debian', '12.5']);
    const libs = pkgs.filter((p) => p.primaryPackagePurpose === 'LIBRARY');
    assert.equal(libs.length, r.packages.length);
    const zlib = libs.find((p) => p.name === 'zlib1g') as Pkg;
    assert.equal(zlib.versionInfo, '1:1.2.13.dfsg-1');
    assert.equal(zlib.supplier, 'Organization: Mark Brown <broonie@debian.org>');
    assert.deepEqual(zlib.externalRefs, [
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: 'pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.5&epoch=1',
      },
    ]);
    assert.deepEqual(facts(zlib), [
      'drydock:pkg:type: deb',
      'drydock:pkg:filePath: var/lib/dpkg/status',
      'drydock:pkg:arch: amd64',
      'drydock:pkg:srcName: zlib',
      'drydock:pkg:srcVersion: 1:1.2.13.dfsg-1',
    ]);
    assert.equal(zlib.licenseDeclared, 'NOASSERTION');
    const jinja = libs.find((p) => p.name === 'Jinja2') as Pkg;
    assert.ok(facts(jinja).includes('drydock:pkg:license: BSD-3-Clause'));

    const rels = doc.relationships as {
      spdxElementId: string;
      relationshipType: string;
      relatedSpdxElement: string;
    }[];
    const contains = (from: string) =>
      rels
        .filter((x) => x.spdxElementId === from && x.relationshipType === 'CONTAINS')
        .map((x) => x.relatedSpdxElement);
    assert.deepEqual(
      rels.filter((x) => x.relationshipType === 'DESCRIBES').map((x) => x.relatedSpdxElement),
      [subject.SPDXID],
    );
    assert.ok(contains(subject.SPDXID).includes(os.SPDXID));
    assert.deepEqual(
      contains(os.SPDXID)
        .map((id) => pkgs.find((p) => p.SPDXID === id)?.name)
        .sort(),
      ['libgcc-s1', 'zlib1g'],
    );
    // Every library is contained by exactly one parent.
    for (const l of libs)
      assert.equal(rels.filter((x) => x.relatedSpdxElement === l.SPDXID).length, 1, l.name);
  });

  it('validates against the official SPDX 2.3 JSON schema', async () => {
    const v = spdxValidator();
    const doc = toSpdx(await scanTarget(`rootfs:${debianRootfs()}`), { tool: TOOL });
    assertValid(v, doc);
    assertValid(v, toSpdx(await scanTarget(`rootfs:${alpineRootfs()}`), { tool: TOOL }));
    // The validator is not a no-op: each deliberate breakage of the valid document is rejected,
    // at the place it was made.
    const broken: [string, (d: Json & { packages: Pkg[]; creationInfo: Json }) => void, string][] = [
      ['no dataLicense', (d) => delete d.dataLicense, ''],
      [
        'a non-UTC date',
        (d) => (d.creationInfo.created = '2026-01-02T03:04:05+01:00'),
        '/creationInfo/created',
      ],
      ['an SPDXID with "_"', (d) => ((d.packages[1] as Pkg).SPDXID = 'SPDXRef-a_b'), '/packages/1/SPDXID'],
      ['a package without name', (d) => delete (d.packages[1] as Partial<Pkg>).name, '/packages/1'],
      [
        'an unknown purpose',
        (d) => ((d.packages[1] as Json).primaryPackagePurpose = 'LIB'),
        '/packages/1/primaryPackagePurpose',
      ],
      ['an unknown property', (d) => ((d.packages[1] as Json).version = '1'), '/packages/1'],
      [
        'an unknown relationship type',
        (d) => (((d.relationships as Json[])[0] as Json).relationshipType = 'HAS'),
        '/relationships/0/relationshipType',
      ],
    ];
    for (const [what, breakIt, at] of broken) {
      const d = structuredClone(doc) as Json & { packages: Pkg[]; creationInfo: Json };
      breakIt(d);
      assert.equal(v(d), false, `${what} must fail the schema`);
      const paths = (v.errors as { instancePath: string }[]).map((e) => e.instancePath);
      assert.ok(paths.includes(at), `${what}: errors at ${paths.join(', ')}`);
    }
    assert.equal(v({ spdxVersion: 'SPDX-2.3' }), false);
  });

  it('SPDX identifiers stay valid and unique for names with any characters', async () => {
    const r = await scanTarget(`rootfs:${debianRootfs()}`);
    const base = r.packages[0];
    assert.ok(base);
    for (const name of ['@scope/pkg', 'ünïcödé', 'a b/c:d', '', '...', 'x'.repeat(500)])
      r.packages.push({ ...base, name, type: 'npm', purl: `pkg:npm/${encodeURIComponent(name || 'x')}@1` });
    r.packages.push({ ...base }, { ...base });
    const doc = toSpdx(r, { tool: TOOL });
    assertSpdxStructure(doc);
  });

  it('OS packages without a detected OS: contained by the target; read back with a warning', async () => {
    const dir = debianRootfs();
    rmSync(path.join(dir, 'etc'), { recursive: true });
    const r = await scanTarget(`rootfs:${dir}`);
    assert.equal(r.os, undefined);
    const doc = toSpdx(r, { tool: TOOL });
    assertSpdxStructure(doc);
    const pkgs = doc.packages as Pkg[];
    const zlib = pkgs.find((p) => p.name === 'zlib1g') as Pkg;
    const rels = doc.relationships as { spdxElementId: string; relatedSpdxElement: string }[];
    assert.equal(rels.find((x) => x.relatedSpdxElement === zlib.SPDXID)?.spdxElementId, pkgs[0]?.SPDXID);
    const back = toInventory(fromSpdx(doc), 'x');
    assert.deepEqual(comparable(back.packages), comparable(r.packages));
    assert.deepEqual(back.warnings, ['the SBOM names no operating system: OS packages cannot be checked']);
  });

  for (const [label, make] of [
    ['Debian-like directory (dpkg, npm, Python)', debianRootfs],
    ['Alpine directory (apk with licenses)', alpineRootfs],
  ] as const) {
    it(`round trip: ${label} -> SPDX -> the same inventory`, async () => {
      const r = await scanTarget(`rootfs:${make()}`);
      const doc = toSpdx(r, { tool: TOOL });
      assertSpdxStructure(doc);
      const back = toInventory(fromSpdx(JSON.parse(JSON.stringify(doc))), 'doc.spdx.json');
      assert.deepEqual(comparable(back.packages), comparable(r.packages));
      assert.deepEqual(
        [back.os?.family, back.os?.name, back.os?.prettyName, back.os?.codename],
        [r.os?.family, r.os?.name, r.os?.prettyName, r.os?.codename],
      );
    });
  }

  it('round trip of a real image: every field, layers and image identity', {
    skip: SKIP_IMAGES,
  }, async () => {
    const r = await scanTarget(img('debian-app.oci.tar'));
    const doc = toSpdx(r, { tool: TOOL });
    assertSpdxStructure(doc);
    const subject = (doc.packages as Pkg[])[0] as Pkg;
    assert.equal(subject.primaryPackagePurpose, 'CONTAINER');
    assert.deepEqual(subject.checksums, [
      { algorithm: 'SHA256', checksumValue: r.image.configDigest?.slice(7) },
    ]);
    const back = toInventory(fromSpdx(JSON.parse(JSON.stringify(doc))), 'doc.spdx.json');
    assert.deepEqual(comparable(back.packages), comparable(r.packages));
    assert.deepEqual(back.layerInfo, r.layerInfo);
    assert.equal(back.image.configDigest, r.image.configDigest);
    assert.equal(back.container, true);
  });
});

describe('SPDX input from other tools', { skip: SKIP_SHARED }, () => {
  const load = (...p: string[]) =>
    toInventory(readSbomJson(JSON.parse(readFileSync(path.join(SHARED, 'data', ...p), 'utf8'))), 'in.json');

  it("Trivy's CentOS document (SPDX 2.2): the purl's version and epoch win over a short versionInfo", () => {
    const inv = load('trivy-testdata/integration/testdata/fixtures/sbom/centos-7-spdx.json');
    // versionInfo says "4.2.46" and "1:1.0.2k-19.el7"; the purls say 4.2.46-31.el7 and epoch=1
    // 1.0.2k-16.el7, as Trivy's CycloneDX document of the same scan does.
    assert.deepEqual(
      inv.packages.map((p) => [p.type, p.name, p.version, p.arch, p.layer?.diffID.slice(7, 15)].join(' ')),
      ['rpm bash 4.2.46-31.el7 x86_64 89169d87', 'rpm openssl-libs 1:1.0.2k-16.el7 x86_64 89169d87'],
    );
    assert.deepEqual([inv.os?.family, inv.os?.name], ['centos', '7.6.1810']);
    assert.deepEqual(
      inv.packages.map((p) => p.licenses),
      [['GPLv3+'], ['OpenSSL']],
    );
    assert.equal(inv.container, true);
    assert.equal(inv.image.configDigest?.slice(7, 15), 'f1cb7c7d');
  });

  it("Trivy's image document: applications give lockfile types and paths, annotations give layers", () => {
    const inv = load('trivy-testdata/pkg/sbom/spdx/testdata/happy/bom.json');
    const byName = new Map(inv.packages.map((p) => [p.name, p]));
    assert.equal(byName.get('musl')?.type, 'apk');
    assert.equal(byName.get('pear/log')?.type, 'composer');
    assert.equal(byName.get('pear/log')?.filePath, 'app/composer/composer.lock');
    assert.equal(byName.get('org.codehaus.mojo:child-project')?.type, 'jar');
    assert.equal(byName.get('musl')?.layer?.diffID.slice(7, 15), 'dd565ff8');
    assert.deepEqual(inv.image.repoTags, ['maven-test-project:latest', 'tmp-test:latest']);
    assert.deepEqual([inv.os?.family, inv.os?.name], ['alpine', '3.16.0']);
  });

  it("Syft's Alpine document: OS from the purl's distro qualifier, licenses, originator, upstream", () => {
    const inv = load('syft-testdata/syft/format/spdxjson/testdata/spdx/alpine-3.10.syft.spdx.json');
    assert.deepEqual([inv.os?.family, inv.os?.name], ['alpine', '3.10.9']);
    const busybox = inv.packages.find((p) => p.name === 'busybox');
    assert.deepEqual(
      [busybox?.type, busybox?.version, busybox?.arch, busybox?.licenses, busybox?.maintainer],
      ['apk', '1.30.1-r5', 'x86_64', ['GPL-2.0'], 'Natanael Copa <ncopa@alpinelinux.org>'],
    );
    assert.equal(inv.packages.find((p) => p.name === 'ssl_client')?.srcName, 'busybox');
  });

  it("Syft's SPDX 2.2 and 2.3 documents read the same package", () => {
    for (const v of ['2.2', '2.3']) {
      const inv = load(`syft-testdata/syft/format/spdxjson/testdata/identify/${v}.json`);
      assert.deepEqual(
        inv.packages.map((p) => `${p.type} ${p.name}@${p.version}`),
        ['gobinary github.com/wagoodman/go-partybus@v0.0.0-20230516145632-8ccac152c651'],
      );
    }
  });
});
