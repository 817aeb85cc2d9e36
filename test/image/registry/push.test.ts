// Registry push and listing (blobs, manifests, tags, referrers) against the real test registries
// (Debian's docker-registry 2.8: no referrers API, so the tag schema fallback is what runs there).

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { RegistryError } from '../../../src/errors.js';
import { RegistryClient, type RegistryOptions, referrersTag } from '../../../src/image/registry/client.js';
import { parseReference } from '../../../src/image/registry/reference.js';
import { CREDS, REGISTRY, SKIP_REGISTRY } from '../../helpers/env.js';
import { startProxy } from '../../helpers/fault-proxy.js';

const REPO = 'dd/push-test';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function client(host: string, opts: RegistryOptions = { insecure: true }, tag = 'x'): RegistryClient {
  return new RegistryClient(parseReference(`${host}/${REPO}:${tag}`), opts);
}

async function withClient<T>(c: RegistryClient, fn: (c: RegistryClient) => Promise<T>): Promise<T> {
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** A small image manifest (optionally an artifact with a subject) whose blobs are pushed. */
async function pushManifest(
  c: RegistryClient,
  ref: string,
  extra: Record<string, unknown> = {},
): Promise<{ digest: string; body: Buffer }> {
  const layer = randomBytes(32);
  const config = Buffer.from('{}');
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: EMPTY_CONFIG, digest: await c.putBlob(config), size: config.length },
      layers: [{ mediaType: 'application/octet-stream', digest: await c.putBlob(layer), size: layer.length }],
      ...extra,
    }),
  );
  return { digest: await c.putManifest(ref, body, OCI_MANIFEST), body };
}

function isRegistryError(re: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof RegistryError, `not a RegistryError: ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  };
}

describe('registry push and listing', { skip: SKIP_REGISTRY }, () => {
  it('putBlob uploads (POST then PUT ?digest=) and skips a blob the registry already has', async () => {
    const data = randomBytes(1000);
    const p = await startProxy(REGISTRY.plain, () => ({ kind: 'pass' }));
    try {
      await withClient(client(p.host), async (c) => {
        assert.equal(await c.hasBlob(sha(data)), false);
        assert.equal(await c.putBlob(data), sha(data));
        assert.ok((await c.getBlob(sha(data), 10_000)).equals(data));
        const posts = () => p.requests.filter((r) => r.method === 'POST').length;
        assert.equal(posts(), 1);
        assert.equal(await c.putBlob(data), sha(data));
        assert.equal(posts(), 1, 'the second upload of the same blob is skipped');
        assert.ok(p.requests.some((r) => r.method === 'HEAD' && r.url.endsWith(sha(data))));
      });
    } finally {
      await p.close();
    }
  });

  it('putManifest by tag and by digest; the registry serves the same bytes; a wrong digest is refused', async () => {
    await withClient(client(REGISTRY.plain), async (c) => {
      const tag = `t-${randomBytes(4).toString('hex')}`;
      const { digest, body } = await pushManifest(c, tag);
      assert.equal(digest, sha(body));
      const got = await c.getManifest(tag);
      assert.ok(got.data.equals(body));
      assert.equal(got.digest, digest);
      assert.equal(await c.putManifest(digest, body, OCI_MANIFEST), digest);
      await assert.rejects(
        c.putManifest(`sha256:${'0'.repeat(64)}`, body, OCI_MANIFEST),
        isRegistryError(/manifest content is sha256:[0-9a-f]{64}, not sha256:0+/),
      );
      assert.ok((await c.listTags()).includes(tag));
    });
  });

  it('listTags follows Link pagination', async () => {
    const p = await startProxy(REGISTRY.plain, (req, n) =>
      /\/tags\/list/.test(req.url ?? '') && n === 1
        ? {
            kind: 'status',
            status: 200,
            headers: { link: `</v2/${REPO}/tags/list?n=1000&last=0>; rel="next"` },
            body: JSON.stringify({ name: REPO, tags: ['0-first-page'] }),
          }
        : { kind: 'pass' },
    );
    try {
      await withClient(client(p.host), async (c) => {
        const tags = await c.listTags();
        assert.equal(tags[0], '0-first-page');
        assert.ok(tags.length > 1, 'the second page came from the registry');
        assert.ok(p.requests.some((r) => /last=0/.test(r.url)));
      });
    } finally {
      await p.close();
    }
  });

  it('getReferrers falls back to the sha256-<hex> tag index where the referrers API is missing (404)', async () => {
    await withClient(client(REGISTRY.plain), async (c) => {
      const subject = await pushManifest(c, `s-${randomBytes(4).toString('hex')}`);
      assert.deepEqual(await c.getReferrers(subject.digest), [], 'no referrers yet');
      const sig = await pushManifest(c, `r-${randomBytes(4).toString('hex')}`, {
        artifactType: 'application/vnd.example.signature',
        subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.body.length },
      });
      const sbom = await pushManifest(c, `r-${randomBytes(4).toString('hex')}`, {
        artifactType: 'application/vnd.example.sbom',
        subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.body.length },
      });
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_INDEX,
          manifests: [
            {
              mediaType: OCI_MANIFEST,
              digest: sig.digest,
              size: sig.body.length,
              artifactType: 'application/vnd.example.signature',
            },
            {
              mediaType: OCI_MANIFEST,
              digest: sbom.digest,
              size: sbom.body.length,
              artifactType: 'application/vnd.example.sbom',
            },
          ],
        }),
      );
      await c.putManifest(referrersTag(subject.digest), index, OCI_INDEX);
      const all = await c.getReferrers(subject.digest);
      assert.deepEqual(
        all.map((d) => d.digest),
        [sig.digest, sbom.digest],
      );
      const sigs = await c.getReferrers(subject.digest, 'application/vnd.example.signature');
      assert.deepEqual(sigs, [
        {
          mediaType: OCI_MANIFEST,
          digest: sig.digest,
          size: sig.body.length,
          artifactType: 'application/vnd.example.signature',
        },
      ]);
    });
  });

  it('getReferrers uses the referrers API when the registry has one (and filters by artifactType)', async () => {
    const d1 = `sha256:${'1'.repeat(64)}`;
    const d2 = `sha256:${'2'.repeat(64)}`;
    const p = await startProxy(REGISTRY.plain, (req) =>
      /\/referrers\/sha256:/.test(req.url ?? '')
        ? {
            kind: 'status',
            status: 200,
            headers: { 'content-type': OCI_INDEX },
            body: JSON.stringify({
              schemaVersion: 2,
              mediaType: OCI_INDEX,
              manifests: [
                { mediaType: OCI_MANIFEST, digest: d1, size: 10, artifactType: 'application/x-a' },
                { mediaType: OCI_MANIFEST, digest: d2, size: 20, artifactType: 'application/x-b' },
              ],
            }),
          }
        : { kind: 'pass' },
    );
    try {
      await withClient(client(p.host), async (c) => {
        const got = await c.getReferrers(`sha256:${'f'.repeat(64)}`, 'application/x-b');
        assert.deepEqual(
          got.map((d) => d.digest),
          [d2],
        );
        assert.ok(
          p.requests.some((r) => /\/referrers\/sha256:f+\?artifactType=application%2Fx-b/.test(r.url)),
        );
        assert.ok(
          !p.requests.some((r) => /manifests\/sha256-/.test(r.url)),
          'no fallback when the API answers',
        );
      });
    } finally {
      await p.close();
    }
  });

  it('pushes through basic and token auth with credentials; without them the error is clear', async () => {
    for (const host of [REGISTRY.basic, REGISTRY.token]) {
      await withClient(client(host, { insecure: true, credentials: { ...CREDS } }), async (c) => {
        const tag = `auth-${randomBytes(4).toString('hex')}`;
        const { digest } = await pushManifest(c, tag);
        assert.equal((await c.getManifest(tag)).digest, digest);
        assert.ok((await c.listTags()).includes(tag));
      });
      await withClient(
        client(host, { insecure: true, credentials: { dockerConfig: '/nonexistent' } }),
        async (c) => {
          await assert.rejects(
            c.putBlob(randomBytes(16)),
            isRegistryError(/requires authentication|refused anonymous access|denied|401|403/),
          );
        },
      );
    }
  });
});
