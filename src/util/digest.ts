// Content digests ("sha256:<hex>"): parsing, hashing, and streams that verify as they pass.

import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ImageError } from '../errors.js';

const ALGORITHMS: Record<string, { node: string; hexLength: number }> = {
  sha256: { node: 'sha256', hexLength: 64 },
  sha512: { node: 'sha512', hexLength: 128 },
};

export interface ParsedDigest {
  algorithm: string;
  hex: string;
}

/** Parses and validates a digest; throws an ImageError naming `what` when it is malformed. */
export function parseDigest(digest: string, what = 'digest'): ParsedDigest {
  const i = typeof digest === 'string' ? digest.indexOf(':') : -1;
  if (i <= 0) throw new ImageError(`invalid ${what} "${String(digest).slice(0, 100)}"`);
  const algorithm = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  const alg = ALGORITHMS[algorithm];
  if (!alg) throw new ImageError(`unsupported digest algorithm "${algorithm}" in ${what}`);
  if (hex.length !== alg.hexLength || !/^[0-9a-f]+$/.test(hex)) {
    throw new ImageError(`invalid ${what} "${digest.slice(0, 140)}"`);
  }
  return { algorithm, hex };
}

export function isDigest(s: string): boolean {
  try {
    parseDigest(s);
    return true;
  } catch {
    return false;
  }
}

export function newHash(algorithm: string): Hash {
  const alg = ALGORITHMS[algorithm];
  if (!alg) throw new ImageError(`unsupported digest algorithm "${algorithm}"`);
  return createHash(alg.node);
}

export function digestOf(data: Buffer | string, algorithm = 'sha256'): string {
  return `${algorithm}:${newHash(algorithm).update(data).digest('hex')}`;
}

/** Checks bytes already in memory (manifests, configs) against their digest. */
export function verifyBuffer(data: Buffer, expected: string, what: string): void {
  const { algorithm } = parseDigest(expected, `digest of ${what}`);
  const actual = digestOf(data, algorithm);
  if (actual !== expected)
    throw new ImageError(`digest mismatch for ${what}: expected ${expected}, got ${actual}`);
}

/**
 * A pass-through stream that hashes what flows through it and fails at the end if the digest
 * (or the size, when known) differs. Too many bytes fail early, so a lying server cannot make
 * us read forever.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private readonly algorithm: string;
  bytes = 0;
  digest: string | undefined;

  constructor(
    private readonly expected: string | undefined,
    private readonly what: string,
    private readonly expectedSize?: number,
    algorithm?: string,
  ) {
    super();
    this.algorithm = expected
      ? parseDigest(expected, `digest of ${what}`).algorithm
      : (algorithm ?? 'sha256');
    this.hash = newHash(this.algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expectedSize !== undefined && this.bytes > this.expectedSize) {
      cb(new ImageError(`${this.what} is larger than its declared size ${this.expectedSize}`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.digest = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (this.expectedSize !== undefined && this.bytes !== this.expectedSize) {
      cb(new ImageError(`${this.what} is ${this.bytes} bytes, expected ${this.expectedSize} (truncated?)`));
      return;
    }
    if (this.expected !== undefined && this.digest !== this.expected) {
      cb(new ImageError(`digest mismatch for ${this.what}: expected ${this.expected}, got ${this.digest}`));
      return;
    }
    cb();
  }
}
