// CycloneDX 1.6 output checked against the official JSON schema; read back, it gives the same
// inventory; other tools' BOMs (Trivy, Syft) read into the packages their inputs list.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parsePurl, toInventory } from '../../src/sbom/common.js';
import { fromCycloneDX, toCycloneDX } from '../../src/sbom/cyclonedx.js';
import { readSbomJson } from '../../src/sbom/read.js';
import { img, SHARED, SKIP_IMAGES, SKIP_SHARED } from '../helpers/env.js';
import {
  alpineRootfs,
  assertValid,
  comparable,
  cyclonedxValidator,
  debianRootfs,
  NOW,
  scanTarget,
  TOOL,
  UUID,
} from './helpers.js';

type Json = Record<string, unknown>;
type Component = Json & { 'bom-ref': string; type: string; name: string; purl?: string; properties?: Prop[] };
type Prop = { name: string; value: string };

const propsOf = (c: Component, name: string) =>
  (c.properties ?? []).filter((p) => p.name === name).map((p) => p.value);

function readBack(bom: Json, source = 'bom.json') {
  return toInventory(fromCycloneDX(bom), source);
}

describe('CycloneDX output', () => {
  it('the official 1.6 schema rejects a broken BOM (the validator is not a no-op)', () => {
    const v = cyclonedxValidator();
    assert.equal(
      v({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'bogus', name: 'x' }] }),
      false,
    );
    assert.equal(v({ bomFormat: 'SPDX', specVersion: '1.6' }), false);
  });

  it('a directory scan: valid CycloneDX 1.6, metadata, OS, packages with purls and drydock facts', async () => {
    const r = await scanTarget(`rootfs:${debianRootfs()}`);
    const bom = toCycloneDX(r, { tool: TOOL, now: NOW, uuid: UUID });
    assertValid(cyclonedxValidator(), bom);
    assert.equal(bom.specVersion, '1.6');
    assert.equal(bom.serialNumber, `urn:uuid:${UUID}`);
    const meta = bom.metadata as { timestamp: string; tools: { components: Json[] }; component: Component };
    assert.equal(meta.timestamp, NOW.toISOString());
    assert.deepEqual(meta.tools.components, [
      { type: 'application', name: 'drydock', version: TOOL.version },
    ]);
    assert.equal(meta.component.type, 'application', 'a directory is an application, not a container');

    const comps = bom.components as Component[];
    const refs = comps.map((c) => c['bom-ref']);
    assert.equal(new Set(refs).size, refs.length, 'bom-refs are unique');
    const os = comps.filter((c) => c.type === 'operating-system');
    assert.deepEqual(
      os.map((c) => [c.name, c.version, c.description]),
      [['debian', '12.5', 'Debian GNU/Linux 12 (bookworm)']],
    );
    const libs = comps.filter((c) => c.type === 'library');
    assert.equal(libs.length, r.packages.length);
    const zlib = libs.find((c) => c.name === 'zlib1g') as Component;
    assert.equal(zlib.version, '1:1.2.13.dfsg-1');
    assert.equal(zlib.purl, 'pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.5&epoch=1');
    assert.deepEqual(zlib.supplier, { name: 'Mark Brown <broonie@debian.org>' });
    assert.deepEqual(propsOf(zlib, 'drydock:pkg:type'), ['deb']);
    assert.deepEqual(propsOf(zlib, 'drydock:pkg:epoch'), ['1']);
    assert.deepEqual(propsOf(zlib, 'drydock:pkg:srcName'), ['zlib']);
    assert.deepEqual(propsOf(zlib, 'drydock:pkg:filePath'), ['var/lib/dpkg/status']);
    assert.equal(
      libs.filter((c) => c.name === 'removed-pkg').length,
      0,
      'deinstalled packages are not listed',
    );
    const babel = libs.find((c) => c.name === '@babel/core' && propsOf(c, 'drydock:pkg:type')[0] === 'npm');
    assert.deepEqual(babel?.licenses, [{ license: { name: 'MIT' } }]);
    assert.deepEqual(propsOf(babel as Component, 'drydock:pkg:dev'), ['true']);

    // Dependencies: target -> OS -> OS packages; target -> application -> its packages.
    const deps = new Map(
      (bom.dependencies as { ref: string; dependsOn: string[] }[]).map((d) => [d.ref, d.dependsOn]),
    );
    const known = new Set([...refs, meta.component['bom-ref']]);
    for (const [ref, on] of deps) {
      assert.ok(known.has(ref), `dependency of unknown ${ref}`);
      for (const d of on) assert.ok(known.has(d), `dependency on unknown ${d}`);
    }
    const top = deps.get(meta.component['bom-ref']) ?? [];
    const osRef = os[0]?.['bom-ref'] as string;
    assert.ok(top.includes(osRef));
    assert.deepEqual(
      (deps.get(osRef) ?? []).map((ref) => comps.find((c) => c['bom-ref'] === ref)?.name).sort(),
      ['libgcc-s1', 'zlib1g'],
    );
    const apps = comps.filter((c) => c.type === 'application');
    assert.deepEqual(apps.map((c) => c.name).sort(), ['Node.js', 'Python', 'app/package-lock.json']);
    const lock = apps.find((c) => c.name === 'app/package-lock.json') as Component;
    assert.ok(top.includes(lock['bom-ref']));
    assert.equal(deps.get(lock['bom-ref'])?.length, 4);
  });

  it('duplicate purls (one package in two lockfiles) still get unique bom-refs', async () => {
    const r = await scanTarget(`rootfs:${debianRootfs()}`);
    const lodash = r.packages.find((p) => p.name === 'lodash' && p.version === '4.17.21');
    assert.ok(lodash);
    r.packages.push({ ...lodash, filePath: 'other/package-lock.json' });
    const bom = toCycloneDX(r, { tool: TOOL });
    assertValid(cyclonedxValidator(), bom);
    const refs = (bom.components as Component[]).map((c) => c['bom-ref']);
    assert.equal(new Set(refs).size, refs.length);
  });

  it('an image from a registry: pkg:oci purl from the repo digest, image ID as the hash, read back', async () => {
    const r = await scanTarget(`rootfs:${debianRootfs()}`);
    const digest = `sha256:${'ab'.repeat(32)}`;
    r.image = {
      ...r.image,
      kind: 'registry',
      configDigest: `sha256:${'cd'.repeat(32)}`,
      repoTags: ['registry.example:5000/team/app:1.0'],
      repoDigests: [`registry.example:5000/team/app@${digest}`],
      config: { ...r.image.config, architecture: 'arm64' },
    };
    const bom = toCycloneDX(r, { tool: TOOL });
    assertValid(cyclonedxValidator(), bom);
    const meta = (bom.metadata as { component: Component }).component;
    assert.equal(meta.type, 'container');
    assert.deepEqual(meta.hashes, [{ alg: 'SHA-256', content: 'cd'.repeat(32) }]);
    const purl = parsePurl(meta.purl as string);
    assert.deepEqual(
      [purl?.type, purl?.name, purl?.version, purl?.qualifiers.repository_url, purl?.qualifiers.arch],
      ['oci', 'app', digest, 'registry.example:5000/team/app', 'arm64'],
    );
    const back = readBack(bom);
    assert.deepEqual(
      [back.image.configDigest, back.image.repoTags, back.image.repoDigests],
      [r.image.configDigest, r.image.repoTags, r.image.repoDigests],
    );
  });

  it('a project directory (no OS): valid, no operating-system component, applications at the top', async () => {
    const dir = debianRootfs();
    const { rmSync } = await import('node:fs');
    for (const d of ['etc', 'var', 'usr']) rmSync(path.join(dir, d), { recursive: true });
    const r = await scanTarget(`rootfs:${dir}`);
    assert.equal(r.os, undefined);
    const bom = toCycloneDX(r, { tool: TOOL });
    assertValid(cyclonedxValidator(), bom);
    const comps = bom.components as Component[];
    assert.equal(comps.filter((c) => c.type === 'operating-system').length, 0);
    const top = (bom.dependencies as { ref: string; dependsOn: string[] }[])[0];
    assert.deepEqual(top?.dependsOn.map((ref) => comps.find((c) => c['bom-ref'] === ref)?.name).sort(), [
      'Node.js',
      'app/package-lock.json',
    ]);
    assert.deepEqual(comparable(readBack(bom).packages), comparable(r.packages));
  });

  for (const [label, make] of [
    ['Debian-like directory (dpkg, npm, Python)', debianRootfs],
    ['Alpine directory (apk with licenses)', alpineRootfs],
  ] as const) {
    it(`round trip: ${label} -> CycloneDX -> the same inventory`, async () => {
      const r = await scanTarget(`rootfs:${make()}`);
      assert.ok(r.packages.length >= 5);
      const back = readBack(JSON.parse(JSON.stringify(toCycloneDX(r, { tool: TOOL }))));
      assert.deepEqual(comparable(back.packages), comparable(r.packages));
      assert.deepEqual(
        [back.os?.family, back.os?.name, back.os?.prettyName, back.os?.codename],
        [r.os?.family, r.os?.name, r.os?.prettyName, r.os?.codename],
      );
      assert.equal(back.container, false);
    });
  }

  it('round trip of a real image: every field, layers (digest, diffID, created-by) and image identity', {
    skip: SKIP_IMAGES,
  }, async () => {
    const r = await scanTarget(img('debian-app.oci.tar'));
    const bom = toCycloneDX(r, { tool: TOOL });
    assertValid(cyclonedxValidator(), bom);
    const meta = (bom.metadata as { component: Component }).component;
    assert.equal(meta.type, 'container');
    assert.deepEqual(meta.hashes, [{ alg: 'SHA-256', content: r.image.configDigest?.slice(7) }]);
    const back = readBack(JSON.parse(JSON.stringify(bom)));
    assert.deepEqual(comparable(back.packages), comparable(r.packages));
    assert.deepEqual(back.layerInfo, r.layerInfo);
    assert.ok(
      back.packages.some((p) => p.layer && p.layer.index > 0),
      'packages from later layers keep them',
    );
    assert.equal(back.image.configDigest, r.image.configDigest);
    assert.equal(back.image.manifestDigest, r.image.manifestDigest);
    assert.deepEqual(back.image.repoTags, r.image.repoTags);
    assert.equal(back.container, true);
  });
});

describe('CycloneDX input from other tools', { skip: SKIP_SHARED }, () => {
  const trivy = (p: string) => path.join(SHARED, 'data/trivy-testdata', p);
  const syft = (p: string) => path.join(SHARED, 'data/syft-testdata/syft/format', p);
  const load = async (file: string) => {
    const { readFileSync } = await import('node:fs');
    return toInventory(readSbomJson(JSON.parse(readFileSync(file, 'utf8'))), 'in.json');
  };
  const row = (p: {
    type: string;
    name: string;
    version: string;
    filePath: string;
    layer?: { diffID: string };
  }) => [p.type, p.name, p.version, p.filePath, p.layer?.diffID.slice(7, 15) ?? ''].join(' ');

  it("Trivy's image BOM: types from its properties or the lockfile application, files, layers, OS", async () => {
    const inv = await load(trivy('pkg/sbom/cyclonedx/testdata/happy/bom.json'));
    // Read off the input: each library with Trivy's PkgType / FilePath / LayerDiffID, or the
    // application component (lockfile) whose dependsOn lists it.
    assert.deepEqual(inv.packages.map(row), [
      'apk musl 1.2.3-r0 in.json dd565ff8',
      'node-pkg @example/bootstrap 5.0.2 app/app/package.json 3c79e832',
      'composer pear/log 1.13.1 app/composer/composer.lock 3c79e832',
      'composer pear/pear_exception v1.0.0 app/composer/composer.lock 3c79e832',
      'gobinary github.com/package-url/packageurl-go v0.1.1-0.20220203205134-d70459300c8a app/gobinary/gobinary 3c79e832',
      'gradle com.example:example 0.0.1 app/gradle/target/gradle.lockfile 3c79e832',
      'jar org.codehaus.mojo:child-project 1.0 app/maven/target/child-project-1.0.jar 3c79e832',
    ]);
    assert.deepEqual([inv.os?.family, inv.os?.name], ['alpine', '3.16.0']);
    const musl = inv.packages[0];
    assert.deepEqual([musl?.srcName, musl?.srcVersion, musl?.licenses], ['musl', '1.2.3-r0', ['MIT']]);
    assert.deepEqual(
      inv.layerInfo.map((l) => l.diffID.slice(7, 15)),
      ['dd565ff8', '3c79e832'],
    );
    assert.equal(inv.image.configDigest?.slice(7, 15), '49193a23');
    assert.deepEqual(inv.image.repoTags, ['maven-test-project:latest']);
    assert.equal(inv.container, true);
  });

  it("Trivy's CentOS BOM, plain and as an in-toto attestation: rpm epochs, source packages", async () => {
    const plain = await load(trivy('integration/testdata/fixtures/sbom/centos-7-cyclonedx.json'));
    const attested = await load(trivy('integration/testdata/fixtures/sbom/centos-7-cyclonedx.intoto.jsonl'));
    const rows = (inv: typeof plain) =>
      inv.packages.map((p) => [p.type, p.name, p.version, p.arch, p.srcName, p.srcVersion].join(' '));
    assert.deepEqual(rows(plain), [
      'rpm bash 4.2.46-31.el7 x86_64 bash 4.2.46-31.el7',
      'rpm openssl-libs 1:1.0.2k-16.el7 x86_64 openssl 1:1.0.2k-16.el7',
    ]);
    assert.deepEqual(rows(attested), rows(plain));
    assert.deepEqual([plain.os?.family, plain.os?.name], ['centos', '7.6.1810']);
  });

  it('nested components: the enclosing application is the file; components without purls are skipped', async () => {
    const inv = await load(trivy('pkg/sbom/cyclonedx/testdata/happy/nested-packages-bom.json'));
    const test = inv.packages.find((p) => p.name === 'github.com/aquasecurity/test');
    assert.deepEqual([test?.type, test?.version, test?.filePath], ['gobinary', '', 'foo/bar/test.elf']);
    assert.equal(inv.packages.length, 5);
    const kbom = await load(trivy('pkg/sbom/cyclonedx/testdata/happy/kbom.json'));
    assert.ok(kbom.packages.some((p) => p.type === 'k8s' && p.name === 'k8s.io/kubelet'));
    assert.ok(kbom.warnings.some((w) => /without a purl/.test(w)));
  });

  it('a Maven group in the name or in group, and an invalid purl (skipped with a warning)', async () => {
    const g = await load(trivy('pkg/sbom/cyclonedx/testdata/happy/group-in-name.json'));
    assert.deepEqual(g.packages.map(row), [
      'jar org.springframework:spring-web 5.3.22 spring-web-5.3.22.jar ',
    ]);
    const bad = await load(trivy('pkg/sbom/cyclonedx/testdata/happy/invalid-purl.json'));
    assert.deepEqual(
      bad.packages.map((p) => p.name),
      ['pear/core'],
    );
    assert.deepEqual(bad.warnings, ['1 component(s) with an invalid purl skipped']);
  });

  it("Syft's image BOM: layer from syft:location, path made relative, OS component", async () => {
    const inv = await load(syft('cyclonedxjson/testdata/snapshot/TestCycloneDxImageEncoder.golden'));
    assert.deepEqual(inv.packages.map(row), ['deb package-2 2.0.1 somefile-2.txt redacted']);
    assert.deepEqual([inv.os?.family, inv.os?.name], ['debian', '1.2.3']);
    assert.deepEqual(inv.warnings, ['1 component(s) with an invalid purl skipped']);
  });

  it("Syft's BOMs of every spec version 1.2-1.7 read the same package", async () => {
    for (const v of ['1.2', '1.3', '1.4', '1.5', '1.6', '1.7']) {
      const inv = await load(syft(`cyclonedxjson/testdata/identify/${v}.json`));
      assert.deepEqual(
        inv.packages.map((p) => `${p.type} ${p.name}@${p.version}`),
        ['gobinary github.com/wagoodman/go-partybus@v0.0.0-20230516145632-8ccac152c651'],
        v,
      );
    }
  });
});
