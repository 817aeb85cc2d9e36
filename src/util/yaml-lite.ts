// A strict, bounded reader for the block-YAML subset that lockfiles use (pnpm-lock.yaml, yarn berry's
// yarn.lock).
//
// Written from the YAML 1.2 specification and checked against the `yaml` package with its failsafe
// schema: every scalar comes back as a string ("5.4", "true", "1.10" stay text, which is what a
// lockfile reader wants: a version like 1.10 must not become the number 1.1), and an empty value is
// "". Supported: block mappings and sequences by indentation (including sequences at their key's
// indentation and "- key: value" items), plain, single- and double-quoted scalars (also across lines),
// literal and folded block scalars, one-line or multi-line flow mappings and sequences, comments and
// several documents ("---"). Refused with an error: anchors, aliases, tags, directives, complex keys,
// duplicate keys, tabs in indentation and control characters. The input is hostile (it comes from
// images): one pass over the lines, nesting capped (no stack overflow), and keys such as "__proto__"
// are stored as plain own properties.

export type YamlValue = string | YamlValue[] | YamlMap;
export interface YamlMap {
  [key: string]: YamlValue;
}

export interface YamlOptions {
  /** Deepest nesting of mappings and sequences (default 64). */
  maxDepth?: number;
  /** Most documents read from one text (default 16). */
  maxDocuments?: number;
  /** Let a repeated key replace the earlier one (yarn's own reader does); the default is an error. */
  allowDuplicateKeys?: boolean;
}

export class YamlError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} at line ${line}`);
    this.name = 'YamlError';
  }
}

/** YAML's null spellings: the reader keeps every scalar as text. */
export function isYamlNull(v: string): boolean {
  return v === '' || v === '~' || v === 'null' || v === 'Null' || v === 'NULL';
}

/** An optional scalar field of a mapping: undefined when absent or null; an error when it is not a scalar. */
export function yamlScalar(doc: Record<string, YamlValue>, key: string): string | undefined {
  const v = doc[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Error(`${key}: expected a single value`);
  const t = v.trim();
  return isYamlNull(t) ? undefined : t;
}

export function isYamlMap(v: unknown): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Lines and characters a multi-line flow collection or quoted scalar may span. */
const MAX_SPAN_LINES = 1000;
const MAX_SPAN_CHARS = 1 << 20;

/** Text that a scanner may extend with the next line ("\n" + line) when it runs out. */
interface Src {
  s: string;
  more(): boolean;
}

/** Characters YAML does not allow in a stream (C0 controls but tab/LF/CR, DEL): binary input trips this. */
function hasControl(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127) return true;
  }
  return false;
}

function setKey(map: YamlMap, key: string, value: YamlValue): void {
  // "__proto__" would set the object's prototype: define it as data. Other keys assign plainly
  // (defineProperty on every key is several times slower on large mappings).
  if (key === '__proto__')
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

/** "-" alone or followed by a space: a block sequence entry. */
function isSeqItem(text: string): boolean {
  return text[0] === '-' && (text.length === 1 || isSpace(text[1]));
}

/** Index of the ": " (or ":" at the end) that ends a plain key in block context, or -1. */
function plainKeyEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === ':' && (i + 1 === text.length || isSpace(text[i + 1]))) return i;
    if (c === '#' && i > from && isSpace(text[i - 1])) return -1;
  }
  return -1;
}

/** Strips a trailing " # comment" from plain text and trims it. */
function stripComment(text: string): string {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '#' && (i === 0 || isSpace(text[i - 1]))) return text.slice(0, i).trim();
  }
  return text.trim();
}

class Parser {
  private readonly lines: string[];
  private i = 0;
  private end = 0;
  private depth = 0;
  /** A "- key: value" item is re-read as a mapping whose first line starts after the dash. */
  private override: { index: number; indent: number; text: string } | undefined;
  private readonly maxDepth: number;
  private readonly maxDocuments: number;
  private readonly dupOk: boolean;

  constructor(text: string, opts: YamlOptions) {
    this.lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
    this.maxDepth = opts.maxDepth ?? 64;
    this.maxDocuments = opts.maxDocuments ?? 16;
    this.dupOk = opts.allowDuplicateKeys === true;
  }

  private fail(message: string, index = this.i): never {
    throw new YamlError(message, index + 1);
  }

  private raw(index: number): string {
    const l = this.lines[index] ?? '';
    return l.endsWith('\r') ? l.slice(0, -1) : l;
  }

  private indentOf(line: string, index: number): number {
    let n = 0;
    while (line.charCodeAt(n) === 32) n++;
    if (line[n] === '\t' && !isBlank(line)) this.fail('tab in indentation', index);
    return n;
  }

  /** The next line with content (not blank, not only a comment) before the document end. */
  private peek(): { indent: number; text: string } | undefined {
    while (this.i < this.end) {
      if (this.override?.index === this.i) return this.override;
      const line = this.raw(this.i);
      const indent = this.indentOf(line, this.i);
      const text = line.slice(indent).trimEnd();
      if (text !== '' && text[0] !== '#') return { indent, text };
      this.i++;
    }
    return undefined;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
  }

  documents(): YamlValue[] {
    const docs: YamlValue[] = [];
    let start = 0;
    let explicit = false; // a "---" opened the document: it counts even when empty
    const flush = (stop: number) => {
      this.i = start;
      this.end = stop;
      const first = this.peek();
      if (first || explicit) {
        if (docs.length >= this.maxDocuments) this.fail(`more than ${this.maxDocuments} documents`);
        docs.push(first ? this.document(first.indent) : '');
      }
    };
    for (let n = 0; n < this.lines.length; n++) {
      const line = this.raw(n);
      if (hasControl(line)) this.fail('control character', n);
      if (line[0] === '%') this.fail('directives are not supported', n);
      const marker = line.startsWith('---') ? '---' : line.startsWith('...') ? '...' : '';
      if (!marker || !(line.length === 3 || isSpace(line[3]))) continue;
      if (!isBlank(line.slice(3)) && line.slice(3).trim()[0] !== '#')
        this.fail('content after a document marker', n);
      flush(n);
      start = n + 1;
      explicit = marker === '---';
    }
    flush(this.lines.length);
    return docs;
  }

  private document(indent: number): YamlValue {
    const v = this.block(indent);
    const rest = this.peek();
    if (rest) this.fail('bad indentation');
    return v;
  }

  /** A block node whose first line is the next content line, at `indent`. */
  private block(indent: number): YamlValue {
    const first = this.peek();
    if (!first) return '';
    if (isSeqItem(first.text)) return this.sequence(indent);
    if (this.keyOf(first.text)) return this.mapping(indent);
    // A scalar on its own line(s) ("key:\n  value").
    return this.inline(first.text, indent - 1);
  }

  private mapping(indent: number): YamlMap {
    this.enter();
    const map: YamlMap = {};
    for (let line = this.peek(); line && line.indent >= indent; line = this.peek()) {
      if (line.indent > indent) this.fail('bad indentation');
      if (isSeqItem(line.text)) this.fail('a sequence entry inside a mapping');
      const key = this.keyOf(line.text);
      if (!key) this.fail('expected "key: value"');
      if (!this.dupOk && Object.hasOwn(map, key.key)) this.fail(`duplicate key "${key.key}"`);
      setKey(map, key.key, this.valueAfterKey(line.text.slice(key.next), indent));
    }
    this.depth--;
    return map;
  }

  private sequence(indent: number): YamlValue[] {
    this.enter();
    const seq: YamlValue[] = [];
    for (let line = this.peek(); line && line.indent >= indent; line = this.peek()) {
      if (line.indent > indent) this.fail('bad indentation');
      if (!isSeqItem(line.text)) break; // the mapping this indentless sequence belongs to goes on
      let col = 1;
      while (isSpace(line.text[col])) col++;
      const rest = line.text.slice(col);
      if (rest === '' || rest[0] === '#') {
        this.i++;
        const next = this.peek();
        seq.push(next && next.indent > indent ? this.block(next.indent) : '');
      } else if (isSeqItem(rest) || (rest[0] !== '{' && rest[0] !== '[' && this.keyOf(rest))) {
        // "- - x" or "- key: value": the nested node starts at the item's column
        this.override = { index: this.i, indent: indent + col, text: rest };
        seq.push(this.block(indent + col));
      } else {
        seq.push(this.inline(rest, indent));
      }
    }
    this.depth--;
    return seq;
  }

  /** The value after "key:" on the current line; may take the lines below. */
  private valueAfterKey(rest: string, indent: number): YamlValue {
    const text = rest.trim();
    if (text === '' || text[0] === '#') {
      this.i++;
      this.override = undefined;
      const next = this.peek();
      if (next && next.indent > indent) return this.block(next.indent);
      // A sequence may sit at its key's own indentation.
      if (next && next.indent === indent && isSeqItem(next.text)) return this.sequence(indent);
      return '';
    }
    return this.inline(text, indent);
  }

  /**
   * Parses a key at the start of `text`: a quoted or plain scalar followed by ":" and a space or
   * the end of the line. `next` is where the value starts.
   */
  private keyOf(text: string): { key: string; next: number } | undefined {
    const c = text[0];
    if (c === '"' || c === "'") {
      const q = this.quotedOnLine(text, 0);
      if (!q) return undefined;
      let j = q.end;
      while (isSpace(text[j])) j++;
      if (text[j] !== ':' || !(j + 1 === text.length || isSpace(text[j + 1]))) return undefined;
      return { key: q.value, next: j + 1 };
    }
    if (c === '?' && (text.length === 1 || isSpace(text[1]))) this.fail('complex keys are not supported');
    if (c === '{' || c === '[' || c === '#') return undefined;
    const k = plainKeyEnd(text, 0);
    if (k <= 0) return undefined;
    const key = text.slice(0, k).trim();
    this.checkPlainStart(key);
    return { key, next: k + 1 };
  }

  private checkPlainStart(text: string): void {
    const c = text[0] ?? '';
    if (c === '&' || c === '*') this.fail('anchors and aliases are not supported');
    if (c === '!') this.fail('tags are not supported');
    // YAML's indicator characters cannot start a plain scalar ("-", "?" and ":" can, before a non-space)
    if (',[]{}#|>@`%\'"'.includes(c)) this.fail(`a plain scalar cannot start with "${c}"`);
  }

  /**
   * A value that starts on the current line: flow collection, quoted, block or plain scalar.
   * `indent` is the indentation of the node that owns it: continuation lines must be deeper.
   */
  private inline(text: string, indent: number): YamlValue {
    const c = text[0];
    if (c === '{' || c === '[') return this.flowValue(text, indent);
    if (c === '"' || c === "'") return this.quotedValue(text, indent);
    if (c === '|' || c === '>') return this.blockScalar(text, indent);
    if (isSeqItem(text)) this.fail('a sequence entry cannot be a mapping value on the same line');
    this.checkPlainStart(text);
    let value = stripComment(text);
    if (plainKeyEnd(value, 0) >= 0) this.fail('a mapping value cannot hold a nested mapping on one line');
    this.i++;
    this.override = undefined;
    // Multi-line plain scalar: deeper lines continue it, folded with spaces.
    let blanks = 0;
    while (this.i < this.end) {
      const line = this.raw(this.i);
      if (isBlank(line)) {
        blanks++;
        this.i++;
        continue;
      }
      const ind = this.indentOf(line, this.i);
      const t = line.slice(ind).trimEnd();
      if (ind <= indent || t[0] === '#') break;
      // A deeper "- text" line continues the scalar: only its first line may not start with "- "
      // (PyYAML wraps prose this way: "details: ... Heartex\n  - Label Studio ...").
      if (plainKeyEnd(t, 0) >= 0) this.fail('bad indentation');
      value += blanks ? '\n'.repeat(blanks) : ' ';
      value += stripComment(t);
      blanks = 0;
      this.i++;
    }
    if (blanks) this.backOverBlanks();
    return value;
  }

  /** Leaves trailing blank lines unread so the caller's peek() sees the right line numbers. */
  private backOverBlanks(): void {
    while (this.i > 0 && isBlank(this.raw(this.i - 1))) this.i--;
  }

  /** Quoted scalar fully on `text` starting at `at`; undefined when it continues on later lines. */
  private quotedOnLine(text: string, at: number): { value: string; end: number } | undefined {
    const r = scanQuoted({ s: text, more: () => false }, at);
    if (r === undefined) return undefined;
    if (typeof r === 'string') this.fail(r);
    return r;
  }

  /**
   * The current line from `text` on, as a source that pulls the following lines of the document
   * on demand (multi-line quoted scalars and flow collections). Scanners keep their position, so
   * reading stays linear; the span is capped in lines and characters.
   */
  private source(text: string): Src & { lines: number } {
    const src = {
      s: text,
      lines: 1,
      more: () => {
        const next = this.i + src.lines;
        if (src.lines >= MAX_SPAN_LINES || next >= this.end || src.s.length > MAX_SPAN_CHARS) return false;
        src.s += `\n${this.raw(next)}`;
        src.lines++;
        return true;
      },
    };
    return src;
  }

  private quotedValue(text: string, indent: number): YamlValue {
    const start = this.i;
    const src = this.source(text);
    const r = scanQuoted(src, 0);
    if (r === undefined) return this.fail('unterminated string');
    if (typeof r === 'string') return this.fail(r, start + src.s.split('\n').length - 1);
    this.finishSpan(src, r.end, indent, start);
    return r.value;
  }

  private flowValue(text: string, indent: number): YamlValue {
    const start = this.i;
    const src = this.source(text);
    const f = new Flow(src, this.maxDepth - this.depth, start + 1);
    const value = f.parse();
    this.finishSpan(src, f.pos, indent, start);
    return value;
  }

  /** After a value that took `src.lines` lines: nothing but a comment may follow it. */
  private finishSpan(src: Src & { lines: number }, end: number, indent: number, start: number): void {
    this.trailing(src.s.slice(end), start + src.lines - 1);
    this.i = start + src.lines;
    this.override = undefined;
    if (src.lines > 1) this.checkContinuation(src.s, indent, start);
  }

  /** Lines after the first of a multi-line quoted scalar or flow collection must be deeper. */
  private checkContinuation(s: string, indent: number, start: number): void {
    const parts = s.split('\n');
    for (let k = 1; k < parts.length; k++) {
      const p = parts[k] as string;
      if (!isBlank(p) && p.length - p.trimStart().length <= indent) this.fail('bad indentation', start + k);
    }
  }

  private trailing(rest: string, start: number): void {
    const t = rest.trim();
    if (t !== '' && t[0] !== '#')
      this.fail('unexpected text after a value', start + rest.split('\n').length - 1);
  }

  private blockScalar(header: string, indent: number): string {
    const h = stripComment(header);
    const literal = h[0] === '|';
    let chomp = '';
    let explicit = 0;
    for (const ch of h.slice(1)) {
      if ((ch === '-' || ch === '+') && !chomp) chomp = ch;
      else if (ch >= '1' && ch <= '9' && !explicit) explicit = Number(ch);
      else this.fail('bad block scalar header');
    }
    this.i++;
    this.override = undefined;
    const body: string[] = [];
    let contentIndent = explicit ? indent + explicit : -1;
    // indent is the owner's indentation; -1 at the document top (content at column 0 or deeper)
    const min = Math.max(indent, -1) + 1;
    while (this.i < this.end) {
      const line = this.raw(this.i);
      if (isBlank(line)) {
        body.push('');
        this.i++;
        continue;
      }
      let ind = 0;
      while (line.charCodeAt(ind) === 32) ind++;
      if (contentIndent < 0) contentIndent = Math.max(ind, min);
      if (ind < contentIndent) break;
      body.push(line.slice(contentIndent).trimEnd() === '' ? '' : line.slice(contentIndent));
      this.i++;
    }
    // Trailing blank lines belong to the scalar only for "keep" chomping; give them back to the
    // caller's line scan either way (they carry no content).
    let trailingBlank = 0;
    while (body.length && body[body.length - 1] === '') {
      body.pop();
      trailingBlank++;
    }
    this.backOverBlanks();
    let text = literal ? body.join('\n') : foldLines(body);
    if (body.length === 0) return chomp === '+' ? '\n'.repeat(trailingBlank) : '';
    if (chomp === '-') return text;
    text += '\n';
    if (chomp === '+') text += '\n'.repeat(trailingBlank);
    return text;
  }
}

/**
 * Folded block scalar lines: a single break between two text lines becomes a space; each empty
 * line between them stands for one line feed; "more indented" lines keep their breaks.
 */
function foldLines(lines: string[]): string {
  let out = '';
  let started = false;
  let empties = 0;
  let prevMore = false;
  for (const line of lines) {
    if (line === '') {
      empties++;
      continue;
    }
    const more = isSpace(line[0]);
    if (!started) out += '\n'.repeat(empties);
    else if (more || prevMore) out += '\n'.repeat(empties + 1);
    else out += empties ? '\n'.repeat(empties) : ' ';
    out += line;
    started = true;
    prevMore = more;
    empties = 0;
  }
  return out;
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};

/** Drops trailing spaces and tabs (a loop: a regular expression would rescan the whole string). */
function trimEndSpaces(s: string): string {
  let e = s.length;
  while (e > 0 && isSpace(s[e - 1])) e--;
  return e === s.length ? s : s.slice(0, e);
}

/**
 * Scans a quoted scalar starting at src.s[at] (a quote). Returns the value and the index after the
 * closing quote, undefined when the text ends first, or an error message. Line breaks inside fold
 * as YAML says: one break is a space, each further empty line a line feed.
 */
function scanQuoted(src: Src, at: number): { value: string; end: number } | string | undefined {
  const q = src.s[at];
  let out = '';
  let i = at + 1;
  for (;;) {
    if (i >= src.s.length && !src.more()) return undefined;
    const s = src.s;
    const c = s[i] as string;
    if (c === q) {
      if (q === "'" && s[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      return { value: out, end: i + 1 };
    }
    if (c === '\n') {
      // fold: drop trailing spaces of this line and leading spaces of the next ones
      out = trimEndSpaces(out);
      let breaks = 0;
      for (;;) {
        if (i >= src.s.length && !src.more()) return undefined;
        const d = src.s[i];
        if (d === '\n') breaks++;
        else if (!isSpace(d)) break;
        i++;
      }
      out += breaks > 1 ? '\n'.repeat(breaks - 1) : ' ';
      continue;
    }
    if (q === '"' && c === '\\') {
      if (i + 1 >= s.length && !src.more()) return undefined;
      const e = src.s[i + 1] as string;
      if (e === '\n') {
        // escaped line break: joins the lines without a space
        i += 2;
        for (;;) {
          if (i >= src.s.length && !src.more()) return undefined;
          if (!isSpace(src.s[i])) break;
          i++;
        }
        continue;
      }
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (hex) {
        const h = src.s.slice(i + 2, i + 2 + hex);
        if (h.length !== hex || !/^[0-9a-fA-F]+$/.test(h)) return 'bad escape in a double-quoted string';
        const cp = Number.parseInt(h, 16);
        if (cp > 0x10ffff) return 'bad escape in a double-quoted string';
        out += String.fromCodePoint(cp);
        i += 2 + hex;
        continue;
      }
      const r = ESCAPES[e];
      if (r === undefined) return 'bad escape in a double-quoted string';
      out += r;
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
}

/** Flow collections ({a: b, c: [d]}), possibly over several lines. */
class Flow {
  pos = 0;

  constructor(
    private readonly src: Src,
    private readonly depthLeft: number,
    private readonly firstLine: number,
  ) {}

  parse(): YamlValue {
    return this.node(0);
  }

  private fail(message: string): never {
    let lines = 0;
    for (let k = 0; k < this.pos && k < this.src.s.length; k++) if (this.src.s[k] === '\n') lines++;
    throw new YamlError(message, this.firstLine + lines);
  }

  /** The character at pos, pulling more lines when needed; undefined at the end of the input. */
  private at(pos: number): string | undefined {
    while (pos >= this.src.s.length) if (!this.src.more()) return undefined;
    return this.src.s[pos];
  }

  private ws(): string {
    for (;;) {
      const c = this.at(this.pos);
      // reported at the line that opened it: the end of the input says nothing
      if (c === undefined) throw new YamlError('unterminated flow collection', this.firstLine);
      if (c === ' ' || c === '\t' || c === '\n') this.pos++;
      else if (c === '#' && (this.pos === 0 || /\s/.test(this.src.s[this.pos - 1] ?? ''))) {
        while (this.at(this.pos) !== undefined && this.src.s[this.pos] !== '\n') this.pos++;
      } else return c;
    }
  }

  private node(depth: number): YamlValue {
    const c = this.ws();
    if (c === '{' || c === '[') {
      if (depth >= this.depthLeft) this.fail('nesting too deep');
      return c === '{' ? this.map(depth + 1) : this.seq(depth + 1);
    }
    if (c === '"' || c === "'") {
      const r = scanQuoted(this.src, this.pos);
      if (r === undefined) throw new YamlError('unterminated string', this.firstLine);
      if (typeof r === 'string') this.fail(r);
      this.pos = r.end;
      return r.value;
    }
    return this.plain();
  }

  private plain(): string {
    const start = this.pos;
    const c = this.src.s[start];
    if (c === '&' || c === '*' || c === '!' || c === '@' || c === '`' || c === '|' || c === '>')
      this.fail(`unsupported flow value starting with "${c}"`);
    for (;;) {
      const ch = this.at(this.pos);
      if (ch === undefined || ch === ',' || ch === '[' || ch === ']' || ch === '{' || ch === '}') break;
      if (ch === ':') {
        const n = this.at(this.pos + 1);
        if (n === undefined || n === ' ' || n === '\t' || n === '\n' || n === ',' || n === ']' || n === '}')
          break;
      }
      if (ch === '#' && /\s/.test(this.src.s[this.pos - 1] ?? '')) break;
      this.pos++;
    }
    const text = this.src.s.slice(start, this.pos);
    if (!text.includes('\n')) return text.trim();
    // a plain scalar over several lines folds its breaks into spaces
    return text
      .split('\n')
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .join(' ');
  }

  private map(depth: number): YamlMap {
    this.pos++; // {
    const map: YamlMap = {};
    for (;;) {
      if (this.ws() === '}') {
        this.pos++;
        return map;
      }
      const key = this.node(depth);
      if (typeof key !== 'string') this.fail('complex keys are not supported');
      let value: YamlValue = '';
      if (this.ws() === ':') {
        this.pos++;
        const n = this.ws();
        if (n !== ',' && n !== '}') value = this.node(depth);
      }
      if (Object.hasOwn(map, key)) this.fail(`duplicate key "${key}"`);
      setKey(map, key, value);
      const n = this.ws();
      if (n === ',') this.pos++;
      else if (n !== '}') this.fail('expected "," or "}"');
    }
  }

  private seq(depth: number): YamlValue[] {
    this.pos++; // [
    const seq: YamlValue[] = [];
    for (;;) {
      if (this.ws() === ']') {
        this.pos++;
        return seq;
      }
      seq.push(this.node(depth));
      const n = this.ws();
      if (n === ',') this.pos++;
      else if (n === ':') this.fail('mappings inside flow sequences are not supported');
      else if (n !== ']') this.fail('expected "," or "]"');
    }
  }
}

/** Every document of a YAML stream ("---" separates them). */
export function parseYamlDocuments(text: string, opts: YamlOptions = {}): YamlValue[] {
  return new Parser(text, opts).documents();
}

/** A single-document YAML text ("" when it is empty). */
export function parseYaml(text: string, opts: YamlOptions = {}): YamlValue {
  const docs = parseYamlDocuments(text, opts);
  if (docs.length > 1) throw new YamlError('more than one document', 1);
  return docs[0] ?? '';
}
