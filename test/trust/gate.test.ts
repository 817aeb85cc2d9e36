// The content-trust gate: when it is on, dispatch to the verifier of each kind the matching rule
// asks for, Notary's signed digest must equal the pulled one, refusals name the rule. The last
// suite runs the real cosign and Notation verifiers against the test registry.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { RegistryClient } from '../../src/image/registry/client.js';
import { parseReference, type Reference } from '../../src/image/registry/reference.js';
import { signCosign } from '../../src/trust/cosign.js';
import { enforceTrust, makeTrustGate, trustGateEnabled, type Verifiers } from '../../src/trust/gate.js';
import { loadTrustPolicyFile, parseTrustPolicy, type TrustPolicy } from '../../src/trust/policy.js';
import { REGISTRY, SKIP_REGISTRY, tmpdir } from '../helpers/env.js';
import { notaryOk, notaryServices } from './notary-env.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

let dir: string;
let policy: TrustPolicy;
let pubPem: string;

before(() => {
  dir = tmpdir('dd-gate-');
  pubPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
    type: 'spki',
    format: 'pem',
  }) as string;
  writeFileSync(path.join(dir, 'cosign.pub'), pubPem);
  mkdirSync(path.join(dir, 'ts', 'x509', 'ca', 'corp'), { recursive: true });
  writeFileSync(
    path.join(dir, 'policy.yaml'),
    `default: allow
notary: {server: "https://127.0.0.1:4443", roles: [targets/releases]}
cosign: {publicKeys: [cosign.pub]}
notation:
  trustStore: ts
  policy: {version: "1.0", trustPolicies: [{name: all, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ["ca:corp"], trustedIdentities: ["*"]}]}
rules:
  - name: team
    scopes: ["127.0.0.1:15000/team/**"]
    require: [notary, cosign]
  - name: notation-only
    scope: 127.0.0.1:15000/n/app
    require: notation
  - name: open
    scope: 127.0.0.1:15000/open/**
    require: none
`,
  );
  policy = loadTrustPolicyFile(path.join(dir, 'policy.yaml'));
});

type Calls = { kind: string; ref: Reference; digest?: string; opts: unknown }[];

function fakes(over: Partial<Verifiers>, calls: Calls): Partial<Verifiers> {
  const fail = (kind: string) => async () => {
    throw new UserError(`${kind}: not signed`);
  };
  return {
    notary: async (ref, opts) => {
      calls.push({ kind: 'notary', ref, opts });
      return (over.notary ?? fail('notary'))(ref, opts);
    },
    cosign: async (ref, digest, opts) => {
      calls.push({ kind: 'cosign', ref, digest, opts });
      return (over.cosign ?? fail('cosign'))(ref, digest, opts);
    },
    notation: async (ref, digest, opts) => {
      calls.push({ kind: 'notation', ref, digest, opts });
      return (over.notation ?? fail('notation'))(ref, digest, opts);
    },
  };
}

async function refused(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.equal(e.exitCode, 2);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

describe('trustGateEnabled', () => {
  test('DRYDOCK_CONTENT_TRUST or DOCKER_CONTENT_TRUST, unless --disable-content-trust', () => {
    assert.equal(trustGateEnabled({}), false);
    assert.equal(trustGateEnabled({ DOCKER_CONTENT_TRUST: '1' }), true);
    assert.equal(trustGateEnabled({ DRYDOCK_CONTENT_TRUST: '1' }), true);
    assert.equal(trustGateEnabled({ DOCKER_CONTENT_TRUST: 'true' }), true);
    assert.equal(trustGateEnabled({ DOCKER_CONTENT_TRUST: '0' }), false);
    assert.equal(trustGateEnabled({ DOCKER_CONTENT_TRUST: 'false' }), false);
    assert.equal(trustGateEnabled({ DOCKER_CONTENT_TRUST: '' }), false);
    assert.equal(
      trustGateEnabled({ DRYDOCK_CONTENT_TRUST: '0', DOCKER_CONTENT_TRUST: '1' }),
      false,
      'drydock wins',
    );
    assert.equal(trustGateEnabled({ DOCKER_CONTENT_TRUST: '1' }, { disableContentTrust: true }), false);
  });

  test('makeTrustGate: undefined when off; reads the policy when on', () => {
    assert.equal(makeTrustGate({}, { trustPolicy: '/nonexistent' }), undefined);
    assert.throws(
      () => makeTrustGate({ DRYDOCK_CONTENT_TRUST: '1' }, { trustPolicy: path.join(dir, 'nope.yaml') }),
      /nope\.yaml/,
    );
    assert.equal(
      typeof makeTrustGate({ DRYDOCK_CONTENT_TRUST: '1' }, { trustPolicy: path.join(dir, 'policy.yaml') }),
      'function',
    );
  });
});

describe('enforceTrust with stand-in verifiers', () => {
  const team = parseReference('127.0.0.1:15000/team/app:1.0');

  test('Notary: the tag must be signed for the digest being pulled', async () => {
    const calls: Calls = [];
    const v = fakes({ notary: async () => ({ digest: D1, size: 10, role: 'targets/releases' }) }, calls);
    const ok = await enforceTrust(team, D1, policy, { verifiers: v, trustDir: '/td' });
    assert.equal(ok.kind, 'notary');
    assert.equal(ok.rule, 'team');
    assert.match(ok.detail, /tag 1.0 signed by targets\/releases/);
    assert.deepEqual(calls[0]?.opts, {
      server: 'https://127.0.0.1:4443',
      trustDir: '/td',
      roles: ['targets/releases'],
    });
    await refused(
      enforceTrust(team, D2, policy, {
        verifiers: fakes({ notary: async () => ({ digest: D1, size: 10, role: 'targets' }) }, []),
      }),
      new RegExp(
        `content trust: refusing 127.0.0.1:15000/team/app:1.0 \\(${D2}\\): rule "team" \\(.*policy.yaml:8\\) requires a notary or cosign signature; notary: tag 1.0 is signed for ${D1}, but the registry serves ${D2}; cosign: not signed`,
      ),
    );
  });

  test('any of the kinds: the second one can satisfy the rule', async () => {
    const calls: Calls = [];
    const r = await enforceTrust(team, D1, policy, {
      verifiers: fakes({ cosign: async () => ({ keyId: 'k1' }) }, calls),
    });
    assert.equal(r.kind, 'cosign');
    assert.deepEqual(
      calls.map((c) => c.kind),
      ['notary', 'cosign'],
    );
    assert.deepEqual((calls[1]?.opts as { publicKeys: string[] } | undefined)?.publicKeys, [pubPem]);
  });

  test('digest-only references: Notary is asked for a signed tag with that digest', async () => {
    const byDigest = parseReference(`127.0.0.1:15000/team/app@${D1}`);
    const calls: Calls = [];
    const notary: Verifiers['notary'] = async (ref) => {
      if (ref.digest === D1) return { digest: D1, size: 1, role: 'targets' };
      throw new UserError(`no signed tag of x has digest ${ref.digest}`);
    };
    const ok = await enforceTrust(byDigest, D1, policy, { verifiers: fakes({ notary }, calls) });
    assert.equal(ok.detail, 'digest signed by targets');
    assert.equal(calls[0]?.ref.tag, undefined);
    await refused(
      enforceTrust(parseReference(`127.0.0.1:15000/team/app@${D2}`), D2, policy, {
        verifiers: fakes({ notary }, []),
      }),
      new RegExp(`notary: no signed tag of x has digest ${D2}; cosign: not signed`),
    );
  });

  test('notation rule, none rule, default allow and default require', async () => {
    const calls: Calls = [];
    const n = await enforceTrust(parseReference('127.0.0.1:15000/n/app:2'), D1, policy, {
      verifiers: fakes({ notation: async () => ({ subject: 'CN=x' }) }, calls),
    });
    assert.equal(n.detail, 'Notation signer CN=x');
    assert.equal((calls[0]?.opts as { trustStore: string } | undefined)?.trustStore, path.join(dir, 'ts'));
    const open = await enforceTrust(parseReference('127.0.0.1:15000/open/x/y:1'), D1, policy, {
      verifiers: fakes({}, calls),
    });
    assert.equal(open.detail, 'no signature required');
    const other = await enforceTrust(parseReference('example.com/x:1'), D1, policy, {
      verifiers: fakes({}, calls),
    });
    assert.equal(other.detail, 'allowed by default: allow');
    assert.equal(calls.length, 1);

    const strict = parseTrustPolicy(
      'default: require\ncosign: {publicKeys: [cosign.pub]}\nrules:\n  - {name: open, scope: "127.0.0.1:15000/open/**", require: none}\n',
      path.join(dir, 'strict.yaml'),
    );
    await refused(
      enforceTrust(parseReference('example.com/x:1'), D1, strict, { verifiers: fakes({}, []) }),
      /rule "default" \(.*strict.yaml:1\) requires a cosign signature; cosign: not signed/,
    );
    const onlyRules = parseTrustPolicy(
      'default: require\nrules:\n  - {name: c, scope: "127.0.0.1:15000/c/**", require: cosign, cosign: {publicKeys: [cosign.pub]}}\n',
      path.join(dir, 'rules.yaml'),
    );
    await refused(
      enforceTrust(parseReference('example.com/x:1'), D1, onlyRules, { verifiers: fakes({}, []) }),
      /no rule of .*rules.yaml covers example.com\/x, and the default is require/,
    );
  });

  test('a verifier bug is not hidden as "unsigned"', async () => {
    await assert.rejects(
      enforceTrust(team, D1, policy, {
        verifiers: {
          notary: async () => {
            throw new TypeError('boom');
          },
        },
      }),
      TypeError,
    );
  });
});

describe('the gate against the test registry (real cosign and Notation verifiers)', {
  skip: SKIP_REGISTRY,
}, () => {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const registry = { insecure: true, retries: 0 };

  async function pushImage(repo: string): Promise<{ ref: Reference; digest: string }> {
    const ref = parseReference(`${REGISTRY.plain}/${repo}:1.0`);
    const c = new RegistryClient(ref, registry);
    try {
      const config = Buffer.from(
        JSON.stringify({
          os: 'linux',
          architecture: 'amd64',
          rootfs: { type: 'layers', diff_ids: [] },
          repo,
        }),
      );
      const cd = await c.putBlob(config);
      const m = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
          layers: [],
        }),
      );
      const digest = await c.putManifest('1.0', m, 'application/vnd.oci.image.manifest.v1+json');
      return { ref, digest };
    } finally {
      await c.close();
    }
  }

  test('cosign-signed passes, unsigned and wrongly-keyed are refused naming the rule', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const d = tmpdir('dd-gate-reg-');
    writeFileSync(path.join(d, 'k.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(path.join(d, 'other.pub'), pubPem);
    mkdirSync(path.join(d, 'ts', 'x509', 'ca', 'corp'), { recursive: true });
    writeFileSync(
      path.join(d, 'ts', 'x509', 'ca', 'corp', 'x.pem'),
      'placeholder, never read: no signature reaches the store check',
    );
    writeFileSync(
      path.join(d, 'policy.yaml'),
      `default: require
cosign: {publicKeys: [k.pub]}
rules:
  - name: other-key
    scope: ${REGISTRY.plain}/dd/gate-test/${run}/otherkey
    require: cosign
    cosign: {publicKeys: [other.pub]}
  - name: notation-team
    scope: ${REGISTRY.plain}/dd/gate-test/${run}/notation
    require: notation
    notation:
      trustStore: ts
      policy: {version: "1.0", trustPolicies: [{name: corp, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ["ca:corp"], trustedIdentities: ["*"]}]}
`,
    );
    const gate = makeTrustGate(
      { DRYDOCK_CONTENT_TRUST: '1' },
      { trustPolicy: path.join(d, 'policy.yaml'), registry },
    );
    assert.ok(gate);
    const signed = await pushImage(`dd/gate-test/${run}/signed`);
    await signCosign(signed.ref, signed.digest, privateKey, { registry });
    const ok = await gate(signed.ref, signed.digest);
    assert.equal(ok.kind, 'cosign');
    assert.equal(ok.rule, 'default');

    const unsigned = await pushImage(`dd/gate-test/${run}/unsigned`);
    await refused(
      gate(unsigned.ref, unsigned.digest),
      /refusing .*unsigned:1.0 .*rule "default" .* requires a cosign signature; cosign: .*not found/,
    );

    const otherkey = await pushImage(`dd/gate-test/${run}/otherkey`);
    await signCosign(otherkey.ref, otherkey.digest, privateKey, { registry });
    await refused(gate(otherkey.ref, otherkey.digest), /rule "other-key" .* cosign: .*does not verify/);

    const n = await pushImage(`dd/gate-test/${run}/notation`);
    await refused(
      gate(n.ref, n.digest),
      /rule "notation-team" .* requires a notation signature; notation: .*has no Notation signature/,
    );
  });
});

describe('the gate with real Notary trust data (published by the notary CLI)', () => {
  const skip = SKIP_REGISTRY || notaryServices().skipCli;
  test('the tag signed for the served digest passes; a re-pushed tag is refused', { skip }, async () => {
    const svc = notaryServices().services;
    assert.ok(svc);
    const run = `${process.pid}-${Date.now().toString(36)}`;
    const registry = { insecure: true, retries: 0 };
    const ref = parseReference(`${REGISTRY.plain}/dd/gate-test/${run}/notary:1.0`);
    const c = new RegistryClient(ref, registry);
    const push = async (salt: string) => {
      const config = Buffer.from(
        JSON.stringify({ os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, salt }),
      );
      const cd = await c.putBlob(config);
      const m = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cd, size: config.length },
          layers: [],
        }),
      );
      return {
        digest: await c.putManifest('1.0', m, 'application/vnd.oci.image.manifest.v1+json'),
        size: m.length,
      };
    };
    try {
      const first = await push('first');
      const cliDir = tmpdir('dd-gate-notary-cli-');
      const gun = `${ref.registry}/${ref.repository}`;
      notaryOk(cliDir, ['init', '-p', gun]);
      notaryOk(cliDir, ['addhash', '-p', gun, '1.0', String(first.size), '--sha256', first.digest.slice(7)]);
      const d = tmpdir('dd-gate-notary-');
      writeFileSync(
        path.join(d, 'policy.yaml'),
        `default: require\nnotary:\n  server: ${svc.url}\n  tlsCa: ${svc.ca}\n`,
      );
      const gate = makeTrustGate(
        { DOCKER_CONTENT_TRUST: '1' },
        { trustPolicy: path.join(d, 'policy.yaml'), trustDir: path.join(d, 'trust'), registry },
      );
      assert.ok(gate);
      const ok = await gate(ref, first.digest);
      assert.equal(ok.kind, 'notary');
      assert.equal(ok.detail, 'tag 1.0 signed by targets');
      const byDigest = await gate(parseReference(`${gun}@${first.digest}`), first.digest);
      assert.equal(byDigest.detail, 'digest signed by targets');

      const second = await push('second'); // the tag now serves unsigned content
      await refused(
        gate(ref, second.digest),
        new RegExp(
          `refusing ${REGISTRY.plain}/dd/gate-test/${run}/notary:1.0 \\(${second.digest}\\): rule "default" \\(.*policy.yaml:1\\) requires a notary signature; notary: tag 1.0 is signed for ${first.digest}, but the registry serves ${second.digest}`,
        ),
      );
      const unsignedRef = parseReference(`${REGISTRY.plain}/dd/gate-test/${run}/notary-unsigned:1.0`);
      await refused(gate(unsignedRef, second.digest), /rule "default" .* notary: /);
    } finally {
      await c.close();
    }
  });
});
