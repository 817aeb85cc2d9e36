// Scan pipeline: layers (cached by diffID, analysed concurrently) -> merge -> inventory.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReleaseFile } from '../analyze/os/release-files.js';
import type { RpmDbResult } from '../analyze/pkg/rpm.js';
import { ANALYZERS } from '../analyze/registry.js';
import type { SessionOptions } from '../analyze/session.js';
import type { Analyzer, LayerAnalysis } from '../analyze/types.js';
import { defaultCacheDir, LayerCache, layerCacheKey } from '../cache/layer-cache.js';
import { layerLabel } from '../image/layer-label.js';
import type { DecompressLimits } from '../image/limits.js';
import { type MergedFile, mergeAnalyzer, mergeFiles } from '../image/merge.js';
import type { TarLimits } from '../image/tar.js';
import type { Image, Layer } from '../image/types.js';
import { eolDate, isEndOfLife } from '../inventory/eol.js';
import { detectOS, type OSInfo } from '../inventory/os.js';
import { type LayerInfo, langPackages, osPackages, type Package } from '../inventory/packages.js';
import { debug, warn } from '../log.js';
import type { Finding } from '../match/match.js';
import { noProgress, type Progress } from './progress.js';

const OS_PKG_TYPES = new Set(['deb', 'apk', 'rpm']);

/** The warnings that keep a scan from being silently empty: unknown OS, end of life, no package DB. */
export function inventoryWarnings(os: OSInfo | undefined, packages: Package[], now: Date): string[] {
  const out: string[] = [];
  const osPkgs = packages.filter((p) => p.type === 'deb' || p.type === 'apk' || p.type === 'rpm');
  if (!os) {
    out.push('OS not detected: no os-release, alpine-release, debian_version, redhat-release or lsb-release');
  } else {
    const eol = eolDate(os);
    if (eol && isEndOfLife(os, now)) {
      out.push(
        `OS ${os.family} ${os.name} reached end of life on ${eol}: it gets no more security fixes, and vulnerability data for it may be incomplete`,
      );
    }
  }
  const debs = osPkgs.filter((p) => p.type === 'deb');
  if (debs.length > 0 && debs.every((p) => p.filePath.startsWith('var/lib/dpkg/status.d/'))) {
    out.push(
      `distroless image: ${debs.length} dpkg package(s) come from var/lib/dpkg/status.d only (no dpkg status file, no package manager)${os ? '' : '; without an os-release the distribution and release are unknown'}`,
    );
  }
  if (osPkgs.length === 0) {
    out.push(
      os
        ? `no OS package database found for ${os.family} ${os.name} (dpkg, apk or rpm database): OS packages cannot be checked`
        : 'no OS package database found: OS packages cannot be checked',
    );
  }
  return out;
}

export interface ScanOptions {
  /** The time end-of-life dates are compared with (tests pin it). */
  now?: Date;
  /** Cache root; undefined uses the default; null disables the cache. */
  cacheDir?: string | null;
  parallel?: number;
  listFiles?: boolean;
  analyzers?: readonly Analyzer[];
  memoryThreshold?: number;
  maxFileSize?: number;
  decompress?: DecompressLimits;
  tar?: TarLimits;
  progress?: Progress;
}

export interface ScanResult {
  image: Image;
  layers: LayerAnalysis[];
  layerInfo: LayerInfo[];
  os: OSInfo | undefined;
  packages: Package[];
  files: MergedFile[] | undefined;
  warnings: string[];
  stats: { layers: number; analyzed: number; cached: number; ms: number };
  /** Set when the scan matched vulnerabilities (the inventory-only commands leave it unset). */
  vulnerabilities?: Finding[];
}

/** Runs `fn` over items with at most `n` in flight; the first failure stops new work. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker),
  );
  const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
}

export async function scanImage(image: Image, opts: ScanOptions = {}): Promise<ScanResult> {
  const t0 = Date.now();
  const analyzers = opts.analyzers ?? ANALYZERS;
  const progress = opts.progress ?? noProgress;
  const cache = opts.cacheDir === null ? undefined : new LayerCache(opts.cacheDir ?? defaultCacheDir());
  const maxFileSize = opts.maxFileSize ?? 64 * 1024 * 1024;
  const cacheOptions = { listFiles: !!opts.listFiles, maxFileSize };
  // Temp dir and the streaming code are set up on the first layer that is not cached.
  let tmpDir: string | undefined;
  let worker: Promise<{ opts: SessionOptions; mod: typeof import('./analyze-layer.js') }> | undefined;
  const prepare = () => {
    worker ??= (async () => {
      tmpDir = mkdtempSync(path.join(os.tmpdir(), 'drydock-'));
      const mod = await import('./analyze-layer.js');
      const sessionOpts: SessionOptions = {
        memoryThreshold: opts.memoryThreshold ?? 1024 * 1024,
        maxFileSize,
        tmpDir,
        listFiles: !!opts.listFiles,
      };
      return { opts: sessionOpts, mod };
    })();
    return worker;
  };
  let analyzed = 0;
  let cached = 0;
  const layers: LayerAnalysis[] = [];
  try {
    if (image.rootDir) {
      const w = await prepare();
      layers.push(await w.mod.analyzeRootfs(image.rootDir, analyzers, w.opts));
      analyzed = 1;
    } else {
      // Cache lookups are cheap: do them all at once, then analyse the misses with the pool.
      const keys = image.layers.map((l) => layerCacheKey(l.diffID, analyzers, cacheOptions));
      const hits = cache
        ? await Promise.all(image.layers.map((l, i) => cache.get(keys[i] as string, l.diffID)))
        : [];
      const misses: Layer[] = [];
      for (const layer of image.layers) {
        const hit = hits[layer.index];
        if (!hit) {
          misses.push(layer);
          continue;
        }
        debug(`scan: ${layerLabel(layer)} from cache`);
        layers[layer.index] = hit;
        cached++;
        progress.layerDone(layer.index, true);
      }
      const scanOne = async (layer: Layer) => {
        const w = await prepare();
        const result = await w.mod.analyzeLayer(layer, analyzers, w.opts, {
          decompress: opts.decompress,
          tar: opts.tar,
          onOpen: (read) => progress.layerStart(layer.index, layer.size, read),
        });
        layers[layer.index] = result;
        analyzed++;
        progress.layerDone(layer.index, false);
        if (cache) await cache.put(keys[layer.index] as string, result);
      };
      if (misses.length > 0) await pool(misses, opts.parallel ?? 2, scanOne);
    }
  } finally {
    progress.finish();
    if (worker) await worker.catch(() => undefined);
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  }
  debug(`scan: ${analyzed} layer(s) analyzed, ${cached} from cache (${Date.now() - t0} ms)`);

  const layerInfo: LayerInfo[] = image.rootDir
    ? [{ index: 0, digest: undefined, diffID: '', createdBy: undefined }]
    : image.layers.map((l) => ({
        index: l.index,
        digest: l.digest,
        diffID: l.diffID,
        createdBy: l.createdBy,
      }));
  const osInfo = detectOS(mergeAnalyzer<ReleaseFile>(layers, 'os-release'));
  const packages = [...osPackages(layers, layerInfo, osInfo), ...langPackages(layers, layerInfo)];
  const warnings: string[] = [];
  layers.forEach((l, i) => {
    for (const w of l.warnings) warnings.push(image.rootDir ? w : `layer ${i + 1}: ${w}`);
  });
  for (const [p, v] of mergeAnalyzer<RpmDbResult>(layers, 'rpm')) {
    if (v.value.badHeaders > 0)
      warnings.push(`rpm database ${p}: ${v.value.badHeaders} corrupt package header(s) skipped`);
  }
  // A project checkout scanned with `drydock fs` has language packages and no OS at all: the OS
  // warnings would only be noise there. Anything else keeps them (never silently empty).
  const projectDir =
    !!image.rootDir && !osInfo && packages.length > 0 && packages.every((p) => !OS_PKG_TYPES.has(p.type));
  if (!projectDir) warnings.push(...inventoryWarnings(osInfo, packages, opts.now ?? new Date()));
  for (const w of warnings) warn(w);
  const files = opts.listFiles ? [...mergeFiles(layers).values()].map((p) => p.value) : undefined;
  files?.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    image,
    layers,
    layerInfo,
    os: osInfo,
    packages,
    files,
    warnings,
    stats: { layers: layers.length, analyzed, cached, ms: Date.now() - t0 },
  };
}
