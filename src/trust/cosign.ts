// cosign key-pair signatures of image digests, stored the way cosign stores them: an OCI image
// manifest tagged `sha256-<hex>.sig` in the image's repository whose layers are simple-signing
// payloads, each with its base64 signature in the `dev.cosignproject.cosign/signature` annotation.
// Also: Sigstore bundles attached to an image as OCI referrers (cosign's newer bundle format),
// verified offline against a trusted root (sigstore.ts).
// Keys: cosign's encrypted private key format (scrypt + NaCl secretbox, implemented here from the
// NaCl spec since node:crypto has no XSalsa20), plain or encrypted PKCS#8 PEM; public keys as PEM.

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  scryptSync,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { describe, RegistryError, UserError } from '../errors.js';
import { MEDIA } from '../image/manifest.js';
import { RegistryClient, type RegistryOptions } from '../image/registry/client.js';
import { formatReference, type Reference } from '../image/registry/reference.js';
import { debug } from '../log.js';
import { digestOf, isDigest } from '../util/digest.js';
import {
  type IdentityPolicy,
  type SigstoreTrustedRoot,
  type SigstoreVerification,
  verifySigstoreBundle,
} from './sigstore.js';

export const SIMPLESIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** The PEM label cosign (v2) writes for its encrypted private keys; older versions wrote the second. */
export const COSIGN_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
const COSIGN_KEY_LABELS = new Set([COSIGN_KEY_LABEL, 'ENCRYPTED COSIGN PRIVATE KEY']);

const MAX_PAYLOAD_BYTES = 256 * 1024;
const MAX_SIGNATURE_LAYERS = 1000;
const MAX_KEY_FILE_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// NaCl secretbox = XSalsa20 stream cipher + Poly1305 one-time authenticator.

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]; // "expand 32-byte k"

function rotl(v: number, c: number): number {
  return ((v << c) | (v >>> (32 - c))) >>> 0;
}

/** The Salsa20 double rounds over a 16-word state; `feedForward` adds the input (Salsa20) or not (HSalsa20). */
function salsaRounds(input: Uint32Array, feedForward: boolean): Uint32Array {
  const x = Array.from(input);
  // quarterround(a, b, c, d) on state words, as in the Salsa20 specification
  const qr = (a: number, b: number, c: number, d: number) => {
    x[b] = ((x[b] as number) ^ rotl(((x[a] as number) + (x[d] as number)) >>> 0, 7)) >>> 0;
    x[c] = ((x[c] as number) ^ rotl(((x[b] as number) + (x[a] as number)) >>> 0, 9)) >>> 0;
    x[d] = ((x[d] as number) ^ rotl(((x[c] as number) + (x[b] as number)) >>> 0, 13)) >>> 0;
    x[a] = ((x[a] as number) ^ rotl(((x[d] as number) + (x[c] as number)) >>> 0, 18)) >>> 0;
  };
  for (let i = 0; i < 20; i += 2) {
    // column round
    qr(0, 4, 8, 12);
    qr(5, 9, 13, 1);
    qr(10, 14, 2, 6);
    qr(15, 3, 7, 11);
    // row round
    qr(0, 1, 2, 3);
    qr(5, 6, 7, 4);
    qr(10, 11, 8, 9);
    qr(15, 12, 13, 14);
  }
  const out = Uint32Array.from(x);
  if (feedForward) for (let i = 0; i < 16; i++) out[i] = ((out[i] as number) + (input[i] as number)) >>> 0;
  return out;
}

function state(key: Buffer, middle: Buffer): Uint32Array {
  const s = new Uint32Array(16);
  s[0] = SIGMA[0] as number;
  s[5] = SIGMA[1] as number;
  s[10] = SIGMA[2] as number;
  s[15] = SIGMA[3] as number;
  for (let i = 0; i < 4; i++) {
    s[1 + i] = key.readUInt32LE(4 * i);
    s[11 + i] = key.readUInt32LE(16 + 4 * i);
    s[6 + i] = middle.readUInt32LE(4 * i);
  }
  return s;
}

/** HSalsa20: derives the XSalsa20 subkey from the key and the first 16 nonce bytes. */
function hsalsa20(key: Buffer, nonce16: Buffer): Buffer {
  const x = salsaRounds(state(key, nonce16), false);
  const out = Buffer.alloc(32);
  [0, 5, 10, 15, 6, 7, 8, 9].forEach((w, i) => {
    out.writeUInt32LE(x[w] as number, 4 * i);
  });
  return out;
}

/** `length` bytes of the XSalsa20 key stream for a 32-byte key and a 24-byte nonce. */
function xsalsa20Stream(key: Buffer, nonce: Buffer, length: number): Buffer {
  const subkey = hsalsa20(key, nonce.subarray(0, 16));
  const middle = Buffer.alloc(16);
  nonce.copy(middle, 0, 16, 24);
  const out = Buffer.alloc(Math.ceil(length / 64) * 64);
  for (let block = 0; block * 64 < length; block++) {
    middle.writeUInt32LE(block >>> 0, 8);
    middle.writeUInt32LE(Math.floor(block / 2 ** 32), 12);
    const x = salsaRounds(state(subkey, middle), true);
    for (let i = 0; i < 16; i++) out.writeUInt32LE(x[i] as number, block * 64 + 4 * i);
  }
  return out.subarray(0, length);
}

const P1305 = (1n << 130n) - 5n;

function leToBigInt(b: Buffer): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i] as number);
  return n;
}

/** Poly1305 one-time authenticator (RFC 8439 §2.5), 16-byte tag. */
function poly1305(msg: Buffer, key: Buffer): Buffer {
  const r = leToBigInt(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = leToBigInt(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const chunk = msg.subarray(i, Math.min(i + 16, msg.length));
    const n = leToBigInt(chunk) + (1n << BigInt(8 * chunk.length));
    acc = ((acc + n) * r) % P1305;
  }
  let tag = (acc + s) & ((1n << 128n) - 1n);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}

/** crypto_secretbox: returns tag (16 bytes) || ciphertext, as Go's nacl/secretbox.Seal does. */
export function secretboxSeal(message: Buffer, nonce: Buffer, key: Buffer): Buffer {
  if (key.length !== 32 || nonce.length !== 24)
    throw new Error('secretbox needs a 32-byte key and a 24-byte nonce');
  const stream = xsalsa20Stream(key, nonce, 32 + message.length);
  const ct = Buffer.alloc(message.length);
  for (let i = 0; i < message.length; i++) ct[i] = (message[i] as number) ^ (stream[32 + i] as number);
  return Buffer.concat([poly1305(ct, stream.subarray(0, 32)), ct]);
}

/** crypto_secretbox_open: undefined when the box does not authenticate. */
export function secretboxOpen(box: Buffer, nonce: Buffer, key: Buffer): Buffer | undefined {
  if (key.length !== 32 || nonce.length !== 24 || box.length < 16) return undefined;
  const ct = box.subarray(16);
  const stream = xsalsa20Stream(key, nonce, 32 + ct.length);
  if (!timingSafeEqual(poly1305(ct, stream.subarray(0, 32)), box.subarray(0, 16))) return undefined;
  const out = Buffer.alloc(ct.length);
  for (let i = 0; i < ct.length; i++) out[i] = (ct[i] as number) ^ (stream[32 + i] as number);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Keys

function pemBlocks(text: string): { label: string; der: Buffer }[] {
  const out: { label: string; der: Buffer }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  let m: RegExpExecArray | null;
  // biome-ignore lint/suspicious/noAssignInExpressions: standard regex loop
  while ((m = re.exec(text)) !== null) {
    out.push({ label: m[1] as string, der: Buffer.from((m[2] as string).replace(/\s+/g, ''), 'base64') });
  }
  return out;
}

function toPem(label: string, der: Buffer): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

interface EncryptedKeyJson {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

function scryptKey(password: string, salt: Buffer, N: number, r: number, p: number): Buffer {
  return scryptSync(Buffer.from(password, 'utf8'), salt, 32, { N, r, p, maxmem: 256 * N * r + (1 << 20) });
}

/** Encrypts a private key in cosign's format ("ENCRYPTED SIGSTORE PRIVATE KEY" PEM). */
export function encryptCosignKey(key: KeyObject, password: string): string {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const params = { N: 65536, r: 8, p: 1 };
  const box = secretboxSeal(der, nonce, scryptKey(password, salt, params.N, params.r, params.p));
  const json: EncryptedKeyJson = {
    kdf: { name: 'scrypt', params, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: box.toString('base64'),
  };
  return toPem(COSIGN_KEY_LABEL, Buffer.from(JSON.stringify(json)));
}

function decryptCosignKey(der: Buffer, password: string, what: string): KeyObject {
  const bad = (why: string) => new UserError(`${what}: ${why}`);
  let j: EncryptedKeyJson;
  try {
    j = JSON.parse(der.toString('utf8')) as EncryptedKeyJson;
  } catch {
    throw bad('the encrypted key is not JSON');
  }
  const params = j?.kdf?.params;
  if (j?.kdf?.name !== 'scrypt' || !params) throw bad(`unsupported key derivation "${String(j?.kdf?.name)}"`);
  if (j.cipher?.name !== 'nacl/secretbox') throw bad(`unsupported cipher "${String(j.cipher?.name)}"`);
  const { N, r, p } = params;
  if (
    !Number.isInteger(N) ||
    N < 2 ||
    N > 1 << 20 ||
    (N & (N - 1)) !== 0 ||
    !Number.isInteger(r) ||
    r < 1 ||
    r > 32 ||
    !Number.isInteger(p) ||
    p < 1 ||
    p > 16
  ) {
    throw bad('scrypt parameters out of range');
  }
  const salt = Buffer.from(String(j.kdf.salt ?? ''), 'base64');
  const nonce = Buffer.from(String(j.cipher.nonce ?? ''), 'base64');
  const box = Buffer.from(String(j.ciphertext ?? ''), 'base64');
  if (nonce.length !== 24) throw bad('the secretbox nonce is not 24 bytes');
  const plain = secretboxOpen(box, nonce, scryptKey(password, salt, N, r, p));
  if (!plain) throw bad('wrong password (or a corrupt key file)');
  try {
    return createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' });
  } catch {
    throw bad('the decrypted key is not a PKCS#8 private key');
  }
}

/**
 * Loads a signing key: cosign's encrypted format, PKCS#8 PEM (plain or "ENCRYPTED PRIVATE KEY"),
 * or SEC1 "EC PRIVATE KEY". The password is needed for the encrypted forms (may be empty, as cosign allows).
 */
export function loadCosignPrivateKey(pem: string, password?: string, what = 'private key'): KeyObject {
  if (pem.length > MAX_KEY_FILE_BYTES)
    throw new UserError(`${what} is larger than ${MAX_KEY_FILE_BYTES} bytes`);
  const blocks = pemBlocks(pem);
  const cosign = blocks.find((b) => COSIGN_KEY_LABELS.has(b.label));
  if (cosign) {
    if (password === undefined) {
      throw new UserError(`${what} is encrypted: set COSIGN_PASSWORD (or DRYDOCK_COSIGN_PASSWORD)`);
    }
    return decryptCosignKey(cosign.der, password, what);
  }
  const plain = blocks.find((b) => /PRIVATE KEY$/.test(b.label));
  if (!plain) throw new UserError(`${what} is not a PEM private key`);
  if (plain.label === 'ENCRYPTED PRIVATE KEY' && password === undefined) {
    throw new UserError(`${what} is encrypted: set COSIGN_PASSWORD (or DRYDOCK_COSIGN_PASSWORD)`);
  }
  try {
    return createPrivateKey({
      key: pem,
      format: 'pem',
      ...(password !== undefined ? { passphrase: password } : {}),
    });
  } catch (e) {
    throw new UserError(`${what} cannot be read: ${describe(e)}`);
  }
}

/** The password for cosign keys from the environment, as cosign reads it. */
export function cosignPasswordFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DRYDOCK_COSIGN_PASSWORD ?? env.COSIGN_PASSWORD;
}

/** A new ECDSA P-256 key pair as cosign generate-key-pair writes it. */
export function generateCosignKeyPair(password: string): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privatePem: encryptCosignKey(privateKey, password),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}

/** Parses one PEM public key (SPKI "PUBLIC KEY", or a certificate whose key is meant). */
export function loadPublicKey(pem: string, what = 'public key'): KeyObject {
  if (pem.length > MAX_KEY_FILE_BYTES)
    throw new UserError(`${what} is larger than ${MAX_KEY_FILE_BYTES} bytes`);
  try {
    const k = createPublicKey(pem);
    if (k.type !== 'public') throw new Error('not a public key');
    return k;
  } catch {
    throw new UserError(`${what} is not a PEM public key`);
  }
}

/** The hex SHA-256 of the key's DER SPKI: how drydock names a cosign key. */
export function publicKeyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ format: 'der', type: 'spki' }))
    .digest('hex');
}

function hashFor(key: KeyObject): string | null {
  return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
}

// ---------------------------------------------------------------------------------------------
// Payload and storage

/** `sha256:<hex>` -> `sha256-<hex>.sig`. */
export function signatureTag(digest: string): string {
  if (!isDigest(digest)) throw new UserError(`invalid image digest "${digest}"`);
  return `${digest.replace(':', '-')}.sig`;
}

/** The simple-signing payload cosign signs, serialised as cosign does (Go struct field order). */
export function simpleSigningPayload(
  ref: Reference,
  digest: string,
  optional?: Record<string, unknown>,
): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': `${ref.registry}/${ref.repository}` },
        image: { 'docker-manifest-digest': digest },
        type: COSIGN_SIGNATURE_TYPE,
      },
      optional: optional && Object.keys(optional).length > 0 ? optional : null,
    }),
  );
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

interface SignatureManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

function parseSignatureManifest(data: Buffer, what: string): SignatureManifest {
  let j: SignatureManifest;
  try {
    j = JSON.parse(data.toString('utf8')) as SignatureManifest;
  } catch {
    throw new UserError(`${what} is not valid JSON`);
  }
  if (!j || typeof j !== 'object' || j.schemaVersion !== 2 || !Array.isArray(j.layers)) {
    throw new UserError(`${what} is not an image manifest (schemaVersion 2 with layers)`);
  }
  if (j.layers.length > MAX_SIGNATURE_LAYERS)
    throw new UserError(`${what} has more than ${MAX_SIGNATURE_LAYERS} layers`);
  for (const l of j.layers) {
    if (
      !l ||
      typeof l.mediaType !== 'string' ||
      typeof l.digest !== 'string' ||
      !isDigest(l.digest) ||
      !Number.isSafeInteger(l.size)
    ) {
      throw new UserError(`${what} has a layer without a valid mediaType, digest and size`);
    }
  }
  return j;
}

function signatureConfig(layers: Descriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: new Date().toISOString(),
      history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
}

function signatureRef(ref: Reference, digest: string): Reference {
  return { registry: ref.registry, repository: ref.repository, tag: signatureTag(digest), digest: undefined };
}

async function fetchSignatureManifest(
  client: RegistryClient,
  tag: string,
): Promise<{ data: Buffer; manifest: SignatureManifest } | undefined> {
  try {
    const { data } = await client.getManifest(tag);
    return {
      data,
      manifest: parseSignatureManifest(data, `signature manifest ${client.ref.repository}:${tag}`),
    };
  } catch (e) {
    if (e instanceof RegistryError && e.status === 404) return undefined;
    throw e;
  }
}

export interface CosignSignOptions {
  /** Password for an encrypted key given as PEM text. */
  password?: string;
  registry?: RegistryOptions;
  /** Claims for the payload's "optional" section (cosign sign -a key=value). */
  annotations?: Record<string, string>;
}

export interface CosignSignResult {
  /** The signature tag, `sha256-<hex>.sig`. */
  tag: string;
  /** Digest of the signature manifest pushed under the tag. */
  manifestDigest: string;
  payloadDigest: string;
  /** Base64 DER signature over the payload. */
  signature: string;
  keyId: string;
}

/**
 * Signs `digest` (the image manifest digest) with a cosign key and appends the signature to the
 * `sha256-<hex>.sig` manifest in the image's repository, as cosign sign --key does (no tlog upload).
 */
export async function signCosign(
  ref: Reference,
  digest: string,
  key: KeyObject | string,
  opts: CosignSignOptions = {},
): Promise<CosignSignResult> {
  const tag = signatureTag(digest);
  const privateKey = typeof key === 'string' ? loadCosignPrivateKey(key, opts.password) : key;
  if (privateKey.type !== 'private') throw new UserError('cosign signing needs a private key');
  const payload = simpleSigningPayload(ref, digest, opts.annotations);
  const signature = sign(hashFor(privateKey), payload, privateKey).toString('base64');
  const client = new RegistryClient(signatureRef(ref, digest), opts.registry);
  try {
    const payloadDigest = await client.putBlob(payload);
    const existing = await fetchSignatureManifest(client, tag);
    const layers: Descriptor[] = existing ? [...existing.manifest.layers] : [];
    const layer: Descriptor = {
      mediaType: SIMPLESIGNING_MEDIA_TYPE,
      size: payload.length,
      digest: payloadDigest,
      annotations: { [SIGNATURE_ANNOTATION]: signature },
    };
    layers.push(layer);
    const config = signatureConfig(layers);
    const configDigest = await client.putBlob(config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        config: { mediaType: MEDIA.ociConfig, size: config.length, digest: configDigest },
        layers,
      }),
    );
    const manifestDigest = await client.putManifest(tag, manifest, MEDIA.ociManifest);
    debug(`cosign: pushed ${layers.length} signature(s) to ${ref.registry}/${ref.repository}:${tag}`);
    return { tag, manifestDigest, payloadDigest, signature, keyId: publicKeyId(privateKey) };
  } finally {
    await client.close();
  }
}

export interface CosignVerifyOptions {
  /** Trusted public keys, PEM. */
  publicKeys: string[];
  registry?: RegistryOptions;
}

/** Checks a payload (bytes already verified against their layer digest) names `digest`. */
function checkPayload(payload: Buffer, digest: string): string | undefined {
  let j: { critical?: { type?: unknown; image?: Record<string, unknown> } };
  try {
    j = JSON.parse(payload.toString('utf8')) as typeof j;
  } catch {
    return 'payload is not JSON';
  }
  const c = j?.critical;
  if (!c || typeof c !== 'object') return 'payload has no "critical" section';
  if (c.type !== COSIGN_SIGNATURE_TYPE)
    return `payload type is "${String(c.type)}", not "${COSIGN_SIGNATURE_TYPE}"`;
  const named = c.image?.['docker-manifest-digest'];
  if (typeof named !== 'string') return 'payload names no docker-manifest-digest';
  if (named !== digest) return `payload is for ${named}, not ${digest}`;
  return undefined;
}

/**
 * Verifies that the image `digest` has a cosign signature, in the `sha256-<hex>.sig` manifest of
 * the image's repository, by one of the given public keys. Throws a UserError with the reasons.
 */
export async function verifyCosign(
  ref: Reference,
  digest: string,
  opts: CosignVerifyOptions,
): Promise<{ keyId?: string }> {
  const image = `${ref.registry}/${ref.repository}@${digest}`;
  if (opts.publicKeys.length === 0)
    throw new UserError(`cosign verification of ${image}: no public keys given`);
  const keys = opts.publicKeys.map((pem, i) => loadPublicKey(pem, `cosign public key ${i + 1}`));
  const tag = signatureTag(digest);
  const client = new RegistryClient(signatureRef(ref, digest), opts.registry);
  try {
    const found = await fetchSignatureManifest(client, tag);
    if (!found) throw new UserError(`no cosign signature for ${image}: tag ${tag} not found`);
    const reasons: string[] = [];
    let n = 0;
    for (const layer of found.manifest.layers) {
      if (layer.mediaType !== SIMPLESIGNING_MEDIA_TYPE) continue;
      n++;
      const sigB64 = layer.annotations?.[SIGNATURE_ANNOTATION];
      if (typeof sigB64 !== 'string' || sigB64 === '') {
        reasons.push(`signature ${n}: no ${SIGNATURE_ANNOTATION} annotation`);
        continue;
      }
      if (layer.size > MAX_PAYLOAD_BYTES) {
        reasons.push(`signature ${n}: payload of ${layer.size} bytes is too large`);
        continue;
      }
      const payload = await client.getBlob(layer.digest, MAX_PAYLOAD_BYTES);
      if (digestOf(payload, layer.digest.split(':')[0]) !== layer.digest || payload.length !== layer.size) {
        reasons.push(`signature ${n}: payload blob does not match its digest or size`);
        continue;
      }
      const sig = Buffer.from(sigB64, 'base64');
      const signer = keys.find((k) => {
        try {
          return verify(hashFor(k), payload, k, sig);
        } catch {
          return false;
        }
      });
      if (!signer) {
        reasons.push(`signature ${n}: does not verify with any of the ${keys.length} trusted key(s)`);
        continue;
      }
      const bad = checkPayload(payload, digest);
      if (bad) {
        reasons.push(`signature ${n}: ${bad}`);
        continue;
      }
      debug(`cosign: ${image} verified (signature ${n} of ${formatReference(client.ref)})`);
      return { keyId: publicKeyId(signer) };
    }
    if (n === 0)
      throw new UserError(`no cosign signature for ${image}: ${tag} holds no simple-signing layers`);
    throw new UserError(`cosign verification of ${image} failed: ${reasons.join('; ')}`);
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Newer cosign (--new-bundle-format): a Sigstore bundle attached to the image as an OCI referrer.

export const SIGSTORE_BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const MAX_BUNDLE_REFERRERS = 64;

export interface CosignBundleVerifyOptions {
  trustedRoot: SigstoreTrustedRoot;
  identity?: IdentityPolicy;
  /** PEM keys, for bundles signed with a key rather than a Fulcio certificate. */
  publicKeys?: string[];
  registry?: RegistryOptions;
}

/**
 * Verifies that the image `digest` has a Sigstore bundle among its referrers (referrers API or the
 * `sha256-<hex>` tag index) that verifies offline against the trusted root and names the image.
 */
export async function verifyCosignBundle(
  ref: Reference,
  digest: string,
  opts: CosignBundleVerifyOptions,
): Promise<SigstoreVerification> {
  const image = `${ref.registry}/${ref.repository}@${digest}`;
  const client = new RegistryClient({ ...ref, tag: undefined, digest }, opts.registry);
  try {
    const referrers = (await client.getReferrers(digest, SIGSTORE_BUNDLE_ARTIFACT_TYPE)).slice(
      0,
      MAX_BUNDLE_REFERRERS,
    );
    if (referrers.length === 0) throw new UserError(`no Sigstore bundle attached to ${image}`);
    const reasons: string[] = [];
    for (const [i, r] of referrers.entries()) {
      const what = `bundle ${i + 1} (${r.digest.slice(0, 19)}…)`;
      try {
        const { data } = await client.getManifest(r.digest);
        const m = parseSignatureManifest(data, `${what} manifest`);
        const layer = m.layers.find((l) => l.mediaType === SIGSTORE_BUNDLE_ARTIFACT_TYPE) ?? m.layers[0];
        if (!layer) throw new UserError(`${what} has no layers`);
        if (layer.size > 4 * 1024 * 1024) throw new UserError(`${what} is too large`);
        const blob = await client.getBlob(layer.digest, 4 * 1024 * 1024);
        if (digestOf(blob, layer.digest.split(':')[0]) !== layer.digest) {
          throw new UserError(`${what} does not match its digest`);
        }
        return verifySigstoreBundle(
          blob,
          {
            trustedRoot: opts.trustedRoot,
            artifactDigest: digest,
            identity: opts.identity,
            publicKeys: opts.publicKeys,
          },
          what,
        );
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        reasons.push(e.message);
      }
    }
    throw new UserError(`Sigstore bundle verification of ${image} failed: ${reasons.join('; ')}`);
  } finally {
    await client.close();
  }
}
