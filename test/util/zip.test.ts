import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  Budget,
  bufferSource,
  openZip,
  type RandomAccess,
  readEntry,
  storedEntrySource,
  ZipError,
  ZipLimitError,
} from '../../src/util/zip.js';
import { ROOT, tmpdir } from '../helpers/env.js';
import { makeZip } from '../helpers/zip.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'java');
const BIG = { maxSize: 1 << 30 };

async function readAll(buf: Buffer): Promise<Map<string, string>> {
  const src = bufferSource(buf);
  const dir = await openZip(src);
  const out = new Map<string, string>();
  for (const e of dir.entries) out.set(e.name, (await readEntry(src, e, BIG)).toString('latin1'));
  return out;
}

function have(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

const B_TXT = Array.from({ length: 200 }, (_, i) => `line ${i + 1} of a compressible text file\n`).join('');

describe('ZIP reader', () => {
  it('reads stored and deflated entries, UTF-8 names, a comment', async () => {
    const zip = makeZip(
      [
        { name: 'a.txt', data: 'hello', method: 0 },
        { name: 'dir/b.txt', data: B_TXT },
        { name: 'é/ü.txt', data: '' },
      ],
      { comment: 'PK\x05\x06 a comment that looks like an end record' },
    );
    assert.deepEqual(
      await readAll(zip),
      new Map([
        ['a.txt', 'hello'],
        ['dir/b.txt', B_TXT],
        ['é/ü.txt', ''],
      ]),
    );
  });

  it("ZIP64 written by Info-ZIP's zip -fz (committed fixture) and by our writer", async () => {
    const got = await readAll(readFileSync(path.join(FIXTURES, 'zip64-infozip.zip')));
    assert.deepEqual(
      got,
      new Map([
        ['a.txt', 'hello\n'],
        ['b.txt', B_TXT],
        ['c.bin', 'x'],
      ]),
    );
    const ours = makeZip(
      [
        { name: 'x', data: B_TXT },
        { name: 'y', data: 'y', method: 0 },
      ],
      { zip64: true },
    );
    assert.deepEqual(
      await readAll(ours),
      new Map([
        ['x', B_TXT],
        ['y', 'y'],
      ]),
    );
  });

  it('a prefix before the archive (a launch script) shifts every offset', async () => {
    const zip = makeZip(
      [
        { name: 'a', data: 'A' },
        { name: 'b', data: 'B', method: 0 },
      ],
      {
        prefix: Buffer.from('#!/bin/sh\nexec java -jar "$0" "$@"\n'),
      },
    );
    assert.deepEqual(
      await readAll(zip),
      new Map([
        ['a', 'A'],
        ['b', 'B'],
      ]),
    );
  });

  it('archives written by Info-ZIP zip, python zipfile (ZIP64 forced) and jar read back the same', {
    skip: have('python3') ? false : 'python3 is not installed',
  }, async () => {
    const dir = tmpdir('dd-zip-');
    const script = `
import zipfile, sys
files = {'a.txt': b'hello', 'big.txt': b'abc' * 50000, 'empty': b'', 'sub/\\u00e9.bin': bytes(range(256)) * 10}
for name, method, z64 in [('d.zip', zipfile.ZIP_DEFLATED, False), ('s.zip', zipfile.ZIP_STORED, False), ('z.zip', zipfile.ZIP_DEFLATED, True)]:
    with zipfile.ZipFile(sys.argv[1] + '/' + name, 'w', compression=method) as z:
        for n, d in files.items():
            with z.open(n, 'w', force_zip64=z64) as f:
                f.write(d)
`;
    assert.equal(spawnSync('python3', ['-c', script, dir]).status, 0);
    const want = new Map([
      ['a.txt', 'hello'],
      ['big.txt', 'abc'.repeat(50000)],
      ['empty', ''],
      ['sub/é.bin', Buffer.from(Array.from({ length: 2560 }, (_, i) => i % 256)).toString('latin1')],
    ]);
    for (const f of ['d.zip', 's.zip', 'z.zip'])
      assert.deepEqual(await readAll(readFileSync(path.join(dir, f))), want, f);
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src', 'x.txt'), 'x'.repeat(100000));
    for (const [tool, args, out] of [
      ['zip', ['-q', '-r', 'i.zip', 'src'], 'i.zip'],
      ['jar', ['--create', '--file', 'j.jar', 'src'], 'j.jar'],
    ] as const) {
      if (!have(tool)) continue;
      assert.equal(spawnSync(tool, args, { cwd: dir }).status, 0, tool);
      const got = await readAll(readFileSync(path.join(dir, out)));
      assert.equal(got.get('src/x.txt'), 'x'.repeat(100000), tool);
    }
  });

  it('a stored entry is read in place as a source', async () => {
    const inner = makeZip([{ name: 'in.txt', data: 'inner' }]);
    const outer = makeZip([
      { name: 'pad', data: 'p'.repeat(1000) },
      { name: 'in.zip', data: inner, method: 0 },
    ]);
    const src = bufferSource(outer);
    const dir = await openZip(src);
    const e = dir.entries.find((x) => x.name === 'in.zip');
    assert.ok(e);
    const win = await storedEntrySource(src, e, dir.dataEnd);
    assert.equal(win.size, inner.length);
    assert.deepEqual(await readAll(await win.read(0, win.size)), new Map([['in.txt', 'inner']]));
    const innerDir = await openZip(win);
    assert.equal((await readEntry(win, innerDir.entries[0] as never, BIG)).toString(), 'inner');
  });

  it('keep() filters what is stored; every record is still walked and counted', async () => {
    const zip = makeZip(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, data: `${i}` })));
    const dir = await openZip(bufferSource(zip), { keep: (n) => n === 'f7' });
    assert.equal(dir.total, 50);
    assert.deepEqual(
      dir.entries.map((e) => e.name),
      ['f7'],
    );
  });
});

async function rejects(buf: Buffer | RandomAccess, re: RegExp, limit = false): Promise<void> {
  const src = Buffer.isBuffer(buf) ? bufferSource(buf) : buf;
  await assert.rejects(
    async () => {
      const dir = await openZip(src, { maxEntries: 1000, maxCentralDirectory: 1 << 20 });
      for (const e of dir.entries) await readEntry(src, e, { maxSize: 1 << 20, dataEnd: dir.dataEnd });
    },
    (err: Error) => {
      assert.ok(err instanceof ZipError, `${err.name}: ${err.message}`);
      assert.equal(err instanceof ZipLimitError, limit, err.message);
      assert.match(err.message, re);
      return true;
    },
  );
}

describe('ZIP reader: bad input', () => {
  const good = makeZip([
    { name: 'a.txt', data: 'hello hello hello' },
    { name: 'b', data: 'bb', method: 0 },
  ]);
  const eocd = good.length - 22;

  it('not a ZIP, truncated, end record missing', async () => {
    await rejects(Buffer.from('short'), /too small/);
    await rejects(Buffer.alloc(1000), /no end of central directory/);
    await rejects(good.subarray(0, good.length - 1), /no end of central directory/);
    await rejects(good.subarray(30), /offset points past|bad central directory|past the end/);
  });

  it('central directory pointing past the end of the file, or larger than it', async () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(good.length + 100, eocd + 16);
    await rejects(b, /offset points past|bad central directory/);
    const c = Buffer.from(good);
    c.writeUInt32LE(good.length * 2, eocd + 12);
    await rejects(c, /larger than the archive/);
  });

  it('bad central directory and local header signatures, an entry pointing past the end', async () => {
    const cdStart = good.readUInt32LE(eocd + 16);
    const b = Buffer.from(good);
    b.writeUInt32LE(0xdeadbeef, cdStart);
    await rejects(b, /bad central directory/);
    const c = Buffer.from(good);
    c.writeUInt32LE(0xdeadbeef, 0);
    await rejects(c, /bad local header/);
    const d = Buffer.from(good);
    d.writeUInt32LE(cdStart + 5, cdStart + 42);
    await rejects(d, /points past the end/);
    const e = Buffer.from(good);
    e.writeUInt16LE(0xffff, cdStart + 28); // name length runs past the directory
    await rejects(e, /truncated|bad central directory/);
  });

  it('CRC mismatch, lying sizes, truncated deflate data', async () => {
    await rejects(makeZip([{ name: 'a', data: 'hello', crc: 1234 }]), /CRC mismatch/);
    await rejects(
      makeZip([{ name: 'a', data: 'hello'.repeat(100), size: 10 }]),
      /inflates past its declared size/,
    );
    await rejects(makeZip([{ name: 'a', data: 'hello', size: 500 }]), /has 5 bytes, 500 declared/);
    await rejects(makeZip([{ name: 'a', data: 'hello', method: 0, size: 3 }]), /two sizes/);
    const { deflateRawSync } = await import('node:zlib');
    const cut = deflateRawSync(Buffer.from(B_TXT)).subarray(0, 20);
    await rejects(makeZip([{ name: 'a', data: B_TXT, raw: cut }]), /unexpected end|a"/);
  });

  it('encrypted entries and unsupported methods are refused', async () => {
    await rejects(makeZip([{ name: 'a', data: 'x', flags: 1 }]), /encrypted/);
    await rejects(makeZip([{ name: 'a', data: 'x', methodField: 12 }]), /method 12 unsupported/);
  });

  it('ZIP64 markers without a ZIP64 locator', async () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(0xffffffff, eocd + 16);
    await rejects(b, /without a ZIP64 locator/);
  });

  it('limits: entry count, directory size, entry size, budget, ratio (in bounded time)', async () => {
    const many = makeZip(Array.from({ length: 1001 }, (_, i) => ({ name: `${i}`, data: '' })));
    await rejects(many, /more than 1000 entries/, true);
    const long = makeZip([
      { name: 'n'.repeat(60000), data: '' },
      ...Array.from({ length: 20 }, (_, i) => ({ name: `${i}`.padEnd(60000, 'x'), data: '' })),
    ]);
    await rejects(long, /central directory of \d+ bytes is over the limit/, true);
    // 1 KiB of deflate that claims (truthfully) 2 MiB: over maxSize, refused before inflating.
    const bomb = makeZip([{ name: 'bomb', data: Buffer.alloc(2 * 1024 * 1024) }]);
    await rejects(bomb, /over the size limit/, true);
    const src = bufferSource(bomb);
    const dir = await openZip(src);
    await assert.rejects(
      readEntry(src, dir.entries[0] as never, { maxSize: 1 << 30, budget: new Budget(1024 * 1024) }),
      /over the decompression budget/,
    );
    await assert.rejects(
      readEntry(src, dir.entries[0] as never, { maxSize: 1 << 30, maxRatio: 100 }),
      /suspicious compression ratio/,
    );
    // A lying header: 10 MiB of zeros declared as 1 KiB stops at 1 KiB of output.
    const liar = makeZip([{ name: 'liar', data: Buffer.alloc(10 * 1024 * 1024), size: 1024 }]);
    const t = Date.now();
    await rejects(liar, /inflates past its declared size/);
    assert.ok(Date.now() - t < 2000);
  });

  it('fuzz: corrupted and truncated archives only ever throw ZipError', async () => {
    const base = makeZip([
      { name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\n' },
      { name: 'x/pom.properties', data: 'version=1\n'.repeat(30) },
      { name: 'lib/in.jar', data: makeZip([{ name: 'a', data: 'b' }]), method: 0 },
    ]);
    const base64 = makeZip([{ name: 'a', data: B_TXT }], { zip64: true });
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat(),
        async (use64, flips, cut) => {
          const b = Buffer.from(use64 ? base64 : base);
          // Half the flips land in the last 200 bytes: the directory and end records.
          for (const [at, v, tail] of flips) b[tail ? b.length - 1 - (at % 200) : at % b.length] = v;
          const input = cut % 3 === 0 ? b.subarray(0, cut % b.length) : b;
          try {
            const src = bufferSource(input);
            const dir = await openZip(src, { maxEntries: 100 });
            for (const e of dir.entries) {
              try {
                await readEntry(src, e, { maxSize: 1 << 20, dataEnd: dir.dataEnd });
              } catch (err) {
                if (!(err instanceof ZipError)) throw err;
              }
            }
          } catch (err) {
            if (!(err instanceof ZipError)) throw err;
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});
