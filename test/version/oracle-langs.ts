// Batch runner for the language-ecosystem version oracles (pypi, gem, maven): one child process
// answers every query, one line in and one line out, so thousands of pairs cost one start-up.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/env.js';

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'version');

/** Debian's maven-artifact 3.8.7 (package libmaven3-core-java) and the commons-lang3 it needs. */
export const MAVEN_CLASSPATH = '/usr/share/java/maven3-artifact.jar:/usr/share/java/commons-lang3.jar';

/**
 * Runs `cmd args` once with `lines` on stdin and returns its stdout lines (one per input line), or
 * undefined when the command cannot be started (tool absent).
 */
export function runBatch(cmd: string, args: string[], lines: string[]): string[] | undefined {
  const r = spawnSync(cmd, args, {
    input: lines.length ? `${lines.join('\n')}\n` : '',
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 120_000,
  });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw r.error;
  }
  if (r.status !== 0) throw new Error(`${cmd} exited with ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const out = r.stdout.split('\n');
  if (out[out.length - 1] === '') out.pop();
  if (out.length !== lines.length) {
    throw new Error(`${cmd}: ${out.length} answers for ${lines.length} questions: ${r.stderr.slice(0, 500)}`);
  }
  return out;
}

/** The first stdout line of `cmd args`, or undefined when it cannot run or fails. */
export function probe(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim().split('\n')[0];
}

/** A JSON-lines oracle (pypi-oracle.py, gem-oracle.rb): each query is a JSON array, each answer JSON. */
export function runJsonOracle(cmd: string, args: string[], queries: unknown[][]): unknown[] | undefined {
  const out = runBatch(
    cmd,
    args,
    queries.map((q) => JSON.stringify(q)),
  );
  return out?.map((l) => JSON.parse(l) as unknown);
}

export interface PairRow {
  a: string;
  b: string;
  /** -1, 0 or 1; or 'err' where the oracle refused one of the two. */
  sign: number | 'err';
}

/** Reads a fixture of `a<TAB>b<TAB>result` lines (`#` lines are comments). */
export function readTsv(name: string): string[][] {
  return readFileSync(path.join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
}

export function readPairs(name: string): PairRow[] {
  return readTsv(name).map(([a, b, s]) => ({
    a: a as string,
    b: b as string,
    sign: s === 'err' ? 'err' : Number(s),
  }));
}

export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Characters that would break a TSV line or a reader's line splitting: kept out of the fixtures. */
export function tsvSafe(s: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  return !/[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(s);
}

/** A seed for this run's random samples, printed so that a failure can be replayed. */
export function runSeed(): number {
  const env = process.env.DRYDOCK_VERSION_SEED;
  return env ? Number(env) : Math.floor(Math.random() * 2 ** 31);
}
