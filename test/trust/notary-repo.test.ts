// Interop with the real Notary: what the notary CLI publishes verifies with drydock, and what
// drydock publishes the notary CLI lists, looks up and verifies. Against Debian's notary-server +
// notary-signer (scripts/notary.sh); skipped when they are not installed.

import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, type X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { RegistryClient } from '../../src/image/registry/client.js';
import { parseReference } from '../../src/image/registry/reference.js';
import { TrustCache } from '../../src/trust/cache.js';
import { updateRepository } from '../../src/trust/client.js';
import {
  canonicalKeyId,
  certificatesOf,
  commonNameOf,
  createCertificate,
  generateSigner,
  keyId,
} from '../../src/trust/keys.js';
import { KeyStore } from '../../src/trust/keystore.js';
import { NotaryRemote } from '../../src/trust/notary-remote.js';
import {
  generateSignerKey,
  gunOf,
  keyFromPem,
  loadSignerKey,
  NotaryRepository,
  signImage,
  targetForBytes,
  verifyNotaryTag,
} from '../../src/trust/notary-repo.js';
import { REGISTRY, SKIP_REGISTRY, tmpdir } from '../helpers/env.js';
import { freshGun, type NotaryServices, notaryCli, notaryOk, notaryServices } from './notary-env.js';

process.env.DOCKER_CONFIG = tmpdir('dd-docker-config-');
delete process.env.DRYDOCK_USERNAME;
process.env.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE = 'drydock-root-pass';
process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'drydock-repo-pass';
delete process.env.DRYDOCK_CONTENT_TRUST_ROOT_PASSPHRASE;
delete process.env.DRYDOCK_CONTENT_TRUST_REPOSITORY_PASSPHRASE;

const env = notaryServices();
const N = env.services as NotaryServices;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const manifest = (name: string) => Buffer.from(`{"schemaVersion":2,"name":"${name}","n":${Math.random()}}\n`);

/** `notary list` → tag → [digest hex, size, role]. */
function notaryList(
  trustDir: string,
  gun: string,
  extra: string[] = [],
): Map<string, [string, number, string]> {
  const out = new Map<string, [string, number, string]>();
  for (const line of notaryOk(trustDir, ['list', gun, ...extra])
    .split('\n')
    .slice(2)) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4) out.set(f[0] as string, [f[1] as string, Number(f[2]), f[3] as string]);
  }
  return out;
}

function opts(trustDir: string) {
  return { server: N.url, tlsCa: N.ca, trustDir };
}

describe('notary CLI → drydock', { skip: env.skipCli }, () => {
  test('init, snapshot key on the server, addhash/add, publish, targets/releases: drydock verifies', async () => {
    const nt = tmpdir('dd-notary-cli-');
    const gun = freshGun();
    const m1 = manifest('one');
    const m1r = manifest('one-release');
    const m2 = manifest('two');
    const old = manifest('old');
    for (const [n, b] of Object.entries({ m1r, m2, old })) writeFileSync(path.join(nt, n), b);
    notaryOk(nt, ['init', gun]);
    notaryOk(nt, ['key', 'rotate', gun, 'snapshot', '-r']);
    notaryOk(nt, ['addhash', gun, '1.0', String(m1.length), '--sha256', sha256(m1)]);
    notaryOk(nt, ['add', gun, '0.9', path.join(nt, 'old')]);
    notaryOk(nt, ['publish', gun]);
    // the release role, as `docker trust signer add` creates it
    notaryOk(nt, ['key', 'generate', 'ecdsa', '--role', 'targets/releases', '-o', path.join(nt, 'rel')]);
    notaryOk(nt, ['delegation', 'add', gun, 'targets/releases', path.join(nt, 'rel.pem'), '--all-paths']);
    notaryOk(nt, ['publish', gun]);
    const relKeyId = /targets\/releases\s+"" <all paths>\s+([0-9a-f]{64})/.exec(
      notaryOk(nt, ['delegation', 'list', gun]),
    )?.[1];
    assert.ok(relKeyId);
    // `key import` wants a "path:" header on keys written by `key generate -o`
    const relKey = readFileSync(path.join(nt, 'rel-key.pem'), 'utf8').replace(
      /^role: targets\/releases$/m,
      `role: targets/releases\npath: ${relKeyId}`,
    );
    writeFileSync(path.join(nt, 'rel-key-path.pem'), relKey);
    notaryOk(nt, ['key', 'import', path.join(nt, 'rel-key-path.pem'), '--role', 'targets/releases']);
    notaryOk(nt, ['add', gun, '2.0', path.join(nt, 'm2'), '--roles', 'targets/releases']);
    notaryOk(nt, ['add', gun, '1.0', path.join(nt, 'm1r'), '--roles', 'targets/releases']);
    notaryOk(nt, ['publish', gun]);

    const dd = tmpdir('dd-notary-verify-');
    const ref = (tag: string) => parseReference(`${gun}:${tag}`);
    // Docker's order: targets/releases first
    assert.deepEqual(await verifyNotaryTag(ref('1.0'), opts(dd)), {
      digest: `sha256:${sha256(m1r)}`,
      size: m1r.length,
      role: 'targets/releases',
    });
    assert.deepEqual(await verifyNotaryTag(ref('1.0'), { ...opts(dd), roles: ['targets'] }), {
      digest: `sha256:${sha256(m1)}`,
      size: m1.length,
      role: 'targets',
    });
    assert.equal((await verifyNotaryTag(ref('2.0'), opts(dd))).role, 'targets/releases');
    assert.equal((await verifyNotaryTag(ref('0.9'), opts(dd))).digest, `sha256:${sha256(old)}`);
    await assert.rejects(
      verifyNotaryTag(ref('0.9'), { ...opts(dd), roles: ['targets/releases'] }),
      /no valid signature/,
    );
    await assert.rejects(
      verifyNotaryTag(ref('3.0'), opts(dd)),
      (e: unknown) => e instanceof UserError && /no valid signature for .*:3.0/.test(e.message),
    );
    // a digest given with the tag must match
    await assert.rejects(
      verifyNotaryTag(parseReference(`${gun}:2.0@sha256:${sha256(m1)}`), opts(dd)),
      /is signed for sha256:/,
    );
    // the TUF client sees the same as `notary list`
    const repo = new NotaryRepository(gun, opts(dd));
    const inspect = await repo.inspect();
    repo.close();
    assert.deepEqual(
      inspect.signedTags.map((t) => [t.tag, t.digest, t.size, t.signers.join()]),
      [
        ['0.9', `sha256:${sha256(old)}`, old.length, 'targets'],
        ['1.0', `sha256:${sha256(m1r)}`, m1r.length, 'targets/releases'],
        ['2.0', `sha256:${sha256(m2)}`, m2.length, 'targets/releases'],
      ],
    );
    assert.deepEqual(
      inspect.signers.map((s) => [s.role, s.keyIds, s.paths]),
      [['targets/releases', [relKeyId], ['']]],
    );
    const cli = notaryList(nt, gun);
    assert.deepEqual([...cli.keys()].sort(), ['0.9', '1.0', '2.0']);

    // the notary CLI revokes 0.9: drydock (with its cached trust data) follows
    notaryOk(nt, ['remove', gun, '0.9']);
    notaryOk(nt, ['publish', gun]);
    await assert.rejects(verifyNotaryTag(ref('0.9'), opts(dd)), /no valid signature/);
    assert.equal((await verifyNotaryTag(ref('2.0'), opts(dd))).digest, `sha256:${sha256(m2)}`);
  });

  test('a repository with a client-held snapshot key (notary init default): drydock signs with imported keys', async () => {
    const nt = tmpdir('dd-notary-cli-');
    const gun = freshGun();
    const m1 = manifest('one');
    writeFileSync(path.join(nt, 'm1'), m1);
    notaryOk(nt, ['init', gun]);
    notaryOk(nt, ['add', gun, '1.0', path.join(nt, 'm1')]);
    notaryOk(nt, ['publish', gun]);
    // import the notary CLI's targets and snapshot keys into drydock's key store
    const dd = tmpdir('dd-notary-keys-');
    const ks = new KeyStore({ trustDir: dd });
    const pass: Record<string, string> = { targets: 'notary-targets-pass', snapshot: 'notary-snapshot-pass' };
    let imported = 0;
    for (const f of readdirSync(path.join(nt, 'private'))) {
      const text = readFileSync(path.join(nt, 'private', f), 'utf8');
      const role = /^role: (\S+)$/m.exec(text)?.[1] ?? '';
      if (!pass[role]) continue;
      await ks.import(text, { sourcePassphrase: pass[role] });
      imported++;
    }
    assert.equal(imported, 2);
    const m2 = manifest('two');
    const repo = new NotaryRepository(gun, opts(dd));
    const res = await repo.addTarget('2.0', targetForBytes(m2));
    repo.close();
    assert.deepEqual(Object.keys(res.published).sort(), ['snapshot', 'targets']);
    const cli = notaryList(nt, gun);
    assert.deepEqual(cli.get('2.0'), [sha256(m2), m2.length, 'targets']);
    assert.deepEqual(cli.get('1.0'), [sha256(m1), m1.length, 'targets']);
    const v = notaryCli(nt, ['verify', gun, '2.0'], { input: m2 });
    assert.equal(v.code, 0, v.stderr);
  });
});

describe('drydock → notary CLI', { skip: env.skipCli }, () => {
  test('init + add + publish, then a signer: notary list, lookup and verify agree; revoke and signer remove', async () => {
    const dd = tmpdir('dd-notary-pub-');
    const nt = tmpdir('dd-notary-cli-');
    const gun = freshGun();
    const m1 = manifest('one');
    const m2 = manifest('two');
    const repo = new NotaryRepository(gun, opts(dd));
    try {
      assert.equal(await repo.isPublished(), false);
      assert.deepEqual((await repo.initialize()).published, { root: 1, targets: 1 });
      await assert.rejects(repo.initialize(), /already has trust data/);
      assert.deepEqual((await repo.addTarget('1.0', targetForBytes(m1))).published, { targets: 2 });

      // Notary's root: one ecdsa-x509 certificate, CN = GUN, 10 years; snapshot and timestamp keys on the server
      const trusted = await repo.update();
      const root = trusted.root.signed;
      const rootKey = root.keys[root.roles.root.keyids[0] as string];
      assert.equal(rootKey?.keytype, 'ecdsa-x509');
      const cert = certificatesOf(rootKey as NonNullable<typeof rootKey>)[0] as X509Certificate;
      assert.equal(commonNameOf(cert), gun);
      const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * 86400e3);
      assert.ok(Math.abs(years - 10) < 0.01, String(years));
      const remote = new NotaryRemote(gun, opts(dd));
      assert.deepEqual(root.roles.timestamp.keyids, [keyId(await remote.getKey('timestamp'))]);
      assert.deepEqual(root.roles.snapshot.keyids, [keyId(await remote.getKey('snapshot'))]);
      remote.close();

      assert.deepEqual(notaryList(nt, gun).get('1.0'), [sha256(m1), m1.length, 'targets']);
      assert.equal(notaryOk(nt, ['lookup', gun, '1.0']).trim(), `1.0 sha256:${sha256(m1)} ${m1.length}`);
      const ok = notaryCli(nt, ['verify', gun, '1.0'], { input: m1 });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, m1.toString());
      const tampered = Buffer.from(m1);
      tampered[5] = (tampered[5] as number) ^ 1;
      assert.notEqual(notaryCli(nt, ['verify', gun, '1.0'], { input: tampered }).code, 0);

      // a signer, as `docker trust signer add alice --key alice.pub` (PEM public key)
      const alice = generateSigner('ecdsa');
      const alicePub = `-----BEGIN PUBLIC KEY-----\nrole: alice\n\n${Buffer.from(
        alice.publicKey.keyval.public,
        'base64',
      )
        .toString('base64')
        .replace(/.{64}/g, '$&\n')}\n-----END PUBLIC KEY-----\n`;
      await repo.keys.add(alice.privatePem, 'targets/alice', gun);
      await repo.addSigner('alice', [keyFromPem(alicePub)]);
      assert.deepEqual(Object.keys((await repo.addTarget('2.0', targetForBytes(m2))).published).sort(), [
        'targets/alice',
        'targets/releases',
      ]);
      assert.deepEqual(notaryList(nt, gun).get('2.0'), [sha256(m2), m2.length, 'targets/releases']);
      const dl = notaryOk(nt, ['delegation', 'list', gun]);
      assert.match(dl, new RegExp(`targets/alice\\s+"" <all paths>\\s+${alice.keyId}\\s+1`));
      assert.match(dl, new RegExp(`targets/releases\\s+"" <all paths>\\s+${alice.keyId}\\s+1`));
      assert.equal(notaryCli(nt, ['verify', gun, '2.0'], { input: m2 }).code, 0);
      assert.equal(
        (await verifyNotaryTag(parseReference(`${gun}:2.0`), opts(tmpdir('dd-v-')))).role,
        'targets/releases',
      );

      // with a delegation present, Docker signs into the delegations only
      const m3 = manifest('three');
      await repo.addTarget('3.0', targetForBytes(m3));
      assert.equal(notaryList(nt, gun).get('3.0')?.[2], 'targets/releases');

      // revoke 1.0 (targets) and 2.0 (releases + alice)
      await repo.removeTarget('1.0');
      await repo.removeTarget('2.0');
      const after = notaryList(nt, gun);
      assert.deepEqual([...after.keys()], ['3.0']);
      await assert.rejects(verifyNotaryTag(parseReference(`${gun}:1.0`), opts(dd)), /no valid signature/);
      await assert.rejects(repo.removeTarget('1.0'), /"1.0" is not signed/);
      const stranger = new NotaryRepository(gun, opts(tmpdir('dd-notary-nokeys-')));
      await assert.rejects(
        stranger.removeTarget('3.0'),
        /signed in .* by targets\/releases, targets\/alice, and .* holds no key/,
      );
      stranger.close();

      // signer remove: targets/alice goes, and targets/releases with its only key
      await repo.removeSigner('alice');
      assert.match(notaryOk(nt, ['delegation', 'list', gun]), /No delegations present/);
      await assert.rejects(repo.removeSigner('alice'), /has no signer "alice"/);
      await assert.rejects(verifyNotaryTag(parseReference(`${gun}:3.0`), opts(dd)), /no valid signature/);
    } finally {
      repo.close();
    }
  });

  test('signer keys generated and loaded; a certificate delegation limited to a path prefix', async () => {
    const dd = tmpdir('dd-notary-sig-');
    const nt = tmpdir('dd-notary-cli-');
    const gun = freshGun();
    const repo = new NotaryRepository(gun, opts(dd));
    try {
      // trust key generate bob + trust signer add bob (initialises the repository)
      const bob = await generateSignerKey('bob', { trustDir: dd });
      assert.match(bob.publicPem, /^-----BEGIN PUBLIC KEY-----\nrole: bob\n\n/);
      await repo.addSigner('bob', [keyFromPem(bob.publicPem)]);
      await assert.rejects(repo.addSigner('releases', [keyFromPem(bob.publicPem)]), /invalid signer name/);
      // a delegation keyed by a certificate (as `notary delegation add` takes), for "ci-" tags only
      const ci = generateSigner('ecdsa');
      const ciKey = createPrivateKey(ci.privatePem);
      const certKey = keyFromPem(
        createCertificate({
          subject: 'ci',
          publicKey: createPublicKey(ciKey),
          signingKey: ciKey,
          notBefore: new Date(Date.now() - 60_000),
          notAfter: new Date(Date.now() + 365 * 86400e3),
        }),
      );
      assert.equal(certKey.keytype, 'ecdsa-x509');
      assert.equal(canonicalKeyId(certKey), ci.keyId);
      assert.equal((await loadSignerKey(ci.privatePem, 'ci', { trustDir: dd })).keyId, ci.keyId);
      await repo.publish([{ type: 'add-delegation', role: 'targets/ci', keys: [certKey], paths: ['ci-'] }]);
      const m = manifest('ci');
      await repo.addTarget('ci-1', targetForBytes(m), { roles: ['targets/ci'] });
      await assert.rejects(
        repo.addTarget('prod-1', targetForBytes(m), { roles: ['targets/ci'] }),
        /targets\/ci .* may not sign "prod-1" \(paths\)/,
      );
      // Docker's choice of roles: every delegation we hold a key for whose paths cover the tag
      assert.deepEqual(Object.keys((await repo.addTarget('1.0', targetForBytes(m))).published).sort(), [
        'targets/bob',
        'targets/releases',
      ]);
      assert.deepEqual(Object.keys((await repo.addTarget('ci-2', targetForBytes(m))).published).sort(), [
        'targets/bob',
        'targets/ci',
        'targets/releases',
      ]);
      const list = notaryList(nt, gun);
      assert.equal(list.get('ci-1')?.[2], 'targets/ci');
      assert.equal(list.get('1.0')?.[2], 'targets/releases');
      assert.match(
        notaryOk(nt, ['delegation', 'list', gun]),
        new RegExp(`targets/ci\\s+ci-\\s+${ci.keyId}\\s+1`),
      );
      assert.equal(notaryCli(nt, ['verify', gun, 'ci-1'], { input: m }).code, 0);
    } finally {
      repo.close();
    }
  });

  test('key rotation (targets, snapshot and timestamp on the server, root): the CLI and drydock keep verifying', async () => {
    const dd = tmpdir('dd-notary-rot-');
    const nt = tmpdir('dd-notary-cli-');
    const v = tmpdir('dd-notary-v-');
    const gun = freshGun();
    const m1 = manifest('one');
    const repo = new NotaryRepository(gun, opts(dd));
    try {
      await repo.publish([{ type: 'add-target', name: '1.0', meta: targetForBytes(m1) }], { init: true });
      // both clients pin the first root
      assert.deepEqual(notaryList(nt, gun).get('1.0'), [sha256(m1), m1.length, 'targets']);
      await verifyNotaryTag(parseReference(`${gun}:1.0`), opts(v));
      let rootVersion = 1;
      for (const role of ['targets', 'snapshot', 'timestamp', 'root'] as const) {
        const before = (await repo.update()).root.signed.roles[role].keyids;
        const r = await repo.rotateKey(role);
        rootVersion++;
        assert.equal(r.published.root, rootVersion, role);
        assert.notDeepEqual([r.keyId], before, role);
        if (role === 'targets') assert.ok(r.published.targets, 'targets re-signed with the new key');
        assert.deepEqual(
          notaryList(nt, gun).get('1.0'),
          [sha256(m1), m1.length, 'targets'],
          `notary list after ${role} rotation`,
        );
        const got = await verifyNotaryTag(parseReference(`${gun}:1.0`), opts(v));
        assert.equal(got.digest, `sha256:${sha256(m1)}`, role);
      }
      // and drydock still signs after all that
      const m2 = manifest('two');
      await repo.addTarget('2.0', targetForBytes(m2));
      assert.equal(notaryCli(nt, ['verify', gun, '2.0'], { input: m2 }).code, 0);
      // the cached root in the verifier's trust dir is the rotated one
      const cache = TrustCache.forGun(gun, v);
      const cached = await updateRepository(gun, new NotaryRemote(gun, opts(v)), cache);
      assert.equal(cached.root.signed.version, rootVersion);
    } finally {
      repo.close();
    }
  });

  test('signs an image tag from the registry: digest and size of the manifest', {
    skip: SKIP_REGISTRY,
  }, async () => {
    const ref = parseReference(`${REGISTRY.plain}/dd/debian-app:1.0`);
    const gun = gunOf(ref);
    // the memory-backed server outlives test runs: start this GUN over
    const remote = new NotaryRemote(gun, { server: N.url, tlsCa: N.ca });
    await remote.deleteRepository();
    remote.close();
    const dd = tmpdir('dd-notary-img-');
    const signed = await signImage(ref, { ...opts(dd), registry: { insecure: true } });
    const client = new RegistryClient(ref, { insecure: true });
    const m = await client.getManifest('1.0');
    await client.close();
    assert.equal(signed.digest, m.digest);
    assert.equal(signed.size, m.data.length);
    const got = await verifyNotaryTag(ref, opts(tmpdir('dd-v-')));
    assert.deepEqual(got, { digest: m.digest, size: m.data.length, role: 'targets' });
    const nt = tmpdir('dd-notary-cli-');
    const r = notaryCli(nt, ['verify', gun, '1.0'], { input: m.data });
    assert.equal(r.code, 0, r.stderr);
  });

  test('clean errors: wrong passphrase, unknown GUN, no server', async () => {
    const dd = tmpdir('dd-notary-err-');
    const gun = freshGun();
    const repo = new NotaryRepository(gun, opts(dd));
    await repo.initialize();
    repo.close();
    const saved = process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE;
    process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'not-the-passphrase';
    try {
      const again = new NotaryRepository(gun, opts(dd));
      const err = await again.addTarget('1.0', targetForBytes(manifest('x'))).catch((e: unknown) => e);
      again.close();
      assert.ok(err instanceof UserError && !err.message.includes('\n'), String(err));
      assert.match(
        err.message,
        /targets key .* wrong passphrase \(DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE\)/,
      );
    } finally {
      process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = saved;
    }
    // no keys at all for the repository
    const other = new NotaryRepository(gun, opts(tmpdir('dd-notary-nokeys-')));
    await assert.rejects(
      other.addTarget('1.0', targetForBytes(manifest('x'))),
      /no private key for the targets role/,
    );
    other.close();
    await assert.rejects(
      verifyNotaryTag(parseReference(`${freshGun()}:1.0`), opts(tmpdir('dd-v-'))),
      (e: unknown) => e instanceof UserError && /has no root.json/.test(e.message),
    );
    await assert.rejects(
      verifyNotaryTag(parseReference(`${gun}:1.0`), {
        server: 'https://127.0.0.1:1',
        trustDir: tmpdir('dd-v-'),
      }),
      (e: unknown) => e instanceof UserError && /cannot reach trust server 127.0.0.1:1/.test(e.message),
    );
  });
});
