// Writes OCI image layouts and docker-archives from in-memory layers, for tests of hostile images.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export interface LayerSpec {
  tar: Buffer;
  /** A ready-made gzip blob stored as is (the tar is then only used for the diffID, if given). */
  gzipBlob?: Buffer;
  compression?: 'gzip' | 'zstd' | 'none';
  mediaType?: string;
  /** Replace the blob bytes after computing digests (to fake a digest mismatch). */
  tamperBlob?: (b: Buffer) => Buffer;
  /** Lie about the diffID. */
  diffID?: string;
  createdBy?: string;
}

export interface BuiltLayout {
  dir: string;
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
  diffIDs: string[];
}

function compress(tar: Buffer, c: LayerSpec['compression']): Buffer {
  if (c === 'none') return tar;
  if (c === 'zstd') return execFileSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 30 });
  return gzipSync(tar);
}

function writeBlob(dir: string, data: Buffer | string, digest?: string): string {
  const d = digest ?? sha256(data);
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(path.join(dir, 'blobs', 'sha256', d.slice(7)), data);
  return d;
}

export function makeOciLayout(
  dir: string,
  layers: LayerSpec[],
  opts: {
    configOverride?: (c: Record<string, unknown>) => unknown;
    manifestOverride?: (m: Record<string, unknown>) => unknown;
    configMediaType?: string;
    tag?: string;
    index?: (manifestDesc: Record<string, unknown>) => Record<string, unknown>[];
  } = {},
): BuiltLayout {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const descs: Record<string, unknown>[] = [];
  const diffIDs: string[] = [];
  const layerDigests: string[] = [];
  for (const l of layers) {
    const blob = l.gzipBlob ?? compress(l.tar, l.compression);
    const digest = sha256(blob);
    writeBlob(dir, l.tamperBlob ? l.tamperBlob(blob) : blob, digest);
    const mt =
      l.mediaType ??
      (l.gzipBlob
        ? 'application/vnd.oci.image.layer.v1.tar+gzip'
        : l.compression === 'none'
          ? 'application/vnd.oci.image.layer.v1.tar'
          : l.compression === 'zstd'
            ? 'application/vnd.oci.image.layer.v1.tar+zstd'
            : 'application/vnd.oci.image.layer.v1.tar+gzip');
    descs.push({ mediaType: mt, digest, size: blob.length });
    diffIDs.push(l.diffID ?? sha256(l.tar));
    layerDigests.push(digest);
  }
  let config: unknown = {
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIDs },
    history: layers.map((l, i) => ({ created_by: l.createdBy ?? `layer ${i + 1}` })),
  };
  if (opts.configOverride) config = opts.configOverride(config as Record<string, unknown>);
  const configBytes = typeof config === 'string' ? config : JSON.stringify(config);
  const configDigest = writeBlob(dir, configBytes);
  let manifest: unknown = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: opts.configMediaType ?? 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: Buffer.byteLength(configBytes),
    },
    layers: descs,
  };
  if (opts.manifestOverride) manifest = opts.manifestOverride(manifest as Record<string, unknown>);
  const manifestBytes = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
  const manifestDigest = writeBlob(dir, manifestBytes);
  const mdesc: Record<string, unknown> = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: manifestDigest,
    size: Buffer.byteLength(manifestBytes),
    annotations: { 'org.opencontainers.image.ref.name': opts.tag ?? 'latest' },
  };
  const manifests = opts.index ? opts.index(mdesc) : [mdesc];
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  return { dir, manifestDigest, configDigest, layerDigests, diffIDs };
}

/** Adds an extra blob (an index, say) to a layout and returns its descriptor. */
export function addBlob(dir: string, data: string, mediaType: string): Record<string, unknown> {
  const digest = writeBlob(dir, data);
  return { mediaType, digest, size: Buffer.byteLength(data) };
}
