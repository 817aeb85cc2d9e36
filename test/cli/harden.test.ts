import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { capMask } from '../../src/harden/caps.js';
import { isCleanUserError, ROOT, runCli, tmpdir } from '../helpers/env.js';
import { makeOciLayout } from '../helpers/oci.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'harden');

interface Misconf {
  ID: string;
  CauseMetadata: { Resource: string };
}
async function failedIds(file: string, profile = 'all'): Promise<Map<string, Set<string>>> {
  const r = await runCli(['audit', '-f', 'json', '--profile', profile, file]);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { Results: { Misconfigurations: Misconf[] }[] };
  const by = new Map<string, Set<string>>();
  for (const m of rep.Results.flatMap((x) => x.Misconfigurations)) {
    const s = by.get(m.CauseMetadata.Resource) ?? new Set<string>();
    s.add(m.ID);
    by.set(m.CauseMetadata.Resource, s);
  }
  return by;
}

// What a hardened container must no longer fail, whatever the form.
const FIXED = ['DDC001', 'DDC005', 'DDC009', 'DDC013', 'DDC015', 'DDC018', 'DDC019', 'DDC046'];

describe('drydock harden', () => {
  const dir = tmpdir('dd-harden-');

  it('hardens a docker run line: the result parses and no longer fails the fixed rules', async () => {
    const line =
      'docker run -d --name web --privileged -e MODE=prod -p 80:80 --security-opt seccomp=unconfined --restart always nginx:1.25 nginx -g "daemon off;"';
    const r = await runCli(['harden', '--docker-run', line]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--cap-drop ALL/);
    assert.match(r.stdout, /--cap-add NET_BIND_SERVICE/);
    assert.doesNotMatch(r.stdout, /--privileged|seccomp=unconfined/);
    assert.match(r.stdout, /-e MODE=prod/);
    assert.match(r.stdout, /nginx:1\.25 nginx -g ("daemon off;"|'daemon off;')/);
    assert.match(r.stderr, /keeps CAP_NET_BIND_SERVICE: listens on port 80/);
    const f = path.join(dir, 'hardened.sh');
    writeFileSync(f, r.stdout);
    const after = await failedIds(f);
    const left = [...after.values()].flatMap((s) => [...s]);
    for (const id of [...FIXED, 'DDC002', 'DDC021', 'DDC038'])
      assert.ok(!left.includes(id), `${id} fixed: ${left}`);
  });

  it('keeps SYS_TIME for an NTP daemon, as in docker run --cap-drop ALL --cap-add SYS_TIME ntpd', async () => {
    const r = await runCli([
      'harden',
      '-f',
      'json',
      '--docker-run',
      'docker run -d --name ntp cturra/ntp ntpd -n',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [p] = JSON.parse(r.stdout) as { plan: { capAdd: string[] } }[];
    assert.deepEqual(p?.plan.capAdd, ['CAP_SYS_TIME']);
  });

  it('hardens every service of a compose file in place (comments kept)', async () => {
    const r = await runCli(['harden', path.join(FIX, 'compose', 'shop.yml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /# A small web shop/);
    const f = path.join(dir, 'shop.hardened.yml');
    writeFileSync(f, r.stdout);
    const before = await failedIds(path.join(FIX, 'compose', 'shop.yml'));
    const after = await failedIds(f);
    assert.equal(after.size > 0 ? [...after.keys()].length : 0, [...after.keys()].length);
    for (const [res, ids] of after)
      for (const id of FIXED) assert.ok(!ids.has(id), `${res} still fails ${id}`);
    const count = (m: Map<string, Set<string>>) => [...m.values()].reduce((n, s) => n + s.size, 0);
    assert.ok(count(after) < count(before) / 2, `${count(before)} -> ${count(after)}`);
  });

  it('hardens Kubernetes workloads; the result passes the restricted profile checks it can fix', async () => {
    const src = path.join(FIX, 'kubernetes', 'shop.yaml');
    const r = await runCli(['harden', src]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kind: Service/, 'other documents kept');
    const f = path.join(dir, 'shop.hardened.yaml');
    writeFileSync(f, r.stdout);
    const after = await failedIds(f, 'pss-restricted');
    for (const [res, ids] of after)
      for (const id of ['DDC001', 'DDC010', 'DDC013', 'DDC014', 'DDC015', 'DDC018', 'DDC019'])
        assert.ok(!ids.has(id), `${res} still fails ${id}`);
  });

  it('turns docker inspect JSON into a hardened docker run line', async () => {
    const r = await runCli(['harden', path.join(FIX, 'inspect', 'docker-containers.inspect.json')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^docker run/m);
    assert.match(r.stdout, /--cap-drop ALL/);
  });

  it('refuses what it cannot do, with exit 2', async () => {
    const cases = [
      ['harden'],
      ['harden', path.join(FIX, 'daemon', 'hardened.daemon.json')],
      ['harden', '--format', 'compose', path.join(FIX, 'kubernetes', 'shop.yaml')],
      ['harden', '--format', 'oci', path.join(FIX, 'compose', 'shop.yml')],
      ['harden', '--docker-run', 'docker run --cap-add NOPE alpine'],
      ['harden', '--image', path.join(dir, 'no-such-image'), '--docker-run', 'docker run alpine'],
    ];
    for (const args of cases) {
      const r = await runCli(args);
      assert.ok(isCleanUserError(r), `${args.join(' ')}: ${r.code} ${r.stderr}`);
    }
  });

  describe('--image: USER, exposed ports and the file capabilities of the entrypoint', () => {
    const work = tmpdir('dd-harden-img-');
    const root = path.join(work, 'root');
    mkdirSync(path.join(root, 'usr', 'sbin'), { recursive: true });
    mkdirSync(path.join(root, 'usr', 'bin'), { recursive: true });
    const bin = path.join(root, 'usr', 'sbin', 'pingd');
    copyFileSync('/bin/true', bin);
    chmodSync(bin, 0o755);
    symlinkSync('../sbin/pingd', path.join(root, 'usr', 'bin', 'pingd'));
    const setcap = spawnSync('setcap', ['cap_net_raw,cap_sys_time+ep', bin], { encoding: 'utf8' });
    const skip = setcap.error
      ? 'needs setcap (Debian package libcap2-bin)'
      : setcap.status !== 0
        ? `setcap failed here: ${setcap.stderr.trim()}`
        : false;

    it('reads security.capability from the layer and keeps those caps', { skip }, async () => {
      // The oracle: getcap's reading of the same file, and GNU tar's xattr records in the layer.
      const getcap = execFileSync('getcap', [bin], { encoding: 'utf8' });
      assert.match(getcap, /cap_net_raw,cap_sys_time=ep/);
      const tar = execFileSync(
        'tar',
        ['--xattrs', '--xattrs-include=security.capability', '-C', root, '-cf', '-', '.'],
        {
          maxBuffer: 64 << 20,
        },
      );
      const layout = path.join(work, 'layout');
      makeOciLayout(layout, [{ tar }], {
        configOverride: (c) => ({
          ...c,
          config: { User: 'app', ExposedPorts: { '443/tcp': {} }, Entrypoint: ['pingd'], Cmd: ['-v'] },
        }),
      });
      const r = await runCli([
        'harden',
        '-f',
        'json',
        '--image',
        `oci:${layout}`,
        '--docker-run',
        'docker run pingd:1',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const [p] = JSON.parse(r.stdout) as {
        plan: { capAdd: string[]; capReasons: Record<string, string>; user?: string };
      }[];
      assert.deepEqual(p?.plan.capAdd, ['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_TIME']);
      assert.match(p?.plan.capReasons.CAP_NET_RAW ?? '', /file capability of \/usr\/sbin\/pingd/);
      assert.match(p?.plan.capReasons.CAP_NET_BIND_SERVICE ?? '', /443/);
      assert.equal(p?.plan.user, 'app');
    });
    after(() => rmSync(work, { recursive: true, force: true }));
  });
});

// ---- The OCI config `harden --format oci` writes, run under real runc.

const BUSYBOX = '/bin/busybox';
function runcSkip(): string | false {
  if (process.getuid?.() !== 0) return 'needs root: runc creates namespaces and cgroups';
  if (spawnSync('runc', ['--version'], { stdio: 'ignore' }).error) return 'needs runc (Debian package runc)';
  if (!existsSync(BUSYBOX)) return 'needs busybox-static';
  const file = spawnSync('file', ['-L', BUSYBOX], { encoding: 'utf8' });
  if (file.status === 0 && /dynamically linked/.test(file.stdout))
    return 'needs a static busybox (busybox-static)';
  return false;
}

const PROBE = [
  `grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status | tr -d '\\t' | sed 's/:/=/'`,
  `touch /tmp/f; out=$(chown 1000:1000 /tmp/f 2>&1) && echo chown=ok || echo "chown=fail:$out"`,
  `out=$(touch /x 2>&1) && echo rootwrite=ok || echo "rootwrite=fail:$out"`,
  `out=$(unshare -U true 2>&1) && echo unshare=ok || echo "unshare=fail:$out"`,
  'echo pids=$(cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null)',
].join('; ');

describe('harden --format oci under runc', { skip: runcSkip() }, () => {
  const work = tmpdir('dd-harden-runc-');
  const rootfs = path.join(work, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc'])
    mkdirSync(path.join(rootfs, d), { recursive: true });
  copyFileSync(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
  chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'grep', 'tr', 'sed', 'touch', 'chown', 'unshare', 'cat', 'true'])
    symlinkSync('busybox', path.join(rootfs, 'bin', a));
  writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  let n = 0;

  async function runHardened(dockerRun: string): Promise<Record<string, string>> {
    const r = await runCli(['harden', '--format', 'oci', '--pids-limit', '64', '--docker-run', dockerRun]);
    assert.equal(r.code, 0, r.stderr);
    const cfg = JSON.parse(r.stdout) as { root: { path: string }; process: { args: string[] } };
    cfg.root.path = rootfs;
    const bundle = path.join(work, `b${n}`);
    mkdirSync(bundle);
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(cfg));
    const id = `dd-harden-${process.pid}-${n++}`;
    const res = spawnSync('runc', ['--root', path.join(work, 'state'), 'run', '--bundle', bundle, id], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    spawnSync('runc', ['--root', path.join(work, 'state'), 'delete', '-f', id], { stdio: 'ignore' });
    assert.equal(res.status, 0, `runc: ${res.stderr}`);
    return Object.fromEntries(
      res.stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }

  it('enforces the hardening: no chown without CAP_CHOWN, read-only root, seccomp, no_new_privs, pids', async () => {
    const out = await runHardened(`docker run --privileged busybox sh -c '${PROBE.replace(/'/g, `'\\''`)}'`);
    assert.equal(BigInt(`0x${out.CapEff}`), 0n);
    assert.equal(out.NoNewPrivs, '1');
    assert.equal(out.Seccomp, '2');
    assert.match(out.chown ?? '', /^fail:.*Operation not permitted/);
    assert.match(out.rootwrite ?? '', /^fail:.*Read-only file system/);
    assert.match(out.unshare ?? '', /^fail:.*Operation not permitted/);
    assert.equal(out.pids, '64');
  });

  it('keeps exactly the capabilities the workload needs (port 80: NET_BIND_SERVICE; chown when asked)', async () => {
    const out = await runHardened(
      `docker run -p 80:80 --cap-add CHOWN busybox sh -c '${PROBE.replace(/'/g, `'\\''`)}'`,
    );
    assert.equal(BigInt(`0x${out.CapEff}`), capMask(['CAP_CHOWN', 'CAP_NET_BIND_SERVICE']));
    assert.equal(out.chown, 'ok');
    assert.match(out.rootwrite ?? '', /Read-only file system/);
  });

  after(() => rmSync(work, { recursive: true, force: true }));
});
