// drydock's command line: the command table; each command's code is loaded only when it runs.

import { describe, EXIT_INTERNAL, isUserError } from '../errors.js';
import { debug, isDebug, setDebug, setQuiet } from '../log.js';
import { type CommandSpec, type OptionSpec, type ProgramSpec, parsers, runProgram } from './framework.js';

export const VERSION = '0.1.0';

const GLOBAL: OptionSpec[] = [
  { name: 'debug', short: 'd', type: 'boolean', description: 'debug logging to stderr' },
  { name: 'quiet', short: 'q', type: 'boolean', description: 'no warnings or progress on stderr' },
  { name: 'help', short: 'h', type: 'boolean', description: 'show help' },
  { name: 'version', short: 'v', type: 'boolean', description: 'print the version' },
];

const SCAN_OPTIONS: OptionSpec[] = [
  {
    name: 'format',
    short: 'f',
    type: 'string',
    description: 'report format',
    choices: ['table', 'json', 'sarif', 'cyclonedx'],
    default: 'table',
  },
  {
    name: 'output',
    short: 'o',
    type: 'string',
    valueName: 'file',
    description: 'write the report to a file (replaced only when complete)',
  },
  { name: 'list-all-pkgs', type: 'boolean', description: 'list every package (JSON: Results[].Packages)' },
  {
    name: 'list-files',
    type: 'boolean',
    description: 'include the merged file tree, each file with the layer that wrote it',
  },
  {
    name: 'parallel',
    type: 'string',
    valueName: 'n',
    description: 'layers analysed at once',
    default: 2,
    parse: parsers.int(1, 64),
  },
  { name: 'no-cache', type: 'boolean', description: 'neither read nor write the layer cache' },
  {
    name: 'cache-dir',
    type: 'string',
    valueName: 'dir',
    description: 'cache directory (default $DRYDOCK_CACHE_DIR or ~/.cache/drydock)',
  },
  {
    name: 'exit-code',
    type: 'string',
    valueName: 'n',
    description: 'exit code when findings are reported',
    default: 0,
    parse: parsers.int(0, 255),
  },
  {
    name: 'db',
    type: 'string',
    valueName: 'path',
    description: 'the vulnerability database (default <cache dir>/db/drydock.db)',
  },
  {
    name: 'scanners',
    type: 'string',
    valueName: 'list',
    description: 'what to look for: vuln (default), or none for the inventory alone',
    choices: ['vuln', 'none'],
    default: 'vuln',
  },
  {
    name: 'severity',
    short: 's',
    type: 'string',
    valueName: 'list',
    description: 'report only these severities (CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN)',
  },
  {
    name: 'ignore-unfixed',
    type: 'boolean',
    description: 'report only vulnerabilities with a fixed version',
  },
  {
    name: 'ignore-status',
    type: 'string',
    valueName: 'list',
    description:
      'drop findings with these statuses (affected,will_not_fix,fix_deferred,end_of_life,under_investigation,fixed)',
  },
  {
    name: 'ignorefile',
    type: 'string',
    valueName: 'file',
    description: 'accepted findings, .trivyignore or YAML (default: ./.drydockignore, else ./.trivyignore)',
  },
  {
    name: 'vex',
    type: 'string',
    valueName: 'file',
    multiple: true,
    description: 'OpenVEX or CycloneDX VEX document; not_affected/fixed statements suppress (repeatable)',
  },
  {
    name: 'offline',
    type: 'boolean',
    description: 'never download vulnerability data (a scan never does; accepted for CI scripts)',
  },
  {
    name: 'max-layer-size',
    type: 'string',
    valueName: 'size',
    description: 'largest uncompressed layer accepted (e.g. 20GB)',
    parse: parsers.size,
  },
];

/** The content-trust gate's per-command options (the gate is on with DRYDOCK_CONTENT_TRUST=1 or DOCKER_CONTENT_TRUST=1). */
const TRUST_GATE_OPTIONS: OptionSpec[] = [
  {
    name: 'disable-content-trust',
    type: 'boolean',
    description:
      'skip image verification for this command (content trust is on with DRYDOCK_CONTENT_TRUST=1)',
  },
  {
    name: 'trust-policy',
    type: 'string',
    valueName: 'file',
    description:
      'trust policy for the content-trust gate (default $DRYDOCK_TRUST_POLICY or ~/.drydock/trust/policy.yaml)',
  },
];

const REGISTRY_OPTIONS: OptionSpec[] = [
  {
    name: 'platform',
    type: 'string',
    valueName: 'os/arch[/variant]',
    description: 'platform to pick from a multi-platform image',
  },
  { name: 'insecure', type: 'boolean', description: 'plain HTTP for the registry' },
  {
    name: 'username',
    type: 'string',
    valueName: 'user',
    description: 'registry user (or DRYDOCK_USERNAME; default: docker config)',
  },
  {
    name: 'password',
    type: 'string',
    valueName: 'password',
    description: 'registry password (or DRYDOCK_PASSWORD)',
  },
  {
    name: 'timeout',
    type: 'string',
    valueName: 'duration',
    description: 'registry connect/idle timeout',
    default: '30s',
    parse: parsers.duration,
  },
  {
    name: 'retries',
    type: 'string',
    valueName: 'n',
    description: 'retries on 429, 5xx and broken connections',
    default: 3,
    parse: parsers.int(0, 20),
  },
  ...TRUST_GATE_OPTIONS,
];

const COMMANDS: CommandSpec[] = [
  {
    name: 'image',
    aliases: ['i'],
    summary: 'scan a container image (archive, OCI layout, registry, rootfs)',
    description:
      'Scan a container image: a docker-archive or oci-archive tar, an OCI layout directory (DIR or DIR:TAG),\n' +
      'a root filesystem directory, or a registry reference. Prefixes docker-archive: oci-archive: oci:\n' +
      'registry: rootfs: force the kind.',
    args: [{ name: 'target', description: 'the image', required: true }],
    options: [...REGISTRY_OPTIONS, ...SCAN_OPTIONS],
    examples: [
      'drydock image debian.tar --list-all-pkgs',
      'drydock image ./layout:1.0 --format json -o report.json',
      'drydock image registry.example:5000/team/app:1.0 --platform linux/arm64',
    ],
    run: async (args, o) => {
      return (await import('./commands/scan.js')).runScan(args[0] as string, o);
    },
  },
  {
    name: 'fs',
    summary: 'scan a root filesystem directory (an unpacked image or a project checkout)',
    args: [{ name: 'dir', description: 'the directory', required: true }],
    options: SCAN_OPTIONS,
    run: async (args, o) => (await import('./commands/scan.js')).runScan(args[0] as string, o, 'rootfs:'),
  },
];

/** The scan options that also apply when the scan ends in an SBOM or starts from one. */
function scanOptions(...names: string[]): OptionSpec[] {
  return SCAN_OPTIONS.filter((o) => names.includes(o.name));
}

const SBOM_COMMANDS: CommandSpec[] = [
  {
    name: 'sbom',
    summary: 'write an SBOM of an image or directory (CycloneDX 1.6 or SPDX 2.3 JSON)',
    description:
      'Scan a target and write its inventory as an SBOM: CycloneDX 1.6 JSON (default) or SPDX 2.3 JSON.\n' +
      'The target is anything `drydock image` accepts; rootfs:DIR (or a plain directory) scans a directory.',
    args: [{ name: 'target', description: 'the image or directory', required: true }],
    options: [
      ...REGISTRY_OPTIONS,
      {
        name: 'format',
        short: 'f',
        type: 'string',
        description: 'SBOM format',
        choices: ['cyclonedx', 'spdx-json'],
        default: 'cyclonedx',
      },
      ...scanOptions('output', 'parallel', 'no-cache', 'cache-dir', 'max-layer-size'),
    ],
    examples: [
      'drydock sbom debian.tar -o debian.cdx.json',
      'drydock sbom registry.example:5000/team/app:1.0 --format spdx-json',
      'drydock sbom rootfs:./project',
    ],
    run: async (args, o) => {
      return (await import('./commands/sbom.js')).runSbom(args[0] as string, o, VERSION);
    },
  },
  {
    name: 'sbom-scan',
    summary: 'report the packages of an SBOM (CycloneDX or SPDX JSON) like a scanned image',
    description:
      'Read an SBOM (CycloneDX 1.2-1.7 JSON, SPDX 2.2/2.3 JSON, or either in an in-toto attestation)\n' +
      'and report its OS and packages the way `drydock image` reports a scanned image. FILE "-" reads stdin.',
    args: [{ name: 'file', description: 'the SBOM file', required: true }],
    options: scanOptions(
      'format',
      'output',
      'list-all-pkgs',
      'exit-code',
      'db',
      'cache-dir',
      'scanners',
      'severity',
      'ignore-unfixed',
      'ignore-status',
      'ignorefile',
      'vex',
      'offline',
    ),
    examples: [
      'drydock sbom-scan app.cdx.json --list-all-pkgs',
      'drydock sbom app.tar | drydock sbom-scan -',
    ],
    run: async (args, o) => (await import('./commands/sbom.js')).runSbomScan(args[0] as string, o),
  },
];

const DB_OPTIONS: OptionSpec[] = [
  {
    name: 'db',
    type: 'string',
    valueName: 'path',
    description: 'the vulnerability database (default <cache dir>/db/drydock.db)',
  },
  {
    name: 'cache-dir',
    type: 'string',
    valueName: 'dir',
    description: 'cache directory (default $DRYDOCK_CACHE_DIR or ~/.cache/drydock)',
  },
];

const EXPLAIN_COMMANDS: CommandSpec[] = [
  {
    name: 'explain',
    summary: 'why a vulnerability is (or is not) reported for an image or directory',
    description:
      'Scan the target, then show every advisory the database holds for the vulnerability (by id or alias)\n' +
      'and, for each, which packages of the target it was checked against and the verdict with its reason.',
    args: [
      { name: 'target', description: 'the image or directory', required: true },
      {
        name: 'id',
        description: 'a vulnerability id (CVE-..., GHSA-..., GO-..., RUSTSEC-...)',
        required: true,
      },
    ],
    options: [
      ...REGISTRY_OPTIONS,
      ...scanOptions('format', 'output', 'db', 'no-cache', 'cache-dir', 'parallel', 'max-layer-size'),
    ],
    examples: [
      'drydock explain app.tar CVE-2019-10744',
      'drydock explain rootfs:./project GHSA-jf85-cpcp-j695 -f json',
    ],
    run: async (args, o) => {
      return (await import('./commands/explain.js')).runExplain(args[0] as string, args[1] as string, {
        ...o,
      });
    },
  },
];

const FORMAT_OUT: OptionSpec[] = [
  {
    name: 'output',
    short: 'o',
    type: 'string',
    valueName: 'file',
    description: 'write to a file (replaced only when complete)',
  },
];

const AUDIT_COMMANDS: CommandSpec[] = [
  {
    name: 'audit',
    summary: 'audit container runtime configs: capabilities, MAC, seccomp, namespaces, mounts, limits',
    description:
      'Audit how containers are (or will be) run: Kubernetes manifests, compose files, docker inspect JSON,\n' +
      'OCI config.json, daemon.json / dockerd units, scripts of docker run lines, or --docker-run "docker run ...".\n' +
      'Rules: CIS Docker Benchmark v1.6 sections 5, 4 and 2, Pod Security Standards (baseline, restricted),\n' +
      'docker-bench community capability checks and escape risks. The form of a file is read from its content.',
    args: [{ name: 'file', description: 'config files ("-" for standard input)', variadic: true }],
    options: [
      {
        name: 'docker-run',
        type: 'string',
        valueName: 'command',
        multiple: true,
        description: 'a docker run / docker create command line to audit (repeatable)',
      },
      {
        name: 'profile',
        type: 'string',
        description: 'which rules',
        choices: ['all', 'cis', 'pss-baseline', 'pss-restricted'],
        default: 'all',
      },
      {
        name: 'kind',
        type: 'string',
        description: 'the form of the files (default: from their content)',
        choices: [
          'auto',
          'kubernetes',
          'compose',
          'inspect',
          'oci',
          'daemon',
          'dockerd',
          'unit',
          'docker-run',
        ],
        default: 'auto',
      },
      {
        name: 'format',
        short: 'f',
        type: 'string',
        description: 'report format',
        choices: ['table', 'json', 'sarif'],
        default: 'table',
      },
      ...FORMAT_OUT,
      {
        name: 'severity',
        short: 's',
        type: 'string',
        valueName: 'list',
        description: 'report only these severities (CRITICAL,HIGH,MEDIUM,LOW)',
      },
      {
        name: 'skip',
        type: 'string',
        valueName: 'ids',
        multiple: true,
        description: 'rule IDs to skip (DDC018,DDC020)',
      },
      { name: 'include-non-failures', type: 'boolean', description: 'JSON: list passed checks too' },
      {
        name: 'exit-code',
        type: 'string',
        valueName: 'n',
        description: 'exit code when there are failures',
        default: 0,
        parse: parsers.int(0, 255),
      },
    ],
    examples: [
      'drydock audit deploy.yaml compose.yaml /etc/docker/daemon.json',
      'drydock audit --docker-run "docker run --privileged -v /var/run/docker.sock:/var/run/docker.sock app"',
      'drydock audit --profile pss-restricted --format sarif -o audit.sarif k8s/',
    ],
    run: async (args, o) => (await import('./commands/audit.js')).runAudit(args, o, VERSION),
    subcommands: [
      {
        name: 'caps',
        summary: 'the 41 Linux capabilities: what each allows, its risk, the escapes it enables',
        options: [
          {
            name: 'format',
            short: 'f',
            type: 'string',
            description: 'output format',
            choices: ['table', 'json'],
            default: 'table',
          },
          ...FORMAT_OUT,
        ],
        run: async (_args, o) => (await import('./commands/audit.js')).runAuditCaps(o),
      },
      {
        name: 'host-rules',
        summary:
          'auditd rules for the Docker host (daemon binary, /var/lib/docker, /etc/docker, units, runc...)',
        options: [
          { name: 'existing-only', type: 'boolean', description: 'only paths that exist on this machine' },
          ...FORMAT_OUT,
        ],
        run: async (_args, o) => (await import('./commands/audit.js')).runAuditHostRules(o),
      },
    ],
  },
  {
    name: 'harden',
    summary: 'write the hardened equivalent of a container config in the same form',
    description:
      'Print the hardened config: --cap-drop ALL plus only the capabilities the workload needs (ports below\n' +
      '1024, known daemons, file capabilities of the entrypoint with --image), no-new-privileges, a read-only\n' +
      'root with tmpfs for scratch dirs, memory and PIDs limits, the default seccomp and AppArmor profiles,\n' +
      "the image's non-root user. Notes on what needs a human go to standard error.",
    args: [{ name: 'config', description: 'the config file (or use --docker-run)' }],
    options: [
      {
        name: 'docker-run',
        type: 'string',
        valueName: 'command',
        description: 'a docker run command line to harden',
      },
      {
        name: 'image',
        type: 'string',
        valueName: 'image',
        description:
          'read the image (archive, OCI layout or registry ref): its USER, ports, entrypoint file caps',
      },
      {
        name: 'format',
        short: 'f',
        type: 'string',
        description: 'output form (default: the input form)',
        choices: ['auto', 'docker-run', 'compose', 'kubernetes', 'oci', 'json'],
        default: 'auto',
      },
      {
        name: 'kind',
        type: 'string',
        description: 'the form of the input (default: from its content)',
        choices: ['auto', 'kubernetes', 'compose', 'inspect', 'oci', 'docker-run'],
        default: 'auto',
      },
      {
        name: 'memory',
        type: 'string',
        valueName: 'size',
        description: 'memory limit when the input has none (default 512MiB)',
        parse: parsers.size,
      },
      {
        name: 'pids-limit',
        type: 'string',
        valueName: 'n',
        description: 'PIDs limit when the input has none',
        default: 256,
        parse: parsers.int(1, 4194304),
      },
      { name: 'insecure', type: 'boolean', description: 'plain HTTP for the registry (--image)' },
      ...TRUST_GATE_OPTIONS,
      ...FORMAT_OUT,
    ],
    examples: [
      'drydock harden --docker-run "docker run -d -p 80:80 nginx"',
      'drydock harden deploy.yaml > deploy.hardened.yaml',
      'drydock harden --format oci config.json --image oci:./layout:app > hardened/config.json',
    ],
    run: async (args, o) => (await import('./commands/harden.js')).runHarden(args[0], o),
  },
];

const TABLE_JSON: OptionSpec[] = [
  {
    name: 'format',
    short: 'f',
    type: 'string',
    description: 'output format',
    choices: ['table', 'json'],
    default: 'table',
  },
  ...FORMAT_OUT,
];

const SECCOMP_CONTAINER: OptionSpec[] = [
  {
    name: 'arch',
    type: 'string',
    valueName: 'arch',
    description: 'the container architecture (amd64, arm64, x86_64, s390x...)',
    default: 'amd64',
  },
  {
    name: 'cap',
    type: 'string',
    valueName: 'cap',
    multiple: true,
    description:
      "capabilities added to Docker's 14 defaults (repeatable; the profile's includes/excludes look at them)",
  },
  {
    name: 'no-default-caps',
    type: 'boolean',
    description: "start from no capabilities instead of Docker's defaults",
  },
  {
    name: 'kernel',
    type: 'string',
    valueName: 'X.Y',
    description: 'the host kernel for minKernel rules (default: newer than any)',
  },
];

const PROFILE_ARG = {
  name: 'profile',
  description: 'a profile file, an OCI config.json, or docker-default / docker-default-v24.0.0',
  required: true,
};

const PROFILE_COMMANDS: CommandSpec[] = [
  {
    name: 'seccomp',
    summary: 'seccomp profiles: validate, resolve, eval, diff, lint, generate, compile',
    subcommands: [
      {
        name: 'validate',
        summary:
          'check a Docker or OCI profile: actions, operators, architectures, syscall names; exit 2 on errors',
        args: [PROFILE_ARG],
        options: [
          {
            name: 'arch',
            type: 'string',
            valueName: 'arch',
            description: 'check syscall names on this architecture',
          },
          ...TABLE_JSON,
        ],
        run: async (args, o) =>
          (await import('./commands/seccomp.js')).runSeccompValidate(args[0] as string, o),
      },
      {
        name: 'eval',
        summary: 'the action the kernel takes for a syscall and its arguments, and the rule that decides',
        args: [
          PROFILE_ARG,
          { name: 'syscall', description: 'a name or a number', required: true },
          { name: 'arg', description: 'argument values (decimal or 0x hex), arg0 first', variadic: true },
        ],
        options: [...SECCOMP_CONTAINER, ...TABLE_JSON],
        examples: [
          'drydock seccomp eval docker-default socket 40 1 0',
          'drydock seccomp eval docker-default clone 0x10000000 --format json',
        ],
        run: async (args, o) =>
          (await import('./commands/seccomp.js')).runSeccompEval(
            args[0] as string,
            args[1] as string,
            args.slice(2),
            o,
          ),
      },
      {
        name: 'resolve',
        summary:
          "the OCI filter Docker hands to runc for a container (moby's includes/excludes by arch, caps, kernel)",
        args: [PROFILE_ARG],
        options: [
          ...SECCOMP_CONTAINER,
          {
            name: 'format',
            short: 'f',
            type: 'string',
            description: 'output format',
            choices: ['json', 'table'],
            default: 'json',
          },
          ...FORMAT_OUT,
        ],
        examples: ['drydock seccomp resolve docker-default --arch arm64 --cap SYS_ADMIN'],
        run: async (args, o) =>
          (await import('./commands/seccomp.js')).runSeccompResolve(args[0] as string, o),
      },
      {
        name: 'diff',
        summary: 'syscalls and argument cases one profile allows and the other does not (semantic)',
        args: [
          { name: 'a', description: 'the first profile', required: true },
          { name: 'b', description: 'the second profile', required: true },
        ],
        options: [
          ...SECCOMP_CONTAINER,
          ...TABLE_JSON,
          {
            name: 'exit-code',
            type: 'string',
            valueName: 'n',
            description: 'exit code when they differ',
            default: 0,
            parse: parsers.int(0, 255),
          },
        ],
        examples: ['drydock seccomp diff docker-default-v24.0.0 docker-default'],
        run: async (args, o) =>
          (await import('./commands/seccomp.js')).runSeccompDiff(args[0] as string, args[1] as string, o),
      },
      {
        name: 'lint',
        summary: 'risky allows, rules equal to the default action, duplicates, shadowed rules',
        args: [PROFILE_ARG],
        options: [
          {
            name: 'arch',
            type: 'string',
            valueName: 'arch',
            description: 'only rules for this architecture',
          },
          ...TABLE_JSON,
          {
            name: 'exit-code',
            type: 'string',
            valueName: 'n',
            description: 'exit code when there are findings',
            default: 0,
            parse: parsers.int(0, 255),
          },
        ],
        run: async (args, o) => (await import('./commands/seccomp.js')).runSeccompLint(args[0] as string, o),
      },
      {
        name: 'generate',
        summary: 'a least-privilege profile from an strace -f log or an audit log',
        options: [
          {
            name: 'from-strace',
            type: 'string',
            valueName: 'log',
            description: 'strace -f output (-o file)',
          },
          {
            name: 'from-audit',
            type: 'string',
            valueName: 'log',
            description: 'audit log with SECCOMP/SYSCALL records',
          },
          {
            name: 'base',
            type: 'string',
            valueName: 'profile',
            description: 'restrict this profile to what was observed (e.g. docker-default)',
          },
          {
            name: 'arch',
            type: 'string',
            valueName: 'arch',
            description: 'the traced program architecture (default x86_64)',
          },
          {
            name: 'comm',
            type: 'string',
            valueName: 'name',
            description: 'audit: only records of this command',
          },
          {
            name: 'exe',
            type: 'string',
            valueName: 'path',
            description: 'audit: only records of this executable',
          },
          {
            name: 'no-runtime',
            type: 'boolean',
            description: 'do not add what runc needs after loading the filter',
          },
          ...FORMAT_OUT,
        ],
        examples: [
          'strace -f -o app.strace ./app && drydock seccomp generate --from-strace app.strace --base docker-default -o app.json',
        ],
        run: async (_args, o) => (await import('./commands/seccomp.js')).runSeccompGenerate(o),
      },
      {
        name: 'compile',
        summary: 'the classic BPF program runc loads for the profile (libseccomp 2.5.4 semantics)',
        description:
          'Resolves the profile for the container (arch, capabilities, kernel) as moby does, then compiles the\n' +
          'filter to the cBPF program the kernel runs: the native architecture and its companions (x86 and x32\n' +
          'beside x86_64, arm beside aarch64...), socketcall/ipc multiplexing, 64-bit argument comparisons.\n' +
          "`-f hex` prints the bytes in the architecture's order (`xxd -r -p` rebuilds the binary).",
        args: [PROFILE_ARG],
        options: [
          ...SECCOMP_CONTAINER,
          {
            name: 'format',
            short: 'f',
            type: 'string',
            description: 'output format',
            choices: ['asm', 'c', 'hex', 'json'],
            default: 'asm',
          },
          ...FORMAT_OUT,
        ],
        examples: [
          'drydock seccomp compile docker-default --arch amd64 -f asm',
          'drydock seccomp compile profile.json --arch arm64 -f hex | xxd -r -p > filter.bin',
        ],
        run: async (args, o) =>
          (await import('./commands/seccomp.js')).runSeccompCompile(args[0] as string, o),
      },
    ],
  },

  {
    name: 'apparmor',
    summary: 'AppArmor profiles: render docker-default, generate from a policy, lint, validate',
    subcommands: [
      {
        name: 'render',
        summary: "docker-default exactly as moby's template renders it",
        args: [{ name: 'template', description: 'docker-default or docker-default-v24.0.0', required: true }],
        options: [
          {
            name: 'name',
            type: 'string',
            valueName: 'name',
            description: 'the profile name (default docker-default)',
          },
          {
            name: 'host',
            type: 'boolean',
            description: "this host's inputs as the daemon finds them (abi, tunables, its own profile)",
          },
          {
            name: 'no-validate',
            type: 'boolean',
            description: 'do not compile the result with apparmor_parser -Q -K',
          },
          ...FORMAT_OUT,
        ],
        run: async (args, o) =>
          (await import('./commands/apparmor.js')).runApparmorRender(args[0] as string, o),
      },
      {
        name: 'generate',
        summary: "a profile from a YAML or TOML policy (bane's inputs, base: docker-default, extra rules)",
        args: [{ name: 'policy', description: 'the policy file (.toml, .yaml, .json)', required: true }],
        options: [
          {
            name: 'no-validate',
            type: 'boolean',
            description: 'do not compile the result with apparmor_parser -Q -K',
          },
          ...FORMAT_OUT,
        ],
        examples: ['drydock apparmor generate nginx.yaml -o /etc/apparmor.d/containers/nginx'],
        run: async (args, o) =>
          (await import('./commands/apparmor.js')).runApparmorGenerate(args[0] as string, o),
      },
      {
        name: 'lint',
        summary:
          'risky rules in a profile: complain mode, all capabilities, mount, ptrace, writable /proc and /sys...',
        args: [{ name: 'profile', description: 'the profile file', required: true }],
        options: [
          ...TABLE_JSON,
          {
            name: 'exit-code',
            type: 'string',
            valueName: 'n',
            description: 'exit code when there are findings',
            default: 0,
            parse: parsers.int(0, 255),
          },
        ],
        run: async (args, o) =>
          (await import('./commands/apparmor.js')).runApparmorLint(args[0] as string, o),
      },
      {
        name: 'validate',
        summary:
          'compile a profile with apparmor_parser -Q -K (nothing is loaded); exit 2 when it is refused',
        args: [{ name: 'profile', description: 'the profile file', required: true }],
        options: TABLE_JSON,
        run: async (args, o) =>
          (await import('./commands/apparmor.js')).runApparmorValidate(args[0] as string, o),
      },
    ],
  },
  {
    name: 'selinux',
    summary: 'SELinux labels of containers: validate and explain (types, MCS levels, Pod Security)',
    subcommands: [
      {
        name: 'explain',
        summary: 'what a label grants: process and file types, MCS separation, risks, PSS baseline verdict',
        args: [
          {
            name: 'label',
            description: 'label=... options (combined) or one context user:role:type:level',
            required: true,
            variadic: true,
          },
        ],
        options: [
          { name: 'privileged', type: 'boolean', description: 'the container is privileged' },
          ...TABLE_JSON,
        ],
        examples: [
          'drydock selinux explain label=type:spc_t',
          'drydock selinux explain system_u:system_r:container_t:s0:c12,c34',
        ],
        run: async (args, o) => (await import('./commands/selinux.js')).runSelinuxExplain(args, o),
      },
      {
        name: 'validate',
        summary: 'check label options or a context (levels, categories, ranges); exit 2 when invalid',
        args: [
          { name: 'label', description: 'label=... options or a context', required: true, variadic: true },
        ],
        options: TABLE_JSON,
        run: async (args, o) => (await import('./commands/selinux.js')).runSelinuxValidate(args, o),
      },
      {
        name: 'types',
        summary: 'the known container SELinux types and what each grants',
        options: TABLE_JSON,
        run: async (_args, o) => (await import('./commands/selinux.js')).runSelinuxTypes(o),
      },
    ],
  },
];

const DB_COMMANDS: CommandSpec[] = [
  {
    name: 'db',
    summary: 'the local vulnerability database: import feeds, status, export',
    subcommands: [
      {
        name: 'import',
        summary: 'load vulnerability feeds from files or directories (format detected from content)',
        description:
          'Load feeds: OSV (JSON/YAML), Debian tracker JSON, Alpine secdb, RubySec, FriendsOfPHP, RustSec,\n' +
          'Red Hat CSAF/VEX, NVD. Each format found under a path is one feed; an unchanged feed is skipped.\n' +
          'One argument that is a database written by "db export" replaces the local database.',
        args: [
          {
            name: 'path',
            description: 'feed files or directories, or an exported database',
            required: true,
            variadic: true,
          },
        ],
        options: [
          ...DB_OPTIONS,
          { name: 'force', type: 'boolean', description: 're-import unchanged feeds' },
        ],
        examples: ['drydock db import ./advisory-db ./secdb', 'drydock db import drydock-db.sqlite'],
        run: async (args, o) => (await import('./commands/db.js')).runDbImport(args, o),
      },
      {
        name: 'update',
        summary: 'download the configured feeds and import what changed (atomic: all or nothing)',
        description:
          'Download every feed (mirrors tried in order, retries with backoff, conditional requests), import\n' +
          'what changed into a copy of the database, and replace the database with it at the end. An\n' +
          'unchanged feed costs one request. --feeds FILE lists the feeds: {"feeds": [{"name", "urls": [...]}]}.',
        options: [
          ...DB_OPTIONS,
          {
            name: 'feeds',
            type: 'string',
            valueName: 'file',
            description: "the feeds to download (JSON); default: the publishers' own",
          },
          {
            name: 'timeout',
            type: 'string',
            valueName: 'duration',
            description: 'connect/idle timeout',
            default: '30s',
            parse: parsers.duration,
          },
          {
            name: 'retries',
            type: 'string',
            valueName: 'n',
            description: 'retries per mirror',
            default: 3,
            parse: parsers.int(0, 20),
          },
          { name: 'offline', type: 'boolean', description: 'refuse to download (an error for this command)' },
        ],
        run: async (_args, o) => {
          return (await import('./commands/db.js')).runDbUpdate(o);
        },
      },
      {
        name: 'status',
        summary: 'feeds, their age and counts, schema version',
        options: [
          ...DB_OPTIONS,
          {
            name: 'format',
            short: 'f',
            type: 'string',
            description: 'output format',
            choices: ['table', 'json'],
            default: 'table',
          },
        ],
        run: async (_args, o) => (await import('./commands/db.js')).runDbStatus(o),
      },
      {
        name: 'export',
        summary: 'write the database to one file (an offline bundle for "db import")',
        args: [{ name: 'file', description: 'the file to write', required: true }],
        options: DB_OPTIONS,
        run: async (args, o) => (await import('./commands/db.js')).runDbExport(args[0] as string, o),
      },
    ],
  },
];

const TRUST_REGISTRY: OptionSpec[] = [
  {
    name: 'insecure',
    type: 'boolean',
    description: 'plain HTTP for the registry (never for the trust server)',
  },
  {
    name: 'username',
    type: 'string',
    valueName: 'user',
    description: 'registry / trust server user (or DRYDOCK_USERNAME; default: docker config)',
  },
  {
    name: 'password',
    type: 'string',
    valueName: 'password',
    description: 'registry / trust server password',
  },
  {
    name: 'timeout',
    type: 'string',
    valueName: 'duration',
    description: 'connect/idle timeout',
    default: '30s',
    parse: parsers.duration,
  },
];

const NOTARY_OPTIONS: OptionSpec[] = [
  {
    name: 'server',
    short: 's',
    type: 'string',
    valueName: 'url',
    description: 'Notary server (default $DOCKER_CONTENT_TRUST_SERVER, else https://<registry>)',
  },
  {
    name: 'tls-ca',
    type: 'string',
    valueName: 'file',
    description:
      "CA certificate for the trust server's TLS, added to the system store (NODE_EXTRA_CA_CERTS works too)",
  },
  {
    name: 'trust-dir',
    type: 'string',
    valueName: 'dir',
    description: 'keys and trust cache (default $DRYDOCK_TRUST_DIR or ~/.drydock/trust)',
  },
  ...TRUST_REGISTRY,
];

const IMAGE_ARG = { name: 'image', description: 'REGISTRY/REPOSITORY:TAG', required: true };

const TRUST_COMMANDS: CommandSpec[] = [
  {
    name: 'trust',
    summary:
      'content trust: Notary / Docker Content Trust signing and verification, cosign, Notation, trust server',
    description:
      'Docker Content Trust semantics: the GUN is registry host + repository, the Notary server comes from\n' +
      '--server or DOCKER_CONTENT_TRUST_SERVER, keys are stored encrypted under the trust dir (passphrases from\n' +
      'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE / DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE). With\n' +
      'DRYDOCK_CONTENT_TRUST=1 (or DOCKER_CONTENT_TRUST=1) every command that pulls an image refuses one\n' +
      'without a valid signature under the trust policy; --disable-content-trust lifts it per command.',
    subcommands: [
      {
        name: 'sign',
        summary:
          'sign an image tag: publish its manifest digest and size to the Notary server (creates the repository on first use)',
        args: [IMAGE_ARG],
        options: NOTARY_OPTIONS,
        examples: [
          'DOCKER_CONTENT_TRUST_SERVER=https://127.0.0.1:4443 drydock trust sign 127.0.0.1:5000/app:1.0',
        ],
        run: async (args, o) => (await import('./commands/trust.js')).runTrustSign(args[0] as string, o),
      },
      {
        name: 'verify',
        summary: 'resolve the tag to its signed digest (TUF-verified) and check the registry serves it',
        args: [IMAGE_ARG],
        options: [
          ...NOTARY_OPTIONS,
          {
            name: 'format',
            short: 'f',
            type: 'string',
            description: 'output format',
            choices: ['text', 'json'],
            default: 'text',
          },
        ],
        run: async (args, o) => (await import('./commands/trust.js')).runTrustVerify(args[0] as string, o),
      },
      {
        name: 'inspect',
        summary: 'signed tags, signers and keys of repositories (docker trust inspect)',
        args: [{ name: 'image', description: 'REPOSITORY or REPOSITORY:TAG', variadic: true }],
        options: [...NOTARY_OPTIONS, ...TABLE_JSON],
        run: async (args, o) => (await import('./commands/trust.js')).runTrustInspect(args, o),
      },
      {
        name: 'revoke',
        summary: 'remove the signature of a tag and publish',
        args: [IMAGE_ARG],
        options: NOTARY_OPTIONS,
        run: async (args, o) => (await import('./commands/trust.js')).runTrustRevoke(args[0] as string, o),
      },
      {
        name: 'key',
        summary: 'signer keys: generate, load, rotate',
        subcommands: [
          {
            name: 'generate',
            summary: 'a new ecdsa signer key (stored encrypted) and NAME.pub for `trust signer add`',
            args: [{ name: 'name', description: 'signer name', required: true }],
            options: [
              {
                name: 'dir',
                type: 'string',
                valueName: 'dir',
                description: 'where NAME.pub goes (default .)',
              },
              NOTARY_OPTIONS[2] as OptionSpec,
            ],
            run: async (args, o) =>
              (await import('./commands/trust.js')).runTrustKeyGenerate(args[0] as string, o),
          },
          {
            name: 'load',
            summary: 'import a private key PEM as a signer key',
            args: [{ name: 'file', description: 'private key PEM', required: true }],
            options: [
              {
                name: 'name',
                type: 'string',
                valueName: 'name',
                description: 'signer name',
                default: 'signer',
              },
              NOTARY_OPTIONS[2] as OptionSpec,
            ],
            run: async (args, o) =>
              (await import('./commands/trust.js')).runTrustKeyLoad(args[0] as string, o),
          },
          {
            name: 'rotate',
            summary: "rotate a repository's root, targets, snapshot or timestamp key",
            args: [
              { name: 'repository', description: 'REGISTRY/REPOSITORY', required: true },
              { name: 'role', description: 'root | targets | snapshot | timestamp', required: true },
            ],
            options: [
              ...NOTARY_OPTIONS,
              {
                name: 'local',
                type: 'boolean',
                description: 'snapshot: keep the new key locally (default: server-managed)',
              },
            ],
            run: async (args, o) =>
              (await import('./commands/trust.js')).runTrustKeyRotate(
                args[0] as string,
                args[1] as string,
                o,
              ),
          },
        ],
      },
      {
        name: 'signer',
        summary: 'delegations: add or remove a signer (targets/releases + targets/NAME)',
        subcommands: [
          {
            name: 'add',
            summary: "add a signer's public key(s) to repositories",
            args: [
              { name: 'name', description: 'signer name', required: true },
              { name: 'repository', description: 'REGISTRY/REPOSITORY', required: true, variadic: true },
            ],
            options: [
              {
                name: 'key',
                type: 'string',
                valueName: 'file',
                multiple: true,
                description: 'public key or certificate PEM (repeatable)',
              },
              ...NOTARY_OPTIONS,
            ],
            run: async (args, o) =>
              (await import('./commands/trust.js')).runTrustSignerAdd(args[0] as string, args.slice(1), o),
          },
          {
            name: 'remove',
            summary: 'remove a signer from repositories',
            args: [
              { name: 'name', description: 'signer name', required: true },
              { name: 'repository', description: 'REGISTRY/REPOSITORY', required: true, variadic: true },
            ],
            options: NOTARY_OPTIONS,
            run: async (args, o) =>
              (await import('./commands/trust.js')).runTrustSignerRemove(args[0] as string, args.slice(1), o),
          },
        ],
      },
      {
        name: 'server',
        summary: 'a Notary-compatible trust server (server-managed timestamp/snapshot; SQLite or PostgreSQL)',
        options: [
          {
            name: 'listen',
            type: 'string',
            valueName: 'host:port',
            description: 'address (default 127.0.0.1:4443)',
          },
          {
            name: 'db',
            type: 'string',
            valueName: 'url',
            description: 'sqlite:PATH (default in the cache dir) or postgres://...',
          },
          {
            name: 'tls-cert',
            type: 'string',
            valueName: 'file',
            description: 'HTTPS certificate (chain) PEM',
          },
          { name: 'tls-key', type: 'string', valueName: 'file', description: 'HTTPS private key PEM' },
        ],
        examples: ['drydock trust server --listen 127.0.0.1:4443 --tls-cert server.crt --tls-key server.key'],
        run: async (_args, o) => (await import('./commands/trust.js')).runTrustServerCommand(o),
      },
      {
        name: 'check-dockerfile',
        summary:
          "fail when a FROM (or COPY --from) image is not signed as the trust policy requires (Docker's DCT build rule)",
        args: [{ name: 'file', description: 'the Dockerfile', required: true }],
        options: [
          {
            name: 'build-arg',
            type: 'string',
            valueName: 'K=V',
            multiple: true,
            description: 'build argument for ARG substitution',
          },
          {
            name: 'trust-policy',
            type: 'string',
            valueName: 'file',
            description: 'trust policy (default $DRYDOCK_TRUST_POLICY or ~/.drydock/trust/policy.yaml)',
          },
          NOTARY_OPTIONS[1] as OptionSpec,
          ...TRUST_REGISTRY,
        ],
        run: async (args, o) =>
          (await import('./commands/trust.js')).runTrustCheckDockerfile(args[0] as string, o),
      },
      {
        name: 'cosign',
        summary: 'cosign key-pair signatures (sha256-<digest>.sig in the repository)',
        subcommands: [
          {
            name: 'generate-key-pair',
            summary: 'cosign.key (encrypted with COSIGN_PASSWORD, cosign format) and cosign.pub',
            options: [
              {
                name: 'output-key-prefix',
                type: 'string',
                valueName: 'prefix',
                description: 'file name prefix',
                default: 'cosign',
              },
            ],
            run: async (_args, o) => (await import('./commands/trust.js')).runCosignGenerateKeyPair(o),
          },
          {
            name: 'sign',
            summary: "sign an image's manifest digest and push the signature",
            args: [IMAGE_ARG],
            options: [
              {
                name: 'key',
                type: 'string',
                valueName: 'file',
                description: 'private key (COSIGN_PASSWORD decrypts it)',
              },
              ...TRUST_REGISTRY,
            ],
            run: async (args, o) => (await import('./commands/trust.js')).runCosignSign(args[0] as string, o),
          },
          {
            name: 'verify',
            summary: "verify an image's cosign signatures against public keys",
            args: [IMAGE_ARG],
            options: [
              {
                name: 'key',
                type: 'string',
                valueName: 'file',
                multiple: true,
                description: 'public key PEM (repeatable)',
              },
              ...TRUST_REGISTRY,
            ],
            run: async (args, o) =>
              (await import('./commands/trust.js')).runCosignVerify(args[0] as string, o),
          },
        ],
      },
      {
        name: 'sigstore',
        summary: 'Sigstore bundles verified offline against a trusted root',
        subcommands: [
          {
            name: 'verify',
            summary: 'verify a bundle for an artifact file (or its sha256:<hex> digest)',
            args: [{ name: 'artifact', description: 'the signed file, or sha256:<hex>', required: true }],
            options: [
              {
                name: 'bundle',
                type: 'string',
                valueName: 'file',
                description: 'the Sigstore bundle (v0.1-v0.3 JSON)',
              },
              {
                name: 'trusted-root',
                type: 'string',
                valueName: 'file',
                description: 'trusted_root.json (CAs, tlogs, ctlogs)',
              },
              {
                name: 'certificate-identity',
                type: 'string',
                valueName: 'san',
                description: 'expected signer (email, URI)',
              },
              {
                name: 'certificate-identity-regexp',
                type: 'string',
                valueName: 're',
                description: 'expected signer, as a regular expression',
              },
              {
                name: 'certificate-oidc-issuer',
                type: 'string',
                valueName: 'url',
                description: 'expected OIDC issuer',
              },
              {
                name: 'certificate-oidc-issuer-regexp',
                type: 'string',
                valueName: 're',
                description: 'expected OIDC issuer, as a regular expression',
              },
              {
                name: 'key',
                type: 'string',
                valueName: 'file',
                multiple: true,
                description: 'public key PEM for key-signed bundles',
              },
            ],
            run: async (args, o) =>
              (await import('./commands/trust.js')).runSigstoreVerify(args[0] as string, o),
          },
        ],
      },
      {
        name: 'notation',
        summary: 'Notation signatures (OCI referrers) checked against a trust policy and trust store',
        subcommands: [
          {
            name: 'verify',
            summary: "verify an image's Notation signatures",
            args: [IMAGE_ARG],
            options: [
              { name: 'policy', type: 'string', valueName: 'file', description: 'Notation trustpolicy.json' },
              {
                name: 'trust-store',
                type: 'string',
                valueName: 'dir',
                description: 'trust store (x509/ca/<name>/*.crt)',
              },
              ...TRUST_REGISTRY,
            ],
            run: async (args, o) =>
              (await import('./commands/trust.js')).runNotationVerify(args[0] as string, o),
          },
        ],
      },
    ],
  },
];

export const PROGRAM: ProgramSpec = {
  name: 'drydock',
  version: VERSION,
  summary: 'container security: scan images, audit runtime hardening, verify registry trust',
  globalOptions: GLOBAL,
  commands: [
    ...COMMANDS,
    ...SBOM_COMMANDS,
    ...EXPLAIN_COMMANDS,
    ...AUDIT_COMMANDS,
    ...PROFILE_COMMANDS,
    ...TRUST_COMMANDS,
    ...DB_COMMANDS,
  ],
  onGlobals: (o) => {
    if (o.debug) setDebug(true);
    if (o.quiet) setQuiet(true);
    debug(`drydock ${VERSION} on node ${process.version}`);
  },
};

/** Runs the CLI; returns the exit code (0 ok, 1..N findings, 2 usage or input, 3 internal). */
export async function main(argv: string[]): Promise<number> {
  // A reader that stops early (`drydock sbom IMG | head`) is not an error: stop quietly, as cat does.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  try {
    return await runProgram(PROGRAM, argv.slice(2));
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`drydock: error: ${e.message.split('\n')[0]}\n`);
      if (isDebug() && e.cause) process.stderr.write(`${String((e.cause as Error).stack ?? e.cause)}\n`);
      return e.exitCode;
    }
    process.stderr.write(
      `drydock: internal error: ${describe(e)}${isDebug() ? '' : ' (run with --debug for details)'}\n`,
    );
    if (isDebug() && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return EXIT_INTERNAL;
  }
}
