// TUF metadata as Notary writes it: the role models (root, targets with delegations, snapshot,
// timestamp), strict parsing with `_type` checks, threshold signature verification and signing.
//
// A metadata file is {"signed": {...}, "signatures": [{"keyid", "method", "sig"}]}; signatures
// are over the canonical JSON of `signed` (cjson.ts), hashes are base64, role names are
// "root", "targets", "snapshot", "timestamp" and delegations "targets/<name>[/<name>...]".

import { createHash } from 'node:crypto';
import { UserError } from '../errors.js';
import { canonicalJson, DEFAULT_MAX_JSON_BYTES, parseStrictJson } from './cjson.js';
import { decodeBase64Strict, KEY_TYPES, keyId, type Signer, type TufKey, verifySig } from './keys.js';

export type TopRole = 'root' | 'targets' | 'snapshot' | 'timestamp';
export const TOP_ROLES: readonly TopRole[] = ['root', 'targets', 'snapshot', 'timestamp'];

/** Hash algorithm → base64 digest. Only sha256 and sha512 are checked; others are ignored. */
export type Hashes = Record<string, string>;

export interface RoleKeys {
  keyids: string[];
  threshold: number;
}

export interface FileMeta {
  length: number;
  hashes: Hashes;
  custom?: unknown;
}

/** An entry of snapshot/timestamp `meta`: Notary writes length + hashes; TUF also allows version. */
export interface MetaEntry {
  length?: number;
  hashes?: Hashes;
  version?: number;
}

export interface DelegatedRole extends RoleKeys {
  name: string;
  paths?: string[];
  path_hash_prefixes?: string[];
  terminating?: boolean;
}

export interface Delegations {
  keys: Record<string, TufKey>;
  roles: DelegatedRole[];
}

interface Common {
  expires: string;
  version: number;
}

export interface RootSigned extends Common {
  _type: 'Root';
  consistent_snapshot?: boolean;
  keys: Record<string, TufKey>;
  roles: Record<TopRole, RoleKeys>;
}

export interface TargetsSigned extends Common {
  _type: 'Targets';
  targets: Record<string, FileMeta>;
  delegations?: Delegations;
}

export interface SnapshotSigned extends Common {
  _type: 'Snapshot';
  meta: Record<string, MetaEntry>;
}

export interface TimestampSigned extends Common {
  _type: 'Timestamp';
  meta: Record<string, MetaEntry> & { snapshot: MetaEntry };
}

export type AnySigned = RootSigned | TargetsSigned | SnapshotSigned | TimestampSigned;

export interface Signature {
  keyid: string;
  method: string;
  sig: string;
}

export interface SignedMetadata<T extends AnySigned = AnySigned> {
  role: string;
  /** The parsed `signed` object (unknown fields kept, so canonical bytes are unchanged). */
  signed: T;
  signatures: Signature[];
  /** Canonical JSON bytes of `signed`: what the signatures cover. */
  canonical: Buffer;
  /** The bytes as served/stored. */
  raw: Buffer;
  /** `expires` in ms since the epoch (sub-millisecond part in expiresFrac, 0..1). */
  expiresMs: number;
  expiresFrac: number;
}

const TYPE_OF: Record<TopRole, AnySigned['_type']> = {
  root: 'Root',
  targets: 'Targets',
  snapshot: 'Snapshot',
  timestamp: 'Timestamp',
};

const SEGMENT = /^[A-Za-z0-9_@+-][A-Za-z0-9_.@+-]{0,254}$/;

/** "targets/<segment>[/<segment>...]" with safe segments (these names become cache paths). */
export function isDelegatedRoleName(name: string): boolean {
  const parts = name.split('/');
  if (parts.length < 2 || parts.length > 32 || parts[0] !== 'targets') return false;
  return parts.slice(1).every((p) => SEGMENT.test(p) && p !== '.' && p !== '..');
}

export function isRoleName(name: string): boolean {
  return (TOP_ROLES as readonly string[]).includes(name) || isDelegatedRoleName(name);
}

/** The `_type` a role's metadata must carry. */
export function expectedType(role: string): AnySigned['_type'] {
  if (isDelegatedRoleName(role)) return 'Targets';
  const t = TYPE_OF[role as TopRole];
  if (!t) throw new UserError(`unknown TUF role ${JSON.stringify(role)}`);
  return t;
}

/** The parent of a delegated role ("targets/a/b" → "targets/a"). */
export function parentRole(role: string): string {
  return role.slice(0, role.lastIndexOf('/'));
}

// ---------------------------------------------------------------------------------------------
// Parsing

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Check {
  constructor(readonly what: string) {}
  fail(msg: string): never {
    throw new UserError(`${this.what}: ${msg}`);
  }
  obj(v: unknown, field: string): Obj {
    if (!isObj(v)) this.fail(`${field} must be an object`);
    return v;
  }
  str(v: unknown, field: string): string {
    if (typeof v !== 'string') this.fail(`${field} must be a string`);
    return v;
  }
  int(v: unknown, field: string, min: number): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.fail(`${field} must be an integer >= ${min}`);
    }
    return v;
  }
  strArray(v: unknown, field: string, max = 10_000): string[] {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
      this.fail(`${field} must be an array of strings`);
    if (v.length > max) this.fail(`${field} has more than ${max} entries`);
    return v as string[];
  }
}

const HASH_SIZES: Record<string, number> = { sha256: 32, sha512: 64 };

function checkHashes(c: Check, v: unknown, field: string): Hashes {
  const h = c.obj(v, field);
  let known = 0;
  for (const [alg, val] of Object.entries(h)) {
    const s = c.str(val, `${field}.${alg}`);
    const size = HASH_SIZES[alg];
    if (size === undefined) continue;
    const bytes = decodeBase64Strict(s, `${c.what}: ${field}.${alg}`);
    if (bytes.length !== size) c.fail(`${field}.${alg} is ${bytes.length} bytes, expected ${size}`);
    known++;
  }
  if (known === 0) c.fail(`${field} has no sha256 or sha512 hash`);
  return h as Hashes;
}

function checkKeys(c: Check, v: unknown, field: string): Record<string, TufKey> {
  const keys = c.obj(v, field);
  const ids = Object.keys(keys);
  if (ids.length > 1000) c.fail(`${field} has more than 1000 keys`);
  for (const id of ids) {
    const k = c.obj(keys[id], `${field}.${id.slice(0, 12)}`);
    const type = c.str(k.keytype, `${field}.${id.slice(0, 12)}.keytype`);
    if (!(KEY_TYPES as readonly string[]).includes(type))
      c.fail(`key ${id.slice(0, 12)} has unsupported keytype "${type}"`);
    const val = c.obj(k.keyval, `key ${id.slice(0, 12)} keyval`);
    c.str(val.public, `key ${id.slice(0, 12)} keyval.public`);
    if (val.private !== null && val.private !== undefined)
      c.fail(`key ${id.slice(0, 12)} carries private key material`);
    const computed = keyId({
      keytype: type as TufKey['keytype'],
      keyval: { public: val.public as string, private: null },
    });
    if (computed !== id)
      c.fail(`key id ${id.slice(0, 12)}… does not match its key (computed ${computed.slice(0, 12)}…)`);
  }
  return keys as Record<string, TufKey>;
}

function checkRoleKeys(c: Check, v: unknown, field: string, keys: Record<string, TufKey>): RoleKeys {
  const r = c.obj(v, field);
  const keyids = c.strArray(r.keyids, `${field}.keyids`, 1000);
  if (new Set(keyids).size !== keyids.length) c.fail(`${field}.keyids has duplicates`);
  const threshold = c.int(r.threshold, `${field}.threshold`, 1);
  if (threshold > keyids.length)
    c.fail(`${field}.threshold ${threshold} is more than its ${keyids.length} key(s)`);
  for (const id of keyids) {
    if (!Object.hasOwn(keys, id)) c.fail(`${field} lists key ${id.slice(0, 12)}… that is not in the keys`);
  }
  return r as unknown as RoleKeys;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 (Go's time.Time JSON form, nanoseconds allowed) → [ms, fraction of a ms]. */
export function parseRfc3339(s: string): [number, number] | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac, zone] = m as unknown as string[];
  const nums = [y, mo, d, h, mi, se].map(Number) as [number, number, number, number, number, number];
  const [Y, Mo, D, H, Mi, S] = nums;
  if (Mo < 1 || Mo > 12 || D < 1 || D > 31 || H > 23 || Mi > 59 || S > 59) return undefined;
  let ms = Date.UTC(Y, Mo - 1, D, H, Mi, S);
  if (new Date(ms).getUTCDate() !== D) return undefined;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const off = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
    ms -= sign * off * 60_000;
  }
  const fracMs = frac ? Number(`0${frac}`) * 1000 : 0;
  const whole = Math.floor(fracMs);
  return [ms + whole, fracMs - whole];
}

/** Go's RFC 3339 form of a date, for `expires`. */
export function formatExpires(d: Date): string {
  // Go's RFC 3339 (nano) drops the fraction's trailing zeros; notary-server re-serialises root.json
  // that way when it hashes it for snapshot.json, so any other form makes the hashes disagree.
  return d.toISOString().replace(/\.(\d*?)0+Z$/, (_m, f: string) => (f ? `.${f}Z` : 'Z'));
}

function validateSigned(c: Check, role: string, s: Obj): AnySigned {
  const type = c.str(s._type, '_type');
  const want = expectedType(role);
  if (type !== want) c.fail(`_type is "${type}", expected "${want}" for role ${role}`);
  c.str(s.expires, 'expires');
  c.int(s.version, 'version', 1);
  switch (want) {
    case 'Root': {
      const keys = checkKeys(c, s.keys, 'keys');
      const roles = c.obj(s.roles, 'roles');
      for (const r of TOP_ROLES) {
        if (!Object.hasOwn(roles, r)) c.fail(`roles has no "${r}" role`);
        checkRoleKeys(c, roles[r], `roles.${r}`, keys);
      }
      if (s.consistent_snapshot !== undefined && typeof s.consistent_snapshot !== 'boolean') {
        c.fail('consistent_snapshot must be a boolean');
      }
      break;
    }
    case 'Targets': {
      const targets = c.obj(s.targets, 'targets');
      for (const [name, v] of Object.entries(targets)) {
        if (name === '') c.fail('a target has an empty name');
        const f = c.obj(v, `targets["${name}"]`);
        c.int(f.length, `targets["${name}"].length`, 0);
        checkHashes(c, f.hashes, `targets["${name}"].hashes`);
      }
      if (s.delegations !== undefined && s.delegations !== null) {
        const d = c.obj(s.delegations, 'delegations');
        const keys = checkKeys(c, d.keys ?? {}, 'delegations.keys');
        if (!Array.isArray(d.roles)) c.fail('delegations.roles must be an array');
        if (d.roles.length > 1000) c.fail('delegations.roles has more than 1000 roles');
        const names = new Set<string>();
        d.roles.forEach((rv: unknown, i: number) => {
          const field = `delegations.roles[${i}]`;
          const r = c.obj(rv, field);
          const name = c.str(r.name, `${field}.name`);
          if (!isDelegatedRoleName(name) || parentRole(name) !== role) {
            c.fail(`delegated role name "${name}" is not a direct child of ${role}`);
          }
          if (names.has(name)) c.fail(`delegated role "${name}" is listed twice`);
          names.add(name);
          checkRoleKeys(c, r, field, keys);
          if (r.paths !== undefined && r.paths !== null) c.strArray(r.paths, `${field}.paths`);
          if (r.path_hash_prefixes !== undefined && r.path_hash_prefixes !== null) {
            const p = c.strArray(r.path_hash_prefixes, `${field}.path_hash_prefixes`);
            if (p.some((x) => !/^[0-9a-f]{0,64}$/.test(x)))
              c.fail(`${field}.path_hash_prefixes must be lowercase hex`);
          }
          if (Array.isArray(r.paths) && Array.isArray(r.path_hash_prefixes)) {
            c.fail(`${field} has both paths and path_hash_prefixes`);
          }
          if (r.terminating !== undefined && typeof r.terminating !== 'boolean') {
            c.fail(`${field}.terminating must be a boolean`);
          }
        });
      }
      break;
    }
    case 'Snapshot':
    case 'Timestamp': {
      const meta = c.obj(s.meta, 'meta');
      if (want === 'Timestamp' && !Object.hasOwn(meta, 'snapshot')) c.fail('meta has no "snapshot" entry');
      for (const [name, v] of Object.entries(meta)) {
        if (!isRoleName(name)) c.fail(`meta lists an invalid role name "${name}"`);
        const e = c.obj(v, `meta["${name}"]`);
        if (e.length !== undefined) c.int(e.length, `meta["${name}"].length`, 0);
        if (e.version !== undefined) c.int(e.version, `meta["${name}"].version`, 1);
        if (e.hashes !== undefined) checkHashes(c, e.hashes, `meta["${name}"].hashes`);
      }
      if (want === 'Timestamp') {
        const snap = meta.snapshot as Obj;
        if (snap.length === undefined || snap.hashes === undefined) {
          c.fail('meta.snapshot must give the snapshot length and hashes');
        }
      }
      break;
    }
  }
  return s as unknown as AnySigned;
}

/**
 * Parses one metadata file for `role` ("root", "targets", "targets/releases", ...): strict JSON
 * (duplicate keys, size, depth), the envelope, `_type`, and every field the client relies on.
 * Signatures are not verified here (verifyThreshold).
 */
export function parseSignedMetadata<T extends AnySigned = AnySigned>(
  bytes: Buffer,
  expectedRole: string,
  what: string,
  maxBytes = DEFAULT_MAX_JSON_BYTES,
): SignedMetadata<T> {
  const c: Check = new Check(what);
  if (!isRoleName(expectedRole)) c.fail(`invalid role name "${expectedRole}"`);
  const doc = parseStrictJson(bytes, what, maxBytes);
  if (!isObj(doc)) c.fail('metadata must be a JSON object');
  const signed = c.obj(doc.signed, 'signed');
  if (!Array.isArray(doc.signatures)) c.fail('signatures must be an array');
  if (doc.signatures.length > 1000) c.fail('more than 1000 signatures');
  const signatures = doc.signatures.map((sv: unknown, i: number) => {
    const s = c.obj(sv, `signatures[${i}]`);
    return {
      keyid: c.str(s.keyid, `signatures[${i}].keyid`),
      method: c.str(s.method, `signatures[${i}].method`),
      sig: c.str(s.sig, `signatures[${i}].sig`),
    };
  });
  const typed = validateSigned(c, expectedRole, signed);
  let canonical: Buffer;
  try {
    canonical = Buffer.from(canonicalJson(signed), 'utf8');
  } catch (err) {
    c.fail(err instanceof Error ? err.message : String(err));
  }
  const exp = parseRfc3339(typed.expires);
  if (!exp) c.fail(`expires "${typed.expires}" is not an RFC 3339 time`);
  return {
    role: expectedRole,
    signed: typed as T,
    signatures,
    canonical,
    raw: bytes,
    expiresMs: exp[0],
    expiresFrac: exp[1],
  };
}

/** True when the metadata has expired at `now` (expires <= now). */
export function isExpired(md: SignedMetadata, now: Date): boolean {
  const t = now.getTime();
  return md.expiresMs < t || (md.expiresMs === t && md.expiresFrac === 0);
}

/**
 * Checks that at least `role.threshold` distinct keys listed for the role made valid signatures
 * over the canonical bytes. Returns the key ids that verified; throws a UserError that says how
 * many verified and why the others did not count.
 */
export function verifyThreshold(
  md: SignedMetadata,
  role: RoleKeys,
  keys: Record<string, TufKey>,
  what: string,
): Set<string> {
  const valid = new Set<string>();
  const unlisted = new Set<string>();
  let invalid = 0;
  for (const sig of md.signatures) {
    const key = Object.hasOwn(keys, sig.keyid) ? keys[sig.keyid] : undefined;
    if (!role.keyids.includes(sig.keyid) || !key) {
      unlisted.add(sig.keyid);
      continue;
    }
    if (valid.has(sig.keyid)) continue;
    if (verifySig(key, sig.method, sig.sig, md.canonical)) valid.add(sig.keyid);
    else invalid++;
  }
  if (valid.size < role.threshold) {
    const why: string[] = [];
    if (invalid > 0) why.push(`${invalid} invalid signature(s)`);
    if (unlisted.size > 0) {
      why.push(
        `signed by key(s) not listed for the role: ${[...unlisted].map((k) => `${k.slice(0, 12)}…`).join(', ')}`,
      );
    }
    if (md.signatures.length === 0) why.push('no signatures');
    throw new UserError(
      `${what}: ${valid.size} valid signature(s), below the threshold of ${role.threshold}${why.length ? ` (${why.join('; ')})` : ''}`,
    );
  }
  return valid;
}

/** The bytes to publish: {"signed":<canonical>,"signatures":[...]} as Notary writes them. */
export function signMetadata(signed: object, signers: Signer[]): Buffer {
  const canonical = canonicalJson(signed);
  const data = Buffer.from(canonical, 'utf8');
  const signatures = signers.map((s) => {
    const { method, sig } = s.sign(data);
    return { keyid: s.keyId, method, sig };
  });
  return Buffer.from(`{"signed":${canonical},"signatures":${canonicalJson(signatures)}}`, 'utf8');
}

/** length + sha256 + sha512 of some bytes, as snapshot/timestamp/targets entries carry them. */
export function fileMeta(bytes: Buffer): { length: number; hashes: { sha256: string; sha512: string } } {
  return {
    length: bytes.length,
    hashes: {
      sha256: createHash('sha256').update(bytes).digest('base64'),
      sha512: createHash('sha512').update(bytes).digest('base64'),
    },
  };
}

/**
 * Checks bytes against an expected length (when given) and every sha256/sha512 hash given (at
 * least one is required). Throws a UserError naming `what`.
 */
export function checkLengthAndHashes(bytes: Buffer, expected: MetaEntry, what: string): void {
  if (expected.length !== undefined && bytes.length !== expected.length) {
    throw new UserError(
      `${what}: length is ${bytes.length} bytes, the signed metadata says ${expected.length}`,
    );
  }
  if (!expected.hashes) return;
  let checked = 0;
  for (const alg of ['sha256', 'sha512'] as const) {
    const want = expected.hashes[alg];
    if (want === undefined) continue;
    const got = createHash(alg).update(bytes).digest('base64');
    if (got !== want) throw new UserError(`${what}: ${alg} hash does not match the signed metadata`);
    checked++;
  }
  if (checked === 0) throw new UserError(`${what}: the signed metadata gives no sha256 or sha512 hash`);
}
