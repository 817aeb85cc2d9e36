import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cvss3BaseScore } from '../../../src/vulndb/cvss.js';
import { nvdDetail, nvdImporter, nvdTime } from '../../../src/vulndb/sources/nvd.js';
import { redhatCsafImporter } from '../../../src/vulndb/sources/redhat-csaf.js';
import type { VulnerabilityDetail } from '../../../src/vulndb/types.js';
import { ROOT, SHARED, SKIP_SHARED } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test/fixtures/vulndb/nvd');
const DATA = path.join(SHARED, 'data');

function parse(buf: Buffer | string, file = 'x.json'): VulnerabilityDetail[] {
  const out: VulnerabilityDetail[] = [];
  for (const r of nvdImporter.parse(file, Buffer.from(buf))) {
    assert.ok('detail' in r, 'details only, never advisories');
    out.push(r.detail);
  }
  return out;
}
const parseFile = (p: string) => parse(readFileSync(p), p);
const detect = (p: string) => nvdImporter.detect(p, readFileSync(p).subarray(0, 4096));
const brief = (d: VulnerabilityDetail) =>
  `${d.id} ${d.severity} ${(d.cvss ?? []).map((c) => `${c.source}/${c.version}/${c.score}`).join(',')}`;

function jsonFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) jsonFiles(p, out);
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

/** A cve object with the given metrics, as NVD writes them. */
function cve(metrics: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { id: 'CVE-2024-1', sourceIdentifier: 'x', vulnStatus: 'Analyzed', metrics, ...extra };
}
const m3 = (source: string, type: string, version: string, severity: string, score = 5) => ({
  source,
  type,
  cvssData: {
    version,
    vectorString: `CVSS:${version}/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N`,
    baseScore: score,
    baseSeverity: severity,
  },
});
const m2 = (source: string, type: string, severity: string) => ({
  source,
  type,
  cvssData: { version: '2.0', vectorString: 'AV:N/AC:L/Au:N/C:P/I:N/A:N', baseScore: 5 },
  baseSeverity: severity,
});

describe('nvd importer', () => {
  it('a CVE API 2.0 record with v4.0, v3.1 and v2 metrics from NVD and a CNA (Trivy test data)', () => {
    const [d, ...rest] = parseFile(path.join(FIX, 'CVE-2024-5732.json'));
    assert.equal(rest.length, 0);
    // NVD's own v3.1 rating (CRITICAL) wins over its v4.0 one (MEDIUM) and the CNA's (HIGH)
    assert.deepEqual(d, {
      id: 'CVE-2024-5732',
      source: 'nvd',
      severity: 'CRITICAL',
      cvss: [
        { source: 'nvd', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 },
        {
          source: 'cna@vuldb.com',
          version: '3.1',
          vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L',
          score: 7.3,
        },
        {
          source: 'nvd',
          version: '4.0',
          vector:
            'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X',
          score: 6.9,
        },
        { source: 'cna@vuldb.com', version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', score: 7.5 },
      ],
      description: (
        JSON.parse(readFileSync(path.join(FIX, 'CVE-2024-5732.json'), 'utf8')) as {
          descriptions: { lang: string; value: string }[];
        }
      ).descriptions.find((x) => x.lang === 'en')?.value,
      references: [
        'https://github.com/GTA12138/vul/blob/main/clash%20for%20windows.md',
        'https://vuldb.com/?ctiid.267406',
        'https://vuldb.com/?id.267406',
        'https://vuldb.com/?submit.345469',
      ],
      published: '2024-06-07T10:15:12.293Z',
      modified: '2024-06-11T17:57:13.767Z',
    });
  });

  it('skips rejected CVEs', () => {
    assert.deepEqual(parseFile(path.join(FIX, 'CVE-2024-0069.json')), []);
    assert.equal(nvdDetail(cve({}, { vulnStatus: 'REJECTED' })), undefined);
  });

  it('an API page (vunnel test data): v3.1 and v2 metrics by NVD', () => {
    assert.deepEqual(parseFile(path.join(FIX, 'single-entry.json')).map(brief), [
      'CVE-2022-1576 MEDIUM nvd/3.1/6.5,nvd/2.0/4.3',
    ]);
  });

  it('severity preference: NVD, then other Primary, then Secondary; v3.1, v3.0, v4.0, v2 within each', () => {
    const sev = (metrics: Record<string, unknown>) => nvdDetail(cve(metrics))?.severity;
    const nvd = 'nvd@nist.gov';
    assert.equal(sev({}), 'UNKNOWN');
    assert.equal(sev({ cvssMetricV2: [m2(nvd, 'Primary', 'HIGH')] }), 'HIGH'); // v2's sits beside cvssData
    assert.equal(
      sev({ cvssMetricV40: [m3(nvd, 'Primary', '4.0', 'LOW')], cvssMetricV2: [m2(nvd, 'Primary', 'HIGH')] }),
      'LOW',
    );
    assert.equal(
      sev({
        cvssMetricV30: [m3(nvd, 'Primary', '3.0', 'MEDIUM')],
        cvssMetricV40: [m3(nvd, 'Primary', '4.0', 'LOW')],
      }),
      'MEDIUM',
    );
    assert.equal(
      sev({
        cvssMetricV31: [m3(nvd, 'Primary', '3.1', 'HIGH')],
        cvssMetricV30: [m3(nvd, 'Primary', '3.0', 'LOW')],
      }),
      'HIGH',
    );
    // a CNA's Secondary v3.1 does not beat NVD's v2, but is used when NVD has nothing
    assert.equal(
      sev({
        cvssMetricV31: [m3('cna@x', 'Secondary', '3.1', 'CRITICAL')],
        cvssMetricV2: [m2(nvd, 'Primary', 'LOW')],
      }),
      'LOW',
    );
    assert.equal(sev({ cvssMetricV31: [m3('cna@x', 'Secondary', '3.1', 'CRITICAL')] }), 'CRITICAL');
    assert.equal(
      sev({
        cvssMetricV31: [m3('cna@x', 'Secondary', '3.1', 'CRITICAL'), m3('cna@y', 'Primary', '3.1', 'LOW')],
      }),
      'LOW',
    );
    // v4.0's NONE and unknown words
    assert.equal(sev({ cvssMetricV40: [m3(nvd, 'Primary', '4.0', 'NONE', 0)] }), 'UNKNOWN');
    assert.equal(sev({ cvssMetricV31: [m3(nvd, 'Primary', '3.1', 'medium')] }), 'MEDIUM');
    // a metric without a vector is no metric
    assert.equal(
      sev({ cvssMetricV31: [{ source: nvd, type: 'Primary', cvssData: { baseSeverity: 'HIGH' } }] }),
      'UNKNOWN',
    );
  });

  it('times: NVD UTC timestamps get a Z, zoned ones are kept', () => {
    assert.equal(nvdTime('2023-10-12T19:15:11.747'), '2023-10-12T19:15:11.747Z');
    assert.equal(nvdTime('2023-10-12T19:15'), '2023-10-12T19:15Z');
    assert.equal(nvdTime('2023-10-12T19:15:11+02:00'), '2023-10-12T19:15:11+02:00');
    assert.equal(nvdTime(''), undefined);
    assert.equal(nvdTime(5), undefined);
  });

  it('detects NVD 2.0 pages and single records, not other JSON', () => {
    for (const f of readdirSync(FIX)) assert.ok(detect(path.join(FIX, f)), f);
    const d = (s: string, p = 'a.json') => nvdImporter.detect(p, Buffer.from(s));
    assert.ok(d('{"resultsPerPage": 1, "startIndex": 0, "vulnerabilities": [{"cve": {"id": "CVE-1-1"}}]}'));
    assert.ok(d('{"CVE_data_type" : "CVE", "CVE_data_format" : "MITRE", "CVE_Items" : ['));
    assert.ok(!d('{"resultsPerPage": 1, "format": "NVD_CVE"}', 'a.yaml'));
    assert.ok(!d('{"schema_version": "1.4.0", "id": "CVE-2024-1", "modified": "2024"}'));
    assert.ok(
      !d('{"identifier": "2023/cve-2023-1", "item": {"cve": {"id": "CVE-2023-1", "sourceIdentifier": "x"}}}'),
    );
    assert.ok(!d('{"document": {"csaf_version": "2.0"}}'));
  });

  it('throws short errors for what is not an NVD 2.0 file', () => {
    const bad: [string, RegExp][] = [
      ['{bad}', /^invalid JSON/],
      ['[]', /not a JSON object/],
      ['{"vulnerabilities": {}}', /"vulnerabilities" is not an array/],
      ['{"CVE_data_type": "CVE", "CVE_Items": []}', /NVD 1\.1 feeds \(CVE_Items\) are not supported/],
      ['{"foo": 1}', /not an NVD CVE API 2\.0 file/],
      [readFileSync(path.join(FIX, 'single-entry.json'), 'utf8').slice(0, 1000), /^invalid JSON/],
    ];
    for (const [text, re] of bad)
      assert.throws(
        () => parse(text),
        (e: Error) => re.test(e.message) && e.message.length < 200,
        text.slice(0, 30),
      );
  });

  it('skips entries of the wrong type or without a CVE id', () => {
    const page = {
      resultsPerPage: 6,
      vulnerabilities: [
        null,
        1,
        { cve: null },
        { cve: { id: 5 } },
        { cve: { id: 'GHSA-x' } },
        { cve: cve({}) },
      ],
    };
    assert.deepEqual(parse(JSON.stringify(page)).map(brief), ['CVE-2024-1 UNKNOWN ']);
    // metric lists of the wrong type
    assert.deepEqual(nvdDetail(cve({ cvssMetricV31: 'x', cvssMetricV2: [null, { cvssData: 1 }] })), {
      id: 'CVE-2024-1',
      source: 'nvd',
      severity: 'UNKNOWN',
    });
  });

  it('parses a large page in linear time', () => {
    const one = JSON.parse(readFileSync(path.join(FIX, 'CVE-2024-5732.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const n = 5_000;
    const vulnerabilities = Array.from({ length: n }, (_, i) => ({ cve: { ...one, id: `CVE-2024-${i}` } }));
    const text = JSON.stringify({ resultsPerPage: n, format: 'NVD_CVE', version: '2.0', vulnerabilities });
    const t = performance.now();
    assert.equal(parse(text).length, n);
    const ms = performance.now() - t;
    assert.ok(ms < 5000, `${ms} ms for ${(text.length / 1e6).toFixed(1)} MB`);
  });
});

describe('nvd importer on the real files in ../shared', { skip: SKIP_SHARED }, () => {
  // vunnel's NVD API pages, Trivy's vuln-list-nvd records (one cve object per file). vunnel's
  // snapshots are its own output format (the cve object wrapped in {identifier, item}), not NVD's.
  const NVD = [
    'trivy-db-vulnsrc-testdata/vulnsrc/nvd/testdata/happy/vuln-list-nvd/api/2020/CVE-2020-0001.json',
    'trivy-db-vulnsrc-testdata/vulnsrc/nvd/testdata/happy/vuln-list-nvd/api/2023/CVE-2023-0001.json',
    'trivy-db-vulnsrc-testdata/vulnsrc/nvd/testdata/happy/vuln-list-nvd/api/2024/CVE-2024-0069.json',
    'trivy-db-vulnsrc-testdata/vulnsrc/nvd/testdata/happy/vuln-list-nvd/api/2024/CVE-2024-5732.json',
    'vunnel-provider-fixtures/nvd/test-fixtures/full-page.json',
    'vunnel-provider-fixtures/nvd/test-fixtures/single-entry.json',
  ];
  const SAD = 'trivy-db-vulnsrc-testdata/vulnsrc/nvd/testdata/sad/vuln-list-nvd/api/CVE-2020-0001.json';
  const all = new Map<string, VulnerabilityDetail[]>();

  it('detects exactly the NVD files among all JSON files, and parses each of them', () => {
    const detected = jsonFiles(DATA)
      .filter(detect)
      .map((p) => path.relative(DATA, p))
      .sort();
    assert.deepEqual(detected, NVD);
    for (const f of NVD)
      assert.ok(!redhatCsafImporter.detect(f, readFileSync(path.join(DATA, f)).subarray(0, 4096)));
    const t = performance.now();
    for (const f of NVD) all.set(f, parseFile(path.join(DATA, f)));
    const ms = performance.now() - t;
    const n = [...all.values()].reduce((s, l) => s + l.length, 0);
    const bytes = NVD.reduce((s, f) => s + statSync(path.join(DATA, f)).size, 0);
    console.log(
      `# nvd: ${NVD.length} files, ${(bytes / 1e6).toFixed(2)} MB -> ${n} records in ${ms.toFixed(1)} ms`,
    );
    assert.equal(n, 38 + 1 + 3); // CVE-2024-0069 is rejected
    // Trivy's "sad" input is not JSON
    assert.throws(
      () => parseFile(path.join(DATA, SAD)),
      (e: Error) => /^invalid JSON/.test(e.message),
    );
  });

  it('the full page: the same CVEs as vunnel kept, with the metrics the page gives', () => {
    const page = all.get(NVD[4] as string) ?? [];
    const snapDir = path.join(DATA, 'vunnel-provider-fixtures/nvd/test-fixtures/snapshots/full-page');
    const snaps = jsonFiles(snapDir).map(
      (p) => (JSON.parse(readFileSync(p, 'utf8')) as { item: { cve: Record<string, unknown> } }).item.cve,
    );
    assert.deepEqual(page.map((d) => d.id).sort(), snaps.map((c) => c.id as string).sort());
    // vunnel's output holds the cve objects as NVD sent them: same vectors, scores and sources
    for (const c of snaps) {
      const mine = page.find((d) => d.id === c.id);
      const metrics = (c.metrics ?? {}) as Record<
        string,
        { source: string; cvssData: { vectorString: string; baseScore: number } }[]
      >;
      const theirs = Object.values(metrics)
        .flat()
        .map(
          (m) =>
            `${m.source === 'nvd@nist.gov' ? 'nvd' : m.source} ${m.cvssData.vectorString} ${m.cvssData.baseScore}`,
        )
        .sort();
      assert.deepEqual(
        (mine?.cvss ?? []).map((x) => `${x.source} ${x.vector} ${x.score}`).sort(),
        theirs,
        c.id as string,
      );
    }
    // read off the page: Oracle's Primary metric only; no metric at all; a CNA (patchstack) only
    const by = new Map(page.map((d) => [d.id, d]));
    assert.equal(
      brief(by.get('CVE-2023-22068') as VulnerabilityDetail),
      'CVE-2023-22068 MEDIUM secalert_us@oracle.com/3.1/4.9',
    );
    assert.equal(brief(by.get('CVE-2023-43250') as VulnerabilityDetail), 'CVE-2023-43250 UNKNOWN ');
    assert.equal(
      brief(by.get('CVE-2023-30781') as VulnerabilityDetail),
      'CVE-2023-30781 HIGH audit@patchstack.com/3.1/7.1',
    );
    // NVD (HIGH 8.8) over the CNA (MEDIUM 5.4)
    assert.equal(
      brief(by.get('CVE-2023-45109') as VulnerabilityDetail),
      'CVE-2023-45109 HIGH nvd/3.1/8.8,audit@patchstack.com/3.1/5.4',
    );
    assert.equal(by.get('CVE-2023-27314')?.published, '2023-10-12T19:15:11.747Z');
  });

  it("Trivy's vuln-list-nvd records", () => {
    const lines = NVD.slice(0, 4).flatMap((f) => (all.get(f) ?? []).map(brief));
    assert.deepEqual(lines, [
      'CVE-2020-0001 HIGH nvd/3.1/7.8,nvd/2.0/7.2',
      'CVE-2023-0001 MEDIUM nvd/3.1/6.7,psirt@paloaltonetworks.com/3.1/6',
      'CVE-2024-5732 CRITICAL nvd/3.1/9.8,cna@vuldb.com/3.1/7.3,nvd/4.0/6.9,cna@vuldb.com/2.0/7.5',
    ]);
  });

  it('every CVSS v3.x base score equals the score computed from its vector (src/vulndb/cvss.ts)', () => {
    let n = 0;
    for (const d of [...all.values()].flat())
      for (const c of d.cvss ?? []) {
        if (c.version !== '3.0' && c.version !== '3.1') continue;
        assert.equal(cvss3BaseScore(c.vector), c.score, `${d.id} ${c.vector}`);
        n++;
      }
    assert.ok(n >= 45, String(n));
  });
});
