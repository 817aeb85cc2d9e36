// `docker save | gzip` archives: tar members must be read in place, so a compressed archive is
// decompressed once into drydock's temp dir (bounded like a layer) and removed when closed.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, UserError } from '../../errors.js';
import { debug } from '../../log.js';
import { BombGuard, decompressor } from '../decompress.js';
import { DEFAULT_DECOMPRESS_LIMITS } from '../limits.js';
import type { Compression } from '../sniff.js';

/** Decompresses `file` to a temp tar; returns its path and a cleanup function. */
export async function decompressArchive(
  file: string,
  kind: Compression,
): Promise<{ tar: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'drydock-archive-'));
  const tar = path.join(dir, 'archive.tar');
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const t = Date.now();
  let read = 0;
  const src = createReadStream(file, { highWaterMark: 256 * 1024 });
  src.on('data', (c) => {
    read += c.length;
  });
  try {
    await pipeline(
      src,
      decompressor(kind, `archive ${file}`) as NonNullable<ReturnType<typeof decompressor>>,
      new BombGuard(() => read, DEFAULT_DECOMPRESS_LIMITS, `archive ${file}`),
      createWriteStream(tar, { mode: 0o600 }),
    );
  } catch (e) {
    await cleanup();
    throw e instanceof UserError ? e : new UserError(`cannot decompress ${file}: ${describe(e)}`);
  }
  debug(`archive: ${kind}-compressed ${file} decompressed in ${Date.now() - t} ms`);
  return { tar, cleanup };
}
