// bin/drydock keeps V8's code cache for the bundle in <cache>/v8/: reused, repaired, optional.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tmpdir } from '../helpers/env.js';

function codeFiles(cache: string): string[] {
  const dir = path.join(cache, 'v8');
  return existsSync(dir) ? readdirSync(dir).map((f) => path.join(dir, f)) : [];
}

describe('bin/drydock code cache', () => {
  it('is written once, reused, and rewritten when V8 rejects it', async () => {
    const cache = tmpdir('dd-v8-');
    const first = await runCli(['--version'], { cacheDir: cache });
    assert.equal(first.code, 0);
    const [file] = codeFiles(cache);
    assert.ok(file?.endsWith('.code'), 'a code cache file');
    const data = readFileSync(file as string);
    assert.ok(data.length > 10_000);
    assert.equal((await runCli(['--version'], { cacheDir: cache })).stdout, first.stdout);
    assert.ok(readFileSync(file as string).equals(data), 'an accepted cache is left as it is');
    writeFileSync(file as string, Buffer.from('garbage'));
    const again = await runCli(['--version'], { cacheDir: cache });
    assert.equal(again.code, 0);
    assert.equal(again.stdout, first.stdout);
    assert.ok(readFileSync(file as string).length > 10_000, 'a rejected cache is replaced');
  });

  it('is not written with --no-cache, and an unusable cache directory only costs time', async () => {
    const cache = tmpdir('dd-v8-');
    const r = await runCli(['fs', cache, '--no-cache', '--format', 'json'], { cacheDir: cache });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(codeFiles(cache), []);
    const notADir = path.join(tmpdir('dd-v8-'), 'file');
    writeFileSync(notADir, 'x');
    const v = await runCli(['--version'], { cacheDir: notADir });
    assert.equal(v.code, 0);
    assert.equal(v.stderr, '');
  });
});

describe('bin/drydock output to a closed pipe', () => {
  it('stops quietly with exit 0 when the reader goes away (| head)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { BIN } = await import('../helpers/env.js');
    // 74 KB of output, more than a pipe holds: the write fails with EPIPE once head has exited
    const r = spawnSync(
      'bash',
      [
        '-c',
        'set -o pipefail; "$0" seccomp compile docker-default -f c 2>err.txt | head -c 20 >/dev/null; echo "rc=$?"; cat err.txt',
        BIN,
      ],
      { encoding: 'utf8', cwd: tmpdir('dd-epipe-') },
    );
    assert.equal(r.stdout.split('\n')[0], 'rc=0', r.stdout);
    assert.doesNotMatch(r.stdout, /EPIPE|Error|\n\s+at /, 'no stack trace');
  });
});
