// Tests for the compose renderer: the plan written into the user's file reads back as planned, and
// everything else (comments, anchors, other services and keys) survives.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../src/errors.js';
import { parseConfigText } from '../../../src/harden/doc.js';
import { parseCompose } from '../../../src/harden/inputs/compose.js';
import type { HardeningPlan } from '../../../src/harden/plan-types.js';
import { composeSize, detectYamlStyle, renderCompose } from '../../../src/harden/render/compose.js';
import type { ContainerSpec } from '../../../src/harden/spec.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/harden/compose');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const MiB = 2 ** 20;

function plan(over: Partial<HardeningPlan> = {}): HardeningPlan {
  return {
    dropAllCaps: true,
    capAdd: [],
    capReasons: {},
    noNewPrivileges: true,
    privileged: false,
    readOnlyRootfs: true,
    tmpfs: [{ target: '/tmp', options: 'rw,noexec,nosuid,size=64m' }],
    memory: 512 * MiB,
    memorySwap: 512 * MiB,
    pidsLimit: 256,
    seccomp: { kind: 'default' },
    apparmor: { kind: 'default' },
    privateNamespaces: [],
    readOnlyMounts: [],
    privatePropagation: [],
    notes: [],
    ...over,
  };
}

function parseBack(text: string): Map<string, ContainerSpec> {
  const docs = parseConfigText(text, 'out.yml');
  const specs = docs.flatMap((d) => parseCompose(d, 'out.yml'));
  return new Map(specs.map((s) => [s.source.resource.replace(/^service /, ''), s]));
}

function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

/** What a hardened service must read back as, whatever the input said. */
function assertApplied(s: ContainerSpec, p: HardeningPlan): void {
  const what = s.source.resource;
  assert.deepEqual(s.capDrop, ['ALL'], what);
  assert.deepEqual(s.capAdd, p.capAdd, what);
  assert.notEqual(s.privileged, true, what);
  assert.equal(s.noNewPrivileges, true, what);
  assert.equal(s.readOnlyRootfs, true, what);
  assert.equal(s.memory, p.memory, what);
  assert.equal(s.memorySwap, p.memorySwap, what);
  assert.equal(s.pidsLimit, p.pidsLimit, what);
  if (p.cpus !== undefined) assert.equal(s.cpus, p.cpus, what);
  if (p.user !== undefined) assert.equal(s.user, p.user, what);
  if (p.seccomp.kind === 'default') assert.equal(s.seccomp, undefined, what);
  else assert.deepEqual(s.seccomp, p.seccomp, what);
  if (p.apparmor) assert.deepEqual(s.apparmor, p.apparmor, what);
  else assert.notDeepEqual(s.apparmor, { kind: 'unconfined' }, what);
  const tmpfs = s.mounts.filter((m) => m.type === 'tmpfs').map((m) => m.target);
  for (const t of p.tmpfs) assert.ok(tmpfs.includes(t.target), `${what}: tmpfs ${t.target}`);
  for (const ns of p.privateNamespaces) assert.notEqual(s[ns], 'host', `${what}: ${ns}`);
  for (const target of p.readOnlyMounts)
    assert.equal(s.mounts.find((m) => m.target === target)?.readOnly, true, `${what}: ${target} read-only`);
  for (const target of p.privatePropagation)
    assert.equal(s.mounts.find((m) => m.target === target)?.propagation, 'rprivate', `${what}: ${target}`);
  if (p.restart)
    assert.deepEqual(s.restart, { policy: p.restart.policy, maxRetries: p.restart.maxRetries }, what);
}

const shopPlans = new Map<string, HardeningPlan>([
  [
    'proxy',
    plan({
      capAdd: ['CAP_CHOWN', 'CAP_SETGID', 'CAP_SETUID', 'CAP_NET_BIND_SERVICE'],
      tmpfs: [
        { target: '/var/cache/nginx', options: 'rw,noexec,nosuid,size=32m' },
        { target: '/run', options: 'rw,noexec,nosuid,size=1m' },
      ],
      memory: 256 * MiB,
      memorySwap: 256 * MiB,
      pidsLimit: 128,
      readOnlyMounts: ['/var/log/nginx'],
      privatePropagation: ['/var/log/nginx'],
    }),
  ],
  [
    'api',
    plan({
      capAdd: ['CAP_NET_BIND_SERVICE'],
      user: '1000:1000',
      cpus: 1,
      restart: { policy: 'on-failure', maxRetries: 5 },
    }),
  ],
  ['worker', plan({ restart: { policy: 'on-failure', maxRetries: 5 }, cpus: 0.5 })],
  ['db', plan({ readOnlyMounts: ['/backups'], memory: 2 ** 30, memorySwap: 2 ** 30 })],
  [
    'agent',
    plan({
      capAdd: ['CAP_SYS_PTRACE'],
      apparmor: undefined,
      privateNamespaces: ['network', 'pid', 'ipc', 'uts', 'userns', 'cgroupns'],
      readOnlyMounts: ['/var/run/docker.sock', '/host/sys/fs/cgroup'],
      restart: { policy: 'on-failure', maxRetries: 5 },
    }),
  ],
]);

describe('renderCompose: the shop fixture', () => {
  const input = fixture('shop.yml');
  const out = renderCompose(input, 'shop.yml', shopPlans);
  const back = parseBack(out);

  it('every planned service reads back as its plan', () => {
    assert.deepEqual([...back.keys()], ['proxy', 'api', 'worker', 'db', 'agent']);
    for (const [name, p] of shopPlans) assertApplied(back.get(name) as ContainerSpec, p);
  });

  it('keeps what the plan does not touch', () => {
    const proxy = back.get('proxy') as ContainerSpec;
    assert.equal(proxy.healthcheck, true);
    assert.equal(proxy.ports.length, 3);
    assert.equal(proxy.mounts.find((m) => m.target === '/etc/nginx/nginx.conf')?.readOnly, true);
    assert.equal(proxy.mounts.find((m) => m.target === '/usr/share/nginx/html')?.readOnly, false);
    const api = back.get('api') as ContainerSpec;
    assert.deepEqual(api.selinux, { type: 'svirt_apache_t' }, 'the SELinux label stays');
    assert.deepEqual(api.ulimits[0], { name: 'nofile', soft: 20000, hard: 40000 });
    assert.equal(back.get('worker')?.healthcheck, false);
    const agent = back.get('agent') as ContainerSpec;
    assert.equal(agent.cgroupns, 'private');
    assert.equal(agent.devices.length, 2, 'devices are the plan notes, not removed');
    assert.equal(agent.mounts.find((m) => m.target === '/host/proc/')?.readOnly, true);
    assert.equal(back.get('db')?.name, 'shop-db');
  });

  it('keeps comments, anchors, merge keys and unrelated keys', () => {
    for (const s of [
      '# A small web shop: reverse proxy, API, worker, database and a monitoring agent.',
      '# rotate often',
      'x-logging: &logging',
      'x-app: &app',
      '    <<: *app',
      '    logging: *logging',
      'depends_on: [api]',
      'DATABASE_URL: postgres://shop@db/shop',
      'shm_size: 256m',
      'replicas: 2',
      'volumes:\n  static:\n  pgdata:\n',
      '      test: ["CMD", "wget", "-qO-", "http://localhost/healthz"]',
    ])
      assert.ok(out.includes(s), `kept: ${s}`);
    // The extension block the services merge is not edited.
    const xapp = (t: string) => t.slice(t.indexOf('x-app:'), t.indexOf('services:'));
    assert.equal(xapp(out), xapp(input));
  });

  it('writes compose spellings: names without CAP_, sizes with units, on-failure:N', () => {
    assert.match(out, /\n {4}cap_drop: \[ALL\]\n/);
    assert.match(out, /\n {4}cap_add: \[NET_BIND_SERVICE\]\n/);
    assert.match(out, /\n {6}- CHOWN\n {6}- SETGID\n {6}- SETUID\n {6}- NET_BIND_SERVICE\n/);
    assert.match(out, /\n {4}mem_limit: 256m\n/);
    assert.match(out, /\n {4}restart: on-failure:5\n/);
    assert.match(out, /\n {6}- \/var\/run\/docker.sock:\/var\/run\/docker.sock:ro\n/);
    assert.match(out, /\n {6}- \/sys\/fs\/cgroup:\/host\/sys\/fs\/cgroup:ro\n/);
    assert.match(out, /\n {6}- \/var\/cache\/nginx:rw,noexec,nosuid,size=32m\n/);
    assert.doesNotMatch(out, /seccomp:unconfined|apparmor=unconfined|network_mode: host|privileged: true/);
  });

  it('keeps deploy.resources.limits consistent with the service-level keys', () => {
    assert.match(out, /limits:\n {10}cpus: 0\.5\n {10}memory: 512m\n {10}pids: 256\n/);
    assert.match(out, /restart_policy:\n {8}condition: on-failure\n {8}max_attempts: 5\n/);
  });

  it('is idempotent', () => {
    assert.equal(renderCompose(out, 'shop.yml', shopPlans), out);
  });

  it('leaves services without a plan byte for byte', () => {
    const only = renderCompose(
      input,
      'shop.yml',
      new Map([['agent', shopPlans.get('agent') as HardeningPlan]]),
    );
    const upToAgent = (t: string) => t.slice(0, t.indexOf('  agent:'));
    assert.equal(upToAgent(only), upToAgent(input));
    assert.deepEqual(parseBack(only).get('db'), parseBack(input).get('db'));
  });
});

describe('renderCompose: merge keys and aliases', () => {
  const input = `x-base: &base
  image: tool:1
  privileged: true
  network_mode: host
  cap_add: [SYS_ADMIN]
services:
  a:
    <<: *base
    command: run   # the job
  b:
    <<: *base
  c: *base
`;

  it('overrides or writes out what a service inherits, leaving the anchor and its other users alone', () => {
    const p = plan({ privateNamespaces: ['network'] });
    const out = renderCompose(input, 'm.yml', new Map([['a', p]]));
    const back = parseBack(out);
    const a = back.get('a') as ContainerSpec;
    assertApplied(a, p);
    assert.equal(a.network, undefined);
    assert.equal(a.image, 'tool:1');
    assert.deepEqual(a.command, ['run']);
    for (const other of ['b', 'c']) {
      const s = back.get(other) as ContainerSpec;
      assert.equal(s.privileged, true, other);
      assert.equal(s.network, 'host', other);
      assert.deepEqual(s.capAdd, ['CAP_SYS_ADMIN'], other);
    }
    assert.ok(out.startsWith(input.slice(0, input.indexOf('services:'))));
    assert.ok(out.includes('# the job'));
  });

  it('a service that is an alias becomes its own copy', () => {
    const p = plan({ privateNamespaces: ['network'] });
    const out = renderCompose(input, 'm.yml', new Map([['c', p]]));
    const back = parseBack(out);
    assertApplied(back.get('c') as ContainerSpec, p);
    assert.equal(back.get('c')?.network, undefined);
    assert.equal(back.get('b')?.privileged, true);
    assert.equal(back.get('a')?.network, 'host');
  });

  it('no neutral value for a key: the merge is written out', () => {
    const out = renderCompose(input, 'm.yml', new Map([['b', plan({ privateNamespaces: ['network'] })]]));
    const b = out.slice(out.indexOf('  b:'), out.indexOf('  c:'));
    assert.doesNotMatch(b, /<<|network_mode/);
    assert.match(b, /image: tool:1/);
  });
});

describe('renderCompose: security_opt, tmpfs, volumes and style', () => {
  it('keeps custom profiles and labels, drops unconfined ones and old no-new-privileges', () => {
    const input = `services:
  web:
    image: nginx
    security_opt:
      - seccomp=./seccomp.json
      - apparmor=my-profile
      - label=disable
      - no-new-privileges:false
`;
    const p = plan({
      seccomp: { kind: 'custom', ref: './seccomp.json' },
      apparmor: { kind: 'custom', ref: 'my-profile' },
    });
    const s = parseBack(renderCompose(input, 'w.yml', new Map([['web', p]]))).get('web') as ContainerSpec;
    assertApplied(s, p);
    assert.deepEqual(s.selinux, { disable: true });

    const unconfined = input.replace('seccomp=./seccomp.json', 'seccomp:unconfined');
    const s2 = parseBack(renderCompose(unconfined, 'w.yml', new Map([['web', plan()]]))).get('web');
    assert.equal(s2?.seccomp, undefined);
    assert.deepEqual(s2?.apparmor, { kind: 'default' });
  });

  it('the v2.4 file: options of short volumes, existing tmpfs entries, restart', () => {
    const input = fixture('legacy-v2.yml');
    const p = plan({ readOnlyMounts: ['/data'], restart: { policy: 'on-failure', maxRetries: 5 } });
    const out = renderCompose(input, 'legacy-v2.yml', new Map([['app', p]]));
    const app = parseBack(out).get('app') as ContainerSpec;
    assertApplied(app, p);
    assert.match(out, /- data:\/data:nocopy,ro\n/);
    assert.deepEqual(
      app.mounts.filter((m) => m.type === 'tmpfs').map((m) => m.target),
      ['/run', '/tmp'],
    );
    assert.match(out, /tmpfs:\n {6}- \/run\n {6}- \/tmp:rw,noexec,nosuid,size=64m\n/);
    assert.ok(
      out.startsWith('# The version 2 file format still has services under "services:".\nversion: "2.4"\n'),
    );
  });

  it('an anonymous volume made read-only takes the long syntax', () => {
    const input = 'services:\n  web:\n    image: x\n    volumes:\n      - /cache\n';
    const out = renderCompose(input, 'w.yml', new Map([['web', plan({ readOnlyMounts: ['/cache'] })]]));
    assert.deepEqual(
      parseBack(out)
        .get('web')
        ?.mounts.find((m) => m.target === '/cache'),
      { type: 'volume', target: '/cache', readOnly: true, line: 5 },
    );
  });

  it('keeps the file indentation', () => {
    const input =
      'services:\n    web:\n        image: x   # pinned\n        cap_add:\n            - NET_ADMIN\n';
    assert.deepEqual(detectYamlStyle(input), { indent: 4, indentSeq: true });
    assert.deepEqual(detectYamlStyle('a:\n  b:\n  - c\n'), { indent: 2, indentSeq: false });
    const out = renderCompose(input, 'w.yml', new Map([['web', plan()]]));
    assert.match(out, /^services:\n {4}web:\n {8}image: x {3}# pinned\n/);
    assert.match(out, /\n {8}security_opt:\n {12}- no-new-privileges:true\n/);
  });

  it('composeSize writes the largest exact unit', () => {
    assert.equal(composeSize(512 * MiB), '512m');
    assert.equal(composeSize(2 ** 30), '1g');
    assert.equal(composeSize(1536 * MiB), '1536m');
    assert.equal(composeSize(4096), '4k');
    assert.equal(composeSize(1000), '1000b');
  });
});

describe('renderCompose: odd but valid files', () => {
  it('a service whose name YAML reads as a number', () => {
    const input = 'services:\n  8080:\n    image: x\n  web:\n    image: y\n';
    const out = renderCompose(input, 'n.yml', new Map([['8080', plan()]]));
    assertApplied(parseBack(out).get('8080') as ContainerSpec, plan());
    assert.equal(out.match(/8080:/g)?.length, 1);
    assert.ok(out.endsWith('  web:\n    image: y\n'));
  });

  it('an empty deploy key', () => {
    const input = 'services:\n  web:\n    image: y\n    deploy:\n';
    const out = renderCompose(
      input,
      'n.yml',
      new Map([['web', plan({ restart: { policy: 'on-failure', maxRetries: 5 } })]]),
    );
    assert.equal(parseBack(out).get('web')?.memory, 512 * MiB);
  });
});

describe('renderCompose: bad input', () => {
  it('refuses a plan for a service the file does not have, and broken files', () => {
    refuses(
      () => renderCompose('services:\n  web:\n    image: x\n', 'w.yml', new Map([['db', plan()]])),
      /^w\.yml: no service "db" to harden$/,
    );
    refuses(() => renderCompose('services: [\n', 'w.yml', new Map()), /^w\.yml:\d+: not valid YAML/);
    let bomb = 'x-a0: &a0 {k0: 1}\n';
    for (let i = 1; i <= 12; i++) bomb += `x-a${i}: &a${i} {<<: [*a${i - 1}, *a${i - 1}, *a${i - 1}]}\n`;
    bomb += 'services:\n  web:\n    <<: *a12\n    image: x\n';
    refuses(() => renderCompose(bomb, 'w.yml', new Map([['web', plan()]])), /anchor bomb/);
    refuses(
      () => renderCompose('services:\n  web:\n    cap_add: 5\n', 'w.yml', new Map([['web', plan()]])),
      /^w\.yml:3: service "web": cap_add must be a list/,
    );
  });
});
