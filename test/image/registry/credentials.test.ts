import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findCredentials, normalizeConfigKey } from '../../../src/image/registry/credentials.js';
import { tmpdir } from '../../helpers/env.js';

describe('credentials', () => {
  it('reads base64 auths from a docker config.json, matching normalised keys', () => {
    const dir = tmpdir();
    const file = path.join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        auths: {
          'https://127.0.0.1:15001/v1/': { auth: Buffer.from('dduser:pa:ss').toString('base64') },
          'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
        },
      }),
    );
    const saved = { u: process.env.DRYDOCK_USERNAME };
    delete process.env.DRYDOCK_USERNAME;
    try {
      assert.deepEqual(findCredentials('127.0.0.1:15001', { dockerConfig: file }), {
        username: 'dduser',
        password: 'pa:ss',
      });
      assert.deepEqual(findCredentials('docker.io', { dockerConfig: file }), {
        username: 'hubuser',
        password: 'hubpass',
      });
      assert.equal(findCredentials('127.0.0.1:15002', { dockerConfig: file }), undefined);
      // flags win over the file
      assert.deepEqual(
        findCredentials('127.0.0.1:15001', { dockerConfig: file, username: 'x', password: 'y' }),
        { username: 'x', password: 'y' },
      );
    } finally {
      if (saved.u !== undefined) process.env.DRYDOCK_USERNAME = saved.u;
    }
  });
  it('ignores a missing or malformed config', () => {
    const dir = tmpdir();
    const file = path.join(dir, 'config.json');
    writeFileSync(file, '{not json');
    assert.equal(findCredentials('r.example', { dockerConfig: file }), undefined);
    assert.equal(findCredentials('r.example', { dockerConfig: path.join(dir, 'nope.json') }), undefined);
  });
  it('normalises config keys', () => {
    assert.equal(normalizeConfigKey('https://Registry.Example:5000/v2/'), 'registry.example:5000');
    assert.equal(normalizeConfigKey('index.docker.io'), 'docker.io');
  });
});
