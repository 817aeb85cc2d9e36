import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import { ALL_CAPS, specCaps } from '../../../src/harden/caps.js';
import { parseConfigText } from '../../../src/harden/doc.js';
import { type ImageFacts, parseInspect } from '../../../src/harden/inputs/inspect.js';
import type { ContainerSpec } from '../../../src/harden/spec.js';
import { ROOT } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'harden', 'inspect');

function parseFile(name: string): { containers: ContainerSpec[]; images: ImageFacts[]; lines: string[] } {
  const file = path.join(FIX, name);
  const text = readFileSync(file, 'utf8');
  const docs = parseConfigText(text, file);
  assert.equal(docs.length, 1);
  return { ...parseInspect(docs[0] as (typeof docs)[number], file), lines: text.split('\n') };
}

function parseText(
  text: string,
  file = 'inspect.json',
): { containers: ContainerSpec[]; images: ImageFacts[] } {
  const docs = parseConfigText(text, file);
  return parseInspect(docs[0] as (typeof docs)[number], file);
}

/** One container as docker prints it, one key per line, patched by the test. */
interface ContainerJson {
  State: Record<string, unknown>;
  HostConfig: Record<string, unknown>;
  Config: Record<string, unknown>;
  Mounts?: unknown;
}

function containerText(patch: (c: ContainerJson) => void = () => {}): string {
  const c: ContainerJson = {
    State: { Status: 'running' },
    HostConfig: { Privileged: false, CapAdd: null },
    Config: { Image: 'alpine:3.20', User: '' },
  };
  patch(c);
  return JSON.stringify([{ Id: 'abcdef0123456789', Name: '/t', ...c }], null, 2);
}

function throwsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

/** The fixture line a spec line number points at must contain the key. */
function lineHas(lines: string[], n: number | undefined, key: string): void {
  assert.ok(n !== undefined, `no line for ${key}`);
  assert.ok(lines[n - 1]?.includes(`"${key}"`), `line ${n} is ${lines[n - 1]}, not ${key}`);
}

describe('parseInspect: real podman inspect output', () => {
  it('the risky container: privileged, every capability, host PID, / mounted', () => {
    const { containers, images, lines } = parseFile('lab-risky.podman-inspect.json');
    assert.equal(images.length, 0);
    assert.equal(containers.length, 1);
    const c = containers[0] as ContainerSpec;
    assert.equal(c.name, 'lab-risky');
    assert.equal(c.source.kind, 'inspect');
    assert.equal(c.source.resource, 'container lab-risky');
    assert.equal(c.source.line, 2);
    assert.equal(c.image, 'localhost/tmp/lab-scratch/images/oci:latest');
    assert.deepEqual(c.command, ['sleep', '1']);
    assert.equal(c.privileged, true);
    lineHas(lines, c.lines.privileged, 'Privileged');
    assert.equal(c.capsExplicit?.length, 40);
    assert.ok(c.capsExplicit?.includes('CAP_SYS_ADMIN'));
    lineHas(lines, c.lines.capsExplicit, 'BoundingCaps');
    assert.deepEqual(specCaps(c), [...ALL_CAPS]);
    assert.deepEqual(c.seccomp, { kind: 'unconfined' });
    assert.deepEqual(c.apparmor, { kind: 'unconfined' });
    lineHas(lines, c.lines.seccomp, 'seccomp=unconfined');
    assert.equal(c.pid, 'host');
    assert.equal(c.network, 'none');
    assert.equal(c.ipc, 'shareable');
    assert.equal(c.cgroupns, 'host');
    assert.equal(c.user, '0');
    assert.deepEqual(c.mounts, [
      { type: 'bind', source: '/', target: '/host', readOnly: false, propagation: 'rprivate', line: 138 },
    ]);
    assert.equal(c.pidsLimit, 2048);
    assert.equal(c.memory, undefined);
    assert.deepEqual(c.ulimits, [
      { name: 'nofile', soft: 1048576, hard: 1048576 },
      { name: 'nproc', soft: 32768, hard: 32768 },
    ]);
    assert.equal(c.healthcheck, undefined);
    assert.equal(c.restart, undefined);
  });

  it("the hardened container: only NET_BIND_SERVICE, read-only with podman's tmpfs, limits", () => {
    const { containers, lines } = parseFile('lab-hardened.podman-inspect.json');
    const c = containers[0] as ContainerSpec;
    assert.equal(c.name, 'lab-hardened');
    assert.equal(c.privileged, false);
    assert.deepEqual(c.capsExplicit, ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(specCaps(c), ['CAP_NET_BIND_SERVICE']);
    assert.equal(c.noNewPrivileges, true);
    lineHas(lines, c.lines.noNewPrivileges, 'no-new-privileges');
    assert.equal(c.readOnlyRootfs, true);
    assert.equal(c.seccomp, undefined);
    assert.equal(c.user, '1000:1000');
    assert.equal(c.memory, 64 * 1024 * 1024);
    assert.equal(c.memorySwap, 128 * 1024 * 1024);
    assert.equal(c.pidsLimit, 100);
    lineHas(lines, c.lines.pidsLimit, 'PidsLimit');
    assert.equal(c.pid, 'private');
    assert.deepEqual(
      c.mounts.map((m) => [m.type, m.target, m.readOnly]),
      [
        ['tmpfs', '/run', false],
        ['tmpfs', '/tmp', false],
        ['tmpfs', '/var/tmp', false],
      ],
    );
  });
});

describe('parseInspect: docker inspect of containers', () => {
  const { containers, lines } = parseFile('docker-containers.inspect.json');
  const byName = (n: string) => containers.find((c) => c.name === n) as ContainerSpec;

  it('reads every element with its name, resource and line', () => {
    assert.deepEqual(
      containers.map((c) => [c.name, c.source.resource, c.source.line]),
      [
        ['web', 'container /web', 2],
        ['api', 'container /api', 252],
        ['tracer', 'container /tracer', 454],
      ],
    );
  });

  it('/web: privileged with host namespaces, docker.sock, shared propagation, a device', () => {
    const c = byName('web');
    assert.equal(c.image, 'nginx:1.25');
    lineHas(lines, c.lines.image, 'Image');
    assert.deepEqual(c.command, ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    assert.equal(c.privileged, true);
    assert.deepEqual(c.capAdd, ['CAP_NET_ADMIN', 'CAP_SYS_PTRACE']);
    lineHas(lines, c.lines.capAdd, 'CapAdd');
    assert.deepEqual(c.capDrop, []);
    assert.equal(c.capsExplicit, undefined);
    assert.deepEqual(c.seccomp, { kind: 'unconfined' });
    assert.deepEqual(c.selinux, { disable: true });
    assert.deepEqual(c.apparmor, { kind: 'unconfined' });
    lineHas(lines, c.lines.apparmor, 'AppArmorProfile');
    assert.deepEqual(
      [c.network, c.pid, c.ipc, c.uts, c.userns, c.cgroupns],
      ['host', 'host', 'host', 'host', 'host', 'host'],
    );
    lineHas(lines, c.lines.pid, 'PidMode');
    lineHas(lines, c.lines.cgroupns, 'CgroupnsMode');
    assert.deepEqual(
      c.mounts.map((m) => [m.type, m.source, m.target, m.readOnly, m.propagation]),
      [
        ['bind', '/var/run/docker.sock', '/var/run/docker.sock', false, 'rprivate'],
        ['bind', '/srv/www', '/usr/share/nginx/html', true, 'rshared'],
      ],
    );
    // a list item's line is where the item opens
    assert.deepEqual([c.mounts[0]?.line, lines[162]?.trim()], [162, '"Type": "bind",']);
    assert.deepEqual(c.devices, [
      { host: '/dev/sda', container: '/dev/xvda', permissions: 'rwm', line: 122 },
    ]);
    assert.deepEqual(
      c.ports.map((p) => [p.hostIp, p.hostPort, p.containerPort, p.protocol]),
      [
        ['', 443, 443, 'tcp'],
        ['0.0.0.0', 80, 80, 'tcp'],
        ['::', 80, 80, 'tcp'],
      ],
    );
    assert.deepEqual(c.restart, { policy: 'always' });
    assert.equal(c.cgroupParent, '/custom-parent');
    lineHas(lines, c.lines.cgroupParent, 'CgroupParent');
    assert.deepEqual(c.ulimits, [{ name: 'nofile', soft: 65536, hard: 65536 }]);
    assert.deepEqual(c.sysctls, { 'net.ipv4.ip_unprivileged_port_start': '0' });
    // unset in the input: undefined, not 0
    assert.equal(c.memory, undefined);
    assert.equal(c.memorySwap, undefined);
    assert.equal(c.pidsLimit, undefined);
    assert.equal(c.cpus, undefined);
    assert.equal(c.cpuShares, undefined);
    assert.equal(c.user, undefined);
    assert.equal(c.healthcheck, undefined);
    assert.equal(c.procMount, undefined);
  });

  it('/api: hardened, with a healthcheck, a volume and a --tmpfs mount', () => {
    const c = byName('api');
    assert.deepEqual(c.capDrop, ['ALL']);
    assert.deepEqual(c.capAdd, ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(specCaps(c), ['CAP_NET_BIND_SERVICE']);
    assert.equal(c.noNewPrivileges, true);
    assert.deepEqual(c.apparmor, { kind: 'default' });
    assert.equal(c.readOnlyRootfs, true);
    assert.equal(c.memory, 268435456);
    assert.equal(c.memorySwap, 268435456);
    assert.equal(c.pidsLimit, 200);
    assert.equal(c.cpus, 0.5);
    lineHas(lines, c.lines.cpus, 'NanoCpus');
    assert.equal(c.cpuShares, 512);
    assert.equal(c.user, '10001:10001');
    assert.equal(c.healthcheck, true);
    lineHas(lines, c.lines.healthcheck, 'Healthcheck');
    assert.equal(c.network, 'backend');
    assert.equal(c.ipc, 'private');
    assert.equal(c.pid, undefined);
    assert.deepEqual(
      c.mounts.map((m) => [m.type, m.source, m.target, m.readOnly]),
      [
        ['volume', 'apidata', '/data', false],
        ['tmpfs', undefined, '/tmp', false],
      ],
    );
    assert.deepEqual(c.restart, { policy: 'on-failure', maxRetries: 5 });
    assert.deepEqual(
      c.ports.map((p) => [p.hostIp, p.hostPort, p.containerPort]),
      [['127.0.0.1', 8080, 8080]],
    );
    assert.equal(c.procMount, undefined);
  });

  it('/tracer: inline seccomp JSON, custom AppArmor, unmasked /proc, SELinux label, joined namespaces', () => {
    const c = byName('tracer');
    assert.deepEqual(c.seccomp, { kind: 'custom', ref: 'inline JSON profile' });
    assert.deepEqual(c.apparmor, { kind: 'custom', ref: 'tracer-profile' });
    assert.equal(c.procMount, 'Unmasked');
    assert.deepEqual(c.selinux, {
      user: 'system_u',
      role: 'system_r',
      type: 'container_t',
      level: 's0:c312,c838',
    });
    lineHas(lines, c.lines.selinux, 'ProcessLabel');
    assert.equal(c.network, 'container:3f4e8a9c2b1d');
    assert.equal(c.pid, 'container:3f4e8a9c2b1d');
    assert.equal(c.healthcheck, false);
    assert.equal(c.memorySwap, -1);
    assert.equal(c.pidsLimit, -1);
    assert.equal(c.cpus, 1.5);
    lineHas(lines, c.lines.cpus, 'CpuQuota');
    assert.deepEqual(c.annotations, { 'drydock/publish-all': 'true' });
    assert.deepEqual(c.restart, { policy: 'unless-stopped' });
    assert.deepEqual(
      c.mounts.map((m) => [m.source, m.propagation]),
      [['/sys/kernel/debug', 'rshared']],
    );
    assert.equal(c.user, 'root');
    assert.equal(c.image, 'tracer@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
  });
});

describe('parseInspect: docker image inspect', () => {
  it('reads tags, user, healthcheck, exposed ports, entrypoint and cmd', () => {
    const { containers, images } = parseFile('docker-image.inspect.json');
    assert.equal(containers.length, 0);
    assert.deepEqual(images, [
      {
        ref: 'nginx:1.25',
        exposedPorts: [{ port: 80, protocol: 'tcp' }],
        entrypoint: ['/docker-entrypoint.sh'],
        cmd: ['nginx', '-g', 'daemon off;'],
        line: 2,
      },
      {
        ref: 'registry.example.com/team/api@sha256:5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f',
        user: '10001:10001',
        healthcheck: true,
        exposedPorts: [
          { port: 8080, protocol: 'tcp' },
          { port: 9090, protocol: 'udp' },
        ],
        entrypoint: ['/app/server'],
        line: 72,
      },
    ]);
  });

  it('HEALTHCHECK NONE is false; an image without tags is named by its ID', () => {
    const { images } = parseText(
      JSON.stringify({
        Id: 'sha256:abc',
        RepoTags: [],
        RootFS: { Type: 'layers' },
        Config: { Healthcheck: { Test: ['NONE'] } },
      }),
    );
    assert.deepEqual(images, [{ ref: 'sha256:abc', healthcheck: false, exposedPorts: [], line: 1 }]);
  });

  it('mixes containers and images in one array', () => {
    const text = `[${containerText().slice(1, -1)}, {"Id": "sha256:1", "RepoTags": ["a:1"], "RootFS": {}}]`;
    const r = parseText(text);
    assert.equal(r.containers.length, 1);
    assert.deepEqual(
      r.images.map((i) => i.ref),
      ['a:1'],
    );
  });
});

describe('parseInspect: shapes and defaults', () => {
  it('accepts a single object as well as an array, and an empty array', () => {
    const one = parseText(JSON.stringify({ Name: '/solo', HostConfig: { Privileged: true } }));
    assert.equal(one.containers[0]?.privileged, true);
    assert.equal(one.containers[0]?.source.line, 1);
    assert.deepEqual(parseText('[]'), { containers: [], images: [] });
  });

  it('names a container by its ID when Name is missing', () => {
    const r = parseText(JSON.stringify([{ Id: '0123456789abcdef0123', State: {} }]));
    assert.equal(r.containers[0]?.name, '0123456789ab');
  });

  it('treats 0, null and "" as unset, and PidsLimit -1 as unlimited', () => {
    const c = parseText(
      containerText((x) => {
        Object.assign(x.HostConfig, {
          Memory: 0,
          MemorySwap: 0,
          PidsLimit: 0,
          NanoCpus: 0,
          CpuShares: 0,
          NetworkMode: '',
          CgroupParent: '',
          RestartPolicy: { Name: '', MaximumRetryCount: 0 },
        });
      }),
    ).containers[0] as ContainerSpec;
    for (const k of [
      'memory',
      'memorySwap',
      'pidsLimit',
      'cpus',
      'cpuShares',
      'network',
      'cgroupParent',
      'restart',
    ] as const)
      assert.equal(c[k], undefined, k);
    const d = parseText(containerText((x) => Object.assign(x.HostConfig, { PidsLimit: null }))).containers[0];
    assert.equal(d?.pidsLimit, undefined);
  });

  it('falls back to HostConfig.Binds and HostConfig.Mounts when there is no Mounts list', () => {
    const c = parseText(
      containerText((x) => {
        Object.assign(x.HostConfig, {
          Binds: ['/:/host:rw,rslave,rbind', 'data:/data:ro,z', '/etc:/etc'],
          Mounts: [
            {
              Type: 'bind',
              Source: '/var/run',
              Target: '/run/host',
              ReadOnly: true,
              BindOptions: { Propagation: 'rshared' },
            },
          ],
        });
      }),
    ).containers[0] as ContainerSpec;
    assert.deepEqual(
      c.mounts.map((m) => [m.type, m.source, m.target, m.readOnly, m.propagation]),
      [
        ['bind', '/', '/host', false, 'rslave'],
        ['volume', 'data', '/data', true, undefined],
        ['bind', '/etc', '/etc', false, undefined],
        ['bind', '/var/run', '/run/host', true, 'rshared'],
      ],
    );
    assert.ok(c.lines.mounts);
  });

  it('reads a port binding without a host port and a null binding list', () => {
    const c = parseText(
      containerText((x) => {
        x.HostConfig.PortBindings = { '80/tcp': [{ HostIp: '', HostPort: '' }], '53/udp': null };
      }),
    ).containers[0] as ContainerSpec;
    assert.deepEqual(
      c.ports.map((p) => [p.containerPort, p.protocol, p.hostPort]),
      [
        [80, 'tcp', undefined],
        [53, 'udp', undefined],
      ],
    );
  });

  it('a security option set again by AppArmorProfile takes the effective profile', () => {
    const c = parseText(
      JSON.stringify([
        {
          Name: '/x',
          AppArmorProfile: 'docker-default',
          HostConfig: { SecurityOpt: ['apparmor:unconfined'] },
        },
      ]),
    ).containers[0];
    assert.deepEqual(c?.apparmor, { kind: 'default' });
  });
});

describe('parseInspect: bad input', () => {
  it('refuses an element that is neither a container nor an image, naming its index', () => {
    throwsUser(
      () => parseText('[\n  {"Name": "/a", "State": {}},\n  {"foo": 1}\n]'),
      /^inspect\.json:3: element 1 is neither a container .* nor an image/,
    );
    throwsUser(() => parseText('[1]'), /^inspect\.json:1: element 0 is not an object but 1/);
    throwsUser(() => parseText('"text"'), /not docker inspect output/);
  });

  it('refuses wrong types with file:line and the JSON path', () => {
    const text = containerText((x) => {
      x.HostConfig.Privileged = 'yes';
    });
    const line = text.split('\n').findIndex((l) => l.includes('"Privileged"')) + 1;
    throwsUser(
      () => parseText(text),
      new RegExp(
        `^inspect\\.json:${line}: \\[0\\]\\.HostConfig\\.Privileged must be true or false, not "yes"$`,
      ),
    );
    throwsUser(
      () => parseText(containerText((x) => Object.assign(x.HostConfig, { CapAdd: 'SYS_ADMIN' }))),
      /HostConfig\.CapAdd must be a list, not "SYS_ADMIN"/,
    );
    throwsUser(
      () => parseText(containerText((x) => Object.assign(x.HostConfig, { CapDrop: [1] }))),
      /HostConfig\.CapDrop\[0\] must be a string, not 1/,
    );
    throwsUser(
      () => parseText(containerText((x) => Object.assign(x.HostConfig, { Memory: '512m' }))),
      /HostConfig\.Memory must be a number, not "512m"/,
    );
    throwsUser(
      () => parseText(containerText((x) => Object.assign(x, { Mounts: {} }))),
      /\[0\]\.Mounts must be a list/,
    );
    throwsUser(
      () => parseText(containerText((x) => Object.assign(x.Config, { User: 0 }))),
      /Config\.User must be a string/,
    );
  });

  it('refuses bad values inside known fields', () => {
    throwsUser(
      () => parseText(containerText((x) => Object.assign(x.HostConfig, { PortBindings: { http: [] } }))),
      /HostConfig\.PortBindings\.http is not a port/,
    );
    throwsUser(
      () =>
        parseText(
          containerText((x) =>
            Object.assign(x.HostConfig, { PortBindings: { '80/tcp': [{ HostPort: 'eighty' }] } }),
          ),
        ),
      /HostPort is not a port: "eighty"/,
    );
    throwsUser(
      () =>
        parseText(
          containerText((x) => Object.assign(x.HostConfig, { RestartPolicy: { Name: 'sometimes' } })),
        ),
      /RestartPolicy\.Name is not a restart policy: "sometimes"/,
    );
    throwsUser(
      () =>
        parseText(
          containerText((x) => Object.assign(x.HostConfig, { Devices: [{ PathInContainer: '/dev/x' }] })),
        ),
      /HostConfig\.Devices\[0\]\.PathOnHost is missing/,
    );
    throwsUser(
      () => parseText(containerText((x) => Object.assign(x.HostConfig, { Ulimits: ['nofile'] }))),
      /HostConfig\.Ulimits\[0\] must be an object/,
    );
    const text = containerText((x) =>
      Object.assign(x.HostConfig, { SecurityOpt: ['no-new-privileges', 'bogus=1'] }),
    );
    const line = text.split('\n').findIndex((l) => l.includes('"bogus=1"')) + 1;
    throwsUser(() => parseText(text), new RegExp(`^inspect\\.json:${line}: unknown --security-opt "bogus"`));
    throwsUser(
      () => parseText(containerText((x) => Object.assign(x.HostConfig, { Binds: ['a:b:c:d'] }))),
      /invalid volume "a:b:c:d"/,
    );
    throwsUser(
      () => parseText(containerText((x) => Object.assign(x.HostConfig, { Tmpfs: { '/tmp': 1 } }))),
      /HostConfig\.Tmpfs\./,
    );
  });

  it('keeps messages one line when a value holds a newline', () => {
    throwsUser(
      () =>
        parseText(
          containerText((x) => Object.assign(x.HostConfig, { SecurityOpt: ['apparmor=\nx', 'bogus\n=1'] })),
        ),
      /invalid --security-opt "bogus\\n=1"/,
    );
  });

  it('keeps a hostile "__proto__" sysctl a plain key', () => {
    const c = parseText(
      '[{"Name": "/x", "HostConfig": {"Sysctls": {"__proto__": "1", "kernel.shm_rmid_forced": "1"}}}]',
    ).containers[0] as ContainerSpec;
    assert.ok(Object.hasOwn(c.sysctls, '__proto__'));
    assert.equal(Object.getPrototypeOf(c.sysctls), Object.prototype);
  });
});

describe('parseInspect: hostile input', () => {
  it('answers mutated containers with a spec or a one-line UserError', () => {
    const base = JSON.parse(
      readFileSync(path.join(FIX, 'docker-containers.inspect.json'), 'utf8'),
    ) as unknown[];
    const junk: unknown[] = [null, 0, -1, 1e300, 'x', '', true, [], {}, [1], { a: 1 }, ['x'], [{}]];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    // Replace one value anywhere in the tree with junk, many times over.
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, p: (string | number)[]) => {
      paths.push(p);
      if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) walk(x, [...p, i]);
      } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(base, []);
    for (let k = 0; k < 1500; k++) {
      const doc = structuredClone(base) as unknown;
      const p = paths[rand(paths.length)] as (string | number)[];
      const j = junk[rand(junk.length)];
      if (p.length === 0) continue;
      let parent = doc as Record<string | number, unknown>;
      for (const seg of p.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
      parent[p.at(-1) as string | number] = j;
      try {
        parseText(JSON.stringify(doc, null, 1));
      } catch (e) {
        assert.ok(
          e instanceof UserError && !e.message.includes('\n'),
          `${p.join('.')} = ${JSON.stringify(j)}: ${String(e)}`,
        );
      }
    }
  });
});
