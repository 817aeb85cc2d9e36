// Shared by the debian-tracker, debian-dsa and alpine-secdb importer tests: running an importer the
// way the feed loader does (detect on the first 4 KiB, then parse) and reading vunnel's snapshots.

import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import type { Advisory, FeedRecord, Importer } from '../../../src/vulndb/types.js';
import { ROOT, SHARED } from '../../helpers/env.js';

export const DATA = path.join(SHARED, 'data');
export const FIX = path.join(ROOT, 'test', 'fixtures', 'vulndb');

export function advisories(records: Iterable<FeedRecord>): Advisory[] {
  const out: Advisory[] = [];
  for (const r of records) {
    if (!('advisory' in r)) throw new Error('expected only advisories');
    out.push(r.advisory);
  }
  return out;
}

/** Parses a file; the path handed over is `rel` (relative to the imported root), as the loader does. */
export function parseAt(imp: Importer, root: string, rel: string): Advisory[] {
  return advisories(imp.parse(rel, readFileSync(path.join(root, rel))));
}

/** Parses a text given inline. */
export function parseText(imp: Importer, text: string | Buffer, rel = 'x'): Advisory[] {
  return advisories(imp.parse(rel, Buffer.isBuffer(text) ? text : Buffer.from(text)));
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

/** Every file under `dir`, relative to it, sorted. */
export function walk(dir: string): string[] {
  const out: string[] = [];
  const rec = (rel: string): void => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) rec(r);
      else if (e.isFile()) out.push(r);
    }
  };
  rec('');
  return out.sort();
}

let heads: [string, Buffer][] | undefined;

/** Files under ../shared/data (all formats) that `detect` accepts, relative to DATA. */
export function detectedInShared(imp: Importer): string[] {
  heads ??= walk(DATA).map((rel) => [rel, head(path.join(DATA, rel))]);
  return heads.filter(([rel, h]) => imp.detect(rel, h)).map(([rel]) => rel);
}

/** A compact view of an advisory for table comparisons. */
export function brief(a: Advisory): string {
  return [
    a.id,
    a.namespace,
    a.package,
    a.status,
    a.fixed ?? '-',
    a.severity ?? '-',
    (a.aliases ?? []).join('+'),
  ].join(' ');
}

export interface VunnelFixedIn {
  id: string;
  namespace: string;
  name: string;
  version: string;
  severity: string;
  advisories: string[];
}

/** vunnel's normalised records under a snapshots folder: one entry per FixedIn (or none). */
export function vunnelSnapshots(dir: string): {
  vulns: { id: string; namespace: string; severity: string }[];
  fixedIn: VunnelFixedIn[];
} {
  const vulns: { id: string; namespace: string; severity: string }[] = [];
  const fixedIn: VunnelFixedIn[] = [];
  if (!existsSync(dir)) return { vulns, fixedIn };
  for (const rel of walk(dir)) {
    if (!rel.endsWith('.json')) continue;
    const v = JSON.parse(readFileSync(path.join(dir, rel), 'utf8')).item.Vulnerability;
    vulns.push({ id: v.Name, namespace: v.NamespaceName, severity: v.Severity });
    for (const f of v.FixedIn as {
      Name: string;
      NamespaceName: string;
      Version: string;
      VendorAdvisory?: { AdvisorySummary?: { ID: string }[] };
    }[]) {
      fixedIn.push({
        id: v.Name,
        namespace: f.NamespaceName,
        name: f.Name,
        version: f.Version,
        severity: v.Severity,
        advisories: (f.VendorAdvisory?.AdvisorySummary ?? []).map((s) => s.ID),
      });
    }
  }
  return { vulns, fixedIn };
}
