// Replays layers in order, applying whiteouts and opaque directories, to get the merged view.

import type { LayerAnalysis } from '../analyze/types.js';

export interface Placed<T> {
  /** Index of the layer that last wrote this path. */
  layer: number;
  value: T;
}

/** True if `path` (or one of its parent directories) is hidden by this layer's deletions. */
function hiddenBy(path: string, whiteouts: Set<string>, opaque: Set<string>): boolean {
  if (opaque.has('') || whiteouts.has(path)) return true;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const dir = path.slice(0, i);
    if (whiteouts.has(dir) || opaque.has(dir)) return true;
  }
  return false;
}

/** Removes from `view` every entry of lower layers that this layer deletes. */
export function applyDeletions<T>(view: Map<string, Placed<T>>, layer: LayerAnalysis): void {
  if (layer.whiteouts.length === 0 && layer.opaqueDirs.length === 0) return;
  const wh = new Set(layer.whiteouts);
  const op = new Set(layer.opaqueDirs);
  for (const key of view.keys()) if (hiddenBy(key, wh, op)) view.delete(key);
}

/**
 * The merged results of one analyzer: path -> the result from the layer that last wrote the
 * path, with deleted paths gone. `null` results (a non-file or unparsable entry) hide lower
 * results and are then dropped.
 */
export function mergeAnalyzer<T>(layers: LayerAnalysis[], analyzer: string): Map<string, Placed<T>> {
  const view = new Map<string, Placed<T>>();
  layers.forEach((layer, i) => {
    applyDeletions(view, layer);
    const results = layer.results[analyzer];
    if (!results) return;
    for (const [p, v] of Object.entries(results)) {
      if (v === null) view.delete(p);
      else view.set(p, { layer: i, value: v as T });
    }
  });
  return view;
}

export interface MergedFile {
  path: string;
  type: string;
  size: number;
  mode: number;
  linkname: string;
  layer: number;
}

/** The merged file tree (needs layers analysed with listFiles). */
export function mergeFiles(layers: LayerAnalysis[]): Map<string, Placed<MergedFile>> {
  const view = new Map<string, Placed<MergedFile>>();
  layers.forEach((layer, i) => {
    applyDeletions(view, layer);
    for (const [p, type, size, mode, linkname] of layer.files ?? []) {
      view.set(p, { layer: i, value: { path: p, type, size, mode, linkname, layer: i } });
    }
  });
  return view;
}

/**
 * The history of one path across layers: each layer that wrote it, in order, restarting after
 * a deletion. Package databases use it to find the layer that introduced each package.
 */
export function pathHistory<T>(layers: LayerAnalysis[], analyzer: string, path: string): Placed<T>[] {
  let chain: Placed<T>[] = [];
  layers.forEach((layer, i) => {
    if (chain.length > 0) {
      const probe = new Map<string, Placed<T>>([[path, chain[chain.length - 1] as Placed<T>]]);
      applyDeletions(probe, layer);
      if (probe.size === 0) chain = [];
    }
    const v = layer.results[analyzer]?.[path];
    if (v === undefined) return;
    if (v === null) chain = [];
    else chain.push({ layer: i, value: v as T });
  });
  return chain;
}
