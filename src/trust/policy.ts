// The drydock trust policy: one file (YAML or JSON) saying which registries and repositories need
// which kind of signature (Notary / Docker Content Trust, cosign, Notation) and which keys or
// identities count. Found at --trust-policy, else $DRYDOCK_TRUST_POLICY, else <trustDir>/policy.yaml.
//
//   version: 1
//   default: require            # images no rule covers: require (any kind configured below) | allow
//   notary:                     # shared settings; a rule may override any section
//     server: https://notary.example.com:4443
//     tlsCa: certs/notary-ca.crt          # relative to this file
//     roles: [targets/releases]           # optional: delegation roles that must have signed
//   cosign:
//     publicKeys: [keys/cosign.pub]       # files, or inline PEM
//   notation:
//     trustStore: notation/truststore     # holds x509/ca/<name>/*.crt
//     policy: notation/trustpolicy.json   # or the Notation trust policy inline, as a mapping
//   rules:
//     - name: team-apps
//       scopes: ["registry.example.com/team/**"]   # `*` within a path segment, `**` across, `?` one char
//       require: [cosign, notation]               # any of them; or one kind; or `none`
//       cosign: { publicKeys: [keys/team.pub] }
//
// The most specific scope wins: an exact repository before any pattern, then the pattern with the
// most literal characters; on a tie the rule written first. Parsing is strict: unknown keys, wrong
// types, missing key files and duplicate scopes are errors with file:line.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, UserError } from '../errors.js';
import { parseConfigText, readConfigFile, type SourceDoc } from '../harden/doc.js';
import type { Reference } from '../image/registry/reference.js';
import { trustDir } from './cache.js';
import { loadNotationPolicyFile, type NotationPolicy, parseNotationPolicy } from './notation.js';

export type SignatureKind = 'notary' | 'cosign' | 'notation';
export const SIGNATURE_KINDS: readonly SignatureKind[] = ['notary', 'cosign', 'notation'];

export interface NotaryRequirement {
  server: string;
  tlsCa?: string;
  /** Delegation roles whose signature is required (e.g. targets/releases). */
  roles?: string[];
}

export interface CosignRequirement {
  /** PEM public keys (read from the files the policy names). */
  publicKeys: string[];
  /** Where each key came from, for messages. */
  keySources: string[];
}

export interface NotationRequirement {
  trustStore: string;
  policy: NotationPolicy;
  /** The file the Notation policy came from, or "<file>:<line> (inline)". */
  policySource: string;
}

export interface PolicyRule {
  name: string;
  scopes: string[];
  /** Any one of these kinds satisfies the rule; empty = no signature needed. */
  require: SignatureKind[];
  /** "policy.yaml:12" */
  where: string;
  notary?: NotaryRequirement;
  cosign?: CosignRequirement;
  notation?: NotationRequirement;
}

export interface TrustPolicy {
  /** The policy file, or a description of the implicit policy. */
  source: string;
  default: 'require' | 'allow';
  rules: PolicyRule[];
  /** The rule applied to images no rule covers when `default: require`. */
  defaultRule?: PolicyRule;
}

const MAX_POLICY_BYTES = 1024 * 1024;

type Seg = string | number;

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class Ctx {
  constructor(
    readonly file: string,
    readonly doc: SourceDoc,
  ) {}
  at(p: readonly Seg[]): string {
    return `${this.file}:${this.doc.lineOf(p) ?? this.doc.line}`;
  }
  fail(p: readonly Seg[], msg: string): never {
    throw new UserError(`${this.at(p)}: ${msg}`);
  }
  keys(v: Record<string, unknown>, p: readonly Seg[], allowed: string[], what: string): void {
    for (const k of Object.keys(v)) {
      if (!allowed.includes(k))
        this.fail([...p, k], `unknown key "${k}" in ${what} (expected ${allowed.join(', ')})`);
    }
  }
  str(v: unknown, p: readonly Seg[], what: string): string {
    if (typeof v !== 'string' || v.trim() === '') this.fail(p, `${what} must be a non-empty string`);
    return v;
  }
  strList(v: unknown, p: readonly Seg[], what: string, allowOne = false): string[] {
    if (allowOne && typeof v === 'string') return [this.str(v, p, what)];
    if (!Array.isArray(v) || v.length === 0) this.fail(p, `${what} must be a non-empty list of strings`);
    return v.map((x, i) => this.str(x, [...p, i], what));
  }
  /** A path in the policy, relative to the policy file's directory. */
  file_(v: unknown, p: readonly Seg[], what: string, kind: 'file' | 'dir'): string {
    const rel = this.str(v, p, what);
    const abs = path.resolve(path.dirname(this.file), rel);
    let ok = false;
    try {
      const st = statSync(abs);
      ok = kind === 'file' ? st.isFile() : st.isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) this.fail(p, `${what} ${rel} is not an existing ${kind === 'file' ? 'file' : 'directory'}`);
    return abs;
  }
}

function parseNotary(ctx: Ctx, v: unknown, p: Seg[]): NotaryRequirement {
  if (!isObj(v)) ctx.fail(p, 'notary must be a mapping (server, tlsCa, roles)');
  ctx.keys(v, p, ['server', 'tlsCa', 'roles'], 'notary');
  const server = ctx.str(v.server, [...p, 'server'], 'notary server');
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    ctx.fail([...p, 'server'], `notary server "${server}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    ctx.fail([...p, 'server'], `notary server "${server}" must be an https:// (or http://) URL`);
  const out: NotaryRequirement = { server: server.replace(/\/+$/, '') };
  if (v.tlsCa !== undefined) out.tlsCa = ctx.file_(v.tlsCa, [...p, 'tlsCa'], 'tlsCa', 'file');
  if (v.roles !== undefined) {
    out.roles = ctx.strList(v.roles, [...p, 'roles'], 'notary roles', true);
    for (const [i, r] of out.roles.entries()) {
      if (!/^targets(\/[A-Za-z0-9_.-]+)*$/.test(r) || r.split('/').some((s) => s === '.' || s === '..'))
        ctx.fail(
          [...p, 'roles', i],
          `notary role "${r}" must be targets or a delegation such as targets/releases`,
        );
    }
  }
  return out;
}

function parseCosign(ctx: Ctx, v: unknown, p: Seg[]): CosignRequirement {
  if (!isObj(v)) ctx.fail(p, 'cosign must be a mapping (publicKeys)');
  ctx.keys(v, p, ['publicKeys'], 'cosign');
  const list = ctx.strList(v.publicKeys, [...p, 'publicKeys'], 'cosign publicKeys', true);
  const publicKeys: string[] = [];
  const keySources: string[] = [];
  list.forEach((k, i) => {
    const kp = [...p, 'publicKeys', i];
    if (k.includes('-----BEGIN')) {
      if (!/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(k))
        ctx.fail(kp, 'inline cosign key must be a PEM "PUBLIC KEY" block');
      publicKeys.push(k);
      keySources.push(`${ctx.at(kp)} (inline)`);
      return;
    }
    const file = ctx.file_(k, kp, 'cosign public key', 'file');
    const pem = readConfigFile(file, 64 * 1024);
    if (!pem.includes('-----BEGIN PUBLIC KEY-----'))
      ctx.fail(kp, `cosign public key ${k} is not a PEM "PUBLIC KEY" file`);
    publicKeys.push(pem);
    keySources.push(file);
  });
  return { publicKeys, keySources };
}

function parseNotationSection(ctx: Ctx, v: unknown, p: Seg[]): NotationRequirement {
  if (!isObj(v)) ctx.fail(p, 'notation must be a mapping (trustStore, policy)');
  ctx.keys(v, p, ['trustStore', 'policy'], 'notation');
  const trustStore = ctx.file_(v.trustStore, [...p, 'trustStore'], 'notation trustStore', 'dir');
  if (v.policy === undefined)
    ctx.fail(p, 'notation needs a policy (a file or an inline Notation trust policy)');
  if (typeof v.policy === 'string') {
    const file = ctx.file_(v.policy, [...p, 'policy'], 'notation policy', 'file');
    return { trustStore, policy: loadNotationPolicyFile(file), policySource: file };
  }
  const policy = parseNotationPolicy(v.policy, (q) => ctx.at([...p, 'policy', ...q]));
  return { trustStore, policy, policySource: `${ctx.at([...p, 'policy'])} (inline)` };
}

function parseRequire(ctx: Ctx, v: unknown, p: Seg[]): SignatureKind[] {
  if (v === 'none') return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0)
    ctx.fail(p, 'require must be notary, cosign, notation, a list of them, or none');
  const out: SignatureKind[] = [];
  list.forEach((k, i) => {
    if (typeof k !== 'string' || !SIGNATURE_KINDS.includes(k as SignatureKind))
      ctx.fail(
        Array.isArray(v) ? [...p, i] : p,
        `unknown signature kind ${JSON.stringify(k)} (notary, cosign, notation)`,
      );
    if (out.includes(k as SignatureKind)) ctx.fail([...p, i], `signature kind ${k} is listed twice`);
    out.push(k as SignatureKind);
  });
  return out;
}

/** Checks a scope pattern ("registry/repo", with * ** ?) and returns it. */
function checkScope(ctx: Ctx, s: string, p: Seg[]): string {
  if (!/^[A-Za-z0-9._:/*?\-[\]]+$/.test(s))
    ctx.fail(p, `scope "${s}" has characters a repository cannot have`);
  if (/\*{3,}/.test(s)) ctx.fail(p, `scope "${s}": use * or **`);
  const first = s.split('/')[0] as string;
  const hostLike = first === 'localhost' || /[.:]/.test(first) || /[*?]/.test(first);
  if (!hostLike || (!s.includes('/') && !s.includes('**')))
    ctx.fail(
      p,
      `scope "${s}" must start with a registry host (e.g. docker.io/library/debian, registry.example.com/team/*)`,
    );
  if (/[:@]/.test(s.slice(s.indexOf('/') + 1)) && s.includes('/'))
    ctx.fail(p, `scope "${s}" names a repository, not a tag or digest`);
  return s;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Parses the text of a drydock trust policy; `file` is used for messages and relative paths. */
export function parseTrustPolicy(text: string, file: string): TrustPolicy {
  const docs = parseConfigText(text, file);
  const doc = docs[0];
  if (!doc) throw new UserError(`${file}: the trust policy is empty`);
  if (docs.length > 1)
    throw new UserError(`${file}:${docs[1]?.line ?? 1}: a trust policy is one YAML document`);
  const ctx: Ctx = new Ctx(file, doc);
  const v = doc.value;
  if (!isObj(v)) ctx.fail([], 'the trust policy must be a mapping');
  ctx.keys(v, [], ['version', 'default', 'notary', 'cosign', 'notation', 'rules'], 'the trust policy');
  if (v.version !== undefined && v.version !== 1 && v.version !== '1')
    ctx.fail(
      ['version'],
      `unsupported trust policy version ${JSON.stringify(v.version)} (this drydock reads 1)`,
    );
  const dflt = v.default ?? 'require';
  if (dflt !== 'require' && dflt !== 'allow') ctx.fail(['default'], 'default must be require or allow');
  const top: Partial<Pick<PolicyRule, SignatureKind>> = {};
  if (v.notary !== undefined) top.notary = parseNotary(ctx, v.notary, ['notary']);
  if (v.cosign !== undefined) top.cosign = parseCosign(ctx, v.cosign, ['cosign']);
  if (v.notation !== undefined) top.notation = parseNotationSection(ctx, v.notation, ['notation']);

  const rules: PolicyRule[] = [];
  const seenScopes = new Map<string, string>();
  const names = new Set<string>();
  if (v.rules !== undefined && !Array.isArray(v.rules)) ctx.fail(['rules'], 'rules must be a list');
  ((v.rules as unknown[] | undefined) ?? []).forEach((r, i) => {
    const p: Seg[] = ['rules', i];
    if (!isObj(r)) ctx.fail(p, 'each rule must be a mapping (name, scopes, require, ...)');
    ctx.keys(r, p, ['name', 'scope', 'scopes', 'require', 'notary', 'cosign', 'notation'], 'a rule');
    const name = r.name === undefined ? `rule ${i + 1}` : ctx.str(r.name, [...p, 'name'], 'rule name');
    if (names.has(name)) ctx.fail([...p, 'name'], `rule name "${name}" is used twice`);
    names.add(name);
    if (r.scope !== undefined && r.scopes !== undefined)
      ctx.fail([...p, 'scope'], 'use scope or scopes, not both');
    const sk = r.scopes !== undefined ? 'scopes' : 'scope';
    if (r[sk] === undefined) ctx.fail(p, `rule "${name}" needs scopes`);
    const scopes = ctx
      .strList(r[sk], [...p, sk], 'scopes', true)
      .map((s, j) => checkScope(ctx, s, Array.isArray(r[sk]) ? [...p, sk, j] : [...p, sk]));
    for (const s of scopes) {
      const prev = seenScopes.get(s);
      if (prev) ctx.fail([...p, sk], `scope "${s}" is already in rule "${prev}"`);
      seenScopes.set(s, name);
    }
    if (r.require === undefined)
      ctx.fail(p, `rule "${name}" needs require (notary, cosign, notation, a list, or none)`);
    const require = parseRequire(ctx, r.require, [...p, 'require']);
    const rule: PolicyRule = { name, scopes, require, where: ctx.at(p) };
    const own: Partial<Pick<PolicyRule, SignatureKind>> = {};
    if (r.notary !== undefined) own.notary = parseNotary(ctx, r.notary, [...p, 'notary']);
    if (r.cosign !== undefined) own.cosign = parseCosign(ctx, r.cosign, [...p, 'cosign']);
    if (r.notation !== undefined) own.notation = parseNotationSection(ctx, r.notation, [...p, 'notation']);
    for (const k of SIGNATURE_KINDS) {
      if (own[k] && !require.includes(k))
        ctx.fail([...p, k], `rule "${name}" configures ${k} but does not require it`);
    }
    for (const k of require) {
      const cfg = own[k] ?? top[k];
      if (!cfg)
        ctx.fail(
          [...p, 'require'],
          `rule "${name}" requires ${k} but neither the rule nor the top of the policy configures ${k}`,
        );
      (rule as unknown as Record<string, unknown>)[k] = cfg;
    }
    rules.push(rule);
  });

  const policy: TrustPolicy = { source: file, default: dflt, rules };
  if (dflt === 'require') {
    const kinds = SIGNATURE_KINDS.filter((k) => top[k]);
    if (kinds.length === 0 && rules.length === 0)
      ctx.fail(
        v.default === undefined ? [] : ['default'],
        'default: require needs a notary, cosign or notation section (or rules); use default: allow to let unmatched images through',
      );
    policy.defaultRule = {
      name: 'default',
      scopes: ['**'],
      require: kinds,
      where: ctx.at(v.default === undefined ? [] : ['default']),
      ...top,
    };
  }
  return policy;
}

/** Reads and parses a trust policy file. */
export function loadTrustPolicyFile(file: string): TrustPolicy {
  return parseTrustPolicy(readConfigFile(file, MAX_POLICY_BYTES), file);
}

export interface PolicySourceOptions {
  /** --trust-policy */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Directory holding policy.yaml (default: trustDir()). */
  trustDir?: string;
}

/** Where the policy comes from: --trust-policy, $DRYDOCK_TRUST_POLICY, <trustDir>/policy.yaml. */
export function trustPolicyPath(opts: PolicySourceOptions = {}): { file: string; explicit: boolean } {
  const env = opts.env ?? process.env;
  if (opts.file) return { file: opts.file, explicit: true };
  if (env.DRYDOCK_TRUST_POLICY) return { file: env.DRYDOCK_TRUST_POLICY, explicit: true };
  return { file: path.join(opts.trustDir ?? trustDir(), 'policy.yaml'), explicit: false };
}

/**
 * Docker Content Trust without a policy file: every image needs a Notary signature from the
 * server in $DRYDOCK_CONTENT_TRUST_SERVER / $DOCKER_CONTENT_TRUST_SERVER (TLS CA from
 * $DRYDOCK_CONTENT_TRUST_TLS_CA or the opts).
 */
export function implicitTrustPolicy(
  env: NodeJS.ProcessEnv,
  opts: { tlsCa?: string } = {},
): TrustPolicy | undefined {
  const server = env.DRYDOCK_CONTENT_TRUST_SERVER || env.DOCKER_CONTENT_TRUST_SERVER;
  if (!server) return undefined;
  const var_ = env.DRYDOCK_CONTENT_TRUST_SERVER
    ? 'DRYDOCK_CONTENT_TRUST_SERVER'
    : 'DOCKER_CONTENT_TRUST_SERVER';
  try {
    const u = new URL(server);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw new UserError(`$${var_} "${server}" is not an https:// URL`);
  }
  const notary: NotaryRequirement = { server: server.replace(/\/+$/, '') };
  const tlsCa = opts.tlsCa ?? env.DRYDOCK_CONTENT_TRUST_TLS_CA;
  if (tlsCa) notary.tlsCa = path.resolve(tlsCa);
  const source = `$${var_} (no trust policy file)`;
  return {
    source,
    default: 'require',
    rules: [],
    defaultRule: { name: 'default', scopes: ['**'], require: ['notary'], where: source, notary },
  };
}

/**
 * The policy the gate and check-dockerfile use: the file (an explicit one must exist), else the
 * implicit Docker Content Trust policy, else a UserError saying how to configure one.
 */
export function resolveTrustPolicy(opts: PolicySourceOptions & { tlsCa?: string } = {}): TrustPolicy {
  const env = opts.env ?? process.env;
  const { file, explicit } = trustPolicyPath(opts);
  if (explicit || existsSync(file)) {
    try {
      return loadTrustPolicyFile(file);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot read trust policy ${file}: ${describe(e)}`);
    }
  }
  const implicit = implicitTrustPolicy(env, opts);
  if (implicit) return implicit;
  throw new UserError(
    `content trust needs a trust policy: write ${file}, pass --trust-policy FILE, set DRYDOCK_TRUST_POLICY, or set DOCKER_CONTENT_TRUST_SERVER for Notary`,
  );
}

export interface RuleMatch {
  /** The rule that applies; undefined when the image is allowed by `default: allow`. */
  rule: PolicyRule | undefined;
  /** The scope that matched (undefined for the default rule). */
  scope?: string;
}

/** The rule for an image: the most specific scope wins (exact, then most literal characters, then first). */
export function ruleFor(policy: TrustPolicy, ref: Pick<Reference, 'registry' | 'repository'>): RuleMatch {
  const repo = `${ref.registry}/${ref.repository}`;
  let best: { rule: PolicyRule; scope: string; score: number } | undefined;
  for (const rule of policy.rules) {
    for (const scope of rule.scopes) {
      const exact = !/[*?]/.test(scope);
      if (exact ? scope !== repo : !globToRegExp(scope).test(repo)) continue;
      const score = exact ? Number.MAX_SAFE_INTEGER : scope.replace(/[*?]/g, '').length;
      if (!best || score > best.score) best = { rule, scope, score };
    }
  }
  if (best) return { rule: best.rule, scope: best.scope };
  return { rule: policy.defaultRule };
}
