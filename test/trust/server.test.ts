// The trust server over HTTP with metadata made here (H1's keys/metadata modules): the Notary API
// (roles by name, version and hash, server keys, changefeed, delete), update validation (bad
// signatures, rollback, wrong _type, oversized, root rotation, snapshot consistency, atomicity),
// server-signed timestamps (re-signed when expired), a restart on the same SQLite file,
// PostgreSQL (DRYDOCK_TEST_PG), and the same bad uploads against Debian's real notary-server.

import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  generateSigner,
  keyId,
  type Signer,
  signerFromPrivatePem,
  type TufKey,
} from '../../src/trust/keys.js';
import {
  fileMeta,
  formatExpires,
  parseSignedMetadata,
  type SignedMetadata,
  type SnapshotSigned,
  signMetadata,
  type TimestampSigned,
  verifyThreshold,
} from '../../src/trust/metadata.js';
import { type RunningTrustServer, startTrustServer } from '../../src/trust/server/server.js';
import { tmpdir } from '../helpers/env.js';

const YEAR = 365 * 24 * 3600 * 1000;

// ------------------------------------------------------------------------------------------
// client-side fixture: a Notary-style repository made with H1's modules

interface Res {
  status: number;
  body: Buffer;
  json(): {
    errors?: { code: string; message: string; detail?: { Name?: string; Error?: { Msg?: string } } }[];
  };
}

async function req(url: string, init?: RequestInit): Promise<Res> {
  const r = await fetch(url, init);
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, body, json: () => JSON.parse(body.toString()) };
}

function multipart(files: [string, Buffer][]): { body: Buffer; type: string } {
  const b = `drydocktestboundary${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [name, data] of files) {
    chunks.push(
      Buffer.from(
        `--${b}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      data,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${b}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${b}` };
}

function pub(k: TufKey): TufKey {
  return { keytype: k.keytype, keyval: { private: null, public: k.keyval.public } };
}

function rootCertSigner(gun: string, notBefore?: Date): Signer {
  return signerFromPrivatePem(generateSigner('ecdsa').privatePem, {
    asX509: { commonName: gun, years: 10, notBefore },
  });
}

class Repo {
  rootKeys: Signer[];
  targetsKey = generateSigner('ecdsa');
  /** set when the client holds the snapshot key */
  snapshotKey: Signer | undefined;
  tsKey!: TufKey;
  snapKey!: TufKey;
  rootVersion = 1;
  targetsVersion = 0;
  /** the bytes of the first publish */
  sent = new Map<string, Buffer>();

  constructor(
    readonly base: string,
    readonly gun: string,
    opts: { clientSnapshot?: boolean; rootCn?: string } = {},
  ) {
    this.rootKeys = [rootCertSigner(opts.rootCn ?? gun)];
    if (opts.clientSnapshot) this.snapshotKey = generateSigner('ecdsa');
  }

  url(p: string): string {
    return `${this.base}/v2/${this.gun}/_trust/tuf/${p}`;
  }

  async fetchKeys(): Promise<void> {
    this.tsKey = JSON.parse((await req(this.url('timestamp.key'))).body.toString());
    this.snapKey = this.snapshotKey
      ? this.snapshotKey.publicKey
      : JSON.parse((await req(this.url('snapshot.key'), { method: 'POST' })).body.toString());
  }

  root(opts: { version?: number; signWith?: Signer[]; expires?: Date } = {}): Buffer {
    const keys: Record<string, TufKey> = {};
    const add = (k: TufKey) => {
      const p = pub(k);
      keys[keyId(p)] = p;
      return keyId(p);
    };
    const rootIds = this.rootKeys.map((s) => add(s.publicKey));
    const signed = {
      _type: 'Root',
      consistent_snapshot: false,
      expires: formatExpires(opts.expires ?? new Date(Date.now() + 10 * YEAR)),
      keys,
      roles: {
        root: { keyids: rootIds, threshold: 1 },
        snapshot: { keyids: [add(this.snapKey)], threshold: 1 },
        targets: { keyids: [add(this.targetsKey.publicKey)], threshold: 1 },
        timestamp: { keyids: [add(this.tsKey)], threshold: 1 },
      },
      version: opts.version ?? this.rootVersion,
    };
    return signMetadata(signed, opts.signWith ?? this.rootKeys);
  }

  targets(
    opts: {
      version?: number;
      type?: string;
      targets?: Record<string, Buffer>;
      delegations?: { keys: Record<string, TufKey>; roles: object[] };
      signWith?: Signer[];
      expires?: Date;
    } = {},
  ): Buffer {
    const t: Record<string, object> = {};
    for (const [name, data] of Object.entries(opts.targets ?? {})) t[name] = fileMeta(data);
    return signMetadata(
      {
        _type: opts.type ?? 'Targets',
        delegations: opts.delegations ?? { keys: {}, roles: [] },
        expires: formatExpires(opts.expires ?? new Date(Date.now() + 3 * YEAR)),
        targets: t,
        version: opts.version ?? this.targetsVersion + 1,
      },
      opts.signWith ?? [this.targetsKey],
    );
  }

  snapshot(version: number, roles: Record<string, Buffer>, signWith?: Signer[]): Buffer {
    const meta: Record<string, object> = {};
    for (const [r, b] of Object.entries(roles)) meta[r] = fileMeta(b);
    return signMetadata(
      { _type: 'Snapshot', expires: formatExpires(new Date(Date.now() + 3 * YEAR)), meta, version },
      signWith ?? (this.snapshotKey ? [this.snapshotKey] : []),
    );
  }

  async post(files: [string, Buffer][]): Promise<Res> {
    const m = multipart(files);
    return req(this.url(''), { method: 'POST', body: m.body, headers: { 'Content-Type': m.type } });
  }

  async get(p: string): Promise<Res> {
    return req(this.url(p));
  }

  /** init + first publish as the notary CLI does it (server-managed snapshot unless client-held). */
  async init(): Promise<void> {
    await this.fetchKeys();
    const root = this.root();
    const targets = this.targets();
    const files: [string, Buffer][] = [
      ['root', root],
      ['targets', targets],
    ];
    if (this.snapshotKey) files.push(['snapshot', this.snapshot(1, { root, targets })]);
    const r = await this.post(files);
    assert.equal(r.status, 200, r.body.toString());
    for (const [role, b] of files) this.sent.set(role, b);
    this.targetsVersion = 1;
  }
}

function md<T extends SignedMetadata>(b: Buffer, role: string): T {
  return parseSignedMetadata(b, role, role) as T;
}

function assertError(r: Res, status: number, code: string, name?: string, msg?: RegExp, label = ''): void {
  const body = `${label ? `${label}: ` : ''}${r.body.toString()}`;
  assert.equal(r.status, status, body);
  const e = r.json().errors?.[0];
  assert.equal(e?.code, code, body);
  if (name) assert.equal(e?.detail?.Name, name, body);
  if (msg) assert.match(e?.detail?.Error?.Msg ?? '', msg, body);
}

async function startOn(
  db: string,
  extra: Parameters<typeof startTrustServer>[0] = {},
): Promise<RunningTrustServer> {
  return startTrustServer({ listen: '127.0.0.1:0', db: `sqlite:${db}`, ...extra });
}

// ------------------------------------------------------------------------------------------

describe('trust server (HTTP API, SQLite)', () => {
  const dir = tmpdir('dd-trust-server-');
  const dbFile = path.join(dir, 'trust.db');
  let clock = Date.now();
  let srv: RunningTrustServer;
  let repo: Repo;

  before(async () => {
    srv = await startOn(dbFile, { now: () => new Date(clock) });
    repo = new Repo(srv.url, 'example.com/team/app');
    await repo.init();
  });
  after(async () => {
    await srv?.close();
  });

  it('answers health, /v2/ and unknown metadata as notary-server does', async () => {
    assert.equal((await req(`${srv.url}/_notary_server/health`)).body.toString(), '{}');
    assert.equal((await req(`${srv.url}/v2/`)).body.toString(), '{}');
    const nf = await req(`${srv.url}/v2/no/such/gun/_trust/tuf/root.json`);
    assert.equal(nf.status, 404);
    assert.equal(
      nf.body.toString(),
      '{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist.","detail":{}}]}',
    );
    assertError(await req(`${srv.url}/v2/x/_trust/tuf/foo.json`), 404, 'METADATA_NOT_FOUND');
    assertError(await req(`${srv.url}/v2/x/_trust/tuf/root.key`), 404, 'METADATA_NOT_FOUND');
    assert.equal((await req(`${srv.url}/v2/x/_trust/tuf/`, { method: 'PATCH' })).status, 405);
  });

  it('serves roles by name, version and sha256, signed by the server keys the root lists', async () => {
    const root = await repo.get('root.json');
    assert.deepEqual(root.body, repo.sent.get('root'));
    assert.deepEqual((await repo.get('1.root.json')).body, root.body);
    const rootMd = md<SignedMetadata>(root.body, 'root');
    const ts = md<SignedMetadata<TimestampSigned>>((await repo.get('timestamp.json')).body, 'timestamp');
    verifyThreshold(
      ts,
      { keyids: [keyId(repo.tsKey)], threshold: 1 },
      { [keyId(repo.tsKey)]: repo.tsKey },
      'ts',
    );
    assert.equal(ts.signed.version, 1);
    const snapBytes = (await repo.get('snapshot.json')).body;
    assert.deepEqual(ts.signed.meta.snapshot, fileMeta(snapBytes));
    const hex = createHash('sha256').update(snapBytes).digest('hex');
    assert.deepEqual((await repo.get(`snapshot.${hex}.json`)).body, snapBytes);
    assert.deepEqual((await repo.get(`snapshot.${hex.toUpperCase()}.json`)).body, snapBytes);
    const snap = md<SignedMetadata<SnapshotSigned>>(snapBytes, 'snapshot');
    verifyThreshold(
      snap,
      { keyids: [keyId(repo.snapKey)], threshold: 1 },
      { [keyId(repo.snapKey)]: repo.snapKey },
      's',
    );
    assert.deepEqual(snap.signed.meta.root, fileMeta(root.body));
    assert.deepEqual(snap.signed.meta.targets, fileMeta((await repo.get('targets.json')).body));
    assert.equal(rootMd.signed.version, 1);
    // the key endpoints now answer the keys the root lists; POST makes a new one
    assert.deepEqual(JSON.parse((await repo.get('timestamp.key')).body.toString()), repo.tsKey);
    assert.equal(
      (await repo.get('timestamp.key')).body.toString(),
      `{"keytype":"ecdsa","keyval":{"public":"${repo.tsKey.keyval.public}","private":null}}`,
    );
    const rotated = JSON.parse((await req(repo.url('timestamp.key'), { method: 'POST' })).body.toString());
    assert.notEqual(rotated.keyval.public, repo.tsKey.keyval.public);
    assertError(await repo.get('2.root.json'), 404, 'METADATA_NOT_FOUND');
    assertError(await repo.get(`targets.${'0'.repeat(64)}.json`), 404, 'METADATA_NOT_FOUND');
  });

  it('publishes a new targets version: the server signs snapshot and timestamp, the changefeed records it', async () => {
    const t2 = repo.targets({ version: 2, targets: { '1.0': Buffer.from('manifest one') } });
    assert.equal((await repo.post([['targets', t2]])).status, 200);
    repo.targetsVersion = 2;
    assert.deepEqual((await repo.get('targets.json')).body, t2);
    assert.deepEqual((await repo.get('1.targets.json')).body, repo.sent.get('targets'));
    assert.deepEqual((await repo.get('2.targets.json')).body, t2);
    const tsBytes = (await repo.get('timestamp.json')).body;
    const ts = md<SignedMetadata<TimestampSigned>>(tsBytes, 'timestamp');
    assert.equal(ts.signed.version, 2);
    const snap = md<SignedMetadata<SnapshotSigned>>((await repo.get('snapshot.json')).body, 'snapshot');
    assert.equal(snap.signed.version, 2);
    assert.deepEqual(snap.signed.meta.targets, fileMeta(t2));
    const feed = JSON.parse(
      (await req(`${srv.url}/v2/${repo.gun}/_trust/changefeed?change_id=0&records=10`)).body.toString(),
    );
    assert.equal(feed.count, 2);
    assert.deepEqual(
      feed.records.map((r: { Version: number; Category: string }) => [r.Version, r.Category]),
      [
        [1, 'update'],
        [2, 'update'],
      ],
    );
    assert.equal(feed.records[1].SHA256, createHash('sha256').update(tsBytes).digest('hex'));
    assert.equal(feed.records[1].GUN, repo.gun);
    assert.equal(typeof feed.records[1].ID, 'string');
  });

  it('rejects bad uploads with Notary error codes and keeps the stored metadata', async () => {
    const good = repo.targets({ version: 3 });
    const otherKey = generateSigner('ecdsa');
    const tampered = JSON.parse(good.toString());
    tampered.signatures[0].sig = Buffer.from(tampered.signatures[0].sig, 'base64')
      .fill(7, 10, 20)
      .toString('base64');
    const delegated = generateSigner('ecdsa');
    const cases: [string, [string, Buffer][], number, string, string?, RegExp?][] = [
      [
        'bad signature',
        [['targets', Buffer.from(JSON.stringify(tampered))]],
        400,
        'INVALID_UPDATE',
        'ErrBadTargets',
      ],
      [
        'signed by an unlisted key',
        [['targets', repo.targets({ version: 3, signWith: [otherKey] })]],
        400,
        'INVALID_UPDATE',
        'ErrBadTargets',
        /not listed/,
      ],
      ['rollback', [['targets', repo.targets({ version: 1 })]], 400, 'VERSION'],
      ['replay of the current version', [['targets', repo.targets({ version: 2 })]], 400, 'VERSION'],
      [
        'wrong _type',
        [['targets', repo.targets({ version: 3, type: 'Root' })]],
        400,
        'INVALID_UPDATE',
        'ErrBadTargets',
        /_type/,
      ],
      [
        'oversized',
        [['targets', Buffer.from(`{"signed":{"pad":"${'x'.repeat(4 * 1024 * 1024)}"},"signatures":[]}`)]],
        400,
        'INVALID_UPDATE',
        'ErrValidation',
        /larger than/,
      ],
      [
        'expired',
        [['targets', repo.targets({ version: 3, expires: new Date(clock - 1000) })]],
        400,
        'INVALID_UPDATE',
        'ErrBadTargets',
        /expired/,
      ],
      ['malformed JSON', [['targets', Buffer.from('{"signed":')]], 400, 'MALFORMED_JSON'],
      [
        'duplicate keys',
        [['targets', Buffer.from('{"signed":{"version":3,"version":4},"signatures":[]}')]],
        400,
        'MALFORMED_JSON',
      ],
      ['invalid role', [['foo', good]], 400, 'INVALID_ROLE'],
      ['path in role', [['targets/../root', good]], 400, 'INVALID_ROLE'],
      ['no filename', [['', good]], 400, 'NO_FILENAME'],
      [
        'undelegated role',
        [['targets/releases', repo.targets({ version: 1, signWith: [delegated] })]],
        400,
        'INVALID_UPDATE',
        'ErrBadTargets',
        /not a delegation/,
      ],
      [
        'client snapshot for a server-managed snapshot',
        [
          ['targets', good],
          ['snapshot', repo.snapshot(3, { root: repo.root(), targets: good }, [otherKey])],
        ],
        400,
        'INVALID_UPDATE',
        'ErrBadSnapshot',
      ],
      [
        'root version jump',
        [['root', repo.root({ version: 3 })]],
        400,
        'INVALID_UPDATE',
        'ErrBadRoot',
        /must increment/,
      ],
      [
        'atomic: good targets with a bad delegation',
        [
          [
            'targets',
            repo.targets({
              version: 3,
              delegations: {
                keys: { [delegated.keyId]: delegated.publicKey },
                roles: [{ name: 'targets/releases', keyids: [delegated.keyId], threshold: 1, paths: [''] }],
              },
            }),
          ],
          ['targets/releases', repo.targets({ version: 1, signWith: [otherKey] })],
        ],
        400,
        'INVALID_UPDATE',
        'ErrBadTargets',
      ],
    ];
    const before = (await repo.get('timestamp.json')).body;
    for (const [what, files, status, code, name, msg] of cases) {
      assertError(await repo.post(files), status, code, name, msg, what);
    }
    const huge = multipart([['targets', Buffer.alloc(33 * 1024 * 1024, 0x20)]]);
    assertError(
      await req(repo.url(''), { method: 'POST', body: huge.body, headers: { 'Content-Type': huge.type } }),
      400,
      'MALFORMED_UPLOAD',
    );
    const notMultipart = await req(repo.url(''), {
      method: 'POST',
      body: good,
      headers: { 'Content-Type': 'application/json' },
    });
    assertError(notMultipart, 400, 'MALFORMED_UPLOAD');
    assert.deepEqual(
      (await repo.get('timestamp.json')).body,
      before,
      'a rejected update changed the timestamp',
    );
    assert.equal(md<SignedMetadata>((await repo.get('targets.json')).body, 'targets').signed.version, 2);
    assertError(await repo.get('targets/releases.json'), 404, 'METADATA_NOT_FOUND');
  });

  it('publishes a delegation and its targets in one atomic update', async () => {
    const rel = generateSigner('ecdsa');
    const t3 = repo.targets({
      version: 3,
      delegations: {
        keys: { [rel.keyId]: rel.publicKey },
        roles: [{ name: 'targets/releases', keyids: [rel.keyId], threshold: 1, paths: [''] }],
      },
    });
    const r1 = repo.targets({ version: 1, signWith: [rel], targets: { '2.0': Buffer.from('two') } });
    assert.equal(
      (
        await repo.post([
          ['targets', t3],
          ['targets/releases', r1],
        ])
      ).status,
      200,
    );
    assert.deepEqual((await repo.get('targets/releases.json')).body, r1);
    const snap = md<SignedMetadata<SnapshotSigned>>((await repo.get('snapshot.json')).body, 'snapshot');
    assert.deepEqual(snap.signed.meta['targets/releases'], fileMeta(r1));
    // a later update of the delegation alone is checked against the stored parent
    const r2 = repo.targets({ version: 2, signWith: [rel] });
    assert.equal((await repo.post([['targets/releases', r2]])).status, 200);
    assertError(
      await repo.post([['targets/releases', repo.targets({ version: 3, signWith: [repo.targetsKey] })]]),
      400,
      'INVALID_UPDATE',
      'ErrBadTargets',
    );
    repo.targetsVersion = 3;
  });

  it('rotates the root only with a threshold of the current root keys', async () => {
    const oldKeys = repo.rootKeys;
    const newKey = rootCertSigner(repo.gun);
    repo.rootKeys = [newKey];
    assertError(
      await repo.post([['root', repo.root({ version: 2 })]]),
      400,
      'INVALID_UPDATE',
      'ErrBadRoot',
      /current root keys/,
    );
    assertError(
      await repo.post([['root', repo.root({ version: 2, signWith: oldKeys })]]),
      400,
      'INVALID_UPDATE',
      'ErrBadRoot',
      /below the threshold/,
    );
    const r2 = repo.root({ version: 2, signWith: [oldKeys[0] as Signer, newKey] });
    assert.equal((await repo.post([['root', r2]])).status, 200);
    assert.deepEqual((await repo.get('2.root.json')).body, r2);
    assert.deepEqual((await repo.get('root.json')).body, r2);
    // a root whose certificate names another GUN does not count
    const other = new Repo(srv.url, 'example.com/team/other', { rootCn: 'example.com/team/app' });
    await other.fetchKeys();
    assertError(
      await other.post([
        ['root', other.root()],
        ['targets', other.targets()],
      ]),
      400,
      'INVALID_UPDATE',
      'ErrBadRoot',
      /no valid root certificate/,
    );
    assertError(await other.post([['targets', other.targets()]]), 400, 'INVALID_UPDATE', 'ErrValidation');
    // nor does an expired certificate
    other.rootKeys = [rootCertSigner(other.gun, new Date(Date.now() - 11 * YEAR))];
    assertError(
      await other.post([
        ['root', other.root()],
        ['targets', other.targets()],
      ]),
      400,
      'INVALID_UPDATE',
      'ErrBadRoot',
      /no valid root certificate/,
    );
  });

  it('checks a client-signed snapshot against the update and needs one when the server has no snapshot key', async () => {
    const c = new Repo(srv.url, 'example.com/team/client-snap', { clientSnapshot: true });
    await c.fetchKeys();
    const root = c.root();
    const t1 = c.targets();
    assertError(
      await c.post([
        ['root', root],
        ['targets', t1],
      ]),
      400,
      'INVALID_UPDATE',
      'ErrBadHierarchy',
    );
    assertError(
      await c.post([
        ['root', root],
        ['targets', t1],
        [
          'snapshot',
          c.snapshot(1, { root, targets: c.targets({ version: 1, targets: { x: Buffer.from('x') } }) }),
        ],
      ]),
      400,
      'INVALID_UPDATE',
      'ErrBadSnapshot',
      /hash/,
    );
    const s1 = c.snapshot(1, { root, targets: t1 });
    assert.equal(
      (
        await c.post([
          ['root', root],
          ['targets', t1],
          ['snapshot', s1],
        ])
      ).status,
      200,
    );
    assert.deepEqual((await c.get('snapshot.json')).body, s1);
    const ts = md<SignedMetadata<TimestampSigned>>((await c.get('timestamp.json')).body, 'timestamp');
    assert.deepEqual(ts.signed.meta.snapshot, fileMeta(s1));
  });

  it('re-signs an expired timestamp when it is fetched', async () => {
    const t0 = md<SignedMetadata<TimestampSigned>>((await repo.get('timestamp.json')).body, 'timestamp');
    clock += 15 * 24 * 3600 * 1000;
    const tsBytes = (await repo.get('timestamp.json')).body;
    const t1 = md<SignedMetadata<TimestampSigned>>(tsBytes, 'timestamp');
    assert.equal(t1.signed.version, t0.signed.version + 1);
    assert.ok(t1.expiresMs > clock, `expires ${t1.signed.expires}`);
    assert.deepEqual(t1.signed.meta.snapshot, t0.signed.meta.snapshot);
    assert.deepEqual((await repo.get('timestamp.json')).body, tsBytes, 'a fresh timestamp is not re-signed');
  });

  it('answers the changefeed like notary-server (parameters, order, GUN filter)', async () => {
    const all = JSON.parse((await req(`${srv.url}/v2/_trust/changefeed?records=0`)).body.toString());
    assert.ok(all.count >= 6, `${all.count} changefeed records`);
    const ids = all.records.map((r: { ID: string }) => Number(r.ID));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    const last2 = JSON.parse((await req(`${srv.url}/v2/_trust/changefeed?records=-2`)).body.toString());
    assert.deepEqual(last2.records, all.records.slice(-2));
    const page = JSON.parse(
      (await req(`${srv.url}/v2/_trust/changefeed?change_id=${ids[0]}&records=2`)).body.toString(),
    );
    assert.deepEqual(page.records, all.records.slice(1, 3));
    const other = JSON.parse(
      (await req(`${srv.url}/v2/example.com/team/client-snap/_trust/changefeed?records=10`)).body.toString(),
    );
    assert.equal(other.count, 1);
    assertError(await req(`${srv.url}/v2/_trust/changefeed`), 400, 'INVALID_PARAMETERS');
    assertError(
      await req(`${srv.url}/v2/_trust/changefeed?records=1&change_id=x`),
      400,
      'INVALID_PARAMETERS',
    );
  });

  it('DELETE removes a repository and records it in the changefeed', async () => {
    const gun = 'example.com/team/client-snap';
    const d = await req(`${srv.url}/v2/${gun}/_trust/tuf/`, { method: 'DELETE' });
    assert.equal(d.status, 200);
    assertError(await req(`${srv.url}/v2/${gun}/_trust/tuf/root.json`), 404, 'METADATA_NOT_FOUND');
    const feed = JSON.parse((await req(`${srv.url}/v2/${gun}/_trust/changefeed?records=-1`)).body.toString());
    assert.deepEqual(
      { ...feed.records[0], ID: undefined, CreatedAt: undefined },
      { ID: undefined, CreatedAt: undefined, GUN: gun, Version: 0, SHA256: '', Category: 'deletion' },
    );
  });

  it('keeps everything, server keys included, across a restart on the same SQLite file', async () => {
    const rootBefore = (await repo.get('root.json')).body;
    const tsBefore = (await repo.get('timestamp.json')).body;
    await srv.close();
    srv = await startOn(dbFile, { now: () => new Date(clock) });
    repo = Object.assign(Object.create(Repo.prototype), repo, { base: srv.url }) as Repo;
    assert.deepEqual((await repo.get('root.json')).body, rootBefore);
    assert.deepEqual((await repo.get('timestamp.json')).body, tsBefore);
    const t4 = repo.targets({ version: 4, targets: { '3.0': Buffer.from('three') } });
    assert.equal((await repo.post([['targets', t4]])).status, 200);
    const ts = md<SignedMetadata<TimestampSigned>>((await repo.get('timestamp.json')).body, 'timestamp');
    verifyThreshold(
      ts,
      { keyids: [keyId(repo.tsKey)], threshold: 1 },
      { [keyId(repo.tsKey)]: repo.tsKey },
      'ts',
    );
    // versions may skip, but never go back, even to one that was never stored
    assert.equal((await repo.post([['targets', repo.targets({ version: 6 })]])).status, 200);
    assertError(await repo.post([['targets', repo.targets({ version: 5 })]]), 400, 'VERSION');
  });
});

describe('trust server key storage', () => {
  it('encrypts the server keys when given a passphrase', async () => {
    const dir = tmpdir('dd-trust-server-keys-');
    const db = path.join(dir, 'k.db');
    let srv = await startOn(db, { passphrase: 'correct horse' });
    const repo = new Repo(srv.url, 'example.com/enc/app');
    await repo.init();
    await srv.close();
    const Sqlite = createRequire(import.meta.url)('better-sqlite3');
    const conn = new Sqlite(db, { readonly: true });
    const rows = conn.prepare('SELECT role, private FROM keys').all() as { role: string; private: string }[];
    conn.close();
    assert.ok(rows.length >= 2, `${rows.length} stored keys`);
    for (const r of rows) assert.match(r.private, /BEGIN ENCRYPTED PRIVATE KEY/);
    srv = await startOn(db, { passphrase: 'wrong' });
    try {
      const r = await new Repo(srv.url, repo.gun).post([['targets', repo.targets({ version: 2 })]]);
      assertError(r, 500, 'UNKNOWN');
      assert.match(r.body.toString(), /DRYDOCK_TRUST_SERVER_PASSPHRASE/);
    } finally {
      await srv.close();
    }
  });

  it('refuses a bad --listen, half a TLS pair and a non-database file', async () => {
    await assert.rejects(startTrustServer({ listen: 'nonsense', db: 'sqlite::memory:' }), /--listen/);
    await assert.rejects(startTrustServer({ listen: '127.0.0.1:0', tlsCert: '/x' }), /go together/);
    const f = path.join(tmpdir('dd-trust-server-bad-'), 'not.db');
    writeFileSync(f, 'this is not sqlite '.repeat(100));
    await assert.rejects(
      startTrustServer({ listen: '127.0.0.1:0', db: `sqlite:${f}` }),
      /not a drydock trust server database|cannot open/,
    );
  });
});

describe('runTrustServer', () => {
  it('prints the URL, serves, and stops cleanly on SIGTERM', async () => {
    const db = path.join(tmpdir('dd-trust-server-run-'), 'run.db');
    const code = `import('${path.resolve('src/trust/server/server.ts')}').then((m) => m.runTrustServer({ listen: '127.0.0.1:0', db: 'sqlite:${db}' }))`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.split('\n')[0] as string);
        });
        child.on('exit', () => reject(new Error(`exited early: ${err}`)));
      });
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await req(`${url}/_notary_server/health`)).body.toString(), '{}');
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(err, /listening on/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('trust server on PostgreSQL', () => {
  const pg = process.env.DRYDOCK_TEST_PG;
  it('stores, validates and survives a restart', {
    skip: pg ? false : 'needs DRYDOCK_TEST_PG (scripts/postgres.sh start)',
  }, async () => {
    let srv = await startTrustServer({ listen: '127.0.0.1:0', db: pg });
    const repo = new Repo(srv.url, `example.com/pg/app-${process.pid}-${Date.now()}`);
    try {
      await repo.init();
      const t2 = repo.targets({ version: 2, targets: { a: Buffer.from('a') } });
      assert.equal((await repo.post([['targets', t2]])).status, 200);
      assertError(await repo.post([['targets', repo.targets({ version: 2 })]]), 400, 'VERSION');
      await srv.close();
      srv = await startTrustServer({ listen: '127.0.0.1:0', db: pg });
      const again = Object.assign(Object.create(Repo.prototype), repo, { base: srv.url }) as Repo;
      assert.deepEqual((await again.get('targets.json')).body, t2);
      assert.equal((await again.post([['targets', again.targets({ version: 3 })]])).status, 200);
      const feed = JSON.parse(
        (await req(`${srv.url}/v2/${repo.gun}/_trust/changefeed?records=10`)).body.toString(),
      );
      assert.equal(feed.count, 3);
      assert.equal((await req(`${srv.url}/v2/${repo.gun}/_trust/tuf/`, { method: 'DELETE' })).status, 200);
    } finally {
      await srv.close();
    }
  });
});

// ------------------------------------------------------------------------------------------
// the same bad uploads against Debian's notary-server (trust service "local", memory storage)

function haveNotaryServer(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v notary-server'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('differential check against the real notary-server', () => {
  const skip = haveNotaryServer() ? false : 'needs notary-server (apt-get install notary)';
  let child: ChildProcess | undefined;
  let realUrl = '';
  let ours: RunningTrustServer | undefined;

  before(async () => {
    if (skip) return;
    const dir = tmpdir('dd-notary-server-');
    const port = await freePort();
    const cfg = path.join(dir, 'server.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        server: { http_addr: `127.0.0.1:${port}` },
        trust_service: { type: 'local' },
        logging: { level: 'error' },
        storage: { backend: 'memory' },
      }),
    );
    child = spawn('notary-server', ['-config', cfg], { stdio: 'ignore' });
    realUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${realUrl}/_notary_server/health`)).ok) break;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    ours = await startTrustServer({ listen: '127.0.0.1:0', db: 'sqlite::memory:' });
  });
  after(async () => {
    child?.kill();
    await ours?.close();
  });

  it('gives the same status, code and validation error kind for each bad upload', { skip }, async () => {
    const outcomes: Record<string, string[]> = {};
    for (const base of [realUrl, ours?.url as string]) {
      const repo = new Repo(base, 'example.com/diff/app');
      await repo.init();
      const t2 = repo.targets({ version: 2 });
      assert.equal((await repo.post([['targets', t2]])).status, 200);
      const bad = JSON.parse(repo.targets({ version: 3 }).toString());
      bad.signatures[0].sig = generateSigner('ecdsa').sign(Buffer.from('other')).sig;
      const newRoot = rootCertSigner(repo.gun);
      const oldRoots = repo.rootKeys;
      const attempts: [string, [string, Buffer][]][] = [
        ['bad signature', [['targets', Buffer.from(JSON.stringify(bad))]]],
        ['rollback', [['targets', repo.targets({ version: 1 })]]],
        ['wrong _type', [['targets', repo.targets({ version: 3, type: 'Snapshot' })]]],
        ['unlisted key', [['targets', repo.targets({ version: 3, signWith: [generateSigner('ecdsa')] })]]],
        ['malformed JSON', [['targets', Buffer.from('{"signed":[')]]],
        ['invalid role', [['nope', t2]]],
        ['undelegated role', [['targets/releases', repo.targets({ version: 1 })]]],
        ['root version jump', [['root', repo.root({ version: 5 })]]],
      ];
      repo.rootKeys = [newRoot];
      attempts.push(['root rotation without the old key', [['root', repo.root({ version: 2 })]]]);
      attempts.push([
        'root rotation without the new key',
        [['root', repo.root({ version: 2, signWith: oldRoots })]],
      ]);
      repo.rootKeys = oldRoots;
      attempts.push(
        ['replay', [['targets', repo.targets({ version: 2 })]]],
        ['expired', [['targets', repo.targets({ version: 3, expires: new Date(Date.now() - 60_000) })]]],
      );
      const c = new Repo(base, 'example.com/diff/client-snap', { clientSnapshot: true });
      await c.fetchKeys();
      const [cr, ct] = [c.root(), c.targets()];
      attempts.push(
        [
          'no snapshot, no server snapshot key',
          [
            ['root', cr],
            ['targets', ct],
          ],
        ],
        [
          'snapshot with a wrong targets hash',
          [
            ['root', cr],
            ['targets', ct],
            ['snapshot', c.snapshot(1, { root: cr, targets: c.targets({ version: 2 }) })],
          ],
        ],
      );
      for (const [what, files] of attempts) {
        const r = await (what.includes('snapshot') ? c : repo).post(files);
        const e = r.json().errors?.[0];
        outcomes[what] = [
          ...(outcomes[what] ?? []),
          `${r.status} ${e?.code} ${e?.detail?.Name ?? ''}`.trim(),
        ];
      }
    }
    for (const [what, [real, mine]] of Object.entries(outcomes)) assert.equal(mine, real, what);
  });
});
