// Turns a target string into an Image: detects the kind, or honours a forcing prefix.

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, UserError } from '../../errors.js';
import { sniffCompression } from '../sniff.js';
import type { Image, Platform } from '../types.js';
import { openDockerArchive } from './docker-archive.js';
import { openOciLayout } from './oci.js';
import type { RegistrySourceOptions } from './registry.js';
import { DirStore, TarStore } from './store.js';

export type TargetKind = 'docker-archive' | 'oci-archive' | 'oci' | 'registry' | 'rootfs';

export interface OpenOptions extends RegistrySourceOptions {
  platform?: Platform;
}

/** The registry client (undici) is loaded only when a registry is used: local scans start faster. */
async function openRegistryImage(ref: string, opts: OpenOptions): Promise<Image> {
  const { openRegistryImage: open } = await import('./registry.js');
  return open(ref, opts);
}

const PREFIXES: TargetKind[] = ['docker-archive', 'oci-archive', 'oci', 'registry', 'rootfs'];

async function kindOfPath(p: string): Promise<'file' | 'dir' | undefined> {
  try {
    const st = statSync(p);
    if (st.isDirectory()) return 'dir';
    if (st.isFile()) return 'file';
    throw new UserError(`${p} is neither a file nor a directory`);
  } catch (e) {
    if (e instanceof UserError) throw e;
    return undefined;
  }
}

/**
 * Splits "path:tag" (or "archive.tar:repo/name:tag") when the whole string is not itself an
 * existing path: the first prefix ending before a ":" that exists is the path.
 */
async function splitPathTag(target: string): Promise<{ path: string; tag: string | undefined }> {
  if (await kindOfPath(target)) return { path: target, tag: undefined };
  for (let i = target.indexOf(':'); i > 0; i = target.indexOf(':', i + 1)) {
    const p = target.slice(0, i);
    if (await kindOfPath(p)) return { path: p, tag: target.slice(i + 1) || undefined };
  }
  return { path: target, tag: undefined };
}

function rootfsImage(dir: string, name: string): Image {
  return {
    kind: 'rootfs',
    name,
    manifestDigest: undefined,
    configDigest: undefined,
    config: { rootfs: { type: 'layers', diff_ids: [] } },
    layers: [],
    repoTags: [],
    repoDigests: [],
    rootDir: path.resolve(dir),
    close: async () => {},
  };
}

function archiveCompression(file: string) {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new UserError(`cannot open ${file}: ${describe(e)}`);
  }
  try {
    const head = Buffer.alloc(6);
    return sniffCompression(head.subarray(0, readSync(fd, head, 0, 6, 0)), file);
  } finally {
    closeSync(fd);
  }
}

async function openArchive(
  file: string,
  tag: string | undefined,
  name: string,
  force: TargetKind | undefined,
  platform: Platform | undefined,
): Promise<Image> {
  let cleanup: (() => Promise<void>) | undefined;
  let tarFile = file;
  const compression = archiveCompression(file);
  if (compression !== 'none') {
    const { decompressArchive } = await import('./compressed-archive.js');
    ({ tar: tarFile, cleanup } = await decompressArchive(file, compression));
  }
  let store: TarStore;
  try {
    store = await TarStore.open(tarFile, file, cleanup);
  } catch (e) {
    await cleanup?.();
    throw e;
  }
  try {
    if (force !== 'oci-archive' && (await store.has('manifest.json')))
      return await openDockerArchive(store, name, tag);
    if (force !== 'docker-archive' && (await store.has('oci-layout'))) {
      return await openOciLayout(store, { tag, platform }, { kind: 'oci-archive', name });
    }
    throw new UserError(
      `${file} is not a ${force ?? 'docker-archive or oci-archive'} (no ${force === 'oci-archive' ? 'oci-layout' : 'manifest.json'} inside)`,
    );
  } catch (e) {
    await store.close();
    throw e;
  }
}

export async function openImage(target: string, opts: OpenOptions = {}): Promise<Image> {
  let forced: TargetKind | undefined;
  let rest = target;
  for (const p of PREFIXES) {
    if (target.startsWith(`${p}:`)) {
      forced = p;
      rest = target.slice(p.length + 1);
      break;
    }
  }
  if (!rest) throw new UserError(`empty target "${target}"`);
  if (forced === 'registry') return openRegistryImage(rest, opts);
  const { path: p, tag } = await splitPathTag(rest);
  const kind = await kindOfPath(p);
  if (forced === 'docker-archive' || forced === 'oci-archive') {
    if (kind !== 'file') throw new UserError(`${p}: no such archive file`);
    return withPlatform(await openArchive(p, tag, target, forced, opts.platform), opts);
  }
  if (forced === 'oci') {
    if (kind !== 'dir') throw new UserError(`${p}: no such OCI layout directory`);
    return openOciLayout(new DirStore(p), { tag, platform: opts.platform }, { kind: 'oci', name: target });
  }
  if (forced === 'rootfs') {
    if (kind !== 'dir') throw new UserError(`${p}: no such directory`);
    return rootfsImage(p, target);
  }
  if (kind === 'file') return withPlatform(await openArchive(p, tag, target, undefined, opts.platform), opts);
  if (kind === 'dir') {
    const store = new DirStore(p);
    if (await store.has('oci-layout'))
      return openOciLayout(store, { tag, platform: opts.platform }, { kind: 'oci', name: target });
    if (tag) throw new UserError(`${p} is not an OCI layout, so ":${tag}" cannot name an image in it`);
    return rootfsImage(p, target);
  }
  if (/^[./~]/.test(rest) || rest.endsWith('.tar')) throw new UserError(`${rest}: no such file or directory`);
  return openRegistryImage(rest, opts);
}

/** Archives carry one platform; say so when the user asked for another. */
function withPlatform(image: Image, opts: OpenOptions): Image {
  const want = opts.platform;
  if (want && image.config.os && image.config.architecture) {
    if (image.config.os !== want.os || image.config.architecture !== want.architecture) {
      const have = `${image.config.os}/${image.config.architecture}`;
      void image.close();
      throw new UserError(`${image.name} is ${have}, not ${want.os}/${want.architecture}`);
    }
  }
  return image;
}
