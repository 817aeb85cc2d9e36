import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign as cryptoSign, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { canonicalJson, parseStrictJson } from '../../src/trust/cjson.js';
import {
  canonicalKeyId,
  certificatesOf,
  commonNameOf,
  createCertificate,
  generateSigner,
  keyId,
  publicKeyObject,
  signerFromPrivatePem,
  type TufKey,
  verifySig,
} from '../../src/trust/keys.js';
import { ROOT, tmpdir } from '../helpers/env.js';

const SAMPLE = path.join(ROOT, 'test/fixtures/trust/notary-sample');
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;

interface Doc {
  signed: { keys?: Record<string, TufKey>; delegations?: { keys: Record<string, TufKey> } };
  signatures: { keyid: string; method: string; sig: string }[];
}
const load = (f: string) => parseStrictJson(readFileSync(path.join(SAMPLE, f)), f) as Doc;

describe('keys on real Notary metadata', () => {
  const root = load('root.json');
  const targets = load('targets.json');
  const keys: Record<string, TufKey> = { ...root.signed.keys, ...targets.signed.delegations?.keys };

  it('recomputes every key id, including the ecdsa-x509 root certificate', () => {
    assert.equal(Object.keys(keys).length, 5);
    for (const [id, k] of Object.entries(keys)) assert.equal(keyId(k), id, k.keytype);
    const rootId = 'f9a66cc484e8c6a70783cc5af66bda250b449f1639a45429535ee11ba9947fd5';
    const rootKey = keys[rootId] as TufKey;
    assert.equal(rootKey.keytype, 'ecdsa-x509');
    // `notary key list` names the root key by the id of the plain key inside the certificate
    assert.equal(canonicalKeyId(rootKey), '5b392f269f7e312d7e71068c75102ed14050446f3c12cb9238973fea8dc96344');
    const cert = certificatesOf(rootKey)[0];
    assert.equal(cert && commonNameOf(cert), '127.0.0.1:5000/lab/debian-app');
  });

  it("verifies each role's signature over the canonical JSON of signed, and nothing else", () => {
    for (const f of [
      'root.json',
      'targets.json',
      'targets/releases.json',
      'snapshot.json',
      'timestamp.json',
    ]) {
      const doc = load(f);
      const data = Buffer.from(canonicalJson(doc.signed), 'utf8');
      assert.equal(doc.signatures.length, 1);
      for (const s of doc.signatures) {
        const k = keys[s.keyid] as TufKey;
        assert.equal(s.method, 'ecdsa');
        assert.equal(verifySig(k, s.method, s.sig, data), true, f);
        assert.equal(verifySig(k, 'ECDSA', s.sig, data), true, 'methods are case-insensitive, as in Notary');
        assert.equal(verifySig(k, s.method, s.sig, Buffer.concat([data, Buffer.from(' ')])), false, f);
        assert.equal(verifySig(k, 'rsapss', s.sig, data), false, 'method must fit the key type');
        // a different key does not verify it
        const other = Object.values(keys).find((x) => x !== k) as TufKey;
        assert.equal(verifySig(other, s.method, s.sig, data), false);
      }
    }
  });
});

describe('signers', () => {
  const data = Buffer.from('{"_type":"Targets"}');

  for (const type of ['ecdsa', 'ed25519', 'rsa'] as const) {
    it(`${type}: generate, sign, verify, reload from PEM`, () => {
      const s = generateSigner(type);
      assert.equal(s.keyId, keyId(s.publicKey));
      assert.equal(s.publicKey.keytype, type);
      assert.equal(s.publicKey.keyval.private, null);
      const { method, sig } = s.sign(data);
      assert.equal(method, { ecdsa: 'ecdsa', ed25519: 'eddsa', rsa: 'rsapss' }[type]);
      assert.equal(verifySig(s.publicKey, method, sig, data), true);
      assert.equal(verifySig(s.publicKey, method, sig, Buffer.from('{"_type":"Targetz"}')), false);
      const again = signerFromPrivatePem(s.privatePem);
      assert.equal(again.keyId, s.keyId);
      assert.equal(verifySig(again.publicKey, method, again.sign(data).sig, data), true);
      // a signature from another key of the same type does not verify
      const other = generateSigner(type);
      assert.equal(verifySig(s.publicKey, method, other.sign(data).sig, data), false);
    });
  }

  it('writes keys as Notary does: DER SPKI for ecdsa/rsa, raw 32 bytes for ed25519', () => {
    const e = generateSigner('ecdsa');
    const der = Buffer.from(e.publicKey.keyval.public, 'base64');
    assert.equal(
      createPublicKey({ key: der, format: 'der', type: 'spki' }).asymmetricKeyDetails?.namedCurve,
      'prime256v1',
    );
    const ed = generateSigner('ed25519');
    assert.equal(Buffer.from(ed.publicKey.keyval.public, 'base64').length, 32);
    assert.equal(publicKeyObject(ed.publicKey).asymmetricKeyType, 'ed25519');
  });

  it('ecdsa: raw r||s signatures (Notary) and ASN.1 DER signatures both verify', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const s = signerFromPrivatePem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const raw = Buffer.from(s.sign(data).sig, 'base64');
    assert.equal(raw.length, 64);
    const der = cryptoSign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
    assert.equal(verifySig(s.publicKey, 'ecdsa', der.toString('base64'), data), true);
    assert.equal(verifySig(s.publicKey, 'ecdsa', raw.subarray(0, 63).toString('base64'), data), false);
  });

  it('rsa: PKCS#1 v1.5 verifies as rsapkcs1v15 only; keys under 2048 bits are refused', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const s = signerFromPrivatePem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const v15 = cryptoSign('sha256', data, privateKey).toString('base64');
    assert.equal(verifySig(s.publicKey, 'rsapkcs1v15', v15, data), true);
    assert.equal(verifySig(s.publicKey, 'rsapss', v15, data), false);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    assert.throws(
      () => signerFromPrivatePem(small.export({ type: 'pkcs8', format: 'pem' }).toString()),
      (e: unknown) => e instanceof UserError && /at least 2048 bits/.test(e.message),
    );
  });

  it('verifySig never throws on garbage', () => {
    const s = generateSigner('ecdsa');
    assert.equal(verifySig(s.publicKey, 'ecdsa', 'not base64!', data), false);
    assert.equal(verifySig(s.publicKey, 'ecdsa', 'QQ', data), false, 'unpadded base64');
    assert.equal(
      verifySig({ keytype: 'ecdsa', keyval: { public: 'AAAA', private: null } }, 'ecdsa', 'AAAA', data),
      false,
    );
    assert.equal(
      verifySig(
        { keytype: 'bogus', keyval: { public: '', private: null } } as unknown as TufKey,
        'x',
        '',
        data,
      ),
      false,
    );
    assert.equal(verifySig(s.publicKey, 'nosuchmethod', s.sign(data).sig, data), false);
  });

  it('rejects unparseable private keys with a clean error', () => {
    assert.throws(
      () => signerFromPrivatePem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
      (e: unknown) => e instanceof UserError && /cannot parse the PEM/.test(e.message),
    );
  });
});

describe('x509 root keys', () => {
  it('makes a Notary-style self-signed certificate (CN = GUN, code signing, not a CA)', () => {
    const g = generateSigner('ecdsa');
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const s = signerFromPrivatePem(g.privatePem, {
      asX509: { commonName: 'example.com/team/app', years: 10, notBefore },
    });
    assert.equal(s.publicKey.keytype, 'ecdsa-x509');
    assert.notEqual(s.keyId, g.keyId);
    assert.equal(canonicalKeyId(s.publicKey), g.keyId, 'canonical id = id of the plain key');
    const [cert] = certificatesOf(s.publicKey);
    assert.ok(cert);
    assert.equal(commonNameOf(cert), 'example.com/team/app');
    assert.equal(cert.ca, false);
    assert.equal(cert.verify(cert.publicKey), true);
    assert.equal(new Date(cert.validFrom).toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(new Date(cert.validTo).toISOString(), '2036-01-01T00:00:00.000Z');
    const data = Buffer.from('x');
    const { method, sig } = s.sign(data);
    assert.equal(verifySig(s.publicKey, method, sig, data), true);

    // reusing the certificate keeps the key id; a certificate of another key is refused
    const pem = Buffer.from(s.publicKey.keyval.public, 'base64').toString('latin1');
    assert.equal(signerFromPrivatePem(g.privatePem, { certificate: pem }).keyId, s.keyId);
    assert.throws(
      () => signerFromPrivatePem(generateSigner('ecdsa').privatePem, { certificate: pem }),
      (e: unknown) => e instanceof UserError && /does not belong to the private key/.test(e.message),
    );
    assert.throws(
      () =>
        signerFromPrivatePem(generateSigner('ed25519').privatePem, { asX509: { commonName: 'x', years: 1 } }),
      (e: unknown) => e instanceof UserError && /no x509 form for ed25519/.test(e.message),
    );
  });

  it('rsa-x509 works the same way', () => {
    const g = generateSigner('rsa');
    const s = signerFromPrivatePem(g.privatePem, { asX509: { commonName: 'example.com/r', years: 1 } });
    assert.equal(s.publicKey.keytype, 'rsa-x509');
    const data = Buffer.from('y');
    const { method, sig } = s.sign(data);
    assert.equal(method, 'rsapss');
    assert.equal(verifySig(s.publicKey, method, sig, data), true);
  });

  it('a CA-issued leaf chains to its CA', () => {
    const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const notBefore = new Date(Date.now() - 86_400_000);
    const notAfter = new Date(Date.now() + 86_400_000);
    const caPem = createCertificate({
      subject: 'Test CA',
      publicKey: ca.publicKey,
      signingKey: ca.privateKey,
      notBefore,
      notAfter,
      isCA: true,
    });
    const leafPem = createCertificate({
      subject: 'example.com/app',
      issuer: 'Test CA',
      publicKey: leaf.publicKey,
      signingKey: ca.privateKey,
      notBefore,
      notAfter,
    });
    const s = signerFromPrivatePem(leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
      certificate: leafPem,
    });
    const [c] = certificatesOf(s.publicKey);
    const [caCert] = certificatesOf({
      keytype: 'ecdsa-x509',
      keyval: { public: Buffer.from(caPem).toString('base64'), private: null },
    });
    assert.ok(c && caCert);
    assert.equal(caCert.ca, true);
    assert.equal(c.checkIssued(caCert), true);
    assert.equal(c.verify(caCert.publicKey), true);
    assert.equal(c.verify(c.publicKey), false);
  });

  it('openssl reads the certificate the same way', { skip: HAVE_OPENSSL ? false : 'needs openssl' }, () => {
    const g = generateSigner('ecdsa');
    const s = signerFromPrivatePem(g.privatePem, {
      asX509: { commonName: '127.0.0.1:5000/lab/app', years: 10 },
    });
    const dir = tmpdir('dd-keys-');
    const file = path.join(dir, 'root.crt');
    writeFileSync(file, Buffer.from(s.publicKey.keyval.public, 'base64'));
    const r = spawnSync(
      'openssl',
      ['x509', '-in', file, '-noout', '-subject', '-ext', 'keyUsage,extendedKeyUsage,basicConstraints'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /subject=CN\s?=\s?127\.0\.0\.1:5000\/lab\/app/);
    assert.match(r.stdout, /Digital Signature, Key Encipherment/);
    assert.match(r.stdout, /Code Signing/);
    assert.match(r.stdout, /CA:FALSE/);
    // and the key inside is the signer's key
    const pub = spawnSync('openssl', ['x509', '-in', file, '-noout', '-pubkey'], { encoding: 'utf8' });
    const spki = createPublicKey(pub.stdout).export({ type: 'spki', format: 'der' });
    const mine = createPublicKey(createPrivateKey(g.privatePem)).export({ type: 'spki', format: 'der' });
    assert.ok(spki.equals(mine));
  });
});
