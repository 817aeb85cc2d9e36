// `drydock seccomp ...`: validate, resolve, eval, diff, lint, generate and compile seccomp profiles.

import { UserError } from '../../errors.js';
import { effectiveCaps } from '../../harden/caps.js';
import { readConfigFile } from '../../harden/doc.js';
import { warn } from '../../log.js';
import { builtinProfile, isBuiltinProfile } from '../../seccomp/builtin.js';
import { diffProfiles, formatDiffTable } from '../../seccomp/diff.js';
import { buildProfile, observeAudit, observeStrace } from '../../seccomp/generate.js';
import { LINT_RULES, lintProfile } from '../../seccomp/lint.js';
import {
  type DockerSeccompProfile,
  type OciSeccomp,
  parseSeccompProfile,
  resolveSeccomp,
} from '../../seccomp/resolve.js';
import type { Options } from '../framework.js';
import { emit } from './scan.js';

/** The largest profile read (the issue's bound; Docker's default is 13 KB). */
export const MAX_PROFILE_BYTES = 1024 * 1024;

/** Reads a profile argument: a built-in name, a Docker profile file, an OCI config.json or its linux.seccomp. */
export function readProfileValue(ref: string): unknown {
  if (isBuiltinProfile(ref)) return builtinProfile(ref);
  const text = readConfigFile(ref, MAX_PROFILE_BYTES);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${ref}: not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'ociVersion' in value) {
    const linux = (value as { linux?: { seccomp?: unknown } }).linux;
    if (!linux?.seccomp) throw new UserError(`${ref}: the OCI config has no linux.seccomp`);
    return linux.seccomp;
  }
  return value;
}

export function loadProfile(ref: string): DockerSeccompProfile {
  return parseSeccompProfile(readProfileValue(ref), ref);
}

/** The container's bounding set: Docker's 14 defaults plus --cap, or --caps-only. */
function capsOf(o: Options): string[] {
  const add = ((o.cap as string[] | undefined) ?? []).flatMap((c) => c.split(',')).filter(Boolean);
  return o.noDefaultCaps ? effectiveCaps(add, ['ALL']) : effectiveCaps(add, []);
}

function json(v: unknown): string {
  return `${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`;
}

export async function runSeccompResolve(ref: string, o: Options): Promise<number> {
  const profile = loadProfile(ref);
  const caps = capsOf(o);
  const filter = resolveSeccomp(profile, {
    arch: String(o.arch ?? 'amd64'),
    caps,
    kernel: o.kernel as string | undefined,
    where: ref,
  });
  if (o.format === 'json' || o.format === undefined) {
    await emit(json(filter ?? null), o.output as string | undefined);
    return 0;
  }
  await emit(filterTable(filter), o.output as string | undefined);
  return 0;
}

export function filterTable(f: OciSeccomp | undefined): string {
  if (!f) return 'seccomp disabled (the profile has no default action and no rules)\n';
  const lines = [
    `default: ${f.defaultAction}${f.defaultErrnoRet !== undefined ? ` (errno ${f.defaultErrnoRet})` : ''}`,
    `architectures: ${(f.architectures ?? []).join(', ') || '(native)'}`,
  ];
  if (f.flags?.length) lines.push(`flags: ${f.flags.join(', ')}`);
  lines.push('');
  for (const r of f.syscalls) {
    const args = (r.args ?? [])
      .map(
        (a) =>
          `arg${a.index} ${a.op.replace('SCMP_CMP_', '')} ${a.value}${a.valueTwo !== undefined ? `/${a.valueTwo}` : ''}`,
      )
      .join(' && ');
    const act = `${r.action}${r.errnoRet !== undefined ? `(${r.errnoRet})` : ''}`;
    lines.push(
      `${act.padEnd(22)} ${args ? `[${args}] ` : ''}${r.names.length} syscall${r.names.length === 1 ? '' : 's'}: ${r.names.join(' ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function runSeccompDiff(a: string, b: string, o: Options): Promise<number> {
  const result = diffProfiles(loadProfile(a), loadProfile(b), {
    arch: String(o.arch ?? 'amd64'),
    caps: capsOf(o),
    kernel: o.kernel as string | undefined,
    labels: [a, b],
  });
  await emit(o.format === 'json' ? json(result) : formatDiffTable(result), o.output as string | undefined);
  const n = result.entries.length + result.header.length;
  return n > 0 ? ((o.exitCode as number | undefined) ?? 0) : 0;
}

export async function runSeccompLint(ref: string, o: Options): Promise<number> {
  const findings = lintProfile(loadProfile(ref), { arch: o.arch as string | undefined, where: ref });
  if (o.format === 'json') await emit(json(findings), o.output as string | undefined);
  else {
    const title = new Map(LINT_RULES.map((r) => [r.id, r.title]));
    const lines = findings.map((f) => `${f.severity.padEnd(8)} ${f.id}  ${f.path}: ${f.message}`);
    if (findings.length === 0) lines.push('no findings');
    else
      lines.push('', ...[...new Set(findings.map((f) => f.id))].map((id) => `${id}: ${title.get(id) ?? ''}`));
    await emit(`${lines.join('\n')}\n`, o.output as string | undefined);
  }
  return findings.length > 0 ? ((o.exitCode as number | undefined) ?? 0) : 0;
}

export async function runSeccompGenerate(o: Options): Promise<number> {
  const strace = o.fromStrace as string | undefined;
  const audit = o.fromAudit as string | undefined;
  if ((strace === undefined) === (audit === undefined))
    throw new UserError('give one of --from-strace LOG or --from-audit LOG');
  const file = (strace ?? audit) as string;
  const text = readConfigFile(file, 100 * 1024 * 1024);
  const arch = o.arch as string | undefined;
  const obs = strace
    ? observeStrace(text, { arch, where: file })
    : observeAudit(text, {
        arch,
        where: file,
        comm: o.comm as string | undefined,
        exe: o.exe as string | undefined,
      });
  if (obs.syscalls.size === 0) throw new UserError(`${file}: no syscalls found`);
  const base = o.base ? loadProfile(String(o.base)) : undefined;
  const r = buildProfile(obs, { arch, where: file, base, runtime: !o.noRuntime });
  if (!o.quiet) {
    warn(
      `${r.observed.length} syscalls observed${r.added.length ? `; added for the runtime: ${r.added.join(' ')}` : ''}`,
    );
    if (r.deniedByBase.length) warn(`denied by the base profile: ${r.deniedByBase.join(' ')}`);
    if (r.unknown.length || r.unnamed.length)
      warn(`left out (unknown to libseccomp): ${[...r.unknown, ...r.unnamed].join(' ')}`);
  }
  await emit(json(r.profile), o.output as string | undefined);
  return 0;
}
