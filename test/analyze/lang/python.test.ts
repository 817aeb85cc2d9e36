import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  isPythonMetadata,
  normalizePythonName,
  parsePythonMetadata,
} from '../../../src/analyze/lang/python.js';
import { openImage } from '../../../src/image/source/open.js';
import { scanImage } from '../../../src/scan/scan.js';

function sitePackages(): string | undefined {
  const r = spawnSync('python3', ['-c', 'import site; print(site.getsitepackages()[0])'], {
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function pipList(dir: string): { name: string; version: string }[] | undefined {
  const r = spawnSync('python3', ['-m', 'pip', 'list', '--format=json', '--path', dir], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as { name: string; version: string }[];
}

const SP = sitePackages();
const PIP = SP ? pipList(SP) : undefined;

describe('installed Python distributions', () => {
  it("this machine's site-packages: the same distributions as pip list", {
    skip: PIP ? false : 'python3 -m pip is not available',
  }, async () => {
    const image = await openImage(`rootfs:${SP}`);
    const r = await scanImage(image, { cacheDir: null });
    const ours = r.packages
      .filter((p) => p.type === 'python-pkg')
      .map((p) => `${normalizePythonName(p.name)}==${p.version}`)
      .sort();
    const want = (PIP ?? []).map((p) => `${normalizePythonName(p.name)}==${p.version}`).sort();
    assert.ok(want.length > 0);
    assert.deepEqual(ours, want);
  });

  it('METADATA headers: name, version, license; the description body is not read', () => {
    const text = [
      'Metadata-Version: 2.1',
      'Name: Flask_Cors',
      'Version: 3.0.10',
      'License: MIT',
      'Classifier: License :: OSI Approved',
      '',
      'Name: not-this',
      'Version: 0',
    ].join('\n');
    assert.deepEqual(parsePythonMetadata(text), { name: 'Flask_Cors', version: '3.0.10', license: 'MIT' });
    assert.deepEqual(
      parsePythonMetadata('Name: x\nVersion: 1\nLicense: UNKNOWN\nLicense-Expression: Apache-2.0\n'),
      {
        name: 'x',
        version: '1',
        license: 'Apache-2.0',
      },
    );
    assert.equal(parsePythonMetadata('garbage'), undefined);
    assert.equal(normalizePythonName('Flask_Cors.ext'), 'flask-cors-ext');
  });

  it('metadata paths', () => {
    assert.ok(isPythonMetadata('usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA'));
    assert.ok(isPythonMetadata('app/.venv/lib/python3.11/site-packages/six-1.16.0.egg-info/PKG-INFO'));
    assert.ok(isPythonMetadata('usr/lib/python3/dist-packages/six-1.16.0.egg-info'));
    assert.ok(!isPythonMetadata('src/mything.egg-info'));
    assert.ok(!isPythonMetadata('usr/lib/python3/dist-packages/requests/METADATA'));
  });
});
