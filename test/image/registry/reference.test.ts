import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiHost, parseReference } from '../../../src/image/registry/reference.js';

describe('parseReference', () => {
  it('parses Docker references the way docker does', () => {
    assert.deepEqual(parseReference('debian'), {
      registry: 'docker.io',
      repository: 'library/debian',
      tag: 'latest',
      digest: undefined,
    });
    assert.deepEqual(parseReference('user/app:1.2'), {
      registry: 'docker.io',
      repository: 'user/app',
      tag: '1.2',
      digest: undefined,
    });
    assert.deepEqual(parseReference('127.0.0.1:5000/dd/app:1.0'), {
      registry: '127.0.0.1:5000',
      repository: 'dd/app',
      tag: '1.0',
      digest: undefined,
    });
    assert.deepEqual(parseReference('localhost/app'), {
      registry: 'localhost',
      repository: 'app',
      tag: 'latest',
      digest: undefined,
    });
    const d = `sha256:${'1'.repeat(64)}`;
    assert.deepEqual(parseReference(`ghcr.io/o/r@${d}`), {
      registry: 'ghcr.io',
      repository: 'o/r',
      tag: undefined,
      digest: d,
    });
    assert.equal(apiHost('docker.io'), 'registry-1.docker.io');
  });
  it('rejects malformed references', () => {
    for (const bad of ['', 'UPPER/case', 'a/b:bad tag', 'a@sha256:xyz', 'a//b', 'host:99999999/x']) {
      assert.throws(() => parseReference(bad), /invalid image reference/, bad);
    }
  });
});
