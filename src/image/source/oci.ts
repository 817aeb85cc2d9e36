// OCI image layouts, as a directory or inside an oci-archive tar: index.json, nested indexes, tags.

import { ImageError, UserError } from '../../errors.js';
import { verifyBuffer } from '../../util/digest.js';
import {
  checkImageManifest,
  type ImageIndex,
  type ImageManifest,
  layerHistory,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  MEDIA,
  parseConfig,
  parseManifest,
  selectPlatform,
} from '../manifest.js';
import type { Descriptor, Image, Layer, Platform, SourceKind } from '../types.js';
import { type BlobStore, blobPath } from './store.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const MAX_INDEX_DEPTH = 8;

export interface OciOptions {
  tag?: string;
  platform?: Platform;
}

export async function readBlob(
  store: BlobStore,
  d: Descriptor,
  what: string,
  maxBytes: number,
): Promise<Buffer> {
  if (d.size > maxBytes)
    throw new ImageError(`${what} ${d.digest} is ${d.size} bytes, more than the ${maxBytes} allowed`);
  const data = await store.readFile(blobPath(d.digest), maxBytes);
  if (!data) throw new ImageError(`${what} ${d.digest} is missing from ${store.label}`);
  if (data.length !== d.size) {
    throw new ImageError(`${what} ${d.digest} is ${data.length} bytes but its descriptor says ${d.size}`);
  }
  verifyBuffer(data, d.digest, `${what} ${d.digest}`);
  return data;
}

function tagsOf(index: ImageIndex): string[] {
  return index.manifests.map((m) => m.annotations?.[REF_NAME]).filter((t): t is string => !!t);
}

/** Chooses the top-level descriptor for a tag (or the only one). */
function pickByTag(index: ImageIndex, tag: string | undefined, label: string): Descriptor {
  if (tag !== undefined) {
    const hits = index.manifests.filter((m) => {
      const ref = m.annotations?.[REF_NAME];
      return ref === tag || ref?.endsWith(`:${tag}`);
    });
    if (hits.length === 0) {
      const tags = tagsOf(index);
      throw new UserError(
        `tag "${tag}" not found in ${label}${tags.length ? ` (tags: ${tags.join(', ')})` : ' (it has no tags)'}`,
      );
    }
    return hits[0] as Descriptor;
  }
  if (index.manifests.length === 1) return index.manifests[0] as Descriptor;
  if (index.manifests.length === 0)
    throw new ImageError(`${label} has no images (index.json lists no manifests)`);
  const tags = tagsOf(index);
  throw new UserError(
    `${label} holds ${index.manifests.length} images; name one as PATH:TAG (tags: ${tags.join(', ') || 'none'})`,
  );
}

/** Resolves a descriptor (manifest or index, nested) to an image manifest. */
export async function resolveManifest(
  store: BlobStore,
  top: Descriptor,
  platform: Platform | undefined,
  label: string,
): Promise<{ manifest: ImageManifest; digest: string }> {
  let d = top;
  for (let depth = 0; depth <= MAX_INDEX_DEPTH; depth++) {
    const data = await readBlob(store, d, 'manifest', MAX_MANIFEST_BYTES);
    const m = parseManifest(data, `manifest ${d.digest}`, d.mediaType || undefined);
    if (m.kind === 'manifest') return { manifest: m, digest: d.digest };
    d = selectPlatform(m, platform, `index ${d.digest} in ${label}`);
  }
  throw new ImageError(`${label}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
}

/** Builds the Image from a manifest whose blobs live in `store`. */
export async function imageFromManifest(
  store: BlobStore,
  manifest: ImageManifest,
  manifestDigest: string | undefined,
  base: { kind: SourceKind; name: string; repoTags: string[]; close: () => Promise<void> },
): Promise<Image> {
  const what = `manifest ${manifestDigest ?? ''}`.trim();
  checkImageManifest(manifest, what);
  const configData = await readBlob(store, manifest.config, 'config', MAX_CONFIG_BYTES);
  const config = parseConfig(configData, `config ${manifest.config.digest}`, manifest.layers.length);
  const history = layerHistory(config);
  const layers: Layer[] = manifest.layers.map((d, i) => ({
    index: i,
    digest: d.digest,
    diffID: config.rootfs.diff_ids[i] as string,
    size: d.size,
    mediaType: d.mediaType,
    createdBy: history[i],
    open: async () => {
      const { stream, size } = await store.openFile(blobPath(d.digest)).catch((e: unknown) => {
        if (e instanceof ImageError && /missing/.test(e.message)) {
          throw new ImageError(`layer ${d.digest} is missing from ${store.label}`);
        }
        throw e;
      });
      if (size !== d.size) {
        stream.destroy();
        throw new ImageError(`layer ${d.digest} is ${size} bytes but the manifest says ${d.size}`);
      }
      return stream;
    },
  }));
  return {
    kind: base.kind,
    name: base.name,
    manifestDigest,
    configDigest: manifest.config.digest,
    config,
    layers,
    repoTags: base.repoTags,
    repoDigests: [],
    close: base.close,
  };
}

/** Opens an image from an OCI layout held by `store` (a directory or an oci-archive). */
export async function openOciLayout(
  store: BlobStore,
  opts: OciOptions,
  base: { kind: SourceKind; name: string },
): Promise<Image> {
  const layoutFile = await store.readFile('oci-layout', 4096);
  if (!layoutFile) throw new UserError(`${store.label} is not an OCI image layout (no oci-layout file)`);
  const indexData = await store.readFile('index.json', MAX_MANIFEST_BYTES);
  if (!indexData) throw new ImageError(`${store.label} has no index.json`);
  const index = parseManifest(indexData, `index.json of ${store.label}`, MEDIA.ociIndex);
  if (index.kind !== 'index') throw new ImageError(`index.json of ${store.label} is not an image index`);
  const top = pickByTag(index, opts.tag, store.label);
  const { manifest, digest } = await resolveManifest(store, top, opts.platform, store.label);
  const tag = top.annotations?.[REF_NAME];
  return imageFromManifest(store, manifest, digest, {
    kind: base.kind,
    name: base.name,
    repoTags: tag ? [tag] : [],
    close: () => store.close(),
  });
}
