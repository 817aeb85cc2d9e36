// Validation of a client's update and the server-signed snapshot and timestamp, following
// notary-server 0.7 (server/handlers/validation.go, server/timestamp, server/snapshot):
//
//  1. root: when uploaded, its version is the current one or the next; it is signed by a
//     threshold of its own root keys and, when a root is stored, by a threshold of the stored
//     root's keys. Root keys count only as x509 certificates whose CN is the GUN (or a "prefix*"
//     wildcard), not a CA and valid now. Without a stored root, the update must carry one.
//  2. targets and delegations (parents before children): signed by a threshold of the keys the
//     root (targets) or the parent's delegations (targets/...) list for the role; not expired.
//  3. snapshot: a client-signed one is checked against the root's snapshot keys and must carry
//     the hashes of the root and of every targets role of the update; without one, the server
//     signs the next snapshot when it holds the root's snapshot key.
//  4. timestamp: always signed by the server (a client's timestamp is ignored).
//  5. all of it is stored in one transaction; a version not newer than the stored one is a
//     rollback (VERSION).

import { parseStrictJson } from '../cjson.js';
import { validRootCerts } from '../client.js';
import type { Signer, TufKey } from '../keys.js';
import {
  checkLengthAndHashes,
  fileMeta,
  formatExpires,
  isExpired,
  type MetaEntry,
  parentRole,
  parseRfc3339,
  parseSignedMetadata,
  type RootSigned,
  type SignedMetadata,
  type SnapshotSigned,
  signMetadata,
  type TargetsSigned,
  type TimestampSigned,
  verifyThreshold,
} from '../metadata.js';
import { badHierarchy, invalidUpdate, NotaryHttpError, notFound, type ValidationKind } from './errors.js';
import type { ServerKeys } from './server-keys.js';
import { type MetaUpdate, sha256hex, type TrustStore, type TufFile } from './store.js';

/** Largest metadata file the server accepts for one role. */
export const MAX_ROLE_BYTES = 4 * 1024 * 1024;

const DAY = 24 * 3600 * 1000;
/** Notary's default expiry of server-signed metadata. */
export const SNAPSHOT_EXPIRY_MS = 3 * 365 * DAY;
export const TIMESTAMP_EXPIRY_MS = 14 * DAY;

export interface UploadedRole {
  role: string;
  version: number;
  data: Buffer;
}

const BASE_ROLES = new Set(['root', 'targets', 'snapshot', 'timestamp']);

/** Notary's data.ValidRole: a base role, or targets/<a>[/<b>...] of [-a-z0-9_/], clean, < 256. */
export function isValidNotaryRole(role: string): boolean {
  if (BASE_ROLES.has(role)) return true;
  if (!role.startsWith('targets/') || role.length >= 256 || !/^[-a-z0-9_/]+$/.test(role)) return false;
  return role.split('/').every((seg) => seg !== '');
}

/**
 * Decodes one uploaded part as notary-server does before validation (JSON into the common
 * envelope): invalid JSON, a non-integer version or an unreadable `expires` → MALFORMED_JSON.
 */
export function decodeUploadedRole(role: string, data: Buffer, maxBytes = MAX_ROLE_BYTES): UploadedRole {
  if (data.length > maxBytes) {
    throw invalidUpdate(
      'ErrValidation',
      `${role}: ${data.length} bytes is larger than the limit of ${maxBytes} bytes`,
    );
  }
  let doc: unknown;
  try {
    doc = parseStrictJson(data, role, maxBytes);
  } catch (e) {
    throw new NotaryHttpError('MALFORMED_JSON', (e as Error).message);
  }
  const bad = (msg: string) => new NotaryHttpError('MALFORMED_JSON', `${role}: ${msg}`);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('not a JSON object');
  const env = doc as Record<string, unknown>;
  const signed = env.signed;
  if (typeof signed !== 'object' || signed === null || Array.isArray(signed))
    throw bad('"signed" is not an object');
  const s = signed as Record<string, unknown>;
  if (s._type !== undefined && typeof s._type !== 'string') throw bad('"_type" is not a string');
  if (s.version !== undefined && (typeof s.version !== 'number' || !Number.isSafeInteger(s.version))) {
    throw bad('"version" is not an integer');
  }
  if (s.expires !== undefined && (typeof s.expires !== 'string' || !parseRfc3339(s.expires))) {
    throw bad('"expires" is not an RFC 3339 time');
  }
  if (env.signatures !== undefined && env.signatures !== null && !Array.isArray(env.signatures)) {
    throw bad('"signatures" is not an array');
  }
  return { role, version: (s.version as number | undefined) ?? 0, data };
}

function kindOf(role: string): ValidationKind {
  if (role === 'root') return 'ErrBadRoot';
  if (role === 'snapshot') return 'ErrBadSnapshot';
  return 'ErrBadTargets';
}

/** Runs a check, turning its (UserError) message into the role's INVALID_UPDATE kind. */
function check<T>(role: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NotaryHttpError) throw e;
    throw invalidUpdate(kindOf(role), (e as Error).message);
  }
}

function parseTrusted<T extends SignedMetadata>(row: TufFile, what: string): T {
  try {
    return parseSignedMetadata(row.data, row.role, `stored ${what}`) as T;
  } catch (e) {
    throw new NotaryHttpError(
      'UNKNOWN',
      `stored ${row.role} of ${row.gun} cannot be read: ${(e as Error).message}`,
    );
  }
}

/**
 * The root keys that count (trustpinning.validRootLeafCerts), with Notary's one-day leeway for a
 * certificate that starts in the future (clock skew).
 */
export function validRootKeys(root: RootSigned, gun: string, now?: Date): Record<string, TufKey> {
  const out: Record<string, TufKey> = {};
  for (const [id, c] of validRootCerts(root, gun, now, DAY)) out[id] = c.key;
  return out;
}

function expiryCheck(md: SignedMetadata, now: Date): void {
  if (isExpired(md, now)) throw invalidUpdate(kindOf(md.role), `${md.role} expired at ${md.signed.expires}`);
}

export interface UpdateContext {
  store: TrustStore;
  keys: ServerKeys;
  now: Date;
}

/** The root a new update must chain from (trusted: it was validated when it was stored). */
export async function currentRoot(
  store: TrustStore,
  gun: string,
): Promise<SignedMetadata<RootSigned> | undefined> {
  const row = await store.getCurrent(gun, 'root');
  return row ? parseTrusted<SignedMetadata<RootSigned>>(row, 'root') : undefined;
}

/** Validates an update and returns everything to store: the client's roles plus the server's. */
export async function validateUpdate(
  ctx: UpdateContext,
  gun: string,
  uploaded: UploadedRole[],
): Promise<MetaUpdate[]> {
  const { store, now } = ctx;
  const roles = new Map<string, UploadedRole>();
  for (const u of uploaded) roles.set(u.role, u);
  const toApply: MetaUpdate[] = [];
  // bytes of every role loaded for this update, for the snapshot's hashes
  const loaded = new Map<string, Buffer>();

  // ---- root
  const stored = await currentRoot(store, gun);
  let root: SignedMetadata<RootSigned>;
  const rootUpdate = roles.get('root');
  if (rootUpdate) {
    const cur = stored?.signed.version ?? 1;
    if (rootUpdate.version !== cur && rootUpdate.version !== cur + 1) {
      throw invalidUpdate(
        'ErrBadRoot',
        `Root modifications must increment the version. Current ${cur}, new ${rootUpdate.version}`,
      );
    }
    root = check('root', () => {
      const md = parseSignedMetadata<RootSigned>(rootUpdate.data, 'root', 'root');
      const own = validRootKeys(md.signed, gun, now);
      if (Object.keys(own).length === 0) {
        throw new Error(
          `no valid root certificate for ${gun} (root keys must be x509 certificates with CN=${gun}, valid now)`,
        );
      }
      if (stored) {
        const prev = validRootKeys(stored.signed, gun);
        const prevIds = Object.keys(prev);
        if (prevIds.length === 0)
          throw new Error('the stored root has no valid root certificate for this GUN');
        try {
          verifyThreshold(
            md,
            { keyids: prevIds, threshold: stored.signed.roles.root.threshold },
            prev,
            'new root',
          );
        } catch (e) {
          throw new Error(
            `root rotation is not signed by a threshold of the current root keys: ${(e as Error).message}`,
          );
        }
      }
      verifyThreshold(
        md,
        { keyids: Object.keys(own), threshold: md.signed.roles.root.threshold },
        own,
        'root',
      );
      return md;
    });
    expiryCheck(root, now);
    toApply.push({ role: 'root', version: root.signed.version, data: root.raw });
  } else if (stored) {
    root = stored;
  } else {
    throw invalidUpdate('ErrValidation', 'no pre-existing root and no root provided in update.');
  }
  loaded.set('root', root.raw);

  // ---- targets and delegations, shallow first
  const targetsLoaded = new Map<string, SignedMetadata<TargetsSigned>>();
  const targetsRoles = [...roles.keys()]
    .filter((r) => r === 'targets' || r.startsWith('targets/'))
    .sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0));
  for (const role of targetsRoles) {
    const ancestors: string[] = [];
    for (let r = role; r !== 'targets'; ) {
      r = parentRole(r);
      if (!targetsLoaded.has(r)) ancestors.unshift(r);
    }
    for (const a of ancestors) {
      const row = await store.getCurrent(gun, a);
      if (!row) continue;
      targetsLoaded.set(a, parseTrusted<SignedMetadata<TargetsSigned>>(row, a));
      loaded.set(a, row.data);
    }
    const upd = roles.get(role) as UploadedRole;
    const md = check(role, () => {
      const m = parseSignedMetadata<TargetsSigned>(upd.data, role, role);
      if (role === 'targets') {
        verifyThreshold(m, root.signed.roles.targets, root.signed.keys, 'targets');
      } else {
        const parentName = parentRole(role);
        const parent = targetsLoaded.get(parentName);
        if (!parent) throw new Error(`${role}: its parent ${parentName} is not published`);
        const entry = parent.signed.delegations?.roles.find((d) => d.name === role);
        if (!entry) throw new Error(`${role} is not a delegation of ${parentName}`);
        verifyThreshold(m, entry, parent.signed.delegations?.keys ?? {}, role);
      }
      return m;
    });
    expiryCheck(md, now);
    targetsLoaded.set(role, md);
    loaded.set(role, md.raw);
    toApply.push({ role, version: md.signed.version, data: md.raw });
  }

  // ---- snapshot
  let snapshotBytes: Buffer;
  const snapUpdate = roles.get('snapshot');
  if (snapUpdate) {
    const md = check('snapshot', () => {
      const m = parseSignedMetadata<SnapshotSigned>(snapUpdate.data, 'snapshot', 'snapshot');
      for (const r of ['root', 'targets']) {
        if (!m.signed.meta[r]?.hashes?.sha256)
          throw new Error(`snapshot is missing ${r} sha256 checksum information`);
      }
      verifyThreshold(m, root.signed.roles.snapshot, root.signed.keys, 'snapshot');
      return m;
    });
    expiryCheck(md, now);
    check('snapshot', () => {
      for (const [r, bytes] of loaded) {
        const entry = md.signed.meta[r];
        if (!entry?.hashes) throw new Error(`snapshot has no checksum for ${r}`);
        checkLengthAndHashes(bytes, { hashes: entry.hashes }, `snapshot entry for ${r}`);
      }
    });
    snapshotBytes = md.raw;
    toApply.push({ role: 'snapshot', version: md.signed.version, data: md.raw });
  } else {
    const signers = await ctx.keys.signersFor(gun, 'snapshot', root.signed.roles.snapshot);
    if (signers.length < root.signed.roles.snapshot.threshold) {
      throw badHierarchy(
        'snapshot',
        'no snapshot was included in update and server does not hold current snapshot key for repository',
      );
    }
    const prevRow = await store.getCurrent(gun, 'snapshot');
    const prev = prevRow ? parseTrusted<SignedMetadata<SnapshotSigned>>(prevRow, 'snapshot') : undefined;
    if (!prev && !targetsLoaded.has('targets')) {
      throw invalidUpdate('ErrValidation', 'the first update of a repository must include targets');
    }
    snapshotBytes = makeSnapshot(prev, loaded, signers, now);
    toApply.push({ role: 'snapshot', version: (prev?.signed.version ?? 0) + 1, data: snapshotBytes });
  }

  // ---- timestamp, always by the server
  const tsSigners = await ctx.keys.signersFor(gun, 'timestamp', root.signed.roles.timestamp);
  if (tsSigners.length < root.signed.roles.timestamp.threshold) {
    throw invalidUpdate('ErrBadRoot', 'no  timestamp keys exist on the server');
  }
  const prevTs = await store.getCurrent(gun, 'timestamp');
  const tsVersion =
    (prevTs ? parseTrusted<SignedMetadata<TimestampSigned>>(prevTs, 'timestamp').signed.version : 0) + 1;
  toApply.push({
    role: 'timestamp',
    version: tsVersion,
    data: makeTimestamp(tsVersion, snapshotBytes, tsSigners, now),
  });
  return toApply;
}

/** The next snapshot: the previous meta with the loaded roles' current length and hashes. */
function makeSnapshot(
  prev: SignedMetadata<SnapshotSigned> | undefined,
  loaded: Map<string, Buffer>,
  signers: Signer[],
  now: Date,
): Buffer {
  const meta: Record<string, MetaEntry> = {};
  if (prev) {
    for (const [r, e] of Object.entries(prev.signed.meta)) meta[r] = e;
  }
  for (const [r, bytes] of loaded) meta[r] = fileMeta(bytes);
  return signMetadata(
    {
      _type: 'Snapshot',
      expires: formatExpires(new Date(now.getTime() + SNAPSHOT_EXPIRY_MS)),
      meta,
      version: (prev?.signed.version ?? 0) + 1,
    },
    signers,
  );
}

function makeTimestamp(version: number, snapshot: Buffer, signers: Signer[], now: Date): Buffer {
  return signMetadata(
    {
      _type: 'Timestamp',
      expires: formatExpires(new Date(now.getTime() + TIMESTAMP_EXPIRY_MS)),
      meta: { snapshot: fileMeta(snapshot) },
      version,
    },
    signers,
  );
}

/**
 * The current timestamp for GET timestamp.json / snapshot.json. When it (or the snapshot it
 * names) has expired and the server holds the keys, signs new ones first (timestamp.go
 * GetOrCreateTimestamp); otherwise serves what is stored.
 */
export async function currentTimestamp(
  ctx: UpdateContext,
  gun: string,
): Promise<{ timestamp: TufFile; snapshot: TufFile }> {
  const { store, now } = ctx;
  const tsRow = await store.getCurrent(gun, 'timestamp');
  if (!tsRow) throw notFound();
  const ts = parseTrusted<SignedMetadata<TimestampSigned>>(tsRow, 'timestamp');
  const sum = ts.signed.meta.snapshot.hashes?.sha256;
  const snapRow = sum
    ? await store.getChecksum(gun, 'snapshot', Buffer.from(sum, 'base64').toString('hex'))
    : undefined;
  if (!snapRow) throw notFound();
  const snap = parseTrusted<SignedMetadata<SnapshotSigned>>(snapRow, 'snapshot');
  if (!isExpired(ts, now) && !isExpired(snap, now)) return { timestamp: tsRow, snapshot: snapRow };

  const root = await currentRoot(store, gun);
  if (!root) return { timestamp: tsRow, snapshot: snapRow };
  const updates: MetaUpdate[] = [];
  let snapBytes = snapRow.data;
  if (isExpired(snap, now)) {
    const signers = await ctx.keys.signersFor(gun, 'snapshot', root.signed.roles.snapshot);
    const latest = await store.getCurrent(gun, 'snapshot');
    if (signers.length >= root.signed.roles.snapshot.threshold && latest) {
      const prev = parseTrusted<SignedMetadata<SnapshotSigned>>(latest, 'snapshot');
      snapBytes = makeSnapshot(prev, new Map([['root', root.raw]]), signers, now);
      updates.push({ role: 'snapshot', version: prev.signed.version + 1, data: snapBytes });
    }
  }
  const tsSigners = await ctx.keys.signersFor(gun, 'timestamp', root.signed.roles.timestamp);
  if (tsSigners.length < root.signed.roles.timestamp.threshold)
    return { timestamp: tsRow, snapshot: snapRow };
  const version = ts.signed.version + 1;
  const tsBytes = makeTimestamp(version, snapBytes, tsSigners, now);
  updates.push({ role: 'timestamp', version, data: tsBytes });
  await store.updateMany(gun, updates, now);
  const created = now.toISOString();
  const mk = (role: string, v: number, data: Buffer): TufFile => ({
    gun,
    role,
    version: v,
    sha256: sha256hex(data),
    data,
    created,
  });
  const newSnap = updates.find((u) => u.role === 'snapshot');
  return {
    timestamp: mk('timestamp', version, tsBytes),
    snapshot: newSnap ? mk('snapshot', newSnap.version, newSnap.data) : snapRow,
  };
}
