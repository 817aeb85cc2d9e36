// End to end with real feeds: a project's lockfiles against the Go vulnerability database, the PyPA
// and GitHub advisories (bundled in examples/feeds) — scanned directly and through an SBOM.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runCli, tmpdir } from '../helpers/env.js';

interface Report {
  Results: {
    Target: string;
    Vulnerabilities: {
      VulnerabilityID: string;
      PkgName: string;
      InstalledVersion: string;
      FixedVersion?: string;
    }[];
  }[];
}

function found(r: Report): string[] {
  return r.Results.flatMap((x) =>
    x.Vulnerabilities.map(
      (v) => `${v.VulnerabilityID} ${v.PkgName} ${v.InstalledVersion} ${v.FixedVersion ?? '-'}`,
    ),
  ).sort();
}

describe('vulnerabilities: language packages against real feeds', () => {
  it('Go, PyPI and npm lockfiles; the same findings from the SBOM of the project', async () => {
    const dir = tmpdir('dd-vuln-lang-');
    const app = path.join(dir, 'app');
    mkdirSync(app);
    // Versions chosen by reading the advisories: x/text 0.3.5 is below the 0.3.7 and 0.3.8 fixes but
    // not the 0.3.3 one; jinja2 2.11.2 is below only the 2.11.3 fix; lodash 4.17.12 is fixed for
    // CVE-2019-10744 (< 4.17.12); jquery 1.1.4 is below the range of CVE-2020-11022 (>= 1.2.0).
    writeFileSync(
      path.join(app, 'go.mod'),
      'module example.com/x\n\ngo 1.19\n\nrequire golang.org/x/text v0.3.5\n',
    );
    writeFileSync(path.join(app, 'requirements.txt'), 'Jinja2==2.11.2\n');
    writeFileSync(
      path.join(app, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'x' },
          'node_modules/lodash': { version: '4.17.12' },
          'node_modules/jquery': { version: '1.1.4' },
        },
      }),
    );
    const db = path.join(dir, 'v.db');
    const imp = await runCli(['db', 'import', path.join(ROOT, 'examples/feeds'), '--db', db]);
    assert.equal(imp.code, 0, imp.stderr);
    const want = [
      'CVE-2020-28493 Jinja2 2.11.2 2.11.3',
      'CVE-2021-38561 golang.org/x/text v0.3.5 0.3.7',
      'CVE-2022-32149 golang.org/x/text v0.3.5 0.3.8',
    ];
    const r = await runCli(['fs', app, '--db', db, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(found(JSON.parse(r.stdout) as Report), want);
    const sbom = path.join(dir, 'app.cdx.json');
    assert.equal((await runCli(['sbom', app, '-o', sbom])).code, 0);
    const s = await runCli(['sbom-scan', sbom, '--db', db, '--format', 'json', '--exit-code', '3']);
    assert.equal(s.code, 3, s.stderr);
    assert.deepEqual(found(JSON.parse(s.stdout) as Report), want);
  });
});
