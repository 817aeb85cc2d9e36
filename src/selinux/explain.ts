// Explains what a container's SELinux label grants and risks, and whether the PSS baseline profile allows it.

import type { SelinuxLabel } from '../harden/spec.js';
import {
  type ContainerLabel,
  coversAllCategories,
  formatContext,
  formatLevel,
  formatMlsRange,
  levelsEqual,
  type MlsRange,
  validateLabel,
} from './label.js';
import {
  DEFAULT_FILE_TYPE,
  DEFAULT_PROCESS_TYPE,
  type KnownType,
  lookupType,
  PSS_BASELINE_TYPES,
  renderColumns,
  UNLABELED_PROCESS_TYPE,
} from './types.js';

export interface ExplainOptions {
  /** The container is privileged: with no label option Docker and podman then disable labelling. */
  privileged?: boolean;
  /** --pid=host or --ipc=host: the same as privileged for labelling. */
  hostNamespaces?: boolean;
  /** Names the input in errors when the label still needs validating. */
  where?: string;
}

export type PssVerdict = 'allowed' | 'forbidden';

export interface LabelExplanation {
  /** The label as given, in one line. */
  label: string;
  /** The type the container process runs as. */
  processType: string;
  /** The type its rootfs and :z/:Z volumes are labelled with. */
  fileType: string;
  /** The canonical level, or what the runtime picks. */
  level: string;
  summary: string;
  /** One line on MCS separation. */
  mcs: string;
  grants: string[];
  risks: string[];
  pssBaseline: PssVerdict;
  pssReason: string;
  warnings: string[];
}

function isValidated(label: SelinuxLabel): label is ContainerLabel {
  const l = label as Partial<ContainerLabel>;
  return typeof l.source === 'string' && Array.isArray(l.warnings);
}

function hasLabelFields(l: SelinuxLabel): boolean {
  return !!(l.user || l.role || l.type || l.level || l.filetype);
}

/** The label in one line: a context when user, role and type are all set, key=value pairs otherwise. */
export function describeLabel(label: SelinuxLabel): string {
  if (label.disable) return 'label=disable';
  const nested = (label as ContainerLabel).nested ? ' nested' : '';
  const ctx = formatContext(label);
  if (ctx) return `${ctx}${label.filetype ? ` filetype=${label.filetype}` : ''}${nested}`;
  const parts: string[] = [];
  for (const k of ['user', 'role', 'type', 'level', 'filetype'] as const) {
    const v = label[k];
    if (v) parts.push(`${k}=${v}`);
  }
  const s = parts.join(' ') + nested;
  return s.trim() === '' ? '(none: runtime default)' : s.trim();
}

/**
 * The SELinux part of the Pod Security Standards baseline: seLinuxOptions.type must be unset or one of
 * container_t, container_init_t, container_kvm_t, container_engine_t (v1.31+); user and role must be unset.
 * The level is not restricted. label=disable has no Kubernetes field; it runs the container as spc_t,
 * which the allow-list excludes.
 */
export function pssBaselineVerdict(label: SelinuxLabel): { verdict: PssVerdict; reason: string } {
  if (label.disable)
    return {
      verdict: 'forbidden',
      reason: 'label=disable runs the container as spc_t, outside the allowed types',
    };
  const bad: string[] = [];
  if (label.user) bad.push(`user must be unset (is ${label.user})`);
  if (label.role) bad.push(`role must be unset (is ${label.role})`);
  const type = label.type ?? '';
  if (!PSS_BASELINE_TYPES.includes(type)) {
    const m = lookupType(type);
    const alias =
      m?.alias && m.type.pssBaseline ? ` (an alias of ${m.type.name}, but the check compares names)` : '';
    bad.push(`type ${type}${alias} is not one of ${PSS_BASELINE_TYPES.slice(1).join(', ')}`);
  }
  if (bad.length > 0) return { verdict: 'forbidden', reason: bad.join('; ') };
  if (type === 'container_engine_t')
    return {
      verdict: 'allowed',
      reason: 'container_engine_t is allowed since Kubernetes v1.31; older clusters reject it',
    };
  return {
    verdict: 'allowed',
    reason:
      type === ''
        ? 'no type, user or role set; the level is not restricted'
        : `type ${type} is allowed, user and role are unset; the level is not restricted`,
  };
}

function mcsFacts(mls: MlsRange | undefined, type: KnownType | undefined): { line: string; risks: string[] } {
  if (type && !type.mcsConstrained)
    return {
      line: `${type.name} is not MCS-constrained: the level does not limit what it reaches`,
      risks: [],
    };
  const prefix = type ? '' : 'if the type is MCS-constrained: ';
  if (!mls)
    return {
      line: `${prefix}the runtime assigns each container a unique category pair (such as s0:c123,c456), so containers cannot reach each other's files`,
      risks: [],
    };
  const low = formatLevel(mls.low);
  const high = formatLevel(mls.high);
  const range = levelsEqual(mls.low, mls.high)
    ? ''
    : ` (its files get the low level ${low}; access is checked against ${high})`;
  if (coversAllCategories(mls.high))
    return {
      line: `${prefix}clearance ${high} covers every category${range}`,
      risks: [
        `level ${formatMlsRange(mls)} dominates every category: the container reaches the files of every other container (no MCS separation)`,
      ],
    };
  if (mls.low.categories.length === 0)
    return {
      line: `${prefix}files at ${low}, which every container dominates${range}`,
      risks: [
        `level ${formatMlsRange(mls)} has no categories: every other container can read and write the files it creates, and it shares them with all uncategorised containers (no MCS separation)`,
      ],
    };
  const cats = mls.high.categories.map((c) => `c${c}`);
  const line = `${prefix}files at ${low}; reaches files at s0 and at subsets of {${cats.length > 6 ? `${cats.slice(0, 6).join(',')},...` : cats.join(',')}}${range}; every container given the same level shares its files`;
  if (mls.low.categories.length === 1)
    return {
      line,
      risks: [
        `a single category (${low}): any container whose categories include c${mls.low.categories[0]} reaches its files`,
      ],
    };
  return { line, risks: [] };
}

/** What a label grants and risks. Validates a plain SelinuxLabel first (UserError on bad input). */
export function explainLabel(input: SelinuxLabel, opts: ExplainOptions = {}): LabelExplanation {
  const label = isValidated(input) ? input : validateLabel(input, opts.where ?? 'SELinux label');
  const warnings = [...label.warnings];
  const grants: string[] = [];
  const risks: string[] = [];
  const pss = pssBaselineVerdict(label);
  const implicitDisable =
    !label.disable && !hasLabelFields(label) && (opts.privileged || opts.hostNamespaces);

  if (label.disable || implicitDisable) {
    const spc = lookupType(UNLABELED_PROCESS_TYPE)?.type as KnownType;
    const why = label.disable
      ? 'label=disable: the runtime sets no process label'
      : `no label option on a ${opts.privileged ? 'privileged' : 'host-namespace'} container: Docker and podman disable labelling`;
    grants.push(...spc.grants);
    risks.push(...spc.risks);
    risks.push(
      'its mount label is container_file_t with the highest categories, which no confined container can use; host files keep their labels',
    );
    return {
      label: implicitDisable ? '(none; labelling disabled)' : describeLabel(label),
      processType: UNLABELED_PROCESS_TYPE,
      fileType: DEFAULT_FILE_TYPE,
      level: '-',
      summary: `${why}, so under container-selinux the container runs as spc_t, unconfined`,
      mcs: 'spc_t is not MCS-constrained: no separation from other containers',
      grants,
      risks,
      pssBaseline: implicitDisable ? pss.verdict : 'forbidden',
      pssReason: implicitDisable
        ? `${pss.reason} (privileged containers fail the baseline on their own)`
        : pss.reason,
      warnings,
    };
  }

  const typeName = label.type ?? DEFAULT_PROCESS_TYPE;
  const match = lookupType(typeName);
  const known = match?.type.kind === 'process' ? match.type : undefined;
  let summary: string;
  if (!label.type) summary = `${DEFAULT_PROCESS_TYPE} (runtime default): ${known?.summary ?? ''}`;
  else if (known)
    summary = `${typeName}${match?.alias ? ` (old name of ${known.name})` : ''}: ${known.summary}`;
  else if (match?.type.kind === 'file') {
    summary = `${typeName} is a file type, not a process type`;
    risks.push(
      `type ${typeName} is a file type: the kernel rejects it as a process label and the container fails to start`,
    );
  } else {
    summary = `${typeName}: not a container-selinux type; what it grants depends on the host's policy`;
    risks.push(
      `unknown type ${typeName}: check it with "sesearch -A -s ${typeName}" on the host; a custom or unconfined domain may reach host files`,
    );
  }
  if (known) {
    grants.push(...known.grants);
    risks.push(...known.risks);
  }

  const mcs = mcsFacts(label.mls, known);
  risks.push(...mcs.risks);

  if (label.user)
    risks.push(
      `custom SELinux user ${label.user}${label.user === 'system_u' ? ' (the default of the runtimes)' : ''}: the user limits which roles and levels the label may use; the PSS baseline forbids setting it`,
    );
  if (label.role) {
    const note =
      label.role === 'unconfined_r'
        ? ': unconfined_r admits unconfined domains'
        : label.role === 'system_r'
          ? ' (the default of the runtimes)'
          : '';
    risks.push(`custom SELinux role ${label.role}${note}; the PSS baseline forbids setting it`);
  }

  const fileType = label.filetype ?? DEFAULT_FILE_TYPE;
  if (label.filetype) {
    const fm = lookupType(label.filetype);
    if (fm?.type.kind === 'file') {
      grants.push(
        `rootfs and :z/:Z volumes labelled ${label.filetype}${fm.alias ? ` (old name of ${fm.type.name})` : ''}: ${fm.type.summary}`,
      );
      risks.push(...fm.type.risks);
    } else if (fm?.type.kind === 'process')
      risks.push(`filetype ${label.filetype} is a process type, not a file type`);
    else
      risks.push(
        `filetype ${label.filetype} is not a container file type: the rootfs and :z/:Z volumes get it, so host domains allowed to use ${label.filetype} reach them and relabelled host paths change type`,
      );
  }

  if (label.nested) {
    grants.push(
      `label=nested (podman): processes inside see SELinux as enabled and may set labels on files and processes as far as ${typeName}'s policy allows`,
    );
    risks.push(
      'with nested, the workload can relabel its own files and start processes in other permitted domains',
    );
  }

  return {
    label: describeLabel(label),
    processType: typeName,
    fileType,
    level: label.mls ? formatMlsRange(label.mls) : '(runtime picks a unique category pair)',
    summary,
    mcs: mcs.line,
    grants,
    risks,
    pssBaseline: pss.verdict,
    pssReason: pss.reason,
    warnings,
  };
}

/** A plain-text table of one or more explanations, blank line between them. */
export function formatExplainTable(explanations: LabelExplanation | readonly LabelExplanation[]): string {
  const list: readonly LabelExplanation[] = Array.isArray(explanations)
    ? (explanations as readonly LabelExplanation[])
    : [explanations as LabelExplanation];
  return list
    .map((ex) => {
      const rows: string[][] = [
        ['Label', ex.label],
        ['Process type', ex.processType],
        ['File type', ex.fileType],
        ['Level', ex.level],
        ['Summary', ex.summary],
        ['MCS', ex.mcs],
        ['PSS baseline', `${ex.pssBaseline}: ${ex.pssReason}`],
      ];
      const section = (title: string, mark: string, items: readonly string[]): void => {
        items.forEach((g, i) => {
          rows.push([i === 0 ? title : '', `${mark} ${g}`]);
        });
      };
      section('Grants', '+', ex.grants);
      section('Risks', '!', ex.risks);
      section('Warnings', '-', ex.warnings);
      return renderColumns(['FIELD', 'VALUE'], rows);
    })
    .join('\n\n');
}
