// Shared by the SBOM tests: small root filesystems to scan, the official schemas, and the
// comparisons a round trip is judged by.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { openImage } from '../../src/image/source/open.js';
import type { Package } from '../../src/inventory/packages.js';
import { type ScanResult, scanImage } from '../../src/scan/scan.js';
import { ROOT, tmpdir } from '../helpers/env.js';

export const NOW = new Date('2026-01-02T03:04:05.678Z');
export const TOOL = { name: 'drydock', version: '0.0.0-test' };
export const UUID = '00000000-0000-4000-8000-000000000000';

function write(root: string, rel: string, text: string): void {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
}

const DPKG_STATUS = `Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime

Package: libgcc-s1
Status: install ok installed
Maintainer: Debian GCC Maintainers <debian-gcc@lists.debian.org>
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14
Description: GCC support library

Package: removed-pkg
Status: deinstall ok config-files
Architecture: all
Version: 1.0
Description: not installed any more
`;

const PACKAGE_LOCK = {
  name: 'app',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'app', version: '1.0.0' },
    'node_modules/@babel/core': { version: '7.24.0', license: 'MIT', dev: true },
    'node_modules/lodash': { version: '4.17.21', license: 'MIT' },
    'node_modules/a/node_modules/lodash': { version: '3.10.1' },
    'node_modules/a': { version: '1.0.0', license: 'ISC' },
  },
};

/**
 * A Debian-like root filesystem: dpkg status (an epoch, a source with its own version, a removed
 * package), an npm lockfile, installed node_modules and a Python distribution.
 */
export function debianRootfs(): string {
  const root = tmpdir('dd-sbom-deb-');
  write(
    root,
    'etc/os-release',
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
  );
  write(root, 'etc/debian_version', '12.5\n');
  write(root, 'var/lib/dpkg/status', DPKG_STATUS);
  write(root, 'app/package-lock.json', JSON.stringify(PACKAGE_LOCK));
  write(root, 'app/package.json', JSON.stringify({ name: 'app', version: '1.0.0' }));
  write(
    root,
    'app/node_modules/lodash/package.json',
    JSON.stringify({ name: 'lodash', version: '4.17.21', license: 'MIT' }),
  );
  write(
    root,
    'app/node_modules/@babel/core/package.json',
    JSON.stringify({ name: '@babel/core', version: '7.24.0', license: 'MIT' }),
  );
  write(
    root,
    'usr/lib/python3/dist-packages/Jinja2-3.1.2.dist-info/METADATA',
    'Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\nLicense: BSD-3-Clause\n\nA templating engine.\n',
  );
  return root;
}

/** An Alpine root filesystem from the committed apk fixture (packages with licenses and origins). */
export function alpineRootfs(): string {
  const root = tmpdir('dd-sbom-apk-');
  const fx = path.join(ROOT, 'test', 'fixtures', 'apk');
  mkdirSync(path.join(root, 'lib/apk/db'), { recursive: true });
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  copyFileSync(path.join(fx, 'alpine-3.10.installed'), path.join(root, 'lib/apk/db/installed'));
  copyFileSync(path.join(fx, 'alpine-3.10.os-release'), path.join(root, 'etc/os-release'));
  copyFileSync(path.join(fx, 'alpine-3.10.alpine-release'), path.join(root, 'etc/alpine-release'));
  return root;
}

export async function scanTarget(target: string): Promise<ScanResult> {
  const image = await openImage(target);
  try {
    return await scanImage(image, { cacheDir: null, now: NOW });
  } finally {
    await image.close();
  }
}

/**
 * A package as a round trip must keep it: every field, the layer only where the scan had one
 * (a directory scan has no layer digests to carry).
 */
export function comparable(pkgs: Package[]): string[] {
  return pkgs
    .map((p) => {
      const { layer, ...rest } = p;
      const l = layer?.diffID ? layer : undefined;
      return JSON.stringify({ ...rest, layer: l }, Object.keys({ ...rest, layer: l }).sort());
    })
    .sort();
}

// ---------------------------------------------------------------------------------------------
// Schemas

const require = createRequire(import.meta.url);

type Validate = ((doc: unknown) => boolean) & { errors?: unknown[] | null };

let cdx: Validate | undefined;

/**
 * The official CycloneDX 1.6 JSON schema (with the SPDX license-id and JSF schemas it references),
 * as the CycloneDX JavaScript library ships them. The library renames the referenced files
 * ("spdx.SNAPSHOT.schema.json"); the references are pointed back at the official names.
 */
export function cyclonedxValidator(): Validate {
  if (cdx) return cdx;
  const Ajv = require('ajv') as typeof import('ajv').default;
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const dir = path.join(
    path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')),
    'res/schema',
  );
  const load = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Formats ajv-formats does not define; the CycloneDX library adds them from another package.
  ajv.addFormat('idn-email', /^\S+@\S+$/);
  ajv.addFormat('iri-reference', /^\S*$/);
  ajv.addSchema(JSON.parse(load('spdx.SNAPSHOT.schema.json')));
  ajv.addSchema(JSON.parse(load('jsf-0.82.SNAPSHOT.schema.json')));
  const bom = load('bom-1.6.SNAPSHOT.schema.json').replace(
    /(spdx|jsf-0\.82)\.SNAPSHOT\.schema\.json/g,
    '$1.schema.json',
  );
  cdx = ajv.compile(JSON.parse(bom)) as Validate;
  return cdx;
}

/**
 * The official SPDX 2.3 JSON schema (spdx-spec schemas/spdx-schema.json, "SPDX 2.3.1"), committed
 * unmodified as a fixture because no npm package ships it (origin in test/fixtures/README.md).
 * DRYDOCK_SPDX_SCHEMA may name another copy (a later 2.3.x) to validate against instead.
 */
export const SPDX_SCHEMA =
  process.env.DRYDOCK_SPDX_SCHEMA || path.join(ROOT, 'test', 'fixtures', 'sbom', 'spdx-2.3.schema.json');

let spdx: Validate | undefined;

export function spdxValidator(): Validate {
  if (spdx) return spdx;
  const schema = JSON.parse(readFileSync(SPDX_SCHEMA, 'utf8')) as { $schema?: string };
  // The schema declares draft 2019-09, which the default Ajv class (draft-07) refuses.
  const Ajv = (
    schema.$schema?.includes('2019-09') ? require('ajv/dist/2019') : require('ajv')
  ) as typeof import('ajv/dist/2019.js').default;
  const ajv = new Ajv({ strict: false, allErrors: true });
  (require('ajv-formats') as typeof import('ajv-formats').default)(ajv);
  spdx = ajv.compile(schema) as Validate;
  return spdx;
}

export function assertValid(validate: Validate, doc: unknown): void {
  const ok = validate(doc);
  assert.ok(ok, `schema errors: ${JSON.stringify(validate.errors?.slice(0, 5), null, 1)}`);
}

const SPDX_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;
const SPDX_ID = /^SPDXRef-[A-Za-z0-9.-]+$/;

/**
 * What SPDX 2.3 requires of a document: first the official JSON schema, then what the schema
 * cannot express (its clauses are cited): document creation fields (6.1-6.9), package identity and
 * download location (7.1, 7.2, 7.7), unique element identifiers, relationships between existing
 * elements (11.1) and a DESCRIBES.
 */
export function assertSpdxStructure(doc: Record<string, unknown>): void {
  assertValid(spdxValidator(), doc);
  assert.equal(doc.spdxVersion, 'SPDX-2.3');
  assert.equal(doc.dataLicense, 'CC0-1.0');
  assert.equal(doc.SPDXID, 'SPDXRef-DOCUMENT');
  assert.equal(typeof doc.name, 'string');
  assert.match(doc.documentNamespace as string, /^https?:\/\/[^#\s]+$/);
  const ci = doc.creationInfo as { created: string; creators: string[] };
  assert.match(ci.created, SPDX_DATE);
  assert.ok(ci.creators.length >= 1);
  for (const c of ci.creators) assert.match(c, /^(Tool|Organization|Person): \S/);
  const pkgs = doc.packages as Record<string, unknown>[];
  const ids = new Set<string>(['SPDXRef-DOCUMENT']);
  for (const p of pkgs) {
    assert.match(p.SPDXID as string, SPDX_ID);
    assert.ok(!ids.has(p.SPDXID as string), `duplicate ${p.SPDXID}`);
    ids.add(p.SPDXID as string);
    assert.equal(typeof p.name, 'string');
    assert.ok((p.name as string).length > 0);
    assert.equal(typeof p.downloadLocation, 'string');
    assert.equal(p.filesAnalyzed, false, 'no files are listed, so filesAnalyzed must be false');
    for (const a of (p.annotations ?? []) as Record<string, string>[]) {
      assert.match(a.annotationDate as string, SPDX_DATE);
      assert.ok(a.annotationType === 'OTHER' || a.annotationType === 'REVIEW');
      assert.match(a.annotator as string, /^(Tool|Organization|Person): \S/);
      assert.equal(typeof a.comment, 'string');
    }
    for (const r of (p.externalRefs ?? []) as Record<string, string>[]) {
      assert.equal(r.referenceCategory, 'PACKAGE-MANAGER');
      assert.equal(r.referenceType, 'purl');
      assert.match(r.referenceLocator as string, /^pkg:[a-z]/);
    }
    for (const c of (p.checksums ?? []) as Record<string, string>[]) {
      assert.equal(c.algorithm, 'SHA256');
      assert.match(c.checksumValue as string, /^[0-9a-f]{64}$/);
    }
  }
  const rels = doc.relationships as Record<string, string>[];
  assert.ok(rels.some((r) => r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES'));
  for (const r of rels) {
    assert.ok(ids.has(r.spdxElementId as string), `relationship from unknown ${r.spdxElementId}`);
    assert.ok(ids.has(r.relatedSpdxElement as string), `relationship to unknown ${r.relatedSpdxElement}`);
  }
}
