// Builds small ELF files for tests (including broken ones), and "skeletons" of real binaries: the
// same bytes with everything a reader does not look at zeroed, so they compress to a few KiB.

import { type ByteSource, bufferSource } from '../../src/util/byte-source.js';

export interface ElfSectionSpec {
  name: string;
  data: Buffer;
  /** Virtual address; sections with one are also covered by a PT_LOAD segment. */
  addr?: number;
  /** PF_ flags of that segment (default read + write). */
  segFlags?: number;
  type?: number;
}

export interface ElfSpec {
  is64?: boolean;
  le?: boolean;
  sections: ElfSectionSpec[];
  /** Overrides written into the header after layout (hostile files). */
  shnum?: number;
  shoff?: number;
  shentsize?: number;
  phnum?: number;
  shstrndx?: number;
}

/** An ELF executable: header, program headers, section data, name table, section headers. */
export function buildElf(spec: ElfSpec): Buffer {
  const is64 = spec.is64 ?? true;
  const le = spec.le ?? true;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const loaded = spec.sections.filter((s) => s.addr !== undefined);
  const phoff = ehsize;
  let off = phoff + loaded.length * phentsize;
  const names = [''];
  const nameOff = new Map<string, number>();
  let strLen = 1;
  const allNames = [...spec.sections.map((s) => s.name), '.shstrtab'];
  for (const n of allNames) {
    nameOff.set(n, strLen);
    names.push(n);
    strLen += Buffer.byteLength(n) + 1;
  }
  const shstrtab = Buffer.from(`${names.join('\0')}\0`, 'latin1');
  const placed = spec.sections.map((s) => {
    off = (off + 15) & ~15;
    const at = off;
    off += s.data.length;
    return { ...s, offset: at };
  });
  const strOff = off;
  off += shstrtab.length;
  off = (off + 7) & ~7;
  const shoff = off;
  const shnum = spec.sections.length + 2; // null section + sections + .shstrtab
  const size = shoff + shnum * shentsize;
  const b = Buffer.alloc(size);
  const u16 = (v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (v: number, o: number) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const word = (v: number, o: number) =>
    is64 ? (le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o)) : u32(v, o);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = is64 ? 2 : 1;
  b[5] = le ? 1 : 2;
  b[6] = 1;
  u16(2, 16); // ET_EXEC
  u16(is64 ? 62 : 3, 18);
  u32(1, 20);
  word(phoff, is64 ? 32 : 28);
  word(spec.shoff ?? shoff, is64 ? 40 : 32);
  u16(ehsize, is64 ? 52 : 40);
  u16(phentsize, is64 ? 54 : 42);
  u16(spec.phnum ?? loaded.length, is64 ? 56 : 44);
  u16(spec.shentsize ?? shentsize, is64 ? 58 : 46);
  u16(spec.shnum ?? shnum, is64 ? 60 : 48);
  u16(spec.shstrndx ?? shnum - 1, is64 ? 62 : 50);
  let ph = phoff;
  for (const s of placed) {
    s.data.copy(b, s.offset);
    if (s.addr === undefined) continue;
    u32(1, ph); // PT_LOAD
    const flags = s.segFlags ?? 6;
    if (is64) {
      u32(flags, ph + 4);
      word(s.offset, ph + 8);
      word(s.addr, ph + 16);
      word(s.addr, ph + 24);
      word(s.data.length, ph + 32);
      word(s.data.length, ph + 40);
      word(16, ph + 48);
    } else {
      word(s.offset, ph + 4);
      word(s.addr, ph + 8);
      word(s.addr, ph + 12);
      word(s.data.length, ph + 16);
      word(s.data.length, ph + 20);
      u32(flags, ph + 24);
      u32(16, ph + 28);
    }
    ph += phentsize;
  }
  shstrtab.copy(b, strOff);
  const sh = (i: number, name: string, type: number, flags: number, addr: number, o: number, len: number) => {
    const at = shoff + i * shentsize;
    u32(nameOff.get(name) ?? 0, at);
    u32(type, at + 4);
    if (is64) {
      word(flags, at + 8);
      word(addr, at + 16);
      word(o, at + 24);
      word(len, at + 32);
    } else {
      u32(flags, at + 8);
      word(addr, at + 12);
      word(o, at + 16);
      word(len, at + 20);
    }
  };
  placed.forEach((s, i) => {
    sh(i + 1, s.name, s.type ?? 1, s.addr !== undefined ? 3 : 0, s.addr ?? 0, s.offset, s.data.length);
  });
  sh(shnum - 1, '.shstrtab', 3, 0, 0, strOff, shstrtab.length);
  return b;
}

/** A buffer source that records every range read through it. */
export function recordingSource(buf: Buffer): { src: ByteSource; ranges: [number, number][] } {
  const inner = bufferSource(buf);
  const ranges: [number, number][] = [];
  return {
    ranges,
    src: {
      size: inner.size,
      close: () => {},
      read: async (o, l) => {
        const r = await inner.read(o, l);
        ranges.push([o, o + r.length]);
        return r;
      },
    },
  };
}

/** `buf` with every byte outside `keep` set to zero (the file keeps its size and layout). */
export function skeleton(buf: Buffer, keep: [number, number][]): Buffer {
  const out = Buffer.alloc(buf.length);
  for (const [a, b] of keep) buf.copy(out, a, a, Math.min(b, buf.length));
  return out;
}
