// The rule corpus: one hardened container ("baseline") and, per rule, the change that breaks it,
// written out in every input form the change can be expressed in: a docker run line, a compose
// service, a Kubernetes Pod, docker inspect JSON and an OCI config.json. The emitters are written
// from the formats' references, independently of drydock's parsers.

export interface Mount {
  src: string;
  dst: string;
  ro?: boolean;
  prop?: string;
}
export interface Port {
  hostIp?: string;
  hostPort: number;
  containerPort: number;
}

/** A container described once, independent of any form. */
export interface Intent {
  image: string;
  privileged?: boolean;
  capAdd: string[];
  capDrop: string[];
  user?: string;
  readOnly?: boolean;
  memoryMiB?: number;
  cpus?: number;
  pids?: number;
  nnp?: boolean;
  seccomp?: 'default' | 'unconfined' | 'none';
  apparmor?: 'default' | 'unconfined';
  selinuxType?: string;
  selinuxDisable?: boolean;
  network?: string;
  pid?: string;
  ipc?: string;
  uts?: string;
  userns?: string;
  mounts: Mount[];
  devices: string[];
  ports: Port[];
  publishAll?: boolean;
  restart?: string;
  cgroupParent?: string;
  healthcheck?: boolean;
  sysctls: Record<string, string>;
  unmaskedProc?: boolean;
  hostProcess?: boolean;
  nfsVolume?: boolean;
}

export type Form = 'docker-run' | 'compose' | 'kubernetes' | 'inspect' | 'oci';
export const FORMS: Form[] = ['docker-run', 'compose', 'kubernetes', 'inspect', 'oci'];

export function baseline(): Intent {
  return {
    image: 'registry.example/app:1.2',
    capAdd: [],
    capDrop: ['ALL'],
    user: '1000:1000',
    readOnly: true,
    memoryMiB: 256,
    cpus: 0.5,
    pids: 100,
    nnp: true,
    seccomp: 'default',
    apparmor: 'default',
    network: 'appnet',
    mounts: [],
    devices: [],
    ports: [],
    restart: 'on-failure:3',
    healthcheck: true,
    sysctls: {},
  };
}

const DEFAULT14 = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

/** The bounding set, for forms that spell it out (OCI); written without drydock's code. */
function boundingSet(i: Intent): string[] {
  const add = i.capAdd.map((c) => c.toUpperCase().replace(/^CAP_/, ''));
  const drop = i.capDrop.map((c) => c.toUpperCase().replace(/^CAP_/, ''));
  let set: string[];
  if (drop.includes('ALL')) set = add;
  else set = [...DEFAULT14.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(set)].map((c) => `CAP_${c}`);
}

const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function dockerRun(i: Intent): string | undefined {
  if (i.hostProcess || i.nfsVolume) return undefined;
  const a: string[] = ['docker', 'run', '-d', '--name', 'app'];
  if (i.privileged) a.push('--privileged');
  for (const c of i.capDrop) a.push('--cap-drop', c);
  for (const c of i.capAdd) a.push('--cap-add', c);
  if (i.user) a.push('--user', i.user);
  if (i.readOnly) a.push('--read-only');
  if (i.memoryMiB) a.push('--memory', `${i.memoryMiB}m`);
  if (i.cpus) a.push('--cpus', String(i.cpus));
  if (i.pids) a.push('--pids-limit', String(i.pids));
  if (i.nnp) a.push('--security-opt', 'no-new-privileges');
  if (i.seccomp === 'unconfined') a.push('--security-opt', 'seccomp=unconfined');
  if (i.apparmor === 'unconfined') a.push('--security-opt', 'apparmor=unconfined');
  if (i.selinuxType) a.push('--security-opt', `label=type:${i.selinuxType}`);
  if (i.selinuxDisable) a.push('--security-opt', 'label=disable');
  if (i.unmaskedProc) a.push('--security-opt', 'systempaths=unconfined');
  if (i.network) a.push('--network', i.network);
  if (i.pid) a.push('--pid', i.pid);
  if (i.ipc) a.push('--ipc', i.ipc);
  if (i.uts) a.push('--uts', i.uts);
  if (i.userns) a.push('--userns', i.userns);
  for (const m of i.mounts)
    a.push(
      '-v',
      `${m.src}:${m.dst}${m.ro || m.prop ? `:${[m.ro ? 'ro' : '', m.prop ?? ''].filter(Boolean).join(',')}` : ''}`,
    );
  for (const d of i.devices) a.push('--device', d);
  for (const p of i.ports) a.push('-p', `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}:${p.containerPort}`);
  if (i.publishAll) a.push('-P');
  if (i.restart) a.push('--restart', i.restart);
  if (i.cgroupParent) a.push('--cgroup-parent', i.cgroupParent);
  if (i.healthcheck === true) a.push('--health-cmd', 'curl -f http://localhost/ || exit 1');
  if (i.healthcheck === false) a.push('--no-healthcheck');
  for (const [k, v] of Object.entries(i.sysctls)) a.push('--sysctl', `${k}=${v}`);
  a.push(i.image, 'serve', '--port', '8080');
  return `${a.map(q).join(' ')}\n`;
}

const y = (v: unknown) => JSON.stringify(v);

export function compose(i: Intent): string | undefined {
  if (i.hostProcess || i.nfsVolume) return undefined;
  const l: string[] = [
    'services:',
    '  app:',
    `    image: ${y(i.image)}`,
    '    command: ["serve", "--port", "8080"]',
  ];
  if (i.privileged) l.push('    privileged: true');
  if (i.capDrop.length) l.push(`    cap_drop: ${y(i.capDrop)}`);
  if (i.capAdd.length) l.push(`    cap_add: ${y(i.capAdd)}`);
  if (i.user) l.push(`    user: ${y(i.user)}`);
  if (i.readOnly) l.push('    read_only: true');
  if (i.memoryMiB) l.push(`    mem_limit: ${i.memoryMiB}m`);
  if (i.cpus) l.push(`    cpus: ${i.cpus}`);
  if (i.pids) l.push(`    pids_limit: ${i.pids}`);
  const so: string[] = [];
  if (i.nnp) so.push('no-new-privileges:true');
  if (i.seccomp === 'unconfined') so.push('seccomp:unconfined');
  if (i.apparmor === 'unconfined') so.push('apparmor:unconfined');
  if (i.selinuxType) so.push(`label:type:${i.selinuxType}`);
  if (i.selinuxDisable) so.push('label:disable');
  if (i.unmaskedProc) so.push('systempaths=unconfined');
  if (so.length) l.push(`    security_opt: ${y(so)}`);
  if (i.network && i.network !== 'appnet') l.push(`    network_mode: ${y(i.network)}`);
  if (i.pid) l.push(`    pid: ${y(i.pid)}`);
  if (i.ipc) l.push(`    ipc: ${y(i.ipc)}`);
  if (i.uts) l.push(`    uts: ${y(i.uts)}`);
  if (i.userns) l.push(`    userns_mode: ${y(i.userns)}`);
  if (i.mounts.length) {
    l.push('    volumes:');
    for (const m of i.mounts) {
      l.push('      - type: bind', `        source: ${y(m.src)}`, `        target: ${y(m.dst)}`);
      if (m.ro) l.push('        read_only: true');
      if (m.prop) l.push(`        bind: {propagation: ${m.prop}}`);
    }
  }
  if (i.devices.length) l.push(`    devices: ${y(i.devices)}`);
  if (i.ports.length)
    l.push(
      `    ports: ${y(i.ports.map((p) => `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}:${p.containerPort}`))}`,
    );
  if (i.restart) l.push(`    restart: ${y(i.restart)}`);
  if (i.cgroupParent) l.push(`    cgroup_parent: ${y(i.cgroupParent)}`);
  if (i.healthcheck === true)
    l.push('    healthcheck:', '      test: ["CMD", "curl", "-f", "http://localhost/"]');
  if (i.healthcheck === false) l.push('    healthcheck:', '      disable: true');
  if (Object.keys(i.sysctls).length) l.push(`    sysctls: ${y(i.sysctls)}`);
  if (!i.network || i.network === 'appnet') l.push('    networks: [appnet]', 'networks:', '  appnet: {}');
  return `${l.join('\n')}\n`;
}

export function kubernetes(i: Intent): string | undefined {
  if (
    i.uts ||
    i.userns ||
    i.devices.length ||
    i.publishAll ||
    i.restart !== 'on-failure:3' ||
    i.cgroupParent ||
    i.selinuxDisable
  )
    return undefined;
  if (i.network && i.network !== 'appnet' && i.network !== 'host') return undefined;
  const [uid, gid] = (i.user ?? '').split(':');
  const sc: Record<string, unknown> = {};
  if (i.privileged) sc.privileged = true;
  const caps: Record<string, unknown> = {};
  if (i.capDrop.length) caps.drop = i.capDrop;
  if (i.capAdd.length) caps.add = i.capAdd;
  if (Object.keys(caps).length) sc.capabilities = caps;
  if (i.user) {
    sc.runAsUser = Number(uid);
    if (gid) sc.runAsGroup = Number(gid);
    sc.runAsNonRoot = Number(uid) !== 0;
  }
  if (i.readOnly) sc.readOnlyRootFilesystem = true;
  sc.allowPrivilegeEscalation = !i.nnp;
  if (i.seccomp === 'default') sc.seccompProfile = { type: 'RuntimeDefault' };
  if (i.seccomp === 'unconfined') sc.seccompProfile = { type: 'Unconfined' };
  if (i.apparmor === 'default') sc.appArmorProfile = { type: 'RuntimeDefault' };
  if (i.apparmor === 'unconfined') sc.appArmorProfile = { type: 'Unconfined' };
  if (i.selinuxType) sc.seLinuxOptions = { type: i.selinuxType };
  if (i.unmaskedProc) sc.procMount = 'Unmasked';
  if (i.hostProcess) sc.windowsOptions = { hostProcess: true };
  const container: Record<string, unknown> = {
    name: 'app',
    image: i.image,
    args: ['serve', '--port', '8080'],
    securityContext: sc,
  };
  const limits: Record<string, string> = {};
  if (i.memoryMiB) limits.memory = `${i.memoryMiB}Mi`;
  if (i.cpus) limits.cpu = `${i.cpus * 1000}m`;
  if (Object.keys(limits).length) container.resources = { limits };
  if (i.healthcheck) container.livenessProbe = { httpGet: { path: '/', port: 8080 } };
  if (i.ports.length)
    container.ports = i.ports.map((p) => ({
      containerPort: p.containerPort,
      hostPort: p.hostPort,
      ...(p.hostIp ? { hostIP: p.hostIp } : {}),
    }));
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  i.mounts.forEach((m, n) => {
    volumes.push({ name: `v${n}`, hostPath: { path: m.src } });
    mounts.push({
      name: `v${n}`,
      mountPath: m.dst,
      ...(m.ro ? { readOnly: true } : {}),
      ...(m.prop ? { mountPropagation: /shared/.test(m.prop) ? 'Bidirectional' : 'HostToContainer' } : {}),
    });
  });
  if (i.nfsVolume) {
    volumes.push({ name: 'nfs', nfs: { server: 'nfs.example', path: '/export' } });
    mounts.push({ name: 'nfs', mountPath: '/nfs' });
  }
  if (mounts.length) container.volumeMounts = mounts;
  const spec: Record<string, unknown> = { containers: [container] };
  if (i.network === 'host') spec.hostNetwork = true;
  if (i.pid === 'host') spec.hostPID = true;
  if (i.ipc === 'host') spec.hostIPC = true;
  if (volumes.length) spec.volumes = volumes;
  if (Object.keys(i.sysctls).length)
    spec.securityContext = { sysctls: Object.entries(i.sysctls).map(([name, value]) => ({ name, value })) };
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app' }, spec };
  return `${JSON.stringify(pod, null, 2).replace(/^/, '# a Pod written as JSON-flavoured YAML\n')}\n`;
}

export function inspect(i: Intent): string | undefined {
  if (i.hostProcess || i.nfsVolume) return undefined;
  const so: string[] = [];
  if (i.nnp) so.push('no-new-privileges');
  if (i.seccomp === 'unconfined') so.push('seccomp=unconfined');
  if (i.selinuxType) so.push(`label=type:${i.selinuxType}`);
  if (i.selinuxDisable) so.push('label=disable');
  const [rp, rn] = (i.restart ?? 'no').split(':');
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of i.ports) {
    const key = `${p.containerPort}/tcp`;
    bindings[key] = [...(bindings[key] ?? []), { HostIp: p.hostIp ?? '', HostPort: String(p.hostPort) }];
  }
  const c = {
    Id: 'f3c1d6a1b2c34d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6',
    Created: '2026-12-01T10:00:00.000000000Z',
    Path: 'serve',
    Args: ['--port', '8080'],
    State: {
      Status: 'running',
      Running: true,
      Pid: 4242,
      ...(i.healthcheck ? { Health: { Status: 'healthy' } } : {}),
    },
    Image: 'sha256:5b0d3f1b8d1c4c6a0e5a1e6d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1f0a9',
    Name: '/app',
    AppArmorProfile: i.apparmor === 'unconfined' ? 'unconfined' : 'docker-default',
    HostConfig: {
      Binds: i.mounts.map((m) => `${m.src}:${m.dst}${m.ro ? ':ro' : ''}`),
      NetworkMode: i.network ?? 'default',
      PortBindings: bindings,
      RestartPolicy: { Name: rp, MaximumRetryCount: rn ? Number(rn) : 0 },
      CapAdd: i.capAdd.length ? i.capAdd : null,
      CapDrop: i.capDrop.length ? i.capDrop : null,
      CgroupnsMode: 'private',
      IpcMode: i.ipc ?? 'private',
      Cgroup: '',
      PidMode: i.pid ?? '',
      Privileged: !!i.privileged,
      PublishAllPorts: !!i.publishAll,
      ReadonlyRootfs: !!i.readOnly,
      SecurityOpt: so.length ? so : null,
      UTSMode: i.uts ?? '',
      UsernsMode: i.userns ?? '',
      CgroupParent: i.cgroupParent ?? '',
      CpuShares: 0,
      Memory: (i.memoryMiB ?? 0) * 1024 * 1024,
      NanoCpus: Math.round((i.cpus ?? 0) * 1e9),
      Devices: i.devices.map((d) => ({ PathOnHost: d, PathInContainer: d, CgroupPermissions: 'rwm' })),
      MemorySwap: (i.memoryMiB ?? 0) * 2 * 1024 * 1024,
      PidsLimit: i.pids ?? null,
      Ulimits: null,
      Sysctls: Object.keys(i.sysctls).length ? i.sysctls : undefined,
      MaskedPaths: i.unmaskedProc ? [] : ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys'],
      ReadonlyPaths: i.unmaskedProc
        ? []
        : ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
    Mounts: i.mounts.map((m) => ({
      Type: 'bind',
      Source: m.src,
      Destination: m.dst,
      Mode: m.ro ? 'ro' : '',
      RW: !m.ro,
      Propagation: m.prop ?? 'rprivate',
    })),
    Config: {
      Hostname: 'f3c1d6a1b2c3',
      User: i.user ?? '',
      Image: i.image,
      Cmd: ['serve', '--port', '8080'],
      ...(i.healthcheck === true
        ? { Healthcheck: { Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] } }
        : {}),
      ...(i.healthcheck === false ? { Healthcheck: { Test: ['NONE'] } } : {}),
    },
    NetworkSettings: { Networks: { [i.network ?? 'bridge']: {} } },
  };
  return `${JSON.stringify([c], null, 2)}\n`;
}

export function oci(i: Intent): string | undefined {
  if (
    i.privileged ||
    i.hostProcess ||
    i.nfsVolume ||
    i.ports.length ||
    i.publishAll ||
    i.cgroupParent ||
    i.restart !== 'on-failure:3'
  )
    return undefined;
  if (
    i.healthcheck !== true ||
    i.selinuxDisable ||
    i.userns ||
    (i.network && !['appnet', 'host'].includes(i.network))
  )
    return undefined;
  const caps = boundingSet(i);
  const [uid, gid] = (i.user ?? '0:0').split(':');
  const namespaces = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']
    .filter(
      (t) =>
        !(
          (t === 'network' && i.network === 'host') ||
          (t === 'pid' && i.pid === 'host') ||
          (t === 'ipc' && i.ipc === 'host') ||
          (t === 'uts' && i.uts === 'host')
        ),
    )
    .map((type) => ({ type }));
  const process: Record<string, unknown> = {
    terminal: false,
    user: { uid: Number(uid), gid: Number(gid ?? 0) },
    args: ['serve', '--port', '8080'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    cwd: '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges: !!i.nnp,
  };
  if (i.apparmor === 'default') process.apparmorProfile = 'docker-default';
  if (i.selinuxType) process.selinuxLabel = `system_u:system_r:${i.selinuxType}:s0`;
  const linux: Record<string, unknown> = {
    namespaces,
    resources: {
      ...(i.memoryMiB ? { memory: { limit: i.memoryMiB * 1024 * 1024 } } : {}),
      ...(i.cpus ? { cpu: { quota: Math.round(i.cpus * 100000), period: 100000 } } : {}),
      ...(i.pids ? { pids: { limit: i.pids } } : {}),
      devices: [
        { allow: false, access: 'rwm' },
        ...i.devices.map((d) => ({ allow: true, type: 'c', major: 10, minor: 229, access: 'rwm', path: d })),
      ],
    },
    maskedPaths: i.unmaskedProc ? [] : ['/proc/acpi', '/proc/kcore', '/proc/keys'],
    readonlyPaths: i.unmaskedProc ? [] : ['/proc/bus', '/proc/sys'],
  };
  if (i.devices.length) linux.devices = i.devices.map((d) => ({ path: d, type: 'c', major: 10, minor: 229 }));
  if (i.seccomp === 'default')
    linux.seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }],
    };
  if (Object.keys(i.sysctls).length) linux.sysctl = i.sysctls;
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
  ];
  for (const m of i.mounts)
    mounts.push({
      destination: m.dst,
      type: 'bind',
      source: m.src,
      options: ['rbind', m.ro ? 'ro' : 'rw', ...(m.prop ? [m.prop] : [])],
    });
  return `${JSON.stringify({ ociVersion: '1.0.2', process, root: { path: 'rootfs', readonly: !!i.readOnly }, hostname: 'app', mounts, linux }, null, 2)}\n`;
}

export const EMIT: Record<Form, (i: Intent) => string | undefined> = {
  'docker-run': dockerRun,
  compose,
  kubernetes,
  inspect,
  oci,
};

export const EXT: Record<Form, string> = {
  'docker-run': 'sh',
  compose: 'compose.yaml',
  kubernetes: 'pod.yaml',
  inspect: 'inspect.json',
  oci: 'config.json',
};

/** Per rule: the change that breaks the baseline. */
export const VIOLATIONS: Record<string, (i: Intent) => void> = {
  DDC001: (i) => {
    i.privileged = true;
  },
  DDC002: (i) => {
    i.capDrop = [];
    i.capAdd = ['NET_ADMIN'];
  },
  DDC003: (i) => {
    i.capAdd = ['DAC_READ_SEARCH'];
  },
  DDC004: (i) => {
    i.capAdd = ['sys_module'];
  },
  DDC005: (i) => {
    i.capAdd = ['CAP_SYS_ADMIN'];
  },
  DDC006: (i) => {
    i.capAdd = ['SYS_PTRACE'];
  },
  DDC007: (i) => {
    i.capAdd = ['NET_ADMIN'];
  },
  DDC008: (i) => {
    i.capDrop = [];
  },
  DDC009: (i) => {
    i.capDrop = ['MKNOD'];
  },
  DDC010: (i) => {
    i.apparmor = 'unconfined';
  },
  DDC011: (i) => {
    i.selinuxDisable = true;
  },
  DDC012: (i) => {
    i.selinuxType = 'spc_t';
  },
  DDC013: (i) => {
    i.seccomp = 'unconfined';
  },
  DDC014: (i) => {
    i.seccomp = 'none';
  },
  DDC015: (i) => {
    i.nnp = false;
  },
  DDC016: (i) => {
    i.user = '0:0';
  },
  DDC017: (i) => {
    i.user = '0';
  },
  DDC018: (i) => {
    i.readOnly = false;
  },
  DDC019: (i) => {
    i.memoryMiB = undefined;
  },
  DDC020: (i) => {
    i.cpus = undefined;
  },
  DDC021: (i) => {
    i.pids = undefined;
  },
  DDC022: (i) => {
    i.network = 'host';
  },
  DDC023: (i) => {
    i.pid = 'host';
  },
  DDC024: (i) => {
    i.ipc = 'host';
  },
  DDC025: (i) => {
    i.uts = 'host';
  },
  DDC026: (i) => {
    i.userns = 'host';
  },
  DDC027: (i) => {
    i.mounts = [{ src: '/etc', dst: '/host/etc' }];
  },
  DDC028: (i) => {
    i.mounts = [{ src: '/var/run/docker.sock', dst: '/var/run/docker.sock', ro: true }];
  },
  DDC029: (i) => {
    i.mounts = [{ src: '/var/log', dst: '/host/log' }];
  },
  DDC030: (i) => {
    i.mounts = [{ src: '/srv/data', dst: '/data', ro: true }];
  },
  DDC031: (i) => {
    i.nfsVolume = true;
  },
  DDC032: (i) => {
    i.mounts = [{ src: '/srv/data', dst: '/data', ro: true, prop: 'rshared' }];
  },
  DDC033: (i) => {
    i.devices = ['/dev/fuse'];
  },
  DDC034: (i) => {
    i.ports = [{ hostIp: '127.0.0.1', hostPort: 80, containerPort: 8080 }];
  },
  DDC035: (i) => {
    i.ports = [{ hostPort: 8080, containerPort: 8080 }];
  },
  DDC036: (i) => {
    i.ports = [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 8080 }];
  },
  DDC037: (i) => {
    i.publishAll = true;
  },
  DDC038: (i) => {
    i.restart = 'always';
  },
  DDC039: (i) => {
    i.cgroupParent = '/custom';
  },
  DDC040: (i) => {
    i.healthcheck = false;
  },
  DDC041: (i) => {
    i.network = undefined;
  },
  DDC042: (i) => {
    i.sysctls = { 'kernel.msgmax': '65536' };
  },
  DDC043: (i) => {
    i.unmaskedProc = true;
  },
  DDC044: (i) => {
    i.hostProcess = true;
  },
  DDC045: (i) => {
    i.pid = 'host';
    i.capAdd = ['SYS_PTRACE'];
  },
  DDC046: (i) => {
    i.capAdd = ['SYS_ADMIN'];
    i.seccomp = 'unconfined';
  },
};
