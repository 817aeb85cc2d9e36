// docker-archive tars ("docker save", skopeo): manifest.json, <config>.json, layer tars.

import { ImageError, UserError } from '../../errors.js';
import { isDigest, verifyBuffer } from '../../util/digest.js';
import { layerHistory, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, parseConfig, parseJson } from '../manifest.js';
import type { Image, Layer } from '../types.js';
import type { BlobStore } from './store.js';

interface ArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function digestFromName(name: string): string | undefined {
  // "<hex>.json" (classic docker save, skopeo) or "blobs/sha256/<hex>" (docker save >= 25)
  const m = /^(?:blobs\/(sha256|sha512)\/)?([0-9a-f]{64}|[0-9a-f]{128})(?:\.json|\.tar)?$/.exec(name);
  if (!m) return undefined;
  const d = `${m[1] ?? 'sha256'}:${m[2]}`;
  return isDigest(d) ? d : undefined;
}

export async function openDockerArchive(
  store: BlobStore,
  name: string,
  ref: string | undefined,
): Promise<Image> {
  const data = await store.readFile('manifest.json', MAX_MANIFEST_BYTES);
  if (!data) throw new UserError(`${store.label} is not a docker-archive (no manifest.json)`);
  const json = parseJson(data, `manifest.json of ${store.label}`, MAX_MANIFEST_BYTES);
  if (!Array.isArray(json) || json.length === 0)
    throw new ImageError(`manifest.json of ${store.label} lists no images`);
  const entries = json.map((e, i) => {
    if (typeof e !== 'object' || e === null || typeof e.Config !== 'string' || !Array.isArray(e.Layers)) {
      throw new ImageError(`manifest.json of ${store.label}: entry ${i} is malformed`);
    }
    if (!e.Layers.every((l: unknown) => typeof l === 'string')) {
      throw new ImageError(`manifest.json of ${store.label}: entry ${i} has a non-string layer`);
    }
    return e as ArchiveEntry;
  });
  let entry: ArchiveEntry;
  if (ref) {
    const hit = entries.find((e) => (e.RepoTags ?? []).some((t) => t === ref || t.endsWith(`/${ref}`)));
    if (!hit) {
      const tags = entries.flatMap((e) => e.RepoTags ?? []);
      throw new UserError(`image "${ref}" not found in ${store.label} (tags: ${tags.join(', ') || 'none'})`);
    }
    entry = hit;
  } else if (entries.length === 1) {
    entry = entries[0] as ArchiveEntry;
  } else {
    const tags = entries.flatMap((e) => e.RepoTags ?? []);
    throw new UserError(
      `${store.label} holds ${entries.length} images; name one as PATH:TAG (tags: ${tags.join(', ')})`,
    );
  }
  const configData = await store.readFile(entry.Config, MAX_CONFIG_BYTES);
  if (!configData) throw new ImageError(`config ${entry.Config} is missing from ${store.label}`);
  const configDigest = digestFromName(entry.Config);
  if (configDigest) verifyBuffer(configData, configDigest, `config ${entry.Config}`);
  const config = parseConfig(configData, `config ${entry.Config}`, entry.Layers.length);
  const history = layerHistory(config);
  const layers: Layer[] = entry.Layers.map((file, i) => ({
    index: i,
    digest: /^blobs\//.test(file) ? digestFromName(file) : undefined,
    diffID: config.rootfs.diff_ids[i] as string,
    size: undefined,
    mediaType: undefined,
    createdBy: history[i],
    open: async () => {
      if (!(await store.has(file))) throw new ImageError(`layer ${file} is missing from ${store.label}`);
      return (await store.openFile(file)).stream;
    },
  }));
  return {
    kind: 'docker-archive',
    name,
    manifestDigest: undefined,
    configDigest: configDigest ?? undefined,
    config,
    layers,
    repoTags: entry.RepoTags ?? [],
    repoDigests: [],
    close: () => store.close(),
  };
}
