// `drydock apparmor render|generate|lint|validate`: AppArmor profiles for containers.

import { formatLintTable, lintProfile } from '../../apparmor/lint.js';
import { generateProfileFromText } from '../../apparmor/policy.js';
import { hostTemplateOptions, renderDockerDefault } from '../../apparmor/template.js';
import { findApparmorParser, validateWithParser } from '../../apparmor/validate.js';
import { UserError } from '../../errors.js';
import { readConfigFile } from '../../harden/doc.js';
import { warn } from '../../log.js';
import type { Options } from '../framework.js';
import { emit } from './scan.js';

const MAX_PROFILE = 4 * 1024 * 1024;

/** Compiles a profile with apparmor_parser -Q -K when it is installed, before writing it. */
function check(text: string, label: string, o: Options): void {
  if (o.noValidate) return;
  const r = validateWithParser(text, { label });
  if (!r.available) {
    warn('apparmor_parser is not installed: the profile was not compiled (install the apparmor package)');
    return;
  }
  if (!r.ok)
    throw new UserError(`apparmor_parser refuses the generated profile: ${r.output.split('\n')[0] ?? ''}`);
}

export async function runApparmorRender(name: string, o: Options): Promise<number> {
  if (name !== 'docker-default' && name !== 'docker-default-v24.0.0')
    throw new UserError(`unknown template "${name}" (docker-default or docker-default-v24.0.0)`);
  const host = o.host ? hostTemplateOptions() : {};
  const text = renderDockerDefault({
    ...host,
    ...(o.name ? { name: String(o.name) } : {}),
    version: name === 'docker-default' ? 'current' : 'v24.0.0',
  });
  check(text, name, o);
  await emit(text, o.output as string | undefined);
  return 0;
}

export async function runApparmorGenerate(policy: string, o: Options): Promise<number> {
  const text = generateProfileFromText(readConfigFile(policy, MAX_PROFILE), policy);
  check(text, policy, o);
  await emit(text, o.output as string | undefined);
  return 0;
}

export async function runApparmorLint(file: string, o: Options): Promise<number> {
  const findings = lintProfile(readConfigFile(file, MAX_PROFILE), file);
  const text = o.format === 'json' ? `${JSON.stringify(findings, null, 2)}\n` : formatLintTable(findings);
  await emit(text.endsWith('\n') ? text : `${text}\n`, o.output as string | undefined);
  return findings.length > 0 ? ((o.exitCode as number | undefined) ?? 0) : 0;
}

export async function runApparmorValidate(file: string, o: Options): Promise<number> {
  if (!findApparmorParser())
    throw new UserError('apparmor_parser is not installed (Debian package apparmor)');
  const r = validateWithParser(readConfigFile(file, MAX_PROFILE), { label: file });
  const out = { ok: r.ok, output: r.output };
  if (o.format === 'json') await emit(`${JSON.stringify(out, null, 2)}\n`, o.output as string | undefined);
  else if (r.ok) await emit(`${file}: apparmor_parser -Q -K accepts it\n`, o.output as string | undefined);
  if (!r.ok)
    throw new UserError(
      `${file}: ${r.output.split('\n').find((l) => l.trim()) ?? 'refused by apparmor_parser'}`,
    );
  return 0;
}
