// Generates benchmark images as OCI layouts, streaming (never holding a layer in memory):
//   big   : 4 gzip layers of 256 MiB each (1 GiB uncompressed), files of random + text data
//   many  : 1 gzip layer with 1,000,000 small files (plus os-release and a dpkg status)
//   inventory: 100,000 files in 2 gzip layers, most of them things the inventory reads: a dpkg
//          status, 3,000 installed npm packages, 1,500 Python distributions, a package-lock.json
//          with 5,000 entries, plus filler files
// Usage: node --import tsx bench/generate.ts big|many OUT_DIR
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { header } from '../test/helpers/tar.js';

const [kind = '', out = ''] = process.argv.slice(2);
if (!['big', 'many', 'inventory'].includes(kind) || !out) {
  console.error('usage: generate.ts big|many|inventory OUT_DIR');
  process.exit(2);
}
const blobs = path.join(out, 'blobs', 'sha256');
mkdirSync(blobs, { recursive: true });

function* file(name: string, data: Buffer) {
  yield header(name, '0', data.length);
  yield data;
  const pad = (512 - (data.length % 512)) % 512;
  if (pad) yield Buffer.alloc(pad);
}

async function writeLayer(gen: () => AsyncGenerator<Buffer>) {
  const diff = createHash('sha256');
  const comp = createHash('sha256');
  let size = 0;
  const tmp = path.join(blobs, `tmp-${process.pid}`);
  await pipeline(
    gen,
    async function* (src: AsyncIterable<Buffer>) {
      // batch small pieces: one zlib call per MiB instead of per tar block
      let parts: Buffer[] = [];
      let n = 0;
      for await (const c of src) {
        parts.push(c);
        n += c.length;
        if (n >= 1 << 20) {
          const b = Buffer.concat(parts, n);
          diff.update(b);
          yield b;
          parts = [];
          n = 0;
        }
      }
      if (n) {
        const b = Buffer.concat(parts, n);
        diff.update(b);
        yield b;
      }
    },
    createGzip({ level: 1 }),
    async function* (src: AsyncIterable<Buffer>) {
      for await (const c of src) {
        comp.update(c);
        size += c.length;
        yield c;
      }
    },
    createWriteStream(tmp),
  );
  const digest = `sha256:${comp.digest('hex')}`;
  renameSync(tmp, path.join(blobs, digest.slice(7)));
  return { digest, diffID: `sha256:${diff.digest('hex')}`, size };
}

const OS = Buffer.from('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n');
const here = path.dirname(new URL(import.meta.url).pathname);
const STATUS = readFileSync(path.join(here, '..', 'examples/sample-image/layer1/var/lib/dpkg/status'));
const TEXT = Buffer.from('lorem ipsum dolor sit amet, consectetur adipiscing elit '.repeat(20_000));

const layers: { digest: string; diffID: string; size: number }[] = [];
if (kind === 'big') {
  for (let l = 0; l < 4; l++) {
    layers.push(
      await writeLayer(async function* () {
        if (l === 0) {
          yield* file('etc/os-release', OS);
          yield* file('var/lib/dpkg/status', STATUS);
        }
        // 256 MiB per layer: 1 MiB files, half random (incompressible), half text
        for (let i = 0; i < 256; i++) {
          const data = i % 2 === 0 ? randomBytes(1 << 20) : TEXT.subarray(0, 1 << 20);
          yield* file(`data/layer${l}/file${i}.bin`, data);
        }
        yield Buffer.alloc(1024);
      }),
    );
  }
} else if (kind === 'inventory') {
  const SMALL = Buffer.from('module.exports = {};\n');
  let files = 0;
  layers.push(
    await writeLayer(async function* () {
      yield* file('etc/os-release', OS);
      yield* file('var/lib/dpkg/status', STATUS);
      files += 2;
      for (let i = 0; i < 1500; i++) {
        const d = `usr/lib/python3/dist-packages/bench_dist_${i}-1.${i}.0.dist-info`;
        yield* file(
          `${d}/METADATA`,
          Buffer.from(`Metadata-Version: 2.1\nName: bench-dist-${i}\nVersion: 1.${i}.0\nLicense: MIT\n\n`),
        );
        yield* file(`${d}/RECORD`, Buffer.from(`bench_dist_${i}/__init__.py,,\n`));
        yield* file(`usr/lib/python3/dist-packages/bench_dist_${i}/__init__.py`, SMALL);
        for (let j = 0; j < 7; j++)
          yield* file(`usr/lib/python3/dist-packages/bench_dist_${i}/m${j}.py`, SMALL);
        files += 10;
      }
      yield Buffer.alloc(1024);
    }),
  );
  const lock: Record<string, unknown> = { '': { name: 'bench-app', version: '1.0.0' } };
  for (let i = 0; i < 5000; i++)
    lock[`node_modules/bench-lock-${i}`] = { version: `2.${i % 50}.${i}`, license: 'ISC' };
  layers.push(
    await writeLayer(async function* () {
      yield* file(
        'app/package-lock.json',
        Buffer.from(JSON.stringify({ name: 'bench-app', lockfileVersion: 3, packages: lock })),
      );
      files += 1;
      for (let i = 0; i < 3000; i++) {
        const d = `app/node_modules/${i % 10 === 0 ? `@scope${i % 7}/` : ''}bench-mod-${i}`;
        yield* file(
          `${d}/package.json`,
          Buffer.from(JSON.stringify({ name: d.slice(17), version: `3.0.${i}`, license: 'MIT' })),
        );
        for (let j = 0; j < 19; j++) yield* file(`${d}/lib/f${j}.js`, SMALL);
        files += 20;
      }
      for (let i = 0; files < 100_000; i++, files++)
        yield* file(`usr/share/filler/d${i % 100}/f${i}.txt`, SMALL);
      yield Buffer.alloc(1024);
    }),
  );
} else {
  layers.push(
    await writeLayer(async function* () {
      yield* file('etc/os-release', OS);
      yield* file('var/lib/dpkg/status', STATUS);
      for (let i = 0; i < 1_000_000; i++) {
        yield* file(`usr/share/many/d${Math.floor(i / 1000)}/f${i}.txt`, Buffer.from(`file ${i}\n`));
      }
      yield Buffer.alloc(1024);
    }),
  );
}
const config = JSON.stringify({
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
  history: layers.map((_, i) => ({ created_by: `bench ${kind} layer ${i + 1}` })),
});
const cd = `sha256:${createHash('sha256').update(config).digest('hex')}`;
writeFileSync(path.join(blobs, cd.slice(7)), config);
const manifest = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
  layers: layers.map((l) => ({
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: l.digest,
    size: l.size,
  })),
});
const md = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
writeFileSync(path.join(blobs, md.slice(7)), manifest);
writeFileSync(path.join(out, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
writeFileSync(
  path.join(out, 'index.json'),
  JSON.stringify({
    schemaVersion: 2,
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length },
    ],
  }),
);
console.log(JSON.stringify({ out, layers }));
