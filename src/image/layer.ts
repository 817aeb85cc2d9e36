// Reads one layer in a single streaming pass: verify blob digest -> decompress -> verify diffID -> tar.

import { pipeline, type Readable, type Transform } from 'node:stream';
import { ImageError } from '../errors.js';
import { VerifyingStream } from '../util/digest.js';
import {
  BombGuard,
  type Compression,
  DEFAULT_DECOMPRESS_LIMITS,
  type DecompressLimits,
  decompressor,
  peek,
  sniffCompression,
} from './decompress.js';
import { layerLabel } from './layer-label.js';
import { DEFAULT_TAR_LIMITS, type TarHandler, type TarLimits, TarParser } from './tar.js';
import type { Layer } from './types.js';

export interface LayerReadOptions {
  decompress?: DecompressLimits;
  tar?: TarLimits;
  /** Called once the stream is open, with a function that reports compressed bytes read so far. */
  onOpen?: (bytesRead: () => number) => void;
}

export interface LayerReadResult {
  compression: Compression;
  /** Digest of the blob as read (the compressed digest). */
  blobDigest: string;
  compressedBytes: number;
  uncompressedBytes: number;
}

/** Receives a layer's entries; drain() runs between chunks (backpressure for analyzers). */
export interface LayerSink extends TarHandler {
  drain(): Promise<void>;
  warn(msg: string): void;
}

export async function readLayer(
  layer: Layer,
  session: LayerSink,
  opts: LayerReadOptions = {},
): Promise<LayerReadResult> {
  const what = layerLabel(layer);
  const opened: Readable = await layer.open();
  let head: Buffer;
  let raw: Readable;
  try {
    ({ head, stream: raw } = await peek(opened, 6));
  } catch (e) {
    opened.destroy();
    throw e instanceof ImageError ? e : new ImageError(`${what}: ${(e as Error).message}`);
  }
  let compression: Compression;
  try {
    compression = sniffCompression(head, what);
  } catch (e) {
    raw.destroy();
    throw e;
  }
  if (compression === 'none' && layer.digest && layer.digest !== layer.diffID) {
    raw.destroy();
    throw new ImageError(
      `${what} is uncompressed but its digest ${layer.digest} differs from its diffID ${layer.diffID}`,
    );
  }
  // An uncompressed blob's digest is its diffID: one hash checks both.
  const blobCheck = new VerifyingStream(
    layer.digest ?? (compression === 'none' ? layer.diffID : undefined),
    what,
    layer.size,
  );
  opts.onOpen?.(() => blobCheck.bytes);
  const stages: (Readable | Transform)[] = [raw, blobCheck];
  const d = decompressor(compression, what);
  let diffCheck: VerifyingStream | undefined;
  let guard: BombGuard | undefined;
  if (d) {
    diffCheck = new VerifyingStream(layer.diffID, `uncompressed ${what} (diffID)`);
    guard = new BombGuard(() => blobCheck.bytes, opts.decompress ?? DEFAULT_DECOMPRESS_LIMITS, what);
    stages.push(d, guard, diffCheck);
  }
  const parser = new TarParser(session, opts.tar ?? DEFAULT_TAR_LIMITS);
  // pipeline() destroys every stage on the first error; iterating the tail rethrows it.
  const tail = pipeline(stages as [Readable, ...Transform[]], () => {}) as unknown as Readable;
  try {
    for await (const chunk of tail as AsyncIterable<Buffer>) {
      try {
        parser.push(chunk);
      } catch (e) {
        throw e instanceof ImageError ? new ImageError(`${what}: ${e.message}`) : e;
      }
      await session.drain();
    }
    try {
      parser.end();
    } catch (e) {
      throw e instanceof ImageError ? new ImageError(`${what}: ${e.message}`) : e;
    }
    await session.drain();
  } finally {
    tail.destroy();
    raw.destroy();
  }
  if (parser.missingEndMarker) session.warn('tar ends without an end-of-archive marker');
  return {
    compression,
    blobDigest: blobCheck.digest as string,
    compressedBytes: blobCheck.bytes,
    uncompressedBytes: guard?.bytes ?? blobCheck.bytes,
  };
}
