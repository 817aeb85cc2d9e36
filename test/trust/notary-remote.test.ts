import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { parseReference } from '../../src/image/registry/reference.js';
import { keyId } from '../../src/trust/keys.js';
import { encodeMultipart, NotaryRemote, normalizeServerUrl } from '../../src/trust/notary-remote.js';
import { NotaryRepository, targetForBytes, verifyNotaryTag } from '../../src/trust/notary-repo.js';
import { tmpdir } from '../helpers/env.js';
import { freshGun, type NotaryServices, notaryServices } from './notary-env.js';

// No credentials from the machine running the tests.
process.env.DOCKER_CONFIG = tmpdir('dd-docker-config-');
delete process.env.DRYDOCK_USERNAME;
delete process.env.DRYDOCK_PASSWORD;
process.env.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE = 'remote-test-root';
process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE = 'remote-test-repo';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A scripted HTTP server on 127.0.0.1 that records requests. */
async function fakeServer(
  handler: (req: Seen, res: http.ServerResponse, base: string) => void,
): Promise<{ base: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  let base = '';
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      seen.push(s);
      handler(s, res, base);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return {
    base,
    seen,
    close: () =>
      new Promise((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

/** Splits a multipart body the way a server would (RFC 7578), independent of encodeMultipart. */
function parseMultipart(body: Buffer, contentType: string): { headers: string; data: Buffer }[] {
  const m = /^multipart\/form-data; boundary=(.+)$/.exec(contentType);
  assert.ok(m, contentType);
  const delim = Buffer.from(`--${m[1]}`);
  const out: { headers: string; data: Buffer }[] = [];
  let pos = body.indexOf(delim);
  assert.equal(pos, 0);
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    assert.equal(body.subarray(pos, pos + 2).toString(), '\r\n');
    const headEnd = body.indexOf('\r\n\r\n', pos);
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), headEnd);
    assert.ok(headEnd > 0 && next > 0);
    out.push({ headers: body.subarray(pos + 2, headEnd).toString(), data: body.subarray(headEnd + 4, next) });
    pos = next + 2;
  }
  return out;
}

const GUN = 'example.com/team/app';

describe('notary-remote: wire format', () => {
  test('multipart body as the notary CLI (Go mime/multipart) sends it', () => {
    const files = new Map([
      ['root', Buffer.from('{"r":1}')],
      ['targets/releases', Buffer.from('{"t":2}')],
    ]);
    const b = 'ab'.repeat(30);
    const { body, contentType } = encodeMultipart(files, b);
    assert.equal(contentType, `multipart/form-data; boundary=${b}`);
    assert.equal(
      body.toString(),
      `--${b}\r\nContent-Disposition: form-data; name="files"; filename="root"\r\nContent-Type: application/octet-stream\r\n\r\n{"r":1}` +
        `\r\n--${b}\r\nContent-Disposition: form-data; name="files"; filename="targets/releases"\r\nContent-Type: application/octet-stream\r\n\r\n{"t":2}` +
        `\r\n--${b}--\r\n`,
    );
    // default boundary: 30 random bytes in hex, like Go's
    const d = encodeMultipart(files);
    assert.match(d.contentType, /^multipart\/form-data; boundary=[0-9a-f]{60}$/);
  });

  test('server URLs', () => {
    assert.equal(normalizeServerUrl('notary.example.com:4443'), 'https://notary.example.com:4443');
    assert.equal(normalizeServerUrl('https://notary.example.com/'), 'https://notary.example.com');
    assert.throws(() => normalizeServerUrl('ftp://x'), UserError);
    assert.throws(() => normalizeServerUrl('https://u:p@x'), /must not hold credentials/);
  });

  test('publish, keys, 404s, error bodies and size caps against a scripted server', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const srv = await fakeServer((req, res) => {
      const p = req.url.replace(`/v2/${GUN}/_trust/tuf/`, '');
      if (req.method === 'POST' && p === '') return res.end();
      if (p === 'timestamp.key') {
        res.setHeader('content-type', 'text/plain');
        return res.end('{"keytype":"ecdsa","keyval":{"public":"AAAA","private":null}}');
      }
      if (p === 'snapshot.key')
        return res.end('{"keytype":"ecdsa","keyval":{"public":"AAAA","private":"c2VjcmV0"}}');
      if (p === 'root.json') return res.end(big); // with content-length
      if (p === 'targets.json') {
        res.writeHead(200, { 'transfer-encoding': 'chunked' }); // no content-length
        res.write(big.subarray(0, 1024 * 1024));
        res.end(big.subarray(1024 * 1024));
        return;
      }
      if (p === 'timestamp.json') {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(
          '{"errors":[{"code":"BAD_UPDATE","message":"update rejected","detail":"version too old"}]}',
        );
      }
      res.writeHead(404);
      res.end('{"errors":[{"code":"METADATA_NOT_FOUND"}]}');
    });
    const remote = new NotaryRemote(GUN, { server: srv.base });
    try {
      await remote.publish(
        new Map([
          ['root', Buffer.from('{"signed":{}}')],
          ['targets', Buffer.from('{"signed":{"t":1}}')],
        ]),
      );
      const post = srv.seen.find((s) => s.method === 'POST');
      assert.ok(post);
      assert.equal(post.url, `/v2/${GUN}/_trust/tuf/`);
      assert.equal(post.headers['content-length'], String(post.body.length));
      const parts = parseMultipart(post.body, String(post.headers['content-type']));
      assert.deepEqual(
        parts.map((x) => [x.headers, x.data.toString()]),
        [
          [
            'Content-Disposition: form-data; name="files"; filename="root"\r\nContent-Type: application/octet-stream',
            '{"signed":{}}',
          ],
          [
            'Content-Disposition: form-data; name="files"; filename="targets"\r\nContent-Type: application/octet-stream',
            '{"signed":{"t":1}}',
          ],
        ],
      );
      const k = await remote.getKey('timestamp');
      assert.deepEqual(k, { keytype: 'ecdsa', keyval: { public: 'AAAA', private: null } });
      await assert.rejects(remote.getKey('snapshot'), /the server sent a private key/);
      assert.equal(await remote.get('snapshot.json', 1000), undefined);
      await assert.rejects(
        remote.get('root.json', 1024 * 1024),
        /root.json .* is 2097152 bytes, more than the 1048576 allowed/,
      );
      await assert.rejects(remote.get('targets.json', 1024 * 1024), /larger than the 1048576 bytes allowed/);
      await assert.rejects(
        remote.get('timestamp.json', 1000),
        /answered 400 .*BAD_UPDATE: update rejected \(version too old\)/,
      );
      await assert.rejects(remote.get('../../x.json', 1000), /invalid TUF metadata path/);
      await assert.rejects(remote.get('root', 1000), /invalid TUF metadata path/);
      await assert.rejects(remote.publish(new Map([['../evil', Buffer.from('x')]])), /invalid role/);
    } finally {
      remote.close();
      await srv.close();
    }
  });

  test('token auth: answers a Bearer challenge with the realm, service and scope it names', async () => {
    let tokenReqs = 0;
    const srv = await fakeServer((req, res, base) => {
      if (req.url.startsWith('/token')) {
        tokenReqs++;
        const u = new URL(req.url, base);
        const basic = `Basic ${Buffer.from('alice:wonder').toString('base64')}`;
        if (req.headers.authorization !== basic) {
          res.writeHead(401);
          return res.end();
        }
        return res.end(
          JSON.stringify({ token: `tok:${u.searchParams.get('service')}:${u.searchParams.get('scope')}` }),
        );
      }
      const want = `Bearer tok:notary:repository:${GUN}:pull`;
      if (req.headers.authorization !== want) {
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="${base}/token",service="notary",scope="repository:${GUN}:pull"`,
        });
        return res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      }
      res.end('{"signed":"ok"}');
    });
    try {
      const ok = new NotaryRemote(GUN, {
        server: srv.base,
        credentials: { username: 'alice', password: 'wonder' },
      });
      assert.equal((await ok.get('root.json', 1000))?.toString(), '{"signed":"ok"}');
      // the token is reused for the next request
      assert.equal((await ok.get('targets.json', 1000))?.toString(), '{"signed":"ok"}');
      assert.equal(tokenReqs, 1);
      ok.close();
      const bad = new NotaryRemote(GUN, {
        server: srv.base,
        credentials: { username: 'alice', password: 'nope' },
      });
      const err = await bad.get('root.json', 1000).catch((e: unknown) => e);
      assert.ok(err instanceof UserError && !err.message.includes('\n'));
      assert.match(err.message, /token server 127.0.0.1:\d+ refused the credentials of alice/);
      bad.close();
    } finally {
      await srv.close();
    }
  });
});

const env = notaryServices();
const N = env.services as NotaryServices;

describe('notary-remote: the real notary-server', { skip: env.skip }, () => {
  test('TLS: the server CA is needed (system store alone refuses it)', async () => {
    const plain = new NotaryRemote(freshGun(), { server: N.url });
    const err = await plain.get('root.json', 1000).catch((e: unknown) => e);
    plain.close();
    assert.ok(err instanceof UserError, String(err));
    assert.match(err.message, /cannot reach trust server 127.0.0.1:\d+: .*--tls-ca/);
    const withCa = new NotaryRemote(freshGun(), { server: N.url, tlsCa: N.ca });
    assert.equal(await withCa.get('root.json', 1000), undefined);
    withCa.close();
    assert.throws(
      () => new NotaryRemote(freshGun(), { server: N.url, tlsCa: '/nonexistent/ca.pem' }),
      /--tls-ca \/nonexistent\/ca.pem: ENOENT/,
    );
  });

  test('timestamp.key / snapshot.key: the keys root.json names once published; POST rotates', async () => {
    const gun = freshGun();
    const remote = new NotaryRemote(gun, { server: N.url, tlsCa: N.ca });
    const repo = new NotaryRepository(gun, { server: N.url, tlsCa: N.ca, trustDir: tmpdir('dd-notary-k-') });
    try {
      // (before a root is published, notary-server hands out a new key on every GET)
      assert.equal((await remote.getKey('timestamp')).keytype, 'ecdsa');
      await repo.initialize();
      const root = (await repo.update()).root.signed;
      for (const role of ['timestamp', 'snapshot'] as const) {
        const a = await remote.getKey(role);
        const b = await remote.getKey(role);
        assert.equal(keyId(a), keyId(b));
        assert.deepEqual(root.roles[role].keyids, [keyId(a)]);
      }
      const rotated = await remote.rotateKey('snapshot');
      assert.equal(rotated.keytype, 'ecdsa');
      assert.notDeepEqual(root.roles.snapshot.keyids, [keyId(rotated)]);
    } finally {
      remote.close();
      repo.close();
    }
  });

  test('publishing a malformed update: the server refuses it with a clear error', async () => {
    const remote = new NotaryRemote(freshGun(), { server: N.url, tlsCa: N.ca });
    try {
      const err = await remote
        .publish(new Map([['targets', Buffer.from('{"signed":{},"signatures":[]}')]]))
        .catch((e: unknown) => e);
      assert.ok(err instanceof UserError && !err.message.includes('\n'), String(err));
      assert.match(err.message, /trust server 127.0.0.1:\d+ answered 400 for publishing targets/);
    } finally {
      remote.close();
    }
  });

  test('token auth on the real server: anonymous may read, only dduser may publish', {
    skip: !N?.tokenUrl && 'needs the token-auth notary-server of scripts/notary.sh',
  }, async () => {
    const gun = freshGun();
    const anon = new NotaryRemote(gun, { server: N.tokenUrl, tlsCa: N.ca });
    try {
      assert.equal(await anon.get('root.json', 1000), undefined); // pull token, then 404
      const err = await anon.publish(new Map([['targets', Buffer.from('{}')]])).catch((e: unknown) => e);
      assert.ok(err instanceof UserError && !err.message.includes('\n'), String(err));
      assert.match(err.message, /refused anonymous access for publishing targets/);
    } finally {
      anon.close();
    }
    const trustDir = tmpdir('dd-notary-tok-');
    const creds = { username: 'dduser', password: 'ddpass' };
    const repo = new NotaryRepository(gun, { server: N.tokenUrl, tlsCa: N.ca, trustDir, credentials: creds });
    try {
      await repo.initialize();
      await repo.addTarget('1.0', targetForBytes(Buffer.from('token-auth manifest')));
    } finally {
      repo.close();
    }
    // anonymous readers verify (pull only)
    const r = await verifyNotaryTag(parseReference(`${gun}:1.0`), {
      server: N.tokenUrl,
      tlsCa: N.ca,
      trustDir: tmpdir('dd-notary-v-'),
    });
    assert.equal(r.role, 'targets');
    assert.equal(r.size, 'token-auth manifest'.length);
  });
});
