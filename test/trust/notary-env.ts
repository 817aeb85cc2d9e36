// The real Notary services for the notary-* tests: DRYDOCK_TEST_NOTARY / _TOKEN / _CA from the
// test runner (scripts/notary.sh start), or, when Debian's notary binaries are installed,
// scripts/notary.sh is run here (idempotent: it reuses services that are already up).
// Tests skip with a message when neither works.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ROOT } from '../helpers/env.js';

export interface NotaryServices {
  /** notary-server without auth. */
  url: string;
  /** notary-server with token auth (dduser/ddpass may push). */
  tokenUrl: string;
  /** The CA of both servers' TLS certificates. */
  ca: string;
}

function onPath(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

export const HAVE_NOTARY_CLI = onPath('notary');
const HAVE_SERVER = onPath('notary-server') && onPath('notary-signer');

function fromEnv(env: NodeJS.ProcessEnv): NotaryServices | undefined {
  const url = env.DRYDOCK_TEST_NOTARY;
  const ca = env.DRYDOCK_TEST_NOTARY_CA;
  if (!url || !ca) return undefined;
  return { url, ca, tokenUrl: env.DRYDOCK_TEST_NOTARY_TOKEN ?? '' };
}

let why = '';
function start(): NotaryServices | undefined {
  const given = fromEnv(process.env);
  if (given) return given;
  if (!HAVE_SERVER) {
    why = 'needs notary-server and notary-signer (apt-get install notary)';
    return undefined;
  }
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'notary.sh'), 'start'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) {
    why = `scripts/notary.sh start failed: ${(r.stderr || '').trim().split('\n').pop() ?? ''}`;
    return undefined;
  }
  const env: NodeJS.ProcessEnv = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^(DRYDOCK_TEST_NOTARY\w*)=(.*)$/.exec(line.trim());
    if (m) env[m[1] as string] = m[2];
  }
  const s = fromEnv(env);
  if (!s) why = 'scripts/notary.sh start printed no DRYDOCK_TEST_NOTARY';
  return s;
}

let cached:
  | { services: NotaryServices | undefined; skip: string | false; skipCli: string | false }
  | undefined;

/** Finds or starts the services once per process (only test files that need them call this). */
export function notaryServices(): {
  services: NotaryServices | undefined;
  skip: string | false;
  skipCli: string | false;
} {
  if (!cached) {
    const services = start();
    const skip = services ? false : why;
    cached = {
      services,
      skip,
      skipCli: skip || (HAVE_NOTARY_CLI ? false : 'needs the notary CLI (apt-get install notary)'),
    };
  }
  return cached;
}

/** A GUN nobody used before (the servers keep memory storage across test runs). */
export function freshGun(prefix = 'example.com/dd-test'): string {
  return `${prefix}/r${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

export interface NotaryCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real notary CLI against the test server with its own trust dir. */
export function notaryCli(
  trustDir: string,
  args: string[],
  opts: { input?: Buffer | string; env?: Record<string, string>; server?: string } = {},
): NotaryCliResult {
  const s = notaryServices().services as NotaryServices;
  const r = spawnSync('notary', ['-s', opts.server ?? s.url, '--tlscacert', s.ca, '-d', trustDir, ...args], {
    input: opts.input,
    encoding: 'utf8',
    timeout: 20_000,
    env: {
      ...process.env,
      NOTARY_ROOT_PASSPHRASE: 'notary-root-pass',
      NOTARY_TARGETS_PASSPHRASE: 'notary-targets-pass',
      NOTARY_SNAPSHOT_PASSPHRASE: 'notary-snapshot-pass',
      NOTARY_DELEGATION_PASSPHRASE: 'notary-delegation-pass',
      ...opts.env,
    },
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** notaryCli that must succeed; returns stdout. */
export function notaryOk(
  trustDir: string,
  args: string[],
  opts: Parameters<typeof notaryCli>[2] = {},
): string {
  const r = notaryCli(trustDir, args, opts);
  if (r.code !== 0) throw new Error(`notary ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}
