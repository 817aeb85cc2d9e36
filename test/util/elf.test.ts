import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { bufferSource, fileSource, StreamSource } from '../../src/util/byte-source.js';
import {
  type Executable,
  ExeFormatError,
  findSection,
  openExecutable,
  readSection,
  readVirtual,
} from '../../src/util/executable.js';
import { buildElf } from '../helpers/elf.js';
import { ROOT, tmpdir } from '../helpers/env.js';

const FIX = path.join(ROOT, 'test/fixtures');
const HAVE_READELF = spawnSync('readelf', ['--version']).status === 0;
const skel = (p: string) => gunzipSync(readFileSync(path.join(FIX, p)));
const open = (b: Buffer) => openExecutable(bufferSource(b));

const SKELETONS = [
  ...readdirSync(path.join(FIX, 'go'))
    .filter((f) => f.endsWith('.skel.gz'))
    .map((f) => `go/${f}`),
  'rust/app-auditable.skel.gz',
];

/** Section table as readelf prints it (-W: one line per section). */
function readelfSections(file: string): { name: string; addr: number; offset: number; size: number }[] {
  const r = spawnSync('readelf', ['-SW', file], { encoding: 'utf8' });
  const out: { name: string; addr: number; offset: number; size: number }[] = [];
  for (const l of r.stdout.split('\n')) {
    const m = /^\s+\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(l);
    if (!m) continue;
    const [, index, name, type, addr, offset, size] = m as unknown as string[];
    // the null section has no name: the first column is its type
    if (index === '0') {
      out.push({ name: '', addr: 0, offset: 0, size: 0 });
      continue;
    }
    out.push({
      name: name as string,
      addr: Number.parseInt(addr as string, 16),
      // no file bytes: NOBITS (.bss)
      offset: type === 'NOBITS' ? 0 : Number.parseInt(offset as string, 16),
      size: Number.parseInt(size as string, 16),
    });
  }
  return out;
}

describe('executables: real binaries', () => {
  it('formats, byte order and pointer size of the fixtures', async () => {
    const want: Record<string, [string, boolean, number]> = {
      'go/linux-amd64-stripped.skel.gz': ['elf', true, 8],
      'go/linux-386.skel.gz': ['elf', true, 4],
      'go/linux-s390x.skel.gz': ['elf', false, 8],
      'go/windows-amd64.exe.skel.gz': ['pe', true, 8],
      'go/darwin-arm64.skel.gz': ['macho', true, 8],
    };
    for (const [f, [format, le, ptr]] of Object.entries(want)) {
      const exe = (await open(skel(f))) as Executable;
      assert.deepEqual([exe.format, exe.littleEndian, exe.ptrSize], [format, le, ptr], f);
    }
    const mac = (await open(skel('go/darwin-arm64.skel.gz'))) as Executable;
    assert.equal(findSection(mac, '__go_buildinfo')?.segment, '__DATA');
    assert.ok(mac.segments.some((s) => s.name === '__TEXT' && s.x));
    const pe = (await open(skel('go/windows-amd64.exe.skel.gz'))) as Executable;
    assert.ok(pe.segments.some((s) => s.name === '.data' && s.w && !s.x));
    // long PE section names come from the COFF string table
    assert.ok(pe.sections.some((s) => s.name === '.zdebug_abbrev'));
  });

  it('ELF section tables == readelf -SW', {
    skip: HAVE_READELF ? false : 'needs readelf (binutils)',
  }, async () => {
    const dir = tmpdir();
    let n = 0;
    for (const f of SKELETONS) {
      const bin = skel(f);
      const exe = (await open(bin)) as Executable;
      if (exe.format !== 'elf') continue;
      const p = path.join(dir, path.basename(f));
      writeFileSync(p, bin);
      const want = readelfSections(p);
      assert.ok(want.length > 5, f);
      assert.deepEqual(
        exe.sections.map((s) => ({ name: s.name, addr: s.addr, offset: s.offset, size: s.size })),
        want,
        f,
      );
      n++;
    }
    assert.ok(n >= 6);
  });

  it('virtual addresses map through the loaded segments', async () => {
    const exe = (await open(skel('go/linux-amd64-stripped.skel.gz'))) as Executable;
    const bi = findSection(exe, '.go.buildinfo');
    assert.ok(bi);
    const a = await readVirtual(exe, bi.addr, 14);
    assert.equal(a?.toString('latin1'), '\xff Go buildinf:');
    assert.equal(await readVirtual(exe, 0x10, 4), undefined);
    assert.equal(await readVirtual(exe, Number.NaN, 4), undefined);
  });
});

describe('executables: hostile headers', () => {
  const base = () =>
    buildElf({
      sections: [
        { name: '.text', data: Buffer.alloc(64, 0x90), addr: 0x401000, segFlags: 5 },
        { name: '.data', data: Buffer.alloc(64, 1), addr: 0x402000 },
      ],
    });

  it('a well-formed small ELF (64 and 32-bit, both byte orders)', async () => {
    for (const [is64, le] of [
      [true, true],
      [true, false],
      [false, true],
      [false, false],
    ] as const) {
      const b = buildElf({ is64, le, sections: [{ name: '.x', data: Buffer.from('hello'), addr: 0x1000 }] });
      const exe = (await open(b)) as Executable;
      const s = findSection(exe, '.x');
      assert.ok(s);
      assert.equal((await readSection(exe, s, 100)).toString(), 'hello');
      assert.equal((await readVirtual(exe, 0x1001, 3))?.toString(), 'ell');
      assert.equal(exe.segments.length, 1);
    }
  });

  it('truncation anywhere: undefined (not an executable) or an ExeFormatError', async () => {
    const b = base();
    for (let n = 0; n <= b.length; n++) {
      try {
        await open(b.subarray(0, n));
      } catch (e) {
        assert.ok(e instanceof ExeFormatError, `${n}: ${(e as Error).message}`);
      }
    }
    await assert.rejects(open(b.subarray(0, 40)), /truncated ELF header/);
  });

  it('section header table past the end, huge counts, bad entry sizes, huge offsets', async () => {
    const b = base();
    await assert.rejects(open(buildElf({ sections: [], shnum: 0xfeff })), /past the end/);
    const x = Buffer.from(b);
    x.writeUInt16LE(0, 60); // e_shnum = 0: the count is in section 0's sh_size
    const shoff = Number(x.readBigUInt64LE(40));
    x.writeBigUInt64LE(10_000_000n, shoff + 32);
    await assert.rejects(open(x), /too many sections/);
    await assert.rejects(open(buildElf({ sections: [], shentsize: 12 })), /bad section header size/);
    await assert.rejects(open(buildElf({ sections: [], shoff: 2 ** 40 })), /past the end/);
    const y = Buffer.from(b);
    y.writeBigUInt64LE(0xffff_ffff_ffff_fff0n, 40);
    await assert.rejects(open(y), /bad section header offset/);
    const z = Buffer.from(b);
    z.writeUInt16LE(5000, 56); // e_phnum
    await assert.rejects(open(z), /too many program headers|past the end/);
    // a name table index out of range: sections without names, no error
    const exe = (await open(
      buildElf({ sections: [{ name: '.a', data: Buffer.alloc(4) }], shstrndx: 999 }),
    )) as Executable;
    assert.ok(exe.sections.every((s) => s.name === ''));
  });

  it('a section past the end of the file is an error only when read', async () => {
    const b = base();
    const shoff = Number(b.readBigUInt64LE(40));
    b.writeBigUInt64LE(BigInt(b.length * 100), shoff + 2 * 64 + 24); // .data sh_offset
    const exe = (await open(b)) as Executable;
    const s = findSection(exe, '.data') as NonNullable<ReturnType<typeof findSection>>;
    await assert.rejects(readSection(exe, s, 1000), /past the end of the file/);
    await assert.rejects(readSection(exe, { ...s, fileSize: 10_000_000 }, 1000), /too large/);
  });

  it('PE and Mach-O: truncated, too many sections or commands', async () => {
    const pe = skel('go/windows-amd64.exe.skel.gz');
    const peOff = pe.readUInt32LE(0x3c);
    for (const n of [2, 63, 64, peOff + 10, peOff + 100]) {
      await open(pe.subarray(0, n)).then(
        () => {},
        (e) => assert.ok(e instanceof ExeFormatError, (e as Error).message),
      );
    }
    const many = Buffer.from(pe);
    many.writeUInt16LE(200, peOff + 6);
    await assert.rejects(open(many), /too many sections/);
    const bad = Buffer.from(pe);
    bad.writeUInt32LE(0x12345678, 0x3c);
    await assert.rejects(open(bad), /past the end|PE signature/);

    const mac = skel('go/darwin-arm64.skel.gz');
    const m1 = Buffer.from(mac);
    m1.writeUInt32LE(1_000_000, 16); // ncmds
    await assert.rejects(open(m1), /too many load commands/);
    const m2 = Buffer.from(mac);
    m2.writeUInt32LE(0, 32 + 4); // first command's size
    await assert.rejects(open(m2), /bad Mach-O load command size/);
    await assert.rejects(open(mac.subarray(0, 20)), /past the end|truncated/);
  });

  it('random bytes after a magic: a result or an ExeFormatError, quickly', async () => {
    const magics = [
      Buffer.from('\x7fELF\x02\x01', 'latin1'),
      Buffer.from('MZ'),
      Buffer.from([0xcf, 0xfa, 0xed, 0xfe]),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...magics),
        fc.uint8Array({ minLength: 0, maxLength: 2048 }),
        async (m, rest) => {
          const b = Buffer.concat([m, Buffer.from(rest)]);
          try {
            const exe = await open(b);
            if (exe) for (const s of exe.sections) await readSection(exe, s, 4096).catch(() => {});
          } catch (e) {
            assert.ok(e instanceof ExeFormatError, (e as Error).message);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('byte sources', () => {
  const data = Buffer.from(Array.from({ length: 5 * 1024 * 1024 }, (_, i) => i % 251));
  const streamOf =
    (b: Buffer, chunk = 65536) =>
    () =>
      Readable.from(
        (function* () {
          for (let o = 0; o < b.length; o += chunk) yield b.subarray(o, o + chunk);
        })(),
      );

  it('a stream source reads forward in one pass, keeps a window behind, and re-opens only when needed', async () => {
    const s = new StreamSource(data.length, streamOf(data));
    assert.deepEqual(await s.read(0, 64), data.subarray(0, 64));
    assert.deepEqual(await s.read(3_000_000, 100), data.subarray(3_000_000, 3_000_100));
    // 500 KiB behind the position: within the window
    assert.deepEqual(await s.read(2_500_000, 10), data.subarray(2_500_000, 2_500_010));
    // a range read before is served from the cache
    assert.deepEqual(await s.read(10, 20), data.subarray(10, 30));
    assert.equal(s.passes, 1);
    // far behind and never read: a second pass
    assert.deepEqual(await s.read(1_000_000, 5), data.subarray(1_000_000, 1_000_005));
    assert.equal(s.passes, 2);
    // reads clip at the end; past it they are empty
    assert.equal((await s.read(data.length - 3, 100)).length, 3);
    assert.equal((await s.read(data.length + 5, 100)).length, 0);
    assert.equal((await s.read(-5, 0)).length, 0);
    s.close();
  });

  it('a stream shorter than announced gives short reads, not errors', async () => {
    const s = new StreamSource(data.length * 2, streamOf(data));
    assert.equal((await s.read(data.length - 10, 100)).length, 10);
    s.close();
  });

  it('fileSource: small files whole, bigger ones by random access when offered, else streamed', async () => {
    const small = {
      size: 100,
      read: async () => data.subarray(0, 100),
      stream: streamOf(data.subarray(0, 100)),
    };
    assert.equal((await (await fileSource(small)).read(90, 50)).length, 10);
    let readAt = 0;
    const big = {
      size: data.length,
      read: async () => assert.fail('the whole file was read'),
      stream: () => assert.fail('the file was streamed'),
      readAt: async (p: number, l: number) => {
        readAt++;
        return data.subarray(p, p + l);
      },
    };
    const src = await fileSource(big);
    assert.deepEqual(await src.read(4_000_000, 8), data.subarray(4_000_000, 4_000_008));
    assert.equal((await src.read(data.length - 2, 8)).length, 2);
    assert.equal(readAt, 2);
    const streamed = await fileSource({ size: data.length, read: big.read, stream: streamOf(data) });
    assert.ok(streamed instanceof StreamSource);
  });
});
