import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import { ALL_CAPS } from '../../../src/harden/caps.js';
import { parseConfigText } from '../../../src/harden/doc.js';
import { parseOciConfig, parseSelinuxLabel } from '../../../src/harden/inputs/oci.js';
import type { ContainerSpec } from '../../../src/harden/spec.js';
import { ROOT } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'harden', 'oci');

function parseFile(name: string): ContainerSpec {
  const file = path.join(FIX, name);
  const docs = parseConfigText(readFileSync(file, 'utf8'), file);
  assert.equal(docs.length, 1);
  return parseOciConfig(docs[0] as (typeof docs)[number], file);
}

function parseText(text: string, file = 'config.json'): ContainerSpec {
  const docs = parseConfigText(text, file);
  return parseOciConfig(docs[0] as (typeof docs)[number], file);
}

/** A config.json as text, one key per line, from a base that runc accepts. */
function configText(patch: (c: Record<string, unknown>) => void): string {
  const c = JSON.parse(readFileSync(path.join(FIX, 'runc-spec.config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  patch(c);
  return JSON.stringify(c, null, 2);
}

function throwsUser(text: string, re: RegExp): void {
  assert.throws(
    () => parseText(text),
    (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'),
  );
}

describe('parseOciConfig on real bundles', () => {
  it('runc spec (runc 1.1.5)', () => {
    const s = parseFile('runc-spec.config.json');
    assert.equal(s.source.kind, 'oci');
    assert.equal(s.name, 'runc');
    assert.deepEqual(s.capsExplicit, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
    assert.equal(s.noNewPrivileges, true);
    assert.equal(s.user, '0:0');
    assert.equal(s.readOnlyRootfs, true);
    assert.deepEqual(s.apparmor, { kind: 'unconfined' });
    assert.deepEqual(s.seccomp, { kind: 'unconfined' });
    assert.deepEqual(s.command, ['sh']);
    // pid, network, ipc, uts and mount are listed: private. user and cgroup are not: the host's.
    assert.equal(s.network, undefined);
    assert.equal(s.pid, undefined);
    assert.equal(s.userns, 'host');
    assert.equal(s.cgroupns, 'host');
    assert.equal(s.procMount, undefined);
    assert.deepEqual(s.ulimits, [{ name: 'nofile', soft: 1024, hard: 1024 }]);
    assert.equal(s.privileged, undefined);
    // Lines point at the keys in the tab-indented file.
    assert.equal(s.lines.capsExplicit, 18);
    assert.equal(s.lines.readOnlyRootfs, 50);
    assert.equal(s.lines.userns, 138);
    // Absent settings point at the enclosing key: "process" (line 3) and "linux" (line 129).
    assert.equal(s.lines.apparmor, 3);
    assert.equal(s.lines.seccomp, 129);
    assert.deepEqual(
      s.mounts.find((m) => m.target === '/sys'),
      { type: 'other', target: '/sys', source: 'sysfs', readOnly: true, line: 105 },
    );
  });

  it('umoci unpack of the debian-app image', () => {
    const s = parseFile('debian-app.umoci-runtime-config.json');
    assert.deepEqual(s.command, ['node', '/app/index.js']);
    assert.equal(s.readOnlyRootfs, undefined);
    assert.deepEqual(
      s.mounts.find((m) => m.target === '/data'),
      { type: 'tmpfs', target: '/data', source: 'none', readOnly: false, line: 135 },
    );
    assert.equal(s.annotations?.['org.opencontainers.image.architecture'], 'amd64');
    assert.equal(s.image, undefined);
  });

  it('podman --privileged --pid host -v /:/host (lab-risky)', () => {
    const s = parseFile('lab-risky.oci-config.json');
    assert.equal(s.capsExplicit?.length, 40);
    assert.ok(s.capsExplicit?.includes('CAP_SYS_ADMIN'));
    // Not inferred from the caps: the rules judge capsExplicit, seccomp and the devices themselves.
    assert.equal(s.privileged, undefined);
    assert.deepEqual(s.seccomp, { kind: 'unconfined' });
    assert.deepEqual(s.apparmor, { kind: 'unconfined' });
    assert.equal(s.pid, 'host');
    assert.equal(s.network, undefined);
    assert.equal(s.procMount, 'Unmasked');
    assert.equal(s.pidsLimit, 2048);
    assert.equal(s.devices.length, 101);
    assert.deepEqual(s.devices[0], { host: '/dev/btrfs-control', container: '/dev/btrfs-control', line: 1 });
    assert.deepEqual(s.mounts[0], {
      type: 'bind',
      source: '/',
      target: '/host',
      readOnly: false,
      propagation: 'rprivate',
      line: 1,
    });
    assert.match(s.cgroupParent ?? '', /^\/libpod_parent\/libpod-/);
    assert.deepEqual(s.ulimits[0], { name: 'nofile', soft: 1048576, hard: 1048576 });
    assert.equal(s.annotations?.['io.podman.annotations.privileged'], 'TRUE');
  });

  it('podman hardened (lab-hardened)', () => {
    const s = parseFile('lab-hardened.oci-config.json');
    assert.deepEqual(s.capsExplicit, ['CAP_NET_BIND_SERVICE']);
    assert.equal(s.user, '1000:1000');
    assert.equal(s.noNewPrivileges, true);
    assert.equal(s.readOnlyRootfs, true);
    assert.equal(s.memory, 64 * 1024 * 1024);
    assert.equal(s.memorySwap, 128 * 1024 * 1024);
    assert.equal(s.pidsLimit, 100);
    assert.deepEqual(s.seccomp, { kind: 'custom', ref: 'linux.seccomp' });
    assert.equal(s.procMount, undefined);
    const group = s.mounts.find((m) => m.target === '/etc/group');
    assert.equal(group?.type, 'bind');
    assert.equal(group?.readOnly, true);
  });
});

describe('parseOciConfig field by field', () => {
  it('a bounding set of all 41 caps is not read as privileged', () => {
    const s = parseText(
      configText((c) => {
        const p = c.process as Record<string, unknown>;
        p.capabilities = { bounding: [...ALL_CAPS] };
      }),
    );
    assert.equal(s.capsExplicit?.length, 41);
    assert.equal(s.privileged, undefined);
  });

  it('no capabilities object: runc grants none', () => {
    const s = parseText(configText((c) => delete (c.process as Record<string, unknown>).capabilities));
    assert.deepEqual(s.capsExplicit, []);
  });

  it('user, AppArmor, SELinux', () => {
    const withProc = (p: Record<string, unknown>) =>
      parseText(configText((c) => Object.assign(c.process as object, p)));
    assert.equal(withProc({ user: { uid: 1000 } }).user, '1000');
    assert.equal(withProc({ user: { uid: 1000, gid: 50 } }).user, '1000:50');
    assert.deepEqual(withProc({ apparmorProfile: 'docker-default' }).apparmor, { kind: 'default' });
    assert.deepEqual(withProc({ apparmorProfile: 'runtime/default' }).apparmor, { kind: 'default' });
    assert.deepEqual(withProc({ apparmorProfile: 'unconfined' }).apparmor, { kind: 'unconfined' });
    assert.deepEqual(withProc({ apparmorProfile: 'my-app' }).apparmor, { kind: 'custom', ref: 'my-app' });
    const s = withProc({ selinuxLabel: 'system_u:system_r:container_t:s0:c1,c2' });
    assert.deepEqual(s.selinux, {
      user: 'system_u',
      role: 'system_r',
      type: 'container_t',
      level: 's0:c1,c2',
    });
    assert.ok(s.lines.selinux !== undefined && s.lines.selinux > 1);
    assert.deepEqual(parseSelinuxLabel('u:r:t'), { user: 'u', role: 'r', type: 't' });
    assert.equal(parseSelinuxLabel('u:r'), undefined);
  });

  it('resources', () => {
    const s = parseText(
      configText((c) => {
        const l = c.linux as Record<string, unknown>;
        l.resources = {
          memory: { limit: 268435456, swap: -1 },
          pids: { limit: 10 },
          cpu: { quota: 50000, period: 100000, shares: 512 },
        };
      }),
    );
    assert.equal(s.memory, 268435456);
    assert.equal(s.memorySwap, -1);
    assert.equal(s.pidsLimit, 10);
    assert.equal(s.cpus, 0.5);
    assert.equal(s.cpuShares, 512);
    assert.ok((s.lines.memory ?? 0) > 1 && (s.lines.cpus ?? 0) > 1);
    const q = parseText(
      configText((c) => {
        (c.linux as Record<string, unknown>).resources = { cpu: { quota: 150000 } };
      }),
    );
    assert.equal(q.cpus, 1.5);
  });

  it('namespaces: missing is the host, a path joins another', () => {
    const s = parseText(
      configText((c) => {
        (c.linux as Record<string, unknown>).namespaces = [
          { type: 'mount' },
          { type: 'network', path: '/proc/1/ns/net' },
          { type: 'user' },
          { type: 'cgroup' },
        ];
      }),
    );
    assert.equal(s.network, 'container:/proc/1/ns/net');
    assert.equal(s.pid, 'host');
    assert.equal(s.ipc, 'host');
    assert.equal(s.uts, 'host');
    assert.equal(s.userns, undefined);
    assert.equal(s.cgroupns, undefined);
  });

  it('mounts: rbind, propagation, ro/rw order', () => {
    const s = parseText(
      configText((c) => {
        c.mounts = [
          {
            destination: '/var/run/docker.sock',
            source: '/var/run/docker.sock',
            options: ['rbind', 'rshared'],
          },
          { destination: '/etc/x', type: 'none', source: '/etc', options: ['bind', 'ro', 'rw'] },
          { destination: '/cache', type: 'tmpfs', source: 'tmpfs', options: ['ro'] },
        ];
      }),
    );
    assert.deepEqual(
      s.mounts.map(({ line: _l, ...m }) => m),
      [
        {
          type: 'bind',
          source: '/var/run/docker.sock',
          target: '/var/run/docker.sock',
          readOnly: false,
          propagation: 'rshared',
        },
        { type: 'bind', source: '/etc', target: '/etc/x', readOnly: false },
        { type: 'tmpfs', source: 'tmpfs', target: '/cache', readOnly: true },
      ],
    );
  });

  it('masked paths, rlimits, sysctls, cgroupsPath, image annotations', () => {
    const s = parseText(
      configText((c) => {
        const l = c.linux as Record<string, unknown>;
        l.maskedPaths = [];
        l.sysctl = { 'net.ipv4.ip_forward': '1' };
        l.cgroupsPath = 'system.slice:docker:abc';
        (c.process as Record<string, unknown>).rlimits = [
          { type: 'RLIMIT_NPROC', soft: 10, hard: 2 ** 64 - 1 },
        ];
        c.annotations = { 'io.kubernetes.cri.image-name': 'docker.io/library/nginx:1.27' };
      }),
    );
    assert.equal(s.procMount, 'Unmasked');
    assert.ok((s.lines.procMount ?? 0) > 1);
    assert.deepEqual(s.sysctls, { 'net.ipv4.ip_forward': '1' });
    assert.equal(s.cgroupParent, 'system.slice:docker:abc');
    assert.deepEqual(s.ulimits, [{ name: 'nproc', soft: 10, hard: -1 }]);
    assert.equal(s.image, 'docker.io/library/nginx:1.27');
    const absent = parseText(configText((c) => delete (c.linux as Record<string, unknown>).maskedPaths));
    assert.equal(absent.procMount, 'Unmasked');
  });

  it('linux.seccomp present is a custom profile; the minimal config is accepted', () => {
    const s = parseText(
      configText((c) => {
        (c.linux as Record<string, unknown>).seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
      }),
    );
    assert.deepEqual(s.seccomp, { kind: 'custom', ref: 'linux.seccomp' });
    const min = parseText('{"ociVersion": "1.0.2", "process": {"args": ["true"]}}');
    assert.deepEqual(min.capsExplicit, []);
    assert.equal(min.pid, 'host');
    assert.equal(min.procMount, 'Unmasked');
    assert.deepEqual(min.seccomp, { kind: 'unconfined' });
  });
});

describe('parseOciConfig refuses bad input with file:line', () => {
  it('not a config.json', () => {
    throwsUser('[1, 2]', /^config\.json:1: not an OCI runtime config\.json/);
    throwsUser('{"process": {}}', /not an OCI runtime config\.json/);
    throwsUser('{"ociVersion": "1.0.2", "process": []}', /not an OCI runtime config\.json/);
    throwsUser('{"ociVersion": 1, "process": {}}', /not an OCI runtime config\.json/);
  });

  it('wrong types name the line', () => {
    const text = configText((c) => {
      (c.process as Record<string, unknown>).capabilities = { bounding: 'CAP_CHOWN' };
    });
    const line = text.split('\n').findIndex((l) => l.includes('"bounding"')) + 1;
    throwsUser(text, new RegExp(`^config\\.json:${line}: process\\.capabilities\\.bounding must be a list$`));
    throwsUser(
      configText((c) => {
        (c.process as Record<string, unknown>).capabilities = { bounding: ['CAP_CHOWN', 7] };
      }),
      /bounding must be a list of strings/,
    );
    throwsUser(
      configText((c) => Object.assign(c.process as object, { user: { uid: '0' } })),
      /process\.user\.uid must be an integer/,
    );
    throwsUser(
      configText((c) => Object.assign(c.process as object, { user: { uid: -1 } })),
      /process\.user\.uid must not be negative/,
    );
    throwsUser(
      configText((c) => Object.assign(c.process as object, { noNewPrivileges: 'yes' })),
      /noNewPrivileges must be true or false/,
    );
    throwsUser(
      configText((c) => Object.assign(c.process as object, { selinuxLabel: 'container_t' })),
      /invalid SELinux label "container_t"/,
    );
    throwsUser(
      configText((c) => {
        (c.linux as Record<string, unknown>).resources = { memory: { limit: '64m' } };
      }),
      /linux\.resources\.memory\.limit must be an integer/,
    );
    throwsUser(
      configText((c) => {
        (c.linux as Record<string, unknown>).seccomp = 'unconfined';
      }),
      /linux\.seccomp must be an object/,
    );
    throwsUser(
      configText((c) => {
        (c.linux as Record<string, unknown>).sysctl = { 'kernel.shmmax': 1 };
      }),
      /linux\.sysctl\["kernel\.shmmax"\] must be a string/,
    );
    throwsUser(
      configText((c) => Object.assign(c, { root: 'rootfs' })),
      /root must be an object/,
    );
  });

  it('bad list items', () => {
    throwsUser(
      configText((c) => {
        c.mounts = [{ source: '/x' }];
      }),
      /a mount needs a "destination"/,
    );
    throwsUser(
      configText((c) => {
        c.mounts = ['/x:/y'];
      }),
      /a mounts item must be an object/,
    );
    throwsUser(
      configText((c) => {
        (c.linux as Record<string, unknown>).namespaces = [{ type: 'net' }];
      }),
      /unknown namespace type "net"/,
    );
    throwsUser(
      configText((c) => {
        (c.linux as Record<string, unknown>).namespaces = [{ type: 'pid' }, { type: 'pid' }];
      }),
      /namespace "pid" is listed twice/,
    );
    throwsUser(
      configText((c) => {
        (c.process as Record<string, unknown>).rlimits = [{ type: 'NOFILE', soft: 1, hard: 1 }];
      }),
      /invalid rlimit type "NOFILE"/,
    );
    throwsUser(
      configText((c) => {
        (c.process as Record<string, unknown>).rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1 }];
      }),
      /process\.rlimits\[0\]\.hard is missing/,
    );
    throwsUser(
      configText((c) => {
        (c.linux as Record<string, unknown>).devices = [{ type: 'c' }];
      }),
      /a linux\.devices item needs a "path"/,
    );
  });
});
