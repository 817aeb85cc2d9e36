// Notation verification. The test PKI is made with the openssl CLI; envelopes are assembled and
// signed here (RSA-PSS by `openssl dgst`, ECDSA by node:crypto) without any of the verifier's code,
// then checked by verifyEnvelope (pure) and verifyNotation against the real test registry.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { parseReference } from '../../src/image/registry/reference.js';
import {
  loadTrustStore,
  type NotationPolicy,
  type NotationTrustPolicy,
  parseDn,
  parseNotationPolicyText,
  type TargetDescriptor,
  verifyEnvelope,
  verifyNotation,
} from '../../src/trust/notation.js';
import { REGISTRY, SKIP_REGISTRY, tmpdir } from '../helpers/env.js';

const SIG_TYPE = 'application/vnd.cncf.notary.signature';
const PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const SUBJECT_DN = 'C=US, ST=WA, L=Seattle, O=example.com, CN=builder';

let dir: string;
let store: string;

function ossl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function derB64(pemFile: string): string {
  const pem = readFileSync(path.join(dir, pemFile), 'utf8');
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m?.[1]) throw new Error(`${pemFile}: no certificate`);
  return m[1].replace(/\s+/g, '');
}

function makeCa(name: string, subj: string): void {
  ossl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '30',
    '-subj',
    subj,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
}

function makeLeaf(
  name: string,
  ca: string,
  key: string[],
  ext: string,
  subj = '/C=US/ST=WA/L=Seattle/O=example.com/CN=builder',
): void {
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  ossl('req', '-newkey', ...key, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
  ossl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '10',
    '-extfile',
    `${name}.ext`,
  );
}

const LEAF_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n';

before(() => {
  dir = tmpdir('dd-notation-');
  makeCa('root', '/C=US/ST=WA/O=example.com/CN=Test Root');
  makeCa('other', '/C=US/ST=WA/O=example.org/CN=Other Root');
  makeLeaf('leaf', 'root', ['rsa:2048'], LEAF_EXT);
  makeLeaf('ec', 'root', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], LEAF_EXT);
  makeLeaf('foreign', 'other', ['rsa:2048'], LEAF_EXT);
  makeLeaf('tls', 'root', ['rsa:2048'], 'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  makeLeaf(
    'crl',
    'root',
    ['rsa:2048'],
    `${LEAF_EXT}crlDistributionPoints=URI:http://crl.example.com/root.crl\n`,
  );
  store = path.join(dir, 'truststore');
  mkdirSync(path.join(store, 'x509', 'ca', 'trusted'), { recursive: true });
  writeFileSync(
    path.join(store, 'x509', 'ca', 'trusted', 'root.crt'),
    readFileSync(path.join(dir, 'root.crt')),
  );
});

interface EnvOpts {
  leaf?: 'leaf' | 'ec' | 'foreign' | 'tls' | 'crl';
  chain?: string[];
  target?: TargetDescriptor;
  header?: Record<string, unknown>;
  tamper?: (env: Record<string, unknown>) => void;
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Signs with the leaf's key: RSA-PSS (salt = hash length) by `openssl dgst`, ECDSA P-384 by node:crypto. */
function signWith(leaf: string, input: Buffer): Buffer {
  if (leaf === 'ec') {
    const key = createPrivateKey(readFileSync(path.join(dir, 'ec.key')));
    return cryptoSign('sha384', input, { key, dsaEncoding: 'ieee-p1363' });
  }
  writeFileSync(path.join(dir, 'input'), input);
  ossl(
    'dgst',
    '-sha256',
    '-sign',
    `${leaf}.key`,
    '-sigopt',
    'rsa_padding_mode:pss',
    '-sigopt',
    'rsa_pss_saltlen:digest',
    '-out',
    'sig.bin',
    'input',
  );
  return readFileSync(path.join(dir, 'sig.bin'));
}

/** A minimal CBOR encoder (RFC 8949 definite lengths) for building COSE test envelopes. */
type CborIn =
  | number
  | string
  | Buffer
  | CborIn[]
  | Map<number | string, CborIn>
  | { tag: number; value: CborIn };
function cbor(v: CborIn): Buffer {
  const head = (major: number, n: number) => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  if (v instanceof Map)
    return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  return Buffer.concat([head(6, v.tag), cbor(v.value)]);
}

/** A COSE_Sign1_Tagged envelope as the COSE envelope spec describes. */
function coseEnvelope(
  target: TargetDescriptor,
  o: { leaf?: 'leaf' | 'ec'; alg?: number; tamperPayload?: boolean; prot?: [number | string, CborIn][] } = {},
): Buffer {
  const leaf = o.leaf ?? 'leaf';
  const prot = cbor(
    new Map<number | string, CborIn>([
      [1, o.alg ?? (leaf === 'ec' ? -35 : -37)],
      [2, ['io.cncf.notary.signingScheme']],
      [3, PAYLOAD_TYPE],
      ['io.cncf.notary.signingScheme', 'notary.x509'],
      ['io.cncf.notary.signingTime', { tag: 1, value: Math.floor(Date.now() / 1000) - 60 }],
      ...(o.prot ?? []),
    ]),
  );
  const payload = Buffer.from(JSON.stringify({ targetArtifact: target }));
  const sig = signWith(leaf, cbor(['Signature1', prot, Buffer.alloc(0), payload]));
  const sent = o.tamperPayload
    ? Buffer.from(JSON.stringify({ targetArtifact: { ...target, size: 1 } }))
    : payload;
  const chain = [`${leaf}.crt`, 'root.crt'].map((f) => Buffer.from(derB64(f), 'base64'));
  return cbor({
    tag: 18,
    value: [
      prot,
      new Map<number | string, CborIn>([
        [33, chain],
        ['io.cncf.notary.signingAgent', 'test/1'],
      ]),
      sent,
      sig,
    ],
  });
}

/** Builds and signs a JWS JSON envelope the way the JWS envelope spec describes. */
function envelope(target: TargetDescriptor, o: EnvOpts = {}): Buffer {
  const leaf = o.leaf ?? 'leaf';
  const isEc = leaf === 'ec';
  const header = {
    alg: isEc ? 'ES384' : 'PS256',
    cty: PAYLOAD_TYPE,
    'io.cncf.notary.signingScheme': 'notary.x509',
    'io.cncf.notary.signingTime': new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    crit: ['io.cncf.notary.signingScheme'],
    ...o.header,
  };
  for (const [k, v] of Object.entries(header))
    if (v === undefined) delete (header as Record<string, unknown>)[k];
  const prot = b64u(JSON.stringify(header));
  const payload = b64u(JSON.stringify({ targetArtifact: target }));
  const input = `${prot}.${payload}`;
  const sig = signWith(leaf, Buffer.from(input));
  const issuer = leaf === 'foreign' ? 'other' : 'root';
  const env: Record<string, unknown> = {
    payload,
    protected: prot,
    header: {
      x5c: (o.chain ?? [`${leaf}.crt`, `${issuer}.crt`]).map(derB64),
      'io.cncf.notary.signingAgent': 'test/1',
    },
    signature: b64u(sig),
  };
  o.tamper?.(env);
  return Buffer.from(JSON.stringify(env));
}

function policyEntry(p: Partial<NotationTrustPolicy> = {}): NotationTrustPolicy {
  return {
    name: 'test',
    registryScopes: ['*'],
    signatureVerification: { level: 'strict' },
    trustStores: ['ca:trusted'],
    trustedIdentities: ['x509.subject: C=US, ST=WA, O=example.com'],
    ...p,
  };
}

const TARGET: TargetDescriptor = {
  mediaType: OCI_MANIFEST,
  digest: `sha256:${'ab'.repeat(32)}`,
  size: 1234,
};

function verify(
  env: Buffer,
  p: Partial<NotationTrustPolicy> = {},
  extra: { now?: Date; target?: TargetDescriptor } = {},
) {
  return verifyEnvelope(env, 'application/jose+json', {
    policy: policyEntry(p),
    trustStore: store,
    target: extra.target ?? TARGET,
    now: extra.now,
  });
}

function verifyCose(env: Buffer, p: Partial<NotationTrustPolicy> = {}) {
  return verifyEnvelope(env, 'application/cose', {
    policy: policyEntry(p),
    trustStore: store,
    target: TARGET,
  });
}

function rejects(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

describe('notation envelope verification (pure)', () => {
  test('a PS256 signature by a code-signing leaf of the trusted CA verifies', () => {
    const r = verify(envelope(TARGET));
    assert.equal(r.subject, SUBJECT_DN);
    assert.equal(r.signingScheme, 'notary.x509');
    assert.deepEqual(r.logged, []);
  });

  test('an ES384 signature verifies; identity "*" accepts any signer of the store', () => {
    assert.equal(verify(envelope(TARGET, { leaf: 'ec' }), { trustedIdentities: ['*'] }).subject, SUBJECT_DN);
  });

  test('tampered payload: the signature no longer verifies', () => {
    const env = envelope(TARGET, {
      tamper: (e) => {
        e.payload = b64u(
          JSON.stringify({ targetArtifact: { ...TARGET, digest: `sha256:${'cd'.repeat(32)}` } }),
        );
      },
    });
    rejects(() => verify(env), /signature does not verify .*altered/);
  });

  test('tampered protected header: rejected', () => {
    const env = envelope(TARGET, {
      tamper: (e) => {
        const h = JSON.parse(Buffer.from(e.protected as string, 'base64url').toString());
        h['io.cncf.notary.signingTime'] = '2020-01-01T00:00:00Z';
        e.protected = b64u(JSON.stringify(h));
      },
    });
    rejects(() => verify(env), /does not verify/);
  });

  test('a valid signature for another digest, size or media type is refused', () => {
    const other = { ...TARGET, digest: `sha256:${'cd'.repeat(32)}` };
    rejects(
      () => verify(envelope(other)),
      new RegExp(`signature is for ${other.digest}, not for ${TARGET.digest}`),
    );
    rejects(() => verify(envelope({ ...TARGET, size: 99 })), /manifest is 99 bytes; it is 1234/);
    rejects(() => verify(envelope({ ...TARGET, mediaType: OCI_INDEX })), /says the manifest is .*index/);
  });

  test('untrusted CA: the chain does not reach the trust store', () => {
    rejects(
      () => verify(envelope(TARGET, { leaf: 'foreign' })),
      /does not chain to a certificate in trust store ca:trusted/,
    );
  });

  test('identity mismatch', () => {
    rejects(
      () =>
        verify(envelope(TARGET), {
          trustedIdentities: ['x509.subject: C=US, ST=WA, O=example.com, CN=release'],
        }),
      /signer C=US, ST=WA, L=Seattle, O=example.com, CN=builder is not a trusted identity of trust policy "test"/,
    );
    // audit only logs authenticity failures
    const r = verify(envelope(TARGET, { leaf: 'foreign' }), {
      signatureVerification: { level: 'audit' },
      trustedIdentities: ['x509.subject: C=US, ST=WA, O=example.com, CN=release'],
    });
    assert.equal(r.logged.length, 2);
    assert.match(r.logged[0] ?? '', /does not chain/);
    assert.match(r.logged[1] ?? '', /not a trusted identity/);
  });

  test('expired signature: strict refuses, permissive and an override only log', () => {
    const env = envelope(TARGET, {
      header: {
        'io.cncf.notary.expiry': '2024-01-01T00:00:00Z',
        crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'],
      },
    });
    rejects(() => verify(env), /signature expired at 2024-01-01T00:00:00.000Z/);
    assert.match(verify(env, { signatureVerification: { level: 'permissive' } }).logged[0] ?? '', /expired/);
    assert.equal(
      verify(env, { signatureVerification: { level: 'strict', override: { expiry: 'log' } } }).logged.length,
      1,
    );
    // expiry must be critical
    rejects(
      () => verify(envelope(TARGET, { header: { 'io.cncf.notary.expiry': '2099-01-01T00:00:00Z' } })),
      /io.cncf.notary.expiry is not marked critical/,
    );
  });

  test('expired certificates: refused when verified after the chain expired', () => {
    const later = new Date(Date.now() + 365 * 86400_000);
    rejects(
      () => verify(envelope(TARGET), {}, { now: later }),
      /certificate of the signer .* is not valid at/,
    );
  });

  test('alg must match the signing key', () => {
    const env = envelope(TARGET, { header: { alg: 'PS384' } });
    rejects(() => verify(env), /JWS alg PS384 does not match the signing key, which calls for PS256/);
    rejects(() => verify(envelope(TARGET, { header: { alg: 'HS256' } })), /alg "HS256" is not supported/);
    rejects(() => verify(envelope(TARGET, { header: { alg: 'none' } })), /alg "none" is not supported/);
  });

  test('critical headers: signingScheme required, unknown ones and plugins refused', () => {
    rejects(
      () =>
        verify(
          envelope(TARGET, { header: { crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'] } }),
        ),
      /"crit" lists "io.cncf.notary.expiry", which is not in the protected header/,
    );
    rejects(
      () => verify(envelope(TARGET, { header: { crit: ['io.cncf.notary.signingTime'] } })),
      /"crit" does not list io.cncf.notary.signingScheme/,
    );
    rejects(
      () =>
        verify(
          envelope(TARGET, {
            header: { 'com.example.x': 1, crit: ['io.cncf.notary.signingScheme', 'com.example.x'] },
          }),
        ),
      /unknown critical header/,
    );
    rejects(
      () =>
        verify(
          envelope(TARGET, {
            header: {
              'io.cncf.notary.verificationPlugin': 'com.example.plugin',
              crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.verificationPlugin'],
            },
          }),
        ),
      /requires the Notation verification plugin "com.example.plugin"/,
    );
    rejects(() => verify(envelope(TARGET, { header: { crit: undefined } })), /no "crit" list/);
    rejects(
      () => verify(envelope(TARGET, { header: { cty: 'application/json' } })),
      /content type "application\/json"/,
    );
    rejects(
      () => verify(envelope(TARGET, { header: { 'io.cncf.notary.signingScheme': 'x' } })),
      /signing scheme "x"/,
    );
    rejects(
      () => verify(envelope(TARGET, { header: { 'io.cncf.notary.signingTime': undefined } })),
      /signingTime is not an RFC 3339 time/,
    );
  });

  test('certificate requirements: code signing only, a complete chain to a root', () => {
    rejects(() => verify(envelope(TARGET, { leaf: 'tls' })), /extendedKeyUsage serverAuth/);
    rejects(() => verify(envelope(TARGET, { chain: ['leaf.crt'] })), /does not end in a self-signed root/);
    rejects(
      () => verify(envelope(TARGET, { chain: ['leaf.crt', 'other.crt'] })),
      /not issued by the next certificate/,
    );
  });

  test('revocation: a certificate with a CRL URL fails strict unless revocation is skipped or logged', () => {
    const env = envelope(TARGET, { leaf: 'crl' });
    rejects(() => verify(env), /revocation status of .*CN=builder cannot be checked/);
    assert.deepEqual(
      verify(env, { signatureVerification: { level: 'strict', override: { revocation: 'skip' } } }).logged,
      [],
    );
  });

  test('malformed envelopes are refused with a reason', () => {
    rejects(() => verify(Buffer.from('{"payload":"a"')), /JWS signature envelope/);
    rejects(() => verify(Buffer.from('[]')), /not a JSON object/);
    rejects(
      () =>
        verify(
          envelope(TARGET, {
            tamper: (e) => {
              e.signatures = [];
            },
          }),
        ),
      /unsupported field "signatures"/,
    );
    rejects(
      () =>
        verify(
          envelope(TARGET, {
            tamper: (e) => {
              e.header = {};
            },
          }),
        ),
      /x5c must be a list/,
    );
    rejects(
      () =>
        verify(
          envelope(TARGET, {
            tamper: (e) => {
              e.header = { x5c: ['AAAA'] };
            },
          }),
        ),
      /x5c\[0\] is not an X.509 certificate/,
    );
    rejects(() => verifyCose(envelope(TARGET)), /COSE envelope: /);
    rejects(
      () =>
        verifyEnvelope(envelope(TARGET), 'text/plain', {
          policy: policyEntry(),
          trustStore: store,
          target: TARGET,
        }),
      /unsupported signature envelope media type "text\/plain"/,
    );
    rejects(() => verify(Buffer.from(`{"a":1,"a":2}`)), /duplicate/i);
  });

  test('COSE_Sign1 envelopes: RSA-PSS and ECDSA verify; tampering, alg mismatch, wrong digest refused', () => {
    assert.equal(verifyCose(coseEnvelope(TARGET)).subject, SUBJECT_DN);
    assert.equal(verifyCose(coseEnvelope(TARGET, { leaf: 'ec' })).subject, SUBJECT_DN);
    rejects(() => verifyCose(coseEnvelope(TARGET, { tamperPayload: true })), /signature does not verify/);
    rejects(
      () => verifyCose(coseEnvelope(TARGET, { alg: -38 })),
      /COSE alg PS384 does not match the signing key, which calls for PS256/,
    );
    rejects(() => verifyCose(coseEnvelope(TARGET, { alg: 5 })), /COSE alg 5 is not supported/);
    rejects(
      () => verifyCose(coseEnvelope({ ...TARGET, digest: `sha256:${'cd'.repeat(32)}` })),
      /signature is for sha256:cdcd/,
    );
    rejects(
      () =>
        verifyCose(
          coseEnvelope(TARGET, { prot: [['io.cncf.notary.expiry', { tag: 1, value: 1_600_000_000 }]] }),
        ),
      /io.cncf.notary.expiry is not marked critical/,
    );
    const expired = coseEnvelope(TARGET, {
      prot: [
        ['io.cncf.notary.expiry', { tag: 1, value: 1_600_000_000 }],
        [2, ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry']],
      ],
    });
    rejects(() => verifyCose(expired), /signature expired at 2020-09-13T12:26:40.000Z/);
    const dupProt = Buffer.concat([Buffer.from([0xa2]), cbor(1), cbor(-37), cbor(1), cbor(-37)]);
    rejects(
      () => verifyCose(cbor({ tag: 18, value: [dupProt, new Map(), Buffer.from('x'), Buffer.from('y')] })),
      /duplicate CBOR map key 1/,
    );
    rejects(() => verifyCose(Buffer.from([0xd2, 0x84, 0x40])), /CBOR data is truncated/);
    rejects(() => verifyCose(cbor({ tag: 17, value: [] })), /not a COSE_Sign1_Tagged object/);
  });
});

describe('notation trust policy and trust store', () => {
  const good = {
    version: '1.0',
    trustPolicies: [
      {
        name: 'apps',
        registryScopes: ['127.0.0.1:15000/dd/app'],
        signatureVerification: { level: 'strict', override: { revocation: 'skip' } },
        trustStores: ['ca:trusted'],
        trustedIdentities: ['x509.subject: C=US, ST=WA, O=example.com, CN=builder'],
      },
      {
        name: 'legacy',
        registryScopes: ['127.0.0.1:15000/dd/legacy'],
        signatureVerification: { level: 'skip' },
      },
      {
        name: 'global',
        registryScopes: ['*'],
        signatureVerification: { level: 'audit' },
        trustStores: ['ca:trusted'],
        trustedIdentities: ['*'],
      },
    ],
  };

  test('a valid policy parses', () => {
    const p = parseNotationPolicyText(JSON.stringify(good, null, 2), 'tp.json');
    assert.equal(p.trustPolicies.length, 3);
    assert.deepEqual(p.trustPolicies[0]?.signatureVerification, {
      level: 'strict',
      override: { revocation: 'skip' },
    });
  });

  const bad: [string, (d: typeof good & Record<string, unknown>) => void, RegExp][] = [
    [
      'version',
      (d) => {
        d.version = '2.0';
      },
      /tp.json:2: Notation trust policy version must be "1.0"/,
    ],
    [
      'unknown field',
      (d) => {
        (d.trustPolicies[0] as Record<string, unknown>).extra = 1;
      },
      /tp.json:\d+: unknown field "extra"/,
    ],
    [
      'two globals',
      (d) => {
        d.trustPolicies.push({ ...d.trustPolicies[2], name: 'g2' } as never);
      },
      /both use the global scope/,
    ],
    [
      'skip with *',
      (d) => {
        d.trustPolicies[1] = {
          name: 'legacy',
          registryScopes: ['*'],
          signatureVerification: { level: 'skip' },
        } as never;
        d.trustPolicies.pop();
      },
      /level skip cannot use the global scope/,
    ],
    [
      'identity without ST',
      (d) => {
        (d.trustPolicies[0] as { trustedIdentities: string[] }).trustedIdentities = [
          'x509.subject: C=US, O=x',
        ];
      },
      /must contain C, ST and O/,
    ],
    [
      'overlapping identities',
      (d) => {
        (d.trustPolicies[0] as { trustedIdentities: string[] }).trustedIdentities = [
          'x509.subject: C=US, ST=WA, O=x',
          'x509.subject: C=US, ST=WA, O=x, OU=y',
        ];
      },
      /overlap/,
    ],
    [
      'bad level',
      (d) => {
        (d.trustPolicies[0] as { signatureVerification: unknown }).signatureVerification = { level: 'lax' };
      },
      /level must be strict, permissive, audit or skip/,
    ],
    [
      'integrity override',
      (d) => {
        (d.trustPolicies[0] as { signatureVerification: unknown }).signatureVerification = {
          level: 'strict',
          override: { integrity: 'log' },
        };
      },
      /integrity cannot be overridden/,
    ],
    [
      'scope with tag',
      (d) => {
        (d.trustPolicies[0] as { registryScopes: string[] }).registryScopes = ['127.0.0.1:15000/dd/app:1.0'];
      },
      /fully qualified repository/,
    ],
    [
      'duplicate scope',
      (d) => {
        (d.trustPolicies[1] as { registryScopes: string[] }).registryScopes = ['127.0.0.1:15000/dd/app'];
      },
      /is in both "apps" and "legacy"/,
    ],
    [
      'bad store',
      (d) => {
        (d.trustPolicies[0] as { trustStores: string[] }).trustStores = ['ca:../x'];
      },
      /must be ca:<name>/,
    ],
  ];
  for (const [name, mutate, re] of bad) {
    test(`invalid policy: ${name}`, () => {
      const d = structuredClone(good) as typeof good & Record<string, unknown>;
      mutate(d);
      rejects(() => parseNotationPolicyText(JSON.stringify(d, null, 2), 'tp.json'), re);
    });
  }

  test('distinguished names: escapes, aliases, repeats', () => {
    assert.deepEqual(
      [...parseDn('C=US, ST=WA, O=a\\, b, CN=\\ x')],
      [
        ['C', 'US'],
        ['ST', 'WA'],
        ['O', 'a, b'],
        ['CN', ' x'],
      ],
    );
    assert.equal(parseDn('s=WA').get('ST'), 'WA');
    rejects(() => parseDn('C=US, C=DE'), /appears twice/);
    rejects(() => parseDn('C=US, junk'), /is not TYPE=value/);
  });

  test('trust store: PEM bundles and DER, symlinks refused, sub-directories ignored', () => {
    const ts = path.join(dir, 'ts2');
    const named = path.join(ts, 'x509', 'ca', 'bundle');
    mkdirSync(path.join(named, 'sub'), { recursive: true });
    writeFileSync(
      path.join(named, 'both.pem'),
      readFileSync(path.join(dir, 'root.crt'), 'utf8') + readFileSync(path.join(dir, 'other.crt'), 'utf8'),
    );
    writeFileSync(path.join(named, 'root.cer'), Buffer.from(derB64('root.crt'), 'base64'));
    writeFileSync(path.join(named, 'sub', 'x.pem'), 'not read');
    writeFileSync(path.join(named, 'notes.txt'), 'not read');
    assert.equal(loadTrustStore(ts, 'ca:bundle').length, 3);
    symlinkSync(path.join(dir, 'root.crt'), path.join(named, 'link.crt'));
    rejects(() => loadTrustStore(ts, 'ca:bundle'), /link.crt is a symlink/);
    rejects(() => loadTrustStore(ts, 'ca:missing'), /does not exist/);
    mkdirSync(path.join(ts, 'x509', 'ca', 'empty'));
    rejects(() => loadTrustStore(ts, 'ca:empty'), /no certificates/);
  });
});

// ---------------------------------------------------------------------------------------------
// Against the real registry (distribution 2.8: no referrers API, so the referrers tag schema)

const REG = `http://${REGISTRY.plain}`;
const run = `${process.pid}-${Date.now().toString(36)}`;

async function pushBlob(repo: string, data: Buffer): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const start = await fetch(`${REG}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202, `start upload: ${start.status}`);
  const loc = new URL(start.headers.get('location') as string, REG);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, {
    method: 'PUT',
    body: data,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(put.status, 201, `put blob: ${put.status} ${await put.text()}`);
  return digest;
}

async function pushManifest(repo: string, ref: string, body: unknown, mediaType: string) {
  const data = Buffer.from(JSON.stringify(body));
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const res = await fetch(`${REG}/v2/${repo}/manifests/${ref === '@' ? digest : ref}`, {
    method: 'PUT',
    body: data,
    headers: { 'content-type': mediaType },
  });
  assert.equal(res.status, 201, `put manifest: ${res.status} ${await res.text()}`);
  return { mediaType, digest, size: data.length };
}

/** A tiny image: one config, one layer. */
async function pushSubject(repo: string, salt: string) {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, salt }),
  );
  const cfg = await pushBlob(repo, config);
  return pushManifest(
    repo,
    '1.0',
    {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg, size: config.length },
      layers: [],
    },
    OCI_MANIFEST,
  );
}

/** Pushes signature manifests as referrers of `subject`, with the referrers tag index Notation/ORAS write. */
async function pushSignatures(
  repo: string,
  subject: { mediaType: string; digest: string; size: number },
  envelopes: Buffer[],
) {
  const empty = Buffer.from('{}');
  const emptyDigest = await pushBlob(repo, empty);
  const descs = [];
  for (const env of envelopes) {
    // COSE_Sign1_Tagged starts with CBOR tag 18 (0xd2); JWS JSON with "{"
    const envType = env[0] === 0xd2 ? 'application/cose' : 'application/jose+json';
    const layer = await pushBlob(repo, env);
    const m = await pushManifest(
      repo,
      '@',
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: SIG_TYPE,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: 2 },
        layers: [{ mediaType: envType, digest: layer, size: env.length }],
        subject,
        annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '[]' },
      },
      OCI_MANIFEST,
    );
    descs.push({ ...m, artifactType: SIG_TYPE });
  }
  await pushManifest(
    repo,
    subject.digest.replace(':', '-'),
    { schemaVersion: 2, mediaType: OCI_INDEX, manifests: descs },
    OCI_INDEX,
  );
}

describe('verifyNotation against the test registry', { skip: SKIP_REGISTRY }, () => {
  const policy: NotationPolicy = {
    version: '1.0',
    trustPolicies: [
      {
        name: 'skipped',
        registryScopes: [`${REGISTRY.plain}/dd/notation-test/${run}/skip`],
        signatureVerification: { level: 'skip' },
        trustStores: [],
        trustedIdentities: [],
      },
      policyEntry({ name: 'global' }),
    ],
  };
  const opts = { trustStore: '', policy, registry: { insecure: true, retries: 0 } };
  before(() => {
    opts.trustStore = store;
  });
  after(() => {});

  async function setup(name: string, sign: (subject: TargetDescriptor) => Buffer[]) {
    const repo = `dd/notation-test/${run}/${name}`;
    const subject = await pushSubject(repo, name);
    const envs = sign(subject);
    if (envs.length > 0) await pushSignatures(repo, subject, envs);
    return { ref: parseReference(`${REGISTRY.plain}/${repo}:1.0`), digest: subject.digest };
  }

  async function fails(p: Promise<unknown>, re: RegExp) {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, re);
      return true;
    });
  }

  test('a signed image verifies; the signer is returned', async () => {
    const { ref, digest } = await setup('good', (s) => [envelope(s)]);
    const r = await verifyNotation(ref, digest, opts);
    assert.equal(r.subject, SUBJECT_DN);
    assert.equal(r.policy, 'global');
  });

  test('one bad and one good signature: the good one wins', async () => {
    const { ref, digest } = await setup('mixed', (s) => [
      envelope(s, { leaf: 'foreign' }),
      envelope(s, { leaf: 'ec' }),
    ]);
    assert.equal((await verifyNotation(ref, digest, opts)).subject, SUBJECT_DN);
  });

  test('a COSE signature stored as a referrer verifies', async () => {
    const { ref, digest } = await setup('cose', (s) => [coseEnvelope(s, { leaf: 'ec' })]);
    assert.equal((await verifyNotation(ref, digest, opts)).subject, SUBJECT_DN);
    const bad = await setup('cose-bad', (s) => [coseEnvelope(s, { tamperPayload: true })]);
    await assert.rejects(verifyNotation(bad.ref, bad.digest, opts), /signature does not verify/);
  });

  test('unsigned image: no Notation signature', async () => {
    const { ref, digest } = await setup('unsigned', () => []);
    await fails(verifyNotation(ref, digest, opts), /has no Notation signature/);
  });

  test('tampered payload, wrong digest, untrusted CA, identity, expired: each with its reason', async () => {
    const cases: [string, (s: TargetDescriptor) => Buffer, RegExp][] = [
      [
        'tampered',
        (s) =>
          envelope(s, {
            tamper: (e) => {
              e.payload = b64u(JSON.stringify({ targetArtifact: { ...s, size: s.size + 1 } }));
            },
          }),
        /signature does not verify/,
      ],
      [
        'wrongdigest',
        (s) => envelope({ ...s, digest: `sha256:${'ef'.repeat(32)}` }),
        /signature is for sha256:efef/,
      ],
      [
        'untrusted',
        (s) => envelope(s, { leaf: 'foreign' }),
        /does not chain to a certificate in trust store ca:trusted/,
      ],
      [
        'expired',
        (s) =>
          envelope(s, {
            header: {
              'io.cncf.notary.expiry': '2020-01-01T00:00:00Z',
              crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'],
            },
          }),
        /signature expired at 2020-01-01/,
      ],
    ];
    for (const [name, sign, re] of cases) {
      const { ref, digest } = await setup(name, (s) => [sign(s)]);
      await fails(
        verifyNotation(ref, digest, opts),
        new RegExp(
          `no valid signature for .* under trust policy "global": signature sha256:[0-9a-f]{12}: .*${re.source}`,
        ),
      );
    }
    const { ref, digest } = await setup('identity', (s) => [envelope(s)]);
    const strictId: NotationPolicy = {
      version: '1.0',
      trustPolicies: [
        policyEntry({
          name: 'release-only',
          trustedIdentities: ['x509.subject: C=US, ST=WA, O=example.com, CN=release'],
        }),
      ],
    };
    await fails(
      verifyNotation(ref, digest, { ...opts, policy: strictId }),
      /is not a trusted identity of trust policy "release-only"/,
    );
  });

  test('skip level does not look for signatures; no applicable policy is refused', async () => {
    const { ref, digest } = await setup('skip', () => []);
    assert.equal((await verifyNotation(ref, digest, opts)).skipped, true);
    const scoped: NotationPolicy = {
      version: '1.0',
      trustPolicies: [policyEntry({ registryScopes: ['example.com/other/repo'] })],
    };
    await fails(
      verifyNotation(ref, digest, { ...opts, policy: scoped }),
      /no Notation trust policy applies to 127.0.0.1:15000\/dd\/notation-test/,
    );
  });
});
