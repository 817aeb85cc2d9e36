// Python lockfiles and requirement files: requirements*.txt (pip), Pipfile.lock (pipenv),
// poetry.lock (poetry), uv.lock (uv) and pylock.toml (PEP 751).

import { isObj } from '../../util/json.js';
import { isTomlTable, parseToml, type TomlTable, type TomlValue } from '../../util/toml-lite.js';
import type { LangAnalyzer, LangPackage } from './types.js';

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Files inside installed packages describe a library's own dependencies, not what the image installs. */
function insideInstalledPackages(path: string): boolean {
  return /(?:^|\/)(?:site-packages|dist-packages|node_modules)\//.test(path);
}

/** Text of a requirements file: UTF-8, or UTF-16 when a byte-order mark says so (as pip decodes). */
export function decodeText(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const le = Buffer.from(buf.subarray(2, buf.length - (buf.length % 2)));
    le.swap16();
    return le.toString('utf16le');
  }
  const s = buf.toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

// ---------------------------------------------------------------------------------------------
// requirements.txt
//
// Lines are read the way pip reads a requirements file: backslash continuations are joined
// (a comment line ends a continuation), comments are cut, a line's options (tokens from the first
// one starting with "-") are dropped, and "-r", "-c", "-e", "--index-url"... lines yield nothing.
// What is left must be a PEP 508 requirement, parsed with the grammar of the `packaging` library,
// pinned by exactly one "==" or "===" specifier without a wildcard. Unlike pip, which rejects the
// whole file, a line that is not a valid requirement is skipped, options are not validated, and
// "#" starts a comment even without a space before it ("Jinja2==3.0.0#comment", seen in the wild).

/** Longest logical line considered; longer ones are not requirements anyone wrote. */
const MAX_REQ_LINE = 1024 * 1024;
/** Deepest parenthesised environment marker accepted. */
const MAX_MARKER_DEPTH = 32;

/** Python's str.splitlines() boundaries. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Python splits lines on these control characters
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

function eachPhysicalLine(text: string, fn: (line: string) => void): void {
  const re = new RegExp(LINE_BREAK);
  let start = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    fn(text.slice(start, m.index));
    start = m.index + m[0].length;
  }
  if (start < text.length) fn(text.slice(start));
}

/** A comment line, as pip sees it: "#" at the start or after leading whitespace. */
const COMMENT_LINE = /^\s*#/;

/** pip's join of "\"-continued lines; a comment line ends the join. Over-long lines come out empty. */
function eachLogicalLine(text: string, fn: (line: string) => void): void {
  let parts: string[] = [];
  let length = 0;
  eachPhysicalLine(text, (line) => {
    const comment = COMMENT_LINE.test(line);
    if (!line.endsWith('\\') || comment) {
      const l = comment ? ` ${line}` : line;
      if (parts.length) {
        parts.push(l);
        fn(length + l.length > MAX_REQ_LINE ? '' : parts.join(''));
        parts = [];
        length = 0;
      } else {
        fn(l.length > MAX_REQ_LINE ? '' : l);
      }
    } else {
      // pip strips backslashes from both ends of a continued line
      const l = line.replace(/^\\+|\\+$/g, '');
      if (length <= MAX_REQ_LINE) parts.push(l);
      length += l.length;
    }
  });
  if (parts.length) fn(length > MAX_REQ_LINE ? '' : parts.join(''));
}

/** Python's \w: letters, digits (any script) and underscore. */
const WORD = /[\p{L}\p{N}_]/u;
function isWord(ch: string | undefined): boolean {
  return ch !== undefined && WORD.test(ch);
}

/** A token that must sit between word boundaries, like the `\b...\b` tokens of `packaging`. */
function wordAt(s: string, i: number, words: readonly string[]): string | undefined {
  if (isWord(s[i - 1])) return undefined;
  for (const w of words) {
    if (s.startsWith(w, i) && !isWord(s[i + w.length])) return w;
  }
  return undefined;
}

const MARKER_VARIABLES = [
  'python_version',
  'python_full_version',
  'os_name',
  'os.name',
  'sys_platform',
  'sys.platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform.version',
  'platform_machine',
  'platform.machine',
  'platform_python_implementation',
  'platform.python_implementation',
  'python_implementation',
  'implementation_name',
  'implementation_version',
  'extras',
  'extra',
  'dependency_groups',
].sort((a, b) => b.length - a.length);

const MARKER_OPS = ['===', '==', '~=', '!=', '<=', '>=', '<', '>'];

/** A recursive-descent check of PEP 508 environment-marker syntax (no evaluation). */
class MarkerReader {
  constructor(
    private readonly s: string,
    public i: number,
  ) {}

  private ws(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }

  /** marker := atom (("and" | "or") atom)* */
  marker(depth: number): boolean {
    if (!this.atom(depth)) return false;
    for (;;) {
      const op = wordAt(this.s, this.i, ['and', 'or']);
      if (!op) return true;
      this.i += op.length;
      if (!this.atom(depth)) return false;
    }
  }

  private atom(depth: number): boolean {
    this.ws();
    if (this.s[this.i] === '(') {
      if (depth >= MAX_MARKER_DEPTH) return false;
      this.i++;
      this.ws();
      if (!this.marker(depth + 1)) return false;
      this.ws();
      if (this.s[this.i] !== ')') return false;
      this.i++;
    } else {
      if (!this.variable()) return false;
      this.ws();
      if (!this.op()) return false;
      this.ws();
      if (!this.variable()) return false;
    }
    this.ws();
    return true;
  }

  private variable(): boolean {
    const s = this.s;
    const q = s[this.i];
    if (q === '"' || q === "'") {
      const end = s.indexOf(q, this.i + 1);
      if (end < 0) return false;
      this.i = end + 1;
      return true;
    }
    const v = wordAt(s, this.i, MARKER_VARIABLES);
    if (!v) return false;
    this.i += v.length;
    return true;
  }

  private op(): boolean {
    const s = this.s;
    if (wordAt(s, this.i, ['in'])) {
      this.i += 2;
      return true;
    }
    if (wordAt(s, this.i, ['not'])) {
      this.i += 3;
      const w = this.i;
      this.ws();
      if (this.i === w || !wordAt(s, this.i, ['in'])) return false;
      this.i += 2;
      return true;
    }
    const op = MARKER_OPS.find((o) => s.startsWith(o, this.i));
    if (!op) return false;
    this.i += op.length;
    return true;
  }
}

// The first characters of a requirement name; the name must end on a word boundary (`packaging`).
const NAME = /[A-Za-z0-9][A-Za-z0-9._-]*/y;
const EXTRA_NAME = /[A-Za-z0-9][A-Za-z0-9._-]*/y;
// PEP 440 version after "==" (release, then a wildcard, or pre/post/dev/local parts).
const EQ_VERSION =
  /v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:\.\*|(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?)?/iy;
// After "===" anything but whitespace, ";" and ")" (commas split it into several specifiers).
const ARBITRARY_VERSION = /[^\s;)]*/y;
const PY_SPACE = /\s*/y;

function sticky(re: RegExp, s: string, i: number): string | undefined {
  re.lastIndex = i;
  const m = re.exec(s);
  return m ? m[0] : undefined;
}

/** An identifier the way `packaging` reads it: as long as possible, ending on a word boundary. */
function identifier(re: RegExp, s: string, i: number): string | undefined {
  const m = sticky(re, s, i);
  if (m === undefined) return undefined;
  let end = i + m.length;
  while (end > i && !(isWord(s[end - 1]) && !isWord(s[end]))) end--;
  return end > i ? s.slice(i, end) : undefined;
}

/** "name[extras] == version ; marker" pinned to one exact version, or undefined. */
export function parsePinnedRequirement(req: string): { name: string; version: string } | undefined {
  const s = req;
  let i = 0;
  const ws = () => {
    while (s[i] === ' ' || s[i] === '\t') i++;
  };
  ws();
  const name = identifier(NAME, s, i);
  if (!name) return undefined;
  i += name.length;
  ws();
  if (s[i] === '[') {
    i++;
    ws();
    let first = true;
    for (;;) {
      if (!first) {
        if (s[i] !== ',') break;
        i++;
        ws();
      }
      const extra = identifier(EXTRA_NAME, s, i);
      if (!extra) {
        if (first) break;
        return undefined; // a comma not followed by an extra name
      }
      i += extra.length;
      ws();
      first = false;
    }
    if (s[i] !== ']') return undefined;
    i++;
    ws();
  }
  // "name @ url" is a direct reference, not a version pin
  if (s[i] === '@') return undefined;
  const paren = s[i] === '(';
  if (paren) {
    i++;
    ws();
  }
  let version: string;
  if (s.startsWith('===', i)) {
    i += 3;
    i += (sticky(PY_SPACE, s, i) ?? '').length;
    const v = sticky(ARBITRARY_VERSION, s, i) ?? '';
    i += v.length;
    // `packaging` splits the specifier text on commas: more than one part is a range
    const parts = v.split(',');
    if (parts.slice(1).some((p) => p.trim() !== '')) return undefined;
    version = parts[0] as string;
  } else if (s.startsWith('==', i)) {
    i += 2;
    i += (sticky(PY_SPACE, s, i) ?? '').length;
    const v = sticky(EQ_VERSION, s, i);
    if (!v) return undefined;
    i += v.length;
    version = v;
  } else {
    return undefined;
  }
  ws();
  // a trailing comma is allowed; a second specifier makes it a range
  if (s[i] === ',') {
    i++;
    ws();
  }
  if (paren) {
    if (s[i] !== ')') return undefined;
    i++;
    ws();
  }
  if (i < s.length) {
    if (s[i] !== ';') return undefined;
    const m = new MarkerReader(s, i + 1);
    if (!m.marker(0) || m.i !== s.length) return undefined;
  }
  if (version === '' || version.includes('*')) return undefined;
  return { name, version };
}

/** Every exactly pinned requirement of a requirements file. */
export function parseRequirements(text: string): LangPackage[] {
  const out: LangPackage[] = [];
  eachLogicalLine(text, (logical) => {
    const hash = logical.indexOf('#');
    const line = (hash >= 0 ? logical.slice(0, hash) : logical).trim();
    if (!line) return;
    // pip's split of a line into the requirement and its options: at the first "-" token
    const tokens = line.split(' ');
    const k = tokens.findIndex((t) => t.startsWith('-'));
    const args = (k < 0 ? tokens : tokens.slice(0, k)).join(' ');
    if (!args) return;
    const pin = parsePinnedRequirement(args);
    if (pin) out.push(pin);
  });
  return out;
}

/**
 * requirements.txt, requirements-dev.txt, requirements_test.txt, dev-requirements.txt,
 * requirements/prod.txt: a ".txt" file whose name contains "requirements", or any ".txt" file in a
 * directory named "requirements". Not inside installed packages, whose requirement files describe
 * a library's own dependencies.
 */
export function isRequirementsFile(path: string): boolean {
  const base = baseName(path).toLowerCase();
  if (!base.endsWith('.txt')) return false;
  const inReqDir = /(?:^|\/)requirements\/[^/]+$/i.test(path);
  if (!base.includes('requirements') && !inReqDir) return false;
  return !insideInstalledPackages(path);
}

export const pipRequirementsAnalyzer: LangAnalyzer = {
  name: 'pip-requirements',
  version: 1,
  lang: { type: 'pip', purlType: 'pypi' },
  maxFileSize: 8 * 1024 * 1024,
  prefilter: { extensions: ['.txt'] },
  matches: (path, info) => info.type === 'file' && isRequirementsFile(path),
  async analyze(file) {
    return parseRequirements(decodeText(await file.read()));
  },
};

// ---------------------------------------------------------------------------------------------
// Pipfile.lock: {"default": {name: {"version": "==x"}}, "develop": {...}}

function exactVersion(spec: unknown): string | undefined {
  if (typeof spec !== 'string') return undefined;
  const v = spec.startsWith('===') ? spec.slice(3) : spec.startsWith('==') ? spec.slice(2) : undefined;
  const t = v?.trim();
  return t && !t.includes('*') ? t : undefined;
}

export function parsePipfileLock(text: string): LangPackage[] {
  const json = JSON.parse(text) as unknown;
  if (!isObj(json)) throw new Error('not a JSON object');
  const out: LangPackage[] = [];
  const prod = new Set<string>();
  for (const section of ['default', 'develop'] as const) {
    const deps = json[section];
    if (deps === undefined) continue;
    if (!isObj(deps)) throw new Error(`"${section}" is not an object`);
    for (const [name, entry] of Object.entries(deps)) {
      // git, path and editable entries carry no version
      const version = isObj(entry) ? exactVersion(entry.version) : undefined;
      if (!version) continue;
      const id = `${name}@${version}`;
      if (section === 'default') {
        prod.add(id);
        out.push({ name, version });
      } else if (!prod.has(id)) {
        out.push({ name, version, dev: true });
      }
    }
  }
  return out;
}

export const pipenvAnalyzer: LangAnalyzer = {
  name: 'pipenv-lock',
  version: 1,
  lang: { type: 'pipenv', purlType: 'pypi' },
  maxFileSize: 32 * 1024 * 1024,
  prefilter: { names: ['Pipfile.lock'] },
  matches: (path, info) => info.type === 'file' && baseName(path) === 'Pipfile.lock',
  async analyze(file) {
    return parsePipfileLock((await file.read()).toString('utf8'));
  },
};

// ---------------------------------------------------------------------------------------------
// TOML lockfiles

function tomlDoc(buf: Buffer): TomlTable {
  return parseToml(buf.toString('utf8'));
}

function tables(v: TomlValue | undefined, what: string): TomlTable[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`"${what}" is not an array of tables`);
  return v.filter(isTomlTable);
}

function str(t: TomlTable, key: string): string | undefined {
  const v = Object.hasOwn(t, key) ? t[key] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * poetry.lock: every [[package]]. Lock format 1.x marks development packages with
 * category = "dev"; Poetry 2 writes groups = [...], where a package outside the "main" group
 * belongs only to development groups (dev, test, lint...).
 */
export function parsePoetryLock(doc: TomlTable): LangPackage[] {
  const out: LangPackage[] = [];
  for (const p of tables(doc.package, 'package')) {
    const name = str(p, 'name');
    const version = str(p, 'version');
    if (!name || !version) continue;
    const pkg: LangPackage = { name, version };
    const groups = Object.hasOwn(p, 'groups') ? p.groups : undefined;
    if (p.category === 'dev') pkg.dev = true;
    else if (Array.isArray(groups) && groups.length > 0 && !groups.includes('main')) pkg.dev = true;
    out.push(pkg);
  }
  return out;
}

export const poetryAnalyzer: LangAnalyzer = {
  name: 'poetry-lock',
  version: 1,
  lang: { type: 'poetry', purlType: 'pypi' },
  maxFileSize: 16 * 1024 * 1024,
  prefilter: { names: ['poetry.lock'] },
  matches: (path, info) => info.type === 'file' && baseName(path) === 'poetry.lock',
  async analyze(file) {
    return parsePoetryLock(tomlDoc(await file.read()));
  },
};

/** A uv.lock dependency edge: { name, version?, extra? }. */
interface UvEdge {
  name: string;
  version: string | undefined;
  extras: string[];
}

function uvEdges(v: TomlValue | undefined): UvEdge[] {
  if (!Array.isArray(v)) return [];
  const out: UvEdge[] = [];
  for (const e of v) {
    if (!isTomlTable(e)) continue;
    const name = str(e, 'name');
    if (!name) continue;
    const extra = Object.hasOwn(e, 'extra') ? e.extra : undefined;
    out.push({
      name,
      version: str(e, 'version'),
      extras: Array.isArray(extra) ? extra.filter((x): x is string => typeof x === 'string') : [],
    });
  }
  return out;
}

/** Edges of every group of a table such as [package.optional-dependencies] (only `only` groups when given). */
function uvGroupEdges(v: TomlValue | undefined, only?: readonly string[]): UvEdge[] {
  if (!isTomlTable(v)) return [];
  const out: UvEdge[] = [];
  for (const k of Object.keys(v)) {
    if (only && !only.includes(k)) continue;
    for (const e of uvEdges(v[k])) out.push(e);
  }
  return out;
}

/**
 * uv.lock: every [[package]] but the project's own (workspace members and editable path
 * packages: source = { virtual = ... } or { editable = ... }). When the project is in the file,
 * packages reachable only through its dev-dependencies are marked dev, and packages that are not
 * its direct dependencies are marked indirect; packages it does not reach are left unmarked.
 */
export function parseUvLock(doc: TomlTable): LangPackage[] {
  const all = tables(doc.package, 'package');
  type Node = { t: TomlTable; name: string; version: string; local: boolean };
  const nodes: Node[] = [];
  const byName = new Map<string, Node[]>();
  for (const t of all) {
    const name = str(t, 'name');
    const version = str(t, 'version');
    if (!name) continue;
    const source = Object.hasOwn(t, 'source') ? t.source : undefined;
    const local =
      isTomlTable(source) && (Object.hasOwn(source, 'virtual') || Object.hasOwn(source, 'editable'));
    if (!version && !local) continue;
    const n: Node = { t, name, version: version ?? '', local };
    nodes.push(n);
    const list = byName.get(name) ?? [];
    list.push(n);
    byName.set(name, list);
  }
  const resolve = (e: UvEdge): Node[] => {
    const list = byName.get(e.name) ?? [];
    return e.version ? list.filter((n) => n.version === e.version) : list;
  };
  // Breadth-first from the given edges, following extras into optional-dependencies.
  const reach = (start: UvEdge[]): Set<Node> => {
    const seen = new Set<Node>();
    const queue: UvEdge[] = [...start];
    const extrasSeen = new Set<string>();
    for (let q = 0; q < queue.length; q++) {
      const e = queue[q] as UvEdge;
      for (const n of resolve(e)) {
        if (!seen.has(n)) {
          seen.add(n);
          for (const d of uvEdges(n.t.dependencies)) queue.push(d);
        }
        const extras = e.extras.filter((x) => !extrasSeen.has(`${n.name}@${n.version}[${x}]`));
        for (const x of extras) extrasSeen.add(`${n.name}@${n.version}[${x}]`);
        if (extras.length) for (const d of uvGroupEdges(n.t['optional-dependencies'], extras)) queue.push(d);
      }
    }
    return seen;
  };
  const roots = nodes.filter((n) => n.local);
  const rootProd = roots.flatMap((r) => [
    ...uvEdges(r.t.dependencies),
    ...uvGroupEdges(r.t['optional-dependencies']),
  ]);
  const rootDev = roots.flatMap((r) => uvGroupEdges(r.t['dev-dependencies']));
  const prod = reach(rootProd);
  const dev = reach(rootDev);
  const direct = new Set<Node>([...rootProd, ...rootDev].flatMap(resolve));
  const out: LangPackage[] = [];
  for (const n of nodes) {
    if (n.local) continue;
    const p: LangPackage = { name: n.name, version: n.version };
    if (dev.has(n) && !prod.has(n)) p.dev = true;
    if (roots.length && (prod.has(n) || dev.has(n)) && !direct.has(n)) p.indirect = true;
    out.push(p);
  }
  return out;
}

export const uvAnalyzer: LangAnalyzer = {
  name: 'uv-lock',
  version: 1,
  lang: { type: 'uv', purlType: 'pypi' },
  maxFileSize: 16 * 1024 * 1024,
  prefilter: { names: ['uv.lock'] },
  matches: (path, info) => info.type === 'file' && baseName(path) === 'uv.lock',
  async analyze(file) {
    return parseUvLock(tomlDoc(await file.read()));
  },
};

/**
 * pylock.toml (PEP 751): every [[packages]] entry with a version. Entries without one are
 * directories and VCS checkouts (the project itself, typically).
 */
export function parsePylock(doc: TomlTable): LangPackage[] {
  const out: LangPackage[] = [];
  for (const p of tables(doc.packages, 'packages')) {
    const name = str(p, 'name');
    const version = str(p, 'version');
    if (name && version) out.push({ name, version });
  }
  return out;
}

/** PEP 751 names: pylock.toml, or pylock.<name>.toml with no dot in <name>. */
export function isPylockFile(path: string): boolean {
  const base = baseName(path);
  return base === 'pylock.toml' || /^pylock\.[^./]+\.toml$/.test(base);
}

export const pylockAnalyzer: LangAnalyzer = {
  name: 'pylock',
  version: 1,
  lang: { type: 'pylock', purlType: 'pypi' },
  maxFileSize: 16 * 1024 * 1024,
  // pylock.toml and pylock.<name>.toml
  prefilter: { stems: ['pylock'] },
  matches: (path, info) => info.type === 'file' && isPylockFile(path),
  async analyze(file) {
    return parsePylock(tomlDoc(await file.read()));
  },
};

export const PYTHON_LOCK_ANALYZERS: readonly LangAnalyzer[] = [
  pipRequirementsAnalyzer,
  pipenvAnalyzer,
  poetryAnalyzer,
  uvAnalyzer,
  pylockAnalyzer,
];
