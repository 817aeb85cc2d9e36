import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { LangPackage } from '../../../src/analyze/lang/types.js';
import {
  isBerryLock,
  parseYarnBerry,
  parseYarnLock,
  parseYarnV1,
  realName,
  splitDescriptor,
  yarnLockAnalyzer,
} from '../../../src/analyze/lang/yarn.js';
import { openImage } from '../../../src/image/source/open.js';
import { scanImage } from '../../../src/scan/scan.js';
import { ROOT, SHARED, SKIP_SHARED, tmpdir } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures');
const TRIVY = path.join(SHARED, 'data/trivy-testdata/pkg/dependency/parser/nodejs/yarn/testdata');
const SYFT = path.join(SHARED, 'data/syft-testdata/syft/pkg/cataloger/javascript/testdata');

const ids = (l: LangPackage[]) => l.map((p) => `${p.name}@${p.version}`).sort();
const parseFile = (file: string) => parseYarnLock(readFileSync(file, 'utf8'));

describe('yarn.lock written by real yarn releases', () => {
  // test/fixtures/yarn/*: yarn 1.22 (classic) and yarn 2, 3, 4 (berry, __metadata 4, 6, 10) on one
  // workspace project; expected.json: the node_modules tree (classic) or `yarn info --all
  // --recursive` (berry, equal to its node_modules tree).
  const dirs = readdirSync(path.join(FIX, 'yarn'), { withFileTypes: true }).filter((d) => d.isDirectory());
  it('covers classic and three berry releases', () => {
    assert.deepEqual(dirs.map((d) => d.name).sort(), ['berry-v2', 'berry-v3', 'berry-v4', 'classic']);
  });
  for (const d of dirs) {
    it(`${d.name}: the packages the real tool installed`, () => {
      const text = readFileSync(path.join(FIX, 'yarn', d.name, 'yarn.lock'), 'utf8');
      const want = JSON.parse(readFileSync(path.join(FIX, 'yarn', d.name, 'expected.json'), 'utf8')) as {
        packages: string[];
      };
      assert.equal(isBerryLock(text), d.name.startsWith('berry'));
      const got = parseYarnLock(text);
      assert.deepEqual(ids(got), want.packages);
      assert.ok(want.packages.includes('string-width@4.2.3'), 'the npm alias under its real name');
      assert.ok(want.packages.includes('resolve@1.22.8'), "berry's patched copy is the same package");
      assert.ok(!want.packages.some((p) => p.startsWith('dd-fixture')), 'workspaces are not packages');
      // yarn.lock does not say which packages are development-only
      assert.ok(got.every((p) => p.dev === undefined));
    });
  }
});

describe('yarn.lock test vectors (Trivy)', { skip: SKIP_SHARED }, () => {
  it('classic: quoted and unquoted keys, several descriptors per entry', () => {
    assert.deepEqual(ids(parseFile(path.join(TRIVY, 'yarn_happy.lock'))), [
      '@babel/helper-regex@7.4.4',
      'ansi-regex@2.1.1',
      'ansi-regex@3.0.0',
      'asap@2.0.6',
      'inherits@2.0.3',
      'is-fullwidth-code-point@2.0.0',
      'jquery@3.4.1',
      'js-tokens@4.0.0',
      'lodash@4.17.11',
      'promise@8.0.3',
      'safe-buffer@5.1.2',
      'safer-buffer@2.1.2',
      'statuses@1.5.0',
      'string-width@2.1.1',
      'strip-ansi@3.0.1',
      'strip-ansi@4.0.0',
      'whatwg-fetch@3.0.0',
      'wide-align@1.1.3',
    ]);
    // every property quoted, as other tools write it
    assert.deepEqual(ids(parseFile(path.join(TRIVY, 'yarn_with_npm.lock'))), ['jquery@3.6.0']);
  });

  it('classic: git dependencies kept, file: tarballs and unknown protocols left out', () => {
    assert.deepEqual(ids(parseFile(path.join(TRIVY, 'yarn_with_git.lock'))), [
      'mapbox-gl-feature-drag-and-drop@1.1.1',
    ]);
    assert.deepEqual(ids(parseFile(path.join(TRIVY, 'yarn_with_local.lock'))), [
      'asap@2.0.6',
      'jquery@3.4.1',
      'promise@8.0.3',
    ]);
    // "asap@unsupported:~2.0.6" (yarn itself rejects the file): the rest is still reported
    assert.deepEqual(ids(parseFile(path.join(TRIVY, 'yarn_with_bad_protocol.lock'))), ['jquery@3.4.1']);
  });

  it('berry: workspaces left out, a patch: resolution reports the patched version', () => {
    assert.deepEqual(ids(parseFile(path.join(TRIVY, 'yarn_v2_happy.lock'))), [
      '@types/color-name@1.1.1',
      'abbrev@1.1.1',
      'ansi-styles@3.2.1',
      'ansi-styles@4.2.1',
      'assert-plus@1.0.0',
      'async@3.2.0',
      'color-convert@1.9.3',
      'color-convert@2.0.1',
      'color-name@1.1.3',
      'color-name@1.1.4',
      'fsevents@2.1.3',
      'ipaddr.js@1.9.1',
      'js-tokens@4.0.0',
      'loose-envify@1.4.0',
      'node-gyp@7.1.0',
      'once@1.4.0',
      'wrappy@1.0.2',
    ]);
    assert.deepEqual(ids(parseFile(path.join(TRIVY, 'yarn_v2_deps_with_protocol.lock'))), [
      'debug@4.3.4',
      'ms@2.1.2',
    ]);
  });
});

describe('yarn.lock test vectors (Syft)', { skip: SKIP_SHARED }, () => {
  const nine = [
    '@babel/code-frame@7.10.4',
    '@types/minimatch@3.0.3',
    '@types/qs@6.9.4',
    'ajv@6.12.3',
    'asn1.js@4.10.1',
    'atob@2.1.2',
    'aws-sdk@2.706.0',
    'c0n-fab_u.laTION@7.7.7',
    'jhipster-core@7.3.4',
  ];
  it('classic and berry lockfiles, repeated entries counted once', () => {
    assert.deepEqual(ids(parseFile(path.join(SYFT, 'yarn/yarn.lock'))), nine);
    assert.deepEqual(ids(parseFile(path.join(SYFT, 'yarn-v1-deps/yarn.lock'))), nine);
    // berry: the same project without the made-up package; "@types/qs" appears twice (yarn's own
    // reader lets the second replace the first)
    assert.deepEqual(
      ids(parseFile(path.join(SYFT, 'yarn-berry/yarn.lock'))),
      nine.filter((p) => !p.startsWith('c0n')),
    );
    assert.deepEqual(ids(parseFile(path.join(SYFT, 'yarn-berry-dups/yarn.lock'))), [
      'async@0.9.2',
      'async@3.2.6',
    ]);
    // a "name" field, when a writer records one, is the package's name
    assert.deepEqual(ids(parseFile(path.join(SYFT, 'yarn-dups/yarn.lock'))), [
      'async@0.9.2',
      'async@3.2.3',
      'merge-objects@1.0.5',
      'resize-observer-polyfill@1.5.2',
      'should-type@1.3.0',
    ]);
    for (const d of ['yarn-dev-deps', 'yarn-berry-dev-deps'])
      assert.deepEqual(ids(parseFile(path.join(SYFT, d, 'yarn.lock'))), [
        'dev-only-transitive@1.0.0',
        'dev-pkg@1.0.0',
        'prod-pkg@1.0.0',
        'shared-pkg@1.0.0',
      ]);
    assert.throws(() => parseFile(path.join(SYFT, 'glob-paths/src/yarn.lock')), /expected an entry/);
  });
});

describe('yarn descriptors', () => {
  it('names, aliases and protocols', () => {
    assert.deepEqual(splitDescriptor('@scope/a@^1.0.0'), { name: '@scope/a', range: '^1.0.0' });
    assert.deepEqual(splitDescriptor('a@npm:b@^2'), { name: 'a', range: 'npm:b@^2' });
    assert.equal(realName('string-width-cjs', 'npm:string-width@^4.2.0'), 'string-width');
    assert.equal(realName('x', 'npm:@scope/real@1'), '@scope/real');
    assert.equal(realName('x', 'npm:^1.0.0'), 'x');
    const v1 = [
      '"string-width-cjs@npm:string-width@^4.2.0", string-width@^4.1.0:',
      '  version "4.2.3"',
      '"@scope/a@1.0.0":',
      '  version "1.0.0"',
      'linked@link:../linked:',
      '  version "0.0.0"',
      'local@file:../local:',
      '  version "0.1.0"',
      'gh@user/repo#v1:',
      '  version "3.0.0"',
      '',
    ].join('\n');
    assert.deepEqual(ids(parseYarnV1(v1)), ['@scope/a@1.0.0', 'gh@3.0.0', 'string-width@4.2.3']);
    const berry = [
      '__metadata:',
      '  version: 8',
      '"app@workspace:.":',
      '  version: 0.0.0-use.local',
      '  resolution: "app@workspace:."',
      '"p@portal:../p::locator=app%40workspace%3A.":',
      '  version: 0.0.0-use.local',
      '  resolution: "p@portal:../p::locator=app%40workspace%3A."',
      '"ws-patch@patch:ws-patch@workspace%3Apackages/w#./x.patch::locator=app%40workspace%3A.":',
      '  version: 1.0.0',
      '  resolution: "ws-patch@patch:ws-patch@workspace%3Apackages/w#./x.patch::locator=app%40workspace%3A."',
      '"typescript@patch:typescript@npm%3A5.4.5#optional!builtin<compat/typescript>":',
      '  version: 5.4.5',
      '  resolution: "typescript@patch:typescript@npm%3A5.4.5#optional!builtin<compat/typescript>::version=5.4.5&hash=5adc0c"',
      '"git-dep@https://example.test/o/r.git#commit=abc":',
      '  version: 2.0.0',
      '  resolution: "git-dep@https://example.test/o/r.git#commit=abc"',
      '"no-resolution@npm:^1.0.0":',
      '  version: 1.2.0',
      '',
    ].join('\n');
    assert.deepEqual(ids(parseYarnBerry(berry)), [
      'git-dep@2.0.0',
      'no-resolution@1.2.0',
      'typescript@5.4.5',
    ]);
  });

  it('the analyzer: yarn type, npm purls, lockfiles inside node_modules ignored', () => {
    assert.deepEqual(yarnLockAnalyzer.lang, { type: 'yarn', purlType: 'npm' });
    const info = { type: 'file' as const, size: 1, mode: 0o644 };
    assert.ok(yarnLockAnalyzer.matches('app/yarn.lock', info));
    assert.ok(yarnLockAnalyzer.matches('yarn.lock', info));
    assert.ok(!yarnLockAnalyzer.matches('app/node_modules/x/yarn.lock', info));
    assert.ok(!yarnLockAnalyzer.matches('app/yarn.lock.bak', info));
  });
});

describe('yarn.lock bad input', () => {
  for (const fixture of ['classic', 'berry-v4']) {
    it(`${fixture} truncated anywhere: a short error or a subset, never a hang`, () => {
      const good = readFileSync(path.join(FIX, 'yarn', fixture, 'yarn.lock'), 'utf8');
      const all = new Set(ids(parseYarnLock(good)));
      for (let cut = 0; cut < good.length; cut += 89) {
        try {
          for (const p of ids(parseYarnLock(good.slice(0, cut)))) assert.ok(all.has(p), `cut ${cut}: ${p}`);
        } catch (e) {
          assert.ok(e instanceof Error && e.message.length < 200, `cut ${cut}: ${String(e)}`);
        }
      }
    });
  }

  it('binary garbage throws (both formats)', () => {
    const bytes = Buffer.alloc(1 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    assert.throws(() => parseYarnLock(bytes.toString('latin1')));
    assert.throws(
      () => parseYarnLock(`__metadata:\n  version: 8\n${bytes.toString('latin1')}`),
      /control character/,
    );
  });

  it('50 MB lockfiles of junk finish (bounded time, linear)', { timeout: 120_000 }, () => {
    const MB50 = 50 * 1024 * 1024;
    const v1: string[] = [];
    const berry: string[] = ['__metadata:\n  version: 8\n\n'];
    let size = 0;
    for (let n = 0; size < MB50; n++) {
      const e = `junk-${n}@^1.0.0:\n  version "1.0.${n}"\n  integrity sha512-${'b'.repeat(88)}\n  dependencies:\n    a "1"\n\n`;
      v1.push(e);
      size += e.length;
    }
    assert.ok(parseYarnV1(v1.join('')).length > 100_000);
    size = 0;
    for (let n = 0; size < MB50; n++) {
      const e = `"junk-${n}@npm:^1.0.0":\n  version: 1.0.${n}\n  resolution: "junk-${n}@npm:1.0.${n}"\n  checksum: ${'a'.repeat(128)}\n  languageName: node\n  linkType: hard\n\n`;
      berry.push(e);
      size += e.length;
    }
    assert.ok(parseYarnBerry(berry.join('')).length > 100_000);
    const junk = Buffer.alloc(MB50);
    for (let i = 0; i < junk.length; i++) junk[i] = i % 97 === 96 ? 10 : 33 + ((i * 7919) % 94);
    assert.throws(() => parseYarnLock(junk.toString('latin1')));
  });

  it('deeply nested YAML (berry) and merge conflicts throw short errors', () => {
    const deep = `__metadata:\n  version: 8\n${Array.from({ length: 10_000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')}`;
    assert.throws(() => parseYarnLock(deep), /nesting deeper than 64/);
    assert.throws(
      () => parseYarnV1('a@^1:\n  version "1.0.0"\n<<<<<<< HEAD\n'),
      /merge conflict markers at line 3/,
    );
    assert.throws(() => parseYarnV1('  version "1.0.0"\n'), /outside an entry/);
    assert.throws(() => parseYarnV1('a@^1:\n  version "1.0.0\n'), /unterminated string at line 2/);
  });

  it('entries without versions are skipped, the rest yielded', () => {
    assert.deepEqual(ids(parseYarnV1('a@^1:\n  resolved "x"\nb@^2:\n  version "2.0.0"\n')), ['b@2.0.0']);
    assert.deepEqual(
      ids(
        parseYarnBerry(
          '__metadata:\n  version: 8\n"a@npm:^1":\n  resolution: "a@npm:1.0.0"\n"b@npm:^2":\n  version: 2.0.0\n  resolution: "b@npm:2.0.0"\n"c@npm:1": junk\n',
        ),
      ),
      ['b@2.0.0'],
    );
  });
});

describe('yarn and pnpm lockfiles in a scan', () => {
  it('types, purls and file paths; lockfiles inside node_modules are ignored', async () => {
    const dir = tmpdir();
    const put = (from: string, to: string) => {
      mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
      copyFileSync(path.join(FIX, from), path.join(dir, to));
    };
    put('yarn/classic/yarn.lock', 'srv/classic/yarn.lock');
    put('yarn/berry-v4/yarn.lock', 'srv/berry/yarn.lock');
    put('pnpm/v9.0-workspace/pnpm-lock.yaml', 'srv/web/pnpm-lock.yaml');
    put('yarn/classic/yarn.lock', 'srv/web/node_modules/some-pkg/yarn.lock');
    put('pnpm/v6.0/pnpm-lock.yaml', 'srv/web/node_modules/.pnpm/x@1.0.0/node_modules/x/pnpm-lock.yaml');
    mkdirSync(path.join(dir, 'srv/broken'), { recursive: true });
    writeFileSync(path.join(dir, 'srv/broken/pnpm-lock.yaml'), 'lockfileVersion: 9.0\npackages:\n  a: [\n');
    const image = await openImage(`rootfs:${dir}`);
    const r = await scanImage(image, { cacheDir: null });
    await image.close();
    const js = r.packages.filter((p) => p.type === 'yarn' || p.type === 'pnpm');
    assert.deepEqual([...new Set(js.map((p) => `${p.type} ${p.filePath}`))].sort(), [
      'pnpm srv/web/pnpm-lock.yaml',
      'yarn srv/berry/yarn.lock',
      'yarn srv/classic/yarn.lock',
    ]);
    const pick = (type: string, file: string, name: string) =>
      js
        .filter((p) => p.type === type && p.filePath === file && p.name === name)
        .map((p) => [p.purl, p.dev ?? false, p.indirect ?? false]);
    assert.deepEqual(pick('yarn', 'srv/classic/yarn.lock', 'string-width'), [
      ['pkg:npm/string-width@4.2.3', false, false],
    ]);
    assert.deepEqual(pick('yarn', 'srv/berry/yarn.lock', '@babel/helper-string-parser'), [
      ['pkg:npm/%40babel/helper-string-parser@7.24.1', false, false],
    ]);
    assert.deepEqual(pick('pnpm', 'srv/web/pnpm-lock.yaml', 'ms'), [
      ['pkg:npm/ms@2.0.0', true, false],
      ['pkg:npm/ms@2.1.2', false, true],
    ]);
    const expected = (f: string) =>
      (JSON.parse(readFileSync(path.join(FIX, f), 'utf8')) as { packages: string[] }).packages.length;
    assert.equal(
      js.filter((p) => p.filePath === 'srv/classic/yarn.lock').length,
      expected('yarn/classic/expected.json'),
    );
    assert.equal(
      js.filter((p) => p.filePath === 'srv/web/pnpm-lock.yaml').length,
      expected('pnpm/v9.0-workspace/expected.json'),
    );
    assert.deepEqual(
      r.warnings.filter((w) => /yarn|pnpm/.test(w)),
      ['pnpm-lock: could not parse srv/broken/pnpm-lock.yaml: unterminated flow collection at line 3'],
    );
  });
});
