// The registry client against the real registry, through a proxy that misbehaves on purpose.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CREDS, isCleanUserError, REGISTRY, runCli, SKIP_IMAGES, SKIP_REGISTRY } from '../../helpers/env.js';
import { type FaultProxy, type Rule, startProxy } from '../../helpers/fault-proxy.js';

const isBlob = (url: string | undefined) => /\/blobs\/sha256:/.test(url ?? '');
const isManifest = (url: string | undefined) => /\/manifests\//.test(url ?? '');
const BIG_LAYER = 10_000_000; // the first layer of debian-app is ~70 MB

async function withProxy(upstream: string, rule: Rule, fn: (p: FaultProxy) => Promise<void>): Promise<void> {
  const p = await startProxy(upstream, rule);
  try {
    await fn(p);
  } finally {
    await p.close();
  }
}

async function scan(host: string, extra: string[] = []) {
  return runCli([
    'image',
    `registry:${host}/dd/debian-app:1.0`,
    '--insecure',
    '-f',
    'json',
    '--debug',
    ...extra,
  ]);
}

function packages(stdout: string): number {
  const r = JSON.parse(stdout) as { Results: { Packages?: unknown[] }[] };
  return (r.Results[0]?.Packages ?? []).length;
}

describe('registry client against a misbehaving registry', { skip: SKIP_IMAGES || SKIP_REGISTRY }, () => {
  it('retries 429 (honouring Retry-After) and 503, then succeeds', async () => {
    await withProxy(
      REGISTRY.plain,
      (req, n) => {
        if (isManifest(req.url) && n <= 2)
          return { kind: 'status', status: 429, headers: { 'retry-after': '0' } };
        if (isBlob(req.url) && n === 1) return { kind: 'status', status: 503 };
        return { kind: 'pass' };
      },
      async (p) => {
        const r = await scan(p.host, ['--list-all-pkgs']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(packages(r.stdout), 116);
        assert.match(r.stderr, /429 from .*retry 1\/3/);
        assert.match(r.stderr, /503 from .*retry/);
      },
    );
  });

  it('gives up after the retries on a registry that keeps failing', async () => {
    await withProxy(
      REGISTRY.plain,
      () => ({ kind: 'status', status: 500 }),
      async (p) => {
        const r = await runCli([
          'image',
          `registry:${p.host}/dd/debian-app:1.0`,
          '--insecure',
          '--retries',
          '1',
        ]);
        assert.ok(isCleanUserError(r), r.stderr);
        assert.match(r.stderr, /answered 500 .*INJECTED/);
        assert.equal(p.requests.length, 2);
      },
    );
  });

  it('403 and 404 are clear errors', async () => {
    await withProxy(
      REGISTRY.plain,
      (req) =>
        isManifest(req.url)
          ? { kind: 'status', status: 403, body: '{"errors":[{"code":"DENIED","message":"no"}]}' }
          : { kind: 'pass' },
      async (p) => {
        const r = await runCli(['image', `registry:${p.host}/dd/debian-app:1.0`, '--insecure']);
        assert.ok(isCleanUserError(r), r.stderr);
        assert.match(r.stderr, /denied access to manifest dd\/debian-app:1.0 \(403 DENIED: no\)/);
      },
    );
    await withProxy(
      REGISTRY.plain,
      (req) =>
        isBlob(req.url)
          ? { kind: 'status', status: 404, body: '{"errors":[{"code":"BLOB_UNKNOWN"}]}' }
          : { kind: 'pass' },
      async (p) => {
        const r = await runCli(['image', `registry:${p.host}/dd/debian-app:1.0`, '--insecure']);
        assert.ok(isCleanUserError(r), r.stderr);
        assert.match(r.stderr, /blob sha256:[0-9a-f]{64} not found in registry .*404 BLOB_UNKNOWN/);
      },
    );
  });

  it('resumes a blob that stalls or breaks off mid-stream (Range request)', async () => {
    await withProxy(
      REGISTRY.plain,
      // Only the big layer is longer than BIG_LAYER: it stalls once, the resumed request passes.
      (req) =>
        isBlob(req.url) && !req.headers.range ? { kind: 'stall', afterBytes: BIG_LAYER } : { kind: 'pass' },
      async (p) => {
        const r = await scan(p.host, ['--timeout', '1s', '--parallel', '1', '--list-all-pkgs']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(packages(r.stdout), 116);
        assert.match(r.stderr, /interrupted at \d+ bytes .*resuming/);
        assert.ok(
          p.requests.some((q) => q.range?.startsWith('bytes=')),
          'a Range request was sent',
        );
      },
    );
    let cut = false;
    await withProxy(
      REGISTRY.plain,
      (req) => {
        if (isBlob(req.url) && !cut) {
          cut = true;
          return { kind: 'cut', afterBytes: 1000 };
        }
        return { kind: 'pass' };
      },
      async (p) => {
        const r = await scan(p.host, ['--list-all-pkgs']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(packages(r.stdout), 116);
      },
    );
  });

  it('a registry that stalls every time is a clear error, not a hang', async () => {
    await withProxy(
      REGISTRY.plain,
      (req) => (isBlob(req.url) ? { kind: 'stall', afterBytes: 5000 } : { kind: 'pass' }),
      async (p) => {
        const t = Date.now();
        const r = await runCli([
          'image',
          `registry:${p.host}/dd/debian-app:1.0`,
          '--insecure',
          '--timeout',
          '500ms',
          '--retries',
          '1',
        ]);
        assert.ok(isCleanUserError(r), r.stderr);
        assert.match(
          r.stderr,
          /stalled \(no data for 0.5s\) while sending blob sha256:[0-9a-f]{64} after \d+ of \d+ bytes/,
        );
        assert.ok(Date.now() - t < 20_000);
      },
    );
  });

  it('corrupted blob bytes and a lying Docker-Content-Digest are caught', async () => {
    await withProxy(
      REGISTRY.plain,
      (req) => (isBlob(req.url) ? { kind: 'corrupt', atByte: 300 } : { kind: 'pass' }),
      async (p) => {
        const r = await runCli(['image', `registry:${p.host}/dd/debian-app:1.0`, '--insecure']);
        assert.ok(isCleanUserError(r), r.stderr);
        assert.match(r.stderr, /digest mismatch for (config|layer \d) .*sha256:[0-9a-f]{64}/);
      },
    );
    await withProxy(
      REGISTRY.plain,
      (req) =>
        isManifest(req.url)
          ? {
              kind: 'replace',
              body: Buffer.from(
                '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}',
              ),
              headers: { 'docker-content-digest': `sha256:${'0'.repeat(64)}` },
            }
          : { kind: 'pass' },
      async (p) => {
        const r = await runCli(['image', `registry:${p.host}/dd/debian-app:1.0`, '--insecure']);
        assert.ok(isCleanUserError(r), r.stderr);
        assert.match(r.stderr, /digest mismatch for manifest .*registry says sha256:0{64}/);
      },
    );
    await withProxy(
      REGISTRY.plain,
      (req) =>
        isManifest(req.url)
          ? { kind: 'replace', body: Buffer.alloc(5 * 1024 * 1024, 0x20) }
          : { kind: 'pass' },
      async (p) => {
        const r = await runCli(['image', `registry:${p.host}/dd/debian-app:1.0`, '--insecure']);
        assert.ok(isCleanUserError(r), r.stderr);
        assert.match(r.stderr, /manifest .* (is larger than|bytes, more than)/);
      },
    );
  });

  it('follows redirects to blob storage without sending the credentials there', async () => {
    // The "blob storage" is a second origin that serves from the registry without auth checks.
    await withProxy(
      REGISTRY.basic,
      () => ({ kind: 'pass' }),
      async (storage) => {
        await withProxy(
          REGISTRY.basic,
          (req) =>
            isBlob(req.url) && req.headers.authorization
              ? { kind: 'redirect', to: `http://${storage.host}` }
              : { kind: 'pass' },
          async (front) => {
            const r = await runCli([
              'image',
              `registry:${front.host}/dd/debian-app:1.0`,
              '--insecure',
              '--username',
              CREDS.username,
              '--password',
              CREDS.password,
              '-f',
              'json',
              '--list-all-pkgs',
            ]);
            // Storage forwards to the basic-auth registry without credentials, so the registry
            // answers 401 there: what matters is that no Authorization header left our origin.
            assert.ok(storage.requests.length > 0, 'blob requests were redirected');
            assert.ok(
              storage.requests.every((q) => !q.authorization),
              'no credentials sent to the other origin',
            );
            assert.ok(
              front.requests.some((q) => q.authorization?.startsWith('Basic ')),
              'credentials were sent to the registry',
            );
            assert.equal(r.code, 2);
          },
        );
      },
    );
    // Against the plain registry the redirected download succeeds end to end.
    await withProxy(
      REGISTRY.plain,
      () => ({ kind: 'pass' }),
      async (storage) => {
        await withProxy(
          REGISTRY.plain,
          (req) => (isBlob(req.url) ? { kind: 'redirect', to: `http://${storage.host}` } : { kind: 'pass' }),
          async (front) => {
            const r = await scan(front.host, ['--list-all-pkgs']);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(packages(r.stdout), 116);
            assert.ok(storage.requests.filter((q) => isBlob(q.url)).length >= 2);
          },
        );
      },
    );
  });

  it('an unreachable registry is a clear error', async () => {
    const r = await runCli(['image', 'registry:127.0.0.1:9/dd/x:1', '--insecure', '--retries', '0']);
    assert.ok(isCleanUserError(r), r.stderr);
    assert.match(r.stderr, /cannot reach 127\.0\.0\.1:9/);
  });
});
