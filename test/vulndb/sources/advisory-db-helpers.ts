// Shared by the rubysec, friendsofphp and rustsec importer tests: walking ../shared/data and
// running an importer over files the way the feed loader does (detect on the first 4 KiB, then parse).

import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import type { Advisory, FeedRecord, Importer } from '../../../src/vulndb/types.js';
import { ROOT, SHARED } from '../../helpers/env.js';

export const DATA = path.join(SHARED, 'data');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'vulndb');

/** Every file under `dir`, as paths relative to it ("/"-separated), sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

export function advisoriesOf(records: Iterable<FeedRecord>): Advisory[] {
  const out: Advisory[] = [];
  for (const r of records) {
    if (!('advisory' in r)) throw new Error('expected only advisories');
    out.push(r.advisory);
  }
  return out;
}

/** Parses `root/rel` with the importer; the path handed over is `rel`, as the loader does. */
export function parseFile(imp: Importer, root: string, rel: string): Advisory[] {
  return advisoriesOf(imp.parse(rel, readFileSync(path.join(root, rel))));
}

/** The one advisory a file yields. */
export function one(imp: Importer, root: string, rel: string): Advisory {
  const all = parseFile(imp, root, rel);
  if (all.length !== 1) throw new Error(`${rel}: ${all.length} advisories`);
  return all[0] as Advisory;
}

/** The first 4 KiB of a file, what `detect` is given. */
export function head(file: string): Buffer {
  const buf = Buffer.alloc(4096);
  const fd = openSync(file, 'r');
  try {
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
}

let sharedHeads: [string, Buffer][] | undefined;

/** Files under ../shared/data (every format) for which `detect` is true, relative to DATA. */
export function detectedInShared(imp: Importer): string[] {
  sharedHeads ??= filesUnder(DATA).map((rel) => [rel, head(path.join(DATA, rel))]);
  return sharedHeads.filter(([rel, h]) => imp.detect(rel, h)).map(([rel]) => rel);
}

/** Runs `f` and returns its result and the elapsed milliseconds. */
export function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}
