// The proof that `drydock harden --format oci` output is enforced: real containers under runc, with
// a busybox rootfs, compared with control runs that lack one piece of the hardening each.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { capMask } from '../../../src/harden/caps.js';
import type { HardeningPlan } from '../../../src/harden/plan-types.js';
import { renderOci } from '../../../src/harden/render/oci.js';
import { tmpdir } from '../../helpers/env.js';

const BUSYBOX = '/bin/busybox';
const MiB = 1024 * 1024;

/** True when an ELF file asks for a program interpreter (a dynamic binary useless in an empty rootfs). */
function isDynamicElf(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return true; // not a 64-bit ELF: do not trust it
    const phoff = Number(h.readBigUInt64LE(0x20));
    const phentsize = h.readUInt16LE(0x36);
    const phnum = Math.min(h.readUInt16LE(0x38), 64);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return true; // PT_INTERP
    return false;
  } finally {
    closeSync(fd);
  }
}

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root: runc creates namespaces and cgroups';
  if (spawnSync('runc', ['--version'], { stdio: 'ignore' }).error) return 'needs runc (Debian package runc)';
  if (!existsSync(BUSYBOX) || isDynamicElf(BUSYBOX))
    return `needs a static ${BUSYBOX} (Debian package busybox-static)`;
  return false;
}
const SKIP = skipReason();

// Prints key=value lines; every probe reports the error text so a failure shows why.
const PROBE = [
  `grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status | tr -d '\\t' | sed 's/:/=/'`,
  `touch /tmp/f; out=$(chown 1000:1000 /tmp/f 2>&1) && echo chown=ok || echo "chown=fail:$out"`,
  `out=$(touch /x 2>&1) && echo rootwrite=ok || echo "rootwrite=fail:$out"`,
  `out=$(sh -c 'echo hi > /tmp/w && cat /tmp/w' 2>&1) && echo "tmpwrite=$out" || echo "tmpwrite=fail:$out"`,
  `cp /bin/busybox /tmp/bb; out=$(/tmp/bb true 2>&1) && echo tmpexec=ok || echo "tmpexec=fail:$out"`,
  `out=$(unshare -U true 2>&1) && echo unshareU=ok || echo "unshareU=fail:$out"`,
  `out=$(unshare -m true 2>&1) && echo unshareM=ok || echo "unshareM=fail:$out"`,
  // cgroup v1 (this machine's hybrid layout) or v2, whichever runc mounted.
  'echo pidsmax=$(cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null)',
  'echo memmax=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null)',
  'echo interrupts=$(wc -c < /proc/interrupts)',
].join('\n');

// Docker's default capability set, for the unhardened control.
const DOCKER_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

function plan(capAdd: string[]): HardeningPlan {
  return {
    dropAllCaps: true,
    capAdd,
    capReasons: {},
    noNewPrivileges: true,
    privileged: false,
    readOnlyRootfs: true,
    tmpfs: [{ target: '/tmp', options: 'rw,size=16m,mode=1777' }],
    memory: 64 * MiB,
    memorySwap: 64 * MiB,
    pidsLimit: 64,
    seccomp: { kind: 'default' },
    privateNamespaces: [],
    readOnlyMounts: [],
    privatePropagation: [],
    notes: [],
  };
}

describe('renderOci under runc', { skip: SKIP }, () => {
  let work = '';
  let base: Record<string, unknown> = {};
  let runs = 0;

  before(() => {
    work = tmpdir('dd-oci-runc-');
    const rootfs = path.join(work, 'rootfs');
    for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc'])
      mkdirSync(path.join(rootfs, d), { recursive: true });
    writeFileSync(path.join(rootfs, 'bin', 'busybox'), readFileSync(BUSYBOX), { mode: 0o755 });
    const applets = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout.split('\n');
    for (const a of applets)
      if (/^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox') symlinkSync('busybox', path.join(rootfs, 'bin', a));
    writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\n');

    const specDir = path.join(work, 'spec');
    mkdirSync(specDir);
    const r = spawnSync('runc', ['spec', '--bundle', specDir], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, `runc spec: ${r.stderr}`);
    base = JSON.parse(readFileSync(path.join(specDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    // An unhardened starting point, like `docker run` without flags but without seccomp either:
    // Docker's caps, no no_new_privs, a writable root, nothing masked.
    const proc = base.process as Record<string, unknown>;
    proc.terminal = false;
    proc.args = ['/bin/sh', '-c', PROBE];
    proc.noNewPrivileges = false;
    proc.capabilities = Object.fromEntries(
      ['bounding', 'effective', 'permitted'].map((k) => [k, [...DOCKER_CAPS]]),
    );
    base.root = { path: rootfs, readonly: false };
    const linux = base.linux as Record<string, unknown>;
    delete linux.maskedPaths;
    delete linux.readonlyPaths;
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs one container with this config; returns its key=value output. */
  function run(config: Record<string, unknown>): Record<string, string> {
    const id = `dd-oci-${process.pid}-${++runs}`;
    const bundle = path.join(work, id);
    mkdirSync(bundle);
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
    const state = path.join(work, 'state');
    const r = spawnSync('runc', ['--root', state, 'run', '--bundle', bundle, id], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    // `runc run` removes its container on exit; this is for a run that was killed.
    spawnSync('runc', ['--root', state, 'delete', '-f', id], { stdio: 'ignore', timeout: 10_000 });
    assert.equal(r.status, 0, `runc run ${id}: ${r.error ?? ''} ${r.stderr}`);
    const out: Record<string, string> = {};
    for (const line of r.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return out;
  }

  const capEff = (o: Record<string, string>) => BigInt(`0x${o.CapEff ?? 'x'}`);

  it('the unhardened control has what the plan takes away', () => {
    const o = run(base);
    assert.equal(o.NoNewPrivs, '0');
    assert.equal(o.Seccomp, '0');
    assert.equal(capEff(o), capMask(DOCKER_CAPS));
    assert.equal(o.chown, 'ok');
    assert.equal(o.rootwrite, 'ok');
    assert.equal(o.unshareU, 'ok');
    assert.notEqual(o.interrupts, '0', '/proc/interrupts readable');
  });

  it('hardened with no capabilities: every piece is enforced by the kernel', (t) => {
    const p = plan([]);
    const o = run(renderOci(base, p, { arch: process.arch }));
    assert.equal(o.NoNewPrivs, '1');
    assert.equal(o.Seccomp, '2');
    assert.equal(capEff(o), capMask(p.capAdd));
    assert.match(o.chown ?? '', /^fail:.*Operation not permitted/);
    assert.match(o.rootwrite ?? '', /^fail:.*Read-only file system/);
    assert.equal(o.tmpwrite, 'hi');
    assert.match(o.tmpexec ?? '', /^fail:.*Permission denied/, 'tmpfs is noexec');
    // unshare(CLONE_NEWUSER) needs no capability: only Docker's seccomp profile stops it.
    assert.match(o.unshareU ?? '', /^fail:.*Operation not permitted/);
    assert.match(o.unshareM ?? '', /^fail:.*Operation not permitted/);
    assert.equal(o.interrupts, '0', "Docker's masked paths");
    if (o.pidsmax) assert.equal(o.pidsmax, '64');
    else t.diagnostic('no pids controller visible in the container');
    if (o.memmax) assert.equal(o.memmax, String(64 * MiB));
    else t.diagnostic('no memory controller visible in the container');
  });

  it('control: the same plan plus CAP_CHOWN lets chown through', () => {
    const p = plan(['CAP_CHOWN']);
    const o = run(renderOci(base, p, { arch: process.arch }));
    assert.equal(capEff(o), capMask(p.capAdd));
    assert.equal(capEff(o), 1n);
    assert.equal(o.chown, 'ok');
    assert.equal(o.Seccomp, '2');
    assert.match(o.unshareU ?? '', /^fail:/);
  });

  it('control: without linux.seccomp the user namespace is allowed again', () => {
    const config = renderOci(base, plan([]), { arch: process.arch });
    delete (config.linux as Record<string, unknown>).seccomp;
    const o = run(config);
    assert.equal(o.Seccomp, '0');
    assert.equal(o.unshareU, 'ok');
    // unshare -m still needs CAP_SYS_ADMIN, which the plan dropped.
    assert.match(o.unshareM ?? '', /^fail:.*Operation not permitted/);
  });

  it("the resolved profile follows the plan's caps: CAP_SYS_ADMIN opens unshare", () => {
    const p = plan(['CAP_SYS_ADMIN']);
    const o = run(renderOci(base, p, { arch: process.arch }));
    assert.equal(o.Seccomp, '2');
    assert.equal(capEff(o), capMask(p.capAdd));
    assert.equal(o.unshareM, 'ok');
  });
});
