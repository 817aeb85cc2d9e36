import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { KeyStore, passphraseEnvVars, privateKeyId } from '../../src/trust/keystore.js';
import { tmpdir } from '../helpers/env.js';
import { HAVE_NOTARY_CLI } from './notary-env.js';

const VARS = [
  'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE',
  'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE',
  'DRYDOCK_CONTENT_TRUST_ROOT_PASSPHRASE',
  'DRYDOCK_CONTENT_TRUST_REPOSITORY_PASSPHRASE',
];
const saved: Record<string, string | undefined> = {};
beforeEach(() => {
  for (const v of VARS) {
    saved[v] = process.env[v];
    delete process.env[v];
  }
});
afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
});

const ecPem = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

function oneLine(err: unknown): boolean {
  return err instanceof UserError && !err.message.includes('\n');
}

const HAVE_OPENSSL = spawnSync('sh', ['-c', 'command -v openssl'], { stdio: 'ignore' }).status === 0;

describe('keystore', () => {
  test('passphrase variables: root vs repository roles', () => {
    assert.deepEqual(passphraseEnvVars('root'), [
      'DRYDOCK_CONTENT_TRUST_ROOT_PASSPHRASE',
      'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE',
    ]);
    for (const r of ['targets', 'snapshot', 'targets/releases']) {
      assert.equal(passphraseEnvVars(r)[1], 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE');
    }
  });

  test('stores keys encrypted, 0600 in a 0700 dir, with Notary headers; loads them back', async () => {
    const dir = tmpdir('dd-ks-');
    process.env.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE = 'root-secret-1';
    process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'repo-secret-1';
    const ks = new KeyStore({ trustDir: dir });
    const rootPem = ecPem();
    const targetsPem = ecPem();
    const rootId = await ks.add(rootPem, 'root');
    const targetsId = await ks.add(targetsPem, 'targets', 'example.com/team/app');
    assert.equal(rootId, privateKeyId(createPrivateKey(rootPem)));
    assert.equal(statSync(ks.dir).mode & 0o777, 0o700);
    for (const id of [rootId, targetsId]) assert.equal(statSync(ks.fileOf(id)).mode & 0o777, 0o600);
    const text = readFileSync(ks.fileOf(targetsId), 'utf8');
    assert.match(
      text,
      /^-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: example.com\/team\/app\nrole: targets\n\n/,
    );
    assert.doesNotMatch(readFileSync(ks.fileOf(rootId), 'utf8'), /gun:/);
    // not readable without the passphrase
    const body = text.replace(/^(gun|role): .*\n/gm, '').replace('-----\n\n', '-----\n');
    assert.throws(() => createPrivateKey(body));
    assert.deepEqual(
      ks.list().map((k) => [k.role, k.gun ?? '']),
      [
        [rootId < targetsId ? 'root' : 'targets', rootId < targetsId ? '' : 'example.com/team/app'],
        [rootId < targetsId ? 'targets' : 'root', rootId < targetsId ? 'example.com/team/app' : ''],
      ],
    );
    assert.deepEqual(
      ks.find('targets', 'example.com/team/app').map((k) => k.keyId),
      [targetsId],
    );
    assert.deepEqual(ks.find('targets', 'example.com/other'), []);
    // a fresh store (no cached keys) decrypts with the passphrases from the environment
    const again = new KeyStore({ trustDir: dir });
    const loaded = await again.load(targetsId);
    assert.equal(loaded.role, 'targets');
    assert.equal(loaded.gun, 'example.com/team/app');
    assert.equal(
      createPublicKey(loaded.key).export({ type: 'spki', format: 'pem' }),
      createPublicKey(targetsPem).export({ type: 'spki', format: 'pem' }),
    );
  });

  test('DRYDOCK_* passphrase variables win over DOCKER_*', async () => {
    const dir = tmpdir('dd-ks-');
    process.env.DRYDOCK_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'drydock-pass-1';
    process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'docker-pass-1';
    const id = await new KeyStore({ trustDir: dir }).add(ecPem(), 'targets', 'example.com/a');
    delete process.env.DRYDOCK_CONTENT_TRUST_REPOSITORY_PASSPHRASE;
    await assert.rejects(new KeyStore({ trustDir: dir }).load(id), /wrong passphrase/);
    process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'drydock-pass-1';
    await new KeyStore({ trustDir: dir }).load(id);
  });

  test('an independent PKCS#8 reader (openssl) decrypts a stored key', {
    skip: !HAVE_OPENSSL && 'needs openssl',
  }, async () => {
    const dir = tmpdir('dd-ks-');
    process.env.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE = 'openssl-check-1';
    const pem = ecPem();
    const id = await new KeyStore({ trustDir: dir }).add(pem, 'root');
    const file = path.join(dir, 'private', `${id}.key`);
    const stripped = path.join(dir, 'stripped.pem');
    writeFileSync(stripped, readFileSync(file, 'utf8').replace(/^role: .*\n\n/m, ''));
    const r = spawnSync('openssl', ['pkey', '-in', stripped, '-passin', 'pass:openssl-check-1', '-pubout'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, createPublicKey(pem).export({ type: 'spki', format: 'pem' }));
    const bad = spawnSync('openssl', ['pkey', '-in', stripped, '-passin', 'pass:wrong-pass-1', '-pubout'], {
      encoding: 'utf8',
    });
    assert.notEqual(bad.status, 0);
  });

  test('wrong or missing passphrase: one-line UserError naming the variable', async () => {
    const dir = tmpdir('dd-ks-');
    process.env.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE = 'the-right-one';
    const id = await new KeyStore({ trustDir: dir }).add(ecPem(), 'root');
    process.env.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE = 'the-wrong-one';
    const err = await new KeyStore({ trustDir: dir }).load(id).catch((e: unknown) => e);
    assert.ok(oneLine(err), String(err));
    assert.match(
      (err as Error).message,
      /root key .*wrong passphrase \(DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE\)/,
    );
    delete process.env.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE;
    // stdin is not a terminal under the test runner: no prompt, a clear error
    const err2 = await new KeyStore({ trustDir: dir }).load(id).catch((e: unknown) => e);
    assert.ok(oneLine(err2), String(err2));
    assert.match(
      (err2 as Error).message,
      /no passphrase for the root key: set DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE/,
    );
  });

  test('rejects short passphrases, bad roles and key ids, foreign files', async () => {
    const dir = tmpdir('dd-ks-');
    process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'short';
    const ks = new KeyStore({ trustDir: dir });
    await assert.rejects(ks.add(ecPem(), 'targets', 'example.com/a'), /too short/);
    assert.deepEqual(ks.list(), []);
    process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'long-enough-1';
    await assert.rejects(ks.add(ecPem(), '../../etc', 'example.com/a'), /invalid key role/);
    await assert.rejects(ks.load('../x'), /invalid key id/);
    await assert.rejects(ks.load('a'.repeat(64)), /no private key aaaaaaaaaaaa/);
    await assert.rejects(ks.add('not a pem', 'targets'), /not a PEM file/);
    // a key file renamed to another id is refused
    const a = await ks.add(ecPem(), 'targets', 'example.com/a');
    const b = 'b'.repeat(64);
    renameSync(ks.fileOf(a), ks.fileOf(b));
    await assert.rejects(new KeyStore({ trustDir: dir }).load(b), /holds a different key/);
    // garbage in a key file
    writeFileSync(
      ks.fileOf('c'.repeat(64)),
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: targets\n\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n',
    );
    const err = await new KeyStore({ trustDir: dir }).load('c'.repeat(64)).catch((e: unknown) => e);
    assert.ok(oneLine(err), String(err));
  });

  test('imports a key exported unencrypted and one encrypted by another passphrase', async () => {
    const dir = tmpdir('dd-ks-');
    process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'store-pass-1';
    const ks = new KeyStore({ trustDir: dir });
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const enc = key
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'source-pass' })
      .toString()
      .replace('-----\n', '-----\nrole: targets/releases\ngun: example.com/a\n\n');
    const id = await ks.import(enc, { sourcePassphrase: 'source-pass' });
    assert.equal(id, privateKeyId(key));
    const info = ks.list().find((k) => k.keyId === id);
    assert.equal(info?.role, 'targets/releases');
    assert.equal(info?.gun, 'example.com/a');
    await assert.rejects(ks.import(enc, { sourcePassphrase: 'nope-nope' }), /wrong passphrase/);
  });

  test('keys written by the notary CLI load; keys drydock writes are listed by the notary CLI', {
    skip: !HAVE_NOTARY_CLI && 'needs notary (apt-get install notary)',
  }, async () => {
    const dir = tmpdir('dd-ks-');
    const out = path.join(dir, 'rel');
    const r = spawnSync(
      'notary',
      ['-d', path.join(dir, 'n'), 'key', 'generate', 'ecdsa', '--role', 'targets/releases', '-o', out],
      {
        encoding: 'utf8',
        env: { ...process.env, NOTARY_DELEGATION_PASSPHRASE: 'notary-deleg-1' },
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const notaryKey = readFileSync(`${out}-key.pem`, 'utf8');
    process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'drydock-store-1';
    const ks = new KeyStore({ trustDir: dir });
    const id = await ks.import(notaryKey, { sourcePassphrase: 'notary-deleg-1', gun: 'example.com/a' });
    // the same key as the public key notary wrote next to it
    const pub = createPublicKey(readFileSync(`${out}.pem`, 'utf8').replace(/^role: .*\n\n/m, ''));
    assert.equal(
      createPublicKey((await ks.load(id)).key).export({ type: 'spki', format: 'pem' }),
      pub.export({ type: 'spki', format: 'pem' }),
    );
    // the notary CLI reads the drydock trust dir's key files
    const list = spawnSync('notary', ['-d', dir, 'key', 'list'], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`targets/releases\\s+example.com/a\\s+${id}`));
  });
});
