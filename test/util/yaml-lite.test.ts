import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isYamlMap,
  parseYaml,
  parseYamlDocuments,
  YamlError,
  type YamlValue,
} from '../../src/util/yaml-lite.js';
import { ROOT } from '../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures');
const read = (...p: string[]) => readFileSync(path.join(FIX, ...p), 'utf8');

// The oracle: the `yaml` package (2.x) with its failsafe schema, run when the fixtures were made
// (test/fixtures/README.md); its output is committed next to each input.
describe('yaml-lite against the yaml package (failsafe schema)', () => {
  it('every construct of features.yaml', () => {
    assert.deepEqual(
      parseYaml(read('yaml-lite', 'features.yaml')),
      JSON.parse(read('yaml-lite', 'features.json')),
    );
  });

  it('several documents; an empty one is ""', () => {
    assert.deepEqual(
      parseYamlDocuments(read('yaml-lite', 'documents.yaml')),
      JSON.parse(read('yaml-lite', 'documents.json')),
    );
  });

  it('lockfiles pnpm 7, pnpm 11 and yarn 4 wrote', () => {
    for (const [input, golden] of [
      [['pnpm', 'v5.4-workspace', 'pnpm-lock.yaml'], 'pnpm-v5.4-workspace.json'],
      [['pnpm', 'v9.0-env-document', 'pnpm-lock.yaml'], 'pnpm-v9.0-env-document.json'],
      [['yarn', 'berry-v4', 'yarn.lock'], 'yarn-berry-v4.json'],
    ] as const) {
      assert.deepEqual(parseYamlDocuments(read(...input)), JSON.parse(read('yaml-lite', golden)), golden);
    }
  });
});

/**
 * Block-style YAML of a value, the way lockfile writers emit it: strings double-quoted (JSON) or
 * plain. Scalars and empty collections stay on their key's line; other collections go below it.
 */
function emit(v: YamlValue, indent: number): string {
  const pad = ' '.repeat(indent);
  const scalar = (s: string) =>
    /^[a-z][a-z0-9.^~_/-]*$/.test(s) ? s : JSON.stringify(s).replace(/\x7f/g, '\\x7f');
  if (typeof v === 'string') return ` ${scalar(v)}\n`;
  if (Array.isArray(v)) {
    if (v.length === 0) return ' []\n';
    return `\n${v.map((x) => `${pad}-${emit(x, indent + 2)}`).join('')}`;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return ' {}\n';
  return `\n${keys.map((k) => `${pad}${scalar(k)}:${emit(v[k] as YamlValue, indent + 2)}`).join('')}`;
}

describe('yaml-lite round trip', () => {
  it('parses back what a block-style writer emits (fast-check)', () => {
    const tree = fc.letrec<{ node: YamlValue }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), tie('node'), {
          maxKeys: 4,
          noNullPrototype: true,
        }),
      ),
    })).node;
    const doc = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tree, {
      minKeys: 1,
      maxKeys: 5,
      noNullPrototype: true,
    });
    fc.assert(
      fc.property(doc, (d) => {
        assert.deepEqual(parseYaml(emit(d, 0).slice(1)), d);
      }),
      { numRuns: 300 },
    );
  });
});

describe('yaml-lite refuses what lockfiles never hold', () => {
  const bad: [string, RegExp][] = [
    ['a: &x 1\nb: *x\n', /anchors and aliases/],
    ['a: !!str 1\n', /tags are not supported/],
    ['%YAML 1.2\n---\na: 1\n', /directives/],
    ['a: 1\na: 2\n', /duplicate key "a" at line 2/],
    ['a:\n\tb: 1\n', /tab in indentation/],
    ['a: 1\x00\n', /control character/],
    ['a:\n  b: 1\n c: 2\n', /bad indentation/],
    ['a: "open\n', /unterminated string/],
    ['a: [1, 2\n', /unterminated flow collection/],
    ['a: {b: 1} c\n', /unexpected text after a value/],
    ['? a\n: b\n', /complex keys/],
    ['a: b: c\n', /nested mapping/],
    ['a: "\\q"\n', /bad escape/],
    ['a: ,x\n', /cannot start with ","/],
    ['- a\nb: c\n', /bad indentation/],
  ];
  for (const [text, re] of bad) {
    it(JSON.stringify(text), () => {
      assert.throws(
        () => parseYamlDocuments(text),
        (e: unknown) => e instanceof YamlError && re.test(e.message),
      );
    });
  }

  it('a deeper "- " line continues a plain scalar (PyYAML wraps prose so; its own output here)', () => {
    // python3 yaml 6.0.3, BaseLoader: the PyPI advisory database's files are written this way
    assert.deepEqual(parseYaml('a: x\n  - y\nb: c\n'), { a: 'x - y', b: 'c' });
    assert.deepEqual(parseYaml('- foo\n  - bar\n'), ['foo - bar']);
    assert.deepEqual(parseYaml('k:\n  - x\n    - y\n'), { k: ['x - y'] });
    assert.throws(() => parseYaml('a: x\n- y\n'), YamlError); // at the key's column it is no continuation
  });

  it('repeated keys replace earlier ones only when asked (yarn berry tolerates them)', () => {
    assert.deepEqual(parseYaml('a: 1\na: 2\n', { allowDuplicateKeys: true }), { a: '2' });
  });

  it('"__proto__" is a plain key, not the prototype', () => {
    const v = parseYaml('__proto__:\n  polluted: yes\n');
    assert.ok(isYamlMap(v));
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.deepEqual(Object.keys(v), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('yaml-lite bounds (hostile input)', () => {
  it('nesting is capped: deep blocks, sequences and flows fail fast', () => {
    const deepBlock = Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    assert.throws(() => parseYamlDocuments(deepBlock), /nesting deeper than 64 at line 65/);
    assert.throws(() => parseYamlDocuments(`${'- '.repeat(100_000)}x`), /nesting deeper than 64/);
    assert.throws(() => parseYamlDocuments(`a: ${'['.repeat(1_000_000)}`), /nesting too deep/);
    assert.throws(() => parseYamlDocuments(`a: ${'{b: '.repeat(100_000)}`), /nesting too deep/);
    assert.doesNotThrow(() => parseYamlDocuments(deepBlock.split('\n').slice(0, 60).join('\n')));
    assert.throws(() => parseYamlDocuments(deepBlock, { maxDepth: 8 }), /nesting deeper than 8/);
  });

  it('scalars and flows left open over many long lines give up after a bounded span', {
    timeout: 60_000,
  }, () => {
    const line = `${'y'.repeat(50_000)}\n`;
    assert.throws(() => parseYamlDocuments(`a: "${line.repeat(2000)}`), /unterminated string/);
    assert.throws(
      () => parseYamlDocuments(`a: [${`${'y, '.repeat(20_000)}\n`.repeat(2000)}`),
      /unterminated/,
    );
  });

  it('documents are capped', () => {
    assert.equal(parseYamlDocuments('---\na: 1\n'.repeat(16)).length, 16);
    assert.throws(() => parseYamlDocuments('---\na: 1\n'.repeat(17)), /more than 16 documents/);
    assert.throws(() => parseYaml('---\na: 1\n---\nb: 2\n'), /more than one document/);
  });

  it('binary input fails on its first control character', () => {
    const bytes = Buffer.alloc(1 << 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    assert.throws(() => parseYamlDocuments(bytes.toString('latin1')), /control character at line 1/);
  });
});
