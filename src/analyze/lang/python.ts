// Installed Python distributions: *.dist-info/METADATA, *.egg-info/PKG-INFO and legacy *.egg-info files.

import type { Analyzer } from '../types.js';

export interface PythonPackage {
  name: string;
  version: string;
  license?: string;
}

export function isPythonMetadata(path: string): boolean {
  if (path.endsWith('.dist-info/METADATA')) return true;
  if (path.endsWith('.egg-info/PKG-INFO')) return true;
  // distutils writes the metadata as a single file named <name>-<version>-pyX.Y.egg-info
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.endsWith('.egg-info') && /(site|dist)-packages\//.test(path);
}

/** Reads the RFC 822 header block of a METADATA / PKG-INFO file (the body is the description). */
export function parsePythonMetadata(text: string): PythonPackage | undefined {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (l === '') break;
    if (l[0] === ' ' || l[0] === '\t') continue;
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const key = l.slice(0, i).toLowerCase();
    if (!(key in fields)) fields[key] = l.slice(i + 1).trim();
  }
  const name = fields.name;
  const version = fields.version;
  if (!name || !version) return undefined;
  const p: PythonPackage = { name, version };
  const license =
    fields['license-expression'] || (fields.license && fields.license !== 'UNKNOWN' ? fields.license : '');
  if (license && license.length < 200) p.license = license;
  return p;
}

/** PEP 503 normalised name, as purls and indexes use it. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export const pythonPkgAnalyzer: Analyzer<PythonPackage> = {
  name: 'python-pkg',
  version: 1,
  maxFileSize: 8 * 1024 * 1024,
  matches: (path, info) => info.type === 'file' && isPythonMetadata(path),
  async analyze(file) {
    return parsePythonMetadata((await file.read()).toString('utf8'));
  },
};
