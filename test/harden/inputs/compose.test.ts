// Tests for the compose file parser: every field, both syntaxes, merge keys, interpolation and bad input.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../src/errors.js';
import { parseConfigText } from '../../../src/harden/doc.js';
import { parseCompose, splitWords } from '../../../src/harden/inputs/compose.js';
import type { ContainerSpec } from '../../../src/harden/spec.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/harden/compose');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

function parse(text: string, file = 'compose.yml'): ContainerSpec[] {
  const docs = parseConfigText(text, file);
  assert.equal(docs.length, 1);
  return parseCompose(docs[0] as (typeof docs)[0], file);
}

function byName(specs: ContainerSpec[]): Map<string, ContainerSpec> {
  return new Map(specs.map((s) => [s.source.resource.replace(/^service /, ''), s]));
}

/** The line number of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split('\n');
  const i = lines.findIndex((l, n) => n >= from && l.includes(needle));
  assert.ok(i >= 0, `no line contains ${needle}`);
  return i + 1;
}

function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `message is not one line: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

/** A compose interpolation reference, spelt out so no linter takes it for a broken template. */
const env = (name: string) => ['$', '{', name, '}'].join('');

const svc = (body: string) => `services:\n  web:\n    image: nginx\n${body}`;

describe('parseCompose: the shop fixture', () => {
  const text = fixture('shop.yml');
  const specs = byName(parse(text, 'shop.yml'));

  it('gives one spec per service, in file order, with its line and resource', () => {
    assert.deepEqual([...specs.keys()], ['proxy', 'api', 'worker', 'db', 'agent']);
    const proxy = specs.get('proxy') as ContainerSpec;
    assert.deepEqual(proxy.source, {
      file: 'shop.yml',
      kind: 'compose',
      line: lineOf(text, '  proxy:'),
      resource: 'service proxy',
    });
    assert.equal(proxy.name, 'proxy');
    assert.equal(specs.get('db')?.name, 'shop-db', 'container_name names the container');
    assert.equal(specs.get('db')?.source.resource, 'service db');
  });

  it('reads short, numeric and long ports, each with its own line', () => {
    const p = specs.get('proxy') as ContainerSpec;
    assert.deepEqual(
      p.ports.map(({ line, ...rest }) => rest),
      [
        { containerPort: 80, protocol: 'tcp', hostPort: 80 },
        { containerPort: 443, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8443 },
        { containerPort: 9113, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 9113 },
      ],
    );
    assert.deepEqual(
      p.ports.map((x) => x.line),
      [lineOf(text, '"80:80"'), lineOf(text, '8443:443'), lineOf(text, 'target: 9113')],
    );
    assert.equal(p.lines.ports, lineOf(text, '    ports:'));
    assert.deepEqual(
      specs.get('api')?.ports.map(({ line, ...r }) => r),
      [{ containerPort: 8000, protocol: 'tcp' }],
    );
  });

  it('reads short and long volumes and a tmpfs string', () => {
    const p = specs.get('proxy') as ContainerSpec;
    assert.deepEqual(
      p.mounts.map(({ line, ...rest }) => rest),
      [
        { type: 'bind', source: './nginx.conf', target: '/etc/nginx/nginx.conf', readOnly: true },
        {
          type: 'bind',
          source: '/var/log/shop',
          target: '/var/log/nginx',
          readOnly: false,
          propagation: 'rshared',
        },
        { type: 'volume', source: 'static', target: '/usr/share/nginx/html', readOnly: false },
        { type: 'tmpfs', target: '/var/cache/nginx', readOnly: false },
      ],
    );
    assert.equal(p.mounts[1]?.line, lineOf(text, '- type: bind'));
    assert.equal(p.mounts[3]?.line, lineOf(text, 'tmpfs: /var/cache/nginx'));
    assert.equal(p.healthcheck, true);
    assert.equal(p.lines.healthcheck, lineOf(text, 'healthcheck:'));
  });

  it('resolves the x- extension through the merge key; inherited fields point at the service', () => {
    const api = specs.get('api') as ContainerSpec;
    assert.equal(api.image, 'registry.example.com/shop/api:2.4.1');
    assert.deepEqual(api.capAdd, ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(api.restart, { policy: 'always' });
    assert.equal(api.lines.capAdd, api.source.line);
    assert.deepEqual(api.command, ['gunicorn', '-w', '4', 'shop.wsgi']);
    assert.equal(api.user, '1000:1000');
    assert.equal(api.readOnlyRootfs, true);
    assert.equal(api.memory, 512 * 2 ** 20);
    assert.equal(api.memorySwap, 2 ** 30);
    assert.equal(api.pidsLimit, 200);
    assert.equal(api.cpus, 1.5);
    assert.equal(api.noNewPrivileges, true);
    assert.deepEqual(api.selinux, { type: 'svirt_apache_t' });
    assert.deepEqual(api.ulimits, [
      { name: 'nofile', soft: 20000, hard: 40000 },
      { name: 'nproc', soft: 512, hard: 512 },
    ]);
    assert.deepEqual(api.sysctls, { 'net.core.somaxconn': '1024' });
    assert.equal(api.lines.memory, lineOf(text, 'mem_limit: 512m'));
    assert.equal(api.lines.noNewPrivileges, lineOf(text, '- no-new-privileges:true'));
    assert.equal(api.lines.selinux, lineOf(text, '- label=type:svirt_apache_t'));
  });

  it('reads deploy.resources limits; a service-level restart beats deploy.restart_policy', () => {
    const w = specs.get('worker') as ContainerSpec;
    assert.deepEqual(w.command, ['python', '-m', 'shop.worker', '--queue', 'high priority']);
    assert.equal(w.cpus, 0.5);
    assert.equal(w.memory, 256 * 2 ** 20);
    assert.equal(w.pidsLimit, 100);
    assert.equal(w.lines.memory, lineOf(text, 'memory: 256M'));
    assert.deepEqual(w.restart, { policy: 'always' });
    assert.equal(w.healthcheck, false);
  });

  it('reads privileged, long named volumes, list sysctls, cgroup parent and CPU shares', () => {
    const db = specs.get('db') as ContainerSpec;
    assert.equal(db.privileged, true);
    assert.equal(db.lines.privileged, lineOf(text, 'privileged: true'));
    assert.deepEqual(
      db.mounts.map(({ line, ...r }) => r),
      [
        { type: 'volume', source: 'pgdata', target: '/var/lib/postgresql/data', readOnly: false },
        { type: 'bind', source: '/srv/backups', target: '/backups', readOnly: false },
      ],
    );
    assert.deepEqual(db.sysctls, { 'kernel.shmmax': '68719476736' });
    assert.equal(db.cgroupParent, '/shop.slice');
    assert.equal(db.cpuShares, 512);
    assert.equal(db.healthcheck, undefined);
  });

  it('reads host namespaces, capabilities, unconfined profiles, devices; leaves interpolated values unset', () => {
    const a = specs.get('agent') as ContainerSpec;
    assert.equal(a.network, 'host');
    assert.equal(a.pid, 'host');
    assert.equal(a.ipc, 'host');
    assert.equal(a.uts, 'host');
    assert.equal(a.userns, 'host');
    assert.equal(a.cgroupns, 'host');
    assert.equal(a.lines.network, lineOf(text, 'network_mode: host'));
    assert.deepEqual(a.capAdd, ['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_NET_ADMIN']);
    assert.deepEqual(a.capDrop, ['CAP_MKNOD']);
    assert.deepEqual(a.seccomp, { kind: 'unconfined' });
    assert.deepEqual(a.apparmor, { kind: 'unconfined' });
    assert.equal(a.lines.seccomp, lineOf(text, 'seccomp:unconfined'));
    assert.deepEqual(
      a.devices.map(({ line, ...r }) => r),
      [
        { host: '/dev/kmsg', container: '/dev/kmsg', permissions: 'r' },
        { host: '/dev/fuse', permissions: 'rwm' },
      ],
    );
    assert.equal(a.devices[1]?.line, lineOf(text, 'source: /dev/fuse'));
    assert.deepEqual(
      a.mounts.map((m) => [m.source, m.target, m.readOnly]),
      [
        ['/var/run/docker.sock', '/var/run/docker.sock', false],
        ['/proc/', '/host/proc/', true],
        ['/sys/fs/cgroup', '/host/sys/fs/cgroup', false],
      ],
    );
    assert.deepEqual(a.restart, { policy: 'unless-stopped' });
    assert.deepEqual(a.command, ['/bin/entrypoint.sh']);
    assert.equal(a.memory, undefined, 'an interpolated mem_limit is unknown offline');
    assert.equal(a.lines.memory, undefined);
  });
});

describe('parseCompose: the version 2.4 format', () => {
  const specs = parse(fixture('legacy-v2.yml'));

  it('reads numbers for sizes, unlimited swap, on-failure:N, tmpfs lists, ranges and IPv6 ports', () => {
    assert.equal(specs.length, 1);
    const app = specs[0] as ContainerSpec;
    assert.equal(app.memory, 1_000_000_000);
    assert.equal(app.memorySwap, -1);
    assert.equal(app.cpuShares, 1024);
    assert.deepEqual(app.restart, { policy: 'on-failure', maxRetries: 10 });
    assert.deepEqual(
      app.mounts.filter((m) => m.type === 'tmpfs').map((m) => m.target),
      ['/run', '/tmp'],
    );
    assert.deepEqual(app.mounts[0], {
      type: 'volume',
      source: 'data',
      target: '/data',
      readOnly: false,
      line: 20,
    });
    assert.deepEqual(
      app.devices.map(({ line, ...r }) => r),
      [{ host: '/dev/snd' }, { host: '/dev/ttyUSB0', container: '/dev/ttyUSB0' }],
    );
    assert.deepEqual(
      app.ports.map(({ line, ...r }) => r),
      [
        { containerPort: 9000, protocol: 'udp', hostPort: 9000 },
        { containerPort: 9001, protocol: 'udp', hostPort: 9001 },
        { containerPort: 9002, protocol: 'udp', hostPort: 9002 },
        { containerPort: 53, protocol: 'udp', hostIp: '::1', hostPort: 5353 },
      ],
    );
    assert.deepEqual(app.command, ['node', 'server.js']);
  });
});

describe('parseCompose: smaller cases', () => {
  it('a file without services has no containers; services at the top level are refused', () => {
    assert.deepEqual(parse('volumes:\n  data: {}\n'), []);
    assert.deepEqual(parse('services: {}\n'), []);
    refuses(() => parse('web:\n  image: nginx\n'), /compose\.yml:1: .*compose v1 format/);
  });

  it('deploy.restart_policy conditions map to restart policies', () => {
    const rp = (cond: string) =>
      parse(
        svc(`    deploy:\n      restart_policy:\n        condition: ${cond}\n        max_attempts: 4\n`),
      )[0]?.restart;
    assert.deepEqual(rp('any'), { policy: 'always', maxRetries: 4 });
    assert.deepEqual(rp('none'), { policy: 'no', maxRetries: 4 });
    assert.deepEqual(rp('on-failure'), { policy: 'on-failure', maxRetries: 4 });
    refuses(() => rp('sometimes'), /compose\.yml:6: service "web": restart_policy condition/);
  });

  it('healthcheck: NONE and disable are false, timings alone leave the image check', () => {
    const hc = (body: string) => parse(svc(`    healthcheck:\n${body}`))[0]?.healthcheck;
    assert.equal(hc('      test: ["NONE"]\n'), false);
    assert.equal(hc('      test: NONE\n'), false);
    assert.equal(hc('      disable: true\n'), false);
    assert.equal(hc('      test: curl -f http://localhost\n'), true);
    assert.equal(hc('      interval: 10s\n'), undefined);
  });

  it('string booleans and numbers are read as compose reads them', () => {
    const s = parse(
      svc(
        '    privileged: "false"\n    read_only: "true"\n    cpus: "0.25"\n    pids_limit: "64"\n    user: 1000\n    cgroup: private\n    sysctls:\n      - net.ipv4.ip_forward=1\n',
      ),
    )[0] as ContainerSpec;
    assert.equal(s.privileged, false);
    assert.equal(s.readOnlyRootfs, true);
    assert.equal(s.cpus, 0.25);
    assert.equal(s.pidsLimit, 64);
    assert.equal(s.user, '1000');
    assert.equal(s.cgroupns, 'private');
    assert.deepEqual(s.sysctls, { 'net.ipv4.ip_forward': '1' });
  });

  it('network_mode service:/container: and a long port bound to an address without a host port', () => {
    const s = parse(
      svc(
        '    network_mode: "service:db"\n    ipc: "container:shared"\n    ports:\n      - target: 80\n        host_ip: 127.0.0.1\n',
      ),
    )[0] as ContainerSpec;
    assert.equal(s.network, 'service:db');
    assert.equal(s.ipc, 'container:shared');
    assert.deepEqual(
      s.ports.map(({ line, ...r }) => r),
      [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1' }],
    );
  });

  it('interpolation stays literal where the grammar allows it, else the item is skipped', () => {
    const s = parse(fixture('interpolation.yml'))[0] as ContainerSpec;
    assert.equal(s.privileged, undefined);
    assert.equal(s.pidsLimit, undefined);
    assert.deepEqual(s.capAdd, ['CAP_NET_ADMIN']);
    assert.deepEqual(
      s.ports.map(({ line, ...r }) => r),
      [{ containerPort: 80, protocol: 'tcp', hostIp: env('BIND_IP'), hostPort: 8080 }],
    );
    assert.deepEqual(
      s.mounts.map(({ line, ...r }) => r),
      [
        { type: 'bind', source: env('DATA_DIR:-/srv/data'), target: '/data', readOnly: true },
        { type: 'volume', source: `logs_${env('ENV')}`, target: '/logs', readOnly: false },
        { type: 'volume', source: '$$literal', target: '/dollar', readOnly: false },
      ],
    );
  });

  it('splits command strings like a shell', () => {
    const fail = (): never => {
      throw new Error('unterminated');
    };
    assert.deepEqual(splitWords(`sh -c 'echo "hi there"' a\\ b "x\\"y"`, fail), [
      'sh',
      '-c',
      'echo "hi there"',
      'a b',
      'x"y',
    ]);
    assert.deepEqual(splitWords('  ', fail), []);
    assert.deepEqual(splitWords('""', fail), ['']);
    assert.throws(() => splitWords('echo "open', fail), /unterminated/);
  });
});

describe('parseCompose: bad input', () => {
  it('refuses wrong types with file:line and the service', () => {
    refuses(() => parse('services:\n  - web\n'), /^compose\.yml:1: services must be a map/);
    refuses(() => parse('services:\n  web: nginx\n'), /^compose\.yml:2: service "web" must be a map/);
    refuses(() => parse('services:\n  web:\n'), /^compose\.yml:2: service "web" must be a map/);
    refuses(() => parse(svc('    cap_add: 5\n')), /^compose\.yml:4: service "web": cap_add must be a list/);
    refuses(() => parse(svc('    cap_add: [SYS_ADMIN, 7]\n')), /^compose\.yml:4: .*list of strings/);
    refuses(
      () => parse(svc('    privileged: maybe\n')),
      /^compose\.yml:4: service "web": privileged must be true or false/,
    );
    refuses(() => parse(svc('    mem_limit: lots\n')), /^compose\.yml:4: .*mem_limit is not a size/);
    refuses(() => parse(svc('    cpus: many\n')), /^compose\.yml:4: .*cpus must be a number/);
    refuses(() => parse(svc('    cpus: -1\n')), /^compose\.yml:4: .*cpus must not be negative/);
    refuses(() => parse(svc('    pids_limit: 1.5\n')), /pids_limit must be an integer/);
    refuses(
      () => parse(svc('    cgroup: shared\n')),
      /^compose\.yml:4: .*cgroup must be "host" or "private"/,
    );
    refuses(() => parse(svc('    network_mode: [host]\n')), /network_mode must be a string/);
    refuses(() => parse(svc('    deploy: 3\n')), /^compose\.yml:4: .*deploy must be a map/);
    refuses(() => parse(svc('    healthcheck:\n      test: 5\n')), /^compose\.yml:5: .*healthcheck\.test/);
  });

  it('refuses bad values of the short and long syntaxes', () => {
    refuses(
      () => parse(svc('    ports:\n      - "99999:80"\n')),
      /^compose\.yml:5: service "web": invalid port/,
    );
    refuses(() => parse(svc('    ports:\n      - 0\n')), /^compose\.yml:5: .*invalid port/);
    refuses(() => parse(svc('    ports:\n      - {published: 80}\n')), /^compose\.yml:5: .*needs a "target"/);
    refuses(
      () => parse(svc('    volumes:\n      - ./a:/b:bogus\n')),
      /^compose\.yml:5: .*invalid volume option/,
    );
    refuses(
      () => parse(svc('    volumes:\n      - type: bind\n        source: /a\n')),
      /^compose\.yml:5: .*needs a "target"/,
    );
    refuses(
      () => parse(svc('    volumes:\n      - type: weird\n        target: /a\n')),
      /^compose\.yml:5: .*unknown volume type/,
    );
    refuses(() => parse(svc('    volumes:\n      - 42\n')), /^compose\.yml:5: .*strings or maps/);
    refuses(
      () => parse(svc('    devices:\n      - /dev/a:/dev/b:xyz\n')),
      /^compose\.yml:5: .*device permissions/,
    );
    refuses(() => parse(svc('    devices:\n      - a:b:c:d\n')), /^compose\.yml:5: .*invalid device/);
    refuses(() => parse(svc('    tmpfs: [":size=1m"]\n')), /^compose\.yml:4: .*invalid tmpfs/);
    refuses(
      () => parse(svc('    restart: sometimes\n')),
      /^compose\.yml:4: service "web": invalid restart policy/,
    );
    refuses(() => parse(svc('    ulimits:\n      nofiles: 5\n')), /^compose\.yml:5: .*unknown ulimit/);
    refuses(() => parse(svc('    ulimits:\n      nofile: {soft: 5}\n')), /needs both "soft" and "hard"/);
    refuses(
      () => parse(svc('    security_opt: ["bogus=1"]\n')),
      /^compose\.yml:4: service "web": unknown --security-opt/,
    );
    refuses(() => parse(svc('    sysctls: ["novalue"]\n')), /^compose\.yml:4: .*invalid sysctl/);
    refuses(() => parse(svc('    command: echo "open\n')), /^compose\.yml:4: .*unterminated quote/);
    refuses(() => parse(svc('    command: {a: 1}\n')), /command must be a string or a list/);
  });

  it('refuses a document that is not a map', () => {
    refuses(() => parse('- a\n- b\n'), /^compose\.yml:1: a compose file must be a map/);
  });
});
