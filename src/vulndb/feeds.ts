// The feeds `db update` downloads when no --feeds file is given: each publisher's own files.
// A feeds file (JSON: {"feeds": [{"name": "...", "urls": [mirror, mirror...]}]}) replaces this list,
// e.g. to point at an internal mirror.

import type { FeedSource } from './update.js';

const OSV = 'https://osv-vulnerabilities.storage.googleapis.com';
const ALPINE = 'https://secdb.alpinelinux.org';

export const DEFAULT_FEEDS: readonly FeedSource[] = [
  { name: 'debian-tracker', urls: ['https://security-tracker.debian.org/tracker/data/json'] },
  ...['3.18', '3.19', '3.20', '3.21', '3.22'].flatMap((v) =>
    ['main', 'community'].map((repo) => ({
      name: `alpine-${v}-${repo}`,
      urls: [`${ALPINE}/v${v}/${repo}.json`],
    })),
  ),
  ...[
    'npm',
    'PyPI',
    'RubyGems',
    'Packagist',
    'Go',
    'crates.io',
    'Maven',
    'NuGet',
    'Debian',
    'Ubuntu',
    'Alpine',
  ].map((eco) => ({
    name: `osv-${eco.toLowerCase().replace(/[^a-z0-9]/g, '')}`,
    urls: [`${OSV}/${eco}/all.zip`],
  })),
];
