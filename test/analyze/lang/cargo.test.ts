import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cargoLockAnalyzer, parseCargoLock } from '../../../src/analyze/lang/cargo.js';
import type { LangPackage } from '../../../src/analyze/lang/types.js';
import { ROOT, SHARED, SKIP_SHARED, tmpdir } from '../../helpers/env.js';

const TRIVY = path.join(SHARED, 'data/trivy-testdata/pkg/dependency/parser/rust/cargo/testdata');
const TRIVY_ANALYZER = path.join(
  SHARED,
  'data/trivy-testdata/pkg/fanal/analyzer/language/rust/cargo/testdata',
);
const SYFT = path.join(SHARED, 'data/syft-testdata/syft/pkg/cataloger/rust/testdata');
const FIX = path.join(ROOT, 'test/fixtures/rust');
const CARGO = [process.env.CARGO, 'cargo', path.join(os.homedir(), '.cargo/bin/cargo')].find(
  (c) => !!c && spawnSync(c, ['--version']).status === 0,
);
const HAVE_TOMLLIB = spawnSync('python3', ['-c', 'import tomllib']).status === 0;

const fmt = (ps: LangPackage[]) =>
  ps
    .map(
      (p) => `${p.name}@${p.version}${p.indirect === undefined ? '' : p.indirect ? ' indirect' : ' direct'}`,
    )
    .sort();
const parse = (text: string) => fmt(parseCargoLock(text));
const names = (ps: LangPackage[]) => ps.map((p) => `${p.name}@${p.version}`).sort();

function txtar(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = text.split(/^-- (.+) --$/m);
  for (let i = 1; i < parts.length; i += 2)
    out[parts[i] as string] = (parts[i + 1] as string).replace(/^\n/, '');
  return out;
}

/** Python's tomllib as an independent reader: name@version of every [[package]] with a source. */
function tomllibSourced(text: string): string[] | Error {
  const r = spawnSync(
    'python3',
    [
      '-c',
      'import sys,tomllib,json\ntry:\n d=tomllib.loads(sys.stdin.read())\nexcept Exception as e:\n print(json.dumps({"error":str(e)})); sys.exit(0)\nprint(json.dumps(sorted(p["name"]+"@"+p["version"] for p in d.get("package",[]) if "source" in p)))',
    ],
    { input: text, encoding: 'utf8' },
  );
  const j = JSON.parse(r.stdout) as string[] | { error: string };
  return Array.isArray(j) ? j : new Error(j.error);
}

function allInputs(): [string, string][] {
  const out: [string, string][] = [];
  for (const f of readdirSync(TRIVY)) out.push([`trivy ${f}`, readFileSync(path.join(TRIVY, f), 'utf8')]);
  for (const f of readdirSync(TRIVY_ANALYZER)) {
    const lock = txtar(readFileSync(path.join(TRIVY_ANALYZER, f), 'utf8'))['Cargo.lock'];
    if (lock !== undefined) out.push([`trivy ${f}`, lock]);
  }
  for (const f of [
    'Cargo.lock',
    'Cargo.lock-with-git-deps',
    'path-deps/Cargo.lock',
    'glob-paths/src/Cargo.lock',
  ])
    out.push([`syft ${f}`, readFileSync(path.join(SYFT, f), 'utf8')]);
  out.push(['fixture Cargo.lock', readFileSync(path.join(FIX, 'Cargo.lock'), 'utf8')]);
  return out;
}

const REG = 'registry+https://example.invalid/index';

describe('Cargo.lock', { skip: SKIP_SHARED }, () => {
  it('Trivy v1 lockfile (with [metadata] checksums): the root "normal" is left out', () => {
    assert.deepEqual(parse(readFileSync(path.join(TRIVY, 'cargo_normal.lock'), 'utf8')), [
      'idna@0.1.5 indirect',
      'libc@0.2.54 direct',
      'matches@0.1.8 indirect',
      'percent-encoding@1.0.1 indirect',
      'typemap@0.3.3 indirect',
      'unsafe-any@0.4.2 indirect',
      'url@1.7.2 indirect',
    ]);
  });

  it('Trivy mixed: multi-line strings, comments, [[package]] after [metadata]', () => {
    assert.deepEqual(
      parse(readFileSync(path.join(TRIVY, 'cargo_mixed.lock'), 'utf8')),
      parse(readFileSync(path.join(TRIVY, 'cargo_normal.lock'), 'utf8')),
    );
  });

  it('Trivy v3: "name" and "name version" references', () => {
    assert.deepEqual(parse(readFileSync(path.join(TRIVY, 'cargo_v3.lock'), 'utf8')), [
      'aho-corasick@0.7.20 indirect',
      'libc@0.2.140 indirect',
      'memchr@1.0.2 direct',
      'memchr@2.5.0 indirect',
      'regex-syntax@0.5.6 direct',
      'regex-syntax@0.6.29 indirect',
      'regex@1.7.3 direct',
      'ucd-util@0.1.10 indirect',
    ]);
  });

  it('Trivy invalid: a short error with the line', () => {
    assert.throws(
      () => parseCargoLock(readFileSync(path.join(TRIVY, 'cargo_invalid.lock'), 'utf8')),
      /line 10/,
    );
  });

  it('Trivy workspace with two members: their dependencies are direct', () => {
    const lock = txtar(readFileSync(path.join(TRIVY_ANALYZER, 'toml-workspace-members.txtar'), 'utf8'))[
      'Cargo.lock'
    ];
    assert.deepEqual(parse(lock ?? ''), [
      'aho-corasick@1.1.2 indirect',
      'gdb-command@0.7.6 direct',
      'libc@0.2.150 indirect',
      'memchr@2.6.4 indirect',
      'regex-automata@0.4.3 indirect',
      'regex-syntax@0.8.2 indirect',
      'regex@1.10.2 direct',
      'wait-timeout@0.2.0 indirect',
    ]);
  });

  it('Syft: no local crate (nothing to call direct), git sources, path dependencies', () => {
    const read = (f: string) => parse(readFileSync(path.join(SYFT, f), 'utf8'));
    const plain = read('Cargo.lock');
    assert.equal(plain.length, 14);
    assert.ok(plain.every((p) => !/direct/.test(p)));
    assert.ok(plain.includes('windows-sys@0.52.0') && plain.includes('windows-sys@0.59.0'));
    // two regex 1.11.1 (registry and git): the root uses the git one ("(git+…)" without "#commit")
    assert.deepEqual(read('Cargo.lock-with-git-deps'), [
      'aho-corasick@1.1.3 indirect',
      'memchr@2.7.4 indirect',
      'minimal-lexical@0.2.1 indirect',
      'nom-regex@0.2.0 direct',
      'nom@7.1.3 indirect',
      'regex-automata@0.4.9 indirect',
      'regex-automata@0.4.9 indirect',
      'regex-syntax@0.8.5 indirect',
      'regex-syntax@0.8.5 indirect',
      'regex@1.11.1 direct',
      'regex@1.11.1 indirect',
    ]);
    // "telemetry" has no source: a path dependency, the project's own code
    assert.deepEqual(read('path-deps/Cargo.lock'), ['memchr@2.7.4 direct']);
    assert.throws(() => read('glob-paths/src/Cargo.lock'));
  });

  it('every input: the same crates as Python tomllib reads (or both reject it)', {
    skip: HAVE_TOMLLIB ? false : 'needs python3 with tomllib (3.11+)',
  }, () => {
    let n = 0;
    for (const [label, text] of allInputs()) {
      const want = tomllibSourced(text);
      if (want instanceof Error) {
        assert.throws(() => parseCargoLock(text), Error, label);
        continue;
      }
      assert.deepEqual(names(parseCargoLock(text)), want, label);
      n++;
    }
    assert.ok(n >= 14, `${n} inputs compared`);
  });
});

describe('Cargo.lock written by cargo', () => {
  it('fixture (cargo 1.95, lock v4, workspace with path crates and vendored registry crates) == cargo metadata', () => {
    const meta = JSON.parse(readFileSync(path.join(FIX, 'cargo-metadata.json'), 'utf8')) as {
      packages: { name: string; version: string; source: string | null }[];
      directOfMembers: string[];
    };
    const ours = parseCargoLock(readFileSync(path.join(FIX, 'Cargo.lock'), 'utf8'));
    assert.deepEqual(
      names(ours),
      meta.packages
        .filter((p) => p.source !== null)
        .map((p) => `${p.name}@${p.version}`)
        .sort(),
    );
    assert.deepEqual(names(ours.filter((p) => p.indirect === false)), meta.directOfMembers);
  });

  it('a workspace built here: cargo metadata --offline and cargo tree agree with our reading', {
    skip: CARGO ? false : 'needs cargo',
  }, () => {
    const dir = tmpdir('dd-cargo-');
    const w = (p: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      writeFileSync(path.join(dir, p), text);
    };
    w('Cargo.toml', '[workspace]\nmembers = ["app", "lib"]\nresolver = "2"\n');
    w(
      'app/Cargo.toml',
      '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nlib = { path = "../lib" }\nalpha = "1"\n\n[dev-dependencies]\ngamma = "0.3"\n',
    );
    w('app/src/main.rs', 'fn main() {}\n');
    w(
      'lib/Cargo.toml',
      '[package]\nname = "lib"\nversion = "0.2.0"\nedition = "2021"\n\n[dependencies]\nbeta = "2"\n',
    );
    w('lib/src/lib.rs', '\n');
    // a directory source stands in for the registry (offline): crates with their checksums
    const crate = (name: string, version: string, deps = '') => {
      w(
        `vendor/${name}/Cargo.toml`,
        `[package]\nname = "${name}"\nversion = "${version}"\n\n[dependencies]\n${deps}`,
      );
      w(`vendor/${name}/src/lib.rs`, '\n');
      w(`vendor/${name}/.cargo-checksum.json`, `{"files":{},"package":"${'ab'.repeat(32)}"}`);
    };
    crate('alpha', '1.2.0', 'delta = "0.1"\n');
    crate('beta', '2.0.1', 'delta = "0.1"\n');
    crate('gamma', '0.3.4');
    crate('delta', '0.1.9');
    w(
      '.cargo/config.toml',
      '[source.crates-io]\nreplace-with = "vendored"\n\n[source.vendored]\ndirectory = "vendor"\n',
    );
    const run = (args: string[]) => {
      const r = spawnSync(CARGO as string, args, {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, CARGO_NET_OFFLINE: 'true' },
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    run(['generate-lockfile', '--offline']);
    const meta = JSON.parse(run(['metadata', '--offline', '--format-version', '1'])) as {
      packages: { id: string; name: string; version: string; source: string | null }[];
      workspace_members: string[];
      resolve: { nodes: { id: string; deps: { pkg: string }[] }[] };
    };
    const ours = parseCargoLock(readFileSync(path.join(dir, 'Cargo.lock'), 'utf8'));
    const byId = new Map(meta.packages.map((p) => [p.id, p]));
    assert.deepEqual(
      names(ours),
      meta.packages
        .filter((p) => p.source !== null)
        .map((p) => `${p.name}@${p.version}`)
        .sort(),
    );
    const direct = new Set<string>();
    for (const n of meta.resolve.nodes)
      if (meta.workspace_members.includes(n.id))
        for (const d of n.deps) {
          const p = byId.get(d.pkg);
          if (p?.source) direct.add(`${p.name}@${p.version}`);
        }
    assert.deepEqual(names(ours.filter((p) => !p.indirect)), [...direct].sort());
    assert.deepEqual(fmt(ours), [
      'alpha@1.2.0 direct',
      'beta@2.0.1 direct',
      'delta@0.1.9 indirect',
      'gamma@0.3.4 direct',
    ]);
    // cargo tree prints the same crates (without the workspace's own)
    const tree = run(['tree', '--offline', '-e', 'normal,dev,build', '--prefix', 'none', '--format', '{p}']);
    const treeSet = new Set(
      tree
        .split('\n')
        .filter((l) => l && !l.includes('('))
        .map((l) => l.replace(/ \(\*\)$/, '').replace(' v', '@')),
    );
    assert.deepEqual([...treeSet].sort(), names(ours));
  });
});

describe('Cargo.lock: bad input and paths', () => {
  it('structure errors, oddities, limits', () => {
    assert.throws(() => parseCargoLock('package = "x"\n'), /not an array of tables/);
    assert.deepEqual(parseCargoLock('version = 4\n'), []);
    assert.deepEqual(parseCargoLock(''), []);
    // entries without a name or version are skipped
    assert.deepEqual(
      parse(
        `[[package]]\nname = "a"\n\n[[package]]\nversion = "1"\n\n[[package]]\nname = "b"\nversion = "1.0.0"\nsource = "${REG}"\n`,
      ),
      ['b@1.0.0'],
    );
    assert.throws(() => parseCargoLock('\0\x01\x02\xff'.repeat(50)));
    assert.throws(() => parseCargoLock(`[[package]]\nname = "a"\ndependencies = ${'['.repeat(10_000)}`));
    const many = Array.from(
      { length: 20_000 },
      (_, i) => `[[package]]\nname = "c${i}"\nversion = "1.0.${i}"\nsource = "${REG}"\n`,
    ).join('\n');
    assert.equal(parseCargoLock(many).length, 20_000);
  });

  it('matches Cargo.lock, not those in Cargo download caches', () => {
    const m = (p: string) => cargoLockAnalyzer.matches(p, { type: 'file', size: 10, mode: 0o644 });
    assert.ok(m('Cargo.lock'));
    assert.ok(m('usr/src/app/Cargo.lock'));
    assert.ok(!m('root/.cargo/registry/src/index-1/foo-1.0.0/Cargo.lock'));
    assert.ok(!m('usr/src/app/Cargo.toml'));
  });
});
