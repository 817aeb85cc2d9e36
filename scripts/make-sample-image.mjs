#!/usr/bin/env node
// Packs examples/sample-image/layer* into an OCI layout (tag "sample") and a docker-archive.
// Usage: node scripts/make-sample-image.mjs SRC_DIR OUT_DIR
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const [src, out] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: make-sample-image.mjs SRC_DIR OUT_DIR');
  process.exit(2);
}
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const work = path.join(out, 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const layerDirs = readdirSync(src)
  .filter((d) => /^layer\d+$/.test(d))
  .sort();
const layers = [];
for (const [i, d] of layerDirs.entries()) {
  const dir = path.join(work, d);
  cpSync(path.join(src, d), dir, { recursive: true });
  // git keeps neither symlinks' intent across platforms nor empty dirs: make both here.
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  if (i === 0) symlinkSync('../usr/lib/os-release', path.join(dir, 'etc/os-release'));
  if (i === 1) writeFileSync(path.join(dir, 'etc/.wh.motd'), '');
  const tar = execFileSync(
    'tar',
    [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@1704067200',
      '--format=posix',
      '--pax-option=delete=atime,delete=ctime',
      '-C',
      dir,
      '-cf',
      '-',
      ...readdirSync(dir).sort(),
    ],
    { maxBuffer: 1 << 28 },
  );
  const gz = gzipSync(tar, { level: 6 });
  layers.push({ tar, gz, diffID: sha(tar), digest: sha(gz) });
}
const history = [
  'debootstrap bookworm (sample)',
  'dpkg -i sudo libexpat1; rm /etc/motd',
  'COPY app /srv/app',
];
const config = JSON.stringify({
  architecture: 'amd64',
  os: 'linux',
  created: '2024-01-02T00:00:00Z',
  config: { Cmd: ['/bin/bash'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
  rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
  history: layers.map((_, i) => ({
    created: '2024-01-02T00:00:00Z',
    created_by: history[i] ?? `layer ${i + 1}`,
  })),
});

// OCI layout
const oci = path.join(out, 'oci');
rmSync(oci, { recursive: true, force: true });
mkdirSync(path.join(oci, 'blobs/sha256'), { recursive: true });
const blob = (data) => {
  const d = sha(data);
  writeFileSync(path.join(oci, 'blobs/sha256', d.slice(7)), data);
  return d;
};
const configDigest = blob(config);
for (const l of layers) blob(l.gz);
const manifest = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: configDigest,
    size: Buffer.byteLength(config),
  },
  layers: layers.map((l) => ({
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: l.digest,
    size: l.gz.length,
  })),
});
const manifestDigest = blob(manifest);
writeFileSync(path.join(oci, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
writeFileSync(
  path.join(oci, 'index.json'),
  JSON.stringify({
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifestDigest,
        size: Buffer.byteLength(manifest),
        annotations: { 'org.opencontainers.image.ref.name': 'sample' },
      },
    ],
  }),
);

// docker-archive (uncompressed layers, as docker save writes them)
const da = path.join(work, 'docker-archive');
mkdirSync(da, { recursive: true });
writeFileSync(path.join(da, `${configDigest.slice(7)}.json`), config);
const files = [];
for (const l of layers) {
  const name = `${l.diffID.slice(7)}.tar`;
  writeFileSync(path.join(da, name), l.tar);
  files.push(name);
}
writeFileSync(
  path.join(da, 'manifest.json'),
  JSON.stringify([
    { Config: `${configDigest.slice(7)}.json`, RepoTags: ['drydock/sample:1.0'], Layers: files },
  ]),
);
execFileSync('tar', [
  '--format=posix',
  '-C',
  da,
  '-cf',
  path.join(out, 'sample.docker.tar'),
  ...readdirSync(da).sort(),
]);
rmSync(work, { recursive: true, force: true });
console.log(`sample image: ${oci}:sample and ${path.join(out, 'sample.docker.tar')}`);
