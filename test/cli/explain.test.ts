import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isCleanUserError, ROOT, runCli, tmpdir } from '../helpers/env.js';

describe('drydock explain', () => {
  it('says which packages an advisory was checked against and why they are or are not affected', async () => {
    const dir = tmpdir('dd-explain-');
    const app = path.join(dir, 'app');
    mkdirSync(app);
    writeFileSync(
      path.join(app, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'x' },
          'node_modules/lodash': { version: '4.17.11' },
          'node_modules/jquery': { version: '3.5.0' },
        },
      }),
    );
    const db = path.join(dir, 'v.db');
    assert.equal((await runCli(['db', 'import', path.join(ROOT, 'examples/feeds'), '--db', db])).code, 0);
    // by alias (the CVE) and by the advisory's own id
    const a = await runCli(['explain', app, 'CVE-2019-10744', '--db', db]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(
      a.stdout,
      /AFFECTED +lodash 4\.17\.11: npm lodash 4\.17\.11 in the affected ranges of GHSA-jf85-cpcp-j695/,
    );
    assert.match(a.stdout, /no package of the target is lodash-es in npm/);
    const b = await runCli(['explain', app, 'GHSA-gxr4-xjj5-5px2', '--db', db, '--format', 'json']);
    assert.equal(b.code, 0, b.stderr);
    const j = JSON.parse(b.stdout) as {
      Namespace: string;
      Packages: { PkgName: string; Affected: boolean; Reason: string }[];
      Note?: string;
    }[];
    const npm = j.find((x) => x.Namespace === 'npm');
    assert.deepEqual(
      npm?.Packages.map((p) => [p.PkgName, p.Affected]),
      [['jquery', false]],
    );
    assert.match(npm?.Packages[0]?.Reason ?? '', /outside the affected ranges/);
    assert.match(
      j.find((x) => x.Namespace === 'nuget')?.Note ?? '',
      /jquery is installed, but for npm, not nuget/,
    );
    const c = await runCli(['explain', app, 'CVE-1999-0001', '--db', db]);
    assert.match(c.stdout, /no advisory in the database .* names it/);
    const bad = await runCli(['explain', app, '../../etc/passwd', '--db', db]);
    assert.equal(bad.code, 2);
    assert.ok(isCleanUserError(bad), bad.stderr);
  });
});
