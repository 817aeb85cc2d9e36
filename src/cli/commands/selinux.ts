// `drydock selinux explain|validate|types`: SELinux labels of containers, checked and explained.

import { UserError } from '../../errors.js';
import { explainLabel, formatExplainTable } from '../../selinux/explain.js';
import { type ContainerLabel, formatContext, parseContext, parseSecurityOpts } from '../../selinux/label.js';
import { formatTypesTable, KNOWN_TYPES } from '../../selinux/types.js';
import type { Options } from '../framework.js';
import { emit } from './scan.js';

/** Security options (label=..., label:..., disable) combine into one label; a full context stands alone. */
function readLabel(args: string[]): ContainerLabel {
  if (args.length === 0)
    throw new UserError(
      'give a label: label=type:container_t, label=level:s0:c1,c2 or a context user:role:type:level',
    );
  const isOpt = (a: string) => /^(label[=:]|disable$|nested$)/.test(a);
  if (args.every(isOpt)) return parseSecurityOpts(args, 'label');
  if (args.length === 1) return parseContext(args[0] as string, 'context');
  throw new UserError('give either label= options or one context user:role:type:level, not a mix');
}

export async function runSelinuxExplain(args: string[], o: Options): Promise<number> {
  const label = readLabel(args);
  const ex = explainLabel(label, { privileged: !!o.privileged });
  const text = o.format === 'json' ? `${JSON.stringify(ex, null, 2)}\n` : formatExplainTable(ex);
  await emit(text.endsWith('\n') ? text : `${text}\n`, o.output as string | undefined);
  return 0;
}

export async function runSelinuxValidate(args: string[], o: Options): Promise<number> {
  const label = readLabel(args);
  const out = { valid: true, context: formatContext(label) ?? null, label, warnings: label.warnings };
  if (o.format === 'json') await emit(`${JSON.stringify(out, null, 2)}\n`, o.output as string | undefined);
  else {
    const lines = [
      `valid${out.context ? `: ${out.context}` : ''}`,
      ...label.warnings.map((w) => `warning: ${w}`),
    ];
    await emit(`${lines.join('\n')}\n`, o.output as string | undefined);
  }
  return 0;
}

export async function runSelinuxTypes(o: Options): Promise<number> {
  const text = o.format === 'json' ? `${JSON.stringify(KNOWN_TYPES, null, 2)}\n` : formatTypesTable();
  await emit(text.endsWith('\n') ? text : `${text}\n`, o.output as string | undefined);
  return 0;
}
