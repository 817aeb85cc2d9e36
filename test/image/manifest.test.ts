import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImageError } from '../../src/errors.js';
import {
  type ImageIndex,
  layerHistory,
  MEDIA,
  parseConfig,
  parseManifest,
  parsePlatform,
  selectPlatform,
} from '../../src/image/manifest.js';

const D = `sha256:${'a'.repeat(64)}`;
const E = `sha256:${'b'.repeat(64)}`;
const manifest = (extra: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: D, size: 10 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: E, size: 5 }],
      ...extra,
    }),
  );

describe('parseManifest', () => {
  it('parses OCI and Docker manifests and indexes', () => {
    const m = parseManifest(manifest(), 'm');
    assert.equal(m.kind, 'manifest');
    const idx = parseManifest(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA.dockerList,
          manifests: [
            {
              mediaType: MEDIA.dockerManifest,
              digest: D,
              size: 3,
              platform: { os: 'linux', architecture: 'amd64' },
            },
          ],
        }),
      ),
      'i',
    );
    assert.equal(idx.kind, 'index');
  });
  it('rejects mismatched media types, schema 1, bad digests and oversized documents', () => {
    assert.throws(() => parseManifest(manifest(), 'm', MEDIA.ociIndex), /media type mismatch/);
    assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":1}'), 'm'), /schema 1/);
    assert.throws(
      () => parseManifest(manifest({ config: { digest: 'sha256:zz', size: 1 } }), 'm'),
      /invalid digest/,
    );
    assert.throws(() => parseManifest(manifest({ config: { digest: D, size: -1 } }), 'm'), /invalid size/);
    assert.throws(() => parseManifest(Buffer.alloc(5 * 1024 * 1024, 0x20), 'm'), /more than/);
    assert.throws(() => parseManifest(Buffer.from('not json'), 'm'), /not valid JSON/);
    assert.throws(() => parseManifest(manifest({ manifests: [] }), 'm'), /mixes index and manifest/);
    assert.throws(() => parseManifest(manifest({ mediaType: 'text/html' }), 'm'), /unsupported media type/);
  });
});

describe('parseConfig', () => {
  it('checks diff_ids against the layer count and maps history to layers', () => {
    const cfg = Buffer.from(
      JSON.stringify({
        rootfs: { type: 'layers', diff_ids: [D, E] },
        history: [{ created_by: 'a' }, { created_by: 'ENV x', empty_layer: true }, { created_by: 'b' }],
      }),
    );
    const c = parseConfig(cfg, 'c', 2);
    assert.deepEqual(layerHistory(c), ['a', 'b']);
    assert.throws(() => parseConfig(cfg, 'c', 3), /2 diff_ids but the manifest has 3/);
    assert.throws(() => parseConfig(Buffer.from('{"rootfs":{}}'), 'c'), ImageError);
  });
});

describe('platform selection', () => {
  const index: ImageIndex = {
    kind: 'index',
    mediaType: MEDIA.ociIndex,
    manifests: [
      { mediaType: MEDIA.ociManifest, digest: D, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      {
        mediaType: MEDIA.ociManifest,
        digest: E,
        size: 1,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
      {
        mediaType: MEDIA.ociManifest,
        digest: `sha256:${'c'.repeat(64)}`,
        size: 1,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
      },
    ],
  };
  it('picks by os/arch[/variant]', () => {
    assert.equal(selectPlatform(index, parsePlatform('linux/arm64'), 'i').digest, E);
    assert.equal(selectPlatform(index, parsePlatform('linux/arm64/v8'), 'i').digest, E);
    assert.equal(selectPlatform(index, parsePlatform('linux/aarch64'), 'i').digest, E);
    assert.equal(selectPlatform(index, parsePlatform('linux/amd64'), 'i').digest, D);
  });
  it('names the available platforms when none matches', () => {
    assert.throws(
      () => selectPlatform(index, parsePlatform('linux/s390x'), 'i'),
      /no image for platform linux\/s390x \(available: linux\/amd64, linux\/arm64\/v8\)/,
    );
    assert.throws(() => parsePlatform('linux'), /expected os\/arch/);
  });
});
