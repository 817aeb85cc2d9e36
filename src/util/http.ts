// A small HTTP(S) client on node:http — loads in a few milliseconds, streams bodies, and turns
// a silent peer into an error after `timeoutMs` without data (connect, headers or body).

import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

export interface HttpResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: Readable;
  /** Discards the body so the connection can be reused. */
  dump(): Promise<void>;
}

export class HttpAgents {
  readonly http = new http.Agent({ keepAlive: true, maxSockets: 8 });
  readonly https = new https.Agent({ keepAlive: true, maxSockets: 8 });
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no data for ${ms / 1000}s (timeout)`);
    this.name = 'HttpTimeoutError';
  }
}

export function httpRequest(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    /** A request body, sent with its Content-Length. */
    body?: Buffer;
    timeoutMs: number;
    agents: HttpAgents;
  },
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    let response: http.IncomingMessage | undefined;
    const req = mod.request(
      u,
      {
        method: opts.method ?? 'GET',
        headers:
          opts.body === undefined
            ? opts.headers
            : { ...opts.headers, 'content-length': String(opts.body.length) },
        agent: u.protocol === 'https:' ? opts.agents.https : opts.agents.http,
        timeout: opts.timeoutMs,
      },
      (res) => {
        response = res;
        resolve({
          statusCode: res.statusCode ?? 0,
          headers: res.headers,
          body: res,
          dump: () =>
            new Promise((done) => {
              res.on('end', done);
              res.on('error', () => done());
              res.on('close', () => done());
              res.resume();
            }),
        });
      },
    );
    // The socket timeout covers connect, waiting for headers and idle time while reading the body.
    req.on('timeout', () => {
      const err = new HttpTimeoutError(opts.timeoutMs);
      response?.destroy(err);
      req.destroy(err);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
