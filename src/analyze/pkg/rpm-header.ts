// RPM header blobs, as rpmdb stores them (index entries + data store), parsed with bounds checks.

export const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  FILENAMES: 1027,
  SOURCERPM: 1044,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  MODULARITYLABEL: 5096,
} as const;

const TYPE = { INT32: 4, STRING: 6, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

/** rpm's own limits (HEADER_MAX_INDEX_ENTRIES-ish, HEADER_DATA_MAX). */
const MAX_ENTRIES = 0xffff;
const MAX_DATA = 256 * 1024 * 1024;

export class RpmHeaderError extends Error {}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

export class RpmHeader {
  private readonly entries = new Map<number, Entry>();
  private readonly data: Buffer;

  constructor(blob: Buffer) {
    if (blob.length < 8) throw new RpmHeaderError('header blob too short');
    const il = blob.readUInt32BE(0);
    const dl = blob.readUInt32BE(4);
    if (il === 0 || il > MAX_ENTRIES) throw new RpmHeaderError(`bad header index count ${il}`);
    if (dl > MAX_DATA) throw new RpmHeaderError(`bad header data length ${dl}`);
    const dataStart = 8 + il * 16;
    if (dataStart + dl > blob.length) throw new RpmHeaderError('header blob truncated');
    this.data = blob.subarray(dataStart, dataStart + dl);
    for (let i = 0; i < il; i++) {
      const o = 8 + i * 16;
      const tag = blob.readUInt32BE(o);
      const type = blob.readUInt32BE(o + 4);
      const offset = blob.readInt32BE(o + 8);
      const count = blob.readUInt32BE(o + 12);
      if (offset < 0 || offset > dl) throw new RpmHeaderError(`tag ${tag} points outside the data`);
      if (!this.entries.has(tag)) this.entries.set(tag, { type, offset, count });
    }
  }

  private strings(e: Entry, max: number): string[] {
    const out: string[] = [];
    let pos = e.offset;
    for (let i = 0; i < Math.min(e.count, max); i++) {
      const end = this.data.indexOf(0, pos);
      if (end < 0) throw new RpmHeaderError('unterminated string in header');
      out.push(this.data.toString('utf8', pos, end));
      pos = end + 1;
    }
    return out;
  }

  string(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    if (e.type === TYPE.STRING || e.type === TYPE.I18NSTRING || e.type === TYPE.STRING_ARRAY)
      return this.strings(e, 1)[0];
    return undefined;
  }

  stringArray(tag: number): string[] {
    const e = this.entries.get(tag);
    if (!e || (e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.STRING && e.type !== TYPE.I18NSTRING))
      return [];
    return this.strings(e, 1_000_000);
  }

  int32Array(tag: number): number[] {
    const e = this.entries.get(tag);
    if (!e || e.type !== TYPE.INT32) return [];
    if (e.offset + e.count * 4 > this.data.length) throw new RpmHeaderError(`tag ${tag} runs past the data`);
    const out: number[] = [];
    for (let i = 0; i < e.count; i++) out.push(this.data.readInt32BE(e.offset + i * 4));
    return out;
  }

  int32(tag: number): number | undefined {
    return this.int32Array(tag)[0];
  }
}

export interface RpmPackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  sourceRpm: string;
  vendor?: string;
  license?: string;
  modularityLabel?: string;
  /** Installed files (absolute paths without the leading "/"), for ownership. */
  files: string[];
}

/** Reads the fields drydock needs from one header blob; gpg-pubkey pseudo-packages are skipped. */
export function rpmPackageFromHeader(blob: Buffer): RpmPackage | undefined {
  const h = new RpmHeader(blob);
  const name = h.string(TAG.NAME);
  const version = h.string(TAG.VERSION);
  if (!name || version === undefined || name === 'gpg-pubkey') return undefined;
  const p: RpmPackage = {
    name,
    epoch: h.int32(TAG.EPOCH) ?? 0,
    version,
    release: h.string(TAG.RELEASE) ?? '',
    arch: h.string(TAG.ARCH) ?? '',
    sourceRpm: h.string(TAG.SOURCERPM) ?? '',
    files: [],
  };
  const vendor = h.string(TAG.VENDOR);
  if (vendor) p.vendor = vendor;
  const license = h.string(TAG.LICENSE);
  if (license) p.license = license;
  const mod = h.string(TAG.MODULARITYLABEL);
  if (mod) p.modularityLabel = mod;
  const dirs = h.stringArray(TAG.DIRNAMES);
  const bases = h.stringArray(TAG.BASENAMES);
  const idx = h.int32Array(TAG.DIRINDEXES);
  if (bases.length > 0) {
    for (let i = 0; i < bases.length; i++) {
      const d = dirs[idx[i] ?? -1];
      if (d !== undefined) p.files.push(`${d}${bases[i]}`.replace(/^\/+/, ''));
    }
  } else {
    for (const f of h.stringArray(TAG.FILENAMES)) p.files.push(f.replace(/^\/+/, ''));
  }
  return p;
}

/** "util-linux-2.32.1-42.el8_8.src.rpm" -> name, version, release. */
export function parseSourceRpm(s: string): { name: string; version: string; release: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(s);
  return m ? { name: m[1] as string, version: m[2] as string, release: m[3] as string } : undefined;
}
