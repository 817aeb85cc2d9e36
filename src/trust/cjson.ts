// Canonical JSON as Notary (docker/go canonical/json) writes it, and a strict JSON parser for
// untrusted TUF metadata.
//
// Canonical form: object keys sorted by their UTF-8 bytes, no whitespace, integers only, strings
// with only `"` and `\` escaped (plus U+2028/U+2029 as \u2028/\u2029, as Go's encoder does);
// control characters and non-ASCII are written raw. Signatures in TUF/Notary are over the
// canonical bytes of the `signed` object, not over the bytes as served.

import { UserError } from '../errors.js';

export const DEFAULT_MAX_JSON_BYTES = 4 * 1024 * 1024;
const MAX_DEPTH = 64;

/** Notary/TUF canonical JSON of a JSON value (plain objects, arrays, strings, integers, booleans, null). */
export function canonicalJson(v: unknown): string {
  const out: string[] = [];
  writeCanonical(v, out, 0);
  return out.join('');
}

function writeCanonical(v: unknown, out: string[], depth: number): void {
  if (depth >= MAX_DEPTH) throw new UserError(`canonical JSON: nesting deeper than ${MAX_DEPTH}`);
  if (v === null) {
    out.push('null');
  } else if (typeof v === 'boolean') {
    out.push(v ? 'true' : 'false');
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) {
      throw new UserError(`canonical JSON: cannot encode the number ${v} (integers up to 2^53 only)`);
    }
    out.push(String(v === 0 ? 0 : v));
  } else if (typeof v === 'string') {
    out.push(quote(v));
  } else if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      if (v[i] === undefined) throw new UserError('canonical JSON: undefined array element');
      writeCanonical(v[i], out, depth + 1);
    }
    out.push(']');
  } else if (typeof v === 'object' && isPlainObject(v)) {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort(compareUtf8);
    out.push('{');
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push(quote(k), ':');
      writeCanonical(obj[k], out, depth + 1);
    });
    out.push('}');
  } else {
    throw new UserError(`canonical JSON: cannot encode a value of type ${describeType(v)}`);
  }
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describeType(v: unknown): string {
  if (typeof v === 'object' && v !== null) return v.constructor?.name ?? 'object';
  return typeof v;
}

const NEEDS_ESCAPE = /["\\\u2028\u2029]/;

function quote(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let r = '"';
  for (const ch of s) {
    if (ch === '"') r += '\\"';
    else if (ch === '\\') r += '\\\\';
    else if (ch === '\u2028') r += '\\u2028';
    else if (ch === '\u2029') r += '\\u2029';
    else r += ch;
  }
  return `${r}"`;
}

/** Go's string order: byte-wise over UTF-8 (differs from UTF-16 order above the BMP). */
export function compareUtf8(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Strict parser

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses untrusted JSON: rejects duplicate object keys, invalid UTF-8, nesting deeper than 64,
 * input larger than `maxBytes`, and anything RFC 8259 does not allow. Errors are one-line
 * UserErrors that start with `what`.
 */
export function parseStrictJson(
  text: Buffer | string,
  what: string,
  maxBytes = DEFAULT_MAX_JSON_BYTES,
): unknown {
  const size = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.length;
  if (size > maxBytes) {
    throw new UserError(`${what}: ${size} bytes is larger than the limit of ${maxBytes} bytes`);
  }
  let src: string;
  if (typeof text === 'string') {
    src = text;
  } else {
    try {
      src = utf8Decoder.decode(text);
    } catch {
      throw new UserError(`${what}: not valid UTF-8`);
    }
  }
  const p = new Parser(src, what);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.i < src.length) p.fail('unexpected data after the JSON value');
  return v;
}

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    readonly what: string,
  ) {}

  fail(msg: string): never {
    throw new UserError(`${this.what}: invalid JSON: ${msg} at offset ${this.i}`);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  value(depth: number): unknown {
    if (depth >= MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const c = this.s[this.i];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(
          c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`,
        );
    }
  }

  literal<T>(word: string, v: T): T {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return v;
    }
    return this.fail('invalid literal');
  }

  object(depth: number): Record<string, unknown> {
    this.i++; // {
    const obj: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return obj;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a string key');
      const keyAt = this.i;
      const key = this.string();
      if (seen.has(key)) {
        this.i = keyAt;
        this.fail(`duplicate key ${JSON.stringify(key)}`);
      }
      seen.add(key);
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.ws();
      // defineProperty: a "__proto__" key becomes an own property, never the prototype
      Object.defineProperty(obj, key, {
        value: this.value(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return obj;
      }
      this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): unknown[] {
    this.i++; // [
    const arr: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return arr;
    }
    for (;;) {
      this.ws();
      arr.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return arr;
      }
      this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    const s = this.s;
    this.i++; // opening quote
    let out = '';
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        out += s.slice(start, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += s.slice(start, this.i);
      const e = s[this.i + 1];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = s.slice(this.i + 2, this.i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.i += 4;
          break;
        }
        default:
          this.fail('invalid escape');
      }
      this.i += 2;
      start = this.i;
    }
  }

  number(): number {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(
      this.s.slice(this.i, this.i + 400),
    );
    if (!m) return this.fail('invalid number');
    this.i += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) this.fail('number out of range');
    return n;
  }
}
