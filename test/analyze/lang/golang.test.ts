import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { goModAnalyzer, goModPackages, parseGoMod } from '../../../src/analyze/lang/golang.js';
import type { LangPackage } from '../../../src/analyze/lang/types.js';
import { openImage } from '../../../src/image/source/open.js';
import { scanImage } from '../../../src/scan/scan.js';
import { ROOT, SHARED, SKIP_SHARED, tmpdir } from '../../helpers/env.js';

const TRIVY = path.join(SHARED, 'data/trivy-testdata/pkg/dependency/parser/golang/mod/testdata');
const TRIVY_ANALYZER = path.join(
  SHARED,
  'data/trivy-testdata/pkg/fanal/analyzer/language/golang/mod/testdata',
);
const SYFT = path.join(SHARED, 'data/syft-testdata/syft/pkg/cataloger/golang/testdata');
const HAVE_GO = spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;

const fmt = (ps: LangPackage[]) =>
  ps.map((p) => `${p.name}@${p.version}${p.indirect ? ' indirect' : ''}`).sort();
const parse = (text: string) => fmt(goModPackages(parseGoMod(text)));

/** The files of a txtar archive (Go's test-data format). */
function txtar(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = text.split(/^-- (.+) --$/m);
  for (let i = 1; i < parts.length; i += 2)
    out[parts[i] as string] = (parts[i + 1] as string).replace(/^\n/, '');
  return out;
}

const DEP_PARSER = 'github.com/aquasecurity/go-dep-parser';
const XERRORS = 'golang.org/x/xerrors v0.0.0-20200804184101-5ec99f83aff1';
const YAML = 'gopkg.in/yaml.v3@v3.0.0-20210107192922-496545a6307b indirect';

describe('go.mod', { skip: SKIP_SHARED }, () => {
  // Expectations read off each input: requirements, with the replace directives applied.
  const trivy: Record<string, string[]> = {
    normal: [
      'github.com/aquasecurity/go-version@v0.0.0-20240603093900-cf8a8d29271d',
      'github.com/davecgh/go-spew@v1.1.2-0.20180830191138-d8f796af33cc indirect',
      'github.com/pmezard/go-difflib@v1.0.1-0.20181226105442-5d4384ee4fb2 indirect',
      'github.com/stretchr/testify@v1.9.0 indirect',
      'golang.org/x/xerrors@v0.0.0-20231012003039-104605ab7028 indirect',
    ],
    // Go 1.16: go.mod lists only some indirect requirements; those it lists are reported
    go116: [`${DEP_PARSER}@v0.0.0-20211224170007-df43bca6b6ff`, YAML],
    // "replace m => m v" applies to any required version
    replaced: [`${DEP_PARSER}@v0.0.0-20220406074731-71021a481237`, `${XERRORS.replace(' ', '@')} indirect`],
    'replaced-with-version': [
      `${DEP_PARSER}@v0.0.0-20220406074731-71021a481237`,
      `${XERRORS.replace(' ', '@')} indirect`,
    ],
    // the replaced version is not the required one: no effect
    'replaced-with-version-mismatch': [
      `${DEP_PARSER}@v0.0.0-20211224170007-df43bca6b6ff`,
      `${XERRORS.replace(' ', '@')} indirect`,
      YAML,
    ],
    // replaced by a directory: the project's own code
    'replaced-with-local-path': [`${DEP_PARSER}@v0.0.0-20211224170007-df43bca6b6ff`, YAML],
    'replaced-with-local-path-and-version': [`${DEP_PARSER}@v0.0.0-20211224170007-df43bca6b6ff`, YAML],
    'replaced-with-local-path-and-version-mismatch': [
      `${DEP_PARSER}@v0.0.0-20211224170007-df43bca6b6ff`,
      `${XERRORS.replace(' ', '@')} indirect`,
      YAML,
    ],
  };
  for (const [dir, want] of Object.entries(trivy)) {
    it(`Trivy ${dir}/go.mod`, () => {
      assert.deepEqual(parse(readFileSync(path.join(TRIVY, dir, 'go.mod'), 'utf8')), [...want].sort());
    });
  }

  it('Trivy no-go-version/gomod and the analyzer txtar inputs', () => {
    assert.deepEqual(parse(readFileSync(path.join(TRIVY, 'no-go-version', 'gomod'), 'utf8')), [
      `${DEP_PARSER}@v0.0.0-20211224170007-df43bca6b6ff`,
    ]);
    const mod = (f: string) => txtar(readFileSync(path.join(TRIVY_ANALYZER, f), 'utf8'))['go.mod'] ?? '';
    assert.deepEqual(parse(mod('happy.txtar')), [
      `${DEP_PARSER}@v0.0.0-20220406074731-71021a481237`,
      `${XERRORS.replace(' ', '@')} indirect`,
    ]);
    assert.deepEqual(parse(mod('merge.txtar')), [`${DEP_PARSER}@v0.0.0-20230219131432-590b1dfb6edd`]);
    assert.deepEqual(parse(mod('no-pkg-found.txtar')), [
      `${DEP_PARSER}@v1.0.0`,
      'github.com/aquasecurity/go-version@v1.0.1',
      `${XERRORS.replace(' ', '@')} indirect`,
    ]);
    assert.deepEqual(parse(mod('vendor-dir-exists.txtar')), [
      `${DEP_PARSER}@v0.0.1`,
      `${XERRORS.replace(' ', '@')} indirect`,
    ]);
    assert.throws(() => parse(mod('sad.txtar')), /no module directive/);
  });

  it('Syft inputs', () => {
    const read = (p: string) => parse(readFileSync(path.join(SYFT, p), 'utf8'));
    assert.deepEqual(read('go-source-replacements/go.mod'), [
      'golang.org/x/text@v0.0.0-20170915032832-14c0d48ead0c indirect',
      'rsc.io/quote@v1.5.2',
      'rsc.io/sampler@v1.3.1 indirect',
    ]);
    // "module ( ... )" block, comments that mention modules, "//" lines inside a block, exclude
    assert.deepEqual(read('go-mod-fixtures/many-packages/go.mod'), [
      'github.com/adrg/xdg@v0.2.1',
      'github.com/anchore/archiver/v3@v3.5.2',
      'github.com/anchore/go-testutils@v0.0.0-20200624184116-66aa578126db',
      'github.com/anchore/go-version@v1.2.2-0.20200701162849-18adb9c92b9b',
      'github.com/anchore/stereoscope@v0.0.0-20200706164556-7cf39d7f4639',
      'github.com/bmatcuk/doublestar@v8.8.8 indirect',
      'github.com/go-test/deep@v1.0.6',
    ]);
    assert.deepEqual(read('go-mod-fixtures/one-package/go.mod'), ['github.com/bmatcuk/doublestar@v1.3.1']);
    assert.deepEqual(read('go-mod-fixtures/relative-replace/go.mod'), []);
    assert.deepEqual(read('go-sum-hashes/go.mod'), [
      'github.com/CycloneDX/cyclonedx-go@v0.6.0',
      'github.com/acarl005/stripansi@v0.0.0-20180116102854-5a71ef0e047d',
      'github.com/mgutz/ansi@v0.0.0-20200706080929-d51e80ef957d indirect',
    ]);
    assert.deepEqual(read('archs/src/go.mod'), []);
    // "ruire (": the go command rejects the unknown block; unknown directives are skipped here so
    // that directives of newer Go versions do not lose the requirements
    assert.deepEqual(read('corrupt/go.mod'), []);
  });

  it('parse == go mod edit -json (requirements, indirect marks, replacements)', {
    skip: HAVE_GO ? false : 'needs the go command (apt-get install golang-go)',
  }, () => {
    const inputs = [
      ...Object.keys(trivy).map((d) => path.join(TRIVY, d, 'go.mod')),
      path.join(SYFT, 'go-source-replacements/go.mod'),
      path.join(SYFT, 'go-mod-fixtures/many-packages/go.mod'),
      path.join(SYFT, 'go-mod-fixtures/relative-replace/go.mod'),
      path.join(SYFT, 'go-sum-hashes/go.mod'),
      path.join(ROOT, 'test/fixtures/go/app/go.mod'),
    ];
    let compared = 0;
    for (const f of inputs) {
      const dir = tmpdir();
      copyFileSync(f, path.join(dir, 'go.mod'));
      const r = spawnSync('go', ['mod', 'edit', '-json'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, GOFLAGS: '' },
      });
      // an older go command does not know directives of newer go.mod files (toolchain, go 1.22.0)
      if (r.status !== 0 && /unknown directive: toolchain|invalid go version/.test(r.stderr)) continue;
      assert.equal(r.status, 0, r.stderr);
      compared++;
      const j = JSON.parse(r.stdout) as {
        Module: { Path: string };
        Require: { Path: string; Version: string; Indirect?: boolean }[] | null;
        Replace:
          | { Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }[]
          | null;
      };
      const ours = parseGoMod(readFileSync(f, 'utf8'));
      assert.equal(ours.module, j.Module.Path, f);
      assert.deepEqual(
        ours.require.map((q) => [q.path, q.version, q.indirect]),
        (j.Require ?? []).map((q) => [q.Path, q.Version, !!q.Indirect]),
        f,
      );
      assert.deepEqual(
        ours.replace.map((q) => [q.oldPath, q.oldVersion, q.newPath, q.newVersion]),
        (j.Replace ?? []).map((q) => [q.Old.Path, q.Old.Version, q.New.Path, q.New.Version]),
        f,
      );
    }
    assert.ok(compared >= inputs.length - 1, `${compared} of ${inputs.length} compared`);
  });
});

describe('go.mod syntax and bad input', () => {
  it('quoted paths, single-line forms, "indirect;" comments, a version-specific replace wins', () => {
    const text = [
      'module "example.com/m" // the module',
      'go 1.21',
      'toolchain go1.21.5',
      'godebug default=go1.21',
      'require "example.com/q" `v1.0.0`',
      'require example.com/r v2.0.0+incompatible // indirect; kept for tests',
      'require (',
      '\texample.com/s v0.1.0 //indirect',
      '\texample.com/t v0.2.0 // not indirect',
      ')',
      'replace example.com/s => example.com/s2 v0.1.5',
      'replace example.com/s v0.1.0 => example.com/s3 v0.1.9',
      'replace example.com/t v9.9.9 => ../t',
      'exclude example.com/q v1.0.0',
      'retract [v0.0.1, v0.0.5]',
      'require ()',
    ].join('\r\n');
    assert.deepEqual(parse(text), [
      'example.com/q@v1.0.0',
      'example.com/r@v2.0.0+incompatible indirect',
      'example.com/s3@v0.1.9 indirect',
      'example.com/t@v0.2.0',
    ]);
    assert.equal(parseGoMod(text).module, 'example.com/m');
    assert.equal(parseGoMod(text).go, '1.21');
  });

  it('garbage is a short error', () => {
    assert.throws(() => parseGoMod('invalid'), /no module directive/);
    assert.throws(() => parseGoMod('\0\x01\x02binary\xff'.repeat(100)), /no module directive/);
    assert.throws(() => parseGoMod('module "unterminated\n'), /line 1: unterminated string/);
    assert.throws(() => parseGoMod(''), /no module directive/);
    // an unclosed block swallows the rest, without error or hang
    assert.deepEqual(parse('module m\nrequire (\na v1.0.0\n'), ['a@v1.0.0']);
    const big = `module m\nrequire (\n${'x/y v1.0.0\n'.repeat(100_000)})\n`;
    assert.equal(goModPackages(parseGoMod(big)).length, 100_000);
  });

  it('matches go.mod, not those of dependencies (module cache, vendor)', () => {
    const m = (p: string) => goModAnalyzer.matches(p, { type: 'file', size: 10, mode: 0o644 });
    assert.ok(m('go.mod'));
    assert.ok(m('src/app/go.mod'));
    assert.ok(!m('root/go/pkg/mod/github.com/x/y@v1.0.0/go.mod'));
    assert.ok(!m('src/app/vendor/github.com/x/y/go.mod'));
    assert.ok(!m('src/app/go.sum'));
  });
});

describe('Go and Rust through the pipeline', () => {
  it('go.mod, a Go binary, Cargo.lock and a cargo-auditable binary in a root filesystem', async () => {
    const dir = tmpdir();
    const fix = path.join(ROOT, 'test', 'fixtures');
    mkdirSync(path.join(dir, 'src/app'), { recursive: true });
    mkdirSync(path.join(dir, 'usr/local/bin'), { recursive: true });
    mkdirSync(path.join(dir, 'src/rust'), { recursive: true });
    copyFileSync(path.join(fix, 'go/app/go.mod'), path.join(dir, 'src/app/go.mod'));
    copyFileSync(path.join(fix, 'rust/Cargo.lock'), path.join(dir, 'src/rust/Cargo.lock'));
    for (const [from, to] of [
      ['go/linux-amd64-stripped.skel.gz', 'usr/local/bin/goapp'],
      ['rust/app-auditable.skel.gz', 'usr/local/bin/rustapp'],
    ] as const) {
      writeFileSync(path.join(dir, to), gunzipSync(readFileSync(path.join(fix, from))));
      chmodSync(path.join(dir, to), 0o755);
    }
    // not executable: not read as a binary
    writeFileSync(
      path.join(dir, 'usr/local/bin/data'),
      gunzipSync(readFileSync(path.join(fix, 'go/linux-386.skel.gz'))),
    );
    chmodSync(path.join(dir, 'usr/local/bin/data'), 0o644);
    const image = await openImage(`rootfs:${dir}`);
    const r = await scanImage(image, { cacheDir: null });
    assert.deepEqual(
      r.warnings.filter((w) => /gomod|gobinary|cargo|rustbinary/.test(w)),
      [],
    );
    const got = r.packages
      .filter((p) => ['gomod', 'gobinary', 'cargo', 'rustbinary'].includes(p.type))
      .map((p) => `${p.type} ${p.filePath} ${p.purl}${p.indirect ? ' indirect' : ''}`)
      .sort();
    assert.deepEqual(got, [
      'cargo src/rust/Cargo.lock pkg:cargo/cc@1.0.83 indirect',
      'cargo src/rust/Cargo.lock pkg:cargo/itoa@1.0.9 indirect',
      'cargo src/rust/Cargo.lock pkg:cargo/smallvec@1.6.0',
      'gobinary usr/local/bin/goapp pkg:golang/example.com/app@v1.4.0',
      'gobinary usr/local/bin/goapp pkg:golang/example.com/greet@v1.2.3',
      'gobinary usr/local/bin/goapp pkg:golang/example.com/newmod@v1.0.1',
      'gobinary usr/local/bin/goapp pkg:golang/example.com/util@v0.3.0',
      'gobinary usr/local/bin/goapp pkg:golang/stdlib@v1.19.8',
      'gomod src/app/go.mod pkg:golang/example.com/greet@v1.2.3',
      'gomod src/app/go.mod pkg:golang/example.com/newmod@v1.0.1',
      'gomod src/app/go.mod pkg:golang/example.com/util@v0.3.0 indirect',
      'rustbinary usr/local/bin/rustapp pkg:cargo/itoa@1.0.9',
      'rustbinary usr/local/bin/rustapp pkg:cargo/smallvec@1.6.0',
    ]);
  });
});
