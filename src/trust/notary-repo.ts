// A Notary repository (one GUN) from the signer's side, as `docker trust` and the notary CLI
// drive it:
//
//   init     root key (ecdsa) with a self-signed ecdsa-x509 certificate CN=<GUN> valid 10 years,
//            a targets key (ecdsa), and the timestamp AND snapshot keys held by the server
//            (GET .../timestamp.key, .../snapshot.key); publishes root.json v1 + targets.json v1.
//   publish  updates from the server through the TUF client first (client.ts), applies changes
//            (targets added/removed, delegations), bumps versions, signs each changed role with
//            the keys in the key store (keystore.ts) and uploads them in one multipart POST; the
//            server signs snapshot and timestamp (unless we hold the snapshot key, Notary's
//            default for repositories made with `notary init`: then we sign snapshot too).
//   rotate   targets (new local key; root and targets re-signed), snapshot/timestamp (new key on
//            the server), root (new key + certificate; the new root is signed by old and new key).
//   signers  targets/releases + targets/<name> with the signer's keys, all paths (docker trust
//            signer add/remove).
//
// Verification (`verifyNotaryTag`) resolves a tag through the TUF client, preferring
// targets/releases and then targets, as Docker does.

import { createPublicKey, X509Certificate } from 'node:crypto';
import { UserError } from '../errors.js';
import { RegistryClient, type RegistryOptions } from '../image/registry/client.js';
import type { CredentialOptions } from '../image/registry/credentials.js';
import { formatReference, type Reference } from '../image/registry/reference.js';
import { type MetadataCache, TrustCache, type TrustPinning, trustDir } from './cache.js';
import { type TrustedRepo, updateRepository } from './client.js';
import {
  canonicalKeyId,
  generateSigner,
  keyId,
  type Signer,
  signerFromPrivatePem,
  type TufKey,
  tufKeyFromPublic,
} from './keys.js';
import { KeyStore, type PassphraseSource, parsePemBlock } from './keystore.js';
import {
  type DelegatedRole,
  type FileMeta,
  fileMeta,
  formatExpires,
  isDelegatedRoleName,
  parentRole,
  type RootSigned,
  type SnapshotSigned,
  signMetadata,
  type TargetsSigned,
  type TopRole,
} from './metadata.js';
import { NotaryRemote } from './notary-remote.js';

/** Notary's default expiries. */
const ROOT_YEARS = 10;
const TARGETS_YEARS = 3;
const SNAPSHOT_YEARS = 3;
/** Docker's release role: what `docker trust sign` signs into and what pulls prefer. */
export const RELEASES_ROLE = 'targets/releases';

export interface NotaryRepoOptions {
  /** Notary server URL (https://host:port). */
  server: string;
  /** PEM CA file for the server's certificate (added to the system store). */
  tlsCa?: string;
  /** Where keys and the trust cache live (default trustDir()). */
  trustDir?: string;
  /** Credentials for a server with token auth. */
  credentials?: CredentialOptions;
  passphrase?: PassphraseSource;
  pinning?: TrustPinning;
  /** The time verification uses (default: now). Signing always uses the real clock. */
  now?: Date;
  timeoutMs?: number;
}

export type Change =
  /** Signs a target into `roles` (default: the roles Docker would sign into, see signableRoles). */
  | { type: 'add-target'; name: string; meta: FileMeta; roles?: string[] }
  /** Removes a target from `roles` (default: every role we hold keys for that lists it). */
  | { type: 'remove-target'; name: string; roles?: string[] }
  /** Creates a delegation or adds keys/paths to it (Notary's `delegation add`). */
  | {
      type: 'add-delegation';
      role: string;
      keys: TufKey[];
      paths?: string[];
      allPaths?: boolean;
      threshold?: number;
    }
  /** Removes keys from a delegation (the role goes when it has none left). */
  | { type: 'remove-delegation-keys'; role: string; keyIds: string[] }
  /** Removes a delegation role from its parent. */
  | { type: 'remove-delegation'; role: string };

export interface PublishResult {
  gun: string;
  /** Role → the version published. */
  published: Record<string, number>;
}

export interface SignedTag {
  tag: string;
  digest: string;
  size: number;
  /** Roles that sign this tag ("targets" is the repository admin). */
  signers: string[];
}

export interface SignerInfo {
  /** Docker's signer name (the role without "targets/"). */
  name: string;
  role: string;
  keyIds: string[];
  threshold: number;
  paths: string[];
}

export interface RepoInspection {
  gun: string;
  signedTags: SignedTag[];
  signers: SignerInfo[];
  /** Root (certificate key ids and their canonical ids), targets, snapshot, timestamp. */
  administrativeKeys: { role: TopRole; keyIds: string[]; canonicalKeyIds: string[] }[];
}

/** The GUN of an image: registry host + repository, as Docker names trust data. */
export function gunOf(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** Target metadata for registry content: length + sha256 (base64), as `docker trust sign` writes it. */
export function targetForDigest(digest: string, size: number): FileMeta {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new UserError(`Notary targets need a sha256 digest, not "${digest}"`);
  if (!Number.isSafeInteger(size) || size < 0) throw new UserError(`invalid target size ${size}`);
  return { length: size, hashes: { sha256: Buffer.from(m[1] as string, 'hex').toString('base64') } };
}

/** Target metadata for a file's bytes: length + sha256 + sha512 (as `notary add` writes it). */
export function targetForBytes(bytes: Buffer): FileMeta {
  return fileMeta(bytes);
}

/**
 * A TUF key from a PEM public key ("PUBLIC KEY", as `docker trust key generate` writes <name>.pub)
 * or an X.509 certificate ("CERTIFICATE": ecdsa-x509/rsa-x509, as `notary delegation add` takes).
 */
export function keyFromPem(pem: string, what = 'public key'): TufKey {
  const block = parsePemBlock(pem, what);
  if (block.type === 'CERTIFICATE') {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block.der);
    } catch {
      throw new UserError(`${what}: cannot parse the certificate`);
    }
    const kind = cert.publicKey.asymmetricKeyType;
    if (kind !== 'ec' && kind !== 'rsa') {
      throw new UserError(`${what}: certificates must hold an ecdsa or rsa key, not ${kind}`);
    }
    const b64 = block.der.toString('base64').replace(/.{64}/g, '$&\n');
    const certPem = `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
    return {
      keytype: kind === 'ec' ? 'ecdsa-x509' : 'rsa-x509',
      keyval: { public: Buffer.from(certPem, 'latin1').toString('base64'), private: null },
    };
  }
  if (block.type === 'PUBLIC KEY') {
    try {
      return tufKeyFromPublic(createPublicKey({ key: block.der, format: 'der', type: 'spki' }));
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`${what}: cannot parse the public key`);
    }
  }
  throw new UserError(`${what}: expected a PEM "PUBLIC KEY" or "CERTIFICATE", found "${block.type}"`);
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * `expires` in whole seconds. notary-server re-marshals root.json with Go's RFC 3339 (trailing zeros
 * of the fraction dropped) when it hashes it for snapshot.json, so a time like ".660Z" would make
 * the server's snapshot list a root hash that is not the root it serves.
 */
function yearsFromNow(years: number, now = new Date()): string {
  const d = new Date(Math.floor(now.getTime() / 1000) * 1000);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return formatExpires(d);
}

function emptyTargets(version: number): TargetsSigned {
  return {
    _type: 'Targets',
    delegations: { keys: {}, roles: [] },
    expires: yearsFromNow(TARGETS_YEARS),
    targets: {},
    version,
  };
}

function covers(d: DelegatedRole, name: string): boolean {
  if (Array.isArray(d.paths)) return d.paths.some((p) => name.startsWith(p));
  return false;
}

/** The working copy of a repository's signed content while changes are applied. */
interface Working {
  root: RootSigned;
  rootChanged: boolean;
  /** Root signers beyond the current root keys (root rotation: the old key signs too). */
  extraRootSigners: Signer[];
  roles: Map<string, TargetsSigned>;
  changed: Set<string>;
  /** The last verified snapshot (when we sign snapshot ourselves). */
  snapshot?: SnapshotSigned;
}

export class NotaryRepository {
  readonly gun: string;
  readonly remote: NotaryRemote;
  readonly keys: KeyStore;
  readonly cache: TrustCache;
  private readonly opts: NotaryRepoOptions;

  constructor(gun: string, opts: NotaryRepoOptions) {
    this.opts = opts;
    this.remote = new NotaryRemote(gun, {
      server: opts.server,
      ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
    this.gun = this.remote.gun;
    const dir = opts.trustDir ?? trustDir();
    this.keys = new KeyStore({ trustDir: dir, ...(opts.passphrase ? { passphrase: opts.passphrase } : {}) });
    this.cache = TrustCache.forGun(this.gun, dir);
  }

  close(): void {
    this.remote.close();
  }

  /** True when the server has trust data (a root.json) for the GUN. */
  async isPublished(): Promise<boolean> {
    return (await this.remote.get('root.json', 4 * 1024 * 1024)) !== undefined;
  }

  /** Runs the TUF client against the server (verifies everything, refreshes the local cache). */
  async update(now = this.opts.now): Promise<TrustedRepo> {
    return updateRepository(this.gun, this.remote, this.cache as MetadataCache, {
      ...(now ? { now } : {}),
      ...(this.opts.pinning ? { pinning: this.opts.pinning } : {}),
    });
  }

  // ---- keys ------------------------------------------------------------------------------------

  /** A signer for a listed key, when the key store has its private key. */
  private async signerFor(key: TufKey): Promise<Signer | undefined> {
    const cid = canonicalKeyId(key);
    if (!this.keys.has(cid)) return undefined;
    const loaded = await this.keys.load(cid);
    if (key.keytype === 'ecdsa-x509' || key.keytype === 'rsa-x509') {
      const certPem = Buffer.from(key.keyval.public, 'base64').toString('latin1');
      return signerFromPrivatePem(loaded.privatePem, { certificate: certPem });
    }
    const s = signerFromPrivatePem(loaded.privatePem);
    if (s.keyId !== keyId(key)) return undefined;
    return s;
  }

  private hasKeyFor(keyids: string[], keys: Record<string, TufKey>): boolean {
    return keyids.some((id) => {
      const k = Object.hasOwn(keys, id) ? keys[id] : undefined;
      return !!k && this.keys.has(canonicalKeyId(k));
    });
  }

  /** Signers for a role: at least `threshold` of its listed keys, or a UserError. */
  private async signersFor(
    role: string,
    spec: { keyids: string[]; threshold: number },
    keys: Record<string, TufKey>,
  ): Promise<Signer[]> {
    const out: Signer[] = [];
    for (const id of spec.keyids) {
      const k = Object.hasOwn(keys, id) ? keys[id] : undefined;
      if (!k) continue;
      const s = await this.signerFor(k);
      if (s) out.push(s);
      if (out.length >= spec.threshold) break;
    }
    if (out.length < Math.max(1, spec.threshold)) {
      throw new UserError(
        `no private key for the ${role} role of ${this.gun} in ${this.keys.dir} (need ${spec.threshold} of ${spec.keyids.map((k) => `${k.slice(0, 12)}…`).join(', ') || 'no keys'})`,
      );
    }
    return out;
  }

  private delegationOf(w: Working, role: string): { spec: DelegatedRole; keys: Record<string, TufKey> } {
    const parent = w.roles.get(parentRole(role));
    const spec = parent?.delegations?.roles.find((r) => r.name === role);
    if (!parent || !spec) throw new UserError(`${this.gun} has no delegation ${role}`);
    return { spec, keys: parent.delegations?.keys ?? {} };
  }

  /** True when the key store holds a key of `role` (targets or a delegation). */
  private canSign(w: Working, role: string): boolean {
    if (role === 'targets') return this.hasKeyFor(w.root.roles.targets.keyids, w.root.keys);
    const parent = w.roles.get(parentRole(role));
    const spec = parent?.delegations?.roles.find((r) => r.name === role);
    return !!spec && this.hasKeyFor(spec.keyids, parent?.delegations?.keys ?? {});
  }

  /** Roles Docker signs a target into: the delegations we hold keys for, else targets (no delegations). */
  signableRoles(w: Working, name: string): string[] {
    const all: DelegatedRole[] = [];
    const walk = (role: string) => {
      for (const d of w.roles.get(role)?.delegations?.roles ?? []) {
        all.push(d);
        walk(d.name);
      }
    };
    walk('targets');
    if (all.length === 0) return ['targets'];
    const out: string[] = [];
    for (const d of all) {
      const keys = w.roles.get(parentRole(d.name))?.delegations?.keys ?? {};
      if (covers(d, name) && this.hasKeyFor(d.keyids, keys)) out.push(d.name);
    }
    if (out.length === 0) {
      throw new UserError(
        `no signing key for any delegation of ${this.gun} (${all.map((d) => d.name).join(', ')}) in ${this.keys.dir}: load a signer key with "trust key load"`,
      );
    }
    return out;
  }

  // ---- working copy ------------------------------------------------------------------------------

  private workingFrom(repo: TrustedRepo): Working {
    const roles = new Map<string, TargetsSigned>();
    for (const [name, md] of repo.roles) roles.set(name, clone(md.signed));
    return {
      root: clone(repo.root.signed),
      rootChanged: false,
      extraRootSigners: [],
      roles,
      changed: new Set(),
      snapshot: clone(repo.snapshot.signed),
    };
  }

  private roleForWrite(w: Working, role: string): TargetsSigned {
    let t = w.roles.get(role);
    if (!t) {
      if (role === 'targets') throw new UserError(`${this.gun} has no targets metadata`);
      this.delegationOf(w, role); // must be delegated
      t = emptyTargets(0);
      w.roles.set(role, t);
    }
    w.changed.add(role);
    return t;
  }

  private apply(w: Working, c: Change): void {
    switch (c.type) {
      case 'add-target': {
        if (!c.name || c.name.length > 1024) throw new UserError('invalid target name');
        const roles = c.roles && c.roles.length > 0 ? c.roles : this.signableRoles(w, c.name);
        for (const r of roles) {
          if (r !== 'targets' && !isDelegatedRoleName(r)) throw new UserError(`invalid role "${r}"`);
          if (r !== 'targets') {
            const { spec } = this.delegationOf(w, r);
            if (!covers(spec, c.name))
              throw new UserError(`delegation ${r} of ${this.gun} may not sign "${c.name}" (paths)`);
          }
          this.roleForWrite(w, r).targets[c.name] = clone(c.meta);
        }
        return;
      }
      case 'remove-target': {
        let roles = c.roles;
        if (!roles || roles.length === 0) {
          const listing = [...w.roles.entries()]
            .filter(([, t]) => Object.hasOwn(t.targets, c.name))
            .map(([r]) => r);
          if (listing.length === 0) throw new UserError(`"${c.name}" is not signed in ${this.gun}`);
          roles = listing.filter((r) => this.canSign(w, r));
          if (roles.length === 0) {
            throw new UserError(
              `"${c.name}" is signed in ${this.gun} by ${listing.join(', ')}, and ${this.keys.dir} holds no key for them`,
            );
          }
        }
        for (const r of roles) {
          const t = w.roles.get(r);
          if (!t || !Object.hasOwn(t.targets, c.name)) continue;
          delete this.roleForWrite(w, r).targets[c.name];
        }
        return;
      }
      case 'add-delegation': {
        if (!isDelegatedRoleName(c.role)) {
          throw new UserError(`invalid delegation role "${c.role}" (targets/<name>)`);
        }
        if (
          c.keys.length === 0 &&
          !w.roles.get(parentRole(c.role))?.delegations?.roles.some((r) => r.name === c.role)
        ) {
          throw new UserError(`a new delegation ${c.role} needs at least one key`);
        }
        const parentName = parentRole(c.role);
        if (!w.roles.has(parentName))
          throw new UserError(`${this.gun} has no role ${parentName} to delegate from`);
        const parent = this.roleForWrite(w, parentName);
        parent.delegations ??= { keys: {}, roles: [] };
        const d = parent.delegations;
        const ids = c.keys.map((k) => {
          const id = keyId(k);
          d.keys[id] = { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } };
          return id;
        });
        const paths = c.allPaths ? [''] : (c.paths ?? []);
        let role = d.roles.find((r) => r.name === c.role);
        if (!role) {
          role = { keyids: [], name: c.role, paths: [], threshold: c.threshold ?? 1 };
          d.roles.push(role);
        }
        for (const id of ids) if (!role.keyids.includes(id)) role.keyids.push(id);
        role.paths ??= [];
        for (const p of paths) if (!role.paths.includes(p)) role.paths.push(p);
        if (c.threshold !== undefined) role.threshold = c.threshold;
        if (role.threshold < 1 || role.threshold > role.keyids.length) {
          throw new UserError(
            `delegation ${c.role}: threshold ${role.threshold} with ${role.keyids.length} key(s)`,
          );
        }
        return;
      }
      case 'remove-delegation-keys':
      case 'remove-delegation': {
        const parentName = parentRole(c.role);
        const parentNow = w.roles.get(parentName);
        const idx = parentNow?.delegations?.roles.findIndex((r) => r.name === c.role) ?? -1;
        if (!parentNow || idx < 0) throw new UserError(`${this.gun} has no delegation ${c.role}`);
        const parent = this.roleForWrite(w, parentName);
        const d = parent.delegations as NonNullable<TargetsSigned['delegations']>;
        const role = d.roles[idx] as DelegatedRole;
        if (c.type === 'remove-delegation') {
          d.roles.splice(idx, 1);
        } else {
          role.keyids = role.keyids.filter((k) => !c.keyIds.includes(k));
          if (role.keyids.length === 0) d.roles.splice(idx, 1);
          else role.threshold = Math.min(role.threshold, role.keyids.length);
        }
        // keys no delegation of this parent refers to any more
        const used = new Set(d.roles.flatMap((r) => r.keyids));
        for (const k of Object.keys(d.keys)) if (!used.has(k)) delete d.keys[k];
        return;
      }
    }
  }

  /** Signs the changed roles and uploads them; returns what was published. */
  private async commit(
    w: Working,
    first: boolean,
  ): Promise<{ result: PublishResult; files: Map<string, Buffer> }> {
    const files = new Map<string, Buffer>();
    const published: Record<string, number> = {};
    const now = new Date();
    if (w.rootChanged) {
      if (!first) w.root.version += 1;
      w.root.expires = yearsFromNow(ROOT_YEARS, now);
      const signers = await this.signersFor('root', w.root.roles.root, w.root.keys);
      const all = [...signers];
      for (const s of w.extraRootSigners) if (!all.some((x) => x.keyId === s.keyId)) all.push(s);
      files.set('root', signMetadata(w.root, all));
      published.root = w.root.version;
    }
    // parents before children does not matter for signing; sort for a stable upload order
    for (const role of [...w.changed].sort()) {
      const t = w.roles.get(role) as TargetsSigned;
      if (!first || role !== 'targets') t.version += 1;
      t.expires = yearsFromNow(TARGETS_YEARS, now);
      let signers: Signer[];
      if (role === 'targets') {
        signers = await this.signersFor('targets', w.root.roles.targets, w.root.keys);
      } else {
        const { spec, keys } = this.delegationOf(w, role);
        signers = await this.signersFor(role, spec, keys);
      }
      files.set(role, signMetadata(t, signers));
      published[role] = t.version;
    }
    // We sign snapshot only when we hold a snapshot key (client-managed snapshot).
    if (!this.hasKeyFor(w.root.roles.snapshot.keyids, w.root.keys)) {
      // server-managed
    } else if (files.size > 0) {
      const prev = w.snapshot;
      const sn: SnapshotSigned = prev
        ? clone(prev)
        : { _type: 'Snapshot', expires: '', meta: {}, version: 0 };
      for (const [role, bytes] of files) sn.meta[role] = fileMeta(bytes);
      sn.version += 1;
      sn.expires = yearsFromNow(SNAPSHOT_YEARS, now);
      const signers = await this.signersFor('snapshot', w.root.roles.snapshot, w.root.keys);
      files.set('snapshot', signMetadata(sn, signers));
      published.snapshot = sn.version;
    }
    if (files.size > 0) await this.remote.publish(files);
    return { result: { gun: this.gun, published }, files };
  }

  // ---- operations --------------------------------------------------------------------------------

  /**
   * Creates the repository: root key (an existing root key from the key store, or a new one) with a
   * self-signed certificate CN=<GUN> for 10 years, a new targets key, server-managed timestamp and
   * snapshot keys; publishes root.json + targets.json (with `changes` applied, if any).
   */
  async initialize(opts: { rootKeyId?: string; changes?: Change[] } = {}): Promise<PublishResult> {
    if (await this.isPublished()) {
      throw new UserError(`${this.gun} already has trust data on ${this.remote.server}`);
    }
    let rootId = opts.rootKeyId;
    if (!rootId) rootId = this.keys.find('root')[0]?.keyId;
    let rootPem: string;
    if (rootId) {
      rootPem = (await this.keys.load(rootId)).privatePem;
    } else {
      const g = generateSigner('ecdsa');
      rootId = await this.keys.add(g.privatePem, 'root');
      rootPem = g.privatePem;
    }
    const rootSigner = signerFromPrivatePem(rootPem, { asX509: { commonName: this.gun, years: ROOT_YEARS } });
    const targets = generateSigner('ecdsa');
    const targetsId = await this.keys.add(targets.privatePem, 'targets', this.gun);
    const timestampKey = await this.remote.getKey('timestamp');
    const snapshotKey = await this.remote.getKey('snapshot');
    const ids = {
      root: rootSigner.keyId,
      targets: targetsId,
      snapshot: keyId(snapshotKey),
      timestamp: keyId(timestampKey),
    };
    const root: RootSigned = {
      _type: 'Root',
      consistent_snapshot: false,
      expires: yearsFromNow(ROOT_YEARS),
      keys: {
        [ids.root]: rootSigner.publicKey,
        [ids.targets]: targets.publicKey,
        [ids.snapshot]: snapshotKey,
        [ids.timestamp]: timestampKey,
      },
      roles: {
        root: { keyids: [ids.root], threshold: 1 },
        snapshot: { keyids: [ids.snapshot], threshold: 1 },
        targets: { keyids: [ids.targets], threshold: 1 },
        timestamp: { keyids: [ids.timestamp], threshold: 1 },
      },
      version: 1,
    };
    const w: Working = {
      root,
      rootChanged: true,
      extraRootSigners: [],
      roles: new Map([['targets', emptyTargets(1)]]),
      changed: new Set(['targets']),
    };
    for (const c of opts.changes ?? []) this.apply(w, c);
    // A new repository: forget whatever an earlier repository of this GUN left in the cache.
    this.cache.clear();
    const { result, files } = await this.commit(w, true);
    // Our own root is the trust anchor (trust on first use of what the server echoes is not needed).
    const rootBytes = files.get('root');
    if (rootBytes) this.cache.commit(new Map([['root', rootBytes]]));
    await this.update();
    return result;
  }

  /** Applies changes and publishes them (initialising the repository first when `init` allows). */
  async publish(changes: Change[], opts: { init?: boolean } = {}): Promise<PublishResult> {
    if (opts.init && !(await this.isPublished())) return this.initialize({ changes });
    const repo = await this.update();
    const w = this.workingFrom(repo);
    for (const c of changes) this.apply(w, c);
    const { result } = await this.commit(w, false);
    await this.update();
    return result;
  }

  /** Signs `name` (a tag) → meta into the signable roles (or `roles`). */
  async addTarget(
    name: string,
    meta: FileMeta,
    opts: { roles?: string[]; init?: boolean } = {},
  ): Promise<PublishResult> {
    return this.publish([{ type: 'add-target', name, meta, ...(opts.roles ? { roles: opts.roles } : {}) }], {
      ...(opts.init ? { init: true } : {}),
    });
  }

  /** Revokes a signed tag: removes it from every role we can sign and publishes. */
  async removeTarget(name: string, opts: { roles?: string[] } = {}): Promise<PublishResult> {
    return this.publish([{ type: 'remove-target', name, ...(opts.roles ? { roles: opts.roles } : {}) }]);
  }

  /**
   * `docker trust signer add NAME`: the keys join targets/releases and a targets/NAME role, both
   * for all paths (the repository is initialised first when it has no trust data).
   */
  async addSigner(name: string, keys: TufKey[]): Promise<PublishResult> {
    checkSignerName(name);
    if (keys.length === 0) throw new UserError(`signer ${name}: no public key given`);
    return this.publish(
      [
        { type: 'add-delegation', role: RELEASES_ROLE, keys, allPaths: true },
        { type: 'add-delegation', role: `targets/${name}`, keys, allPaths: true },
      ],
      { init: true },
    );
  }

  /** `docker trust signer remove NAME`: drops targets/NAME and the signer's keys from targets/releases. */
  async removeSigner(name: string): Promise<PublishResult> {
    const repo = await this.update();
    const top = repo.roles.get('targets')?.signed;
    const role = top?.delegations?.roles.find((r) => r.name === `targets/${name}`);
    if (!role) throw new UserError(`${this.gun} has no signer "${name}"`);
    const changes: Change[] = [{ type: 'remove-delegation', role: `targets/${name}` }];
    const releases = top?.delegations?.roles.find((r) => r.name === RELEASES_ROLE);
    const others = new Set(
      (top?.delegations?.roles ?? [])
        .filter((r) => r.name !== RELEASES_ROLE && r.name !== role.name)
        .flatMap((r) => r.keyids),
    );
    const drop = releases ? role.keyids.filter((k) => releases.keyids.includes(k) && !others.has(k)) : [];
    if (drop.length > 0) changes.push({ type: 'remove-delegation-keys', role: RELEASES_ROLE, keyIds: drop });
    const w = this.workingFrom(repo);
    for (const c of changes) this.apply(w, c);
    const { result } = await this.commit(w, false);
    await this.update();
    return result;
  }

  /**
   * Rotates a key. targets/root: a new local key (root: new certificate, new root signed by old
   * and new key). snapshot: on the server (serverManaged, default) or a new local key. timestamp:
   * always on the server.
   */
  async rotateKey(
    role: TopRole,
    opts: { serverManaged?: boolean } = {},
  ): Promise<{ role: TopRole; keyId: string; published: Record<string, number> }> {
    const repo = await this.update();
    const w = this.workingFrom(repo);
    const root = w.root;
    let newKey: TufKey;
    if (role === 'timestamp' || (role === 'snapshot' && opts.serverManaged !== false)) {
      newKey = await this.remote.rotateKey(role);
    } else if (role === 'snapshot' || role === 'targets') {
      const g = generateSigner('ecdsa');
      await this.keys.add(g.privatePem, role, this.gun);
      newKey = g.publicKey;
    } else {
      // root: the old root keys sign the new root too
      for (const id of root.roles.root.keyids) {
        const k = root.keys[id];
        const s = k ? await this.signerFor(k) : undefined;
        if (s) w.extraRootSigners.push(s);
      }
      if (w.extraRootSigners.length < root.roles.root.threshold) {
        throw new UserError(`no private key for the current root of ${this.gun}: cannot rotate the root key`);
      }
      const g = generateSigner('ecdsa');
      await this.keys.add(g.privatePem, 'root');
      newKey = signerFromPrivatePem(g.privatePem, {
        asX509: { commonName: this.gun, years: ROOT_YEARS },
      }).publicKey;
    }
    const id = keyId(newKey);
    const old = root.roles[role].keyids;
    root.keys[id] = newKey;
    root.roles[role] = { keyids: [id], threshold: 1 };
    const stillUsed = new Set(
      (['root', 'targets', 'snapshot', 'timestamp'] as const).flatMap((r) => root.roles[r].keyids),
    );
    for (const k of old) if (!stillUsed.has(k)) delete root.keys[k];
    w.rootChanged = true;
    // targets must be re-signed by the new targets key for the server to accept the new root
    if (role === 'targets') w.changed.add('targets');
    const { published } = (await this.commit(w, false)).result;
    await this.update();
    return { role, keyId: id, published };
  }

  /** Signed tags, signers and administrative keys (docker trust inspect). */
  async inspect(): Promise<RepoInspection> {
    const repo = await this.update();
    return inspectRepo(repo);
  }
}

/**
 * `trust key generate NAME`: a new ecdsa signer key, stored encrypted (role targets/NAME), and its
 * public key as a PEM "PUBLIC KEY" with a `role: NAME` header (what `docker trust key generate`
 * writes to NAME.pub), for `trust signer add`.
 */
export async function generateSignerKey(
  name: string,
  opts: { trustDir?: string; passphrase?: PassphraseSource } = {},
): Promise<{ keyId: string; publicPem: string }> {
  checkSignerName(name);
  const ks = new KeyStore(opts);
  const g = generateSigner('ecdsa');
  const id = await ks.add(g.privatePem, `targets/${name}`);
  return { keyId: id, publicPem: publicKeyPem(g.publicKey, name) };
}

/** `trust key load FILE --name NAME`: imports a private key PEM (encrypted keys need `sourcePassphrase`). */
export async function loadSignerKey(
  pem: string,
  name: string,
  opts: { trustDir?: string; passphrase?: PassphraseSource; sourcePassphrase?: string } = {},
): Promise<{ keyId: string; publicPem: string }> {
  checkSignerName(name);
  const ks = new KeyStore(opts);
  const id = await ks.import(pem, {
    role: `targets/${name}`,
    ...(opts.sourcePassphrase !== undefined ? { sourcePassphrase: opts.sourcePassphrase } : {}),
  });
  const loaded = await ks.load(id);
  return { keyId: id, publicPem: publicKeyPem(tufKeyFromPublic(createPublicKey(loaded.key)), name) };
}

function publicKeyPem(k: TufKey, name: string): string {
  const der =
    k.keytype === 'ed25519'
      ? createPublicKey({
          key: {
            kty: 'OKP',
            crv: 'Ed25519',
            x: Buffer.from(k.keyval.public, 'base64').toString('base64url'),
          },
          format: 'jwk',
        }).export({ type: 'spki', format: 'der' })
      : Buffer.from(k.keyval.public, 'base64');
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN PUBLIC KEY-----\nrole: ${name}\n\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END PUBLIC KEY-----\n`;
}

function checkSignerName(name: string): void {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name) || name === 'releases') {
    throw new UserError(
      `invalid signer name "${name}" (lower-case letters, digits, ".", "_", "-"; not "releases")`,
    );
  }
}

/** What `trust inspect` shows for a verified repository. */
export function inspectRepo(repo: TrustedRepo): RepoInspection {
  const byTag = new Map<string, SignedTag>();
  const names = new Set<string>();
  for (const md of repo.roles.values()) for (const n of Object.keys(md.signed.targets)) names.add(n);
  for (const tag of names) {
    // the digest a pull resolves to (releases first), signed by every role listing that digest
    const e = repo.lookup(tag, { roles: [RELEASES_ROLE, 'targets'] });
    if (!e?.sha256) continue;
    const want = Buffer.from(e.sha256, 'hex').toString('base64');
    const signers: string[] = [];
    for (const [role, md] of repo.roles) {
      const meta = Object.hasOwn(md.signed.targets, tag) ? md.signed.targets[tag] : undefined;
      if (meta?.hashes.sha256 !== want) continue;
      if (repo.lookup(tag, { roles: [role] })?.role === role) signers.push(role);
    }
    byTag.set(tag, { tag, digest: `sha256:${e.sha256}`, size: e.length, signers: signers.sort() });
  }
  const signers: SignerInfo[] = [];
  const walk = (role: string) => {
    for (const d of repo.roles.get(role)?.signed.delegations?.roles ?? []) {
      signers.push({
        name: d.name.slice('targets/'.length),
        role: d.name,
        keyIds: [...d.keyids],
        threshold: d.threshold,
        paths: [...(d.paths ?? [])],
      });
      walk(d.name);
    }
  };
  walk('targets');
  const root = repo.root.signed;
  const administrativeKeys = (['root', 'targets', 'snapshot', 'timestamp'] as const).map((r) => ({
    role: r,
    keyIds: [...root.roles[r].keyids],
    canonicalKeyIds: root.roles[r].keyids.map((id) => {
      const k = root.keys[id];
      return k ? canonicalKeyId(k) : id;
    }),
  }));
  return {
    gun: repo.gun,
    signedTags: [...byTag.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0)),
    signers,
    administrativeKeys,
  };
}

/**
 * `trust sign`: resolves the image tag in the registry (manifest digest + size) and publishes it as
 * a signed target, initialising the repository on first use (as Docker does).
 */
export async function signImage(
  ref: Reference,
  opts: NotaryRepoOptions & { registry?: RegistryOptions; roles?: string[] },
): Promise<{ gun: string; tag: string; digest: string; size: number; published: Record<string, number> }> {
  if (!ref.tag) throw new UserError(`${formatReference(ref)}: Notary signs tags; name the tag to sign`);
  const client = new RegistryClient(ref, opts.registry ?? {});
  let manifest: { data: Buffer; digest: string };
  try {
    manifest = await client.getManifest(ref.digest ?? ref.tag);
  } finally {
    await client.close();
  }
  if (!manifest.digest.startsWith('sha256:')) {
    throw new UserError(`${formatReference(ref)}: Notary targets need a sha256 manifest digest`);
  }
  const gun = gunOf(ref);
  const repo = new NotaryRepository(gun, opts);
  try {
    const meta = targetForDigest(manifest.digest, manifest.data.length);
    const { published } = await repo.addTarget(ref.tag, meta, {
      init: true,
      ...(opts.roles ? { roles: opts.roles } : {}),
    });
    return { gun, tag: ref.tag, digest: manifest.digest, size: manifest.data.length, published };
  } finally {
    repo.close();
  }
}

/**
 * The gate's Notary check: the signed digest and size of `ref`'s tag, from verified trust data
 * (targets/releases first, then targets, unless `roles` says otherwise). UserError when the tag
 * has no valid signed target.
 */
export async function verifyNotaryTag(
  ref: Reference,
  opts: {
    server: string;
    tlsCa?: string;
    trustDir?: string;
    now?: Date;
    roles?: string[];
    pinning?: TrustPinning;
    credentials?: CredentialOptions;
  },
): Promise<{ digest: string; size: number; role: string }> {
  const gun = gunOf(ref);
  const remote = new NotaryRemote(gun, {
    server: opts.server,
    ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
  try {
    const cache = TrustCache.forGun(gun, opts.trustDir ?? trustDir());
    const repo = await updateRepository(gun, remote, cache, {
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.pinning ? { pinning: opts.pinning } : {}),
    });
    const roles = opts.roles && opts.roles.length > 0 ? opts.roles : [RELEASES_ROLE, 'targets'];
    const want = ref.digest;
    if (!ref.tag) {
      // by digest only: any signed tag with that digest in the roles asked for
      for (const t of repo.targets()) {
        const e = repo.lookup(t.name, { roles });
        if (e?.sha256 && `sha256:${e.sha256}` === want) return { digest: want, size: e.length, role: e.role };
      }
      throw new UserError(`no signed tag of ${gun} has digest ${want} (roles ${roles.join(', ')})`);
    }
    const e = repo.lookup(ref.tag, { roles });
    if (!e) {
      throw new UserError(
        `no valid signature for ${gun}:${ref.tag} in the trust data (roles ${roles.join(', ')})`,
      );
    }
    if (!e.sha256) throw new UserError(`the signed target ${gun}:${ref.tag} (${e.role}) has no sha256 hash`);
    const digest = `sha256:${e.sha256}`;
    if (want && want !== digest) {
      throw new UserError(`${gun}:${ref.tag} is signed for ${digest}, not ${want}`);
    }
    return { digest, size: e.length, role: e.role };
  } finally {
    remote.close();
  }
}
