import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ImageError } from '../../src/errors.js';
import { type EntrySink, type TarEntry, TarParser } from '../../src/image/tar.js';
import { tmpdir } from '../helpers/env.js';
import { header, makeTar } from '../helpers/tar.js';

interface Got {
  entry: TarEntry;
  data: Buffer;
}

/** Parses a whole archive, capturing every file's logical content, fed in chunks of `chunk` bytes. */
function parse(buf: Buffer, chunk = 7919): { entries: Got[]; parser: TarParser } {
  const entries: Got[] = [];
  const parser = new TarParser({
    entry(e: TarEntry): EntrySink | null {
      const got: Got = { entry: e, data: Buffer.alloc(e.type === 'file' ? e.size : 0) };
      entries.push(got);
      return {
        write(c: Buffer, pos: number) {
          c.copy(got.data, pos);
        },
        end() {},
      };
    },
  });
  for (let i = 0; i < buf.length; i += chunk) parser.push(buf.subarray(i, i + chunk));
  parser.end();
  return { entries, parser };
}

function gnuTar(dir: string, args: string[]): Buffer {
  return execFileSync('tar', ['-C', dir, '-cf', '-', ...args], { maxBuffer: 1 << 28 });
}

describe('TarParser on archives written by GNU tar', () => {
  const dir = tmpdir();
  const long = `${'a'.repeat(60)}/${'b'.repeat(70)}/${'c'.repeat(80)}/file-with-a-long-name.txt`;
  mkdirSync(path.join(dir, path.dirname(long)), { recursive: true });
  writeFileSync(path.join(dir, long), 'long name content\n');
  writeFileSync(path.join(dir, 'small.txt'), 'hello\n');
  execFileSync('ln', ['-s', '../../etc/passwd', path.join(dir, 'link')]);
  execFileSync('ln', [path.join(dir, 'small.txt'), path.join(dir, 'hard.txt')]);
  // A sparse file: 8 MiB logical, two small data regions.
  const sparse = path.join(dir, 'sparse.bin');
  execFileSync('truncate', ['-s', '8M', sparse]);
  execFileSync('dd', ['if=/dev/urandom', `of=${sparse}`, 'bs=4096', 'count=3', 'seek=10', 'conv=notrunc'], {
    stdio: 'ignore',
  });
  execFileSync('dd', ['if=/dev/urandom', `of=${sparse}`, 'bs=4096', 'count=1', 'seek=1000', 'conv=notrunc'], {
    stdio: 'ignore',
  });
  const sparseContent = readFileSync(sparse);

  for (const format of ['posix', 'gnu']) {
    it(`reads long names, links and content (--format=${format})`, () => {
      const tar = gnuTar(dir, [`--format=${format}`, 'small.txt', 'hard.txt', 'link', long]);
      const { entries } = parse(tar);
      const byName = new Map(entries.map((e) => [e.entry.name, e]));
      assert.equal(byName.get(long)?.data.toString(), 'long name content\n');
      assert.equal(byName.get('small.txt')?.data.toString(), 'hello\n');
      assert.equal(byName.get('link')?.entry.type, 'symlink');
      assert.equal(byName.get('link')?.entry.linkname, '../../etc/passwd');
      assert.equal(byName.get('hard.txt')?.entry.type, 'hardlink');
      assert.equal(byName.get('hard.txt')?.entry.linkname, 'small.txt');
    });
  }

  it('joins the ustar prefix and name fields', () => {
    const mid = `${'p'.repeat(90)}/${'q'.repeat(40)}/ustar-file.txt`;
    mkdirSync(path.join(dir, path.dirname(mid)), { recursive: true });
    writeFileSync(path.join(dir, mid), 'ustar\n');
    const tar = gnuTar(dir, ['--format=ustar', mid]);
    assert.ok(tar.subarray(345, 500).toString('latin1').startsWith('p'), 'GNU tar used the prefix field');
    const got = parse(tar).entries.find((e) => e.entry.type === 'file');
    assert.equal(got?.entry.name, mid);
    assert.equal(got?.data.toString(), 'ustar\n');
  });

  const sparseFormats: [string, string[]][] = [
    ['gnu (old GNU sparse, type S)', ['--format=gnu', '--sparse']],
    ['posix sparse 0.0', ['--format=posix', '--sparse', '--sparse-version=0.0']],
    ['posix sparse 0.1', ['--format=posix', '--sparse', '--sparse-version=0.1']],
    ['posix sparse 1.0', ['--format=posix', '--sparse', '--sparse-version=1.0']],
  ];
  for (const [label, args] of sparseFormats) {
    it(`reconstructs sparse files: ${label}`, () => {
      const tar = gnuTar(dir, [...args, 'sparse.bin', 'small.txt']);
      assert.ok(tar.length < 1024 * 1024, 'GNU tar stored the file sparsely');
      for (const chunk of [512, 1000, 65536]) {
        const { entries } = parse(tar, chunk);
        const got = entries.find((e) => e.entry.name === 'sparse.bin');
        assert.ok(got, 'sparse entry found under its real name');
        assert.equal(got.entry.size, 8 * 1024 * 1024);
        assert.ok(got.entry.sparse && got.entry.sparse.length >= 2);
        assert.ok(got.data.equals(sparseContent), 'content matches, holes are zeros');
        assert.equal(entries.find((e) => e.entry.name === 'small.txt')?.data.toString(), 'hello\n');
      }
    });
  }

  it('reads the same entries whatever the chunking (property)', () => {
    const tar = gnuTar(dir, ['--format=posix', 'small.txt', 'hard.txt', 'link', long]);
    const reference = parse(tar, tar.length).entries.map((e) => [e.entry.name, e.data.toString('hex')]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), (chunk) => {
        const got = parse(tar, chunk).entries.map((e) => [e.entry.name, e.data.toString('hex')]);
        assert.deepEqual(got, reference);
      }),
      { numRuns: 60 },
    );
  });
});

describe('TarParser on bad input', () => {
  it('rejects a truncated archive (inside file data)', () => {
    const tar = makeTar([{ name: 'a.txt', content: 'x'.repeat(5000) }]);
    assert.throws(
      () => parse(tar.subarray(0, 2048)),
      (e: unknown) => e instanceof ImageError && /truncated/.test(e.message),
    );
  });

  it('rejects a truncated header', () => {
    const tar = makeTar([
      { name: 'a.txt', content: 'abc' },
      { name: 'b.txt', content: 'def' },
    ]);
    assert.throws(
      () => parse(tar.subarray(0, 1024 + 100)),
      (e: unknown) => e instanceof ImageError && /truncated/.test(e.message),
    );
  });

  it('rejects a header with a bad checksum', () => {
    const tar = makeTar([{ name: 'a.txt', content: 'abc' }]);
    tar[10] = 0x41;
    assert.throws(
      () => parse(tar),
      (e: unknown) => e instanceof ImageError && /checksum/.test(e.message),
    );
  });

  it('rejects random garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 512, maxLength: 4096 }), (bytes) => {
        const b = Buffer.from(bytes);
        if (b.subarray(0, 512).every((x) => x === 0)) return;
        assert.throws(() => parse(b), ImageError);
      }),
      { numRuns: 100 },
    );
  });

  it('accepts an archive without end-of-archive blocks and says so', () => {
    const tar = makeTar([{ name: 'a.txt', content: 'abc' }], { end: false });
    const { entries, parser } = parse(tar);
    assert.equal(entries[0]?.data.toString(), 'abc');
    assert.equal(parser.missingEndMarker, true);
    // and without the last file's padding either (umoci 0.4.7's insert)
    const { parser: p2 } = parse(tar.subarray(0, 512 + 3));
    assert.equal(p2.missingEndMarker, true);
  });

  it('bounds PAX records', () => {
    const big = Buffer.concat([header('PaxHeaders/x', 'x', 4 << 20), Buffer.alloc(4 << 20)]);
    assert.throws(
      () => parse(big),
      (e: unknown) => e instanceof ImageError && /metadata record/.test(e.message),
    );
  });

  it('bounds the number of entries', () => {
    const tar = makeTar(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: '' })));
    const parser = new TarParser(
      { entry: () => null },
      { maxEntries: 10, maxMetaBytes: 1 << 20, maxSparseChunks: 10 },
    );
    assert.throws(
      () => parser.push(tar),
      (e: unknown) => e instanceof ImageError && /more than 10 entries/.test(e.message),
    );
  });

  it('treats link, dir and device sizes as zero (no data follows)', () => {
    const tar = Buffer.concat([
      header('d', '5', 999),
      header('f', '0', 3),
      Buffer.from('abc'.padEnd(512, '\0')),
      Buffer.alloc(1024),
    ]);
    const { entries } = parse(tar);
    assert.deepEqual(
      entries.map((e) => [e.entry.name, e.entry.type]),
      [
        ['d', 'dir'],
        ['f', 'file'],
      ],
    );
    assert.equal(entries[1]?.data.toString(), 'abc');
  });

  it('uses PAX path and size records', () => {
    const name = `${'x'.repeat(150)}/y.txt`;
    const tar = makeTar([{ name: 'short', content: 'hello', pax: { path: name } }]);
    const { entries } = parse(tar);
    assert.equal(entries[0]?.entry.name, name);
    assert.equal(entries[0]?.data.toString(), 'hello');
  });
});
