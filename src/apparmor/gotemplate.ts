// A small evaluator for the subset of Go's text/template that container-profile templates use.
//
// Written from the text/template documentation (pkg.go.dev/text/template) and checked against Go
// 1.19's own engine (test/apparmor/template.test.ts runs it when `go` is installed). Supported:
// text, {{.Field.Path}}, {{.}}, {{$var}} / {{$var.Field}}, {{if}} / {{else}} / {{else if}} /
// {{end}}, {{range [$v :=] PIPE}} and {{range $i, $v := PIPE}} with {{else}}, {{with}}, comments
// {{/* */}}, the trim markers "{{- " and " -}}", string/number/bool literals and the functions
// not, and, or, eq, ne, len. Anything else is refused at parse time rather than rendered wrongly.

import { UserError } from '../errors.js';

/** The values a template can see: what a Go struct of strings, bools, ints and slices holds. */
export type TemplateValue = string | number | boolean | null | TemplateValue[] | TemplateData;
export interface TemplateData {
  [field: string]: TemplateValue;
}

const MAX_TEMPLATE_CHARS = 1 << 20;
const MAX_DEPTH = 64;
const MAX_OUTPUT_CHARS = 16 << 20;

type Arg =
  | { t: 'field'; base: 'dot' | string; path: string[] } // base is 'dot' or a "$name" variable
  | { t: 'lit'; value: TemplateValue }
  | { t: 'call'; fn: string; args: Arg[] };

export type TemplateNode =
  | { t: 'text'; text: string }
  | { t: 'print'; arg: Arg; line: number }
  | { t: 'if'; cond: Arg; body: TemplateNode[]; else: TemplateNode[]; line: number }
  | { t: 'with'; cond: Arg; body: TemplateNode[]; else: TemplateNode[]; line: number }
  | {
      t: 'range';
      over: Arg;
      keyVar?: string;
      valVar?: string;
      body: TemplateNode[];
      else: TemplateNode[];
      line: number;
    };

interface Action {
  /** The action's text without delimiters and trim markers. */
  body: string;
  line: number;
}

const SPACE = new Set([' ', '\t', '\r', '\n']);
const FUNCS = new Set(['not', 'and', 'or', 'eq', 'ne', 'len']);

function trimRightSpace(s: string): string {
  let end = s.length;
  while (end > 0 && SPACE.has(s[end - 1] as string)) end--;
  return s.slice(0, end);
}

function trimLeftSpace(s: string): string {
  let start = 0;
  while (start < s.length && SPACE.has(s[start] as string)) start++;
  return s.slice(start);
}

/** Splits the template into text and actions, applying the trim markers as Go's lexer does. */
function lex(src: string, name: string): (string | Action)[] {
  const out: (string | Action)[] = [];
  let pos = 0;
  let line = 1;
  let trimNext = false;
  for (;;) {
    const open = src.indexOf('{{', pos);
    let text = open < 0 ? src.slice(pos) : src.slice(pos, open);
    if (trimNext) text = trimLeftSpace(text);
    trimNext = false;
    if (open < 0) {
      if (text) out.push(text);
      return out;
    }
    line += countNewlines(src, pos, open);
    let inner = open + 2;
    if (src[inner] === '-' && SPACE.has(src[inner + 1] ?? '')) {
      text = trimRightSpace(text);
      inner += 2;
    }
    if (text) out.push(text);
    const close = findClose(src, inner, name, line);
    let end = close;
    if (src[close - 1] === '-' && close - 2 >= inner && SPACE.has(src[close - 2] as string)) {
      trimNext = true;
      end = close - 2;
    }
    const body = src.slice(inner, end).trim();
    if (!body.startsWith('/*')) out.push({ body, line });
    else if (!body.endsWith('*/')) throw tplError(name, line, 'comment ends before closing delimiter');
    line += countNewlines(src, open, close + 2);
    pos = close + 2;
  }
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

/** Index of the "}}" closing the action that starts at `from`, skipping quoted strings and comments. */
function findClose(src: string, from: number, name: string, line: number): number {
  if (src.startsWith('/*', from)) {
    const endComment = src.indexOf('*/', from + 2);
    if (endComment < 0) throw tplError(name, line, 'unclosed comment');
    const close = src.indexOf('}}', endComment + 2);
    if (close < 0) throw tplError(name, line, 'unclosed action');
    return close;
  }
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === '`') {
      const q = c;
      i++;
      while (i < src.length && src[i] !== q) i += src[i] === '\\' && q === '"' ? 2 : 1;
      if (i >= src.length) throw tplError(name, line, 'unterminated quoted string');
      i++;
      continue;
    }
    if (c === '}' && src[i + 1] === '}') return i;
    i++;
  }
  throw tplError(name, line, 'unclosed action');
}

function tplError(name: string, line: number, msg: string): UserError {
  return new UserError(`template ${name}:${line}: ${msg}`);
}

/** Tokens of one action: words, strings, and the punctuation Go's lexer knows. */
function tokenize(body: string, name: string, line: number): string[] {
  const toks: string[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (SPACE.has(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < body.length && body[j] !== c) j += body[j] === '\\' && c === '"' ? 2 : 1;
      if (j >= body.length) throw tplError(name, line, 'unterminated quoted string');
      toks.push(body.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === '|') {
      toks.push(c);
      i++;
      continue;
    }
    if (c === ':' && body[i + 1] === '=') {
      toks.push(':=');
      i += 2;
      continue;
    }
    let j = i;
    while (j < body.length && !SPACE.has(body[j] as string) && !'(),|"`'.includes(body[j] as string)) {
      if (body[j] === ':' && body[j + 1] === '=') break;
      j++;
    }
    toks.push(body.slice(i, j));
    i = j;
  }
  return toks;
}

function parseStringLit(tok: string, name: string, line: number): string {
  if (tok.startsWith('`')) return tok.slice(1, -1);
  try {
    const v: unknown = JSON.parse(tok);
    if (typeof v === 'string') return v;
  } catch {
    // fall through to the error below
  }
  throw tplError(name, line, `unsupported string literal ${tok}`);
}

/** One operand: a field chain, a variable, a literal, or a parenthesised call. */
function parseOperand(toks: string[], at: number, name: string, line: number, depth: number): [Arg, number] {
  const tok = toks[at];
  if (tok === undefined) throw tplError(name, line, 'missing value');
  if (tok === '(') {
    const [arg, next] = parseCommand(toks, at + 1, name, line, depth + 1);
    if (toks[next] !== ')') throw tplError(name, line, 'unclosed parenthesis');
    return [arg, next + 1];
  }
  if (tok === '.') return [{ t: 'field', base: 'dot', path: [] }, at + 1];
  if (/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(tok)) {
    return [{ t: 'field', base: 'dot', path: tok.slice(1).split('.') }, at + 1];
  }
  const v = /^(\$[A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/.exec(tok);
  if (v) {
    const path = v[2] ? (v[2] as string).slice(1).split('.') : [];
    return [{ t: 'field', base: v[1] as string, path }, at + 1];
  }
  if (tok === 'true' || tok === 'false') return [{ t: 'lit', value: tok === 'true' }, at + 1];
  if (tok === 'nil') return [{ t: 'lit', value: null }, at + 1];
  if (/^-?[0-9]+$/.test(tok)) return [{ t: 'lit', value: Number(tok) }, at + 1];
  if (tok.startsWith('"') || tok.startsWith('`')) {
    return [{ t: 'lit', value: parseStringLit(tok, name, line) }, at + 1];
  }
  throw tplError(name, line, `unsupported operand ${JSON.stringify(tok)}`);
}

/** A command: an operand, or a function name followed by its arguments (pipes are not supported). */
function parseCommand(toks: string[], at: number, name: string, line: number, depth: number): [Arg, number] {
  if (depth > MAX_DEPTH) throw tplError(name, line, 'expression nested too deeply');
  const tok = toks[at];
  if (tok !== undefined && FUNCS.has(tok)) {
    const args: Arg[] = [];
    let i = at + 1;
    while (i < toks.length && toks[i] !== ')') {
      const [a, next] = parseOperand(toks, i, name, line, depth);
      args.push(a);
      i = next;
    }
    return [{ t: 'call', fn: tok, args }, i];
  }
  return parseOperand(toks, at, name, line, depth);
}

function parsePipeline(toks: string[], name: string, line: number): Arg {
  if (toks.length === 0) throw tplError(name, line, 'missing value');
  if (toks.includes('|')) throw tplError(name, line, 'pipelines are not supported');
  const [arg, next] = parseCommand(toks, 0, name, line, 0);
  if (next !== toks.length) throw tplError(name, line, `unexpected ${JSON.stringify(toks[next])}`);
  return arg;
}

interface Frame {
  kind: 'root' | 'if' | 'with' | 'range';
  node?: Extract<TemplateNode, { t: 'if' | 'with' | 'range' }>;
  into: TemplateNode[];
  /** An "else if" chain closes with one {{end}}: the frames it opened are popped together. */
  chained: boolean;
}

/** Parses template text into a tree; throws UserError (template name and line) on what it cannot handle. */
export function parseTemplate(src: string, name = 'template'): TemplateNode[] {
  if (src.length > MAX_TEMPLATE_CHARS)
    throw tplError(name, 1, `larger than ${MAX_TEMPLATE_CHARS} characters`);
  const root: TemplateNode[] = [];
  const stack: Frame[] = [{ kind: 'root', into: root, chained: false }];
  const top = (): Frame => stack[stack.length - 1] as Frame;
  for (const item of lex(src, name)) {
    if (typeof item === 'string') {
      top().into.push({ t: 'text', text: item });
      continue;
    }
    const { line } = item;
    const toks = tokenize(item.body, name, line);
    const kw = toks[0];
    if (kw === 'end') {
      if (toks.length !== 1) throw tplError(name, line, 'unexpected words after end');
      for (;;) {
        const f = stack.pop();
        if (!f || f.kind === 'root') throw tplError(name, line, 'unexpected {{end}}');
        if (!f.chained) break;
      }
    } else if (kw === 'else') {
      const f = top();
      if (!f.node) throw tplError(name, line, 'unexpected {{else}}');
      if (f.into === f.node.else) throw tplError(name, line, 'more than one {{else}}');
      f.into = f.node.else;
      if (toks[1] === 'if' || toks[1] === 'with') {
        const node = {
          t: toks[1],
          cond: parsePipeline(toks.slice(2), name, line),
          body: [],
          else: [],
          line,
        } as Extract<TemplateNode, { t: 'if' }> | Extract<TemplateNode, { t: 'with' }>;
        f.into.push(node);
        stack.push({ kind: toks[1], node, into: node.body, chained: true });
      } else if (toks.length !== 1) throw tplError(name, line, 'unexpected words after else');
    } else if (kw === 'if' || kw === 'with') {
      if (stack.length > MAX_DEPTH) throw tplError(name, line, 'actions nested too deeply');
      const node = { t: kw, cond: parsePipeline(toks.slice(1), name, line), body: [], else: [], line } as
        | Extract<TemplateNode, { t: 'if' }>
        | Extract<TemplateNode, { t: 'with' }>;
      top().into.push(node);
      stack.push({ kind: kw, node, into: node.body, chained: false });
    } else if (kw === 'range') {
      if (stack.length > MAX_DEPTH) throw tplError(name, line, 'actions nested too deeply');
      let rest = toks.slice(1);
      let keyVar: string | undefined;
      let valVar: string | undefined;
      const decl = rest.indexOf(':=');
      if (decl >= 0) {
        const vars = rest.slice(0, decl).filter((t) => t !== ',');
        if (vars.length < 1 || vars.length > 2 || !vars.every((v) => /^\$[A-Za-z0-9_]+$/.test(v)))
          throw tplError(name, line, 'bad range variable declaration');
        if (vars.length === 2) [keyVar, valVar] = vars;
        else valVar = vars[0];
        rest = rest.slice(decl + 1);
      }
      const node: Extract<TemplateNode, { t: 'range' }> = {
        t: 'range',
        over: parsePipeline(rest, name, line),
        body: [],
        else: [],
        line,
      };
      if (keyVar) node.keyVar = keyVar;
      if (valVar) node.valVar = valVar;
      top().into.push(node);
      stack.push({ kind: 'range', node, into: node.body, chained: false });
    } else if (
      kw === 'template' ||
      kw === 'define' ||
      kw === 'block' ||
      kw === 'break' ||
      kw === 'continue'
    ) {
      throw tplError(name, line, `{{${kw}}} is not supported`);
    } else {
      if (toks.includes(':=') || toks.includes('='))
        throw tplError(name, line, 'variable assignment is not supported');
      top().into.push({ t: 'print', arg: parsePipeline(toks, name, line), line });
    }
  }
  if (stack.length !== 1) throw tplError(name, top().node?.line ?? 1, 'unclosed action (missing {{end}})');
  return root;
}

/** Go's notion of truth: false, 0, "", nil and empty slices and maps are false. */
export function isTrue(v: TemplateValue | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

interface Scope {
  dot: TemplateValue;
  vars: Map<string, TemplateValue>;
}

class Renderer {
  private out = '';
  constructor(private readonly name: string) {}

  private err(line: number, msg: string): UserError {
    return tplError(this.name, line, msg);
  }

  private field(base: TemplateValue, path: string[], line: number): TemplateValue {
    let cur = base;
    for (const p of path) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, p)) {
        throw this.err(line, `can't evaluate field ${p}`);
      }
      cur = (cur as TemplateData)[p] as TemplateValue;
    }
    return cur;
  }

  private value(a: Arg, s: Scope, line: number): TemplateValue {
    if (a.t === 'lit') return a.value;
    if (a.t === 'field') {
      let base: TemplateValue;
      if (a.base === 'dot') base = s.dot;
      else {
        if (!s.vars.has(a.base)) throw this.err(line, `undefined variable ${a.base}`);
        base = s.vars.get(a.base) as TemplateValue;
      }
      return this.field(base, a.path, line);
    }
    const args = a.args;
    switch (a.fn) {
      case 'not':
        if (args.length !== 1) throw this.err(line, 'not takes one argument');
        return !isTrue(this.value(args[0] as Arg, s, line));
      case 'and': {
        if (args.length < 1) throw this.err(line, 'and takes arguments');
        let v: TemplateValue = null;
        for (const x of args) {
          v = this.value(x, s, line);
          if (!isTrue(v)) return v;
        }
        return v;
      }
      case 'or': {
        if (args.length < 1) throw this.err(line, 'or takes arguments');
        let v: TemplateValue = null;
        for (const x of args) {
          v = this.value(x, s, line);
          if (isTrue(v)) return v;
        }
        return v;
      }
      case 'eq':
      case 'ne': {
        if (args.length < 2) throw this.err(line, `${a.fn} takes two or more arguments`);
        const first = this.value(args[0] as Arg, s, line);
        if (typeof first === 'object' && first !== null) throw this.err(line, `${a.fn}: not comparable`);
        const equal = args.slice(1).some((x) => this.value(x, s, line) === first);
        return a.fn === 'eq' ? equal : !equal;
      }
      default: {
        if (args.length !== 1) throw this.err(line, 'len takes one argument');
        const v = this.value(args[0] as Arg, s, line);
        if (typeof v === 'string' || Array.isArray(v)) return v.length;
        if (v !== null && typeof v === 'object') return Object.keys(v).length;
        throw this.err(line, 'len of a value without length');
      }
    }
  }

  private print(v: TemplateValue, line: number): string {
    if (v === null) return '<nil>';
    if (Array.isArray(v)) return `[${v.map((x) => this.print(x, line)).join(' ')}]`;
    if (typeof v === 'object') throw this.err(line, 'printing a map is not supported');
    return String(v);
  }

  private emit(s: string): void {
    this.out += s;
    if (this.out.length > MAX_OUTPUT_CHARS) throw this.err(0, `output over ${MAX_OUTPUT_CHARS} characters`);
  }

  walk(nodes: TemplateNode[], s: Scope): void {
    for (const n of nodes) {
      switch (n.t) {
        case 'text':
          this.emit(n.text);
          break;
        case 'print':
          this.emit(this.print(this.value(n.arg, s, n.line), n.line));
          break;
        case 'if':
          this.walk(isTrue(this.value(n.cond, s, n.line)) ? n.body : n.else, {
            dot: s.dot,
            vars: new Map(s.vars),
          });
          break;
        case 'with': {
          const v = this.value(n.cond, s, n.line);
          if (isTrue(v)) this.walk(n.body, { dot: v, vars: new Map(s.vars) });
          else this.walk(n.else, { dot: s.dot, vars: new Map(s.vars) });
          break;
        }
        case 'range': {
          const v = this.value(n.over, s, n.line);
          let entries: [TemplateValue, TemplateValue][];
          if (v === null) entries = [];
          else if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
          else if (typeof v === 'object')
            entries = Object.keys(v)
              .sort()
              .map((k) => [k, v[k] as TemplateValue]);
          else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
            throw this.err(n.line, 'range over an integer is not supported');
          } else throw this.err(n.line, `range can't iterate over ${this.print(v, n.line)}`);
          if (entries.length === 0) {
            this.walk(n.else, { dot: s.dot, vars: new Map(s.vars) });
            break;
          }
          for (const [k, x] of entries) {
            const vars = new Map(s.vars);
            if (n.keyVar) vars.set(n.keyVar, k);
            if (n.valVar) vars.set(n.valVar, x);
            this.walk(n.body, { dot: x, vars });
          }
          break;
        }
      }
    }
  }

  result(): string {
    return this.out;
  }
}

/** Renders parsed or raw template text with `data` as dot (and as `$`). */
export function renderTemplate(
  template: string | TemplateNode[],
  data: TemplateData,
  name = 'template',
): string {
  const tree = typeof template === 'string' ? parseTemplate(template, name) : template;
  const r = new Renderer(name);
  r.walk(tree, { dot: data, vars: new Map([['$', data]]) });
  return r.result();
}
