import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { releaseFileAnalyzer } from '../../src/analyze/os/release-files.js';
import { dpkgAnalyzer } from '../../src/analyze/pkg/dpkg.js';
import type { LayerAnalysis } from '../../src/analyze/types.js';
import { LayerCache, layerCacheKey } from '../../src/cache/layer-cache.js';
import { ROOT, tmpdir } from '../helpers/env.js';

const diffID = `sha256:${'d'.repeat(64)}`;
const analysis: LayerAnalysis = {
  diffID,
  results: { dpkg: { 'var/lib/dpkg/status': [] } },
  whiteouts: ['etc/motd'],
  opaqueDirs: [],
  stats: { entries: 3, bytes: 10, analyzed: 1 },
  warnings: [],
};

describe('layer cache', () => {
  it('keys depend on diffID, analyzer versions and options', () => {
    const k = layerCacheKey(diffID, [dpkgAnalyzer, releaseFileAnalyzer], { listFiles: false });
    assert.equal(k, layerCacheKey(diffID, [releaseFileAnalyzer, dpkgAnalyzer], { listFiles: false }));
    assert.notEqual(
      k,
      layerCacheKey(diffID, [{ ...dpkgAnalyzer, version: 99 }, releaseFileAnalyzer], { listFiles: false }),
    );
    assert.notEqual(k, layerCacheKey(diffID, [dpkgAnalyzer, releaseFileAnalyzer], { listFiles: true }));
    assert.notEqual(
      k,
      layerCacheKey(`sha256:${'e'.repeat(64)}`, [dpkgAnalyzer, releaseFileAnalyzer], { listFiles: false }),
    );
  });

  it('round-trips and ignores corrupt or foreign entries', async () => {
    const dir = tmpdir();
    const c = new LayerCache(dir);
    const key = layerCacheKey(diffID, [dpkgAnalyzer], {});
    assert.equal(await c.get(key, diffID), undefined);
    await c.put(key, analysis);
    assert.deepEqual(await c.get(key, diffID), analysis);
    assert.equal(await c.get(key, `sha256:${'0'.repeat(64)}`), undefined);
    writeFileSync(path.join(dir, 'layers', key.slice(0, 2), `${key}.json`), '{"key": "trunc');
    assert.equal(await c.get(key, diffID), undefined);
  });

  it('several processes writing the same entries at once leave a valid cache', async () => {
    const dir = tmpdir();
    const script = `
      import { LayerCache } from ${JSON.stringify(path.join(ROOT, 'src/cache/layer-cache.ts'))};
      const c = new LayerCache(${JSON.stringify(dir)});
      const a = ${JSON.stringify(analysis)};
      for (let i = 0; i < 50; i++) await c.put('k' + (i % 5) + 'x'.repeat(10), { ...a, stats: { ...a.stats, entries: i } });
    `;
    const runs = Array.from(
      { length: 4 },
      () =>
        new Promise<number>((resolve) => {
          const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
            stdio: 'inherit',
            cwd: ROOT,
          });
          p.on('close', (code) => resolve(code ?? -1));
        }),
    );
    assert.deepEqual(await Promise.all(runs), [0, 0, 0, 0]);
    const c = new LayerCache(dir);
    for (let i = 0; i < 5; i++) {
      const got = await c.get(`k${i}${'x'.repeat(10)}`, diffID);
      assert.ok(got, `entry ${i} readable`);
    }
    const leftovers = readdirSync(path.join(dir, 'layers', 'k0')).filter((f) => f.includes('.tmp-'));
    assert.deepEqual(leftovers, []);
  });
});
