import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { deflateSync, gunzipSync } from 'node:zlib';
import {
  findAuditSection,
  parseAuditJson,
  readAuditPackages,
  rustBinaryAnalyzer,
} from '../../../src/analyze/lang/rustbinary.js';
import type { LangPackage } from '../../../src/analyze/lang/types.js';
import type { AnalyzerFile } from '../../../src/analyze/types.js';
import { bufferSource } from '../../../src/util/byte-source.js';
import { type Executable, openExecutable } from '../../../src/util/executable.js';
import { buildElf } from '../../helpers/elf.js';
import { ROOT, tmpdir } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test/fixtures/rust');
const CARGO = [process.env.CARGO, 'cargo', path.join(os.homedir(), '.cargo/bin/cargo')].find(
  (c) => !!c && spawnSync(c, ['--version']).status === 0,
);
const HAVE_OBJCOPY = spawnSync('objcopy', ['--version']).status === 0;

function fileOf(buf: Buffer): AnalyzerFile {
  return {
    path: 'usr/bin/app',
    type: 'file',
    size: buf.length,
    mode: 0o755,
    read: async () => buf,
    stream: () => Readable.from([buf]),
  };
}
const analyze = async (buf: Buffer) =>
  (await rustBinaryAnalyzer.analyze(fileOf(buf))) as LangPackage[] | undefined;

/** An ELF with a .text section and the given audit section (non-loaded, as objcopy adds it). */
const withSection = (data: Buffer, name = '.dep-v0') =>
  buildElf({
    sections: [
      { name: '.text', data: Buffer.alloc(256, 0x90), addr: 0x401000, segFlags: 5 },
      { name, data },
    ],
  });

/** What our policy keeps of cargo-auditable JSON: linked-in (not "build") crates not of the workspace. */
function expectedFromJson(json: string): string[] {
  const doc = JSON.parse(json) as {
    packages: { name: string; version: string; source: string; kind?: string }[];
  };
  return doc.packages
    .filter((p) => p.kind !== 'build' && p.source !== 'local')
    .map((p) => `${p.name}@${p.version}`)
    .sort();
}
const keys = (ps: LangPackage[] | undefined) => (ps ?? []).map((p) => `${p.name}@${p.version}`).sort();

describe('cargo-auditable binaries', () => {
  it('fixture (cargo 1.95 release build + objcopy-added .dep-v0): runtime registry crates only', async () => {
    const bin = gunzipSync(readFileSync(path.join(FIX, 'app-auditable.skel.gz')));
    const json = readFileSync(path.join(FIX, 'app-auditable.dep-v0.json'), 'utf8');
    const got = await analyze(bin);
    assert.deepEqual(got, [
      { name: 'itoa', version: '1.0.9' },
      { name: 'smallvec', version: '1.6.0' },
    ]);
    assert.deepEqual(keys(got), expectedFromJson(json));
  });

  it('objcopy reads the same section bytes as we do', {
    skip: HAVE_OBJCOPY ? false : 'needs objcopy',
  }, async () => {
    const dir = tmpdir();
    const bin = gunzipSync(readFileSync(path.join(FIX, 'app-auditable.skel.gz')));
    writeFileSync(path.join(dir, 'app'), bin);
    const r = spawnSync(
      'objcopy',
      ['--dump-section', `.dep-v0=${path.join(dir, 'dep')}`, path.join(dir, 'app')],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const exe = (await openExecutable(bufferSource(bin))) as Executable;
    const sec = findAuditSection(exe);
    assert.ok(sec);
    assert.deepEqual(
      bin.subarray(sec.offset, sec.offset + sec.fileSize),
      readFileSync(path.join(dir, 'dep')),
    );
  });

  it('a binary built here, its section added with objcopy', {
    skip: CARGO && HAVE_OBJCOPY ? false : 'needs cargo and objcopy',
  }, async () => {
    const dir = tmpdir('dd-rust-');
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(
      path.join(dir, 'Cargo.toml'),
      '[package]\nname = "tiny"\nversion = "0.3.0"\nedition = "2021"\n\n[profile.release]\nopt-level = "z"\nstrip = true\npanic = "abort"\n',
    );
    writeFileSync(path.join(dir, 'src/main.rs'), 'fn main() { println!("tiny"); }\n');
    const b = spawnSync(CARGO as string, ['build', '--offline', '--release', '-q'], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.equal(b.status, 0, b.stderr);
    const json = JSON.stringify({
      packages: [
        { name: 'tiny', version: '0.3.0', source: 'local', dependencies: [1, 2, 3], root: true },
        { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' },
        { name: 'libc', version: '0.2.150', source: 'crates.io' },
        { name: 'serde', version: '1.0.195', source: 'crates.io', dependencies: [2] },
        { name: 'forked', version: '0.1.0', source: 'git' },
        { name: 'private', version: '2.0.0', source: 'registry' },
      ],
    });
    writeFileSync(path.join(dir, 'deps.zlib'), deflateSync(json));
    const out = path.join(dir, 'tiny-auditable');
    const o = spawnSync(
      'objcopy',
      ['--add-section', `.dep-v0=${path.join(dir, 'deps.zlib')}`, path.join(dir, 'target/release/tiny'), out],
      { encoding: 'utf8' },
    );
    assert.equal(o.status, 0, o.stderr);
    chmodSync(out, 0o755);
    const got = await analyze(readFileSync(out));
    assert.deepEqual(keys(got), ['forked@0.1.0', 'libc@0.2.150', 'private@2.0.0', 'serde@1.0.195']);
    assert.deepEqual(keys(got), expectedFromJson(json));
    // the same binary without the section: not a cargo-auditable binary
    assert.equal(await analyze(readFileSync(path.join(dir, 'target/release/tiny'))), undefined);
  });

  it('a root crate from a registry (cargo install) is reported; a local root is not', () => {
    const doc = (source: string) =>
      JSON.stringify({ packages: [{ name: 'ripgrep', version: '14.1.0', source, root: true }] });
    assert.deepEqual(parseAuditJson(doc('crates.io')), [{ name: 'ripgrep', version: '14.1.0' }]);
    assert.deepEqual(parseAuditJson(doc('local')), []);
  });

  it('Mach-O names the section __dep_v0', async () => {
    const data = deflateSync(
      JSON.stringify({ packages: [{ name: 'a', version: '1.0.0', source: 'crates.io' }] }),
    );
    const exe: Executable = {
      format: 'macho',
      littleEndian: true,
      ptrSize: 8,
      segments: [],
      sections: [
        {
          name: '__dep_v0',
          segment: '__DATA',
          addr: 0,
          size: data.length,
          offset: 0,
          fileSize: data.length,
          flags: 0,
        },
      ],
      source: bufferSource(data),
    };
    assert.deepEqual(await readAuditPackages(exe), [{ name: 'a', version: '1.0.0' }]);
  });
});

describe('cargo-auditable binaries: bad input', () => {
  it('a decompression bomb stops at the limit', async () => {
    const bomb = deflateSync(Buffer.alloc(200 * 1024 * 1024, 0x20), { level: 9 });
    assert.ok(bomb.length < 1024 * 1024);
    const before = process.memoryUsage().rss;
    await assert.rejects(analyze(withSection(bomb)), /inflates past 8388608 bytes/);
    assert.ok(process.memoryUsage().rss - before < 150 * 1024 * 1024);
  });

  it('oversized, empty, non-zlib and non-JSON sections are short errors', async () => {
    await assert.rejects(analyze(withSection(Buffer.alloc(5 * 1024 * 1024, 1))), /too large/);
    await assert.rejects(analyze(withSection(Buffer.alloc(0))), /empty/);
    await assert.rejects(analyze(withSection(Buffer.from('not zlib at all'))), /not a zlib stream/);
    await assert.rejects(analyze(withSection(deflateSync('{"packages": ['))), /JSON|Unexpected|Expected/);
    await assert.rejects(analyze(withSection(deflateSync('{"crates": []}'))), /no "packages" array/);
    // a truncated zlib stream
    const good = deflateSync(JSON.stringify({ packages: [] }));
    await assert.rejects(analyze(withSection(good.subarray(0, good.length - 6))), /zlib/);
    // odd entries are skipped
    assert.deepEqual(
      parseAuditJson('{"packages": [null, 1, {"name": 5}, {"name": "x"}, {"name": "y", "version": "1"}]}'),
      [{ name: 'y', version: '1' }],
    );
  });

  it('a section that points past the end of the file; a truncated ELF', async () => {
    const bin = withSection(deflateSync('{"packages":[]}'));
    const exe = (await openExecutable(bufferSource(bin))) as Executable;
    const sec = findAuditSection(exe);
    assert.ok(sec);
    // sh_size of .dep-v0 (section 2): 64-bit layout, size at +32
    const shoff = Number(bin.readBigUInt64LE(40));
    bin.writeBigUInt64LE(BigInt(bin.length * 4), shoff + 2 * 64 + 32);
    await assert.rejects(analyze(bin), /past the end of the file/);
    for (const n of [3, 20, 63, 64, 200, bin.length - 10]) {
      const r = analyze(bin.subarray(0, n));
      await r.then(
        (v) => assert.equal(v, undefined),
        (e: Error) => assert.match(e.message, /truncated|past the end|ended early|not a zlib/),
      );
    }
  });

  it('matches like the Go binary analyzer: executable files', () => {
    assert.ok(rustBinaryAnalyzer.matches('usr/local/bin/rg', { type: 'file', size: 5_000_000, mode: 0o755 }));
    assert.ok(
      !rustBinaryAnalyzer.matches('usr/local/bin/rg', { type: 'file', size: 5_000_000, mode: 0o644 }),
    );
  });
});
