import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { checkGun, parseTrustPinning, TrustCache, trustDir, writeAtomic } from '../../src/trust/cache.js';
import { tmpdir } from '../helpers/env.js';

function userError(re: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.match(err.message, re);
    return true;
  };
}

describe('trust cache', () => {
  it('lays files out as <trustDir>/tuf/<gun>/metadata/<role>.json', () => {
    const base = tmpdir('dd-tc-');
    const c = TrustCache.forGun('127.0.0.1:5000/lab/debian-app', base);
    assert.equal(c.dir, path.join(base, 'tuf', '127.0.0.1:5000', 'lab', 'debian-app', 'metadata'));
    assert.equal(c.fileOf('targets/releases'), path.join(c.dir, 'targets', 'releases.json'));
    assert.equal(c.read('root'), undefined);
    c.commit(
      new Map([
        ['root', Buffer.from('{"r":1}')],
        ['targets/releases', Buffer.from('{"d":1}')],
      ]),
    );
    assert.equal(c.read('root')?.toString(), '{"r":1}');
    assert.equal(readFileSync(path.join(c.dir, 'targets', 'releases.json'), 'utf8'), '{"d":1}');
    // replaced whole, no temp files left behind
    c.commit(new Map([['root', Buffer.from('{"r":2}')]]));
    assert.equal(c.read('root')?.toString(), '{"r":2}');
    assert.deepEqual(readdirSync(c.dir).sort(), ['root.json', 'targets']);
    c.clear();
    assert.equal(c.read('root'), undefined);
  });

  it('trustDir comes from DRYDOCK_TRUST_DIR, else ~/.drydock/trust', () => {
    const old = process.env.DRYDOCK_TRUST_DIR;
    try {
      process.env.DRYDOCK_TRUST_DIR = '/tmp/x-trust';
      assert.equal(trustDir(), '/tmp/x-trust');
      delete process.env.DRYDOCK_TRUST_DIR;
      assert.equal(trustDir(), path.join(os.homedir(), '.drydock', 'trust'));
    } finally {
      if (old === undefined) delete process.env.DRYDOCK_TRUST_DIR;
      else process.env.DRYDOCK_TRUST_DIR = old;
    }
  });

  it('refuses GUNs and role names that would escape the cache', () => {
    for (const gun of ['', '../x', 'a/../b', 'a//b', '/abs', 'a/./b', 'a b', 'a\\b', `${'a'.repeat(256)}`]) {
      assert.throws(() => checkGun(gun), userError(/invalid GUN/), gun);
    }
    assert.equal(checkGun('example.com/team/app'), 'example.com/team/app');
    const c = TrustCache.forGun('example.com/app', tmpdir('dd-tc-'));
    for (const role of ['../root', 'targets/../../x', 'foo', 'targets/']) {
      assert.throws(() => c.read(role), userError(/invalid TUF role name/), role);
      assert.throws(
        () => c.commit(new Map([[role, Buffer.from('x')]])),
        userError(/invalid TUF role name/),
        role,
      );
    }
  });

  it('reads only regular files within the size limit', () => {
    const c = TrustCache.forGun('example.com/app', tmpdir('dd-tc-'));
    mkdirSync(c.dir, { recursive: true });
    writeFileSync(path.join(c.dir, 'elsewhere'), 'x');
    symlinkSync(path.join(c.dir, 'elsewhere'), path.join(c.dir, 'root.json'));
    assert.throws(() => c.read('root'), userError(/is not a regular file/));
    writeFileSync(path.join(c.dir, 'targets.json'), Buffer.alloc(11));
    assert.throws(() => c.read('targets', 10), userError(/larger than 10 bytes/));
    assert.equal(c.read('targets', 11)?.length, 11);
  });

  it('writeAtomic creates private directories and replaces files whole', () => {
    const dir = tmpdir('dd-tc-');
    const f = path.join(dir, 'a', 'b', 'f.json');
    writeAtomic(f, Buffer.from('one'));
    writeAtomic(f, Buffer.from('two'));
    assert.equal(readFileSync(f, 'utf8'), 'two');
    assert.deepEqual(readdirSync(path.dirname(f)), ['f.json']);
  });
});

describe('trust pinning config', () => {
  it("reads Notary's trust_pinning section", () => {
    const id = 'f9a66cc484e8c6a70783cc5af66bda250b449f1639a45429535ee11ba9947fd5';
    assert.deepEqual(
      parseTrustPinning({
        certs: { 'example.com/app': [id] },
        ca: { 'example.com/': '/etc/ca.pem' },
        disable_tofu: true,
      }),
      { certs: { 'example.com/app': [id] }, ca: { 'example.com/': '/etc/ca.pem' }, disableTofu: true },
    );
    assert.deepEqual(parseTrustPinning(undefined), {});
    assert.throws(() => parseTrustPinning({ certs: { x: ['nothex'] } }), userError(/64-hex-digit key ids/));
    assert.throws(() => parseTrustPinning({ ca: { x: 3 } }), userError(/must be a file name/));
    assert.throws(
      () => parseTrustPinning({ disable_tofu: 'yes' }),
      userError(/disable_tofu must be true or false/),
    );
    assert.throws(() => parseTrustPinning([]), userError(/must be an object/));
  });
});
