// Tests for the Kubernetes renderer: hardened containers read back as planned, other documents and
// keys survive untouched.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../src/errors.js';
import { parseConfigText } from '../../../src/harden/doc.js';
import { parseKubernetes } from '../../../src/harden/inputs/kubernetes.js';
import type { HardeningPlan } from '../../../src/harden/plan-types.js';
import { cpuQuantity, mebibytes, renderKubernetes } from '../../../src/harden/render/kubernetes.js';
import type { ContainerSpec } from '../../../src/harden/spec.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/harden/kubernetes');
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
  const specs = parseConfigText(text, 'out.yaml').flatMap((d) => parseKubernetes(d, 'out.yaml'));
  return new Map(specs.map((s) => [s.source.resource, s]));
}

/** The documents of a stream as text, split at the `---` lines. */
const documents = (text: string) => text.split(/^---.*\n/m);

function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

function assertApplied(s: ContainerSpec, p: HardeningPlan): void {
  const what = s.source.resource;
  assert.deepEqual(s.capDrop, ['ALL'], what);
  assert.deepEqual(s.capAdd, p.capAdd, what);
  assert.notEqual(s.privileged, true, what);
  assert.equal(s.noNewPrivileges, true, what);
  assert.equal(s.readOnlyRootfs, true, what);
  assert.equal(s.memory, Math.ceil(p.memory / MiB) * MiB, what);
  if (p.cpus !== undefined) assert.equal(s.cpus, p.cpus, what);
  if (p.seccomp.kind === 'default') assert.deepEqual(s.seccomp, { kind: 'default' }, what);
  else assert.deepEqual(s.seccomp, p.seccomp, what);
  if (p.apparmor) assert.deepEqual(s.apparmor, p.apparmor, what);
  for (const t of p.tmpfs) {
    const m = s.mounts.find((x) => x.target === t.target);
    assert.ok(m && (m.type === 'tmpfs' || m.volumeKind === 'emptyDir'), `${what}: scratch dir ${t.target}`);
  }
  for (const ns of p.privateNamespaces) assert.notEqual(s[ns], 'host', `${what}: ${ns}`);
  for (const target of p.readOnlyMounts)
    assert.equal(s.mounts.find((m) => m.target === target)?.readOnly, true, `${what}: ${target} read-only`);
  for (const target of p.privatePropagation)
    assert.equal(s.mounts.find((m) => m.target === target)?.propagation, undefined, `${what}: ${target}`);
  const numeric = p.user === undefined ? undefined : /^(\d+)/.exec(p.user);
  if (numeric) assert.equal(s.user?.split(':')[0], numeric[1], what);
  if (numeric?.[1] !== '0') assert.equal(s.runAsNonRoot, true, what);
}

const shopPlans = new Map<string, HardeningPlan>([
  ['Deployment/api container api', plan({ capAdd: ['CAP_NET_BIND_SERVICE'], cpus: 1.5 })],
  ['Deployment/api container log-shipper', plan({ user: '10001:10001', memory: 100 * MiB + 1, cpus: 0.25 })],
  ['CronJob/backup container wait-db (init)', plan({ memory: 32 * MiB, tmpfs: [] })],
  [
    'CronJob/backup container pg-dump',
    plan({ capAdd: ['CAP_DAC_READ_SEARCH'], seccomp: { kind: 'custom', ref: 'localhost/pg-dump.json' } }),
  ],
  [
    'DaemonSet/node-agent container agent',
    plan({
      capAdd: ['CAP_SYS_PTRACE'],
      privateNamespaces: ['network', 'pid'],
      readOnlyMounts: ['/var/run/docker.sock', '/host/sys/fs/cgroup'],
      privatePropagation: ['/host/sys/fs/cgroup'],
    }),
  ],
]);

describe('renderKubernetes: the shop manifest stream', () => {
  const input = fixture('shop.yaml');
  const out = renderKubernetes(input, 'shop.yaml', shopPlans);
  const back = parseBack(out);

  it('every planned container reads back as its plan', () => {
    assert.equal(back.size, 5);
    for (const [r, p] of shopPlans) assertApplied(back.get(r) as ContainerSpec, p);
  });

  it('keeps the stream: the Service document byte for byte, comments and unrelated keys', () => {
    const ins = documents(input);
    const outs = documents(out);
    assert.equal(outs.length, ins.length);
    assert.equal(outs[1], ins[1], 'the Service document');
    for (const s of [
      '# Web shop manifests: the API Deployment, its Service, a nightly backup CronJob',
      '- name: api   # the application',
      'name: api   # same name as the Deployment',
      'prometheus.io/scrape: "true"',
      'schedule: "0 3 * * *"',
      'dnsPolicy: ClusterFirstWithHostNet',
      "command: ['sh', '-c', 'until nc -z db 5432; do sleep 2; done']",
      'defaultMode: 0755',
      'type: Socket',
    ])
      assert.ok(out.includes(s), `kept: ${s}`);
  });

  it('keeps what the plan does not touch', () => {
    const api = back.get('Deployment/api container api') as ContainerSpec;
    assert.equal(api.user, '1000:3000', 'the pod-level user stays');
    assert.equal(api.healthcheck, true);
    assert.deepEqual(api.command, ['gunicorn', '-w', '4', 'shop.wsgi']);
    assert.equal(api.mounts.find((m) => m.target === '/etc/shop')?.readOnly, true);
    const agent = back.get('DaemonSet/node-agent container agent') as ContainerSpec;
    assert.equal(agent.mounts.find((m) => m.target === '/host/proc')?.readOnly, true);
    assert.equal(agent.ports[0]?.hostPort, 8125, 'host ports are plan notes, not removed');
    assert.deepEqual(agent.selinux, { type: 'spc_t' });
  });

  it('writes Kubernetes spellings: RuntimeDefault, Localhost profiles, Mi and millicores', () => {
    assert.match(out, /seccompProfile:\n {16}type: Localhost\n {16}localhostProfile: pg-dump\.json\n/);
    assert.match(out, /memory: 101Mi\n {12}cpu: 250m\n/);
    assert.match(out, /capabilities:\n {12}drop: \[ALL\]\n {12}add: \[SYS_PTRACE\]\n/);
    assert.match(
      out,
      /- name: log-shipper-tmp-tmp\n {8}emptyDir:\n {10}medium: Memory\n {10}sizeLimit: 64Mi\n/,
    );
    assert.doesNotMatch(out, /hostPID|hostNetwork|privileged: true|type: Unconfined/);
  });

  it('replaces legacy annotations the new fields contradict; keeps the others', () => {
    assert.doesNotMatch(out, /apparmor\.security\.beta\.kubernetes\.io/);
    assert.match(out, /annotations:\n {8}prometheus\.io\/scrape: "true"\n/);
    const apiOnly = renderKubernetes(
      input,
      'shop.yaml',
      new Map([
        ['Deployment/api container api', shopPlans.get('Deployment/api container api') as HardeningPlan],
      ]),
    );
    assert.doesNotMatch(apiOnly, /apparmor\.security\.beta\.kubernetes\.io\/api/);
    assert.match(apiOnly, /container\.apparmor\.security\.beta\.kubernetes\.io\/log-shipper: unconfined/);
    const ship = back.get('Deployment/api container log-shipper') as ContainerSpec;
    assert.equal(ship.user, '10001:10001');
    assert.deepEqual(ship.apparmor, { kind: 'default' });
  });

  it('lowers a request above the new limit', () => {
    const p = plan({ memory: 128 * MiB, cpus: 0.1 });
    const o = renderKubernetes(input, 'shop.yaml', new Map([['Deployment/api container api', p]]));
    assert.match(
      o,
      /requests:\n {12}cpu: 100m\n {12}memory: 128Mi\n {10}limits:\n {12}cpu: "100m"\n {12}memory: 128Mi\n/,
    );
  });

  it('is idempotent', () => {
    assert.equal(renderKubernetes(out, 'shop.yaml', shopPlans), out);
  });

  it('leaves documents without a planned container byte for byte', () => {
    const agentOnly = new Map([
      [
        'DaemonSet/node-agent container agent',
        shopPlans.get('DaemonSet/node-agent container agent') as HardeningPlan,
      ],
    ]);
    const o = renderKubernetes(input, 'shop.yaml', agentOnly);
    const head = (t: string) => t.slice(0, t.indexOf('kind: DaemonSet'));
    assert.equal(head(o), head(input));
  });
});

describe('renderKubernetes: other shapes', () => {
  it('a JSON List: the planned Pod container is hardened, the rest parses back as before', () => {
    const input = fixture('list.yaml');
    const p = plan({
      seccomp: { kind: 'custom', ref: 'localhost/profiles/audit.json' },
      apparmor: undefined,
    });
    const out = renderKubernetes(input, 'list.yaml', new Map([['Pod/debug container shell', p]]));
    assert.ok(out.startsWith('{\n  "apiVersion": "v1",\n  "kind": "List",\n'), 'JSON stays JSON');
    assert.doesNotThrow(() => JSON.parse(out));
    const back = parseBack(out);
    assertApplied(back.get('Pod/debug container shell') as ContainerSpec, p);
    assert.deepEqual(back.get('Pod/debug container shell')?.apparmor, {
      kind: 'custom',
      ref: 'localhost/k8s-shell',
    });
    const before = parseBack(input);
    for (const r of ['Pod/debug container debugger (ephemeral)', 'PodTemplate/tpl container job']) {
      const { lines: _a, source: _b, ...was } = before.get(r) as ContainerSpec;
      const { lines: _c, source: _d, ...now } = back.get(r) as ContainerSpec;
      if (r.startsWith('Pod/')) {
        // The shell container's scratch volume is the pod's, so every container sees it; its legacy
        // seccomp annotation went with the field that replaced it.
        now.mounts = now.mounts.filter((m) => m.volumeKind !== 'emptyDir');
        assert.equal(now.annotations, undefined);
        was.annotations = undefined;
        now.annotations = undefined;
      }
      assert.deepEqual(now, was, r);
    }
  });

  it('numeric and root users; two containers of one pod get distinct scratch volumes', () => {
    const input = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: a
    image: a
  - name: b
    image: b
`;
    const out = renderKubernetes(
      input,
      'p.yaml',
      new Map([
        ['Pod/p container a', plan({ user: '0' })],
        ['Pod/p container b', plan({ user: '2000:3000' })],
      ]),
    );
    const back = parseBack(out);
    const a = back.get('Pod/p container a') as ContainerSpec;
    const b = back.get('Pod/p container b') as ContainerSpec;
    assert.equal(a.user, '0');
    assert.equal(a.runAsNonRoot, undefined, 'runAsNonRoot with user 0 would never start');
    assert.equal(b.user, '2000:3000');
    assert.equal(b.runAsNonRoot, true);
    assert.match(out, /- name: a-tmp-tmp\n/);
    assert.match(out, /- name: b-tmp-tmp\n/);
    assert.equal(a.mounts.find((m) => m.target === '/tmp')?.source, 'a-tmp-tmp');
    assert.equal(b.mounts.find((m) => m.target === '/tmp')?.source, 'b-tmp-tmp');
  });

  it('a scratch dir the container already mounts is not added twice', () => {
    const input = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: c
    volumeMounts:
    - {name: t, mountPath: /tmp}
  volumes:
  - {name: t, emptyDir: {}}
`;
    const out = renderKubernetes(input, 'p.yaml', new Map([['Pod/p container c', plan()]]));
    assert.doesNotMatch(out, /c-tmp-tmp/);
    assert.equal(parseBack(out).get('Pod/p container c')?.mounts.length, 1);
  });

  it('empty securityContext, resources and volumes keys are filled in', () => {
    const input =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes:\n  containers:\n  - name: c\n    securityContext:\n    resources:\n';
    const out = renderKubernetes(input, 'p.yaml', new Map([['Pod/p container c', plan()]]));
    assertApplied(parseBack(out).get('Pod/p container c') as ContainerSpec, plan());
  });

  it('quantities are written as the API spells them', () => {
    assert.equal(mebibytes(512 * MiB), '512Mi');
    assert.equal(mebibytes(512 * MiB + 1), '513Mi');
    assert.equal(mebibytes(1), '1Mi');
    assert.equal(cpuQuantity(2), 2);
    assert.equal(cpuQuantity(1.5), '1500m');
    assert.equal(cpuQuantity(0.0001), '1m');
  });
});

describe('renderKubernetes: bad input', () => {
  it('refuses a plan for a container the stream does not have, and broken streams', () => {
    const input = fixture('shop.yaml');
    refuses(
      () => renderKubernetes(input, 'shop.yaml', new Map([['Deployment/web container app', plan()]])),
      /^shop\.yaml: no Deployment\/web container app to harden$/,
    );
    refuses(() => renderKubernetes('kind: [\n', 'k.yaml', new Map()), /^k\.yaml:\d+: not valid YAML/);
    refuses(
      () =>
        renderKubernetes(
          'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: 5\n',
          'k.yaml',
          new Map([['Pod/p container c', plan()]]),
        ),
      /^k\.yaml:5: containers must be a list/,
    );
  });

  it('documents that are no Kubernetes object are kept, not refused', () => {
    const input =
      '# notes\nfoo: bar\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i}]\n';
    const out = renderKubernetes(input, 'k.yaml', new Map([['Pod/p container c', plan()]]));
    assert.ok(out.startsWith('# notes\nfoo: bar\n---\n'));
    assertApplied(parseBack(out.slice(out.indexOf('---'))).get('Pod/p container c') as ContainerSpec, plan());
  });
});
