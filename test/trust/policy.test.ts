// The drydock trust policy file: parsing (YAML and JSON), strict errors with file:line, rule
// selection (most specific scope wins), and where the policy comes from.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { parseReference } from '../../src/image/registry/reference.js';
import {
  implicitTrustPolicy,
  loadTrustPolicyFile,
  parseTrustPolicy,
  resolveTrustPolicy,
  ruleFor,
  type TrustPolicy,
  trustPolicyPath,
} from '../../src/trust/policy.js';
import { tmpdir } from '../helpers/env.js';

let dir: string;
let policyFile: string;
let pubPem: string;

const NOTATION_POLICY = {
  version: '1.0',
  trustPolicies: [
    {
      name: 'all',
      registryScopes: ['*'],
      signatureVerification: { level: 'strict' },
      trustStores: ['ca:corp'],
      trustedIdentities: ['*'],
    },
  ],
};

const YAML = `# drydock trust policy
version: 1
default: require
notary:
  server: https://127.0.0.1:4443/
  tlsCa: certs/ca.crt
cosign:
  publicKeys: [keys/cosign.pub]
notation:
  trustStore: truststore
  policy: trustpolicy.json
rules:
  - name: everything-local
    scopes: ["127.0.0.1:15000/**"]
    require: notary
  - name: dd-team
    scope: "127.0.0.1:15000/dd/*"
    require: [cosign, notation]
  - name: dd-app-exact
    scopes: [127.0.0.1:15000/dd/app]
    require: cosign
    cosign:
      publicKeys: [keys/cosign.pub]
  - name: legacy
    scopes: ["127.0.0.1:15000/legacy/**", "127.0.0.1:1500?/old"]
    require: none
  - name: releases
    scopes: ["*.example.com/**"]
    require: notary
    notary:
      server: https://notary.example.com
      roles: targets/releases
`;

before(() => {
  dir = tmpdir('dd-policy-');
  mkdirSync(path.join(dir, 'certs'));
  mkdirSync(path.join(dir, 'keys'));
  mkdirSync(path.join(dir, 'truststore', 'x509', 'ca', 'corp'), { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'certs/ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=t',
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  pubPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
    type: 'spki',
    format: 'pem',
  }) as string;
  writeFileSync(path.join(dir, 'keys', 'cosign.pub'), pubPem);
  writeFileSync(path.join(dir, 'trustpolicy.json'), JSON.stringify(NOTATION_POLICY, null, 2));
  policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, YAML);
});

function rule(p: TrustPolicy, image: string): string | undefined {
  return ruleFor(p, parseReference(image)).rule?.name;
}

function bad(text: string, re: RegExp, file = path.join(dir, 'bad.yaml')): void {
  assert.throws(
    () => parseTrustPolicy(text, file),
    (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'));
      return true;
    },
  );
}

describe('trust policy parsing', () => {
  test('a full YAML policy: sections inherited, paths relative to the file', () => {
    const p = loadTrustPolicyFile(policyFile);
    assert.equal(p.default, 'require');
    assert.equal(p.rules.length, 5);
    const [local, team, exact, legacy, releases] = p.rules;
    assert.deepEqual(local?.require, ['notary']);
    assert.equal(local?.notary?.server, 'https://127.0.0.1:4443');
    assert.equal(local?.notary?.tlsCa, path.join(dir, 'certs', 'ca.crt'));
    assert.equal(local?.where, `${policyFile}:13`);
    assert.deepEqual(team?.require, ['cosign', 'notation']);
    assert.deepEqual(team?.scopes, ['127.0.0.1:15000/dd/*']);
    assert.equal(team?.cosign?.publicKeys[0], pubPem);
    assert.equal(team?.notation?.trustStore, path.join(dir, 'truststore'));
    assert.equal(team?.notation?.policy.trustPolicies[0]?.name, 'all');
    assert.deepEqual(exact?.require, ['cosign']);
    assert.deepEqual(legacy?.require, []);
    assert.deepEqual(releases?.notary, { server: 'https://notary.example.com', roles: ['targets/releases'] });
    assert.deepEqual(p.defaultRule?.require, ['notary', 'cosign', 'notation']);
  });

  test('JSON works too, with an inline Notation policy and inline PEM key', () => {
    const json = JSON.stringify(
      {
        default: 'allow',
        rules: [
          {
            name: 'n',
            scopes: ['127.0.0.1:15000/dd/**'],
            require: ['notation', 'cosign'],
            notation: { trustStore: 'truststore', policy: NOTATION_POLICY },
            cosign: { publicKeys: [pubPem] },
          },
        ],
      },
      null,
      2,
    );
    const p = parseTrustPolicy(json, path.join(dir, 'p.json'));
    assert.equal(p.default, 'allow');
    assert.equal(p.defaultRule, undefined);
    assert.match(p.rules[0]?.notation?.policySource ?? '', /p\.json:\d+ \(inline\)/);
    assert.equal(rule(p, 'example.com/other:1'), undefined);
  });

  test('most specific scope wins: exact, then most literal characters, then first written', () => {
    const p = loadTrustPolicyFile(policyFile);
    assert.equal(rule(p, '127.0.0.1:15000/dd/app:1.0'), 'dd-app-exact');
    assert.equal(rule(p, '127.0.0.1:15000/dd/other:1.0'), 'dd-team');
    assert.equal(rule(p, '127.0.0.1:15000/dd/a/b:1.0'), 'everything-local', '* does not cross /');
    assert.equal(rule(p, '127.0.0.1:15000/legacy/x/y'), 'legacy');
    assert.equal(rule(p, '127.0.0.1:15001/old'), 'legacy', '? matches one character');
    assert.equal(rule(p, 'registry.example.com/team/app'), 'releases');
    assert.equal(rule(p, 'debian:12'), 'default', 'docker.io/library/debian falls to the default');
    const tie = parseTrustPolicy(
      'default: allow\ncosign: {publicKeys: [keys/cosign.pub]}\nrules:\n  - {name: a, scope: "127.0.0.1:15000/*/x", require: cosign}\n  - {name: b, scope: "127.0.0.1:15000/d*/*", require: cosign}\n',
      path.join(dir, 't.yaml'),
    );
    assert.equal(rule(tie, '127.0.0.1:15000/dd/x'), 'a', 'equal specificity: the first rule');
  });

  test('errors name the file and line', () => {
    bad(
      'default: require\ncosign: {publicKeys: [keys/cosign.pub]}\nrules:\n  - name: x\n    scopes: [a.example/b]\n    requires: cosign\n',
      /bad\.yaml:6: unknown key "requires" in a rule/,
    );
    bad(
      'cosign: {publicKeys: [keys/cosign.pub]}\nrules:\n  - name: x\n    scopes: [a.example/b]\n    require: gpg\n',
      /bad\.yaml:5: unknown signature kind "gpg"/,
    );
    bad(
      'default: allow\nrules:\n  - name: x\n    scopes: [a.example/b]\n    require: notary\n',
      /bad\.yaml:5: rule "x" requires notary but neither the rule nor the top of the policy configures notary/,
    );
    bad(
      'default: allow\ncosign: {publicKeys: [keys/cosign.pub]}\nrules:\n  - {name: x, scope: a.example/b, require: cosign}\n  - {name: y, scope: a.example/b, require: cosign}\n',
      /bad\.yaml:5: scope "a.example\/b" is already in rule "x"/,
    );
    bad(
      'cosign:\n  publicKeys: [keys/missing.pub]\n',
      /bad\.yaml:2: cosign public key keys\/missing.pub is not an existing file/,
    );
    bad('cosign:\n  publicKeys: [certs/ca.crt]\n', /is not a PEM "PUBLIC KEY" file/);
    bad(
      'default: allow\ncosign: {publicKeys: [keys/cosign.pub]}\nrules:\n  - {name: x, scope: debian, require: cosign}\n',
      /bad\.yaml:4: scope "debian" must start with a registry host/,
    );
    bad('default: require\n', /bad\.yaml:1: default: require needs a notary, cosign or notation section/);
    bad('default: maybe\n', /bad\.yaml:1: default must be require or allow/);
    bad('version: 2\n', /unsupported trust policy version 2/);
    bad('default: allow\ndefault: require\n', /bad\.yaml:2: not valid YAML or JSON: .*unique/i);
    bad('notary:\n  server: ftp://x\n', /bad\.yaml:2: notary server "ftp:\/\/x" must be an https/);
    bad(
      'notary:\n  server: https://x\n  roles: [releases]\n',
      /bad\.yaml:3: notary role "releases" must be targets/,
    );
    bad(
      'default: allow\ncosign: {publicKeys: [keys/cosign.pub]}\nnotary: {server: "https://n"}\nrules:\n  - name: x\n    scope: a.example/b\n    require: notary\n    cosign: {publicKeys: [keys/cosign.pub]}\n',
      /bad\.yaml:8: rule "x" configures cosign but does not require it/,
    );
    bad(
      'notation:\n  trustStore: truststore\n  policy:\n    version: "1.0"\n    trustPolicies:\n      - name: a\n        registryScopes: ["*"]\n        signatureVerification: {level: lax}\n',
      /bad\.yaml:8: "a": level must be strict, permissive, audit or skip/,
    );
    bad(
      'notation:\n  trustStore: nowhere\n  policy: trustpolicy.json\n',
      /bad\.yaml:2: notation trustStore nowhere is not an existing directory/,
    );
    bad('- just\n- a list\n', /the trust policy must be a mapping/);
  });
});

describe('where the policy comes from', () => {
  test('--trust-policy, then $DRYDOCK_TRUST_POLICY, then <trustDir>/policy.yaml', () => {
    assert.deepEqual(trustPolicyPath({ file: 'a.yaml', env: { DRYDOCK_TRUST_POLICY: 'b.yaml' } }), {
      file: 'a.yaml',
      explicit: true,
    });
    assert.deepEqual(trustPolicyPath({ env: { DRYDOCK_TRUST_POLICY: 'b.yaml' } }), {
      file: 'b.yaml',
      explicit: true,
    });
    assert.deepEqual(trustPolicyPath({ env: {}, trustDir: '/t' }), {
      file: '/t/policy.yaml',
      explicit: false,
    });
  });

  test('resolveTrustPolicy: the file, else the DCT server from the environment, else a clear error', () => {
    assert.equal(resolveTrustPolicy({ env: {}, trustDir: dir }).source, policyFile);
    assert.throws(
      () => resolveTrustPolicy({ env: {}, file: path.join(dir, 'nope.yaml') }),
      /cannot read .*nope\.yaml/,
    );
    const empty = tmpdir('dd-policy-empty-');
    const p = resolveTrustPolicy({
      env: { DOCKER_CONTENT_TRUST_SERVER: 'https://127.0.0.1:4443' },
      trustDir: empty,
    });
    assert.deepEqual(p.defaultRule?.require, ['notary']);
    assert.equal(p.defaultRule?.notary?.server, 'https://127.0.0.1:4443');
    assert.match(p.source, /DOCKER_CONTENT_TRUST_SERVER/);
    assert.throws(
      () => resolveTrustPolicy({ env: {}, trustDir: empty }),
      /content trust needs a trust policy: write .*policy\.yaml/,
    );
    assert.throws(
      () => implicitTrustPolicy({ DOCKER_CONTENT_TRUST_SERVER: 'notary:4443' }),
      /is not an https:\/\/ URL/,
    );
  });
});
