import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseDepPath, parsePnpmLock, pnpmLockAnalyzer, refToNode } from '../../../src/analyze/lang/pnpm.js';
import type { LangPackage } from '../../../src/analyze/lang/types.js';
import { ROOT, SHARED, SKIP_SHARED } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'pnpm');
const TRIVY = path.join(SHARED, 'data/trivy-testdata/pkg/dependency/parser/nodejs/pnpm/testdata');
const SYFT = path.join(SHARED, 'data/syft-testdata/syft/pkg/cataloger/javascript/testdata');

const id = (p: LangPackage) => `${p.name}@${p.version}`;
const ids = (l: LangPackage[]) => l.map(id).sort();
const parseFile = (file: string) => parsePnpmLock(readFileSync(file, 'utf8'));

/**
 * An independent reading of a v5/v6 lockfile with plain text matching (no YAML): every key of the
 * "packages" section ("  /name/1.0.0_peer:" or "  /name@1.0.0(peer):") and its "dev:" line.
 */
function textPackages(text: string): { all: Set<string>; dev: Set<string>; prod: Set<string> } {
  const all = new Set<string>();
  const dev = new Set<string>();
  const prod = new Set<string>();
  const v6 = !/^lockfileVersion: '?5/m.test(text);
  let inPackages = false;
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) inPackages = line === 'packages:';
    if (!inPackages) continue;
    const key = /^ {2}'?\/(.+?)'?:$/.exec(line)?.[1];
    if (key) {
      const noPeers = v6 ? key.replace(/\(.*$/, '') : key.replace(/_.*$/, '');
      const sep = v6 ? noPeers.lastIndexOf('@') : noPeers.lastIndexOf('/');
      current = `${noPeers.slice(0, sep)}@${noPeers.slice(sep + 1)}`;
      all.add(current);
    }
    const flag = /^ {4}dev: (true|false)$/.exec(line)?.[1];
    if (flag) (flag === 'true' ? dev : prod).add(current);
  }
  return { all, dev, prod };
}

describe('pnpm-lock.yaml written by real pnpm releases', () => {
  // test/fixtures/pnpm/*: pnpm 7 (5.4), 8 (6.0), 9 (9.0) and 11 (9.0 with an environment document),
  // each with and without a workspace; expected.json is what `pnpm ls -r --depth Infinity` listed.
  const dirs = readdirSync(FIX, { withFileTypes: true }).filter((d) => d.isDirectory());
  it('covers every lockfile version the fixtures hold', () => {
    assert.deepEqual(
      dirs.map((d) => d.name).sort(),
      [
        'v5.4',
        'v5.4-workspace',
        'v6.0',
        'v6.0-workspace',
        'v9.0',
        'v9.0-env-document',
        'v9.0-workspace',
      ].sort(),
    );
  });
  for (const d of dirs) {
    it(`${d.name}: packages, dev-only and direct ones equal pnpm ls`, () => {
      const want = JSON.parse(readFileSync(path.join(FIX, d.name, 'expected.json'), 'utf8')) as {
        packages: string[];
        dev: string[];
        direct: string[];
      };
      const got = parseFile(path.join(FIX, d.name, 'pnpm-lock.yaml'));
      assert.deepEqual(ids(got), want.packages);
      assert.deepEqual(ids(got.filter((p) => p.dev)), want.dev);
      assert.deepEqual(ids(got.filter((p) => !p.indirect)), want.direct);
      // the facts the fixture project was built to exercise
      assert.ok(want.packages.includes('string-width@4.2.3'), 'an npm alias is reported under its real name');
      assert.ok(want.packages.includes('@babel/helper-string-parser@7.24.1'), 'a scoped package');
      assert.ok(want.packages.includes('acorn-jsx@5.3.2'), 'a package with a peer suffix');
      assert.deepEqual(want.dev, ['is-number@7.0.0', 'ms@2.0.0'], 'strip-ansi is dev and prod: not dev');
      assert.ok(
        !want.packages.some((p) => p.startsWith('dd-fixture')),
        'workspace projects are not packages',
      );
    });
  }
});

describe('pnpm-lock.yaml test vectors (Trivy)', { skip: SKIP_SHARED }, () => {
  it('v5.3, v5.4 and v6.0 files: every packages key, and the dev flag the file records', () => {
    for (const f of [
      'pnpm-lock_normal.yaml',
      'pnpm-lock_many.yaml',
      'pnpm-lock_with_dev.yaml',
      'pnpm-lock_v6.yaml',
      'pnpm-lock_v6_with_dev.yaml',
    ]) {
      const text = readFileSync(path.join(TRIVY, f), 'utf8');
      const want = textPackages(text);
      const got = parsePnpmLock(text);
      assert.ok(want.all.size >= 3, f);
      assert.deepEqual(ids(got), [...want.all].sort(), f);
      for (const p of got) {
        if (want.dev.has(id(p))) assert.equal(p.dev, true, `${f}: ${id(p)} is dev: true`);
        if (want.prod.has(id(p))) assert.equal(p.dev, undefined, `${f}: ${id(p)} is dev: false`);
      }
    }
    const many = parseFile(path.join(TRIVY, 'pnpm-lock_many.yaml'));
    assert.equal(many.length, 134);
    assert.deepEqual(
      ids(many.filter((p) => !p.indirect)),
      [
        'chalk@5.0.1',
        'commander@9.3.0',
        'lodash@4.17.21',
        'mocha@10.0.0',
        'react@18.1.0',
        'redux@4.2.0',
        'request@2.88.2',
      ],
      'the direct dependencies are the top-level ones',
    );
  });

  it('v6 remote tarballs carry name/version fields; file: folders and tarballs are the project', () => {
    const got = parseFile(path.join(TRIVY, 'pnpm-lock_archives.yaml'));
    assert.deepEqual(ids(got), ['asynckit@0.4.0', 'debug@4.3.4', 'is-negative@2.0.1', 'ms@2.1.2']);
    assert.deepEqual(ids(got.filter((p) => p.indirect)), ['asynckit@0.4.0', 'ms@2.1.2']);
  });

  it('v9: workspace importers, tarballs, file: entries, dev derived from the snapshot graph', () => {
    const got = parseFile(path.join(TRIVY, 'pnpm-lock_v9.yaml'));
    assert.deepEqual(ids(got), [
      '@babel/helper-string-parser@7.24.1',
      'asap@2.0.6',
      'asynckit@0.4.0', // a tarball dependency of the file:package1 folder
      'await-sleep@0.0.1',
      'debug@4.3.4',
      'debug@4.3.5', // the tarball: "version" field
      'ee-first@1.1.1',
      'encodeurl@1.0.2',
      'escape-html@1.0.3',
      'finalhandler@1.1.1',
      'is-negative@2.0.1',
      'jquery@3.6.0',
      'ms@2.0.0',
      'ms@2.1.2',
      'on-finished@2.3.0',
      'parseurl@1.3.3',
      'promise@8.1.0',
      'sleep-utils@1.0.3',
      'statuses@1.4.0',
      'unpipe@1.0.0',
    ]);
    // devDependencies of "." (jquery, ms@2.0.0, lodash: a file: tarball) and of "subdir" (await-sleep);
    // ms@2.0.0 is also reached from finalhandler -> debug@4.3.4, a production path
    assert.deepEqual(ids(got.filter((p) => p.dev)), ['await-sleep@0.0.1', 'jquery@3.6.0']);
  });

  it('v9: cycles, several versions, peer variants, the environment document', () => {
    const cyclic = parseFile(path.join(TRIVY, 'pnpm-lock_v9_cyclic_import.yaml'));
    assert.equal(cyclic.length, 7);
    assert.deepEqual(ids(cyclic.filter((p) => !p.indirect)), ['update-browserslist-db@1.0.16']);
    assert.deepEqual(ids(parseFile(path.join(TRIVY, 'pnpm-lock_v9_multi_version.yaml'))), [
      'is-number@6.0.0',
      'is-number@7.0.0',
    ]);
    const peers = parseFile(path.join(TRIVY, 'pnpm-lock_v9_same-vers-diff-peers.yaml'));
    assert.deepEqual(ids(peers), [
      'jest-config@30.0.3',
      'jest-pnp-resolver@1.2.3',
      'jest-resolve@27.5.1',
      'jest-resolve@30.0.2',
      'jest-runner@27.5.1',
      'jest-runner@30.0.3',
    ]);
    // jest-pnp-resolver has a dev variant and a production variant: not dev
    assert.deepEqual(ids(peers.filter((p) => p.dev)), ['jest-resolve@27.5.1', 'jest-runner@27.5.1']);
    // the first document pins pnpm itself (packageManagerDependencies): not the application's
    assert.deepEqual(ids(parseFile(path.join(TRIVY, 'pnpm-lock_v9_multiple_documents.yaml'))), [
      'is-number@7.0.0',
    ]);
  });
});

describe('pnpm-lock.yaml test vectors (Syft)', { skip: SKIP_SHARED }, () => {
  it('v5 peer suffixes (hashed and named), v6 keys, v9 snapshots, remote and multi-document files', () => {
    for (const d of ['pnpm-v5-peer-suffix', 'pnpm-v6']) {
      const text = readFileSync(path.join(SYFT, d, 'pnpm-lock.yaml'), 'utf8');
      assert.deepEqual(ids(parsePnpmLock(text)), [...textPackages(text).all].sort(), d);
    }
    assert.deepEqual(ids(parseFile(path.join(SYFT, 'pnpm-v5-peer-suffix/pnpm-lock.yaml'))), [
      'acorn-jsx@5.3.2',
      'acorn@8.8.0',
      'webpack-cli@4.10.0',
    ]);
    assert.deepEqual(ids(parseFile(path.join(SYFT, 'pnpm-v9-snapshots/pnpm-lock.yaml'))), [
      'cross-spawn@7.0.6',
      'isexe@2.0.0',
      'path-key@3.1.1',
      'shebang-command@2.0.0',
      'shebang-regex@3.0.0',
      'which@2.0.2',
    ]);
    assert.deepEqual(ids(parseFile(path.join(SYFT, 'pnpm-multi-doc/pnpm-lock.yaml'))), ['minimist@1.2.0']);
    assert.deepEqual(ids(parseFile(path.join(SYFT, 'pnpm-remote/pnpm-lock.yaml'))), ['nanoid@3.3.4']);
    // a 5.4 file whose packages were cut down to one dev package
    const cut = parseFile(path.join(SYFT, 'pnpm/pnpm-lock.yaml'));
    assert.deepEqual(
      cut.map((p) => [id(p), p.dev, p.indirect]),
      [['@bcoe/v8-coverage@0.2.3', true, true]],
    );
  });

  it('a "9.0" file written with v6-style keys is read by its keys', () => {
    assert.deepEqual(ids(parseFile(path.join(SYFT, 'pnpm-v9/pnpm-lock.yaml'))), [
      '@babel/core@7.24.7',
      '@babel/helper-plugin-utils@7.24.7',
      'is-positive@3.1.0',
      'rollup@4.18.0',
    ]);
  });

  it('corrupt and bogus files throw', () => {
    assert.throws(
      () => parseFile(path.join(SYFT, 'corrupt/pnpm-lock.yaml')),
      /expected "key: value" at line 3/,
    );
    assert.throws(() => parseFile(path.join(SYFT, 'glob-paths/src/pnpm-lock.yaml')), /not a pnpm lockfile/);
  });
});

describe('pnpm dependency paths', () => {
  it('names and versions from packages keys', () => {
    assert.deepEqual(parseDepPath('/acorn-jsx/5.3.2_acorn@8.8.0', 'v5'), {
      name: 'acorn-jsx',
      version: '5.3.2',
    });
    assert.deepEqual(parseDepPath('/webpack-cli/4.10.0_fzn43tb6bdtdxy2s3aqevve2su', 'v5'), {
      name: 'webpack-cli',
      version: '4.10.0',
    });
    assert.deepEqual(parseDepPath('/@babel/runtime/7.18.3', 'v5'), {
      name: '@babel/runtime',
      version: '7.18.3',
    });
    assert.deepEqual(parseDepPath('registry.example.test/@s/x/1.0.0', 'v5'), undefined);
    assert.deepEqual(parseDepPath('/registry.example.test/@s/x/1.0.0', 'v5'), {
      name: '@s/x',
      version: '1.0.0',
    });
    assert.deepEqual(parseDepPath('/@babel/helper-plugin-utils@7.24.7(@babel/core@7.24.7)', 'v6'), {
      name: '@babel/helper-plugin-utils',
      version: '7.24.7',
    });
    assert.deepEqual(parseDepPath('@scope/x@1.0.0(react@18.2.0)(@types/react@18.0.0)', 'v9'), {
      name: '@scope/x',
      version: '1.0.0',
    });
    assert.equal(parseDepPath('@github.com/debug-js/debug/tarball/4.3.4', 'v6'), undefined);
  });

  it('importer and dependency references to graph nodes', () => {
    assert.equal(refToNode('acorn-jsx', '5.3.2_acorn@8.11.3', 'v5'), '/acorn-jsx/5.3.2_acorn@8.11.3');
    assert.equal(refToNode('string-width-cjs', '/string-width/4.2.3', 'v5'), '/string-width/4.2.3');
    assert.equal(refToNode('x', '4.3.4(@types/node@20.0.0)', 'v6'), '/x@4.3.4(@types/node@20.0.0)');
    assert.equal(
      refToNode('debug', '@github.com/debug-js/debug/tarball/4.3.4', 'v6'),
      '@github.com/debug-js/debug/tarball/4.3.4',
    );
    assert.equal(refToNode('string-width-cjs', 'string-width@4.2.3', 'v9'), 'string-width@4.2.3');
    assert.equal(refToNode('a', '@s/real@1.0.0', 'v9'), '@s/real@1.0.0');
    assert.equal(refToNode('u', '1.0.16(browserslist@4.23.0)', 'v9'), 'u@1.0.16(browserslist@4.23.0)');
    assert.equal(
      refToNode('debug', 'https://example.test/x/tarball/4.3.5', 'v9'),
      'debug@https://example.test/x/tarball/4.3.5',
    );
    assert.equal(refToNode('lib', 'link:packages/lib', 'v9'), undefined);
  });

  it('the analyzer: pnpm type, npm purls, lockfiles inside node_modules ignored', () => {
    assert.deepEqual(pnpmLockAnalyzer.lang, { type: 'pnpm', purlType: 'npm' });
    const info = { type: 'file' as const, size: 1, mode: 0o644 };
    assert.ok(pnpmLockAnalyzer.matches('app/pnpm-lock.yaml', info));
    assert.ok(pnpmLockAnalyzer.matches('pnpm-lock.yaml', info));
    assert.ok(!pnpmLockAnalyzer.matches('app/node_modules/x/pnpm-lock.yaml', info));
    assert.ok(!pnpmLockAnalyzer.matches('app/pnpm-lock.yml', info));
  });
});

describe('pnpm-lock.yaml bad input', () => {
  const good = readFileSync(path.join(FIX, 'v9.0', 'pnpm-lock.yaml'), 'utf8');
  const all = new Set(ids(parsePnpmLock(good)));

  it('truncated anywhere: a short error or a subset of the packages, never a hang', () => {
    for (let cut = 0; cut < good.length; cut += 97) {
      try {
        for (const p of parsePnpmLock(good.slice(0, cut))) assert.ok(all.has(id(p)), `cut ${cut}: ${id(p)}`);
      } catch (e) {
        assert.ok(e instanceof Error && e.message.length < 200, `cut ${cut}: ${String(e)}`);
      }
    }
  });

  it('binary garbage throws', () => {
    const bytes = Buffer.alloc(1 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    assert.throws(() => parsePnpmLock(bytes.toString('utf8')), /control character/);
  });

  it('a 50 MB lockfile of junk entries finishes (bounded time, linear)', { timeout: 120_000 }, () => {
    const parts = [
      "lockfileVersion: '6.0'\n\ndependencies:\n  junk-0:\n    specifier: 1.0.0\n    version: 1.0.0\n\npackages:\n\n",
    ];
    let size = 0;
    for (let n = 0; size < 50 * 1024 * 1024; n++) {
      const e = `  /junk-${n}@1.0.${n % 7}:\n    resolution: {integrity: sha512-${'A'.repeat(88)}}\n    dependencies:\n      junk-${n + 1}: 1.0.${(n + 1) % 7}\n    dev: false\n\n`;
      parts.push(e);
      size += e.length;
    }
    const got = parsePnpmLock(parts.join(''));
    assert.ok(got.length > 100_000);
    // and 50 MB of printable junk fails at once
    const junk = Buffer.alloc(50 * 1024 * 1024);
    for (let i = 0; i < junk.length; i++) junk[i] = i % 97 === 96 ? 10 : 33 + ((i * 7919) % 94);
    assert.throws(() => parsePnpmLock(junk.toString('latin1')));
  });

  it('deeply nested YAML throws a short error', () => {
    const deep = `lockfileVersion: '9.0'\npackages:\n${Array.from({ length: 10_000 }, (_, i) => `${' '.repeat(i + 2)}k:`).join('\n')}`;
    assert.throws(() => parsePnpmLock(deep), /nesting deeper than 64/);
  });

  it('entries without versions are skipped, the rest yielded; no lockfileVersion throws', () => {
    const text = [
      "lockfileVersion: '9.0'",
      'packages:',
      '  ok@1.0.0:',
      '    resolution: {integrity: x}',
      '  nover@https://example.test/t.tgz:',
      '    resolution: {tarball: https://example.test/t.tgz}',
      '  "@s/empty@":',
      '    resolution: {integrity: y}',
      '  plain-string: junk',
      '',
    ].join('\n');
    assert.deepEqual(ids(parsePnpmLock(text)), ['ok@1.0.0']);
    assert.throws(() => parsePnpmLock('packages:\n  /a/1.0.0: {}\n'), /no lockfileVersion/);
    assert.throws(() => parsePnpmLock("lockfileVersion: 'x'\n"), /bad lockfileVersion/);
  });
});
