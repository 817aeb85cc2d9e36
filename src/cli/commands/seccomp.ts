// `drydock seccomp ...`: validate, resolve, eval, diff, lint, generate and compile seccomp profiles.

import { UserError } from '../../errors.js';
import { effectiveCaps } from '../../harden/caps.js';
import { readConfigFile } from '../../harden/doc.js';
import { warn } from '../../log.js';
import { builtinProfile, isBuiltinProfile } from '../../seccomp/builtin.js';
import { diffProfiles, formatDiffTable } from '../../seccomp/diff.js';
import { type EvalResult, evalProfile } from '../../seccomp/eval.js';
import { buildProfile, observeAudit, observeStrace } from '../../seccomp/generate.js';
import { LINT_RULES, lintProfile } from '../../seccomp/lint.js';
import {
  type DockerSeccompProfile,
  type OciSeccomp,
  parseSeccompProfile,
  resolveSeccomp,
} from '../../seccomp/resolve.js';
import { formatProblems, hasErrors, validateProfile } from '../../seccomp/validate.js';
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

export async function runSeccompValidate(ref: string, o: Options): Promise<number> {
  const input: unknown = isBuiltinProfile(ref) ? builtinProfile(ref) : readConfigFile(ref, MAX_PROFILE_BYTES);
  const r = validateProfile(input, { where: ref, arch: o.arch as string | undefined });
  const errors = r.problems.filter((p) => p.severity === 'error');
  if (o.format === 'json')
    await emit(
      json({ kind: r.kind, valid: errors.length === 0, problems: r.problems }),
      o.output as string | undefined,
    );
  else {
    const text = r.problems.length > 0 ? formatProblems(r.problems, ref) : `${ref}: valid ${r.kind} profile`;
    await emit(`${text.trimEnd()}\n`, o.output as string | undefined);
  }
  if (hasErrors(r.problems))
    throw new UserError(
      `${ref}: ${errors.length} error${errors.length === 1 ? '' : 's'}, first: ${errors[0]?.path ? `#${errors[0].path} ` : ''}${errors[0]?.message ?? ''}`,
    );
  return 0;
}

function parseArg(v: string, i: number): bigint {
  const t = v.trim();
  if (!/^-?(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.test(t))
    throw new UserError(`argument ${i}: "${t.slice(0, 40)}" is not a number`);
  const neg = t.startsWith('-');
  const n = BigInt(neg ? t.slice(1) : t);
  if (n >= 1n << 64n) throw new UserError(`argument ${i}: ${t} does not fit in 64 bits`);
  return neg ? -n : n;
}

function describeEval(q: string, r: EvalResult): string {
  const act = `${r.action}${r.errnoRet !== undefined ? ` errno ${r.errnoRet}` : ''}`;
  const by =
    typeof r.rule === 'string'
      ? {
          default: 'the default action',
          'enosys-stub': "runc's ENOSYS stub (a number above the filter's highest)",
          'bad-arch': 'the architecture check (not in the filter)',
          unconfined: 'nothing (seccomp disabled)',
        }[r.rule]
      : `rule ${r.rule.index} (${r.rule.action}${r.rule.args?.length ? ` if ${r.rule.args.map((a) => `arg${a.index} ${a.op.replace('SCMP_CMP_', '')} ${a.value}${a.valueTwo !== undefined ? `/${a.valueTwo}` : ''}`).join(' && ')}` : ''}: ${r.rule.names.slice(0, 8).join(' ')}${r.rule.names.length > 8 ? ' ...' : ''})`;
  return [`${q} -> ${act}`, `decided by ${by}`, ...(r.notes ?? []).map((n) => `note: ${n}`)].join('\n');
}

export async function runSeccompEval(
  ref: string,
  syscall: string,
  rawArgs: string[],
  o: Options,
): Promise<number> {
  if (rawArgs.length > 6) throw new UserError('a syscall has at most 6 arguments');
  const args = rawArgs.map(parseArg);
  const sc = /^\d+$/.test(syscall) ? Number(syscall) : syscall;
  const r = evalProfile(loadProfile(ref), {
    arch: String(o.arch ?? 'amd64'),
    syscall: sc,
    args,
    caps: capsOf(o),
    kernel: o.kernel as string | undefined,
    where: ref,
  });
  if (o.format === 'json') await emit(json(r), o.output as string | undefined);
  else
    await emit(`${describeEval(`${syscall}(${rawArgs.join(', ')})`, r)}\n`, o.output as string | undefined);
  return 0;
}

/** `seccomp compile`: the classic BPF program runc would load for the container, in asm, c, hex or json. */
export async function runSeccompCompile(ref: string, o: Options): Promise<number> {
  const { compileSeccomp, formatBpf } = await import('../../seccomp/bpf.js');
  const profile = loadProfile(ref);
  const arch = String(o.arch ?? 'amd64');
  const filter = resolveSeccomp(profile, {
    arch,
    caps: capsOf(o),
    kernel: o.kernel as string | undefined,
    where: ref,
  });
  if (!filter)
    throw new UserError(
      `${ref}: the profile disables seccomp (no default action, no rules): nothing to compile`,
    );
  const result = compileSeccomp(filter, { arch, where: ref });
  if (result.unknownNames.length > 0)
    warn(
      `${ref}: skipped syscalls libseccomp does not know (as runc does): ${result.unknownNames.join(', ')}`,
    );
  const format = (o.format as 'asm' | 'c' | 'hex' | 'json' | undefined) ?? 'asm';
  await emit(formatBpf(result.program, format, { endian: result.endian }), o.output as string | undefined);
  return 0;
}
