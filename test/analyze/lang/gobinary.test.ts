import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  goBinaryAnalyzer,
  goBinaryPackages,
  goStdlibVersion,
  parseGoModInfo,
  readGoBuildInfo,
  versionFromLdflags,
} from '../../../src/analyze/lang/gobinary.js';
import type { LangPackage } from '../../../src/analyze/lang/types.js';
import type { AnalyzerFile } from '../../../src/analyze/types.js';
import { bufferSource, StreamSource } from '../../../src/util/byte-source.js';
import { openExecutable } from '../../../src/util/executable.js';
import { buildElf } from '../../helpers/elf.js';
import { ROOT, tmpdir } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'go');
const HAVE_GO = spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
const SKIP_GO = HAVE_GO ? false : 'needs the go command (apt-get install golang-go)';

function fileOf(buf: Buffer, p = 'app/bin', mode = 0o755): AnalyzerFile {
  return {
    path: p,
    type: 'file',
    size: buf.length,
    mode,
    read: async () => buf,
    stream: () => Readable.from([buf]),
  };
}

async function analyze(buf: Buffer): Promise<LangPackage[] | undefined> {
  return (await goBinaryAnalyzer.analyze(fileOf(buf))) as LangPackage[] | undefined;
}

const key = (p: LangPackage) => `${p.name}@${p.version}`;

interface GoVersionM {
  goVersion: string;
  path?: string;
  main?: string[];
  deps: { dep: string[]; replace?: string[] }[];
  ldflags?: string;
}

/** Reads what `go version -m` printed (the oracle): "NAME: goX", then tab-indented module lines. */
function readGoVersionM(text: string): GoVersionM {
  const lines = text.split('\n');
  const first = lines[0] as string;
  const out: GoVersionM = { goVersion: first.slice(first.indexOf(': ') + 2).trim(), deps: [] };
  for (const l of lines.slice(1)) {
    const cols = l.replace(/^\t/, '').split('\t');
    const [kind, ...rest] = cols;
    if (kind === 'path') out.path = rest[0];
    else if (kind === 'mod') out.main = rest;
    else if (kind === 'dep') out.deps.push({ dep: rest });
    else if (kind === '=>') (out.deps.at(-1) as { replace?: string[] }).replace = rest;
    else if (kind === 'build' && rest[0]?.startsWith('-ldflags=')) {
      const v = rest[0].slice('-ldflags='.length);
      out.ldflags = v.startsWith('"') ? (JSON.parse(v) as string) : v;
    }
  }
  return out;
}

/**
 * What our policy makes of the oracle's modules: replacements applied, "(devel)" versions (directory
 * replacements, unversioned main modules) left out, the toolchain as stdlib "vX.Y.Z".
 */
function expectedFromOracle(o: GoVersionM, mainVersion?: string): string[] {
  const want: string[] = [];
  if (o.main?.[0] && (mainVersion || o.main[1] !== '(devel)'))
    want.push(`${o.main[0]}@${mainVersion ?? o.main[1]}`);
  for (const d of o.deps) {
    const m = d.replace ?? d.dep;
    if (m[1] && m[1] !== '(devel)') want.push(`${m[0]}@${m[1]}`);
  }
  want.push(`stdlib@v${o.goVersion.replace(/^go/, '')}`);
  return want.sort();
}

const FIXTURES = readdirSync(FIX)
  .filter((f) => f.endsWith('.skel.gz'))
  .map((f) => f.slice(0, -'.skel.gz'.length));

describe('Go binaries: committed fixtures (real builds, unread bytes zeroed)', () => {
  it('there are fixtures for ELF (64/32-bit, big-endian, PIE, external linker), PE and Mach-O', () => {
    for (const n of [
      'linux-amd64-stripped',
      'linux-amd64-pie',
      'linux-amd64-trimpath',
      'linux-amd64-extlink',
      'linux-386',
      'linux-s390x',
      'windows-amd64.exe',
      'darwin-arm64',
    ])
      assert.ok(FIXTURES.includes(n), n);
  });

  for (const name of FIXTURES) {
    it(`${name}: the modules go version -m printed for the original binary`, async () => {
      const bin = gunzipSync(readFileSync(path.join(FIX, `${name}.skel.gz`)));
      const oracle = readGoVersionM(readFileSync(path.join(FIX, `${name}.go-version-m.txt`), 'utf8'));
      const exe = await openExecutable(bufferSource(bin));
      assert.ok(exe);
      const bi = await readGoBuildInfo(exe);
      assert.ok(bi);
      assert.equal(bi.goVersion, oracle.goVersion);
      const mi = parseGoModInfo(bi.modInfo);
      assert.equal(mi.path, oracle.path);
      assert.deepEqual([mi.main?.path, mi.main?.version], oracle.main?.slice(0, 2));
      assert.deepEqual(
        mi.deps.map((d) => [d.path, d.version, d.sum ?? '', d.replace?.path, d.replace?.version]),
        oracle.deps.map((d) => [d.dep[0], d.dep[1], d.dep[2] ?? '', d.replace?.[0], d.replace?.[1]]),
      );
      const ldVersion =
        oracle.ldflags && oracle.main
          ? versionFromLdflags(oracle.ldflags, oracle.main[0] as string)
          : undefined;
      const got = ((await analyze(bin)) ?? []).map(key).sort();
      assert.deepEqual(got, expectedFromOracle(oracle, ldVersion));
    });
  }

  it('linux-amd64-stripped: the exact package list (main version from -X main.version)', async () => {
    const bin = gunzipSync(readFileSync(path.join(FIX, 'linux-amd64-stripped.skel.gz')));
    assert.deepEqual(await analyze(bin), [
      { name: 'example.com/app', version: 'v1.4.0' },
      { name: 'example.com/greet', version: 'v1.2.3' },
      // example.com/local is replaced by the directory ./local: the project's own code
      { name: 'example.com/newmod', version: 'v1.0.1' },
      { name: 'example.com/util', version: 'v0.3.0' },
      { name: 'stdlib', version: 'v1.19.8' },
    ]);
  });

  it('the skeletons are still Go binaries to the go command', { skip: SKIP_GO }, () => {
    const dir = tmpdir();
    for (const name of FIXTURES) {
      const p = path.join(dir, name);
      writeFileSync(p, gunzipSync(readFileSync(path.join(FIX, `${name}.skel.gz`))));
      chmodSync(p, 0o755);
      const r = spawnSync('go', ['version', '-m', p], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const want = readFileSync(path.join(FIX, `${name}.go-version-m.txt`), 'utf8');
      assert.equal(r.stdout.slice(r.stdout.indexOf(':')), want.slice(want.indexOf(':')), name);
    }
  });

  it('without section headers, the header is found in the first writable segment', async () => {
    const bin = Buffer.from(gunzipSync(readFileSync(path.join(FIX, 'linux-amd64-stripped.skel.gz'))));
    bin.writeBigUInt64LE(0n, 40); // e_shoff
    bin.writeUInt16LE(0, 60); // e_shnum
    const exe = await openExecutable(bufferSource(bin));
    assert.equal(exe?.sections.length, 0);
    assert.equal((await analyze(bin))?.length, 5);
  });

  it('a big binary read through a stream takes one pass and does not load the file', async () => {
    const skel = gunzipSync(readFileSync(path.join(FIX, 'linux-amd64-stripped.skel.gz')));
    // 64 MiB of trailing bytes: a file far bigger than what is kept in memory
    const size = skel.length + 64 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024);
    const src = new StreamSource(size, () =>
      Readable.from(
        (function* () {
          for (let o = 0; o < skel.length; o += 65536) yield skel.subarray(o, o + 65536);
          for (let o = skel.length; o < size; o += chunk.length) yield chunk;
        })(),
      ),
    );
    const exe = await openExecutable(src);
    assert.ok(exe);
    const bi = await readGoBuildInfo(exe);
    src.close();
    assert.equal(bi?.goVersion, 'go1.19.8');
    assert.equal(src.passes, 1);
  });
});

describe('Go binaries built here', { skip: SKIP_GO }, () => {
  const dir = HAVE_GO ? tmpdir('dd-go-') : '';
  const env = {
    ...process.env,
    GOFLAGS: '-mod=vendor',
    GOPROXY: 'off',
    GOSUMDB: 'off',
    GOPATH: path.join(dir, 'gopath'),
    GOCACHE: path.join(os.tmpdir(), 'drydock-test-gocache'),
    CGO_ENABLED: '0',
  };
  // A module with vendored dependencies (no network): one replaced by another module, one
  // replaced by a directory.
  const files: Record<string, string> = {
    'go.mod': [
      'module example.com/vend',
      '',
      'go 1.17',
      '',
      'require (',
      '\texample.com/greet v1.2.3',
      '\texample.com/local v0.0.0',
      '\texample.com/oldmod v1.0.0',
      ')',
      '',
      'require example.com/util v0.3.0 // indirect',
      '',
      'replace example.com/oldmod => example.com/newmod v1.0.1',
      '',
      'replace example.com/local => ./local',
      '',
    ].join('\n'),
    'main.go':
      'package main\n\nimport (\n\t"example.com/greet"\n\t"example.com/local"\n\t"example.com/oldmod"\n)\n\nvar version = "dev"\n\nfunc main() { println(greet.Hello(), local.X(), oldmod.Name(), version) }\n',
    'local/go.mod': 'module example.com/local\n\ngo 1.17\n',
    'local/l.go': 'package local\n\nfunc X() string { return "local" }\n',
    'vendor/example.com/greet/greet.go':
      'package greet\n\nimport "example.com/util"\n\nfunc Hello() string { return util.Twice("hello ") }\n',
    'vendor/example.com/util/util.go': 'package util\n\nfunc Twice(s string) string { return s + s }\n',
    'vendor/example.com/oldmod/old.go': 'package oldmod\n\nfunc Name() string { return "new" }\n',
    // -mod=vendor takes every package, a directory replacement's too, from vendor/
    'vendor/example.com/local/l.go': 'package local\n\nfunc X() string { return "local" }\n',
    'vendor/modules.txt': [
      '# example.com/greet v1.2.3',
      '## explicit',
      'example.com/greet',
      '# example.com/local v0.0.0 => ./local',
      '## explicit',
      'example.com/local',
      '# example.com/oldmod v1.0.0 => example.com/newmod v1.0.1',
      '## explicit',
      'example.com/oldmod',
      '# example.com/util v0.3.0',
      '## explicit',
      'example.com/util',
      '# example.com/local => ./local',
      '# example.com/oldmod => example.com/newmod v1.0.1',
      '',
    ].join('\n'),
  };
  for (const [p, text] of HAVE_GO ? Object.entries(files) : []) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  }
  const builds: [string, string[], string | undefined][] = [
    ['default', [], undefined],
    ['trimpath', ['-trimpath'], undefined],
    ['pie', ['-buildmode=pie'], undefined],
    ['stripped, -X main.version', ['-ldflags=-s -w -X main.version=2.0.1'], 'v2.0.1'],
  ];
  for (const [label, flags, mainVersion] of builds) {
    it(`${label}: the same modules as go version -m`, async () => {
      const out = path.join(dir, `bin-${label.replace(/\W+/g, '-')}`);
      const b = spawnSync('go', ['build', ...flags, '-o', out, '.'], { cwd: dir, env, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
      const m = spawnSync('go', ['version', '-m', out], { env, encoding: 'utf8' });
      assert.equal(m.status, 0, m.stderr);
      const oracle = readGoVersionM(m.stdout);
      assert.ok(oracle.deps.length >= 4, m.stdout);
      const got = ((await analyze(readFileSync(out))) ?? []).map(key).sort();
      assert.deepEqual(got, expectedFromOracle(oracle, mainVersion));
      if (mainVersion) assert.ok(got.includes(`example.com/vend@${mainVersion}`));
      assert.ok(got.includes('example.com/newmod@v1.0.1'));
      assert.ok(!got.some((k) => k.startsWith('example.com/local@')));
    });
  }
});

/** A .go.buildinfo blob in the pre-1.18 layout: pointers to Go string headers elsewhere in memory. */
function oldFormatElf(is64: boolean, le: boolean, mod: string, goVersion = 'go1.16.15'): Buffer {
  const ptr = is64 ? 8 : 4;
  const base = 0x500000;
  const hdr = Buffer.alloc(32);
  hdr.write('\xff Go buildinf:', 0, 'latin1');
  hdr[14] = ptr;
  hdr[15] = le ? 0 : 1;
  // data laid out after the 32-byte header: two string headers, then the bytes
  const vBytes = Buffer.from(goVersion);
  const mBytes = Buffer.from(mod);
  const sh1 = base + 32;
  const sh2 = sh1 + 2 * ptr;
  const vAt = sh2 + 2 * ptr;
  const mAt = vAt + vBytes.length;
  const body = Buffer.alloc(4 * ptr + vBytes.length + mBytes.length);
  const put = (v: number, o: number) => {
    if (is64) le ? body.writeBigUInt64LE(BigInt(v), o) : body.writeBigUInt64BE(BigInt(v), o);
    else le ? body.writeUInt32LE(v, o) : body.writeUInt32BE(v, o);
  };
  put(vAt, 0);
  put(vBytes.length, ptr);
  put(mAt, 2 * ptr);
  put(mBytes.length, 3 * ptr);
  vBytes.copy(body, 4 * ptr);
  mBytes.copy(body, 4 * ptr + vBytes.length);
  const h = (v: number, o: number) => {
    if (is64) le ? hdr.writeBigUInt64LE(BigInt(v), o) : hdr.writeBigUInt64BE(BigInt(v), o);
    else le ? hdr.writeUInt32LE(v, o) : hdr.writeUInt32BE(v, o);
  };
  h(sh1, 16);
  h(sh2, 16 + ptr);
  return buildElf({
    is64,
    le,
    sections: [
      { name: '.text', data: Buffer.alloc(64, 0x90), addr: 0x401000, segFlags: 5 },
      { name: '.go.buildinfo', data: Buffer.concat([hdr, body]), addr: base },
    ],
  });
}

const SENTINEL = '0123456789abcdef';
const OLD_MOD = `${SENTINEL}path\texample.com/old\nmod\texample.com/old\tv0.9.0\th1:x=\ndep\tgolang.org/x/text\tv0.3.7\th1:y=\n${SENTINEL.slice(0, 15)}\n${SENTINEL}`;

describe('Go binaries: the pre-1.18 pointer layout', () => {
  for (const [is64, le] of [
    [true, true],
    [false, false],
    [true, false],
    [false, true],
  ] as const) {
    it(`${is64 ? 64 : 32}-bit ${le ? 'little' : 'big'}-endian`, async () => {
      const bin = oldFormatElf(is64, le, OLD_MOD);
      assert.deepEqual(await analyze(bin), [
        { name: 'example.com/old', version: 'v0.9.0' },
        { name: 'golang.org/x/text', version: 'v0.3.7' },
        { name: 'stdlib', version: 'v1.16.15' },
      ]);
    });
  }

  it('a binary built outside module mode: only the toolchain', async () => {
    assert.deepEqual(await analyze(oldFormatElf(true, true, '')), [{ name: 'stdlib', version: 'v1.16.15' }]);
  });

  it('pointers to nowhere: no build info, no crash', async () => {
    const bin = oldFormatElf(true, true, OLD_MOD);
    const at = bin.indexOf('\xff Go buildinf:', 0, 'latin1');
    bin.writeBigUInt64LE(0xdead0000n, at + 16);
    assert.equal(await analyze(bin), undefined);
    bin.writeBigUInt64LE(0xffffffffffffff00n, at + 16);
    assert.equal(await analyze(bin), undefined);
  });
});

function inlineElf(payload: Buffer): Buffer {
  const hdr = Buffer.alloc(32);
  hdr.write('\xff Go buildinf:', 0, 'latin1');
  hdr[14] = 8;
  hdr[15] = 2;
  return buildElf({
    sections: [{ name: '.go.buildinfo', data: Buffer.concat([hdr, payload]), addr: 0x510000 }],
  });
}

function varstr(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  const len: number[] = [];
  let n = b.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from(len), b]);
}

describe('Go binaries: bad input', () => {
  it('a bogus varint length is a short error, not an allocation', async () => {
    const huge = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    await assert.rejects(analyze(inlineElf(Buffer.concat([huge, Buffer.from('go1.22')]))), /too long/);
    // a length past the end of the segment
    await assert.rejects(
      analyze(inlineElf(Buffer.concat([Buffer.from([0x80, 0x01]), Buffer.from('go')]))),
      /past/,
    );
    // a varint that never ends
    await assert.rejects(analyze(inlineElf(Buffer.alloc(16, 0x80))), /length/);
  });

  it('inline strings: version and module text', async () => {
    const mod = `${SENTINEL}path\tx\nmod\tx\t(devel)\t\ndep\ty\tv1.0.0\t\n${SENTINEL.slice(0, 15)}\n${SENTINEL}`;
    const bin = inlineElf(Buffer.concat([varstr('go1.21rc2'), varstr(mod)]));
    assert.deepEqual(await analyze(bin), [
      { name: 'y', version: 'v1.0.0' },
      { name: 'stdlib', version: 'v1.21.0-rc.2' },
    ]);
  });

  it('a misaligned magic is not a header; a file that is not an executable is skipped', async () => {
    const hdr = Buffer.alloc(48);
    hdr.write('\xff Go buildinf:', 3, 'latin1');
    const bin = buildElf({ sections: [{ name: '.data', data: hdr, addr: 0x510000 }] });
    assert.equal(await analyze(bin), undefined);
    assert.equal(await analyze(Buffer.from('#!/bin/sh\necho hi\n'.repeat(500))), undefined);
    const bash =
      '../shared/data/trivy-testdata/pkg/fanal/analyzer/language/golang/binary/testdata/executable_bash';
    const p = path.join(ROOT, bash);
    let script: Buffer | undefined;
    try {
      script = readFileSync(p);
    } catch {}
    if (script) assert.equal(await analyze(script), undefined);
  });

  it('random damage to a real binary: a result or an Error, never a hang or a crash', async () => {
    const skel = gunzipSync(readFileSync(path.join(FIX, 'linux-amd64-stripped.skel.gz')));
    // the bytes a reader looks at: headers, the buildinfo blob
    const bi = skel.indexOf('\xff Go buildinf:', 0, 'latin1');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.oneof(fc.nat(4096), fc.integer({ min: bi, max: bi + 600 })), fc.nat(255)), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.option(fc.nat(skel.length), { nil: undefined }),
        async (flips, cut) => {
          const b = Buffer.from(skel);
          for (const [o, v] of flips) b[o] = v;
          const input = cut === undefined ? b : b.subarray(0, cut);
          try {
            const r = await analyze(input);
            assert.ok(r === undefined || Array.isArray(r));
          } catch (e) {
            assert.ok(e instanceof Error);
            assert.ok((e as Error).message.length < 200);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Go binaries: pieces', () => {
  it('toolchain versions as module versions', () => {
    assert.equal(goStdlibVersion('go1.22.2'), 'v1.22.2');
    assert.equal(goStdlibVersion('go1.20'), 'v1.20.0');
    assert.equal(goStdlibVersion('go1.21rc2'), 'v1.21.0-rc.2');
    assert.equal(goStdlibVersion('go1.9beta1'), 'v1.9.0-beta.1');
    assert.equal(goStdlibVersion('go1.22.2 X:boringcrypto'), 'v1.22.2');
    assert.equal(goStdlibVersion('devel go1.23-a1b2c3 Mon Jan 1'), undefined);
    assert.equal(goStdlibVersion(''), undefined);
  });

  it('main module version from -ldflags -X', () => {
    assert.equal(versionFromLdflags('-s -w -X main.version=1.4.0', 'example.com/app'), 'v1.4.0');
    assert.equal(versionFromLdflags("-X 'main.Version=v2.3.4-rc.1'", 'm'), 'v2.3.4-rc.1');
    assert.equal(
      versionFromLdflags('-X=example.com/app/internal/build.Version=1.0.0', 'example.com/app'),
      'v1.0.0',
    );
    assert.equal(versionFromLdflags('-X "main.ver=3.0.0"', 'm'), 'v3.0.0');
    // not semver, another module's variable, another name
    assert.equal(versionFromLdflags('-X main.version=dev', 'm'), undefined);
    assert.equal(versionFromLdflags('-X github.com/other/lib.Version=1.0.0', 'example.com/app'), undefined);
    assert.equal(versionFromLdflags('-X main.commit=1.0.0', 'm'), undefined);
    assert.equal(versionFromLdflags('-X', 'm'), undefined);
  });

  it('module text: quoted build settings, replacement lines, malformed lines skipped', () => {
    const mi = parseGoModInfo(
      [
        'path\tex/cmd',
        'mod\tex\tv1.0.0\th1:a=',
        'dep\ta\tv1.0.0',
        '=>\tb\tv2.0.0\th1:b=',
        'dep\tonly-one-column',
        '=>\torphan\tv1\t',
        'build\t-ldflags="-X main.version=1.2.3"',
        'build\t"weird key"=value',
        'build\tGOOS=linux',
        'garbage',
      ].join('\n'),
    );
    assert.equal(mi.path, 'ex/cmd');
    assert.deepEqual(mi.main, { path: 'ex', version: 'v1.0.0', sum: 'h1:a=' });
    assert.deepEqual(mi.deps, [
      { path: 'a', version: 'v1.0.0', replace: { path: 'b', version: 'v2.0.0', sum: 'h1:b=' } },
    ]);
    assert.deepEqual(mi.settings, [
      { key: '-ldflags', value: '-X main.version=1.2.3' },
      { key: 'weird key', value: 'value' },
      { key: 'GOOS', value: 'linux' },
    ]);
    assert.deepEqual(goBinaryPackages({ goVersion: 'go1.22.0', modInfo: '' }), [
      { name: 'stdlib', version: 'v1.22.0' },
    ]);
  });

  it('matches executable files only, big enough, not named like scripts or libraries', () => {
    const m = (p: string, mode: number, size = 1_000_000) =>
      goBinaryAnalyzer.matches(p, { type: 'file', size, mode });
    assert.ok(m('usr/local/bin/app', 0o755));
    assert.ok(m('app/server.exe', 0o744));
    assert.ok(!m('usr/local/bin/app', 0o644));
    assert.ok(!m('usr/local/bin/app', 0o755, 0));
    assert.ok(!m('usr/bin/true', 0o755, 30_000));
    assert.ok(!m('usr/local/bin/run.sh', 0o755));
    assert.ok(!m('usr/lib64/libssl.so.3', 0o755));
    assert.ok(!goBinaryAnalyzer.matches('usr/bin/x', { type: 'symlink', size: 0, mode: 0o777 }));
  });
});
