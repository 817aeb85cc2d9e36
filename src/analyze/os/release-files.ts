// OS identification files: os-release, alpine-release, debian_version, redhat-release, lsb-release.

import type { Analyzer } from '../types.js';

export type ReleaseFile =
  | { kind: 'os-release'; fields: Record<string, string> }
  | { kind: 'lsb-release'; fields: Record<string, string> }
  | { kind: 'text'; text: string };

const PATHS = new Set([
  'etc/os-release',
  'usr/lib/os-release',
  'etc/alpine-release',
  'etc/debian_version',
  'etc/redhat-release',
  'etc/centos-release',
  'etc/fedora-release',
  'etc/system-release',
  'etc/lsb-release',
]);

/** Parses KEY=value lines as os-release(5) defines them (shell-style quoting). */
export function parseKeyValue(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
    let v = line.slice(eq + 1).trim();
    if (
      (v.startsWith('"') && v.endsWith('"') && v.length >= 2) ||
      (v.startsWith("'") && v.endsWith("'") && v.length >= 2)
    ) {
      v = v.slice(1, -1);
      v = v.replace(/\\(["'$`\\])/g, '$1');
    }
    out[key] = v;
  }
  return out;
}

export const releaseFileAnalyzer: Analyzer<ReleaseFile> = {
  name: 'os-release',
  version: 1,
  maxFileSize: 64 * 1024,
  prefilter: { names: [...PATHS].map((p) => p.slice(p.lastIndexOf('/') + 1)) },
  matches: (path) => PATHS.has(path),
  async analyze(file) {
    const text = (await file.read()).toString('utf8');
    if (file.path.endsWith('os-release')) return { kind: 'os-release', fields: parseKeyValue(text) };
    if (file.path === 'etc/lsb-release') return { kind: 'lsb-release', fields: parseKeyValue(text) };
    return { kind: 'text', text: text.trim().slice(0, 1024) };
  },
};
