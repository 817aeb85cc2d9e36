// dpkg databases: var/lib/dpkg/status and the distroless var/lib/dpkg/status.d/* files.

import { languagePathFilter } from '../owned.js';
import type { Analyzer } from '../types.js';

export interface DpkgPackage {
  name: string;
  version: string;
  arch: string;
  srcName: string;
  srcVersion: string;
  /** The third word of Status: installed, unpacked, half-configured... */
  status: string;
  maintainer?: string;
}

/**
 * States in which a package's files are on disk. "config-files" and "not-installed" leave
 * at most conffiles behind, so they are not reported.
 */
export const INSTALLED_STATES: ReadonlySet<string> = new Set([
  'installed',
  'unpacked',
  'half-configured',
  'half-installed',
  'triggers-awaited',
  'triggers-pending',
]);

/** Parses a dpkg status file into installed packages (distroless files carry no Status field). */
export function parseDpkgStatus(text: string, requireStatus = true): DpkgPackage[] {
  const out: DpkgPackage[] = [];
  // Stanzas are separated by blank lines; fields may continue on lines starting with space/tab.
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    let name: string | undefined;
    let version: string | undefined;
    let arch = '';
    let source: string | undefined;
    let status: string | undefined;
    let maintainer: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line === '' || line[0] === ' ' || line[0] === '\t') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const key = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      switch (key) {
        case 'Package':
          name = value;
          break;
        case 'Version':
          version = value;
          break;
        case 'Architecture':
          arch = value;
          break;
        case 'Source':
          source = value;
          break;
        case 'Status':
          status = value;
          break;
        case 'Maintainer':
          maintainer = value;
          break;
      }
    }
    if (!name || !version) continue;
    let state = 'installed';
    if (status !== undefined) {
      const words = status.split(/\s+/);
      state = words[2] ?? '';
      if (!INSTALLED_STATES.has(state)) continue;
    } else if (requireStatus) continue;
    let srcName = name;
    let srcVersion = version;
    if (source) {
      const m = /^(\S+)(?:\s+\(([^)]+)\))?$/.exec(source);
      if (m) {
        srcName = m[1] as string;
        if (m[2]) srcVersion = m[2].trim();
      }
    }
    const p: DpkgPackage = { name, version, arch, srcName, srcVersion, status: state };
    if (maintainer) p.maintainer = maintainer;
    out.push(p);
  }
  return out;
}

export const DPKG_STATUS = 'var/lib/dpkg/status';
export const DPKG_STATUS_D = 'var/lib/dpkg/status.d/';

export function isDpkgStatusD(path: string): boolean {
  if (!path.startsWith(DPKG_STATUS_D)) return false;
  const base = path.slice(DPKG_STATUS_D.length);
  return base !== '' && !base.includes('/') && !base.endsWith('.md5sums') && !base.startsWith('.');
}

export const dpkgAnalyzer: Analyzer<DpkgPackage[]> = {
  name: 'dpkg',
  version: 1,
  maxFileSize: 128 * 1024 * 1024,
  prefilter: { names: ['status'], dirs: [DPKG_STATUS_D.slice(0, -1)] },
  matches: (path) => path === DPKG_STATUS || isDpkgStatusD(path),
  async analyze(file) {
    const text = (await file.read()).toString('utf8');
    return parseDpkgStatus(text, file.path === DPKG_STATUS);
  },
};

export const DPKG_INFO = 'var/lib/dpkg/info/';

/** "var/lib/dpkg/info/python3-six.list" or ".../libc6:amd64.list": the files a package installed. */
export function isDpkgFileList(path: string): boolean {
  if (!path.startsWith(DPKG_INFO) || !path.endsWith('.list')) return false;
  return !path.slice(DPKG_INFO.length).includes('/');
}

/**
 * The files a dpkg package owns, kept only where a language analyzer would look: Debian's
 * python3-*, node-* and ruby-* packages install metadata that must not be reported a second time
 * as a language package (see ../owned.ts).
 */
export const dpkgFilesAnalyzer: Analyzer<string[]> = {
  name: 'dpkg-files',
  version: 2,
  maxFileSize: 64 * 1024 * 1024,
  prefilter: { extensions: ['.list'] },
  matches: (path, info) => info.type === 'file' && isDpkgFileList(path),
  async analyze(file) {
    const relevant = await languagePathFilter();
    const owned: string[] = [];
    for (const line of (await file.read()).toString('utf8').split('\n')) {
      if (!line.startsWith('/') || line.length < 2) continue;
      const p = line.slice(1);
      if (relevant(p)) owned.push(p);
    }
    return owned;
  },
};
