// PE/COFF headers (Windows executables): the section table, with long names from the COFF string
// table. Layout facts from the PE format specification.

import type { ByteSource } from './byte-source.js';
import {
  type Executable,
  ExeFormatError,
  type ExeSection,
  type ExeSegment,
  Reader,
  readExact,
} from './exe-format.js';

const MAX_SECTIONS = 96; // the loader's own limit
const MAX_STRING_TABLE = 1024 * 1024;
const SCN_EXECUTE = 0x20000000;
const SCN_READ = 0x40000000;
const SCN_WRITE = 0x80000000;

export async function parsePe(src: ByteSource, head: Buffer): Promise<Executable> {
  const dos = new Reader(head, true, 'DOS header');
  const peOff = dos.u32(0x3c);
  const coff = new Reader(await readExact(src, peOff, 24, 'PE header'), true, 'PE header');
  if (coff.u32(0) !== 0x00004550) throw new ExeFormatError('no PE signature');
  const nsec = coff.u16(6);
  const symPtr = coff.u32(12);
  const nsyms = coff.u32(16);
  const optSize = coff.u16(20);
  if (nsec > MAX_SECTIONS) throw new ExeFormatError(`too many sections (${nsec})`);
  const opt = new Reader(
    await readExact(src, peOff + 24, optSize, 'PE optional header'),
    true,
    'PE optional header',
  );
  const magic = opt.u16(0);
  if (magic !== 0x10b && magic !== 0x20b)
    throw new ExeFormatError(`bad PE optional header magic 0x${magic.toString(16)}`);
  const is64 = magic === 0x20b;
  const imageBase = is64 ? opt.u64(24) : opt.u32(28);
  if (!Number.isSafeInteger(imageBase)) throw new ExeFormatError('bad PE image base');
  const table = new Reader(
    await readExact(src, peOff + 24 + optSize, nsec * 40, 'PE section table'),
    true,
    'PE section table',
  );
  // Names longer than 8 bytes are "/N": offset N into the string table after the COFF symbols.
  let strings: Reader | undefined;
  const stringsAt = symPtr + nsyms * 18;
  const sections: ExeSection[] = [];
  const segments: ExeSegment[] = [];
  for (let i = 0; i < nsec; i++) {
    const o = i * 40;
    let name = table.cstr(o, 8);
    if (name.startsWith('/') && symPtr !== 0) {
      const n = Number(name.slice(1));
      if (Number.isSafeInteger(n)) {
        if (!strings) {
          const len = new Reader(
            await readExact(src, stringsAt, 4, 'COFF string table'),
            true,
            'COFF string table',
          ).u32(0);
          if (len > MAX_STRING_TABLE) throw new ExeFormatError('COFF string table is too large');
          strings = new Reader(
            await readExact(src, stringsAt, len, 'COFF string table'),
            true,
            'COFF string table',
          );
        }
        name = strings.cstr(n, 256);
      }
    }
    const vsize = table.u32(o + 8);
    const vaddr = table.u32(o + 12);
    const rawSize = table.u32(o + 16);
    const rawPtr = table.u32(o + 20);
    const chars = table.u32(o + 36);
    // The file holds min(VirtualSize, SizeOfRawData) meaningful bytes (raw data is padded).
    const fileSize = rawPtr === 0 ? 0 : vsize === 0 ? rawSize : Math.min(vsize, rawSize);
    const addr = imageBase + vaddr;
    sections.push({ name, segment: '', addr, size: vsize, offset: rawPtr, fileSize, flags: chars });
    segments.push({
      name,
      addr,
      memSize: vsize,
      offset: rawPtr,
      fileSize,
      r: (chars & SCN_READ) !== 0,
      w: (chars & SCN_WRITE) !== 0,
      x: (chars & SCN_EXECUTE) !== 0,
    });
  }
  return { format: 'pe', littleEndian: true, ptrSize: is64 ? 8 : 4, sections, segments, source: src };
}
