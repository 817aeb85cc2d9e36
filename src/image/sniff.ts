// Compression by magic bytes (kept apart from the decompressors so that sniffing loads no zlib).

import { ImageError } from '../errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Identifies the compression of a blob from its first bytes. */
export function sniffCompression(head: Buffer, what: string): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.toString('latin1', 0, 6) === '\xfd7zXZ\0') {
    throw new ImageError(`${what} is xz-compressed, which container layers may not use`);
  }
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') {
    throw new ImageError(`${what} is bzip2-compressed, which container layers may not use`);
  }
  return 'none';
}
