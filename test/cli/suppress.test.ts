// End to end through bin/drydock (run `npm run build` first): a project's lockfile against the
// bundled GitHub advisories, with findings suppressed by an ignore file found in the working
// directory, by --ignorefile, and by --vex (OpenVEX on a directory scan, CycloneDX VEX on sbom-scan).
// lodash 4.17.11 is below the 4.17.12 fix of CVE-2019-10744 (GHSA-jf85-cpcp-j695); jquery 3.4.1 is
// in the >=1.2.0 <3.5.0 range of CVE-2020-11022 (GHSA-gxr4-xjj5-5px2): both are found unsuppressed.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { isCleanUserError, ROOT, runCli, tmpdir } from '../helpers/env.js';

interface Report {
  Results: { Vulnerabilities?: { VulnerabilityID: string; PkgName: string }[] }[];
}

function ids(stdout: string): string[] {
  return (JSON.parse(stdout) as Report).Results.flatMap((r) =>
    (r.Vulnerabilities ?? []).map((v) => `${v.VulnerabilityID} ${v.PkgName}`),
  ).sort();
}

const BOTH = ['CVE-2019-10744 lodash', 'CVE-2020-11022 jquery'];

describe('suppression: ignore files and VEX (CLI)', () => {
  const dir = tmpdir('dd-suppress-');
  const proj = path.join(dir, 'proj');
  const db = path.join(dir, 'v.db');
  const cacheDir = path.join(dir, 'cache');
  // Scans run in `dir`, where the default ignore files are looked for.
  const scan = (...extra: string[]) =>
    runCli(['fs', proj, '--db', db, '--format', 'json', ...extra], { cwd: dir, cacheDir });
  const writeIgnore = (name: string, text: string) => {
    for (const n of ['.trivyignore', '.drydockignore']) rmSync(path.join(dir, n), { force: true });
    if (name) writeFileSync(path.join(dir, name), text);
  };

  before(async () => {
    mkdirSync(proj);
    writeFileSync(
      path.join(proj, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'x' },
          'node_modules/lodash': { version: '4.17.11' },
          'node_modules/jquery': { version: '3.4.1' },
        },
      }),
    );
    const imp = await runCli(['db', 'import', path.join(ROOT, 'examples/feeds'), '--db', db], { cacheDir });
    assert.equal(imp.code, 0, imp.stderr);
  });

  it('without an ignore file both findings are reported', async () => {
    writeIgnore('', '');
    const r = await scan();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ids(r.stdout), BOTH);
  });

  it('.trivyignore in the working directory: ids, expired entries, GHSA aliases', async () => {
    writeIgnore('.trivyignore', '# accepted\nCVE-2019-10744\nCVE-2020-11022 exp:2000-01-01\n');
    let r = await scan('--exit-code', '5');
    assert.equal(r.code, 5, r.stderr);
    assert.deepEqual(ids(r.stdout), ['CVE-2020-11022 jquery']);

    writeIgnore('.trivyignore', 'GHSA-jf85-cpcp-j695 exp:2999-12-31\nGHSA-gxr4-xjj5-5px2\n');
    r = await scan('--exit-code', '5');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ids(r.stdout), []);
  });

  it('.drydockignore (YAML, purl-scoped) is preferred to .trivyignore; --ignorefile names another', async () => {
    writeIgnore('.trivyignore', 'CVE-2019-10744\n');
    writeFileSync(
      path.join(dir, '.drydockignore'),
      'vulnerabilities:\n  - id: CVE-2020-11022\n    purls: ["pkg:npm/jquery"]\n    statement: not reachable\n',
    );
    let r = await scan();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ids(r.stdout), ['CVE-2019-10744 lodash']);
    r = await scan('--ignorefile', '.trivyignore');
    assert.deepEqual(ids(r.stdout), ['CVE-2020-11022 jquery']);
  });

  it('--vex with an OpenVEX not_affected statement for pkg:npm/jquery@3.4.1', async () => {
    writeIgnore('', '');
    const vex = path.join(dir, 'openvex.json');
    writeFileSync(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/1',
        author: 'test',
        timestamp: '2024-01-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: 'CVE-2020-11022' },
            products: [{ '@id': 'pkg:npm/jquery@3.4.1' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      }),
    );
    const r = await scan('--vex', vex);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ids(r.stdout), ['CVE-2019-10744 lodash']);
    // The ignore file and VEX together.
    writeIgnore('.trivyignore', 'CVE-2019-10744\n');
    assert.deepEqual(ids((await scan('--vex', vex)).stdout), []);
    writeIgnore('', '');
  });

  it('sbom-scan applies a CycloneDX VEX whose refs are BOM-Links to the SBOM bom-refs', async () => {
    writeIgnore('', '');
    const sbom = path.join(dir, 'proj.cdx.json');
    assert.equal((await runCli(['sbom', proj, '-o', sbom], { cwd: dir, cacheDir })).code, 0);
    const vex = path.join(dir, 'vex.cdx.json');
    writeFileSync(
      vex,
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.5',
        version: 1,
        vulnerabilities: [
          {
            id: 'CVE-2019-10744',
            analysis: { state: 'false_positive' },
            affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:npm/lodash@4.17.11' }],
          },
        ],
      }),
    );
    const r = await runCli(['sbom-scan', sbom, '--db', db, '--format', 'json', '--vex', vex], {
      cwd: dir,
      cacheDir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ids(r.stdout), ['CVE-2020-11022 jquery']);
  });

  it('a malformed ignore or VEX file, or a missing one, exits 2 with one line', async () => {
    writeIgnore('.trivyignore', 'CVE-2019-10744\nCVE-2020-11022 exp:2023-13-01\n');
    let r = await scan();
    assert.ok(isCleanUserError(r), r.stderr);
    assert.match(r.stderr, /ignore file \.trivyignore: line 2: bad expiry date/);
    assert.equal(r.stdout, '');

    writeIgnore('', '');
    r = await scan('--ignorefile', 'missing.yaml');
    assert.ok(isCleanUserError(r), r.stderr);

    const bad = path.join(dir, 'bad.vex.json');
    writeFileSync(bad, '{"statements": [{"vulnerability": "CVE-1", "status": "maybe"}]}');
    r = await scan('--vex', bad);
    assert.ok(isCleanUserError(r), r.stderr);
    assert.match(r.stderr, /VEX file .*bad\.vex\.json: statements\[0\]: unknown status "maybe"/);
  });
});
