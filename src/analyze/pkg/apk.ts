// Alpine/Wolfi apk database: lib/apk/db/installed (one block per package, "K:value" lines).

import { languagePathFilter } from '../owned.js';
import type { Analyzer } from '../types.js';

export interface ApkPackage {
  name: string;
  version: string;
  arch: string;
  /** The source package (apk "origin"), what Alpine's secdb is keyed by. */
  origin: string;
  license?: string;
  maintainer?: string;
  /** Installed files (F: directory + R: file), for ownership of language packages. */
  files: string[];
}

export const APK_DB = 'lib/apk/db/installed';

export function parseApkInstalled(text: string): ApkPackage[] {
  const out: ApkPackage[] = [];
  let cur: Partial<ApkPackage> & { files: string[] } = { files: [] };
  let dir = '';
  const flush = () => {
    if (cur.name && cur.version) {
      const p: ApkPackage = {
        name: cur.name,
        version: cur.version,
        arch: cur.arch ?? '',
        origin: cur.origin ?? cur.name,
        files: cur.files,
      };
      if (cur.license) p.license = cur.license;
      if (cur.maintainer) p.maintainer = cur.maintainer;
      out.push(p);
    }
    cur = { files: [] };
    dir = '';
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      flush();
      continue;
    }
    if (line.length < 2 || line[1] !== ':') continue;
    const v = line.slice(2);
    switch (line[0]) {
      case 'P':
        cur.name = v;
        break;
      case 'V':
        cur.version = v;
        break;
      case 'A':
        cur.arch = v;
        break;
      case 'o':
        cur.origin = v;
        break;
      case 'L':
        cur.license = v;
        break;
      case 'm':
        cur.maintainer = v;
        break;
      case 'F':
        dir = v;
        break;
      case 'R':
        cur.files.push(dir ? `${dir}/${v}` : v);
        break;
    }
  }
  flush();
  return out;
}

export const apkAnalyzer: Analyzer<ApkPackage[]> = {
  name: 'apk',
  version: 3,
  maxFileSize: 64 * 1024 * 1024,
  prefilter: { names: ['installed'] },
  matches: (path) => path === APK_DB,
  async analyze(file) {
    const packages = parseApkInstalled((await file.read()).toString('utf8'));
    // Keep only the owned files the inventory needs (see ../owned.ts).
    const relevant = await languagePathFilter();
    for (const p of packages) p.files = p.files.filter(relevant);
    return packages;
  },
};
