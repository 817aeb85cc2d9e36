// Mach-O headers (macOS executables): segments and their sections from the load commands.
// Layout facts from <mach-o/loader.h>. Fat (universal) files are not read.

import type { ByteSource } from './byte-source.js';
import {
  type Executable,
  ExeFormatError,
  type ExeSection,
  type ExeSegment,
  Reader,
  readExact,
} from './exe-format.js';

const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const MAX_COMMANDS = 4096;
const MAX_COMMANDS_SIZE = 4 * 1024 * 1024;
const MAX_SECTIONS = 65536;
const VM_PROT_READ = 1;
const VM_PROT_WRITE = 2;
const VM_PROT_EXECUTE = 4;

export async function parseMachO(src: ByteSource, head: Buffer): Promise<Executable> {
  const m = head.readUInt32BE(0);
  const is64 = m === 0xfeedfacf || m === 0xcffaedfe;
  const le = m === 0xcefaedfe || m === 0xcffaedfe;
  const hsize = is64 ? 32 : 28;
  const h = new Reader(await readExact(src, 0, hsize, 'Mach-O header'), le, 'Mach-O header');
  const ncmds = h.u32(16);
  const sizeofcmds = h.u32(20);
  if (ncmds > MAX_COMMANDS || sizeofcmds > MAX_COMMANDS_SIZE)
    throw new ExeFormatError(`too many load commands (${ncmds}, ${sizeofcmds} bytes)`);
  const c = new Reader(
    await readExact(src, hsize, sizeofcmds, 'Mach-O load commands'),
    le,
    'Mach-O load command',
  );
  const sections: ExeSection[] = [];
  const segments: ExeSegment[] = [];
  let off = 0;
  for (let i = 0; i < ncmds; i++) {
    const cmd = c.u32(off);
    const size = c.u32(off + 4);
    if (size < 8 || off + size > sizeofcmds) throw new ExeFormatError('bad Mach-O load command size');
    if (cmd === LC_SEGMENT || cmd === LC_SEGMENT_64) {
      const w64 = cmd === LC_SEGMENT_64;
      const segname = c.cstr(off + 8, 16);
      const vmaddr = c.word(off + 24, w64);
      const vmsize = c.word(off + (w64 ? 32 : 28), w64);
      const fileoff = c.word(off + (w64 ? 40 : 32), w64);
      const filesize = c.word(off + (w64 ? 48 : 36), w64);
      const maxprot = c.u32(off + (w64 ? 56 : 40));
      const initprot = c.u32(off + (w64 ? 60 : 44));
      const nsects = c.u32(off + (w64 ? 64 : 48));
      const hdr = w64 ? 72 : 56;
      const ssize = w64 ? 80 : 68;
      if (hdr + nsects * ssize > size) throw new ExeFormatError('bad Mach-O segment command');
      if (sections.length + nsects > MAX_SECTIONS) throw new ExeFormatError('too many Mach-O sections');
      if ([vmaddr, vmsize, fileoff, filesize].every(Number.isSafeInteger))
        segments.push({
          name: segname,
          addr: vmaddr,
          memSize: vmsize,
          offset: fileoff,
          // __PAGEZERO maps address 0 to nothing
          fileSize: segname === '__PAGEZERO' ? 0 : filesize,
          r: (initprot & VM_PROT_READ) !== 0,
          w: (initprot & VM_PROT_WRITE) !== 0,
          x: (initprot & VM_PROT_EXECUTE) !== 0,
          maxRW: maxprot === (VM_PROT_READ | VM_PROT_WRITE) && initprot === (VM_PROT_READ | VM_PROT_WRITE),
        });
      for (let s = 0; s < nsects; s++) {
        const so = off + hdr + s * ssize;
        const addr = c.word(so + 32, w64);
        const ssz = c.word(so + (w64 ? 40 : 36), w64);
        const offset = c.u32(so + (w64 ? 48 : 40));
        const flags = c.u32(so + (w64 ? 64 : 56));
        // S_ZEROFILL and friends (types 1, 0x0c, 0x12) have no file bytes
        const type = flags & 0xff;
        const zerofill = type === 0x01 || type === 0x0c || type === 0x12;
        sections.push({
          name: c.cstr(so, 16),
          segment: c.cstr(so + 16, 16),
          addr: addr || 0,
          size: ssz || 0,
          offset: zerofill ? 0 : offset,
          fileSize: zerofill || offset === 0 ? 0 : ssz,
          flags,
        });
      }
    }
    off += size;
  }
  return { format: 'macho', littleEndian: le, ptrSize: is64 ? 8 : 4, sections, segments, source: src };
}
