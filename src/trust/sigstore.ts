// Sigstore bundle verification, offline, against a trusted root the user supplies
// (trusted_root.json): bundles v0.1-v0.3 with a message signature or a DSSE envelope, signed by a
// Fulcio certificate (chain to a CA of the trusted root valid at the log's integrated time,
// identity = SAN + OIDC issuer extension) or by a known public key; transparency log entries
// checked by their signed entry timestamp (SET) and/or their Merkle inclusion proof to a checkpoint
// signed by the log. Nothing is fetched: the trusted root, the bundle and the artifact are inputs.
//
// The certificate's embedded SCTs are checked against the trusted root's ctlogs (when it has any).
// Not supported (yet): RFC 3161 timestamps (timestampVerificationData is ignored), Rekor v2 entries
// without integratedTime, RSA-PSS keys for digest-only checks.

import {
  constants,
  createHash,
  createPublicKey,
  verify as cryptoVerify,
  type KeyObject,
  publicDecrypt,
  X509Certificate,
} from 'node:crypto';
import { UserError } from '../errors.js';
import { derOidDecode, tlv } from '../util/der.js';
import { parseStrictJson } from './cjson.js';

const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;
const MAX_TLOG_ENTRIES = 32;
const MAX_PROOF_HASHES = 64;

export const OID_FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
export const OID_FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_FULCIO_OTHERNAME_SAN = '1.3.6.1.4.1.57264.1.7';
const OID_SAN = '2.5.29.17';
const OID_EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

// ---------------------------------------------------------------------------------------------
// DER reading (just what certificates and ECDSA signatures need)

interface Der {
  tag: number;
  content: Buffer;
  raw: Buffer;
}

function derRead(buf: Buffer, pos: number, what: string): { node: Der; next: number } {
  const bad = () => new UserError(`${what}: malformed DER`);
  if (pos + 2 > buf.length) throw bad();
  const tag = buf[pos] as number;
  if ((tag & 0x1f) === 0x1f) throw bad(); // high tag numbers are not used in X.509
  let len = buf[pos + 1] as number;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || pos + 2 + n > buf.length) throw bad();
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[pos + 2 + i] as number);
    hdr += n;
  }
  const end = pos + hdr + len;
  if (end > buf.length) throw bad();
  return { node: { tag, content: buf.subarray(pos + hdr, end), raw: buf.subarray(pos, end) }, next: end };
}

function derChildren(node: Der, what: string): Der[] {
  const out: Der[] = [];
  let pos = 0;
  while (pos < node.content.length) {
    const { node: child, next } = derRead(node.content, pos, what);
    out.push(child);
    pos = next;
  }
  return out;
}

function derParse(buf: Buffer, what: string): Der {
  const { node, next } = derRead(buf, 0, what);
  if (next !== buf.length) throw new UserError(`${what}: trailing data after DER`);
  return node;
}

const derOid = derOidDecode;

function derTime(node: Der, what: string): Date {
  const s = node.content.toString('latin1');
  const m =
    node.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : node.tag === 0x18
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s)
        : null;
  if (!m) throw new UserError(`${what}: invalid certificate time "${s}"`);
  let year = Number(m[1]);
  if (node.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

interface CertFacts {
  notBefore: Date;
  notAfter: Date;
  extensions: Map<string, { critical: boolean; value: Buffer }>;
}

function certFacts(der: Buffer, what: string): CertFacts {
  const cert = derParse(der, what);
  const tbs = derChildren(cert, what)[0];
  if (tbs?.tag !== 0x30) throw new UserError(`${what}: not a certificate`);
  const f = derChildren(tbs, what);
  const off = f[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  const validity = f[off + 3];
  if (validity?.tag !== 0x30) throw new UserError(`${what}: certificate without validity`);
  const [nb, na] = derChildren(validity, what);
  if (!nb || !na) throw new UserError(`${what}: certificate without validity`);
  const extensions = new Map<string, { critical: boolean; value: Buffer }>();
  const extWrap = f.slice(off + 6).find((n) => n.tag === 0xa3);
  if (extWrap) {
    const list = derChildren(extWrap, what)[0];
    for (const ext of list ? derChildren(list, what) : []) {
      const parts = derChildren(ext, what);
      const id = parts[0];
      const value = parts[parts.length - 1];
      if (id?.tag !== 0x06 || !value || value.tag !== 0x04)
        throw new UserError(`${what}: malformed extension`);
      const critical = parts.length === 3 && parts[1]?.tag === 0x01 && parts[1].content[0] !== 0;
      extensions.set(derOid(id.content), { critical, value: value.content });
    }
  }
  return { notBefore: derTime(nb, what), notAfter: derTime(na, what), extensions };
}

/** The subject alternative names of a certificate: email, URI, DNS and Fulcio's username otherName. */
function subjectAltNames(facts: CertFacts, what: string): { type: string; value: string }[] {
  const ext = facts.extensions.get(OID_SAN);
  if (!ext) return [];
  const out: { type: string; value: string }[] = [];
  for (const gn of derChildren(derParse(ext.value, what), what)) {
    if (gn.tag === 0x81) out.push({ type: 'email', value: gn.content.toString('utf8') });
    else if (gn.tag === 0x82) out.push({ type: 'dns', value: gn.content.toString('utf8') });
    else if (gn.tag === 0x86) out.push({ type: 'uri', value: gn.content.toString('utf8') });
    else if (gn.tag === 0xa0) {
      const [id, val] = derChildren(gn, what);
      if (id?.tag === 0x06 && derOid(id.content) === OID_FULCIO_OTHERNAME_SAN && val) {
        const inner = derChildren(val, what)[0];
        if (inner) out.push({ type: 'other', value: inner.content.toString('utf8') });
      }
    }
  }
  return out;
}

/** The OIDC issuer Fulcio wrote: the DER UTF8String of 1.3.6.1.4.1.57264.1.8, else the raw bytes of .1.1. */
function fulcioIssuer(facts: CertFacts, what: string): string | undefined {
  const v2 = facts.extensions.get(OID_FULCIO_ISSUER_V2);
  if (v2) {
    const n = derParse(v2.value, what);
    if (n.tag !== 0x0c) throw new UserError(`${what}: issuer extension is not a UTF8String`);
    return n.content.toString('utf8');
  }
  return facts.extensions.get(OID_FULCIO_ISSUER_V1)?.value.toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// Signatures over a digest (no data): ECDSA P-256/P-384 done here, RSA PKCS#1 v1.5 via publicDecrypt.

interface Curve {
  p: bigint;
  a: bigint;
  n: bigint;
  g: [bigint, bigint];
}

const CURVES: Record<string, Curve> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    g: [
      0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
      0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    ],
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffcn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    g: [
      0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
      0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    ],
  },
};

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = mod(b, m);
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * x) % m;
    x = (x * x) % m;
  }
  return r;
}

type Jac = [bigint, bigint, bigint]; // Jacobian X, Y, Z; Z = 0 is the point at infinity

function jDouble(c: Curve, [x, y, z]: Jac): Jac {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const { p } = c;
  const yy = (y * y) % p;
  const s = (4n * x * yy) % p;
  const zz = (z * z) % p;
  const m = mod(3n * x * x + c.a * zz * zz, p);
  const x3 = mod(m * m - 2n * s, p);
  const y3 = mod(m * (s - x3) - 8n * yy * yy, p);
  return [x3, y3, (2n * y * z) % p];
}

function jAdd(c: Curve, a: Jac, b: Jac): Jac {
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const { p } = c;
  const z1z1 = (a[2] * a[2]) % p;
  const z2z2 = (b[2] * b[2]) % p;
  const u1 = (a[0] * z2z2) % p;
  const u2 = (b[0] * z1z1) % p;
  const s1 = (a[1] * b[2] * z2z2) % p;
  const s2 = (b[1] * a[2] * z1z1) % p;
  if (u1 === u2) return s1 === s2 ? jDouble(c, a) : [0n, 1n, 0n];
  const h = mod(u2 - u1, p);
  const r = mod(s2 - s1, p);
  const hh = (h * h) % p;
  const hhh = (hh * h) % p;
  const x3 = mod(r * r - hhh - 2n * u1 * hh, p);
  const y3 = mod(r * (u1 * hh - x3) - s1 * hhh, p);
  return [x3, y3, (h * a[2] * b[2]) % p];
}

function bigFrom(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`);
}

/** ECDSA verification of a signature over an already computed digest (SEC 1 §4.1.4). */
function ecdsaVerifyDigest(key: KeyObject, digest: Buffer, sigDer: Buffer): boolean {
  const jwk = key.export({ format: 'jwk' }) as { crv?: string; x?: string; y?: string };
  const c = jwk.crv ? CURVES[jwk.crv] : undefined;
  if (!c || !jwk.x || !jwk.y)
    throw new UserError(`ECDSA curve ${jwk.crv ?? '?'} is not supported for digest checks`);
  let r: bigint;
  let s: bigint;
  try {
    const seq = derParse(sigDer, 'signature');
    const [ri, si, ...rest] = derChildren(seq, 'signature');
    if (seq.tag !== 0x30 || ri?.tag !== 0x02 || si?.tag !== 0x02 || rest.length) return false;
    r = bigFrom(ri.content);
    s = bigFrom(si.content);
  } catch {
    return false;
  }
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const nBits = c.n.toString(2).length;
  let e = bigFrom(digest);
  if (digest.length * 8 > nBits) e >>= BigInt(digest.length * 8 - nBits);
  const w = modPow(s, c.n - 2n, c.n);
  const u1 = (e * w) % c.n;
  const u2 = (r * w) % c.n;
  const q: Jac = [bigFrom(Buffer.from(jwk.x, 'base64url')), bigFrom(Buffer.from(jwk.y, 'base64url')), 1n];
  const g: Jac = [c.g[0], c.g[1], 1n];
  const gq = jAdd(c, g, q);
  let acc: Jac = [0n, 1n, 0n];
  const bits = Math.max(u1.toString(2).length, u2.toString(2).length);
  for (let i = bits - 1; i >= 0; i--) {
    acc = jDouble(c, acc);
    const b1 = (u1 >> BigInt(i)) & 1n;
    const b2 = (u2 >> BigInt(i)) & 1n;
    if (b1 && b2) acc = jAdd(c, acc, gq);
    else if (b1) acc = jAdd(c, acc, g);
    else if (b2) acc = jAdd(c, acc, q);
  }
  if (acc[2] === 0n) return false;
  const zInv = modPow(acc[2], c.p - 2n, c.p);
  const x = (acc[0] * zInv * zInv) % c.p;
  return x % c.n === r;
}

const DIGEST_INFO: Record<string, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** Verifies `sig` over a message whose `hash` digest is `digest`, without the message. */
export function verifyDigestSignature(key: KeyObject, hash: string, digest: Buffer, sig: Buffer): boolean {
  if (key.asymmetricKeyType === 'ec') return ecdsaVerifyDigest(key, digest, sig);
  if (key.asymmetricKeyType === 'rsa') {
    const prefix = DIGEST_INFO[hash];
    if (!prefix) return false;
    try {
      const info = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
      return info.equals(Buffer.concat([Buffer.from(prefix, 'hex'), digest]));
    } catch {
      return false;
    }
  }
  throw new UserError(
    `a ${key.asymmetricKeyType} signature cannot be checked against a digest alone: give the artifact itself`,
  );
}

/** The hash node:crypto should use with a key (Ed25519 hashes internally). */
function hashForKey(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448') return null;
  if (key.asymmetricKeyType === 'ec') {
    const crv = key.asymmetricKeyDetails?.namedCurve;
    if (crv === 'secp384r1') return 'sha384';
    if (crv === 'secp521r1') return 'sha512';
  }
  return 'sha256';
}

function verifyData(key: KeyObject, data: Buffer, sig: Buffer, hash = hashForKey(key)): boolean {
  try {
    return cryptoVerify(hash, data, key, sig);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON helpers

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function b64(v: unknown, what: string, allowEmpty = false): Buffer {
  if (typeof v !== 'string' || (!allowEmpty && v === ''))
    throw new UserError(`${what} is missing or not a string`);
  if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(v) || v.replace(/=+$/, '').length % 4 === 1) {
    throw new UserError(`${what} is not valid base64`);
  }
  return Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function int64(v: unknown, what: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d{1,19}$/.test(v)) return BigInt(v);
  throw new UserError(`${what} is not a non-negative integer`);
}

function date(v: unknown, what: string): Date | undefined {
  if (v === undefined || v === null) return undefined;
  const d = typeof v === 'string' ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) throw new UserError(`${what} is not an RFC 3339 time`);
  return d;
}

interface Validity {
  start?: Date;
  end?: Date;
}

function validFor(v: unknown, what: string): Validity {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new UserError(`${what} is not an object`);
  return { start: date(v.start, `${what}.start`), end: date(v.end, `${what}.end`) };
}

const within = (t: Date, v: Validity) =>
  (!v.start || t.getTime() >= v.start.getTime()) && (!v.end || t.getTime() <= v.end.getTime());

// ---------------------------------------------------------------------------------------------
// Trusted root

export interface LogAuthority {
  baseUrl?: string;
  logId: Buffer;
  publicKey: KeyObject;
  hash: string | null;
  validFor: Validity;
}

export interface CertificateAuthority {
  uri?: string;
  certificates: X509Certificate[];
  validFor: Validity;
}

export interface SigstoreTrustedRoot {
  tlogs: LogAuthority[];
  certificateAuthorities: CertificateAuthority[];
  ctlogs: LogAuthority[];
}

const KEY_DETAILS_HASH: Record<string, string | null> = {
  PKIX_ECDSA_P256_SHA_256: 'sha256',
  PKIX_ECDSA_P384_SHA_384: 'sha384',
  PKIX_ECDSA_P521_SHA_512: 'sha512',
  PKIX_ED25519: null,
  PKIX_RSA_PKCS1V15_2048_SHA256: 'sha256',
  PKIX_RSA_PKCS1V15_3072_SHA256: 'sha256',
  PKIX_RSA_PKCS1V15_4096_SHA256: 'sha256',
  PKIX_RSA_PKCS1V5: 'sha256',
};

function parseLog(v: unknown, what: string): LogAuthority {
  if (!isObj(v) || !isObj(v.publicKey)) throw new UserError(`${what} has no publicKey`);
  const der = b64(v.publicKey.rawBytes, `${what}.publicKey.rawBytes`);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    throw new UserError(`${what}.publicKey.rawBytes is not a DER public key`);
  }
  const details = v.publicKey.keyDetails;
  let hash = hashForKey(publicKey);
  if (typeof details === 'string' && details !== '') {
    if (!(details in KEY_DETAILS_HASH)) throw new UserError(`${what}: key type ${details} is not supported`);
    hash = KEY_DETAILS_HASH[details] as string | null;
  }
  const logId = isObj(v.logId)
    ? b64(v.logId.keyId, `${what}.logId.keyId`)
    : createHash('sha256').update(der).digest();
  return {
    baseUrl: typeof v.baseUrl === 'string' ? v.baseUrl : undefined,
    logId,
    publicKey,
    hash,
    validFor: validFor(v.publicKey.validFor, `${what}.publicKey.validFor`),
  };
}

/** Parses trusted_root.json (application/vnd.dev.sigstore.trustedroot+json). */
export function parseTrustedRoot(text: Buffer | string, what = 'trusted root'): SigstoreTrustedRoot {
  const j = parseStrictJson(text, what, MAX_TRUSTED_ROOT_BYTES);
  if (!isObj(j)) throw new UserError(`${what} is not a JSON object`);
  if (
    typeof j.mediaType === 'string' &&
    !j.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')
  ) {
    throw new UserError(`${what}: media type "${j.mediaType}" is not a Sigstore trusted root`);
  }
  const list = (k: string): unknown[] => {
    const v = j[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new UserError(`${what}: "${k}" is not a list`);
    return v;
  };
  const certificateAuthorities = list('certificateAuthorities').map((ca, i) => {
    const w = `${what}: certificateAuthorities[${i}]`;
    if (!isObj(ca) || !isObj(ca.certChain) || !Array.isArray(ca.certChain.certificates)) {
      throw new UserError(`${w} has no certChain.certificates`);
    }
    const certificates = (ca.certChain.certificates as unknown[]).map((c, k) => {
      const der = b64(isObj(c) ? c.rawBytes : undefined, `${w}.certChain.certificates[${k}].rawBytes`);
      try {
        return new X509Certificate(der);
      } catch {
        throw new UserError(`${w}.certChain.certificates[${k}] is not a certificate`);
      }
    });
    if (certificates.length === 0) throw new UserError(`${w} has an empty certificate chain`);
    return {
      uri: typeof ca.uri === 'string' ? ca.uri : undefined,
      certificates,
      validFor: validFor(ca.validFor, `${w}.validFor`),
    };
  });
  return {
    tlogs: list('tlogs').map((t, i) => parseLog(t, `${what}: tlogs[${i}]`)),
    certificateAuthorities,
    ctlogs: list('ctlogs').map((t, i) => parseLog(t, `${what}: ctlogs[${i}]`)),
  };
}

// ---------------------------------------------------------------------------------------------
// Bundle

export interface TlogEntry {
  logIndex: bigint;
  logId: Buffer;
  kind: string;
  version: string;
  integratedTime: number;
  signedEntryTimestamp?: Buffer;
  inclusionProof?: {
    logIndex: bigint;
    rootHash: Buffer;
    treeSize: bigint;
    hashes: Buffer[];
    checkpoint: string;
  };
  body: Buffer;
}

export type BundleContent =
  | { kind: 'message'; digest?: { algorithm: string; value: Buffer }; signature: Buffer }
  | { kind: 'dsse'; payloadType: string; payload: Buffer; signature: Buffer };

export interface SigstoreBundle {
  version: '0.1' | '0.2' | '0.3';
  material: { kind: 'certificate'; leaf: X509Certificate } | { kind: 'publicKey'; hint?: string };
  tlogEntries: TlogEntry[];
  content: BundleContent;
}

const BUNDLE_MEDIA_TYPES: Record<string, SigstoreBundle['version']> = {
  'application/vnd.dev.sigstore.bundle+json;version=0.1': '0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2': '0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3': '0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json': '0.3',
};

const HASH_ALGORITHMS: Record<string, string> = {
  SHA2_256: 'sha256',
  SHA2_384: 'sha384',
  SHA2_512: 'sha512',
};

function parseEntry(v: unknown, version: SigstoreBundle['version'], what: string): TlogEntry {
  if (!isObj(v)) throw new UserError(`${what} is not an object`);
  const kv = v.kindVersion;
  if (!isObj(kv) || typeof kv.kind !== 'string' || typeof kv.version !== 'string') {
    throw new UserError(`${what} has no kindVersion`);
  }
  if (!isObj(v.logId)) throw new UserError(`${what} has no logId`);
  const entry: TlogEntry = {
    logIndex: int64(v.logIndex, `${what}.logIndex`),
    logId: b64(v.logId.keyId, `${what}.logId.keyId`),
    kind: kv.kind,
    version: kv.version,
    integratedTime: Number(int64(v.integratedTime, `${what}.integratedTime`)),
    body: b64(v.canonicalizedBody, `${what}.canonicalizedBody`),
  };
  if (v.inclusionPromise !== undefined && v.inclusionPromise !== null) {
    if (!isObj(v.inclusionPromise)) throw new UserError(`${what}.inclusionPromise is not an object`);
    entry.signedEntryTimestamp = b64(
      v.inclusionPromise.signedEntryTimestamp,
      `${what}.inclusionPromise.signedEntryTimestamp`,
    );
  }
  const p = v.inclusionProof;
  if (p !== undefined && p !== null) {
    if (
      !isObj(p) ||
      !Array.isArray(p.hashes) ||
      !isObj(p.checkpoint) ||
      typeof p.checkpoint.envelope !== 'string'
    ) {
      throw new UserError(`${what}.inclusionProof lacks hashes or a checkpoint`);
    }
    if (p.hashes.length > MAX_PROOF_HASHES) throw new UserError(`${what}.inclusionProof has too many hashes`);
    entry.inclusionProof = {
      logIndex: int64(p.logIndex, `${what}.inclusionProof.logIndex`),
      rootHash: b64(p.rootHash, `${what}.inclusionProof.rootHash`),
      treeSize: int64(p.treeSize, `${what}.inclusionProof.treeSize`),
      hashes: (p.hashes as unknown[]).map((h, i) => b64(h, `${what}.inclusionProof.hashes[${i}]`)),
      checkpoint: p.checkpoint.envelope,
    };
  }
  if (version === '0.1' && !entry.signedEntryTimestamp) {
    throw new UserError(`${what}: a v0.1 bundle needs an inclusion promise (SET)`);
  }
  if (version !== '0.1' && !entry.inclusionProof) {
    throw new UserError(`${what}: a v${version} bundle needs an inclusion proof`);
  }
  return entry;
}

/** Parses a Sigstore bundle (JSON, v0.1-v0.3). */
export function parseBundle(text: Buffer | string, what = 'Sigstore bundle'): SigstoreBundle {
  const j = parseStrictJson(text, what, MAX_BUNDLE_BYTES);
  if (!isObj(j)) throw new UserError(`${what} is not a JSON object`);
  const version = typeof j.mediaType === 'string' ? BUNDLE_MEDIA_TYPES[j.mediaType] : undefined;
  if (!version) throw new UserError(`${what}: unsupported media type "${String(j.mediaType)}"`);
  const vm = j.verificationMaterial;
  if (!isObj(vm)) throw new UserError(`${what} has no verificationMaterial`);
  let material: SigstoreBundle['material'];
  const certDer = (c: unknown, w: string): X509Certificate => {
    const der = b64(isObj(c) ? c.rawBytes : undefined, w);
    try {
      return new X509Certificate(der);
    } catch {
      throw new UserError(`${w} is not a certificate`);
    }
  };
  if (isObj(vm.certificate)) {
    material = {
      kind: 'certificate',
      leaf: certDer(vm.certificate, `${what}: verificationMaterial.certificate`),
    };
  } else if (isObj(vm.x509CertificateChain)) {
    const certs = vm.x509CertificateChain.certificates;
    if (!Array.isArray(certs) || certs.length === 0) {
      throw new UserError(`${what}: verificationMaterial.x509CertificateChain is empty`);
    }
    // Only the leaf is used: trust comes from the trusted root's chains, never from the bundle.
    material = {
      kind: 'certificate',
      leaf: certDer(certs[0], `${what}: verificationMaterial.x509CertificateChain.certificates[0]`),
    };
  } else if (isObj(vm.publicKey)) {
    material = {
      kind: 'publicKey',
      hint: typeof vm.publicKey.hint === 'string' ? vm.publicKey.hint : undefined,
    };
  } else {
    throw new UserError(`${what}: verificationMaterial has no certificate or public key`);
  }
  const entries = vm.tlogEntries ?? [];
  if (!Array.isArray(entries)) throw new UserError(`${what}: tlogEntries is not a list`);
  if (entries.length > MAX_TLOG_ENTRIES) throw new UserError(`${what} has too many tlog entries`);
  const tlogEntries = entries.map((e, i) => parseEntry(e, version, `${what}: tlogEntries[${i}]`));
  let content: BundleContent;
  if (isObj(j.messageSignature)) {
    const ms = j.messageSignature;
    let digest: { algorithm: string; value: Buffer } | undefined;
    if (isObj(ms.messageDigest)) {
      const alg = HASH_ALGORITHMS[String(ms.messageDigest.algorithm)];
      if (!alg)
        throw new UserError(`${what}: unsupported digest algorithm "${String(ms.messageDigest.algorithm)}"`);
      digest = {
        algorithm: alg,
        value: b64(ms.messageDigest.digest, `${what}: messageSignature.messageDigest.digest`),
      };
    }
    content = {
      kind: 'message',
      digest,
      signature: b64(ms.signature, `${what}: messageSignature.signature`),
    };
  } else if (isObj(j.dsseEnvelope)) {
    const env = j.dsseEnvelope;
    if (typeof env.payloadType !== 'string') throw new UserError(`${what}: dsseEnvelope has no payloadType`);
    if (!Array.isArray(env.signatures) || env.signatures.length !== 1) {
      throw new UserError(`${what}: dsseEnvelope must have exactly one signature`);
    }
    const sig = env.signatures[0] as unknown;
    content = {
      kind: 'dsse',
      payloadType: env.payloadType,
      payload: b64(env.payload, `${what}: dsseEnvelope.payload`, true),
      signature: b64(isObj(sig) ? sig.sig : undefined, `${what}: dsseEnvelope.signatures[0].sig`),
    };
  } else {
    throw new UserError(`${what} has neither messageSignature nor dsseEnvelope`);
  }
  return { version, material, tlogEntries, content };
}

// ---------------------------------------------------------------------------------------------
// Transparency log checks

/** DSSE pre-authentication encoding. */
export function dssePae(payloadType: string, payload: Buffer): Buffer {
  const t = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${payload.length} `), payload]);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

/** RFC 6962 / RFC 9162 §2.1.3.2: the root a leaf hash and its audit path lead to. */
export function merkleRootFromProof(leafHash: Buffer, index: bigint, size: bigint, proof: Buffer[]): Buffer {
  if (index >= size) throw new UserError('inclusion proof: leaf index is not inside the tree');
  let fn = index;
  let sn = size - 1n;
  let r = leafHash;
  for (const p of proof) {
    if (p.length !== 32) throw new UserError('inclusion proof: a hash is not 32 bytes');
    if (sn === 0n) throw new UserError('inclusion proof: more hashes than the tree is deep');
    if ((fn & 1n) === 1n || fn === sn) {
      r = sha256(Buffer.concat([Buffer.from([1]), p, r]));
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = sha256(Buffer.concat([Buffer.from([1]), r, p]));
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new UserError('inclusion proof: fewer hashes than the tree is deep');
  return r;
}

function findLog(logs: LogAuthority[], logId: Buffer, t: Date): LogAuthority | undefined {
  return logs.find((l) => l.logId.equals(logId) && within(t, l.validFor));
}

function verifySet(entry: TlogEntry, log: LogAuthority, what: string): void {
  const payload =
    `{"body":"${entry.body.toString('base64')}","integratedTime":${entry.integratedTime},` +
    `"logID":"${entry.logId.toString('hex')}","logIndex":${entry.logIndex}}`;
  if (!verifyData(log.publicKey, Buffer.from(payload), entry.signedEntryTimestamp as Buffer, log.hash)) {
    throw new UserError(`${what}: the signed entry timestamp does not verify with the log's key`);
  }
}

function noteKeyHint(log: LogAuthority, name: string): Buffer[] {
  const hints = [log.logId.subarray(0, 4)];
  if (log.publicKey.asymmetricKeyType === 'ed25519') {
    // C2SP signed-note Ed25519 key hash: SHA-256(name || 0x0A || 0x01 || public key)[:4]
    const raw = log.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    hints.push(sha256(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([1]), raw])).subarray(0, 4));
  }
  return hints;
}

function verifyCheckpoint(
  envelope: string,
  logs: LogAuthority[],
  t: Date,
  expect: { rootHash: Buffer; treeSize: bigint },
  what: string,
): void {
  const sep = envelope.indexOf('\n\n');
  if (sep < 0) throw new UserError(`${what}: checkpoint has no signature section`);
  const note = envelope.slice(0, sep + 1);
  const lines = note.slice(0, -1).split('\n');
  if (lines.length < 3) throw new UserError(`${what}: checkpoint has fewer than 3 lines`);
  const size = lines[1] as string;
  if (!/^\d{1,19}$/.test(size) || BigInt(size) !== expect.treeSize) {
    throw new UserError(`${what}: checkpoint tree size ${size} differs from the proof's ${expect.treeSize}`);
  }
  if (!b64(lines[2], `${what}: checkpoint root hash`).equals(expect.rootHash)) {
    throw new UserError(`${what}: checkpoint root hash differs from the inclusion proof's`);
  }
  let verified = 0;
  for (const line of envelope.slice(sep + 2).split('\n')) {
    if (line === '') continue;
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new UserError(`${what}: malformed checkpoint signature line`);
    const blob = b64(m[2], `${what}: checkpoint signature`);
    if (blob.length < 5) throw new UserError(`${what}: checkpoint signature is too short`);
    const hint = blob.subarray(0, 4);
    const log = logs.find(
      (l) => within(t, l.validFor) && noteKeyHint(l, m[1] as string).some((h) => h.equals(hint)),
    );
    if (!log) continue; // a witness or another log: not ours to judge
    if (!verifyData(log.publicKey, Buffer.from(note, 'utf8'), blob.subarray(4), log.hash)) {
      throw new UserError(`${what}: the checkpoint signature does not verify with the log's key`);
    }
    verified++;
  }
  if (verified === 0)
    throw new UserError(`${what}: the checkpoint is not signed by a log of the trusted root`);
}

function bodyJson(entry: TlogEntry, what: string): Obj {
  const j = parseStrictJson(entry.body, `${what}: canonicalized body`, MAX_BUNDLE_BYTES);
  if (!isObj(j) || !isObj(j.spec)) throw new UserError(`${what}: canonicalized body has no spec`);
  if (j.kind !== entry.kind || j.apiVersion !== entry.version) {
    throw new UserError(
      `${what}: body is ${String(j.kind)} ${String(j.apiVersion)}, kindVersion says ${entry.kind} ${entry.version}`,
    );
  }
  return j.spec;
}

/** Checks the log entry records this bundle's signature (and key or digest or payload). */
function checkBody(
  entry: TlogEntry,
  bundle: SigstoreBundle,
  digest: { algorithm: string; value: Buffer } | undefined,
  signerDer: Buffer | undefined,
  what: string,
): void {
  const spec = bodyJson(entry, what);
  const c = bundle.content;
  const mismatch = (x: string) => new UserError(`${what}: the log entry records a different ${x}`);
  const get = (o: unknown, ...path: string[]): unknown =>
    path.reduce((v, k) => (isObj(v) ? v[k] : undefined), o);
  const keyMatches = (pemB64: unknown) => {
    if (!signerDer || typeof pemB64 !== 'string') return true;
    const pem = b64(pemB64, `${what}: body public key`).toString('utf8');
    try {
      const der = /BEGIN CERTIFICATE/.test(pem)
        ? new X509Certificate(pem).raw
        : createPublicKey(pem).export({ format: 'der', type: 'spki' });
      return der.equals(signerDer);
    } catch {
      return false;
    }
  };
  const k = `${entry.kind} ${entry.version}`;
  if (k === 'hashedrekord 0.0.1') {
    if (c.kind !== 'message') throw mismatch('kind of content (hashedrekord for a DSSE envelope)');
    const sig = b64(get(spec, 'signature', 'content'), `${what}: body signature`);
    if (!sig.equals(c.signature)) throw mismatch('signature');
    const want = digest ?? c.digest;
    if (want) {
      const alg = get(spec, 'data', 'hash', 'algorithm');
      const hex = get(spec, 'data', 'hash', 'value');
      if (alg !== want.algorithm || hex !== want.value.toString('hex')) throw mismatch('artifact digest');
    }
    if (!keyMatches(get(spec, 'signature', 'publicKey', 'content'))) throw mismatch('signing key');
    return;
  }
  if (c.kind !== 'dsse') throw mismatch(`kind of content (${k} for a message signature)`);
  const payloadHex = sha256(c.payload).toString('hex');
  if (k === 'dsse 0.0.1') {
    if (get(spec, 'payloadHash', 'value') !== payloadHex) throw mismatch('payload');
    const sigs = get(spec, 'signatures');
    if (!Array.isArray(sigs) || sigs.length !== 1) throw mismatch('number of signatures');
    if (!b64(get(sigs[0], 'signature'), `${what}: body signature`).equals(c.signature))
      throw mismatch('signature');
    if (!keyMatches(get(sigs[0], 'verifier'))) throw mismatch('signing key');
    return;
  }
  if (k === 'intoto 0.0.2') {
    if (get(spec, 'content', 'payloadHash', 'value') !== payloadHex) throw mismatch('payload');
    const sigs = get(spec, 'content', 'envelope', 'signatures');
    if (!Array.isArray(sigs) || sigs.length !== 1) throw mismatch('number of signatures');
    // intoto 0.0.2 stores the envelope's base64 signature base64-encoded once more
    const inner = b64(get(sigs[0], 'sig'), `${what}: body signature`).toString('latin1');
    if (!b64(inner, `${what}: body signature`).equals(c.signature)) throw mismatch('signature');
    if (!keyMatches(get(sigs[0], 'publicKey'))) throw mismatch('signing key');
    return;
  }
  throw new UserError(`${what}: tlog entries of kind ${k} are not supported`);
}

// ---------------------------------------------------------------------------------------------
// Certificates

/** Checks the leaf chains to a CA of the trusted root at time t; returns the leaf's issuer. */
function checkChain(
  leaf: X509Certificate,
  root: SigstoreTrustedRoot,
  t: Date,
  what: string,
): X509Certificate {
  const leafFacts = certFacts(leaf.raw, `${what}: signing certificate`);
  if (t < leafFacts.notBefore || t > leafFacts.notAfter) {
    throw new UserError(
      `${what}: the signing certificate was not valid at ${t.toISOString()} (valid ${leafFacts.notBefore.toISOString()} to ${leafFacts.notAfter.toISOString()})`,
    );
  }
  if (leaf.ca) throw new UserError(`${what}: the signing certificate is a CA certificate`);
  if (!(leaf.keyUsage ?? []).includes(OID_EKU_CODE_SIGNING)) {
    throw new UserError(`${what}: the signing certificate is not for code signing`);
  }
  const reasons: string[] = [];
  for (const ca of root.certificateAuthorities) {
    if (!within(t, ca.validFor)) {
      reasons.push(`${ca.uri ?? 'a CA'} not valid then`);
      continue;
    }
    // Walk up through this CA's certificates; each one on the way must be a CA valid at t.
    let cur = leaf;
    const seen = new Set<X509Certificate>();
    let ok = false;
    let leafIssuer: X509Certificate | undefined;
    for (;;) {
      const issuer = ca.certificates.find(
        (c) => !seen.has(c) && cur.checkIssued(c) && cur.verify(c.publicKey),
      );
      if (!issuer) break;
      seen.add(issuer);
      const f = certFacts(issuer.raw, `${what}: CA certificate`);
      if (!issuer.ca || t < f.notBefore || t > f.notAfter) {
        ok = false;
        break;
      }
      ok = true;
      leafIssuer ??= issuer;
      if (issuer.checkIssued(issuer)) break;
      cur = issuer;
    }
    if (ok && leafIssuer) return leafIssuer;
    reasons.push(`not issued by ${ca.uri ?? 'a CA'}`);
  }
  throw new UserError(
    `${what}: the signing certificate does not chain to a certificate authority of the trusted root valid at ${t.toISOString()}${reasons.length ? ` (${reasons.join('; ')})` : ''}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Signed certificate timestamps (RFC 6962 §3.2) embedded by the CA, checked against ctlogs.

const OID_SCT_LIST = '1.3.6.1.4.1.11129.2.4.2';

const derEncode = (tag: number, content: Buffer): Buffer => tlv(tag, content);

/** The TBSCertificate without one extension: what a CT log signed for a precertificate. */
function tbsWithout(certDer: Buffer, oid: string, what: string): Buffer {
  const tbs = derChildren(derParse(certDer, what), what)[0] as Der;
  const parts = derChildren(tbs, what).map((n) => {
    if (n.tag !== 0xa3) return n.raw;
    const list = derChildren(n, what)[0] as Der;
    const kept = derChildren(list, what).filter((ext) => {
      const id = derChildren(ext, what)[0];
      return !(id?.tag === 0x06 && derOid(id.content) === oid);
    });
    return derEncode(0xa3, derEncode(0x30, Buffer.concat(kept.map((e) => e.raw))));
  });
  return derEncode(0x30, Buffer.concat(parts));
}

interface Sct {
  logId: Buffer;
  timestamp: bigint;
  extensions: Buffer;
  signature: Buffer;
}

function parseScts(list: Buffer, what: string): Sct[] {
  const bad = () => new UserError(`${what}: malformed signed certificate timestamp list`);
  if (list.length < 2 || list.readUInt16BE(0) !== list.length - 2) throw bad();
  const out: Sct[] = [];
  let pos = 2;
  while (pos < list.length) {
    if (pos + 2 > list.length) throw bad();
    const len = list.readUInt16BE(pos);
    const sct = list.subarray(pos + 2, pos + 2 + len);
    pos += 2 + len;
    if (sct.length !== len || len < 47 || sct[0] !== 0) throw bad();
    const extLen = sct.readUInt16BE(41);
    const sigAt = 43 + extLen;
    if (sigAt + 4 > sct.length) throw bad();
    const sigLen = sct.readUInt16BE(sigAt + 2);
    if (sigAt + 4 + sigLen !== sct.length) throw bad();
    out.push({
      logId: sct.subarray(1, 33),
      timestamp: sct.readBigUInt64BE(33),
      extensions: sct.subarray(43, sigAt),
      signature: sct.subarray(sigAt + 4),
    });
  }
  return out;
}

/** Counts the embedded SCTs that verify with a CT log of the trusted root. */
function verifyScts(
  leaf: X509Certificate,
  issuer: X509Certificate,
  ctlogs: LogAuthority[],
  what: string,
): number {
  const ext = certFacts(leaf.raw, what).extensions.get(OID_SCT_LIST);
  if (!ext) return 0;
  const inner = derParse(ext.value, what);
  if (inner.tag !== 0x04) throw new UserError(`${what}: the SCT extension is not an OCTET STRING`);
  const tbs = tbsWithout(leaf.raw, OID_SCT_LIST, what);
  const issuerKeyHash = sha256(issuer.publicKey.export({ format: 'der', type: 'spki' }));
  let ok = 0;
  for (const sct of parseScts(inner.content, what)) {
    const log = ctlogs.find(
      (l) => l.logId.equals(sct.logId) && within(new Date(Number(sct.timestamp)), l.validFor),
    );
    if (!log) continue;
    const head = Buffer.alloc(12);
    head.writeBigUInt64BE(sct.timestamp, 2); // version 0, signature_type 0 (certificate_timestamp)
    head.writeUInt16BE(1, 10); // entry_type precert_entry
    const tbsLen = Buffer.alloc(3);
    tbsLen.writeUIntBE(tbs.length, 0, 3);
    const extLen = Buffer.alloc(2);
    extLen.writeUInt16BE(sct.extensions.length);
    const signed = Buffer.concat([head, issuerKeyHash, tbsLen, tbs, extLen, sct.extensions]);
    if (!verifyData(log.publicKey, signed, sct.signature, log.hash)) {
      throw new UserError(
        `${what}: the signed certificate timestamp of CT log ${sct.logId.toString('hex')} does not verify`,
      );
    }
    ok++;
  }
  return ok;
}

export interface IdentityPolicy {
  /** Expected SAN (email, URI or username): exact string, or a RegExp. */
  subjectAlternativeName?: string | RegExp;
  /** Expected OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8 or .1.1). */
  issuer?: string | RegExp;
}

const matches = (want: string | RegExp, got: string | undefined) =>
  got !== undefined && (typeof want === 'string' ? want === got : want.test(got));

// ---------------------------------------------------------------------------------------------
// Verification

export interface SigstoreVerifyOptions {
  trustedRoot: SigstoreTrustedRoot;
  /** The signed artifact's bytes (message signatures; or compared with an in-toto subject). */
  artifact?: Buffer;
  /** The artifact's digest, "sha256:<hex>", when the bytes are not at hand. */
  artifactDigest?: string;
  identity?: IdentityPolicy;
  /** PEM public keys for bundles signed with a key instead of a certificate. */
  publicKeys?: string[];
  /** Verified transparency log entries required (default 1). */
  tlogThreshold?: number;
  /** Verified SCTs in the certificate required (default 1 when the trusted root lists ctlogs, else 0). */
  ctlogThreshold?: number;
  /** Time used for the certificate when no log entry gives one (default: now). */
  now?: Date;
}

export interface SigstoreVerification {
  signer:
    | { kind: 'certificate'; subjectAlternativeName?: string; issuer?: string; certificate: X509Certificate }
    | { kind: 'publicKey'; keyId: string };
  /** Integrated time of the verified log entries (the earliest). */
  integratedTime?: Date;
  logIndex?: string;
  /** The DSSE payload, when the bundle holds an envelope. */
  payloadType?: string;
  payload?: Buffer;
}

function keyIdOf(k: KeyObject): string {
  return sha256(k.export({ format: 'der', type: 'spki' })).toString('hex');
}

function parseArtifactDigest(d: string): { algorithm: string; value: Buffer } {
  const m = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(d);
  const len = { sha256: 64, sha384: 96, sha512: 128 }[m?.[1] ?? ''] ?? 0;
  if (!m || (m[2] as string).length !== len)
    throw new UserError(`invalid artifact digest "${d.slice(0, 140)}"`);
  return { algorithm: m[1] as string, value: Buffer.from(m[2] as string, 'hex') };
}

/** Checks an in-toto statement names the artifact among its subjects. */
function checkStatementSubject(
  payload: Buffer,
  want: { algorithm: string; value: Buffer },
  what: string,
): void {
  const st = parseStrictJson(payload, `${what}: in-toto statement`, MAX_BUNDLE_BYTES);
  const subjects = isObj(st) ? st.subject : undefined;
  if (!Array.isArray(subjects)) throw new UserError(`${what}: the in-toto statement has no subjects`);
  const hex = want.value.toString('hex');
  const hit = subjects.some((s) => isObj(s) && isObj(s.digest) && s.digest[want.algorithm] === hex);
  if (!hit)
    throw new UserError(`${what}: the artifact (${want.algorithm}:${hex}) is not a subject of the statement`);
}

/** Verifies a parsed bundle; throws a UserError that says why it is not valid. */
export function verifyBundle(
  bundle: SigstoreBundle,
  opts: SigstoreVerifyOptions,
  what = 'Sigstore bundle',
): SigstoreVerification {
  const c = bundle.content;
  // 1. The signing key.
  let keys: KeyObject[];
  let signerDer: Buffer | undefined;
  if (bundle.material.kind === 'certificate') {
    keys = [bundle.material.leaf.publicKey];
    signerDer = bundle.material.leaf.raw;
  } else {
    const all = (opts.publicKeys ?? []).map((pem, i) => {
      try {
        return createPublicKey(pem);
      } catch {
        throw new UserError(`public key ${i + 1} is not a PEM public key`);
      }
    });
    const hint = bundle.material.hint;
    keys = hint && all.some((k) => keyIdOf(k) === hint) ? all.filter((k) => keyIdOf(k) === hint) : all;
    if (keys.length === 0) {
      throw new UserError(
        `${what} is signed with a public key${hint ? ` (hint ${hint})` : ''}: give the key to verify it`,
      );
    }
  }

  // 2. The signature over the content, and what the content says about the artifact.
  const wantDigest = opts.artifactDigest ? parseArtifactDigest(opts.artifactDigest) : undefined;
  let signer: KeyObject | undefined;
  let msgDigest: { algorithm: string; value: Buffer } | undefined;
  if (c.kind === 'message') {
    if (!opts.artifact && !wantDigest) {
      throw new UserError(`${what}: a message signature needs the artifact or its digest to be checked`);
    }
    const alg = c.digest?.algorithm ?? wantDigest?.algorithm ?? 'sha256';
    const digest = opts.artifact
      ? createHash(alg).update(opts.artifact).digest()
      : (wantDigest?.value as Buffer);
    if (wantDigest && opts.artifact) {
      const own = createHash(wantDigest.algorithm).update(opts.artifact).digest();
      if (!own.equals(wantDigest.value))
        throw new UserError(`${what}: the artifact does not have the given digest`);
    }
    if (wantDigest && !opts.artifact && wantDigest.algorithm !== alg) {
      throw new UserError(
        `${what}: the bundle signs a ${alg} digest, the given digest is ${wantDigest.algorithm}`,
      );
    }
    if (c.digest && !c.digest.value.equals(digest)) {
      throw new UserError(`${what}: the bundle is for another artifact (its digest differs)`);
    }
    msgDigest = { algorithm: alg, value: digest };
    const artifact = opts.artifact;
    signer = keys.find((k) =>
      artifact
        ? verifyData(k, artifact, c.signature, alg)
        : verifyDigestSignature(k, alg, digest, c.signature),
    );
  } else {
    const pae = dssePae(c.payloadType, c.payload);
    signer = keys.find((k) => verifyData(k, pae, c.signature));
    if (signer && (wantDigest || opts.artifact)) {
      if (c.payloadType === 'application/vnd.in-toto+json') {
        const want = wantDigest ?? { algorithm: 'sha256', value: sha256(opts.artifact as Buffer) };
        checkStatementSubject(c.payload, want, what);
      } else if (opts.artifact && !opts.artifact.equals(c.payload)) {
        throw new UserError(`${what}: the envelope's payload is not the artifact`);
      } else if (!opts.artifact) {
        throw new UserError(`${what}: a ${c.payloadType} envelope cannot be matched to a digest`);
      }
    }
  }
  if (!signer) {
    throw new UserError(
      `${what}: the signature does not verify with the ${bundle.material.kind === 'certificate' ? "certificate's key" : 'given public key(s)'}`,
    );
  }

  // 3. Transparency log entries.
  const times: Date[] = [];
  let logIndex: string | undefined;
  bundle.tlogEntries.forEach((e, i) => {
    const w = `${what}: tlog entry ${i + 1} (log index ${e.logIndex})`;
    const t = new Date(e.integratedTime * 1000);
    const log = findLog(opts.trustedRoot.tlogs, e.logId, t);
    if (!log)
      throw new UserError(
        `${w}: log ${e.logId.toString('hex')} is not in the trusted root (or not valid then)`,
      );
    checkBody(e, bundle, msgDigest, signerDer ?? signer?.export({ format: 'der', type: 'spki' }), w);
    if (e.signedEntryTimestamp) verifySet(e, log, w);
    if (e.inclusionProof) {
      const p = e.inclusionProof;
      const leafHash = sha256(Buffer.concat([Buffer.from([0]), e.body]));
      const root = merkleRootFromProof(leafHash, p.logIndex, p.treeSize, p.hashes);
      if (!root.equals(p.rootHash))
        throw new UserError(`${w}: the inclusion proof does not lead to its root hash`);
      verifyCheckpoint(p.checkpoint, opts.trustedRoot.tlogs, t, p, w);
    }
    if (!e.signedEntryTimestamp && !e.inclusionProof)
      throw new UserError(`${w}: no inclusion promise or proof`);
    times.push(t);
    logIndex ??= String(e.logIndex);
  });
  const threshold = opts.tlogThreshold ?? 1;
  if (times.length < threshold) {
    throw new UserError(`${what}: ${times.length} verified transparency log entries, ${threshold} required`);
  }

  // 4. Certificate chain at the log's time(s), and the identity.
  const integratedTime = times.length ? new Date(Math.min(...times.map((t) => t.getTime()))) : undefined;
  if (bundle.material.kind === 'certificate') {
    const leaf = bundle.material.leaf;
    let leafIssuer: X509Certificate | undefined;
    for (const t of times.length ? times : [opts.now ?? new Date()]) {
      leafIssuer = checkChain(leaf, opts.trustedRoot, t, what);
    }
    const ctThreshold = opts.ctlogThreshold ?? (opts.trustedRoot.ctlogs.length > 0 ? 1 : 0);
    if (ctThreshold > 0) {
      const n = verifyScts(
        leaf,
        leafIssuer as X509Certificate,
        opts.trustedRoot.ctlogs,
        `${what}: signing certificate`,
      );
      if (n < ctThreshold) {
        throw new UserError(
          `${what}: ${n} signed certificate timestamps from CT logs of the trusted root, ${ctThreshold} required`,
        );
      }
    }
    const facts = certFacts(leaf.raw, `${what}: signing certificate`);
    const sans = subjectAltNames(facts, `${what}: signing certificate`);
    const san = sans.find((s) => s.type !== 'dns')?.value ?? sans[0]?.value;
    const issuer = fulcioIssuer(facts, `${what}: signing certificate`);
    const id = opts.identity;
    if (id?.subjectAlternativeName !== undefined) {
      const want = id.subjectAlternativeName;
      if (!sans.some((s) => matches(want, s.value))) {
        throw new UserError(`${what}: signed by ${san ?? '(no SAN)'}, not by ${String(want)}`);
      }
    }
    if (id?.issuer !== undefined && !matches(id.issuer, issuer)) {
      throw new UserError(
        `${what}: identity issued by ${issuer ?? '(no issuer extension)'}, not by ${String(id.issuer)}`,
      );
    }
    return {
      signer: { kind: 'certificate', subjectAlternativeName: san, issuer, certificate: leaf },
      integratedTime,
      logIndex,
      ...(c.kind === 'dsse' ? { payloadType: c.payloadType, payload: c.payload } : {}),
    };
  }
  if (opts.identity?.subjectAlternativeName !== undefined || opts.identity?.issuer !== undefined) {
    throw new UserError(`${what} is signed with a key, not a certificate: it has no identity to check`);
  }
  return {
    signer: { kind: 'publicKey', keyId: keyIdOf(signer) },
    integratedTime,
    logIndex,
    ...(c.kind === 'dsse' ? { payloadType: c.payloadType, payload: c.payload } : {}),
  };
}

/** Parses and verifies a bundle (JSON text) in one go. */
export function verifySigstoreBundle(
  text: Buffer | string,
  opts: SigstoreVerifyOptions,
  what = 'Sigstore bundle',
): SigstoreVerification {
  return verifyBundle(parseBundle(text, what), opts, what);
}
