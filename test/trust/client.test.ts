// The TUF client against repositories built here (in-memory TufRemote, our own signing) and
// against real Notary metadata. Every rejected update must leave the cache byte-identical.

import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { TrustCache, type TrustPinning } from '../../src/trust/cache.js';
import { checkTarget, type TrustedRepo, type TufRemote, updateRepository } from '../../src/trust/client.js';
import {
  canonicalKeyId,
  createCertificate,
  generateSigner,
  type Signer,
  signerFromPrivatePem,
} from '../../src/trust/keys.js';
import {
  type DelegatedRole,
  type FileMeta,
  fileMeta,
  formatExpires,
  signMetadata,
} from '../../src/trust/metadata.js';
import { ROOT, tmpdir } from '../helpers/env.js';

const GUN = 'example.com/team/app';
const T0 = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const MANIFEST = Buffer.from(
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}',
);
const MANIFEST2 = Buffer.from('{"schemaVersion":2,"config":{},"layers":[{"size":1}]}');

function x509(cn = GUN, notBefore = new Date(T0.getTime() - DAY), years = 10): Signer {
  return signerFromPrivatePem(generateSigner('ecdsa').privatePem, {
    asX509: { commonName: cn, years, notBefore },
  });
}

// keys shared by all test repositories (key generation, RSA above all, is the slow part)
const KEYS = {
  root: [x509(), x509(), x509()],
  targets: [generateSigner('ecdsa'), generateSigner('ed25519')],
  snapshot: generateSigner('rsa'),
  timestamp: generateSigner('ed25519'),
  timestamp2: generateSigner('ecdsa'),
  releases: generateSigner('ecdsa'),
  qa: generateSigner('ecdsa'),
  foreign: generateSigner('ecdsa'),
};

type Role = 'root' | 'targets' | 'snapshot' | 'timestamp' | 'targets/releases' | 'targets/releases/qa';
type Mutate = (signed: Record<string, unknown>) => void;

/** A Notary-shaped repository served from memory. */
class TestRepo {
  files = new Map<string, Buffer>();
  requests: { path: string; maxBytes: number }[] = [];
  base = T0;
  rootKeys: Signer[] = [KEYS.root[0] as Signer];
  rootThreshold = 1;
  targetsKeys: Signer[] = [KEYS.targets[0] as Signer];
  targetsThreshold = 1;
  timestampKey: Signer = KEYS.timestamp;
  version: Record<Role, number> = {
    root: 1,
    targets: 1,
    snapshot: 1,
    timestamp: 1,
    'targets/releases': 1,
    'targets/releases/qa': 1,
  };
  expiresDays: Record<Role, number> = {
    root: 365,
    targets: 90,
    snapshot: 7,
    timestamp: 1,
    'targets/releases': 90,
    'targets/releases/qa': 90,
  };
  targets: Record<string, FileMeta> = { '1.0': fileMeta(MANIFEST) };
  releases: Record<string, FileMeta> | undefined = { '1.0-docker': fileMeta(MANIFEST2) };
  releasesRole: Partial<DelegatedRole> = { paths: [''] };
  qa: Record<string, FileMeta> | undefined;
  qaRole: Partial<DelegatedRole> = { paths: [''] };
  snapshotVersions = false;

  remote: TufRemote = {
    get: async (p: string, maxBytes: number) => {
      this.requests.push({ path: p, maxBytes });
      return this.files.get(p);
    },
  };

  expires(role: Role): string {
    return formatExpires(new Date(this.base.getTime() + this.expiresDays[role] * DAY));
  }

  rootSigned(): Record<string, unknown> {
    const keys: Record<string, unknown> = {};
    for (const k of [...this.rootKeys, ...this.targetsKeys, KEYS.snapshot, this.timestampKey])
      keys[k.keyId] = k.publicKey;
    return {
      _type: 'Root',
      consistent_snapshot: false,
      expires: this.expires('root'),
      keys,
      roles: {
        root: { keyids: this.rootKeys.map((k) => k.keyId), threshold: this.rootThreshold },
        targets: { keyids: this.targetsKeys.map((k) => k.keyId), threshold: this.targetsThreshold },
        snapshot: { keyids: [KEYS.snapshot.keyId], threshold: 1 },
        timestamp: { keyids: [this.timestampKey.keyId], threshold: 1 },
      },
      version: this.version.root,
    };
  }

  sign(role: Role, signed: Record<string, unknown>, signers: Signer[], mutate?: Mutate): Buffer {
    mutate?.(signed);
    const bytes = signMetadata(signed, signers);
    this.files.set(`${role}.json`, bytes);
    return bytes;
  }

  publishRoot(signers = this.rootKeys, mutate?: Mutate): Buffer {
    const b = this.sign('root', this.rootSigned(), signers, mutate);
    this.files.set(`${this.version.root}.root.json`, b);
    return b;
  }

  publishQa(signers: Signer[] = [KEYS.qa], mutate?: Mutate): void {
    if (!this.qa) return;
    const t = {
      _type: 'Targets',
      delegations: { keys: {}, roles: [] },
      expires: this.expires('targets/releases/qa'),
      targets: this.qa,
      version: this.version['targets/releases/qa'],
    };
    this.sign('targets/releases/qa', t, signers, mutate);
  }

  publishReleases(signers: Signer[] = [KEYS.releases], mutate?: Mutate): void {
    if (!this.releases) return;
    const delegations = this.qa
      ? {
          keys: { [KEYS.qa.keyId]: KEYS.qa.publicKey },
          roles: [{ name: 'targets/releases/qa', keyids: [KEYS.qa.keyId], threshold: 1, ...this.qaRole }],
        }
      : { keys: {}, roles: [] };
    const t = {
      _type: 'Targets',
      delegations,
      expires: this.expires('targets/releases'),
      targets: this.releases,
      version: this.version['targets/releases'],
    };
    this.sign('targets/releases', t, signers, mutate);
  }

  publishTargets(signers = this.targetsKeys, mutate?: Mutate): void {
    const delegations = this.releases
      ? {
          keys: { [KEYS.releases.keyId]: KEYS.releases.publicKey },
          roles: [
            { name: 'targets/releases', keyids: [KEYS.releases.keyId], threshold: 1, ...this.releasesRole },
          ],
        }
      : { keys: {}, roles: [] };
    const t = {
      _type: 'Targets',
      delegations,
      expires: this.expires('targets'),
      targets: this.targets,
      version: this.version.targets,
    };
    this.sign('targets', t, signers, mutate);
  }

  publishSnapshot(signers: Signer[] = [KEYS.snapshot], mutate?: Mutate): void {
    const meta: Record<string, unknown> = {};
    for (const role of ['root', 'targets', 'targets/releases', 'targets/releases/qa']) {
      const b = this.files.get(`${role}.json`);
      if (!b) continue;
      meta[role] = this.snapshotVersions
        ? { version: (JSON.parse(b.toString()) as { signed: { version: number } }).signed.version }
        : fileMeta(b);
    }
    this.sign(
      'snapshot',
      { _type: 'Snapshot', expires: this.expires('snapshot'), meta, version: this.version.snapshot },
      signers,
      mutate,
    );
  }

  publishTimestamp(signers: Signer[] = [this.timestampKey], mutate?: Mutate): void {
    const snap = this.files.get('snapshot.json') as Buffer;
    const t = {
      _type: 'Timestamp',
      expires: this.expires('timestamp'),
      meta: { snapshot: fileMeta(snap) },
      version: this.version.timestamp,
    };
    this.sign('timestamp', t, signers, mutate);
  }

  /** Bumps the versions given, then republishes everything below root. */
  publish(...bump: Role[]): void {
    for (const r of bump) this.version[r]++;
    this.publishQa();
    this.publishReleases();
    this.publishTargets();
    this.publishSnapshot();
    this.publishTimestamp();
  }

  /** Server-side re-sign of snapshot + timestamp with new versions (what a compromised server can do). */
  resignSnapshotAndTimestamp(): void {
    this.version.snapshot++;
    this.version.timestamp++;
    this.publishSnapshot();
    this.publishTimestamp();
  }
}

/** Every file under dir → base64 content (so a later comparison catches any change or new file). */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(path.relative(dir, p), readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

interface Env {
  repo: TestRepo;
  dir: string;
  cache: TrustCache;
  trusted: TrustedRepo;
}

async function setup(
  mod?: (r: TestRepo) => void,
  opts: { now?: Date; pinning?: TrustPinning } = {},
): Promise<Env> {
  const repo = new TestRepo();
  mod?.(repo);
  repo.publishRoot();
  repo.publish();
  const dir = tmpdir('dd-tuf-');
  const cache = TrustCache.forGun(GUN, dir);
  const trusted = await updateRepository(GUN, repo.remote, cache, {
    now: opts.now ?? T0,
    pinning: opts.pinning,
  });
  return { repo, dir, cache, trusted };
}

async function update(env: Env, opts: { now?: Date; pinning?: TrustPinning } = {}): Promise<TrustedRepo> {
  return updateRepository(GUN, env.repo.remote, env.cache, { now: opts.now ?? T0, pinning: opts.pinning });
}

/** The update must fail with a one-line UserError matching `re`, and leave the cache untouched. */
async function rejected(
  env: Env,
  re: RegExp,
  opts: { now?: Date; pinning?: TrustPinning } = {},
): Promise<void> {
  const before = tree(env.dir);
  await assert.rejects(update(env, opts), (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.match(err.message, re);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
  assert.deepEqual(tree(env.dir), before, 'the cache must not change after a rejected update');
}

/** The cached copy of a role, as bytes. */
const cached = (env: Env, role: string) => env.cache.read(role);

describe('TUF client: a good repository', () => {
  it('verifies every role, caches what it verified, and looks targets up through delegations', async () => {
    const env = await setup();
    const { trusted, repo } = env;
    assert.deepEqual(trusted.updated.sort(), [
      'root',
      'snapshot',
      'targets',
      'targets/releases',
      'timestamp',
    ]);
    for (const r of ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases']) {
      assert.deepEqual(cached(env, r), repo.files.get(`${r}.json`), r);
    }
    const e = trusted.lookup('1.0');
    assert.equal(e?.role, 'targets');
    assert.equal(e?.length, MANIFEST.length);
    assert.equal(e?.hashes.sha256, fileMeta(MANIFEST).hashes.sha256);
    assert.equal(e?.sha256, Buffer.from(fileMeta(MANIFEST).hashes.sha256, 'base64').toString('hex'));
    assert.equal(trusted.lookup('1.0-docker')?.role, 'targets/releases');
    assert.equal(trusted.lookup('nope'), undefined);
    assert.deepEqual(
      trusted.targets().map((t) => `${t.name}@${t.role}`),
      ['1.0@targets', '1.0-docker@targets/releases'],
    );
    // sizes: timestamp capped at 1 MiB, snapshot at the timestamp's length, targets at the snapshot's
    const req = (p: string) => repo.requests.find((r) => r.path === p)?.maxBytes;
    assert.equal(req('timestamp.json'), 1024 * 1024);
    assert.equal(req('snapshot.json'), repo.files.get('snapshot.json')?.length);
    assert.equal(req('targets.json'), repo.files.get('targets.json')?.length);
    assert.equal(req('targets/releases.json'), repo.files.get('targets/releases.json')?.length);
    assert.equal(req('root.json'), 4 * 1024 * 1024);
    assert.ok(req('2.root.json'), 'asks for the next root version');

    // a second update with nothing new writes nothing
    const again = await update(env);
    assert.deepEqual(again.updated, []);
  });

  it('checkTarget accepts the signed bytes and rejects tampered hash or length', async () => {
    const { trusted } = await setup();
    const e = trusted.lookup('1.0');
    assert.ok(e);
    checkTarget(e, MANIFEST);
    const tampered = Buffer.from(MANIFEST);
    tampered[5] = 0x41;
    assert.throws(
      () => checkTarget(e, tampered),
      (err: unknown) =>
        err instanceof UserError && /target "1\.0" \(targets\): sha256 hash does not match/.test(err.message),
    );
    assert.throws(
      () => checkTarget(e, Buffer.concat([MANIFEST, Buffer.from(' ')])),
      (err: unknown) =>
        err instanceof UserError && /length is \d+ bytes, the signed metadata says \d+/.test(err.message),
    );
    // the lookup returns the signed values, not the registry's
    assert.equal(e.length, MANIFEST.length);
  });

  it('takes the time once: metadata expiring during a slow update is still judged at the start time', async () => {
    const start = Date.now();
    const repo = new TestRepo();
    repo.base = new Date(start);
    repo.rootKeys = [x509(GUN, new Date(start - DAY))];
    repo.publishRoot();
    repo.publish();
    // the timestamp expires 300 ms after the start; the server takes 400 ms to send it
    repo.publishTimestamp(undefined, (s) => {
      s.expires = new Date(start + 300).toISOString();
    });
    const slow: TufRemote = {
      get: async (p, max) => {
        if (p === 'timestamp.json') await new Promise((r) => setTimeout(r, 400));
        return repo.remote.get(p, max);
      },
    };
    const cache = TrustCache.forGun(GUN, tmpdir('dd-tuf-'));
    const r = await updateRepository(GUN, slow, cache, { now: new Date(start) });
    assert.equal(r.now.getTime(), start);
    assert.ok(Date.now() > start + 300);
  });

  it('accepts a root rotation signed by the old and the new root keys, step by step', async () => {
    const env = await setup();
    const { repo } = env;
    const [k1, k2, k3] = KEYS.root as [Signer, Signer, Signer];
    repo.version.root = 2;
    repo.rootKeys = [k2];
    repo.publishRoot([k1, k2]);
    repo.version.root = 3;
    repo.rootKeys = [k3];
    repo.publishRoot([k2, k3]);
    repo.resignSnapshotAndTimestamp();
    const r = await update(env);
    assert.equal(r.root.signed.version, 3);
    assert.deepEqual(cached(env, 'root'), repo.files.get('3.root.json'));
    assert.ok(r.updated.includes('root'));
    assert.equal(r.lookup('1.0')?.role, 'targets');
  });

  it('a new timestamp key in the root resets the timestamp rollback baseline', async () => {
    const env = await setup();
    const { repo } = env;
    repo.version.timestamp = 5;
    repo.publishTimestamp();
    await update(env);
    // keys rotated (e.g. after a fast-forward attack): the new timestamp starts again at 1
    repo.version.root = 2;
    repo.timestampKey = KEYS.timestamp2;
    repo.publishRoot();
    repo.version.timestamp = 1;
    repo.version.snapshot++;
    repo.publishSnapshot();
    repo.publishTimestamp();
    const r = await update(env);
    assert.equal(r.timestamp.signed.version, 1);
  });
});

describe('TUF client: rollback attacks', () => {
  it('timestamp: an older timestamp than the cached one', async () => {
    const env = await setup();
    const old = env.repo.files.get('timestamp.json') as Buffer;
    env.repo.publish('timestamp');
    await update(env);
    env.repo.files.set('timestamp.json', old);
    await rejected(
      env,
      /timestamp\.json for example\.com\/team\/app: version 1 is older than the trusted version 2 \(rollback\)/,
    );
  });

  it('snapshot: an older snapshot behind a fresh timestamp (compromised timestamp key)', async () => {
    const env = await setup();
    const old = env.repo.files.get('snapshot.json') as Buffer;
    env.repo.publish('snapshot', 'timestamp');
    await update(env);
    env.repo.files.set('snapshot.json', old);
    env.repo.version.timestamp++;
    env.repo.publishTimestamp();
    await rejected(env, /snapshot\.json for .*: version 1 is older than the trusted version 2 \(rollback\)/);
  });

  it('targets: an older targets.json behind fresh snapshot and timestamp (compromised server keys)', async () => {
    const env = await setup();
    const old = env.repo.files.get('targets.json') as Buffer;
    env.repo.publish('targets', 'snapshot', 'timestamp');
    await update(env);
    env.repo.files.set('targets.json', old);
    env.repo.resignSnapshotAndTimestamp();
    await rejected(env, /targets\.json for .*: version 1 is older than the trusted version 2 \(rollback\)/);
  });

  it('delegation: an older targets/releases.json behind fresh snapshot and timestamp', async () => {
    const env = await setup();
    const old = env.repo.files.get('targets/releases.json') as Buffer;
    env.repo.publish('targets/releases', 'snapshot', 'timestamp');
    await update(env);
    env.repo.files.set('targets/releases.json', old);
    env.repo.resignSnapshotAndTimestamp();
    await rejected(
      env,
      /targets\/releases\.json for .*: version 1 is older than the trusted version 2 \(rollback\)/,
    );
  });

  it('snapshot listing versions (TUF style): a lower version of a role than the trusted snapshot listed', async () => {
    const env = await setup((r) => {
      r.snapshotVersions = true;
    });
    env.repo.publish('targets', 'snapshot', 'timestamp');
    await update(env);
    env.repo.publishSnapshot(undefined, (s) => {
      (s.meta as Record<string, { version: number }>).targets = { version: 1 };
      s.version = 3;
    });
    env.repo.version.timestamp++;
    env.repo.publishTimestamp();
    await rejected(
      env,
      /snapshot\.json for .*: lists targets version 1, older than the trusted version 2 \(rollback\)/,
    );
  });

  it('root: an old root replayed as the next version', async () => {
    const env = await setup();
    const { repo } = env;
    const v1 = repo.files.get('1.root.json') as Buffer;
    repo.version.root = 2;
    repo.publishRoot();
    repo.resignSnapshotAndTimestamp();
    await update(env);
    repo.files.set('3.root.json', v1);
    await rejected(
      env,
      /3\.root\.json for .*: has version 1, expected 3 \(rollback or replay of an old root\)/,
    );
  });
});

describe('TUF client: freeze attacks', () => {
  const expiredCase = (role: Role, re: RegExp) => async () => {
    const env = await setup();
    env.repo.expiresDays[role] = -1;
    if (role === 'root') {
      env.repo.version.root = 2;
      env.repo.publishRoot();
    }
    env.repo.publish(...(role === 'root' ? [] : [role]), 'snapshot', 'timestamp');
    await rejected(env, re);
  };
  it(
    'expired timestamp',
    expiredCase('timestamp', /timestamp\.json for .*: expired at 2026-05-31T00:00:00\.000Z \(freeze attack/),
  );
  it('expired snapshot', expiredCase('snapshot', /snapshot\.json for .*: expired at .*freeze/));
  it('expired targets', expiredCase('targets', /targets\.json for .*: expired at .*freeze/));
  it(
    'expired delegation',
    expiredCase('targets/releases', /targets\/releases\.json for .*: expired at .*freeze/),
  );
  it('expired root', expiredCase('root', /root\.json v2 for .*: expired at .*freeze/));

  it('everything fresh today is expired when now is past the timestamp expiry', async () => {
    const env = await setup();
    await rejected(env, /timestamp\.json for .*: expired/, { now: new Date(T0.getTime() + 2 * DAY) });
  });
});

describe('TUF client: mix-and-match and consistency', () => {
  it('a targets.json other than the one the snapshot lists', async () => {
    const env = await setup();
    env.repo.publish('snapshot', 'timestamp');
    // a newer, validly signed targets.json the snapshot does not list
    env.repo.version.targets++;
    env.repo.publishTargets();
    await rejected(
      env,
      /targets\.json for .* \(against snapshot\.json\): length is \d+ bytes, the signed metadata says \d+|sha256 hash does not match/,
    );
  });

  it('same length, different hash', async () => {
    const env = await setup();
    const t = env.repo.files.get('targets.json') as Buffer;
    env.repo.publishTargets(undefined, (s) => {
      s.expires = formatExpires(new Date(T0.getTime() + 91 * DAY)); // same length, other bytes
    });
    assert.equal(env.repo.files.get('targets.json')?.length, t.length);
    await rejected(
      env,
      /targets\.json for .* \(against snapshot\.json\): sha256 hash does not match the signed metadata/,
    );
  });

  it('a snapshot other than the one the timestamp lists', async () => {
    const env = await setup();
    env.repo.version.snapshot++;
    env.repo.publishSnapshot();
    await rejected(env, /snapshot\.json for .* \(against timestamp\.json\): (length|sha256)/);
  });

  it('snapshot listing a targets version other than the one served (TUF-style versions)', async () => {
    const env = await setup((r) => {
      r.snapshotVersions = true;
    });
    env.repo.version.targets++;
    env.repo.publishTargets();
    await rejected(
      env,
      /targets\.json for .*: version 2, but snapshot\.json lists version 1 \(mix-and-match\)/,
    );
  });

  it('snapshot listing a root other than the trusted one', async () => {
    const env = await setup();
    env.repo.publishSnapshot(undefined, (s) => {
      (s.meta as Record<string, unknown>).root = fileMeta(Buffer.from('another root'));
    });
    env.repo.publishTimestamp();
    await rejected(env, /snapshot\.json for .*: lists a root that is not the trusted root\.json v1/);
  });

  it('targets missing from the snapshot, or listed but not served', async () => {
    const env = await setup();
    env.repo.publishSnapshot(undefined, (s) => {
      delete (s.meta as Record<string, unknown>).targets;
    });
    env.repo.publishTimestamp();
    await rejected(env, /snapshot\.json for .*: does not list targets/);
    env.repo.publish();
    env.repo.files.delete('targets/releases.json');
    await rejected(env, /targets\/releases\.json for .*: listed in snapshot\.json but not on the server/);
  });
});

describe('TUF client: signatures', () => {
  it('targets signed below its threshold', async () => {
    const env = await setup((r) => {
      r.targetsKeys = KEYS.targets;
      r.targetsThreshold = 2;
    });
    env.repo.version.targets++;
    env.repo.publishTargets([KEYS.targets[0] as Signer]);
    env.repo.resignSnapshotAndTimestamp();
    await rejected(env, /targets\.json for .*: 1 valid signature\(s\), below the threshold of 2/);
  });

  it('timestamp signed by a key not listed for the timestamp role (even one the root lists for another role)', async () => {
    const env = await setup();
    env.repo.version.timestamp++;
    env.repo.publishTimestamp([KEYS.targets[0] as Signer]);
    await rejected(
      env,
      /timestamp\.json for .*: 0 valid signature\(s\), below the threshold of 1 \(signed by key\(s\) not listed for the role/,
    );
    env.repo.publishTimestamp([KEYS.foreign]);
    await rejected(env, /not listed for the role/);
  });

  it('a delegation signed by the targets key instead of its own', async () => {
    const env = await setup();
    env.repo.version['targets/releases']++;
    env.repo.publishReleases([KEYS.targets[0] as Signer]);
    env.repo.publishTargets();
    env.repo.resignSnapshotAndTimestamp();
    await rejected(env, /targets\/releases\.json for .*: 0 valid signature\(s\).*not listed for the role/);
  });

  it('targets.json edited after signing (snapshot re-made to match)', async () => {
    const env = await setup();
    const t = env.repo.files.get('targets.json')?.toString() as string;
    const evil = fileMeta(Buffer.from('evil manifest'));
    env.repo.files.set(
      'targets.json',
      Buffer.from(
        t.replace(
          /"1\.0":\{"hashes":\{[^}]*\},"length":\d+\}/,
          `"1.0":${JSON.stringify({ hashes: { sha256: evil.hashes.sha256 }, length: evil.length })}`,
        ),
      ),
    );
    assert.notEqual(env.repo.files.get('targets.json')?.toString(), t);
    env.repo.resignSnapshotAndTimestamp();
    await rejected(
      env,
      /targets\.json for .*: 0 valid signature\(s\), below the threshold of 1 \(1 invalid signature\(s\)\)/,
    );
  });

  it('signatures over non-canonical bytes do not count', async () => {
    const env = await setup();
    const signed = JSON.parse(env.repo.files.get('timestamp.json')?.toString() as string).signed as Record<
      string,
      unknown
    >;
    signed.version = 2;
    const pretty = JSON.stringify(signed, null, 1);
    const { method, sig } = KEYS.timestamp.sign(Buffer.from(pretty));
    env.repo.files.set(
      'timestamp.json',
      Buffer.from(
        `{"signed":${pretty},"signatures":[{"keyid":"${KEYS.timestamp.keyId}","method":"${method}","sig":"${sig}"}]}`,
      ),
    );
    await rejected(
      env,
      /timestamp\.json for .*: 0 valid signature\(s\), below the threshold of 1 \(1 invalid signature\(s\)\)/,
    );
  });
});

describe('TUF client: root rotation', () => {
  it('a new root signed only by its own new key (not the old threshold)', async () => {
    const env = await setup();
    const { repo } = env;
    repo.version.root = 2;
    repo.rootKeys = [KEYS.root[1] as Signer];
    repo.publishRoot([KEYS.root[1] as Signer]);
    repo.resignSnapshotAndTimestamp();
    await rejected(
      env,
      /2\.root\.json for .*: root rotation not signed by the previous root's threshold of previous root keys: 0 valid signature/,
    );
  });

  it('old root threshold 2: one old signature is not enough', async () => {
    const env = await setup((r) => {
      r.rootKeys = [KEYS.root[0] as Signer, KEYS.root[1] as Signer];
      r.rootThreshold = 2;
    });
    const { repo } = env;
    repo.version.root = 2;
    repo.rootKeys = [KEYS.root[2] as Signer];
    repo.rootThreshold = 1;
    repo.publishRoot([KEYS.root[0] as Signer, KEYS.root[2] as Signer]);
    repo.resignSnapshotAndTimestamp();
    await rejected(env, /previous root's threshold .*1 valid signature\(s\), below the threshold of 2/);
  });

  it('a new root signed by the old keys but not by its own', async () => {
    const env = await setup();
    const { repo } = env;
    repo.version.root = 2;
    repo.rootKeys = [KEYS.root[1] as Signer];
    repo.publishRoot([KEYS.root[0] as Signer]);
    repo.resignSnapshotAndTimestamp();
    await rejected(
      env,
      /2\.root\.json for .* \(its own root keys\): 0 valid signature\(s\), below the threshold of 1/,
    );
  });

  it('TOFU: a different root with no link to the trusted one is refused', async () => {
    const env = await setup();
    const other = new TestRepo();
    other.rootKeys = [KEYS.root[2] as Signer];
    other.version.root = 2;
    other.publishRoot();
    other.publish();
    env.repo.files = other.files;
    await rejected(env, /2\.root\.json for .*: root rotation not signed by the previous root's threshold/);
  });
});

describe('TUF client: delegations', () => {
  it('a delegation signing a target outside its paths: not returned', async () => {
    const { trusted } = await setup((r) => {
      r.releasesRole = { paths: ['release/'] };
      r.releases = {
        'release/1': fileMeta(MANIFEST2),
        evil: fileMeta(Buffer.from('evil')),
        '1.0': fileMeta(Buffer.from('evil')),
      };
    });
    assert.equal(trusted.lookup('release/1')?.role, 'targets/releases');
    assert.equal(trusted.lookup('evil'), undefined);
    assert.equal(trusted.lookup('evil', { roles: ['targets/releases', 'targets'] }), undefined);
    // 1.0 comes from targets, never from the delegation that may not sign it
    assert.equal(
      trusted.lookup('1.0', { roles: ['targets/releases', 'targets'] })?.hashes.sha256,
      fileMeta(MANIFEST).hashes.sha256,
    );
    assert.deepEqual(
      trusted.targets().map((t) => t.name),
      ['1.0', 'release/1'],
    );
  });

  it('path_hash_prefixes', async () => {
    const hex = (n: string) => createHash('sha256').update(n).digest('hex');
    assert.notEqual(hex('hashed').slice(0, 8), hex('other').slice(0, 8));
    const { trusted } = await setup((r) => {
      r.releasesRole = { path_hash_prefixes: [hex('hashed').slice(0, 8)] };
      r.releases = { hashed: fileMeta(MANIFEST2), other: fileMeta(MANIFEST2) };
    });
    assert.equal(trusted.lookup('hashed')?.role, 'targets/releases');
    assert.equal(trusted.lookup('other'), undefined);
  });

  it('nested delegations, and the roles order Docker uses (targets/releases before targets)', async () => {
    const { trusted } = await setup((r) => {
      r.releases = { '1.0': fileMeta(MANIFEST2) };
      r.qa = { 'qa-1': fileMeta(MANIFEST2) };
    });
    assert.equal(trusted.lookup('qa-1')?.role, 'targets/releases/qa');
    assert.equal(trusted.lookup('1.0')?.role, 'targets', 'the TUF walk starts at targets');
    assert.equal(trusted.lookup('1.0', { roles: ['targets/releases', 'targets'] })?.role, 'targets/releases');
    assert.equal(trusted.lookup('qa-1', { roles: ['targets/releases/qa'] })?.role, 'targets/releases/qa');
    assert.equal(trusted.lookup('qa-1', { roles: ['targets'] })?.role, 'targets/releases/qa');
    // each listed role is searched without the subtrees of the other listed roles (Notary)
    assert.equal(
      trusted.lookup('qa-1', { roles: ['targets', 'targets/releases/qa'] })?.role,
      'targets/releases/qa',
    );
    assert.equal(
      trusted.lookup('qa-1', { roles: ['targets', 'targets/releases'] })?.role,
      'targets/releases/qa',
    );
    assert.equal(trusted.lookup('1.0', { roles: ['targets/releases/qa'] }), undefined);
  });

  it('a terminating delegation stops later siblings from being searched', async () => {
    const env = await setup((r) => {
      r.releases = {};
      r.releasesRole = { paths: [''], terminating: true };
    });
    // add a second delegation after releases that has the target
    const { repo } = env;
    const extra = signMetadata(
      {
        _type: 'Targets',
        delegations: { keys: {}, roles: [] },
        expires: repo.expires('targets'),
        targets: { late: fileMeta(MANIFEST2) },
        version: 1,
      },
      [KEYS.qa],
    );
    repo.files.set('targets/late.json', extra);
    const addLate = (terminating: boolean) => {
      repo.version.targets++;
      repo.publishTargets(undefined, (s) => {
        const d = s.delegations as { keys: Record<string, unknown>; roles: unknown[] };
        d.keys[KEYS.qa.keyId] = KEYS.qa.publicKey;
        (d.roles[0] as { terminating: boolean }).terminating = terminating;
        d.roles.push({ name: 'targets/late', keyids: [KEYS.qa.keyId], threshold: 1, paths: [''] });
      });
      repo.version.snapshot++;
      repo.publishSnapshot(undefined, (s) => {
        (s.meta as Record<string, unknown>)['targets/late'] = fileMeta(extra);
      });
      repo.version.timestamp++;
      repo.publishTimestamp();
    };
    addLate(true);
    let r = await update(env);
    assert.ok(r.roles.has('targets/late'));
    assert.equal(r.lookup('late'), undefined, 'releases is terminating and matches everything');
    addLate(false);
    r = await update(env);
    assert.equal(r.lookup('late')?.role, 'targets/late');
  });

  it('a delegation the snapshot does not list is skipped (not yet published, as in Notary)', async () => {
    const env = await setup();
    env.repo.files.delete('targets/releases.json');
    env.repo.publishSnapshot();
    env.repo.publishTimestamp();
    const r = await update(env);
    assert.equal(r.lookup('1.0-docker'), undefined);
    assert.equal(r.lookup('1.0')?.role, 'targets');
  });
});

describe('TUF client: malformed input', () => {
  it('invalid JSON', async () => {
    const env = await setup();
    env.repo.files.set('timestamp.json', Buffer.from('{"signed":{"_type":"Timestamp"'));
    await rejected(
      env,
      /timestamp\.json for .*: invalid JSON: unterminated string|timestamp\.json for .*: invalid JSON/,
    );
  });

  it('oversized timestamp (over 1 MiB) and oversized snapshot (over the timestamp length)', async () => {
    const env = await setup();
    env.repo.publishTimestamp(undefined, (s) => {
      s.padding = 'x'.repeat(1024 * 1024);
    });
    await rejected(env, /timestamp\.json for .*: \d+ bytes is larger than the limit of 1048576 bytes/);
    env.repo.publish();
    const snap = env.repo.files.get('snapshot.json') as Buffer;
    env.repo.files.set('snapshot.json', Buffer.concat([snap, Buffer.alloc(1000, 0x20)]));
    await rejected(
      env,
      /snapshot\.json for .* \(against timestamp\.json\): length is \d+ bytes, the signed metadata says \d+/,
    );
  });

  it('wrong _type', async () => {
    const env = await setup();
    env.repo.files.set('timestamp.json', env.repo.files.get('snapshot.json') as Buffer);
    await rejected(env, /timestamp\.json for .*: _type is "Snapshot", expected "Timestamp"/);
    env.repo.publish();
    env.repo.version.timestamp++;
    env.repo.publishTimestamp(undefined, (s) => {
      s._type = 'timestamp';
    });
    await rejected(env, /_type is "timestamp", expected "Timestamp"/);
  });

  it('duplicate keys', async () => {
    const env = await setup();
    env.repo.version.timestamp++;
    env.repo.publishTimestamp();
    const t = env.repo.files.get('timestamp.json')?.toString() as string;
    env.repo.files.set('timestamp.json', Buffer.from(t.replace('"version":2', '"version":2,"version":9')));
    await rejected(env, /timestamp\.json for .*: invalid JSON: duplicate key "version"/);
  });

  it('a corrupt cache is reported, not silently replaced', async () => {
    const env = await setup();
    env.cache.commit(new Map([['targets', Buffer.from('{"signed":')]]));
    await rejected(env, /the local trust cache is corrupt .*cached targets\.json.*remove it to start over/);
  });
});

describe('TUF client: trust pinning', () => {
  it('TOFU by default; disable_tofu refuses a first root without a pin', async () => {
    const repo = new TestRepo();
    repo.publishRoot();
    repo.publish();
    const cache = TrustCache.forGun(GUN, tmpdir('dd-tuf-'));
    await assert.rejects(
      updateRepository(GUN, repo.remote, cache, { now: T0, pinning: { disableTofu: true } }),
      /trust on first use is disabled and no certificate or CA is pinned/,
    );
    assert.equal(cache.read('root'), undefined);
    await updateRepository(GUN, repo.remote, cache, { now: T0 });
    // once trusted, disable_tofu does not matter any more
    await updateRepository(GUN, repo.remote, cache, { now: T0, pinning: { disableTofu: true } });
  });

  it('pinned certificate ids (TUF id or canonical id, exact GUN or wildcard)', async () => {
    const k = KEYS.root[0] as Signer;
    const cases: Record<string, string[]>[] = [
      { [GUN]: [k.keyId] },
      { [GUN]: [canonicalKeyId(k.publicKey)] },
      { 'example.com/*': [k.keyId] },
    ];
    for (const certs of cases) {
      const env = await setup(undefined, { pinning: { certs, disableTofu: true } });
      assert.equal(env.trusted.root.signed.version, 1);
    }
    await assert.rejects(
      setup(undefined, { pinning: { certs: { [GUN]: [KEYS.foreign.keyId] } } }),
      /no root certificate matches the trust pinning \(pinned certificate ids/,
    );
    // pinning applies to an already trusted root too
    const env = await setup();
    await rejected(env, /no root certificate matches the trust pinning/, {
      pinning: { certs: { [GUN]: [KEYS.foreign.keyId] } },
    });
  });

  it('a pinned CA: the root certificate must chain to it and name the GUN', async () => {
    const nb = new Date(T0.getTime() - DAY);
    const na = new Date(T0.getTime() + 365 * DAY);
    const mkCa = (name: string) => {
      const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return {
        kp,
        pem: createCertificate({
          subject: name,
          publicKey: kp.publicKey,
          signingKey: kp.privateKey,
          notBefore: nb,
          notAfter: na,
          isCA: true,
        }),
      };
    };
    const ca = mkCa('Drydock Test CA');
    const otherCa = mkCa('Other CA');
    const leafFor = (cn: string) => {
      const leaf = generateSigner('ecdsa');
      const cert = createCertificate({
        subject: cn,
        issuer: 'Drydock Test CA',
        publicKey: createPublicKey(createPrivateKey(leaf.privatePem)),
        signingKey: ca.kp.privateKey,
        notBefore: nb,
        notAfter: na,
      });
      return signerFromPrivatePem(leaf.privatePem, { certificate: cert });
    };
    const good = leafFor(GUN);
    const pinning = { ca: { 'example.com/': ca.pem } };
    const env = await setup(
      (r) => {
        r.rootKeys = [good];
      },
      { pinning },
    );
    assert.equal(env.trusted.root.signed.version, 1);
    await assert.rejects(
      setup(
        (r) => {
          r.rootKeys = [good];
        },
        { pinning: { ca: { 'example.com/': otherCa.pem } } },
      ),
      /no root certificate matches the trust pinning \(the CA pinned for "example\.com\/"\)/,
    );
    // self-signed root (TOFU-style) is not accepted under the CA pin
    await assert.rejects(setup(undefined, { pinning }), /no root certificate matches the trust pinning/);
    // a CA-issued certificate for another GUN does not count
    await assert.rejects(
      setup(
        (r) => {
          r.rootKeys = [leafFor('example.com/other')];
        },
        { pinning },
      ),
      /no root key is a valid x509 certificate with CN=example\.com\/team\/app/,
    );
  });

  it('root certificates must name the GUN and be valid at the update time', async () => {
    await assert.rejects(
      setup((r) => {
        r.rootKeys = [x509('example.com/other')];
      }),
      /root\.json for example\.com\/team\/app: no root key is a valid x509 certificate with CN=example\.com\/team\/app/,
    );
    await assert.rejects(
      setup((r) => {
        r.rootKeys = [x509(GUN, new Date(T0.getTime() - 3 * 365 * DAY), 1)];
      }),
      /no root key is a valid x509 certificate/,
    );
    await assert.rejects(
      setup((r) => {
        r.rootKeys = [generateSigner('ecdsa')];
      }),
      /no root key is a valid x509 certificate/,
    );
    // wildcard CN, as Notary allows
    const env = await setup((r) => {
      r.rootKeys = [x509('example.com/*')];
    });
    assert.equal(env.trusted.root.signed.version, 1);
  });
});

describe('TUF client: real Notary metadata', () => {
  const SAMPLE = path.join(ROOT, 'test/fixtures/trust/notary-sample');
  const SGUN = '127.0.0.1:5000/lab/debian-app';
  const NOW = new Date('2026-12-05T00:00:00Z');
  const remote: TufRemote = {
    get: async (p, maxBytes) => {
      const f = path.join(SAMPLE, p);
      if (!existsSync(f)) return undefined;
      const b = readFileSync(f);
      assert.ok(b.length <= maxBytes, `${p} within ${maxBytes}`);
      return b;
    },
  };

  it('updates from the files notary 0.7.0 published and finds both targets', async () => {
    const dir = tmpdir('dd-tuf-');
    const cache = TrustCache.forGun(SGUN, dir);
    const r = await updateRepository(SGUN, remote, cache, { now: NOW });
    assert.equal(r.root.signed.version, 2);
    const e = r.lookup('1.0');
    assert.equal(e?.sha256, '11c859969d14f25ad732e4aa5c6476d2bd1c2fa30c66e16663a9e61157adad78');
    assert.equal(e?.length, 974);
    assert.equal(e?.role, 'targets');
    const d = r.lookup('1.0-docker');
    assert.equal(d?.role, 'targets/releases');
    assert.equal(d?.sha256, 'c58a0d6ba940d3e452656319e3e0cca7c71816904f4d23d9b97a94699d038f92');
    assert.equal(d?.length, 1076);
    assert.ok(e && d);
    checkTarget(e, readFileSync(path.join(SAMPLE, 'manifest-1.0.json')));
    checkTarget(d, readFileSync(path.join(SAMPLE, 'manifest-1.0-docker.json')));
    assert.throws(
      () => checkTarget(e, readFileSync(path.join(SAMPLE, 'manifest-1.0-docker.json'))),
      /length is 1076 bytes, the signed metadata says 974/,
    );
    // the cache holds exactly the served files
    for (const role of ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases']) {
      assert.deepEqual(cache.read(role), readFileSync(path.join(SAMPLE, `${role}.json`)), role);
    }
    const again = await updateRepository(SGUN, remote, cache, { now: NOW });
    assert.deepEqual(again.updated, []);
    // after the timestamp expired (2026-12-18T20:13:35Z): refused, cache unchanged
    const before = tree(dir);
    await assert.rejects(
      updateRepository(SGUN, remote, cache, { now: new Date('2026-12-19T00:00:00Z') }),
      /timestamp\.json for .*: expired at 2026-12-18T20:13:35\.235Z/,
    );
    assert.deepEqual(tree(dir), before);
  });

  it('pins the real root by its certificate id or canonical id, and refuses another GUN', async () => {
    for (const id of [
      'f9a66cc484e8c6a70783cc5af66bda250b449f1639a45429535ee11ba9947fd5',
      '5b392f269f7e312d7e71068c75102ed14050446f3c12cb9238973fea8dc96344',
    ]) {
      const cache = TrustCache.forGun(SGUN, tmpdir('dd-tuf-'));
      const r = await updateRepository(SGUN, remote, cache, {
        now: NOW,
        pinning: { certs: { [SGUN]: [id] }, disableTofu: true },
      });
      assert.equal(r.lookup('1.0')?.length, 974);
    }
    const cache = TrustCache.forGun('127.0.0.1:5000/lab/other', tmpdir('dd-tuf-'));
    await assert.rejects(
      updateRepository('127.0.0.1:5000/lab/other', remote, cache, { now: NOW }),
      /no root key is a valid x509 certificate with CN=127\.0\.0\.1:5000\/lab\/other/,
    );
  });
});
