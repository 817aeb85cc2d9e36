// yarn: yarn.lock of yarn classic (v1, yarn's own indented format) and yarn berry (v2+, YAML with a
// __metadata entry).
//
// Both formats key each entry by the descriptors that resolved to it ("a@^1.0.0, a@^1.2.0") and
// record the resolved version. The lockfile does not say which packages are development-only (yarn
// merges a workspace's dependencies and devDependencies), so dev is never set.

import { isYamlMap, parseYaml } from '../../util/yaml-lite.js';
import type { LangAnalyzer, LangPackage } from './types.js';

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** "@scope/a@^1.0.0" -> ["@scope/a", "^1.0.0"]; the name's own "@" (a scope) is not a separator. */
export function splitDescriptor(d: string): { name: string; range: string } {
  const at = d.indexOf('@', 1);
  return at < 0 ? { name: d, range: '' } : { name: d.slice(0, at), range: d.slice(at + 1) };
}

function protocolOf(range: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(range);
  return m ? (m[1] as string).toLowerCase() : '';
}

/** The package's real name: "x@npm:string-width@^4.2.0" (an npm alias) is string-width. */
export function realName(name: string, range: string): string {
  if (!range.startsWith('npm:')) return name;
  const inner = range.slice(4);
  const at = inner.indexOf('@', 1);
  return at > 0 ? inner.slice(0, at) : name;
}

// The project's own code (workspaces, links, local folders and tarballs, generated packages):
// not a dependency with a published identity.
const LOCAL = new Set(['file', 'link', 'portal', 'workspace', 'exec']);
// Remote sources yarn resolves to a concrete package and version.
const REMOTE = new Set([
  '',
  'npm',
  'git',
  'git+ssh',
  'git+https',
  'git+http',
  'git+file',
  'ssh',
  'github',
  'gitlab',
  'bitbucket',
  'gist',
  'http',
  'https',
]);

/** Collects name@version once each (entries of one package may repeat, e.g. a patched copy). */
class Collector {
  private readonly seen = new Set<string>();
  readonly out: LangPackage[] = [];
  add(name: string, version: string): void {
    if (!name || !version) return;
    const id = `${name}@${version}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.out.push({ name, version });
  }
}

// ---- yarn classic (v1) ----------------------------------------------------------------------

/** One JSON-style quoted string at s[at]; returns the value and the index after it. */
function readQuoted(s: string, at: number, lineNo: number): { value: string; end: number } {
  let i = at + 1;
  while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
  if (i >= s.length) throw new Error(`unterminated string at line ${lineNo}`);
  try {
    return { value: JSON.parse(s.slice(at, i + 1)) as string, end: i + 1 };
  } catch {
    throw new Error(`bad string at line ${lineNo}`);
  }
}

/** `"a@^1", b@2` -> descriptors (the entry header without its trailing colon). */
function headerDescriptors(header: string, lineNo: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < header.length) {
    while (header[i] === ' ') i++;
    let d: string;
    if (header[i] === '"') {
      const q = readQuoted(header, i, lineNo);
      d = q.value;
      i = q.end;
      while (header[i] === ' ') i++;
      if (i < header.length && header[i] !== ',') throw new Error(`bad entry header at line ${lineNo}`);
    } else {
      const comma = header.indexOf(',', i);
      const stop = comma < 0 ? header.length : comma;
      d = header.slice(i, stop).trim();
      i = stop;
    }
    if (d) out.push(d);
    i++; // the comma
  }
  return out;
}

/** `version "1.2.3"`, `"version" "1.2.3"`, `version 1.2.3` or `version: 1.2.3` -> [key, value]. */
function property(text: string, lineNo: number): [string, string] {
  let key: string;
  let i: number;
  if (text[0] === '"') {
    const q = readQuoted(text, 0, lineNo);
    key = q.value;
    i = q.end;
  } else {
    i = 0;
    while (i < text.length && text[i] !== ' ' && text[i] !== ':') i++;
    key = text.slice(0, i);
  }
  if (text[i] === ':') i++;
  while (text[i] === ' ') i++;
  if (i >= text.length) return [key, ''];
  if (text[i] === '"') {
    const q = readQuoted(text, i, lineNo);
    if (text.slice(q.end).trim() !== '') throw new Error(`unexpected text at line ${lineNo}`);
    return [key, q.value];
  }
  return [key, text.slice(i).trim()];
}

interface V1Entry {
  descriptors: string[];
  version?: string;
  /** Rare: some writers record the package name; it wins over the descriptor's. */
  name?: string;
}

function parseV1Entries(text: string): V1Entry[] {
  const entries: V1Entry[] = [];
  let cur: V1Entry | undefined;
  let fieldIndent = -1;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const body = line.trimStart();
    if (body === '' || body[0] === '#') continue;
    if (/^(<{7}|={7}|>{7})/.test(line)) throw new Error(`merge conflict markers at line ${n + 1}`);
    const indent = line.length - body.length;
    if (line.slice(0, indent).includes('\t')) throw new Error(`tab in indentation at line ${n + 1}`);
    const trimmed = body.trimEnd();
    if (indent === 0) {
      if (!trimmed.endsWith(':')) throw new Error(`expected an entry ("pattern:") at line ${n + 1}`);
      cur = { descriptors: headerDescriptors(trimmed.slice(0, -1), n + 1) };
      entries.push(cur);
      fieldIndent = -1;
      continue;
    }
    if (!cur) throw new Error(`indented line outside an entry at line ${n + 1}`);
    if (fieldIndent < 0) fieldIndent = indent;
    if (indent < fieldIndent) throw new Error(`bad indentation at line ${n + 1}`);
    if (indent > fieldIndent) continue; // inside "dependencies:" and the like
    const [key, value] = property(trimmed, n + 1);
    if (key === 'version' && value) cur.version = value;
    else if (key === 'name' && value) cur.name = value;
  }
  return entries;
}

export function parseYarnV1(text: string): LangPackage[] {
  const c = new Collector();
  for (const e of parseV1Entries(text)) {
    const first = e.descriptors[0];
    if (!first || !e.version) continue;
    const { name, range } = splitDescriptor(first);
    const proto = protocolOf(range);
    if (LOCAL.has(proto) || !REMOTE.has(proto)) continue;
    c.add(e.name ?? realName(name, range), e.version);
  }
  return c.out;
}

// ---- yarn berry (v2+) -----------------------------------------------------------------------

/**
 * Whether a berry locator ("name@npm:1.0.0", "name@patch:name@npm%3A1.0.0#...") is a published
 * package: patches are judged by the locator they patch.
 */
function berryRemote(range: string, depth = 0): boolean {
  const proto = protocolOf(range);
  if (proto === 'patch' && depth < 4) {
    const hash = range.indexOf('#');
    let inner: string;
    try {
      inner = decodeURIComponent(range.slice('patch:'.length, hash < 0 ? undefined : hash));
    } catch {
      return false;
    }
    return berryRemote(splitDescriptor(inner).range, depth + 1);
  }
  return !LOCAL.has(proto) && REMOTE.has(proto);
}

export function parseYarnBerry(text: string): LangPackage[] {
  // yarn's own reader lets a repeated entry replace the earlier one: do the same.
  const doc = parseYaml(text, { allowDuplicateKeys: true });
  if (!isYamlMap(doc)) throw new Error('not a YAML mapping');
  const c = new Collector();
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata' || !isYamlMap(entry)) continue;
    const version = entry.version;
    if (typeof version !== 'string' || !version || version === '0.0.0-use.local') continue;
    // The resolution is the locator that was installed; the key lists the descriptors asking for it.
    const locator =
      typeof entry.resolution === 'string' ? entry.resolution : (key.split(',')[0] ?? '').trim();
    const { name, range } = splitDescriptor(locator);
    if (!berryRemote(range)) continue;
    c.add(realName(name, range), version);
  }
  return c.out;
}

/** Berry lockfiles are YAML and start with a __metadata entry; classic ones never have it. */
export function isBerryLock(text: string): boolean {
  return /^__metadata:[ \t]*\r?$/m.test(text);
}

export function parseYarnLock(text: string): LangPackage[] {
  return isBerryLock(text) ? parseYarnBerry(text) : parseYarnV1(text);
}

export const yarnLockAnalyzer: LangAnalyzer = {
  name: 'yarn-lock',
  version: 1,
  lang: { type: 'yarn', purlType: 'npm' },
  maxFileSize: 64 * 1024 * 1024,
  // Lockfiles inside node_modules belong to published packages, not to the application.
  prefilter: { names: ['yarn.lock'] },
  matches: (path) => baseName(path) === 'yarn.lock' && !path.includes('node_modules/'),
  async analyze(file) {
    return parseYarnLock((await file.read()).toString('utf8'));
  },
};
