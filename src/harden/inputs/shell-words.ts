// POSIX shell word splitting for pasted `docker run` command lines: quotes, escapes, continuations
// and comments, without running anything (parameter and command substitutions stay literal).

import { UserError } from '../../errors.js';

/** The longest command text read; a pasted command line is a few KiB at most. */
export const MAX_SHELL_INPUT = 1024 * 1024;

/** One word as the shell sees it: its value after quote removal and its spelling in the input. */
export interface ShellWord {
  value: string;
  /** The word exactly as written (quotes, escapes and substitutions included, continuations removed). */
  raw: string;
  /** 1-based line where the word starts. */
  line: number;
}

/** A simple command: its words and the line it starts on. */
export interface ShellCommand {
  words: ShellWord[];
  line: number;
}

const OPERATOR_CHARS = new Set([';', '&', '|', '<', '>', '(', ')']);

/**
 * Splits shell text into simple commands. Newlines, `;`, `&&` and `||` separate commands; pipes,
 * background `&`, redirections and subshells are refused, since a docker command cut out of such a
 * construct would be misleading to audit.
 */
export function splitShellCommands(text: string): ShellCommand[] {
  if (text.length > MAX_SHELL_INPUT)
    throw new UserError(`command text is ${text.length} characters; more than ${MAX_SHELL_INPUT} is refused`);
  const commands: ShellCommand[] = [];
  let words: ShellWord[] = [];
  let cmdLine = 1;
  let line = 1;
  let i = 0;
  const n = text.length;

  const endCommand = () => {
    if (words.length > 0) commands.push({ words, line: cmdLine });
    words = [];
  };

  while (i < n) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\n') {
      endCommand();
      line++;
      i++;
      continue;
    }
    if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      // A continuation between words joins the lines.
      i += text[i + 1] === '\n' ? 2 : 3;
      line++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (OPERATOR_CHARS.has(c)) {
      const two = text.slice(i, i + 2);
      if (c === ';' || two === '&&' || two === '||') {
        endCommand();
        i += c === ';' ? 1 : 2;
        continue;
      }
      throw new UserError(
        `line ${line}: unquoted "${c}" (a pipe, redirection, subshell or background job) is not supported; give one plain command`,
      );
    }
    if (words.length === 0) cmdLine = line;
    const startLine = line;
    const r = readWord(text, i, line);
    words.push({ value: r.value, raw: r.raw, line: startLine });
    i = r.end;
    line = r.line;
  }
  endCommand();
  return commands;
}

/**
 * Splits one command line into words. Text with several commands (separated by a newline, `;`,
 * `&&` or `||`) is refused, so two pasted commands are never read as one.
 */
export function splitShellWords(line: string): string[] {
  return splitShellWordsRaw(line).map((w) => w.value);
}

/** splitShellWords with each word's original spelling, for renderers that keep the user's text. */
export function splitShellWordsRaw(line: string): ShellWord[] {
  const cmds = splitShellCommands(line);
  if (cmds.length > 1)
    throw new UserError(
      `the text holds ${cmds.length} commands (lines ${cmds[0]?.line} and ${cmds[1]?.line}); give one command`,
    );
  return cmds[0]?.words ?? [];
}

interface WordRead {
  value: string;
  raw: string;
  end: number;
  line: number;
}

function isWordEnd(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || OPERATOR_CHARS.has(c);
}

/** Reads one word starting at `start`; every loop advances `i`, so the work is linear in the input. */
function readWord(text: string, start: number, startLine: number): WordRead {
  const n = text.length;
  let i = start;
  let line = startLine;
  let value = '';
  let raw = '';
  while (i < n) {
    const c = text[i] as string;
    // A carriage return is whitespace, so CRLF text splits like LF text.
    if (isWordEnd(c)) break;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) {
        i++;
        continue;
      }
      if (next === '\n' || (next === '\r' && text[i + 2] === '\n')) {
        i += next === '\n' ? 2 : 3;
        line++;
        continue;
      }
      value += next;
      raw += c + next;
      i += 2;
      continue;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) throw new UserError(`line ${line}: unterminated single quote`);
      const body = text.slice(i + 1, close);
      value += body;
      raw += text.slice(i, close + 1);
      line += countNewlines(body);
      i = close + 1;
      continue;
    }
    if (c === '"') {
      const r = readDoubleQuoted(text, i, line);
      value += r.value;
      raw += r.raw;
      i = r.end;
      line = r.line;
      continue;
    }
    if (c === '$' && (text[i + 1] === '(' || text[i + 1] === '{')) {
      const r = readSubstitution(text, i, line);
      value += r.raw;
      raw += r.raw;
      i = r.end;
      line = r.line;
      continue;
    }
    if (c === '`') {
      const r = readBackquoted(text, i, line);
      value += r.raw;
      raw += r.raw;
      i = r.end;
      line = r.line;
      continue;
    }
    value += c;
    raw += c;
    i++;
  }
  return { value, raw, end: i, line };
}

function countNewlines(s: string): number {
  let k = 0;
  for (let j = s.indexOf('\n'); j >= 0; j = s.indexOf('\n', j + 1)) k++;
  return k;
}

/** Inside double quotes only \\ \" \$ \` and backslash-newline are escapes; other backslashes stay. */
function readDoubleQuoted(text: string, start: number, startLine: number): WordRead {
  const n = text.length;
  let i = start + 1;
  let line = startLine;
  let value = '';
  let raw = '"';
  while (i < n) {
    const c = text[i] as string;
    if (c === '"') return { value, raw: `${raw}"`, end: i + 1, line };
    if (c === '\\') {
      const next = text[i + 1];
      if (next === '\n') {
        i += 2;
        line++;
        continue;
      }
      if (next === '\\' || next === '"' || next === '$' || next === '`') {
        value += next;
        raw += c + next;
        i += 2;
        continue;
      }
      value += c;
      raw += c;
      i++;
      continue;
    }
    if (c === '$' && (text[i + 1] === '(' || text[i + 1] === '{')) {
      const r = readSubstitution(text, i, line);
      value += r.raw;
      raw += r.raw;
      i = r.end;
      line = r.line;
      continue;
    }
    if (c === '`') {
      const r = readBackquoted(text, i, line);
      value += r.raw;
      raw += r.raw;
      i = r.end;
      line = r.line;
      continue;
    }
    if (c === '\n') line++;
    value += c;
    raw += c;
    i++;
  }
  throw new UserError(`line ${startLine}: unterminated double quote`);
}

/**
 * `$(...)` or `${...}`, copied verbatim up to the matching close, so that the spaces and quotes
 * inside a substitution do not split the word. Nesting is tracked with a counter, not recursion.
 */
function readSubstitution(text: string, start: number, startLine: number): WordRead {
  const open = text[start + 1] as string;
  const close = open === '(' ? ')' : '}';
  const n = text.length;
  let depth = 1;
  let i = start + 2;
  let line = startLine;
  let quote: string | undefined;
  while (i < n) {
    const c = text[i] as string;
    if (c === '\n') line++;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '\\') i++;
    else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === open) depth++;
    else if (c === close) {
      depth--;
      if (depth === 0) {
        const raw = text.slice(start, i + 1);
        return { value: raw, raw, end: i + 1, line };
      }
    }
    i++;
  }
  throw new UserError(`line ${startLine}: unterminated "$${open}" substitution`);
}

function readBackquoted(text: string, start: number, startLine: number): WordRead {
  const n = text.length;
  let i = start + 1;
  let line = startLine;
  while (i < n) {
    const c = text[i] as string;
    if (c === '\n') line++;
    if (c === '\\') i++;
    else if (c === '`') {
      const raw = text.slice(start, i + 1);
      return { value: raw, raw, end: i + 1, line };
    }
    i++;
  }
  throw new UserError(`line ${startLine}: unterminated backquote`);
}

/** Characters that never need quoting in a shell word. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes a word for a POSIX shell: as is when safe, in single quotes otherwise. A word holding a
 * `$` or a backquote is double-quoted instead, so a kept `$(pwd)` or `$HOME` still expands.
 */
export function shellQuote(word: string): string {
  if (/[$`]/.test(word) && !/[\n]/.test(word) && !SAFE_WORD.test(word))
    return `"${word.replace(/["\\]/g, '\\$&')}"`;
  return shellQuoteLiteral(word);
}

/** Quotes a word so the shell passes it on unchanged: `$` and backquotes included. */
export function shellQuoteLiteral(word: string): string {
  if (word !== '' && SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
