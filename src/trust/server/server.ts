// `drydock trust server`: a Notary-compatible trust server in one process (node:http / https),
// storing TUF metadata in SQLite (default) or PostgreSQL and signing timestamps (and snapshots
// the client rotated to the server) itself: one small service instead of notary-server +
// notary-signer + a database.
//
// The HTTP API is notary-server 0.7's (server/server.go):
//   GET  /_notary_server/health                            {} (503 when the store fails)
//   GET  /v2/                                              {}
//   POST /v2/<gun>/_trust/tuf/                             multipart update of several roles, atomic
//   GET  /v2/<gun>/_trust/tuf/<role>.json                  current (timestamp/snapshot maybe re-signed)
//   GET  /v2/<gun>/_trust/tuf/<version>.<role>.json        by version
//   GET  /v2/<gun>/_trust/tuf/<role>.<sha256 hex>.json     by checksum (consistent snapshots)
//   GET  /v2/<gun>/_trust/tuf/{timestamp,snapshot}.key     the server's public key (made on demand)
//   POST /v2/<gun>/_trust/tuf/{timestamp,snapshot}.key     a new key (rotation)
//   DELETE /v2/<gun>/_trust/tuf/                           deletes the repository's metadata
//   GET  /v2/_trust/changefeed, /v2/<gun>/_trust/changefeed   ?change_id=N&records=N
// Errors: {"errors":[{"code":"METADATA_NOT_FOUND","message":...,"detail":...}]} with Notary's
// status codes (errors.ts). No authentication: put it behind a proxy that does, or on loopback.

import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { defaultCacheDir } from '../../cache/layer-cache.js';
import { UserError } from '../../errors.js';
import { debug } from '../../log.js';
import { NotaryHttpError, notFound, OldVersionError } from './errors.js';
import { parseMultipart, partFilename } from './multipart.js';
import { type ServerKeyAlgorithm, ServerKeys, type ServerRole } from './server-keys.js';
import { openTrustStore, redactUrl, type TrustStore, type TufFile } from './store.js';
import {
  currentRoot,
  currentTimestamp,
  decodeUploadedRole,
  isValidNotaryRole,
  MAX_ROLE_BYTES,
  type UpdateContext,
  type UploadedRole,
  validateUpdate,
} from './update.js';

export interface TrustServerOptions {
  /** host:port to listen on (default 127.0.0.1:4443; port 0 = any free port) */
  listen?: string;
  /** sqlite:PATH (default <cache>/trust-server.db) or postgres://... */
  db?: string;
  /** PEM certificate (chain) and key for HTTPS; both or neither */
  tlsCert?: string;
  tlsKey?: string;
  /** the clock for expiry checks and new metadata (tests) */
  now?: () => Date;
  /** algorithm of the keys the server makes (default ecdsa, as notary-signer) */
  keyAlgorithm?: ServerKeyAlgorithm;
  /** encrypts the server's private keys in the store (default: $DRYDOCK_TRUST_SERVER_PASSPHRASE) */
  passphrase?: string;
  /** largest accepted metadata file per role (default 4 MiB) */
  maxRoleBytes?: number;
}

export interface RunningTrustServer {
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_LISTEN = '127.0.0.1:4443';
/** Largest POST body: several roles at the per-role limit. */
const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;
const MAX_PARTS = 1000;
const MAX_GUN_LENGTH = 255;
const CACHE_CURRENT = 'public, max-age=300, s-maxage=300, must-revalidate';
const CACHE_CONSISTENT = 'public, max-age=2592000, s-maxage=2592000';

export function defaultTrustServerDb(): string {
  return `sqlite:${path.join(defaultCacheDir(), 'trust-server.db')}`;
}

/** Parses host:port, [v6]:port or :port (loopback when the host is empty). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new UserError(`--listen ${JSON.stringify(listen)}: expected HOST:PORT, e.g. ${DEFAULT_LISTEN}`);
  }
  const host = m[1] ?? (m[2] || '127.0.0.1');
  return { host, port };
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UserError(`${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Serialises work on one GUN (updates, deletes, key creation, timestamp re-signing). */
class GunLocks {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(gun: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(gun) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.tails.set(gun, tail);
    void tail.then(() => {
      if (this.tails.get(gun) === tail) this.tails.delete(gun);
    });
    return next;
  }
}

class TooLargeError extends NotaryHttpError {
  constructor() {
    super('MALFORMED_UPLOAD', `the update is larger than ${MAX_UPLOAD_BYTES} bytes`);
  }
}

class Body {
  constructor(
    readonly status: number,
    readonly data: Buffer | string,
    readonly headers: Record<string, string> = {},
  ) {}
}

const JSON_TYPE = 'application/json; charset=utf-8';

function httpDate(iso: string): string {
  const t = Date.parse(iso);
  return new Date(Number.isFinite(t) ? t : 0).toUTCString();
}

function fileBody(f: TufFile, cache: string): Body {
  return new Body(200, f.data, {
    'Content-Type': JSON_TYPE,
    'Cache-Control': cache,
    'Last-Modified': httpDate(f.created),
  });
}

/** Reads a request body up to `max` bytes; undefined when it is larger. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
  });
}

// Routes, in notary-server's order (the GUN is anything without '*').
const GUN = '([^*]+)';
const ROLE = '(root|targets(?:/[^/\\s]+)*|snapshot|timestamp)';
const RE_CHANGEFEED_ALL = /^\/v2\/_trust\/changefeed$/;
const RE_CHANGEFEED = new RegExp(`^/v2/${GUN}/_trust/changefeed$`);
const RE_TUF = new RegExp(`^/v2/${GUN}/_trust/tuf/$`);
const RE_BY_HASH = new RegExp(
  `^/v2/${GUN}/_trust/tuf/${ROLE}\\.([a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128})\\.json$`,
);
const RE_BY_VERSION = new RegExp(`^/v2/${GUN}/_trust/tuf/([1-9]*[0-9]+)\\.${ROLE}\\.json$`);
const RE_CURRENT = new RegExp(`^/v2/${GUN}/_trust/tuf/${ROLE}\\.json$`);
const RE_KEY = new RegExp(`^/v2/${GUN}/_trust/tuf/(snapshot|timestamp)\\.key$`);
const CATCH_ALL_METHODS = new Set(['GET', 'POST', 'PUT', 'HEAD', 'DELETE']);

class TrustServerApp {
  private readonly locks = new GunLocks();
  private readonly keys: ServerKeys;
  private readonly maxRoleBytes: number;

  constructor(
    private readonly store: TrustStore,
    private readonly now: () => Date,
    opts: TrustServerOptions,
  ) {
    const passphrase = opts.passphrase ?? process.env.DRYDOCK_TRUST_SERVER_PASSPHRASE;
    this.keys = new ServerKeys(store, opts.keyAlgorithm ?? 'ecdsa', passphrase || undefined);
    this.maxRoleBytes = opts.maxRoleBytes ?? MAX_ROLE_BYTES;
  }

  private ctx(): UpdateContext {
    return { store: this.store, keys: this.keys, now: this.now() };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let status = 500;
    try {
      const out = await this.route(req, method);
      status = out.status;
      res.writeHead(out.status, { 'Content-Length': String(Buffer.byteLength(out.data)), ...out.headers });
      res.end(out.data);
    } catch (e) {
      const err = this.toHttpError(e);
      status = err.status;
      const body = err.body();
      const headers: Record<string, string> = {
        'Content-Type': JSON_TYPE,
        'Content-Length': String(Buffer.byteLength(body)),
      };
      if (e instanceof TooLargeError) {
        // do not read the rest of an oversized upload
        headers.Connection = 'close';
        res.on('finish', () => req.destroy());
      }
      res.writeHead(err.status, headers);
      res.end(body);
    } finally {
      debug(`trust-server: ${method} ${req.url} ${status}`);
    }
  }

  private toHttpError(e: unknown): NotaryHttpError {
    if (e instanceof NotaryHttpError) return e;
    if (e instanceof OldVersionError) return new NotaryHttpError('VERSION', {});
    if (e instanceof UserError) return new NotaryHttpError('UNKNOWN', e.message);
    debug(`trust-server: internal error: ${(e as Error)?.stack ?? String(e)}`);
    return new NotaryHttpError('UNKNOWN', 'internal error');
  }

  private async route(req: IncomingMessage, method: string): Promise<Body> {
    const raw = (req.url ?? '/').split('?')[0] ?? '/';
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    let p: string;
    try {
      p = decodeURIComponent(raw);
    } catch {
      throw notFound();
    }
    const get = method === 'GET';
    if (get && p === '/_notary_server/health') return this.health();
    if (get && p === '/v2/') return new Body(200, '{}', { 'Content-Type': JSON_TYPE });
    if (get && RE_CHANGEFEED_ALL.test(p)) return this.changefeed(undefined, query);
    const feed = get ? RE_CHANGEFEED.exec(p) : null;
    if (feed) return this.changefeed(this.gun(feed[1]), query);
    const tuf = method === 'POST' || method === 'DELETE' ? RE_TUF.exec(p) : null;
    if (tuf) {
      const gun = this.gun(tuf[1]);
      if (method === 'DELETE') return this.locks.run(gun, () => this.deleteGun(gun));
      const body = await readBody(req, MAX_UPLOAD_BYTES);
      if (!body) throw new TooLargeError();
      return this.locks.run(gun, () => this.update(gun, String(req.headers['content-type'] ?? ''), body));
    }
    const byHash = get ? RE_BY_HASH.exec(p) : null;
    if (byHash) {
      const f = await this.store.getChecksum(this.gun(byHash[1]), byHash[2] as string, byHash[3] as string);
      if (!f) throw notFound();
      return fileBody(f, CACHE_CONSISTENT);
    }
    const byVersion = get ? RE_BY_VERSION.exec(p) : null;
    if (byVersion) {
      const v = Number(byVersion[2]);
      const gun = this.gun(byVersion[1]);
      const f = Number.isSafeInteger(v)
        ? await this.store.getVersion(gun, byVersion[3] as string, v)
        : undefined;
      if (!f) throw notFound();
      return fileBody(f, CACHE_CONSISTENT);
    }
    const cur = get ? RE_CURRENT.exec(p) : null;
    if (cur) return this.current(this.gun(cur[1]), cur[2] as string);
    const key = get || method === 'POST' ? RE_KEY.exec(p) : null;
    if (key) {
      const gun = this.gun(key[1]);
      const role = key[2] as ServerRole;
      return this.locks.run(gun, () => this.key(gun, role, method === 'POST'));
    }
    if (CATCH_ALL_METHODS.has(method)) throw new NotaryHttpError('METADATA_NOT_FOUND');
    return new Body(405, '');
  }

  private gun(g: string | undefined): string {
    if (!g || g.length > MAX_GUN_LENGTH) {
      throw new NotaryHttpError('INVALID_GUN', `a GUN has 1 to ${MAX_GUN_LENGTH} characters`);
    }
    return g;
  }

  private async health(): Promise<Body> {
    try {
      await this.store.health();
      return new Body(200, '{}', { 'Content-Type': JSON_TYPE });
    } catch (e) {
      return new Body(503, JSON.stringify({ storage: (e as Error).message }), { 'Content-Type': JSON_TYPE });
    }
  }

  private async current(gun: string, role: string): Promise<Body> {
    if (role === 'timestamp' || role === 'snapshot') {
      const cur = await this.locks.run(gun, () => currentTimestamp(this.ctx(), gun));
      return fileBody(role === 'timestamp' ? cur.timestamp : cur.snapshot, CACHE_CURRENT);
    }
    const f = await this.store.getCurrent(gun, role);
    if (!f) throw notFound();
    return fileBody(f, CACHE_CURRENT);
  }

  private async key(gun: string, role: ServerRole, rotate: boolean): Promise<Body> {
    const now = this.now();
    const key = rotate
      ? await this.keys.create(gun, role, now)
      : await this.keys.getOrCreate(gun, role, (await currentRoot(this.store, gun))?.signed, now);
    return new Body(200, ServerKeys.publicJson(key), { 'Content-Type': JSON_TYPE });
  }

  private async deleteGun(gun: string): Promise<Body> {
    const n = await this.store.deleteGun(gun, this.now());
    debug(`trust-server: deleted ${n} metadata file(s) of ${gun}`);
    return new Body(200, '');
  }

  private async update(gun: string, contentType: string, body: Buffer): Promise<Body> {
    const parts = parseMultipart(contentType, body, MAX_PARTS);
    if (!parts) throw new NotaryHttpError('MALFORMED_UPLOAD');
    const uploaded: UploadedRole[] = [];
    for (const part of parts) {
      const name = partFilename(part.headers);
      if (name === undefined) throw new NotaryHttpError('NO_FILENAME');
      const role = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name;
      if (role === '') throw new NotaryHttpError('NO_FILENAME');
      if (!isValidNotaryRole(role)) throw new NotaryHttpError('INVALID_ROLE', role);
      uploaded.push(decodeUploadedRole(role, part.data, this.maxRoleBytes));
    }
    const ctx = this.ctx();
    const updates = await validateUpdate(ctx, gun, uploaded);
    await this.store.updateMany(gun, updates, ctx.now);
    const ts = updates.find((u) => u.role === 'timestamp');
    debug(
      `trust-server: updated ${gun}: ${updates.map((u) => `${u.role} v${u.version}`).join(', ')} (timestamp v${ts?.version})`,
    );
    return new Body(200, '');
  }

  private async changefeed(gun: string | undefined, q: URLSearchParams): Promise<Body> {
    const recordsParam = q.get('records') ?? '';
    if (!/^[+-]?\d{1,10}$/.test(recordsParam) || Math.abs(Number(recordsParam)) > 2 ** 31 - 1) {
      throw new NotaryHttpError(
        'INVALID_PARAMETERS',
        `invalid records parameter: ${JSON.stringify(recordsParam)}`,
      );
    }
    let records = Number(recordsParam);
    const idParam = q.get('change_id') ?? '';
    if (idParam !== '' && (!/^[+-]?\d{1,10}$/.test(idParam) || Math.abs(Number(idParam)) > 2 ** 31 - 1)) {
      throw new NotaryHttpError('INVALID_PARAMETERS', {});
    }
    const id = idParam === '' ? 0 : Number(idParam);
    if (records === 0) records = 100;
    const reversed = id < 0 || records < 0;
    const changes = await this.store.getChanges({
      after: Math.max(id, 0),
      limit: Math.min(Math.abs(records), 10_000),
      reversed,
      gun,
    });
    const out = {
      count: changes.length,
      records: changes.map((c) => ({
        ID: String(c.id),
        CreatedAt: c.created,
        GUN: c.gun,
        Version: c.version,
        SHA256: c.sha256,
        Category: c.category,
      })),
    };
    return new Body(200, JSON.stringify(out), { 'Content-Type': JSON_TYPE });
  }
}

/** Starts the trust server; resolves once it listens. */
export async function startTrustServer(opts: TrustServerOptions = {}): Promise<RunningTrustServer> {
  const { host, port } = parseListen(opts.listen ?? DEFAULT_LISTEN);
  if (!!opts.tlsCert !== !!opts.tlsKey) throw new UserError('--tls-cert and --tls-key go together');
  const tls =
    opts.tlsCert && opts.tlsKey
      ? { cert: readPem(opts.tlsCert, '--tls-cert'), key: readPem(opts.tlsKey, '--tls-key') }
      : undefined;
  const store = await openTrustStore(opts.db ?? defaultTrustServerDb());
  const app = new TrustServerApp(store, opts.now ?? (() => new Date()), opts);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void app.handle(req, res);
  };
  let server: http.Server;
  try {
    server = tls ? https.createServer({ ...tls }, handler) : http.createServer(handler);
  } catch (e) {
    await store.close();
    throw new UserError(`cannot use the TLS certificate/key: ${(e as Error).message}`);
  }
  server.keepAliveTimeout = 5000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await store.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot listen on ${host}:${port}: ${code ?? (e as Error).message}`);
  }
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `${tls ? 'https' : 'http'}://${urlHost}:${addr.port}`;
  debug(`trust-server: listening on ${url}, storage ${store.kind} ${store.location}`);
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await store.close();
      })();
      return closing;
    },
  };
}

/** `drydock trust server`: prints the URL, serves until SIGINT/SIGTERM. */
export async function runTrustServer(o: TrustServerOptions = {}): Promise<void> {
  const s = await startTrustServer(o);
  const db = o.db ?? defaultTrustServerDb();
  process.stdout.write(`${s.url}\n`);
  process.stderr.write(
    `drydock trust server: listening on ${s.url}, storage ${/^postgres/i.test(db) ? redactUrl(db) : db} (Ctrl-C stops)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await s.close();
}
