// -o FILE: a regular file is replaced atomically; a FIFO or device is written in place (renaming
// over /dev/null once replaced the device with a file).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tmpdir } from '../helpers/env.js';

describe('-o FILE', () => {
  it('writes into a FIFO without replacing it, and replaces a regular file', async () => {
    const dir = tmpdir('dd-out-');
    const fifo = path.join(dir, 'report.fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (d) => {
      got += d;
    });
    const done = new Promise((r) => reader.on('close', r));
    const r = await runCli(['fs', dir, '--format', 'json', '--scanners', 'none', '-o', fifo]);
    await done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(statSync(fifo).isFIFO(), 'still a FIFO');
    assert.equal((JSON.parse(got) as { SchemaVersion: number }).SchemaVersion, 2);
    const file = path.join(dir, 'report.json');
    writeFileSync(file, 'old');
    assert.equal((await runCli(['fs', dir, '--format', 'json', '--scanners', 'none', '-o', file])).code, 0);
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { SchemaVersion: number }).SchemaVersion, 2);
    const d = await runCli(['fs', dir, '--scanners', 'none', '-o', dir]);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /it is a directory/);
  });
});
