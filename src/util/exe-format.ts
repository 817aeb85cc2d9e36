// The shared vocabulary of the executable readers (ELF, PE, Mach-O): what they produce, their error,
// and bounds-checked reads. Kept apart from executable.ts so that the format readers can be imported
// statically without an import cycle.

import type { ByteSource } from './byte-source.js';

export type ExeFormat = 'elf' | 'pe' | 'macho';

export interface ExeSection {
  name: string;
  /** Mach-O segment name ("__DATA"); empty elsewhere. */
  segment: string;
  /** Virtual address (PE: image base included); 0 for sections that are not loaded. */
  addr: number;
  /** Size in memory. */
  size: number;
  /** File offset of the bytes present in the file, and how many there are (0 for ELF NOBITS, bss). */
  offset: number;
  fileSize: number;
  /** ELF sh_flags, PE Characteristics, Mach-O section flags. */
  flags: number;
}

/** A range of the address space backed by file bytes: ELF PT_LOAD, Mach-O segment, PE section. */
export interface ExeSegment {
  name: string;
  addr: number;
  memSize: number;
  offset: number;
  fileSize: number;
  /** Readable / writable / executable, whatever the format calls them. */
  r: boolean;
  w: boolean;
  x: boolean;
  /** Mach-O: the maximum protection is also read-write (Go's test for the data segment). */
  maxRW?: boolean;
}

export interface Executable {
  format: ExeFormat;
  littleEndian: boolean;
  ptrSize: 4 | 8;
  sections: ExeSection[];
  segments: ExeSegment[];
  source: ByteSource;
}

/** A malformed executable; the message is short, for the per-file warning. */
export class ExeFormatError extends Error {}

/** Little helpers over a header buffer that bound-check every read. */
export class Reader {
  constructor(
    readonly buf: Buffer,
    readonly le: boolean,
    private readonly what: string,
  ) {}

  private check(off: number, n: number): void {
    if (off < 0 || off + n > this.buf.length) throw new ExeFormatError(`truncated ${this.what}`);
  }
  u8(off: number): number {
    this.check(off, 1);
    return this.buf[off] as number;
  }
  u16(off: number): number {
    this.check(off, 2);
    return this.le ? this.buf.readUInt16LE(off) : this.buf.readUInt16BE(off);
  }
  u32(off: number): number {
    this.check(off, 4);
    return this.le ? this.buf.readUInt32LE(off) : this.buf.readUInt32BE(off);
  }
  /** A 64-bit value as a number; NaN when it does not fit exactly (no real offset or size does). */
  u64(off: number): number {
    this.check(off, 8);
    const v = this.le ? this.buf.readBigUInt64LE(off) : this.buf.readBigUInt64BE(off);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.NaN;
  }
  /** Pointer-sized value. */
  word(off: number, is64: boolean): number {
    return is64 ? this.u64(off) : this.u32(off);
  }
  /** NUL-terminated string within [off, off + max). */
  cstr(off: number, max: number): string {
    if (off < 0 || off >= this.buf.length) return '';
    const end = Math.min(this.buf.length, off + max);
    let i = off;
    while (i < end && this.buf[i] !== 0) i++;
    return this.buf.toString('latin1', off, i);
  }
}

/** Reads [offset, offset + length) of the file, failing unless all of it is there. */
export async function readExact(
  src: ByteSource,
  offset: number,
  length: number,
  what: string,
): Promise<Buffer> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
    throw new ExeFormatError(`${what}: bad offset or size`);
  if (offset + length > src.size) throw new ExeFormatError(`${what} extends past the end of the file`);
  const b = await src.read(offset, length);
  if (b.length < length) throw new ExeFormatError(`${what}: file ended early`);
  return b;
}
