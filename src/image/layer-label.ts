// How messages name a layer.

import type { Layer } from './types.js';

export function layerLabel(layer: Layer): string {
  return `layer ${layer.index + 1} (${layer.digest ?? layer.diffID})`;
}
