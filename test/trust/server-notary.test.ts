// The real notary CLI (Debian's notary 0.7) against `drydock trust server`, over plain HTTP and
// over TLS with a throw-away CA: init, key rotate snapshot -r, add, publish, list, lookup,
// verify, delegation add + publish + list, signing with the delegation key, remove + publish,
// a fresh client trusting the repository on first use, and a restart on the same SQLite file.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningTrustServer, startTrustServer } from '../../src/trust/server/server.js';
import { tmpdir } from '../helpers/env.js';

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const SKIP = have('notary') ? false : 'needs notary (apt-get install notary)';
const SKIP_TLS = SKIP || (have('openssl') ? false : 'needs openssl');

const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'dd-root-pass',
  NOTARY_TARGETS_PASSPHRASE: 'dd-targets-pass',
  NOTARY_SNAPSHOT_PASSPHRASE: 'dd-snapshot-pass',
  NOTARY_DELEGATION_PASSPHRASE: 'dd-delegation-pass',
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the notary CLI asynchronously (the server under test lives in this process). */
function notaryCli(args: string[], opts: { input?: Buffer | string; home: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('notary', args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: opts.home, ...PASS },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

class Client {
  constructor(
    readonly url: string,
    readonly trustDir: string,
    readonly home: string,
    readonly ca?: string,
  ) {}

  async run(args: string[], input?: Buffer | string): Promise<Run> {
    const base = ['-d', this.trustDir, '-s', this.url, ...(this.ca ? ['--tlscacert', this.ca] : [])];
    return notaryCli([...base, ...args], { input, home: this.home });
  }

  async ok(args: string[], input?: Buffer | string): Promise<string> {
    const r = await this.run(args, input);
    assert.equal(r.code, 0, `notary ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }
}

/** Target lines of `notary list`: name → [digest, size, role]. */
function listed(out: string): Map<string, [string, string, string]> {
  const m = new Map<string, [string, string, string]>();
  for (const line of out.split('\n').slice(2)) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4) m.set(f[0] as string, [f[1] as string, f[2] as string, f[3] as string]);
  }
  return m;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The whole publishing workflow of the notary CLI (what `docker trust sign` and `signer add`
 * do), then a second client with an empty trust dir that must trust and list the result.
 */
async function workflow(
  url: string,
  gun: string,
  ca?: string,
): Promise<{ owner: Client; fresh: Client; files: Record<string, Buffer> }> {
  const dir = tmpdir('dd-notary-cli-');
  const c = new Client(url, path.join(dir, 'trust'), dir, ca);
  const files = {
    one: Buffer.from('{"fake":"manifest 1.0"}\n'),
    old: Buffer.from('old\n'),
    docker: Buffer.from('{"fake":"manifest 1.0-docker"}\n'),
  };
  for (const [n, b] of Object.entries(files)) writeFileSync(path.join(dir, n), b);

  await c.ok(['init', gun]);
  assert.match(await c.ok(['key', 'rotate', gun, 'snapshot', '-r']), /Successfully rotated snapshot key/);
  await c.ok(['add', gun, '1.0', path.join(dir, 'one')]);
  await c.ok(['add', gun, '0.9', path.join(dir, 'old')]);
  assert.match(await c.ok(['publish', gun]), /Successfully published changes/);

  const l1 = listed(await c.ok(['list', gun]));
  assert.deepEqual(l1.get('1.0'), [sha256(files.one), String(files.one.length), 'targets']);
  assert.deepEqual(l1.get('0.9'), [sha256(files.old), String(files.old.length), 'targets']);
  assert.equal(
    (await c.ok(['lookup', gun, '1.0'])).trim(),
    `1.0 sha256:${sha256(files.one)} ${files.one.length}`,
  );
  assert.equal((await c.run(['verify', gun, '1.0'], files.one)).code, 0);
  assert.notEqual((await c.run(['verify', gun, '1.0'], files.old)).code, 0, 'verify accepted other bytes');

  // delegation targets/releases, as `docker trust signer add` makes it
  await c.ok(['key', 'generate', 'ecdsa', '--role', 'targets/releases', '-o', path.join(dir, 'releases')]);
  await c.ok(['delegation', 'add', gun, 'targets/releases', path.join(dir, 'releases.pem'), '--all-paths']);
  await c.ok(['publish', gun]);
  const dl = await c.ok(['delegation', 'list', gun]);
  const row = dl.split('\n').find((l) => l.trim().startsWith('targets/releases'));
  assert.ok(row, dl);
  const kid = row.trim().split(/\s+/).at(-2) as string;
  assert.match(kid, /^[0-9a-f]{64}$/);
  // `key import` wants the key id as a "path" PEM header
  const pem = readFileSync(path.join(dir, 'releases-key.pem'), 'utf8').replace(
    /^role: targets\/releases$/m,
    `role: targets/releases\npath: ${kid}`,
  );
  writeFileSync(path.join(dir, 'releases-key-path.pem'), pem);
  await c.ok(['key', 'import', path.join(dir, 'releases-key-path.pem'), '--role', 'targets/releases']);
  await c.ok(['add', gun, '1.0-docker', path.join(dir, 'docker'), '--roles', 'targets/releases']);
  await c.ok(['remove', gun, '0.9']);
  await c.ok(['publish', gun]);

  const fresh = new Client(url, path.join(dir, 'fresh-trust'), dir, ca);
  const l2 = listed(await fresh.ok(['list', gun]));
  assert.deepEqual([...l2.keys()].sort(), ['1.0', '1.0-docker']);
  assert.deepEqual(l2.get('1.0-docker'), [
    sha256(files.docker),
    String(files.docker.length),
    'targets/releases',
  ]);
  assert.equal((await fresh.run(['verify', gun, '1.0-docker'], files.docker)).code, 0);
  return { owner: c, fresh, files };
}

/** The snapshot the server serves is signed by the key it answers for snapshot.key. */
async function assertServerSignsSnapshot(url: string, gun: string, ca?: string): Promise<void> {
  const get = async (p: string) => {
    if (!ca) return Buffer.from(await (await fetch(`${url}/v2/${gun}/_trust/tuf/${p}`)).arrayBuffer());
    return new Promise<Buffer>((resolve, reject) => {
      https
        .get(`${url}/v2/${gun}/_trust/tuf/${p}`, { ca: readFileSync(ca) }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        })
        .on('error', reject);
    });
  };
  const root = JSON.parse((await get('root.json')).toString());
  const snapKey = JSON.parse((await get('snapshot.key')).toString());
  const [id] = root.signed.roles.snapshot.keyids;
  assert.equal(root.signed.keys[id].keyval.public, snapKey.keyval.public);
  const snap = JSON.parse((await get('snapshot.json')).toString());
  assert.deepEqual(
    snap.signatures.map((s: { keyid: string }) => s.keyid),
    [id],
  );
}

describe('notary CLI against drydock trust server (plain HTTP)', { skip: SKIP }, () => {
  const dir = tmpdir('dd-trust-server-cli-');
  const db = `sqlite:${path.join(dir, 'trust.db')}`;
  let srv: RunningTrustServer;
  before(async () => {
    srv = await startTrustServer({ listen: '127.0.0.1:0', db });
  });
  after(async () => {
    await srv?.close();
  });

  it('init, rotate snapshot to the server, add, publish, list, lookup, verify, delegation, remove', async () => {
    const gun = '127.0.0.1:5000/dd/http-app';
    const { owner, fresh, files } = await workflow(srv.url, gun);
    await assertServerSignsSnapshot(srv.url, gun);

    // restart on the same database: the metadata and the server's keys are still there
    const before = (await fresh.ok(['list', gun])).trim();
    await srv.close();
    srv = await startTrustServer({ listen: '127.0.0.1:0', db });
    const again = new Client(srv.url, owner.trustDir, owner.home);
    assert.equal((await new Client(srv.url, fresh.trustDir, fresh.home).ok(['list', gun])).trim(), before);
    writeFileSync(path.join(fresh.home, 'two'), 'two\n');
    await again.ok(['add', gun, '2.0', path.join(fresh.home, 'two'), '-p']);
    const l = listed(
      await new Client(srv.url, path.join(fresh.home, 'third-trust'), fresh.home).ok(['list', gun]),
    );
    assert.deepEqual([...l.keys()].sort(), ['1.0', '1.0-docker', '2.0']);
    assert.equal((await again.run(['verify', gun, '1.0'], files.one)).code, 0);
  });
});

describe('notary CLI against drydock trust server (TLS, throw-away CA)', { skip: SKIP_TLS }, () => {
  const dir = tmpdir('dd-trust-server-tls-');
  const ca = path.join(dir, 'ca.crt');
  let srv: RunningTrustServer;
  before(async () => {
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=drydock test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    ssl('req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    writeFileSync(
      path.join(dir, 'server.ext'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
    );
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      'server.ext',
      '-out',
      'server.crt',
    );
    srv = await startTrustServer({
      listen: '127.0.0.1:0',
      db: `sqlite:${path.join(dir, 'trust.db')}`,
      tlsCert: path.join(dir, 'server.crt'),
      tlsKey: path.join(dir, 'server.key'),
    });
  });
  after(async () => {
    await srv?.close();
  });

  it('serves HTTPS: the notary CLI publishes and lists with the CA, and refuses the server without it', async () => {
    assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const gun = '127.0.0.1:5000/dd/tls-app';
    await workflow(srv.url, gun, ca);
    await assertServerSignsSnapshot(srv.url, gun, ca);
    const home = tmpdir('dd-notary-noca-');
    const r = await new Client(srv.url, path.join(home, 'trust'), home).run(['list', gun]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /certificate|x509/i);
  });
});
