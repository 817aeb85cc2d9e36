import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { UserError } from '../../src/errors.js';
import { canonicalJson, compareUtf8, parseStrictJson } from '../../src/trust/cjson.js';
import { ROOT } from '../helpers/env.js';

const SAMPLE = path.join(ROOT, 'test/fixtures/trust/notary-sample');
const ROLES = ['root.json', 'targets.json', 'targets/releases.json', 'snapshot.json', 'timestamp.json'];

function userError(re: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.match(err.message, re);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  };
}

describe('canonicalJson', () => {
  it('re-serialises the signed part of real Notary metadata byte for byte', () => {
    for (const f of ROLES) {
      const raw = readFileSync(path.join(SAMPLE, f), 'utf8');
      const doc = parseStrictJson(raw, f) as { signed: unknown };
      // the file is {"signed":<canonical>,"signatures":[...]}
      const served = raw.slice('{"signed":'.length, raw.indexOf(',"signatures":'));
      assert.equal(canonicalJson(doc.signed), served, f);
    }
  });

  it('sorts keys by UTF-8 bytes, writes no whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], A: {} }), '{"A":{},"a":[true,null,"x"],"b":1}');
    // U+FFFF (EF BF BF) sorts before U+10000 (F0 90 80 80) in UTF-8, after it in UTF-16
    assert.equal(canonicalJson({ '\u{10000}': 1, '\uffff': 2 }), '{"\uffff":2,"\u{10000}":1}');
    assert.ok(compareUtf8('\uffff', '\u{10000}') < 0);
    assert.ok('\u{10000}' < '\uffff'); // the JS order the comparator must not use
  });

  it('escapes only quote and backslash (and U+2028/2029), like Go canonical/json', () => {
    assert.equal(canonicalJson('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(canonicalJson('<>&/é'), '"<>&/é"');
    assert.equal(canonicalJson('tab\there\nnl\u0001'), '"tab\there\nnl\u0001"');
    assert.equal(canonicalJson('\u2028\u2029'), '"\\u2028\\u2029"');
  });

  it('writes integers only, and skips undefined object members', () => {
    assert.equal(
      canonicalJson({ n: 974, z: -0, big: 2 ** 53 - 1, u: undefined }),
      '{"big":9007199254740991,"n":974,"z":0}',
    );
    assert.throws(() => canonicalJson({ f: 1.5 }), userError(/cannot encode the number 1\.5/));
    assert.throws(() => canonicalJson(Number.NaN), userError(/cannot encode/));
    assert.throws(() => canonicalJson(2 ** 60), userError(/integers up to 2\^53/));
    assert.throws(() => canonicalJson([undefined]), userError(/undefined array element/));
    assert.throws(() => canonicalJson(new Date(0)), userError(/type Date/));
  });

  it('parse ∘ canonicalJson is the identity on integer JSON values, and canonical output is a fixpoint', () => {
    // canonical form writes control characters raw (as Go does), which JSON parsers refuse
    const text = fc
      .string({ unit: 'binary' })
      .map((s) => [...s].map((ch) => (ch.charCodeAt(0) < 0x20 ? '_' : ch)).join(''));
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer({ min: -1e9, max: 1e9 }),
        text,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(text, tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        // lone surrogates cannot survive UTF-8; compare through a UTF-8 round trip
        const c = canonicalJson(v);
        const back = parseStrictJson(Buffer.from(c, 'utf8'), 'prop');
        assert.equal(canonicalJson(back), Buffer.from(c, 'utf8').toString('utf8'));
        assert.deepEqual(back, JSON.parse(Buffer.from(c, 'utf8').toString('utf8')));
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseStrictJson', () => {
  it('agrees with JSON.parse on valid documents', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        assert.deepEqual(parseStrictJson(text, 'prop'), JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects duplicate keys at any depth', () => {
    assert.throws(
      () => parseStrictJson('{"a":1,"a":2}', 'x.json'),
      userError(/^x\.json: invalid JSON: duplicate key "a"/),
    );
    assert.throws(
      () => parseStrictJson('{"s":{"k":[{"v":1,"v":1}]}}', 'x.json'),
      userError(/duplicate key "v"/),
    );
    // same key in sibling objects is fine
    assert.deepEqual(parseStrictJson('[{"a":1},{"a":2}]', 'x'), [{ a: 1 }, { a: 2 }]);
  });

  it('rejects invalid UTF-8, a BOM, oversized input and excessive depth', () => {
    assert.throws(
      () => parseStrictJson(Buffer.from([0x22, 0xc3, 0x28, 0x22]), 'bad.json'),
      userError(/bad\.json: not valid UTF-8/),
    );
    assert.throws(
      () => parseStrictJson(Buffer.from('\ufeff{}', 'utf8'), 'bom.json'),
      userError(/invalid JSON/),
    );
    assert.throws(
      () => parseStrictJson(Buffer.alloc(101, 0x20), 'big.json', 100),
      userError(/101 bytes is larger than the limit of 100/),
    );
    assert.doesNotThrow(() => parseStrictJson(`${'['.repeat(64)}${']'.repeat(64)}`, 'deep'));
    assert.throws(
      () => parseStrictJson(`${'['.repeat(65)}${']'.repeat(65)}`, 'deep'),
      userError(/nesting deeper than 64/),
    );
  });

  it('rejects what RFC 8259 does not allow', () => {
    for (const bad of [
      '',
      '{',
      '{"a":1,}',
      '[1,]',
      '01',
      '1.',
      '.5',
      '+1',
      "{'a':1}",
      '"\u0001"',
      '"\\x"',
      '"\\u12"',
      'nul',
      '{} {}',
      'NaN',
    ]) {
      assert.throws(() => parseStrictJson(bad, 'bad'), userError(/^bad: invalid JSON/), JSON.stringify(bad));
    }
  });

  it('keeps "__proto__" as an own key', () => {
    const v = parseStrictJson('{"__proto__":{"polluted":true}}', 'p') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.deepEqual(Object.keys(v), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(canonicalJson(v), '{"__proto__":{"polluted":true}}');
  });
});
