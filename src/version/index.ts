// Version schemes by name, and the scheme each package type is compared with.

import { apkScheme } from './apk.js';
import { cargoScheme } from './cargo.js';
import { composerScheme } from './composer.js';
import { debScheme } from './deb.js';
import { gemScheme } from './gem.js';
import { goScheme } from './go.js';
import { mavenScheme } from './maven.js';
import { npmScheme } from './npm.js';
import { nugetScheme } from './nuget.js';
import { pypiScheme } from './pypi.js';
import { rpmScheme } from './rpm.js';
import type { VersionScheme } from './types.js';

export const SCHEMES: Readonly<Record<string, VersionScheme>> = {
  deb: debScheme,
  rpm: rpmScheme,
  apk: apkScheme,
  npm: npmScheme,
  pypi: pypiScheme,
  gem: gemScheme,
  maven: mavenScheme,
  nuget: nugetScheme,
  go: goScheme,
  composer: composerScheme,
  cargo: cargoScheme,
};

/** The vulnerability namespace (and version scheme) of each language package type. */
export const LANG_ECOSYSTEM: Readonly<Record<string, string>> = {
  npm: 'npm',
  yarn: 'npm',
  pnpm: 'npm',
  'node-pkg': 'npm',
  pip: 'pypi',
  pipenv: 'pypi',
  poetry: 'pypi',
  uv: 'pypi',
  pylock: 'pypi',
  'python-pkg': 'pypi',
  bundler: 'gem',
  gemspec: 'gem',
  composer: 'composer',
  'composer-vendor': 'composer',
  gomod: 'go',
  gobinary: 'go',
  cargo: 'cargo',
  rustbinary: 'cargo',
  jar: 'maven',
  'dotnet-core': 'nuget',
};
