// Walks a root filesystem directory as if it were one layer. Symlinks are never followed.

import { constants } from 'node:fs';
import { lstat, open, opendir } from 'node:fs/promises';
import path from 'node:path';
import type { AnalysisSession } from '../analyze/session.js';
import type { EntryType } from '../image/tar.js';

function typeOf(st: import('node:fs').Stats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'other';
}

const MAX_DEPTH = 256;

export async function walkRootfs(root: string, session: AnalysisSession): Promise<void> {
  const rootDev = (await lstat(root)).dev;
  const stack: { dir: string; rel: string; depth: number }[] = [{ dir: root, rel: '', depth: 0 }];
  const buf = Buffer.alloc(256 * 1024);
  while (stack.length > 0) {
    const { dir, rel, depth } = stack.pop() as { dir: string; rel: string; depth: number };
    let handle: import('node:fs').Dir;
    try {
      handle = await opendir(dir);
    } catch (e) {
      session.warn(`cannot read directory ${rel || '/'}: ${(e as Error).message}`);
      continue;
    }
    const names: string[] = [];
    for await (const d of handle) names.push(d.name);
    names.sort();
    for (const name of names) {
      const abs = path.join(dir, name);
      const relPath = rel ? `${rel}/${name}` : name;
      let st: import('node:fs').Stats;
      try {
        st = await lstat(abs);
      } catch {
        continue;
      }
      const type = typeOf(st);
      let linkname = '';
      if (type === 'symlink') {
        const { readlink } = await import('node:fs/promises');
        linkname = await readlink(abs).catch(() => '');
      }
      const sink = session.entry({
        name: relPath,
        type,
        size: type === 'file' ? st.size : 0,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        mtime: Math.floor(st.mtimeMs / 1000),
        linkname,
        offset: 0,
      });
      if (sink && type === 'file') {
        // O_NOFOLLOW: the file may have been swapped for a symlink since lstat.
        const fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
          () => undefined,
        );
        let pos = 0;
        if (fh) {
          try {
            for (;;) {
              const want = Math.min(buf.length, st.size - pos);
              if (want <= 0) break;
              const { bytesRead } = await fh.read(buf, 0, want, pos);
              if (bytesRead === 0) break;
              sink.write(buf.subarray(0, bytesRead), pos);
              pos += bytesRead;
            }
          } finally {
            await fh.close();
          }
        } else session.warn(`cannot read ${relPath}`);
        sink.end();
        await session.drain();
      } else if (sink) sink.end();
      if (type === 'dir' && depth < MAX_DEPTH && st.dev === rootDev)
        stack.push({ dir: abs, rel: relPath, depth: depth + 1 });
    }
  }
  await session.drain();
}
