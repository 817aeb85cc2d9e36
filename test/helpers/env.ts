// Where the test setup (scripts/test.sh) put real images and registries; skips when absent.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'drydock');
export const SHARED = path.resolve(ROOT, '..', 'shared');

export const IMAGES = process.env.DRYDOCK_TEST_IMAGES;
export const HAVE_IMAGES = !!IMAGES && existsSync(path.join(IMAGES, '.complete'));
export const HAVE_REGISTRY = process.env.DRYDOCK_TEST_REGISTRY === '1';
export const SKIP_IMAGES = HAVE_IMAGES
  ? false
  : 'needs the test images: run scripts/test.sh (DRYDOCK_TEST_IMAGES unset)';
export const SKIP_REGISTRY = HAVE_REGISTRY ? false : 'needs the test registries: run scripts/test.sh';
export const SKIP_SHARED = existsSync(SHARED) ? false : `needs ${SHARED} (the shared data folder is absent)`;

export const REGISTRY = { plain: '127.0.0.1:15000', basic: '127.0.0.1:15001', token: '127.0.0.1:15002' };
export const CREDS = { username: 'dduser', password: 'ddpass' };

export function img(...p: string[]): string {
  return path.join(IMAGES ?? '/nonexistent', ...p);
}

export function tmpdir(prefix = 'dd-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/drydock (the built CLI) with a private cache unless one is given. */
export function runCli(
  args: string[],
  opts: { env?: Record<string, string>; cacheDir?: string; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DRYDOCK_CACHE_DIR: opts.cacheDir ?? tmpdir('dd-cache-'),
      ...opts.env,
    };
    delete env.DRYDOCK_DEBUG;
    const child = spawn(process.execPath, [BIN, ...args], {
      env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The dpkg-query oracle written by scripts/build-test-images.sh. */
export function oracle(
  tag: string,
): { name: string; version: string; srcName: string; srcVersion: string; arch: string; status: string }[] {
  return readFileSync(img('status', `${tag}.packages.tsv`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [name, version, srcName, srcVersion, arch, status] = l.split('\t') as string[];
      return { name, version, srcName, srcVersion, arch, status } as {
        name: string;
        version: string;
        srcName: string;
        srcVersion: string;
        arch: string;
        status: string;
      };
    });
}

/** Asserts a CLI failure is a clean one-line user error with exit code 2. */
export function isCleanUserError(r: CliResult): boolean {
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('WARN '));
  return (
    r.code === 2 &&
    lines.length === 1 &&
    /^drydock: error: /.test(lines[0] ?? '') &&
    !/\n\s+at /.test(r.stderr)
  );
}
