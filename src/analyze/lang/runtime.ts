// Language runtimes themselves (Node.js, Python, Ruby, Java, Go), so that they can be matched
// against the runtime's own vulnerabilities. One small, precise file per installation:
//   node    the `node` executable (or Debian's libnode.so.N): the inspector's "node.js/vX.Y.Z" string
//   python  include/pythonX.Y/patchlevel.h: PY_VERSION (source builds, official images, pyenv, conda)
//   ruby    lib/ruby/X.Y.0/<arch>/rbconfig.rb: MAJOR, MINOR, TEENY
//   java    a JDK/JRE's `release` file: JAVA_VERSION (and IMPLEMENTOR / BUILD_TYPE for the flavour)
//   go      GOROOT/VERSION: "go1.21.5"
// Names and purls are what vulnerability sources key the runtime by: node, python, ruby, openjdk
// (Oracle's commercial builds: jdk/jre) as pkg:generic/<name>@<version> (NVD CPE products
// nodejs:node.js, python:python, ruby-lang:ruby, oracle:openjdk|jdk|jre); the Go toolchain is
// pkg:golang/stdlib@vX.Y.Z, the module name Go's vulnerability database gives the standard library.

import type { AnalyzerFile } from '../types.js';
import type { LangAnalyzer, LangPackage } from './types.js';

const GROUP = 'Runtimes';
const TYPE = 'runtime';

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Bounded read of the head of a file. */
async function head(file: AnalyzerFile, max: number): Promise<Buffer> {
  if (file.readAt) return file.readAt(0, Math.min(max, file.size));
  const b = await file.read();
  return b.subarray(0, Math.min(max, b.length));
}

/**
 * Looks for `needle` in a file read in bounded chunks (random access when the file was spilled)
 * and hands the `after` bytes that follow each occurrence to `parse` until it accepts one.
 */
export async function scanFile<T>(
  file: AnalyzerFile,
  needle: Buffer,
  after: number,
  parse: (tail: Buffer) => T | undefined,
  chunk = 4 * 1024 * 1024,
): Promise<T | undefined> {
  const search = (buf: Buffer, limit: number): T | undefined => {
    for (let i = buf.indexOf(needle); i >= 0 && i < limit; i = buf.indexOf(needle, i + 1)) {
      const r = parse(buf.subarray(i + needle.length, i + needle.length + after));
      if (r !== undefined) return r;
    }
    return undefined;
  };
  if (!file.readAt) {
    const all = await file.read();
    return search(all, all.length);
  }
  // Chunks overlap by the needle and its tail, so an occurrence at a seam is seen whole once.
  for (let pos = 0; pos < file.size; pos += chunk) {
    const r = search(await file.readAt(pos, chunk + needle.length + after), chunk);
    if (r !== undefined) return r;
  }
  return undefined;
}

// --- Node.js ---------------------------------------------------------------------------------

const NODE_MARKER = Buffer.from('node.js/v');

export function isNodeBinaryPath(path: string, mode: number): boolean {
  if (!path.endsWith('node') && !path.endsWith('nodejs') && !path.includes('libnode.so.')) return false;
  const base = baseName(path);
  if (/^libnode\.so\.\d+$/.test(base)) return true;
  if (base !== 'node' && base !== 'nodejs') return false;
  return (mode & 0o111) !== 0 && (path === `bin/${base}` || path.endsWith(`/bin/${base}`));
}

/** The version after the inspector's "node.js/v" (its /json/version "Browser" field), NUL-terminated. */
export function nodeVersionAfterMarker(tail: Buffer): string | undefined {
  const m = /^(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)\0/.exec(tail.toString('latin1'));
  return m?.[1];
}

export const nodeRuntimeAnalyzer: LangAnalyzer = {
  name: 'runtime-node',
  version: 1,
  lang: { type: TYPE, purlType: 'generic', group: GROUP },
  maxFileSize: 256 * 1024 * 1024,
  // bin/node, bin/nodejs and libnode.so.N
  prefilter: { names: ['node', 'nodejs'], stems: ['libnode'] },
  matches: (path, info) => info.type === 'file' && isNodeBinaryPath(path, info.mode),
  async analyze(file) {
    if (!(await head(file, 4)).equals(Buffer.from('\x7fELF', 'latin1'))) return undefined;
    const version = await scanFile(file, NODE_MARKER, 64, nodeVersionAfterMarker);
    return version ? { name: 'node', version } : undefined;
  },
};

// --- Python ------------------------------------------------------------------------------------

const PY_HEADER = /(^|\/)include\/python\d+\.\d+[a-z]*\/patchlevel\.h$/;

export function parsePatchlevel(text: string): string | undefined {
  const m = /^[ \t]*#[ \t]*define[ \t]+PY_VERSION[ \t]+"(\d+\.\d+\.\d+[0-9A-Za-z+.]*)"/m.exec(text);
  return m?.[1];
}

export const pythonRuntimeAnalyzer: LangAnalyzer = {
  name: 'runtime-python',
  version: 1,
  lang: { type: TYPE, purlType: 'generic', group: GROUP },
  maxFileSize: 64 * 1024,
  prefilter: { names: ['patchlevel.h'] },
  matches: (path, info) =>
    info.type === 'file' && info.size <= 64 * 1024 && path.endsWith('/patchlevel.h') && PY_HEADER.test(path),
  async analyze(file) {
    const version = parsePatchlevel((await file.read()).toString('latin1'));
    return version ? { name: 'python', version } : undefined;
  },
};

// --- Ruby --------------------------------------------------------------------------------------

// usr/local/lib/ruby/3.3.0/x86_64-linux/rbconfig.rb; Debian: usr/lib/x86_64-linux-gnu/ruby/3.1.0/rbconfig.rb
const RBCONFIG = /(^|\/)ruby\/\d+\.\d+\.\d+\/([^/]+\/)?rbconfig\.rb$/;

export function parseRbConfig(text: string): string | undefined {
  const get = (k: string) => new RegExp(`^\\s*CONFIG\\["${k}"\\]\\s*=\\s*"(\\d+)"`, 'm').exec(text)?.[1];
  const major = get('MAJOR');
  const minor = get('MINOR');
  const teeny = get('TEENY');
  return major && minor && teeny ? `${major}.${minor}.${teeny}` : undefined;
}

export const rubyRuntimeAnalyzer: LangAnalyzer = {
  name: 'runtime-ruby',
  version: 1,
  lang: { type: TYPE, purlType: 'generic', group: GROUP },
  maxFileSize: 1024 * 1024,
  prefilter: { names: ['rbconfig.rb'] },
  matches: (path, info) =>
    info.type === 'file' && info.size <= 1024 * 1024 && path.endsWith('/rbconfig.rb') && RBCONFIG.test(path),
  async analyze(file) {
    const version = parseRbConfig((await file.read()).toString('latin1'));
    return version ? { name: 'ruby', version } : undefined;
  },
};

// --- Java --------------------------------------------------------------------------------------

/** KEY="value" lines of a JDK `release` file. */
export function parseJavaRelease(text: string): LangPackage | undefined {
  const fields = new Map<string, string>();
  for (const m of text.matchAll(/^([A-Z_]+)=(?:"([^"\n]*)"|([^\n]*))$/gm))
    if (!fields.has(m[1] as string)) fields.set(m[1] as string, (m[2] ?? m[3] ?? '').trim());
  const version = fields.get('JAVA_VERSION');
  if (!version || !/^\d+(\.\d+)*(_\d+)?[0-9A-Za-z.+-]*$/.test(version)) return undefined;
  // Oracle's commercial Java SE is a product of its own in advisories; everything else is OpenJDK.
  const commercial = fields.get('BUILD_TYPE') === 'commercial';
  const name = commercial ? (fields.get('IMAGE_TYPE') === 'JRE' ? 'jre' : 'jdk') : 'openjdk';
  return { name, version };
}

export const javaRuntimeAnalyzer: LangAnalyzer = {
  name: 'runtime-java',
  version: 1,
  lang: { type: TYPE, purlType: 'generic', group: GROUP },
  maxFileSize: 64 * 1024,
  prefilter: { names: ['release'] },
  // Any file named "release" (JDKs live anywhere); the content decides. Small ones only: a big
  // file of that name is something else, and skipping it here avoids a size warning.
  matches: (path, info) => info.type === 'file' && info.size <= 64 * 1024 && path.endsWith('/release'),
  async analyze(file) {
    return parseJavaRelease((await file.read()).toString('utf8'));
  },
};

// --- Go ----------------------------------------------------------------------------------------

/** "go1.21.5" -> v1.21.5; "go1.20" -> v1.20.0; "go1.21rc2" -> v1.21.0-rc.2 (Go's own mapping). */
export function goVersionToSemver(v: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(v);
  if (!m) return undefined;
  const pre = m[4] ? `-${m[4]}.${m[5]}` : '';
  return `v${m[1]}.${m[2]}.${m[3] ?? '0'}${pre}`;
}

export const goRuntimeAnalyzer: LangAnalyzer = {
  name: 'runtime-go',
  version: 1,
  lang: { type: TYPE, purlType: 'golang', group: GROUP },
  maxFileSize: 4096,
  prefilter: { names: ['VERSION'] },
  // Any small file named VERSION; only a GOROOT's starts with "go1.".
  matches: (path, info) =>
    info.type === 'file' && info.size <= 4096 && (path === 'VERSION' || path.endsWith('/VERSION')),
  async analyze(file) {
    const first = (await file.read()).toString('latin1').split('\n')[0]?.trim() ?? '';
    const version = goVersionToSemver(first);
    return version ? { name: 'stdlib', version } : undefined;
  },
};

export const RUNTIME_ANALYZERS: readonly LangAnalyzer[] = [
  nodeRuntimeAnalyzer,
  pythonRuntimeAnalyzer,
  rubyRuntimeAnalyzer,
  javaRuntimeAnalyzer,
  goRuntimeAnalyzer,
];
