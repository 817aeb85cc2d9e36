import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  decodeText,
  isPylockFile,
  isRequirementsFile,
  PYTHON_LOCK_ANALYZERS,
  parsePinnedRequirement,
  parsePipfileLock,
  parsePoetryLock,
  parsePylock,
  parseRequirements,
  parseUvLock,
} from '../../../src/analyze/lang/python-lock.js';
import type { LangPackage } from '../../../src/analyze/lang/types.js';
import { openImage } from '../../../src/image/source/open.js';
import { scanImage } from '../../../src/scan/scan.js';
import { parseToml } from '../../../src/util/toml-lite.js';
import { ROOT, SHARED, SKIP_SHARED, tmpdir } from '../../helpers/env.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/python');
const PARSER = path.join(SHARED, 'data/trivy-testdata/pkg/dependency/parser/python');
const FANAL = path.join(SHARED, 'data/trivy-testdata/pkg/fanal/analyzer/language/python');
const SYFT = path.join(SHARED, 'data/syft-testdata/syft/pkg/cataloger/python/testdata');

/** "name@version[ dev][ indirect]", in file order. */
function ids(pkgs: LangPackage[]): string[] {
  return pkgs.map((p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}${p.indirect ? ' indirect' : ''}`);
}

function reqFile(file: string): string[] {
  return ids(parseRequirements(decodeText(readFileSync(file))));
}

function toml(file: string) {
  return parseToml(readFileSync(file, 'utf8'));
}

// The oracle for requirement files: pip's own reading of the file (line joining, comments,
// options: pip._internal.req.req_file) and the `packaging` library's PEP 508 parser, line by line.
// A line pip or packaging rejects is skipped (pip would reject the whole file).
const PIP_ORACLE = `
import sys, json
from pip._internal.req.req_file import preprocess, get_line_parser
from pip._internal.utils.encoding import auto_decode
from packaging.requirements import Requirement

def pins(path):
    with open(path, 'rb') as f:
        content = auto_decode(f.read())
    parse_line = get_line_parser(None)
    out = []
    for _, line in preprocess(content):
        try:
            args, _opts = parse_line(line)
        except Exception:
            continue
        if not args:
            continue
        try:
            req = Requirement(args)
        except Exception:
            continue
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator not in ('==', '==='):
            continue
        version = specs[0].version
        if version and '*' not in version:
            out.append([req.name, version])
    return out

print(json.dumps({p: pins(p) for p in sys.argv[1:]}))
`;

const HAVE_PIP =
  spawnSync('python3', ['-c', 'import pip._internal.req.req_file, packaging.requirements'], {
    encoding: 'utf8',
  }).status === 0;
const SKIP_PIP = HAVE_PIP ? false : 'python3 with pip and packaging is not available';

function pipOracle(files: string[]): Record<string, [string, string][]> {
  // a clean environment: pip expands ${VAR} in requirement files
  const r = spawnSync('python3', ['-c', PIP_ORACLE, ...files], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' },
    maxBuffer: 1 << 26,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, [string, string][]>;
}

/** Random requirement lines built from valid and invalid fragments (seeded: failures replay). */
function randomRequirementFiles(dir: string, seed: number, files: number, lines: number): string[] {
  let s = seed;
  const rnd = (n: number) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const pick = <T>(a: readonly T[]): T => a[rnd(a.length)] as T;
  const names = ['foo', 'Foo_Bar', 'a', 'a.b-c', 'x_', '_x', 'x-', 'x.', 'é', 'fooé', '1abc', 'a b', ''];
  const ws = ['', ' ', '  ', '\t', ' \t'];
  const extras = ['', '[a]', '[a,b]', '[ a , b ]', '[]', '[a,]', '[a b]', '[', '[a]x'];
  const ops = ['==', '===', '>=', '~=', '!=', '<', '= =', '=', '=='];
  const versions = [
    '1.0',
    '1',
    'v1.0',
    'V1.0',
    '1.0.*',
    '1.*',
    '1!2.0',
    '1.0rc1',
    '1.0-rc.1',
    '1.0.post1',
    '1.0-1',
    '1.0.dev0',
    '1.0+local.1',
    '1.0+',
    '1.0abc',
    "'1.0'",
    'x',
    '',
    '1.0)',
    '1.0,',
    '1.0, <2',
    '1.0,>=0.9',
    '1.0 ,',
    '1.*.1',
    '1.0.*+x',
    '2023.10.01-custom',
  ];
  const markers = [
    '',
    ';',
    '; python_version < "3.8"',
    ';python_version<"3.8"',
    " ; os_name=='nt' and (extra == 'x' or sys.platform == 'linux')",
    '; garbage',
    '; "a" in "abc"',
    '; python_version not in "3"',
    '; python_version notin "3"',
    '; (python_version < "3"',
    '; python_version < "3")',
    ';extra=="a"and extra=="b"',
    ';extra=="a" andextra=="b"',
    '; platform_release >= "5"',
    '; dependency_groups == "x"',
    "; 'a' ~= 'b'",
  ];
  const tails = [
    '',
    ' # comment',
    ' --hash=sha256:abc',
    ' --hash sha256:abc',
    ' \\',
    ' -e x',
    ' @ https://x.invalid/a.whl',
    ' )',
  ];
  const odd = [
    '-r x.txt',
    '-e .',
    '--index-url https://x.invalid',
    '# x',
    '',
    '   ',
    '\\',
    // pip expands ${VAR} (unset here)
    `$${'{X}'}`,
    `foo==$${'{V}'}`,
  ];
  const out: string[] = [];
  for (let f = 0; f < files; f++) {
    const text: string[] = [];
    for (let j = 0; j < lines; j++) {
      if (rnd(10) === 0) {
        text.push(pick(odd));
        continue;
      }
      const spec = `${pick(ops)}${pick(ws)}${pick(versions)}`;
      const paren = rnd(6) === 0;
      text.push(
        `${pick(ws)}${pick(names)}${pick(ws)}${pick(extras)}${pick(ws)}${paren ? `(${spec})` : spec}${pick(ws)}${pick(markers)}${pick(tails)}`,
      );
    }
    const p = path.join(dir, `random-${f}.txt`);
    writeFileSync(p, text.join(rnd(4) ? '\n' : '\r\n'));
    out.push(p);
  }
  return out;
}

describe('requirements.txt (pip)', () => {
  it("the committed files give the pins pip's own parser found (recorded oracle output)", () => {
    const want = JSON.parse(
      readFileSync(path.join(FIXTURES, 'requirements.pip-oracle.json'), 'utf8'),
    ) as Record<string, [string, string][]>;
    for (const [file, pins] of Object.entries(want)) {
      assert.deepEqual(
        reqFile(path.join(FIXTURES, file)),
        pins.map(([n, v]) => `${n}@${v}`),
        file,
      );
    }
    assert.equal(want['requirements-tricky.txt']?.length, 26);
  });

  it('the same as live pip + packaging on the fixtures, the shared test data and 3,000 random lines', {
    skip: SKIP_PIP,
  }, () => {
    const files = [
      path.join(FIXTURES, 'requirements-tricky.txt'),
      path.join(FIXTURES, 'requirements-utf16.txt'),
      ...randomRequirementFiles(tmpdir('dd-req-'), 42, 60, 50),
    ];
    if (!SKIP_SHARED) {
      for (const f of [
        'requirement_exstras.txt',
        'requirements_compatible.txt',
        'requirements_flask.txt',
        'requirements_hash.txt',
        'requirements_hyphens.txt',
        'requirements_no_version.txt',
        'requirements_operator.txt',
        'requirements_spaces.txt',
        'requirements_utf16le.txt',
        'requirements_with_templating_engine.txt',
      ])
        files.push(path.join(PARSER, 'pip/testdata', f));
      files.push(
        path.join(SYFT, 'requires/requirements.txt'),
        path.join(FANAL, 'pip/testdata/happy/requirements.txt'),
      );
    }
    const pip = pipOracle(files);
    let pins = 0;
    for (const f of files) {
      const want = (pip[f] ?? []).map(([n, v]) => `${n}@${v}`);
      pins += want.length;
      assert.deepEqual(reqFile(f), want, f);
    }
    // Without ../shared only the fixtures and the random files are compared.
    assert.ok(pins > (SKIP_SHARED ? 50 : 80), `${pins} pins compared`);
  });

  it('Trivy and Syft test data: the exact pins', { skip: SKIP_SHARED }, () => {
    const want: Record<string, string[]> = {
      'requirement_exstras.txt': ['pyjwt@2.1.0', 'celery@4.4.7'],
      // "Jinja2==3.0.0#comment": pip rejects the line (no space before "#"); we read it as Trivy does
      'requirements_comments.txt': ['click@8.0.0', 'Flask@2.0.0', 'Jinja2@3.0.0', 'MarkupSafe@2.0.0'],
      'requirements_compatible.txt': [],
      'requirements_flask.txt': [
        'click@8.0.0',
        'Flask@2.0.0',
        'itsdangerous@2.0.0',
        'Jinja2@3.0.0',
        'MarkupSafe@2.0.0',
        'Werkzeug@2.0.0',
      ],
      'requirements_hash.txt': ['FooProject@1.2', 'Jinja2@3.0.0'],
      'requirements_hyphens.txt': ['oauth2-client@4.0.0', 'python-gitlab@2.0.0'],
      'requirements_no_version.txt': ['Flask@2.0.0'],
      'requirements_operator.txt': ['Django@2.3.4', 'SomeProject@5.4'],
      'requirements_spaces.txt': ['click@8.0.0', 'Flask@2.0.0', 'itsdangerous@2.0.0', 'Jinja2@3.0.0'],
      'requirements_utf16le.txt': ['attrs@20.3.0'],
      'requirements_with_templating_engine.txt': [],
    };
    for (const [f, pins] of Object.entries(want))
      assert.deepEqual(reqFile(path.join(PARSER, 'pip/testdata', f)), pins, f);
    assert.deepEqual(reqFile(path.join(SYFT, 'requires/requirements.txt')), [
      'flask@4.0.0',
      'urllib3@1.26.20',
      'foo@1.0.0',
      'SomeProject@5.4',
      'dots-._allowed@1.0.0',
      'argh@0.26.2',
      'argh@0.26.3',
      'celery@4.4.7',
      'FrIeNdLy-_-bArD@1.0.0',
      'local-version@1.2.3+gcr.2',
    ]);
    assert.deepEqual(reqFile(path.join(FANAL, 'pip/testdata/happy/requirements.txt')), [
      'annotated-types@0.7.0',
      'click@8.0.0',
      'Flask@2.0.0',
      'itsdangerous@2.0.0',
    ]);
    assert.deepEqual(reqFile(path.join(FANAL, 'pip/testdata/empty/requirements.txt')), []);
  });

  it('single requirements: pins, ranges, wildcards, markers', () => {
    assert.deepEqual(parsePinnedRequirement('requests[security] == 2.8.1 ; python_version < "2.7"'), {
      name: 'requests',
      version: '2.8.1',
    });
    assert.deepEqual(parsePinnedRequirement('paren (===1.0-custom)'), {
      name: 'paren',
      version: '1.0-custom',
    });
    for (const r of [
      'foo==1.*',
      'foo===1.*',
      'foo==1.0,<2',
      'foo>=1',
      'foo',
      'foo @ file:///x',
      'foo==1.0;',
    ]) {
      assert.equal(parsePinnedRequirement(r), undefined, r);
    }
    // "#" starts a comment anywhere; options after the requirement are dropped
    assert.deepEqual(ids(parseRequirements('a==1#c\nb==2 --unknown-option\n-r x.txt\n')), ['a@1', 'b@2']);
  });

  it('which files are requirement files', () => {
    for (const p of [
      'requirements.txt',
      'app/requirements.txt',
      'app/requirements-dev.txt',
      'app/requirements_test.txt',
      'app/dev-requirements.txt',
      'src/1-requirements-dev.txt',
      'src/extra-requirements.txt',
      'app/requirements/prod.txt',
      'app/Requirements.TXT',
    ])
      assert.ok(isRequirementsFile(p), p);
    for (const p of [
      'app/requirements.in',
      'app/requirements.txt.bak',
      'app/constraints.txt',
      'app/requirements/prod/nested.txt',
      'usr/lib/python3/site-packages/somepkg/requirements.txt',
      'usr/lib/python3/dist-packages/x/requirements-dev.txt',
      'app/node_modules/x/requirements.txt',
      'app/foo.egg-info/requires.txt',
    ])
      assert.ok(!isRequirementsFile(p), p);
  });

  it('UTF-16 with a byte-order mark (both byte orders) and UTF-8 with one', () => {
    const text = 'attrs==20.3.0\r\nsix==1.16.0\r\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    const u8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    for (const b of [le, be, u8])
      assert.deepEqual(ids(parseRequirements(decodeText(b))), ['attrs@20.3.0', 'six@1.16.0']);
  });

  it('hostile input: 50 MB of junk, endless lines and deep markers stay bounded', () => {
    const t0 = Date.now();
    const junk = Buffer.alloc(50 * 1024 * 1024);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
    assert.ok(Array.isArray(parseRequirements(decodeText(junk))));
    assert.deepEqual(parseRequirements('\n'.repeat(8 * 1024 * 1024)), []);
    assert.deepEqual(parseRequirements(`a==1 ${'x'.repeat(20 * 1024 * 1024)}\nb==2`), [
      { name: 'b', version: '2' },
    ]);
    assert.deepEqual(parseRequirements(`${'x\\\n'.repeat(2 * 1024 * 1024)}\nc==3`), [
      { name: 'c', version: '3' },
    ]);
    assert.deepEqual(parseRequirements(`d==4; ${'('.repeat(1_000_000)}`), []);
    assert.deepEqual(parseRequirements(`e==5; ${'('.repeat(10)}os_name == "nt"${')'.repeat(10)}`), [
      { name: 'e', version: '5' },
    ]);
    assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
  });
});

describe('Pipfile.lock (pipenv)', () => {
  it('default and develop sections, "==" versions, the exact sets', { skip: SKIP_SHARED }, () => {
    const lock = (f: string) => ids(parsePipfileLock(readFileSync(f, 'utf8')));
    assert.deepEqual(lock(path.join(PARSER, 'pipenv/testdata/Pipfile_normal.lock')), [
      'certifi@2019.3.9',
      'chardet@3.0.4',
      'idna@2.8',
      'pyyaml@5.1',
      'requests@2.21.0',
      'urllib3@1.24.2',
    ]);
    assert.deepEqual(lock(path.join(PARSER, 'pipenv/testdata/Pipfile_django.lock')), [
      'certifi@2019.3.9',
      'chardet@3.0.4',
      'django@2.2',
      'djangorestframework@3.9.3',
      'idna@2.8',
      'pytz@2019.1',
      'pyyaml@5.1',
      'requests@2.21.0',
      'sqlparse@0.3.0',
      'urllib3@1.24.2',
    ]);
    assert.deepEqual(lock(path.join(PARSER, 'pipenv/testdata/Pipfile_many.lock')), [
      'awscli@1.16.147',
      'botocore@1.12.137',
      'certifi@2019.3.9',
      'chardet@3.0.4',
      'colorama@0.3.9',
      'django@2.2',
      'djangorestframework@3.9.3',
      'docutils@0.14',
      'framework@0.1.0',
      'idna@2.8',
      'jinja2@2.10.1',
      'jmespath@0.9.4',
      'markupsafe@1.1.1',
      'pyasn1@0.4.5',
      'python-dateutil@2.8.0',
      'pytz@2019.1',
      'pyyaml@3.13',
      'requests@2.21.0',
      'rsa@3.4.2',
      's3transfer@0.2.0',
      'simplejson@3.16.0',
      'six@1.12.0',
      'sqlparse@0.3.0',
      'urllib3@1.24.2',
    ]);
    assert.deepEqual(lock(path.join(SYFT, 'pipfile-lock/Pipfile.lock')), [
      'aio-pika@6.8.0',
      'aiodns@2.0.0',
      'aiohttp@3.7.4.post0',
      'aiohttp-jinja2@1.4.2',
      'astroid@2.5.2 dev',
      'autopep8@1.5.6 dev',
    ]);
  });

  it('a package in both sections is a production package; entries without a version are skipped', () => {
    const text = JSON.stringify({
      _meta: { 'pipfile-spec': 6 },
      default: {
        six: { version: '==1.16.0' },
        local: { path: '.', editable: true },
        gitpkg: { git: 'x', ref: 'y' },
      },
      develop: {
        six: { version: '==1.16.0' },
        pytest: { version: '==8.0.0' },
        odd: 'x',
        wild: { version: '*' },
      },
    });
    assert.deepEqual(ids(parsePipfileLock(text)), ['six@1.16.0', 'pytest@8.0.0 dev']);
  });

  it('bad input: not an object, wrong sections, truncated, deeply nested', () => {
    for (const t of ['[]', '"x"', 'null', '42'])
      assert.throws(() => parsePipfileLock(t), /not a JSON object/, t);
    assert.throws(() => parsePipfileLock('{"default": []}'), /"default" is not an object/);
    assert.throws(() => parsePipfileLock('{"default": {"six": {"version": "==1'), SyntaxError);
    assert.throws(() => parsePipfileLock('['.repeat(1_000_000)), SyntaxError);
    assert.deepEqual(parsePipfileLock('{}'), []);
  });
});

describe('poetry.lock', () => {
  it('lock 1.x (category) and 2.x (groups) of the same project give the same packages and dev flags', {
    skip: SKIP_SHARED,
  }, () => {
    const flask = [
      'atomicwrites@1.4.1 dev',
      'attrs@25.1.0 dev',
      'click@8.1.8',
      'colorama@0.4.6',
      'flask@1.0.3',
      'itsdangerous@2.2.0',
      'jinja2@3.1.5',
      'markupsafe@3.0.2',
      'more-itertools@10.6.0 dev',
      'packaging@24.2 dev',
      'pluggy@0.13.1',
      'py@1.11.0 dev',
      'pytest@5.4.3 dev',
      'wcwidth@0.2.13 dev',
      'werkzeug@3.1.3',
    ];
    assert.deepEqual(
      ids(parsePoetryLock(toml(path.join(PARSER, 'poetry/testdata/poetry_flask.lock')))),
      flask,
    );
    assert.deepEqual(
      ids(parsePoetryLock(toml(path.join(PARSER, 'poetry/testdata/poetry_v2_flask.lock')))),
      flask,
    );
    assert.deepEqual(ids(parsePoetryLock(toml(path.join(PARSER, 'poetry/testdata/poetry_normal.lock')))), [
      'pypi@2.1',
    ]);
    // a package only in the "lint" group is a development package too
    const v2 = ids(parsePoetryLock(toml(path.join(FANAL, 'poetry/testdata/happy-v2/poetry.lock'))));
    assert.deepEqual(v2, [...flask.slice(0, 13), 'ruff@0.8.3 dev', ...flask.slice(13)]);
    assert.deepEqual(ids(parsePoetryLock(toml(path.join(SYFT, 'poetry/dev-deps/poetry.lock')))), [
      'added-value@0.14.2 dev',
      'alabaster@0.7.12 dev',
      'appnope@0.1.0 dev',
      'asciitree@0.3.3 dev',
    ]);
    assert.throws(
      () => parsePoetryLock(toml(path.join(FANAL, 'poetry/testdata/sad/poetry.lock'))),
      /expected a key/,
    );
  });

  it('bad input: "package" of the wrong type, truncated in a string', () => {
    assert.throws(() => parsePoetryLock(parseToml('package = "x"')), /not an array of tables/);
    assert.throws(() => parseToml('[[package]]\nname = "six"\nversion = "1.1'), /unterminated string/);
    assert.deepEqual(
      ids(parsePoetryLock(parseToml('[[package]]\nname = "x"\n[[package]]\nversion = "1"'))),
      [],
    );
  });
});

describe('uv.lock', () => {
  it("the project's own packages are skipped; dev and indirect from its dependency graph", {
    skip: SKIP_SHARED,
  }, () => {
    assert.deepEqual(ids(parseUvLock(toml(path.join(PARSER, 'uv/testdata/uv_normal.lock')))), [
      'anyio@4.7.0 indirect',
      'certifi@2024.12.14 indirect',
      'charset-normalizer@3.4.0 indirect',
      'colorama@0.4.6 dev indirect',
      // also a dependency of anyio, a production package
      'exceptiongroup@1.2.2 indirect',
      'h11@0.14.0 indirect',
      'httpcore@1.0.7 indirect',
      'httpx@0.28.1',
      'idna@3.10 indirect',
      'iniconfig@2.0.0 dev indirect',
      // the project's optional "json" extra
      'orjson@3.10.12',
      'packaging@24.2 dev indirect',
      'pluggy@1.5.0 dev indirect',
      'pytest@8.3.4 dev',
      'requests@2.32.0',
      'sniffio@1.3.1 indirect',
      // reached through httpx[socks]
      'socksio@1.0.0 indirect',
      'tomli@2.2.1 dev indirect',
      'typing-extensions@4.12.2 indirect',
      'urllib3@2.2.3 indirect',
    ]);
    assert.deepEqual(ids(parseUvLock(toml(path.join(PARSER, 'uv/testdata/uv_without_root.lock')))), [
      'asyncio@3.4.3',
    ]);
    assert.deepEqual(ids(parseUvLock(toml(path.join(PARSER, 'uv/testdata/uv_multiple_roots.lock')))), [
      'asyncio@3.4.3',
    ]);
    assert.deepEqual(ids(parseUvLock(toml(path.join(FANAL, 'uv/testdata/happy/uv.lock')))), [
      'certifi@2024.12.14 indirect',
      'charset-normalizer@3.4.0 indirect',
      'colorama@0.4.6 dev indirect',
      'exceptiongroup@1.2.2 dev indirect',
      'idna@3.10 indirect',
      'iniconfig@2.0.0 dev indirect',
      'packaging@24.2 dev indirect',
      'pluggy@1.5.0',
      'pytest@8.3.4 dev',
      'requests@2.32.3',
      'tomli@2.2.1 dev indirect',
      'urllib3@2.2.3 indirect',
    ]);
    assert.deepEqual(ids(parseUvLock(toml(path.join(SYFT, 'uv/simple-deps/uv.lock')))), [
      'certifi@2025.1.31 indirect',
      'charset-normalizer@3.4.1 indirect',
      'idna@3.10 indirect',
      'requests@2.32.3',
      'urllib3@2.3.0 indirect',
    ]);
    assert.throws(() => toml(path.join(FANAL, 'uv/testdata/broken-lock/uv.lock')), /expected a key/);
  });

  it('versions pinned per edge, dependency cycles, editable workspace members', () => {
    const lock = [
      'version = 1',
      '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }',
      'dependencies = [{ name = "a" }, { name = "lib" }]',
      '[package.dev-dependencies]\ntest = [{ name = "b", version = "2.0" }]',
      '[[package]]\nname = "lib"\nsource = { editable = "packages/lib" }\ndependencies = [{ name = "c" }]',
      '[[package]]\nname = "a"\nversion = "1.0"\nsource = { registry = "r" }\ndependencies = [{ name = "a2" }]',
      '[[package]]\nname = "a2"\nversion = "1.0"\nsource = { registry = "r" }\ndependencies = [{ name = "a" }]',
      '[[package]]\nname = "b"\nversion = "1.0"\nsource = { registry = "r" }',
      '[[package]]\nname = "b"\nversion = "2.0"\nsource = { registry = "r" }',
      '[[package]]\nname = "c"\nversion = "3.0"\nsource = { git = "g" }',
      '[[package]]\nname = "orphan"\nversion = "9"\nsource = { registry = "r" }',
    ].join('\n');
    assert.deepEqual(ids(parseUvLock(parseToml(lock))), [
      'a@1.0',
      'a2@1.0 indirect',
      'b@1.0',
      'b@2.0 dev',
      'c@3.0',
      'orphan@9',
    ]);
  });
});

describe('pylock.toml (PEP 751)', () => {
  it('every [[packages]] entry with a version', { skip: SKIP_SHARED }, () => {
    assert.deepEqual(ids(parsePylock(toml(path.join(PARSER, 'pylock/testdata/pylock.toml')))), [
      'attrs@25.4.0',
      'certifi@2025.10.5',
      'charset-normalizer@3.4.3',
      'idna@3.10',
      'requests@2.32.5',
      'urllib3@2.5.0',
      'spam@1.0.0',
      'spam@1.1.0',
      'ham@3.0.0',
      'ham@3.0.0',
    ]);
    // "test-project" (a directory, no version) is the project itself
    assert.deepEqual(ids(parsePylock(toml(path.join(FANAL, 'pylock/testdata/happy/pylock.toml')))), [
      'certifi@2026.1.4',
      'charset-normalizer@3.4.4',
      'click@8.3.1',
      'idna@3.11',
      'iniconfig@2.3.0',
      'packaging@26.0',
      'pluggy@1.6.0',
      'pygments@2.19.2',
      'pytest@9.0.2',
      'requests@2.32.5',
      'urllib3@2.6.3',
    ]);
    assert.throws(() => toml(path.join(PARSER, 'pylock/testdata/sad.toml')), /expected a key/);
    assert.throws(() => toml(path.join(FANAL, 'pylock/testdata/broken/pylock.toml')), /expected a key/);
  });

  it('file names and a wrong "packages" type', () => {
    for (const p of ['pylock.toml', 'app/pylock.toml', 'app/pylock.dev.toml']) assert.ok(isPylockFile(p), p);
    for (const p of ['app/pylock.a.b.toml', 'app/my-pylock.toml', 'app/pylock.toml.orig'])
      assert.ok(!isPylockFile(p), p);
    assert.throws(() => parsePylock(parseToml('packages = 1')), /not an array of tables/);
  });
});

describe('Python lockfiles through a scan', () => {
  it('rootfs: types, purls, file paths, dev flags; installed-package requirement files and broken locks', async () => {
    const dir = tmpdir('dd-pylock-');
    const put = (p: string, text: string | Buffer) => {
      mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      writeFileSync(path.join(dir, p), text);
    };
    put('app/requirements.txt', 'Django_Rest.Framework==3.14.0\nrequests>=2\n-r requirements/dev.txt\n');
    put('app/requirements/dev.txt', 'PyTest == 8.3.4 --hash=sha256:00\n');
    put(
      'app/Pipfile.lock',
      JSON.stringify({
        default: { six: { version: '==1.16.0' } },
        develop: { black: { version: '==24.1.0' } },
      }),
    );
    put(
      'app/poetry.lock',
      '[[package]]\nname = "Flask"\nversion = "1.0.3"\ncategory = "main"\n\n[[package]]\nname = "pytest"\nversion = "5.4.3"\ncategory = "dev"\n',
    );
    put(
      'app/uv.lock',
      [
        'version = 1',
        '[[package]]\nname = "proj"\nversion = "0.1.0"\nsource = { virtual = "." }\ndependencies = [{ name = "idna" }]',
        '[package.dev-dependencies]\ndev = [{ name = "ruff" }]',
        '[[package]]\nname = "idna"\nversion = "3.10"\nsource = { registry = "r" }',
        '[[package]]\nname = "ruff"\nversion = "0.8.3"\nsource = { registry = "r" }',
      ].join('\n'),
    );
    put('app/pylock.toml', 'lock-version = "1.0"\n[[packages]]\nname = "attrs"\nversion = "25.4.0"\n');
    put('usr/lib/python3/site-packages/somepkg/requirements.txt', 'ignored==1.0\n');
    put('broken/poetry.lock', '[[package]\nname = "x"\n');
    put('broken/Pipfile.lock', '[1, 2]');
    const image = await openImage(`rootfs:${dir}`);
    const r = await scanImage(image, { cacheDir: null });
    const got = r.packages
      .filter((p) => ['pip', 'pipenv', 'poetry', 'uv', 'pylock'].includes(p.type))
      .map(
        (p) =>
          `${p.type} ${p.filePath} ${p.name} ${p.purl}${p.dev ? ' dev' : ''}${p.indirect ? ' indirect' : ''}`,
      );
    assert.deepEqual(got, [
      'pipenv app/Pipfile.lock black pkg:pypi/black@24.1.0 dev',
      'pipenv app/Pipfile.lock six pkg:pypi/six@1.16.0',
      'poetry app/poetry.lock Flask pkg:pypi/flask@1.0.3',
      'poetry app/poetry.lock pytest pkg:pypi/pytest@5.4.3 dev',
      'pylock app/pylock.toml attrs pkg:pypi/attrs@25.4.0',
      'pip app/requirements.txt Django_Rest.Framework pkg:pypi/django-rest-framework@3.14.0',
      'pip app/requirements/dev.txt PyTest pkg:pypi/pytest@8.3.4',
      'uv app/uv.lock idna pkg:pypi/idna@3.10',
      'uv app/uv.lock ruff pkg:pypi/ruff@0.8.3 dev',
    ]);
    const warnings = r.warnings.join('\n');
    assert.match(warnings, /poetry-lock: could not parse broken\/poetry\.lock: expected "\]\]" at line 1/);
    assert.match(warnings, /pipenv-lock: could not parse broken\/Pipfile\.lock: not a JSON object/);
    assert.ok(!warnings.includes('site-packages'));
  });

  it('every analyzer declares a size cap and the pypi purl type', () => {
    assert.deepEqual(
      PYTHON_LOCK_ANALYZERS.map((a) => a.lang.type),
      ['pip', 'pipenv', 'poetry', 'uv', 'pylock'],
    );
    for (const a of PYTHON_LOCK_ANALYZERS) {
      assert.equal(a.lang.purlType, 'pypi');
      assert.equal(a.lang.group, undefined);
      assert.ok((a.maxFileSize ?? 0) > 0 && (a.maxFileSize ?? 0) <= 32 * 1024 * 1024, a.name);
    }
  });
});
