// `drydock audit`, `audit caps`, `audit host-rules` and `drydock harden`: runtime-config audit and
// the hardened equivalent of a config.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, UserError } from '../../errors.js';
import { audit } from '../../harden/audit.js';
import { CAPABILITIES } from '../../harden/caps.js';
import { hostAuditRules } from '../../harden/host-rules.js';
import { type KindOption, type LoadedInput, loadDockerRun, loadFile } from '../../harden/load.js';
import { auditJson, auditSarif, auditTable } from '../../harden/report.js';
import type { AuditProfile, Severity } from '../../harden/rules/types.js';
import { warn } from '../../log.js';
import type { Options } from '../framework.js';
import { emit } from './scan.js';

const SEVERITIES: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];

function parseSeverities(v: unknown): Severity[] | undefined {
  if (v === undefined || v === '') return undefined;
  const list = String(v)
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  for (const s of list)
    if (!SEVERITIES.includes(s as Severity))
      throw new UserError(`--severity: unknown severity "${s}" (one of ${SEVERITIES.join(', ')})`);
  return list as Severity[];
}

const CONFIG_FILE = /\.(ya?ml|json|sh|service)$|^(daemon\.json|docker\.service|config\.json)$/i;
const SKIP_DIRS = new Set(['.git', 'node_modules', 'vendor', '.terraform']);
const MAX_DIR_FILES = 50_000;

/** Config files under a directory (sorted, bounded; symlinks are not followed). */
function walk(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop() as string;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      throw new UserError(`cannot read ${d}: ${describe(e)}`);
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) stack.push(p);
      else if (e.isFile() && CONFIG_FILE.test(e.name)) out.push(p);
      if (out.length > MAX_DIR_FILES)
        throw new UserError(`${dir} holds more than ${MAX_DIR_FILES} config files`);
    }
  }
  return out.sort();
}

function loadAll(files: string[], o: Options): LoadedInput[] {
  const runs = (o.dockerRun as string[] | undefined) ?? [];
  if (files.length === 0 && runs.length === 0)
    throw new UserError(
      'nothing to audit: give config files or --docker-run "docker run ..." (see: drydock audit --help)',
    );
  const kind = (o.kind as KindOption | undefined) ?? 'auto';
  const out: LoadedInput[] = [];
  for (const f of files) {
    let isDir = false;
    try {
      isDir = f !== '-' && statSync(f).isDirectory();
    } catch {
      isDir = false; // loadFile reports the missing file
    }
    if (!isDir) {
      out.push(loadFile(f, kind));
      continue;
    }
    // In a directory, files that are not container configs are skipped; broken ones are warned about.
    for (const file of walk(f)) {
      try {
        out.push(loadFile(file, kind));
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        if (
          /not a recognised config|no docker run or docker create command|the file is empty/.test(e.message)
        )
          continue;
        warn(`skipped: ${e.message}`);
      }
    }
  }
  for (const r of runs) out.push(loadDockerRun(r));
  if (out.length === 0) throw new UserError(`no container or daemon configs found in ${files.join(', ')}`);
  return out;
}

export async function runAudit(files: string[], o: Options, version: string): Promise<number> {
  const inputs = loadAll(files, o);
  const targets = audit(inputs, {
    profile: (o.profile as AuditProfile | undefined) ?? 'all',
    severities: parseSeverities(o.severity),
    skip: ((o.skip as string[] | undefined) ?? []).flatMap((s) => s.split(',')).filter(Boolean),
  });
  const format = String(o.format ?? 'table');
  let text: string;
  if (format === 'json') {
    const json = auditJson(targets, {
      artifact: inputs.map((i) => i.file).join(' '),
      includePasses: !!o.includeNonFailures,
    });
    text = `${JSON.stringify(json, null, 2)}\n`;
  } else if (format === 'sarif') {
    text = `${JSON.stringify(auditSarif(targets, { name: 'drydock', version }), null, 2)}\n`;
  } else {
    text = auditTable(targets, {
      color: !o.output && process.stdout.isTTY === true && !process.env.NO_COLOR,
    });
  }
  await emit(text, o.output as string | undefined);
  const failures = targets.reduce((n, t) => n + t.failures.length, 0);
  return failures > 0 ? ((o.exitCode as number | undefined) ?? 0) : 0;
}

export async function runAuditCaps(o: Options): Promise<number> {
  const format = String(o.format ?? 'table');
  if (format === 'json') {
    await emit(`${JSON.stringify(CAPABILITIES, null, 2)}\n`, o.output as string | undefined);
    return 0;
  }
  const lines: string[] = [];
  const w = Math.max(...CAPABILITIES.map((c) => c.name.length));
  lines.push(
    `${'#'.padStart(2)}  ${'CAPABILITY'.padEnd(w)}  ${'RISK'.padEnd(8)}  DEFAULT  PSS  ALLOWS / ESCAPES`,
  );
  for (const c of CAPABILITIES) {
    lines.push(
      `${String(c.number).padStart(2)}  ${c.name.padEnd(w)}  ${c.risk.padEnd(8)}  ${(c.dockerDefault ? 'docker' : '').padEnd(7)}  ${(c.pssBaseline ? 'yes' : '').padEnd(3)}  ${c.allows}`,
    );
    for (const e of c.escapes) lines.push(`${' '.repeat(w + 31)}escape: ${e}`);
  }
  lines.push(
    '',
    "DEFAULT: in Docker's (and containerd's) default set; PSS: may be added under the Pod Security Standards baseline.",
  );
  await emit(`${lines.join('\n')}\n`, o.output as string | undefined);
  return 0;
}

export async function runAuditHostRules(o: Options): Promise<number> {
  const { existsSync } = await import('node:fs');
  const { rules, skipped } = hostAuditRules(o.existingOnly ? { exists: (p) => existsSync(p) } : {});
  const head = [
    '# auditd rules for the Docker host (CIS Docker Benchmark v1.6 section 1.1), written by drydock.',
    '# Install: copy to /etc/audit/rules.d/docker.rules and run augenrules --load.',
  ];
  if (skipped.length > 0) head.push(`# skipped (absent on this host): ${skipped.join(', ')}`);
  await emit(`${[...head, ...rules].join('\n')}\n`, o.output as string | undefined);
  return 0;
}
