// Renders Docker's "docker-default" AppArmor profile from moby's own template text, byte for byte as
// the daemon's Go text/template does, for the current template and the one of Docker 24.0.0.
//
// What the daemon passes (moby profiles/apparmor, containerd's copy): Name "docker-default";
// DaemonProfile = the daemon's own confinement from /proc/self/attr/current without its " (mode)"
// suffix, or "unconfined"; Abi "abi/3.0" when /etc/apparmor.d/abi/3.0 exists; Imports
// ["#include <tunables/global>"] when /etc/apparmor.d/tunables/global exists, else ["@{PROC}=/proc/"];
// InnerImports ["#include <abstractions/base>"] when /etc/apparmor.d/abstractions/base exists.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import templates from './data/templates.json' with { type: 'json' };
import { parseTemplate, renderTemplate, type TemplateNode } from './gotemplate.js';

export const DOCKER_DEFAULT_VERSIONS = ['current', 'v24.0.0'] as const;
export type DockerDefaultVersion = (typeof DOCKER_DEFAULT_VERSIONS)[number];

export interface DockerDefaultOptions {
  /** Profile name (default "docker-default"). */
  name?: string;
  /** The daemon's own profile, allowed to signal containers (default "unconfined"). */
  daemonProfile?: string;
  /** Which moby template (default "current"). */
  version?: DockerDefaultVersion;
  /** The ABI file, "abi/3.0" (also accepted as "abi <abi/3.0>,"); "" for none. Ignored by v24.0.0. */
  abi?: string;
  /** Lines before the profile block (default ["#include <tunables/global>"]). */
  imports?: string[];
  /** Lines at the top of the profile block (default ["#include <abstractions/base>"]). */
  innerImports?: string[];
}

/** The template's inputs, named as moby's Go struct fields. */
export interface DockerDefaultInputs {
  Name: string;
  DaemonProfile: string;
  Abi: string;
  Imports: string[];
  InnerImports: string[];
}

/** What a Debian or Ubuntu host with the apparmor package installed gives the daemon. */
export const TYPICAL_HOST_INPUTS: Readonly<DockerDefaultInputs> = Object.freeze({
  Name: 'docker-default',
  DaemonProfile: 'unconfined',
  Abi: 'abi/3.0',
  Imports: ['#include <tunables/global>'],
  InnerImports: ['#include <abstractions/base>'],
});

const MAX_NAME = 255;
const MAX_IMPORTS = 64;
// Profile names end up inside `profile "NAME"` and `peer=NAME` (unquoted in the v24.0.0 template):
// quotes, spaces, commas, braces, glob characters or '#' would change the rule or widen the peer.
const NAME_RE = /^[A-Za-z0-9_/][A-Za-z0-9_.:@+~/-]*$/;
const ABI_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+/-]*$/;
const INCLUDE_RE = /^#?include(?: if exists)? (?:<([A-Za-z0-9_.+/-]+)>|"([A-Za-z0-9_.+/-]+)")$/;
const VAR_VALUE = String.raw`(?:[A-Za-z0-9_./*-]|@\{[A-Za-z_][A-Za-z0-9_]*\})+`;
const VARIABLE_RE = new RegExp(
  String.raw`^@\{[A-Za-z_][A-Za-z0-9_]*\} ?\+?= ?${VAR_VALUE}(?: ${VAR_VALUE})*$`,
);

/** Checks a profile name can be written into a profile without quoting or changing its meaning. */
export function checkProfileName(name: string, what = 'profile name'): string {
  if (name.length === 0 || name.length > MAX_NAME || !NAME_RE.test(name)) {
    throw new UserError(
      `${what} ${JSON.stringify(name.slice(0, 80))} is not allowed: use 1-${MAX_NAME} characters from A-Z a-z 0-9 _ . : @ + ~ / -`,
    );
  }
  return name;
}

function checkAbi(abi: string): string {
  const m = /^(?:abi\s*)?<([^<>]*)>\s*,?$/.exec(abi.trim());
  const bare = m ? (m[1] as string).trim() : abi.trim();
  if (bare === '') return '';
  if (!ABI_RE.test(bare) || bare.split('/').includes('..'))
    throw new UserError(
      `abi ${JSON.stringify(abi.slice(0, 80))} is not an AppArmor abi file name such as abi/3.0`,
    );
  return bare;
}

function checkImports(lines: readonly string[], what: string): string[] {
  if (lines.length > MAX_IMPORTS) throw new UserError(`${what}: more than ${MAX_IMPORTS} lines`);
  return lines.map((l) => {
    const inc = INCLUDE_RE.exec(l);
    const file = inc ? (inc[1] ?? inc[2] ?? '') : undefined;
    if (file !== undefined && !file.split('/').includes('..')) return l;
    if (inc === null && VARIABLE_RE.test(l)) return l;
    throw new UserError(
      `${what}: ${JSON.stringify(l.slice(0, 80))} is neither an include line (#include <file>) nor a variable (@{NAME}=value)`,
    );
  });
}

/** The template inputs for the options, each checked so that no value can alter the profile's rules. */
export function dockerDefaultInputs(opts: DockerDefaultOptions = {}): DockerDefaultInputs {
  return {
    Name: checkProfileName(opts.name ?? TYPICAL_HOST_INPUTS.Name),
    DaemonProfile: checkProfileName(
      opts.daemonProfile ?? TYPICAL_HOST_INPUTS.DaemonProfile,
      'daemon profile',
    ),
    Abi: checkAbi(opts.abi ?? TYPICAL_HOST_INPUTS.Abi),
    Imports: checkImports(opts.imports ?? TYPICAL_HOST_INPUTS.Imports, 'imports'),
    InnerImports: checkImports(opts.innerImports ?? TYPICAL_HOST_INPUTS.InnerImports, 'inner imports'),
  };
}

const parsed = new Map<DockerDefaultVersion, TemplateNode[]>();

/** moby's template text for a version (a byte copy of src/apparmor/data/docker-default*.tmpl). */
export function dockerDefaultTemplate(version: DockerDefaultVersion = 'current'): string {
  if (!(DOCKER_DEFAULT_VERSIONS as readonly string[]).includes(version)) {
    throw new UserError(
      `unknown docker-default template version ${JSON.stringify(version)} (known: ${DOCKER_DEFAULT_VERSIONS.join(', ')})`,
    );
  }
  return templates[version];
}

/** The docker-default profile text exactly as moby renders it for these inputs. */
export function renderDockerDefault(opts: DockerDefaultOptions = {}): string {
  const version = opts.version ?? 'current';
  const text = dockerDefaultTemplate(version);
  let tree = parsed.get(version);
  if (!tree) {
    tree = parseTemplate(text, `docker-default-${version}`);
    parsed.set(version, tree);
  }
  const d = dockerDefaultInputs(opts);
  return renderTemplate(
    tree,
    {
      Name: d.Name,
      DaemonProfile: d.DaemonProfile,
      Abi: d.Abi,
      Imports: d.Imports,
      InnerImports: d.InnerImports,
    },
    `docker-default-${version}`,
  );
}

/**
 * The daemon's profile from the text of /proc/<pid>/attr/current ("name (enforce)\n", "name",
 * "unconfined"): the label before a trailing " (mode)", or "unconfined" when there is none.
 */
export function daemonProfileFromAttr(text: string): string {
  let con = text.replace(/\0+$/, '').replace(/\n$/, '');
  if (con.endsWith(')')) {
    const i = con.lastIndexOf(' (', con.length - 1);
    if (i >= 0) con = con.slice(0, i);
  }
  return con === '' ? 'unconfined' : con;
}

export interface HostProbe {
  /** AppArmor's configuration directory (default /etc/apparmor.d). */
  apparmorDir?: string;
  /** Where the daemon's confinement is read (default /proc/self/attr/current); null to skip. */
  attrCurrent?: string | null;
}

/** The options the daemon would use on this host, found the way moby finds them. */
export function hostTemplateOptions(probe: HostProbe = {}): Required<Omit<DockerDefaultOptions, 'version'>> {
  const dir = probe.apparmorDir ?? '/etc/apparmor.d';
  const has = (rel: string): boolean => existsSync(path.join(dir, rel));
  let daemonProfile = 'unconfined';
  const attr = probe.attrCurrent === undefined ? '/proc/self/attr/current' : probe.attrCurrent;
  if (attr !== null) {
    try {
      daemonProfile = daemonProfileFromAttr(readFileSync(attr, 'utf8'));
    } catch {
      // No AppArmor in the kernel (EINVAL) or no procfs: the daemon runs unconfined, as moby assumes.
    }
  }
  return {
    name: 'docker-default',
    daemonProfile,
    abi: has('abi/3.0') ? 'abi/3.0' : '',
    imports: [has('tunables/global') ? '#include <tunables/global>' : '@{PROC}=/proc/'],
    innerImports: has('abstractions/base') ? ['#include <abstractions/base>'] : [],
  };
}
