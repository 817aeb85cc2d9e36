// The list of analyzers. Add new ones here; their name and version key the layer cache.

import { cargoLockAnalyzer } from './lang/cargo.js';
import { dotnetDepsAnalyzer } from './lang/dotnet.js';
import { goBinaryAnalyzer } from './lang/gobinary.js';
import { goModAnalyzer } from './lang/golang.js';
import { jarAnalyzer } from './lang/jar.js';
import { nodePkgAnalyzer, npmLockAnalyzer } from './lang/npm.js';
import { composerLockAnalyzer, composerVendorAnalyzer } from './lang/php.js';
import { pnpmLockAnalyzer } from './lang/pnpm.js';
import { pythonPkgAnalyzer } from './lang/python.js';
import { PYTHON_LOCK_ANALYZERS } from './lang/python-lock.js';
import { bundlerAnalyzer, gemspecAnalyzer } from './lang/ruby.js';
import { RUNTIME_ANALYZERS } from './lang/runtime.js';
import { rustBinaryAnalyzer } from './lang/rustbinary.js';
import { yarnLockAnalyzer } from './lang/yarn.js';
import { releaseFileAnalyzer } from './os/release-files.js';
import { apkAnalyzer } from './pkg/apk.js';
import { dpkgAnalyzer, dpkgFilesAnalyzer } from './pkg/dpkg.js';
import { rpmAnalyzer } from './pkg/rpm.js';
import type { Analyzer } from './types.js';

export const ANALYZERS: readonly Analyzer[] = [
  releaseFileAnalyzer,
  dpkgAnalyzer,
  dpkgFilesAnalyzer,
  apkAnalyzer,
  rpmAnalyzer,
  npmLockAnalyzer,
  yarnLockAnalyzer,
  pnpmLockAnalyzer,
  nodePkgAnalyzer,
  pythonPkgAnalyzer,
  ...PYTHON_LOCK_ANALYZERS,
  bundlerAnalyzer,
  gemspecAnalyzer,
  composerLockAnalyzer,
  composerVendorAnalyzer,
  jarAnalyzer,
  dotnetDepsAnalyzer,
  goModAnalyzer,
  goBinaryAnalyzer,
  cargoLockAnalyzer,
  rustBinaryAnalyzer,
  ...RUNTIME_ANALYZERS,
];
