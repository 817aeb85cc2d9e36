// Bounds on what an image may make drydock do (kept apart so the CLI can read them cheaply).

export interface DecompressLimits {
  /** Largest uncompressed layer accepted, in bytes. */
  maxBytes: number;
  /** Largest uncompressed/compressed ratio, checked once `ratioAfter` bytes came out. */
  maxRatio: number;
  ratioAfter: number;
}

export const DEFAULT_DECOMPRESS_LIMITS: DecompressLimits = {
  maxBytes: 64 * 1024 ** 3,
  maxRatio: 250,
  ratioAfter: 64 * 1024 ** 2,
};
