// Registry HTTP API v2 client: auth challenges (Basic, Bearer tokens), retries with backoff,
// redirects that never carry credentials to another origin, timeouts, resumable blob streams.

import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, RegistryError } from '../../errors.js';
import { debug } from '../../log.js';
import { digestOf, isDigest } from '../../util/digest.js';
import { HttpAgents, type HttpResponse, httpRequest } from '../../util/http.js';
import { MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, MEDIA } from '../manifest.js';
import { type CredentialOptions, type Credentials, findCredentials } from './credentials.js';
import { apiHost, isLoopbackHost, type Reference } from './reference.js';

export interface RegistryOptions {
  /** Plain HTTP instead of HTTPS. */
  insecure?: boolean;
  credentials?: CredentialOptions;
  /** Connect / response-header / idle-body timeout, in ms. */
  timeoutMs?: number;
  /** Attempts after the first for 429, 5xx, network errors and stalled blobs. */
  retries?: number;
  /** First backoff delay in ms (doubles each time). */
  retryBaseMs?: number;
}

interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header: `Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  let p: RegExpExecArray | null;
  // biome-ignore lint/suspicious/noAssignInExpressions: standard regex loop
  while ((p = re.exec(m[2] as string)) !== null) {
    params[(p[1] as string).toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readLimited(body: Readable, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      body.destroy();
      throw new RegistryError(`${what} is larger than ${max} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks, n);
}

function errorCode(body: Buffer): string {
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e?.code) return ` ${e.code}${e.message ? `: ${e.message}` : ''}`;
  } catch {
    // not JSON: no detail
  }
  return '';
}

/** An OCI content descriptor as listed in an index (referrers) or a manifest. */
export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The referrers tag schema: the tag that stands in for the referrers API ("sha256-<hex>"). */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

function parseIndexDescriptors(data: Buffer, what: string): OciDescriptor[] {
  let j: unknown;
  try {
    j = JSON.parse(data.toString('utf8'));
  } catch {
    throw new RegistryError(`${what} is not valid JSON`);
  }
  const manifests = (j as { manifests?: unknown } | null)?.manifests;
  if (manifests === undefined || manifests === null) return [];
  if (!Array.isArray(manifests)) throw new RegistryError(`${what}: "manifests" is not a list`);
  const out: OciDescriptor[] = [];
  for (const m of manifests as unknown[]) {
    const d = m as Partial<OciDescriptor> | null;
    if (
      !d ||
      typeof d.mediaType !== 'string' ||
      typeof d.digest !== 'string' ||
      !isDigest(d.digest) ||
      typeof d.size !== 'number'
    ) {
      throw new RegistryError(`${what}: a descriptor lacks mediaType, a valid digest or size`);
    }
    out.push({
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
      ...(typeof d.artifactType === 'string' ? { artifactType: d.artifactType } : {}),
      ...(d.annotations && typeof d.annotations === 'object' ? { annotations: d.annotations } : {}),
    });
  }
  return out;
}

const MAX_TAGS = 100_000;

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

export class RegistryClient {
  readonly host: string;
  private origin: string;
  private readonly agents = new HttpAgents();
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private authorization: string | undefined;
  private readonly creds: Credentials | undefined;
  private schemeSettled: boolean;

  constructor(
    readonly ref: Reference,
    opts: RegistryOptions = {},
  ) {
    this.host = apiHost(ref.registry);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 3;
    this.retryBaseMs = opts.retryBaseMs ?? 500;
    // Like Docker, loopback registries may be plain HTTP: try HTTPS, fall back on a TLS failure.
    this.origin = `${opts.insecure ? 'http' : 'https'}://${this.host}`;
    this.schemeSettled = !!opts.insecure || !isLoopbackHost(this.host);
    this.creds = findCredentials(ref.registry, opts.credentials ?? {});
  }

  async close(): Promise<void> {
    this.agents.close();
  }

  private repoUrl(kind: 'manifests' | 'blobs', ref: string): string {
    return `${this.origin}/v2/${this.ref.repository}/${kind}/${ref}`;
  }

  private backoff(attempt: number, retryAfter?: string): number {
    const ra = retryAfter ? Number(retryAfter) : Number.NaN;
    if (Number.isFinite(ra) && ra >= 0) return Math.min(ra * 1000, 30_000);
    return this.retryBaseMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
  }

  /** Obtains a token for a Bearer challenge (or prepares Basic auth); true if we have something new to try. */
  private async authenticate(ch: Challenge): Promise<boolean> {
    if (ch.scheme === 'basic') {
      if (!this.creds) return false;
      const next = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`;
      if (next === this.authorization) return false;
      this.authorization = next;
      return true;
    }
    const realm = ch.params.realm;
    if (!realm) throw new RegistryError(`registry ${this.host} sent a Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError(`registry ${this.host} sent an invalid token realm "${realm}"`);
    }
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    const scope = ch.params.scope ?? `repository:${this.ref.repository}:pull`;
    for (const s of scope.split(' ')) if (s) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { 'user-agent': 'drydock' };
    if (this.creds) {
      headers.authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`;
    }
    debug(
      `registry: token request to ${url.origin}${url.pathname} scope=${scope}${this.creds ? ' (with credentials)' : ''}`,
    );
    const res = await this.send(url.toString(), headers, { auth: false });
    const body = await readLimited(res.body, 1 << 20, 'token response');
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new RegistryError(
        `token server ${url.host} refused ${this.creds ? 'the credentials' : 'anonymous access'} (${res.statusCode})`,
        { status: res.statusCode },
      );
    }
    if (res.statusCode !== 200) {
      throw new RegistryError(`token server ${url.host} answered ${res.statusCode}`, {
        status: res.statusCode,
      });
    }
    let token: string | undefined;
    try {
      const j = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
      token = j.token || j.access_token;
    } catch {
      // handled below
    }
    if (!token) throw new RegistryError(`token server ${url.host} sent no token`);
    const next = `Bearer ${token}`;
    if (next === this.authorization) return false;
    this.authorization = next;
    return true;
  }

  /**
   * One logical request: retries on 429/5xx/network errors, follows redirects (credentials stay
   * with the registry's origin), answers auth challenges once.
   */
  private async send(
    url: string,
    headers: Record<string, string>,
    opts: { auth: boolean; method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE'; body?: Buffer } = {
      auth: true,
    },
  ): Promise<HttpResponse> {
    let current = url;
    let attempt = 0;
    let redirects = 0;
    let authTried = false;
    for (;;) {
      const h: Record<string, string> = { 'user-agent': 'drydock', ...headers };
      const target = new URL(current);
      if (opts.auth && this.authorization && target.origin === this.origin)
        h.authorization = this.authorization;
      let res: HttpResponse;
      try {
        const method = opts.method ?? 'GET';
        res = await httpRequest(current, {
          method,
          headers: h,
          ...(method === 'GET' || method === 'HEAD' ? {} : { body: opts.body ?? Buffer.alloc(0) }),
          timeoutMs: this.timeoutMs,
          agents: this.agents,
        });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (!this.schemeSettled && target.origin === this.origin && this.origin.startsWith('https:')) {
          // A plain-HTTP loopback registry answers TLS with garbage: switch to http once.
          debug(`registry: https to ${this.host} failed (${describe(e)}); trying plain http`);
          this.schemeSettled = true;
          this.origin = `http://${this.host}`;
          current = current.replace(/^https:/, 'http:');
          continue;
        }
        if (attempt < this.retries && code !== 'ERR_INVALID_URL') {
          const wait = this.backoff(attempt++);
          debug(
            `registry: ${describe(e)} on ${current}; retry ${attempt}/${this.retries} in ${Math.round(wait)} ms`,
          );
          await sleep(wait);
          continue;
        }
        throw new RegistryError(`cannot reach ${target.host}: ${describe(e)}`, { cause: e });
      }
      if (target.origin === this.origin) this.schemeSettled = true;
      const status = res.statusCode;
      if (status >= 300 && status < 400 && status !== 304) {
        const loc = header(res, 'location');
        await res.dump();
        if (!loc) throw new RegistryError(`${target.host} answered ${status} without a Location`);
        if (++redirects > 5) throw new RegistryError(`too many redirects from ${target.host}`);
        current = new URL(loc, current).toString();
        debug(`registry: redirected to ${new URL(current).origin}`);
        continue;
      }
      if (status === 401 && opts.auth && target.origin === this.origin && !authTried) {
        const ch = parseChallenge(header(res, 'www-authenticate') ?? '');
        await res.dump();
        authTried = true;
        if (ch && (await this.authenticate(ch))) continue;
        if (!this.creds) {
          throw new RegistryError(
            `registry ${this.host} requires authentication: use --username/--password, DRYDOCK_USERNAME/DRYDOCK_PASSWORD or docker login`,
            { status },
          );
        }
        throw new RegistryError(
          `registry ${this.host} refused the credentials for ${this.creds.username} (401)`,
          { status },
        );
      }
      if (status === 401 && opts.auth && authTried && this.creds && target.origin === this.origin) {
        await res.dump();
        throw new RegistryError(
          `registry ${this.host} refused the credentials for ${this.creds.username} (401)`,
          { status },
        );
      }
      if (RETRY_STATUS.has(status) && attempt < this.retries) {
        const wait = this.backoff(attempt++, header(res, 'retry-after'));
        await res.dump();
        debug(
          `registry: ${status} from ${target.host}; retry ${attempt}/${this.retries} in ${Math.round(wait)} ms`,
        );
        await sleep(wait);
        continue;
      }
      return res;
    }
  }

  private async fail(res: HttpResponse, what: string): Promise<never> {
    const body = await readLimited(res.body, 64 * 1024, 'error response').catch(() => Buffer.alloc(0));
    const detail = errorCode(body);
    const s = res.statusCode;
    if (s === 401) {
      throw new RegistryError(`registry ${this.host} refused access to ${what} (401${detail})`, {
        status: s,
      });
    }
    if (s === 403)
      throw new RegistryError(`registry ${this.host} denied access to ${what} (403${detail})`, { status: s });
    if (s === 404)
      throw new RegistryError(`${what} not found in registry ${this.host} (404${detail})`, { status: s });
    if (s === 429)
      throw new RegistryError(`registry ${this.host} is rate-limiting us (429) for ${what}; try later`, {
        status: s,
      });
    throw new RegistryError(`registry ${this.host} answered ${s} for ${what}${detail}`, { status: s });
  }

  /** Fetches a manifest or index by tag or digest; the body is verified against a requested digest. */
  async getManifest(
    reference: string,
  ): Promise<{ data: Buffer; mediaType: string | undefined; digest: string }> {
    const what = `manifest ${this.ref.repository}:${reference}`.replace(':sha256:', '@sha256:');
    const res = await this.send(this.repoUrl('manifests', reference), { accept: MANIFEST_ACCEPT.join(', ') });
    if (res.statusCode !== 200) await this.fail(res, what);
    const len = Number(header(res, 'content-length'));
    if (Number.isFinite(len) && len > MAX_MANIFEST_BYTES) {
      res.body.destroy();
      throw new RegistryError(`${what} is ${len} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`);
    }
    const data = await readLimited(res.body, MAX_MANIFEST_BYTES, what);
    const served = header(res, 'docker-content-digest');
    const algorithm = reference.includes(':')
      ? (reference.split(':')[0] as string)
      : (served?.split(':')[0] ?? 'sha256');
    const digest = digestOf(data, algorithm === 'sha512' ? 'sha512' : 'sha256');
    if (reference.includes(':') && digest !== reference) {
      throw new RegistryError(`digest mismatch for ${what}: got ${digest}`);
    }
    if (served && served.split(':')[0] === digest.split(':')[0] && served !== digest) {
      throw new RegistryError(`digest mismatch for ${what}: registry says ${served}, content is ${digest}`);
    }
    return { data, mediaType: header(res, 'content-type'), digest };
  }

  /** Reads a small blob (config) whole. */
  async getBlob(digest: string, maxBytes: number): Promise<Buffer> {
    const res = await this.send(this.repoUrl('blobs', digest), {});
    if (res.statusCode !== 200) await this.fail(res, `blob ${digest}`);
    return readLimited(res.body, maxBytes, `blob ${digest}`);
  }

  /**
   * Streams a blob. A connection that drops or stalls is resumed with a Range request (or
   * restarted, skipping what we already have), up to `retries` times.
   */
  openBlob(digest: string, size: number | undefined): Readable {
    const out = new PassThrough({ highWaterMark: 256 * 1024 });
    let received = 0;
    let current: Readable | undefined;
    out.on('close', () => current?.destroy());
    const run = async () => {
      let failures = 0;
      for (;;) {
        const headers: Record<string, string> = {};
        if (received > 0) headers.range = `bytes=${received}-`;
        const res = await this.send(this.repoUrl('blobs', digest), headers);
        if (res.statusCode !== 200 && res.statusCode !== 206) await this.fail(res, `blob ${digest}`);
        let skip = res.statusCode === 200 ? received : 0;
        current = res.body;
        try {
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            if (out.destroyed) return;
            let c = chunk;
            if (skip > 0) {
              if (c.length <= skip) {
                skip -= c.length;
                continue;
              }
              c = c.subarray(skip);
              skip = 0;
            }
            received += c.length;
            if (!out.write(c)) await once(out, 'drain');
          }
          out.end();
          return;
        } catch (e) {
          if (out.destroyed) return;
          if (size !== undefined && received >= size) {
            out.end();
            return;
          }
          const stalled = /timeout/i.test((e as Error).name + (e as Error).message);
          if (failures++ >= this.retries) {
            throw new RegistryError(
              `registry ${this.host} ${stalled ? `stalled (no data for ${this.timeoutMs / 1000}s)` : `broke off (${describe(e)})`} while sending blob ${digest} after ${received}${size ? ` of ${size}` : ''} bytes`,
            );
          }
          debug(`registry: blob ${digest} interrupted at ${received} bytes (${describe(e)}); resuming`);
          await sleep(this.backoff(failures - 1));
        }
      }
    };
    run().catch((e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
    return out;
  }
  // ---- push and listing (content trust: signatures, referrers) ----

  /** True when the registry already has the blob (HEAD). */
  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.send(this.repoUrl('blobs', digest), {}, { auth: true, method: 'HEAD' });
    await res.dump();
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    return this.fail(res, `blob ${digest}`);
  }

  /**
   * Uploads a blob in one piece (POST /blobs/uploads/, then PUT ?digest=) unless the registry
   * already has it; returns its digest.
   */
  async putBlob(data: Buffer): Promise<string> {
    const digest = digestOf(data, 'sha256');
    if (await this.hasBlob(digest)) return digest;
    const what = `upload of blob ${digest} to ${this.ref.repository}`;
    const start = await this.send(
      `${this.origin}/v2/${this.ref.repository}/blobs/uploads/`,
      {},
      { auth: true, method: 'POST' },
    );
    if (start.statusCode !== 202) await this.fail(start, what);
    await start.dump();
    const loc = header(start, 'location');
    if (!loc) throw new RegistryError(`registry ${this.host} started an upload without a Location`);
    const url = new URL(loc, `${this.origin}/`);
    url.searchParams.set('digest', digest);
    const put = await this.send(
      url.toString(),
      { 'content-type': 'application/octet-stream' },
      { auth: true, method: 'PUT', body: data },
    );
    if (put.statusCode !== 201) await this.fail(put, what);
    await put.dump();
    const got = header(put, 'docker-content-digest');
    if (got && got !== digest) {
      throw new RegistryError(`registry ${this.host} stored blob ${digest} as ${got}`);
    }
    return digest;
  }

  /** Pushes a manifest (or index) under a tag or its digest; returns its digest. */
  async putManifest(reference: string, body: Buffer, mediaType: string): Promise<string> {
    if (body.length > MAX_MANIFEST_BYTES) {
      throw new RegistryError(
        `manifest for ${this.ref.repository}:${reference} is larger than ${MAX_MANIFEST_BYTES} bytes`,
      );
    }
    const digest = digestOf(body, 'sha256');
    if (reference.includes(':') && reference !== digest) {
      throw new RegistryError(`manifest content is ${digest}, not ${reference}`);
    }
    const what = `push of manifest ${this.ref.repository}:${reference}`.replace(':sha256:', '@sha256:');
    const res = await this.send(
      this.repoUrl('manifests', reference),
      { 'content-type': mediaType },
      { auth: true, method: 'PUT', body },
    );
    if (res.statusCode !== 201 && res.statusCode !== 200) await this.fail(res, what);
    await res.dump();
    const got = header(res, 'docker-content-digest');
    if (got && got !== digest) {
      throw new RegistryError(`registry ${this.host} stored manifest ${digest} as ${got}`);
    }
    return digest;
  }

  /** All tags of the repository (follows Link pagination). */
  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = `${this.origin}/v2/${this.ref.repository}/tags/list?n=1000`;
    const what = `tag list of ${this.ref.repository}`;
    for (let page = 0; url; page++) {
      if (page > 1000) throw new RegistryError(`${what} has too many pages`);
      const res = await this.send(url, { accept: 'application/json' });
      if (res.statusCode !== 200) await this.fail(res, what);
      const data = await readLimited(res.body, MAX_MANIFEST_BYTES, what);
      let j: { tags?: unknown };
      try {
        j = JSON.parse(data.toString('utf8')) as { tags?: unknown };
      } catch {
        throw new RegistryError(`${what} from ${this.host} is not valid JSON`);
      }
      if (j.tags !== null && j.tags !== undefined) {
        if (!Array.isArray(j.tags) || j.tags.some((t) => typeof t !== 'string')) {
          throw new RegistryError(`${what} from ${this.host}: "tags" is not a list of strings`);
        }
        tags.push(...(j.tags as string[]));
      }
      if (tags.length > MAX_TAGS) throw new RegistryError(`${what} has more than ${MAX_TAGS} tags`);
      const link = header(res, 'link');
      const next = link ? /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link)?.[1] : undefined;
      if (!next) break;
      const n: URL = new URL(next, url);
      if (n.origin !== this.origin) throw new RegistryError(`${what}: next page points to another host`);
      url = n.toString();
    }
    return tags;
  }

  /**
   * Manifests that refer to `digest` (their subject): the OCI 1.1 referrers API, or, where the
   * registry lacks it (404), the referrers tag schema index `sha256-<hex>`. Filtered by artifactType.
   */
  async getReferrers(digest: string, artifactType?: string): Promise<OciDescriptor[]> {
    if (!isDigest(digest)) throw new RegistryError(`invalid digest "${digest}" for a referrers query`);
    const what = `referrers of ${this.ref.repository}@${digest}`;
    const url = new URL(`${this.origin}/v2/${this.ref.repository}/referrers/${digest}`);
    if (artifactType) url.searchParams.set('artifactType', artifactType);
    const res = await this.send(url.toString(), { accept: MEDIA.ociIndex });
    let list: OciDescriptor[];
    if (res.statusCode === 200) {
      const data = await readLimited(res.body, MAX_MANIFEST_BYTES, what);
      list = parseIndexDescriptors(data, what);
    } else if (res.statusCode === 404 || res.statusCode === 405) {
      await res.dump();
      debug(
        `registry: ${this.host} has no referrers API (${res.statusCode}); trying tag ${referrersTag(digest)}`,
      );
      let index: Buffer;
      try {
        index = (await this.getManifest(referrersTag(digest))).data;
      } catch (e) {
        if (e instanceof RegistryError && e.status === 404) return [];
        throw e;
      }
      list = parseIndexDescriptors(index, `referrers index ${this.ref.repository}:${referrersTag(digest)}`);
    } else {
      return this.fail(res, what);
    }
    return artifactType ? list.filter((d) => d.artifactType === artifactType) : list;
  }
}
