import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { rpmScheme } from '../../../src/version/rpm.js';
import { cvss3BaseScore } from '../../../src/vulndb/cvss.js';
import { nvdImporter } from '../../../src/vulndb/sources/nvd.js';
import {
  parsePurl,
  redhatCsafImporter,
  rhelRelease,
  rpmRef,
  severityOfImpact,
} from '../../../src/vulndb/sources/redhat-csaf.js';
import type { Advisory } from '../../../src/vulndb/types.js';
import { ROOT, SHARED, SKIP_SHARED } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test/fixtures/vulndb/redhat-csaf');
const DATA = path.join(SHARED, 'data');
const RHEL = path.join(DATA, 'vunnel-provider-fixtures/rhel/test-fixtures/csaf');

function parse(buf: Buffer | string, file = 'x.json'): Advisory[] {
  const out: Advisory[] = [];
  for (const r of redhatCsafImporter.parse(file, Buffer.from(buf))) {
    assert.ok('advisory' in r, 'advisories only');
    out.push(r.advisory);
  }
  return out;
}
const parseFile = (p: string) => parse(readFileSync(p), p);
const detect = (p: string) => redhatCsafImporter.detect(p, readFileSync(p).subarray(0, 4096));
const line = (a: Advisory) =>
  [a.id, a.namespace, a.package, a.modularity ?? '-', a.status, a.fixed ?? '-', a.severity ?? '-'].join(' ');

function jsonFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) jsonFiles(p, out);
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

describe('redhat-csaf helpers', () => {
  it('maps platform CPEs to RHEL major releases (mainstream and ELS only)', () => {
    const cases: [string, string | undefined][] = [
      ['cpe:/o:redhat:enterprise_linux:9::baseos', '9'],
      ['cpe:/a:redhat:enterprise_linux:9::appstream', '9'],
      ['cpe:/a:redhat:enterprise_linux:8::crb', '8'],
      ['cpe:/o:redhat:enterprise_linux:7', '7'],
      ['cpe:/o:redhat:enterprise_linux:10.0', '10'],
      ['cpe:/o:redhat:rhel_els:6', '6'],
      ['cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*', '9'],
      ['cpe:/a:redhat:rhel_eus:9.2::appstream', undefined],
      ['cpe:/o:redhat:rhel_eus:8.6::baseos', undefined],
      ['cpe:/a:redhat:rhel_aus:8.2', undefined],
      ['cpe:/a:redhat:rhel_e4s:9.0', undefined],
      ['cpe:/a:redhat:rhel_eus_long_life:8.4', undefined],
      ['cpe:/a:redhat:openshift:4.14::el9', undefined],
      ['cpe:/a:redhat:hummingbird:1', undefined],
      ['cpe:/o:centos:enterprise_linux:9', undefined],
      ['cpe:/o:redhat:enterprise_linux:', undefined],
      ['cpe:/o:redhat:enterprise_linux:9x', undefined],
      ['not a cpe', undefined],
      [`cpe:/o:redhat:enterprise_linux:9${':x'.repeat(400)}`, undefined],
    ];
    for (const [cpe, want] of cases) assert.equal(rhelRelease(cpe), want, cpe);
  });

  it('reads rpm purls: name, [epoch:]version-release, source or binary, module stream', () => {
    const ref = (id: string, purl: string) => rpmRef(id, parsePurl(purl));
    assert.deepEqual(ref('x', 'pkg:rpm/redhat/openssl@3.0.7-24.el9?arch=src'), {
      name: 'openssl',
      evr: '3.0.7-24.el9',
      source: true,
    });
    assert.deepEqual(ref('x', 'pkg:rpm/redhat/bind@9.8.2-0.68.rc1.el6_10.17?arch=x86_64&epoch=32'), {
      name: 'bind',
      evr: '32:9.8.2-0.68.rc1.el6_10.17',
      source: false,
    });
    // epoch 0 is left out, as drydock prints installed versions; an epoch in the version is read too
    assert.equal(ref('x', 'pkg:rpm/redhat/a@1-2?arch=noarch&epoch=0')?.evr, '1-2');
    assert.equal(ref('x', 'pkg:rpm/redhat/a@1:27.2-9.el9?arch=x86_64')?.evr, '1:27.2-9.el9');
    assert.deepEqual(
      ref(
        'x',
        'pkg:rpm/redhat/ruby@2.5.9-111.module%2Bel8.9.0%2B19193%2B435404ae?arch=i686&rpmmod=ruby:2.5:8090020230627084142:b46abd14',
      ),
      { name: 'ruby', evr: '2.5.9-111.module+el8.9.0+19193+435404ae', source: false, module: 'ruby:2.5' },
    );
    // components without a build, ".src" products, non-rpm purls
    assert.deepEqual(ref('red_hat_enterprise_linux_9:vim.src', 'pkg:rpm/redhat/vim'), {
      name: 'vim',
      source: true,
    });
    assert.deepEqual(ref('x', 'pkg:rpm/redhat/vim-common'), { name: 'vim-common', source: false });
    assert.equal(ref('x', 'pkg:oci/ubi9@sha256%3Aabc'), undefined);
    assert.equal(ref('x', 'pkg:rpmmod/redhat/gimp@2.8:8080020250623120629:0621e4ee'), undefined);
    assert.equal(rpmRef('x', undefined), undefined);
    // no release, or not an rpm version: no build
    assert.equal(ref('x', 'pkg:rpm/redhat/a@1.0?arch=x86_64')?.evr, undefined);
    assert.equal(ref('x', 'pkg:rpm/redhat/a@1.0-1-2?arch=x86_64')?.evr, undefined);
    assert.equal(parsePurl('pkg:rpm/redhat/a%ZZ@1-1'), undefined);
    assert.equal(parsePurl('rpm/redhat/a@1-1'), undefined);
    assert.equal(parsePurl(`pkg:rpm/redhat/${'a'.repeat(3000)}`), undefined);
  });

  it("maps Red Hat's impact ratings", () => {
    assert.deepEqual(['Critical', 'Important', 'moderate', ' Low ', 'None', ''].map(severityOfImpact), [
      'CRITICAL',
      'HIGH',
      'MEDIUM',
      'LOW',
      'UNKNOWN',
      'UNKNOWN',
    ]);
  });
});

describe('redhat-csaf importer on committed fixtures', () => {
  it('a hand-made VEX file: every status, module, release and skip rule', () => {
    // Expected lines written from the file's content (see test/fixtures/README.md):
    // - libfoo on RHEL 9: fixed by 9.4 z-stream (el9_4) and 9.5 (el9_5) builds -> the highest; the
    //   9.2 EUS build and the OpenShift product are ignored; the .src builds have binaries -> no record
    // - RHEL 7: "Out of support scope" on the mainstream, fixed in ELS -> fixed
    // - nodejs:18 from the rpmmod qualifier (own impact: Low), nodejs:20 from the module the npm
    //   rpm is a component of; bar (legacy source-only component): Will not fix; baz-libs and
    //   baz.src: Fix deferred; qux: Affected; quux: no_fix_planned with other words -> affected
    const got = parseFile(path.join(FIX, 'vex-handmade.json'));
    assert.deepEqual(got.map(line), [
      'CVE-2099-0001 redhat:9 libfoo - fixed 1.2-5.el9_5 HIGH',
      'CVE-2099-0001 redhat:9 libfoo-devel - fixed 1.2-5.el9_5 HIGH',
      'CVE-2099-0001 redhat:10 libfoo - fixed 1.2-7.el10_0 HIGH',
      'CVE-2099-0001 redhat:7 libfoo - fixed 1:1.0-9.el7_9.1 HIGH',
      'CVE-2099-0001 redhat:8 nodejs nodejs:18 fixed 1:18.20.4-1.module+el8.10.0+22202+761b9a65 LOW',
      'CVE-2099-0001 redhat:8 npm nodejs:20 fixed 1:10.8.2-1.20.16.0.1.module+el8.10.0+22203+aaaa1111 HIGH',
      'CVE-2099-0001 redhat:8 bar - will_not_fix - HIGH',
      'CVE-2099-0001 redhat:9 baz-libs - fix_deferred - HIGH',
      'CVE-2099-0001 redhat:9 baz - fix_deferred - HIGH',
      'CVE-2099-0001 redhat:9 qux - affected - HIGH',
      'CVE-2099-0001 redhat:8 quux - affected - HIGH',
      'CVE-2099-0001 redhat:9 corge - not_affected - HIGH',
      'CVE-2099-0001 redhat:8 grault - under_investigation - HIGH',
    ]);
    const [libfoo9, , , , , , bar] = got as Advisory[];
    assert.deepEqual(libfoo9, {
      id: 'CVE-2099-0001',
      source: 'redhat-csaf',
      namespace: 'redhat:9',
      package: 'libfoo',
      status: 'fixed',
      fixed: '1.2-5.el9_5',
      severity: 'HIGH',
      title: 'libfoo: heap overflow in foo_parse()',
      description: 'A heap overflow was found in libfoo.',
      cvss: [
        {
          source: 'redhat',
          version: '3.1',
          vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
          score: 9.8,
        },
        { source: 'redhat', version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', score: 7.5 },
      ],
      references: [
        'https://access.redhat.com/security/cve/CVE-2099-0001',
        'https://bugzilla.redhat.com/show_bug.cgi?id=1',
      ],
      published: '2099-01-01T12:00:00+00:00',
      modified: '2099-01-02T00:00:00+00:00',
      url: 'https://access.redhat.com/errata/RHSA-2099:0002',
    });
    assert.equal(bar?.url, 'https://access.redhat.com/security/cve/CVE-2099-0001');
    assert.deepEqual(
      bar?.cvss?.map((c) => c.score),
      [5.5],
    );
  });

  it('RHSA-2025:23414 (ELS 6): binaries only, known_not_affected ones included', () => {
    const got = parseFile(path.join(FIX, 'rhsa-2025_23414.json'));
    const lines = got.map(line);
    assert.equal(got.length, 14);
    for (const cve of ['CVE-2021-25220', 'CVE-2025-40778']) {
      const sev = cve === 'CVE-2021-25220' ? 'MEDIUM' : 'HIGH';
      for (const p of ['bind', 'bind-libs', 'bind-sdb', 'bind-utils'])
        assert.ok(
          lines.includes(`${cve} redhat:6 ${p} - fixed 32:9.8.2-0.68.rc1.el6_10.17 ${sev}`),
          `${cve} ${p}`,
        );
      for (const p of ['bind-chroot', 'bind-debuginfo', 'bind-devel'])
        assert.ok(lines.includes(`${cve} redhat:6 ${p} - not_affected - ${sev}`), `${cve} ${p}`);
    }
    assert.ok(
      got.every((a) => a.status !== 'fixed' || a.url === 'https://access.redhat.com/errata/RHSA-2025:23414'),
    );
  });

  it('an advisory listing only the source rpm gives a record under the source name', () => {
    assert.deepEqual(parseFile(path.join(FIX, 'rhsa-2024_6163.json')).map(line), [
      'CVE-2024-8088 redhat:9 python3.9 - fixed 3.9.18-3.el9_4.5 MEDIUM',
    ]);
  });

  it("Trivy's test VEX file without product_status: statuses from the remediations", () => {
    // vendor_fix -> fixed (binaries on BaseOS and AppStream 9 merge); none_available "Affected" ->
    // affected; the oci image is not an rpm; the module package has its own impact (Moderate)
    assert.deepEqual(parseFile(path.join(FIX, 'cve-2024-11111.json')).map(line), [
      'CVE-2024-11111 redhat:9 test-package - fixed 1:1.0.0-1.el9 HIGH',
      'CVE-2024-11111 redhat:9 modular-package module:2.4 fixed 2.4.37-65.module+el8.10.0+21982+14717793 MEDIUM',
      'CVE-2024-11111 redhat:9 affected-package - affected - HIGH',
      'CVE-2024-11111 redhat:9 affected-package-bin - affected - HIGH',
    ]);
  });

  it('detects CSAF 2.x JSON only', () => {
    for (const f of readdirSync(FIX)) assert.ok(detect(path.join(FIX, f)), f);
    const head = (s: string) => Buffer.from(s);
    assert.ok(!redhatCsafImporter.detect('a.yaml', head('{"document": {"csaf_version": "2.0"}}')));
    assert.ok(!redhatCsafImporter.detect('a.json', head('{"document": {"csaf_version": "1.2"}}')));
    assert.ok(!redhatCsafImporter.detect('a.json', head('{"vulnerabilities": []}')));
    assert.ok(
      redhatCsafImporter.detect(
        'A.JSON',
        head('{"document": {"category": "csaf_vex", "csaf_version": "2.0"'),
      ),
    );
  });
});

describe('redhat-csaf importer on malformed input', () => {
  const doc = (extra: Record<string, unknown>) =>
    JSON.stringify({ document: { csaf_version: '2.0', category: 'csaf_vex' }, ...extra });

  it('throws short errors for what is not a CSAF document', () => {
    const bad: [string, RegExp][] = [
      ['{"document": ', /^invalid JSON/],
      ['[1, 2]', /not a JSON object/],
      ['{"vulnerabilities": []}', /not a CSAF document/],
      ['{"document": {"csaf_version": "1.2"}}', /unsupported CSAF version "1.2"/],
      ['{"document": {}}', /unsupported CSAF version null/],
      [doc({ vulnerabilities: {} }), /"vulnerabilities" is not an array/],
      [doc({ product_tree: [] }), /product_tree is not an object/],
      [readFileSync(path.join(FIX, 'vex-handmade.json'), 'utf8').slice(0, 5000), /^invalid JSON/],
    ];
    for (const [text, re] of bad) {
      assert.throws(
        () => parse(text),
        (e: Error) => re.test(e.message) && e.message.length < 200,
        text.slice(0, 40),
      );
    }
  });

  it('skips entries of the wrong type instead of failing the file', () => {
    const text = doc({
      product_tree: {
        branches: [1, null, { product: 'x' }, { product: { product_id: 7 } }],
        relationships: [1, {}],
      },
      vulnerabilities: [
        null,
        'x',
        { cve: 42 },
        { cve: 'CVE-1-2', product_status: { fixed: ['a'] } },
        {
          cve: 'CVE-2024-1',
          product_status: { fixed: [1, null, 'nope'], known_affected: 'a' },
          remediations: 5,
        },
      ],
    });
    assert.deepEqual(parse(text), []);
  });

  it('refuses a product tree nested deeper than the cap, quickly', () => {
    const n = 100_000;
    const branch = `${'{"category":"vendor","branches":['.repeat(n)}{}${']}'.repeat(n)}`;
    const text = doc({ product_tree: { branches: [] }, vulnerabilities: [] }).replace(
      '"branches":[]',
      `"branches":[${branch}]`,
    );
    const t = performance.now();
    assert.throws(() => parse(text), /nested too deeply/);
    assert.ok(performance.now() - t < 2000);
  });

  it('terminates on relationship cycles (the hand-made fixture has one: CVE-2099-0002 gives nothing)', () => {
    const got = parseFile(path.join(FIX, 'vex-handmade.json'));
    assert.ok(!got.some((a) => a.id === 'CVE-2099-0002'));
  });

  it('parses a large document in linear time', () => {
    const n = 20_000;
    const branches: unknown[] = [
      {
        category: 'product_name',
        product: {
          product_id: 'P',
          product_identification_helper: { cpe: 'cpe:/o:redhat:enterprise_linux:9::baseos' },
        },
      },
    ];
    const relationships: unknown[] = [];
    const fixed: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `pkg${i}-0:1.0-1.el9.x86_64`;
      branches.push({
        category: 'product_version',
        product: {
          product_id: id,
          product_identification_helper: { purl: `pkg:rpm/redhat/pkg${i}@1.0-1.el9?arch=x86_64` },
        },
      });
      relationships.push({
        category: 'default_component_of',
        full_product_name: { product_id: `P:${id}` },
        product_reference: id,
        relates_to_product_reference: 'P',
      });
      fixed.push(`P:${id}`);
    }
    const vulnerabilities = [0, 1, 2].map((k) => ({
      cve: `CVE-2024-${k}`,
      product_status: { fixed },
      remediations: [{ category: 'vendor_fix', product_ids: fixed, url: 'u' }],
      threats: [{ category: 'impact', details: 'Low' }],
    }));
    const text = doc({ product_tree: { branches, relationships }, vulnerabilities });
    const t = performance.now();
    const got = parse(text);
    const ms = performance.now() - t;
    assert.equal(got.length, 3 * n);
    assert.ok(ms < 5000, `${ms} ms for ${(text.length / 1e6).toFixed(1)} MB`);
  });
});

describe('redhat-csaf importer on the real files in ../shared', { skip: SKIP_SHARED }, () => {
  // Every CSAF document under data/: vunnel's RHEL advisories and hummingbird VEX files, Trivy's
  // hand-made VEX files. Trivy's "empty-cve"/"no-vulnerabilities" inputs have no "document": they
  // are not CSAF, and neither are the CPE maps, the Security Data API files (hydra) or NVD's.
  const CSAF = [
    'trivy-db-vulnsrc-testdata/vulnsrc/redhat-csaf/testdata/happy/csaf-vex/cve-2024-10041.json',
    'trivy-db-vulnsrc-testdata/vulnsrc/redhat-csaf/testdata/happy/csaf-vex/cve-2024-9999.json',
    'trivy-db-vulnsrc-testdata/vulnsrc/redhat-csaf/testdata/vuln-list-redhat/csaf-vex/cve-2024-10041.json',
    'trivy-db-vulnsrc-testdata/vulnsrc/redhat-csaf/testdata/vuln-list-redhat/csaf-vex/cve-2024-11111.json',
    'trivy-db-vulnsrc-testdata/vulnsrc/redhat-csaf/testdata/vuln-list-redhat/csaf-vex/cve-2024-22222.json',
    'trivy-db-vulnsrc-testdata/vulnsrc/redhat-csaf/testdata/vuln-list-redhat/csaf-vex/cve-2025-33333.json',
    'vunnel-provider-fixtures/hummingbird/test-fixtures/input/advisories/2026/cve-2026-12345.json',
    'vunnel-provider-fixtures/hummingbird/test-fixtures/input/advisories/2026/cve-2026-99999.json',
    'vunnel-provider-fixtures/rhel/test-fixtures/csaf/advisories/2024/rhsa-2024_6163.json',
    'vunnel-provider-fixtures/rhel/test-fixtures/csaf/advisories/2024/rhsa-2024_9371.json',
    'vunnel-provider-fixtures/rhel/test-fixtures/csaf/advisories/2025/rhsa-2025_23414.json',
    'vunnel-provider-fixtures/rhel/test-fixtures/csaf/advisories/rhsa-2023_3821.json',
    'vunnel-provider-fixtures/rhel/test-fixtures/csaf/advisories/rhsa-2023_7025.json',
    'vunnel-provider-fixtures/rhel/test-fixtures/csaf/advisories/rhsa-2024_0811.json',
    'vunnel-provider-fixtures/rhel/test-fixtures/csaf/advisories/rhsa-2024_1431.json',
    'vunnel-provider-fixtures/rhel/test-fixtures/csaf/server/2024/rhsa-2024_0010.json',
  ];
  const all = new Map<string, Advisory[]>();
  const rel = (p: string) => path.relative(DATA, p);

  it('detects exactly the CSAF files among all JSON files, and parses each of them', () => {
    const files = jsonFiles(DATA);
    const detected = files.filter(detect).map(rel).sort();
    assert.deepEqual(detected, CSAF);
    // and the NVD importer takes none of them
    for (const f of CSAF)
      assert.ok(!nvdImporter.detect(f, readFileSync(path.join(DATA, f)).subarray(0, 4096)), f);
    const t = performance.now();
    for (const f of CSAF) all.set(f, parseFile(path.join(DATA, f)));
    const ms = performance.now() - t;
    const n = [...all.values()].reduce((s, l) => s + l.length, 0);
    const bytes = CSAF.reduce((s, f) => s + statSync(path.join(DATA, f)).size, 0);
    console.log(
      `# redhat-csaf: ${CSAF.length} files, ${(bytes / 1e6).toFixed(2)} MB -> ${n} advisories in ${ms.toFixed(0)} ms`,
    );
    assert.equal(n, 576);
  });

  it('gives one record per binary rpm name, release and module of the mainstream/ELS products', () => {
    // Counts of distinct (release, module, binary name) per CVE, computed from the files with a
    // separate Python reading of product_status, relationships, CPEs and purls.
    const want: Record<string, number> = {
      'rhsa-2025_23414.json': 14,
      'rhsa-2023_3821.json': 135,
      'rhsa-2023_7025.json': 184,
      'rhsa-2024_0811.json': 24,
      'rhsa-2024_1431.json': 168,
      'rhsa-2024_0010.json': 36,
    };
    for (const [f, list] of all) {
      const w = want[path.basename(f)];
      if (w !== undefined) assert.equal(list.length, w, f);
    }
    // sudo: RHEL 8 and 9 mainstream only; the 8.6/8.8/9.0/9.2 EUS builds are not used
    const sudo = all.get(CSAF[13] as string) ?? [];
    assert.deepEqual([...new Set(sudo.map((a) => `${a.namespace} ${a.fixed}`))].sort(), [
      'redhat:8 1.9.5p2-1.el8_9',
      'redhat:9 1.9.5p2-10.el9_3',
    ]);
    // ruby module streams of RHEL 8
    const ruby = [...all.entries()]
      .filter(([f]) => /rhsa-2023_(3821|7025)|rhsa-2024_1431/.test(f))
      .flatMap(([, l]) => l);
    assert.deepEqual([...new Set(ruby.map((a) => `${a.namespace} ${a.modularity}`))].sort(), [
      'redhat:8 ruby:2.5',
      'redhat:8 ruby:2.7',
      'redhat:8 ruby:3.1',
    ]);
  });

  it("each fixed version is the build the product's own NEVRA id names", () => {
    // Independent of the purl: the product ids spell name-[epoch:]version-release.arch
    for (const f of CSAF.filter((x) => x.includes('/rhel/'))) {
      const text = readFileSync(path.join(DATA, f), 'utf8');
      const ids = new Set<string>();
      for (const m of text.matchAll(/"product_reference": "([^"]+)"/g)) ids.add(m[1] as string);
      for (const a of all.get(f) ?? []) {
        if (a.status !== 'fixed') continue;
        const evr = a.fixed as string;
        const withEpoch = evr.includes(':') ? evr : `0:${evr}`;
        const ok = [...ids].some(
          (id) => id.startsWith(`${a.package}-${withEpoch}.`) || id.startsWith(`${a.package}-${evr}.`),
        );
        assert.ok(ok, `${f}: ${a.package} ${evr}`);
      }
    }
  });

  it("agrees with Red Hat's Security Data API records of the same CVEs (fixed builds, impact, CVSS)", () => {
    // hydra/cve-*.json list, per product, the advisory and the fixed source build; the advisories
    // here that they name must give the same package, release and version.
    const ours = [...all.values()].flat();
    let checked = 0;
    for (const name of ['cve-2024-8088.json', 'cve-2021-25220.json']) {
      const h = JSON.parse(readFileSync(path.join(RHEL, 'hydra', name), 'utf8')) as {
        name?: string;
        threat_severity: string;
        cvss3: { cvss3_base_score: string; cvss3_scoring_vector: string };
        affected_release: { advisory: string; cpe: string; package: string }[];
      };
      const id = h.name ?? name.replace(/\.json$/, '').toUpperCase();
      for (const r of h.affected_release) {
        const m = /^(.+)-(\d+):(.+)$/.exec(r.package);
        const release = rhelRelease(r.cpe);
        if (!m || !release) continue;
        const rhsa = r.advisory;
        const mine = ours.filter((a) => a.id === id && a.url?.endsWith(rhsa));
        if (mine.length === 0) continue; // that advisory is not among the files
        const hit = mine.find((a) => a.package === m[1] && a.namespace === `redhat:${release}`);
        assert.ok(hit, `${id} ${r.package} ${r.cpe}`);
        assert.equal(rpmScheme.compare(hit.fixed as string, `${m[2]}:${m[3]}`), 0);
        assert.equal(hit.severity, { Moderate: 'MEDIUM', Important: 'HIGH' }[h.threat_severity]);
        assert.deepEqual(
          hit.cvss?.map((c) => [c.vector, c.score]),
          [[h.cvss3.cvss3_scoring_vector, Number(h.cvss3.cvss3_base_score)]],
        );
        checked++;
      }
    }
    // python3.9 from RHSA-2024:6163 and RHSA-2024:9371 (each under two CPEs), bind from RHSA-2025:23414
    assert.equal(checked, 5);
  });

  it('every Red Hat CVSS v3 score equals the score computed from its vector', () => {
    let n = 0;
    for (const a of [...all.values()].flat())
      for (const c of a.cvss ?? []) {
        if (!c.version.startsWith('3')) continue;
        assert.equal(cvss3BaseScore(c.vector), c.score, c.vector);
        n++;
      }
    assert.ok(n > 500, String(n));
  });

  it('hummingbird VEX files: only the RHEL 9 product counts', () => {
    const f = CSAF.find((x) => x.endsWith('cve-2026-12345.json')) as string;
    assert.deepEqual((all.get(f) ?? []).map(line), ['CVE-2026-12345 redhat:9 otherpkg - affected - MEDIUM']);
    // rhel-9:foo names no relationship: nothing to resolve
    assert.deepEqual(all.get(CSAF.find((x) => x.endsWith('cve-2026-99999.json')) as string), []);
  });
});
