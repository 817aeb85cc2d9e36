// End to end: the real Alpine 3.10 and 3.11 package databases against the real Alpine secdb of
// their release. The expected findings are computed here — the secdb read by Python's YAML
// library, versions compared by an independent model of apk's order — not by drydock's code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { modelCompare } from '../helpers/apk-model.js';
import { runCli, SHARED, SKIP_SHARED, tmpdir } from '../helpers/env.js';

const PY_YAML = spawnSync('python3', ['-c', 'import yaml']).status === 0;

/** [origin, fixed version, CVE] of a secdb YAML file, read by PyYAML. */
function secfixes(file: string): [string, string, string][] {
  const r = spawnSync(
    'python3',
    [
      '-c',
      `import sys, yaml, json
d = yaml.safe_load(open(sys.argv[1]))
out = []
for p in d.get('packages') or []:
    pkg = p['pkg']
    for ver, ids in (pkg.get('secfixes') or {}).items():
        for i in ids or []:
            out.append([pkg['name'], str(ver), str(i).split()[0]])
print(json.dumps(out))`,
      file,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as [string, string, string][];
}

function installed(file: string): { name: string; version: string; origin: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n\n')
    .map((block) => {
      const f: Record<string, string> = {};
      for (const l of block.split('\n')) if (l[1] === ':') f[l[0] as string] = l.slice(2);
      return { name: f.P ?? '', version: f.V ?? '', origin: f.o ?? f.P ?? '' };
    })
    .filter((p) => p.name);
}

const APK_RE = /^\d+(\.\d+)*[a-z]?(_[a-z]+\d*)*(-r\d+)?$/;

describe('vulnerabilities: Alpine 3.10 and 3.11 against the real secdb', () => {
  for (const [tag, rel] of [
    ['alpine-310', 'v3.10'],
    ['alpine-311', 'v3.11'],
  ] as const) {
    it(`${tag}: exactly the CVEs fixed after the installed version of each origin package`, {
      skip: SKIP_SHARED || (PY_YAML ? false : 'needs python3 with PyYAML for the expected findings'),
    }, async () => {
      const root = path.join(SHARED, 'data/trivy-alpine-image-extracts', tag, 'rootfs');
      const feed = path.join(SHARED, 'data/alpine-secdb-legacy', rel);
      // As shipped (patched: the secdb snapshot is older than the image) and with every version
      // rolled back to 0.1-r0 (every listed fix then applies): both must come out exactly.
      for (const rollback of [false, true]) {
        const dir = tmpdir('dd-vuln-apk-');
        cpSync(root, path.join(dir, 'rootfs'), { recursive: true });
        const dbFile = path.join(dir, 'rootfs/lib/apk/db/installed');
        if (rollback) writeFileSync(dbFile, readFileSync(dbFile, 'utf8').replace(/^V:.*$/gm, 'V:0.1-r0'));
        const pkgs = installed(dbFile);
        // The first fixed version of each (origin, CVE): the secdb may list a CVE twice.
        const first = new Map<string, string>();
        for (const file of ['main.yaml', 'community.yaml']) {
          for (const [origin, fixed, id] of secfixes(path.join(feed, file))) {
            if (!id.startsWith('CVE-') || fixed === '0' || !APK_RE.test(fixed)) continue;
            const k = `${origin} ${id}`;
            const prev = first.get(k);
            if (!prev || modelCompare(fixed, prev) < 0) first.set(k, fixed);
          }
        }
        const expected = new Set<string>();
        for (const [k, fixed] of first) {
          const [origin, id] = k.split(' ') as [string, string];
          for (const p of pkgs)
            if (p.origin === origin && modelCompare(p.version, fixed) < 0) expected.add(`${id} ${p.name}`);
        }
        if (rollback) assert.ok(expected.size > 20, `${expected.size} expected findings`);
        const db = path.join(dir, 'v.db');
        assert.equal((await runCli(['db', 'import', feed, '--db', db])).code, 0);
        const r = await runCli(['fs', path.join(dir, 'rootfs'), '--db', db, '--format', 'json']);
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout) as {
          Results: { Class: string; Vulnerabilities: { VulnerabilityID: string; PkgName: string }[] }[];
        };
        const got = new Set(
          report.Results.filter((x) => x.Class === 'os-pkgs').flatMap((x) =>
            x.Vulnerabilities.map((v) => `${v.VulnerabilityID} ${v.PkgName}`),
          ),
        );
        assert.deepEqual(
          {
            missing: [...expected].filter((x) => !got.has(x)).sort(),
            extra: [...got].filter((x) => !expected.has(x)).sort(),
          },
          { missing: [], extra: [] },
        );
      }
    });
  }
});
