// Reads audit inputs: recognises each file's form from its content (Kubernetes manifests, compose
// files, docker inspect JSON, OCI config.json, daemon.json, dockerd units, scripts of docker run
// lines) and parses it into ContainerSpecs and a DaemonSpec.

import path from 'node:path';
import { UserError } from '../errors.js';
import { unknownCaps } from './caps.js';
import { iterConfigDocs, readConfigFile, type SourceDoc } from './doc.js';
import { parseCompose } from './inputs/compose.js';
import {
  parseDaemonJson,
  parseDaemonJsonText,
  parseDockerdFlags,
  parseDockerdUnit,
} from './inputs/daemon.js';
import { parseDockerRun } from './inputs/docker-run.js';
import { type ImageFacts, parseInspect } from './inputs/inspect.js';
import { parseKubernetes } from './inputs/kubernetes.js';
import { parseOciConfig } from './inputs/oci.js';
import type { ContainerSpec, DaemonSpec, InputKind, ParsedInput } from './spec.js';

export type KindOption = InputKind | 'auto' | 'dockerd' | 'unit';

export interface LoadedInput extends ParsedInput {
  /** The file's text (for renderers that rewrite it in place). */
  text?: string;
  /** docker image inspect entries found in the file. */
  images: ImageFacts[];
}

const RUN_LINE = /^\s*(?:sudo\s+(?:-\S+\s+)*)?(?:docker|podman)\s+(?:container\s+)?(?:run|create)\b/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const DAEMON_HINTS = [
  'icc',
  'hosts',
  'log-driver',
  'log-level',
  'live-restore',
  'userns-remap',
  'no-new-privileges',
  'storage-driver',
  'insecure-registries',
  'registry-mirrors',
  'data-root',
  'seccomp-profile',
  'default-ulimits',
  'userland-proxy',
  'tlsverify',
  'selinux-enabled',
  'iptables',
  'experimental',
  'features',
  'exec-opts',
  'bip',
  'dns',
];

/** Which form a parsed document is, or undefined. */
export function detectDocKind(value: unknown): InputKind | undefined {
  if (Array.isArray(value)) {
    const first = value[0];
    if (
      isObject(first) &&
      ('HostConfig' in first || 'Config' in first || 'RepoTags' in first || 'Id' in first)
    )
      return 'inspect';
    return undefined;
  }
  if (!isObject(value)) return undefined;
  if (typeof value.apiVersion === 'string' && typeof value.kind === 'string') return 'kubernetes';
  if ('services' in value && isObject(value.services)) return 'compose';
  if ('ociVersion' in value && ('process' in value || 'root' in value)) return 'oci';
  if ('HostConfig' in value || ('Config' in value && ('Id' in value || 'RepoTags' in value)))
    return 'inspect';
  const keys = Object.keys(value);
  if (keys.length === 0 || keys.some((k) => DAEMON_HINTS.includes(k))) return 'daemon';
  return undefined;
}

function docRunLines(text: string, file: string): ContainerSpec[] {
  // Join backslash continuations, remembering the first line of each logical line.
  const out: ContainerSpec[] = [];
  const lines = text.split('\n');
  let buf = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = (lines[i] as string).replace(/\r$/, '');
    if (buf === '') start = i + 1;
    if (/\\$/.test(l)) {
      buf += `${l.slice(0, -1)} `;
      continue;
    }
    buf += l;
    if (RUN_LINE.test(buf)) {
      let spec: ContainerSpec;
      try {
        spec = parseDockerRun(buf);
      } catch (e) {
        if (e instanceof UserError)
          throw new UserError(`${file}:${start}: ${e.message.replace(/^<docker-run>: /, '')}`);
        throw e;
      }
      spec.source = { ...spec.source, file, line: start };
      out.push(spec);
    }
    buf = '';
  }
  return out;
}

/** Parses one file into containers (and a daemon config), picking the form from the content. */
export function loadFile(file: string, kind: KindOption = 'auto'): LoadedInput {
  const text = readConfigFile(file);
  const name = file === '-' ? '<stdin>' : file;
  const base = path.basename(file);
  if (
    kind === 'docker-run' ||
    (kind === 'auto' &&
      RUN_LINE.test(text.split('\n').find((l) => l.trim() && !l.trim().startsWith('#')) ?? ''))
  ) {
    const containers = docRunLines(text, name);
    if (containers.length === 0) throw new UserError(`${name}: no docker run or docker create command found`);
    return { file: name, kind: 'docker-run', containers, images: [], text };
  }
  if (
    kind === 'unit' ||
    (kind === 'auto' &&
      (/\.service$|\.conf$/.test(base) || /^\s*ExecStart=/m.test(text)) &&
      /dockerd/.test(text))
  ) {
    return {
      file: name,
      kind: 'daemon',
      containers: [],
      daemon: parseDockerdUnit(text, name),
      images: [],
      text,
    };
  }
  if (kind === 'dockerd') {
    return {
      file: name,
      kind: 'daemon',
      containers: [],
      daemon: parseDockerdFlags(text.trim(), name),
      images: [],
      text,
    };
  }
  const containers: ContainerSpec[] = [];
  const images: ImageFacts[] = [];
  let daemon: DaemonSpec | undefined;
  let found: InputKind | undefined;
  let count = 0;
  for (const doc of iterConfigDocs(text, name)) {
    count++;
    const k = kind === 'auto' ? detectDocKind(doc.value) : kind;
    if (k === undefined) {
      if (found === 'kubernetes') continue;
      throw new UserError(
        `${name}${doc.line ? `:${doc.line}` : ''}: not a recognised config (Kubernetes manifest, compose file, docker inspect JSON, OCI config.json, daemon.json or docker run lines)`,
      );
    }
    if (found && k !== found) throw new UserError(`${name}: mixes ${found} and ${k} documents`);
    if (k === 'daemon' && found === 'daemon')
      throw new UserError(`${name}: more than one daemon configuration`);
    found = k;
    // dockerd reads daemon.json as strict JSON: comments, trailing commas or YAML are refused.
    if (k === 'daemon')
      daemon =
        /^\s*\{/.test(text) || kind !== 'daemon'
          ? parseDaemonJsonText(text, name)
          : parseDaemonJson(doc, name);
    else parseDoc(doc, name, k, containers, images);
  }
  if (count === 0) throw new UserError(`${name}: the file is empty`);
  if (!found) throw new UserError(`${name}: nothing to audit`);
  return { file: name, kind: found, containers, daemon, images, text };
}

function parseDoc(
  doc: SourceDoc,
  file: string,
  kind: InputKind,
  containers: ContainerSpec[],
  images: ImageFacts[],
): void {
  switch (kind) {
    case 'kubernetes':
      containers.push(...parseKubernetes(doc, file));
      return;
    case 'compose':
      containers.push(...parseCompose(doc, file));
      return;
    case 'oci':
      containers.push(parseOciConfig(doc, file));
      return;
    case 'inspect': {
      const r = parseInspect(doc, file);
      containers.push(...r.containers);
      images.push(...r.images);
      return;
    }
    case 'daemon':
      throw new UserError(`${file}: a daemon configuration among other documents`);
    case 'docker-run':
      throw new UserError(`${file}: docker run lines are plain text, not YAML or JSON`);
  }
}

/** Refuses capability names the runtime would refuse, with the place they were written. */
export function checkCapNames(spec: ContainerSpec): void {
  const lists: [string[], 'capAdd' | 'capDrop' | 'capsExplicit'][] = [
    [spec.capAdd, 'capAdd'],
    [spec.capDrop, 'capDrop'],
    [spec.capsExplicit ?? [], 'capsExplicit'],
  ];
  for (const [list, field] of lists) {
    const bad = unknownCaps(list);
    if (bad.length > 0) {
      const line = spec.lines[field] ?? spec.source.line;
      throw new UserError(
        `${spec.source.file}${line ? `:${line}` : ''}: unknown capability "${bad[0]}" in ${spec.source.resource}`,
      );
    }
  }
}

/** A docker run command line given on the command line (--docker-run). */
export function loadDockerRun(line: string): LoadedInput {
  const spec = parseDockerRun(line, '<docker-run>');
  return { file: '<docker-run>', kind: 'docker-run', containers: [spec], images: [], text: line };
}
