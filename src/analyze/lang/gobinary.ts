// Go binaries: the build information the Go linker embeds (what `go version -m` prints): the
// toolchain version, the main module and every module linked in, with replacements.
//
// Where it lives: a 32-byte header starting "\xff Go buildinf:" at a 16-byte boundary at the start of
// the ".go.buildinfo" section (Mach-O "__go_buildinfo"), or, when sections are missing, within the
// first 64 KiB of the first writable data segment. Byte 14 is the pointer size, byte 15 the flags.
// Go >= 1.18 (flag 0x2): two varint-length-prefixed strings follow at offset 32, the version and
// the module text. Older Go: two pointers at offsets 16 and 16+ptrSize, each to a Go string header
// (data pointer, length) in the loaded image, in the byte order flag 0x1 names (set: big-endian).
// The module text is framed by two 16-byte sentinels, the last preceded by a newline.

import { fileSource } from '../../util/byte-source.js';
import {
  type Executable,
  ExeFormatError,
  findSection,
  isBinaryCandidate,
  openShared,
  readVirtual,
} from '../../util/executable.js';
import type { LangAnalyzer, LangPackage } from './types.js';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
const ALIGN = 16;
/** Go itself looks at the first 64 KiB of the data for the header. */
const SEARCH_SIZE = 64 * 1024;
/** The module text of the largest real binaries is a few hundred KiB. */
const MAX_STRING = 4 * 1024 * 1024;
const MAX_DEPS = 100_000;

export interface GoBuildInfo {
  /** The toolchain, as the binary records it: "go1.22.2", "go1.20 X:boringcrypto", "devel go1.23-…". */
  goVersion: string;
  /** The module text between the sentinels ("" when the binary was built outside module mode). */
  modInfo: string;
}

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replace?: GoModule;
}

export interface GoModInfo {
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  settings: { key: string; value: string }[];
}

/** The address where Go looks for the header, per format (section first, then the data segment). */
function dataStart(exe: Executable): number | undefined {
  const sec = exe.format === 'macho' ? findSection(exe, '__go_buildinfo') : findSection(exe, '.go.buildinfo');
  if (sec && sec.addr !== 0) return sec.addr;
  switch (exe.format) {
    case 'elf':
      return exe.segments.find((s) => s.w && !s.x)?.addr;
    case 'pe': {
      // initialised data, readable, writable, nothing else (alignment bits aside)
      const want = 0x00000040 | 0x40000000 | 0x80000000;
      return exe.sections.find((s) => s.addr !== 0 && s.size !== 0 && (s.flags & ~0x00f00000) === want)?.addr;
    }
    case 'macho':
      return exe.segments.find((s) => s.addr !== 0 && s.fileSize !== 0 && s.maxRW)?.addr;
  }
}

/** Reads an unsigned LEB128 varint; undefined when truncated or beyond 2^53. */
export function readUvarint(buf: Buffer, off: number): { value: number; next: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = off; i < buf.length && i < off + 8; i++) {
    const b = buf[i] as number;
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    mul *= 128;
  }
  return undefined;
}

/** A varint-prefixed string at `addr` (Go >= 1.18), read from the image with its length bounded. */
async function inlineString(exe: Executable, addr: number): Promise<{ s: string; next: number }> {
  const head = await readVirtual(exe, addr, 10);
  const v = head && readUvarint(head, 0);
  if (!v) throw new ExeFormatError('bad Go build info string length');
  if (v.value > MAX_STRING) throw new ExeFormatError(`Go build info string too long (${v.value} bytes)`);
  const data = await readVirtual(exe, addr + v.next, v.value);
  if (!data || data.length < v.value) throw new ExeFormatError('Go build info string runs past its segment');
  return { s: data.toString('utf8'), next: addr + v.next + v.value };
}

/** A Go string header (pointer, length) at `addr` (Go < 1.18), and the bytes it points to. */
async function pointedString(
  exe: Executable,
  addr: number,
  ptrSize: number,
  le: boolean,
): Promise<string | undefined> {
  const hdr = await readVirtual(exe, addr, 2 * ptrSize);
  if (!hdr || hdr.length < 2 * ptrSize) return undefined;
  const ptr = readPtr(hdr, 0, ptrSize, le);
  const len = readPtr(hdr, ptrSize, ptrSize, le);
  if (len === 0) return '';
  if (!Number.isSafeInteger(len) || len > MAX_STRING)
    throw new ExeFormatError('Go build info string too long');
  const data = await readVirtual(exe, ptr, len);
  if (!data || data.length < len) return undefined;
  return data.toString('utf8');
}

function readPtr(b: Buffer, off: number, ptrSize: number, le: boolean): number {
  if (ptrSize === 4) return le ? b.readUInt32LE(off) : b.readUInt32BE(off);
  const v = le ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.NaN;
}

/** The raw build information of a Go binary; undefined for anything else. */
export async function readGoBuildInfo(exe: Executable): Promise<GoBuildInfo | undefined> {
  const start = dataStart(exe);
  if (start === undefined) return undefined;
  const data = await readVirtual(exe, start, SEARCH_SIZE);
  if (!data) return undefined;
  let at = -1;
  for (let i = data.indexOf(MAGIC); i >= 0; i = data.indexOf(MAGIC, i + 1)) {
    if (data.length - i < HEADER_SIZE) break;
    if (i % ALIGN === 0) {
      at = i;
      break;
    }
  }
  if (at < 0) return undefined;
  const ptrSize = data[at + 14] as number;
  const flags = data[at + 15] as number;
  let goVersion: string;
  let mod: string;
  if (flags & 0x2) {
    const v = await inlineString(exe, start + at + HEADER_SIZE);
    goVersion = v.s;
    mod = (await inlineString(exe, v.next)).s;
  } else {
    if (ptrSize !== 4 && ptrSize !== 8) throw new ExeFormatError(`bad Go build info pointer size ${ptrSize}`);
    const le = (flags & 0x1) === 0;
    const vAddr = readPtr(data, at + 16, ptrSize, le);
    const mAddr = readPtr(data, at + 16 + ptrSize, ptrSize, le);
    goVersion = (await pointedString(exe, vAddr, ptrSize, le)) ?? '';
    mod = (await pointedString(exe, mAddr, ptrSize, le)) ?? '';
  }
  if (goVersion === '') return undefined;
  // Strip the sentinels; text without them means no module information.
  const modInfo = mod.length >= 33 && mod[mod.length - 17] === '\n' ? mod.slice(16, -16) : '';
  return { goVersion, modInfo };
}

/** Parses the module text ("path", "mod", "dep", "=>", "build" lines); malformed lines are skipped. */
export function parseGoModInfo(text: string): GoModInfo {
  const info: GoModInfo = { deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const kind = line.slice(0, tab);
    const rest = line.slice(tab + 1);
    const cols = rest.split('\t');
    switch (kind) {
      case 'path':
        info.path = rest;
        break;
      case 'mod':
      case 'dep': {
        last = undefined;
        if (cols.length !== 2 && cols.length !== 3) break;
        const m: GoModule = { path: cols[0] as string, version: cols[1] as string };
        if (cols[2]) m.sum = cols[2];
        if (kind === 'mod') info.main = m;
        else if (info.deps.length < MAX_DEPS) info.deps.push(m);
        last = m;
        break;
      }
      case '=>':
        if (last && cols.length === 3) {
          last.replace = { path: cols[0] as string, version: cols[1] as string };
          if (cols[2]) last.replace.sum = cols[2];
        }
        last = undefined;
        break;
      case 'build': {
        const eq = rest.indexOf('=');
        if (eq <= 0) break;
        let key = rest.slice(0, eq);
        let value = rest.slice(eq + 1);
        if (key.startsWith('"')) {
          // quoted key: find its end, then "=" (keys with spaces or "=" are quoted)
          const q = quotedPrefix(rest);
          if (!q || rest[q.length] !== '=') break;
          key = q.value;
          value = rest.slice(q.length + 1);
        }
        if (value.startsWith('"')) value = quotedPrefix(value)?.value ?? value;
        if (info.settings.length < 1000) info.settings.push({ key, value });
        break;
      }
    }
  }
  return info;
}

/** A Go double-quoted string at the start of `s` (the escapes Go's strconv.Quote writes). */
function quotedPrefix(s: string): { value: string; length: number } | undefined {
  if (s[0] !== '"') return undefined;
  let out = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '"') return { value: out, length: i + 1 };
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', "'": "'" };
    if (e !== undefined && simple[e] !== undefined) out += simple[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const code = Number.parseInt(s.slice(i + 1, i + 1 + n), 16);
      if (Number.isNaN(code)) return undefined;
      out += String.fromCodePoint(code);
      i += n;
    } else out += e ?? '';
  }
  return undefined;
}

/**
 * The toolchain as a Go module version, the form Go's vulnerability data gives the "stdlib"
 * pseudo-module ranges in (without the "v"): "go1.22.2" -> "v1.22.2", "go1.20" -> "v1.20.0",
 * "go1.21rc2" -> "v1.21.0-rc.2". Experiment suffixes (" X:boringcrypto") are dropped; development
 * toolchains ("devel …") have no release version and give undefined.
 */
export function goStdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?/.exec(goVersion.trim());
  if (!m) return undefined;
  const pre = m[4] ? `-${m[4]}.${m[5]}` : '';
  return `v${m[1]}.${m[2]}.${m[3] ?? '0'}${pre}`;
}

const SEMVER = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;

/** Splits a command line the way a shell would, for the common quoting ('…', "…"). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let any = false;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = '';
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      any = true;
    } else if (c === ' ' || c === '\t') {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (cur || any) out.push(cur);
  return out;
}

/**
 * The main module's version from `-ldflags=-X <pkg>.version=1.2.3`, for binaries built with
 * `go build` (whose main module is "(devel)"). Only variables named version/ver in package main or
 * in the main module's own packages count, and only semantic versions.
 */
export function versionFromLdflags(ldflags: string, mainPath: string): string | undefined {
  const args = splitArgs(ldflags);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    let def: string | undefined;
    if (a === '-X' || a === '--X') def = args[++i];
    else if (a.startsWith('-X=') || a.startsWith('--X=')) def = a.slice(a.indexOf('=') + 1);
    if (!def) continue;
    const eq = def.indexOf('=');
    if (eq < 0) continue;
    const sym = def.slice(0, eq);
    const dot = sym.lastIndexOf('.');
    const pkg = sym.slice(0, dot);
    const name = sym.slice(dot + 1).toLowerCase();
    if (name !== 'version' && name !== 'ver') continue;
    if (pkg !== 'main' && pkg !== mainPath && !pkg.startsWith(`${mainPath}/`)) continue;
    const m = SEMVER.exec(def.slice(eq + 1));
    if (m) return `v${m[1]}`;
  }
  return undefined;
}

function usable(version: string | undefined): version is string {
  return !!version && version !== '(devel)';
}

/**
 * The packages of a Go binary: the main module when it has a version (`go install m@v`, or -X
 * main.version), every dependency with its replacement applied (directory replacements, which have
 * no version, are the project's own code and are left out), and the toolchain as "stdlib".
 */
export function goBinaryPackages(bi: GoBuildInfo): LangPackage[] {
  const out: LangPackage[] = [];
  const mi = parseGoModInfo(bi.modInfo);
  if (mi.main?.path) {
    const ldflags = mi.settings.find((s) => s.key === '-ldflags')?.value;
    const version = usable(mi.main.version)
      ? mi.main.version
      : ldflags
        ? versionFromLdflags(ldflags, mi.main.path)
        : undefined;
    if (version) out.push({ name: mi.main.path, version });
  }
  for (const d of mi.deps) {
    const m = d.replace ?? d;
    if (!m.path || !usable(m.version)) continue;
    out.push({ name: m.path, version: m.version });
  }
  const std = goStdlibVersion(bi.goVersion);
  if (std) out.push({ name: 'stdlib', version: std });
  return out;
}

export const goBinaryAnalyzer: LangAnalyzer = {
  name: 'gobinary',
  version: 1,
  lang: { type: 'gobinary', purlType: 'golang' },
  maxFileSize: 200 * 1024 * 1024,
  // Executables only: most entries of a layer skip the binary analyzers without a call.
  prefilter: { modeBits: 0o111 },
  matches: (path, info) => isBinaryCandidate(path, info),
  async analyze(file) {
    const exe = await openShared(file, () => fileSource(file));
    if (!exe) return undefined;
    try {
      const bi = await readGoBuildInfo(exe);
      return bi ? goBinaryPackages(bi) : undefined;
    } finally {
      exe.source.close();
    }
  },
};
