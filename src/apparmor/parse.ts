// Reads AppArmor profile text (the subset container profiles use) into a structure for linting.
//
// Written from the apparmor.d(5) grammar of AppArmor 3.0 and checked against apparmor_parser 3.0.8:
// preamble (abi, includes, @{VAR} assignments, alias), profile blocks (`profile NAME [ATTACH]
// [flags=(...)] {`, `/path {`, hats and child profiles), and the rules capability, network, file
// (both `PATH PERMS` and `PERMS PATH` forms, `file,`, `link`), mount, remount, umount, pivot_root,
// signal, ptrace, dbus, unix, change_profile, rlimit, each with audit/deny/allow/owner/other
// qualifiers. A statement it does not understand becomes an `unknown` rule plus an issue, never an
// exception: the input is hostile. Size, statement count and nesting are capped.

import { UserError } from '../errors.js';

export const MAX_PROFILE_CHARS = 4 * 1024 * 1024;
const MAX_STATEMENTS = 200_000;
const MAX_NESTING = 16;

export interface AaInclude {
  path: string;
  /** `<file>` (searched in the include dirs) rather than `"file"`. */
  angle: boolean;
  ifExists: boolean;
  line: number;
}

export interface AaVariable {
  name: string;
  values: string[];
  append: boolean;
  line: number;
}

export interface AaQualifiers {
  audit: boolean;
  deny: boolean;
  allow: boolean;
  owner: boolean;
  other: boolean;
}

interface RuleBase extends AaQualifiers {
  line: number;
  /** The statement as written (one line, without its trailing comma). */
  text: string;
}

export interface AaFileRule extends RuleBase {
  kind: 'file';
  /** Undefined for the bare `file,` rule (all file access). */
  path?: string;
  perms: string;
  /** The profile named after `->` for an exec transition. */
  target?: string;
}
export interface AaLinkRule extends RuleBase {
  kind: 'link';
  subset: boolean;
  path: string;
  target: string;
}
export interface AaCapabilityRule extends RuleBase {
  kind: 'capability';
  /** Empty for `capability,` (every capability). */
  caps: string[];
}
export interface AaNetworkRule extends RuleBase {
  kind: 'network';
  /** The words after `network` (domain, type, protocol), empty for `network,`. */
  words: string[];
}
export interface AaPeerRule extends RuleBase {
  kind: 'signal' | 'ptrace';
  /** Access words (`send`, `receive`, `trace`, `readby`...); empty means all. */
  perms: string[];
  /** Signal names from `set=(...)` (signal rules only). */
  set: string[];
  peer?: string;
}
export interface AaGenericRule extends RuleBase {
  kind:
    | 'mount'
    | 'remount'
    | 'umount'
    | 'pivot_root'
    | 'dbus'
    | 'unix'
    | 'change_profile'
    | 'rlimit'
    | 'unknown';
  /** The statement after its keyword. */
  args: string;
}
export type AaRule = AaFileRule | AaLinkRule | AaCapabilityRule | AaNetworkRule | AaPeerRule | AaGenericRule;

export interface AaProfile {
  name: string;
  attachment?: string;
  flags: string[];
  /** A `^hat` or `hat NAME` block. */
  hat: boolean;
  line: number;
  includes: AaInclude[];
  variables: AaVariable[];
  rules: AaRule[];
  children: AaProfile[];
}

export interface AaIssue {
  line: number;
  message: string;
}

export interface AaPolicyText {
  abi?: string;
  includes: AaInclude[];
  variables: AaVariable[];
  aliases: { from: string; to: string; line: number }[];
  profiles: AaProfile[];
  issues: AaIssue[];
}

type Stmt =
  | { t: 'rule'; text: string; line: number; terminated: boolean }
  | { t: 'open'; text: string; line: number }
  | { t: 'close'; line: number }
  | { t: 'directive'; text: string; line: number };

const WS = /\s/;
const VAR_ASSIGN = /^@\{[^}\s]*\}\s*\+?=/;

/** Splits text into statements: rules ending in ',', block headers ending in '{', '}', and line directives. */
function statements(text: string, issues: AaIssue[]): Stmt[] {
  const out: Stmt[] = [];
  let buf = '';
  let bufLine = 1;
  let line = 1;
  let tokenBraces = 0;
  let parens = 0;
  let quoted = false;
  const push = (s: Stmt): void => {
    if (out.length >= MAX_STATEMENTS) throw new UserError(`more than ${MAX_STATEMENTS} statements`);
    out.push(s);
  };
  // Whether the statement is a line directive or a variable assignment is decided by its first
  // characters; cached once the statement is long, so long statements stay linear.
  let headKind: { directive: boolean; assign: boolean } | undefined;
  const head = (): { directive: boolean; assign: boolean } => {
    if (headKind) return headKind;
    const h = buf.length > 256 ? buf.slice(0, 256) : buf;
    const k = { directive: /^#include\b|^include\b/.test(h), assign: VAR_ASSIGN.test(h) };
    if (buf.length > 256) headKind = k;
    return k;
  };
  const reset = (): void => {
    buf = '';
    tokenBraces = 0;
    parens = 0;
    headKind = undefined;
  };
  const add = (c: string): void => {
    if (buf === '' && WS.test(c)) return;
    if (buf === '') bufLine = line;
    buf += c;
  };
  const isDirective = (): boolean => {
    const k = head();
    return k.directive || k.assign;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      buf += c;
      if (c === '\\' && i + 1 < text.length) {
        buf += text[++i];
      } else if (c === '"') quoted = false;
      else if (c === '\n') line++;
      continue;
    }
    if (c === '\n') {
      if (buf !== '' && isDirective()) {
        push({ t: 'directive', text: buf.trim(), line: bufLine });
        reset();
      } else if (buf !== '') buf += ' ';
      line++;
      continue;
    }
    if (c === '#' && (buf === '' || WS.test(buf[buf.length - 1] as string))) {
      if (buf === '' && text.startsWith('#include', i)) {
        bufLine = line;
        buf = '#';
        continue;
      }
      const eol = text.indexOf('\n', i);
      i = (eol < 0 ? text.length : eol) - 1;
      continue;
    }
    if (c === '"') {
      quoted = true;
      add(c);
      continue;
    }
    if (c === '(') parens++;
    else if (c === ')') parens = Math.max(0, parens - 1);
    if (
      c === '{' &&
      parens === 0 &&
      tokenBraces === 0 &&
      (buf === '' || WS.test(buf[buf.length - 1] as string))
    ) {
      push({ t: 'open', text: buf.trim(), line: buf === '' ? line : bufLine });
      reset();
      continue;
    }
    if (c === '{') tokenBraces++;
    if (c === '}') {
      if (tokenBraces > 0) tokenBraces--;
      else {
        if (buf.trim() !== '') {
          if (isDirective()) push({ t: 'directive', text: buf.trim(), line: bufLine });
          else push({ t: 'rule', text: buf.trim(), line: bufLine, terminated: false });
        }
        push({ t: 'close', line });
        reset();
        continue;
      }
    }
    if (c === ',' && parens === 0 && tokenBraces === 0 && !head().assign) {
      push({ t: 'rule', text: buf.trim(), line: bufLine, terminated: true });
      reset();
      continue;
    }
    add(c);
  }
  if (quoted) issues.push({ line: bufLine, message: 'unterminated quoted string' });
  if (buf.trim() !== '') {
    if (isDirective()) push({ t: 'directive', text: buf.trim(), line: bufLine });
    else push({ t: 'rule', text: buf.trim(), line: bufLine, terminated: false });
  }
  return out;
}

/** Splits a statement into words; quoted strings and parenthesised groups stay whole. */
export function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let parens = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quoted) {
      cur += c;
      if (c === '\\' && i + 1 < s.length) cur += s[++i];
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    if (c === '(') parens++;
    if (c === ')') parens = Math.max(0, parens - 1);
    if (WS.test(c) && parens === 0) {
      if (cur) out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** A quoted string's content (escapes resolved); other words unchanged. */
export function unquote(w: string): string {
  if (w.length >= 2 && w.startsWith('"') && w.endsWith('"')) return w.slice(1, -1).replace(/\\(.)/g, '$1');
  return w;
}

function parseInclude(text: string, line: number): AaInclude | undefined {
  const m = /^#?include(\s+if\s+exists)?\s*(?:<([^>]*)>|"((?:[^"\\]|\\.)*)"|(\S+))\s*$/.exec(text);
  if (!m) return undefined;
  const angle = m[2] !== undefined;
  return { path: (m[2] ?? m[3] ?? m[4] ?? '').trim(), angle, ifExists: !!m[1], line };
}

function parseVariable(text: string, line: number): AaVariable | undefined {
  const m = /^@\{([^}\s]*)\}\s*(\+?)=\s*(.*)$/.exec(text);
  if (!m) return undefined;
  return { name: m[1] as string, values: words(m[3] as string).map(unquote), append: m[2] === '+', line };
}

const QUALIFIERS = new Set(['audit', 'deny', 'allow', 'owner', 'other']);
const FILE_PERM = /^[rwaxmlkiupcPUCDd]+$/;
const PERM_WORD = /^(?:[rwalkm]|[iupcUPC]*x|[pPcC]?i?x)+$/;

function isPathWord(w: string): boolean {
  return w.startsWith('/') || w.startsWith('@{') || w.startsWith('"/') || w.startsWith('"@{');
}

const MOUNT_KEYS = new Set(['options', 'option', 'fstype', 'vfstype', 'oldroot']);

/** A word a mount-family rule may hold: a path, `->`, `in`, a condition key or `key=value`, a group. */
function isMountWord(w: string): boolean {
  if (isPathWord(w) || w === '->' || w === 'in' || w === '=' || (w.startsWith('(') && w.endsWith(')')))
    return true;
  const key = /^([a-z_]+)\s*(?:=|\bin\b)?/.exec(w)?.[1];
  return key !== undefined && MOUNT_KEYS.has(key);
}

/** Access words of `(a, b)` or `a` or `(a b)`. */
function accessList(w: string): string[] {
  return w
    .replace(/^\(|\)$/g, '')
    .split(/[\s,]+/)
    .filter(Boolean);
}

function parseRule(text: string, line: number, issues: AaIssue[]): AaRule {
  const ws = words(text);
  const q: AaQualifiers = { audit: false, deny: false, allow: false, owner: false, other: false };
  let i = 0;
  while (i < ws.length && QUALIFIERS.has(ws[i] as string)) {
    q[ws[i] as keyof AaQualifiers] = true;
    i++;
  }
  // Statements may span lines: show them as one line.
  const base = { ...q, line, text: text.replace(/\s+/g, ' ') };
  const kw = ws[i];
  const rest = ws.slice(i + 1);
  const args = rest.join(' ');
  const unknown = (why: string): AaGenericRule => {
    issues.push({ line, message: `${why}: ${text.slice(0, 120)}` });
    return { ...base, kind: 'unknown', args: ws.slice(i).join(' ') };
  };
  if (kw === undefined) return unknown('empty rule');
  switch (kw) {
    case 'capability': {
      const caps = rest.map((c) => c.toLowerCase());
      if (!caps.every((c) => /^[a-z_]+$/.test(c))) return unknown('bad capability rule');
      return { ...base, kind: 'capability', caps };
    }
    case 'network':
      return { ...base, kind: 'network', words: rest.map((w) => w.toLowerCase()) };
    case 'signal':
    case 'ptrace': {
      const r: AaPeerRule = { ...base, kind: kw, perms: [], set: [] };
      for (const w of rest) {
        const eq = w.indexOf('=');
        if (eq < 0) r.perms.push(...accessList(w));
        else {
          const key = w.slice(0, eq);
          const val = w.slice(eq + 1);
          if (key === 'peer') r.peer = unquote(val);
          else if (key === 'set') r.set.push(...accessList(val).map(unquote));
          else if (key === 'access' || key === 'accesses') r.perms.push(...accessList(val));
          else return unknown(`unknown ${kw} condition ${key}`);
        }
      }
      return r;
    }
    case 'mount':
    case 'remount':
    case 'umount':
    case 'unmount':
    case 'pivot_root': {
      const bad = rest.find((w) => !isMountWord(w));
      if (bad !== undefined) return unknown(`${kw} rule with unexpected ${JSON.stringify(bad.slice(0, 40))}`);
      return { ...base, kind: kw === 'unmount' ? 'umount' : kw, args };
    }
    case 'dbus':
    case 'unix':
    case 'change_profile':
      return { ...base, kind: kw, args };
    case 'set':
      if (rest[0] === 'rlimit') return { ...base, kind: 'rlimit', args: rest.slice(1).join(' ') };
      return unknown('unknown set statement');
    case 'link': {
      const subset = rest[0] === 'subset';
      const r = subset ? rest.slice(1) : rest;
      if (r.length !== 3 || r[1] !== '->') return unknown('bad link rule');
      return {
        ...base,
        kind: 'link',
        subset,
        path: unquote(r[0] as string),
        target: unquote(r[2] as string),
      };
    }
    case 'file':
      if (rest.length === 0) return { ...base, kind: 'file', perms: '' };
      return fileRule(base, rest, line, issues) ?? unknown('bad file rule');
    default:
      if (isPathWord(kw) || FILE_PERM.test(kw))
        return fileRule(base, ws.slice(i), line, issues) ?? unknown('bad file rule');
      return unknown('rule not understood');
  }
}

/** `PATH PERMS [-> TARGET]` or `PERMS PATH [-> TARGET]`. */
function fileRule(base: RuleBase, ws: string[], line: number, issues: AaIssue[]): AaFileRule | undefined {
  const [a, b, arrow, target] = ws;
  if (a === undefined || b === undefined) return undefined;
  if (ws.length !== 2 && !(ws.length === 4 && arrow === '->')) return undefined;
  let path: string;
  let perms: string;
  if (isPathWord(a) && PERM_WORD.test(b)) [path, perms] = [a, b];
  else if (isPathWord(b) && PERM_WORD.test(a)) [path, perms] = [b, a];
  else return undefined;
  const r: AaFileRule = { ...base, kind: 'file', path: unquote(path), perms };
  if (target !== undefined) r.target = unquote(target);
  if (!perms.includes('x') && target !== undefined)
    issues.push({ line, message: 'exec target on a rule without x' });
  return r;
}

interface Header {
  name: string;
  attachment?: string;
  flags: string[];
  hat: boolean;
}

function parseHeader(text: string): Header | undefined {
  const ws = words(text);
  let flags: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i] as string;
    const m = /^flags\s*=\s*\((.*)\)$/.exec(w);
    if (m) flags = accessList(`(${m[1] as string})`);
    else if (w === 'flags=' || w === 'flags' || w === '=') {
      // `flags = (complain)` written with spaces: the group is the next word
    } else if (w.startsWith('(') && w.endsWith(')')) flags = accessList(w);
    else rest.push(w);
  }
  const [first, second, third] = rest;
  if (first === undefined) return undefined;
  if (first === 'profile' || first === 'hat') {
    if (second === undefined || rest.length > 3) return undefined;
    const h: Header = { name: unquote(second), flags, hat: first === 'hat' };
    if (third !== undefined) h.attachment = unquote(third);
    return h;
  }
  if (rest.length !== 1) return undefined;
  if (first.startsWith('^')) return { name: first.slice(1), flags, hat: true };
  if (isPathWord(first) || first.startsWith(':'))
    return { name: unquote(first), attachment: unquote(first), flags, hat: false };
  return undefined;
}

function emptyProfile(h: Header, line: number): AaProfile {
  const p: AaProfile = {
    name: h.name,
    flags: h.flags,
    hat: h.hat,
    line,
    includes: [],
    variables: [],
    rules: [],
    children: [],
  };
  if (h.attachment !== undefined) p.attachment = h.attachment;
  return p;
}

/**
 * Parses profile text. Structural problems the parser can recover from (an unknown rule, a missing
 * comma, an unbalanced brace) are reported in `issues`; only oversized input throws (UserError).
 */
export function parseAppArmor(text: string, where = 'profile'): AaPolicyText {
  if (text.length > MAX_PROFILE_CHARS) {
    throw new UserError(
      `${where}: larger than ${MAX_PROFILE_CHARS} characters; AppArmor profiles that large are refused`,
    );
  }
  const res: AaPolicyText = { includes: [], variables: [], aliases: [], profiles: [], issues: [] };
  let stmts: Stmt[];
  try {
    stmts = statements(text, res.issues);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${where}: ${e.message}`);
    throw e;
  }
  const stack: AaProfile[] = [];
  // Blocks that are not profiles (conditionals, unknown headers) still need their '}' matched.
  const opaque: number[] = [];
  for (const s of stmts) {
    const cur = stack[stack.length - 1];
    if (s.t === 'open') {
      if (stack.length + opaque.length >= MAX_NESTING) {
        throw new UserError(`${where}:${s.line}: blocks nested more than ${MAX_NESTING} deep`);
      }
      const h = parseHeader(s.text);
      if (h && opaque.length === 0) {
        const p = emptyProfile(h, s.line);
        (cur ? cur.children : res.profiles).push(p);
        stack.push(p);
      } else {
        res.issues.push({ line: s.line, message: `block not understood: ${s.text.slice(0, 120)} {` });
        opaque.push(s.line);
      }
    } else if (s.t === 'close') {
      if (opaque.length > 0) opaque.pop();
      else if (stack.length > 0) stack.pop();
      else res.issues.push({ line: s.line, message: "'}' without an open block" });
    } else if (s.t === 'directive') {
      const inc = parseInclude(s.text, s.line);
      const v = inc ? undefined : parseVariable(s.text, s.line);
      if (inc) (cur ? cur.includes : res.includes).push(inc);
      else if (v) (cur ? cur.variables : res.variables).push(v);
      else res.issues.push({ line: s.line, message: `directive not understood: ${s.text.slice(0, 120)}` });
    } else {
      if (!s.terminated)
        res.issues.push({ line: s.line, message: `missing ',' after: ${s.text.slice(0, 120)}` });
      if (opaque.length > 0) continue;
      const abi = /^abi\s*(?:<([^>]*)>|"([^"]*)")$/.exec(s.text);
      if (abi && !cur) {
        res.abi = (abi[1] ?? abi[2] ?? '').trim();
        continue;
      }
      const alias = /^alias\s+(\S+)\s+->\s+(\S+)$/.exec(s.text);
      if (alias && !cur) {
        res.aliases.push({ from: alias[1] as string, to: alias[2] as string, line: s.line });
        continue;
      }
      if (!cur) {
        res.issues.push({ line: s.line, message: `rule outside any profile: ${s.text.slice(0, 120)}` });
        continue;
      }
      cur.rules.push(parseRule(s.text, s.line, res.issues));
    }
  }
  if (stack.length > 0) {
    const p = stack[stack.length - 1] as AaProfile;
    res.issues.push({ line: p.line, message: `profile ${p.name} is not closed with '}'` });
  }
  return res;
}

/** Every profile in the text, children and hats included, depth first. */
export function allProfiles(doc: AaPolicyText): AaProfile[] {
  const out: AaProfile[] = [];
  const stack = [...doc.profiles].reverse();
  while (stack.length > 0) {
    const p = stack.pop() as AaProfile;
    out.push(p);
    for (let i = p.children.length - 1; i >= 0; i--) stack.push(p.children[i] as AaProfile);
  }
  return out;
}
