import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ImageError } from '../../src/errors.js';
import { BombGuard, decompressor, peek, sniffCompression } from '../../src/image/decompress.js';

async function run(data: Buffer, kind: 'gzip' | 'zstd'): Promise<Buffer> {
  const d = decompressor(kind, 'test blob');
  assert.ok(d);
  const out: Buffer[] = [];
  await pipeline(Readable.from([data]), d, async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) out.push(c);
  });
  return Buffer.concat(out);
}

const payload = Buffer.from('drydock '.repeat(50_000));

describe('sniffCompression', () => {
  it('detects by magic bytes, not names', () => {
    assert.equal(sniffCompression(gzipSync(payload), 'x'), 'gzip');
    assert.equal(sniffCompression(execFileSync('zstd', ['-q', '-c'], { input: payload }), 'x'), 'zstd');
    assert.equal(sniffCompression(payload, 'x'), 'none');
    assert.throws(() => sniffCompression(Buffer.from('\xfd7zXZ\0abc', 'latin1'), 'x'), /xz/);
    assert.throws(() => sniffCompression(Buffer.from('BZh91AY'), 'x'), /bzip2/);
  });
});

describe('decompressors', () => {
  it('round-trip gzip and zstd (including a multi-frame zstd stream)', async () => {
    assert.ok((await run(gzipSync(payload), 'gzip')).equals(payload));
    const z = execFileSync('zstd', ['-q', '-c'], { input: payload });
    assert.ok((await run(z, 'zstd')).equals(payload));
    assert.ok((await run(Buffer.concat([z, z]), 'zstd')).equals(Buffer.concat([payload, payload])));
  });
  it('turn truncated or corrupt data into ImageError', async () => {
    const g = gzipSync(payload);
    await assert.rejects(
      run(g.subarray(0, g.length - 50), 'gzip'),
      (e: unknown) => e instanceof ImageError && /corrupt gzip/.test(e.message),
    );
    const bad = Buffer.from(g);
    bad.writeUInt16BE(bad.readUInt16BE(100) ^ 0xffff, 100);
    await assert.rejects(run(bad, 'gzip'), ImageError);
    const z = execFileSync('zstd', ['-q', '-c'], { input: payload });
    await assert.rejects(
      run(z.subarray(0, z.length - 20), 'zstd'),
      (e: unknown) => e instanceof ImageError && /corrupt zstd/.test(e.message),
    );
  });
});

describe('BombGuard', () => {
  it('stops on ratio and on absolute size', async () => {
    const chunks = Array.from({ length: 100 }, () => Buffer.alloc(1 << 20));
    const guard = new BombGuard(
      () => 1000,
      { maxBytes: 2 ** 40, maxRatio: 100, ratioAfter: 10 << 20 },
      'layer X',
    );
    await assert.rejects(
      pipeline(Readable.from(chunks), guard, async (s: AsyncIterable<Buffer>) => {
        for await (const _ of s);
      }),
      (e: unknown) => e instanceof ImageError && /decompression bomb/.test(e.message),
    );
    const guard2 = new BombGuard(
      () => 1 << 30,
      { maxBytes: 5 << 20, maxRatio: 100, ratioAfter: 2 ** 40 },
      'layer X',
    );
    await assert.rejects(
      pipeline(Readable.from(chunks), guard2, async (s: AsyncIterable<Buffer>) => {
        for await (const _ of s);
      }),
      (e: unknown) => e instanceof ImageError && /more than/.test(e.message),
    );
  });
});

describe('peek', () => {
  it('returns the first bytes and leaves them in the stream', async () => {
    const { head, stream: s } = await peek(Readable.from([Buffer.from('ab'), Buffer.from('cdefgh')]), 4);
    assert.equal(head.toString(), 'abcd');
    const rest: Buffer[] = [];
    for await (const c of s) rest.push(c as Buffer);
    assert.equal(Buffer.concat(rest).toString(), 'abcdefgh');
  });
  it('returns what there is for a short stream', async () => {
    const { head, stream } = await peek(Readable.from([Buffer.from('ab')]), 6);
    assert.equal(head.toString(), 'ab');
    const rest: Buffer[] = [];
    for await (const c of stream) rest.push(c as Buffer);
    assert.equal(Buffer.concat(rest).toString(), 'ab');
  });
});
