// `drydock harden`: the hardened equivalent of a container config, written in the same form (or as
// an OCI config.json / JSON plan); notes on what needs a human go to standard error.

import { readFileSync } from 'node:fs';
import { UserError } from '../../errors.js';
import { imageHints } from '../../harden/image-hints.js';
import { parseDockerRunCommand } from '../../harden/inputs/docker-run.js';
import {
  checkCapNames,
  type KindOption,
  type LoadedInput,
  loadDockerRun,
  loadFile,
} from '../../harden/load.js';
import { type ImageHints, planHardening } from '../../harden/plan.js';
import type { HardeningPlan } from '../../harden/plan-types.js';
import { renderCompose } from '../../harden/render/compose.js';
import { renderDockerRun } from '../../harden/render/docker-run.js';
import { renderKubernetes } from '../../harden/render/kubernetes.js';
import { renderOci } from '../../harden/render/oci.js';
import { baseOciConfig } from '../../harden/render/oci-base.js';
import type { ContainerSpec } from '../../harden/spec.js';
import { openImage } from '../../image/source/open.js';
import { warn } from '../../log.js';
import type { Options } from '../framework.js';
import { emit, trustGateFor } from './scan.js';

type OutForm = 'docker-run' | 'compose' | 'kubernetes' | 'oci' | 'json';

/** Whether this kernel enforces AppArmor (runc refuses a profile it cannot apply). */
function hostHasAppArmor(): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

async function readHints(ref: string, o: Options): Promise<ImageHints> {
  const regOpts = { insecure: !!o.insecure, credentials: {}, timeoutMs: 30_000, retries: 2 };
  const image = await openImage(ref, { ...regOpts, trustGate: await trustGateFor(o, regOpts) });
  try {
    return await imageHints(image);
  } finally {
    await image.close();
  }
}

function defaultForm(kind: LoadedInput['kind']): OutForm {
  switch (kind) {
    case 'docker-run':
    case 'inspect':
      return 'docker-run';
    case 'compose':
      return 'compose';
    case 'kubernetes':
      return 'kubernetes';
    case 'oci':
      return 'oci';
    case 'daemon':
      throw new UserError('harden works on container configs; audit the daemon config with "drydock audit"');
  }
}

/** A docker run line for a container known from another form (docker inspect). */
function runLineFor(spec: ContainerSpec): string[] {
  if (!spec.image) throw new UserError(`${spec.source.file}: ${spec.source.resource} names no image`);
  const argv = ['docker', 'run', '-d'];
  if (spec.name && !spec.name.includes(' ')) argv.push('--name', spec.name.replace(/^\//, ''));
  for (const p of spec.ports)
    if (p.hostPort)
      argv.push(
        '-p',
        `${p.hostIp ? `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:` : ''}${p.hostPort}:${p.containerPort}/${p.protocol}`,
      );
  for (const m of spec.mounts) {
    if (!m.target || (m.type !== 'bind' && m.type !== 'volume') || !m.source) continue;
    argv.push(
      '-v',
      `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}${m.propagation ? `${m.readOnly ? ',' : ':'}${m.propagation}` : ''}`,
    );
  }
  for (const d of spec.devices)
    argv.push('--device', [d.host, d.container, d.permissions].filter(Boolean).join(':'));
  for (const ns of ['network', 'pid', 'ipc', 'uts', 'userns'] as const) {
    const v = spec[ns];
    if (v && v !== 'default' && v !== 'private' && v !== 'bridge' && v !== 'shareable')
      argv.push(`--${ns}`, v);
  }
  if (spec.user) argv.push('--user', spec.user);
  if (spec.restart)
    argv.push(
      '--restart',
      spec.restart.maxRetries ? `${spec.restart.policy}:${spec.restart.maxRetries}` : spec.restart.policy,
    );
  if (spec.healthcheck === false) argv.push('--no-healthcheck');
  argv.push(spec.image, ...(spec.command ?? []));
  return argv;
}

export async function runHarden(config: string | undefined, o: Options): Promise<number> {
  if (config !== undefined && o.dockerRun)
    throw new UserError('give a config file or --docker-run, not both');
  let input: LoadedInput;
  if (o.dockerRun) input = loadDockerRun(String(o.dockerRun));
  else if (config !== undefined) input = loadFile(config, (o.kind as KindOption | undefined) ?? 'auto');
  else
    throw new UserError(
      'nothing to harden: give a config file or --docker-run "docker run ..." (see: drydock harden --help)',
    );
  for (const c of input.containers) checkCapNames(c);
  if (input.containers.length === 0) {
    if (input.kind === 'daemon') defaultForm('daemon');
    throw new UserError(`${input.file}: no containers to harden`);
  }
  const form: OutForm =
    o.format === undefined || o.format === 'auto' ? defaultForm(input.kind) : (o.format as OutForm);

  let hints: ImageHints | undefined;
  if (o.image) hints = await readHints(String(o.image), o);
  const hintsFor = (spec: ContainerSpec): ImageHints | undefined => {
    if (hints) return hints;
    const fromInspect = input.images.find(
      (i) => spec.image !== undefined && (i.ref === spec.image || i.ref.startsWith(`${spec.image}@`)),
    );
    return fromInspect ? { ...fromInspect, ref: fromInspect.ref } : undefined;
  };
  const appArmor = form === 'oci' ? hostHasAppArmor() : true;
  const plans = new Map<ContainerSpec, HardeningPlan>();
  for (const c of input.containers) {
    plans.set(
      c,
      planHardening(c, {
        image: hintsFor(c),
        appArmor,
        memory: o.memory as number | undefined,
        pidsLimit: o.pidsLimit as number | undefined,
      }),
    );
  }
  if (!o.quiet) {
    for (const [c, p] of plans) {
      for (const [cap, why] of Object.entries(p.capReasons))
        warn(`${c.source.resource}: keeps ${cap}: ${why}`);
      for (const n of p.notes) warn(`${c.source.resource}: ${n}`);
    }
    if (form === 'oci' && !appArmor)
      warn('AppArmor is not enabled on this host: the OCI config sets no AppArmor profile');
  }

  let text: string;
  switch (form) {
    case 'json':
      text = `${JSON.stringify(
        [...plans].map(([c, p]) => ({
          resource: c.source.resource,
          file: c.source.file,
          line: c.source.line,
          plan: p,
        })),
        null,
        2,
      )}\n`;
      break;
    case 'docker-run': {
      const out: string[] = [];
      for (const [c, p] of plans) {
        let parsed: ReturnType<typeof parseDockerRunCommand>;
        if (input.kind === 'docker-run') {
          const line =
            input.file === '<docker-run>'
              ? (input.text ?? '')
              : logicalLine(input.text ?? '', c.source.line ?? 1);
          parsed = parseDockerRunCommand(line, input.file);
        } else if (input.kind === 'inspect') parsed = parseDockerRunCommand(runLineFor(c), input.file);
        else
          throw new UserError(`cannot write a ${input.kind} config as a docker run line; use --format json`);
        out.push(renderDockerRun(parsed, p));
      }
      text = `${out.join('\n\n')}\n`;
      break;
    }
    case 'compose': {
      if (input.kind !== 'compose')
        throw new UserError(`cannot write a ${input.kind} config as a compose file; use --format json`);
      const byService = new Map<string, HardeningPlan>();
      for (const [c, p] of plans) byService.set(c.source.resource.replace(/^service /, ''), p);
      text = renderCompose(input.text ?? '', input.file, byService);
      break;
    }
    case 'kubernetes': {
      if (input.kind !== 'kubernetes')
        throw new UserError(
          `cannot write a ${input.kind} config as a Kubernetes manifest; use --format json`,
        );
      const byRes = new Map<string, HardeningPlan>();
      for (const [c, p] of plans) byRes.set(c.source.resource, p);
      text = renderKubernetes(input.text ?? '', input.file, byRes);
      break;
    }
    case 'oci': {
      if (plans.size !== 1)
        throw new UserError(
          `${input.file} holds ${plans.size} containers; an OCI config.json is for one (harden one at a time)`,
        );
      const [[c, p]] = [...plans] as [[ContainerSpec, HardeningPlan]];
      const base =
        input.kind === 'oci'
          ? (JSON.parse(input.text ?? '{}') as Record<string, unknown>)
          : baseOciConfig(c, hintsFor(c));
      text = `${JSON.stringify(renderOci(base, p), null, 2)}\n`;
      break;
    }
  }
  await emit(text, o.output as string | undefined);
  return 0;
}

/** The logical line (backslash continuations joined) that starts at a 1-based line of a script. */
function logicalLine(text: string, start: number): string {
  const lines = text.split('\n').slice(start - 1);
  let out = '';
  for (const l of lines) {
    const t = l.replace(/\r$/, '');
    if (/\\$/.test(t)) out += `${t.slice(0, -1)} `;
    else {
      out += t;
      break;
    }
  }
  return out;
}
