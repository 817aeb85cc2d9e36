// The keys the trust server holds: the timestamp key of every repository and, when the client
// rotated it to the server (`notary key rotate GUN snapshot -r`), the snapshot key. Like
// notary-server with its signer: GET <role>.key returns the key the current root lists for the
// role (creating one when the server holds none yet), POST <role>.key always creates a new one
// (the client then publishes a root that lists it).
//
// Private keys are PKCS#8 PEM in the store, encrypted (aes-256-cbc, PKCS#8 PBES2) when the
// server has a passphrase (DRYDOCK_TRUST_SERVER_PASSPHRASE).

import { createPrivateKey } from 'node:crypto';
import { UserError } from '../../errors.js';
import { generateSigner, keyId, type Signer, signerFromPrivatePem, type TufKey } from '../keys.js';
import type { RoleKeys, RootSigned } from '../metadata.js';
import type { StoredKey, TrustStore } from './store.js';

export type ServerKeyAlgorithm = 'ecdsa' | 'ed25519';
export type ServerRole = 'timestamp' | 'snapshot';

export class ServerKeys {
  private readonly signers = new Map<string, Signer>();

  constructor(
    private readonly store: TrustStore,
    private readonly algorithm: ServerKeyAlgorithm = 'ecdsa',
    private readonly passphrase?: string,
  ) {}

  /** The public key as the key endpoints answer it (Notary's field order). */
  static publicJson(k: TufKey): string {
    return JSON.stringify({ keytype: k.keytype, keyval: { public: k.keyval.public, private: null } });
  }

  async create(gun: string, role: ServerRole, now: Date): Promise<TufKey> {
    const s = generateSigner(this.algorithm);
    const pem = this.passphrase
      ? createPrivateKey(s.privatePem)
          .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: this.passphrase })
          .toString()
      : s.privatePem;
    const row: StoredKey = {
      gun,
      role,
      keyid: s.keyId,
      keytype: s.publicKey.keytype,
      public: s.publicKey.keyval.public,
      private: pem,
      created: now.toISOString(),
    };
    await this.store.addKey(row);
    this.signers.set(`${gun}\0${s.keyId}`, s);
    return s.publicKey;
  }

  /**
   * The key for GET <role>.key: one the current root lists for the role that the server holds;
   * without a root, the newest key made for the GUN; else a new key.
   */
  async getOrCreate(gun: string, role: ServerRole, root: RootSigned | undefined, now: Date): Promise<TufKey> {
    if (root) {
      for (const id of root.roles[role]?.keyids ?? []) {
        const k = await this.store.getKey(gun, id);
        if (k && k.role === role) return toTufKey(k);
      }
    } else {
      const keys = await this.store.getKeys(gun, role);
      const last = keys[keys.length - 1];
      if (last) return toTufKey(last);
    }
    return this.create(gun, role, now);
  }

  /** Signers for the keys of `roleKeys` the server holds (for keys the root lists for the role). */
  async signersFor(gun: string, role: ServerRole, roleKeys: RoleKeys | undefined): Promise<Signer[]> {
    const out: Signer[] = [];
    for (const id of roleKeys?.keyids ?? []) {
      const cached = this.signers.get(`${gun}\0${id}`);
      if (cached) {
        out.push(cached);
        continue;
      }
      const k = await this.store.getKey(gun, id);
      if (!k || k.role !== role) continue;
      const s = this.load(k);
      if (s.keyId !== id) continue;
      this.signers.set(`${gun}\0${id}`, s);
      out.push(s);
    }
    return out;
  }

  private load(k: StoredKey): Signer {
    let pem = k.private;
    if (pem.includes('ENCRYPTED')) {
      if (!this.passphrase) {
        throw new UserError(
          `the ${k.role} key ${k.keyid.slice(0, 12)}… of ${k.gun} is encrypted: set DRYDOCK_TRUST_SERVER_PASSPHRASE`,
        );
      }
      try {
        pem = createPrivateKey({ key: pem, passphrase: this.passphrase })
          .export({ type: 'pkcs8', format: 'pem' })
          .toString();
      } catch {
        throw new UserError(
          `cannot decrypt the ${k.role} key of ${k.gun}: wrong DRYDOCK_TRUST_SERVER_PASSPHRASE`,
        );
      }
    }
    return signerFromPrivatePem(pem);
  }
}

function toTufKey(k: StoredKey): TufKey {
  const key: TufKey = {
    keytype: k.keytype as TufKey['keytype'],
    keyval: { public: k.public, private: null },
  };
  if (keyId(key) !== k.keyid)
    throw new UserError(`the stored ${k.role} key of ${k.gun} is corrupt (key id mismatch)`);
  return key;
}
