// Shared by the version-scheme tests and the fixture generator: the real tools as batch oracles,
// the committed pair fixtures, the real version strings of ../shared, and order-property checks.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VersionScheme } from '../../src/version/types.js';
import { ROOT, SHARED } from '../helpers/env.js';

export type Pair = [string, string];

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'version');
export const DATA = path.join(SHARED, 'data');

export function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function run(cmd: string, args: string[], input?: string): string | undefined {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  return r.status === 0 ? r.stdout : undefined;
}

function signs(out: string | undefined, n: number): (-1 | 0 | 1)[] | undefined {
  if (out === undefined) return undefined;
  const lines = out.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, n, 'the oracle answered a different number of pairs');
  const odd = lines.find((l) => !/^-?\d+$/.test(l));
  assert.equal(odd, undefined, `the oracle answered ${odd}`);
  return lines.map((l) => sign(Number(l)));
}

function checkTabs(pairs: Pair[]): void {
  for (const [a, b] of pairs) assert.ok(!/[\t\n]/.test(a + b), 'no tab or newline in oracle input');
}

// --- Debian: libapt's version_compare (python3-apt) in one process; dpkg itself for samples.

const APT_SCRIPT = `
import sys, apt_pkg
apt_pkg.init_config(); apt_pkg.init_system()
out = []
for line in sys.stdin.read().split("\\n"):
    if line:
        a, b = line.split("\\t")
        out.append(str(apt_pkg.version_compare(a, b)))
print("\\n".join(out))
`;

let aptPython: string | null | undefined;

/** A python3 with apt_pkg (python3-apt is built for Debian's own python3), or null. */
export function aptPythonPath(): string | null {
  if (aptPython === undefined) {
    aptPython = null;
    for (const py of ['/usr/bin/python3', 'python3']) {
      if (run(py, ['-c', 'import apt_pkg']) !== undefined) {
        aptPython = py;
        break;
      }
    }
  }
  return aptPython;
}

export function aptVersionCompare(pairs: Pair[]): (-1 | 0 | 1)[] | undefined {
  const py = aptPythonPath();
  if (!py) return undefined;
  checkTabs(pairs);
  return signs(run(py, ['-c', APT_SCRIPT], pairs.map((p) => p.join('\t')).join('\n')), pairs.length);
}

export function haveDpkg(): boolean {
  return run('dpkg', ['--version']) !== undefined;
}

/** dpkg --compare-versions on each pair, from one bash loop (dpkg takes one pair per run). */
export function dpkgCompare(pairs: Pair[]): (-1 | 0 | 1)[] | undefined {
  if (!haveDpkg()) return undefined;
  checkTabs(pairs);
  // Exit status 0: true, 1: false, 2: bad syntax (reported as "error", which fails the check).
  const script = `while IFS=$'\\t' read -r a b; do
  dpkg --compare-versions "$a" lt "$b" 2>/dev/null; r=$?
  if [ $r = 0 ]; then echo -1
  elif [ $r = 1 ]; then
    if dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0; else echo 1; fi
  else echo error; fi
done`;
  return signs(run('bash', ['-c', script], `${pairs.map((p) => p.join('\t')).join('\n')}\n`), pairs.length);
}

/** Whether dpkg refuses `v` outright (exit status 2), not just warns about it. */
export function dpkgRefuses(v: string): boolean {
  const r = spawnSync('dpkg', ['--compare-versions', '1', 'eq', v], { encoding: 'utf8' });
  return r.status === 2;
}

export function dpkgVersion(): string | undefined {
  return run('dpkg', ['--version'])?.split('\n')[0];
}

// --- RPM: rpm.vercmp (rpmverCmp on parsed EVR strings) from rpm's embedded Lua, in one process.

export function haveRpm(): boolean {
  return run('rpm', ['--version']) !== undefined;
}

export function rpmVersion(): string | undefined {
  return run('rpm', ['--version'])?.trim();
}

export function rpmVercmp(pairs: Pair[]): (-1 | 0 | 1)[] | undefined {
  if (!haveRpm()) return undefined;
  checkTabs(pairs);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dd-rpmver-'));
  try {
    const inp = path.join(dir, 'in.tsv');
    const out = path.join(dir, 'out.txt');
    writeFileSync(inp, `${pairs.map((p) => p.join('\t')).join('\n')}\n`);
    const lua =
      `%{lua: local o = io.open("${out}", "w") ` +
      `for l in io.lines("${inp}") do local a, b = l:match("^([^\\t]*)\\t(.*)$") ` +
      `o:write(rpm.vercmp(a, b), "\\n") end o:close()}`;
    if (run('rpm', ['--eval', lua]) === undefined || !existsSync(out)) return undefined;
    return signs(readFileSync(out, 'utf8'), pairs.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An EVR triple in fixtures: null as "(none)". */
export type Triple = [string | null, string, string | null];

const LABEL_SCRIPT = `
import sys, rpm
def v(x): return None if x == "(none)" else x
out = []
for line in sys.stdin.read().split("\\n"):
    if line:
        f = [v(x) for x in line.split("\\t")]
        out.append(str(rpm.labelCompare((f[0], f[1], f[2]), (f[3], f[4], f[5]))))
print("\\n".join(out))
`;

/** python3-rpm's labelCompare on (epoch, version, release) triples, or undefined without it. */
export function rpmLabelCompare(pairs: [Triple, Triple][]): (-1 | 0 | 1)[] | undefined {
  const py = ['/usr/bin/python3', 'python3'].find((p) => run(p, ['-c', 'import rpm']) !== undefined);
  if (!py) return undefined;
  const input = pairs.map(([a, b]) => [...a, ...b].map((x) => x ?? '(none)').join('\t')).join('\n');
  return signs(run(py, ['-c', LABEL_SCRIPT], input), pairs.length);
}

// --- Committed fixtures.

export function readPairs(name: string): { a: string; b: string; want: -1 | 0 | 1 }[] {
  return readFileSync(path.join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [a, b, s] = l.split('\t') as [string, string, string];
      return { a, b, want: sign(Number(s)) };
    });
}

// --- Order properties.

/** Every disagreement of `scheme` with the oracle's answers, as readable lines. */
export function disagreements(scheme: VersionScheme, pairs: Pair[], want: (-1 | 0 | 1)[]): string[] {
  const bad: string[] = [];
  pairs.forEach(([a, b], i) => {
    const got = sign(scheme.compare(a, b));
    if (got !== want[i]) bad.push(`${a} vs ${b}: got ${got}, oracle ${want[i]}`);
  });
  return bad;
}

/** Sorts `versions` with the scheme and returns the neighbouring pairs (what a sort relies on). */
export function sortedNeighbours(scheme: VersionScheme, versions: Iterable<string>): Pair[] {
  const sorted = [...new Set(versions)].sort((a, b) => scheme.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: Pair[] = [];
  for (let i = 1; i < sorted.length; i++) out.push([sorted[i - 1] as string, sorted[i] as string]);
  return out;
}

/** Deterministic pseudo-random pairs drawn from `versions`. */
export function samplePairs(versions: string[], n: number, seed = 1): Pair[] {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const out: Pair[] = [];
  for (let i = 0; i < n && versions.length > 0; i++) {
    out.push([versions[next() % versions.length] as string, versions[next() % versions.length] as string]);
  }
  return out;
}

// --- Real version strings from ../shared/data.

/** Versions grouped by source: `add(source, version)` fills `out`. */
function collector(): { out: Map<string, Set<string>>; add: (src: string, v: string) => void } {
  const out = new Map<string, Set<string>>();
  const add = (src: string, v: string) => {
    const s = out.get(src) ?? new Set<string>();
    out.set(src, s);
    s.add(v);
  };
  return { out, add };
}

function walkFiles(dir: string, pred: (p: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walkFiles(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

function walkJson(node: unknown, visit: (key: string, value: unknown) => void): void {
  if (Array.isArray(node)) {
    for (const x of node) walkJson(x, visit);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      visit(k, v);
      walkJson(v, visit);
    }
  }
}

function readJson(f: string): unknown {
  try {
    return JSON.parse(readFileSync(f, 'utf8'));
  } catch {
    return undefined; // Trivy's testdata has deliberately broken files
  }
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** Debian versions, grouped by where they come from. */
export function realDebVersions(): Map<string, Set<string>> {
  const { out, add } = collector();
  // dpkg status files: Version, and the version in "Source: name (version)".
  for (const f of walkFiles(path.join(DATA, 'dpkg-status-vectors'), (p) => p.endsWith('/status'))) {
    const src = path.relative(DATA, f);
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line.startsWith('Version: ')) add(src, line.slice(9).trim());
      const m = /^Source: \S+ \((\S+)\)\s*$/.exec(line);
      if (m) add(src, m[1] as string);
    }
  }
  // Security tracker lists: "[release] - package version" and "- package version".
  for (const list of ['DSA', 'DLA', 'DTSA']) {
    const f = path.join(DATA, 'debian-security-tracker-lists', 'data', list, 'list');
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const m = /^\s+(?:\[[a-z-]+\]\s+)?-\s+\S+\s+(\S+)/.exec(line);
      if (m && !(m[1] as string).startsWith('<'))
        add(`debian-security-tracker-lists/${list}`, m[1] as string);
    }
  }
  // Tracker JSON (Trivy's vuln-list and vunnel's inputs/snapshots).
  const jsonDirs = [
    'trivy-db-vulnsrc-testdata/vulnsrc/debian',
    'vunnel-provider-fixtures/debian/test-fixtures/input/debian.json',
  ];
  for (const d of jsonDirs) {
    const p = path.join(DATA, d);
    const files = existsSync(p) && statSync(p).isFile() ? [p] : walkFiles(p, (x) => x.endsWith('.json'));
    for (const f of files) {
      walkJson(readJson(f), (k, v) => {
        if (k === 'Version' || k === 'fixed_version') for (const s of strings(v)) add(d, s);
        if (k === 'Source')
          for (const s of strings(v)) if (/\(.*\)/.test(s)) add(d, s.replace(/^.*\((.*)\).*$/, '$1'));
        if (k === 'repositories' && v && typeof v === 'object')
          for (const s of Object.values(v)) if (typeof s === 'string') add(d, s);
      });
    }
  }
  return out;
}

const RPM_ARCHES = /\.(x86_64|i[3-6]86|noarch|src|nosrc|s390x?|ppc64(le)?|aarch64)$/;

/** RPM [epoch:]version-release strings, grouped by where they come from. */
export function realRpmVersions(): Map<string, Set<string>> {
  const { out, add } = collector();
  // rpm -qa of real rpmdbs (epoch is 0 there when the header has none).
  for (const f of walkFiles(path.join(DATA, 'go-rpmdb-testdata', 'expected-rpm-4.18'), (p) =>
    p.endsWith('.json'),
  )) {
    const doc = JSON.parse(readFileSync(f, 'utf8')) as {
      packages: { epoch: number | null; version: string; release: string; sourceRpm?: string }[];
    };
    for (const p of doc.packages) {
      add('go-rpmdb expected', `${p.epoch === null ? '' : `${p.epoch}:`}${p.version}-${p.release}`);
      const m = p.sourceRpm ? /-([^-]+-[^-]+)\.(?:no)?src\.rpm$/.exec(p.sourceRpm) : null;
      if (m) add('go-rpmdb expected sourceRpm', m[1] as string);
    }
  }
  // Red Hat CSAF (vunnel inputs, Trivy's CSAF VEX): purls and product ids "name-E:V-R.arch".
  const csafDirs = [
    'vunnel-provider-fixtures/rhel/test-fixtures/csaf',
    'trivy-db-vulnsrc-testdata/vulnsrc/redhat-csaf',
    'trivy-db-vulnsrc-testdata/vulnsrc/redhat',
  ];
  for (const d of csafDirs) {
    for (const f of walkFiles(path.join(DATA, d), (p) => p.endsWith('.json'))) {
      walkJson(readJson(f), (k, v) => {
        if (typeof v !== 'string') return;
        if (k === 'purl' && v.startsWith('pkg:rpm/')) {
          const m = /@([^?#]+)(?:\?([^#]*))?/.exec(v);
          if (!m) return;
          const epoch = new URLSearchParams(m[2] ?? '').get('epoch');
          const ver = decodeURIComponent(m[1] as string);
          if (ver.includes('-')) add(`${d} purl`, epoch ? `${epoch}:${ver}` : ver);
        }
        // Product ids always carry the epoch; the older API's "package" is a plain NVR.
        const re = k === 'product_id' ? /-(\d+:[^:\s-]+-[^-:\s]+)$/ : /-((?:\d+:)?[^:\s-]+-[^-:\s]+)$/;
        if (k === 'product_id' || k === 'package') {
          const m = re.exec(v.replace(RPM_ARCHES, ''));
          if (m) add(`${d} ${k}`, m[1] as string);
        }
      });
    }
  }
  // OVAL evr_string values (SUSE, Oracle, Mariner/Azure Linux) and Azure's vuln-list states.
  const ovalRoots = ['vunnel-provider-fixtures', 'trivy-db-vulnsrc-testdata/vulnsrc/azure'];
  for (const d of ovalRoots) {
    for (const f of walkFiles(path.join(DATA, d), (p) => /\.(xml|json)$|mock_/.test(p))) {
      const text = readFileSync(f, 'utf8');
      if (!text.includes('evr_string')) continue;
      for (const m of text.matchAll(/evr_string"[^>]*>([^<]+)</g)) add(`${d} OVAL`, (m[1] as string).trim());
    }
  }
  return out;
}

/** Alpine/Wolfi/Chainguard apk versions (secdb secfixes keys, installed DBs), by source. */
export function realApkVersions(): Map<string, Set<string>> {
  const { out, add } = collector();
  // Alpine secdb YAML: the keys under "secfixes:" are fixed versions (8-space indent, quoted or not).
  const yamls = [
    ...walkFiles(path.join(DATA, 'alpine-secdb-legacy'), (p) => p.endsWith('.yaml')),
    ...walkFiles(path.join(DATA, 'vunnel-provider-fixtures', 'alpine'), (p) => p.endsWith('.yaml')),
  ];
  for (const f of yamls) {
    const src = path.relative(DATA, f).split(path.sep)[0] as string;
    let indent = -1; // indentation of the current "secfixes:" line, -1 outside one
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const lead = line.length - line.trimStart().length;
      if (/^\s*secfixes:\s*$/.test(line)) {
        indent = lead;
        continue;
      }
      if (lead <= indent) indent = -1;
      if (indent < 0) continue;
      const m = /^\s+(['"]?)([^'"\s][^'"]*?)\1:\s*$/.exec(line);
      if (m) add(src, m[2] as string);
    }
  }
  // Wolfi and Chainguard secdb JSON.
  for (const d of ['wolfi', 'chainguard']) {
    const f = path.join(
      DATA,
      'vunnel-provider-fixtures',
      d,
      'test-fixtures',
      'input',
      'secdb',
      'security.json',
    );
    if (!existsSync(f)) continue;
    const doc = JSON.parse(readFileSync(f, 'utf8')) as {
      packages: { pkg: { secfixes: Record<string, unknown> } }[];
    };
    for (const p of doc.packages) for (const v of Object.keys(p.pkg.secfixes)) add(`${d} secdb`, v);
  }
  // Installed databases of real Alpine images.
  for (const f of walkFiles(path.join(DATA, 'trivy-alpine-image-extracts'), (p) =>
    p.endsWith('/installed'),
  )) {
    for (const line of readFileSync(f, 'utf8').split('\n'))
      if (line.startsWith('V:')) add('apk installed', line.slice(2));
  }
  return out;
}

export function union(groups: Map<string, Set<string>>): string[] {
  const all = new Set<string>();
  for (const s of groups.values()) for (const v of s) all.add(v);
  return [...all].sort();
}
