// The one model every container-config input (docker run line, docker inspect JSON, compose file,
// Kubernetes manifest, OCI config.json) is parsed into, and the daemon model (daemon.json, dockerd
// flags). Rules and the hardener work on these alone, so a rule is written once for every input form.
//
// Conventions: a field left undefined means "the input did not say", i.e. the runtime's default
// applies (Docker's default seccomp profile, the 14 default capabilities, no memory limit...). Each
// parser records the 1-based line where the input set a field in `lines`, for findings' locations.

export type InputKind = 'docker-run' | 'inspect' | 'compose' | 'kubernetes' | 'oci' | 'daemon';

/** Where a container came from. */
export interface SourceRef {
  /** The file as the user named it ("-" or "<docker-run>" for a command line). */
  file: string;
  kind: InputKind;
  /** Line of the container's own definition (the service, the containers[] item, the document). */
  line?: number;
  /** Human name of the resource: "Deployment/web container app", "service web", "container /db". */
  resource: string;
}

/** A confinement profile setting as the user expressed it. */
export type ProfileSetting =
  /** The runtime's default profile: Docker's default seccomp / docker-default AppArmor, k8s RuntimeDefault. */
  | { kind: 'default' }
  /** No confinement at all. */
  | { kind: 'unconfined' }
  /** A named or local profile: a file path, "localhost/<name>", an AppArmor profile name, inline JSON. */
  | { kind: 'custom'; ref: string };

export interface SelinuxLabel {
  disable?: boolean;
  user?: string;
  role?: string;
  type?: string;
  level?: string;
  filetype?: string;
}

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'hostPath' | 'npipe' | 'other';

export interface MountSpec {
  type: MountType;
  /** Host path for bind/hostPath mounts; the volume name for named volumes. */
  source?: string;
  /** Path inside the container (may be absent for a k8s hostPath volume not mounted by this container). */
  target?: string;
  readOnly: boolean;
  /** private, rprivate, shared, rshared, slave, rslave (Docker); HostToContainer/Bidirectional (k8s). */
  propagation?: string;
  /** k8s volume kind (configMap, emptyDir, hostPath, ...) for the restricted profile's volume check. */
  volumeKind?: string;
  line?: number;
}

export interface DeviceSpec {
  host: string;
  container?: string;
  permissions?: string;
  line?: number;
}

export interface PortSpec {
  /** "" or undefined = all interfaces. */
  hostIp?: string;
  /** undefined or 0 = not published on the host (k8s containerPort alone, EXPOSE). */
  hostPort?: number;
  containerPort: number;
  protocol: string;
  line?: number;
}

export interface UlimitSpec {
  name: string;
  soft: number;
  hard: number;
}

export interface RestartSpec {
  policy: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  maxRetries?: number;
}

/** Namespace sharing: "host" shares the host's; "container:<id>", "service:x" share another's. */
export type NamespaceMode = string;

/** Names of ContainerSpec fields that can carry a line. */
export type SpecField =
  | 'image'
  | 'privileged'
  | 'capAdd'
  | 'capDrop'
  | 'capsExplicit'
  | 'noNewPrivileges'
  | 'seccomp'
  | 'apparmor'
  | 'selinux'
  | 'user'
  | 'runAsNonRoot'
  | 'readOnlyRootfs'
  | 'memory'
  | 'memorySwap'
  | 'pidsLimit'
  | 'cpus'
  | 'cpuShares'
  | 'network'
  | 'pid'
  | 'ipc'
  | 'uts'
  | 'userns'
  | 'cgroupns'
  | 'mounts'
  | 'devices'
  | 'ports'
  | 'restart'
  | 'cgroupParent'
  | 'healthcheck'
  | 'ulimits'
  | 'sysctls'
  | 'procMount'
  | 'hostProcess'
  | 'maskedPaths';

export interface ContainerSpec {
  source: SourceRef;
  lines: Partial<Record<SpecField, number>>;
  /** The container's own name (service, k8s container name, inspect Name). */
  name: string;
  image?: string;
  /** The command the container runs (entrypoint + args), when the input says. */
  command?: string[];

  privileged?: boolean;
  /**
   * Capabilities as the input asked: upper case with the CAP_ prefix, or "ALL". Unknown names are
   * kept as written (with the prefix) so the capability rule can report them.
   */
  capAdd: string[];
  capDrop: string[];
  /**
   * The effective (bounding) set spelt out, when the input lists it instead of add/drop: an OCI
   * config.json's process.capabilities.bounding, or docker inspect of a created container.
   */
  capsExplicit?: string[];
  /** no_new_privs; k8s allowPrivilegeEscalation: false is the same bit. */
  noNewPrivileges?: boolean;
  seccomp?: ProfileSetting;
  apparmor?: ProfileSetting;
  selinux?: SelinuxLabel;
  /** "uid[:gid]" or "name[:group]" as given (--user, USER, runAsUser[:runAsGroup]). */
  user?: string;
  /** k8s runAsNonRoot. */
  runAsNonRoot?: boolean;
  readOnlyRootfs?: boolean;

  /** Bytes; 0 or undefined = unlimited. */
  memory?: number;
  /** Bytes; -1 = unlimited swap. */
  memorySwap?: number;
  /** undefined, 0 or negative = unlimited. */
  pidsLimit?: number;
  /** CPUs (--cpus, k8s limits.cpu). */
  cpus?: number;
  cpuShares?: number;

  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  uts?: NamespaceMode;
  userns?: NamespaceMode;
  cgroupns?: NamespaceMode;

  mounts: MountSpec[];
  devices: DeviceSpec[];
  ports: PortSpec[];
  restart?: RestartSpec;
  cgroupParent?: string;
  /** A health check is configured (HEALTHCHECK, --health-cmd, k8s liveness/readiness probe); false = disabled. */
  healthcheck?: boolean;
  ulimits: UlimitSpec[];
  sysctls: Record<string, string>;
  /** k8s procMount: Default | Unmasked. OCI: an empty maskedPaths list is the same as Unmasked. */
  procMount?: string;
  /** k8s windowsOptions.hostProcess. */
  hostProcess?: boolean;
  /** k8s: annotations of the pod (legacy AppArmor annotations are folded into `apparmor` by the parser). */
  annotations?: Record<string, string>;
  /** k8s: the container's role in the pod. */
  containerKind?: 'container' | 'initContainer' | 'ephemeralContainer';
}

/** The Docker daemon's configuration (daemon.json merged with dockerd flags). */
export interface DaemonSpec {
  source: SourceRef;
  lines: Partial<Record<DaemonField, number>>;
  icc?: boolean;
  selinuxEnabled?: boolean;
  usernsRemap?: string;
  noNewPrivileges?: boolean;
  liveRestore?: boolean;
  seccompProfile?: string;
  defaultUlimits?: UlimitSpec[];
  /** Listening addresses (-H / "hosts"): unix://, tcp://, fd://. */
  hosts?: string[];
  tls?: boolean;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel?: string;
  logDriver?: string;
  iptables?: boolean;
  insecureRegistries?: string[];
  storageDriver?: string;
  authorizationPlugins?: string[];
  userlandProxy?: boolean;
  experimental?: boolean;
  cgroupParent?: string;
  /** dm.basesize or similar storage options. */
  storageOpts?: string[];
  defaultCgroupnsMode?: string;
  rootless?: boolean;
}

export type DaemonField =
  | 'icc'
  | 'selinuxEnabled'
  | 'usernsRemap'
  | 'noNewPrivileges'
  | 'liveRestore'
  | 'seccompProfile'
  | 'defaultUlimits'
  | 'hosts'
  | 'tls'
  | 'tlsVerify'
  | 'logLevel'
  | 'logDriver'
  | 'iptables'
  | 'insecureRegistries'
  | 'storageDriver'
  | 'authorizationPlugins'
  | 'userlandProxy'
  | 'experimental'
  | 'cgroupParent'
  | 'storageOpts';

/** Everything one input file yielded. */
export interface ParsedInput {
  file: string;
  kind: InputKind;
  containers: ContainerSpec[];
  daemon?: DaemonSpec;
}

/** A fresh spec with the collections empty, for parsers to fill. */
export function emptySpec(source: SourceRef, name: string): ContainerSpec {
  return {
    source,
    lines: {},
    name,
    capAdd: [],
    capDrop: [],
    mounts: [],
    devices: [],
    ports: [],
    ulimits: [],
    sysctls: {},
  };
}

/** Mount propagation modes Docker accepts (bind-propagation, -v options). */
export const DOCKER_PROPAGATIONS: ReadonlySet<string> = new Set([
  'shared',
  'rshared',
  'slave',
  'rslave',
  'private',
  'rprivate',
]);
/** The OCI runtime's mount propagation options: Docker's and the unbindable ones. */
export const OCI_PROPAGATIONS: ReadonlySet<string> = new Set([
  ...DOCKER_PROPAGATIONS,
  'unbindable',
  'runbindable',
]);
