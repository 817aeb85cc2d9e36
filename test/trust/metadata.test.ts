import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { canonicalJson } from '../../src/trust/cjson.js';
import { generateSigner, type Signer } from '../../src/trust/keys.js';
import {
  checkLengthAndHashes,
  expectedType,
  fileMeta,
  formatExpires,
  isDelegatedRoleName,
  isExpired,
  parseRfc3339,
  parseSignedMetadata,
  type RootSigned,
  type SnapshotSigned,
  signMetadata,
  type TargetsSigned,
  type TimestampSigned,
  verifyThreshold,
} from '../../src/trust/metadata.js';
import { ROOT } from '../helpers/env.js';

const SAMPLE = path.join(ROOT, 'test/fixtures/trust/notary-sample');
const read = (f: string) => readFileSync(path.join(SAMPLE, f));

function userError(re: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.match(err.message, re);
    assert.ok(!err.message.includes('\n'));
    return true;
  };
}

const K = { a: generateSigner('ecdsa'), b: generateSigner('ed25519'), c: generateSigner('ecdsa') };

function targetsSigned(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _type: 'Targets',
    expires: '2030-01-01T00:00:00Z',
    version: 3,
    targets: { '1.0': fileMeta(Buffer.from('manifest')) },
    delegations: { keys: {}, roles: [] },
    ...extra,
  };
}

function parseTargets(signed: object, signers: Signer[] = [K.a], role = 'targets') {
  return parseSignedMetadata<TargetsSigned>(signMetadata(signed, signers), role, `${role}.json`);
}

describe('parseSignedMetadata on real Notary metadata', () => {
  it('parses every role with its _type, version, expiry and canonical bytes', () => {
    const root = parseSignedMetadata<RootSigned>(read('root.json'), 'root', 'root.json');
    assert.equal(root.signed.version, 2);
    assert.deepEqual(Object.keys(root.signed.roles).sort(), ['root', 'snapshot', 'targets', 'timestamp']);
    const targets = parseSignedMetadata<TargetsSigned>(read('targets.json'), 'targets', 'targets.json');
    assert.equal(targets.signed.targets['1.0']?.length, 974);
    assert.equal(targets.signed.delegations?.roles[0]?.name, 'targets/releases');
    const rel = parseSignedMetadata<TargetsSigned>(
      read('targets/releases.json'),
      'targets/releases',
      'releases',
    );
    assert.equal(rel.signed._type, 'Targets');
    const snap = parseSignedMetadata<SnapshotSigned>(read('snapshot.json'), 'snapshot', 'snapshot.json');
    assert.deepEqual(Object.keys(snap.signed.meta).sort(), ['root', 'targets', 'targets/releases']);
    const ts = parseSignedMetadata<TimestampSigned>(read('timestamp.json'), 'timestamp', 'timestamp.json');
    assert.equal(ts.signed.meta.snapshot.length, 884);
    // nanosecond expiry: 2026-12-18T20:13:35.235613834Z
    assert.equal(new Date(ts.expiresMs).toISOString(), '2026-12-18T20:13:35.235Z');
    assert.ok(Math.abs(ts.expiresFrac - 0.613834) < 1e-6);
    const raw = read('timestamp.json').toString();
    assert.equal(ts.canonical.toString(), raw.slice(10, raw.indexOf(',"signatures"')));
  });

  it('verifies every role with the keys its parent gives, and snapshot/timestamp hashes match the bytes', () => {
    const root = parseSignedMetadata<RootSigned>(read('root.json'), 'root', 'root.json');
    for (const r of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
      const md = r === 'root' ? root : parseSignedMetadata(read(`${r}.json`), r, r);
      assert.equal(verifyThreshold(md, root.signed.roles[r], root.signed.keys, r).size, 1);
    }
    const targets = parseSignedMetadata<TargetsSigned>(read('targets.json'), 'targets', 'targets.json');
    const d = targets.signed.delegations;
    assert.ok(d?.roles[0]);
    const rel = parseSignedMetadata(read('targets/releases.json'), 'targets/releases', 'rel');
    assert.equal(verifyThreshold(rel, d.roles[0], d.keys, 'rel').size, 1);
    // releases is not signed by the targets key
    assert.throws(
      () => verifyThreshold(rel, root.signed.roles.targets, root.signed.keys, 'rel'),
      userError(
        /rel: 0 valid signature\(s\), below the threshold of 1 \(signed by key\(s\) not listed for the role: aa9c446730c5…\)/,
      ),
    );
    const snap = parseSignedMetadata<SnapshotSigned>(read('snapshot.json'), 'snapshot', 'snapshot.json');
    const ts = parseSignedMetadata<TimestampSigned>(read('timestamp.json'), 'timestamp', 'timestamp.json');
    checkLengthAndHashes(read('snapshot.json'), ts.signed.meta.snapshot, 'snapshot');
    for (const [role, file] of [
      ['root', 'root.json'],
      ['targets', 'targets.json'],
      ['targets/releases', 'targets/releases.json'],
    ] as const) {
      checkLengthAndHashes(read(file), snap.signed.meta[role] ?? {}, role);
    }
    assert.throws(
      () => checkLengthAndHashes(read('targets.json'), snap.signed.meta.root ?? {}, 'targets as root'),
      userError(/targets as root: length is 808 bytes, the signed metadata says 2412/),
    );
  });

  it('rejects a wrong _type', () => {
    assert.throws(
      () => parseSignedMetadata(read('snapshot.json'), 'timestamp', 'timestamp.json'),
      userError(/^timestamp\.json: _type is "Snapshot", expected "Timestamp" for role timestamp$/),
    );
    // targets.json served as a delegation: its own delegations are not children of that role
    assert.throws(
      () => parseSignedMetadata(read('targets.json'), 'targets/releases', 'x'),
      userError(/"targets\/releases" is not a direct child of targets\/releases/),
    );
    assert.throws(
      () => parseSignedMetadata(read('root.json'), 'targets/releases', 'rel.json'),
      userError(/_type is "Root", expected "Targets"/),
    );
    assert.equal(expectedType('targets/a/b'), 'Targets');
  });
});

describe('parseSignedMetadata validation', () => {
  const bad = (signed: object, re: RegExp, role = 'targets') =>
    assert.throws(() => parseSignedMetadata(signMetadata(signed, [K.a]), role, 'm.json'), userError(re));

  it('checks the envelope and the common fields', () => {
    assert.throws(
      () => parseSignedMetadata(Buffer.from('[]'), 'targets', 'm.json'),
      userError(/must be a JSON object/),
    );
    assert.throws(
      () => parseSignedMetadata(Buffer.from('{"signed":{}}'), 'targets', 'm.json'),
      userError(/signatures must be an array/),
    );
    assert.throws(
      () =>
        parseSignedMetadata(
          Buffer.from('{"signed":{"_type":"Targets"},"signatures":[{"keyid":1}]}'),
          'targets',
          'm.json',
        ),
      userError(/signatures\[0\]\.keyid must be a string/),
    );
    bad(targetsSigned({ version: 0 }), /version must be an integer >= 1/);
    bad(targetsSigned({ version: '3' }), /version must be an integer/);
    bad(targetsSigned({ expires: 'tomorrow' }), /expires "tomorrow" is not an RFC 3339 time/);
    bad(targetsSigned({ expires: '2030-02-30T00:00:00Z' }), /not an RFC 3339 time/);
    bad(
      targetsSigned({ targets: { x: { length: -1, hashes: {} } } }),
      /targets\["x"\]\.length must be an integer >= 0/,
    );
    bad(
      targetsSigned({ targets: { x: { length: 1, hashes: { md5: 'AAAA' } } } }),
      /no sha256 or sha512 hash/,
    );
    bad(
      targetsSigned({ targets: { x: { length: 1, hashes: { sha256: 'AAAA' } } } }),
      /sha256 is 3 bytes, expected 32/,
    );
    bad(targetsSigned({ targets: { x: { length: 1, hashes: { sha256: '!!' } } } }), /not valid base64/);
    assert.throws(
      () =>
        parseSignedMetadata(
          Buffer.from(`{"signed":${JSON.stringify(targetsSigned({ v: 1.5 }))},"signatures":[]}`),
          'targets',
          'm.json',
        ),
      userError(/^m\.json: canonical JSON: cannot encode the number 1\.5/),
    );
  });

  it('checks root keys and roles', () => {
    const root = (over: Partial<Record<string, unknown>> = {}, roles: Record<string, unknown> = {}) => ({
      _type: 'Root',
      consistent_snapshot: false,
      expires: '2030-01-01T00:00:00Z',
      version: 1,
      keys: { [K.a.keyId]: K.a.publicKey, [K.b.keyId]: K.b.publicKey },
      roles: {
        root: { keyids: [K.a.keyId], threshold: 1 },
        targets: { keyids: [K.a.keyId], threshold: 1 },
        snapshot: { keyids: [K.b.keyId], threshold: 1 },
        timestamp: { keyids: [K.b.keyId], threshold: 1 },
        ...roles,
      },
      ...over,
    });
    assert.doesNotThrow(() => parseSignedMetadata(signMetadata(root(), [K.a]), 'root', 'root.json'));
    bad(root({}, { timestamp: undefined }), /roles has no "timestamp" role/, 'root');
    bad(
      root({}, { targets: { keyids: [K.a.keyId], threshold: 2 } }),
      /roles\.targets\.threshold 2 is more than its 1 key/,
      'root',
    );
    bad(
      root({}, { targets: { keyids: [K.a.keyId], threshold: 0 } }),
      /threshold must be an integer >= 1/,
      'root',
    );
    bad(
      root({}, { targets: { keyids: [K.c.keyId], threshold: 1 } }),
      /lists key .* that is not in the keys/,
      'root',
    );
    bad(
      root({}, { targets: { keyids: [K.a.keyId, K.a.keyId], threshold: 1 } }),
      /keyids has duplicates/,
      'root',
    );
    bad(root({ keys: { [K.c.keyId]: K.a.publicKey } }), /does not match its key/, 'root');
    bad(
      root({
        keys: {
          [K.a.keyId]: {
            keytype: 'ecdsa',
            keyval: { public: K.a.publicKey.keyval.public, private: 'c2VjcmV0' },
          },
        },
      }),
      /carries private key material/,
      'root',
    );
    bad(
      root({ keys: { [K.a.keyId]: { keytype: 'dsa', keyval: { public: 'AA==', private: null } } } }),
      /unsupported keytype "dsa"/,
      'root',
    );
  });

  it('checks delegations: names under the delegating role, paths xor path_hash_prefixes', () => {
    const withRole = (r: Record<string, unknown>, role = 'targets') =>
      parseTargets(
        targetsSigned({
          delegations: {
            keys: { [K.b.keyId]: K.b.publicKey },
            roles: [{ keyids: [K.b.keyId], threshold: 1, ...r }],
          },
        }),
        [K.a],
        role,
      );
    assert.doesNotThrow(() => withRole({ name: 'targets/releases', paths: [''] }));
    assert.doesNotThrow(() => withRole({ name: 'targets/qa/sub', path_hash_prefixes: ['ab'] }, 'targets/qa'));
    assert.throws(
      () => withRole({ name: 'targets/a/b', paths: [] }),
      userError(/"targets\/a\/b" is not a direct child of targets/),
    );
    assert.throws(() => withRole({ name: 'targets/../x', paths: [] }), userError(/not a direct child/));
    assert.throws(() => withRole({ name: 'releases', paths: [] }), userError(/not a direct child/));
    assert.throws(
      () => withRole({ name: 'targets/x', paths: [''], path_hash_prefixes: ['a'] }),
      userError(/both paths and path_hash_prefixes/),
    );
    assert.throws(
      () => withRole({ name: 'targets/x', path_hash_prefixes: ['XY'] }),
      userError(/lowercase hex/),
    );
    assert.throws(
      () => withRole({ name: 'targets/x', paths: [''], terminating: 'yes' }),
      userError(/terminating must be a boolean/),
    );
    assert.throws(
      () =>
        parseTargets(
          targetsSigned({
            delegations: {
              keys: { [K.b.keyId]: K.b.publicKey },
              roles: [
                { name: 'targets/x', keyids: [K.b.keyId], threshold: 1, paths: [] },
                { name: 'targets/x', keyids: [K.b.keyId], threshold: 1, paths: [] },
              ],
            },
          }),
        ),
      userError(/"targets\/x" is listed twice/),
    );
    assert.equal(isDelegatedRoleName('targets/releases'), true);
    for (const n of [
      'targets',
      'targets/',
      'targets//x',
      'targets/..',
      'targets/.',
      'root/x',
      'targets/a b',
      'targets/a\\b',
    ]) {
      assert.equal(isDelegatedRoleName(n), false, n);
    }
  });

  it('checks snapshot and timestamp meta', () => {
    const snap = (meta: unknown) => ({
      _type: 'Snapshot',
      expires: '2030-01-01T00:00:00Z',
      version: 1,
      meta,
    });
    bad(snap({ '../etc/passwd': { version: 1 } }), /invalid role name/, 'snapshot');
    bad(snap({ targets: { version: 0 } }), /meta\["targets"\]\.version must be an integer >= 1/, 'snapshot');
    assert.doesNotThrow(() =>
      parseSignedMetadata(signMetadata(snap({ targets: { version: 2 } }), []), 'snapshot', 's'),
    );
    const ts = (meta: unknown) => ({ _type: 'Timestamp', expires: '2030-01-01T00:00:00Z', version: 1, meta });
    bad(ts({}), /meta has no "snapshot" entry/, 'timestamp');
    bad(ts({ snapshot: { version: 1 } }), /must give the snapshot length and hashes/, 'timestamp');
  });
});

describe('expiry', () => {
  it('parses RFC 3339 with nanoseconds and offsets', () => {
    assert.deepEqual(parseRfc3339('2029-12-03T20:13:35Z'), [Date.UTC(2029, 11, 3, 20, 13, 35), 0]);
    assert.deepEqual(parseRfc3339('2029-12-03T21:13:35.5+01:00'), [
      Date.UTC(2029, 11, 3, 20, 13, 35, 500),
      0,
    ]);
    assert.equal(parseRfc3339('2029-12-03 20:13:35Z'), undefined);
    assert.equal(parseRfc3339('2029-13-03T20:13:35Z'), undefined);
    assert.equal(formatExpires(new Date(Date.UTC(2030, 0, 1))), '2030-01-01T00:00:00Z');
  });

  it('expires <= now is expired', () => {
    const md = parseTargets(targetsSigned({ expires: '2030-01-01T00:00:00.000000500Z' }));
    assert.equal(isExpired(md, new Date('2029-12-31T23:59:59.999Z')), false);
    assert.equal(isExpired(md, new Date('2030-01-01T00:00:00.000Z')), false, '500 ns left');
    assert.equal(isExpired(md, new Date('2030-01-01T00:00:00.001Z')), true);
    const exact = parseTargets(targetsSigned({ expires: '2030-01-01T00:00:00Z' }));
    assert.equal(isExpired(exact, new Date('2030-01-01T00:00:00.000Z')), true);
  });
});

describe('signatures and thresholds', () => {
  const role = { keyids: [K.a.keyId, K.b.keyId], threshold: 2 };
  const keys = { [K.a.keyId]: K.a.publicKey, [K.b.keyId]: K.b.publicKey, [K.c.keyId]: K.c.publicKey };

  it('signMetadata writes {"signed":<canonical>,"signatures":[...]} like Notary', () => {
    const bytes = signMetadata(targetsSigned(), [K.a, K.b]);
    const text = bytes.toString();
    assert.ok(
      text.startsWith(
        `{"signed":${canonicalJson(targetsSigned())},"signatures":[{"keyid":"${K.a.keyId}","method":"ecdsa","sig":"`,
      ),
    );
    const md = parseSignedMetadata(bytes, 'targets', 't');
    assert.deepEqual(verifyThreshold(md, role, keys, 't'), new Set([K.a.keyId, K.b.keyId]));
  });

  it('counts distinct listed keys with valid signatures', () => {
    const one = parseTargets(targetsSigned(), [K.a]);
    assert.throws(
      () => verifyThreshold(one, role, keys, 't.json'),
      userError(/^t\.json: 1 valid signature\(s\), below the threshold of 2$/),
    );
    const twice = parseTargets(targetsSigned(), [K.a, K.a]);
    assert.throws(
      () => verifyThreshold(twice, role, keys, 't.json'),
      userError(/1 valid signature\(s\), below the threshold of 2/),
    );
    const foreign = parseTargets(targetsSigned(), [K.a, K.c]);
    assert.throws(
      () => verifyThreshold(foreign, role, keys, 't.json'),
      userError(/signed by key\(s\) not listed for the role/),
    );
    const none = parseTargets(targetsSigned(), []);
    assert.throws(
      () => verifyThreshold(none, role, keys, 't.json'),
      userError(/0 valid signature\(s\).*no signatures/),
    );
  });

  it('a signature over the served (non-canonical) bytes does not count', () => {
    const signed = targetsSigned();
    const pretty = JSON.stringify(signed, null, 2);
    const { method, sig } = K.a.sign(Buffer.from(pretty));
    const doc = Buffer.from(
      `{"signed":${pretty},"signatures":[{"keyid":"${K.a.keyId}","method":"${method}","sig":"${sig}"}]}`,
    );
    const md = parseSignedMetadata(doc, 'targets', 't.json');
    assert.throws(
      () => verifyThreshold(md, { keyids: [K.a.keyId], threshold: 1 }, keys, 't.json'),
      userError(/0 valid signature\(s\), below the threshold of 1 \(1 invalid signature\(s\)\)/),
    );
    // the same signed object, signed canonically, verifies even when served pretty-printed
    const good = K.a.sign(Buffer.from(canonicalJson(signed)));
    const doc2 = Buffer.from(
      `{"signed":${pretty},"signatures":[{"keyid":"${K.a.keyId}","method":"${good.method}","sig":"${good.sig}"}]}`,
    );
    const md2 = parseSignedMetadata(doc2, 'targets', 't.json');
    assert.equal(verifyThreshold(md2, { keyids: [K.a.keyId], threshold: 1 }, keys, 't.json').size, 1);
  });

  it('fileMeta and checkLengthAndHashes', () => {
    const b = Buffer.from('hello');
    const m = fileMeta(b);
    assert.equal(m.hashes.sha256, createHash('sha256').update(b).digest('base64'));
    checkLengthAndHashes(b, m, 'x');
    assert.throws(
      () => checkLengthAndHashes(Buffer.from('hellp'), m, 'x'),
      userError(/x: sha256 hash does not match/),
    );
    assert.throws(
      () => checkLengthAndHashes(Buffer.from('hello!'), m, 'x'),
      userError(/x: length is 6 bytes, the signed metadata says 5/),
    );
    assert.throws(
      () =>
        checkLengthAndHashes(
          b,
          {
            length: 5,
            hashes: { sha256: m.hashes.sha256, sha512: fileMeta(Buffer.from('x')).hashes.sha512 },
          },
          'x',
        ),
      userError(/sha512 hash does not match/),
    );
    assert.throws(
      () => checkLengthAndHashes(b, { length: 5, hashes: {} }, 'x'),
      userError(/no sha256 or sha512/),
    );
  });
});
