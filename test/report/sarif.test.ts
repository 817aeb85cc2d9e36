// SARIF 2.1.0 output: a real scan matched against the bundled advisories, checked against the official
// OASIS schema and against what GitHub code scanning reads (rules, levels, security-severity, locations).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Package } from '../../src/inventory/packages.js';
import type { Finding } from '../../src/match/match.js';
import { pathUri, SARIF_SCHEMA, sarifLevel, securitySeverity, toSarif } from '../../src/report/sarif.js';
import type { ScanResult } from '../../src/scan/scan.js';
import { feedsDb, projectDir, sarifValidator, scanWithVulns, TOOL } from './vuln-helpers.js';

type Json = Record<string, unknown>;
interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  defaultConfiguration: { level: string };
  helpUri?: string;
  help: { text: string; markdown: string };
  properties: { tags: string[]; 'security-severity'?: string };
}
interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
    message: { text: string };
  }[];
  partialFingerprints: Record<string, string>;
}
interface Run {
  tool: { driver: { name: string; version: string; rules: Rule[] } };
  results: Result[];
  invocations: {
    executionSuccessful: boolean;
    toolExecutionNotifications: { message: { text: string } }[];
  }[];
}

function assertValid(doc: unknown): void {
  const v = sarifValidator();
  assert.ok(v(doc), `SARIF schema errors: ${JSON.stringify(v.errors?.slice(0, 5), null, 1)}`);
}

const runOf = (log: Json) => (log.runs as Run[])[0] as Run;

function finding(over: Partial<Finding> & { pkg: Package }): Finding {
  return {
    id: 'CVE-2099-0001',
    aliases: [],
    installedVersion: over.pkg.version,
    status: 'fixed',
    severity: 'HIGH',
    severitySource: 'debian-tracker',
    cvss: [],
    dataSource: 'debian-tracker',
    namespace: 'debian:12',
    why: 'test',
    ...over,
  };
}

function pkg(over: Partial<Package> = {}): Package {
  return {
    type: 'deb',
    name: 'openssl',
    version: '3.0.11-1~deb12u1',
    purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64',
    filePath: 'var/lib/dpkg/status',
    layer: undefined,
    ...over,
  };
}

describe('SARIF output', () => {
  let scanned: ScanResult;
  before(async () => {
    scanned = await scanWithVulns(projectDir(), feedsDb());
  });

  it('the official schema rejects a broken log (the validator is not a no-op)', () => {
    const v = sarifValidator();
    assert.equal(v({ version: '2.1.0', runs: [{ tool: { driver: {} } }] }), false, 'driver.name is required');
    assert.equal(v({ version: '2.0.0', runs: [] }), false);
    assert.equal(
      v({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ level: 'fatal' }] }] }),
      false,
    );
    const located = (uri: string) => ({
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'x' } },
          results: [
            { message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri } } }] },
          ],
        },
      ],
    });
    assert.equal(v(located('a b/c')), false, 'a location must be a URI reference (formats are checked)');
    assert.equal(v(located('a%20b/c')), true);
    assert.equal(v({ version: '2.1.0', runs: [] }), true);
  });

  it('a scan with findings: valid SARIF 2.1.0, one rule per vulnerability, one result per finding', () => {
    const log = toSarif(scanned, { tool: TOOL });
    assertValid(log);
    assert.equal(log.$schema, SARIF_SCHEMA);
    assert.equal(log.version, '2.1.0');
    assert.equal((log.runs as unknown[]).length, 1);
    const run = runOf(log);
    assert.equal(run.tool.driver.name, 'drydock');
    assert.equal(run.tool.driver.version, TOOL.version);
    const rules = run.tool.driver.rules;
    assert.deepEqual(rules.map((r) => r.id).sort(), [
      'CVE-2019-10744',
      'CVE-2019-10906',
      'CVE-2020-11022',
      'CVE-2020-28493',
    ]);
    assert.equal(run.results.length, 4);
    for (const res of run.results) {
      assert.equal(rules[res.ruleIndex]?.id, res.ruleId, 'ruleIndex points at the rule of ruleId');
      assert.equal(res.locations.length, 1, 'GitHub needs at least one location');
      assert.equal(res.locations[0]?.physicalLocation.region.startLine, 1);
    }
    const prints = run.results.map((r) => r.partialFingerprints['drydockFindingHash/v1']);
    assert.equal(new Set(prints).size, 4, 'each finding has its own fingerprint');
    assert.deepEqual(run.invocations[0]?.toolExecutionNotifications, []);
  });

  it('lodash 4.17.11: CRITICAL with CVSS 9.1, located at the lockfile, with help and advisory link', () => {
    const run = runOf(toSarif(scanned, { tool: TOOL }));
    const rule = run.tool.driver.rules.find((r) => r.id === 'CVE-2019-10744') as Rule;
    assert.equal(rule.name, 'LanguagePackageVulnerability');
    assert.equal(rule.shortDescription.text, 'CVE-2019-10744: Prototype Pollution in lodash');
    assert.match(rule.fullDescription.text, /^Versions of `lodash` before 4\.17\.12 are vulnerable/);
    assert.equal(rule.helpUri, 'https://github.com/advisories/GHSA-jf85-cpcp-j695');
    assert.equal(rule.defaultConfiguration.level, 'error');
    assert.deepEqual(rule.properties.tags, ['vulnerability', 'security', 'CRITICAL']);
    assert.equal(rule.properties['security-severity'], '9.1', 'the CVSS 3.1 base score of the GHSA vector');
    for (const line of [
      'Package: lodash (npm)',
      'Installed version: 4.17.11',
      'Fixed version: 4.17.12',
      'Status: fixed',
      'File: app/package-lock.json',
      'Also known as: GHSA-jf85-cpcp-j695',
    ])
      assert.ok(rule.help.text.split('\n').includes(line), `help text has "${line}"`);
    assert.match(rule.help.text, /Matched because: npm lodash 4\.17\.11 in the affected ranges/);
    assert.ok(
      rule.help.markdown.includes('| lodash (npm) | 4.17.11 | 4.17.12 | fixed | app/package-lock.json |'),
      rule.help.markdown,
    );
    const res = run.results.find((r) => r.ruleId === 'CVE-2019-10744') as Result;
    assert.equal(res.level, 'error');
    assert.equal(res.locations[0]?.physicalLocation.artifactLocation.uri, 'app/package-lock.json');
    assert.equal(res.locations[0]?.message.text, 'lodash@4.17.11');
    assert.match(
      res.message.text,
      /^Package lodash \(npm\) 4\.17\.11 is affected by CVE-2019-10744 \(CRITICAL\)/,
    );
    assert.match(res.message.text, /Fixed version: 4\.17\.12\./);
  });

  it('levels and security-severity follow each advisory: MEDIUM 6.9 is a warning, no severity a note', () => {
    const run = runOf(toSarif(scanned, { tool: TOOL }));
    const rule = (id: string) => run.tool.driver.rules.find((r) => r.id === id) as Rule;
    const level = (id: string) => run.results.find((r) => r.ruleId === id)?.level;
    assert.equal(level('CVE-2020-11022'), 'warning');
    assert.equal(rule('CVE-2020-11022').properties['security-severity'], '6.9');
    for (const id of ['CVE-2019-10906', 'CVE-2020-28493']) {
      assert.equal(level(id), 'note');
      assert.equal(
        rule(id).properties['security-severity'],
        undefined,
        'nothing to score: left to the level',
      );
      assert.deepEqual(rule(id).properties.tags, ['vulnerability', 'security', 'UNKNOWN']);
      assert.equal(rule(id).helpUri, undefined, 'the PyPA records give no advisory page');
      const res = run.results.find((r) => r.ruleId === id) as Result;
      assert.equal(res.locations[0]?.physicalLocation.artifactLocation.uri, 'app/requirements.txt');
    }
  });

  it('maps severities to levels and to a score when no CVSS score is known', () => {
    assert.deepEqual((['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const).map(sarifLevel), [
      'error',
      'error',
      'warning',
      'note',
      'note',
    ]);
    const p = pkg();
    const sev = (...s: Finding['severity'][]) =>
      securitySeverity(s.map((severity) => finding({ pkg: p, severity })));
    assert.equal(sev('CRITICAL'), '9.5');
    assert.equal(sev('HIGH'), '8.0');
    assert.equal(sev('MEDIUM'), '5.5');
    assert.equal(sev('LOW'), '2.0');
    assert.equal(sev('UNKNOWN'), undefined);
    assert.equal(sev('LOW', 'HIGH'), '8.0', 'the worst severity of the rule');
    // The highest CVSS score wins over the severity band; a vector alone is scored (v3.x).
    const scored = finding({
      pkg: p,
      severity: 'LOW',
      cvss: [
        { source: 'nvd', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
        { source: 'debian', version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:N/A:N', score: 5 },
      ],
    });
    assert.equal(securitySeverity([scored]), '9.8');
  });

  it('OS packages are located at their package database; several packages share one rule', () => {
    const libssl = pkg({ name: 'libssl3', purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64' });
    const r: ScanResult = {
      ...scanned,
      vulnerabilities: [
        finding({
          pkg: pkg(),
          title: 'openssl: a flaw',
          url: 'https://security-tracker.debian.org/tracker/CVE-2099-0001',
        }),
        finding({ pkg: libssl, status: 'will_not_fix', fixedVersion: undefined, severity: 'LOW' }),
      ],
    };
    const log = toSarif(r, { tool: TOOL });
    assertValid(log);
    const run = runOf(log);
    assert.equal(run.tool.driver.rules.length, 1);
    const rule = run.tool.driver.rules[0] as Rule;
    assert.equal(rule.name, 'OsPackageVulnerability');
    assert.equal(rule.defaultConfiguration.level, 'error', 'the worst of HIGH and LOW');
    assert.ok(
      rule.help.text.includes(
        'Package: libssl3\nInstalled version: 3.0.11-1~deb12u1\nFixed version: -\nStatus: will_not_fix',
      ),
    );
    assert.deepEqual(
      run.results.map((x) => [x.ruleIndex, x.level, x.locations[0]?.physicalLocation.artifactLocation.uri]),
      [
        [0, 'error', 'var/lib/dpkg/status'],
        [0, 'note', 'var/lib/dpkg/status'],
      ],
    );
    assert.match(run.results[1]?.message.text ?? '', /No fixed version \(status: will_not_fix\)\./);
    assert.notEqual(
      run.results[0]?.partialFingerprints['drydockFindingHash/v1'],
      run.results[1]?.partialFingerprints['drydockFindingHash/v1'],
    );
  });

  it('feed text cannot break the log: bad URLs are dropped, odd paths are encoded, pipes escaped', () => {
    const weird = pkg({
      type: 'npm',
      name: 'a|b',
      filePath: 'srv/my app/c:d/naïve#1?.json',
      purl: 'pkg:npm/a%7Cb@1.0.0',
      version: '1.0.0',
    });
    const r: ScanResult = {
      ...scanned,
      warnings: ['no vulnerability database at /x: only the inventory is reported'],
      vulnerabilities: [
        finding({
          pkg: weird,
          id: 'GHSA-xxxx-yyyy-zzzz',
          url: 'javascript:alert(1)',
          title: 'pipes | and\nnewlines',
          description: 'x'.repeat(100_000),
          published: 'yesterday',
        }),
      ],
    };
    const log = toSarif(r, { tool: TOOL });
    assertValid(log);
    const run = runOf(log);
    const rule = run.tool.driver.rules[0] as Rule;
    assert.equal(rule.helpUri, undefined);
    assert.ok(rule.help.markdown.includes('| a\\|b (npm) | 1.0.0 |'), rule.help.markdown);
    assert.ok(rule.help.markdown.includes('pipes \\| and newlines'));
    assert.equal(rule.shortDescription.text, 'GHSA-xxxx-yyyy-zzzz: pipes | and', 'one line');
    assert.equal(
      run.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri,
      'srv/my%20app/c%3Ad/na%C3%AFve%231%3F.json',
    );
    assert.equal(decodeURIComponent(pathUri('srv/my app/c:d/naïve#1?.json')), 'srv/my app/c:d/naïve#1?.json');
    assert.equal(pathUri('var/lib/dpkg/status'), 'var/lib/dpkg/status');
    assert.equal(
      pathUri('app/node_modules/@babel/core/package.json'),
      'app/node_modules/@babel/core/package.json',
    );
    assert.deepEqual(
      run.invocations[0]?.toolExecutionNotifications.map((n) => n.message.text),
      ['no vulnerability database at /x: only the inventory is reported'],
    );
  });

  it('no vulnerability step (no database or --scanners none): one run, no rules, no results', () => {
    const { vulnerabilities: _, ...inventoryOnly } = scanned;
    const log = toSarif(inventoryOnly, { tool: TOOL });
    assertValid(log);
    const run = runOf(log);
    assert.deepEqual(run.tool.driver.rules, []);
    assert.deepEqual(run.results, []);
  });
});
