// The local TUF trust cache: <trustDir>/tuf/<gun>/metadata/<role>.json, as Notary lays it out.
// The cached root is the trust anchor (trust on first use unless pinned); the other roles give
// the versions a later update must not go below. Files are only written by the client after a
// whole update verified, each one atomically (temp file in the same directory + rename).
//
// Also the trust pinning configuration (Notary's `trust_pinning`: certs per GUN, CA per GUN
// prefix, disable_tofu).

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { isRoleName } from './metadata.js';

export const DEFAULT_MAX_CACHED_BYTES = 4 * 1024 * 1024;

/** $DRYDOCK_TRUST_DIR, else ~/.drydock/trust. */
export function trustDir(): string {
  const env = process.env.DRYDOCK_TRUST_DIR;
  return env && env !== '' ? path.resolve(env) : path.join(os.homedir(), '.drydock', 'trust');
}

const GUN_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.:@+-]*$/;

/** Checks that a GUN ("registry.example.com:5000/team/app") is safe to use as a cache path. */
export function checkGun(gun: string): string {
  const parts = gun.split('/');
  if (
    gun.length === 0 ||
    gun.length > 255 ||
    parts.some((p) => !GUN_SEGMENT.test(p) || p === '.' || p === '..')
  ) {
    throw new UserError(
      `invalid GUN ${JSON.stringify(gun)} (expected registry host and repository, e.g. example.com/team/app)`,
    );
  }
  return gun;
}

/** What the TUF client needs from a cache. */
export interface MetadataCache {
  /** The cached bytes of a role's metadata, or undefined. */
  read(role: string, maxBytes?: number): Buffer | undefined;
  /** Writes several roles, each atomically. Only called after a fully verified update. */
  commit(files: Map<string, Buffer>): void;
}

export class TrustCache implements MetadataCache {
  constructor(readonly dir: string) {}

  /** The cache of one GUN under `base` (default trustDir()). */
  static forGun(gun: string, base = trustDir()): TrustCache {
    return new TrustCache(path.join(base, 'tuf', ...checkGun(gun).split('/'), 'metadata'));
  }

  fileOf(role: string): string {
    if (!isRoleName(role)) throw new UserError(`invalid TUF role name ${JSON.stringify(role)}`);
    return path.join(this.dir, ...`${role}.json`.split('/'));
  }

  read(role: string, maxBytes = DEFAULT_MAX_CACHED_BYTES): Buffer | undefined {
    const file = this.fileOf(role);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new UserError(`trust cache: cannot read ${file}: ${(err as Error).message}`);
    }
    if (!st.isFile()) throw new UserError(`trust cache: ${file} is not a regular file`);
    if (st.size > maxBytes) throw new UserError(`trust cache: ${file} is larger than ${maxBytes} bytes`);
    return readFileSync(file);
  }

  commit(files: Map<string, Buffer>): void {
    for (const [role, bytes] of files) writeAtomic(this.fileOf(role), bytes);
  }

  /** Forgets a GUN's cached metadata (a new TOFU on the next update). */
  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** temp file in the target's directory, fsync, rename: readers see the old or the new file. */
export function writeAtomic(file: string, bytes: Buffer): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Trust pinning

/**
 * Notary's trust_pinning: `certs` maps a GUN (or "prefix*") to the ids of root certificates
 * that must sign it; `ca` maps a GUN prefix to a CA bundle (file path or PEM text) the root
 * certificates must chain to; `disableTofu` refuses a first root without a pin.
 */
export interface TrustPinning {
  certs?: Record<string, string[]>;
  ca?: Record<string, string>;
  disableTofu?: boolean;
}

/** Reads a trust_pinning object as Notary's config writes it (certs, ca, disable_tofu). */
export function parseTrustPinning(v: unknown, what = 'trust_pinning'): TrustPinning {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new UserError(`${what} must be an object`);
  const o = v as Record<string, unknown>;
  const out: TrustPinning = {};
  if (o.certs !== undefined) {
    if (typeof o.certs !== 'object' || o.certs === null || Array.isArray(o.certs)) {
      throw new UserError(`${what}.certs must map GUNs to lists of certificate ids`);
    }
    out.certs = {};
    for (const [gun, ids] of Object.entries(o.certs)) {
      if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string' || !/^[0-9a-f]{64}$/.test(x))) {
        throw new UserError(`${what}.certs["${gun}"] must be a list of 64-hex-digit key ids`);
      }
      out.certs[gun] = ids as string[];
    }
  }
  if (o.ca !== undefined) {
    if (typeof o.ca !== 'object' || o.ca === null || Array.isArray(o.ca)) {
      throw new UserError(`${what}.ca must map GUN prefixes to CA files`);
    }
    out.ca = {};
    for (const [prefix, file] of Object.entries(o.ca)) {
      if (typeof file !== 'string' || file === '')
        throw new UserError(`${what}.ca["${prefix}"] must be a file name`);
      out.ca[prefix] = file;
    }
  }
  const dt = o.disable_tofu ?? o.disableTofu;
  if (dt !== undefined) {
    if (typeof dt !== 'boolean') throw new UserError(`${what}.disable_tofu must be true or false`);
    out.disableTofu = dt;
  }
  return out;
}
