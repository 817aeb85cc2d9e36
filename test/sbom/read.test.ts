// Reading SBOMs: purl parsing, format detection, and hostile or broken input (each a one-line
// UserError, in bounded time and memory).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isUserError } from '../../src/errors.js';
import { apkPurl, debPurl, rpmPurl } from '../../src/inventory/packages.js';
import { langPurl } from '../../src/inventory/purl.js';
import { parsePurl, SBOM_LIMITS, toInventory } from '../../src/sbom/common.js';
import { readSbom, readSbomJson } from '../../src/sbom/read.js';
import { tmpdir } from '../helpers/env.js';

const OS = { family: 'debian', name: '12.5', source: 'etc/os-release' };

function file(name: string, text: string): string {
  const p = path.join(tmpdir('dd-sbom-read-'), name);
  writeFileSync(p, text);
  return p;
}

async function rejects(source: string, re: RegExp, limits = SBOM_LIMITS): Promise<void> {
  await assert.rejects(readSbom(source, limits), (e: unknown) => {
    assert.ok(isUserError(e), `a UserError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

const cdx = (extra: Record<string, unknown>) => ({ bomFormat: 'CycloneDX', specVersion: '1.6', ...extra });

describe('purl parsing', () => {
  it("reads back drydock's own OS purls: epoch, arch and distro qualifiers", () => {
    const deb = parsePurl(
      debPurl({ name: 'zlib1g', version: '1:1.2.13-1', arch: 'amd64' } as Parameters<typeof debPurl>[0], OS),
    );
    assert.deepEqual(deb, {
      type: 'deb',
      namespace: 'debian',
      name: 'zlib1g',
      version: '1.2.13-1',
      qualifiers: { arch: 'amd64', distro: 'debian-12.5', epoch: '1' },
    });
    const rpm = parsePurl(
      rpmPurl(
        { name: 'openssl-libs', epoch: 1, version: '3.0.7', release: '27.el9', arch: 'x86_64' } as Parameters<
          typeof rpmPurl
        >[0],
        { family: 'redhat', name: '9.3', source: '' },
      ),
    );
    assert.deepEqual(
      [rpm?.type, rpm?.namespace, rpm?.version, rpm?.qualifiers.epoch],
      ['rpm', 'redhat', '3.0.7-27.el9', '1'],
    );
    const apk = parsePurl(
      apkPurl({ name: 'musl', version: '1.2.4-r2', arch: 'x86_64' } as Parameters<typeof apkPurl>[0], {
        family: 'alpine',
        name: '3.19.1',
        source: '',
      }),
    );
    assert.deepEqual([apk?.namespace, apk?.qualifiers.distro], ['alpine', '3.19.1']);
  });

  it('scoped npm names, Go module paths, Maven groups, %-escapes, subpaths', () => {
    assert.deepEqual(parsePurl('pkg:npm/%40babel/core@7.24.0'), {
      type: 'npm',
      namespace: '@babel',
      name: 'core',
      version: '7.24.0',
      qualifiers: {},
    });
    assert.equal(parsePurl('pkg:npm/@babel/core@7.24.0')?.namespace, '@babel');
    assert.equal(parsePurl('pkg:golang/github.com/a/b@v1.0.0#sub/dir')?.namespace, 'github.com/a');
    assert.equal(parsePurl('pkg:maven/org.x/y@1.0?type=jar')?.qualifiers.type, 'jar');
    assert.equal(parsePurl('pkg:oci/debian@sha256%3Aabc?repository_url=r/x')?.version, 'sha256:abc');
    assert.equal(parsePurl('pkg:golang/github.com/aquasecurity/test')?.version, undefined);
  });

  it('rejects what is not a purl', () => {
    for (const s of [
      'a-purl-1',
      'invalid-purl-format',
      'pkg:',
      'pkg:npm',
      'pkg:/x@1',
      'pkg:npm/',
      'pkg:npm//@1',
      'pkg:np m/x',
      'pkg:npm/%E0%A4%A@1',
    ])
      assert.equal(parsePurl(s), undefined, s);
    assert.equal(parsePurl(`pkg:npm/${'x'.repeat(5000)}@1`), undefined, 'overlong');
  });

  it('property: langPurl output parses back to its name and version; nothing throws', () => {
    const seg = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('/') && s.trim() === s);
    fc.assert(
      fc.property(seg, fc.string({ minLength: 1, maxLength: 20 }), (name, version) => {
        const p = parsePurl(langPurl('cargo', name, version));
        assert.deepEqual([p?.name, p?.version], [name, version]);
      }),
    );
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => void parsePurl(`pkg:${s}`)));
  });
});

describe('format detection and shape', () => {
  it('not JSON, empty, XML, tag-value, a directory, a missing file', async () => {
    await rejects(file('a.json', 'not an sbom!'), /^.*a\.json: not JSON \(/);
    await rejects(file('b.json', '{"bomFormat": "CycloneDX", '), /not JSON/);
    await rejects(file('c.json', '  \n'), /empty file/);
    await rejects(file('d.xml', '<?xml version="1.0"?><bom/>'), /XML SBOMs are not supported/);
    await rejects(file('e.spdx', 'SPDXVersion: SPDX-2.3\n'), /tag-value is not supported/);
    await rejects(tmpdir(), /is a directory/);
    await rejects('/nonexistent/sbom.json', /cannot open/);
  });

  it('JSON of the wrong shape', () => {
    const bad = (v: unknown, re: RegExp) =>
      assert.throws(
        () => readSbomJson(v),
        (e: unknown) => isUserError(e) && re.test(e.message),
      );
    bad([], /not a JSON object/);
    bad(42, /not a JSON object/);
    bad({ hello: 'world' }, /no bomFormat or spdxVersion/);
    bad({ bomFormat: 'CycloneDX' }, /unsupported CycloneDX specVersion \(none\)/);
    bad({ bomFormat: 'CycloneDX', specVersion: 2 }, /unsupported CycloneDX specVersion 2/);
    bad(cdx({ specVersion: '2.0' }), /unsupported CycloneDX specVersion "2.0"/);
    bad(cdx({ components: { a: 1 } }), /components is not an array/);
    bad({ spdxVersion: 'SPDX-3.0' }, /SPDX 3/);
    bad({ '@context': 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld' }, /SPDX 3 JSON-LD/);
    bad({ spdxVersion: 'SPDX-2.3', packages: 'x' }, /packages is not an array/);
    bad({ payloadType: 'application/vnd.in-toto+json', payload: '!!!' }, /not JSON/);
    bad({ payloadType: 'text/plain', payload: 'e30=' }, /unsupported attestation payload/);
  });

  it('elements of the wrong type are skipped with a warning, never a crash', () => {
    const doc = readSbomJson(
      cdx({
        metadata: 'x',
        components: [
          null,
          7,
          'str',
          {
            type: 'library',
            name: 5,
            purl: 'pkg:npm/a@1',
            properties: 'x',
            licenses: [null, { license: 3 }],
          },
          { type: 'library', purl: 'pkg:npm/b@2', properties: [null, { name: 1 }], components: 'x' },
          { type: 'operating-system', name: 7 },
        ],
        dependencies: [null, { ref: 1 }, { ref: 'x', dependsOn: 'y' }],
      }),
    );
    const inv = toInventory(doc, 'x.json');
    assert.deepEqual(
      inv.packages.map((p) => `${p.type} ${p.name}@${p.version}`),
      ['node-pkg a@1', 'node-pkg b@2'],
    );
    assert.deepEqual(inv.warnings, ['3 CycloneDX component(s) that are not objects skipped']);
    assert.equal(inv.os, undefined);
  });

  it('SPDX with missing fields: no creationInfo, packages without SPDXID, name, version or refs', () => {
    const inv = toInventory(
      readSbomJson({
        spdxVersion: 'SPDX-2.3',
        packages: [
          {
            externalRefs: [
              {
                referenceCategory: 'PACKAGE-MANAGER',
                referenceType: 'purl',
                referenceLocator: 'pkg:pypi/jinja2@3.1.2',
              },
            ],
          },
          { name: 'no-refs', versionInfo: '1' },
          { SPDXID: 'SPDXRef-x', externalRefs: [null, { referenceType: 'purl' }, 'x'] },
          null,
        ],
        relationships: [null, { relationshipType: 'DESCRIBES' }, { spdxElementId: 1 }],
      }),
      'x.spdx.json',
    );
    assert.deepEqual(
      inv.packages.map((p) => `${p.type} ${p.name}@${p.version}`),
      ['python-pkg jinja2@3.1.2'],
    );
    assert.deepEqual(inv.warnings, [
      '1 SPDX package(s) that are not objects skipped',
      '2 component(s) without a purl skipped',
    ]);
  });

  it('an SPDX document with nothing but its version is an empty inventory', () => {
    const inv = toInventory(readSbomJson({ spdxVersion: 'SPDX-2.2' }), 'x');
    assert.deepEqual([inv.packages, inv.os, inv.container], [[], undefined, false]);
  });
});

describe('bounds', () => {
  it('a CycloneDX BOM with 1,000,000 components fails fast with one line', async () => {
    const one = '{"type":"library","name":"a","purl":"pkg:npm/a@1"}';
    const p = file(
      'huge.json',
      `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${Array(1_000_000).fill(one).join(',')}]}`,
    );
    const t0 = Date.now();
    await rejects(p, /more than 200000 CycloneDX components/);
    assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
  });

  it('an SPDX document with too many packages', () => {
    assert.throws(
      () =>
        readSbomJson(
          { spdxVersion: 'SPDX-2.3', packages: Array(11).fill({}) },
          { ...SBOM_LIMITS, maxComponents: 10 },
        ),
      /more than 10 SPDX packages/,
    );
  });

  it('components nested 100,000 deep: refused at the depth limit, no stack overflow', async () => {
    const depth = 100_000;
    const text = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":${'[{"type":"application","name":"x","components":'.repeat(depth)}[]${'}]'.repeat(depth)}}`;
    await rejects(file('deep.json', text), /nested deeper than 64/);
  });

  it('nesting within the limit is read, and counts toward the component limit', () => {
    let c: Record<string, unknown> = { type: 'library', name: 'leaf', purl: 'pkg:npm/leaf@1' };
    for (let i = 0; i < 30; i++) c = { type: 'application', name: `app${i}`, components: [c] };
    const inv = toInventory(readSbomJson(cdx({ components: [c] })), 'x');
    assert.deepEqual(
      inv.packages.map((p) => [p.name, p.filePath]),
      [['leaf', 'app0']],
    );
    assert.throws(
      () => readSbomJson(cdx({ components: [c] }), { ...SBOM_LIMITS, maxComponents: 20 }),
      /more than 20/,
    );
  });

  it('deeply nested JSON elsewhere (a property value) is harmless', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const p = file(
      'deep2.json',
      `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","purl":"pkg:npm/a@1","properties":[{"name":"x","value":${deep}}]}]}`,
    );
    const inv = await readSbom(p);
    assert.equal(inv.packages.length, 1);
  });

  it('a file larger than the byte limit is refused before parsing', async () => {
    await rejects(file('big.json', `{"x":"${'a'.repeat(5000)}"}`), /larger than 0 MiB: refusing/, {
      ...SBOM_LIMITS,
      maxBytes: 1000,
    });
  });
});
