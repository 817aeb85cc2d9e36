// cosign key-pair signatures: the key format (against keys cosign wrote), and signatures pushed to the
// real test registry, checked by an independent reading of the published format (plain HTTP + JSON +
// node:crypto) before drydock's own verifier is trusted with tampered and misplaced signatures.

import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { RegistryClient, type RegistryOptions } from '../../src/image/registry/client.js';
import { parseReference, type Reference } from '../../src/image/registry/reference.js';
import {
  generateCosignKeyPair,
  loadCosignPrivateKey,
  publicKeyId,
  SIGNATURE_ANNOTATION,
  SIMPLESIGNING_MEDIA_TYPE,
  signatureTag,
  signCosign,
  simpleSigningPayload,
  verifyCosign,
} from '../../src/trust/cosign.js';
import { CREDS, REGISTRY, SKIP_REGISTRY } from '../helpers/env.js';

// Keys written by `cosign generate-key-pair` with an empty password (published test fixtures).
const COSIGN_KEYS = [
  `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6
OCwicCI6MX0sInNhbHQiOiJLYU9OQzduQVJLOVgxM1FoaWFucjAwTTBGYys2Sitr
dnAxN1FuanpiVk9nPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJVOHZqWWtqMlZOUFZGdlZFZWZ3bXZ5VGloUERrelBoaCJ9LCJj
aXBoZXJ0ZXh0IjoidWNWMnQ4TTZVNFJvb29FOXc0d3dkc3E1RDYrS2RKY245dERT
KzFwRDRGN040SVJOWEgzSTBua3h1a3NackFOUHR1emIvTkVYQ201dUp3Zjh3Qzl1
VlprbXdwNU5jRUZ6b3ZNS3JCZmNvdXdjaEkrMzkrQ0NhbVZPbzBucmRnZjhvcmpK
dXdrWDBYL1phY0RUTERGaUxyc1laMWVMMmlqMGU1MVRpZmVQNTl4WXNPK1FnM1Jv
OURRVjNQMk9ndDFDaVFHeGg1VXhUZytGc3c9PSJ9
-----END ENCRYPTED SIGSTORE PRIVATE KEY-----
`,
  // an older cosign: "ENCRYPTED COSIGN PRIVATE KEY", scrypt N=32768; its public key is the next constant
  `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjozMjc2OCwiciI6
OCwicCI6MX0sInNhbHQiOiJlRHVYMWRQMGtIWVRnK0xkbjcxM0tjbFVJaU92eFVX
VXgvNi9BbitFVk5BPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJwaWhLL2txNmFXa2hqSVVHR3RVUzhTVkdHTDNIWWp4TCJ9LCJj
aXBoZXJ0ZXh0Ijoidm81SHVWRVFWcUZ2WFlQTTVPaTVaWHM5a255bndZU2dvcyth
VklIeHcrOGFPamNZNEtvVjVmL3lHRHR0K3BHV2toanJPR1FLOWdBbmtsazFpQ0c5
a2czUXpPQTZsU2JRaHgvZlowRVRZQ0hLeElncEdPRVRyTDlDenZDemhPZXVSOXJ6
TDcvRjBBVy9vUDVqZXR3dmJMNmQxOEhjck9kWE8yVmYxY2w0YzNLZjVRcnFSZzlN
dlRxQWFsNXJCNHNpY1JaMVhpUUJjb0YwNHc9PSJ9
-----END ENCRYPTED COSIGN PRIVATE KEY-----
`,
];

const COSIGN_OLD_PUBLIC = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEu78QgxOOcao6U91CSzEXxrKhvFTt
JHNy+eX6EMePtDm8CnDF9HSwnTlD0itGJ/XHPQA5YX10fJAqI1y+ehlFMw==
-----END PUBLIC KEY-----
`;

function rejectsWith(re: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.match((e as Error).message, re);
    assert.doesNotMatch((e as Error).message, /\n/);
    return true;
  };
}

function pemJson(pem: string): Record<string, unknown> {
  const b64 = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  return JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as Record<string, unknown>;
}

describe('cosign keys', () => {
  it('decrypts private keys cosign wrote (scrypt + NaCl secretbox), refuses a wrong password', () => {
    for (const pem of COSIGN_KEYS) {
      const k = loadCosignPrivateKey(pem, '');
      assert.equal(k.type, 'private');
      assert.equal(k.asymmetricKeyType, 'ec');
      assert.equal(k.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.throws(() => loadCosignPrivateKey(pem, 'not the password'), rejectsWith(/wrong password/));
      assert.throws(() => loadCosignPrivateKey(pem), rejectsWith(/is encrypted: set COSIGN_PASSWORD/));
    }
    // the decrypted private key belongs to the public key cosign wrote next to it
    assert.equal(
      publicKeyId(loadCosignPrivateKey(COSIGN_KEYS[1] as string, '')),
      publicKeyId(createPublicKey(COSIGN_OLD_PUBLIC)),
    );
  });

  it("writes keys in cosign's layout that load back only with the password", () => {
    const { privatePem, publicPem } = generateCosignKeyPair('correct horse');
    assert.match(privatePem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    const j = pemJson(privatePem) as {
      kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
      cipher: { name: string; nonce: string };
      ciphertext: string;
    };
    assert.deepEqual(Object.keys(j), ['kdf', 'cipher', 'ciphertext']);
    assert.equal(j.kdf.name, 'scrypt');
    assert.deepEqual(j.kdf.params, { N: 65536, r: 8, p: 1 });
    assert.equal(Buffer.from(j.kdf.salt, 'base64').length, 32);
    assert.equal(j.cipher.name, 'nacl/secretbox');
    assert.equal(Buffer.from(j.cipher.nonce, 'base64').length, 24);
    const k = loadCosignPrivateKey(privatePem, 'correct horse');
    // secretbox overhead is the 16-byte Poly1305 tag in front of the PKCS#8 key
    const der = k.export({ format: 'der', type: 'pkcs8' });
    assert.equal(Buffer.from(j.ciphertext, 'base64').length, der.length + 16);
    assert.equal(publicKeyId(k), publicKeyId(createPublicKey(publicPem)));
    assert.throws(() => loadCosignPrivateKey(privatePem, 'Correct horse'), rejectsWith(/wrong password/));
    const box = Buffer.from(j.ciphertext, 'base64');
    box[box.length - 1] = (box[box.length - 1] as number) ^ 1;
    const tampered = `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(JSON.stringify({ ...j, ciphertext: box.toString('base64') })).toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
    assert.throws(
      () => loadCosignPrivateKey(tampered, 'correct horse'),
      rejectsWith(/wrong password|corrupt/),
    );
  });

  it('also takes PKCS#8 keys, plain or encrypted, and SEC1 EC keys; junk is a clean error', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const plain = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const sec1 = privateKey.export({ format: 'pem', type: 'sec1' }) as string;
    const enc = privateKey.export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: 'pw',
    }) as string;
    for (const [pem, pw] of [
      [plain, undefined],
      [sec1, undefined],
      [enc, 'pw'],
    ] as const) {
      assert.equal(publicKeyId(loadCosignPrivateKey(pem, pw)), publicKeyId(privateKey));
    }
    assert.throws(() => loadCosignPrivateKey(enc), rejectsWith(/is encrypted/));
    assert.throws(() => loadCosignPrivateKey(enc, 'wrong'), rejectsWith(/cannot be read/));
    assert.throws(() => loadCosignPrivateKey('hello'), rejectsWith(/not a PEM private key/));
  });

  it('payload and signature tag are laid out as cosign does', () => {
    const ref = parseReference('127.0.0.1:15000/dd/app:1.0');
    const d = `sha256:${'ab'.repeat(32)}`;
    assert.equal(
      simpleSigningPayload(ref, d).toString(),
      `{"critical":{"identity":{"docker-reference":"127.0.0.1:15000/dd/app"},"image":{"docker-manifest-digest":"${d}"},"type":"cosign container image signature"},"optional":null}`,
    );
    assert.match(simpleSigningPayload(ref, d, { sig: 'x' }).toString(), /"optional":\{"sig":"x"\}\}$/);
    assert.equal(signatureTag(d), `sha256-${'ab'.repeat(32)}.sig`);
    assert.throws(() => signatureTag('sha256:xyz'), rejectsWith(/invalid image digest/));
  });
});

// ---------------------------------------------------------------------------------------------
// Against the real registry

const REPO = 'dd/cosign-test';
const PLAIN: RegistryOptions = { insecure: true };
const AUTH: RegistryOptions = { insecure: true, credentials: { ...CREDS } };

/** Pushes a tiny unique image and returns its reference and manifest digest. */
async function pushImage(
  host: string,
  opts: RegistryOptions,
  tag = 'v1',
): Promise<{ ref: Reference; digest: string }> {
  const ref = parseReference(`${host}/${REPO}:${tag}`);
  const c = new RegistryClient(ref, opts);
  try {
    const layer = randomBytes(64);
    const layerDigest = await c.putBlob(layer);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layerDigest] },
        config: {},
      }),
    );
    const configDigest = await c.putBlob(config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length },
        ],
      }),
    );
    const digest = await c.putManifest(tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
    return { ref, digest };
  } finally {
    await c.close();
  }
}

/** Plain HTTP, no drydock code: what any other tool would see. */
async function fetchJson(
  host: string,
  p: string,
  accept?: string,
): Promise<{ body: Buffer; json: Record<string, unknown> }> {
  const res = await fetch(`http://${host}/v2/${REPO}/${p}`, accept ? { headers: { accept } } : {});
  assert.equal(res.status, 200, `GET ${p}`);
  const body = Buffer.from(await res.arrayBuffer());
  return { body, json: JSON.parse(body.toString('utf8')) as Record<string, unknown> };
}

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

describe('cosign signatures in a registry', { skip: SKIP_REGISTRY }, () => {
  it('what drydock pushes checks out against the published format (independent check)', async () => {
    const { ref, digest } = await pushImage(REGISTRY.plain, PLAIN);
    const { privatePem, publicPem } = generateCosignKeyPair('pw');
    const res = await signCosign(ref, digest, privatePem, { password: 'pw', registry: PLAIN });
    const tag = `sha256-${digest.slice('sha256:'.length)}.sig`;
    assert.equal(res.tag, tag);

    const { body: mBody, json: m } = await fetchJson(
      REGISTRY.plain,
      `manifests/${tag}`,
      'application/vnd.oci.image.manifest.v1+json',
    );
    assert.equal(`sha256:${createHash('sha256').update(mBody).digest('hex')}`, res.manifestDigest);
    assert.equal(m.schemaVersion, 2);
    assert.equal(m.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    const config = m.config as Layer;
    assert.equal(config.mediaType, 'application/vnd.oci.image.config.v1+json');
    const layers = m.layers as Layer[];
    assert.equal(layers.length, 1);
    const layer = layers[0] as Layer;
    assert.equal(layer.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');

    const { body: cfgBody, json: cfg } = await fetchJson(REGISTRY.plain, `blobs/${config.digest}`);
    assert.equal(cfgBody.length, config.size);
    assert.deepEqual(cfg.rootfs, { type: 'layers', diff_ids: [layer.digest] });

    const { body: payload, json: p } = await fetchJson(REGISTRY.plain, `blobs/${layer.digest}`);
    assert.equal(payload.length, layer.size);
    assert.equal(`sha256:${createHash('sha256').update(payload).digest('hex')}`, layer.digest);
    assert.deepEqual(Object.keys(p), ['critical', 'optional']);
    assert.deepEqual(p.critical, {
      identity: { 'docker-reference': `${REGISTRY.plain}/${REPO}` },
      image: { 'docker-manifest-digest': digest },
      type: 'cosign container image signature',
    });
    const sigB64 = layer.annotations?.['dev.cosignproject.cosign/signature'] as string;
    assert.match(sigB64, /^[A-Za-z0-9+/]+={0,2}$/);
    const sig = Buffer.from(sigB64, 'base64');
    assert.equal(sig[0], 0x30, 'ECDSA signature in ASN.1 DER');
    assert.ok(
      verify('sha256', payload, createPublicKey(publicPem), sig),
      'ECDSA P-256 SHA-256 over the payload',
    );

    const ok = await verifyCosign(ref, digest, { publicKeys: [publicPem], registry: PLAIN });
    assert.equal(ok.keyId, publicKeyId(createPublicKey(publicPem)));
  });

  it('a second signature is appended as a layer; each key verifies; an unknown key does not', async () => {
    const { ref, digest } = await pushImage(REGISTRY.plain, PLAIN);
    const a = generateCosignKeyPair('a');
    const b = generateCosignKeyPair('b');
    await signCosign(ref, digest, loadCosignPrivateKey(a.privatePem, 'a'), { registry: PLAIN });
    await signCosign(ref, digest, loadCosignPrivateKey(b.privatePem, 'b'), { registry: PLAIN });
    const { json: m } = await fetchJson(
      REGISTRY.plain,
      `manifests/${signatureTag(digest)}`,
      'application/vnd.oci.image.manifest.v1+json',
    );
    const layers = m.layers as Layer[];
    assert.equal(layers.length, 2);
    const { json: cfg } = await fetchJson(REGISTRY.plain, `blobs/${(m.config as Layer).digest}`);
    assert.deepEqual((cfg.rootfs as { diff_ids: string[] }).diff_ids, [layers[0]?.digest, layers[1]?.digest]);
    for (const [i, kp] of [a, b].entries()) {
      const { body } = await fetchJson(REGISTRY.plain, `blobs/${layers[i]?.digest}`);
      const sig = Buffer.from(layers[i]?.annotations?.[SIGNATURE_ANNOTATION] as string, 'base64');
      assert.ok(verify('sha256', body, createPublicKey(kp.publicPem), sig));
      const r = await verifyCosign(ref, digest, { publicKeys: [kp.publicPem], registry: PLAIN });
      assert.equal(r.keyId, publicKeyId(createPublicKey(kp.publicPem)));
    }
    const stranger = generateCosignKeyPair('c').publicPem;
    await assert.rejects(
      verifyCosign(ref, digest, { publicKeys: [stranger], registry: PLAIN }),
      rejectsWith(
        /signature 1: does not verify with any of the 1 trusted key\(s\); signature 2: does not verify/,
      ),
    );
  });

  it('a tampered payload is rejected', async () => {
    const { ref, digest } = await pushImage(REGISTRY.plain, PLAIN);
    const kp = generateCosignKeyPair('pw');
    const signed = await signCosign(ref, digest, kp.privatePem, { password: 'pw', registry: PLAIN });
    const c = new RegistryClient(parseReference(`${REGISTRY.plain}/${REPO}:x`), PLAIN);
    try {
      // same signature, payload changed (an "optional" claim added after signing)
      const payload = Buffer.from(
        simpleSigningPayload(ref, digest)
          .toString()
          .replace('"optional":null', '"optional":{"by":"mallory"}'),
      );
      const layer = {
        mediaType: SIMPLESIGNING_MEDIA_TYPE,
        size: payload.length,
        digest: await c.putBlob(payload),
        annotations: { [SIGNATURE_ANNOTATION]: signed.signature },
      };
      const cfg = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [layer.digest] } }));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            size: cfg.length,
            digest: await c.putBlob(cfg),
          },
          layers: [layer],
        }),
      );
      await c.putManifest(signatureTag(digest), manifest, 'application/vnd.oci.image.manifest.v1+json');
    } finally {
      await c.close();
    }
    await assert.rejects(
      verifyCosign(ref, digest, { publicKeys: [kp.publicPem], registry: PLAIN }),
      rejectsWith(/failed: signature 1: does not verify with any of the 1 trusted key/),
    );
  });

  it('a signature for another digest is rejected, and an unsigned image has no signature', async () => {
    const one = await pushImage(REGISTRY.plain, PLAIN, 'one');
    const two = await pushImage(REGISTRY.plain, PLAIN, 'two');
    const kp = generateCosignKeyPair('pw');
    const signed = await signCosign(one.ref, one.digest, kp.privatePem, { password: 'pw', registry: PLAIN });
    await assert.rejects(
      verifyCosign(two.ref, two.digest, { publicKeys: [kp.publicPem], registry: PLAIN }),
      rejectsWith(/no cosign signature for .*: tag sha256-[0-9a-f]{64}\.sig not found/),
    );
    // move image one's (valid) signature manifest to image two's signature tag
    const c = new RegistryClient(two.ref, PLAIN);
    try {
      const { data } = await c.getManifest(signed.tag);
      await c.putManifest(signatureTag(two.digest), data, 'application/vnd.oci.image.manifest.v1+json');
    } finally {
      await c.close();
    }
    await assert.rejects(
      verifyCosign(two.ref, two.digest, { publicKeys: [kp.publicPem], registry: PLAIN }),
      rejectsWith(new RegExp(`signature 1: payload is for ${one.digest}, not ${two.digest}`)),
    );
    await assert.rejects(
      verifyCosign(two.ref, two.digest, { publicKeys: ['not a key'], registry: PLAIN }),
      rejectsWith(/cosign public key 1 is not a PEM public key/),
    );
  });

  it('signs and verifies through a token-auth registry with credentials; anonymous push is refused', async () => {
    const { ref, digest } = await pushImage(REGISTRY.token, AUTH);
    const kp = generateCosignKeyPair('');
    await signCosign(ref, digest, kp.privatePem, { password: '', registry: AUTH });
    const r = await verifyCosign(ref, digest, { publicKeys: [kp.publicPem], registry: AUTH });
    assert.ok(r.keyId);
    await assert.rejects(
      signCosign(ref, digest, kp.privatePem, {
        password: '',
        registry: { insecure: true, credentials: { dockerConfig: '/nonexistent' } },
      }),
      rejectsWith(/token server|requires authentication|denied|refused/),
    );
  });
});
