// Ignore files: findings a team has accepted, suppressed after matching. Two formats, from Trivy's
// documentation of its own files:
//
// - plain (".trivyignore"): one vulnerability id per line, "#" starts a comment line, and an
//   optional "exp:YYYY-MM-DD" after the id ends the entry's effect at the start of that day (UTC).
// - YAML (".trivyignore.yaml", or any file whose first line is "key:"):
//     vulnerabilities:
//       - id: CVE-2023-3817
//         purls: ["pkg:deb/debian/libssl1.1"]   # only these packages (purl rules, see purl-match)
//         paths: ["**/package-lock.json"]      # only packages read from these files (glob)
//         expired_at: 2024-01-01
//         statement: why it is accepted        # not used for filtering
//   The sections misconfigurations, secrets and licenses are accepted and ignored (drydock has no
//   such scanners).
//
// An entry names the finding's id or any of its aliases (case-insensitively). Both formats are
// read strictly: an unknown field or token is an error, because a misspelt "expired_at" would
// otherwise turn a temporary exception into a permanent one.

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, UserError } from '../errors.js';
import type { Finding } from '../match/match.js';
import { isYamlMap, parseYaml, type YamlValue } from '../util/yaml-lite.js';
import { type Purl, parsePurl, purlMatches } from './purl-match.js';

export interface IgnoreEntry {
  id: string;
  /** Globs over the package's file path ("*" within a segment, "**" across segments, "?"). */
  paths?: string[];
  purls?: Purl[];
  /** Milliseconds since the epoch at which the entry stops applying. */
  expiresAt?: number;
  statement?: string;
  /** Where the entry is, for messages ("line 4" or "vulnerabilities[2]"). */
  where: string;
}

export interface IgnoreRules {
  file: string;
  format: 'plain' | 'yaml';
  entries: IgnoreEntry[];
}

const MAX_FILE = 8 << 20;
const MAX_ENTRIES = 100_000;
const MAX_ID = 256;
const MAX_SCOPES = 1000;
const MAX_GLOB = 1024;

/** The files looked for in the current directory when --ignorefile is not given, in order. */
export const DEFAULT_IGNORE_FILES = ['.drydockignore', '.trivyignore'];

const YAML_SECTIONS = new Set(['vulnerabilities', 'misconfigurations', 'secrets', 'licenses']);
const YAML_FIELDS = new Set(['id', 'paths', 'purls', 'expired_at', 'statement']);

function fail(file: string, msg: string): never {
  throw new UserError(`ignore file ${file}: ${msg}`);
}

/** A calendar date "YYYY-MM-DD" as midnight UTC; undefined when it is not a real date. */
export function parseDate(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const dt = new Date(t);
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return undefined;
  return t;
}

/** C0 controls but tab, LF and CR: a binary file, not an ignore list. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127) return true;
  }
  return false;
}

function checkId(file: string, id: string, where: string): string {
  if (id.length > MAX_ID) fail(file, `${where}: id longer than ${MAX_ID} characters`);
  if (/\s/.test(id)) fail(file, `${where}: an id cannot contain spaces`);
  return id;
}

function parsePlain(text: string, file: string): IgnoreEntry[] {
  const entries: IgnoreEntry[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `line ${n + 1}`;
    const tokens = line.split(/\s+/);
    const e: IgnoreEntry = { id: checkId(file, tokens[0] as string, where), where };
    for (const tok of tokens.slice(1)) {
      if (tok.startsWith('#')) break; // a trailing comment
      if (!tok.startsWith('exp:')) fail(file, `${where}: unexpected "${tok.slice(0, 40)}" after the id`);
      const t = parseDate(tok.slice(4));
      if (t === undefined)
        fail(file, `${where}: bad expiry date "${tok.slice(4, 44)}" (expected exp:YYYY-MM-DD)`);
      e.expiresAt = t;
    }
    if (entries.length >= MAX_ENTRIES) fail(file, `more than ${MAX_ENTRIES} entries`);
    entries.push(e);
  }
  return entries;
}

function stringList(file: string, v: YamlValue, where: string): string[] | undefined {
  if (v === '') return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    fail(file, `${where} must be a list of strings`);
  if (v.length > MAX_SCOPES) fail(file, `${where} has more than ${MAX_SCOPES} items`);
  return v.length ? (v as string[]) : undefined;
}

function yamlEntry(file: string, item: YamlValue, where: string): IgnoreEntry {
  if (!isYamlMap(item)) fail(file, `${where} must be a mapping with an "id"`);
  for (const k of Object.keys(item)) if (!YAML_FIELDS.has(k)) fail(file, `${where}: unknown field "${k}"`);
  const id = item.id;
  if (typeof id !== 'string' || id === '') fail(file, `${where}: "id" is missing`);
  const e: IgnoreEntry = { id: checkId(file, id, where), where };
  const paths = item.paths === undefined ? undefined : stringList(file, item.paths, `${where}.paths`);
  if (paths) {
    for (const p of paths) if (p.length > MAX_GLOB) fail(file, `${where}.paths: a path is too long`);
    e.paths = paths;
  }
  const purls = item.purls === undefined ? undefined : stringList(file, item.purls, `${where}.purls`);
  if (purls)
    e.purls = purls.map(
      (s) => parsePurl(s) ?? fail(file, `${where}.purls: "${s.slice(0, 80)}" is not a purl`),
    );
  const exp = item.expired_at;
  if (exp !== undefined && exp !== '') {
    const t = typeof exp === 'string' ? parseDate(exp) : undefined;
    if (t === undefined) fail(file, `${where}.expired_at: expected a date YYYY-MM-DD`);
    e.expiresAt = t;
  }
  if (typeof item.statement === 'string' && item.statement !== '') e.statement = item.statement;
  else if (item.statement !== undefined && typeof item.statement !== 'string')
    fail(file, `${where}.statement must be text`);
  return e;
}

function parseYamlIgnore(text: string, file: string): IgnoreEntry[] {
  let doc: YamlValue;
  try {
    doc = parseYaml(text, { maxDepth: 16 });
  } catch (e) {
    return fail(file, describe(e));
  }
  if (doc === '') return [];
  if (!isYamlMap(doc)) fail(file, 'expected a mapping with a "vulnerabilities" list');
  for (const [k, v] of Object.entries(doc)) {
    if (!YAML_SECTIONS.has(k)) fail(file, `unknown section "${k}"`);
    if (v !== '' && !Array.isArray(v)) fail(file, `"${k}" must be a list`);
  }
  const list = doc.vulnerabilities;
  if (!Array.isArray(list)) return [];
  if (list.length > MAX_ENTRIES) fail(file, `more than ${MAX_ENTRIES} entries`);
  return list.map((item, i) => yamlEntry(file, item, `vulnerabilities[${i}]`));
}

/** YAML when the name says so, or when the first line with content is "key:" or "---". */
function looksYaml(text: string, file: string): boolean {
  if (/\.ya?ml$/i.test(file)) return true;
  for (const raw of text.split('\n', 200)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return line === '---' || /^[A-Za-z_][\w-]*:(\s|$)/.test(raw);
  }
  return false;
}

/** Parses an ignore file's text; `file` names it in errors. Throws UserError on a malformed file. */
export function parseIgnoreFile(text: string, file: string): IgnoreRules {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (hasControl(text)) fail(file, 'not a text file (control characters)');
  const t = text.replace(/\r\n?/g, '\n');
  return looksYaml(t, file)
    ? { file, format: 'yaml', entries: parseYamlIgnore(t, file) }
    : { file, format: 'plain', entries: parsePlain(t, file) };
}

function readIgnoreFile(p: string, shown: string): IgnoreRules {
  let size: number;
  try {
    const st = statSync(p);
    if (!st.isFile()) fail(shown, 'not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    return fail(shown, code === 'ENOENT' ? 'not found' : describe(e));
  }
  if (size > MAX_FILE) fail(shown, `larger than ${MAX_FILE >> 20} MiB`);
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    return fail(shown, describe(e));
  }
  return parseIgnoreFile(text, shown);
}

/**
 * The ignore rules in force: the file given with --ignorefile (which must exist), else the first of
 * DEFAULT_IGNORE_FILES present in `cwd`, else none.
 */
export function loadIgnoreFile(explicit: string | undefined, cwd = process.cwd()): IgnoreRules | undefined {
  if (explicit !== undefined) return readIgnoreFile(path.resolve(cwd, explicit), explicit);
  for (const name of DEFAULT_IGNORE_FILES) {
    const p = path.join(cwd, name);
    let exists = false;
    try {
      exists = statSync(p).isFile();
    } catch {
      // absent: try the next name
    }
    if (exists) return readIgnoreFile(p, name);
  }
  return undefined;
}

/** One glob segment against one path segment: "*" any run of characters, "?" one character. */
function segmentMatch(pat: string, s: string): boolean {
  // Greedy with one backtrack point: linear-ish, never exponential.
  let p = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (p < pat.length && (pat[p] === '?' || pat[p] === s[i])) {
      p++;
      i++;
    } else if (p < pat.length && pat[p] === '*') {
      star = p++;
      mark = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++mark;
    } else return false;
  }
  while (pat[p] === '*') p++;
  return p === pat.length;
}

function segments(p: string): string[] {
  return p
    .replace(/^(\.\/)+/, '')
    .split('/')
    .filter((x) => x !== '' && x !== '.');
}

/** Whether a slash-separated path matches a glob ("**" is any number of whole segments). */
export function globMatch(pattern: string, filePath: string): boolean {
  const pat = segments(pattern);
  const segs = segments(filePath);
  // ok[j]: the pattern so far matches the first j path segments.
  let ok: boolean[] = segs.map(() => false);
  ok.push(false);
  ok[0] = true;
  for (const g of pat) {
    const next: boolean[] = new Array(segs.length + 1).fill(false);
    if (g === '**') {
      let any = false;
      for (let j = 0; j <= segs.length; j++) {
        any = any || (ok[j] as boolean);
        next[j] = any;
      }
    } else {
      for (let j = 0; j < segs.length; j++)
        if (ok[j] && segmentMatch(g, segs[j] as string)) next[j + 1] = true;
    }
    ok = next;
  }
  return ok[segs.length] as boolean;
}

function scopeMatches(e: IgnoreEntry, f: Finding, purl: () => Purl | undefined): boolean {
  if (e.purls) {
    const actual = purl();
    if (!actual || !e.purls.some((p) => purlMatches(p, actual))) return false;
  }
  if (e.paths && !e.paths.some((g) => globMatch(g, f.pkg.filePath ?? ''))) return false;
  return true;
}

export interface IgnoreOutcome {
  kept: Finding[];
  suppressed: Finding[];
  /** Findings that an expired entry named (reported again, as the entry's date intends). */
  expired: number;
}

/** Drops the findings the rules name. `now` decides expiry. */
export function applyIgnore(findings: Finding[], rules: IgnoreRules, now: Date): IgnoreOutcome {
  const byId = new Map<string, IgnoreEntry[]>();
  for (const e of rules.entries) {
    const k = e.id.toLowerCase();
    const list = byId.get(k);
    if (list) list.push(e);
    else byId.set(k, [e]);
  }
  const t = now.getTime();
  const out: IgnoreOutcome = { kept: [], suppressed: [], expired: 0 };
  for (const f of findings) {
    let parsed: Purl | null | undefined = null;
    const purl = () => {
      if (parsed === null) parsed = parsePurl(f.pkg.purl ?? '');
      return parsed;
    };
    let hit = false;
    let expiredHit = false;
    for (const id of [f.id, ...f.aliases]) {
      for (const e of byId.get(id.toLowerCase()) ?? []) {
        if (!scopeMatches(e, f, purl)) continue;
        if (e.expiresAt !== undefined && t > e.expiresAt) expiredHit = true;
        else hit = true;
        if (hit) break;
      }
      if (hit) break;
    }
    if (hit) out.suppressed.push(f);
    else {
      if (expiredHit) out.expired++;
      out.kept.push(f);
    }
  }
  return out;
}
