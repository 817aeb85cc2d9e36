import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isComposerInstalled,
  isComposerLock,
  parseComposerLock,
  parseInstalledJson,
} from '../../../src/analyze/lang/php.js';
import type { LangPackage } from '../../../src/analyze/lang/types.js';
import { openImage } from '../../../src/image/source/open.js';
import { buildReport } from '../../../src/report/json.js';
import { scanImage } from '../../../src/scan/scan.js';
import { ROOT, SHARED, SKIP_SHARED, tmpdir } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'php');
const APP = path.join(FIX, 'composer-2.5.5', 'app');
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

type ShowLists = { installed?: string[]; locked?: string[]; 'locked-no-dev'?: string[] };
/** `composer show` (Composer 2.5.5) for each shared input, written when the fixtures were made. */
const SHARED_SHOW = readJson<Record<string, ShowLists>>(path.join(FIX, 'shared.expected.json'));

const HAVE_COMPOSER =
  spawnSync('composer', ['--version'], { encoding: 'utf8', env: { ...process.env, COMPOSER_HOME: tmpdir() } })
    .status === 0;
const SKIP_COMPOSER = HAVE_COMPOSER ? false : 'composer is not installed';

const ids = (pkgs: LangPackage[]) => pkgs.map((p) => `${p.name}@${p.version}`).sort();
const nonDev = (pkgs: LangPackage[]) => ids(pkgs.filter((p) => !p.dev));

/** The real tool: `composer show [--locked] [--no-dev] -f json` in a scratch project, offline. */
function composerShow(kind: 'lock' | 'installed', file: string, noDev: boolean): string[] {
  const dir = tmpdir('dd-composer-');
  writeFileSync(path.join(dir, 'composer.json'), '{}');
  if (kind === 'lock') {
    copyFileSync(file, path.join(dir, 'composer.lock'));
  } else {
    mkdirSync(path.join(dir, 'vendor', 'composer'), { recursive: true });
    copyFileSync(file, path.join(dir, 'vendor', 'composer', 'installed.json'));
    // composer show leaves out packages whose directory is missing
    for (const p of parseInstalledJson(readFileSync(file, 'utf8')))
      mkdirSync(path.join(dir, 'vendor', p.name), { recursive: true });
  }
  const args = ['show', '-f', 'json', '--no-interaction', ...(kind === 'lock' ? ['--locked'] : [])];
  if (noDev) args.push('--no-dev');
  const r = spawnSync('composer', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, COMPOSER_HOME: path.join(dir, '.home'), COMPOSER_DISABLE_NETWORK: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout) as Record<string, { name: string; version: string }[]>;
  return (json[kind === 'lock' ? 'locked' : 'installed'] ?? []).map((p) => `${p.name}@${p.version}`).sort();
}

describe('composer.lock', () => {
  it('a lockfile Composer 2.5.5 wrote: composer show --locked, and --no-dev for the dev split', () => {
    const want = readJson<Record<string, string[]>>(
      path.join(FIX, 'composer-2.5.5', 'composer-show.expected.json'),
    );
    const pkgs = parseComposerLock(readFileSync(path.join(APP, 'composer.lock'), 'utf8'));
    assert.deepEqual(ids(pkgs), want.locked);
    assert.deepEqual(nonDev(pkgs), want['locked-no-dev']);
    // versions as written ("v2.1.3", "0.9.0-beta.2"), license lists as a choice
    assert.deepEqual(
      pkgs.find((p) => p.name === 'acme/baz'),
      { name: 'acme/baz', version: 'v2.1.3', license: 'MIT OR Apache-2.0' },
    );
    assert.deepEqual(
      pkgs.find((p) => p.name === 'acme/bar'),
      { name: 'acme/bar', version: '0.9.0-beta.2', license: 'GPL-2.0-or-later', dev: true },
    );
    assert.deepEqual(
      pkgs.find((p) => p.name === 'acme/qux'),
      { name: 'acme/qux', version: '3.0.0', dev: true },
    );
  });

  it('Trivy and Syft lockfiles: exactly what composer show --locked lists', { skip: SKIP_SHARED }, () => {
    const files = Object.keys(SHARED_SHOW).filter((f) => f.endsWith('.lock'));
    assert.equal(files.length, 7);
    for (const f of files) {
      const pkgs = parseComposerLock(readFileSync(path.join(SHARED, f), 'utf8'));
      assert.deepEqual(ids(pkgs), SHARED_SHOW[f]?.locked, f);
      assert.deepEqual(nonDev(pkgs), SHARED_SHOW[f]?.['locked-no-dev'], f);
    }
    // license as a string, a list, or an expression string, as written
    const happy = parseComposerLock(
      readFileSync(
        path.join(
          SHARED,
          'data/trivy-testdata/pkg/dependency/parser/php/composer/testdata/composer_happy.lock',
        ),
        'utf8',
      ),
    );
    const lic = Object.fromEntries(happy.map((p) => [p.name, p.license]));
    assert.equal(lic['symfony/polyfill-intl-idn'], 'MIT');
    assert.equal(lic['symfony/polyfill-intl-normalizer'], 'MIT');
    assert.equal(lic['symfony/polyfill-php72'], 'MIT or BSD-2-Clause');
    assert.equal(lic['pear/pear_exception'], 'BSD-2-Clause');
  });

  it('live: composer on this machine lists the same packages', { skip: SKIP_COMPOSER }, () => {
    const files = [
      path.join(APP, 'composer.lock'),
      ...(SKIP_SHARED ? [] : Object.keys(SHARED_SHOW))
        .filter((f) => f.endsWith('.lock'))
        .map((f) => path.join(SHARED, f)),
    ];
    for (const f of files) {
      const pkgs = parseComposerLock(readFileSync(f, 'utf8'));
      assert.deepEqual(ids(pkgs), composerShow('lock', f, false), f);
      assert.deepEqual(nonDev(pkgs), composerShow('lock', f, true), f);
    }
  });

  it('bad input: not JSON, wrong shapes, truncation, odd entries, huge', () => {
    badLockInput();
  });

  it('the unparsable lockfiles of Trivy and Syft throw', { skip: SKIP_SHARED }, () => {
    for (const f of [
      'data/trivy-testdata/pkg/fanal/analyzer/language/php/composer/testdata/composer/sad/composer.lock',
      'data/syft-testdata/syft/pkg/cataloger/php/testdata/glob-paths/src/composer.lock',
    ]) {
      assert.throws(() => parseComposerLock(readFileSync(path.join(SHARED, f), 'utf8')), /invalid JSON/, f);
    }
  });
});

function badLockInput(): void {
  for (const t of ['', 'null', '[]', '"x"', '{}', '{"packages": {}}', '{"packages": "a/b"}'])
    assert.throws(() => parseComposerLock(t), Error, t);
  assert.deepEqual(
    parseComposerLock(
      JSON.stringify({
        packages: [
          null,
          1,
          [],
          { name: 'a/b' },
          { name: 'a/b', version: 1 },
          { name: 'nope', version: '1.0' },
          { name: 'a/b/c', version: '1.0' },
          { name: 'a/b', version: '' },
          { name: 'a/b', version: '1.0', license: [1, null, 'MIT', { x: 1 }] },
          { name: 'a/b', version: '1.0' },
        ],
        'packages-dev': [{ name: 'c/d', version: 'dev-main', license: 'x'.repeat(1000) }],
      }),
    ),
    [
      { name: 'a/b', version: '1.0', license: 'MIT' },
      { name: 'c/d', version: 'dev-main', dev: true },
    ],
  );
  // every truncation of a real lockfile throws a plain Error or gives a subset
  const text = readFileSync(path.join(APP, 'composer.lock'), 'utf8');
  const full = new Set(ids(parseComposerLock(text)));
  for (let n = 0; n < text.length; n += 11) {
    try {
      for (const id of ids(parseComposerLock(text.slice(0, n)))) assert.ok(full.has(id));
    } catch (e) {
      assert.ok(e instanceof Error && !(e instanceof RangeError), String(e));
    }
  }
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
      for (const parse of [parseComposerLock, parseInstalledJson]) {
        try {
          for (const p of parse(JSON.stringify(v))) assert.match(p.name, /^[^/\s]+\/[^/\s]+$/);
        } catch (e) {
          assert.ok(e instanceof Error && !(e instanceof RangeError), String(e));
        }
      }
    }),
  );
  const deep = `${'{"packages":['.repeat(200_000)}`;
  assert.throws(() => parseComposerLock(deep), /invalid JSON/);
  const many = Array.from({ length: 100_000 }, (_, i) => ({
    name: `v${i}/p`,
    version: `1.${i}`,
    license: ['MIT'],
  }));
  const t0 = Date.now();
  assert.equal(parseComposerLock(JSON.stringify({ packages: many })).length, 100_000);
  assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
}

describe('vendor/composer/installed.json', () => {
  it('the installed.json Composer 2.5.5 wrote: composer show; dev from dev-package-names', () => {
    const want = readJson<Record<string, string[]>>(
      path.join(FIX, 'composer-2.5.5', 'composer-show.expected.json'),
    );
    const pkgs = parseInstalledJson(
      readFileSync(path.join(APP, 'vendor', 'composer', 'installed.json'), 'utf8'),
    );
    assert.deepEqual(ids(pkgs), want.installed);
    // Composer marked as dev what the lock has under packages-dev; show --no-dev leaves them out
    assert.deepEqual(nonDev(pkgs), want['installed-no-dev']);
    assert.deepEqual(
      pkgs.filter((p) => p.dev).map((p) => p.name),
      ['acme/bar', 'acme/qux'],
    );
    assert.deepEqual(
      pkgs.find((p) => p.name === 'acme/baz'),
      { name: 'acme/baz', version: 'v2.1.3', license: 'MIT OR Apache-2.0' },
    );
  });

  it('Composer 1 (a list) and 2 (an object) files of Trivy and Syft: what composer show lists', {
    skip: SKIP_SHARED,
  }, () => {
    const files = Object.keys(SHARED_SHOW).filter((f) => f.endsWith('installed.json'));
    assert.equal(files.length, 4);
    for (const f of files) {
      assert.deepEqual(
        ids(parseInstalledJson(readFileSync(path.join(SHARED, f), 'utf8'))),
        SHARED_SHOW[f]?.installed,
        f,
      );
    }
    const syft = 'data/syft-testdata/syft/pkg/cataloger/php/testdata/vendor';
    const v1 = parseInstalledJson(readFileSync(path.join(SHARED, syft, 'composer_1/installed.json'), 'utf8'));
    const v2 = parseInstalledJson(readFileSync(path.join(SHARED, syft, 'composer_2/installed.json'), 'utf8'));
    // the same two packages; only the Composer 2 file says behat/mink was installed for require-dev
    assert.deepEqual(v1, [
      { name: 'asm89/stack-cors', version: '1.3.0', license: 'MIT' },
      { name: 'behat/mink', version: 'v1.8.1', license: 'MIT' },
    ]);
    assert.deepEqual(v2, [
      { name: 'asm89/stack-cors', version: '1.3.0', license: 'MIT' },
      { name: 'behat/mink', version: 'v1.8.1', license: 'MIT', dev: true },
    ]);
  });

  it('live: composer on this machine lists the same installed packages', {
    skip: SKIP_COMPOSER,
  }, () => {
    const files = [
      path.join(APP, 'vendor', 'composer', 'installed.json'),
      ...(SKIP_SHARED ? [] : Object.keys(SHARED_SHOW))
        .filter((f) => f.endsWith('installed.json'))
        .map((f) => path.join(SHARED, f)),
    ];
    for (const f of files) {
      assert.deepEqual(
        ids(parseInstalledJson(readFileSync(f, 'utf8'))),
        composerShow('installed', f, false),
        f,
      );
    }
  });

  it('bad input: not JSON (and the unparsable files of Trivy and Syft), wrong shapes', () => {
    assert.throws(() => parseInstalledJson('{'), /invalid JSON/);
    const bad = [
      'data/trivy-testdata/pkg/fanal/analyzer/language/php/composer/testdata/composer-vendor/sad/installed.json',
      'data/syft-testdata/syft/pkg/cataloger/php/testdata/glob-paths/src/installed.json',
    ];
    for (const f of SKIP_SHARED ? [] : bad) {
      assert.throws(() => parseInstalledJson(readFileSync(path.join(SHARED, f), 'utf8')), /invalid JSON/, f);
    }
    for (const t of ['null', '"x"', '{}', '{"packages": {}}', '{"dev-package-names": []}'])
      assert.throws(() => parseInstalledJson(t), /not a Composer installed.json/, t);
    assert.deepEqual(parseInstalledJson('[]'), []);
    assert.deepEqual(
      parseInstalledJson('{"packages":[{"name":"a/b","version":"1"}],"dev-package-names":"a/b"}'),
      [{ name: 'a/b', version: '1' }],
    );
  });

  it('paths', () => {
    assert.ok(isComposerLock('var/www/html/composer.lock'));
    assert.ok(isComposerLock('composer.lock'));
    assert.ok(!isComposerLock('var/www/html/vendor/guzzlehttp/guzzle/composer.lock'));
    assert.ok(!isComposerLock('var/www/html/composer.json'));
    assert.ok(isComposerInstalled('var/www/html/vendor/composer/installed.json'));
    assert.ok(isComposerInstalled('app/lib/composer/installed.json'), 'a custom vendor-dir');
    assert.ok(!isComposerInstalled('var/www/html/vendor/composer/installed.php'));
    assert.ok(!isComposerInstalled('app/installed.json'));
  });
});

describe('Composer through the scan', () => {
  it('rootfs: lockfile and installed.json packages, purls, dev flags, one target per file', async () => {
    const dir = tmpdir('dd-php-e2e-');
    const put = (rel: string, content: string | Buffer) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), content);
    };
    put('var/www/app/composer.lock', readFileSync(path.join(APP, 'composer.lock')));
    put(
      'var/www/app/vendor/composer/installed.json',
      readFileSync(path.join(APP, 'vendor/composer/installed.json')),
    );
    // a dependency's own lockfile is not the application's (garbage: it would warn if read)
    put('var/www/app/vendor/acme/foo/composer.lock', 'garbage');
    put(
      'srv/legacy/vendor/composer/installed.json',
      JSON.stringify([{ name: 'vendor/name', version: '1.0.0', license: ['BSD-3-Clause'] }]),
    );
    put('srv/broken/vendor/composer/installed.json', '{"packages": 5}');
    const image = await openImage(`rootfs:${dir}`);
    const r = await scanImage(image, { cacheDir: null });
    await image.close();

    const rows = (type: string) =>
      r.packages
        .filter((p) => p.type === type)
        .map((p) => [p.filePath, p.purl, p.licenses?.join('|') ?? '', p.dev ? 'dev' : '']);
    assert.deepEqual(rows('composer'), [
      ['var/www/app/composer.lock', 'pkg:composer/acme/bar@0.9.0-beta.2', 'GPL-2.0-or-later', 'dev'],
      ['var/www/app/composer.lock', 'pkg:composer/acme/baz@v2.1.3', 'MIT OR Apache-2.0', ''],
      ['var/www/app/composer.lock', 'pkg:composer/acme/foo@1.0.0', 'MIT', ''],
      ['var/www/app/composer.lock', 'pkg:composer/acme/qux@3.0.0', '', 'dev'],
    ]);
    assert.deepEqual(rows('composer-vendor'), [
      ['srv/legacy/vendor/composer/installed.json', 'pkg:composer/vendor/name@1.0.0', 'BSD-3-Clause', ''],
      [
        'var/www/app/vendor/composer/installed.json',
        'pkg:composer/acme/bar@0.9.0-beta.2',
        'GPL-2.0-or-later',
        'dev',
      ],
      ['var/www/app/vendor/composer/installed.json', 'pkg:composer/acme/baz@v2.1.3', 'MIT OR Apache-2.0', ''],
      ['var/www/app/vendor/composer/installed.json', 'pkg:composer/acme/foo@1.0.0', 'MIT', ''],
      ['var/www/app/vendor/composer/installed.json', 'pkg:composer/acme/qux@3.0.0', '', 'dev'],
    ]);
    assert.deepEqual(r.warnings, [
      'composer-vendor: could not parse srv/broken/vendor/composer/installed.json: not a Composer installed.json (neither a list nor {"packages": [...]})',
    ]);
    const report = buildReport(r, { listAllPkgs: true }) as {
      Results: { Target: string; Type: string; Packages?: unknown[] }[];
    };
    assert.deepEqual(
      report.Results.filter((x) => x.Type.startsWith('composer'))
        .map((x) => [x.Target, x.Type, x.Packages?.length])
        .sort(),
      [
        ['srv/legacy/vendor/composer/installed.json', 'composer-vendor', 1],
        ['var/www/app/composer.lock', 'composer', 4],
        ['var/www/app/vendor/composer/installed.json', 'composer-vendor', 4],
      ],
    );
  });
});
