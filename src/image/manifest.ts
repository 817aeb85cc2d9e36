// Parsing and validating manifests, indexes and configs; platform selection in an index.

import { ImageError } from '../errors.js';
import { parseDigest } from '../util/digest.js';
import type { Descriptor, HistoryEntry, ImageConfigFile, Platform } from './types.js';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** Every manifest type a registry may send us, most preferred first. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest];

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseJson(data: Buffer, what: string, maxBytes: number): unknown {
  if (data.length > maxBytes)
    throw new ImageError(`${what} is ${data.length} bytes, more than the ${maxBytes} allowed`);
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw new ImageError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function descriptor(v: unknown, what: string): Descriptor {
  if (!isObject(v)) throw new ImageError(`${what} is not a descriptor object`);
  const { mediaType, digest, size } = v;
  if (typeof digest !== 'string') throw new ImageError(`${what} has no digest`);
  parseDigest(digest, `digest of ${what}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ImageError(`${what} has an invalid size`);
  }
  const d: Descriptor = { mediaType: typeof mediaType === 'string' ? mediaType : '', digest, size };
  if (isObject(v.annotations)) d.annotations = v.annotations as Record<string, string>;
  if (isObject(v.platform)) {
    const p = v.platform;
    if (typeof p.os === 'string' && typeof p.architecture === 'string') {
      d.platform = { os: p.os, architecture: p.architecture };
      if (typeof p.variant === 'string') d.platform.variant = p.variant;
    }
  }
  if (Array.isArray(v.urls)) d.urls = v.urls.filter((u): u is string => typeof u === 'string');
  return d;
}

/**
 * Parses a manifest or index. `declaredType` is what the transport said (HTTP Content-Type or the
 * referring descriptor); when both it and the body name a media type they must agree.
 */
export function parseManifest(data: Buffer, what: string, declaredType?: string): ImageManifest | ImageIndex {
  const json = parseJson(data, what, MAX_MANIFEST_BYTES);
  if (!isObject(json)) throw new ImageError(`${what} is not a JSON object`);
  const bodyType = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const declared = declaredType?.split(';')[0]?.trim() || undefined;
  if (
    json.schemaVersion === 1 ||
    declared === MEDIA.dockerSchema1 ||
    declared === MEDIA.dockerSchema1Signed
  ) {
    throw new ImageError(`${what} is a Docker schema 1 manifest, which is deprecated and not supported`);
  }
  if (json.schemaVersion !== 2)
    throw new ImageError(`${what} has unsupported schemaVersion ${String(json.schemaVersion)}`);
  if (
    bodyType &&
    declared &&
    declared !== bodyType &&
    declared !== 'application/json' &&
    declared !== 'application/octet-stream'
  ) {
    throw new ImageError(
      `${what}: media type mismatch: served as ${declared} but the document says ${bodyType}`,
    );
  }
  const mediaType =
    bodyType ?? declared ?? (Array.isArray(json.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest);
  if (mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList) {
    if (!Array.isArray(json.manifests)) throw new ImageError(`${what} is an index without a manifests list`);
    if ('layers' in json || 'config' in json) throw new ImageError(`${what} mixes index and manifest fields`);
    return {
      kind: 'index',
      mediaType,
      manifests: json.manifests.map((m, i) => descriptor(m, `${what} manifests[${i}]`)),
    };
  }
  if (mediaType === MEDIA.ociManifest || mediaType === MEDIA.dockerManifest) {
    if (!Array.isArray(json.layers)) throw new ImageError(`${what} has no layers list`);
    if ('manifests' in json) throw new ImageError(`${what} mixes index and manifest fields`);
    const config = descriptor(json.config, `${what} config`);
    const layers = json.layers.map((l, i) => descriptor(l, `${what} layers[${i}]`));
    return { kind: 'manifest', mediaType, config, layers };
  }
  throw new ImageError(`${what} has unsupported media type "${mediaType}"`);
}

/** Rejects manifests that describe something other than a container image. */
export function checkImageManifest(m: ImageManifest, what: string): void {
  const ct = m.config.mediaType;
  if (ct && ct !== MEDIA.ociConfig && ct !== MEDIA.dockerConfig) {
    throw new ImageError(`${what} is not a container image: config media type is "${ct}"`);
  }
  m.layers.forEach((l, i) => {
    if (l.mediaType && !LAYER_TYPES.has(l.mediaType)) {
      throw new ImageError(`${what} layers[${i}] has unsupported media type "${l.mediaType}"`);
    }
  });
}

/** Parses an image config and checks it matches the manifest's layer count. */
export function parseConfig(data: Buffer, what: string, layerCount?: number): ImageConfigFile {
  const json = parseJson(data, what, MAX_CONFIG_BYTES);
  if (!isObject(json)) throw new ImageError(`${what} is not a JSON object`);
  const rootfs = json.rootfs;
  if (!isObject(rootfs) || !Array.isArray(rootfs.diff_ids))
    throw new ImageError(`${what} has no rootfs.diff_ids`);
  const diffIds = rootfs.diff_ids.map((d, i) => {
    if (typeof d !== 'string') throw new ImageError(`${what} rootfs.diff_ids[${i}] is not a string`);
    parseDigest(d, `${what} rootfs.diff_ids[${i}]`);
    return d;
  });
  if (layerCount !== undefined && diffIds.length !== layerCount) {
    throw new ImageError(
      `${what} lists ${diffIds.length} diff_ids but the manifest has ${layerCount} layers`,
    );
  }
  const cfg = json as unknown as ImageConfigFile;
  cfg.rootfs = { type: typeof rootfs.type === 'string' ? rootfs.type : 'layers', diff_ids: diffIds };
  if (cfg.history !== undefined && !Array.isArray(cfg.history)) cfg.history = undefined;
  if (cfg.config !== undefined && !isObject(cfg.config)) cfg.config = undefined;
  return cfg;
}

/** created_by of each layer: history entries that are not empty_layer, in order. */
export function layerHistory(config: ImageConfigFile): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (const h of (config.history ?? []) as HistoryEntry[]) {
    if (!isObject(h)) continue;
    if (h.empty_layer) continue;
    out.push(typeof h.created_by === 'string' ? h.created_by : undefined);
  }
  return out;
}

export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
    throw new ImageError(`invalid --platform "${s}": expected os/arch[/variant], e.g. linux/amd64`);
  }
  const p: Platform = {
    os: (parts[0] as string).toLowerCase(),
    architecture: normalizeArch(parts[1] as string),
  };
  if (parts[2]) p.variant = parts[2].toLowerCase();
  return p;
}

function normalizeArch(a: string): string {
  const x = a.toLowerCase();
  if (x === 'x86_64' || x === 'x86-64') return 'amd64';
  if (x === 'aarch64') return 'arm64';
  return x;
}

export function hostPlatform(): Platform {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return { os: 'linux', architecture: arch };
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function defaultVariant(arch: string): string | undefined {
  if (arch === 'arm64') return 'v8';
  return undefined;
}

export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false;
  if (want.os !== have.os.toLowerCase() || want.architecture !== normalizeArch(have.architecture))
    return false;
  if (!want.variant) return true;
  const hv = have.variant?.toLowerCase() ?? defaultVariant(want.architecture);
  return hv === want.variant || (want.variant === defaultVariant(want.architecture) && !have.variant);
}

function isAttestation(d: Descriptor): boolean {
  return (
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown')
  );
}

/**
 * Picks the manifest for a platform from an index. With no explicit platform, the host's is used,
 * falling back to the only image manifest when there is just one.
 */
export function selectPlatform(index: ImageIndex, wanted: Platform | undefined, what: string): Descriptor {
  const candidates = index.manifests.filter((d) => !isAttestation(d));
  const want = wanted ?? hostPlatform();
  const match = candidates.find((d) => platformMatches(want, d.platform));
  if (match) return match;
  if (!wanted && candidates.length === 1) return candidates[0] as Descriptor;
  if (!wanted && candidates.length > 0 && candidates.every((d) => !d.platform))
    return candidates[0] as Descriptor;
  const available = candidates.map((d) => formatPlatform(d.platform)).join(', ') || 'none';
  throw new ImageError(`${what} has no image for platform ${formatPlatform(want)} (available: ${available})`);
}
