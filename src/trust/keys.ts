// TUF keys as Notary writes them: key ids, signing and signature verification for Notary's key
// types (ecdsa, ecdsa-x509, ed25519, rsa, rsa-x509) and self-signed root certificates.
//
// Public key encodings (keyval.public, base64): ecdsa and rsa = DER SubjectPublicKeyInfo;
// ed25519 = the raw 32-byte key (as Notary writes it); ecdsa-x509 and rsa-x509 = a PEM bundle
// (leaf certificate first, then any intermediates). Signature methods: ecdsa (raw r||s over
// SHA-256; ASN.1 DER is accepted too), rsapss (SHA-256, salt = 32), rsapkcs1v15, eddsa/ed25519.

import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  X509Certificate,
} from 'node:crypto';
import { UserError } from '../errors.js';
import { derOidEncode, derSeq, tlv } from '../util/der.js';
import { canonicalJson } from './cjson.js';

export type KeyType = 'ecdsa' | 'ecdsa-x509' | 'ed25519' | 'rsa' | 'rsa-x509';
export const KEY_TYPES: readonly KeyType[] = ['ecdsa', 'ecdsa-x509', 'ed25519', 'rsa', 'rsa-x509'];

export interface TufKey {
  keytype: KeyType;
  keyval: { public: string; private: string | null };
}

export interface Signer {
  keyId: string;
  publicKey: TufKey;
  sign(data: Buffer): { method: string; sig: string };
}

const MIN_RSA_BITS = 2048;

/** Notary's key id: hex SHA-256 of the canonical JSON of the key with `private` null. */
export function keyId(k: TufKey): string {
  const pub = { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } };
  return createHash('sha256').update(canonicalJson(pub), 'utf8').digest('hex');
}

/**
 * Notary's "canonical" key id: for a *-x509 key, the id of the plain key inside the certificate
 * (what `notary key list` shows and what names the private key file); for other keys, keyId().
 */
export function canonicalKeyId(k: TufKey): string {
  if (k.keytype !== 'ecdsa-x509' && k.keytype !== 'rsa-x509') return keyId(k);
  const cert = leafCertificate(k);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return keyId({
    keytype: k.keytype === 'ecdsa-x509' ? 'ecdsa' : 'rsa',
    keyval: { public: spki.toString('base64'), private: null },
  });
}

/** Strict standard base64 (padding required), as Go's encoding/json decodes []byte. */
export function decodeBase64Strict(s: string, what: string): Buffer {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s))
    throw new UserError(`${what}: not valid base64`);
  return Buffer.from(s, 'base64');
}

/** The PEM certificates of a *-x509 key, leaf first. */
export function certificatesOf(k: TufKey): X509Certificate[] {
  if (k.keytype !== 'ecdsa-x509' && k.keytype !== 'rsa-x509') return [];
  const pem = decodeBase64Strict(k.keyval.public, `${k.keytype} key`).toString('latin1');
  return parsePemCertificates(pem, `${k.keytype} key`);
}

/** All CERTIFICATE blocks of a PEM text (a bundle). */
export function parsePemCertificates(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new UserError(`${what}: no PEM certificate found`);
  if (blocks.length > 10) throw new UserError(`${what}: more than 10 certificates in one bundle`);
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch {
      throw new UserError(`${what}: cannot parse the PEM certificate`);
    }
  });
}

function leafCertificate(k: TufKey): X509Certificate {
  const certs = certificatesOf(k);
  const leaf = certs[0];
  if (!leaf) throw new UserError(`${k.keytype} key: no certificate`);
  return leaf;
}

/** The public key of a TUF key as a node KeyObject (UserError when it cannot be decoded). */
export function publicKeyObject(k: TufKey): KeyObject {
  try {
    switch (k.keytype) {
      case 'ecdsa':
      case 'rsa': {
        const der = decodeBase64Strict(k.keyval.public, `${k.keytype} key`);
        const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
        const want = k.keytype === 'ecdsa' ? 'ec' : 'rsa';
        if (key.asymmetricKeyType !== want)
          throw new UserError(`${k.keytype} key holds a ${key.asymmetricKeyType} key`);
        return key;
      }
      case 'ecdsa-x509':
      case 'rsa-x509': {
        const key = leafCertificate(k).publicKey;
        const want = k.keytype === 'ecdsa-x509' ? 'ec' : 'rsa';
        if (key.asymmetricKeyType !== want)
          throw new UserError(`${k.keytype} key holds a ${key.asymmetricKeyType} key`);
        return key;
      }
      case 'ed25519': {
        const raw = decodeBase64Strict(k.keyval.public, 'ed25519 key');
        if (raw.length !== 32)
          throw new UserError(`ed25519 key: public key is ${raw.length} bytes, expected 32`);
        return createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
          format: 'jwk',
        });
      }
      default:
        throw new UserError(`unsupported key type ${JSON.stringify((k as { keytype: unknown }).keytype)}`);
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${k.keytype} key: cannot decode the public key`);
  }
}

function ecFieldBytes(key: KeyObject): number {
  switch (key.asymmetricKeyDetails?.namedCurve) {
    case 'prime256v1':
      return 32;
    case 'secp384r1':
      return 48;
    case 'secp521r1':
      return 66;
    default:
      return 0;
  }
}

/**
 * Verifies one signature (base64) over `data` with a TUF key. Never throws: any decoding problem
 * or a method that does not fit the key type is simply "not valid".
 */
export function verifySig(key: TufKey, method: string, sig: string, data: Buffer): boolean {
  try {
    const sigBytes = decodeBase64Strict(sig, 'signature');
    const pub = publicKeyObject(key);
    switch (method.toLowerCase()) {
      case 'ecdsa': {
        if (key.keytype !== 'ecdsa' && key.keytype !== 'ecdsa-x509') return false;
        if (sigBytes[0] === 0x30 && cryptoVerify('sha256', data, { key: pub, dsaEncoding: 'der' }, sigBytes))
          return true;
        if (sigBytes.length !== 2 * ecFieldBytes(pub)) return false;
        return cryptoVerify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, sigBytes);
      }
      case 'rsapss':
      case 'pycrypto-pkcs#1 pss': {
        if (key.keytype !== 'rsa' && key.keytype !== 'rsa-x509') return false;
        if ((pub.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return false;
        return cryptoVerify(
          'sha256',
          data,
          { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          sigBytes,
        );
      }
      case 'rsapkcs1v15': {
        if (key.keytype !== 'rsa' && key.keytype !== 'rsa-x509') return false;
        if ((pub.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return false;
        return cryptoVerify('sha256', data, { key: pub, padding: constants.RSA_PKCS1_PADDING }, sigBytes);
      }
      case 'eddsa':
      case 'ed25519': {
        if (key.keytype !== 'ed25519' || sigBytes.length !== 64) return false;
        return cryptoVerify(null, data, pub, sigBytes);
      }
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** A TUF key for a node public key: ecdsa/rsa as DER SPKI, ed25519 raw. */
export function tufKeyFromPublic(pub: KeyObject): TufKey {
  switch (pub.asymmetricKeyType) {
    case 'ec':
      return {
        keytype: 'ecdsa',
        keyval: { public: pub.export({ type: 'spki', format: 'der' }).toString('base64'), private: null },
      };
    case 'rsa':
      return {
        keytype: 'rsa',
        keyval: { public: pub.export({ type: 'spki', format: 'der' }).toString('base64'), private: null },
      };
    case 'ed25519': {
      const jwk = pub.export({ format: 'jwk' });
      const raw = Buffer.from(String(jwk.x), 'base64url');
      return { keytype: 'ed25519', keyval: { public: raw.toString('base64'), private: null } };
    }
    default:
      throw new UserError(
        `unsupported key algorithm ${pub.asymmetricKeyType ?? 'unknown'} (use ecdsa, ed25519 or rsa)`,
      );
  }
}

function makeSigner(priv: KeyObject, publicKey: TufKey): Signer {
  const kind = priv.asymmetricKeyType;
  return {
    keyId: keyId(publicKey),
    publicKey,
    sign(data: Buffer) {
      if (kind === 'ec') {
        return {
          method: 'ecdsa',
          sig: cryptoSign('sha256', data, { key: priv, dsaEncoding: 'ieee-p1363' }).toString('base64'),
        };
      }
      if (kind === 'rsa') {
        const sig = cryptoSign('sha256', data, {
          key: priv,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 32,
        });
        return { method: 'rsapss', sig: sig.toString('base64') };
      }
      return { method: 'eddsa', sig: cryptoSign(null, data, priv).toString('base64') };
    },
  };
}

/** A new key pair (ecdsa = P-256, rsa = 2048 bits) with its PKCS#8 PEM. */
export function generateSigner(type: 'ecdsa' | 'ed25519' | 'rsa'): Signer & { privatePem: string } {
  const { privateKey } =
    type === 'ecdsa'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: MIN_RSA_BITS })
        : generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { ...signerFromKeyObject(privateKey), privatePem };
}

function signerFromKeyObject(priv: KeyObject): Signer {
  const pub = createPublicKey(priv);
  return makeSigner(priv, tufKeyFromPublic(pub));
}

/**
 * A signer for a private key PEM (PKCS#8, SEC1 or PKCS#1, unencrypted). With `asX509` the public
 * key is a self-signed certificate with CN = commonName (Notary's root key form, ecdsa-x509 or
 * rsa-x509); pass `certificate` (PEM) to reuse one made before, so the key id stays the same.
 */
export function signerFromPrivatePem(
  pem: string,
  opts?: { asX509?: { commonName: string; years: number; notBefore?: Date }; certificate?: string },
): Signer {
  let priv: KeyObject;
  try {
    priv = createPrivateKey(pem);
  } catch {
    throw new UserError('private key: cannot parse the PEM (encrypted keys must be decrypted first)');
  }
  const kind = priv.asymmetricKeyType;
  if (kind !== 'ec' && kind !== 'rsa' && kind !== 'ed25519') {
    throw new UserError(
      `private key: unsupported algorithm ${kind ?? 'unknown'} (use ecdsa, ed25519 or rsa)`,
    );
  }
  if (kind === 'rsa' && (priv.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw new UserError(`private key: RSA keys must have at least ${MIN_RSA_BITS} bits`);
  }
  const pub = createPublicKey(priv);
  if (!opts?.asX509 && !opts?.certificate) return makeSigner(priv, tufKeyFromPublic(pub));
  if (kind === 'ed25519')
    throw new UserError('private key: Notary has no x509 form for ed25519 keys (use ecdsa)');
  let certPem: string;
  if (opts.certificate) {
    const cert = parsePemCertificates(opts.certificate, 'certificate')[0] as X509Certificate;
    const a = cert.publicKey.export({ type: 'spki', format: 'der' });
    const b = pub.export({ type: 'spki', format: 'der' });
    if (!a.equals(b)) throw new UserError('certificate: its public key does not belong to the private key');
    certPem = opts.certificate;
  } else {
    const x = opts.asX509 as { commonName: string; years: number; notBefore?: Date };
    const notBefore = x.notBefore ?? new Date();
    const notAfter = new Date(notBefore.getTime());
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + x.years);
    certPem = createCertificate({
      subject: x.commonName,
      publicKey: pub,
      signingKey: priv,
      notBefore,
      notAfter,
    });
  }
  const publicKey: TufKey = {
    keytype: kind === 'ec' ? 'ecdsa-x509' : 'rsa-x509',
    keyval: { public: Buffer.from(certPem, 'latin1').toString('base64'), private: null },
  };
  return makeSigner(priv, publicKey);
}

// ---------------------------------------------------------------------------------------------
// Minimal X.509 writer (DER) for Notary-style root certificates and test CAs.

const seq = derSeq;
const oid = derOidEncode;

function derInt(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && ((b[1] ?? 0) & 0x80) === 0) b = b.subarray(1);
  if (((b[0] ?? 0) & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function derTime(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const y = d.getUTCFullYear();
  const body = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(body, 'ascii'));
  return tlv(0x18, Buffer.from(`${iso.slice(0, 2)}${body}`, 'ascii'));
}

function derName(cn: string): Buffer {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(cn);
  const value = tlv(printable ? 0x13 : 0x0c, Buffer.from(cn, 'utf8'));
  return seq(tlv(0x31, seq(oid('2.5.4.3'), value)));
}

function sigAlgFor(key: KeyObject): Buffer {
  if (key.asymmetricKeyType === 'ec') return seq(oid('1.2.840.10045.4.3.2')); // ecdsa-with-SHA256
  if (key.asymmetricKeyType === 'rsa') return seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  throw new UserError(`certificates can only be signed with ecdsa or rsa keys, not ${key.asymmetricKeyType}`);
}

/**
 * A PEM certificate. Defaults follow Notary's root certificates: key usage digitalSignature +
 * keyEncipherment (critical), extended key usage codeSigning, basic constraints CA:false
 * (critical). `isCA` makes a CA certificate (keyCertSign + cRLSign, CA:true).
 */
export function createCertificate(opts: {
  subject: string;
  issuer?: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  isCA?: boolean;
  serial?: Buffer;
}): string {
  const alg = sigAlgFor(opts.signingKey);
  const serial = opts.serial ?? randomBytes(16);
  const spki = opts.publicKey.export({ type: 'spki', format: 'der' });
  const critical = Buffer.from([0x01, 0x01, 0xff]);
  const ext = (id: string, crit: boolean, value: Buffer) =>
    seq(oid(id), ...(crit ? [critical] : []), tlv(0x04, value));
  const exts = opts.isCA
    ? [
        ext('2.5.29.15', true, tlv(0x03, Buffer.from([0x01, 0x06]))), // keyCertSign, cRLSign
        ext('2.5.29.19', true, seq(Buffer.from([0x01, 0x01, 0xff]))), // CA:true
      ]
    : [
        ext('2.5.29.15', true, tlv(0x03, Buffer.from([0x05, 0xa0]))), // digitalSignature, keyEncipherment
        ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.3'))), // codeSigning
        ext('2.5.29.19', true, seq()), // CA:false
      ];
  const tbs = seq(
    tlv(0xa0, derInt(Buffer.from([2]))),
    derInt(serial),
    alg,
    derName(opts.issuer ?? opts.subject),
    seq(derTime(opts.notBefore), derTime(opts.notAfter)),
    derName(opts.subject),
    spki,
    tlv(0xa3, seq(...exts)),
  );
  const sig =
    opts.signingKey.asymmetricKeyType === 'ec'
      ? cryptoSign('sha256', tbs, { key: opts.signingKey, dsaEncoding: 'der' })
      : cryptoSign('sha256', tbs, { key: opts.signingKey, padding: constants.RSA_PKCS1_PADDING });
  const der = seq(tbs, alg, tlv(0x03, Buffer.from([0]), sig));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

/** The CN of a certificate subject (undefined when there is none). */
export function commonNameOf(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) {
    // node escapes RFC 2253 specials (\, \+ ...) in subject lines
    if (line.startsWith('CN=')) return line.slice(3).replace(/\\(.)/g, '$1');
  }
  return undefined;
}
