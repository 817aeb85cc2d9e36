import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import {
  analyzeJavaArchive,
  archiveIdentity,
  groupFromSymbolicName,
  isJavaArchive,
  JAR_LIMITS,
  parseArchiveFileName,
  parseManifest,
  parseProperties,
} from '../../../src/analyze/lang/jar.js';
import { openImage } from '../../../src/image/source/open.js';
import { scanImage } from '../../../src/scan/scan.js';
import { bufferSource } from '../../../src/util/zip.js';
import { ROOT, SHARED, SKIP_SHARED, tmpdir } from '../../helpers/env.js';
import { makeZip, tinyJar, type ZipSpec } from '../../helpers/zip.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'java');
const SYFT_JAVA = path.join(SHARED, 'data/syft-testdata/syft/pkg/cataloger/java/testdata');
const DEBIAN_JARS = '/usr/share/java';

function have(tool: string, arg = '--version'): boolean {
  return spawnSync(tool, [arg], { stdio: 'ignore' }).status === 0;
}
const HAVE_JAVA = have('java', '-version');
const HAVE_JAR = HAVE_JAVA && have('jar');
const HAVE_UNZIP = have('unzip', '-v');
const SKIP_JAVA = HAVE_JAVA ? false : 'java (a JDK) is not installed';
const SKIP_JAR = HAVE_JAR ? false : 'the jar tool (a JDK) is not installed';

/** The JDK oracle (test/fixtures/java/MetaDump.java, run by the single-file source launcher). */
function jdk(mode: 'props' | 'manifest' | 'poms', files: string[]): string[][] {
  const r = spawnSync('java', [path.join(FIX, 'MetaDump.java'), mode, ...files], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stderr);
  const unesc = (s: string) =>
    s.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t').map(unesc));
}

/** The unzip oracle (test/fixtures/java/pom-oracle.sh): "g:a@v\tlocation" lines. */
function unzipOracle(file: string): string[] {
  const r = spawnSync('bash', [path.join(FIX, 'pom-oracle.sh'), file, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

async function ours(file: string, buf = readFileSync(file)): Promise<string[]> {
  const pkgs = await analyzeJavaArchive(bufferSource(buf), file);
  return pkgs.map((p) => `${p.name}@${p.version}\t${p.location}`).sort();
}

function debianJars(): string[] {
  if (!existsSync(DEBIAN_JARS)) return [];
  return readdirSync(DEBIAN_JARS)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => path.join(DEBIAN_JARS, f))
    .filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile() && !isSymlink(f));
}

function isSymlink(f: string): boolean {
  return spawnSync('test', ['-L', f]).status === 0;
}

describe('Java archives: metadata parsing', () => {
  it('pom.properties and MANIFEST.MF parse as the JDK parses them (Syft test data)', {
    skip: SKIP_SHARED || SKIP_JAVA,
  }, () => {
    const props = readdirSync(path.join(SYFT_JAVA, 'pom'))
      .filter((f) => f.endsWith('.properties'))
      .map((f) => path.join(SYFT_JAVA, 'pom', f));
    const manifests = [
      ...readdirSync(path.join(SYFT_JAVA, 'manifest')).map((f) => path.join(SYFT_JAVA, 'manifest', f)),
      ...readdirSync(path.join(SYFT_JAVA, 'jar-metadata'))
        .map((d) => path.join(SYFT_JAVA, 'jar-metadata', d, 'META-INF', 'MANIFEST.MF'))
        .filter((f) => existsSync(f)),
    ];
    let compared = 0;
    for (const [mode, files, parse] of [
      ['props', props, parseProperties],
      ['manifest', manifests, parseManifest],
    ] as const) {
      const want = new Map<string, Map<string, string>>();
      for (const [f, k, v] of jdk(mode, files)) {
        const m = want.get(f as string) ?? new Map<string, string>();
        m.set(k as string, v as string);
        want.set(f as string, m);
      }
      for (const f of files) {
        const w = want.get(f) ?? new Map();
        if (w.has('!error')) continue; // the JDK refuses it (Syft's deliberately broken manifests)
        const got = parse(readFileSync(f, 'latin1'));
        // The JDK keeps trailing spaces of manifest values; we trim them.
        const norm = (m: Map<string, string>) =>
          [...m].map(([k, v]) => `${k}=${mode === 'manifest' ? v.trim() : v}`).sort();
        assert.deepEqual(norm(got), norm(w), f);
        compared++;
      }
    }
    assert.ok(compared >= 15, `${compared} files compared`);
  });

  it('broken manifests the JDK refuses still give their readable main-section headers', () => {
    const m = parseManifest('Manifest-Version: 1.0\nArchiver-Version: x\n\n\nName: thing-1\nBuilt-By: ?\n');
    assert.deepEqual([...m.keys()], ['manifest-version', 'archiver-version']);
    const c = parseManifest('Manifest-Version: 1.0\r\nPlugin-ScmUrl: https://example.org/a\r\n -b\r\n');
    assert.equal(c.get('plugin-scmurl'), 'https://example.org/a-b');
    assert.equal(parseManifest('garbage\n\u0000\n:\n').size, 0);
  });

  it('properties: escapes, continuations, comments, separators', () => {
    const p = parseProperties('# c\n! c\n  a = 1\nb:2\nc 3\nd=x\\\n   y\ne=\\u0041\\tB\nf\n');
    assert.deepEqual(Object.fromEntries(p), { a: '1', b: '2', c: '3', d: 'xy', e: 'A\tB', f: '' });
  });

  it('archive file names: artifactId and version', () => {
    const cases: [string, string, string | undefined][] = [
      ['commons-lang3-3.12.0.jar', 'commons-lang3', '3.12.0'],
      ['guava-31.1-jre.jar', 'guava', '31.1-jre'],
      ['spring-core-5.3.20-SNAPSHOT.jar', 'spring-core', '5.3.20-SNAPSHOT'],
      ['log4j-1.2-api-2.17.1.jar', 'log4j-1.2-api', '2.17.1'],
      ['foo-1.0-beta-2.jar', 'foo', '1.0-beta-2'],
      ['foo-1.0-20230101.123456-1.jar', 'foo', '1.0-20230101.123456-1'],
      [
        'netty-tcnative-boringssl-static-2.0.61.Final-linux-x86_64.jar',
        'netty-tcnative-boringssl-static',
        '2.0.61.Final-linux-x86_64',
      ],
      ['jsr305-0.1~+svn49.jar', 'jsr305', '0.1~+svn49'],
      ['bcprov-jdk18on-1.72.jar', 'bcprov-jdk18on', '1.72'],
      ['app.jar', 'app', undefined],
      ['commons-lang3.jar', 'commons-lang3', undefined],
    ];
    for (const [file, artifactId, version] of cases)
      assert.deepEqual(parseArchiveFileName(file), version ? { artifactId, version } : { artifactId }, file);
  });

  it('groupId from Bundle-SymbolicName inverts the bundle plugin naming', () => {
    assert.equal(
      groupFromSymbolicName('com.fasterxml.jackson.core.jackson-core', 'jackson-core'),
      'com.fasterxml.jackson.core',
    );
    assert.equal(groupFromSymbolicName('org.apache.commons.lang3', 'commons-lang3'), 'org.apache.commons');
    assert.equal(groupFromSymbolicName('org.mongodb.bson;singleton:=true', 'bson'), 'org.mongodb');
    assert.equal(groupFromSymbolicName('com.google.inject', 'guice'), undefined);
    assert.equal(groupFromSymbolicName('bad name', 'x'), undefined);
  });

  it('identity from the manifest and the file name', () => {
    const mf = (s: string) => parseManifest(s);
    assert.deepEqual(
      archiveIdentity(
        'jackson-core-2.15.2.jar',
        mf('Implementation-Vendor-Id: com.fasterxml.jackson.core\nImplementation-Version: 2.15.2\n'),
      ),
      { groupId: 'com.fasterxml.jackson.core', artifactId: 'jackson-core', version: '2.15.2' },
    );
    assert.deepEqual(
      archiveIdentity(
        'com.fasterxml.jackson.core.jackson-core-2.15.2.jar',
        mf('Implementation-Vendor-Id: com.fasterxml.jackson.core\n'),
      ),
      { groupId: 'com.fasterxml.jackson.core', artifactId: 'jackson-core', version: '2.15.2' },
    );
    // Jenkins plugins name themselves.
    assert.deepEqual(
      archiveIdentity(
        'gradle.hpi',
        mf('Group-Id: org.jenkins-ci.plugins\nShort-Name: gradle\nPlugin-Version: 2.11\n'),
      ),
      { groupId: 'org.jenkins-ci.plugins', artifactId: 'gradle', version: '2.11' },
    );
    // An unusable Implementation-Version ("1.3 2244 October 5 2005", "${project.version}") is skipped.
    assert.deepEqual(archiveIdentity('x-1.3.jar', mf('Implementation-Version: 1.3 2244 October 5 2005\n')), {
      artifactId: 'x',
      version: '1.3',
    });
    assert.deepEqual(
      archiveIdentity('y.jar', mf(`Implementation-Version: \${project.version}\nBundle-Version: 4.2.3\n`)),
      {
        artifactId: 'y',
        version: '4.2.3',
      },
    );
    assert.deepEqual(archiveIdentity('z.jar', new Map()), { artifactId: 'z' });
  });

  it('archive names matched', () => {
    for (const p of ['app/a.jar', 'a.WAR', 'x/y.ear', 'p.par', 'plugins/git.jpi', 'plugins/git.hpi'])
      assert.ok(isJavaArchive(p), p);
    for (const p of ['a.jar.sha1', 'a.zip', 'jar', 'a.jarx']) assert.ok(!isJavaArchive(p), p);
  });
});

describe('Java archives: real archives', () => {
  const jars = debianJars();

  it("Debian's /usr/share/java jars: exactly the pom.properties the JDK reads", {
    skip:
      jars.length === 0 ? `no jars in ${DEBIAN_JARS} (apt-get install libcommons-lang3-java ...)` : SKIP_JAVA,
  }, async () => {
    const want = new Map<string, string[]>();
    for (const [pkg, loc] of jdk('poms', jars)) {
      if ((pkg as string).startsWith('/')) continue; // an "!error" line
      want.set(loc as string, [...(want.get(loc as string) ?? []), `${pkg}\t${loc}`]);
    }
    let withPoms = 0;
    for (const f of jars) {
      const got = await ours(f);
      const w = (want.get(f) ?? []).sort();
      if (w.length > 0) {
        withPoms++;
        assert.deepEqual(got, w, f);
        // A second oracle on a sample (it runs unzip once per entry): Info-ZIP agrees with the JDK.
        if (HAVE_UNZIP && withPoms % 8 === 1) assert.deepEqual(unzipOracle(f), w, `${f}: unzip`);
      } else {
        // No pom.properties: at most the archive's own identity from its manifest and name.
        assert.ok(got.length <= 1, `${f}: ${got}`);
      }
    }
    assert.ok(withPoms > 0);
  });

  it('the committed WAR (jar 17): nested jars two levels deep, with locations', async () => {
    const file = path.join(FIX, 'app.war');
    const want = readFileSync(path.join(FIX, 'app.war.expected.tsv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.replaceAll('app.war', file));
    // guice-jndi.jar (Debian) has no pom.properties: its manifest's Bundle-Version and its name.
    want.push(`guice-jndi@4.2.3\t${file}!/WEB-INF/lib/guice-jndi.jar`);
    assert.deepEqual(await ours(file), want.sort());
  });

  it('WAR, EAR and Spring Boot-style jar built with the jar tool now: same as the JDK reads', {
    skip: SKIP_JAR,
  }, async () => {
    const dir = tmpdir('dd-jar-');
    const libs = path.join(dir, 'libs');
    mkdirSync(libs);
    const real = [
      'commons-lang3.jar',
      'guava.jar',
      'jackson-core.jar',
      'slf4j-api.jar',
      'httpclient-osgi.jar',
    ]
      .map((f) => path.join(DEBIAN_JARS, f))
      .filter((f) => existsSync(f));
    for (const f of real) copyFileSync(f, path.join(libs, path.basename(f)));
    writeFileSync(path.join(libs, 'tiny-1.0.jar'), tinyJar('org.example', 'tiny', '1.0'));
    const jar = (args: string[]) => {
      const r = spawnSync('jar', args, { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    const stage = (name: string, sub: string, pom?: [string, string, string]) => {
      const root = path.join(dir, name);
      mkdirSync(path.join(root, sub), { recursive: true });
      for (const f of readdirSync(libs)) copyFileSync(path.join(libs, f), path.join(root, sub, f));
      if (pom) {
        const d = path.join(root, 'META-INF', 'maven', pom[0], pom[1]);
        mkdirSync(d, { recursive: true });
        writeFileSync(
          path.join(d, 'pom.properties'),
          `groupId=${pom[0]}\nartifactId=${pom[1]}\nversion=${pom[2]}\n`,
        );
      }
      return root;
    };
    jar([
      '--create',
      '--file',
      'shop.war',
      '-C',
      stage('w', 'WEB-INF/lib', ['org.example', 'shop', '1.2.0']),
      '.',
    ]);
    // Spring Boot keeps nested jars stored: read in place, not inflated.
    jar([
      '--create',
      '--no-compress',
      '--file',
      'boot.jar',
      '-C',
      stage('b', 'BOOT-INF/lib', ['org.example', 'boot', '0.1.0']),
      '.',
    ]);
    const e = stage('e', 'lib');
    copyFileSync(path.join(dir, 'shop.war'), path.join(e, 'shop.war'));
    jar(['--create', '--file', 'suite.ear', '-C', e, '.']);
    const files = ['shop.war', 'boot.jar', 'suite.ear'].map((f) => path.join(dir, f));
    const oracle = jdk('poms', files);
    for (const file of files) {
      const want = oracle
        .filter(([, loc]) => loc?.split('!/')[0] === file)
        .map(([pkg, loc]) => `${pkg}\t${loc}`);
      assert.ok(want.length >= 2, file);
      assert.deepEqual(await ours(file), want.sort(), file);
    }
  });

  it("Syft's jar-metadata fixtures zipped: pom.properties first, else manifest and file name", {
    skip: SKIP_SHARED,
  }, async () => {
    const zipDir = (d: string): Buffer => {
      const specs: ZipSpec[] = [];
      const walk = (rel: string) => {
        for (const n of readdirSync(path.join(d, rel))) {
          const r = rel ? `${rel}/${n}` : n;
          if (statSync(path.join(d, r)).isDirectory()) walk(r);
          else specs.push({ name: r, data: readFileSync(path.join(d, r)) });
        }
      };
      walk('');
      return makeZip(specs);
    };
    const base = path.join(SYFT_JAVA, 'jar-metadata');
    const cases: [string, string, string[]][] = [
      [
        'api-all-2.0.0-sources',
        'api-all-2.0.0-sources.jar',
        ['org.apache.directory.api:api-all@2.0.0', 'org.apache.directory.api:api-asn1-api@2.0.0'],
      ],
      [
        'com.fasterxml.jackson.core.jackson-core-2.15.2',
        'com.fasterxml.jackson.core.jackson-core-2.15.2.jar',
        ['com.fasterxml.jackson.core:jackson-core@2.15.2'],
      ],
      ['jackson-core-2.15.2', 'jackson-core-2.15.2.jar', ['com.fasterxml.jackson.core:jackson-core@2.15.2']],
      ['commons-lang3-3.12.0', 'commons-lang3-3.12.0.jar', ['commons-lang3@3.12.0']],
      ['micronaut-aop-4.9.11', 'micronaut-aop-4.9.11.jar', ['micronaut-aop@4.9.11']],
      [
        'multiple-matching-2.11.5',
        'multiple-matching-2.11.5.jar',
        [
          'org.multiple:multiple-matching-1@2.11.5',
          'org.multiple:multiple-matching-2@2.11.5',
          'org.multiple:multiple-matching-3@2.11.5',
        ],
      ],
      ['opensaml-core-3.4.6', 'opensaml-core-3.4.6.jar', ['org.opensaml:opensaml-core@3.4.6']],
      [
        'org.multiple-thename',
        'org.multiple-thename.jar',
        ['com.multiple:thename@10.11.12', 'org.multiple:thename@10.11.12'],
      ],
      ['jenkins-plugins/gradle/2.11', 'gradle.hpi', ['org.jenkins-ci.plugins:gradle@2.11']],
    ];
    for (const [d, name, want] of cases) {
      const got = (await analyzeJavaArchive(bufferSource(zipDir(path.join(base, d))), name)).map(
        (p) => `${p.name}@${p.version}`,
      );
      assert.deepEqual(got.sort(), want, d);
    }
  });
});

describe('Java archives: bombs and corrupt input', () => {
  const pomSpec = (g: string, a: string, v: string): ZipSpec => ({
    name: `META-INF/maven/${g}/${a}/pom.properties`,
    data: `groupId=${g}\nartifactId=${a}\nversion=${v}\n`,
  });

  async function timed<T>(f: () => Promise<T>): Promise<T> {
    const t = Date.now();
    try {
      return await f();
    } finally {
      assert.ok(Date.now() - t < 5000, `took ${Date.now() - t} ms`);
    }
  }

  it('a metadata entry declaring gigabytes, or inflating past what it declares', async () => {
    const zeros = deflateRawSync(Buffer.alloc(4 * 1024 * 1024));
    const huge = makeZip([{ ...pomSpec('a', 'b', '1'), raw: zeros, size: 0x7fffffff }]);
    await timed(() => assert.rejects(analyzeJavaArchive(bufferSource(huge), 'x.jar'), /over the size limit/));
    const liar = makeZip([{ ...pomSpec('a', 'b', '1'), raw: zeros, size: 40 }]);
    await timed(() =>
      assert.rejects(analyzeJavaArchive(bufferSource(liar), 'x.jar'), /inflates past its declared size/),
    );
  });

  it('a nested jar of zeros (1000:1) is refused as a bomb', async () => {
    const raw = deflateRawSync(Buffer.alloc(16 * 1024 * 1024));
    const bomb = makeZip([
      pomSpec('o', 'outer', '1'),
      { name: 'lib/zeros.jar', data: Buffer.alloc(16 * 1024 * 1024), raw },
    ]);
    await timed(() =>
      assert.rejects(analyzeJavaArchive(bufferSource(bomb), 'x.jar'), /suspicious compression ratio/),
    );
  });

  it('thousands of directory records aliasing one nested jar stop at the archive count', async () => {
    const inner = tinyJar('i', 'inner', '1');
    const specs: ZipSpec[] = [{ name: 'lib/a.jar', data: inner, method: 0 }];
    for (let i = 0; i < JAR_LIMITS.maxArchives + 10; i++) specs.push({ name: `lib/${i}.jar`, alias: 0 });
    await timed(() =>
      assert.rejects(analyzeJavaArchive(bufferSource(makeZip(specs)), 'x.war'), /too many nested archives/),
    );
  });

  it('the decompression budget covers nested archives', async () => {
    const inner = tinyJar('i', 'inner', '1', [
      { name: 'pad.bin', data: Buffer.alloc(40000, 'pad'), method: 0 },
    ]);
    const war = makeZip(
      Array.from({ length: 8 }, (_, i) => ({ name: `WEB-INF/lib/l${i}.jar`, data: inner })),
    );
    const saved = JAR_LIMITS.budget;
    JAR_LIMITS.budget = 100 * 1024;
    try {
      await assert.rejects(analyzeJavaArchive(bufferSource(war), 'x.war'), /over the decompression budget/);
    } finally {
      JAR_LIMITS.budget = saved;
    }
    assert.equal((await analyzeJavaArchive(bufferSource(war), 'x.war')).length, 8);
  });

  it('nesting deeper than 3 levels is not followed', async () => {
    let jar = tinyJar('d', 'level6', '1');
    for (let level = 5; level >= 0; level--)
      jar = makeZip([
        pomSpec('d', `level${level}`, '1'),
        { name: `lib/l${level + 1}.jar`, data: jar, method: level % 2 ? 0 : 8 },
      ]);
    const got = await analyzeJavaArchive(bufferSource(jar), 'top.jar');
    assert.deepEqual(
      got.map((p) => p.name),
      ['d:level0', 'd:level1', 'd:level2', 'd:level3'],
    );
    assert.equal(got[3]?.location, 'top.jar!/lib/l1.jar!/lib/l2.jar!/lib/l3.jar');
  });

  it('a broken nested jar is skipped; its siblings are still reported', async () => {
    const war = makeZip([
      { name: 'WEB-INF/lib/broken.jar', data: Buffer.from('not a zip at all, just text') },
      { name: 'WEB-INF/lib/crc.jar', data: tinyJar('c', 'crc', '1'), crc: 42 },
      { name: 'WEB-INF/lib/good.jar', data: tinyJar('g', 'good', '2') },
    ]);
    assert.deepEqual(
      (await analyzeJavaArchive(bufferSource(war), 'w.war')).map((p) => `${p.name}@${p.version}`),
      ['g:good@2'],
    );
  });

  it('a corrupt top-level archive is an error with a short message', async () => {
    const good = tinyJar('g', 'good', '2');
    await assert.rejects(
      analyzeJavaArchive(bufferSource(good.subarray(0, good.length - 30)), 'x.jar'),
      /not a ZIP archive/,
    );
    const past = Buffer.from(good);
    past.writeUInt32LE(good.length + 1000, good.length - 22 + 16);
    await assert.rejects(analyzeJavaArchive(bufferSource(past), 'x.jar'), /central directory/);
    const crc = makeZip([{ ...pomSpec('a', 'b', '1'), crc: 7 }]);
    await assert.rejects(analyzeJavaArchive(bufferSource(crc), 'x.jar'), /CRC mismatch/);
    await assert.rejects(analyzeJavaArchive(bufferSource(Buffer.alloc(0)), 'x.jar'), /not a ZIP archive/);
  });
});

describe('Java archives and .NET deps.json end to end', () => {
  it('rootfs scan: a spilled WAR read by random access, a deps.json, runtimes, warnings for broken files', async () => {
    const dir = tmpdir('dd-jar-e2e-');
    mkdirSync(path.join(dir, 'app'));
    copyFileSync(path.join(FIX, 'app.war'), path.join(dir, 'app', 'app.war'));
    writeFileSync(path.join(dir, 'app', 'broken.jar'), 'PK\x03\x04 truncated');
    copyFileSync(
      path.join(ROOT, 'test/fixtures/dotnet/happy.deps.json'),
      path.join(dir, 'app', 'App.deps.json'),
    );
    writeFileSync(path.join(dir, 'app', 'Bad.deps.json'), '{"libraries": [');
    mkdirSync(path.join(dir, 'opt/java/openjdk'), { recursive: true });
    copyFileSync(
      path.join(ROOT, 'test/fixtures/runtime/java-17.release'),
      path.join(dir, 'opt/java/openjdk/release'),
    );
    // Files over 1 KiB are spilled to temp files: the WAR is read with readAt.
    const image = await openImage(`rootfs:${dir}`);
    const r = await scanImage(image, { cacheDir: null, memoryThreshold: 1024 });
    const jars = r.packages.filter((p) => p.type === 'jar');
    assert.deepEqual(jars.map((p) => p.purl).sort(), [
      'pkg:maven/com.example/app@0.3.0',
      'pkg:maven/com.example/inner@1.0',
      'pkg:maven/com.example/nested-lib@2.1',
      'pkg:maven/guice-jndi@4.2.3',
      'pkg:maven/org.apache.geronimo.specs/geronimo-interceptor_3.0_spec@1.0.1',
      'pkg:maven/org.slf4j/jul-to-slf4j@1.7.32',
      'pkg:maven/org.slf4j/slf4j-nop@1.7.32',
    ]);
    assert.ok(jars.every((p) => p.filePath === 'app/app.war'));
    const net = r.packages.filter((p) => p.type === 'dotnet-core');
    assert.deepEqual(
      net.map((p) => [p.purl, p.filePath, !!p.indirect]),
      [['pkg:nuget/Newtonsoft.Json@13.0.1', 'app/App.deps.json', false]],
    );
    const rt = r.packages.filter((p) => p.type === 'runtime');
    assert.deepEqual(
      rt.map((p) => p.purl),
      ['pkg:generic/openjdk@17.0.15'],
    );
    assert.ok(
      r.warnings.some((w) => /jar: could not parse app\/broken\.jar: not a ZIP archive/.test(w)),
      r.warnings.join('\n'),
    );
    assert.ok(
      r.warnings.some((w) => /dotnet-core: could not parse app\/Bad\.deps\.json/.test(w)),
      r.warnings.join('\n'),
    );
  });
});
