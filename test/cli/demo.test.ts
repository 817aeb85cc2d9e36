// The README's first command runs `npm run demo`: keep it working.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tmpdir } from '../helpers/env.js';

describe('npm run demo', () => {
  it('imports the sample feeds, packs the sample image and scans it twice, the second time from the cache', () => {
    const dir = tmpdir('dd-demo-');
    const r = spawnSync('bash', [path.join(ROOT, 'scripts/demo.sh')], {
      env: { ...process.env, DRYDOCK_DEMO_DIR: dir },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /OS: +debian 12\.\d+/);
    assert.match(r.stdout, /packages: 116/);
    assert.match(r.stdout, /sudo +1\.9\.\S+ +amd64 +layer 2/);
    assert.match(r.stdout, /scan: 0 layer\(s\) analyzed, 3 from cache/);
    // the bundled feeds find the sample app's vulnerable dependencies
    assert.match(r.stdout, /CVE-2019-10744 +CRITICAL +lodash +4\.17\.11 +4\.17\.12/);
    assert.match(r.stdout, /CVE-2020-14040 +\w+ +golang\.org\/x\/text +v0\.3\.2 +0\.3\.3/);
    assert.match(r.stdout, /CVE-2020-28493 +\w+ +jinja2 +2\.10 +2\.11\.3/);
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as {
      Results: { Target: string }[];
    };
    assert.match(report.Results[0]?.Target ?? '', /sample\.docker\.tar \(debian 12\.\d+\)/);
    assert.ok(existsSync(path.join(dir, 'oci', 'index.json')));
    // the hardening audit of the sample compose file, and of its hardened version
    assert.match(r.stdout, /examples\/deploy\/compose\.yaml \(docker-compose\) +5 failures/);
    assert.match(r.stdout, /CRITICAL DDC028:22 +service app mounts the host's \/var\/run\/docker\.sock/);
    assert.match(r.stdout, /compose\.hardened\.yaml \(docker-compose\) +1 failure,/);
    assert.match(readFileSync(path.join(dir, 'compose.hardened.yaml'), 'utf8'), /cap_drop: \[ALL\]/);
  });
});
