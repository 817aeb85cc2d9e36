// VEX input: OpenVEX and CycloneDX VEX statements suppressing findings, and the purl rules they
// use. Expected results follow the OpenVEX and CycloneDX specifications and the purl-matching rules
// Trivy documents (no version: all versions; no qualifiers: any; named qualifiers must agree).
// Real documents from ../shared (Ubuntu's and Chainguard's OpenVEX, a Trivy test input) are read
// when present.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isUserError, type UserError } from '../../src/errors.js';
import type { Finding } from '../../src/match/match.js';
import { parsePurl, purlMatches } from '../../src/scan/purl-match.js';
import { applyVex, loadVexFiles, parseVex, type VexDocument } from '../../src/scan/vex.js';
import { suppress } from '../../src/scan/vulns.js';
import { SHARED, SKIP_SHARED, tmpdir } from '../helpers/env.js';

function finding(id: string, aliases: string[], purl: string): Finding {
  const [, name = '', version = ''] = /^pkg:[^/]+\/(?:.*\/)?([^@/]+)@([^?#]+)/.exec(purl) ?? [];
  return {
    id,
    aliases,
    pkg: { type: 'npm', name, version, purl, filePath: 'package-lock.json', layer: undefined },
    installedVersion: version,
    status: 'fixed',
    severity: 'MEDIUM',
    severitySource: 'ghsa',
    cvss: [],
    dataSource: 'ghsa',
    namespace: 'npm',
    why: '',
  };
}

const LODASH = finding('CVE-2019-10744', ['GHSA-jf85-cpcp-j695'], 'pkg:npm/lodash@4.17.11');
const JQUERY = finding('CVE-2020-11022', ['GHSA-gxr4-xjj5-5px2'], 'pkg:npm/jquery@3.4.1');

function openvex(statements: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://example.com/vex-1',
    author: 'test',
    timestamp: '2024-01-01T00:00:00Z',
    version: 1,
    statements,
    ...extra,
  });
}

function cdx(vulnerabilities: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    vulnerabilities,
    ...extra,
  });
}

function keptIds(docs: VexDocument[], findings: Finding[]): string[] {
  return applyVex(findings, docs).kept.map((f) => f.id);
}

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isUserError(e), `not a UserError: ${String(e)}`);
    assert.equal((e as UserError).exitCode, 2);
    assert.ok(!(e as Error).message.includes('\n'), (e as Error).message);
    return (e as Error).message;
  }
  assert.fail('no error thrown');
}

describe('purl matching', () => {
  const m = (pattern: string, actual: string) => {
    const p = parsePurl(pattern);
    const a = parsePurl(actual);
    assert.ok(p && a, `${pattern} / ${actual}`);
    return purlMatches(p, a);
  };

  it('follows the documented rules for versions and qualifiers', () => {
    const g = 'pkg:maven/com.google.guava/guava';
    assert.ok(m(g, `${g}@24.1.1`));
    assert.ok(m(g, `${g}@30.0`));
    assert.ok(m(`${g}@24.1.1`, `${g}@24.1.1?classifier=x86`));
    assert.ok(m(`${g}@24.1.1`, `${g}@24.1.1?type=pom`));
    assert.ok(m(`${g}@24.1.1?classifier=x86`, `${g}@24.1.1?classifier=x86&type=dll`));
    assert.ok(!m(`${g}@24.1.1?classifier=x86`, `${g}@24.1.1`));
    assert.ok(!m(`${g}@24.1.1?classifier=x86`, `${g}@24.1.1?classifier=sources`));
    assert.ok(!m(`${g}@24.1.1`, `${g}@30.0`));
    assert.ok(!m('pkg:maven/com.google/guava', `${g}@30.0`));
  });

  it('decodes percent-encoding and tolerates hand-written forms', () => {
    assert.ok(m('pkg:npm/%40babel/core@7.0.0', 'pkg:npm/@babel/core@7.0.0'));
    assert.ok(m('pkg:npm/@babel/core', 'pkg:npm/%40babel/core@7.0.0'));
    assert.ok(m('PKG:NPM/lodash', 'pkg:npm/lodash@4.17.11'));
    assert.ok(
      m('pkg:deb/debian/openssl@3.0.11-1%7Edeb12u2', 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64'),
    );
    assert.ok(m('pkg:pypi/Jinja_2', 'pkg:pypi/jinja-2@2.11.2'));
    assert.ok(
      m(
        'pkg:golang/github.com/aws/aws-sdk-go@v1.44.234',
        'pkg:golang/github.com/aws/aws-sdk-go@v1.44.234#sub',
      ),
    );
    for (const bad of [
      'npm/lodash',
      'pkg:npm',
      'pkg:npm/%zz@1',
      'pkg:npm/x?a',
      '',
      `pkg:npm/${'a'.repeat(5000)}`,
    ])
      assert.equal(parsePurl(bad), undefined, bad);
  });
});

describe('OpenVEX', () => {
  it('not_affected and fixed suppress the named package; affected and under_investigation do not', () => {
    for (const [status, suppressed] of [
      ['not_affected', true],
      ['fixed', true],
      ['affected', false],
      ['under_investigation', false],
    ] as const) {
      const doc = parseVex(
        openvex([
          {
            vulnerability: { name: 'CVE-2020-11022' },
            products: [{ '@id': 'pkg:npm/jquery@3.4.1' }],
            status,
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ]),
        'v.json',
      );
      assert.equal(doc.format, 'openvex');
      assert.deepEqual(
        keptIds([doc], [LODASH, JQUERY]),
        suppressed ? ['CVE-2019-10744'] : ['CVE-2019-10744', 'CVE-2020-11022'],
        status,
      );
    }
  });

  it('matches by name, @id or aliases against the finding id and aliases; by purl rules', () => {
    const st = (vulnerability: unknown, product: string) =>
      parseVex(openvex([{ vulnerability, products: [{ '@id': product }], status: 'not_affected' }]), 'v');
    assert.deepEqual(keptIds([st({ name: 'GHSA-gxr4-xjj5-5px2' }, 'pkg:npm/jquery')], [JQUERY]), []);
    assert.deepEqual(keptIds([st({ '@id': 'CVE-2020-11022' }, 'pkg:npm/jquery')], [JQUERY]), []);
    assert.deepEqual(
      keptIds([st({ name: 'X-1', aliases: ['cve-2020-11022'] }, 'pkg:npm/jquery')], [JQUERY]),
      [],
    );
    assert.deepEqual(keptIds([st('CVE-2020-11022', 'pkg:npm/jquery@3.4.1')], [JQUERY]), []);
    assert.deepEqual(keptIds([st({ name: 'CVE-2020-11022' }, 'pkg:npm/jquery@3.5.0')], [JQUERY]), [
      'CVE-2020-11022',
    ]);
    assert.deepEqual(keptIds([st({ name: 'CVE-2020-11022' }, 'pkg:npm/lodash')], [JQUERY]), [
      'CVE-2020-11022',
    ]);
    assert.deepEqual(keptIds([st({ name: 'CVE-2019-10744' }, 'pkg:npm/jquery')], [JQUERY]), [
      'CVE-2020-11022',
    ]);
  });

  it('products by identifiers.purl, subcomponents (product or statement level), plain strings', () => {
    const docs = [
      parseVex(
        openvex([
          {
            vulnerability: { name: 'CVE-2020-11022' },
            products: [{ '@id': 'pkg:oci/app', subcomponents: [{ '@id': 'pkg:npm/jquery' }] }],
            status: 'not_affected',
          },
          {
            vulnerability: { name: 'CVE-2019-10744' },
            products: [{ identifiers: { purl: 'pkg:npm/lodash@4.17.11' } }],
            status: 'fixed',
          },
        ]),
        'v',
      ),
    ];
    assert.deepEqual(keptIds(docs, [LODASH, JQUERY]), []);
    // The product of a statement with subcomponents is not itself suppressed.
    const app = finding('CVE-2020-11022', [], 'pkg:oci/app@1');
    assert.deepEqual(keptIds(docs, [app]), ['CVE-2020-11022']);
    // OpenVEX 0.0.1: vulnerability and products as strings, subcomponents on the statement.
    const old = parseVex(
      JSON.stringify({
        '@context': 'https://openvex.dev/ns',
        statements: [
          {
            vulnerability: 'CVE-2020-11022',
            products: ['pkg:oci/app'],
            subcomponents: ['pkg:npm/jquery@3.4.1'],
            status: 'not_affected',
          },
        ],
      }),
      'old',
    );
    assert.deepEqual(keptIds([old], [JQUERY, app]), ['CVE-2020-11022']);
    assert.equal(applyVex([JQUERY, app], [old]).kept[0]?.pkg.name, 'app');
    // A product that is not a purl matches nothing and is counted.
    const url = parseVex(
      openvex([
        {
          vulnerability: 'CVE-2020-11022',
          products: [{ '@id': 'https://example.com/app' }],
          status: 'not_affected',
        },
      ]),
      'u',
    );
    assert.equal(url.unresolved, 1);
    assert.deepEqual(keptIds([url], [JQUERY]), ['CVE-2020-11022']);
  });

  it('the latest statement about a finding decides; ties go to the later statement or file', () => {
    const s = (status: string, timestamp?: string) => ({
      vulnerability: { name: 'CVE-2020-11022' },
      products: [{ '@id': 'pkg:npm/jquery' }],
      status,
      ...(timestamp ? { timestamp } : {}),
    });
    const one = (...sts: unknown[]) => [parseVex(openvex(sts), 'v')];
    assert.deepEqual(
      keptIds(one(s('not_affected', '2024-01-01T00:00:00Z'), s('affected', '2024-02-01T00:00:00Z')), [
        JQUERY,
      ]),
      ['CVE-2020-11022'],
    );
    assert.deepEqual(
      keptIds(one(s('affected', '2024-02-01T00:00:00Z'), s('not_affected', '2024-01-01T00:00:00Z')), [
        JQUERY,
      ]),
      ['CVE-2020-11022'],
    );
    assert.deepEqual(keptIds(one(s('under_investigation'), s('not_affected')), [JQUERY]), []);
    // The document timestamp stands in for a statement without one.
    const early = parseVex(openvex([s('not_affected')], { timestamp: '2023-01-01T00:00:00Z' }), 'a');
    const late = parseVex(openvex([s('affected')], { timestamp: '2024-01-01T00:00:00Z' }), 'b');
    assert.deepEqual(keptIds([late, early], [JQUERY]), ['CVE-2020-11022']);
  });

  it('reads the OpenVEX document inside an in-toto statement', () => {
    const doc = parseVex(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v0.1',
        predicateType: 'https://openvex.dev/ns',
        subject: [],
        predicate: JSON.parse(
          openvex([
            {
              vulnerability: { name: 'CVE-2020-11022' },
              products: [{ '@id': 'pkg:npm/jquery' }],
              status: 'not_affected',
            },
          ]),
        ),
      }),
      'att',
    );
    assert.deepEqual(keptIds([doc], [JQUERY]), []);
  });

  it('real documents: Ubuntu (deb purls with qualifiers), Chainguard (identifiers, aliases), Trivy (subcomponents)', {
    skip: SKIP_SHARED,
  }, () => {
    const data = path.join(SHARED, 'data');
    const read = (p: string) => parseVex(readFileSync(path.join(data, p), 'utf8'), p);
    const ubuntu = read('vunnel-provider-fixtures/ubuntu/test-fixtures/vex/cve/2023/CVE-2023-38545.json');
    assert.deepEqual(ubuntu.statements.map((s) => s.status).sort(), ['affected', 'fixed', 'not_affected']);
    const curl = (v: string, distro: string) =>
      finding('CVE-2023-38545', [], `pkg:deb/ubuntu/curl@${v}?arch=amd64&distro=${distro}`);
    // jammy's 7.81.0-1ubuntu1.24 is in the "fixed" statement; xenial's 7.47.0-1ubuntu2.19 is "affected";
    // focal's esm 7.68.0-1ubuntu2.25+esm3 "not_affected" (the "+" is written raw in that file).
    const jammy = curl('7.81.0-1ubuntu1.24', 'jammy');
    const xenial = curl('7.47.0-1ubuntu2.19', 'xenial');
    const focal = curl('7.68.0-1ubuntu2.25%2Besm3', 'esm-infra%2Ffocal');
    assert.deepEqual(applyVex([jammy, xenial, focal], [ubuntu]).kept, [xenial]);
    // Its products name distro=jammy: a purl with another distro qualifier is not matched.
    assert.deepEqual(applyVex([curl('7.81.0-1ubuntu1.24', 'ubuntu-22.04')], [ubuntu]).kept.length, 1);

    const cg = read(
      'vunnel-provider-fixtures/chainguard_libraries/test-fixtures/input/openvex/pypi/urllib3.openvex.json',
    );
    const urllib3 = (v: string) => ({
      ...finding('CVE-2023-45803', ['GHSA-g4mx-q9vg-27p4'], `pkg:pypi/urllib3@${v}`),
    });
    assert.deepEqual(
      applyVex([urllib3('1.26.16+cgr.1'), urllib3('1.26.16')], [cg]).kept.map((f) => f.pkg.version),
      ['1.26.16'],
    );

    const trivy = read('trivy-testdata/integration/testdata/fixtures/vex/file/openvex.json');
    const opa = finding('CVE-2022-23628', [], 'pkg:golang/github.com/open-policy-agent/opa@v0.35.0');
    const opa2 = finding('CVE-2022-23628', [], 'pkg:golang/github.com/open-policy-agent/opa@v0.36.0');
    assert.deepEqual(applyVex([opa, opa2], [trivy]).kept, [opa2]);
  });
});

describe('CycloneDX VEX', () => {
  const vuln = (state: string | undefined, refs: string[], extra: Record<string, unknown> = {}) => ({
    id: 'CVE-2020-11022',
    ...(state ? { analysis: { state, justification: 'code_not_reachable', detail: 'not called' } } : {}),
    affects: refs.map((ref) => ({ ref })),
    ...extra,
  });

  it('not_affected, false_positive, resolved(_with_pedigree) suppress; exploitable, in_triage do not', () => {
    for (const [state, suppressed] of [
      ['not_affected', true],
      ['false_positive', true],
      ['resolved', true],
      ['resolved_with_pedigree', true],
      ['exploitable', false],
      ['in_triage', false],
      [undefined, false],
    ] as const) {
      const doc = parseVex(cdx([vuln(state, ['pkg:npm/jquery@3.4.1'])]), 'v.cdx.json');
      assert.equal(doc.format, 'cyclonedx');
      assert.deepEqual(keptIds([doc], [JQUERY]), suppressed ? [] : ['CVE-2020-11022'], String(state));
    }
  });

  it('refs: purls, BOM-Links, bom-refs of the BOM own components, drydock unique refs', () => {
    const docs = (refs: string[], components?: unknown[]) => [
      parseVex(cdx([vuln('not_affected', refs)], components ? { components } : {}), 'v'),
    ];
    assert.deepEqual(
      keptIds(docs(['urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:npm/jquery@3.4.1']), [JQUERY]),
      [],
    );
    assert.deepEqual(keptIds(docs(['urn:cdx:3e671687/1#pkg%3Anpm%2Fjquery%403.4.1']), [JQUERY]), []);
    assert.deepEqual(keptIds(docs(['drydock:pkg:2:pkg:npm/jquery@3.4.1']), [JQUERY]), []);
    const comps = [
      {
        type: 'application',
        name: 'app',
        components: [{ 'bom-ref': 'jq-1', name: 'jquery', purl: 'pkg:npm/jquery@3.4.1' }],
      },
    ];
    assert.deepEqual(keptIds(docs(['jq-1'], comps), [JQUERY]), []);
    assert.deepEqual(keptIds(docs(['urn:cdx:abc/1#jq-1'], comps), [JQUERY]), []);
    const unknown = docs(['jq-2', 'urn:cdx:abc/1'], comps);
    assert.equal(unknown[0]?.unresolved, 2);
    assert.deepEqual(keptIds(unknown, [JQUERY]), ['CVE-2020-11022']);
    assert.deepEqual(keptIds(docs(['pkg:npm/jquery@3.5.0']), [JQUERY]), ['CVE-2020-11022']);
  });

  it('references[].id are aliases of the vulnerability id', () => {
    const doc = parseVex(
      cdx([
        {
          ...vuln('not_affected', ['pkg:npm/jquery']),
          id: 'GHSA-gxr4-xjj5-5px2',
          references: [{ id: 'CVE-2020-11022', source: { name: 'NVD' } }],
        },
      ]),
      'v',
    );
    assert.deepEqual(doc.statements[0]?.ids, ['ghsa-gxr4-xjj5-5px2', 'cve-2020-11022']);
    assert.deepEqual(keptIds([doc], [JQUERY, LODASH]), ['CVE-2019-10744']);
  });

  it('a BOM without vulnerabilities has no statements', () => {
    assert.deepEqual(
      parseVex(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6' }), 'b').statements,
      [],
    );
  });
});

describe('VEX: malformed documents and files', () => {
  it('refuses what is not VEX, with the file named in one line', () => {
    const cases: [string, RegExp][] = [
      ['{"statements": [', /^VEX file v\.json: not JSON/],
      ['[]', /not a VEX document/],
      ['{"hello": 1}', /not an OpenVEX or CycloneDX VEX document/],
      ['{"document": {"category": "csaf_vex"}}', /CSAF VEX is not supported/],
      ['{"payloadType": "application/vnd.in-toto+json", "payload": "e30="}', /signed envelope/],
      [
        openvex([{ vulnerability: { name: 'CVE-1' }, products: [], status: 'maybe' }]),
        /statements\[0\]: unknown status "maybe"/,
      ],
      [openvex([{ products: [], status: 'fixed' }]), /statements\[0\]: no vulnerability name/],
      [
        openvex([{ vulnerability: 'CVE-1', products: 'pkg:npm/x', status: 'fixed' }]),
        /"products" must be a list/,
      ],
      [openvex([42]), /statements\[0\] is not an object/],
      [
        JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: {} }),
        /"statements" must be a list/,
      ],
      [
        cdx([{ id: 'CVE-1', analysis: { state: 'wontfix' } }]),
        /vulnerabilities\[0\]: unknown analysis state "wontfix"/,
      ],
      [cdx([{ analysis: { state: 'not_affected' } }]), /vulnerabilities\[0\]: no "id"/],
      [cdx([{ id: 'CVE-1', analysis: 'x' }]), /"analysis" must be an object/],
      [cdx([{ id: 'CVE-1', analysis: { state: 'resolved' }, affects: {} }]), /"affects" must be a list/],
      [JSON.stringify({ bomFormat: 'CycloneDX', vulnerabilities: {} }), /"vulnerabilities" must be a list/],
    ];
    for (const [text, re] of cases)
      assert.match(
        userError(() => parseVex(text, 'v.json')),
        re,
        text.slice(0, 80),
      );
  });

  it('bounds nesting and counts', () => {
    let comp: Record<string, unknown> = { name: 'leaf' };
    for (let i = 0; i < 100; i++) comp = { name: `c${i}`, components: [comp] };
    assert.match(
      userError(() => parseVex(cdx([], { components: [comp] }), 'deep')),
      /nested deeper than 64/,
    );
    const many = Array.from({ length: 200_001 }, () => 0);
    assert.match(
      userError(() => parseVex(JSON.stringify({ statements: many }), 'many')),
      /more than 200000 statements/,
    );
  });

  it('loads several files, repeated or comma-separated; a missing file is an error', () => {
    const dir = tmpdir('dd-vex-');
    const a = path.join(dir, 'a.json');
    const b = path.join(dir, 'b.cdx.json');
    writeFileSync(
      a,
      openvex([{ vulnerability: 'CVE-2020-11022', products: ['pkg:npm/jquery'], status: 'not_affected' }]),
    );
    writeFileSync(b, cdx([vuln2()]));
    assert.deepEqual(
      loadVexFiles([`${a},${b}`]).map((d) => d.format),
      ['openvex', 'cyclonedx'],
    );
    assert.deepEqual(
      loadVexFiles([a, b]).map((d) => d.file),
      [a, b],
    );
    assert.deepEqual(loadVexFiles(undefined), []);
    assert.match(
      userError(() => loadVexFiles([path.join(dir, 'nope.json')])),
      /nope\.json: not found$/,
    );
    assert.match(
      userError(() => loadVexFiles([dir])),
      /not a regular file/,
    );
    // Through the vulnerability step: the ignore file first, then VEX, both after the filters.
    const kept = suppress([LODASH, JQUERY], { vex: loadVexFiles([a, b]) });
    assert.deepEqual(
      kept.map((f) => f.id),
      [],
    );
  });
});

function vuln2() {
  return {
    id: 'CVE-2019-10744',
    analysis: { state: 'false_positive' },
    affects: [{ ref: 'pkg:npm/lodash@4.17.11' }],
  };
}
