// Layer decompression chosen by magic bytes (gzip, zstd, none), with decompression-bomb bounds.

import { createRequire } from 'node:module';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImageError } from '../errors.js';
import type { DecompressLimits } from './limits.js';
import type { Compression } from './sniff.js';

export { DEFAULT_DECOMPRESS_LIMITS, type DecompressLimits } from './limits.js';

export { type Compression, sniffCompression } from './sniff.js';

/**
 * Waits for the first bytes of a stream without losing them: resolves with the head and a
 * stream that still yields everything (the original with the head put back, or, when the
 * source already ended, a new stream of what it had).
 */
export function peek(stream: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onReadable = () => {
      while (have < n) {
        const c = stream.read() as Buffer | null;
        if (c === null) break;
        chunks.push(c);
        have += c.length;
      }
      if (have >= n) {
        cleanup();
        const head = Buffer.concat(chunks, have);
        stream.unshift(head);
        resolve({ head: head.subarray(0, n), stream });
      }
    };
    const onEnd = () => {
      cleanup();
      const head = Buffer.concat(chunks, have);
      resolve({ head, stream: Readable.from(have > 0 ? [head] : []) });
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

// Loaded on first use: most layers are gzip, and start-up time matters for cached scans.
type Fzstd = typeof import('fzstd');
let fzstd: Fzstd | undefined;
function loadFzstd(): Fzstd {
  fzstd ??= createRequire(import.meta.url)('fzstd') as Fzstd;
  return fzstd;
}

class ZstdDecompress extends Transform {
  private readonly d: InstanceType<Fzstd['Decompress']>;
  constructor(private readonly what: string) {
    super();
    this.d = new (loadFzstd().Decompress)((chunk) => {
      // fzstd may reuse its window buffer, so copy what we hand on.
      this.push(Buffer.from(chunk));
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.d.push(chunk);
      cb();
    } catch (e) {
      cb(new ImageError(`corrupt zstd data in ${this.what}: ${(e as Error).message}`));
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.d.push(new Uint8Array(0), true);
      cb();
    } catch (e) {
      cb(new ImageError(`corrupt zstd data in ${this.what}: ${(e as Error).message}`));
    }
  }
}

/** Turns zlib's errors into a one-line ImageError. */
function gunzip(what: string): Transform {
  const z = createGunzip({ chunkSize: 128 * 1024 });
  const origDestroy = z.destroy.bind(z);
  z.destroy = (err?: Error) => {
    if (err && !(err instanceof ImageError)) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const msg = code === 'Z_BUF_ERROR' ? 'unexpected end of data' : err.message;
      return origDestroy(new ImageError(`corrupt gzip data in ${what}: ${msg}`));
    }
    return origDestroy(err);
  };
  return z;
}

export function decompressor(kind: Compression, what: string): Transform | null {
  if (kind === 'gzip') return gunzip(what);
  if (kind === 'zstd') return new ZstdDecompress(what);
  return null;
}

/**
 * Counts uncompressed bytes and stops a decompression bomb: too many bytes in all, or too
 * high a ratio to the compressed bytes read so far (`compressedBytes` is read live).
 */
export class BombGuard extends Transform {
  bytes = 0;
  constructor(
    private readonly compressedBytes: () => number,
    private readonly limits: DecompressLimits,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxBytes) {
      cb(
        new ImageError(
          `${this.what} decompresses to more than ${this.limits.maxBytes} bytes (limit; see --max-layer-size)`,
        ),
      );
      return;
    }
    if (this.bytes > this.limits.ratioAfter) {
      const ratio = this.bytes / Math.max(1, this.compressedBytes());
      if (ratio > this.limits.maxRatio) {
        cb(
          new ImageError(
            `${this.what} looks like a decompression bomb: ratio ${Math.round(ratio)}:1 exceeds ${this.limits.maxRatio}:1`,
          ),
        );
        return;
      }
    }
    cb(null, chunk);
  }
}
