// The private key store for Notary signing keys: <trustDir>/private/<keyid>.key, one encrypted
// PKCS#8 PEM per key, laid out as Notary's trust directory is:
//
//   -----BEGIN ENCRYPTED PRIVATE KEY-----
//   gun: registry.example.com/team/app        (not for root keys, which serve every GUN)
//   role: targets
//
//   <base64 EncryptedPrivateKeyInfo: PBES2, PBKDF2-HMAC-SHA1 (300k rounds), AES-256-CBC>
//   -----END ENCRYPTED PRIVATE KEY-----
//
// <keyid> is the key's canonical id (hex SHA-256 of the canonical JSON of its plain public key),
// which for a root key is NOT the id of the certificate listed in root.json (Notary's rule).
// Files are mode 0600 in a 0700 directory. Passphrases come from the environment
// (DRYDOCK_CONTENT_TRUST_ROOT_PASSPHRASE / DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE for root keys,
// DRYDOCK_CONTENT_TRUST_REPOSITORY_PASSPHRASE / DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE for
// every other role), else a prompt on a terminal, else a UserError naming the variable.
// Keys written by Notary or Docker (PBKDF2-HMAC-SHA1, any iteration count) load as well.

import {
  createCipheriv,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  pbkdf2Sync,
  randomBytes,
} from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { derOidEncode, derSeq, tlv } from '../util/der.js';
import { trustDir, writeAtomic } from './cache.js';
import { tufKeyFromPublic, keyId as tufKeyId } from './keys.js';

/**
 * PBKDF2 rounds for keys drydock writes. Notary writes 2048 rounds of PBKDF2-HMAC-SHA1 and reads
 * only that PRF (any round count), so drydock writes HMAC-SHA1 too, with far more rounds: the
 * notary CLI and docker trust can then use a drydock trust directory (`notary -d <trustDir>`).
 */
const PBKDF2_ITERATIONS = 300_000;
const MIN_PASSPHRASE = 8;
const MAX_KEY_FILE_BYTES = 64 * 1024;
const KEYID = /^[0-9a-f]{64}$/;

export interface StoredKeyInfo {
  keyId: string;
  role: string;
  gun?: string;
  file: string;
}

export interface PassphraseRequest {
  role: string;
  gun?: string;
  keyId: string;
  /** True when the key is being created (the passphrase is chosen now). */
  creating: boolean;
  /** Set when an earlier attempt was wrong. */
  retry?: boolean;
}

export type PassphraseSource = (req: PassphraseRequest) => Promise<string>;

/** The environment variables that hold the passphrase for a role, in the order they are read. */
export function passphraseEnvVars(role: string): string[] {
  const kind = role === 'root' ? 'ROOT' : 'REPOSITORY';
  return [`DRYDOCK_CONTENT_TRUST_${kind}_PASSPHRASE`, `DOCKER_CONTENT_TRUST_${kind}_PASSPHRASE`];
}

/** Reads a line from the terminal without echo. */
async function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  return new Promise((resolve, reject) => {
    let buf = '';
    stderr.write(question);
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UserError('interrupted while reading a passphrase'));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Environment first, then a prompt when stdin and stderr are terminals. */
export const defaultPassphrase: PassphraseSource = async (req) => {
  const vars = passphraseEnvVars(req.role);
  if (!req.retry) {
    for (const v of vars) {
      const val = process.env[v];
      if (val) return val;
    }
  }
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UserError(
      `no passphrase for the ${req.role} key${req.gun ? ` of ${req.gun}` : ''}: set ${vars[1]} (or ${vars[0]})`,
    );
  }
  const what = `${req.role} key ${req.keyId.slice(0, 7)}${req.gun ? ` (${req.gun})` : ''}`;
  if (!req.creating) return promptHidden(`Enter passphrase for ${what}: `);
  const a = await promptHidden(`Enter a new passphrase for ${what}: `);
  const b = await promptHidden('Repeat the passphrase: ');
  if (a !== b) throw new UserError('the passphrases do not match');
  return a;
};

// ---------------------------------------------------------------------------------------------
// PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 / RFC 8018 PBES2) — written here so the PBKDF2 round
// count is ours to choose (node's KeyObject.export fixes it at 2048).

const seq = derSeq;
const octets = (b: Buffer) => tlv(0x04, b);
function derUint(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || (bytes[0] as number) & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}
const oid = derOidEncode;

function encryptPkcs8(key: KeyObject, passphrase: string, iterations: number): Buffer {
  const plain = key.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const dk = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha1');
  const cipher = createCipheriv('aes-256-cbc', dk, iv);
  const enc = Buffer.concat([cipher.update(plain), cipher.final()]);
  const pbes2 = seq(
    oid('1.2.840.113549.1.5.13'), // PBES2
    seq(
      seq(
        oid('1.2.840.113549.1.5.12'), // PBKDF2
        // PRF hmacWithSHA1, PBKDF2's default, is left out as Notary writes it
        seq(octets(salt), derUint(iterations)),
      ),
      seq(oid('2.16.840.1.101.3.4.1.42'), octets(iv)), // aes256-CBC
    ),
  );
  return seq(pbes2, octets(enc));
}

interface PemBlock {
  type: string;
  headers: Record<string, string>;
  der: Buffer;
}

/** Parses the first PEM block, with RFC 1421-style headers ("role: targets") as Notary writes them. */
export function parsePemBlock(text: string, what: string): PemBlock {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) throw new UserError(`${what}: not a PEM file`);
  const type = m[1] as string;
  const headers: Record<string, string> = {};
  const lines = (m[2] as string).split(/\r?\n/);
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] as string;
    const h = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (!h) break;
    headers[(h[1] as string).toLowerCase()] = (h[2] as string).trim();
  }
  const b64 = lines.slice(i).join('').trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new UserError(`${what}: the PEM body is not base64`);
  return { type, headers, der: Buffer.from(b64, 'base64') };
}

function pemText(type: string, der: Buffer, headers: [string, string][] = []): string {
  const body = der.toString('base64').replace(/.{64}/g, '$&\n');
  const head = headers.length > 0 ? `${headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n` : '';
  return `-----BEGIN ${type}-----\n${head}${body}${body.endsWith('\n') ? '' : '\n'}-----END ${type}-----\n`;
}

/** The canonical key id of a private key (the id of its plain public key, as Notary names key files). */
export function privateKeyId(key: KeyObject): string {
  return tufKeyId(tufKeyFromPublic(createPublicKey(key)));
}

function checkRole(role: string): string {
  if (
    !/^(root|targets|snapshot|timestamp|targets\/[A-Za-z0-9_.@+/-]{1,250})$/.test(role) ||
    role.includes('..')
  ) {
    throw new UserError(`invalid key role ${JSON.stringify(role)}`);
  }
  return role;
}

/** Turns a decryption failure into a clear one-line error. */
function decryptFailure(err: unknown, what: string): UserError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/bad decrypt|wrong (final block|password)|bad password|decrypt|interrupted/i.test(msg)) {
    return new UserError(`${what}: wrong passphrase`);
  }
  return new UserError(`${what}: cannot read the private key (${msg.split('\n')[0]})`);
}

/** Decrypts a PEM private key (encrypted PKCS#8, or unencrypted PKCS#8/SEC1/PKCS#1). */
export function decryptPrivateKey(text: string, passphrase: string | undefined, what: string): KeyObject {
  const block = parsePemBlock(text, what);
  const bare = pemText(block.type, block.der);
  try {
    if (block.type === 'ENCRYPTED PRIVATE KEY') {
      if (passphrase === undefined)
        throw new UserError(`${what}: the key is encrypted and needs a passphrase`);
      try {
        return createPrivateKey({ key: bare, format: 'pem', passphrase });
      } catch {
        // A wrong passphrase usually fails the CBC padding check, but 1 time in ~256 it decrypts to
        // garbage with valid padding and the DER decoder fails instead: both mean the same here.
        throw new UserError(`${what}: wrong passphrase`);
      }
    }
    if (block.headers['proc-type']) {
      return createPrivateKey({ key: text, format: 'pem', passphrase: passphrase ?? '' });
    }
    return createPrivateKey({ key: bare, format: 'pem' });
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw decryptFailure(err, what);
  }
}

export interface LoadedKey {
  keyId: string;
  role: string;
  gun?: string;
  key: KeyObject;
  /** The unencrypted PKCS#8 PEM (keep in memory only). */
  privatePem: string;
}

export class KeyStore {
  readonly dir: string;
  private readonly passphrase: PassphraseSource;
  private readonly unlocked = new Map<string, LoadedKey>();

  constructor(opts: { trustDir?: string; passphrase?: PassphraseSource } = {}) {
    this.dir = path.join(opts.trustDir ?? trustDir(), 'private');
    this.passphrase = opts.passphrase ?? defaultPassphrase;
  }

  private ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(this.dir);
    if (!st.isDirectory()) throw new UserError(`key store ${this.dir} is not a directory`);
    if ((st.mode & 0o077) !== 0) chmodSync(this.dir, 0o700);
  }

  fileOf(keyId: string): string {
    if (!KEYID.test(keyId)) throw new UserError(`invalid key id ${JSON.stringify(keyId)} (64 hex digits)`);
    return path.join(this.dir, `${keyId}.key`);
  }

  /** Every key file: id, role and GUN from its PEM headers (no passphrase needed). */
  list(): StoredKeyInfo[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new UserError(`key store ${this.dir}: ${(err as Error).message}`);
    }
    const out: StoredKeyInfo[] = [];
    for (const n of names.sort()) {
      const m = /^([0-9a-f]{64})\.key$/.exec(n);
      if (!m) continue;
      const file = path.join(this.dir, n);
      try {
        const st = lstatSync(file);
        if (!st.isFile() || st.size > MAX_KEY_FILE_BYTES) continue;
        const { headers } = parsePemBlock(readFileSync(file, 'utf8'), file);
        out.push({
          keyId: m[1] as string,
          role: headers.role ?? 'unknown',
          ...(headers.gun ? { gun: headers.gun } : {}),
          file,
        });
      } catch {
        // an unreadable file is not a key we can use; `trust key` commands report it on load
      }
    }
    return out;
  }

  has(keyId: string): boolean {
    try {
      return lstatSync(this.fileOf(keyId)).isFile();
    } catch {
      return false;
    }
  }

  /** Keys for a role (and, for non-root roles, a GUN). */
  find(role: string, gun?: string): StoredKeyInfo[] {
    return this.list().filter(
      (k) => k.role === role && (role === 'root' || gun === undefined || k.gun === gun),
    );
  }

  /**
   * Encrypts and stores a private key (PEM, or a KeyObject) for `role` (and `gun` unless root).
   * Returns its canonical key id. The passphrase comes from the passphrase source (creating).
   */
  async add(privateKey: string | KeyObject, role: string, gun?: string): Promise<string> {
    checkRole(role);
    const key =
      typeof privateKey === 'string' ? decryptPrivateKey(privateKey, undefined, 'private key') : privateKey;
    if (key.type !== 'private') throw new UserError('private key: not a private key');
    const id = privateKeyId(key);
    const passphrase = await this.passphrase({ role, ...(gun ? { gun } : {}), keyId: id, creating: true });
    if (passphrase.length < MIN_PASSPHRASE) {
      throw new UserError(
        `the passphrase for the ${role} key is too short (at least ${MIN_PASSPHRASE} characters)`,
      );
    }
    this.write(key, id, role, role === 'root' ? undefined : gun, passphrase);
    return id;
  }

  private write(key: KeyObject, id: string, role: string, gun: string | undefined, passphrase: string): void {
    this.ensureDir();
    const der = encryptPkcs8(key, passphrase, PBKDF2_ITERATIONS);
    const headers: [string, string][] = [];
    if (gun) headers.push(['gun', gun]);
    headers.push(['role', role]);
    writeAtomic(this.fileOf(id), Buffer.from(pemText('ENCRYPTED PRIVATE KEY', der, headers), 'utf8'));
    this.unlocked.set(id, {
      keyId: id,
      role,
      ...(gun ? { gun } : {}),
      key,
      privatePem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
  }

  /**
   * Imports a key file written by Notary, Docker or drydock (encrypted with `sourcePassphrase`,
   * or unencrypted) and stores it under this store's passphrase for `role`.
   */
  async import(
    text: string,
    opts: { role?: string; gun?: string; sourcePassphrase?: string } = {},
  ): Promise<string> {
    const block = parsePemBlock(text, 'key file');
    const role = checkRole(opts.role ?? block.headers.role ?? '');
    const gun = opts.gun ?? block.headers.gun;
    let key: KeyObject;
    if (block.type === 'ENCRYPTED PRIVATE KEY' && opts.sourcePassphrase === undefined) {
      const pass = await this.passphrase({
        role,
        ...(gun ? { gun } : {}),
        keyId: 'imported',
        creating: false,
      });
      key = decryptPrivateKey(text, pass, 'key file');
    } else {
      key = decryptPrivateKey(text, opts.sourcePassphrase, 'key file');
    }
    return this.add(key, role, gun);
  }

  /** Decrypts a stored key (asks the passphrase source once per process and key). */
  async load(keyId: string): Promise<LoadedKey> {
    const cached = this.unlocked.get(keyId);
    if (cached) return cached;
    const file = this.fileOf(keyId);
    let text: string;
    try {
      const st = lstatSync(file);
      if (!st.isFile()) throw new UserError(`key file ${file} is not a regular file`);
      if (st.size > MAX_KEY_FILE_BYTES) throw new UserError(`key file ${file} is too large`);
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (err instanceof UserError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UserError(`no private key ${keyId.slice(0, 12)}… in ${this.dir}`);
      }
      throw new UserError(`key file ${file}: ${(err as Error).message}`);
    }
    const block = parsePemBlock(text, file);
    const role = block.headers.role ?? 'unknown';
    const gun = block.headers.gun;
    const what = `the ${role} key ${keyId.slice(0, 12)}…${gun ? ` of ${gun}` : ''}`;
    let key: KeyObject | undefined;
    for (let attempt = 0; attempt < 3 && !key; attempt++) {
      const pass =
        block.type === 'ENCRYPTED PRIVATE KEY'
          ? await this.passphrase({
              role,
              ...(gun ? { gun } : {}),
              keyId,
              creating: false,
              retry: attempt > 0,
            })
          : undefined;
      try {
        key = decryptPrivateKey(text, pass, what);
      } catch (err) {
        const interactive = process.stdin.isTTY && process.stderr.isTTY;
        if (
          !(err instanceof UserError) ||
          !/wrong passphrase/.test(err.message) ||
          !interactive ||
          attempt === 2
        ) {
          if (err instanceof UserError && /wrong passphrase/.test(err.message)) {
            throw new UserError(`${what}: wrong passphrase (${passphraseEnvVars(role)[1]})`);
          }
          throw err;
        }
      }
    }
    if (!key) throw new UserError(`${what}: wrong passphrase`);
    if (privateKeyId(key) !== keyId) {
      throw new UserError(`key file ${file} holds a different key than its name says`);
    }
    const loaded: LoadedKey = {
      keyId,
      role,
      ...(gun ? { gun } : {}),
      key,
      privatePem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    this.unlocked.set(keyId, loaded);
    return loaded;
  }

  /** Exports a key encrypted under its store passphrase (the file as stored). */
  exportEncrypted(keyId: string): string {
    return readFileSync(this.fileOf(keyId), 'utf8');
  }

  remove(keyId: string): void {
    rmSync(this.fileOf(keyId), { force: true });
    this.unlocked.delete(keyId);
  }
}
