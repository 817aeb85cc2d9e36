// Images pulled from a registry (HTTP API v2): manifest or index, platform choice, config, layer streams.

import { ImageError } from '../../errors.js';
import { debug } from '../../log.js';
import { verifyBuffer } from '../../util/digest.js';
import {
  checkImageManifest,
  layerHistory,
  MAX_CONFIG_BYTES,
  parseConfig,
  parseManifest,
  selectPlatform,
} from '../manifest.js';
import { RegistryClient, type RegistryOptions } from '../registry/client.js';
import { formatReference, parseReference, type Reference } from '../registry/reference.js';
import type { Image, Layer, Platform } from '../types.js';

export interface RegistrySourceOptions extends RegistryOptions {
  platform?: Platform;
  /**
   * The content-trust gate (src/trust/gate.ts): called with the top-level manifest digest before
   * anything else is parsed or fetched; it throws to refuse the image.
   */
  trustGate?: (ref: Reference, digest: string) => Promise<unknown>;
}

export async function openRegistryImage(target: string, opts: RegistrySourceOptions): Promise<Image> {
  const ref = parseReference(target);
  const client = new RegistryClient(ref, opts);
  try {
    let reference = ref.digest ?? (ref.tag as string);
    let manifest: ReturnType<typeof parseManifest> | undefined;
    let manifestDigest = '';
    let topDigest: string | undefined;
    for (let depth = 0; depth < 4; depth++) {
      const got = await client.getManifest(reference);
      if (depth === 0 && opts.trustGate) await opts.trustGate(ref, got.digest);
      debug(`registry: manifest ${reference} -> ${got.digest} (${got.mediaType ?? 'no content-type'})`);
      const m = parseManifest(
        got.data,
        `manifest ${formatReference({ ...ref, tag: undefined, digest: got.digest })}`,
        got.mediaType,
      );
      manifestDigest = got.digest;
      topDigest ??= got.digest;
      if (m.kind === 'manifest') {
        manifest = m;
        break;
      }
      const chosen = selectPlatform(m, opts.platform, `index ${got.digest} of ${target}`);
      reference = chosen.digest;
    }
    if (manifest?.kind !== 'manifest') throw new ImageError(`${target}: indexes nested too deep`);
    const m = manifest;
    checkImageManifest(m, `manifest ${manifestDigest}`);
    if (m.config.size > MAX_CONFIG_BYTES) {
      throw new ImageError(
        `config ${m.config.digest} is ${m.config.size} bytes, more than the ${MAX_CONFIG_BYTES} allowed`,
      );
    }
    const configData = await client.getBlob(m.config.digest, MAX_CONFIG_BYTES);
    verifyBuffer(configData, m.config.digest, `config ${m.config.digest}`);
    const config = parseConfig(configData, `config ${m.config.digest}`, m.layers.length);
    const history = layerHistory(config);
    const layers: Layer[] = m.layers.map((d, i) => ({
      index: i,
      digest: d.digest,
      diffID: config.rootfs.diff_ids[i] as string,
      size: d.size,
      mediaType: d.mediaType,
      createdBy: history[i],
      open: async () => client.openBlob(d.digest, d.size),
    }));
    const repo = `${ref.registry}/${ref.repository}`;
    return {
      kind: 'registry',
      name: target,
      manifestDigest,
      configDigest: m.config.digest,
      config,
      layers,
      repoTags: ref.tag ? [`${repo}:${ref.tag}`] : [],
      repoDigests: [`${repo}@${ref.digest ?? topDigest ?? manifestDigest}`],
      close: () => client.close(),
    };
  } catch (e) {
    await client.close();
    throw e;
  }
}
