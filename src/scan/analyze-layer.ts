// The work of a cache miss: read one layer (or walk a rootfs) through the analyzers.
// Loaded on demand, so a fully cached scan does not pay for the streaming machinery.

import { AnalysisSession, type SessionOptions } from '../analyze/session.js';
import type { Analyzer, LayerAnalysis } from '../analyze/types.js';
import { type LayerReadOptions, readLayer } from '../image/layer.js';
import { layerLabel } from '../image/layer-label.js';
import type { Layer } from '../image/types.js';
import { debug } from '../log.js';
import { walkRootfs } from './rootfs.js';

export async function analyzeLayer(
  layer: Layer,
  analyzers: readonly Analyzer[],
  sessionOpts: SessionOptions,
  readOpts: LayerReadOptions,
): Promise<LayerAnalysis> {
  const label = layerLabel(layer);
  const t = Date.now();
  const session = new AnalysisSession(layer.diffID, [...analyzers], sessionOpts, label);
  try {
    const r = await readLayer(layer, session, readOpts);
    debug(
      `scan: ${label} analyzed in ${Date.now() - t} ms (${r.compression}, ${r.compressedBytes} -> ${r.uncompressedBytes} bytes, ${session.result.stats.entries} entries, ${session.result.stats.analyzed} files analyzed)`,
    );
  } finally {
    session.dispose();
  }
  return session.result;
}

export async function analyzeRootfs(
  dir: string,
  analyzers: readonly Analyzer[],
  sessionOpts: SessionOptions,
): Promise<LayerAnalysis> {
  const session = new AnalysisSession('', [...analyzers], sessionOpts, dir);
  try {
    await walkRootfs(dir, session);
  } finally {
    session.dispose();
  }
  return session.result;
}
