// Installed Python distributions: *.dist-info/METADATA, *.egg-info/PKG-INFO and legacy *.egg-info files.

import type { LangAnalyzer, LangPackage } from './types.js';

export { normalizePythonName } from '../../inventory/purl.js';

export function isPythonMetadata(path: string): boolean {
  if (path.endsWith('.dist-info/METADATA')) return true;
  if (path.endsWith('.egg-info/PKG-INFO')) return true;
  // distutils writes the metadata as a single file named <name>-<version>-pyX.Y.egg-info
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.endsWith('.egg-info') && /(site|dist)-packages\//.test(path);
}

/** Reads the RFC 822 header block of a METADATA / PKG-INFO file (the body is the description). */
export function parsePythonMetadata(text: string): LangPackage | undefined {
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
  const p: LangPackage = { name, version };
  const license =
    fields['license-expression'] || (fields.license && fields.license !== 'UNKNOWN' ? fields.license : '');
  if (license && license.length < 200) p.license = license;
  return p;
}

export const pythonPkgAnalyzer: LangAnalyzer = {
  name: 'python-pkg',
  version: 1,
  lang: { type: 'python-pkg', purlType: 'pypi', group: 'Python' },
  maxFileSize: 8 * 1024 * 1024,
  prefilter: { names: ['METADATA', 'PKG-INFO'], extensions: ['.egg-info'] },
  matches: (path, info) => info.type === 'file' && isPythonMetadata(path),
  async analyze(file) {
    return parsePythonMetadata((await file.read()).toString('utf8'));
  },
};
