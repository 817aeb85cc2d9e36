import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import { parseConfigText } from '../../../src/harden/doc.js';
import { parseOciConfig } from '../../../src/harden/inputs/oci.js';
import type { HardeningPlan } from '../../../src/harden/plan-types.js';
import { DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS, renderOci } from '../../../src/harden/render/oci.js';
import { dockerDefaultProfile, resolveSeccomp } from '../../../src/seccomp/resolve.js';
import { ROOT } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'harden', 'oci');
type Obj = Record<string, unknown>;
const load = (name: string): Obj => JSON.parse(readFileSync(path.join(FIX, name), 'utf8')) as Obj;

function plan(over: Partial<HardeningPlan> = {}): HardeningPlan {
  return {
    dropAllCaps: true,
    capAdd: ['CAP_NET_BIND_SERVICE'],
    capReasons: {},
    noNewPrivileges: true,
    privileged: false,
    readOnlyRootfs: true,
    tmpfs: [{ target: '/tmp', options: 'rw,noexec,nosuid,size=64m' }],
    memory: 256 * 1024 * 1024,
    memorySwap: 256 * 1024 * 1024,
    pidsLimit: 200,
    seccomp: { kind: 'default' },
    privateNamespaces: [],
    readOnlyMounts: [],
    privatePropagation: [],
    notes: [],
    ...over,
  };
}

const proc = (c: Obj) => c.process as Obj;
const linux = (c: Obj) => c.linux as Obj;
const mounts = (c: Obj) => c.mounts as Obj[];

describe('renderOci', () => {
  it('writes the plan into the umoci config and leaves the input alone', () => {
    const input = load('debian-app.umoci-runtime-config.json');
    const before = JSON.stringify(input);
    const out = renderOci(input, plan());
    assert.equal(JSON.stringify(input), before);

    assert.deepEqual(proc(out).capabilities, {
      bounding: ['CAP_NET_BIND_SERVICE'],
      effective: ['CAP_NET_BIND_SERVICE'],
      permitted: ['CAP_NET_BIND_SERVICE'],
      inheritable: [],
      ambient: [],
    });
    assert.equal(proc(out).noNewPrivileges, true);
    assert.deepEqual(out.root, { path: 'rootfs', readonly: true });
    assert.deepEqual(linux(out).resources, {
      devices: [{ allow: false, access: 'rwm' }],
      memory: { limit: 268435456, swap: 268435456 },
      pids: { limit: 200 },
    });
    assert.deepEqual(mounts(out).at(-1), {
      destination: '/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['rw', 'noexec', 'nosuid', 'size=64m', 'nodev'],
    });
    // Everything the plan does not touch is the user's own.
    assert.deepEqual(proc(out).args, ['node', '/app/index.js']);
    assert.deepEqual(out.annotations, input.annotations);
    assert.deepEqual(linux(out).maskedPaths, linux(input).maskedPaths);
    assert.equal(proc(out).apparmorProfile, undefined);
  });

  it("resolves Docker's default seccomp profile for the plan's caps and the image's arch", () => {
    const input = load('debian-app.umoci-runtime-config.json');
    const out = renderOci(input, plan());
    assert.deepEqual(
      linux(out).seccomp,
      resolveSeccomp(dockerDefaultProfile(), { arch: 'amd64', caps: ['CAP_NET_BIND_SERVICE'] }),
    );
    const arm = linux(renderOci(input, plan(), { arch: 'arm64', kernel: '4.4' })).seccomp as Obj;
    assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    const names = (arm.syscalls as Array<{ names: string[] }>).flatMap((s) => s.names);
    assert.ok(!names.includes('ptrace'), 'minKernel 4.8 rule dropped for kernel 4.4');
    const admin = linux(renderOci(input, plan({ capAdd: ['CAP_SYS_ADMIN'] }))).seccomp as Obj;
    assert.ok((admin.syscalls as Array<{ names: string[] }>).some((s) => s.names.includes('mount')));
    assert.throws(() => renderOci(input, plan(), { arch: 'vax' }), UserError);
  });

  it('keeps a custom profile, removes one for unconfined', () => {
    const input = load('lab-hardened.oci-config.json');
    const own = linux(input).seccomp;
    assert.deepEqual(
      linux(renderOci(input, plan({ seccomp: { kind: 'custom', ref: 'linux.seccomp' } }))).seccomp,
      own,
    );
    assert.equal(linux(renderOci(input, plan({ seccomp: { kind: 'unconfined' } }))).seccomp, undefined);
  });

  it('AppArmor and user', () => {
    const input = load('runc-spec.config.json');
    assert.equal(
      proc(renderOci(input, plan({ apparmor: { kind: 'default' } }))).apparmorProfile,
      'docker-default',
    );
    assert.equal(
      proc(renderOci(input, plan({ apparmor: { kind: 'custom', ref: 'my-app' } }))).apparmorProfile,
      'my-app',
    );
    assert.deepEqual(proc(renderOci(input, plan({ user: '1000:1000' }))).user, { uid: 1000, gid: 1000 });
    assert.deepEqual(proc(renderOci(input, plan({ user: '65534' }))).user, { uid: 65534, gid: 0 });
    // A name cannot be written into config.json: the user stays as it was.
    assert.deepEqual(proc(renderOci(input, plan({ user: 'app' }))).user, { uid: 0, gid: 0 });
  });

  it('the risky podman config: namespaces, mounts, masked paths, cpus', () => {
    const input = load('lab-risky.oci-config.json');
    (linux(input).namespaces as Obj[]).push({ type: 'uts', path: '/proc/1/ns/uts' });
    (linux(input).namespaces as Obj[]).splice(2, 1); // the config's own uts entry
    mounts(input).push({
      destination: '/shared',
      type: 'bind',
      source: '/srv',
      options: ['rbind', 'rshared', 'rw'],
    });
    const out = renderOci(
      input,
      plan({
        privateNamespaces: ['pid', 'uts', 'userns', 'cgroupns'],
        readOnlyMounts: ['/host'],
        privatePropagation: ['/shared'],
        cpus: 1.5,
      }),
    );
    assert.deepEqual(linux(out).namespaces, [
      { type: 'network' },
      { type: 'ipc' },
      { type: 'mount' },
      { type: 'uts' },
      { type: 'pid' },
      { type: 'cgroup' },
    ]);
    assert.deepEqual(mounts(out)[0], {
      destination: '/host',
      type: 'bind',
      source: '/',
      options: ['rprivate', 'rbind', 'ro'],
    });
    assert.deepEqual(mounts(out).find((m) => m.destination === '/shared')?.options, [
      'rbind',
      'rw',
      'rprivate',
    ]);
    assert.deepEqual(linux(out).maskedPaths, DOCKER_MASKED_PATHS);
    assert.deepEqual(linux(out).readonlyPaths, DOCKER_READONLY_PATHS);
    assert.deepEqual((linux(out).resources as Obj).cpu, { period: 100000, quota: 150000 });
  });

  it('a user namespace is added only when the config maps IDs', () => {
    const input = load('runc-spec.config.json');
    Object.assign(linux(input), {
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    });
    const out = renderOci(input, plan({ privateNamespaces: ['userns'] }));
    assert.deepEqual((linux(out).namespaces as Obj[]).at(-1), { type: 'user' });
  });

  it('tmpfs: an existing tmpfs is replaced, a bind mount at the same place is kept, exec is honoured', () => {
    const input = load('lab-hardened.oci-config.json');
    mounts(input).push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] });
    const out = renderOci(
      input,
      plan({
        tmpfs: [
          { target: '/tmp', options: 'rw,exec,size=16m' },
          { target: '/data', options: 'rw' },
          { target: '/run/app', options: '' },
        ],
      }),
    );
    const m = mounts(out);
    assert.equal(m.filter((x) => x.destination === '/tmp').length, 1);
    assert.deepEqual(m.find((x) => x.destination === '/tmp')?.options, [
      'rw',
      'exec',
      'size=16m',
      'nosuid',
      'nodev',
    ]);
    assert.equal(m.find((x) => x.destination === '/data')?.type, 'bind');
    assert.deepEqual(m.at(-1), {
      destination: '/run/app',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'noexec'],
    });
  });

  it('the rendered config reads back as hardened', () => {
    const out = renderOci(load('lab-risky.oci-config.json'), plan({ privateNamespaces: ['pid'] }));
    const doc = parseConfigText(JSON.stringify(out, null, 2), 'out.json')[0];
    assert.ok(doc);
    const s = parseOciConfig(doc, 'out.json');
    assert.deepEqual(s.capsExplicit, ['CAP_NET_BIND_SERVICE']);
    assert.equal(s.noNewPrivileges, true);
    assert.equal(s.readOnlyRootfs, true);
    assert.deepEqual(s.seccomp, { kind: 'custom', ref: 'linux.seccomp' });
    assert.equal(s.pid, undefined);
    assert.equal(s.procMount, undefined);
    assert.equal(s.memory, 256 * 1024 * 1024);
    assert.equal(s.pidsLimit, 200);
  });

  it('refuses configs of the wrong shape', () => {
    const bad = (c: unknown, re: RegExp, p = plan()) =>
      assert.throws(
        () => renderOci(c as Obj, p),
        (e: unknown) => e instanceof UserError && re.test(e.message),
      );
    bad([], /not a JSON object/);
    bad({ ociVersion: '1.0.2', process: 'sh' }, /process must be an object/);
    bad({ ociVersion: '1.0.2', process: {}, mounts: {} }, /mounts must be a list/);
    bad({ ociVersion: '1.0.2', process: {}, linux: { resources: [] } }, /linux\.resources must be an object/);
    bad(
      { ociVersion: '1.0.2', process: {}, linux: { maskedPaths: '/proc' } },
      /linux\.maskedPaths must be a list/,
    );
    bad(
      { ociVersion: '1.0.2', process: { user: 0 } },
      /process\.user must be an object/,
      plan({ user: '1' }),
    );
  });
});
