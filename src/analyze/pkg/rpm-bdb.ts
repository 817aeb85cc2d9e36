// Berkeley DB hash files (rpm's "Packages" on RHEL/CentOS 7-8, Amazon Linux 2...), read-only:
// every data item of the hash pages, following overflow chains, with loops and sizes bounded.

export class BdbError extends Error {}

const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const PAGE_HEADER = 26;
const MAX_VALUE = 256 * 1024 * 1024;

/** Yields the value of every key/value pair stored in a BDB hash database. */
export function* bdbHashValues(buf: Buffer): Generator<Buffer> {
  if (buf.length < 512) throw new BdbError('file too small for a Berkeley DB');
  let le = true;
  if (buf.readUInt32LE(12) !== HASH_MAGIC) {
    if (buf.readUInt32BE(12) !== HASH_MAGIC) throw new BdbError('not a Berkeley DB hash file (bad magic)');
    le = false;
  }
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    throw new BdbError(`bad page size ${pageSize}`);
  if (buf[25] !== P_HASHMETA) throw new BdbError('first page is not a hash meta page');
  const pages = Math.floor(buf.length / pageSize);
  const lastPgno = Math.min(u32(32), pages - 1);

  const overflow = (start: number, total: number): Buffer => {
    if (total > MAX_VALUE) throw new BdbError(`overflow item of ${total} bytes`);
    const out = Buffer.alloc(total);
    let got = 0;
    let pg = start;
    const seen = new Set<number>();
    while (pg !== 0 && got < total) {
      if (pg > lastPgno || seen.has(pg))
        throw new BdbError(
          pg > lastPgno ? `overflow page ${pg} out of range` : `loop in overflow chain at page ${pg}`,
        );
      seen.add(pg);
      const base = pg * pageSize;
      if (buf[base + 25] !== P_OVERFLOW) throw new BdbError(`page ${pg} is not an overflow page`);
      const used = u16(base + 22);
      if (used > pageSize - PAGE_HEADER) throw new BdbError(`overflow page ${pg} claims ${used} bytes`);
      const n = Math.min(used, total - got);
      buf.copy(out, got, base + PAGE_HEADER, base + PAGE_HEADER + n);
      got += n;
      pg = u32(base + 16);
    }
    if (got < total)
      throw new BdbError(`overflow chain from page ${start} ends after ${got} of ${total} bytes`);
    return out;
  };

  for (let pg = 1; pg <= lastPgno; pg++) {
    const base = pg * pageSize;
    const type = buf[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(base + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) throw new BdbError(`hash page ${pg} claims ${entries} entries`);
    const offsets: number[] = [];
    for (let i = 0; i < entries; i++) offsets.push(u16(base + PAGE_HEADER + i * 2));
    // Items alternate key, value; values are the odd ones.
    for (let i = 1; i < entries; i += 2) {
      const off = offsets[i] as number;
      if (off < PAGE_HEADER || off >= pageSize)
        throw new BdbError(`hash page ${pg}: item offset ${off} out of the page`);
      const itemType = buf[base + off];
      if (itemType === H_OFFPAGE) {
        if (off + 12 > pageSize) throw new BdbError(`hash page ${pg}: truncated overflow reference`);
        yield overflow(u32(base + off + 4), u32(base + off + 8));
      } else if (itemType === H_KEYDATA) {
        const end = i === 0 ? pageSize : (offsets[i - 1] as number);
        if (end <= off || end > pageSize) throw new BdbError(`hash page ${pg}: bad item bounds`);
        yield buf.subarray(base + off + 1, base + end);
      }
    }
  }
}
