// An HTTP proxy in front of the real test registry that injects faults (429, 5xx, stalls, cuts,
// corruption, redirects) so the client's handling of a misbehaving registry is tested for real.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'pass' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'stall'; afterBytes: number }
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'corrupt'; atByte: number }
  | { kind: 'redirect'; to: string }
  | { kind: 'replace'; body: Buffer; headers?: Record<string, string> };

export type Rule = (req: http.IncomingMessage, n: number) => Fault;

export interface FaultProxy {
  host: string;
  requests: { method: string; url: string; authorization?: string; range?: string }[];
  close(): Promise<void>;
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

export async function startProxy(upstream: string, rule: Rule): Promise<FaultProxy> {
  const counts = new Map<string, number>();
  const requests: FaultProxy['requests'] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      range: req.headers.range,
    });
    const fault = rule(req, n);
    if (fault.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '{"errors":[{"code":"INJECTED","message":"injected fault"}]}');
      return;
    }
    if (fault.kind === 'redirect') {
      res.writeHead(307, { location: `${fault.to}${req.url}` });
      res.end();
      return;
    }
    const headers = { ...req.headers, host: upstream };
    const up = http.request(
      {
        host: upstream.split(':')[0],
        port: Number(upstream.split(':')[1]),
        path: req.url,
        method: req.method,
        headers,
      },
      (ur) => {
        if (fault.kind === 'replace') {
          ur.resume();
          res.writeHead(ur.statusCode ?? 500, {
            ...ur.headers,
            'content-length': String(fault.body.length),
            ...fault.headers,
          });
          res.end(fault.body);
          return;
        }
        res.writeHead(ur.statusCode ?? 500, ur.headers);
        let sent = 0;
        ur.on('data', (chunk: Buffer) => {
          let c = chunk;
          if ((fault.kind === 'stall' || fault.kind === 'cut') && sent + c.length > fault.afterBytes) {
            c = c.subarray(0, Math.max(0, fault.afterBytes - sent));
            if (c.length) res.write(c);
            ur.destroy();
            if (fault.kind === 'cut') res.socket?.destroy();
            // 'stall': keep the connection open, send nothing more
            sent = Number.MAX_SAFE_INTEGER;
            return;
          }
          if (fault.kind === 'corrupt' && fault.atByte >= sent && fault.atByte < sent + c.length) {
            c = Buffer.from(c);
            c.writeUInt8(((c.readUInt8(fault.atByte - sent) as number) ^ 0xff) & 0xff, fault.atByte - sent);
          }
          sent += c.length;
          res.write(c);
        });
        ur.on('end', () => res.end());
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = await listen(server);
  return {
    host,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
