#!/usr/bin/env node
import crypto from 'node:crypto';
import fs from 'node:fs';
// Minimal Docker Registry v2 token server (JWT, RS256, x5c header) for drydock TESTS ONLY (loopback).
// Usage: node registry-token-server.mjs <key.pem> <cert.pem> [port=5003] [issuer=drydock-test-issuer]
// Grants every requested scope to user dduser:ddpass; anonymous callers get "pull" only.
import http from 'node:http';

const [keyPath, certPath, portArg, issuerArg] = process.argv.slice(2);
if (!keyPath || !certPath) {
  console.error('usage: registry-token-server.mjs key.pem cert.pem [port] [issuer]');
  process.exit(2);
}
const key = crypto.createPrivateKey(fs.readFileSync(keyPath));
const certDerB64 = new crypto.X509Certificate(fs.readFileSync(certPath)).raw.toString('base64');
const port = Number(portArg || 5003);
const issuer = issuerArg || 'drydock-test-issuer';
const USERS = { dduser: 'ddpass' };
const b64u = (b) => Buffer.from(b).toString('base64url');

function parseScopes(url) {
  // scope=repository:lab/app:pull,push (may repeat)
  return url.searchParams.getAll('scope').map((s) => {
    const parts = s.split(':');
    const actions = parts.pop().split(',').filter(Boolean);
    const type = parts.shift();
    return { type, name: parts.join(':'), actions };
  });
}

http
  .createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (url.pathname !== '/token') {
      res.writeHead(404);
      return res.end();
    }
    let user = '';
    const auth = req.headers.authorization || '';
    if (auth.startsWith('Basic ')) {
      const [u, p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (USERS[u] !== p) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"details":"bad credentials"}');
      }
      user = u;
    }
    const access = parseScopes(url).map((s) => ({
      ...s,
      actions: user ? s.actions : s.actions.filter((a) => a === 'pull'),
    }));
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDerB64] };
    const claims = {
      iss: issuer,
      sub: user,
      aud: url.searchParams.get('service') || '',
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    };
    const signingInput = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
    const sig = crypto.sign('RSA-SHA256', Buffer.from(signingInput), key);
    const token = `${signingInput}.${b64u(sig)}`;
    console.log(new Date().toISOString(), 'token for', user || '(anonymous)', JSON.stringify(access));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: 300,
        issued_at: new Date(now * 1000).toISOString(),
      }),
    );
  })
  .listen(port, '127.0.0.1', () =>
    console.log(`token server on http://127.0.0.1:${port}/token issuer=${issuer}`),
  );
