// `drydock sbom` and `drydock sbom-scan` end to end (the built CLI): SBOMs valid against the
// schemas, and an SBOM scanned back reports the same packages as scanning the target itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BIN, img, isCleanUserError, ROOT, runCli, SKIP_IMAGES, tmpdir } from '../helpers/env.js';
import { assertSpdxStructure, assertValid, cyclonedxValidator, debianRootfs } from '../sbom/helpers.js';

type Json = Record<string, unknown>;
interface Report {
  ArtifactName: string;
  ArtifactType: string;
  Metadata: Json & { OS?: Json };
  Results: { Target: string; Class: string; Type: string; Packages?: Json[] }[];
}

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

async function json<T = Json>(args: string[]): Promise<T> {
  const r = await runCli(args);
  assert.equal(r.code, 0, `drydock ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Packages per result class and type, without the target name (it names the scanned thing). */
function packagesOf(r: Report): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const res of r.Results) {
    const key = `${res.Class} ${res.Type} ${res.Class === 'os-pkgs' ? '' : res.Target}`;
    out[key] = (res.Packages ?? []).map((p) => JSON.stringify(p)).sort();
  }
  return out;
}

function runWithStdin(
  args: string[],
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('drydock sbom / sbom-scan', () => {
  it('sbom of a directory: CycloneDX by default, valid against the 1.6 schema, drydock version', async () => {
    const bom = await json(['sbom', `rootfs:${debianRootfs()}`]);
    assertValid(cyclonedxValidator(), bom);
    const tools = (bom.metadata as { tools: { components: Json[] } }).tools.components;
    assert.deepEqual(tools, [{ type: 'application', name: 'drydock', version: VERSION }]);
  });

  it('sbom --format spdx-json -o FILE writes the file, nothing on stdout', async () => {
    const out = path.join(tmpdir(), 'doc.spdx.json');
    const r = await runCli(['sbom', debianRootfs(), '--format', 'spdx-json', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const doc = JSON.parse(readFileSync(out, 'utf8')) as Json;
    assertSpdxStructure(doc);
    assert.deepEqual((doc.creationInfo as { creators: string[] }).creators, [`Tool: drydock-${VERSION}`]);
  });

  for (const format of ['cyclonedx', 'spdx-json']) {
    it(`round trip (${format}): sbom-scan of the SBOM reports what drydock fs reports`, async () => {
      const dir = debianRootfs();
      const direct = await json<Report>(['fs', dir, '--format', 'json', '--list-all-pkgs']);
      const file = path.join(tmpdir(), 'sbom.json');
      assert.equal((await runCli(['sbom', `rootfs:${dir}`, '-f', format, '-o', file])).code, 0);
      const back = await json<Report>(['sbom-scan', file, '--format', 'json', '--list-all-pkgs']);
      assert.equal(back.ArtifactType, format === 'cyclonedx' ? 'cyclonedx' : 'spdx');
      assert.equal(back.ArtifactName, file);
      assert.deepEqual(back.Metadata.OS, direct.Metadata.OS);
      assert.deepEqual(packagesOf(back), packagesOf(direct));
      assert.ok(Object.keys(packagesOf(back)).length >= 3);
      assert.equal(back.Metadata.DiffIDs, undefined, 'a directory SBOM has no image metadata');
    });
  }

  it('sbom-scan - reads stdin; the table names the SBOM', async () => {
    const bom = (await runCli(['sbom', `rootfs:${debianRootfs()}`])).stdout;
    const r = await runWithStdin(['sbom-scan', '-', '--list-all-pkgs'], bom);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^stdin\n {2}kind: sbom/);
    assert.match(r.stdout, /packages: 2 OS, 7 language \(node-pkg 2, npm 4, python-pkg 1\)/);
    assert.doesNotMatch(r.stdout, /Layers/, 'a directory SBOM has no layers to list');
    assert.match(r.stdout, /zlib1g\s+1:1\.2\.13\.dfsg-1/);
  });

  it('bad input: one-line error, exit 2', async () => {
    const dir = tmpdir();
    const bad = (name: string, text: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const one = '{"type":"library","name":"a","purl":"pkg:npm/a@1"}';
    const cases: [string, RegExp][] = [
      [bad('notjson.json', 'not an sbom!'), /not JSON/],
      [bad('shape.json', '{"SchemaVersion": 2, "Results": []}'), /not a CycloneDX or SPDX JSON document/],
      [bad('bom.xml', '<bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>'), /XML SBOMs are not supported/],
      [
        bad(
          'huge.json',
          `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${Array(1_000_000).fill(one).join(',')}]}`,
        ),
        /more than 200000 CycloneDX components/,
      ],
      [path.join(dir, 'missing.json'), /cannot open/],
    ];
    for (const [file, re] of cases) {
      const r = await runCli(['sbom-scan', file]);
      assert.ok(isCleanUserError(r), `${file}: ${r.code} ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });

  it('usage errors exit 2; help lists both commands', async () => {
    assert.equal((await runCli(['sbom', tmpdir(), '--format', 'table'])).code, 2);
    assert.equal((await runCli(['sbom-scan'])).code, 2);
    const help = await runCli(['--help']);
    assert.match(help.stdout, /\n {2}sbom {6}/);
    assert.match(help.stdout, /\n {2}sbom-scan /);
  });

  it('round trip of real images: sbom-scan reports what drydock image reports', {
    skip: SKIP_IMAGES,
  }, async () => {
    for (const target of [img('debian-app.oci.tar'), img('debian-current.docker.tar')]) {
      const direct = await json<Report>(['image', target, '--format', 'json', '--list-all-pkgs']);
      for (const format of ['cyclonedx', 'spdx-json']) {
        const file = path.join(tmpdir(), 'image.sbom.json');
        assert.equal((await runCli(['sbom', target, '-f', format, '-o', file])).code, 0);
        const back = await json<Report>(['sbom-scan', file, '--format', 'json', '--list-all-pkgs']);
        assert.deepEqual(packagesOf(back), packagesOf(direct), `${target} ${format}`);
        for (const k of ['OS', 'ImageID', 'DiffIDs', 'RepoTags', 'RepoDigests', 'ManifestDigest'])
          assert.deepEqual(back.Metadata[k], direct.Metadata[k], `${target} ${format} ${k}`);
      }
    }
  });
});

describe('start-up cost', () => {
  /** Files reachable from `entry` through static imports only (dynamic import() is lazy). */
  function staticGraph(entry: string): Set<string> {
    const seen = new Set<string>();
    const todo = [entry];
    while (todo.length) {
      const f = todo.pop() as string;
      if (seen.has(f)) continue;
      seen.add(f);
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) {
        const p = path.resolve(path.dirname(f), (m[1] as string).replace(/\.js$/, '.ts'));
        if (existsSync(p)) todo.push(p);
      }
    }
    return seen;
  }

  it('the CLI and the image/fs scan path load no SBOM module until an sbom command runs', () => {
    const src = path.join(ROOT, 'src');
    for (const entry of ['cli/main.ts', 'cli/commands/scan.ts']) {
      const graph = [...staticGraph(path.join(src, entry))].map((f) => path.relative(src, f));
      assert.ok(graph.includes('errors.ts'), 'the import graph was walked');
      assert.deepEqual(
        graph.filter((f) => f.startsWith('sbom/') || f === 'cli/commands/sbom.ts'),
        [],
        entry,
      );
    }
  });
});
