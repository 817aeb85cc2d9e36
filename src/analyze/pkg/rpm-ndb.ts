// rpm's NDB database (Packages.db, SUSE): a slot table pointing at blobs, each an rpm header.

export class NdbError extends Error {}

const PAGE = 4096;
const BLOCK = 16;
const MAGIC_HEADER = 0x506d7052; // "RpmP"
const MAGIC_SLOT = 0x746f6c53; // "Slot"
const MAGIC_BLOB = 0x53626c42; // "BlbS"
const MAX_BLOB = 256 * 1024 * 1024;

/** Yields the header blob of every package in an NDB Packages.db. */
export function* ndbBlobs(buf: Buffer): Generator<Buffer> {
  if (buf.length < 32 || buf.readUInt32LE(0) !== MAGIC_HEADER)
    throw new NdbError('not an rpm NDB database (bad magic)');
  if (buf.readUInt32LE(4) !== 0) throw new NdbError(`unsupported NDB version ${buf.readUInt32LE(4)}`);
  const slotPages = buf.readUInt32LE(12);
  if (slotPages === 0 || slotPages * PAGE > buf.length)
    throw new NdbError(`bad slot page count ${slotPages}`);
  const seen = new Set<number>();
  // The header takes the first two 16-byte slots of page 0.
  for (let off = 32; off + 16 <= slotPages * PAGE; off += 16) {
    if (buf.readUInt32LE(off) !== MAGIC_SLOT) throw new NdbError(`bad slot at offset ${off}`);
    const pkgIndex = buf.readUInt32LE(off + 4);
    const blkoff = buf.readUInt32LE(off + 8);
    const blkcnt = buf.readUInt32LE(off + 12);
    if (pkgIndex === 0) continue; // free slot
    if (seen.has(pkgIndex)) throw new NdbError(`package index ${pkgIndex} appears twice`);
    seen.add(pkgIndex);
    const start = blkoff * BLOCK;
    const end = start + blkcnt * BLOCK;
    if (start < slotPages * PAGE || end > buf.length || blkcnt < 2)
      throw new NdbError(`slot ${pkgIndex} points outside the file`);
    if (buf.readUInt32LE(start) !== MAGIC_BLOB || buf.readUInt32LE(start + 4) !== pkgIndex) {
      throw new NdbError(`blob of package ${pkgIndex} has a bad header`);
    }
    const len = buf.readUInt32LE(start + 12);
    if (len > MAX_BLOB || start + 16 + len > end)
      throw new NdbError(`blob of package ${pkgIndex} is larger than its blocks`);
    yield buf.subarray(start + 16, start + 16 + len);
  }
}
