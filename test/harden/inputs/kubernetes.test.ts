// Tests for the Kubernetes manifest parser: workload kinds, pod/container precedence, legacy annotations,
// quantities, volumes and bad input.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../src/errors.js';
import { parseConfigText } from '../../../src/harden/doc.js';
import { listContainers, parseKubernetes, parseQuantity } from '../../../src/harden/inputs/kubernetes.js';
import type { ContainerSpec } from '../../../src/harden/spec.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/harden/kubernetes');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

function parseAll(text: string, file = 'k8s.yaml'): ContainerSpec[][] {
  return parseConfigText(text, file).map((d) => parseKubernetes(d, file));
}
const parse = (text: string, file = 'k8s.yaml') => parseAll(text, file).flat();

function lineOf(text: string, needle: string, from = 1): number {
  const lines = text.split('\n');
  const i = lines.findIndex((l, n) => n + 1 >= from && l.includes(needle));
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

/** A Pod with one container; `pod` and `ctr` are indented YAML lines for the pod spec and the container. */
function pod(ctr = '', podSpec = '', meta = ''): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: p',
    meta,
    'spec:',
    podSpec,
    '  containers:',
    '  - name: c',
    '    image: alpine',
    ctr,
  ]
    .filter((l) => l !== '')
    .join('\n')
    .concat('\n');
}

describe('parseKubernetes: the shop manifest stream', () => {
  const text = fixture('shop.yaml');
  const docs = parseAll(text, 'shop.yaml');
  const all = new Map(docs.flat().map((s) => [s.source.resource, s]));
  const get = (r: string) => {
    const s = all.get(r);
    assert.ok(s, `no ${r}`);
    return s;
  };

  it('finds the containers of each workload; the Service has none', () => {
    assert.deepEqual(
      docs.map((d) => d.map((s) => s.source.resource)),
      [
        ['Deployment/api container api', 'Deployment/api container log-shipper'],
        [],
        ['CronJob/backup container wait-db (init)', 'CronJob/backup container pg-dump'],
        ['DaemonSet/node-agent container agent'],
      ],
    );
    const api = get('Deployment/api container api');
    assert.deepEqual(api.source, {
      file: 'shop.yaml',
      kind: 'kubernetes',
      line: lineOf(text, '- name: api'),
      resource: 'Deployment/api container api',
    });
    assert.equal(api.name, 'api');
    assert.equal(api.containerKind, 'container');
    assert.equal(get('CronJob/backup container wait-db (init)').containerKind, 'initContainer');
  });

  it('the container securityContext overrides the pod one, field by field', () => {
    const api = get('Deployment/api container api');
    assert.equal(api.user, '1000:3000');
    assert.equal(api.lines.user, lineOf(text, 'runAsUser: 1000'));
    assert.equal(api.noNewPrivileges, true);
    assert.equal(api.readOnlyRootfs, true);
    assert.equal(api.runAsNonRoot, true);
    assert.deepEqual(api.capAdd, ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(api.capDrop, ['ALL']);
    assert.deepEqual(api.seccomp, { kind: 'default' });
    assert.equal(api.lines.seccomp, lineOf(text, 'seccompProfile:'));
    const ship = get('Deployment/api container log-shipper');
    assert.equal(ship.user, '0:3000');
    assert.equal(ship.lines.user, lineOf(text, 'runAsUser: 0'));
    assert.deepEqual(ship.seccomp, { kind: 'unconfined' });
    assert.equal(ship.lines.seccomp, lineOf(text, 'seccompProfile:', lineOf(text, 'runAsUser: 0')));
  });

  it('folds the legacy AppArmor annotations in, per container, and keeps the annotations', () => {
    const api = get('Deployment/api container api');
    assert.deepEqual(api.apparmor, { kind: 'default' });
    assert.equal(api.lines.apparmor, lineOf(text, 'apparmor.security.beta.kubernetes.io/api'));
    assert.deepEqual(get('Deployment/api container log-shipper').apparmor, { kind: 'unconfined' });
    assert.equal(api.annotations?.['prometheus.io/scrape'], 'true');
  });

  it('reads limits, command + args, ports and probes', () => {
    const api = get('Deployment/api container api');
    assert.equal(api.memory, 512 * 2 ** 20);
    assert.equal(api.cpus, 1.5);
    assert.equal(api.lines.memory, lineOf(text, 'memory: 512Mi'));
    assert.deepEqual(api.command, ['gunicorn', '-w', '4', 'shop.wsgi']);
    assert.deepEqual(api.ports, [
      { containerPort: 8000, protocol: 'tcp', line: lineOf(text, '- containerPort: 8000') },
    ]);
    assert.equal(api.healthcheck, true);
    assert.equal(api.lines.healthcheck, lineOf(text, 'livenessProbe:'));
    const ship = get('Deployment/api container log-shipper');
    assert.equal(ship.memory, 128974848);
    assert.equal(ship.cpus, 2);
    assert.equal(ship.healthcheck, undefined);
  });

  it('every pod volume appears on every container; unmounted ones without a target', () => {
    const api = get('Deployment/api container api');
    assert.deepEqual(api.mounts, [
      {
        type: 'volume',
        source: 'config',
        target: '/etc/shop',
        readOnly: true,
        volumeKind: 'configMap',
        line: lineOf(text, '- name: config', lineOf(text, 'volumeMounts:')),
      },
      {
        type: 'tmpfs',
        source: 'cache',
        readOnly: false,
        volumeKind: 'emptyDir',
        line: lineOf(text, '- name: cache'),
      },
    ]);
    const ship = get('Deployment/api container log-shipper');
    assert.deepEqual(
      ship.mounts.map((m) => [m.source, m.target, m.volumeKind]),
      [
        ['config', undefined, 'configMap'],
        ['cache', undefined, 'emptyDir'],
      ],
    );
  });

  it('CronJob: init containers, the legacy seccomp pod annotation and restartPolicy', () => {
    const init = get('CronJob/backup container wait-db (init)');
    assert.deepEqual(init.seccomp, { kind: 'unconfined' });
    assert.equal(init.lines.seccomp, lineOf(text, 'seccomp.security.alpha.kubernetes.io/pod'));
    assert.deepEqual(init.restart, { policy: 'on-failure' });
    assert.deepEqual(init.command, ['sh', '-c', 'until nc -z db 5432; do sleep 2; done']);
    const dump = get('CronJob/backup container pg-dump');
    assert.deepEqual(dump.capAdd, ['CAP_DAC_READ_SEARCH']);
    assert.equal(dump.memory, 2 ** 30);
    assert.deepEqual(
      dump.mounts.map((m) => [m.type, m.source, m.target, m.volumeKind]),
      [
        ['volume', 'backups', '/backups', 'persistentVolumeClaim'],
        ['volume', 'scripts', '/scripts', 'configMap'],
      ],
    );
  });

  it('DaemonSet: host namespaces, privileged, procMount, SELinux, hostPath mounts and host ports', () => {
    const a = get('DaemonSet/node-agent container agent');
    assert.equal(a.network, 'host');
    assert.equal(a.pid, 'host');
    assert.equal(a.ipc, undefined);
    assert.equal(a.lines.pid, lineOf(text, 'hostPID: true'));
    assert.equal(a.privileged, true);
    assert.equal(a.procMount, 'Unmasked');
    assert.deepEqual(a.selinux, { type: 'spc_t' });
    assert.deepEqual(
      a.mounts.map(({ line, ...m }) => m),
      [
        {
          type: 'hostPath',
          source: '/var/run/docker.sock',
          target: '/var/run/docker.sock',
          readOnly: false,
          volumeKind: 'hostPath',
        },
        { type: 'hostPath', source: '/proc', target: '/host/proc', readOnly: true, volumeKind: 'hostPath' },
        {
          type: 'hostPath',
          source: '/sys/fs/cgroup',
          target: '/host/sys/fs/cgroup',
          readOnly: false,
          volumeKind: 'hostPath',
          propagation: 'Bidirectional',
        },
      ],
    );
    assert.deepEqual(
      a.ports.map(({ line, ...p }) => p),
      [{ containerPort: 8125, protocol: 'udp', hostPort: 8125 }],
    );
  });
});

describe('parseKubernetes: a JSON List', () => {
  const text = fixture('list.yaml');
  const specs = parse(text, 'list.yaml');

  it('expands the items: Pod with an ephemeral container, PodTemplate; the ConfigMap gives none', () => {
    assert.deepEqual(
      specs.map((s) => s.source.resource),
      [
        'Pod/debug container shell',
        'Pod/debug container debugger (ephemeral)',
        'PodTemplate/tpl container job',
      ],
    );
    assert.equal(specs[1]?.containerKind, 'ephemeralContainer');
    assert.deepEqual(specs[1]?.capAdd, ['CAP_SYS_PTRACE']);
  });

  it('reads Localhost profiles, the container seccomp annotation, hostIPC, hostUsers and sysctls', () => {
    const shell = specs[0] as ContainerSpec;
    assert.deepEqual(shell.seccomp, { kind: 'custom', ref: 'localhost/profiles/audit.json' });
    assert.deepEqual(shell.apparmor, { kind: 'custom', ref: 'localhost/k8s-shell' });
    assert.equal(shell.ipc, 'host');
    assert.equal(shell.userns, 'private');
    assert.deepEqual(shell.sysctls, { 'kernel.shm_rmid_forced': '1' });
    assert.equal(shell.hostProcess, false);
    assert.equal(shell.memory, 1.5 * 2 ** 30);
    assert.equal(shell.cpus, 0.5);
    assert.equal(shell.lines.ipc, lineOf(text, '"hostIPC"'));
    const tpl = specs[2] as ContainerSpec;
    assert.deepEqual(tpl.restart, { policy: 'no' });
    assert.equal(tpl.memory, 129e6);
  });
});

describe('parseKubernetes: precedence and mapping details', () => {
  it('seccomp: container field, then container annotation, then pod field, then pod annotation', () => {
    const ann = (a: string) => `  annotations:\n${a}`;
    const ctrAnn = '    container.seccomp.security.alpha.kubernetes.io/c: localhost/ann.json';
    const podAnn = '    seccomp.security.alpha.kubernetes.io/pod: unconfined';
    const podField = '  securityContext:\n    seccompProfile:\n      type: RuntimeDefault';
    const ctrField =
      '    securityContext:\n      seccompProfile:\n        type: Localhost\n        localhostProfile: f.json';
    const seccomp = (ctr: string, podSpec: string, meta: string) =>
      parse(pod(ctr, podSpec, meta))[0]?.seccomp;
    assert.deepEqual(seccomp(ctrField, podField, ann(`${ctrAnn}\n${podAnn}`)), {
      kind: 'custom',
      ref: 'localhost/f.json',
    });
    assert.deepEqual(seccomp('', podField, ann(`${ctrAnn}\n${podAnn}`)), {
      kind: 'custom',
      ref: 'localhost/ann.json',
    });
    assert.deepEqual(seccomp('', podField, ann(podAnn)), { kind: 'default' });
    assert.deepEqual(seccomp('', '', ann(podAnn)), { kind: 'unconfined' });
    assert.equal(seccomp('', '', ''), undefined);
  });

  it('AppArmor: the field wins over the annotation; the pod field is the default', () => {
    const meta = '  annotations:\n    container.apparmor.security.beta.kubernetes.io/c: unconfined';
    const ctr = '    securityContext:\n      appArmorProfile:\n        type: RuntimeDefault';
    assert.deepEqual(parse(pod(ctr, '', meta))[0]?.apparmor, { kind: 'default' });
    assert.deepEqual(parse(pod('', '', meta))[0]?.apparmor, { kind: 'unconfined' });
    const podLevel = '  securityContext:\n    appArmorProfile:\n      type: Unconfined';
    assert.deepEqual(parse(pod('', podLevel))[0]?.apparmor, { kind: 'unconfined' });
  });

  it('allowPrivilegeEscalation true is noNewPrivileges false; hostUsers true leaves userns unset', () => {
    const s = parse(
      pod('    securityContext:\n      allowPrivilegeEscalation: true', '  hostUsers: true'),
    )[0];
    assert.equal(s?.noNewPrivileges, false);
    assert.equal(s?.userns, undefined);
    assert.equal(s?.network, undefined);
  });

  it('runAsGroup alone sets no user; seLinuxOptions of the container replace the pod ones', () => {
    const s = parse(
      pod(
        '    securityContext:\n      seLinuxOptions:\n        level: "s0:c1"',
        '  securityContext:\n    runAsGroup: 5\n    seLinuxOptions:\n      type: spc_t',
      ),
    )[0];
    assert.equal(s?.user, undefined);
    assert.deepEqual(s?.selinux, { level: 's0:c1' });
  });

  it('a sidecar init container with restartPolicy Always overrides the pod policy', () => {
    const text = `apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - name: proxy
        image: envoy
        restartPolicy: Always
      containers:
      - name: main
        image: app
`;
    const specs = parse(text);
    assert.deepEqual(
      specs.map((s) => [s.source.resource, s.restart?.policy]),
      [
        ['Job/j container proxy (init)', 'always'],
        ['Job/j container main', 'no'],
      ],
    );
  });

  it('every workload kind finds its pod template', () => {
    const tpl = '  template:\n    spec:\n      containers:\n      - name: c\n        image: i\n';
    for (const kind of [
      'Deployment',
      'StatefulSet',
      'DaemonSet',
      'ReplicaSet',
      'ReplicationController',
      'Job',
    ]) {
      const specs = parse(`apiVersion: v1\nkind: ${kind}\nmetadata: {name: w}\nspec:\n${tpl}`);
      assert.deepEqual(
        specs.map((s) => s.source.resource),
        [`${kind}/w container c`],
      );
    }
    assert.equal(
      parse(
        'apiVersion: v1\nkind: PodTemplate\nmetadata: {name: t}\ntemplate:\n  spec:\n    containers: [{name: c}]\n',
      )[0]?.name,
      'c',
    );
    assert.deepEqual(parse('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n'), []);
    assert.deepEqual(parse('apiVersion: example.com/v1\nkind: Widget\nspec: {containers: 5}\n'), []);
  });

  it('listContainers gives the paths the renderer edits', () => {
    const text = fixture('shop.yaml');
    const docs = parseConfigText(text, 'shop.yaml');
    const refs = listContainers(docs[2] as (typeof docs)[0], 'shop.yaml');
    assert.deepEqual(
      refs.map((r) => r.path),
      [
        ['spec', 'jobTemplate', 'spec', 'template', 'spec', 'initContainers', 0],
        ['spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', 0],
      ],
    );
    assert.deepEqual(refs[0]?.metaPath, ['spec', 'jobTemplate', 'spec', 'template', 'metadata']);
  });
});

describe('parseQuantity', () => {
  it('reads binary, decimal, exponent and milli quantities', () => {
    const cases: [unknown, number][] = [
      ['512Mi', 512 * 2 ** 20],
      ['1G', 1e9],
      ['128974848', 128974848],
      ['129e6', 129e6],
      ['1.5Gi', 1.5 * 2 ** 30],
      ['500m', 0.5],
      ['1.5', 1.5],
      [2, 2],
      ['100k', 1e5],
      ['1Ki', 1024],
      ['+1', 1],
      ['.5', 0.5],
    ];
    for (const [v, n] of cases) assert.equal(parseQuantity(v), n, String(v));
  });

  it('refuses what is no quantity', () => {
    for (const v of ['lots', '-1', '1Xi', '1 Gi', '', 'Mi', '1e', null, true, {}, -5, Number.NaN])
      assert.equal(parseQuantity(v), undefined, String(v));
  });
});

describe('parseKubernetes: bad input', () => {
  /** Refused with the line of the first line of `text` containing `needle`. */
  function refusesAt(text: string, needle: string, re: RegExp): void {
    const line = lineOf(text, needle);
    refuses(() => parse(text), new RegExp(`^k8s\\.yaml:${line}: ${re.source}`));
  }

  it('refuses wrong types with file:line', () => {
    refusesAt(
      pod('    securityContext:\n      privileged: "yes"'),
      'privileged',
      /privileged must be true or false/,
    );
    refusesAt(pod('    securityContext:\n      runAsUser: -1'), 'runAsUser', /runAsUser must be an integer/);
    refusesAt(pod('    securityContext: []'), 'securityContext', /securityContext must be a map/);
    refusesAt(
      pod('    securityContext:\n      capabilities:\n        add: SYS_ADMIN'),
      'add:',
      /capabilities\.add must be a list/,
    );
    refusesAt(
      pod('    ports:\n    - containerPort: 70000'),
      'containerPort',
      /containerPort must be an integer from 1 to 65535/,
    );
    refusesAt(
      pod('    ports:\n    - containerPort: 80\n      protocol: tcp'),
      'protocol',
      /protocol must be TCP, UDP or SCTP/,
    );
    refusesAt(
      pod('    resources:\n      limits:\n        memory: lots'),
      'memory',
      /limits\.memory is not a quantity/,
    );
    refusesAt(
      pod('    securityContext:\n      seccompProfile:\n        type: Bogus'),
      'type: Bogus',
      /seccompProfile\.type must be/,
    );
    refusesAt(
      pod('    securityContext:\n      seccompProfile:\n        type: Localhost'),
      'seccompProfile',
      /seccompProfile of type Localhost needs a localhostProfile/,
    );
    refusesAt(
      pod('', '  restartPolicy: Sometimes'),
      'restartPolicy',
      /restartPolicy must be Always, OnFailure or Never/,
    );
    refusesAt(pod('    command: echo'), 'command', /command must be a list/);
    refusesAt(pod('', '', '  annotations:\n    a: 5'), 'a: 5', /annotation "a" must be a string/);
  });

  it('refuses volumes that do not add up', () => {
    refusesAt(
      pod('    volumeMounts:\n    - name: nope\n      mountPath: /x'),
      'name: nope',
      /volumeMount "nope" names no volume/,
    );
    refusesAt(
      pod('    volumeMounts:\n    - name: v', '  volumes:\n  - name: v\n    emptyDir: {}'),
      '    - name: v',
      /volumeMount "v" needs a mountPath/,
    );
    const dup = pod('', '  volumes:\n  - name: v\n    emptyDir: {}\n  - name: v\n    secret: {}');
    refuses(
      () => parse(dup),
      new RegExp(`^k8s\\.yaml:${lineOf(dup, 'secret') - 1}: two volumes are named "v"`),
    );
    refusesAt(
      pod('', '  volumes:\n  - name: h\n    hostPath: {}'),
      'hostPath',
      /a hostPath volume needs a "path"/,
    );
  });

  it('refuses workloads without a pod spec or containers, and unnamed or duplicate containers', () => {
    refuses(
      () => parse('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 1\n'),
      /^k8s\.yaml:4: Deployment\/d has no pod spec \(spec\.template\.spec\)/,
    );
    refuses(
      () => parse('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template: 5\n'),
      /^k8s\.yaml:5: spec\.template must be a map/,
    );
    refuses(
      () => parse('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: []\n'),
      /^k8s\.yaml:4: Pod\/p has no containers/,
    );
    refuses(
      () => parse('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: 5\n'),
      /^k8s\.yaml:5: containers must be a list/,
    );
    refuses(
      () => parse('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - image: x\n'),
      /^k8s\.yaml:6: a container of Pod\/p has no name/,
    );
    refuses(
      () =>
        parse(
          'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: a}]\n  containers: [{name: a}]\n',
        ),
      /^k8s\.yaml:6: Pod\/p has two containers named "a"/,
    );
  });

  it('refuses documents that are no Kubernetes object, and Lists nested too deep', () => {
    refuses(
      () => parse('apiVersion: v1\nmetadata: {name: x}\n'),
      /^k8s\.yaml:1: a Kubernetes object needs a "kind"/,
    );
    refuses(() => parse('- a\n- b\n'), /^k8s\.yaml:1: a Kubernetes object must be a map/);
    refuses(() => parse('kind: 5\n'), /^k8s\.yaml:1: kind must be a string/);
    refuses(() => parse('kind: List\nitems: [1]\n'), /^k8s\.yaml:2: a Kubernetes object must be a map/);
    let deep = '{"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}';
    for (let i = 0; i < 4; i++) deep = `{"kind": "List", "items": [${deep}]}`;
    assert.equal(parse(deep).length, 1);
    refuses(() => parse(`{"kind": "List", "items": [${deep}]}`), /Lists nested more than 4 deep/);
  });
});
