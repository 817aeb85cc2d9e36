import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isTomlTable, parseToml, TomlDateTime, TomlError, type TomlValue } from '../../src/util/toml-lite.js';
import { SHARED, SKIP_SHARED } from '../helpers/env.js';

// The oracle: Python's tomllib (3.11+), fed JSON lines of documents, answering JSON lines with
// typed values, or the error.
const TOMLLIB = `
import sys, json, tomllib, datetime
def conv(v):
    if isinstance(v, bool): return {"$bool": v}
    if isinstance(v, int): return {"$int": str(v)}
    if isinstance(v, float): return {"$float": repr(v)}
    if isinstance(v, datetime.datetime):
        return {"$dt": "offset-date-time" if v.tzinfo else "local-date-time", "v": v.isoformat()}
    if isinstance(v, datetime.date): return {"$dt": "local-date", "v": v.isoformat()}
    if isinstance(v, datetime.time): return {"$dt": "local-time", "v": v.isoformat()}
    if isinstance(v, str): return v
    if isinstance(v, list): return [conv(x) for x in v]
    return {k: conv(x) for k, x in v.items()}
for line in sys.stdin:
    try: print(json.dumps({"ok": conv(tomllib.loads(json.loads(line)))}))
    except tomllib.TOMLDecodeError as e: print(json.dumps({"err": str(e)}))
`;

const HAVE_TOMLLIB = spawnSync('python3', ['-c', 'import tomllib'], { encoding: 'utf8' }).status === 0;
const SKIP_TOMLLIB = HAVE_TOMLLIB ? false : 'python3 with tomllib (3.11+) is not available';

type Outcome = { ok: unknown } | { err: string };

function tomllib(docs: string[]): Outcome[] {
  const r = spawnSync('python3', ['-c', TOMLLIB], {
    input: `${docs.map((d) => JSON.stringify(d)).join('\n')}\n`,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Outcome);
}

/** Our date-time text as Python's isoformat() writes it. */
function isoformat(d: TomlDateTime): string {
  return d.text
    .replace(/^(\d{4}-\d{2}-\d{2})[Tt ]/, '$1T')
    .replace(/[zZ]$/, '+00:00')
    .replace(/\.(\d+)/, (_m, f: string) => {
      const us = f.slice(0, 6).padEnd(6, '0');
      return us === '000000' ? '' : `.${us}`;
    });
}

/** Both sides in one comparable shape: numbers as {$num}, own keys only (even "__proto__"). */
function ours(v: TomlValue): unknown {
  if (typeof v === 'boolean') return { $bool: v };
  if (typeof v === 'number') return { $num: Number.isNaN(v) ? 'nan' : Object.is(v, -0) ? '-0' : String(v) };
  if (typeof v === 'bigint') return { $num: String(v) };
  if (v instanceof TomlDateTime) return { $dt: v.kind, v: isoformat(v) };
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(ours);
  return Object.keys(v).map((k) => [k, ours(v[k] as TomlValue)]);
}

function theirs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(theirs);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  if (typeof o.$int === 'string') {
    const b = BigInt(o.$int);
    return {
      $num: String(
        b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b,
      ),
    };
  }
  if (typeof o.$float === 'string') {
    const f = o.$float;
    const n = f.endsWith('nan') ? Number.NaN : f === 'inf' ? Infinity : f === '-inf' ? -Infinity : Number(f);
    return { $num: Number.isNaN(n) ? 'nan' : Object.is(n, -0) ? '-0' : String(n) };
  }
  if ('$bool' in o || '$dt' in o) return o;
  return Object.keys(o).map((k) => [k, theirs(o[k])]);
}

function outcome(doc: string): Outcome {
  try {
    return { ok: ours(parseToml(doc)) };
  } catch (e) {
    assert.ok(e instanceof TomlError, `${JSON.stringify(doc)}: ${(e as Error).stack}`);
    return { err: e.message };
  }
}

/** Documents on which we and tomllib disagree (acceptance or value). */
function disagreements(docs: string[]): string[] {
  const py = tomllib(docs);
  const out: string[] = [];
  docs.forEach((d, i) => {
    const p = py[i] as Outcome;
    const o = outcome(d);
    const same =
      'ok' in p && 'ok' in o
        ? JSON.stringify(theirs(p.ok)) === JSON.stringify(o.ok)
        : 'err' in p && 'err' in o;
    if (!same)
      out.push(`${JSON.stringify(d)}\n  tomllib: ${JSON.stringify(p)}\n  ours: ${JSON.stringify(o)}`);
  });
  return out;
}

/** A seeded generator (mulberry32), so that a failure can be replayed. */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

const KEYS = ['a', 'b', 'c', '"a"', "'b'", 'a.b', 'b.c', 'a.b.c', 'a . b', '""', '"a.b"', '1', '1.2', 'true'];
const MORE_KEYS = ['inf', '-', '_', '__proto__', 'constructor', '"\\u0061"'];
// Values and near-misses: every TOML value form, the edge cases of each, and invalid neighbours.
const VALUES = [
  '1',
  '-1',
  '+1',
  '0',
  '-0',
  '+0',
  '01',
  '1_000',
  '1__0',
  '_1',
  '1_',
  '0x1F',
  '0xdead_beef',
  '0X1',
  '0o17',
  '0b101',
  '-0x1',
  '9223372036854775807',
  '-9223372036854775808',
  '123456789012345678',
  '1.0',
  '1.',
  '.5',
  '1e5',
  '1E-5',
  '1e+05',
  '1.5e3',
  '1_0.0_1',
  '1.0_',
  '-0.0',
  '+0.0',
  'inf',
  '-inf',
  '+inf',
  'nan',
  '-nan',
  'Inf',
  'true',
  'false',
  'True',
  'truex',
  '"x"',
  '"a\\"b"',
  '"\\u00e9"',
  '"\\U0001F600"',
  '"\\uD800"',
  '"\\x41"',
  '"\\e"',
  '"tab\there"',
  "'lit'",
  "'a\\b'",
  '""""""',
  '"""a""""',
  '"""a"""""',
  '"""a""""""',
  '"""\nx"""',
  '"""x\\\n   y"""',
  '"""x\\  \n  \n y"""',
  "'''\nz'''",
  "'''a''''",
  "''''''",
  '1979-05-27',
  '1979-05-27T07:32:00',
  '1979-05-27 07:32:00',
  '1979-05-27t07:32:00z',
  '1979-05-27T07:32:00Z',
  '1979-05-27T07:32:00.999999-07:00',
  '1979-05-27T00:32:00.123456789+01:30',
  '07:32:00',
  '07:32',
  '00:32:00.5',
  '2000-02-29',
  '2001-02-29',
  '1979-13-01',
  '1979-05-27T24:00:00',
  '1979-05-27T07:32:60',
  '1979-05-27T07:32:00+24:00',
  '1979-05-27T',
  '1979-5-27',
  '[]',
  '[1,]',
  '[,]',
  '[1,2',
  '[ 1 , [2, [3]] ]',
  '[\n1, # c\n2\n]',
  '{}',
  '{ }',
  '{a=1}',
  '{a=1,}',
  '{a.b=1, a.c=2}',
  '{a=1, a=2}',
  '{a={b=1}, a.c=2}',
  '{\na=1}',
  '[{a=1},{b=2}]',
  '{ a = [1, {b = 2}] }',
];
const ODD_LINES = [
  '',
  '# comment',
  '  ',
  'a = 1 b',
  '\t# x\u0001',
  'x = 1\r',
  '[a]]',
  '[ [a]]',
  '[a.]',
  'a = ',
];

function randomDocs(seed: number, count: number): string[] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[r(a.length)] as T;
  const keys = [...KEYS, ...MORE_KEYS];
  const docs: string[] = [];
  for (let n = 0; n < count; n++) {
    const lines: string[] = [];
    for (let j = 1 + r(6); j > 0; j--) {
      const kind = r(6);
      if (kind === 0) lines.push(`[${pick(keys)}]`);
      else if (kind === 1) lines.push(`[[${pick(keys)}]]`);
      else if (kind < 5) lines.push(`${pick(keys)} = ${pick(VALUES)}${r(4) === 0 ? ' # c' : ''}`);
      else lines.push(pick(ODD_LINES));
    }
    docs.push(lines.join(r(5) === 0 ? '\r\n' : '\n'));
  }
  return docs;
}

function mutations(seed: number, sources: string[], count: number): string[] {
  const r = rng(seed);
  const alphabet = [
    '"',
    "'",
    '[',
    ']',
    '{',
    '}',
    '=',
    ',',
    '.',
    '\n',
    ' ',
    '#',
    '\\',
    'a',
    '1',
    '-',
    '\r',
    '"""',
  ];
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let d = sources[r(sources.length)] as string;
    for (let j = 1 + r(3); j > 0; j--) {
      const p = r(d.length);
      d = r(2)
        ? d.slice(0, p) + alphabet[r(alphabet.length)] + d.slice(p)
        : d.slice(0, p) + d.slice(p + 1 + r(3));
    }
    out.push(d);
  }
  return out;
}

function tomlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) tomlFiles(p, out);
    else if (/\.(toml|lock)$/.test(e)) out.push(p);
  }
  return out;
}

describe('toml-lite', () => {
  it('reads what lockfiles use: tables, arrays of tables, sub-tables of the last element, inline tables', () => {
    const doc = parseToml(
      [
        'version = 1',
        'requires-python = ">=3.9"',
        '',
        '[[package]]',
        'name = "anyio"',
        'source = { registry = "https://example.invalid/simple" }',
        'dependencies = [',
        '    { name = "idna" },',
        "    { name = 'sniffio', marker = \"python_version < '3.11'\" }, # trailing comma and comment",
        ']',
        '',
        '[package.optional-dependencies]',
        'trio = [{ name = "trio" }]',
        '',
        '[[package]]',
        'name = "idna"',
        '[package.metadata.requires-dev]',
        'dev = []',
      ].join('\n'),
    );
    assert.deepEqual(doc, {
      version: 1,
      'requires-python': '>=3.9',
      package: [
        {
          name: 'anyio',
          source: { registry: 'https://example.invalid/simple' },
          dependencies: [{ name: 'idna' }, { name: 'sniffio', marker: "python_version < '3.11'" }],
          'optional-dependencies': { trio: [{ name: 'trio' }] },
        },
        { name: 'idna', metadata: { 'requires-dev': { dev: [] } } },
      ],
    });
    assert.ok(isTomlTable(doc.package) === false && Array.isArray(doc.package));
  });

  it('strings, numbers, booleans and date-times (TOML 1.0 examples)', () => {
    const doc = parseToml(
      [
        's = "tab\\t \\"q\\" \\u00e9 \\U0001F600"',
        "lit = 'C:\\Users\\nodejs'",
        'ml = """',
        'Roses are red\\',
        '   Violets are blue"""',
        "mll = '''",
        "first\\n line'''",
        'quotes = """""two"""""',
        'hex = 0xdead_beef',
        'oct = 0o755',
        'bin = 0b1101',
        'big = 9_223_372_036_854_775_807',
        'flt = -6.626e-34',
        'inf = -inf',
        'yes = true',
        'odt = 1979-05-27T07:32:00-08:00',
        'ld = 1979-05-27',
        'lt = 00:32:00.999999',
        'a.b."c.d" = 1',
      ].join('\n'),
    );
    assert.equal(doc.s, 'tab\t "q" é 😀');
    assert.equal(doc.lit, 'C:\\Users\\nodejs');
    assert.equal(doc.ml, 'Roses are redViolets are blue');
    assert.equal(doc.mll, 'first\\n line');
    assert.equal(doc.quotes, '""two""');
    assert.equal(doc.hex, 0xdeadbeef);
    assert.equal(doc.oct, 0o755);
    assert.equal(doc.bin, 13);
    assert.equal(doc.big, 9223372036854775807n);
    assert.equal(doc.flt, -6.626e-34);
    assert.equal(doc.inf, Number.NEGATIVE_INFINITY);
    assert.equal(doc.yes, true);
    assert.deepEqual(doc.odt, new TomlDateTime('offset-date-time', '1979-05-27T07:32:00-08:00'));
    assert.equal(String(doc.ld), '1979-05-27');
    assert.equal((doc.lt as TomlDateTime).kind, 'local-time');
    assert.deepEqual(doc.a, { b: { 'c.d': 1 } });
    assert.equal(JSON.stringify({ d: doc.ld }), '{"d":"1979-05-27"}');
  });

  it('rejects what TOML forbids, with a line and column', () => {
    const bad: [string, RegExp][] = [
      ['a = 1\na = 2', /duplicate key "a" at line 2, column 1/],
      ['[t]\n[t]', /defined twice/],
      ['[[t]]\n[t]', /defined twice/],
      ['t = [1]\n[[t]]', /not an array of tables/],
      ['t = {a = 1}\n[t.b]', /inline table/],
      ['[a.b]\n[a]\nb.c = 1', /dotted keys/],
      ['[fruit]\napple.color = "red"\n[fruit.apple]', /defined twice/],
      ['a = "unterminated', /unterminated string at line 1/],
      ['a = """never closed\n\n', /unterminated multi-line string/],
      ["a = 'x\ny'", /unterminated string/],
      ['a = [1, 2', /unterminated array/],
      ['a = {b = 1', /unterminated inline table/],
      ['a = {b = 1,}', /expected a key/],
      ['a = {\nb = 1}', /expected a key/],
      ['a = "\\q"', /bad escape/],
      ['a = "\\uD800"', /not a scalar value/],
      ['a = 1979-02-30', /invalid date/],
      ['a = 24:00:00', /invalid time/],
      ['a = 9223372036854775808', /64-bit range/],
      ['a = 01', /invalid value "01"/],
      ['a = 1 # ok\nb = 2 3', /end of the line at line 2/],
      ['a = "x"\r', /bare carriage return/],
      ['# bell \u0007', /control character in comment/],
      ['[', /expected a key/],
      ['= 1', /expected a key/],
    ];
    for (const [doc, re] of bad) {
      assert.throws(
        () => parseToml(doc),
        (e: unknown) => e instanceof TomlError && re.test(e.message),
        doc,
      );
    }
    // sub-tables of dotted-key tables are allowed (the spec's example)
    assert.deepEqual(parseToml('[fruit]\napple.color = "red"\n[fruit.apple.texture]\nsmooth = true'), {
      fruit: { apple: { color: 'red', texture: { smooth: true } } },
    });
  });

  it('keys never reach Object.prototype', () => {
    const doc = parseToml(
      '__proto__ = 1\n[constructor]\nprototype = { polluted = true }\n[t."__proto__"]\npolluted = true',
    );
    assert.ok(Object.hasOwn(doc, '__proto__'));
    assert.equal(Object.getPrototypeOf(doc), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(doc), ['__proto__', 'constructor', 't']);
    const t = doc.t as Record<string, unknown>;
    assert.deepEqual(Object.getOwnPropertyDescriptor(t, '__proto__')?.value, { polluted: true });
    assert.equal(Object.getPrototypeOf(t), Object.prototype);
    assert.throws(() => parseToml('a = 1\n[a]'), TomlError);
  });

  it('hostile input: deep nesting, many values and 50 MB of junk stay bounded', () => {
    for (const open of ['[', '{a=']) {
      const deep = `a = ${open.repeat(100_000)}`;
      assert.throws(() => parseToml(deep), /nesting deeper than 64/);
    }
    assert.throws(() => parseToml(`a = [${'[1],'.repeat(10)}]`, { maxDepth: 1 }), /nesting deeper than 1/);
    assert.throws(
      () => parseToml(`a = [${'1,'.repeat(2000)}]`, { maxValues: 1000 }),
      /more than 1000 values/,
    );
    const t0 = Date.now();
    const junk = Buffer.alloc(50 * 1024 * 1024);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
    assert.throws(() => parseToml(junk.toString('latin1')), TomlError);
    assert.throws(() => parseToml(`a = "${'x'.repeat(50 * 1024 * 1024)}`), /unterminated string/);
    assert.throws(
      () => parseToml(`a = """${'x\n'.repeat(10 * 1024 * 1024)}`),
      /unterminated multi-line string/,
    );
    assert.throws(() => parseToml('[a]\n'.repeat(1_000_000)), /defined twice/);
    const long = parseToml(`a = [${'"x",'.repeat(500_000)}]`);
    assert.equal((long.a as string[]).length, 500_000);
    assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
  });

  it('agrees with tomllib on 12,000 generated documents and 3,000 mutated lockfiles', {
    skip: SKIP_TOMLLIB,
  }, () => {
    const sources = [
      'version = 1\n[[package]]\nname = "a"\nversion = "1.0"\nsource = { registry = "x" }\n',
      '[[package]]\nname = "b"\ndependencies = [\n  { name = "a", marker = "x < \'1\'" },\n]\n[package.metadata]\nrequires-dist = [{ name = "a" }]\n',
      '[metadata]\nlock-version = "2.0"\ncontent-hash = "abc"\n[metadata.files]\na = [\n  {file = "a.whl", hash = "sha256:00"},\n]\n',
    ];
    const docs = [...randomDocs(20240601, 12_000), ...mutations(7, sources, 3_000)];
    const accepted = tomllib(docs).filter((o) => 'ok' in o).length;
    assert.ok(
      accepted > 3000 && accepted < docs.length - 3000,
      `a mix of valid and invalid documents (${accepted})`,
    );
    const diffs = disagreements(docs);
    assert.deepEqual(diffs.slice(0, 5), []);
  });

  it('agrees with tomllib on every .toml and .lock file of the shared test data', {
    skip: SKIP_TOMLLIB || SKIP_SHARED,
  }, () => {
    const files = [
      ...tomlFiles(path.join(SHARED, 'data/trivy-testdata')),
      ...tomlFiles(path.join(SHARED, 'data/syft-testdata')),
    ];
    assert.ok(files.length > 100, `${files.length} files`);
    const docs = files.map((f) => readFileSync(f, 'utf8'));
    assert.deepEqual(disagreements(docs).slice(0, 5), []);
  });
});
