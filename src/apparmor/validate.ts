// Checks AppArmor profile text with the real apparmor_parser, compiling it without loading it into
// the kernel (-Q, --skip-kernel-load) and without touching the policy cache (-K, --skip-cache). This
// works on hosts whose kernel has no AppArmor; when the tool is missing the result says so.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { MAX_PROFILE_CHARS } from './parse.js';

export interface ParserResult {
  /** False when apparmor_parser is not installed (then `ok` is false and nothing was checked). */
  available: boolean;
  /** The parser accepted and compiled the profile. */
  ok: boolean;
  /** The parser's messages, with the temporary file's path replaced by the label. */
  output: string;
  /** The parser's exit code (null when it did not run or was killed). */
  exitCode: number | null;
}

export interface ValidateOptions {
  /** The apparmor_parser binary (default: found on PATH, then /usr/sbin, /sbin). */
  parser?: string;
  /** Time limit (default 20 s). */
  timeoutMs?: number;
  /** Base directory for relative includes (`-b`, default the parser's /etc/apparmor.d). */
  baseDir?: string;
  /** Extra include search directories (`-I`). */
  includeDirs?: string[];
  /** Name used for the profile in messages (default "profile"). */
  label?: string;
}

const CANDIDATES = ['/usr/sbin/apparmor_parser', '/sbin/apparmor_parser'];
// Printed on every run where the kernel has no AppArmor interface; says nothing about the profile.
const NOISE = /^Cache read\/write disabled: interface file missing\./;
const MAX_OUTPUT = 1 << 20;

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The apparmor_parser binary on this machine, or undefined. */
export function findApparmorParser(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && path.isAbsolute(dir) && executable(path.join(dir, 'apparmor_parser'))) {
      return path.join(dir, 'apparmor_parser');
    }
  }
  return CANDIDATES.find(executable);
}

/** Compiles `text` with `apparmor_parser -Q -K`; bounded in time and output. */
export function validateWithParser(text: string, opts: ValidateOptions = {}): ParserResult {
  const label = opts.label ?? 'profile';
  if (text.length > MAX_PROFILE_CHARS) {
    throw new UserError(
      `${label}: larger than ${MAX_PROFILE_CHARS} characters; AppArmor profiles that large are refused`,
    );
  }
  const parser = opts.parser ?? findApparmorParser();
  if (!parser || !executable(parser)) {
    return {
      available: false,
      ok: false,
      output: 'apparmor_parser is not installed (Debian/Ubuntu package: apparmor)',
      exitCode: null,
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-aa-'));
  const file = path.join(dir, 'profile');
  try {
    writeFileSync(file, text, { mode: 0o600 });
    const args = ['-Q', '-K'];
    if (opts.baseDir) args.push('-b', opts.baseDir);
    for (const d of opts.includeDirs ?? []) args.push('-I', d);
    args.push(file);
    const timeout = opts.timeoutMs ?? 20_000;
    const r = spawnSync(parser, args, {
      encoding: 'utf8',
      timeout,
      killSignal: 'SIGKILL',
      maxBuffer: MAX_OUTPUT,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
    });
    const raw = `${r.stderr ?? ''}${r.stdout ?? ''}`;
    const output = raw
      .split('\n')
      .filter((l) => l.trim() !== '' && !NOISE.test(l))
      .map((l) => l.split(file).join(label))
      .join('\n');
    if (r.error) {
      const timedOut = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
      const why = timedOut
        ? `apparmor_parser timed out after ${timeout} ms`
        : `apparmor_parser failed: ${r.error.message}`;
      return { available: true, ok: false, output: output ? `${why}\n${output}` : why, exitCode: null };
    }
    return { available: true, ok: r.status === 0, output, exitCode: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
