// Acceptance: real Debian images in every form give dpkg-query's package list, with origin layers.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { INSTALLED_STATES } from '../../src/analyze/pkg/dpkg.js';
import { CREDS, img, oracle, REGISTRY, runCli, SKIP_IMAGES, SKIP_REGISTRY, tmpdir } from '../helpers/env.js';

interface Pkg {
  Name: string;
  Version: string;
  Release?: string;
  Epoch?: number;
  SrcName: string;
  SrcVersion: string;
  SrcRelease?: string;
  SrcEpoch?: number;
  Arch: string;
  Layer: { Digest?: string; DiffID: string; CreatedBy?: string };
}
interface Report {
  ArtifactName: string;
  Metadata: { OS: { Family: string; Name: string }; DiffIDs: string[]; RepoDigests: string[] };
  Results: { Type: string; Class: string; Packages: Pkg[] }[];
  Files?: { Path: string; Layer: { DiffID: string } }[];
}

const full = (v: string, r?: string, e?: number) => `${e ? `${e}:` : ''}${v}${r ? `-${r}` : ''}`;

async function scan(target: string, extra: string[] = [], env?: Record<string, string>): Promise<Report> {
  const r = await runCli(['image', target, '--format', 'json', '--list-all-pkgs', ...extra], { env });
  assert.equal(r.code, 0, `drydock image ${target} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

function checkPackages(report: Report, tag: string): void {
  const res = report.Results.find((x) => x.Class === 'os-pkgs');
  assert.ok(res, 'an os-pkgs result');
  assert.equal(report.Metadata.OS.Family, 'debian');
  assert.match(report.Metadata.OS.Name, /^12\.\d+$/);
  const got = res.Packages.map((p) =>
    [
      p.Name,
      full(p.Version, p.Release, p.Epoch),
      p.SrcName,
      full(p.SrcVersion, p.SrcRelease, p.SrcEpoch),
      p.Arch,
    ].join('\t'),
  ).sort();
  const want = oracle(tag)
    .filter((p) => INSTALLED_STATES.has(p.status))
    .map((p) => [p.name, p.version, p.srcName, p.srcVersion, p.arch].join('\t'))
    .sort();
  assert.deepEqual(got, want);
  const diffIDs = report.Metadata.DiffIDs;
  for (const p of res.Packages) {
    const expectLayer = tag === 'debian-app' && (p.Name === 'sudo' || p.Name === 'libexpat1') ? 1 : 0;
    assert.equal(p.Layer.DiffID, diffIDs[expectLayer], `${p.Name} comes from layer ${expectLayer + 1}`);
  }
  if (tag === 'debian-app') {
    const sudo = res.Packages.find((p) => p.Name === 'sudo');
    assert.match(sudo?.Layer.CreatedBy ?? '', /dpkg -i sudo/);
  }
}

describe('drydock image on local image files', { skip: SKIP_IMAGES }, () => {
  for (const tag of ['debian-current', 'debian-old', 'debian-app']) {
    it(`${tag}: docker-archive, OCI layout and oci-archive match dpkg-query`, async () => {
      const forms = [
        img(`${tag}.docker.tar`),
        `${img('oci')}:${tag}`,
        `oci:${img('oci')}:${tag}`,
        img(`${tag}.oci.tar`),
      ];
      const reports = await Promise.all(forms.map((f) => scan(f)));
      for (const r of reports) checkPackages(r, tag);
      // The same layers whatever the form.
      assert.deepEqual(reports[0]?.Metadata.DiffIDs, reports[1]?.Metadata.DiffIDs);
    });
  }

  it('debian-app merged view: deleted files are absent, opaque dirs replaced, files know their layer', async () => {
    const r = await scan(img('debian-app.docker.tar'), ['--list-files']);
    const files = new Map((r.Files ?? []).map((f) => [f.Path, f]));
    const d = r.Metadata.DiffIDs;
    assert.ok(files.size > 5000);
    assert.ok(!files.has('etc/motd'), 'etc/motd was deleted in layer 2');
    assert.ok(!files.has('etc/issue.net'), 'etc/issue.net was deleted in layer 5');
    assert.ok(files.has('etc/issue'));
    assert.deepEqual(
      [...files.keys()].filter((p) => p.startsWith('etc/sudoers.d/')),
      ['etc/sudoers.d/app'],
      'the opaque etc/sudoers.d hides the README of layer 1',
    );
    assert.equal(files.get('usr/bin/sudo')?.Layer.DiffID, d[1]);
    assert.equal(files.get('app/package-lock.json')?.Layer.DiffID, d[2]);
    assert.equal(files.get('etc/sudoers.d/app')?.Layer.DiffID, d[3]);
    assert.equal(files.get('bin/bash')?.Layer.DiffID ?? files.get('usr/bin/bash')?.Layer.DiffID, d[0]);
    assert.ok(![...files.keys()].some((p) => p.includes('.wh.')), 'no whiteout markers in the merged view');
  });

  it('a second scan reads no layer (--debug says so)', async () => {
    const cache = tmpdir('dd-cache-');
    const first = await runCli(
      ['image', img('debian-app.docker.tar'), '--debug', '-f', 'json', '--list-all-pkgs'],
      { cacheDir: cache },
    );
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /scan: 5 layer\(s\) analyzed, 0 from cache/);
    // Another form of the same image shares the cache: layers are keyed by diffID.
    const second = await runCli(
      ['image', `${img('oci')}:debian-app`, '--debug', '-f', 'json', '--list-all-pkgs'],
      { cacheDir: cache },
    );
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /scan: 0 layer\(s\) analyzed, 5 from cache/);
    assert.doesNotMatch(second.stderr, /analyzed in/);
    const a = JSON.parse(first.stdout) as Report;
    const b = JSON.parse(second.stdout) as Report;
    // Same packages and layers; only the blob digest differs (docker-archive layers are uncompressed).
    const strip = (r: Report) =>
      r.Results[0]?.Packages.map((p) => ({ ...p, Layer: { ...p.Layer, Digest: undefined } }));
    assert.deepEqual(strip(a), strip(b));
    assert.ok((a.Results[0]?.Packages.length ?? 0) > 100);
  });

  it('the table format and -o FILE', async () => {
    const dir = tmpdir();
    const out = path.join(dir, 'report.txt');
    const r = await runCli(['image', img('debian-app.docker.tar'), '-o', out, '--list-all-pkgs']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(out, 'utf8');
    assert.match(text, /OS: +debian 12\.\d+/);
    assert.match(text, /packages: 116 OS, 4 language \(node-pkg 2, npm 2\)/);
    assert.match(text, /sudo +1\.9\.13p3-1\+deb12u\d +amd64 +layer 2/);
  });

  it('drydock fs on the unpacked rootfs finds the same packages', async () => {
    const r = await runCli(['fs', img('unpacked/debian-app/rootfs'), '-f', 'json', '--list-all-pkgs']);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as Report;
    assert.equal(
      rep.Results[0]?.Packages.length,
      oracle('debian-app').filter((p) => INSTALLED_STATES.has(p.status)).length,
    );
  });
});

describe('drydock image from the registry', { skip: SKIP_IMAGES || SKIP_REGISTRY }, () => {
  it('plain registry: OCI manifest, Docker v2s2 manifest, by digest', async () => {
    const oci = await scan(`${REGISTRY.plain}/dd/debian-app:1.0`);
    checkPackages(oci, 'debian-app');
    const docker = await scan(`${REGISTRY.plain}/dd/debian-app:1.0-docker`);
    checkPackages(docker, 'debian-app');
    const digest = (oci.Metadata.RepoDigests[0] as string).split('@')[1] as string;
    const byDigest = await scan(`registry:${REGISTRY.plain}/dd/debian-app@${digest}`);
    checkPackages(byDigest, 'debian-app');
    for (const tag of ['debian-current', 'debian-old'])
      checkPackages(await scan(`${REGISTRY.plain}/dd/${tag}:1.0`), tag);
  });

  it('basic auth: flags, environment and docker config.json; refused without credentials', async () => {
    const ref = `${REGISTRY.basic}/dd/debian-app:1.0`;
    checkPackages(
      await scan(ref, ['--username', CREDS.username, '--password', CREDS.password]),
      'debian-app',
    );
    checkPackages(
      await scan(ref, [], { DRYDOCK_USERNAME: CREDS.username, DRYDOCK_PASSWORD: CREDS.password }),
      'debian-app',
    );
    const dockerDir = tmpdir();
    mkdirSync(dockerDir, { recursive: true });
    writeFileSync(
      path.join(dockerDir, 'config.json'),
      JSON.stringify({
        auths: {
          [`http://${REGISTRY.basic}`]: {
            auth: Buffer.from(`${CREDS.username}:${CREDS.password}`).toString('base64'),
          },
        },
      }),
    );
    checkPackages(await scan(ref, [], { DOCKER_CONFIG: dockerDir }), 'debian-app');
    const anon = await runCli(['image', ref]);
    assert.equal(anon.code, 2);
    assert.match(anon.stderr, /requires authentication/);
    const wrong = await runCli(['image', ref, '--username', CREDS.username, '--password', 'wrong']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /refused the credentials/);
  });

  it('token auth: with credentials and anonymous pull', async () => {
    const ref = `${REGISTRY.token}/dd/debian-app:1.0-docker`;
    checkPackages(
      await scan(ref, ['--username', CREDS.username, '--password', CREDS.password]),
      'debian-app',
    );
    checkPackages(await scan(ref), 'debian-app');
    const wrong = await runCli(['image', ref, '--username', CREDS.username, '--password', 'nope']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /token server .* refused the credentials/);
  });

  it('multi-platform index: --platform picks the image, a missing platform is a clear error', async () => {
    const ref = `${REGISTRY.plain}/dd/multi:1.0`;
    checkPackages(await scan(ref, ['--platform', 'linux/amd64']), 'debian-current');
    checkPackages(await scan(ref, ['--platform', 'linux/arm64']), 'debian-old');
    // the same as a Docker manifest list (schema 2 manifests inside)
    const list = `${REGISTRY.token}/dd/multi:1.0-docker`;
    checkPackages(await scan(list, ['--platform', 'linux/arm64']), 'debian-old');
    checkPackages(await scan(list), 'debian-current');
    const none = await runCli(['image', ref, '--platform', 'linux/s390x']);
    assert.equal(none.code, 2);
    assert.match(
      none.stderr,
      /no image for platform linux\/s390x \(available: linux\/amd64, linux\/arm64\/v8\)/,
    );
    // the same index in the OCI layout
    checkPackages(await scan(`${img('oci')}:multi`, ['--platform', 'linux/arm64/v8']), 'debian-old');
  });

  it('unknown repository and tag give 404 errors', async () => {
    const r = await runCli(['image', `${REGISTRY.plain}/dd/nope:1.0`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not found in registry .*404/);
  });
});
