// `drydock trust ...`: Docker Content Trust (Notary / TUF) signing and verification, the trust
// server, cosign and Notation signatures, and the Dockerfile trust check.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, UserError } from '../../errors.js';
import { RegistryClient, type RegistryOptions } from '../../image/registry/client.js';
import { formatReference, parseReference, type Reference } from '../../image/registry/reference.js';
import type { Options } from '../framework.js';
import { emit } from './scan.js';

/** The Notary server for a reference: --server, then the environment, then https://<registry> (Docker's rule). */
export function trustServerFor(ref: Reference, o: Options, env: NodeJS.ProcessEnv = process.env): string {
  // an empty variable counts as unset, as in Docker
  return (
    (o.server as string | undefined) ||
    env.DRYDOCK_CONTENT_TRUST_SERVER ||
    env.DOCKER_CONTENT_TRUST_SERVER ||
    `https://${ref.registry}`
  );
}

function registryOptions(o: Options): RegistryOptions {
  return {
    insecure: !!o.insecure,
    credentials: {
      username: o.username as string | undefined,
      password: o.password as string | undefined,
    },
    timeoutMs: (o.timeout as number | undefined) ?? 30_000,
    retries: 2,
  };
}

function notaryOptions(ref: Reference, o: Options) {
  const reg = registryOptions(o);
  return {
    server: trustServerFor(ref, o),
    ...(o.tlsCa ? { tlsCa: String(o.tlsCa) } : {}),
    ...(o.trustDir ? { trustDir: String(o.trustDir) } : {}),
    ...(reg.credentials ? { credentials: reg.credentials } : {}),
    registry: reg,
  };
}

function imageRef(input: string, needTag: boolean): Reference {
  const ref = parseReference(input);
  if (needTag && !ref.tag) throw new UserError(`${input}: name a tag (Notary signs tags)`);
  return ref;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${what} ${file}: ${describe(e)}`);
  }
}

/** The manifest digest the registry serves for a tag (what a pull gets). */
async function registryDigest(
  ref: Reference,
  reg: RegistryOptions,
): Promise<{ digest: string; size: number }> {
  const client = new RegistryClient(ref, reg);
  try {
    const m = await client.getManifest(ref.digest ?? (ref.tag as string));
    return { digest: m.digest, size: m.data.length };
  } finally {
    await client.close();
  }
}

function json(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Notary / Docker Content Trust

export async function runTrustSign(image: string, o: Options): Promise<number> {
  const ref = imageRef(image, true);
  const { signImage } = await import('../../trust/notary-repo.js');
  const r = await signImage(ref, notaryOptions(ref, o));
  const versions = Object.entries(r.published)
    .map(([role, v]) => `${role} v${v}`)
    .join(', ');
  process.stdout.write(
    `Signed ${formatReference(ref)}: ${r.digest} (${r.size} bytes); published ${versions}\n`,
  );
  return 0;
}

export async function runTrustVerify(image: string, o: Options): Promise<number> {
  const ref = imageRef(image, true);
  const { verifyNotaryTag } = await import('../../trust/notary-repo.js');
  const opts = notaryOptions(ref, o);
  const signed = await verifyNotaryTag(ref, opts);
  const served = await registryDigest({ ...ref, digest: undefined }, opts.registry);
  const ok = served.digest === signed.digest && served.size === signed.size;
  const result = {
    image: formatReference(ref),
    signed: { digest: signed.digest, size: signed.size, role: signed.role },
    registry: served,
    verified: ok,
  };
  if (o.format === 'json') await emit(json(result), undefined);
  if (!ok) {
    throw new UserError(
      `${formatReference(ref)}: the registry serves ${served.digest} (${served.size} bytes) but ${signed.role} signs ${signed.digest} (${signed.size} bytes)`,
    );
  }
  if (o.format !== 'json')
    process.stdout.write(
      `${formatReference(ref)}: ${signed.digest} is signed by ${signed.role} and served by the registry\n`,
    );
  return 0;
}

export async function runTrustInspect(images: string[], o: Options): Promise<number> {
  if (images.length === 0) throw new UserError('name at least one repository or image');
  const { NotaryRepository, gunOf } = await import('../../trust/notary-repo.js');
  const out: unknown[] = [];
  const lines: string[] = [];
  for (const image of images) {
    const ref = parseReference(image);
    const repo = new NotaryRepository(gunOf(ref), notaryOptions(ref, o));
    try {
      const info = await repo.inspect();
      // REPO lists every signed tag, REPO:TAG only that one (as docker trust inspect)
      const explicitTag = /:[^/]+$/.test(image.split('@')[0] as string);
      const tags = explicitTag ? info.signedTags.filter((t) => t.tag === ref.tag) : info.signedTags;
      out.push({ ...info, signedTags: tags });
      lines.push(`Signatures for ${info.gun}`, '');
      lines.push(
        formatTable(
          ['SIGNED TAG', 'DIGEST', 'SIGNERS'],
          // signer names as docker trust inspect shows them: targets is the repository admin
          tags.map((t) => [
            t.tag,
            t.digest,
            t.signers.map((r) => (r === 'targets' ? '(Repo Admin)' : r.replace(/^targets\//, ''))).join(', '),
          ]),
        ),
      );
      lines.push(`List of signers and their keys for ${info.gun}`, '');
      lines.push(
        info.signers.length
          ? formatTable(
              ['SIGNER', 'KEYS', 'PATHS'],
              info.signers.map((s) => [
                s.name,
                s.keyIds.map((k) => k.slice(0, 12)).join(', '),
                s.paths.join(', ') || '(all)',
              ]),
            )
          : 'No signers.\n',
      );
      lines.push(`Administrative keys for ${info.gun}`, '');
      for (const k of info.administrativeKeys)
        lines.push(`  ${k.role[0]?.toUpperCase()}${k.role.slice(1)} key:\t${k.canonicalKeyIds.join(', ')}`);
      lines.push('');
    } finally {
      repo.close();
    }
  }
  await emit(o.format === 'json' ? json(out) : `${lines.join('\n')}\n`, o.output as string | undefined);
  return 0;
}

function formatTable(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return `${all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] as number))).join('   ')).join('\n')}\n`;
}

export async function runTrustRevoke(image: string, o: Options): Promise<number> {
  const ref = imageRef(image, true);
  const { NotaryRepository, gunOf } = await import('../../trust/notary-repo.js');
  const repo = new NotaryRepository(gunOf(ref), notaryOptions(ref, o));
  try {
    await repo.removeTarget(ref.tag as string);
  } finally {
    repo.close();
  }
  process.stdout.write(`Revoked the signature of ${formatReference(ref)}\n`);
  return 0;
}

export async function runTrustKeyGenerate(name: string, o: Options): Promise<number> {
  const { generateSignerKey } = await import('../../trust/notary-repo.js');
  const r = await generateSignerKey(name, o.trustDir ? { trustDir: String(o.trustDir) } : {});
  const file = path.join(String(o.dir ?? '.'), `${name}.pub`);
  try {
    writeFileSync(file, r.publicPem, { flag: 'wx' });
  } catch (e) {
    throw new UserError(`cannot write ${file}: ${describe(e)}`);
  }
  process.stdout.write(`Generated key ${r.keyId} for signer ${name}; public key in ${file}\n`);
  return 0;
}

export async function runTrustKeyLoad(file: string, o: Options): Promise<number> {
  const { loadSignerKey } = await import('../../trust/notary-repo.js');
  const name = String(o.name ?? 'signer');
  const r = await loadSignerKey(
    readText(file, 'key'),
    name,
    o.trustDir ? { trustDir: String(o.trustDir) } : {},
  );
  process.stdout.write(`Loaded key ${r.keyId} as signer ${name}\n`);
  return 0;
}

export async function runTrustKeyRotate(image: string, role: string, o: Options): Promise<number> {
  if (!['root', 'targets', 'snapshot', 'timestamp'].includes(role))
    throw new UserError(`cannot rotate "${role}": choose root, targets, snapshot or timestamp`);
  const ref = parseReference(image);
  const { NotaryRepository, gunOf } = await import('../../trust/notary-repo.js');
  const repo = new NotaryRepository(gunOf(ref), notaryOptions(ref, o));
  try {
    const r = await repo.rotateKey(role as 'root' | 'targets' | 'snapshot' | 'timestamp', {
      serverManaged: role === 'timestamp' || !o.local,
    });
    process.stdout.write(`Rotated the ${role} key of ${repo.gun}: new key ${r.keyId}\n`);
  } finally {
    repo.close();
  }
  return 0;
}

export async function runTrustSignerAdd(name: string, images: string[], o: Options): Promise<number> {
  const keys = (o.key as string[] | undefined) ?? [];
  if (keys.length === 0) throw new UserError('signer add needs --key PUBLIC.pem');
  const { NotaryRepository, gunOf, keyFromPem } = await import('../../trust/notary-repo.js');
  const tufKeys = keys.map((k) => keyFromPem(readText(k, 'public key'), k));
  for (const image of images) {
    const ref = parseReference(image);
    const repo = new NotaryRepository(gunOf(ref), notaryOptions(ref, o));
    try {
      await repo.addSigner(name, tufKeys);
      process.stdout.write(`Added signer ${name} to ${repo.gun}\n`);
    } finally {
      repo.close();
    }
  }
  return 0;
}

export async function runTrustSignerRemove(name: string, images: string[], o: Options): Promise<number> {
  const { NotaryRepository, gunOf } = await import('../../trust/notary-repo.js');
  for (const image of images) {
    const ref = parseReference(image);
    const repo = new NotaryRepository(gunOf(ref), notaryOptions(ref, o));
    try {
      await repo.removeSigner(name);
      process.stdout.write(`Removed signer ${name} from ${repo.gun}\n`);
    } finally {
      repo.close();
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The trust server and the Dockerfile check

export async function runTrustServerCommand(o: Options): Promise<number> {
  const { runTrustServer } = await import('../../trust/server/server.js');
  if (!!o.tlsCert !== !!o.tlsKey) throw new UserError('--tls-cert and --tls-key go together');
  await runTrustServer({
    ...(o.listen ? { listen: String(o.listen) } : {}),
    ...(o.db ? { db: String(o.db) } : {}),
    ...(o.tlsCert ? { tlsCert: String(o.tlsCert), tlsKey: String(o.tlsKey) } : {}),
  });
  return 0;
}

export async function runTrustCheckDockerfile(file: string, o: Options): Promise<number> {
  const { runCheckDockerfile, parseBuildArgs } = await import('../../trust/dockerfile.js');
  const { resolveTrustPolicy } = await import('../../trust/policy.js');
  const policy = resolveTrustPolicy({
    ...(o.trustPolicy ? { file: String(o.trustPolicy) } : {}),
    ...(o.tlsCa ? { tlsCa: String(o.tlsCa) } : {}),
  });
  await runCheckDockerfile(file, policy, {
    buildArgs: parseBuildArgs((o.buildArg as string[] | undefined) ?? []),
    registry: registryOptions(o),
  });
  return 0;
}

// ---------------------------------------------------------------------------------------------
// cosign and Notation

export async function runCosignGenerateKeyPair(o: Options): Promise<number> {
  const { generateCosignKeyPair, cosignPasswordFromEnv } = await import('../../trust/cosign.js');
  const password = cosignPasswordFromEnv();
  if (password === undefined)
    throw new UserError('set COSIGN_PASSWORD (it may be empty) to encrypt the private key');
  const prefix = String(o.outputKeyPrefix ?? 'cosign');
  const pair = generateCosignKeyPair(password);
  for (const [file, text, mode] of [
    [`${prefix}.key`, pair.privatePem, 0o600],
    [`${prefix}.pub`, pair.publicPem, 0o644],
  ] as const) {
    try {
      writeFileSync(file, text, { flag: 'wx', mode });
    } catch (e) {
      throw new UserError(`cannot write ${file}: ${describe(e)}`);
    }
  }
  process.stdout.write(`Private key written to ${prefix}.key\nPublic key written to ${prefix}.pub\n`);
  return 0;
}

export async function runCosignSign(image: string, o: Options): Promise<number> {
  const { signCosign, cosignPasswordFromEnv } = await import('../../trust/cosign.js');
  if (!o.key) throw new UserError('cosign sign needs --key cosign.key');
  const ref = parseReference(image);
  const reg = registryOptions(o);
  const digest = ref.digest ?? (await registryDigest(ref, reg)).digest;
  const password = cosignPasswordFromEnv();
  const r = await signCosign(ref, digest, readText(String(o.key), 'key'), {
    ...(password !== undefined ? { password } : {}),
    registry: reg,
  });
  process.stdout.write(`Pushed signature for ${ref.registry}/${ref.repository}@${digest} to tag ${r.tag}\n`);
  return 0;
}

export async function runCosignVerify(image: string, o: Options): Promise<number> {
  const { verifyCosign } = await import('../../trust/cosign.js');
  const keys = (o.key as string[] | undefined) ?? [];
  if (keys.length === 0) throw new UserError('cosign verify needs --key cosign.pub');
  const ref = parseReference(image);
  const reg = registryOptions(o);
  const digest = ref.digest ?? (await registryDigest(ref, reg)).digest;
  const r = await verifyCosign(ref, digest, {
    publicKeys: keys.map((k) => readText(k, 'public key')),
    registry: reg,
  });
  process.stdout.write(
    `${formatReference(ref)}: ${digest} has a valid cosign signature${r.keyId ? ` (key ${r.keyId})` : ''}\n`,
  );
  return 0;
}

export async function runNotationVerify(image: string, o: Options): Promise<number> {
  const { verifyNotation, loadNotationPolicyFile } = await import('../../trust/notation.js');
  if (!o.policy || !o.trustStore)
    throw new UserError('notation verify needs --policy trustpolicy.json and --trust-store DIR');
  const ref = parseReference(image);
  const reg = registryOptions(o);
  const digest = ref.digest ?? (await registryDigest(ref, reg)).digest;
  const r = await verifyNotation(ref, digest, {
    trustStore: String(o.trustStore),
    policy: loadNotationPolicyFile(String(o.policy)),
    registry: reg,
  });
  process.stdout.write(
    r.skipped
      ? `${formatReference(ref)}: verification skipped by trust policy ${r.policy ?? ''}\n`
      : `${formatReference(ref)}: ${digest} has a valid Notation signature (${r.subject})\n`,
  );
  return 0;
}

/** Reads a file with a size cap (bundles, trusted roots: small JSON documents). */
function readCapped(file: string, what: string, max = 8 * 1024 * 1024): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read ${what} ${file}: ${describe(e)}`);
  }
  if (data.length > max) throw new UserError(`${what} ${file} is larger than ${max} bytes`);
  return data;
}

function identityPattern(exact: unknown, regexp: unknown, what: string): string | RegExp | undefined {
  if (regexp !== undefined) {
    try {
      return new RegExp(String(regexp));
    } catch (e) {
      throw new UserError(`--${what}-regexp: ${describe(e)}`);
    }
  }
  return exact === undefined ? undefined : String(exact);
}

export async function runSigstoreVerify(artifact: string, o: Options): Promise<number> {
  const { parseTrustedRoot, verifySigstoreBundle } = await import('../../trust/sigstore.js');
  if (!o.bundle || !o.trustedRoot) throw new UserError('sigstore verify needs --bundle and --trusted-root');
  const digestGiven = /^sha(256|384|512):[0-9a-f]+$/.test(artifact);
  const san = identityPattern(o.certificateIdentity, o.certificateIdentityRegexp, 'certificate-identity');
  const issuer = identityPattern(
    o.certificateOidcIssuer,
    o.certificateOidcIssuerRegexp,
    'certificate-oidc-issuer',
  );
  const keys = ((o.key as string[] | undefined) ?? []).map((k) => readText(k, 'public key'));
  const r = verifySigstoreBundle(
    readCapped(String(o.bundle), 'bundle'),
    {
      trustedRoot: parseTrustedRoot(readCapped(String(o.trustedRoot), 'trusted root'), String(o.trustedRoot)),
      ...(digestGiven
        ? { artifactDigest: artifact }
        : { artifact: readCapped(artifact, 'artifact', 1 << 30) }),
      ...(san !== undefined || issuer !== undefined
        ? {
            identity: {
              ...(san !== undefined ? { subjectAlternativeName: san } : {}),
              ...(issuer !== undefined ? { issuer } : {}),
            },
          }
        : {}),
      ...(keys.length ? { publicKeys: keys } : {}),
    },
    String(o.bundle),
  );
  const who =
    r.signer.kind === 'certificate'
      ? `${r.signer.subjectAlternativeName ?? '(no SAN)'} (issuer ${r.signer.issuer ?? 'unknown'})`
      : `key ${r.signer.keyId}`;
  process.stdout.write(
    `Verified OK: ${artifact} signed by ${who}${r.integratedTime ? `, logged ${r.integratedTime.toISOString()}` : ''}\n`,
  );
  return 0;
}
