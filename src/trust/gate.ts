// The content-trust gate. With DRYDOCK_CONTENT_TRUST=1 (or Docker's DOCKER_CONTENT_TRUST=1) every
// image drydock pulls from a registry must carry a valid signature of a kind the trust policy asks
// for; `--disable-content-trust` lifts it for one command. A refusal is one line, names the policy
// rule (file:line) and the reason per signature kind, and exits 2.
//
// The gate runs on the top-level manifest digest (what `docker push` and the signers sign: the
// index of a multi-platform image), before any config or layer is fetched.

import { describe, UserError } from '../errors.js';
import type { RegistryOptions } from '../image/registry/client.js';
import type { CredentialOptions } from '../image/registry/credentials.js';
import type { Reference } from '../image/registry/reference.js';
import { debug } from '../log.js';
import type { NotationPolicy } from './notation.js';
import type { PolicyRule, SignatureKind, TrustPolicy } from './policy.js';
import { resolveTrustPolicy, ruleFor } from './policy.js';

/** Docker's rule: any non-empty value that is not a false boolean turns trust on. */
function envOn(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return !['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v);
}

/** Is the gate on? DRYDOCK_CONTENT_TRUST wins over DOCKER_CONTENT_TRUST; the flag wins over both. */
export function trustGateEnabled(
  env: NodeJS.ProcessEnv = process.env,
  opts: { disableContentTrust?: boolean } = {},
): boolean {
  if (opts.disableContentTrust) return false;
  return envOn(env.DRYDOCK_CONTENT_TRUST) ?? envOn(env.DOCKER_CONTENT_TRUST) ?? false;
}

/** The verifiers the gate dispatches to (each owner's module; tests may replace them). */
export interface Verifiers {
  notary(
    ref: Reference,
    opts: {
      server: string;
      tlsCa?: string;
      trustDir?: string;
      now?: Date;
      roles?: string[];
      credentials?: CredentialOptions;
    },
  ): Promise<{ digest: string; size: number; role: string }>;
  cosign(
    ref: Reference,
    digest: string,
    opts: { publicKeys: string[]; registry?: RegistryOptions },
  ): Promise<{ keyId?: string }>;
  notation(
    ref: Reference,
    digest: string,
    opts: { trustStore: string; policy: NotationPolicy; registry?: RegistryOptions; now?: Date },
  ): Promise<{ subject: string; policy?: string; skipped?: boolean }>;
}

const defaultVerifiers: Verifiers = {
  notary: async (ref, opts) => (await import('./notary-repo.js')).verifyNotaryTag(ref, opts),
  cosign: async (ref, digest, opts) => (await import('./cosign.js')).verifyCosign(ref, digest, opts),
  notation: async (ref, digest, opts) => (await import('./notation.js')).verifyNotation(ref, digest, opts),
};

export interface EnforceOptions {
  registry?: RegistryOptions;
  now?: Date;
  /** Where Notary trust data is cached (default: trustDir()). */
  trustDir?: string;
  verifiers?: Partial<Verifiers>;
}

export interface TrustDecision {
  image: string;
  digest: string;
  /** The rule that applied (undefined: allowed by `default: allow`). */
  rule?: string;
  where?: string;
  /** The signature kind that satisfied the rule (undefined: none was needed). */
  kind?: SignatureKind;
  /** Who signed: Notary role, cosign key id, Notation signer. */
  detail: string;
}

function kindsText(kinds: SignatureKind[]): string {
  return kinds.length === 1 ? `a ${kinds[0]} signature` : `a ${kinds.join(' or ')} signature`;
}

async function checkKind(
  kind: SignatureKind,
  rule: PolicyRule,
  ref: Reference,
  digest: string,
  v: Verifiers,
  opts: EnforceOptions,
): Promise<string> {
  if (kind === 'notary') {
    const cfg = rule.notary;
    if (!cfg) throw new UserError('no notary settings');
    const common = {
      server: cfg.server,
      ...(cfg.tlsCa ? { tlsCa: cfg.tlsCa } : {}),
      ...(opts.trustDir ? { trustDir: opts.trustDir } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      ...(cfg.roles ? { roles: cfg.roles } : {}),
      ...(opts.registry?.credentials ? { credentials: opts.registry.credentials } : {}),
    };
    if (!ref.tag) {
      // pulled by digest: some signed tag must carry exactly this digest
      const r = await v.notary({ ...ref, digest }, common);
      if (r.digest !== digest) throw new UserError(`no signed tag has digest ${digest}`);
      return `digest signed by ${r.role}`;
    }
    const r = await v.notary({ ...ref, digest: undefined }, common);
    if (r.digest !== digest)
      throw new UserError(`tag ${ref.tag} is signed for ${r.digest}, but the registry serves ${digest}`);
    return `tag ${ref.tag} signed by ${r.role}`;
  }
  if (kind === 'cosign') {
    const cfg = rule.cosign;
    if (!cfg) throw new UserError('no cosign settings');
    const r = await v.cosign(ref, digest, {
      publicKeys: cfg.publicKeys,
      ...(opts.registry ? { registry: opts.registry } : {}),
    });
    return r.keyId ? `cosign key ${r.keyId}` : 'a trusted cosign key';
  }
  const cfg = rule.notation;
  if (!cfg) throw new UserError('no notation settings');
  const r = await v.notation(ref, digest, {
    trustStore: cfg.trustStore,
    policy: cfg.policy,
    ...(opts.registry ? { registry: opts.registry } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  if (r.skipped) return `Notation trust policy "${r.policy ?? '?'}" (level skip)`;
  return r.subject ? `Notation signer ${r.subject}` : `Notation trust policy "${r.policy ?? '?'}" (audit)`;
}

/** Strips the verifier's own prefix ("notation: ") so the kind is not said twice. */
function reasonOf(kind: SignatureKind, e: unknown): string {
  return describe(e).replace(new RegExp(`^${kind}:\\s*`, 'i'), '');
}

/**
 * Checks `digest` (the manifest about to be pulled for `ref`) under the policy. Returns what
 * satisfied it; throws UserError (exit 2) naming the rule and the reasons otherwise.
 */
export async function enforceTrust(
  ref: Reference,
  digest: string,
  policy: TrustPolicy,
  opts: EnforceOptions = {},
): Promise<TrustDecision> {
  const repo = `${ref.registry}/${ref.repository}`;
  const image = `${repo}${ref.tag ? `:${ref.tag}` : ''}`;
  const { rule, scope } = ruleFor(policy, ref);
  if (!rule) {
    debug(`trust: ${image}: no rule covers it; ${policy.source} has default: allow`);
    return { image, digest, detail: 'allowed by default: allow' };
  }
  const label = `rule "${rule.name}" (${rule.where})`;
  if (rule.require.length === 0) {
    if (rule === policy.defaultRule)
      throw new UserError(
        `content trust: refusing ${image} (${digest}): no rule of ${policy.source} covers ${repo}, and the default is require`,
      );
    debug(`trust: ${image}: ${label} requires no signature`);
    return { image, digest, rule: rule.name, where: rule.where, detail: 'no signature required' };
  }
  const v: Verifiers = { ...defaultVerifiers, ...opts.verifiers };
  const reasons: string[] = [];
  for (const kind of rule.require) {
    try {
      const detail = await checkKind(kind, rule, ref, digest, v, opts);
      debug(`trust: ${image} (${digest}) passes ${label}${scope ? ` [scope ${scope}]` : ''}: ${detail}`);
      return { image, digest, rule: rule.name, where: rule.where, kind, detail };
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      reasons.push(`${kind}: ${reasonOf(kind, e)}`);
    }
  }
  throw new UserError(
    `content trust: refusing ${image} (${digest}): ${label} requires ${kindsText(rule.require)}; ${reasons.join('; ')}`,
  );
}

export interface GateOptions extends EnforceOptions {
  disableContentTrust?: boolean;
  /** --trust-policy */
  trustPolicy?: string;
  /** TLS CA for the implicit (environment-only) Notary policy. */
  tlsCa?: string;
}

export type TrustGate = (ref: Reference, digest: string) => Promise<TrustDecision>;

/**
 * The gate for one command: undefined when content trust is off; otherwise a function the image
 * source calls with the top-level manifest digest. The policy is read now, so a bad policy fails
 * before anything is pulled.
 */
export function makeTrustGate(env: NodeJS.ProcessEnv, opts: GateOptions = {}): TrustGate | undefined {
  if (!trustGateEnabled(env, opts)) return undefined;
  const policy = resolveTrustPolicy({
    env,
    ...(opts.trustPolicy ? { file: opts.trustPolicy } : {}),
    ...(opts.trustDir ? { trustDir: opts.trustDir } : {}),
    ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}),
  });
  debug(`trust: content trust is on; policy ${policy.source}`);
  return (ref, digest) => enforceTrust(ref, digest, policy, opts);
}
