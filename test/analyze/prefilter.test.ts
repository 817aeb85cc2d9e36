// Prefilters may only narrow which entries an analyzer's matches() is asked about, never change
// which files it receives: every path matches() accepts must be admitted by the dispatcher.

import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Dispatcher } from '../../src/analyze/dispatch.js';
import { ANALYZERS } from '../../src/analyze/registry.js';
import type { Analyzer, Prefilter } from '../../src/analyze/types.js';
import { openImage } from '../../src/image/source/open.js';
import type { EntryType } from '../../src/image/tar.js';
import { analyzeRootfs } from '../../src/scan/analyze-layer.js';
import { scanImage } from '../../src/scan/scan.js';
import { HAVE_IMAGES, img, ROOT, SHARED, SKIP_IMAGES, tmpdir } from '../helpers/env.js';

type Info = { type: EntryType; size: number; mode: number };

// What matchers look at besides the path: regular file or not, size limits, execute bits.
const MODES = [0o644, 0o755, 0o010];
const INFOS: Info[] = [];
for (const type of ['file', 'symlink', 'dir'] as const)
  for (const size of [0, 200 * 1024, 300 * 1024 * 1024])
    for (const mode of MODES) INFOS.push({ type, size, mode });

/** The session's view: basename and last slash, as AnalysisSession.entry computes them. */
function admitted(d: Dispatcher, p: string, mode: number): readonly Analyzer[] {
  const slash = p.lastIndexOf('/');
  return d.candidates(p, slash, p.slice(slash + 1), mode);
}

/** Every (path, analyzer) where matches() accepts the path for some info but the dispatcher does not offer it. */
function lost(analyzers: readonly Analyzer[], paths: Iterable<string>, infos: readonly Info[]): string[] {
  const d = new Dispatcher(analyzers);
  const out: string[] = [];
  for (const p of paths)
    for (const mode of new Set(infos.map((i) => i.mode))) {
      const offered = new Set(admitted(d, p, mode));
      for (const a of analyzers) {
        if (offered.has(a)) continue;
        for (const info of infos)
          if (info.mode === mode && a.matches(p, info)) out.push(`${a.name}: ${p} ${JSON.stringify(info)}`);
      }
    }
  return out;
}

/** Relative paths of everything below `root` (files and directories), symlinks not followed. */
function walk(root: string, limit = 200_000): string[] {
  const out: string[] = [];
  const stack = [''];
  while (stack.length > 0 && out.length < limit) {
    const rel = stack.pop() as string;
    let names: string[];
    try {
      names = readdirSync(path.join(root, rel));
    } catch {
      continue;
    }
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      out.push(r);
      try {
        if (lstatSync(path.join(root, r)).isDirectory()) stack.push(r);
      } catch {
        // vanished or unreadable: the path itself is still in the corpus
      }
    }
  }
  return out;
}

/** A path and each of its tails ("a/b/c", "b/c", "c"): the same file seen from other roots. */
function withTails(paths: Iterable<string>, into: Set<string>): Set<string> {
  for (const p of paths) {
    into.add(p);
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) into.add(p.slice(i + 1));
  }
  return into;
}

/**
 * Words the matchers test for, written out here as well as taken from the prefilters, so that a
 * word dropped from a prefilter still shows up in the generated paths.
 */
const KNOWN = {
  names: [
    'os-release',
    'alpine-release',
    'debian_version',
    'redhat-release',
    'centos-release',
    'fedora-release',
    'system-release',
    'lsb-release',
    'status',
    'installed',
    'rpmdb.sqlite',
    'Packages',
    'Packages.db',
    'package-lock.json',
    'npm-shrinkwrap.json',
    'package.json',
    'yarn.lock',
    'pnpm-lock.yaml',
    'METADATA',
    'PKG-INFO',
    'Pipfile.lock',
    'poetry.lock',
    'uv.lock',
    'pylock.toml',
    'Gemfile.lock',
    'gems.locked',
    'composer.lock',
    'installed.json',
    'go.mod',
    'Cargo.lock',
    'node',
    'nodejs',
    'patchlevel.h',
    'rbconfig.rb',
    'release',
    'VERSION',
  ],
  stems: ['pylock', 'libnode'],
  extensions: [
    '.list',
    '.egg-info',
    '.txt',
    '.gemspec',
    '.jar',
    '.war',
    '.ear',
    '.par',
    '.jpi',
    '.hpi',
    '.deps.json',
    '.toml',
    '.so.108',
    '.md5sums',
  ],
  dirs: ['var/lib/dpkg/status.d', 'var/lib/dpkg/info'],
};

function prefilterWords(): { names: string[]; stems: string[]; extensions: string[]; dirs: string[] } {
  const w = {
    names: [...KNOWN.names],
    stems: [...KNOWN.stems],
    extensions: [...KNOWN.extensions],
    dirs: [...KNOWN.dirs],
  };
  for (const a of ANALYZERS) {
    const f: Prefilter = a.prefilter ?? {};
    w.names.push(...(f.names ?? []));
    w.stems.push(...(f.stems ?? []));
    w.extensions.push(...(f.extensions ?? []));
    w.dirs.push(...(f.dirs ?? []));
  }
  const unique = (xs: string[]) => [...new Set(xs)];
  return {
    names: unique(w.names),
    stems: unique(w.stems),
    extensions: unique(w.extensions),
    dirs: unique(w.dirs),
  };
}

/** Paths written to sit on the edges of each analyzer's matches(). */
function trickyPaths(): string[] {
  const w = prefilterWords();
  const base = [
    'etc/os-release',
    'usr/lib/os-release',
    'etc/alpine-release',
    'etc/debian_version',
    'etc/redhat-release',
    'etc/centos-release',
    'etc/fedora-release',
    'etc/system-release',
    'etc/lsb-release',
    'etc/os-release.d',
    'etc/foo-release',
    'etc/OS-RELEASE',
    'var/lib/dpkg/status',
    'var/lib/dpkg/status-old',
    'var/lib/dpkg/status.d/libc6',
    'var/lib/dpkg/status.d/base',
    'var/lib/dpkg/status.d/base.md5sums',
    'var/lib/dpkg/status.d/.hidden',
    'var/lib/dpkg/status.d/sub/x',
    'var/lib/dpkg/status.d',
    'var/lib/dpkg/info/libc6:amd64.list',
    'var/lib/dpkg/info/python3-six.list',
    'var/lib/dpkg/info/x.LIST',
    'var/lib/dpkg/info/.list',
    'var/lib/dpkg/info/sub/x.list',
    'etc/apt/sources.list',
    'lib/apk/db/installed',
    'var/lib/rpm/Packages',
    'var/lib/rpm/Packages.db',
    'var/lib/rpm/rpmdb.sqlite',
    'usr/lib/sysimage/rpm/Packages.db',
    'usr/lib/sysimage/rpm/rpmdb.sqlite',
    'var/lib/rpm/packages',
    'package-lock.json',
    'app/npm-shrinkwrap.json',
    'node_modules/x/package-lock.json',
    'node_modules/a/package.json',
    'node_modules/@s/a/package.json',
    'node_modules/@s/a/b/package.json',
    'node_modules/.bin/package.json',
    'node_modules/a/lib/package.json',
    'a/node_modules/b/node_modules/c/package.json',
    'yarn.lock',
    'node_modules/x/yarn.lock',
    'pnpm-lock.yaml',
    'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA',
    'usr/lib/python3.11/site-packages/foo.egg-info/PKG-INFO',
    'usr/lib/python3.11/site-packages/foo-1.0-py3.11.egg-info',
    'usr/lib/python3.11/site-packages/foo-1.0-py3.11.EGG-INFO',
    'foo-1.0.egg-info',
    'x.dist-info/metadata',
    'requirements.txt',
    'requirements-dev.txt',
    'dev-requirements.txt',
    'REQUIREMENTS.TXT',
    'Requirements.Txt',
    'requirements/base.txt',
    'Requirements/Prod.TXT',
    'requirements/base.in',
    'requirements.in',
    'requirements',
    'requirements.txt.bak',
    'site-packages/foo/requirements.txt',
    'requİrements.txt',
    'Pipfile.lock',
    'poetry.lock',
    'uv.lock',
    'pylock.toml',
    'pylock.dev.toml',
    'pylock..toml',
    'pylock.a.b.toml',
    'PYLOCK.toml',
    'pylockx.toml',
    'Gemfile.lock',
    'gems.locked',
    'vendor/bundle/ruby/3.2.0/Gemfile.lock',
    'usr/lib/ruby/gems/3.2.0/specifications/rake-13.0.1.gemspec',
    'specifications/default/json-2.6.3.gemspec',
    'specifications/x.GEMSPEC',
    'specifications/sub/x.gemspec',
    'composer.lock',
    'vendor/composer.lock',
    'vendor/composer/installed.json',
    'composer/installed.json',
    'x/installed.json',
    'app.jar',
    'a.JAR',
    'a.Jar',
    '.jar',
    'x/.jar',
    'a.war',
    'a.ear',
    'a.par',
    'a.jpi',
    'a.hpi',
    'a.Hpi',
    'a.jar.bak',
    'ajar',
    'app.deps.json',
    '.deps.json',
    'app.DEPS.JSON',
    'deps.json',
    'x.deps.json.bak',
    'go.mod',
    'vendor/go.mod',
    'root/go/pkg/mod/x@v1/go.mod',
    'Cargo.lock',
    '.cargo/registry/src/x/Cargo.lock',
    'usr/bin/app',
    'usr/local/bin/server',
    'app/main',
    'x.so',
    'x.so.1.2',
    'x.sh',
    'x.SH',
    'bin/node',
    'usr/local/bin/nodejs',
    'usr/lib/x86_64-linux-gnu/libnode.so.108',
    'libnode.so.72',
    'libnode.so',
    'libnode.so.x',
    'libnodejs.so.1',
    'node',
    'bin/node.exe',
    'node_modules/.bin/node',
    'usr/local/include/python3.11/patchlevel.h',
    'include/python3.12t/patchlevel.h',
    'patchlevel.h',
    'usr/local/lib/ruby/3.3.0/x86_64-linux/rbconfig.rb',
    'usr/lib/x86_64-linux-gnu/ruby/3.1.0/rbconfig.rb',
    'opt/java/openjdk/release',
    'release',
    'RELEASE',
    'usr/local/go/VERSION',
    'VERSION',
    'a',
    'a/b',
    '.',
    '.wh.x',
  ];
  const out = [...base];
  for (const n of [...w.names, ...w.stems])
    out.push(n, n.toUpperCase(), `${n}.bak`, `${n}~`, `.${n}`, `x${n}`);
  for (const e of w.extensions) out.push(`x${e}`, e, `x${e.toUpperCase()}`, `x${e}.bak`, `x${e.slice(1)}`);
  for (const d of w.dirs) out.push(d, `${d}/x`, `${d}/x/y`, `${d}x/y`);
  const prefixes = ['', 'app/', 'usr/local/', 'node_modules/x/', 'usr/lib/python3/site-packages/', 'vendor/'];
  return prefixes.flatMap((p) => out.map((o) => p + o));
}

function corpus(): { paths: Set<string>; sources: string[] } {
  const paths = withTails(trickyPaths(), new Set());
  const sources = ['generated'];
  const roots = [path.join(ROOT, 'test/fixtures')];
  for (const d of ['trivy-testdata', 'syft-testdata']) roots.push(path.join(SHARED, 'data', d));
  if (HAVE_IMAGES) for (const d of readdirSync(img('unpacked'))) roots.push(img('unpacked', d));
  for (const r of roots)
    if (existsSync(r)) {
      withTails(walk(r), paths);
      sources.push(r);
    }
  return { paths, sources };
}

describe('Dispatcher', () => {
  const mk = (name: string, prefilter?: Prefilter): Analyzer => ({
    name,
    version: 1,
    ...(prefilter ? { prefilter } : {}),
    matches: () => true,
    analyze: async () => undefined,
  });
  const names = (xs: readonly Analyzer[]) => xs.map((a) => a.name);

  it('offers each criterion: names, stems, extensions (case-insensitive), dirs, mode bits', () => {
    const d = new Dispatcher([
      mk('name', { names: ['yarn.lock'] }),
      mk('stem', { stems: ['libnode'] }),
      mk('ext', { extensions: ['.jar'] }),
      mk('ext2', { extensions: ['.deps.json'] }),
      mk('dir', { dirs: ['var/lib/dpkg/status.d'] }),
      mk('exec', { modeBits: 0o111 }),
    ]);
    const at = (p: string, mode = 0o644) => names(admitted(d, p, mode));
    assert.deepEqual(at('a/yarn.lock'), ['name']);
    assert.deepEqual(at('yarn.lock'), ['name']);
    assert.deepEqual(at('a/Yarn.lock'), []);
    assert.deepEqual(at('lib/libnode.so.108'), ['stem']);
    assert.deepEqual(at('lib/libnode'), ['stem']);
    assert.deepEqual(at('lib/libnodejs.so'), []);
    assert.deepEqual(at('a/b.JAR'), ['ext']);
    assert.deepEqual(at('.jar'), ['ext']);
    assert.deepEqual(at('a/jar'), []);
    assert.deepEqual(at('a/app.Deps.Json'), ['ext2']);
    assert.deepEqual(at('a/deps.json'), []);
    assert.deepEqual(at('var/lib/dpkg/status.d/libc6'), ['dir']);
    assert.deepEqual(at('var/lib/dpkg/status.d/x/libc6'), []);
    assert.deepEqual(at('var/lib/dpkg/status.d'), []);
    assert.deepEqual(at('xvar/lib/dpkg/status.d/libc6'), []);
    assert.deepEqual(at('usr/bin/x', 0o100), ['exec']);
    assert.deepEqual(at('usr/bin/x', 0o4644), []);
  });

  it('keeps list order, offers each analyzer once, and always offers analyzers without a prefilter', () => {
    const list = [
      mk('exec', { modeBits: 0o111 }),
      mk('open'),
      mk('many', { names: ['x.jar'], extensions: ['.jar', '.JAR'], stems: ['x'] }),
      mk('jar', { extensions: ['.jar'] }),
    ];
    const d = new Dispatcher(list);
    assert.deepEqual(names(admitted(d, 'a/x.jar', 0o755)), ['exec', 'open', 'many', 'jar']);
    assert.deepEqual(names(admitted(d, 'a/x.jar', 0o644)), ['open', 'many', 'jar']);
    assert.deepEqual(names(admitted(d, 'a/y.txt', 0o644)), ['open']);
    // The same analyzer twice in a list is asked twice, as when every analyzer was asked.
    const jar = list[3] as Analyzer;
    assert.deepEqual(names(admitted(new Dispatcher([jar, jar]), 'a.jar', 0)), ['jar', 'jar']);
  });

  it('rejects prefilters that would silently lose files', () => {
    const bad: Prefilter[] = [
      {},
      { names: [] },
      { names: ['a/b'] },
      { names: [''] },
      { stems: ['a/b'] },
      { extensions: ['jar'] },
      { extensions: ['.'] },
      { extensions: ['.a/b'] },
      { extensions: ['.a..b'] },
      { extensions: ['.jär'] },
      { dirs: ['var/lib/'] },
      { dirs: ['/var/lib'] },
      { dirs: [''] },
      { modeBits: 0 },
      { modeBits: 0o10000 },
    ];
    for (const f of bad)
      assert.throws(() => new Dispatcher([mk('x', f)]), /bad prefilter/, JSON.stringify(f));
  });

  it('every registered analyzer has a valid prefilter', () => {
    new Dispatcher(ANALYZERS);
    assert.deepEqual(
      ANALYZERS.filter((a) => !a.prefilter).map((a) => a.name),
      [],
      'analyzers without a prefilter are asked about every entry',
    );
  });
});

describe('prefilters admit every path matches() accepts', () => {
  it('fixtures, shared test data, image trees and generated edge cases, with many infos', () => {
    const { paths, sources } = corpus();
    const t = Date.now();
    const missing = lost(ANALYZERS, paths, INFOS);
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} lost`);
    // Not vacuous: each analyzer accepts some path of the corpus.
    const d = new Dispatcher(ANALYZERS);
    const seen = new Set<string>();
    for (const p of paths)
      for (const mode of MODES)
        for (const a of admitted(d, p, mode))
          if (!seen.has(a.name) && INFOS.some((i) => i.mode === mode && a.matches(p, i))) seen.add(a.name);
    assert.deepEqual(
      ANALYZERS.map((a) => a.name).filter((n) => !seen.has(n)),
      [],
      'analyzers the corpus never exercises',
    );
    console.log(
      `${paths.size} paths x ${INFOS.length} infos from ${sources.join(', ')} in ${Date.now() - t} ms`,
    );
  });

  it('random paths built from the words the matchers look at (fast-check)', () => {
    const w = prefilterWords();
    const dirWords = [
      ...new Set([
        ...w.dirs.flatMap((d) => d.split('/')),
        'usr',
        'lib',
        'local',
        'bin',
        'app',
        'node_modules',
        '@scope',
        '.bin',
        'site-packages',
        'dist-packages',
        'six-1.16.0.dist-info',
        'foo.egg-info',
        'python3.11',
        'python3.12t',
        'include',
        'specifications',
        'default',
        'vendor',
        'bundle',
        'bundler',
        'gems',
        'rake-13.0.1',
        'composer',
        'requirements',
        'REQUIREMENTS',
        'ruby',
        '3.2.0',
        'x86_64-linux',
        'var',
        'dpkg',
        'status.d',
        'info',
        'rpm',
        'sysimage',
        'apk',
        'db',
        'etc',
        'pkg',
        'mod',
        '.cargo',
        'registry',
        'git',
        'go',
        'jdk',
        'META-INF',
        'x',
      ]),
    ];
    const stemWords = [
      ...w.names,
      ...w.stems,
      'x',
      'requirements',
      'dev-requirements',
      'foo-1.0',
      'rake-13.0.1',
      '',
    ];
    const extWords = [...w.extensions, '.txt', '.so', '.so.1', '.sh', '.bak', '.lock', '.toml', '.json', ''];
    // Where the matched files really live: random words alone rarely spell "var/lib/dpkg/status.d".
    const chains = [
      ...w.dirs,
      'etc',
      'usr/lib',
      'var/lib/dpkg',
      'lib/apk/db',
      'var/lib/rpm',
      'usr/lib/sysimage/rpm',
      'node_modules/x',
      'node_modules/@s/x',
      'node_modules/@s/x/node_modules/y',
      'usr/lib/python3/dist-packages/six-1.16.0.dist-info',
      'usr/lib/python3.11/site-packages',
      'usr/lib/python3.11/site-packages/foo.egg-info',
      'usr/local/include/python3.11',
      'usr/local/lib/ruby/3.3.0/x86_64-linux',
      'usr/lib/x86_64-linux-gnu/ruby/3.1.0',
      'usr/local/lib/ruby/gems/3.2.0/specifications',
      'specifications/default',
      'vendor/composer',
      'vendor/bundle/ruby/3.2.0',
      'root/go/pkg/mod/x@v1',
      '.cargo/registry/src/x',
      'usr/local/go',
      'opt/java/openjdk',
      'bin',
      'usr/local/bin',
      'requirements',
    ];
    const words = (max: number) =>
      fc.array(fc.constantFrom(...dirWords), { maxLength: max }).map((d) => d.join('/'));
    const dirArb = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(fc.oneof(fc.constant(''), words(2)), fc.constantFrom(...chains)) },
      { weight: 2, arbitrary: fc.tuple(fc.constant(''), words(7)) },
    );
    const baseArb = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...w.names) },
      { weight: 1, arbitrary: fc.mixedCase(fc.constantFrom(...w.names, ...w.stems)) },
      {
        weight: 3,
        arbitrary: fc
          .tuple(
            fc.constantFrom(...stemWords),
            fc.oneof(fc.constantFrom(...extWords), fc.mixedCase(fc.constantFrom(...extWords))),
          )
          .map(([s, e]) => s + e),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom(...stemWords), fc.constantFrom(...extWords), fc.constantFrom(...extWords))
          .map(([s, a, b]) => s + a + b),
      },
      { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/')) },
    );
    const pathArb = fc
      .tuple(dirArb, baseArb)
      .map(([[prefix, dir], b]) => [prefix, dir, b].filter((x) => x !== '').join('/'));
    const infoArb = fc.record({
      type: fc.constantFrom<EntryType>('file', 'file', 'file', 'dir', 'symlink', 'hardlink', 'char'),
      size: fc.oneof(fc.constantFrom(0, 4096, 65536, 65537, 131072, 200 * 1024, 300 * 1024 * 1024), fc.nat()),
      mode: fc.oneof(fc.constantFrom(0o644, 0o755, 0o100), fc.integer({ min: 0, max: 0o7777 })),
    });
    fc.assert(
      fc.property(pathArb, infoArb, (p, info) => {
        assert.deepEqual(lost(ANALYZERS, [p], [info]), []);
      }),
      { numRuns: 30_000 },
    );
  });
});

describe('sessions give the same results as asking every analyzer', () => {
  // The same analyzers without prefilters: the dispatch every entry had before prefilters.
  const unfiltered = ANALYZERS.map((a) => ({ ...a, prefilter: undefined }));
  const opts = () => ({
    memoryThreshold: 1024 * 1024,
    maxFileSize: 512 * 1024 * 1024,
    tmpDir: tmpdir(),
    listFiles: true,
  });

  it('the test fixtures as a root filesystem', async () => {
    const dir = path.join(ROOT, 'test/fixtures');
    const a = await analyzeRootfs(dir, ANALYZERS, opts());
    const b = await analyzeRootfs(dir, unfiltered, opts());
    assert.ok(a.stats.analyzed > 20, `only ${a.stats.analyzed} files analyzed`);
    assert.deepEqual(a, b);
  });

  it('the unpacked test images', { skip: SKIP_IMAGES }, async () => {
    for (const d of readdirSync(img('unpacked'))) {
      const a = await analyzeRootfs(img('unpacked', d), ANALYZERS, opts());
      const b = await analyzeRootfs(img('unpacked', d), unfiltered, opts());
      assert.ok(a.stats.analyzed > 0, d);
      assert.deepEqual(a, b, d);
    }
  });

  it('a real image, layer by layer from its tar', { skip: SKIP_IMAGES }, async () => {
    const scan = async (analyzers: readonly Analyzer[]) =>
      scanImage(await openImage(img('debian-app.oci.tar')), { cacheDir: null, analyzers, listFiles: true });
    const a = await scan(ANALYZERS);
    const b = await scan(unfiltered);
    assert.ok(a.packages.length > 50);
    assert.deepEqual(a.layers, b.layers);
    assert.deepEqual(a.packages, b.packages);
  });
});
