import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  gemspecAnalyzer,
  isGemfileLock,
  isInstalledGemspec,
  normalizeGemVersion,
  parseGemfileLock,
  parseGemspec,
} from '../../../src/analyze/lang/ruby.js';
import type { LangPackage } from '../../../src/analyze/lang/types.js';
import { openImage } from '../../../src/image/source/open.js';
import { buildReport } from '../../../src/report/json.js';
import { scanImage } from '../../../src/scan/scan.js';
import { ROOT, SHARED, SKIP_SHARED, tmpdir } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'ruby');
const fix = (...p: string[]) => path.join(FIX, ...p);
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

const HAVE_RUBY =
  spawnSync('ruby', ['-e', 'require "bundler"; print 1'], { encoding: 'utf8' }).stdout === '1';
const SKIP_RUBY = HAVE_RUBY ? false : 'ruby (with bundler) is not installed';

type BundlerSpec = { name: string; version: string; direct: boolean };
type GemspecOracle = { file: string; name: string; version: string; licenses: (string | null)[] };

/** Bundler's own lockfile reader (the script that wrote the *.expected.json fixtures). */
const LOCKSPECS_RB = `
require 'bundler'
require 'json'
lf = Bundler::LockfileParser.new(File.read(ARGV[0]))
deps = lf.dependencies.keys
puts JSON.generate(lf.specs.map { |s| { name: s.name, version: s.version.to_s, direct: deps.include?(s.name) } })
`;

/** RubyGems' own gemspec reader (loads, i.e. runs, the file: only used on trusted files). */
const SPECLOAD_RB = `
require 'json'
puts JSON.generate(ARGV.map { |f| s = Gem::Specification.load(f); { file: f, name: s.name, version: s.version.to_s, licenses: s.licenses } })
`;

function bundlerRead(file: string): BundlerSpec[] {
  const dir = tmpdir('dd-bundler-');
  writeFileSync(path.join(dir, 'Gemfile'), '');
  const r = spawnSync('ruby', ['-e', LOCKSPECS_RB, file], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, BUNDLE_GEMFILE: path.join(dir, 'Gemfile'), HOME: dir },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as BundlerSpec[];
}

/** name@version (direct|indirect), one per distinct name@version, sorted. */
function fromBundler(specs: BundlerSpec[]): string[] {
  return [...new Set(specs.map((s) => `${s.name}@${s.version} ${s.direct ? 'direct' : 'indirect'}`))].sort();
}
function fromOurs(pkgs: LangPackage[]): string[] {
  assert.ok(pkgs.every((p) => !p.dev));
  return pkgs.map((p) => `${p.name}@${p.version} ${p.indirect ? 'indirect' : 'direct'}`).sort();
}

const SHARED_LOCKS = readJson<Record<string, BundlerSpec[]>>(fix('shared-lockfiles.expected.json'));

describe('Bundler Gemfile.lock', () => {
  it('fixtures: the gems Bundler 2.3.7 reads (Gemfile.lock it wrote; platforms, GIT, PATH, CHECKSUMS)', () => {
    for (const f of ['Gemfile.lock', 'Gemfile-platforms.lock']) {
      const ours = parseGemfileLock(readFileSync(fix(f), 'utf8'));
      assert.deepEqual(fromOurs(ours), fromBundler(readJson(fix(`${f}.expected.json`))), f);
    }
    const plat = parseGemfileLock(readFileSync(fix('Gemfile-platforms.lock'), 'utf8'));
    // three nokogiri platforms of one version: one package; "-x86_64-linux-musl" is not in the version
    assert.deepEqual(
      plat.filter((p) => p.name === 'nokogiri' || p.name === 'sqlite3').map((p) => `${p.name}@${p.version}`),
      ['nokogiri@1.13.6', 'sqlite3@1.6.9'],
    );
    assert.deepEqual(
      plat.map((p) => p.name),
      ['turbo', 'billing', 'mini_portile2', 'nokogiri', 'racc', 'rack', 'sqlite3'],
      'GIT, PATH and GEM specs; CHECKSUMS lines are not gems',
    );
  });

  it('CRLF line endings read the same', () => {
    const text = readFileSync(fix('Gemfile-platforms.lock'), 'utf8');
    assert.deepEqual(parseGemfileLock(text.replaceAll('\n', '\r\n')), parseGemfileLock(text));
  });

  it('Trivy and Syft lockfiles: exactly the gems Bundler reads', { skip: SKIP_SHARED }, () => {
    const files = Object.keys(SHARED_LOCKS);
    assert.equal(files.length, 3);
    for (const f of files) {
      const ours = parseGemfileLock(readFileSync(path.join(SHARED, f), 'utf8'));
      assert.deepEqual(fromOurs(ours), fromBundler(SHARED_LOCKS[f] ?? []), f);
    }
    const syft = parseGemfileLock(
      readFileSync(
        path.join(SHARED, 'data/syft-testdata/syft/pkg/cataloger/ruby/testdata/Gemfile.lock'),
        'utf8',
      ),
    );
    assert.equal(syft.length, 52);
    assert.ok(!syft.some((p) => p.name.startsWith('bad-')), 'specs of an unknown section are not gems');
  });

  it('live: Bundler on this machine reads the fixtures and shared lockfiles as we do', {
    skip: SKIP_RUBY,
  }, () => {
    const files = [fix('Gemfile.lock'), fix('Gemfile-platforms.lock')];
    if (!SKIP_SHARED) files.push(...Object.keys(SHARED_LOCKS).map((f) => path.join(SHARED, f)));
    for (const f of files) {
      assert.deepEqual(fromOurs(parseGemfileLock(readFileSync(f, 'utf8'))), fromBundler(bundlerRead(f)), f);
    }
  });

  it('files that are not lockfiles throw', { skip: SKIP_SHARED }, () => {
    for (const f of [
      'data/trivy-testdata/pkg/dependency/parser/ruby/bundler/testdata/Gemfile_malformed.lock',
      'data/syft-testdata/syft/pkg/cataloger/ruby/testdata/glob-paths/src/Gemfile.lock',
    ]) {
      assert.throws(() => parseGemfileLock(readFileSync(path.join(SHARED, f), 'utf8')), /not a Gemfile.lock/);
    }
  });

  it('bad input: garbage, truncation, odd lines, a huge lockfile', () => {
    assert.throws(() => parseGemfileLock(''), /not a Gemfile.lock/);
    assert.throws(() => parseGemfileLock('\u0000\u0001\u0002'.repeat(1000)), /not a Gemfile.lock/);
    // odd spec lines are skipped, not guessed at
    const odd = [
      'GEM',
      '  specs:',
      '    ok (1.0)',
      '    noversion',
      '    bad version (1.0)',
      '    evil (1.0; rm -rf)',
      '    empty ()',
      '     five-spaces (1.0)',
      '      dep (>= 1)',
      '    ../x (1.0)',
      'DEPENDENCIES',
      '  ok',
    ].join('\n');
    assert.deepEqual(parseGemfileLock(odd), [{ name: 'ok', version: '1.0' }]);
    // every truncation of a real lockfile gives a subset of its gems (or throws an Error)
    const text = readFileSync(fix('Gemfile.lock'), 'utf8');
    const full = new Set(parseGemfileLock(text).map((p) => `${p.name}@${p.version}`));
    for (let n = 0; n < text.length; n += 7) {
      let got: LangPackage[];
      try {
        got = parseGemfileLock(text.slice(0, n));
      } catch (e) {
        assert.ok(e instanceof Error);
        continue;
      }
      for (const p of got)
        assert.ok(full.has(`${p.name}@${p.version}`), `prefix ${n}: ${p.name}@${p.version}`);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        try {
          for (const p of parseGemfileLock(`GEM\n  specs:\n${s}`)) {
            assert.match(p.name, /^[A-Za-z0-9][A-Za-z0-9._-]*$/);
            assert.match(p.version, /^[0-9]/);
          }
        } catch (e) {
          assert.ok(e instanceof Error);
        }
      }),
    );
    const lines = ['GEM', '  remote: https://gems.example.test/', '  specs:'];
    for (let i = 0; i < 200_000; i++) lines.push(`    gem${i} (1.${i}.0)`, '      dep (>= 0)');
    const t0 = Date.now();
    const many = parseGemfileLock(lines.join('\n'));
    assert.equal(many.length, 200_000);
    assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
  });

  it('which Gemfile.lock files are an application', () => {
    assert.ok(isGemfileLock('app/Gemfile.lock'));
    assert.ok(isGemfileLock('Gemfile.lock'));
    assert.ok(isGemfileLock('srv/api/gems.locked'));
    assert.ok(!isGemfileLock('app/Gemfile'));
    assert.ok(!isGemfileLock('app/Gemfile.next.lock'));
    // what installed gems ship for their own development
    assert.ok(!isGemfileLock('usr/lib/ruby/gems/3.1.0/gems/rake-13.0.6/Gemfile.lock'));
    assert.ok(!isGemfileLock('app/vendor/bundle/ruby/3.1.0/gems/puma-6.4.2/Gemfile.lock'));
    assert.ok(!isGemfileLock('app/vendor/bundle/ruby/3.1.0/bundler/gems/turbo-80216ce9d899/Gemfile.lock'));
    assert.ok(!isGemfileLock('usr/local/bundle/bundler/gems/turbo-80216ce9d899/Gemfile.lock'));
    assert.ok(!isGemfileLock('usr/local/bundle/gems/nokogiri-1.16.0-x86_64-linux/Gemfile.lock'));
  });
});

const SPEC_FILES = [
  'rake-13.0.6.gemspec',
  'racc-1.6.2.gemspec',
  'json-2.6.3.gemspec',
  'test-unit-3.5.3.gemspec',
  'default/cgi-0.3.5.gemspec',
  'legacy-0.8.7.gemspec',
  'handwritten-2.0.0.gemspec',
  'quoting-1.2.3.gemspec',
  'reassigned-1.0.0.gemspec',
];

function oracleToPackage(o: { name: string; version: string; licenses: (string | null)[] }): LangPackage {
  const p: LangPackage = { name: o.name, version: o.version };
  const lic = o.licenses.filter((l): l is string => typeof l === 'string' && l !== '');
  if (lic.length) p.license = lic.join(' OR ');
  return p;
}

describe('installed gemspecs', () => {
  it('fixtures: what Gem::Specification.load (RubyGems 3.3) reads from each', () => {
    const want = readJson<GemspecOracle[]>(fix('specifications.expected.json'));
    assert.equal(want.length, SPEC_FILES.length);
    for (const f of SPEC_FILES) {
      const o = want.find((w) => w.file === `specifications/${f}`);
      assert.ok(o, f);
      assert.deepEqual(parseGemspec(readFileSync(fix('specifications', f), 'utf8')), oracleToPackage(o), f);
    }
    // facts worth a line: several licenses are one choice; "-" prereleases read as RubyGems spells them
    assert.equal(
      parseGemspec(readFileSync(fix('specifications/test-unit-3.5.3.gemspec'), 'utf8')).license,
      'Ruby OR BSDL OR PSFL',
    );
    assert.equal(
      parseGemspec(readFileSync(fix('specifications/handwritten-2.0.0.gemspec'), 'utf8')).version,
      '2.0.0.pre.rc1',
    );
    assert.equal(normalizeGemVersion(' 1.0-rc.1 '), '1.0.pre.rc.1');
    assert.equal(normalizeGemVersion('1..2'), undefined);
  });

  it('live: every gemspec RubyGems sees on this machine reads as Gem::Specification.load reads it', {
    skip: SKIP_RUBY,
  }, async () => {
    const dirs = spawnSync('ruby', ['-e', 'puts Gem.path.map { |d| File.join(d, "specifications") }'], {
      encoding: 'utf8',
    })
      .stdout.trim()
      .split('\n')
      .filter((d) => existsSync(d));
    const files: string[] = [];
    for (const d of dirs) {
      for (const sub of ['', 'default']) {
        const dd = path.join(d, sub);
        if (!existsSync(dd)) continue;
        for (const f of readdirSync(dd)) if (f.endsWith('.gemspec')) files.push(path.join(dd, f));
      }
    }
    assert.ok(files.length > 10, `gemspecs found: ${files.length}`);
    const r = spawnSync('ruby', ['-e', SPECLOAD_RB, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    for (const o of JSON.parse(r.stdout) as GemspecOracle[]) {
      assert.deepEqual(parseGemspec(readFileSync(o.file, 'utf8')), oracleToPackage(o), o.file);
    }
    // and `gem list --local` names the same name@version set as a scan of those directories
    const root = tmpdir('dd-gems-');
    for (const f of files) {
      const dest = path.join(root, f);
      mkdirSync(path.dirname(dest), { recursive: true });
      copyFileSync(f, dest);
    }
    const image = await openImage(`rootfs:${root}`);
    const res = await scanImage(image, { cacheDir: null });
    await image.close();
    const ours = new Set(
      res.packages.filter((p) => p.type === 'gemspec').map((p) => `${p.name}@${p.version}`),
    );
    const list = spawnSync('gem', ['list', '--local'], { encoding: 'utf8' }).stdout;
    const want = new Set<string>();
    for (const line of list.trim().split('\n')) {
      const m = /^(\S+) \((.*)\)$/.exec(line);
      assert.ok(m, line);
      for (const v of (m[2] as string).split(', ')) want.add(`${m[1]}@${v.replace(/^default: /, '')}`);
    }
    assert.deepEqual([...ours].sort(), [...want].sort());
    assert.deepEqual(res.warnings, []);
  });

  it('hostile gemspecs: nothing runs; code-computed names and versions are errors, licenses are dropped', () => {
    const marker = path.join(tmpdir('dd-hostile-'), 'pwned');
    const spec = (body: string) => `Gem::Specification.new do |s|\n${body}\nend\n`;
    const cases: [string, RegExp][] = [
      [spec('  s.name = "x"\n  s.version = File.read("/etc/passwd")'), /s\.version is not a string literal/],
      [spec(`  s.name = \`touch ${marker}\`\n  s.version = "1.0"`), /s\.name is not a string literal/],
      [spec(`  s.name = "x"\n  s.version = "#{\`touch ${marker}\`}"`), /s\.version is not a string literal/],
      [spec(`  s.name = %x(touch ${marker})\n  s.version = "1"`), /s\.name is not a string literal/],
      [spec('  s.name = "x"\n  s.version = "1.0" + ".1"'), /s\.version is not a string literal/],
      [
        spec('  s.name = "x"\n  s.version = "1.0"\n  s.version = ENV["V"]'),
        /s\.version is not a string literal/,
      ],
      [spec('  s.name = "x"\n  s.version = "1.0; rm -rf /"'), /invalid gem version/],
      [spec('  s.name = "../../etc"\n  s.version = "1.0"'), /invalid gem name/],
      [spec('  s.name = "x"'), /no s\.version/],
      ['s.name = "x"\ns.version = "1.0"\n', /no Gem::Specification\.new block/],
      [
        spec(`  s.name = "x"\n  s.version = "1"\n  s.description = <<~EOS\n  never ends`),
        /unterminated heredoc/,
      ],
      [spec('  s.name = "x\n'), /unterminated string/],
      [`=begin\n${spec('s.name="x"\ns.version="1"')}`, /unterminated =begin/],
      [`Gem::Specification.new do |s| s.name = "${'#{"'.repeat(5000)}`, /nested too deep/],
    ];
    for (const [text, err] of cases) assert.throws(() => parseGemspec(text), err, text.slice(0, 120));
    // code around literal values is not run and does not matter
    const p = parseGemspec(
      spec(
        [
          `  system("touch ${marker}")`,
          `  \`touch ${marker}\``,
          '  s.name = "ok".freeze',
          '  s.version = "2.0"',
          '  s.licenses = Dir["LICENSE*"].map { |f| File.read(f) }',
          '  eval(File.read("/etc/hostname"))',
        ].join('\n'),
      ),
    );
    assert.deepEqual(p, { name: 'ok', version: '2.0' });
    assert.equal(existsSync(marker), false);
  });

  it('bad input: every truncation of a real gemspec, random text, a huge file', () => {
    const text = readFileSync(fix('specifications/rake-13.0.6.gemspec'), 'utf8');
    for (let n = 0; n <= text.length; n += 5) {
      try {
        const p = parseGemspec(text.slice(0, n));
        assert.equal(p.name, 'rake');
        assert.equal(p.version, '13.0.6');
      } catch (e) {
        assert.ok(e instanceof Error && !(e instanceof RangeError), String(e));
      }
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 300 }), (a, b) => {
        try {
          const p = parseGemspec(
            `${a}\nGem::Specification.new do |s|\n${b}\n s.name = "n"\n s.version = "1"\nend`,
          );
          assert.match(p.name, /^[A-Za-z0-9][A-Za-z0-9._-]*$/);
        } catch (e) {
          assert.ok(e instanceof Error && !(e instanceof RangeError), String(e));
        }
      }),
    );
    const files = Array.from({ length: 80_000 }, (_, i) => `"lib/f${i}.rb".freeze`).join(', ');
    const huge = `Gem::Specification.new do |s|\n  s.name = "big"\n  s.files = [${files}]\n  s.version = "1.0"\n  s.licenses = ["MIT"]\nend\n`;
    assert.ok(huge.length > 1_500_000);
    const t0 = Date.now();
    assert.deepEqual(parseGemspec(huge), { name: 'big', version: '1.0', license: 'MIT' });
    assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
    assert.ok((gemspecAnalyzer.maxFileSize ?? 0) > 0);
  });

  it('which files are installed gemspecs', () => {
    assert.ok(isInstalledGemspec('usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec'));
    assert.ok(isInstalledGemspec('usr/lib/ruby/gems/3.1.0/specifications/default/cgi-0.3.5.gemspec'));
    assert.ok(isInstalledGemspec('usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec'));
    assert.ok(isInstalledGemspec('usr/local/bundle/specifications/puma-6.4.2.gemspec'));
    assert.ok(!isInstalledGemspec('app/mygem.gemspec'));
    assert.ok(!isInstalledGemspec('usr/local/bundle/gems/puma-6.4.2/puma.gemspec'));
    assert.ok(!isInstalledGemspec('usr/lib/ruby/gems/3.1.0/specifications/x/y/z.gemspec'));
  });
});

describe('Ruby through the scan', () => {
  it('rootfs: installed gems under one "Ruby" target, lockfile gems per file, purls, warnings', async () => {
    const dir = tmpdir('dd-ruby-e2e-');
    const put = (rel: string, content: string | Buffer) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), content);
    };
    const spec = (f: string) => readFileSync(fix('specifications', f));
    put('usr/local/bundle/specifications/rake-13.0.6.gemspec', spec('rake-13.0.6.gemspec'));
    put('usr/share/rubygems-integration/all/specifications/racc-1.6.2.gemspec', spec('racc-1.6.2.gemspec'));
    put(
      'usr/lib/ruby/gems/3.1.0/specifications/default/cgi-0.3.5.gemspec',
      spec('default/cgi-0.3.5.gemspec'),
    );
    put(
      'usr/lib/ruby/gems/3.1.0/specifications/evil-1.0.gemspec',
      'Gem::Specification.new do |s|\n  s.name = "evil"\n  s.version = `id`\nend\n',
    );
    put('app/Gemfile.lock', readFileSync(fix('Gemfile.lock')));
    // a gem's own development lockfile is not the application's (garbage: it would warn if read)
    put('usr/local/bundle/gems/rake-13.0.6/Gemfile.lock', 'not a lockfile');
    const image = await openImage(`rootfs:${dir}`);
    const r = await scanImage(image, { cacheDir: null });
    await image.close();

    const gems = r.packages.filter((p) => p.type === 'gemspec');
    assert.deepEqual(
      gems.map((p) => [p.name, p.version, p.purl, p.filePath, p.licenses]),
      [
        [
          'cgi',
          '0.3.5',
          'pkg:gem/cgi@0.3.5',
          'usr/lib/ruby/gems/3.1.0/specifications/default/cgi-0.3.5.gemspec',
          ['Ruby OR BSD-2-Clause'],
        ],
        [
          'rake',
          '13.0.6',
          'pkg:gem/rake@13.0.6',
          'usr/local/bundle/specifications/rake-13.0.6.gemspec',
          ['MIT'],
        ],
        [
          'racc',
          '1.6.2',
          'pkg:gem/racc@1.6.2',
          'usr/share/rubygems-integration/all/specifications/racc-1.6.2.gemspec',
          ['Ruby OR BSD-2-Clause'],
        ],
      ],
    );
    const locked = r.packages.filter((p) => p.type === 'bundler');
    assert.ok(
      locked.every((p) => p.filePath === 'app/Gemfile.lock' && p.purl === `pkg:gem/${p.name}@${p.version}`),
    );
    assert.deepEqual(
      locked.map((p) => `${p.name}@${p.version}${p.indirect ? ' indirect' : ''}`),
      [
        'concurrent-ruby@1.1.6 indirect',
        'i18n@1.10.0',
        'mini_portile2@2.8.1 indirect',
        'minitest@5.15.0',
        'mylib@0.1.0',
        'nokogiri@1.13.10',
        'racc@1.6.2 indirect',
        'rack@2.2.22 indirect',
        'rake@13.0.6',
      ],
    );
    assert.deepEqual(r.warnings, [
      'gemspec: could not parse usr/lib/ruby/gems/3.1.0/specifications/evil-1.0.gemspec: s.version is not a string literal',
    ]);

    // the JSON report: one "Ruby" target for every installed gem, one per lockfile
    const report = buildReport(r, { listAllPkgs: true }) as {
      Results: { Target: string; Type: string; Packages?: { Name: string }[] }[];
    };
    const ruby = report.Results.filter((x) => x.Type === 'gemspec' || x.Type === 'bundler');
    assert.deepEqual(
      ruby.map((x) => [x.Target, x.Type, x.Packages?.length]),
      [
        ['app/Gemfile.lock', 'bundler', 9],
        ['Ruby', 'gemspec', 3],
      ],
    );
  });
});
