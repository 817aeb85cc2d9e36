import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  goRuntimeAnalyzer,
  goVersionToSemver,
  isNodeBinaryPath,
  javaRuntimeAnalyzer,
  nodeRuntimeAnalyzer,
  parseJavaRelease,
  parsePatchlevel,
  parseRbConfig,
  pythonRuntimeAnalyzer,
  RUNTIME_ANALYZERS,
  rubyRuntimeAnalyzer,
  scanFile,
} from '../../../src/analyze/lang/runtime.js';
import type { LangAnalyzer } from '../../../src/analyze/lang/types.js';
import type { AnalyzerFile } from '../../../src/analyze/types.js';
import { openImage } from '../../../src/image/source/open.js';
import { scanImage } from '../../../src/scan/scan.js';
import { ROOT, tmpdir } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'runtime');

/** An AnalyzerFile over a file on disk, with random access like a spilled capture. */
function diskFile(file: string, imagePath = file.replace(/^\//, '')): AnalyzerFile {
  const st = statSync(file);
  return {
    path: imagePath,
    type: 'file',
    size: st.size,
    mode: st.mode,
    read: async () => readFileSync(file),
    stream: () => Readable.from([readFileSync(file)]),
    readAt: async (position, length) => {
      const fd = openSync(file, 'r');
      try {
        const b = Buffer.alloc(Math.max(0, Math.min(length, st.size - position)));
        readSync(fd, b, 0, b.length, position);
        return b;
      } finally {
        closeSync(fd);
      }
    },
  };
}

function memFile(imagePath: string, data: Buffer | string, mode = 0o644): AnalyzerFile {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return {
    path: imagePath,
    type: 'file',
    size: b.length,
    mode,
    read: async () => b,
    stream: () => Readable.from([b]),
  };
}

async function run(a: LangAnalyzer, f: AnalyzerFile): Promise<unknown> {
  assert.ok(a.matches(f.path, { type: 'file', size: f.size, mode: f.mode }), `${a.name} matches ${f.path}`);
  return a.analyze(f);
}

function cmd(c: string, args: string[]): string | undefined {
  const r = spawnSync(c, args, { encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout}${r.stderr}` : undefined;
}

describe('runtimes: the real ones on this machine', () => {
  it('node: the running node binary gives process.versions.node', async () => {
    const t = Date.now();
    assert.deepEqual(await run(nodeRuntimeAnalyzer, diskFile(process.execPath, 'usr/local/bin/node')), {
      name: 'node',
      version: process.versions.node,
    });
    assert.ok(Date.now() - t < 5000, `${Date.now() - t} ms`);
  });

  const jdks = existsSync('/usr/lib/jvm')
    ? readdirSync('/usr/lib/jvm')
        .map((d) => path.join('/usr/lib/jvm', d))
        .filter((d) => existsSync(path.join(d, 'release')) && existsSync(path.join(d, 'bin', 'java')))
    : [];
  it('java: every JDK under /usr/lib/jvm: release file == java -version', {
    skip: jdks.length ? false : 'no JDK in /usr/lib/jvm',
  }, async () => {
    for (const d of jdks) {
      const out = cmd(path.join(d, 'bin', 'java'), ['-version']) ?? '';
      const want = /version "([^"]+)"/.exec(out)?.[1];
      const got = (await run(javaRuntimeAnalyzer, diskFile(path.join(d, 'release')))) as { version: string };
      assert.equal(got.version, want, d);
    }
  });

  const py = cmd('python3', [
    '-c',
    'import sysconfig, platform; print(sysconfig.get_path("include")); print(platform.python_version())',
  ]);
  const [pyInclude, pyVersion] = (py ?? '').trim().split('\n');
  it('python: patchlevel.h of python3 == platform.python_version()', {
    skip:
      py && pyInclude && existsSync(path.join(pyInclude, 'patchlevel.h'))
        ? false
        : 'python3 or its headers are absent',
  }, async () => {
    assert.deepEqual(
      await run(pythonRuntimeAnalyzer, diskFile(path.join(pyInclude as string, 'patchlevel.h'))),
      {
        name: 'python',
        version: pyVersion,
      },
    );
  });

  const rb = cmd('ruby', [
    '-e',
    'require "rbconfig"; puts $LOADED_FEATURES.grep(/rbconfig\\.rb$/).first; puts RUBY_VERSION',
  ]);
  const [rbConfig, rbVersion] = (rb ?? '').trim().split('\n');
  it('ruby: the rbconfig.rb ruby loads == RUBY_VERSION', {
    skip: rb && rbConfig ? false : 'ruby is not installed',
  }, async () => {
    assert.deepEqual(await run(rubyRuntimeAnalyzer, diskFile(rbConfig as string)), {
      name: 'ruby',
      version: rbVersion,
    });
  });

  const goroot = cmd('go', ['env', 'GOROOT'])?.trim();
  it('go: GOROOT/VERSION == go env GOVERSION', { skip: goroot ? false : 'go is not installed' }, async () => {
    const gv = cmd('go', ['env', 'GOVERSION'])?.trim() as string;
    assert.deepEqual(await run(goRuntimeAnalyzer, diskFile(path.join(goroot as string, 'VERSION'))), {
      name: 'stdlib',
      version: goVersionToSemver(gv),
    });
  });
});

describe('runtimes: committed files', () => {
  it('Debian openjdk-17 release, CPython 3.11.7 patchlevel.h, Debian ruby 3.1 rbconfig.rb, Debian Go 1.19 VERSION', async () => {
    const r = async (a: LangAnalyzer, fixture: string, at: string) =>
      run(a, memFile(at, readFileSync(path.join(FIX, fixture))));
    assert.deepEqual(
      await r(javaRuntimeAnalyzer, 'java-17.release', 'usr/lib/jvm/java-17-openjdk-amd64/release'),
      {
        name: 'openjdk',
        version: '17.0.15',
      },
    );
    assert.deepEqual(
      await r(
        pythonRuntimeAnalyzer,
        'python-3.11.7.patchlevel.h',
        'usr/local/include/python3.11/patchlevel.h',
      ),
      { name: 'python', version: '3.11.7' },
    );
    assert.deepEqual(
      await r(
        rubyRuntimeAnalyzer,
        'ruby-3.1.2.rbconfig.rb',
        'usr/lib/x86_64-linux-gnu/ruby/3.1.0/rbconfig.rb',
      ),
      { name: 'ruby', version: '3.1.2' },
    );
    assert.deepEqual(await r(goRuntimeAnalyzer, 'go-1.19.8.VERSION', 'usr/lib/go-1.19/VERSION'), {
      name: 'stdlib',
      version: 'v1.19.8',
    });
  });

  it("Syft's JDK release files: Temurin is OpenJDK, Oracle's commercial build is jdk", () => {
    assert.deepEqual(
      parseJavaRelease('IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="21.0.4"\nIMAGE_TYPE="JDK"\n'),
      { name: 'openjdk', version: '21.0.4' },
    );
    assert.deepEqual(parseJavaRelease('JAVA_VERSION="1.8.0_411"\nBUILD_TYPE="commercial"\n'), {
      name: 'jdk',
      version: '1.8.0_411',
    });
    assert.deepEqual(parseJavaRelease('JAVA_VERSION="17.0.2"\nBUILD_TYPE="commercial"\nIMAGE_TYPE="JRE"\n'), {
      name: 'jre',
      version: '17.0.2',
    });
    assert.equal(parseJavaRelease('VERSION_ID="12"\n'), undefined);
    assert.equal(parseJavaRelease('JAVA_VERSION="$(rm -rf)"\n'), undefined);
  });
});

describe('runtimes: parsing and matching', () => {
  it('node: the marker at a chunk seam, a false marker first, non-ELF files', async () => {
    const body = Buffer.concat([
      Buffer.from('\x7fELF', 'latin1'),
      Buffer.alloc(1000),
      Buffer.from('node.js/vfoo\0'),
      Buffer.alloc(3000 - 1017 - 5),
      Buffer.from('node.js/v22.3.0\0tail'),
    ]);
    for (const chunk of [16, 1000, 2990, 2995, 3000, 1 << 20]) {
      const f = {
        ...memFile('bin/node', body, 0o755),
        readAt: async (p: number, l: number) => body.subarray(p, p + l),
      };
      const v = await scanFile(
        f,
        Buffer.from('node.js/v'),
        64,
        (t) => /^(\d+\.\d+\.\d+)\0/.exec(t.toString('latin1'))?.[1],
        chunk,
      );
      assert.equal(v, '22.3.0', `chunk ${chunk}`);
    }
    assert.deepEqual(await nodeRuntimeAnalyzer.analyze(memFile('usr/bin/node', body, 0o755)), {
      name: 'node',
      version: '22.3.0',
    });
    assert.equal(
      await nodeRuntimeAnalyzer.analyze(memFile('usr/bin/node', '#!/bin/sh\n# node.js/v1.2.3\0', 0o755)),
      undefined,
    );
    assert.equal(await nodeRuntimeAnalyzer.analyze(memFile('usr/bin/node', '', 0o755)), undefined);
  });

  it('paths: specific names only', () => {
    assert.ok(isNodeBinaryPath('usr/local/bin/node', 0o755));
    assert.ok(isNodeBinaryPath('nodejs/bin/node', 0o755));
    assert.ok(isNodeBinaryPath('usr/lib/x86_64-linux-gnu/libnode.so.108', 0o644));
    assert.ok(!isNodeBinaryPath('usr/local/bin/node', 0o644));
    assert.ok(!isNodeBinaryPath('app/node_modules/node', 0o755));
    assert.ok(!isNodeBinaryPath('usr/lib/libnode.so', 0o644));
    const file = { type: 'file' as const, size: 100, mode: 0o644 };
    assert.ok(pythonRuntimeAnalyzer.matches('usr/local/include/python3.12/patchlevel.h', file));
    assert.ok(pythonRuntimeAnalyzer.matches('opt/conda/include/python3.7m/patchlevel.h', file));
    assert.ok(!pythonRuntimeAnalyzer.matches('usr/include/patchlevel.h', file));
    assert.ok(rubyRuntimeAnalyzer.matches('usr/local/lib/ruby/3.3.0/x86_64-linux/rbconfig.rb', file));
    assert.ok(!rubyRuntimeAnalyzer.matches('app/vendor/gems/foo/lib/rbconfig.rb', file));
    assert.ok(javaRuntimeAnalyzer.matches('opt/java/openjdk/release', file));
    assert.ok(!javaRuntimeAnalyzer.matches('etc/lsb-release', file));
    assert.ok(goRuntimeAnalyzer.matches('usr/local/go/VERSION', file));
    assert.ok(!goRuntimeAnalyzer.matches('usr/local/go/VERSION.cache', file));
  });

  it('version strings', async () => {
    assert.equal(parsePatchlevel('#define PY_VERSION              "3.13.0rc2"\n'), '3.13.0rc2');
    assert.equal(parsePatchlevel('#define PY_VERSION "2.7.18+"'), '2.7.18+');
    assert.equal(parsePatchlevel('/* #define PY_VERSION "x" */'), undefined);
    assert.equal(
      parseRbConfig('  CONFIG["MAJOR"] = "3"\n  CONFIG["MINOR"] = "3"\n  CONFIG["TEENY"] = "6"\n'),
      '3.3.6',
    );
    assert.equal(parseRbConfig('CONFIG["MAJOR"] = "3"\n'), undefined);
    assert.equal(goVersionToSemver('go1.21.5'), 'v1.21.5');
    assert.equal(goVersionToSemver('go1.20'), 'v1.20.0');
    assert.equal(goVersionToSemver('go1.21rc2'), 'v1.21.0-rc.2');
    assert.equal(goVersionToSemver('devel go1.22-abc'), undefined);
    // Go 1.21+ VERSION files carry a "time" line; any other VERSION file is ignored.
    assert.deepEqual(
      await goRuntimeAnalyzer.analyze(
        memFile('usr/local/go/VERSION', 'go1.22.1\ntime 2024-03-01T19:51:23Z\n'),
      ),
      {
        name: 'stdlib',
        version: 'v1.22.1',
      },
    );
    assert.equal(await goRuntimeAnalyzer.analyze(memFile('app/VERSION', '1.2.3\n')), undefined);
  });

  it('end to end: a rootfs with each runtime, reported with purls', async () => {
    const dir = tmpdir('dd-rt-');
    const put = (p: string, fixture: string) => {
      mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      writeFileSync(path.join(dir, p), readFileSync(path.join(FIX, fixture)));
    };
    put('opt/java/openjdk/release', 'java-17.release');
    put('usr/local/include/python3.11/patchlevel.h', 'python-3.11.7.patchlevel.h');
    put('usr/local/lib/ruby/3.1.0/x86_64-linux/rbconfig.rb', 'ruby-3.1.2.rbconfig.rb');
    put('usr/local/go/VERSION', 'go-1.19.8.VERSION');
    writeFileSync(path.join(dir, 'VERSION'), 'not go\n');
    const image = await openImage(`rootfs:${dir}`);
    const r = await scanImage(image, { cacheDir: null, analyzers: RUNTIME_ANALYZERS });
    assert.deepEqual(
      r.packages.filter((p) => p.type === 'runtime').map((p) => `${p.purl} ${p.filePath}`),
      [
        'pkg:generic/openjdk@17.0.15 opt/java/openjdk/release',
        'pkg:golang/stdlib@v1.19.8 usr/local/go/VERSION',
        'pkg:generic/python@3.11.7 usr/local/include/python3.11/patchlevel.h',
        'pkg:generic/ruby@3.1.2 usr/local/lib/ruby/3.1.0/x86_64-linux/rbconfig.rb',
      ],
    );
    assert.deepEqual(
      r.warnings.filter((w) => /runtime-/.test(w)),
      [],
    );
  });
});
