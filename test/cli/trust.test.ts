// End to end: `drydock trust ...` and the content-trust gate as a user runs them, against the real
// Notary server (Debian's notary-server, DRYDOCK_TEST_NOTARY from scripts/notary.sh), `drydock trust
// server` itself, the plain test registry (127.0.0.1:15000) and the real `notary` CLI as the oracle.
// Every test copies an image to a repository of its own (skopeo) and uses its own trust dir.

import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BIN,
  type CliResult,
  isCleanUserError,
  REGISTRY,
  runCli,
  SKIP_REGISTRY,
  tmpdir,
} from '../helpers/env.js';

const NOTARY = process.env.DRYDOCK_TEST_NOTARY ?? '';
const NOTARY_CA = process.env.DRYDOCK_TEST_NOTARY_CA ?? '';
const SKIP_NOTARY =
  NOTARY && NOTARY_CA && existsSync(NOTARY_CA)
    ? false
    : 'needs the Notary test server: DRYDOCK_TEST_NOTARY and DRYDOCK_TEST_NOTARY_CA (scripts/notary.sh start)';

function onPath(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}
const SKIP_NOTARY_CLI = onPath('notary') ? false : 'needs the notary CLI (apt-get install notary)';
const SKIP_PUSH = SKIP_REGISTRY || (onPath('skopeo') ? false : 'needs skopeo (apt-get install skopeo)');

const PASS = {
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'cli-root-pass',
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'cli-repo-pass',
};
/** Neutralises the caller's own content-trust settings (an empty variable counts as unset). */
const CLEAN = {
  DRYDOCK_CONTENT_TRUST: '',
  DOCKER_CONTENT_TRUST: '',
  DOCKER_CONTENT_TRUST_SERVER: '',
  DRYDOCK_CONTENT_TRUST_SERVER: '',
  DRYDOCK_TRUST_POLICY: '',
};

/** A repository nobody used before (the registry and the Notary server outlive test runs). */
function freshRepo(what: string): string {
  return `${REGISTRY.plain}/dd/cli-trust-${what}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

const skopeoTmp = tmpdir('dd-trust-skopeo-');
function skopeo(args: string[]): string {
  const r = spawnSync('skopeo', ['--insecure-policy', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TMPDIR: skopeoTmp },
  });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Copies a test image to REPO:TAG; returns the manifest digest and size the registry serves (the oracle). */
function pushImage(src: 'debian-old' | 'debian-app', dest: string): { digest: string; size: number } {
  skopeo([
    'copy',
    '-q',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    `docker://${REGISTRY.plain}/dd/${src}:1.0`,
    `docker://${dest}`,
  ]);
  const raw = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${dest}`], {
    timeout: 30_000,
  }).stdout;
  assert.ok(raw.length > 0, `skopeo inspect --raw ${dest}`);
  return { digest: `sha256:${createHash('sha256').update(raw).digest('hex')}`, size: raw.length };
}

function notaryCli(server: string, args: string[], input?: Buffer): CliResult {
  const dir = tmpdir('dd-trust-notarycli-');
  const tls = server.startsWith('https:') ? ['--tlscacert', NOTARY_CA] : [];
  const r = spawnSync('notary', ['-s', server, ...tls, '-d', dir, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    input,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r;
}

function cleanError(r: CliResult, re: RegExp): void {
  assert.ok(isCleanUserError(r), `expected a one-line error, exit 2; got exit ${r.code}:\n${r.stderr}`);
  assert.match(r.stderr, re);
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

interface InspectJson {
  gun: string;
  signedTags: { tag: string; digest: string; size: number; signers: string[] }[];
  signers: { name: string; role: string; keyIds: string[] }[];
  administrativeKeys: { role: string; keyIds: string[] }[];
}

describe('drydock trust against Debian notary-server', { skip: SKIP_NOTARY || SKIP_PUSH }, () => {
  /** runCli with the passphrases, DOCKER_CONTENT_TRUST_SERVER and a trust dir. */
  const dd = (args: string[], trustDir: string, env: Record<string, string> = {}) =>
    runCli(args, {
      env: { ...CLEAN, ...PASS, DOCKER_CONTENT_TRUST_SERVER: NOTARY, DRYDOCK_TRUST_DIR: trustDir, ...env },
    });

  it('sign, verify, notary list/lookup/verify, inspect, signer add, sign as signer, revoke', async () => {
    const repo = freshRepo('life');
    const image = `${repo}:1.0`;
    const { digest, size } = pushImage('debian-old', image);
    const trust = tmpdir('dd-trust-dir-');
    const common = ['--tls-ca', NOTARY_CA, '--trust-dir', trust];

    const signed = ok(await dd(['trust', 'sign', image, ...common, '--insecure'], trust), 'sign');
    assert.match(signed.stdout, new RegExp(`Signed ${image}: ${digest} \\(${size} bytes\\)`));
    assert.match(signed.stdout, /published root v1, targets v1/);
    // the keys are stored encrypted, never in clear
    for (const f of spawnSync('find', [trust, '-name', '*.key'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')) {
      assert.doesNotMatch(readFileSync(f, 'utf8'), /BEGIN (EC |)PRIVATE KEY/, f);
    }

    const v = ok(await dd(['trust', 'verify', image, ...common, '--insecure'], trust), 'verify');
    assert.match(v.stdout, new RegExp(`${digest} is signed by targets and served by the registry`));
    const vj = JSON.parse(
      ok(await dd(['trust', 'verify', image, ...common, '--insecure', '-f', 'json'], trust), 'verify').stdout,
    ) as {
      image: string;
      signed: { digest: string; size: number; role: string };
      registry: { digest: string; size: number };
      verified: boolean;
    };
    assert.deepEqual(vj, {
      image,
      signed: { digest, size, role: 'targets' },
      registry: { digest, size },
      verified: true,
    });

    if (!SKIP_NOTARY_CLI) {
      const list = notaryCli(NOTARY, ['list', repo]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`^1\\.0\\s+${digest.slice(7)}\\s+${size}\\s+targets\\s*$`, 'm'));
      const look = notaryCli(NOTARY, ['lookup', repo, '1.0']);
      assert.equal(look.stdout.trim(), `1.0 ${digest} ${size}`, look.stderr);
      // notary verify hashes the payload itself: the real manifest passes, anything else does not
      const raw = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${image}`]).stdout;
      assert.equal(notaryCli(NOTARY, ['verify', repo, '1.0'], raw).code, 0);
      assert.notEqual(notaryCli(NOTARY, ['verify', repo, '1.0'], Buffer.from('{}')).code, 0);
    }

    const table = ok(await dd(['trust', 'inspect', repo, ...common], trust), 'inspect');
    assert.match(table.stdout, new RegExp(`^1\\.0\\s+${digest}\\s+\\(Repo Admin\\)$`, 'm'));
    assert.match(table.stdout, /Root key:\s+[0-9a-f]{64}/);
    const ij = JSON.parse(
      ok(await dd(['trust', 'inspect', image, ...common, '-f', 'json'], trust), 'inspect').stdout,
    ) as InspectJson[];
    assert.equal(ij[0]?.gun, repo);
    assert.deepEqual(ij[0]?.signedTags, [{ tag: '1.0', digest, size, signers: ['targets'] }]);
    assert.deepEqual(ij[0]?.administrativeKeys.map((k) => k.role).sort(), [
      'root',
      'snapshot',
      'targets',
      'timestamp',
    ]);

    // a signer: key generate writes NAME.pub; signer add delegates targets/releases + targets/alice
    const keys = tmpdir('dd-trust-keys-');
    const gen = ok(await dd(['trust', 'key', 'generate', 'alice', '--dir', keys], trust), 'key generate');
    const keyId = /Generated key ([0-9a-f]{64}) for signer alice/.exec(gen.stdout)?.[1];
    assert.ok(keyId, gen.stdout);
    assert.match(readFileSync(path.join(keys, 'alice.pub'), 'utf8'), /-----BEGIN PUBLIC KEY-----/);
    ok(
      await dd(
        ['trust', 'signer', 'add', 'alice', repo, '--key', path.join(keys, 'alice.pub'), ...common],
        trust,
      ),
      'signer add',
    );
    const withSigner = JSON.parse(
      ok(await dd(['trust', 'inspect', repo, ...common, '-f', 'json'], trust), 'inspect').stdout,
    ) as InspectJson[];
    const alice = withSigner[0]?.signers.find((s) => s.name === 'alice');
    assert.deepEqual(alice?.keyIds, [keyId]);
    assert.equal(alice?.role, 'targets/alice');
    assert.match(
      ok(await dd(['trust', 'inspect', repo, ...common], trust), 'inspect').stdout,
      new RegExp(`^alice\\s+${keyId.slice(0, 12)}`, 'm'),
    );

    // with the signer's key at hand, a new signature goes to targets/releases (Docker's rule)
    ok(await dd(['trust', 'sign', image, ...common, '--insecure'], trust), 'sign as alice');
    assert.match(
      ok(await dd(['trust', 'verify', image, ...common, '--insecure'], trust), 'verify').stdout,
      /signed by targets\/releases/,
    );
    // (the notary CLI walks TUF order, where the top-level targets entry shadows the delegations)
    if (!SKIP_NOTARY_CLI)
      assert.match(
        notaryCli(NOTARY, ['list', repo, '-r', 'targets/releases']).stdout,
        new RegExp(`^1\\.0\\s+${digest.slice(7)}\\s+${size}\\s+targets/releases\\s*$`, 'm'),
      );

    const rev = ok(await dd(['trust', 'revoke', image, ...common, '--insecure'], trust), 'revoke');
    assert.match(rev.stdout, new RegExp(`Revoked the signature of ${image}`));
    cleanError(
      await dd(['trust', 'verify', image, ...common, '--insecure'], trust),
      /no valid signature for .*:1\.0/,
    );
    if (!SKIP_NOTARY_CLI) assert.doesNotMatch(notaryCli(NOTARY, ['list', repo]).stdout, /^1\.0\s/m);
  });

  it('a different image pushed under the signed tag fails verify (exit 2, both digests)', async () => {
    const image = `${freshRepo('repush')}:1.0`;
    const signed = pushImage('debian-old', image);
    const trust = tmpdir('dd-trust-dir-');
    const common = ['--tls-ca', NOTARY_CA, '--insecure'];
    ok(await dd(['trust', 'sign', image, '--trust-dir', trust, ...common], trust), 'sign');
    // NODE_EXTRA_CA_CERTS instead of --tls-ca, DRYDOCK_TRUST_DIR instead of --trust-dir
    ok(
      await dd(['trust', 'verify', image, '--insecure'], trust, { NODE_EXTRA_CA_CERTS: NOTARY_CA }),
      'verify with NODE_EXTRA_CA_CERTS',
    );
    const other = pushImage('debian-app', image);
    assert.notEqual(other.digest, signed.digest);
    const r = await dd(['trust', 'verify', image, ...common], trust);
    cleanError(r, new RegExp(`registry serves ${other.digest} .*signs ${signed.digest}`));
  });

  it('bad input: one line, exit 2', async () => {
    const repo = freshRepo('bad');
    const image = `${repo}:1.0`;
    pushImage('debian-old', image);
    const trust = tmpdir('dd-trust-dir-');
    const common = ['--trust-dir', trust, '--insecure'];
    ok(await dd(['trust', 'sign', image, '--tls-ca', NOTARY_CA, ...common], trust), 'sign');

    cleanError(
      await dd(
        ['trust', 'verify', `${repo}@sha256:${'a'.repeat(64)}`, '--tls-ca', NOTARY_CA, ...common],
        trust,
      ),
      /name a tag/,
    );
    const port = await closedPort();
    cleanError(
      await dd(['trust', 'verify', image, '-s', `https://127.0.0.1:${port}`, ...common], trust),
      new RegExp(`cannot reach trust server 127\\.0\\.0\\.1:${port}.*ECONNREFUSED`),
    );
    // the server's certificate is not in the system store: the message says how to fix it
    cleanError(await dd(['trust', 'verify', image, ...common], trust), /certificate.*--tls-ca/);
    cleanError(
      await dd(['trust', 'verify', image, '-s', 'ftp://127.0.0.1', ...common], trust),
      /trust server URL/,
    );
    cleanError(
      await dd(['trust', 'sign', image, '--tls-ca', NOTARY_CA, ...common], trust, {
        DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'not-the-passphrase',
      }),
      /wrong passphrase \(DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE\)/,
    );
    cleanError(
      await dd(['trust', 'sign', image, '--tls-ca', NOTARY_CA, ...common], trust, {
        DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: '',
      }),
      /passphrase/,
    );
    cleanError(
      await dd(['trust', 'key', 'rotate', repo, 'bogus', '--tls-ca', NOTARY_CA, '--trust-dir', trust], trust),
      /cannot rotate "bogus": choose root, targets, snapshot or timestamp/,
    );
    cleanError(
      await dd(['trust', 'inspect', freshRepo('never'), '--tls-ca', NOTARY_CA, '--trust-dir', trust], trust),
      /no root\.json/,
    );
    // still signed: nothing above changed the repository
    ok(await dd(['trust', 'verify', image, '--tls-ca', NOTARY_CA, ...common], trust), 'verify after errors');
  });
});

/** `drydock trust server` on a free port; resolves with its URL (the first stdout line). */
async function startServer(db: string): Promise<{ url: string; child: ChildProcessWithoutNullStreams }> {
  const child = spawn(
    process.execPath,
    [BIN, 'trust', 'server', '--listen', '127.0.0.1:0', '--db', `sqlite:${db}`],
    {
      env: { ...process.env, DRYDOCK_CACHE_DIR: tmpdir('dd-cache-') },
    },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`trust server printed no URL: ${err}`)), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n');
      if (line.length > 1) {
        clearTimeout(timer);
        resolve((line[0] as string).trim());
      }
    });
    child.on('exit', (code) => reject(new Error(`trust server exited ${code}: ${err}`)));
  });
  return { url, child };
}

async function stopServer(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const done = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  child.kill('SIGTERM');
  return done;
}

describe('drydock trust against drydock trust server', { skip: SKIP_PUSH }, () => {
  const running: ChildProcessWithoutNullStreams[] = [];
  after(async () => {
    for (const c of running) await stopServer(c);
  });

  it('port 0 prints the URL; sign, verify, notary list; data survives a restart; SIGTERM exits 0', async () => {
    const dir = tmpdir('dd-trust-server-');
    const db = path.join(dir, 't.db');
    const first = await startServer(db);
    running.push(first.child);
    assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(first.url, 'http://127.0.0.1:0');
    const health = await fetch(`${first.url}/_notary_server/health`);
    assert.equal(health.status, 200);

    const repo = freshRepo('srv');
    const image = `${repo}:1.0`;
    const { digest, size } = pushImage('debian-old', image);
    const trust = tmpdir('dd-trust-dir-');
    const env = { ...CLEAN, ...PASS };
    const flags = ['--trust-dir', trust, '--insecure'];
    ok(await runCli(['trust', 'sign', image, '-s', first.url, ...flags], { env }), 'sign');
    const v = ok(
      await runCli(['trust', 'verify', image, ...flags], {
        env: { ...env, DOCKER_CONTENT_TRUST_SERVER: first.url },
      }),
      'verify',
    );
    assert.match(v.stdout, new RegExp(`${digest} is signed by targets`));
    if (!SKIP_NOTARY_CLI) {
      const list = notaryCli(first.url, ['list', repo]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`^1\\.0\\s+${digest.slice(7)}\\s+${size}\\s+targets\\s*$`, 'm'));
    }
    assert.equal(await stopServer(first.child), 0);
    assert.ok(existsSync(db));

    const second = await startServer(db);
    running.push(second.child);
    const again = await runCli(['trust', 'verify', image, '-s', second.url, ...flags, '-f', 'json'], { env });
    assert.equal(
      (JSON.parse(ok(again, 'verify after restart').stdout) as { verified: boolean }).verified,
      true,
    );
    assert.equal(await stopServer(second.child), 0);
  });

  it('bad --db and --listen: one line, exit 2', async () => {
    cleanError(
      await runCli(['trust', 'server', '--db', 'mysql://127.0.0.1/x']),
      /--db "mysql:\/\/127\.0\.0\.1\/x"/,
    );
    cleanError(
      await runCli(['trust', 'server', '--listen', '127.0.0.1:99999']),
      /--listen "127\.0\.0\.1:99999"/,
    );
  });
});

describe('the content-trust gate', { skip: SKIP_NOTARY || SKIP_PUSH }, () => {
  let dir: string;
  let trust: string;
  let signed: string;
  let unsigned: string;
  let digest: string;
  let policy: string;
  let db: string;

  before(async () => {
    dir = tmpdir('dd-trust-gate-');
    trust = path.join(dir, 'trust');
    signed = `${freshRepo('gate-signed')}:1.0`;
    unsigned = `${freshRepo('gate-unsigned')}:1.0`;
    digest = pushImage('debian-old', signed).digest;
    pushImage('debian-old', unsigned);
    ok(
      await runCli(['trust', 'sign', signed, '--tls-ca', NOTARY_CA, '--trust-dir', trust, '--insecure'], {
        env: { ...CLEAN, ...PASS, DOCKER_CONTENT_TRUST_SERVER: NOTARY },
      }),
      'sign',
    );
    policy = path.join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      `version: 1
default: allow
notary:
  server: ${NOTARY}
  tlsCa: ${NOTARY_CA}
rules:
  - name: cli-trust
    scopes: ["${REGISTRY.plain}/dd/cli-trust-*"]
    require: notary
`,
    );
    // a one-advisory vulnerability database, so the gate guards a real scan
    mkdirSync(path.join(dir, 'feed'));
    writeFileSync(
      path.join(dir, 'feed', 'debian.json'),
      JSON.stringify({
        bash: {
          'CVE-2099-7001': {
            description: 'test',
            releases: { bookworm: { status: 'open', urgency: 'high', repositories: { bookworm: '0' } } },
          },
        },
      }),
    );
    db = path.join(dir, 'v.db');
    ok(await runCli(['db', 'import', path.join(dir, 'feed'), '--db', db]), 'db import');
  });

  const scan = (image: string, env: Record<string, string>, extra: string[] = []) =>
    runCli(['image', image, '--insecure', '--db', db, '-f', 'json', ...extra], {
      env: { ...CLEAN, DRYDOCK_TRUST_DIR: trust, ...env },
    });
  const findings = (r: CliResult): string[] =>
    (
      JSON.parse(ok(r, 'scan').stdout) as { Results: { Vulnerabilities?: { VulnerabilityID: string }[] }[] }
    ).Results.flatMap((x) => x.Vulnerabilities ?? []).map((x) => x.VulnerabilityID);

  it('DRYDOCK_CONTENT_TRUST=1: the unsigned image is refused naming the policy rule; the signed one is scanned', async () => {
    const refused = await scan(unsigned, { DRYDOCK_CONTENT_TRUST: '1' }, ['--trust-policy', policy]);
    cleanError(
      refused,
      new RegExp(
        `content trust: refusing ${unsigned} \\(${digest}\\): rule "cli-trust" \\(${policy}:7\\) requires a notary signature`,
      ),
    );
    assert.equal(refused.stdout, '');
    assert.deepEqual(
      findings(await scan(signed, { DRYDOCK_CONTENT_TRUST: '1' }, ['--trust-policy', policy])),
      ['CVE-2099-7001'],
    );
    // pulled by digest: the signed digest passes, the same digest in the unsigned repository does not
    const byDigest = (ref: string) => `${ref.replace(/:1\.0$/, '')}@${digest}`;
    ok(
      await scan(byDigest(signed), { DRYDOCK_CONTENT_TRUST: '1', DRYDOCK_TRUST_POLICY: policy }),
      'by digest',
    );
    cleanError(
      await scan(byDigest(unsigned), { DRYDOCK_CONTENT_TRUST: '1', DRYDOCK_TRUST_POLICY: policy }),
      /content trust: refusing .*rule "cli-trust"/,
    );
  });

  it('--disable-content-trust, DOCKER_CONTENT_TRUST=1, and DRYDOCK_CONTENT_TRUST=0 over it', async () => {
    const p = ['--trust-policy', policy];
    assert.deepEqual(
      findings(await scan(unsigned, { DRYDOCK_CONTENT_TRUST: '1' }, [...p, '--disable-content-trust'])),
      ['CVE-2099-7001'],
    );
    cleanError(await scan(unsigned, { DOCKER_CONTENT_TRUST: '1' }, p), /rule "cli-trust"/);
    ok(await scan(signed, { DOCKER_CONTENT_TRUST: '1' }, p), 'DOCKER_CONTENT_TRUST=1, signed');
    ok(
      await scan(unsigned, { DOCKER_CONTENT_TRUST: '1', DRYDOCK_CONTENT_TRUST: '0' }, p),
      'DRYDOCK_CONTENT_TRUST=0',
    );
    // the gate off: no policy is even read
    ok(await scan(unsigned, {}, ['--trust-policy', path.join(dir, 'missing.yaml')]), 'gate off');
  });

  it('a malformed or missing policy file: one line naming it', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'rules: [\n');
    cleanError(
      await scan(signed, { DRYDOCK_CONTENT_TRUST: '1' }, ['--trust-policy', bad]),
      new RegExp(`${bad}:\\d+: not valid YAML`),
    );
    const kind = path.join(dir, 'kind.yaml');
    writeFileSync(kind, `rules:\n  - name: x\n    scope: ${REGISTRY.plain}/dd/x\n    require: gpg\n`);
    cleanError(
      await scan(signed, { DRYDOCK_CONTENT_TRUST: '1' }, ['--trust-policy', kind]),
      new RegExp(`${kind}:\\d+`),
    );
    cleanError(
      await scan(signed, { DRYDOCK_CONTENT_TRUST: '1' }, ['--trust-policy', path.join(dir, 'missing.yaml')]),
      /missing\.yaml/,
    );
  });

  it('cosign: generate-key-pair, sign, verify; another key fails; the gate honours a cosign rule', async () => {
    const keys = path.join(dir, 'cosign');
    mkdirSync(keys);
    const env = { ...CLEAN, COSIGN_PASSWORD: 'cosign-pass' };
    ok(await runCli(['trust', 'cosign', 'generate-key-pair'], { env, cwd: keys }), 'generate-key-pair');
    ok(
      await runCli(['trust', 'cosign', 'generate-key-pair', '--output-key-prefix', 'other'], {
        env,
        cwd: keys,
      }),
      'generate-key-pair other',
    );
    assert.match(
      readFileSync(path.join(keys, 'cosign.key'), 'utf8'),
      /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/,
    );
    assert.match(readFileSync(path.join(keys, 'cosign.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);

    const repo = freshRepo('cosign');
    const image = `${repo}:1.0`;
    const d = pushImage('debian-old', image).digest;
    const signedOut = ok(
      await runCli(['trust', 'cosign', 'sign', image, '--key', path.join(keys, 'cosign.key'), '--insecure'], {
        env,
      }),
      'cosign sign',
    );
    assert.match(signedOut.stdout, new RegExp(`to tag sha256-${d.slice(7)}\\.sig`));
    // the signature is an ordinary tag in the repository
    assert.match(
      skopeo(['list-tags', '--tls-verify=false', `docker://${repo}`]),
      new RegExp(`sha256-${d.slice(7)}\\.sig`),
    );
    const verify = (key: string) =>
      runCli(['trust', 'cosign', 'verify', image, '--key', path.join(keys, key), '--insecure'], { env });
    assert.match(ok(await verify('cosign.pub'), 'cosign verify').stdout, /has a valid cosign signature/);
    cleanError(await verify('other.pub'), /does not verify/);
    cleanError(
      await runCli(['trust', 'cosign', 'sign', image, '--key', path.join(keys, 'cosign.key'), '--insecure'], {
        env: { ...env, COSIGN_PASSWORD: 'wrong' },
      }),
      /wrong password/,
    );

    const cosignPolicy = path.join(keys, 'policy.yaml');
    writeFileSync(
      cosignPolicy,
      `default: require
cosign:
  publicKeys: [cosign.pub]
rules:
  - name: cosigned
    scope: ${repo}
    require: cosign
  - name: other-key
    scope: ${unsigned.replace(/:1\.0$/, '')}
    require: cosign
    cosign: {publicKeys: [other.pub]}
`,
    );
    const on = { DRYDOCK_CONTENT_TRUST: '1', DRYDOCK_TRUST_POLICY: cosignPolicy };
    ok(await scan(image, on), 'gate with the cosign rule');
    cleanError(
      await scan(unsigned, on),
      new RegExp(`rule "other-key" \\(${cosignPolicy}:8\\) requires a cosign signature`),
    );
    // default: require — an image no rule covers needs a cosign signature too
    cleanError(await scan(signed, on), /rule "default" .*requires a cosign signature/);
  });

  it('check-dockerfile: a signed FROM passes, an unsigned FROM fails naming the line', async () => {
    const good = path.join(dir, 'good.Dockerfile');
    writeFileSync(good, `FROM ${signed} AS base\nRUN true\n`);
    const bad = path.join(dir, 'bad.Dockerfile');
    writeFileSync(bad, `# syntax check\nFROM ${signed}\nFROM ${unsigned}\nCOPY --from=0 /etc/os-release /\n`);
    const check = (file: string, extra: string[] = []) =>
      runCli(['trust', 'check-dockerfile', file, '--trust-policy', policy, '--insecure', ...extra], {
        env: { ...CLEAN, DRYDOCK_TRUST_DIR: trust },
      });
    const r = ok(await check(good), 'check-dockerfile good');
    assert.match(r.stdout, new RegExp(`good\\.Dockerfile:1 +FROM ${signed}@${digest} +signed`));
    const b = await check(bad);
    cleanError(
      b,
      new RegExp(
        `bad\\.Dockerfile: an image is not signed as the trust policy requires: line 3: FROM ${unsigned} `,
      ),
    );
    assert.doesNotMatch(b.stderr, /line 2/);
    const withArg = path.join(dir, 'arg.Dockerfile');
    writeFileSync(withArg, `ARG BASE=${unsigned}\nFROM \${BASE}\n`);
    cleanError(await check(withArg), /line 2: FROM .*gate-unsigned/);
    ok(await check(withArg, ['--build-arg', `BASE=${signed}`]), 'check-dockerfile --build-arg');
  });
});

describe('options and environment', { skip: SKIP_NOTARY || SKIP_PUSH }, () => {
  it('--timeout: an explicit duration works, a bad one is one line', async () => {
    const image = `${freshRepo('timeout')}:1.0`;
    pushImage('debian-old', image);
    const trust = tmpdir('dd-trust-dir-');
    const env = { ...CLEAN, ...PASS, DOCKER_CONTENT_TRUST_SERVER: NOTARY };
    const flags = ['--tls-ca', NOTARY_CA, '--trust-dir', trust, '--insecure'];
    ok(await runCli(['trust', 'sign', image, ...flags, '--timeout', '20s'], { env }), 'sign --timeout 20s');
    ok(
      await runCli(['trust', 'verify', image, ...flags, '--timeout', '5000ms'], { env }),
      'verify --timeout 5000ms',
    );
    cleanError(await runCli(['trust', 'verify', image, ...flags, '--timeout', 'soon'], { env }), /--timeout/);
  });

  it('an empty DRYDOCK_CONTENT_TRUST_SERVER falls back to DOCKER_CONTENT_TRUST_SERVER', async () => {
    const r = await runCli(['trust', 'inspect', freshRepo('emptyenv'), '--tls-ca', NOTARY_CA], {
      env: { ...CLEAN, DRYDOCK_CONTENT_TRUST_SERVER: '', DOCKER_CONTENT_TRUST_SERVER: NOTARY },
    });
    // the repository does not exist: the error must come from the server, not from the URL
    cleanError(r, /no root\.json/);
  });
});
