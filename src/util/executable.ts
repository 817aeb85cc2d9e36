// Executables (ELF, PE, Mach-O) as the analyzers of Go and Rust binaries need them: named sections,
// the address-to-file mapping of loaded data, byte order and pointer size. Files are hostile: every
// table is bounded and checked against the file size before it is read.

import type { ByteSource } from './byte-source.js';
import { parseElf } from './elf.js';
import { type Executable, type ExeFormat, ExeFormatError, type ExeSection, readExact } from './exe-format.js';
import { parseMachO } from './macho.js';
import { parsePe } from './pe.js';

export {
  type Executable,
  type ExeFormat,
  ExeFormatError,
  type ExeSection,
  type ExeSegment,
  Reader,
  readExact,
} from './exe-format.js';

export function sniffFormat(head: Buffer): ExeFormat | undefined {
  if (head.length < 4) return undefined;
  if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return 'elf';
  if (head[0] === 0x4d && head[1] === 0x5a) return 'pe';
  const m = head.readUInt32BE(0);
  // 32/64-bit, either byte order (fat/universal files share 0xcafebabe with Java classes: not read)
  if (m === 0xfeedface || m === 0xfeedfacf || m === 0xcefaedfe || m === 0xcffaedfe) return 'macho';
  return undefined;
}

export function findSection(exe: Executable, name: string, segment?: string): ExeSection | undefined {
  return exe.sections.find((s) => s.name === name && (segment === undefined || s.segment === segment));
}

/** The file bytes of a section, at most `limit` of them (an error when the section is bigger). */
export async function readSection(exe: Executable, s: ExeSection, limit: number): Promise<Buffer> {
  if (s.fileSize > limit) throw new ExeFormatError(`section ${s.name} is too large (${s.fileSize} bytes)`);
  return readExact(exe.source, s.offset, s.fileSize, `section ${s.name}`);
}

/**
 * Up to `length` bytes at virtual address `addr`, from the loaded range that holds it (bytes past the
 * end of the range's file data are not returned). Undefined when no range holds the address.
 */
export async function readVirtual(
  exe: Executable,
  addr: number,
  length: number,
): Promise<Buffer | undefined> {
  if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(length) || length < 0) return undefined;
  for (const seg of exe.segments) {
    if (!(seg.fileSize > 0 && seg.addr <= addr && addr < seg.addr + seg.fileSize)) continue;
    const n = Math.min(length, seg.addr + seg.fileSize - addr);
    const off = seg.offset + (addr - seg.addr);
    if (off + n > exe.source.size) return undefined;
    return exe.source.read(off, n);
  }
  return undefined;
}

/**
 * Smaller files are not read: a Go "hello world" is ~800 KiB stripped, a Rust one with its standard
 * library ~300 KiB. The bound keeps the many small tools of /usr/bin out of the capture (on a Debian
 * image, 38 executables instead of 387); it misses Rust programs linked against a shared libstd.
 */
export const MIN_BINARY_SIZE = 128 * 1024;

/**
 * Extensions of executable-mode files that are never a program binary: scripts, text, archives,
 * and shared libraries (often mode 0755 on rpm distributions, and rarely built from Go or Rust).
 */
const NOT_BINARY =
  /\.(?:sh|bash|zsh|csh|ksh|fish|py|pyc|pl|pm|rb|js|mjs|cjs|ts|php|lua|tcl|awk|sed|r|txt|md|rst|json|ya?ml|toml|xml|html?|css|conf|cfg|ini|desktop|service|jar|war|zip|gz|tgz|xz|bz2|zst|tar|a|o|ko|h|c|cc|cpp|go|rs|png|jpe?g|gif|svg|ico|pem|crt|so(?:\.[0-9.]+)?)$/i;

/**
 * Cheap test for the binary analyzers: a regular file with an execute bit, big enough, not named
 * like a script or library. The content (magic bytes) is checked in analyze().
 */
export function isBinaryCandidate(path: string, info: { type: string; size: number; mode: number }): boolean {
  return (
    info.type === 'file' &&
    (info.mode & 0o111) !== 0 &&
    info.size >= MIN_BINARY_SIZE &&
    !NOT_BINARY.test(path)
  );
}

/** The first bytes of a file, enough to tell the formats apart. */
export const HEAD_SIZE = 64;

/**
 * Parses the headers of an ELF, PE or Mach-O file. Undefined when the file is none of them (scripts,
 * data); throws ExeFormatError when it claims to be one but its headers are broken.
 */
export async function openExecutable(src: ByteSource): Promise<Executable | undefined> {
  const head = await src.read(0, HEAD_SIZE);
  const format = sniffFormat(head);
  if (!format) return undefined;
  switch (format) {
    case 'elf':
      return parseElf(src, head);
    case 'pe':
      return parsePe(src, head);
    case 'macho':
      return parseMachO(src, head);
  }
}

/**
 * The Go and Rust binary analyzers look at the same files; the session hands both the same file
 * object, so the parsed headers (and the source's cached ranges) are shared through this map.
 */
const opened = new WeakMap<object, Promise<Executable | undefined>>();

export function openShared(key: object, src: () => Promise<ByteSource>): Promise<Executable | undefined> {
  let p = opened.get(key);
  if (!p) {
    p = src().then(openExecutable);
    opened.set(key, p);
  }
  return p;
}
