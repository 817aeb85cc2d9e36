// On-disk cache of per-layer analysis results, keyed by diffID + analyzer versions + options.
// Writes are atomic (temp file + rename), so several drydock processes can share one cache.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Analyzer, LayerAnalysis } from '../analyze/types.js';
import { debug } from '../log.js';

/** Bump when the engine changes what it records for a layer. */
export const ENGINE_VERSION = 1;

export function defaultCacheDir(): string {
  if (process.env.DRYDOCK_CACHE_DIR) return process.env.DRYDOCK_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'drydock');
}

export function layerCacheKey(
  diffID: string,
  analyzers: readonly Analyzer[],
  options: Record<string, unknown>,
): string {
  const h = createHash('sha256');
  h.update(`drydock-layer/${ENGINE_VERSION}\n${diffID}\n`);
  // Plain code-unit order: localeCompare would load ICU's collator (~8 ms) on a cached scan.
  for (const a of [...analyzers].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)))
    h.update(`${a.name}@${a.version}\n`);
  h.update(JSON.stringify(options, Object.keys(options).sort()));
  return h.digest('hex');
}

export class LayerCache {
  private readonly dir: string;
  constructor(root: string) {
    this.dir = path.join(root, 'layers');
  }

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string, diffID: string): Promise<LayerAnalysis | undefined> {
    let text: string;
    try {
      // Synchronous on purpose: entries are small, and a thread-pool round trip per layer
      // costs more than the read on a fully cached scan.
      text = readFileSync(this.file(key), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const v = JSON.parse(text) as { key?: string; analysis?: LayerAnalysis };
      if (v.key !== key || v.analysis?.diffID !== diffID) return undefined;
      return v.analysis;
    } catch {
      debug(`cache: ignoring unreadable entry ${key}`);
      return undefined;
    }
  }

  async put(key: string, analysis: LayerAnalysis): Promise<void> {
    const file = this.file(key);
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ key, createdAt: new Date().toISOString(), analysis }));
      renameSync(tmp, file);
    } catch (e) {
      // A cache that cannot be written only costs time.
      debug(`cache: cannot store ${key}: ${(e as Error).message}`);
      try {
        rmSync(tmp, { force: true });
      } catch {
        // nothing more to do
      }
    }
  }
}
