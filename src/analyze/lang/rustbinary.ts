// Rust binaries built with cargo-auditable: a ".dep-v0" section (Mach-O "__dep_v0") holds a zlib
// stream of JSON {"packages": [{name, version, source, kind?, dependencies?, root?}]}, the crates
// compiled into the binary. Reported: crates that are not the project's own code ("local" source:
// workspace members and path crates, which the root usually is) and that are linked in ("build"
// crates only ran at build time, as build scripts or proc macros). A root crate from a registry
// (`cargo install name`) is reported, like a Go binary's versioned main module.

import { fileSource } from '../../util/byte-source.js';
import {
  type Executable,
  ExeFormatError,
  findSection,
  isBinaryCandidate,
  openShared,
  readSection,
} from '../../util/executable.js';
import type { LangAnalyzer, LangPackage } from './types.js';

/** The compressed section; real ones are a few KiB (JSON of a few thousand crates compresses well). */
const MAX_COMPRESSED = 4 * 1024 * 1024;
/** The JSON, decompressed: bounded so that a zlib bomb stops early. */
const MAX_JSON = 8 * 1024 * 1024;
const MAX_PACKAGES = 100_000;

export function findAuditSection(exe: Executable) {
  return findSection(exe, exe.format === 'macho' ? '__dep_v0' : '.dep-v0');
}

/** The crates listed in cargo-auditable JSON. */
export function parseAuditJson(text: string): LangPackage[] {
  const doc = JSON.parse(text) as unknown;
  const pkgs = (doc as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(pkgs)) throw new Error('no "packages" array in the audit data');
  if (pkgs.length > MAX_PACKAGES) throw new Error(`too many packages in the audit data (${pkgs.length})`);
  const out: LangPackage[] = [];
  for (const p of pkgs as Record<string, unknown>[]) {
    if (typeof p !== 'object' || p === null) continue;
    if (typeof p.name !== 'string' || typeof p.version !== 'string' || !p.name || !p.version) continue;
    if (p.kind === 'build') continue;
    if (p.source === 'local') continue;
    out.push({ name: p.name, version: p.version });
  }
  return out;
}

/** Inflates the section with a hard output limit (zlib is loaded only when a section is found). */
export async function inflateAuditData(data: Buffer): Promise<string> {
  const { inflateSync } = await import('node:zlib');
  let out: Buffer;
  try {
    out = inflateSync(data, { maxOutputLength: MAX_JSON });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
      throw new Error(`audit data inflates past ${MAX_JSON} bytes`);
    throw new Error(`audit data is not a zlib stream (${(e as Error).message})`);
  }
  return out.toString('utf8');
}

export async function readAuditPackages(exe: Executable): Promise<LangPackage[] | undefined> {
  const sec = findAuditSection(exe);
  if (!sec) return undefined;
  if (sec.fileSize === 0) throw new ExeFormatError('empty audit data section');
  const data = await readSection(exe, sec, MAX_COMPRESSED);
  return parseAuditJson(await inflateAuditData(data));
}

export const rustBinaryAnalyzer: LangAnalyzer = {
  name: 'rustbinary',
  version: 1,
  lang: { type: 'rustbinary', purlType: 'cargo' },
  maxFileSize: 200 * 1024 * 1024,
  prefilter: { modeBits: 0o111 },
  matches: (path, info) => isBinaryCandidate(path, info),
  async analyze(file) {
    const exe = await openShared(file, () => fileSource(file));
    if (!exe) return undefined;
    try {
      return await readAuditPackages(exe);
    } finally {
      exe.source.close();
    }
  },
};
