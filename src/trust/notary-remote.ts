// HTTP(S) client for a Notary server (the trust server behind Docker Content Trust):
//
//   GET  /v2/<gun>/_trust/tuf/<role>.json            metadata (also <version>.<role>.json, <role>.<sha256>.json)
//   GET  /v2/<gun>/_trust/tuf/{timestamp,snapshot}.key   the server-held public key (created on first use)
//   POST /v2/<gun>/_trust/tuf/{timestamp,snapshot}.key   rotate that key
//   POST /v2/<gun>/_trust/tuf/                       publish: multipart/form-data, one part per role,
//        each `Content-Disposition: form-data; name="files"; filename="<role>"` and
//        `Content-Type: application/octet-stream` (Go's mime/multipart, as the notary CLI sends it)
//   DELETE /v2/<gun>/_trust/tuf/                     delete the repository's trust data
//
// TLS trusts node's CA list, the system bundle, NODE_EXTRA_CA_CERTS and `tlsCa`; certificates are
// always verified (plain http:// only when the server URL says so). A 401 with a Bearer challenge
// gets a token from the realm (credentials from flags, DRYDOCK_USERNAME/PASSWORD or the docker
// config for the server's host), as the registry does. Every body read is size-capped.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { UserError } from '../errors.js';
import { parseChallenge } from '../image/registry/client.js';
import { type CredentialOptions, type Credentials, findCredentials } from '../image/registry/credentials.js';
import { checkGun } from './cache.js';
import { parseStrictJson } from './cjson.js';
import type { TufRemote } from './client.js';
import { KEY_TYPES, type TufKey } from './keys.js';
import { isRoleName } from './metadata.js';

export interface NotaryRemoteOptions {
  /** https://host:port (a bare host:port means https). */
  server: string;
  /** A PEM file of extra CA certificates for the server's TLS certificate. */
  tlsCa?: string;
  credentials?: CredentialOptions;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
}

const MAX_ERROR_BYTES = 64 * 1024;
const MAX_KEY_BYTES = 64 * 1024;
const MAX_TOKEN_BYTES = 1 << 20;
/** Upload limit the notary server applies to a whole update. */
const MAX_PUBLISH_BYTES = 64 * 1024 * 1024;
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

interface Resp {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Normalises a server URL: scheme (https by default), no trailing slash, no path. */
export function normalizeServerUrl(server: string): string {
  let s = server.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `https://${s}`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new UserError(`invalid trust server URL "${server}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new UserError(`invalid trust server URL "${server}": use https://host[:port]`);
  }
  if (u.username || u.password) throw new UserError(`trust server URL "${server}" must not hold credentials`);
  const p = u.pathname.replace(/\/+$/, '');
  return `${u.protocol}//${u.host}${p}`;
}

let systemCas: string[] | undefined;
function systemCaCerts(): string[] {
  if (systemCas) return systemCas;
  const out: string[] = [];
  for (const f of SYSTEM_BUNDLES) {
    try {
      out.push(readFileSync(f, 'utf8'));
      break;
    } catch {
      // next candidate
    }
  }
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      out.push(readFileSync(extra, 'utf8'));
    } catch {
      // node already warned about it at start-up
    }
  }
  systemCas = out;
  return out;
}

/** The CA list for the trust server: node's, the system's, NODE_EXTRA_CA_CERTS and tlsCa. */
export function trustServerCas(tlsCa?: string): string[] {
  const cas = [...tls.rootCertificates, ...systemCaCerts()];
  if (tlsCa) {
    let pem: string;
    try {
      pem = readFileSync(tlsCa, 'utf8');
    } catch (err) {
      throw new UserError(
        `--tls-ca ${tlsCa}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new UserError(`--tls-ca ${tlsCa}: not a PEM certificate file`);
    }
    cas.push(pem);
  }
  return cas;
}

/** One multipart/form-data body as Go's mime/multipart writes it (CreateFormFile("files", role)). */
export function encodeMultipart(
  files: Map<string, Buffer>,
  boundary = randomBytes(30).toString('hex'),
): { body: Buffer; contentType: string } {
  const parts: Buffer[] = [];
  let first = true;
  for (const [role, bytes] of files) {
    const name = role.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    parts.push(
      Buffer.from(
        `${first ? '' : '\r\n'}--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        'utf8',
      ),
      bytes,
    );
    first = false;
  }
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function errorDetail(body: Buffer): string {
  try {
    const j = JSON.parse(body.toString('utf8')) as {
      errors?: { code?: string; message?: string; detail?: unknown }[];
    };
    const e = j.errors?.[0];
    if (e?.code) {
      const detail =
        e.detail === undefined || e.detail === null || e.detail === ''
          ? ''
          : ` (${typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)})`;
      return `${e.code}${e.message ? `: ${e.message}` : ''}${detail}`.replace(/\s+/g, ' ').slice(0, 300);
    }
  } catch {
    // not JSON
  }
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim();
  return text.slice(0, 200);
}

export class NotaryRemote implements TufRemote {
  readonly server: string;
  readonly gun: string;
  private readonly agent: https.Agent;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly timeoutMs: number;
  private readonly creds: Credentials | undefined;
  private readonly tokens = new Map<string, string>();
  private basic: string | undefined;

  constructor(gun: string, opts: NotaryRemoteOptions) {
    this.gun = checkGun(gun);
    this.server = normalizeServerUrl(opts.server);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 4, ca: trustServerCas(opts.tlsCa) });
    this.creds = findCredentials(new URL(this.server).host, opts.credentials ?? {});
  }

  close(): void {
    this.agent.destroy();
    this.httpAgent.destroy();
  }

  private tufUrl(p: string): string {
    return `${this.server}/v2/${this.gun}/_trust/tuf/${p}`;
  }

  private request(
    url: string,
    opts: { method: string; headers?: Record<string, string>; body?: Buffer; maxBytes: number; what: string },
  ): Promise<Resp> {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const isHttps = u.protocol === 'https:';
      const headers: Record<string, string> = { 'user-agent': 'drydock', ...opts.headers };
      if (opts.body) headers['content-length'] = String(opts.body.length);
      const req = (isHttps ? https : http).request(
        u,
        {
          method: opts.method,
          headers,
          agent: isHttps ? this.agent : this.httpAgent,
          timeout: this.timeoutMs,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          // Error bodies are only read for their message.
          const cap =
            status >= 200 && status < 300 ? opts.maxBytes : Math.min(opts.maxBytes, MAX_ERROR_BYTES);
          const len = Number(res.headers['content-length']);
          if (status >= 200 && status < 300 && Number.isFinite(len) && len > cap) {
            res.destroy();
            reject(
              new UserError(`${opts.what} from ${u.host} is ${len} bytes, more than the ${cap} allowed`),
            );
            return;
          }
          const chunks: Buffer[] = [];
          let n = 0;
          res.on('data', (c: Buffer) => {
            n += c.length;
            if (n > cap) {
              res.destroy();
              if (status >= 200 && status < 300) {
                reject(new UserError(`${opts.what} from ${u.host} is larger than the ${cap} bytes allowed`));
              } else {
                resolve({ status, headers: res.headers, body: Buffer.concat(chunks) });
              }
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(chunks, n) }));
          res.on('error', (e) => reject(e));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer for ${this.timeoutMs / 1000}s (timeout)`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        const code = e.code ? ` (${e.code})` : '';
        const hint = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(e.code ?? '')
          ? '; give the server CA with --tls-ca'
          : e.code === 'EPROTO' || /wrong version number/.test(e.message)
            ? '; it does not speak TLS there: is this the Notary server? (--server or DOCKER_CONTENT_TRUST_SERVER)'
            : '';
        reject(
          new UserError(
            `cannot reach trust server ${u.host}: ${e.message.split('\n')[0]}${e.message.includes(e.code ?? '\0') ? '' : code}${hint}`,
          ),
        );
      });
      req.end(opts.body);
    });
  }

  /** Gets a token for a Bearer challenge (or prepares Basic auth). True when there is something new to try. */
  private async authenticate(header: string | undefined, what: string): Promise<string | undefined> {
    const ch = parseChallenge(header ?? '');
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      if (!this.creds) return undefined;
      this.basic = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`;
      return this.basic;
    }
    const realm = ch.params.realm;
    if (!realm) throw new UserError(`trust server ${this.host()} sent a Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new UserError(`trust server ${this.host()} sent an invalid token realm "${realm}"`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new UserError(`trust server ${this.host()} sent an invalid token realm "${realm}"`);
    }
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    const scope = ch.params.scope ?? `repository:${this.gun}:pull`;
    for (const s of scope.split(' ')) if (s) url.searchParams.append('scope', s);
    const cached = this.tokens.get(scope);
    const headers: Record<string, string> = {};
    if (this.creds) {
      headers.authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`;
    }
    const res = await this.request(url.toString(), {
      method: 'GET',
      headers,
      maxBytes: MAX_TOKEN_BYTES,
      what: 'token response',
    });
    if (res.status === 401 || res.status === 403) {
      throw new UserError(
        `token server ${url.host} refused ${this.creds ? `the credentials of ${this.creds.username}` : 'anonymous access'} for ${what} (${res.status})`,
      );
    }
    if (res.status !== 200)
      throw new UserError(`token server ${url.host} answered ${res.status} for ${what}`);
    let token: string | undefined;
    try {
      const j = JSON.parse(res.body.toString('utf8')) as { token?: unknown; access_token?: unknown };
      const t = j.token || j.access_token;
      if (typeof t === 'string' && t) token = t;
    } catch {
      // handled below
    }
    if (!token) throw new UserError(`token server ${url.host} sent no token`);
    const value = `Bearer ${token}`;
    if (cached === value) return undefined;
    this.tokens.set(scope, value);
    return value;
  }

  private host(): string {
    return new URL(this.server).host;
  }

  /** One request with auth: tries the last credentials that worked, answers one 401 challenge. */
  private async send(
    url: string,
    opts: { method: string; headers?: Record<string, string>; body?: Buffer; maxBytes: number; what: string },
  ): Promise<Resp> {
    let auth = this.lastAuth;
    for (let attempt = 0; ; attempt++) {
      const headers = { ...opts.headers, ...(auth ? { authorization: auth } : {}) };
      const res = await this.request(url, { ...opts, headers });
      if (res.status !== 401 || attempt > 0) {
        if (res.status === 401) {
          throw new UserError(
            `trust server ${this.host()} refused ${this.creds ? `the credentials of ${this.creds.username}` : 'anonymous access'} for ${opts.what} (401${this.detail(res)})`,
          );
        }
        this.lastAuth = auth;
        return res;
      }
      const next = await this.authenticate(
        Array.isArray(res.headers['www-authenticate'])
          ? res.headers['www-authenticate'][0]
          : res.headers['www-authenticate'],
        opts.what,
      );
      if (!next) {
        throw new UserError(
          `trust server ${this.host()} requires authentication for ${opts.what}: use --username/--password, DRYDOCK_USERNAME/DRYDOCK_PASSWORD or docker login ${this.host()}`,
        );
      }
      auth = next;
    }
  }
  private lastAuth: string | undefined;

  private detail(res: Resp): string {
    const d = errorDetail(res.body);
    return d ? `: ${d}` : '';
  }

  private fail(res: Resp, what: string): never {
    throw new UserError(`trust server ${this.host()} answered ${res.status} for ${what}${this.detail(res)}`);
  }

  /**
   * TufRemote: a metadata file ("root.json", "2.root.json", "targets/releases.json",
   * "snapshot.<sha256>.json"). 404 → undefined; larger than maxBytes → UserError.
   */
  async get(p: string, maxBytes: number): Promise<Buffer | undefined> {
    const m = /^(?:(\d{1,10})\.)?(.+?)(?:\.([0-9a-f]{64}))?\.json$/.exec(p);
    if (!m || !isRoleName(m[2] as string)) throw new UserError(`invalid TUF metadata path "${p}"`);
    const what = `${p} for ${this.gun}`;
    const res = await this.send(this.tufUrl(p), { method: 'GET', maxBytes, what });
    if (res.status === 404) return undefined;
    if (res.status !== 200) this.fail(res, what);
    return res.body;
  }

  private parseKey(body: Buffer, what: string): TufKey {
    const j = parseStrictJson(body, what, MAX_KEY_BYTES) as Record<string, unknown>;
    const keyval = j?.keyval as Record<string, unknown> | undefined;
    if (
      typeof j !== 'object' ||
      j === null ||
      !(KEY_TYPES as readonly unknown[]).includes(j.keytype) ||
      typeof keyval !== 'object' ||
      keyval === null ||
      typeof keyval.public !== 'string' ||
      keyval.public === ''
    ) {
      throw new UserError(`${what}: not a TUF public key`);
    }
    if (keyval.private !== null && keyval.private !== undefined && keyval.private !== '') {
      throw new UserError(`${what}: the server sent a private key`);
    }
    return { keytype: j.keytype as TufKey['keytype'], keyval: { public: keyval.public, private: null } };
  }

  /** The server-held public key for timestamp or snapshot (the server creates it on first use). */
  async getKey(role: 'timestamp' | 'snapshot'): Promise<TufKey> {
    const what = `${role}.key for ${this.gun}`;
    const res = await this.send(this.tufUrl(`${role}.key`), { method: 'GET', maxBytes: MAX_KEY_BYTES, what });
    if (res.status !== 200) this.fail(res, what);
    return this.parseKey(res.body, what);
  }

  /** Asks the server for a new timestamp or snapshot key (Notary's key rotation with -r). */
  async rotateKey(role: 'timestamp' | 'snapshot'): Promise<TufKey> {
    const what = `rotating the ${role} key of ${this.gun}`;
    const res = await this.send(this.tufUrl(`${role}.key`), {
      method: 'POST',
      body: Buffer.alloc(0),
      maxBytes: MAX_KEY_BYTES,
      what,
    });
    if (res.status !== 200) this.fail(res, what);
    return this.parseKey(res.body, `${role}.key for ${this.gun}`);
  }

  /** Publishes signed metadata (role → bytes) in one update; the server signs snapshot/timestamp. */
  async publish(files: Map<string, Buffer>): Promise<void> {
    if (files.size === 0) return;
    for (const role of files.keys()) {
      if (!isRoleName(role)) throw new UserError(`cannot publish invalid role "${role}"`);
    }
    const { body, contentType } = encodeMultipart(files);
    if (body.length > MAX_PUBLISH_BYTES)
      throw new UserError(`update for ${this.gun} is too large to publish`);
    const what = `publishing ${[...files.keys()].join(', ')} for ${this.gun}`;
    const res = await this.send(this.tufUrl(''), {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
      maxBytes: MAX_ERROR_BYTES,
      what,
    });
    if (res.status !== 200 && res.status !== 201 && res.status !== 204) this.fail(res, what);
  }

  /** Deletes all trust data of the GUN on the server. */
  async deleteRepository(): Promise<void> {
    const what = `deleting the trust data of ${this.gun}`;
    const res = await this.send(this.tufUrl(''), { method: 'DELETE', maxBytes: MAX_ERROR_BYTES, what });
    if (res.status !== 200 && res.status !== 204 && res.status !== 404) this.fail(res, what);
  }
}
