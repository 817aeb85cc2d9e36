// `--format sarif` and `--format cyclonedx` through the built CLI (bin/drydock): `fs`, `image
// rootfs:` and `sbom-scan`, against the bundled feeds; each output checked against its official schema.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { isCleanUserError, ROOT, runCli, tmpdir } from '../helpers/env.js';
import { sarifValidator } from '../report/vuln-helpers.js';
import { assertValid, cyclonedxValidator } from '../sbom/helpers.js';

type Json = Record<string, unknown>;
interface SarifRun {
  tool: { driver: { name: string; rules: { id: string; properties: Json }[] } };
  results: {
    ruleId: string;
    level: string;
    locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
  }[];
}
interface Bom {
  metadata: { component: { type: string } };
  components: { 'bom-ref': string; name: string; version?: string }[];
  vulnerabilities?: { id: string; affects: { ref: string }[] }[];
}

function sarifOf(stdout: string): SarifRun {
  const log = JSON.parse(stdout) as Json;
  const v = sarifValidator();
  assert.ok(v(log), `SARIF schema errors: ${JSON.stringify(v.errors?.slice(0, 5))}`);
  return (log.runs as SarifRun[])[0] as SarifRun;
}

/** "<id> <name>@<version>" per vulnerability, each affects ref resolved in the BOM's components. */
function bomFindings(bom: Bom): string[] {
  const byRef = new Map(bom.components.map((c) => [c['bom-ref'], c]));
  return (bom.vulnerabilities ?? [])
    .map((v) => {
      const c = byRef.get(v.affects[0]?.ref ?? '');
      assert.ok(c, `${v.id}: dangling affects ref`);
      return `${v.id} ${c.name}@${c.version}`;
    })
    .sort();
}

describe('vulnerability report formats through the CLI', () => {
  const dir = tmpdir('dd-cli-formats-');
  const app = path.join(dir, 'app');
  const db = path.join(dir, 'v.db');
  // lodash 4.17.11 is below the 4.17.12 fix of CVE-2019-10744 (GHSA-jf85-cpcp-j695, CRITICAL).
  const want = ['CVE-2019-10744 lodash@4.17.11'];

  before(async () => {
    mkdirSync(app);
    writeFileSync(
      path.join(app, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: { '': { name: 'x' }, 'node_modules/lodash': { version: '4.17.11' } },
      }),
    );
    const imp = await runCli(['db', 'import', path.join(ROOT, 'examples/feeds'), '--db', db]);
    assert.equal(imp.code, 0, imp.stderr);
  });

  it('fs --format sarif: a valid log with the lodash rule and result at the lockfile', async () => {
    const r = await runCli(['fs', app, '--db', db, '--format', 'sarif']);
    assert.equal(r.code, 0, r.stderr);
    const run = sarifOf(r.stdout);
    assert.equal(run.tool.driver.name, 'drydock');
    assert.deepEqual(
      run.tool.driver.rules.map((x) => [x.id, x.properties['security-severity']]),
      [['CVE-2019-10744', '9.1']],
    );
    assert.deepEqual(
      run.results.map((x) => [x.ruleId, x.level, x.locations[0]?.physicalLocation.artifactLocation.uri]),
      [['CVE-2019-10744', 'error', 'package-lock.json']],
    );
  });

  it('image rootfs: --format cyclonedx -o FILE: a valid BOM whose vulnerability names the lodash component', async () => {
    const out = path.join(dir, 'report.cdx.json');
    const r = await runCli(['image', `rootfs:${app}`, '--db', db, '--format', 'cyclonedx', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const bom = JSON.parse(readFileSync(out, 'utf8')) as Bom;
    assertValid(cyclonedxValidator(), bom);
    assert.deepEqual(bomFindings(bom), want);
  });

  it('sbom-scan: both formats from an SBOM of the project, with --exit-code', async () => {
    const sbom = path.join(dir, 'app.cdx.json');
    assert.equal((await runCli(['sbom', app, '-o', sbom])).code, 0);
    const s = await runCli(['sbom-scan', sbom, '--db', db, '--format', 'sarif', '--exit-code', '4']);
    assert.equal(s.code, 4, s.stderr);
    assert.deepEqual(
      sarifOf(s.stdout).results.map((x) => x.ruleId),
      ['CVE-2019-10744'],
    );
    const c = await runCli(['sbom-scan', sbom, '--db', db, '--format', 'cyclonedx']);
    assert.equal(c.code, 0, c.stderr);
    const bom = JSON.parse(c.stdout) as Bom;
    assertValid(cyclonedxValidator(), bom);
    assert.deepEqual(bomFindings(bom), want);
    assert.equal(bom.metadata.component.type, 'application', 'an SBOM of a directory is not a container');
  });

  it('--scanners none: SARIF with no results, CycloneDX with no vulnerabilities array', async () => {
    const s = await runCli(['fs', app, '--scanners', 'none', '--format', 'sarif']);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(sarifOf(s.stdout).results, []);
    const c = await runCli(['fs', app, '--scanners', 'none', '--format', 'cyclonedx']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((JSON.parse(c.stdout) as Bom).vulnerabilities, undefined);
  });

  it('an unknown format is a clean usage error (exit 2) for fs, image and sbom-scan', async () => {
    for (const args of [
      ['fs', app, '--format', 'sarif2'],
      ['image', `rootfs:${app}`, '-f', 'spdx-json'],
      ['sbom-scan', path.join(dir, 'missing.json'), '--format', 'xml'],
    ]) {
      const r = await runCli(args);
      assert.ok(isCleanUserError(r), `${args.join(' ')}: ${r.code} ${r.stderr}`);
      assert.match(r.stderr, /--format must be one of table, json, sarif, cyclonedx/);
    }
  });
});
