import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openImage } from '../../src/image/source/open.js';
import { buildReport } from '../../src/report/json.js';
import { renderTable } from '../../src/report/table.js';
import { scanImage } from '../../src/scan/scan.js';
import { tmpdir } from '../helpers/env.js';

describe('table and JSON report targets', () => {
  it('OS packages, each lockfile and each installed ecosystem get their own section', async () => {
    const root = tmpdir();
    const put = (rel: string, data: string) => {
      mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
      writeFileSync(path.join(root, rel), data);
    };
    put('etc/os-release', 'ID=debian\nVERSION_ID="12"\n');
    put(
      'var/lib/dpkg/status',
      'Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\nArchitecture: all\n\n',
    );
    put(
      'app/Gemfile.lock',
      'GEM\n  remote: https://gems.example.test/\n  specs:\n    rake (13.0.6)\n\nDEPENDENCIES\n  rake\n',
    );
    put('app/node_modules/left-pad/package.json', '{"name":"left-pad","version":"1.3.0"}');
    put('app/node_modules/@s/x/package.json', '{"name":"@s/x","version":"2.0.0"}');
    const r = await scanImage(await openImage(`rootfs:${root}`), { cacheDir: null });
    const table = renderTable(r, { listAllPkgs: true, color: false });
    const heads = table.split('\n').filter((l) => /packages?$/.test(l) && !l.startsWith(' '));
    assert.deepEqual(heads, [
      'debian 12  OS packages, 1 package',
      'app/Gemfile.lock  bundler, 1 package',
      'Node.js  node-pkg, 2 packages',
    ]);
    const json = buildReport(r, { listAllPkgs: true }) as { Results: { Target: string; Type: string }[] };
    assert.deepEqual(
      json.Results.map((x) => [x.Target.replace(root, 'ROOT'), x.Type]),
      [
        ['rootfs:ROOT (debian 12)', 'debian'],
        ['app/Gemfile.lock', 'bundler'],
        ['Node.js', 'node-pkg'],
      ],
    );
  });
});
