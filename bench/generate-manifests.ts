// Generates N Kubernetes manifest files for the audit benchmark: a mix of Deployments,
// StatefulSets, DaemonSets and CronJobs with 1-3 containers, init containers, probes, hostPath and
// configMap volumes, some risky settings, each file with a Service after the workload (deterministic).
// Usage: node --import tsx bench/generate-manifests.ts N OUT_DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [nArg = '', out = ''] = process.argv.slice(2);
const n = Number(nArg);
if (!Number.isInteger(n) || n < 1 || !out) {
  console.error('usage: generate-manifests.ts N OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

let seed = 42;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)] as T;

function container(name: string, i: number): string {
  const risky = rnd() < 0.3;
  const lines = [
    `      - name: ${name}`,
    `        image: registry.example/team${i % 17}/${name}:${1 + (i % 9)}.${i % 13}`,
    `        args: ["--port", "${8000 + (i % 100)}"]`,
    '        ports:',
    `        - containerPort: ${pick([80, 443, 8080, 9090])}`,
    ...(risky ? [`          hostPort: ${pick([80, 8080])}`] : []),
    '        securityContext:',
    ...(risky
      ? [
          '          privileged: true',
          '          capabilities:',
          `            add: [${pick(['NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE'])}]`,
        ]
      : [
          '          allowPrivilegeEscalation: false',
          '          readOnlyRootFilesystem: true',
          '          runAsNonRoot: true',
          `          runAsUser: ${1000 + (i % 50)}`,
          '          capabilities:',
          '            drop: [ALL]',
        ]),
    '        resources:',
    `          limits: {memory: ${pick(['128Mi', '256Mi', '1Gi'])}, cpu: ${pick(['250m', '500m', '1'])}}`,
    '        livenessProbe:',
    `          httpGet: {path: /healthz, port: ${8000 + (i % 100)}}`,
    '        volumeMounts:',
    '        - {name: config, mountPath: /etc/app, readOnly: true}',
    ...(risky ? ['        - {name: host, mountPath: /host}'] : []),
  ];
  return lines.join('\n');
}

for (let i = 0; i < n; i++) {
  const kind = pick(['Deployment', 'Deployment', 'StatefulSet', 'DaemonSet', 'CronJob']);
  const name = `svc-${i}`;
  const containers = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, k) =>
    container(`c${k}`, i + k),
  ).join('\n');
  const podSpec = [
    '      securityContext:',
    '        seccompProfile: {type: RuntimeDefault}',
    ...(rnd() < 0.2 ? ['      hostNetwork: true', '      hostPID: true'] : []),
    '      initContainers:',
    '      - name: init',
    '        image: busybox:1.36',
    '        command: ["sh", "-c", "echo init"]',
    '      containers:',
    containers,
    '      volumes:',
    '      - name: config',
    `        configMap: {name: ${name}-config}`,
    '      - name: host',
    `        hostPath: {path: ${pick(['/var/log', '/var/run/docker.sock', '/data', '/etc'])}}`,
  ].join('\n');
  const indent = (s: string, k: number) => s.replace(/^/gm, ' '.repeat(k));
  const template = `    metadata:\n      labels: {app: ${name}}\n    spec:\n${podSpec}`;
  const workload =
    kind === 'CronJob'
      ? `apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: ${name}\nspec:\n  schedule: "*/5 * * * *"\n  jobTemplate:\n    spec:\n      template:\n${indent(template.replace(/^ {4}/gm, ''), 8)}\n`
      : `apiVersion: apps/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: team-${i % 17}\nspec:\n  selector:\n    matchLabels: {app: ${name}}\n  template:\n${template}\n`;
  const service = `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector: {app: ${name}}\n  ports:\n  - port: 80\n    targetPort: 8080\n`;
  writeFileSync(path.join(out, `${name}.yaml`), `${workload}---\n${service}`);
}
