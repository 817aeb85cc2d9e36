// Hostile and broken images: each gives a clear one-line error and exit 2, or a warning and the
// entry skipped; never a crash, a hang, or a write outside drydock's own directories.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { createGzip } from 'node:zlib';
import { img, isCleanUserError, runCli, SKIP_IMAGES, tmpdir } from '../helpers/env.js';
import { addBlob, makeOciLayout, sha256 } from '../helpers/oci.js';
import { header, makeTar } from '../helpers/tar.js';

const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\n';
const STATUS = 'Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n';
const base = () =>
  makeTar([
    { name: 'etc/', type: 'dir' },
    { name: 'etc/os-release', content: OS_RELEASE },
    { name: 'var/lib/dpkg/status', content: STATUS },
  ]);

async function scanJson(target: string, extra: string[] = [], env?: Record<string, string>) {
  const r = await runCli(['image', target, '-f', 'json', '--list-all-pkgs', ...extra], { env });
  return {
    ...r,
    json:
      r.code === 0 ? (JSON.parse(r.stdout) as Record<string, unknown> & { Warnings?: string[] }) : undefined,
  };
}

function expectError(r: { code: number; stdout: string; stderr: string }, re: RegExp): void {
  assert.ok(isCleanUserError(r), `expected a one-line error with exit 2, got ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, re);
}

describe('hostile layer content (warnings, entry skipped, scan goes on)', () => {
  it('path traversal, absolute paths, hard-link escapes; nothing written outside drydock dirs', async () => {
    const dir = tmpdir();
    const marker = `dd-escape-${process.pid}-${Date.now()}`;
    const evil = makeTar([
      { name: `../../../../../../tmp/${marker}`, content: 'pwned' },
      { name: '/etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
      { name: '../etc/os-release', content: 'ID=alpine\nVERSION_ID=3.1\n' },
      { name: 'etc/os-release', type: 'hardlink', linkname: '../../../etc/shadow' },
    ]);
    const layout = makeOciLayout(path.join(dir, 'oci'), [{ tar: base() }, { tar: evil }]);
    const tmp = tmpdir('dd-tmp-');
    const r = await scanJson(layout.dir, ['--list-files'], { TMPDIR: tmp });
    assert.equal(r.code, 0, r.stderr);
    const warnings = (r.json?.Warnings ?? []).join('\n');
    assert.match(warnings, /climbs above the image root/);
    assert.match(
      warnings,
      /skipped hard link "etc\/os-release" -> "..\/..\/..\/etc\/shadow": target climbs above the image root/,
    );
    assert.deepEqual((r.json as { Metadata: { OS?: unknown } }).Metadata.OS, {
      Family: 'debian',
      Name: '12',
    });
    const files = (r.json as { Files: { Path: string }[] }).Files.map((f) => f.Path);
    assert.ok(files.includes('etc/passwd'), 'an absolute path is read relative to the image root');
    assert.ok(!files.some((f) => f.includes('..')));
    assert.ok(!existsSync(`/tmp/${marker}`));
    assert.deepEqual(readdirSync(tmp), [], 'temp files are cleaned up');
  });

  it('a symlink escape and a symlink loop in a layer are recorded, never followed', async () => {
    const dir = tmpdir();
    const layout = makeOciLayout(path.join(dir, 'oci'), [
      {
        tar: makeTar([
          { name: 'etc/os-release', type: 'symlink', linkname: '../../../../../../etc/os-release' },
          { name: 'var/lib/dpkg/status', type: 'symlink', linkname: '/proc/self/environ' },
          { name: 'a', type: 'symlink', linkname: 'b' },
          { name: 'b', type: 'symlink', linkname: 'a' },
        ]),
      },
    ]);
    const r = await scanJson(layout.dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (r.json as { Metadata: { OS?: unknown } }).Metadata.OS,
      undefined,
      'the host os-release was not read',
    );
    assert.match((r.json?.Warnings ?? []).join('\n'), /OS not detected/);
  });

  it('drydock fs never follows symlinks out of the root, and survives loops', async () => {
    const root = tmpdir();
    mkdirSync(path.join(root, 'var/lib/dpkg'), { recursive: true });
    mkdirSync(path.join(root, 'etc'));
    const outside = tmpdir();
    writeFileSync(path.join(outside, 'status'), STATUS);
    symlinkSync(path.join(outside, 'status'), path.join(root, 'var/lib/dpkg/status'));
    symlinkSync('/etc/os-release', path.join(root, 'etc/os-release'));
    symlinkSync('loop2', path.join(root, 'loop1'));
    symlinkSync('loop1', path.join(root, 'loop2'));
    symlinkSync('/', path.join(root, 'hostroot'));
    const r = await runCli(['fs', root, '-f', 'json', '--list-all-pkgs']);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as { Results: unknown[]; Metadata: { OS?: unknown } };
    assert.deepEqual(rep.Results, []);
    assert.equal(rep.Metadata.OS, undefined);
  });

  it('a layer without end-of-archive blocks (umoci insert) is read, with a warning', {
    skip: SKIP_IMAGES,
  }, async () => {
    const r = await scanJson(`${img('oci')}:debian-app-badtar`);
    assert.equal(r.code, 0, r.stderr);
    assert.match((r.json?.Warnings ?? []).join('\n'), /layer 2: tar ends without an end-of-archive marker/);
  });
});

describe('broken or lying images (exit 2, one line)', () => {
  it('truncated and corrupt gzip, zstd and tar layers', async () => {
    const dir = tmpdir();
    const big = makeTar([
      { name: 'f', content: Buffer.alloc(200_000, 7) },
      { name: 'etc/os-release', content: OS_RELEASE },
    ]);
    const cases: [string, Parameters<typeof makeOciLayout>[1][number], RegExp][] = [
      [
        'gz-trunc',
        { tar: big, compression: 'gzip', tamperBlob: (b) => b.subarray(0, b.length - 100) },
        /layer sha256:[0-9a-f]+ is \d+ bytes but the manifest says \d+/,
      ],
      [
        'zst-corrupt',
        {
          tar: big,
          compression: 'zstd',
          tamperBlob: (b) => Buffer.concat([b.subarray(0, 20), Buffer.alloc(b.length - 20, 0x55)]),
        },
        /digest mismatch|corrupt zstd/,
      ],
      ['tar-trunc', { tar: big.subarray(0, 100_000), compression: 'gzip' }, /truncated tar/],
      ['tar-garbage', { tar: Buffer.alloc(4096, 0x41), compression: 'gzip' }, /corrupt tar/],
    ];
    for (const [name, layer, re] of cases) {
      const l = makeOciLayout(path.join(dir, name), [layer]);
      expectError(await runCli(['image', l.dir]), re);
    }
    // A gzip stream corrupt in the middle whose digest is right (the publisher signed garbage)
    const gz = execFileSync('gzip', ['-c'], { input: big });
    gz.writeUInt8((gz.readUInt8(gz.length - 30) ^ 0xff) & 0xff, gz.length - 30);
    const m = makeOciLayout(path.join(dir, 'gz-corrupt'), [{ tar: big, gzipBlob: gz }]);
    expectError(await runCli(['image', m.dir]), /corrupt gzip|diffID|digest mismatch/);
  });

  it('digest mismatches: layer blob, diffID, config, manifest', async () => {
    const dir = tmpdir();
    const layer = makeOciLayout(path.join(dir, 'layer'), [
      {
        tar: base(),
        tamperBlob: (b) =>
          Buffer.concat([b.subarray(0, b.length - 8), Buffer.from([0x03, 0, 0, 0, 0, 0, 0, 0])]),
      },
    ]);
    expectError(
      await runCli(['image', layer.dir]),
      new RegExp(`layer 1 \\(${layer.layerDigests[0]}\\)|digest mismatch`),
    );
    const diff = makeOciLayout(path.join(dir, 'diff'), [{ tar: base(), diffID: sha256('something else') }]);
    expectError(await runCli(['image', diff.dir]), /digest mismatch for uncompressed layer 1 .*diffID/);
    const cfg = makeOciLayout(path.join(dir, 'cfg'), [{ tar: base() }]);
    writeFileSync(
      path.join(cfg.dir, 'blobs/sha256', cfg.configDigest.slice(7)),
      JSON.stringify({ rootfs: { type: 'layers', diff_ids: [] } }).padEnd(10),
    );
    expectError(await runCli(['image', cfg.dir]), new RegExp(`config ${cfg.configDigest}`));
    const man = makeOciLayout(path.join(dir, 'man'), [{ tar: base() }]);
    const mf = path.join(man.dir, 'blobs/sha256', man.manifestDigest.slice(7));
    writeFileSync(mf, readFileSync(mf, 'utf8').replace('"schemaVersion":2', '"schemaVersion": 2'));
    expectError(await runCli(['image', man.dir]), new RegExp(`manifest ${man.manifestDigest}`));
  });

  it('wrong and mismatched media types, non-image artifacts, schema 1', async () => {
    const dir = tmpdir();
    const a = makeOciLayout(path.join(dir, 'a'), [{ tar: base(), mediaType: 'text/html' }]);
    expectError(await runCli(['image', a.dir]), /unsupported media type "text\/html"/);
    const b = makeOciLayout(path.join(dir, 'b'), [{ tar: base() }], {
      configMediaType: 'application/vnd.cncf.helm.config.v1+json',
    });
    expectError(await runCli(['image', b.dir]), /not a container image/);
    const c = makeOciLayout(path.join(dir, 'c'), [{ tar: base() }], {
      index: (d) => [{ ...d, mediaType: 'application/vnd.oci.image.index.v1+json' }],
    });
    expectError(await runCli(['image', c.dir]), /media type mismatch/);
    // A zstd layer labelled gzip is read by its magic bytes.
    const z = makeOciLayout(path.join(dir, 'z'), [
      { tar: base(), compression: 'zstd', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
    ]);
    const ok = await scanJson(z.dir);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('oversized manifest and config', async () => {
    const dir = tmpdir();
    const m = makeOciLayout(path.join(dir, 'm'), [{ tar: base() }], {
      manifestOverride: (mf) => ({ ...mf, annotations: { pad: 'x'.repeat(5 * 1024 * 1024) } }),
    });
    expectError(await runCli(['image', m.dir]), /more than the 4194304 allowed/);
    const c = makeOciLayout(path.join(dir, 'c'), [{ tar: base() }], {
      configOverride: (cf) => ({ ...cf, pad: 'y'.repeat(17 * 1024 * 1024) }),
    });
    expectError(await runCli(['image', c.dir]), /config .* more than the 16777216 allowed/);
  });

  it('an OCI layout whose index points at a missing blob, and a missing layer', async () => {
    const dir = tmpdir();
    const a = makeOciLayout(path.join(dir, 'a'), [{ tar: base() }], {
      index: (d) => [{ ...d, digest: sha256('nothing here') }],
    });
    expectError(await runCli(['image', a.dir]), /manifest sha256:[0-9a-f]+ is missing/);
    const b = makeOciLayout(path.join(dir, 'b'), [{ tar: base() }, { tar: base() }]);
    const { rmSync } = await import('node:fs');
    rmSync(path.join(b.dir, 'blobs/sha256', (b.layerDigests[1] as string).slice(7)));
    expectError(await runCli(['image', b.dir]), /layer sha256:[0-9a-f]+ is missing/);
    const noTag = makeOciLayout(path.join(dir, 'c'), [{ tar: base() }]);
    expectError(await runCli(['image', `${noTag.dir}:nope`]), /tag "nope" not found .*tags: latest/);
  });

  it('a blob that is a FIFO or a device is refused, without hanging', async () => {
    const dir = tmpdir();
    const a = makeOciLayout(path.join(dir, 'a'), [{ tar: base() }]);
    const blob = path.join(a.dir, 'blobs/sha256', (a.layerDigests[0] as string).slice(7));
    const { rmSync } = await import('node:fs');
    rmSync(blob);
    execFileSync('mkfifo', [blob]);
    expectError(await runCli(['image', a.dir]), /is not a regular file/);
    const b = makeOciLayout(path.join(dir, 'b'), [{ tar: base() }]);
    const cfg = path.join(b.dir, 'blobs/sha256', b.configDigest.slice(7));
    rmSync(cfg);
    symlinkSync('/dev/zero', cfg);
    expectError(await runCli(['image', b.dir]), /is not a regular file/);
  });

  it('an index without the requested platform', async () => {
    const dir = tmpdir();
    const l = makeOciLayout(path.join(dir, 'i'), [{ tar: base() }], {
      index: (d) => {
        const idx = JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [
            { ...d, annotations: undefined, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
          ],
        });
        return [
          {
            ...addBlob(path.join(dir, 'i'), idx, 'application/vnd.oci.image.index.v1+json'),
            annotations: { 'org.opencontainers.image.ref.name': 'latest' },
          },
        ];
      },
    });
    expectError(
      await runCli(['image', l.dir, '--platform', 'linux/amd64']),
      /no image for platform linux\/amd64 \(available: linux\/arm\/v7\)/,
    );
    const ok = await runCli(['image', l.dir, '--platform', 'linux/arm/v7']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('a gzip bomb is stopped by the ratio and size bounds', async () => {
    const dir = tmpdir();
    const file = path.join(dir, 'bomb.tar.gz');
    const size = 300 * 1024 * 1024;
    async function* tar() {
      yield header('zeros', '0', size);
      const zero = Buffer.alloc(1 << 20);
      for (let i = 0; i < size / zero.length; i++) yield zero;
      yield Buffer.alloc(1024);
    }
    await pipeline(tar, createGzip({ level: 9 }), createWriteStream(file));
    const blob = readFileSync(file);
    const l = makeOciLayout(path.join(dir, 'oci'), [
      { tar: Buffer.alloc(0), gzipBlob: blob, diffID: sha256('unknown') },
    ]);
    expectError(await runCli(['image', l.dir]), /decompression bomb: ratio \d+:1 exceeds 250:1/);
    expectError(
      await runCli(['image', l.dir, '--max-layer-size', '10MB']),
      /decompresses to more than 10485760 bytes/,
    );
  });

  it('a layer with 300,000 entries is read with a small heap', async () => {
    const dir = tmpdir();
    const file = path.join(dir, 'many.tar.gz');
    async function* tar() {
      for (let i = 0; i < 300_000; i++) yield header(`d${i % 100}/f${i}`, '0', 0);
      yield header('etc/os-release', '0', OS_RELEASE.length);
      yield Buffer.from(OS_RELEASE.padEnd(512, '\0'));
      yield Buffer.alloc(1024);
    }
    const { createHash } = await import('node:crypto');
    const diff = createHash('sha256');
    await pipeline(
      tar,
      async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) {
          diff.update(c);
          yield c;
        }
      },
      createGzip({ level: 1 }),
      createWriteStream(file),
    );
    const blob = readFileSync(file);
    const l = makeOciLayout(path.join(dir, 'oci'), [
      { tar: Buffer.alloc(0), gzipBlob: blob, diffID: `sha256:${diff.digest('hex')}` },
    ]);
    const r = await runCli(['image', l.dir, '-f', 'json'], {
      env: { NODE_OPTIONS: '--max-old-space-size=48' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (JSON.parse(r.stdout) as { Metadata: { OS: { Family: string } } }).Metadata.OS.Family,
      'debian',
    );
  });
});

describe('bad usage and bad targets', () => {
  it('gives one-line errors with exit 2', async () => {
    const dir = tmpdir();
    expectError(await runCli(['image', path.join(dir, 'nope.tar')]), /no such file or directory/);
    const notTar = path.join(dir, 'x.tar');
    writeFileSync(notTar, 'hello world, not a tar'.repeat(100));
    expectError(await runCli(['image', notTar]), /not a tar archive/);
    const gzTar = path.join(dir, 'x.tar.gz');
    const gz = execFileSync('gzip', ['-c'], { input: makeTar([{ name: 'manifest.json', content: '[]' }]) });
    writeFileSync(gzTar, gz.subarray(0, gz.length - 12));
    expectError(await runCli(['image', gzTar]), /x\.tar\.gz/);
    const emptyArchive = path.join(dir, 'empty.tar');
    writeFileSync(emptyArchive, makeTar([{ name: 'manifest.json', content: '[]' }]));
    expectError(await runCli(['image', emptyArchive]), /lists no images/);
    const loop = path.join(dir, 'loop.tar');
    writeFileSync(loop, makeTar([{ name: 'manifest.json', type: 'symlink', linkname: 'manifest.json' }]));
    expectError(await runCli(['image', loop]), /too many levels of links/);
    expectError(await runCli(['image', 'UPPER/Case:tag']), /invalid image reference/);
    expectError(await runCli(['image', dir, '--platform', 'linux']), /--platform/);
    const u = await runCli(['image', '--no-such-flag', dir]);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown option/);
    const missing = await runCli(['image']);
    assert.equal(missing.code, 2);
    const ok = await runCli(['--help']);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /image/);
  });

  it('a failed scan leaves an existing -o file untouched', async () => {
    const dir = tmpdir();
    const out = path.join(dir, 'report.json');
    writeFileSync(out, 'previous report');
    const r = await runCli(['image', path.join(dir, 'missing.tar'), '-o', out]);
    assert.equal(r.code, 2);
    assert.equal(readFileSync(out, 'utf8'), 'previous report');
    assert.deepEqual(readdirSync(dir), ['report.json']);
  });
});
