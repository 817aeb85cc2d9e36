// Ruby: Bundler lockfiles (Gemfile.lock, gems.locked) and installed gem specifications
// (<gem dir>/specifications/*.gemspec, the Ruby files RubyGems writes with Specification#to_ruby).
// Gemspecs are Ruby source: they are read here by a small lexer that only accepts literal values and
// never evaluates anything.

import type { LangAnalyzer, LangPackage } from './types.js';

// RubyGems' rules: names are letters, digits, ".", "_" and "-"; versions are dot-separated
// alphanumeric segments, optionally followed by a "-" prerelease part.
const GEM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const GEM_VERSION = /^[0-9]+(?:\.[0-9A-Za-z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const MAX_NAME = 200;
const MAX_VERSION = 128;
const MAX_LICENSES = 32;
const MAX_LICENSE = 200;

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function validName(s: string): boolean {
  return s.length <= MAX_NAME && GEM_NAME.test(s);
}

/** Gem::Version#to_s: surrounding blanks dropped and "-" spelled ".pre." ("1.0-rc1" -> "1.0.pre.rc1"). */
export function normalizeGemVersion(v: string): string | undefined {
  const t = v.trim();
  if (t.length === 0 || t.length > MAX_VERSION || !GEM_VERSION.test(t)) return undefined;
  return t.replaceAll('-', '.pre.');
}

// ---------------------------------------------------------------------------------------------
// Gemfile.lock

const SOURCE_SECTIONS = new Set(['GEM', 'GIT', 'PATH', 'PLUGIN SOURCE']);
const KNOWN_SECTIONS = new Set([
  ...SOURCE_SECTIONS,
  'PLATFORMS',
  'DEPENDENCIES',
  'CHECKSUMS',
  'RUBY VERSION',
  'BUNDLED WITH',
]);
// "    name (version)" or "    name (version-platform)" under "  specs:" (4 spaces: a locked gem;
// 6 spaces: one of its dependency requirements, skipped).
const SPEC_LINE = /^ {4}([^ ()!]+) \(([^()]*)\)$/;
// "  name", "  name!" (from a GIT/PATH source) or "  name (requirement)" under DEPENDENCIES.
const DEP_LINE = /^ {2}([^ ()!]+)!?(?: \(.*\))?$/;

/**
 * Every gem a Bundler lockfile pins: the specs of its GEM, GIT, PATH and PLUGIN SOURCE sections.
 * A platform-specific spec ("nokogiri (1.13.6-x86_64-linux)") gives the version before the first "-",
 * as Bundler reads it; several platforms of one version give one package. Gems the DEPENDENCIES
 * section does not name are marked indirect. Nothing is marked dev: the lockfile does not say.
 */
export function parseGemfileLock(text: string): LangPackage[] {
  let section: string | undefined;
  let inSpecs = false;
  let sawSection = false;
  const specs: { name: string; version: string }[] = [];
  const direct = new Set<string>();
  let sawDependencies = false;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    if (line[0] !== ' ') {
      section = line.trim();
      inSpecs = false;
      if (KNOWN_SECTIONS.has(section)) sawSection = true;
      if (section === 'DEPENDENCIES') sawDependencies = true;
      continue;
    }
    if (section === undefined) continue;
    if (SOURCE_SECTIONS.has(section)) {
      if (/^ {2}\S/.test(line)) {
        inSpecs = line === '  specs:';
        continue;
      }
      if (!inSpecs) continue;
      const m = SPEC_LINE.exec(line);
      if (!m) continue;
      const name = m[1] as string;
      const dash = (m[2] as string).indexOf('-');
      const version = dash < 0 ? (m[2] as string) : (m[2] as string).slice(0, dash);
      if (!validName(name) || !normalizeGemVersion(version) || version !== version.trim()) continue;
      specs.push({ name, version });
    } else if (section === 'DEPENDENCIES') {
      const m = DEP_LINE.exec(line);
      if (m) direct.add(m[1] as string);
    }
  }
  if (!sawSection) throw new Error('not a Gemfile.lock (no GEM, GIT, PATH or DEPENDENCIES section)');
  const out: LangPackage[] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    const id = `${s.name}@${s.version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const p: LangPackage = { name: s.name, version: s.version };
    if (sawDependencies && !direct.has(s.name)) p.indirect = true;
    out.push(p);
  }
  return out;
}

/**
 * Lockfiles of an application, not those that installed gems ship for their own development:
 * Bundler's install tree (vendor/bundle/), a gem directory (gems/NAME-VERSION/) and Bundler's git
 * checkouts (bundler/gems/) are skipped.
 */
export function isGemfileLock(path: string): boolean {
  const base = baseName(path);
  if (base !== 'Gemfile.lock' && base !== 'gems.locked') return false;
  return !/(?:^|\/)(?:vendor\/bundle\/|bundler\/gems\/|gems\/[^/]+-[0-9][^/]*\/)/.test(path);
}

export const bundlerAnalyzer: LangAnalyzer = {
  name: 'bundler',
  version: 1,
  lang: { type: 'bundler', purlType: 'gem' },
  maxFileSize: 16 * 1024 * 1024,
  prefilter: { names: ['Gemfile.lock', 'gems.locked'] },
  matches: (path, info) => info.type === 'file' && isGemfileLock(path),
  async analyze(file) {
    return parseGemfileLock((await file.read()).toString('utf8'));
  },
};

// ---------------------------------------------------------------------------------------------
// Installed gemspecs: a lexer for the Ruby that Specification#to_ruby writes (and a bit more)

type Tok =
  | { k: 'nl' } // statement end: newline or ";"
  | { k: 'id'; v: string } // identifiers, constants, keywords, @ivars, $gvars
  | { k: 'str'; v: string | undefined } // string literal; undefined when it interpolates
  | { k: 'words'; v: string[] | undefined } // %w[] / %W[]
  | { k: 'dyn' } // a value only running code gives: `cmd`, %x, heredocs, regexps, symbols, numbers
  | { k: 'p'; v: string } // punctuation
  | { k: 'eof' };

const CLOSER: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
const MAX_NESTING = 32;
/** Tokens after which "/" and "%" start a literal rather than divide. */
const EXPR_KEYWORDS = new Set([
  'if',
  'unless',
  'when',
  'while',
  'until',
  'and',
  'or',
  'not',
  'return',
  'then',
]);

function isIdentChar(c: string): boolean {
  return /[A-Za-z0-9_]/.test(c) || c.charCodeAt(0) >= 0x80;
}

class RubyLexer {
  pos = 0;
  private heredocs: { id: string; indent: boolean }[] = [];
  private last: Tok = { k: 'nl' };

  constructor(
    private readonly text: string,
    private readonly depth = 0,
  ) {
    if (depth > MAX_NESTING) throw new Error('interpolation nested too deep');
  }

  next(): Tok {
    const t = this.scan();
    this.last = t;
    return t;
  }

  /** Where an operand may start, "/" and "%(" open literals. */
  private exprStart(): boolean {
    const l = this.last;
    if (l.k === 'nl') return true;
    if (l.k === 'p') return !/^[)\]}]$/.test(l.v);
    if (l.k === 'id') return EXPR_KEYWORDS.has(l.v);
    return false;
  }

  private atLineStart(): boolean {
    return this.pos === 0 || this.text[this.pos - 1] === '\n';
  }

  private skipLine(): void {
    const nl = this.text.indexOf('\n', this.pos);
    this.pos = nl < 0 ? this.text.length : nl;
  }

  private scan(): Tok {
    const s = this.text;
    for (;;) {
      if (this.pos >= s.length) return { k: 'eof' };
      const c = s[this.pos] as string;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\0') {
        this.pos++;
        continue;
      }
      if (c === '\\' && s[this.pos + 1] === '\n') {
        this.pos += 2;
        continue;
      }
      if (c === '\n') {
        this.pos++;
        if (this.heredocs.length) this.skipHeredocBodies();
        return { k: 'nl' };
      }
      if (this.atLineStart()) {
        if (/^=begin(?:\s|$)/.test(s.slice(this.pos, this.pos + 7))) {
          const re = /\n=end(?:\s|$)/g;
          re.lastIndex = this.pos;
          const m = re.exec(s);
          if (!m) throw new Error('unterminated =begin comment');
          this.pos = m.index + 1;
          this.skipLine();
          continue;
        }
        if (/^__END__\r?(?:\n|$)/.test(s.slice(this.pos, this.pos + 9))) {
          this.pos = s.length;
          return { k: 'eof' };
        }
      }
      if (c === '#') {
        this.skipLine();
        continue;
      }
      if (c === ';') {
        this.pos++;
        return { k: 'nl' };
      }
      if (c === '"') {
        this.pos++;
        return { k: 'str', v: this.readQuoted('"', '"', true) };
      }
      if (c === "'") {
        this.pos++;
        return { k: 'str', v: this.readQuoted("'", "'", false) };
      }
      if (c === '`') {
        this.pos++;
        this.readQuoted('`', '`', true);
        return { k: 'dyn' };
      }
      if (c === '%') {
        const t = this.percentLiteral();
        if (t) return t;
      }
      if (c === '<' && s[this.pos + 1] === '<') {
        const t = this.heredocStart();
        if (t) return t;
      }
      if (c === '/' && this.exprStart()) {
        this.pos++;
        this.readQuoted('/', '/', true);
        while (/[a-z]/.test(s[this.pos] ?? '')) this.pos++;
        return { k: 'dyn' };
      }
      if (c === ':') {
        const n = s[this.pos + 1] ?? '';
        if (n === ':') {
          this.pos += 2;
          return { k: 'p', v: '::' };
        }
        if (n === '"' || n === "'") {
          this.pos += 2;
          this.readQuoted(n, n, n === '"');
          return { k: 'dyn' };
        }
        if (isIdentChar(n) && !/[0-9]/.test(n)) {
          this.pos++;
          this.readIdent();
          if (s[this.pos] === '=' && !/[=~>]/.test(s[this.pos + 1] ?? '')) this.pos++;
          return { k: 'dyn' };
        }
        this.pos++;
        return { k: 'p', v: ':' };
      }
      if (/[0-9]/.test(c)) {
        while (this.pos < s.length && /[0-9A-Za-z_]/.test(s[this.pos] as string)) this.pos++;
        if (s[this.pos] === '.' && /[0-9]/.test(s[this.pos + 1] ?? '')) {
          this.pos++;
          while (this.pos < s.length && /[0-9A-Za-z_]/.test(s[this.pos] as string)) this.pos++;
        }
        return { k: 'dyn' };
      }
      if (c === '@' || c === '$' || isIdentChar(c)) {
        const start = this.pos;
        this.pos++;
        if (s[this.pos] === '@') this.pos++;
        this.readIdent();
        // method names may end in ? or ! (respond_to?), but not when an "=" follows (a != b)
        if ((s[this.pos] === '?' || s[this.pos] === '!') && s[this.pos + 1] !== '=') this.pos++;
        return { k: 'id', v: s.slice(start, this.pos) };
      }
      const two = s.slice(this.pos, this.pos + 2);
      if (/^(?:==|=~|=>|!=|!~|<=|>=|\+=|-=|\*=|\/=|\|=|&=|\|\||&&|\*\*|->)$/.test(two)) {
        this.pos += 2;
        return { k: 'p', v: two };
      }
      this.pos++;
      return { k: 'p', v: c };
    }
  }

  private readIdent(): void {
    while (this.pos < this.text.length && isIdentChar(this.text[this.pos] as string)) this.pos++;
  }

  /** %q() %Q() %w[] %W[] %i[] %r{} %x() %s() and bare %() / %[] ... */
  private percentLiteral(): Tok | undefined {
    const s = this.text;
    let type = s[this.pos + 1] ?? '';
    let open = s[this.pos + 2] ?? '';
    let len = 3;
    if (!/[qQwWiIrxs]/.test(type) || open === '' || /[A-Za-z0-9\s]/.test(open)) {
      if (!/[({[<|!^/]/.test(type) || !this.exprStart()) return undefined;
      open = type;
      type = 'Q';
      len = 2;
    }
    this.pos += len;
    const close = CLOSER[open] ?? open;
    const nest = CLOSER[open] ? open : undefined;
    if (type === 'w' || type === 'W') return { k: 'words', v: this.readWords(nest, close, type === 'W') };
    const v = this.readQuoted(nest, close, type !== 'q');
    if (type === 'q' || type === 'Q') return { k: 'str', v };
    if (type === 'r') while (/[a-z]/.test(s[this.pos] ?? '')) this.pos++;
    return { k: 'dyn' };
  }

  /**
   * Reads a literal up to `close` (nesting `open`/`close` pairs when `open` is given). With
   * `interpolate`, escapes are decoded and #{...} makes the value unknown (undefined).
   */
  private readQuoted(open: string | undefined, close: string, interpolate: boolean): string | undefined {
    const s = this.text;
    let out = '';
    let dynamic = false;
    let level = 0;
    for (;;) {
      if (this.pos >= s.length) throw new Error('unterminated string literal');
      const c = s[this.pos] as string;
      if (c === '\\') {
        const n = s[this.pos + 1];
        if (n === undefined) throw new Error('unterminated string literal');
        if (!interpolate) {
          out += n === '\\' || n === close || n === open ? n : `\\${n}`;
          this.pos += 2;
          continue;
        }
        out += this.readEscape();
        continue;
      }
      if (open !== undefined && c === open && open !== close) {
        level++;
      } else if (c === close) {
        if (level === 0) {
          this.pos++;
          return dynamic ? undefined : out;
        }
        level--;
      } else if (interpolate && c === '#' && /[{@$]/.test(s[this.pos + 1] ?? '')) {
        dynamic = true;
        if (s[this.pos + 1] === '{') {
          this.pos += 2;
          this.skipInterpolation();
          continue;
        }
      }
      out += c;
      this.pos++;
    }
  }

  /** Skips the code of a #{...} up to its closing brace (nested literals included). */
  private skipInterpolation(): void {
    const sub = new RubyLexer(this.text, this.depth + 1);
    sub.pos = this.pos;
    let level = 0;
    for (;;) {
      const t = sub.next();
      if (t.k === 'eof') throw new Error('unterminated interpolation');
      if (t.k === 'p' && t.v === '{') level++;
      if (t.k === 'p' && t.v === '}') {
        if (level === 0) break;
        level--;
      }
    }
    this.pos = sub.pos;
  }

  /** One backslash escape of a double-quoted literal, decoded. */
  private readEscape(): string {
    const s = this.text;
    const n = s[this.pos + 1] as string;
    this.pos += 2;
    const simple: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      s: ' ',
      e: '\x1b',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
      '\n': '',
    };
    if (n in simple) return simple[n] as string;
    if (n === 'u') {
      const m = /^\{([0-9A-Fa-f ]{1,64})\}|^([0-9A-Fa-f]{4})/.exec(s.slice(this.pos, this.pos + 66));
      if (!m) return 'u';
      this.pos += m[0].length;
      const cps = (m[1] ?? m[2] ?? '').trim().split(/ +/);
      return cps.map((h) => String.fromCodePoint(Math.min(Number.parseInt(h, 16), 0x10ffff))).join('');
    }
    if (n === 'x') {
      const m = /^[0-9A-Fa-f]{1,2}/.exec(s.slice(this.pos, this.pos + 2));
      if (!m) return 'x';
      this.pos += m[0].length;
      return String.fromCharCode(Number.parseInt(m[0], 16));
    }
    if (/[0-7]/.test(n)) {
      const m = /^[0-7]{0,2}/.exec(s.slice(this.pos, this.pos + 2)) as RegExpExecArray;
      this.pos += m[0].length;
      return String.fromCharCode(Number.parseInt(n + m[0], 8) & 0xff);
    }
    return n;
  }

  /** %w[a b c]: words split on unescaped blanks; %W interpolates. */
  private readWords(open: string | undefined, close: string, interpolate: boolean): string[] | undefined {
    const body = this.readQuoted(open, close, false);
    if (body === undefined) return undefined;
    if (interpolate && /#[{@$]/.test(body)) return undefined;
    const words: string[] = [];
    let cur = '';
    let has = false;
    for (let i = 0; i < body.length; i++) {
      const c = body[i] as string;
      if (c === '\\' && i + 1 < body.length && /\s/.test(body[i + 1] as string)) {
        cur += body[++i];
        has = true;
      } else if (/\s/.test(c)) {
        if (has) words.push(cur);
        cur = '';
        has = false;
      } else {
        cur += c;
        has = true;
      }
    }
    if (has) words.push(cur);
    return words;
  }

  /** <<~ID, <<-ID, <<ID, with optional quotes: the body is skipped at the next newline. */
  private heredocStart(): Tok | undefined {
    const re = /<<([~-]?)(["'`]?)([A-Za-z_][A-Za-z0-9_]*)\2/y;
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    const l = this.last;
    const operandPosition = this.exprStart() || l.k === 'id';
    if (!(m[1] || m[2]) && !operandPosition) return undefined;
    this.heredocs.push({ id: m[3] as string, indent: !!m[1] });
    this.pos += m[0].length;
    return { k: 'dyn' };
  }

  private skipHeredocBodies(): void {
    const s = this.text;
    for (const h of this.heredocs) {
      for (;;) {
        if (this.pos >= s.length) throw new Error(`unterminated heredoc ${h.id}`);
        const nl = s.indexOf('\n', this.pos);
        const end = nl < 0 ? s.length : nl;
        let line = s.slice(this.pos, end);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        this.pos = nl < 0 ? s.length : nl + 1;
        if ((h.indent ? line.trimStart() : line) === h.id) break;
      }
    }
    this.heredocs = [];
  }
}

type Literal = string | string[] | null;
const NOT_LITERAL = Symbol('not a literal');
type Assigned = Literal | typeof NOT_LITERAL;

const FIELDS = new Set(['name', 'version', 'license', 'licenses']);
/** Statement tokens kept; longer statements (s.files lists...) are consumed without being stored. */
const MAX_STATEMENT_TOKENS = 512;

function isP(t: Tok | undefined, v: string): boolean {
  return t?.k === 'p' && t.v === v;
}
function isId(t: Tok | undefined, v: string): boolean {
  return t?.k === 'id' && t.v === v;
}

/** "x", "x".freeze, Gem::Version.new("x"), nil: the string (or null) and the index after it. */
function scalarAt(toks: Tok[], i: number): { v: string | null; next: number } | undefined {
  const t = toks[i];
  if (isId(t, 'nil')) return { v: null, next: i + 1 };
  if (t?.k === 'str' && t.v !== undefined) {
    let next = i + 1;
    if (isP(toks[next], '.') && isId(toks[next + 1], 'freeze')) next += 2;
    return { v: t.v, next };
  }
  // Gem::Version.new("1.2.3") / Gem::Version.new "1.2.3"
  if (
    isId(t, 'Gem') &&
    isP(toks[i + 1], '::') &&
    isId(toks[i + 2], 'Version') &&
    isP(toks[i + 3], '.') &&
    isId(toks[i + 4], 'new')
  ) {
    const paren = isP(toks[i + 5], '(');
    const inner = scalarAt(toks, i + (paren ? 6 : 5));
    if (!inner || inner.v === null) return undefined;
    if (!paren) return inner;
    return isP(toks[inner.next], ')') ? { v: inner.v, next: inner.next + 1 } : undefined;
  }
  return undefined;
}

/** The literal right-hand side of an assignment, or NOT_LITERAL when it takes code to compute. */
function literalAt(toks: Tok[], i: number): Assigned {
  let value: Literal;
  let next: number;
  const t = toks[i];
  if (t?.k === 'words') {
    if (t.v === undefined) return NOT_LITERAL;
    value = t.v;
    next = i + 1;
    if (isP(toks[next], '.') && isId(toks[next + 1], 'freeze')) next += 2;
  } else if (isP(t, '[')) {
    const items: string[] = [];
    next = i + 1;
    while (toks[next]?.k === 'nl') next++;
    while (!isP(toks[next], ']')) {
      const item = scalarAt(toks, next);
      if (!item) return NOT_LITERAL;
      if (item.v !== null) items.push(item.v);
      next = item.next;
      while (toks[next]?.k === 'nl') next++;
      if (isP(toks[next], ',')) next++;
      else if (!isP(toks[next], ']')) return NOT_LITERAL;
      while (toks[next]?.k === 'nl') next++;
    }
    next++;
    if (isP(toks[next], '.') && isId(toks[next + 1], 'freeze')) next += 2;
    value = items;
  } else {
    const s = scalarAt(toks, i);
    if (!s) return NOT_LITERAL;
    value = s.v;
    next = s.next;
  }
  // what may follow a literal: the end of the statement, or an if/unless modifier
  const after = toks[next];
  if (after === undefined || isId(after, 'if') || isId(after, 'unless')) return value;
  return NOT_LITERAL;
}

/** `Gem::Specification.new [(...)] do |VAR|` or `{ |VAR|`: the block variable. */
function blockVariable(toks: Tok[]): string | undefined {
  for (let i = 0; i + 4 < toks.length; i++) {
    if (
      !(
        isId(toks[i], 'Gem') &&
        isP(toks[i + 1], '::') &&
        isId(toks[i + 2], 'Specification') &&
        isP(toks[i + 3], '.') &&
        isId(toks[i + 4], 'new')
      )
    )
      continue;
    let j = i + 5;
    if (isP(toks[j], '(')) {
      let level = 0;
      for (; j < toks.length; j++) {
        if (isP(toks[j], '(')) level++;
        else if (isP(toks[j], ')') && --level === 0) break;
      }
      j++;
    }
    if (!(isId(toks[j], 'do') || isP(toks[j], '{'))) continue;
    const v = toks[j + 2];
    if (isP(toks[j + 1], '|') && v?.k === 'id' && isP(toks[j + 3], '|')) return v.v;
  }
  return undefined;
}

/**
 * Name, version and licenses of an installed gem from its specification file, read statically:
 * only literal assignments to the block variable count (`s.name = "rake".freeze`,
 * `s.version = "13.0.6"`, `Gem::Version.new("1.0")`, `s.licenses = ["MIT".freeze]`, `%q{}`, `%w[]`);
 * the last assignment wins, as in Ruby. A name or version that takes code to compute is an error;
 * licenses that do are left out.
 */
export function parseGemspec(text: string): LangPackage {
  const lx = new RubyLexer(text);
  const assigned = new Map<string, Assigned>(); // "VAR.field" -> last value
  let blockVar: string | undefined;
  for (;;) {
    // one statement: tokens up to a newline outside () and []
    const toks: Tok[] = [];
    let overflow = false;
    let level = 0;
    let t = lx.next();
    for (; t.k !== 'eof'; t = lx.next()) {
      if (t.k === 'nl') {
        if (level === 0) break;
      } else if (t.k === 'p' && (t.v === '(' || t.v === '[')) level++;
      else if (t.k === 'p' && (t.v === ')' || t.v === ']')) level = Math.max(0, level - 1);
      if (toks.length < MAX_STATEMENT_TOKENS) toks.push(t);
      else overflow = true;
    }
    if (blockVar === undefined && toks.length > 0) blockVar = blockVariable(toks);
    const [recv, dot, field, eq] = toks;
    if (recv?.k === 'id' && isP(dot, '.') && field?.k === 'id' && FIELDS.has(field.v) && isP(eq, '=')) {
      const key = `${recv.v}.${field.v === 'license' ? 'licenses' : field.v}`;
      assigned.set(key, overflow ? NOT_LITERAL : literalAt(toks, 4));
    }
    if (t.k === 'eof') break;
  }
  if (blockVar === undefined) throw new Error('no Gem::Specification.new block');
  const str = (field: string): string => {
    const v = assigned.get(`${blockVar}.${field}`);
    if (v === undefined) throw new Error(`no ${blockVar}.${field}`);
    if (typeof v !== 'string') throw new Error(`${blockVar}.${field} is not a string literal`);
    return v;
  };
  const name = str('name');
  if (!validName(name)) throw new Error(`invalid gem name ${JSON.stringify(name.slice(0, 64))}`);
  const rawVersion = str('version');
  const version = normalizeGemVersion(rawVersion);
  if (!version) throw new Error(`invalid gem version ${JSON.stringify(rawVersion.slice(0, 64))}`);
  const p: LangPackage = { name, version };
  const lic = assigned.get(`${blockVar}.licenses`);
  if (lic !== undefined && lic !== NOT_LITERAL && lic !== null) {
    const list = (typeof lic === 'string' ? [lic] : lic).filter((l) => l !== '' && l.length <= MAX_LICENSE);
    // A gem that lists several licenses is offered under any of them (Ruby's own gems: Ruby OR BSD-2-Clause).
    if (list.length > 0 && list.length <= MAX_LICENSES) p.license = list.join(' OR ');
  }
  return p;
}

/** <gem dir>/specifications/NAME-VERSION.gemspec, and default gems under specifications/default/. */
export function isInstalledGemspec(path: string): boolean {
  return /(?:^|\/)specifications\/(?:default\/)?[^/]+\.gemspec$/.test(path);
}

export const gemspecAnalyzer: LangAnalyzer = {
  name: 'gemspec',
  version: 1,
  lang: { type: 'gemspec', purlType: 'gem', group: 'Ruby' },
  maxFileSize: 2 * 1024 * 1024,
  prefilter: { extensions: ['.gemspec'] },
  matches: (path, info) => info.type === 'file' && isInstalledGemspec(path),
  async analyze(file) {
    return parseGemspec((await file.read()).toString('utf8'));
  },
};
