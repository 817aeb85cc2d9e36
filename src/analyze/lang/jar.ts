// Java archives (jar, war, ear, par, Jenkins jpi/hpi): the Maven artifacts they carry.
//
// Every META-INF/maven/<groupId>/<artifactId>/pom.properties is one package (a fat or shaded jar
// embeds many). When none describes the archive itself, its identity is guessed from
// META-INF/MANIFEST.MF and the file name (see `archiveIdentity`). Nested archives (WEB-INF/lib,
// BOOT-INF/lib, an EAR's modules and lib/) are read recursively, in place when stored.
// Archives can be large (hundreds of MB) and hostile: they are read by random access, and
// decompressed bytes, entries, nesting and ratios are capped.

import {
  Budget,
  bufferSource,
  openZip,
  type RandomAccess,
  readEntry,
  storedEntrySource,
  type ZipEntry,
  ZipError,
  ZipLimitError,
} from '../../util/zip.js';
import type { LangAnalyzer, LangPackage } from './types.js';

export const JAR_LIMITS = {
  /** Decompressed bytes (plus central directories) one top-level archive may cost, nested ones included. */
  budget: 512 * 1024 * 1024,
  /** Largest nested archive inflated into memory (stored ones are read in place). */
  maxNested: 128 * 1024 * 1024,
  /** Largest MANIFEST.MF / pom.properties read. */
  maxMeta: 1024 * 1024,
  /** Nested archives below the top one (EAR -> WAR -> jar is 2). */
  maxDepth: 3,
  /** Nested archives per top-level archive. */
  maxArchives: 5000,
  /** Central directory records per archive. */
  maxEntries: 500_000,
  /** Nested archives compress a little (their entries are compressed already): above this, a bomb. */
  maxNestedRatio: 100,
  maxPackages: 20_000,
};

const ARCHIVE_EXT = new Set(['.jar', '.war', '.ear', '.par', '.jpi', '.hpi']);

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Called on every path of every layer: one character test before any allocation. */
export function isJavaArchive(path: string): boolean {
  const dot = path.length - 4;
  return dot > 0 && path[dot] === '.' && ARCHIVE_EXT.has(path.slice(dot).toLowerCase());
}

const POM_PROPERTIES = /^META-INF\/maven\/([^/]+)\/([^/]+)\/pom\.properties$/;

/** java.util.Properties text: `key=value`, `key: value`, `key value`, continuations, escapes. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).replace(/^[ \t\f]+/, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    // An odd number of trailing backslashes continues the logical line.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] as string).replace(/^[ \t\f]+/, '');
    }
    let k = 0;
    let key = '';
    for (; k < line.length; k++) {
      const c = line[k] as string;
      if (c === '\\') {
        key += line.slice(k, k + 2);
        k++;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      key += c;
    }
    let v = line.slice(k).replace(/^[ \t\f]*/, '');
    if (v[0] === '=' || v[0] === ':') v = v.slice(1).replace(/^[ \t\f]*/, '');
    const name = unescapeProperty(key);
    if (!out.has(name)) out.set(name, unescapeProperty(v));
  }
  return out;
}

function unescapeProperty(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 'f' ? '\f' : e;
  });
}

/** The main section of a JAR manifest, header names lower-cased (they are case-insensitive). */
export function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  lines.pop(); // like the JDK, a last line without its newline does not count
  for (const line of lines) {
    if (line === '') {
      if (out.size > 0) break; // the main section ends at the first blank line
      continue;
    }
    if (line[0] === ' ') {
      if (last !== undefined) out.set(last, (out.get(last) ?? '') + line.slice(1));
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) {
      last = undefined;
      continue;
    }
    last = line.slice(0, i).trim().toLowerCase();
    if (out.has(last)) {
      last = undefined; // the first value wins; skip the continuation of a repeat
      continue;
    }
    out.set(last, line.slice(i + 1).trim());
  }
  return out;
}

const VERSION = /^[0-9][0-9A-Za-z._+~-]*$/;
const IDENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Words that start a version qualifier, not an artifactId segment ("1.0-beta-2"). */
const QUALIFIER =
  /^(alpha|beta|rc|cr|m|milestone|pre|preview|snapshot|final|ga|release|sp|jre|android|b|patch|dev|incubating)$/i;

function validVersion(v: string | undefined): string | undefined {
  return v && v.length <= 128 && VERSION.test(v) ? v : undefined;
}

/**
 * "commons-lang3-3.12.0.jar" -> commons-lang3 / 3.12.0. The version starts at the first "-digit",
 * except when what follows is "<digits>-<word>-<digit>" with a word that is no version qualifier:
 * there the artifactId itself holds a number ("log4j-1.2-api-2.17.1" -> log4j-1.2-api / 2.17.1).
 */
export function parseArchiveFileName(file: string): { artifactId: string; version?: string } {
  const stem = file.replace(/\.[A-Za-z]+$/, '');
  const starts: number[] = [];
  for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
    if (/[0-9]/.test(stem[i + 1] ?? '')) starts.push(i);
  }
  for (let s = 0; s < starts.length; s++) {
    const at = starts[s] as number;
    const next = starts[s + 1];
    if (next !== undefined) {
      const between = stem.slice(at + 1, next);
      const m = /^[0-9][0-9.]*-([A-Za-z]+)$/.exec(between);
      if (m && !QUALIFIER.test(m[1] as string)) continue;
    }
    const version = validVersion(stem.slice(at + 1));
    if (version) return { artifactId: stem.slice(0, at), version };
  }
  return { artifactId: stem };
}

function lastSegment(s: string): string {
  return s.slice(s.lastIndexOf('.') + 1);
}

/**
 * groupId from an OSGi Bundle-SymbolicName, inverting the maven-bundle-plugin's default naming:
 * `groupId + "." + artifactId`, or, when the artifactId starts with the groupId's last segment,
 * that prefix dropped (org.apache.commons + commons-lang3 -> org.apache.commons.lang3).
 */
export function groupFromSymbolicName(bsn: string, artifactId: string): string | undefined {
  const name = bsn.split(';')[0]?.trim() ?? '';
  if (!IDENT.test(name)) return undefined;
  if (name.endsWith(`.${artifactId}`)) return name.slice(0, -artifactId.length - 1) || undefined;
  for (let i = name.lastIndexOf('.'); i > 0; i = name.lastIndexOf('.', i - 1)) {
    const group = name.slice(0, i);
    const rest = name.slice(i + 1);
    const prefix = lastSegment(group);
    if (artifactId.startsWith(prefix) && artifactId.slice(prefix.length).replace(/^[-._]/, '') === rest)
      return group;
  }
  return undefined;
}

export interface ArchiveIdentity {
  groupId?: string;
  artifactId: string;
  version?: string;
}

/**
 * Who an archive is when no pom.properties says so. The artifactId is the file name's (what users
 * see and name their jars after), else an identifier-like Implementation-Title; Jenkins plugins
 * name themselves (Short-Name, Group-Id, Plugin-Version). The version is the manifest's
 * Implementation-Version, else the file name's, else Bundle-Version / Specification-Version. The
 * groupId is Implementation-Vendor-Id (Maven's archiver writes the groupId there), else inverted
 * from Bundle-SymbolicName; without a registry to ask (Trivy looks the SHA-1 up) it may stay unknown.
 */
export function archiveIdentity(fileName: string, mf: Map<string, string>): ArchiveIdentity | undefined {
  const fromFile = parseArchiveFileName(fileName);
  const title = mf.get('implementation-title');
  const shortName = mf.get('short-name');
  let artifactId = fromFile.artifactId;
  if (shortName && IDENT.test(shortName) && mf.has('plugin-version')) artifactId = shortName;
  else if (!IDENT.test(artifactId) && title && IDENT.test(title)) artifactId = title;
  if (!IDENT.test(artifactId)) return undefined;
  const version =
    validVersion(mf.get('plugin-version')) ??
    validVersion(mf.get('implementation-version')) ??
    fromFile.version ??
    validVersion(mf.get('bundle-version')) ??
    validVersion(mf.get('specification-version'));
  const id: ArchiveIdentity = { artifactId };
  if (version) id.version = version;
  const vendorId = mf.get('implementation-vendor-id') ?? mf.get('group-id');
  const bsn = mf.get('bundle-symbolicname');
  const groupId =
    vendorId && IDENT.test(vendorId) && vendorId.includes('.')
      ? vendorId
      : bsn
        ? groupFromSymbolicName(bsn, artifactId)
        : undefined;
  if (groupId) {
    id.groupId = groupId;
    // Some distributions name jars "<groupId>.<artifactId>-<version>.jar".
    if (artifactId.startsWith(`${groupId}.`)) id.artifactId = artifactId.slice(groupId.length + 1);
  }
  return id;
}

interface PomProps {
  groupId: string;
  artifactId: string;
  version: string;
}

function pomPackage(
  props: Map<string, string>,
  pathGroup: string,
  pathArtifact: string,
): PomProps | undefined {
  const groupId = props.get('groupId') || pathGroup;
  const artifactId = props.get('artifactId') || pathArtifact;
  const version = props.get('version');
  if (!groupId || !artifactId || !version || !IDENT.test(groupId) || !IDENT.test(artifactId))
    return undefined;
  if (version.length > 128 || /\s/.test(version)) return undefined;
  return { groupId, artifactId, version };
}

/**
 * The archive's own package when its pom.properties are missing or all describe other artifacts
 * (shaded dependencies). With pom.properties present it must be a confident guess (groupId known)
 * that none of them already covers; without any, a version is enough.
 */
function ownPackage(id: ArchiveIdentity | undefined, poms: PomProps[]): PomProps | undefined {
  if (!id?.version) return undefined;
  // A pom.properties with the same artifactId or version is taken for the archive's own (renamed
  // files: Debian's maven3-core.jar holds maven-core); better a missed guess than a made-up package.
  const covered = poms.some((p) => p.artifactId === id.artifactId || p.version === id.version);
  if (covered || (poms.length > 0 && !id.groupId)) return undefined;
  return { groupId: id.groupId ?? '', artifactId: id.artifactId, version: id.version };
}

interface WalkState {
  budget: Budget;
  archives: number;
  out: LangPackage[];
}

function wanted(name: string, depth: number): boolean {
  if (name === 'META-INF/MANIFEST.MF' || POM_PROPERTIES.test(name)) return true;
  return depth < JAR_LIMITS.maxDepth && isJavaArchive(name);
}

async function walkArchive(
  src: RandomAccess,
  fileName: string,
  location: string,
  depth: number,
  st: WalkState,
): Promise<void> {
  const dir = await openZip(src, {
    maxEntries: JAR_LIMITS.maxEntries,
    keep: (n) => wanted(n, depth),
    budget: st.budget,
  });
  const meta = { maxSize: JAR_LIMITS.maxMeta, budget: st.budget, dataEnd: dir.dataEnd };
  const poms: PomProps[] = [];
  let manifest: Map<string, string> | undefined;
  const nested: ZipEntry[] = [];
  for (const e of dir.entries) {
    const m = POM_PROPERTIES.exec(e.name);
    if (m) {
      const p = pomPackage(
        parseProperties((await readEntry(src, e, meta)).toString('latin1')),
        m[1] as string,
        m[2] as string,
      );
      if (p) poms.push(p);
    } else if (e.name === 'META-INF/MANIFEST.MF') {
      manifest ??= parseManifest((await readEntry(src, e, meta)).toString('utf8'));
    } else nested.push(e);
  }
  const own = ownPackage(archiveIdentity(fileName, manifest ?? new Map()), poms);
  for (const p of own ? [...poms, own] : poms) {
    if (st.out.length >= JAR_LIMITS.maxPackages) throw new ZipLimitError('too many packages');
    st.out.push({
      name: p.groupId ? `${p.groupId}:${p.artifactId}` : p.artifactId,
      version: p.version,
      location,
    });
  }
  for (const e of nested) {
    if (++st.archives > JAR_LIMITS.maxArchives) throw new ZipLimitError('too many nested archives');
    try {
      let inner: RandomAccess;
      if (e.method === 0 && !(e.flags & 1)) inner = await storedEntrySource(src, e, dir.dataEnd);
      else {
        const opts = {
          maxSize: JAR_LIMITS.maxNested,
          budget: st.budget,
          maxRatio: JAR_LIMITS.maxNestedRatio,
          dataEnd: dir.dataEnd,
        };
        inner = bufferSource(await readEntry(src, e, opts));
      }
      await walkArchive(inner, baseName(e.name), `${location}!/${e.name}`, depth + 1, st);
    } catch (err) {
      // A broken nested archive is skipped (a file merely named .jar, an unsupported method);
      // a limit means the whole archive is suspect.
      if (err instanceof ZipLimitError || !(err instanceof ZipError)) throw err;
    }
  }
}

/** Every Maven package in an archive and the archives nested in it. */
export async function analyzeJavaArchive(src: RandomAccess, path: string): Promise<LangPackage[]> {
  const st: WalkState = { budget: new Budget(JAR_LIMITS.budget), archives: 0, out: [] };
  await walkArchive(src, baseName(path), path, 0, st);
  return st.out;
}

export const jarAnalyzer: LangAnalyzer = {
  name: 'jar',
  version: 1,
  lang: { type: 'jar', purlType: 'maven', group: 'Java' },
  maxFileSize: 512 * 1024 * 1024,
  prefilter: { extensions: [...ARCHIVE_EXT] },
  matches: (path, info) => info.type === 'file' && isJavaArchive(path),
  async analyze(file) {
    const src: RandomAccess = file.readAt
      ? { size: file.size, read: (p, l) => (file.readAt as (p: number, l: number) => Promise<Buffer>)(p, l) }
      : bufferSource(await file.read());
    return analyzeJavaArchive(src, file.path);
  },
};
