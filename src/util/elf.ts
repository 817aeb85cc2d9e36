// ELF headers: program headers (the loaded segments) and section headers with their names.
// Layout facts from the System V gABI; every count and offset is checked before it is used.

import type { ByteSource } from './byte-source.js';
import {
  type Executable,
  ExeFormatError,
  type ExeSection,
  type ExeSegment,
  Reader,
  readExact,
} from './exe-format.js';

const PT_LOAD = 1;
const PF_X = 1;
const PF_W = 2;
const PF_R = 4;
const SHT_NOBITS = 8;
const SHN_XINDEX = 0xffff;

/** Far more than any linker writes; bounds the tables a hostile header can make us read. */
const MAX_PROGRAM_HEADERS = 4096;
const MAX_SECTIONS = 65536;
const MAX_SHSTRTAB = 4 * 1024 * 1024;
/** Bytes of one header table (65536 sections of 64 bytes). */
const MAX_TABLE = 4 * 1024 * 1024;
/** Section names are short; a longer run without NUL is cut. */
const MAX_NAME = 256;

export async function parseElf(src: ByteSource, head: Buffer): Promise<Executable> {
  if (head.length < 16) throw new ExeFormatError('truncated ELF header');
  const cls = head[4];
  const data = head[5];
  if (cls !== 1 && cls !== 2) throw new ExeFormatError(`bad ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new ExeFormatError(`bad ELF byte order ${data}`);
  const is64 = cls === 2;
  const le = data === 1;
  const ehsize = is64 ? 64 : 52;
  if (src.size < ehsize) throw new ExeFormatError('truncated ELF header');
  const h = new Reader(
    head.length >= ehsize ? head : await readExact(src, 0, ehsize, 'ELF header'),
    le,
    'ELF header',
  );
  const phoff = h.word(is64 ? 32 : 28, is64);
  const shoff = h.word(is64 ? 40 : 32, is64);
  const phentsize = h.u16(is64 ? 54 : 42);
  let phnum = h.u16(is64 ? 56 : 44);
  const shentsize = h.u16(is64 ? 58 : 46);
  let shnum = h.u16(is64 ? 60 : 48);
  let shstrndx = h.u16(is64 ? 62 : 50);
  const minSh = is64 ? 64 : 40;
  const minPh = is64 ? 56 : 32;

  // Program headers: the loaded segments map virtual addresses to file offsets.
  const segments: ExeSegment[] = [];
  if (phoff !== 0 && phnum !== 0) {
    if (!Number.isSafeInteger(phoff)) throw new ExeFormatError('bad program header offset');
    if (phentsize < minPh || phentsize > 256)
      throw new ExeFormatError(`bad program header size ${phentsize}`);
    if (phnum === 0xffff) {
      // PN_XNUM: the count is in section 0's sh_info; not worth honouring, no executable needs it
      phnum = 0;
    }
    if (phnum > MAX_PROGRAM_HEADERS || phnum * phentsize > MAX_TABLE)
      throw new ExeFormatError(`too many program headers (${phnum})`);
    const p = new Reader(
      await readExact(src, phoff, phnum * phentsize, 'program header table'),
      le,
      'program header',
    );
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      if (p.u32(o) !== PT_LOAD) continue;
      const flags = p.u32(o + (is64 ? 4 : 24));
      const offset = p.word(o + (is64 ? 8 : 4), is64);
      const vaddr = p.word(o + (is64 ? 16 : 8), is64);
      const filesz = p.word(o + (is64 ? 32 : 16), is64);
      const memsz = p.word(o + (is64 ? 40 : 20), is64);
      if (![offset, vaddr, filesz, memsz].every(Number.isSafeInteger)) continue;
      segments.push({
        name: '',
        addr: vaddr,
        memSize: memsz,
        offset,
        fileSize: filesz,
        r: (flags & PF_R) !== 0,
        w: (flags & PF_W) !== 0,
        x: (flags & PF_X) !== 0,
      });
    }
  }
  // Section headers. With 0xff00 or more sections, the real count and name-table index live in
  // section 0 (sh_size, sh_link).
  let sections: ExeSection[] = [];
  if (shoff !== 0) {
    if (!Number.isSafeInteger(shoff)) throw new ExeFormatError('bad section header offset');
    if (shentsize < minSh || shentsize > 256)
      throw new ExeFormatError(`bad section header size ${shentsize}`);
    const first = new Reader(
      await readExact(src, shoff, shentsize, 'section header table'),
      le,
      'section header',
    );
    if (shnum === 0) shnum = first.word(is64 ? 32 : 20, is64);
    if (shstrndx === SHN_XINDEX) shstrndx = first.u32(is64 ? 40 : 24);
    if (!Number.isSafeInteger(shnum) || shnum > MAX_SECTIONS)
      throw new ExeFormatError(`too many sections (${shnum})`);
    if (shnum === 0) shnum = 1;
    if (shnum * shentsize > MAX_TABLE)
      throw new ExeFormatError(`section header table too large (${shnum} entries)`);
    if (shoff + shnum * shentsize > src.size)
      throw new ExeFormatError('section header table extends past the end of the file');
    const rest = await readExact(src, shoff + shentsize, (shnum - 1) * shentsize, 'section header table');
    const t = new Reader(Buffer.concat([first.buf, rest]), le, 'section header table');
    const raw: { nameOff: number; s: ExeSection }[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = i * shentsize;
      const type = t.u32(o + 4);
      const flags = is64 ? t.u64(o + 8) : t.u32(o + 8);
      const addr = t.word(o + (is64 ? 16 : 12), is64);
      const offset = t.word(o + (is64 ? 24 : 16), is64);
      const size = t.word(o + (is64 ? 32 : 20), is64);
      const present = type !== SHT_NOBITS && i !== 0;
      raw.push({
        nameOff: t.u32(o),
        s: {
          name: '',
          segment: '',
          addr: addr || 0,
          size: size || 0,
          offset: present ? offset : 0,
          fileSize: present ? size : 0,
          flags: flags || 0,
        },
      });
    }
    const strSec = shstrndx > 0 && shstrndx < raw.length ? raw[shstrndx]?.s : undefined;
    if (strSec && strSec.fileSize > 0) {
      if (strSec.fileSize > MAX_SHSTRTAB) throw new ExeFormatError('section name table is too large');
      const names = new Reader(
        await readExact(src, strSec.offset, strSec.fileSize, 'section name table'),
        le,
        'section name table',
      );
      for (const r of raw) r.s.name = names.cstr(r.nameOff, MAX_NAME);
    }
    sections = raw.map((r) => r.s);
  }

  return { format: 'elf', littleEndian: le, ptrSize: is64 ? 8 : 4, sections, segments, source: src };
}
