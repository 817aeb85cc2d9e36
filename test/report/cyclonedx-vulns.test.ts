// CycloneDX 1.6 with vulnerabilities: the inventory BOM plus one vulnerability per finding, checked
// against the official CycloneDX 1.6 schema; every affects ref names a component of the same BOM.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Package } from '../../src/inventory/packages.js';
import type { Finding } from '../../src/match/match.js';
import { toCycloneDXWithVulns, VULN_PROP } from '../../src/report/cyclonedx-vulns.js';
import { toInventory } from '../../src/sbom/common.js';
import { fromCycloneDX, toCycloneDX } from '../../src/sbom/cyclonedx.js';
import type { ScanResult } from '../../src/scan/scan.js';
import { assertValid, cyclonedxValidator } from '../sbom/helpers.js';
import { feedsDb, NOW, projectDir, scanWithVulns, TOOL } from './vuln-helpers.js';

type Json = Record<string, unknown>;
interface Rating {
  source: { name: string };
  score?: number;
  severity?: string;
  method?: string;
  vector?: string;
}
interface Vuln {
  id: string;
  source: { name: string; url?: string };
  references?: { id: string; source: { name: string } }[];
  ratings: Rating[];
  description?: string;
  detail?: string;
  recommendation?: string;
  advisories?: { url: string }[];
  published?: string;
  updated?: string;
  affects: { ref: string; versions: { version: string; status: string }[] }[];
  properties: { name: string; value: string }[];
}
interface Component {
  'bom-ref': string;
  name: string;
  version?: string;
  purl?: string;
}

const UUID = '00000000-0000-4000-8000-000000000000';
const OPTS = { tool: TOOL, now: NOW, uuid: UUID };

const prop = (v: Vuln, name: string) => v.properties.find((p) => p.name === name)?.value;

function synthetic(r: ScanResult, over: Partial<Finding>): ScanResult {
  const pkg = r.packages.find((p) => p.name === 'lodash') as Package;
  const f: Finding = {
    id: 'CVE-2099-0002',
    aliases: [],
    pkg,
    installedVersion: pkg.version,
    status: 'affected',
    severity: 'HIGH',
    severitySource: 'nvd',
    cvss: [],
    dataSource: 'osv',
    namespace: 'npm',
    why: 'test',
    ...over,
  };
  return { ...r, vulnerabilities: [f] };
}

describe('CycloneDX with vulnerabilities', () => {
  let scanned: ScanResult;
  before(async () => {
    scanned = await scanWithVulns(projectDir(), feedsDb());
  });

  it('is the inventory BOM plus a valid vulnerabilities[] whose affects refs resolve to components', () => {
    const bom = toCycloneDXWithVulns(scanned, OPTS);
    assertValid(cyclonedxValidator(), bom);
    const { vulnerabilities, ...inventory } = bom;
    assert.deepEqual(
      inventory,
      toCycloneDX(scanned, OPTS),
      'the inventory part is what `drydock sbom` writes',
    );
    const vulns = vulnerabilities as Vuln[];
    const comps = new Map((bom.components as Component[]).map((c) => [c['bom-ref'], c]));
    assert.deepEqual(vulns.map((v) => v.id).sort(), [
      'CVE-2019-10744',
      'CVE-2019-10906',
      'CVE-2020-11022',
      'CVE-2020-28493',
    ]);
    const affected = vulns.map((v) => {
      assert.equal(v.affects.length, 1);
      const a = v.affects[0] as Vuln['affects'][number];
      const c = comps.get(a.ref);
      assert.ok(c, `${v.id}: affects ref ${a.ref} names a component`);
      assert.deepEqual(a.versions, [{ version: c.version, status: 'affected' }]);
      return `${v.id} ${c.name}@${c.version}`;
    });
    assert.deepEqual(affected.sort(), [
      'CVE-2019-10744 lodash@4.17.11',
      'CVE-2019-10906 Jinja2@2.10',
      'CVE-2020-11022 jquery@3.4.0',
      'CVE-2020-28493 Jinja2@2.10',
    ]);
    // Read back, the vulnerabilities do not disturb the inventory.
    assert.equal(toInventory(fromCycloneDX(bom), 'bom.json').packages.length, scanned.packages.length);
  });

  it('lodash: source, aliases, the CVSS 3.1 rating and the reported severity, advisories, dates, drydock facts', () => {
    const vulns = toCycloneDXWithVulns(scanned, OPTS).vulnerabilities as Vuln[];
    const v = vulns.find((x) => x.id === 'CVE-2019-10744') as Vuln;
    assert.deepEqual(v.source, { name: 'osv', url: 'https://github.com/advisories/GHSA-jf85-cpcp-j695' });
    assert.deepEqual(v.references, [{ id: 'GHSA-jf85-cpcp-j695', source: { name: 'ghsa' } }]);
    assert.deepEqual(v.ratings, [
      { source: { name: 'osv' }, severity: 'critical' },
      {
        source: { name: 'ghsa' },
        score: 9.1,
        severity: 'critical',
        method: 'CVSSv31',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H',
      },
    ]);
    assert.equal(v.description, 'Prototype Pollution in lodash');
    assert.match(v.detail ?? '', /^Versions of `lodash` before 4\.17\.12/);
    assert.equal(v.recommendation, 'Upgrade lodash to 4.17.12');
    assert.equal(v.advisories?.[0]?.url, 'https://github.com/advisories/GHSA-jf85-cpcp-j695');
    assert.ok(v.advisories?.some((a) => a.url === 'https://github.com/lodash/lodash/pull/4336'));
    assert.equal(v.published, '2019-07-10T19:45:23Z');
    assert.equal(v.updated, '2023-09-05T22:24:55Z');
    assert.equal(prop(v, VULN_PROP.status), 'fixed');
    assert.equal(prop(v, VULN_PROP.fixedVersion), '4.17.12');
    assert.match(
      prop(v, VULN_PROP.why) ?? '',
      /^npm lodash 4\.17\.11 in the affected ranges of GHSA-jf85-cpcp-j695/,
    );
  });

  it('a finding without severity or CVSS keeps an "unknown" rating from its source', () => {
    const vulns = toCycloneDXWithVulns(scanned, OPTS).vulnerabilities as Vuln[];
    const v = vulns.find((x) => x.id === 'CVE-2019-10906') as Vuln;
    assert.deepEqual(v.ratings, [{ source: { name: 'osv' }, severity: 'unknown' }]);
    assert.equal(v.source.url, undefined);
    assert.deepEqual(
      v.references?.map((r) => r.id),
      ['PYSEC-2019-217', 'GHSA-462w-v97r-4m45'],
    );
    assert.equal(prop(v, VULN_PROP.fixedVersion), '2.10.1');
  });

  it('CVSS v2, v3.0 and v4 ratings use their methods and scales; unscored v4 has no severity', () => {
    const r = synthetic(scanned, {
      cvss: [
        { source: 'nvd', version: '2.0', vector: 'AV:N/AC:L/Au:N/C:C/I:C/A:C', score: 10 },
        { source: 'nvd', version: '3.0', vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
        {
          source: 'ghsa',
          version: '4.0',
          vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
        },
      ],
    });
    const bom = toCycloneDXWithVulns(r, OPTS);
    assertValid(cyclonedxValidator(), bom);
    const v = (bom.vulnerabilities as Vuln[])[0] as Vuln;
    assert.deepEqual(
      v.ratings.map((x) => [x.source.name, x.method, x.score, x.severity]),
      // The reported severity (nvd, HIGH) is restated by NVD's v2 rating, so it is not repeated.
      [
        ['nvd', 'CVSSv2', 10, 'high'],
        ['nvd', 'CVSSv3', 9.8, 'critical'],
        ['ghsa', 'CVSSv4', undefined, undefined],
      ],
    );
    assert.equal(v.recommendation, undefined, 'no fix: no recommendation');
    assert.equal(prop(v, VULN_PROP.fixedVersion), undefined);
    assert.equal(prop(v, VULN_PROP.status), 'affected');
  });

  it('hostile feed values are dropped or normalised, never written where the schema forbids them', () => {
    const r = synthetic(scanned, {
      url: 'javascript:alert(1)',
      references: ['not a url', 'ftp://example.test/x', 'https://example.test/a b'],
      published: 'yesterday',
      modified: '2023-01-02',
      title: undefined,
      description: 'only a description',
    });
    const bom = toCycloneDXWithVulns(r, OPTS);
    assertValid(cyclonedxValidator(), bom);
    const v = (bom.vulnerabilities as Vuln[])[0] as Vuln;
    assert.deepEqual(v.source, { name: 'osv' });
    assert.deepEqual(v.advisories, [{ url: 'https://example.test/a%20b' }]);
    assert.equal(v.published, undefined);
    assert.equal(v.updated, '2023-01-02T00:00:00.000Z');
    assert.equal(v.description, 'only a description');
    assert.equal(v.detail, undefined);
  });

  it('no vulnerability step: no vulnerabilities array; a step that found nothing: an empty one', () => {
    const { vulnerabilities: _, ...inventoryOnly } = scanned;
    const none = toCycloneDXWithVulns(inventoryOnly, OPTS) as Json;
    assert.equal('vulnerabilities' in none, false);
    const empty = toCycloneDXWithVulns({ ...scanned, vulnerabilities: [] }, OPTS);
    assertValid(cyclonedxValidator(), empty);
    assert.deepEqual(empty.vulnerabilities, []);
  });
});
