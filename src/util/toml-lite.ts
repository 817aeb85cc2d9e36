// A strict, bounded TOML 1.0 reader for lockfiles (poetry.lock, uv.lock, pylock.toml, Cargo.lock).
//
// Written from the TOML 1.0.0 specification and checked against Python's tomllib. The input is
// hostile (it comes from images), so the reader is a single left-to-right pass with no regular
// expression that can backtrack, nesting of arrays and inline tables is capped (no stack overflow),
// and table objects cannot be polluted through keys such as "__proto__". Deviations from tomllib:
// integers outside the signed 64-bit range are rejected (the spec asks for that; tomllib keeps
// them), and a leading byte-order mark is skipped.

/** TOML date-times are kept as their text; `kind` says which of the four TOML types it is. */
export class TomlDateTime {
  constructor(
    readonly kind: 'offset-date-time' | 'local-date-time' | 'local-date' | 'local-time',
    readonly text: string,
  ) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

/** Integers are numbers when exactly representable, bigints otherwise (still within 64 bits). */
export type TomlValue = string | number | bigint | boolean | TomlDateTime | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

export interface TomlOptions {
  /** Deepest nesting of arrays and inline tables inside one value (default 64). */
  maxDepth?: number;
  /** Most values (tables, array elements, key values) in the document (default 1,000,000). */
  maxValues?: number;
}

export class TomlError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'TomlError';
  }
}

export function isTomlTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof TomlDateTime);
}

// How a table came to exist decides what may later extend it (TOML 1.0, "Table").
const IMPLICIT = 1; // created as the parent of a [header]: may be defined once by its own header
const DEFINED = 2; // defined by a [header] or a [[header]] element
const DOTTED = 4; // created by dotted keys: extended only by dotted keys of the same section, or sub-headers
const FROZEN = 8; // an inline table or inside a static array: never extended

const C_TAB = 9;
const C_LF = 10;
const C_CR = 13;
const C_SPACE = 32;
const C_QUOTE = 34;
const C_HASH = 35;
const C_APOS = 39;
const C_COMMA = 44;
const C_DOT = 46;
const C_EQ = 61;
const C_LBRACKET = 91;
const C_BACKSLASH = 92;
const C_RBRACKET = 93;
const C_LBRACE = 123;
const C_RBRACE = 125;

function isBareKeyChar(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x2d
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Control characters TOML forbids unescaped in strings and comments (tab is allowed). */
function isForbiddenControl(c: number): boolean {
  return (c < 0x20 && c !== C_TAB) || c === 0x7f;
}

const DEC_INT = /^[+-]?(?:0|[1-9](?:_?[0-9])*)$/;
const HEX_INT = /^0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*$/;
const OCT_INT = /^0o[0-7](?:_?[0-7])*$/;
const BIN_INT = /^0b[01](?:_?[01])*$/;
const FLOAT =
  /^[+-]?(?:0|[1-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*(?:[eE][+-]?[0-9](?:_?[0-9])*)?|[eE][+-]?[0-9](?:_?[0-9])*)$/;
const SPECIAL_FLOAT = /^[+-]?(?:inf|nan)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

class Parser {
  private i = 0;
  private readonly flags = new WeakMap<object, number>();
  private readonly arraysOfTables = new WeakSet<TomlValue[]>();
  private readonly root: TomlTable = {};
  private current: TomlTable;

  private values = 0;

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
    private readonly maxValues: number,
  ) {
    this.current = this.root;
    if (s.charCodeAt(0) === 0xfeff) this.i = 1;
  }

  fail(message: string, at = this.i): never {
    let line = 1;
    let lineStart = 0;
    const end = Math.min(at, this.s.length);
    for (let k = 0; k < end; k++) {
      if (this.s.charCodeAt(k) === C_LF) {
        line++;
        lineStart = k + 1;
      }
    }
    throw new TomlError(message, line, end - lineStart + 1);
  }

  parse(): TomlTable {
    const s = this.s;
    while (this.i < s.length) {
      this.skipWs();
      const c = s.charCodeAt(this.i);
      if (c === C_HASH || c === C_LF || c === C_CR || Number.isNaN(c)) {
        // blank or comment-only line
      } else if (c === C_LBRACKET) {
        this.header();
      } else {
        this.keyValue(this.current);
      }
      this.endOfLine();
    }
    return this.root;
  }

  private skipWs(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== C_SPACE && c !== C_TAB) break;
      this.i++;
    }
  }

  private comment(): void {
    const s = this.s;
    this.i++; // '#'
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === C_LF || (c === C_CR && s.charCodeAt(this.i + 1) === C_LF)) break;
      if (isForbiddenControl(c)) this.fail('control character in comment');
      this.i++;
    }
  }

  /** Consumes a newline (LF or CRLF); false when there is none here. */
  private newline(): boolean {
    const c = this.s.charCodeAt(this.i);
    if (c === C_LF) {
      this.i++;
      return true;
    }
    if (c === C_CR) {
      if (this.s.charCodeAt(this.i + 1) !== C_LF) this.fail('bare carriage return');
      this.i += 2;
      return true;
    }
    return false;
  }

  /** After an expression: optional whitespace and comment, then a newline or the end. */
  private endOfLine(): void {
    this.skipWs();
    if (this.s.charCodeAt(this.i) === C_HASH) this.comment();
    if (this.i >= this.s.length) return;
    if (!this.newline()) this.fail('expected the end of the line');
  }

  /** Whitespace, newlines and comments, as allowed between array elements. */
  private skipWsCommentsNewlines(): void {
    for (;;) {
      this.skipWs();
      const c = this.s.charCodeAt(this.i);
      if (c === C_HASH) this.comment();
      else if (!this.newline()) return;
    }
  }

  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipWs();
      parts.push(this.simpleKey());
      this.skipWs();
      if (this.s.charCodeAt(this.i) !== C_DOT) return parts;
      this.i++;
    }
  }

  private simpleKey(): string {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === C_QUOTE) {
      if (s.startsWith('"""', this.i)) this.fail('multi-line string used as a key');
      return this.basicString();
    }
    if (c === C_APOS) {
      if (s.startsWith("'''", this.i)) this.fail('multi-line string used as a key');
      return this.literalString();
    }
    const start = this.i;
    while (this.i < s.length && isBareKeyChar(s.charCodeAt(this.i))) this.i++;
    if (this.i === start) this.fail('expected a key');
    return s.slice(start, this.i);
  }

  private flagsOf(t: object): number {
    return this.flags.get(t) ?? 0;
  }

  private newTable(flags: number): TomlTable {
    this.count();
    const t: TomlTable = {};
    this.flags.set(t, flags);
    return t;
  }

  /** Sets an own property even for "__proto__", so keys never reach Object.prototype. */
  private static put(t: TomlTable, k: string, v: TomlValue): void {
    Object.defineProperty(t, k, { value: v, enumerable: true, writable: true, configurable: true });
  }

  private static get(t: TomlTable, k: string): TomlValue | undefined {
    return Object.hasOwn(t, k) ? t[k] : undefined;
  }

  /** Walks the parent part of a [header] or [[header]] key, creating implicit tables. */
  private headerParent(path: string[], at: number): TomlTable {
    let t = this.root;
    for (let n = 0; n < path.length - 1; n++) {
      const k = path[n] as string;
      const v = Parser.get(t, k);
      if (v === undefined) {
        const nt = this.newTable(IMPLICIT);
        Parser.put(t, k, nt);
        t = nt;
      } else if (Array.isArray(v)) {
        if (!this.arraysOfTables.has(v)) this.fail(`cannot extend the static array "${k}"`, at);
        t = v[v.length - 1] as TomlTable;
      } else if (isTomlTable(v)) {
        if (this.flagsOf(v) & FROZEN) this.fail(`cannot extend the inline table "${k}"`, at);
        t = v;
      } else {
        this.fail(`key "${k}" is not a table`, at);
      }
    }
    return t;
  }

  private header(): void {
    const at = this.i;
    const s = this.s;
    const array = s.charCodeAt(this.i + 1) === C_LBRACKET;
    this.i += array ? 2 : 1;
    const path = this.key();
    if (s.charCodeAt(this.i) !== C_RBRACKET || (array && s.charCodeAt(this.i + 1) !== C_RBRACKET))
      this.fail(array ? 'expected "]]"' : 'expected "]"');
    this.i += array ? 2 : 1;
    const parent = this.headerParent(path, at);
    const last = path[path.length - 1] as string;
    const v = Parser.get(parent, last);
    if (array) {
      const nt = this.newTable(DEFINED);
      if (v === undefined) {
        const arr: TomlValue[] = [nt];
        this.arraysOfTables.add(arr);
        Parser.put(parent, last, arr);
      } else if (Array.isArray(v) && this.arraysOfTables.has(v)) {
        v.push(nt);
      } else {
        this.fail(`"${path.join('.')}" is already defined and is not an array of tables`, at);
      }
      this.current = nt;
      return;
    }
    if (v === undefined) {
      const nt = this.newTable(DEFINED);
      Parser.put(parent, last, nt);
      this.current = nt;
    } else if (isTomlTable(v) && this.flagsOf(v) === IMPLICIT) {
      this.flags.set(v, DEFINED);
      this.current = v;
    } else {
      this.fail(`table "${path.join('.')}" is defined twice`, at);
    }
  }

  /** `a.b.c = value` into table t (a section, or an inline table being read). */
  private keyValue(t: TomlTable, depth = 0): void {
    const at = this.i;
    const path = this.key();
    if (this.s.charCodeAt(this.i) !== C_EQ) this.fail('expected "=" after a key');
    this.i++;
    this.skipWs();
    let target = t;
    for (let n = 0; n < path.length - 1; n++) {
      const k = path[n] as string;
      const v = Parser.get(target, k);
      if (v === undefined) {
        const nt = this.newTable(DOTTED);
        Parser.put(target, k, nt);
        target = nt;
      } else if (isTomlTable(v) && (this.flagsOf(v) === DOTTED || this.flagsOf(v) === IMPLICIT)) {
        // a parent a [header] only implied becomes a dotted-key table: no later [header] for it
        this.flags.set(v, DOTTED);
        target = v;
      } else {
        this.fail(`cannot add keys to "${k}" with dotted keys`, at);
      }
    }
    const last = path[path.length - 1] as string;
    if (Object.hasOwn(target, last)) this.fail(`duplicate key "${path.join('.')}"`, at);
    const value = this.value(depth);
    Parser.put(target, last, value);
  }

  /** Inline tables and arrays are immutable once written: mark every table inside them. */
  private freeze(v: TomlValue): void {
    const stack: TomlValue[] = [v];
    while (stack.length) {
      const x = stack.pop() as TomlValue;
      if (Array.isArray(x)) {
        for (const e of x) stack.push(e);
      } else if (isTomlTable(x)) {
        this.flags.set(x, FROZEN);
        for (const k of Object.keys(x)) stack.push(x[k] as TomlValue);
      }
    }
  }

  private count(): void {
    if (++this.values > this.maxValues) this.fail(`more than ${this.maxValues} values`);
  }

  private value(depth: number): TomlValue {
    this.count();
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === C_QUOTE) return s.startsWith('"""', this.i) ? this.multilineBasicString() : this.basicString();
    if (c === C_APOS)
      return s.startsWith("'''", this.i) ? this.multilineLiteralString() : this.literalString();
    if (c === C_LBRACKET || c === C_LBRACE) {
      if (depth >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
      const v = c === C_LBRACKET ? this.array(depth + 1) : this.inlineTable(depth + 1);
      if (depth === 0) this.freeze(v);
      return v;
    }
    if (s.startsWith('true', this.i) && !isBareKeyChar(s.charCodeAt(this.i + 4))) {
      this.i += 4;
      return true;
    }
    if (s.startsWith('false', this.i) && !isBareKeyChar(s.charCodeAt(this.i + 5))) {
      this.i += 5;
      return false;
    }
    return this.numberOrDate();
  }

  private array(depth: number): TomlValue[] {
    this.i++; // '['
    const out: TomlValue[] = [];
    for (;;) {
      this.skipWsCommentsNewlines();
      if (this.s.charCodeAt(this.i) === C_RBRACKET) break;
      if (this.i >= this.s.length) this.fail('unterminated array');
      out.push(this.value(depth));
      this.skipWsCommentsNewlines();
      const c = this.s.charCodeAt(this.i);
      if (c === C_COMMA) {
        this.i++;
        continue;
      }
      if (c === C_RBRACKET) break;
      this.fail(this.i >= this.s.length ? 'unterminated array' : 'expected "," or "]" in an array');
    }
    this.i++; // ']'
    return out;
  }

  private inlineTable(depth: number): TomlTable {
    this.i++; // '{'
    const t = this.newTable(DEFINED);
    this.skipWs();
    if (this.s.charCodeAt(this.i) === C_RBRACE) {
      this.i++;
      return t;
    }
    for (;;) {
      this.keyValue(t, depth);
      this.skipWs();
      const c = this.s.charCodeAt(this.i);
      if (c === C_COMMA) {
        this.i++;
        this.skipWs();
        continue;
      }
      if (c === C_RBRACE) break;
      this.fail(
        this.i >= this.s.length ? 'unterminated inline table' : 'expected "," or "}" in an inline table',
      );
    }
    this.i++; // '}'
    return t;
  }

  private basicString(): string {
    const s = this.s;
    this.i++; // '"'
    const parts: string[] = [];
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === C_QUOTE) break;
      if (c === C_BACKSLASH) {
        parts.push(s.slice(start, this.i));
        parts.push(this.escape());
        start = this.i;
        continue;
      }
      if (isForbiddenControl(c))
        this.fail(c === C_LF ? 'unterminated string' : 'control character in a string');
      this.i++;
    }
    parts.push(s.slice(start, this.i));
    this.i++; // '"'
    return parts.join('');
  }

  /** One escape sequence at this.i (the backslash); returns the character(s). */
  private escape(): string {
    const s = this.s;
    const e = s[this.i + 1];
    this.i += 2;
    switch (e) {
      case 'b':
        return '\b';
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'f':
        return '\f';
      case 'r':
        return '\r';
      case '"':
        return '"';
      case '\\':
        return '\\';
      case 'u':
      case 'U': {
        const n = e === 'u' ? 4 : 8;
        const hex = s.slice(this.i, this.i + n);
        if (hex.length !== n || !/^[0-9A-Fa-f]+$/.test(hex)) this.fail('bad unicode escape', this.i - 2);
        const cp = Number.parseInt(hex, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
          this.fail('unicode escape is not a scalar value', this.i - 2);
        this.i += n;
        return String.fromCodePoint(cp);
      }
      default:
        return this.fail('bad escape sequence', this.i - 2);
    }
  }

  private literalString(): string {
    const s = this.s;
    const start = ++this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.i);
      if (c === C_APOS) break;
      if (isForbiddenControl(c))
        this.fail(c === C_LF ? 'unterminated string' : 'control character in a string');
      this.i++;
    }
    return s.slice(start, this.i++);
  }

  /** After the opening delimiter of a multi-line string, a newline right away is not content. */
  private skipFirstNewline(): void {
    const s = this.s;
    if (s.charCodeAt(this.i) === C_LF) this.i++;
    else if (s.charCodeAt(this.i) === C_CR && s.charCodeAt(this.i + 1) === C_LF) this.i += 2;
  }

  /**
   * At a run of delimiter quotes inside a multi-line string: three or more close it, and up to
   * two more belong to the content. Returns the number of content quotes, or -1 when it is not the end.
   */
  private closingRun(q: number): number {
    const s = this.s;
    let n = 0;
    while (s.charCodeAt(this.i + n) === q) n++;
    if (n < 3) return -1;
    if (n > 5) this.fail('too many quotes at the end of a multi-line string', this.i);
    this.i += n;
    return n - 3;
  }

  private multilineBasicString(): string {
    const s = this.s;
    this.i += 3;
    this.skipFirstNewline();
    const parts: string[] = [];
    let start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated multi-line string');
      const c = s.charCodeAt(this.i);
      if (c === C_QUOTE) {
        const end = this.i;
        const extra = this.closingRun(C_QUOTE);
        if (extra >= 0) {
          parts.push(s.slice(start, end), '"'.repeat(extra));
          return parts.join('');
        }
        this.i++;
        continue;
      }
      if (c === C_BACKSLASH) {
        parts.push(s.slice(start, this.i));
        // a backslash at the end of a line trims the newline and the whitespace that follows
        let k = this.i + 1;
        while (s.charCodeAt(k) === C_SPACE || s.charCodeAt(k) === C_TAB) k++;
        if (s.charCodeAt(k) === C_LF || (s.charCodeAt(k) === C_CR && s.charCodeAt(k + 1) === C_LF)) {
          this.i = k;
          for (;;) {
            const d = s.charCodeAt(this.i);
            if (d === C_SPACE || d === C_TAB) this.i++;
            else if (!this.newline()) break;
          }
        } else {
          parts.push(this.escape());
        }
        start = this.i;
        continue;
      }
      if (c === C_CR) {
        if (s.charCodeAt(this.i + 1) !== C_LF) this.fail('bare carriage return');
        this.i += 2;
        continue;
      }
      if (c !== C_LF && isForbiddenControl(c)) this.fail('control character in a string');
      this.i++;
    }
  }

  private multilineLiteralString(): string {
    const s = this.s;
    this.i += 3;
    this.skipFirstNewline();
    const start = this.i;
    for (;;) {
      if (this.i >= s.length) this.fail('unterminated multi-line string');
      const c = s.charCodeAt(this.i);
      if (c === C_APOS) {
        const end = this.i;
        const extra = this.closingRun(C_APOS);
        if (extra >= 0) return s.slice(start, end) + "'".repeat(extra);
        this.i++;
        continue;
      }
      if (c === C_CR) {
        if (s.charCodeAt(this.i + 1) !== C_LF) this.fail('bare carriage return');
        this.i += 2;
        continue;
      }
      if (c !== C_LF && isForbiddenControl(c)) this.fail('control character in a string');
      this.i++;
    }
  }

  private numberOrDate(): TomlValue {
    const s = this.s;
    const start = this.i;
    if (this.isDateAhead()) return this.dateTime();
    if (isDigit(s.charCodeAt(start)) && isDigit(s.charCodeAt(start + 1)) && s.charCodeAt(start + 2) === 0x3a)
      return this.localTime(start, 'local-time');
    // a number token: letters for hex digits, exponents, inf and nan
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (!(isBareKeyChar(c) || c === 0x2b || c === C_DOT)) break;
      this.i++;
    }
    const tok = s.slice(start, this.i);
    if (tok === '') this.fail('expected a value');
    if (DEC_INT.test(tok) || HEX_INT.test(tok) || OCT_INT.test(tok) || BIN_INT.test(tok)) {
      const clean = tok.replace(/_/g, '');
      const neg = clean.startsWith('-');
      const big = BigInt(clean.replace(/^[+-]/, ''));
      const v = neg ? -big : big;
      if (v < INT64_MIN || v > INT64_MAX) this.fail('integer out of the 64-bit range', start);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    if (FLOAT.test(tok)) return Number(tok.replace(/_/g, ''));
    if (SPECIAL_FLOAT.test(tok)) {
      if (tok.endsWith('nan')) return Number.NaN;
      return tok.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    }
    return this.fail(`invalid value "${tok.length > 40 ? `${tok.slice(0, 40)}...` : tok}"`, start);
  }

  private digits(at: number, n: number): number {
    const s = this.s;
    for (let k = at; k < at + n; k++) if (!isDigit(s.charCodeAt(k))) return -1;
    return Number(s.slice(at, at + n));
  }

  private isDateAhead(): boolean {
    const s = this.s;
    const i = this.i;
    return this.digits(i, 4) >= 0 && s.charCodeAt(i + 4) === 0x2d && this.digits(i + 5, 2) >= 0;
  }

  private dateTime(): TomlDateTime {
    const s = this.s;
    const start = this.i;
    const year = this.digits(start, 4);
    const month = this.digits(start + 5, 2);
    const day = s.charCodeAt(start + 7) === 0x2d ? this.digits(start + 8, 2) : -1;
    if (day < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
      this.fail('invalid date', start);
    this.i = start + 10;
    const sep = s[this.i];
    if ((sep === 'T' || sep === 't' || sep === ' ') && this.digits(this.i + 1, 2) >= 0) {
      this.i++;
      return this.localTime(start, 'local-date-time');
    }
    if (sep === 'T' || sep === 't') this.fail('invalid date-time', start);
    if (isBareKeyChar(s.charCodeAt(this.i)) || s.charCodeAt(this.i) === C_DOT)
      this.fail('invalid date', start);
    return new TomlDateTime('local-date', s.slice(start, this.i));
  }

  /** HH:MM:SS[.frac] at this.i, then an offset when it follows a date. */
  private localTime(start: number, kind: 'local-time' | 'local-date-time'): TomlDateTime {
    const s = this.s;
    const t = this.i;
    const h = this.digits(t, 2);
    const m = s.charCodeAt(t + 2) === 0x3a ? this.digits(t + 3, 2) : -1;
    const sec = s.charCodeAt(t + 5) === 0x3a ? this.digits(t + 6, 2) : -1;
    if (h < 0 || m < 0 || sec < 0 || h > 23 || m > 59 || sec > 59) this.fail('invalid time', start);
    this.i = t + 8;
    if (s.charCodeAt(this.i) === C_DOT) {
      const f = ++this.i;
      while (isDigit(s.charCodeAt(this.i))) this.i++;
      if (this.i === f) this.fail('invalid time fraction', start);
    }
    let out: TomlDateTime['kind'] = kind;
    if (kind === 'local-date-time') {
      const c = s[this.i];
      if (c === 'Z' || c === 'z') {
        this.i++;
        out = 'offset-date-time';
      } else if (c === '+' || c === '-') {
        const oh = this.digits(this.i + 1, 2);
        const om = s.charCodeAt(this.i + 3) === 0x3a ? this.digits(this.i + 4, 2) : -1;
        if (oh < 0 || om < 0 || oh > 23 || om > 59) this.fail('invalid time offset', start);
        this.i += 6;
        out = 'offset-date-time';
      }
    }
    const next = s.charCodeAt(this.i);
    if (isBareKeyChar(next) || next === C_DOT || next === 0x2b || next === 0x3a)
      this.fail('invalid date-time', start);
    return new TomlDateTime(out, s.slice(start, this.i));
  }
}

/**
 * Parses a TOML document. Throws TomlError (message with line and column) on anything the TOML 1.0
 * grammar or its table rules reject, when arrays or inline tables nest deeper than maxDepth, and
 * when the document holds more than maxValues values (memory stays proportional to the input).
 */
export function parseToml(text: string, options: TomlOptions = {}): TomlTable {
  return new Parser(text, options.maxDepth ?? 64, options.maxValues ?? 1_000_000).parse();
}
