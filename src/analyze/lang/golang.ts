// Go: go.mod. Reported: every `require`d module (single-line and block form), `// indirect` ones
// flagged, with `replace` directives applied the way the go command does (a replacement naming the
// required version wins over one for any version; a replacement by a directory drops the module,
// which is then the project's own code). `exclude`, `retract` and the rest do not change what is
// required; the module itself is not reported. Versions stay as go.mod writes them ("v1.2.3"), like
// the Go binary analyzer's.
//
// Syntax (go.mod reference): one directive per line, or "verb (" ... ")" blocks of lines; tokens
// are identifiers or quoted strings ("..." with Go escapes, `raw`); "//" starts a comment.
// Before Go 1.17, go.mod listed only some indirect dependencies (go.sum, which knows more, is a
// separate file and is not read here).

import type { LangAnalyzer, LangPackage } from './types.js';

export interface GoMod {
  module?: string;
  go?: string;
  require: { path: string; version: string; indirect: boolean }[];
  replace: { oldPath: string; oldVersion?: string; newPath: string; newVersion?: string }[];
}

/** Tokens of one line and its trailing comment (without "//"). */
function lexLine(line: string, lineNo: number): { tokens: string[]; comment: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (line.startsWith('//', i)) return { tokens, comment: line.slice(i + 2).trim() };
    if (c === '(' || c === ')') {
      tokens.push(c);
      i++;
      continue;
    }
    if (line.startsWith('=>', i)) {
      tokens.push('=>');
      i += 2;
      continue;
    }
    if (c === '"' || c === '`') {
      const s = readQuoted(line, i);
      if (!s) throw new Error(`line ${lineNo}: unterminated string`);
      tokens.push(s.value);
      i = s.end;
      continue;
    }
    let j = i;
    while (j < line.length && !' \t\r()"`'.includes(line[j] as string) && !line.startsWith('//', j)) {
      if (line.startsWith('=>', j) && j > i) break;
      j++;
    }
    tokens.push(line.slice(i, j));
    i = j;
  }
  return { tokens, comment: '' };
}

function readQuoted(line: string, start: number): { value: string; end: number } | undefined {
  const q = line[start];
  if (q === '`') {
    const end = line.indexOf('`', start + 1);
    return end < 0 ? undefined : { value: line.slice(start + 1, end), end: end + 1 };
  }
  let out = '';
  for (let i = start + 1; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '"') return { value: out, end: i + 1 };
    if (c === '\\' && i + 1 < line.length) {
      const e = line[++i] as string;
      out += ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[e] ?? e;
    } else out += c;
  }
  return undefined;
}

/** "// indirect" or "// indirect; more words" marks a requirement the module does not import. */
function isIndirect(comment: string): boolean {
  return comment === 'indirect' || comment.startsWith('indirect;');
}

function directive(mod: GoMod, verb: string, args: string[], comment: string): void {
  switch (verb) {
    case 'module':
      if (args[0]) mod.module = args[0];
      break;
    case 'go':
      if (args[0]) mod.go = args[0];
      break;
    case 'require':
      if (args.length >= 2 && args[0] && args[1])
        mod.require.push({ path: args[0], version: args[1], indirect: isIndirect(comment) });
      break;
    case 'replace': {
      const arrow = args.indexOf('=>');
      if (arrow !== 1 && arrow !== 2) break;
      const oldPart = args.slice(0, arrow);
      const newPart = args.slice(arrow + 1);
      if (newPart.length < 1 || newPart.length > 2 || !oldPart[0] || !newPart[0]) break;
      const r: GoMod['replace'][number] = { oldPath: oldPart[0], newPath: newPart[0] };
      if (oldPart[1]) r.oldVersion = oldPart[1];
      if (newPart[1]) r.newVersion = newPart[1];
      mod.replace.push(r);
      break;
    }
    // exclude, retract, toolchain, godebug, tool, ignore and directives of later Go versions: not
    // about what is required.
  }
}

export function parseGoMod(text: string): GoMod {
  const mod: GoMod = { require: [], replace: [] };
  let block: string | undefined;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const { tokens, comment } = lexLine(lines[n] as string, n + 1);
    if (tokens.length === 0) continue;
    if (block !== undefined) {
      if (tokens[0] === ')') block = undefined;
      else directive(mod, block, tokens, comment);
      continue;
    }
    const [verb, ...args] = tokens as [string, ...string[]];
    if (args[0] === '(') {
      if (args[1] !== ')') block = verb; // "verb ()" is an empty block
      continue;
    }
    directive(mod, verb, args, comment);
  }
  if (!mod.module) throw new Error('no module directive');
  return mod;
}

/** A replacement by a directory ("./x", "../x", "/abs", Windows paths) has no version. */
function replacementFor(mod: GoMod, path: string, version: string) {
  return (
    mod.replace.find((r) => r.oldPath === path && r.oldVersion === version) ??
    mod.replace.find((r) => r.oldPath === path && r.oldVersion === undefined)
  );
}

/** The modules a go.mod requires, replacements applied. */
export function goModPackages(mod: GoMod): LangPackage[] {
  const out: LangPackage[] = [];
  for (const req of mod.require) {
    const r = replacementFor(mod, req.path, req.version);
    if (r && !r.newVersion) continue;
    out.push({
      name: r ? r.newPath : req.path,
      version: r ? (r.newVersion as string) : req.version,
      indirect: req.indirect,
    });
  }
  return out;
}

export const goModAnalyzer: LangAnalyzer = {
  name: 'gomod',
  version: 1,
  lang: { type: 'gomod', purlType: 'golang' },
  maxFileSize: 8 * 1024 * 1024,
  prefilter: { names: ['go.mod'] },
  // The module cache (GOPATH/pkg/mod) and vendor directories hold the go.mod files of dependencies.
  matches: (path) =>
    (path === 'go.mod' || path.endsWith('/go.mod')) &&
    !path.includes('pkg/mod/') &&
    !path.startsWith('vendor/') &&
    !path.includes('/vendor/'),
  async analyze(file) {
    return goModPackages(parseGoMod((await file.read()).toString('utf8')));
  },
};
