// The TUF client workflow for a Notary repository (one GUN):
//
//   1. root: the cached root (or, first time, the server's root.json accepted under the trust
//      pinning: TOFU, pinned certificate ids or a pinned CA), then N+1.root.json, N+2... until the
//      server has none; each new root must carry the previous root's threshold of the previous
//      root keys AND its own threshold of its own keys. Root keys are x509 certificates whose CN
//      is the GUN (Notary's rule). The final root must not have expired.
//   2. timestamp (at most 1 MiB), signed by the root's timestamp keys, not older than the cached
//      one, not expired.
//   3. snapshot: exactly the length and hashes the timestamp gives; snapshot keys; no rollback
//      (its version, and the versions it lists); not expired; its root entry must be our root.
//   4. targets and every delegation the snapshot lists: length/hashes/version from the snapshot,
//      keys from the root (targets) or from the parent's delegations, thresholds, no rollback
//      against the cache, not expired.
//
// All expiry checks use ONE time taken at the start (opts.now). Nothing is written to the cache
// unless the whole update verified; then each changed file is replaced atomically.
// Target lookup walks the delegation tree in order (pre-order, depth first) and only descends
// into a delegation whose paths (Notary: prefixes) or path_hash_prefixes cover the target name;
// a terminating delegation that does not have the target ends the search.

import { createHash, type X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { MetadataCache, TrustPinning } from './cache.js';
import { canonicalKeyId, certificatesOf, commonNameOf, parsePemCertificates, type TufKey } from './keys.js';
import {
  checkLengthAndHashes,
  type DelegatedRole,
  type Hashes,
  isExpired,
  type MetaEntry,
  parseSignedMetadata,
  type RootSigned,
  type SignedMetadata,
  type SnapshotSigned,
  type TargetsSigned,
  type TimestampSigned,
  verifyThreshold,
} from './metadata.js';

/** Where metadata comes from. `get` returns undefined for "not found" (404) and must not return more than maxBytes. */
export interface TufRemote {
  get(path: string, maxBytes: number): Promise<Buffer | undefined>;
}

export interface UpdateOptions {
  /** The one time all expiry checks use (default: the time the update starts). */
  now?: Date;
  pinning?: TrustPinning;
  /** How many root versions one update may step through (default 1000). */
  maxRootRotations?: number;
}

export interface TargetEntry {
  name: string;
  length: number;
  /** Algorithm → base64 digest, as signed. */
  hashes: Hashes;
  /** The sha256 digest in hex, when the target has one (registry digests are sha256:<hex>). */
  sha256?: string;
  /** The role whose metadata signs this target ("targets", "targets/releases", ...). */
  role: string;
  custom?: unknown;
}

export interface TrustedRepo {
  gun: string;
  now: Date;
  root: SignedMetadata<RootSigned>;
  timestamp: SignedMetadata<TimestampSigned>;
  snapshot: SignedMetadata<SnapshotSigned>;
  /** targets and every delegation that verified, by role name. */
  roles: Map<string, SignedMetadata<TargetsSigned>>;
  /** Roles whose metadata this update wrote to the cache. */
  updated: string[];
  /** Every target name with the entry lookup() resolves it to. */
  targets(): TargetEntry[];
  /** The signed entry for a target (tag), or undefined. With `roles`, tries those roles in order (Notary's GetTargetByName). */
  lookup(name: string, opts?: { roles?: string[] }): TargetEntry | undefined;
}

export const MAX_ROOT_BYTES = 4 * 1024 * 1024;
/** Notary's MaxTimestampSize. */
export const MAX_TIMESTAMP_BYTES = 1024 * 1024;
/** For a targets/delegation file when the snapshot gives no length. */
export const DEFAULT_MAX_ROLE_BYTES = 4 * 1024 * 1024;
const MAX_DELEGATED_ROLES = 1000;

function fmtTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Runs the whole TUF update for `gun` and returns the verified repository. */
export async function updateRepository(
  gun: string,
  remote: TufRemote,
  cache: MetadataCache,
  opts: UpdateOptions = {},
): Promise<TrustedRepo> {
  const now = new Date((opts.now ?? new Date()).getTime());
  const pinning = opts.pinning ?? {};
  const toWrite = new Map<string, Buffer>();
  const where = `trust data for ${gun}`;

  const cachedMeta = (role: string): SignedMetadata | undefined => {
    const bytes = cache.read(role);
    if (!bytes) return undefined;
    try {
      return parseSignedMetadata(bytes, role, `cached ${role}.json`);
    } catch (err) {
      throw new UserError(
        `${where}: the local trust cache is corrupt (${err instanceof Error ? err.message : String(err)}); remove it to start over`,
      );
    }
  };

  // 1. root ------------------------------------------------------------------------------------
  const cachedRoot = cachedMeta('root') as SignedMetadata<RootSigned> | undefined;
  let root: SignedMetadata<RootSigned>;
  if (cachedRoot) {
    root = cachedRoot;
  } else {
    const bytes = await remote.get('root.json', MAX_ROOT_BYTES);
    if (!bytes)
      throw new UserError(
        `${where}: the trust server has no root.json: the repository has no trust data (never signed)`,
      );
    root = parseSignedMetadata<RootSigned>(bytes, 'root', `root.json for ${gun}`, MAX_ROOT_BYTES);
    const keys = trustedRootKeys(root, gun, pinning, now, true, 'root.json');
    verifyThreshold(root, root.signed.roles.root, keys, `root.json for ${gun}`);
    toWrite.set('root', bytes);
  }
  const startRoot = root;
  const maxRotations = opts.maxRootRotations ?? 1000;
  for (let step = 0; ; step++) {
    const next = root.signed.version + 1;
    const name = `${next}.root.json`;
    const bytes = await remote.get(name, MAX_ROOT_BYTES);
    if (!bytes) break;
    if (step >= maxRotations)
      throw new UserError(`${where}: more than ${maxRotations} root rotations in one update`);
    const md = parseSignedMetadata<RootSigned>(bytes, 'root', `${name} for ${gun}`, MAX_ROOT_BYTES);
    if (md.signed.version !== next) {
      throw new UserError(
        `${name} for ${gun}: has version ${md.signed.version}, expected ${next} (rollback or replay of an old root)`,
      );
    }
    const oldKeys = rootCertKeys(root, gun, undefined);
    try {
      verifyThreshold(
        md,
        { keyids: Object.keys(oldKeys), threshold: root.signed.roles.root.threshold },
        oldKeys,
        name,
      );
    } catch (err) {
      throw new UserError(
        `${name} for ${gun}: root rotation not signed by the previous root's threshold of previous root keys: ${
          err instanceof Error ? err.message.replace(`${name}: `, '') : String(err)
        }`,
      );
    }
    const newKeys = trustedRootKeys(md, gun, pinning, now, false, name);
    verifyThreshold(md, md.signed.roles.root, newKeys, `${name} for ${gun} (its own root keys)`);
    root = md;
    toWrite.set('root', bytes);
  }
  if (root === cachedRoot) {
    // no rotation: the pinning may have changed since the first use, and certificates expire
    const keys = trustedRootKeys(root, gun, pinning, now, false, 'cached root.json');
    verifyThreshold(root, root.signed.roles.root, keys, `cached root.json for ${gun}`);
  }
  if (isExpired(root, now)) {
    throw new UserError(
      `root.json v${root.signed.version} for ${gun}: expired at ${fmtTime(root.expiresMs)} (freeze attack or stale repository)`,
    );
  }
  const rootKeys = root.signed.keys;
  const rolesOf = root.signed.roles;
  const keysChanged = (r: 'timestamp' | 'snapshot') =>
    [...startRoot.signed.roles[r].keyids].sort().join() !== [...rolesOf[r].keyids].sort().join();

  // 2. timestamp -------------------------------------------------------------------------------
  const tsBytes = await remote.get('timestamp.json', MAX_TIMESTAMP_BYTES);
  if (!tsBytes) throw new UserError(`${where}: the server has no timestamp.json`);
  const timestamp = parseSignedMetadata<TimestampSigned>(
    tsBytes,
    'timestamp',
    `timestamp.json for ${gun}`,
    MAX_TIMESTAMP_BYTES,
  );
  verifyThreshold(timestamp, rolesOf.timestamp, rootKeys, `timestamp.json for ${gun}`);
  const cachedTs = keysChanged('timestamp')
    ? undefined
    : (cachedMeta('timestamp') as SignedMetadata<TimestampSigned>);
  checkRollback(timestamp, cachedTs, `timestamp.json for ${gun}`);
  checkFresh(timestamp, now, `timestamp.json for ${gun}`);
  toWrite.set('timestamp', tsBytes);

  // 3. snapshot --------------------------------------------------------------------------------
  const snapEntry = timestamp.signed.meta.snapshot;
  const snapBytes = await remote.get('snapshot.json', snapEntry.length ?? DEFAULT_MAX_ROLE_BYTES);
  if (!snapBytes) throw new UserError(`${where}: the server has no snapshot.json`);
  checkLengthAndHashes(snapBytes, snapEntry, `snapshot.json for ${gun} (against timestamp.json)`);
  const snapshot = parseSignedMetadata<SnapshotSigned>(snapBytes, 'snapshot', `snapshot.json for ${gun}`);
  verifyThreshold(snapshot, rolesOf.snapshot, rootKeys, `snapshot.json for ${gun}`);
  checkListedVersion(snapshot, snapEntry, `snapshot.json for ${gun}`, 'timestamp.json');
  const cachedSnap = keysChanged('snapshot')
    ? undefined
    : (cachedMeta('snapshot') as SignedMetadata<SnapshotSigned>);
  checkRollback(snapshot, cachedSnap, `snapshot.json for ${gun}`);
  if (cachedSnap) {
    for (const [role, old] of Object.entries(cachedSnap.signed.meta)) {
      const cur = snapshot.signed.meta[role];
      if (old.version !== undefined && cur?.version !== undefined && cur.version < old.version) {
        throw new UserError(
          `snapshot.json for ${gun}: lists ${role} version ${cur.version}, older than the trusted version ${old.version} (rollback)`,
        );
      }
    }
  }
  checkFresh(snapshot, now, `snapshot.json for ${gun}`);
  const rootEntry = snapshot.signed.meta.root;
  if (rootEntry) {
    try {
      checkLengthAndHashes(root.raw, rootEntry, 'root.json');
    } catch {
      throw new UserError(
        `snapshot.json for ${gun}: lists a root that is not the trusted root.json v${root.signed.version} (incomplete rotation chain or mix-and-match)`,
      );
    }
  }
  toWrite.set('snapshot', snapBytes);

  // 4. targets and delegations -------------------------------------------------------------------
  const roles = new Map<string, SignedMetadata<TargetsSigned>>();
  const fetchRole = async (
    role: string,
    keyRole: { keyids: string[]; threshold: number },
    keys: Record<string, TufKey>,
  ): Promise<SignedMetadata<TargetsSigned> | undefined> => {
    const entry = snapshot.signed.meta[role];
    if (!entry) {
      if (role === 'targets') throw new UserError(`snapshot.json for ${gun}: does not list targets`);
      return undefined; // Notary: a delegation nothing was published for yet
    }
    const what = `${role}.json for ${gun}`;
    const bytes = await remote.get(`${role}.json`, entry.length ?? DEFAULT_MAX_ROLE_BYTES);
    if (!bytes) throw new UserError(`${what}: listed in snapshot.json but not on the server`);
    checkLengthAndHashes(bytes, entry, `${what} (against snapshot.json)`);
    const md = parseSignedMetadata<TargetsSigned>(bytes, role, what);
    verifyThreshold(md, keyRole, keys, what);
    checkListedVersion(md, entry, what, 'snapshot.json');
    checkRollback(md, cachedMeta(role), what);
    checkFresh(md, now, what);
    toWrite.set(role, bytes);
    return md;
  };

  const top = await fetchRole('targets', rolesOf.targets, rootKeys);
  if (!top) throw new UserError(`${where}: no targets metadata`);
  roles.set('targets', top);
  const queue: string[] = ['targets'];
  while (queue.length > 0) {
    const parentName = queue.shift() as string;
    const parent = roles.get(parentName) as SignedMetadata<TargetsSigned>;
    const d = parent.signed.delegations;
    if (!d) continue;
    for (const child of d.roles) {
      if (roles.has(child.name)) continue;
      if (roles.size >= MAX_DELEGATED_ROLES)
        throw new UserError(`${where}: more than ${MAX_DELEGATED_ROLES} delegated roles`);
      const md = await fetchRole(child.name, child, d.keys);
      if (!md) continue;
      roles.set(child.name, md);
      queue.push(child.name);
    }
  }

  // 5. all verified: write what changed ----------------------------------------------------------
  const updated: string[] = [];
  for (const [role, bytes] of toWrite) {
    const old = cache.read(role);
    if (!old?.equals(bytes)) updated.push(role);
    else toWrite.delete(role);
  }
  cache.commit(toWrite);

  return makeTrustedRepo(gun, now, root, timestamp, snapshot, roles, updated);
}

function checkRollback(md: SignedMetadata, cached: SignedMetadata | undefined, what: string): void {
  if (cached && md.signed.version < cached.signed.version) {
    throw new UserError(
      `${what}: version ${md.signed.version} is older than the trusted version ${cached.signed.version} (rollback)`,
    );
  }
}

function checkFresh(md: SignedMetadata, now: Date, what: string): void {
  if (isExpired(md, now)) {
    throw new UserError(`${what}: expired at ${fmtTime(md.expiresMs)} (freeze attack or stale repository)`);
  }
}

function checkListedVersion(md: SignedMetadata, entry: MetaEntry, what: string, lister: string): void {
  if (entry.version !== undefined && md.signed.version !== entry.version) {
    throw new UserError(
      `${what}: version ${md.signed.version}, but ${lister} lists version ${entry.version} (mix-and-match)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Root certificates and trust pinning (Notary's trustpinning rules)

/** Notary's MatchCNToGun: exact, or a "prefix*" wildcard CN. */
function cnMatchesGun(cn: string | undefined, gun: string): boolean {
  if (cn === undefined) return false;
  if (cn.endsWith('*')) return gun.startsWith(cn.replace(/\*+$/, ''));
  return cn === gun;
}

function certTimes(c: X509Certificate): [number, number] {
  return [Date.parse(c.validFrom), Date.parse(c.validTo)];
}

function validAt(c: X509Certificate, now: Date, skewMs = 0): boolean {
  const [from, to] = certTimes(c);
  const t = now.getTime();
  return Number.isFinite(from) && Number.isFinite(to) && from <= to && from <= t + skewMs && t <= to;
}

export interface RootCert {
  key: TufKey;
  leaf: X509Certificate;
  intermediates: X509Certificate[];
}

/**
 * The root keys that count (Notary's validRootLeafCerts), for the client and the trust server:
 * x509 keys of the root role whose bundle holds exactly one leaf certificate, first, with a CN that
 * names the GUN and (with `now`) valid then; `skewMs` lets a certificate start that much later.
 */
export function validRootCerts(root: RootSigned, gun: string, now?: Date, skewMs = 0): Map<string, RootCert> {
  const out = new Map<string, RootCert>();
  for (const id of root.roles.root.keyids) {
    const key = Object.hasOwn(root.keys, id) ? root.keys[id] : undefined;
    if (!key || (key.keytype !== 'ecdsa-x509' && key.keytype !== 'rsa-x509')) continue;
    let certs: X509Certificate[];
    try {
      certs = certificatesOf(key);
    } catch {
      continue;
    }
    const [leaf, ...rest] = certs;
    if (!leaf || leaf.ca || rest.some((c) => !c.ca)) continue;
    if (!cnMatchesGun(commonNameOf(leaf), gun)) continue;
    if (now && !validAt(leaf, now, skewMs)) continue;
    out.set(id, { key, leaf, intermediates: rest });
  }
  return out;
}

function rootCerts(
  root: SignedMetadata<RootSigned>,
  gun: string,
  now: Date | undefined,
): Map<string, RootCert> {
  return validRootCerts(root.signed, gun, now);
}

function rootCertKeys(
  root: SignedMetadata<RootSigned>,
  gun: string,
  now: Date | undefined,
): Record<string, TufKey> {
  const keys: Record<string, TufKey> = {};
  for (const [id, c] of rootCerts(root, gun, now)) keys[id] = c.key;
  return keys;
}

type PinCheck = (id: string, c: RootCert) => boolean;

function pinChecker(
  gun: string,
  pinning: TrustPinning,
  now: Date,
  firstUse: boolean,
): { check: PinCheck; mode: string } {
  const certs = pinning.certs ?? {};
  let ids: string[] | undefined = Object.hasOwn(certs, gun) ? certs[gun] : undefined;
  if (!ids) {
    let longest = '';
    for (const [k, v] of Object.entries(certs)) {
      if (k.endsWith('*') && gun.startsWith(k.slice(0, -1)) && k.length > longest.length) {
        longest = k;
        ids = v;
      }
    }
  }
  if (ids) {
    const pinned = new Set(ids);
    return {
      mode: `pinned certificate ids (${ids.map((i) => i.slice(0, 12)).join(', ')})`,
      check: (id, c) => pinned.has(id) || pinned.has(canonicalKeyId(c.key)),
    };
  }
  let caSource: string | undefined;
  let caPrefix = '';
  for (const [prefix, src] of Object.entries(pinning.ca ?? {})) {
    if (gun.startsWith(prefix) && (caSource === undefined || prefix.length >= caPrefix.length)) {
      caPrefix = prefix;
      caSource = src;
    }
  }
  if (caSource !== undefined) {
    const pool = loadCaPool(caSource, now);
    return {
      mode: `the CA pinned for "${caPrefix}"`,
      check: (_id, c) => chainsTo(c.leaf, c.intermediates, pool, now, 0),
    };
  }
  if (pinning.disableTofu && firstUse) {
    throw new UserError(
      `trust data for ${gun}: trust on first use is disabled and no certificate or CA is pinned for it`,
    );
  }
  return { mode: 'trust on first use', check: () => true };
}

function loadCaPool(src: string, now: Date): X509Certificate[] {
  let pem = src;
  if (!src.includes('-----BEGIN')) {
    try {
      pem = readFileSync(src, 'latin1');
    } catch (err) {
      throw new UserError(`trust pinning: cannot read the CA file ${src}: ${(err as Error).message}`);
    }
  }
  const certs = parsePemCertificates(
    pem,
    `trust pinning CA ${src.includes('-----BEGIN') ? '(inline)' : src}`,
  );
  const valid = certs.filter((c) => c.ca && validAt(c, now));
  if (valid.length === 0)
    throw new UserError(
      `trust pinning: no valid CA certificate in ${src.includes('-----BEGIN') ? 'the pinned CA' : src}`,
    );
  return valid;
}

function chainsTo(
  cert: X509Certificate,
  ints: X509Certificate[],
  pool: X509Certificate[],
  now: Date,
  depth: number,
): boolean {
  for (const ca of pool) {
    if (cert.checkIssued(ca) && cert.verify(ca.publicKey)) return true;
  }
  if (depth >= 5) return false;
  for (const ic of ints) {
    if (ic === cert || !validAt(ic, now)) continue;
    if (cert.checkIssued(ic) && cert.verify(ic.publicKey) && chainsTo(ic, ints, pool, now, depth + 1))
      return true;
  }
  return false;
}

/**
 * The root keys a root may be verified with: x509 leaf certificates with CN = GUN, valid at
 * `now`, that pass the trust pinning. Throws when none does.
 */
function trustedRootKeys(
  root: SignedMetadata<RootSigned>,
  gun: string,
  pinning: TrustPinning,
  now: Date,
  firstUse: boolean,
  what: string,
): Record<string, TufKey> {
  const certs = rootCerts(root, gun, now);
  if (certs.size === 0) {
    throw new UserError(
      `${what} for ${gun}: no root key is a valid x509 certificate with CN=${gun} at ${now.toISOString()}`,
    );
  }
  const { check, mode } = pinChecker(gun, pinning, now, firstUse);
  const keys: Record<string, TufKey> = {};
  for (const [id, c] of certs) if (check(id, c)) keys[id] = c.key;
  if (Object.keys(keys).length === 0) {
    throw new UserError(`${what} for ${gun}: no root certificate matches the trust pinning (${mode})`);
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Lookup

function delegationCovers(d: DelegatedRole, name: string): boolean {
  if (Array.isArray(d.paths)) return d.paths.some((p) => name.startsWith(p));
  if (Array.isArray(d.path_hash_prefixes)) {
    const hex = createHash('sha256').update(name, 'utf8').digest('hex');
    return d.path_hash_prefixes.some((p) => hex.startsWith(p));
  }
  return false;
}

const STOP = Symbol('terminating');

function makeTrustedRepo(
  gun: string,
  now: Date,
  root: SignedMetadata<RootSigned>,
  timestamp: SignedMetadata<TimestampSigned>,
  snapshot: SignedMetadata<SnapshotSigned>,
  roles: Map<string, SignedMetadata<TargetsSigned>>,
  updated: string[],
): TrustedRepo {
  const entryOf = (role: string, name: string): TargetEntry | undefined => {
    const t = roles.get(role)?.signed.targets;
    if (!t || !Object.hasOwn(t, name)) return undefined;
    const f = t[name];
    if (!f) return undefined;
    const sha = f.hashes.sha256;
    return {
      name,
      length: f.length,
      hashes: { ...f.hashes },
      ...(sha ? { sha256: Buffer.from(sha, 'base64').toString('hex') } : {}),
      role,
      ...(f.custom !== undefined ? { custom: f.custom } : {}),
    };
  };

  const walk = (
    role: string,
    name: string,
    skip: Set<string>,
    depth: number,
  ): TargetEntry | typeof STOP | undefined => {
    if (depth > 64 || skip.has(role)) return undefined;
    const found = entryOf(role, name);
    if (found) return found;
    for (const d of roles.get(role)?.signed.delegations?.roles ?? []) {
      if (!delegationCovers(d, name)) continue;
      const r = walk(d.name, name, skip, depth + 1);
      if (r) return r;
      if (d.terminating) return STOP;
    }
    return undefined;
  };

  /** True when every delegation from targets down to `role` covers `name`. */
  const reachable = (role: string, name: string): boolean => {
    if (role === 'targets') return true;
    if (!roles.has(role)) return false;
    const parent = role.slice(0, role.lastIndexOf('/'));
    const d = roles.get(parent)?.signed.delegations?.roles.find((r) => r.name === role);
    return !!d && delegationCovers(d, name) && reachable(parent, name);
  };

  const lookup = (name: string, opts?: { roles?: string[] }): TargetEntry | undefined => {
    const order = opts?.roles && opts.roles.length > 0 ? opts.roles : ['targets'];
    for (const start of order) {
      if (!reachable(start, name)) continue;
      const skip = new Set(order.filter((r) => r !== start));
      const r = walk(start, name, skip, 0);
      if (r && r !== STOP) return r;
    }
    return undefined;
  };

  return {
    gun,
    now,
    root,
    timestamp,
    snapshot,
    roles,
    updated,
    lookup,
    targets() {
      const names = new Set<string>();
      for (const md of roles.values()) for (const n of Object.keys(md.signed.targets)) names.add(n);
      const out: TargetEntry[] = [];
      for (const n of [...names].sort()) {
        const e = lookup(n);
        if (e) out.push(e);
      }
      return out;
    },
  };
}

/**
 * Checks fetched bytes (e.g. a registry manifest) against a signed target: the exact length and
 * every sha256/sha512 hash it lists.
 */
export function checkTarget(entry: TargetEntry, bytes: Buffer): void {
  checkLengthAndHashes(
    bytes,
    { length: entry.length, hashes: entry.hashes },
    `target "${entry.name}" (${entry.role})`,
  );
}
