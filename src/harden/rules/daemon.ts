// Daemon rules: CIS Docker Benchmark v1.6 section 2 (Docker daemon configuration), decided from
// daemon.json and the dockerd command line.

import type { DaemonSpec } from '../spec.js';
import type { DaemonRule } from './types.js';

const CIS = 'CIS-DOCKER-1.6:';
const REF = 'https://www.cisecurity.org/benchmark/docker';
const DOCS = 'https://docs.docker.com/reference/cli/dockerd/';

function tcpHosts(d: DaemonSpec): string[] {
  return (d.hosts ?? []).filter((h) => /^tcp:\/\//i.test(h) || /^[\d.[\]:]+:\d+$/.test(h));
}

export const DAEMON_RULES: DaemonRule[] = [
  {
    target: 'daemon',
    id: 'DDD001',
    title: 'Network traffic between containers on the default bridge is restricted',
    severity: 'MEDIUM',
    description: 'With icc enabled (the default) every container on docker0 can reach every other one.',
    resolution:
      'Set "icc": false in daemon.json (--icc=false) and use user-defined networks for containers that must talk.',
    compliance: [`${CIS}2.2`],
    references: [REF, DOCS],
    check: (d) =>
      d.icc === false
        ? []
        : [{ message: 'inter-container communication on the default bridge is enabled (icc)', field: 'icc' }],
  },
  {
    target: 'daemon',
    id: 'DDD002',
    title: "The logging level is 'info'",
    severity: 'LOW',
    description:
      'debug logs too much (secrets in requests); warn/error/fatal lose events needed for investigation.',
    resolution: 'Set "log-level": "info" or remove it.',
    compliance: [`${CIS}2.3`],
    references: [REF],
    check: (d) =>
      d.logLevel === undefined || d.logLevel === 'info'
        ? []
        : [{ message: `log level is ${d.logLevel}`, field: 'logLevel' }],
  },
  {
    target: 'daemon',
    id: 'DDD003',
    title: 'Docker is allowed to make changes to iptables',
    severity: 'MEDIUM',
    description:
      'With iptables disabled, published ports and isolation rules are not set up by Docker and are easily wrong.',
    resolution: 'Remove "iptables": false (--iptables=false).',
    compliance: [`${CIS}2.4`],
    references: [REF],
    check: (d) =>
      d.iptables === false ? [{ message: 'Docker may not manage iptables', field: 'iptables' }] : [],
  },
  {
    target: 'daemon',
    id: 'DDD004',
    title: 'Insecure registries are not used',
    severity: 'HIGH',
    description:
      'An insecure registry is reached over plain HTTP or unverified TLS: images can be swapped in transit.',
    resolution: 'Remove insecure-registries; give the registry a certificate the host trusts.',
    compliance: [`${CIS}2.5`],
    references: [REF],
    check: (d) => {
      const list = (d.insecureRegistries ?? []).filter((r) => !/^(127\.|localhost(:|$)|::1)/.test(r));
      return list.length > 0
        ? [{ message: `insecure registries: ${list.join(', ')}`, field: 'insecureRegistries' }]
        : [];
    },
  },
  {
    target: 'daemon',
    id: 'DDD005',
    title: 'The aufs storage driver is not used',
    severity: 'MEDIUM',
    description:
      'aufs is unmaintained, removed from Docker 24, and had kernel crashes and security problems.',
    resolution: 'Use overlay2.',
    compliance: [`${CIS}2.6`],
    references: [REF],
    check: (d) =>
      d.storageDriver === 'aufs' ? [{ message: 'the storage driver is aufs', field: 'storageDriver' }] : [],
  },
  {
    target: 'daemon',
    id: 'DDD006',
    title: 'TLS authentication is configured for the daemon',
    severity: 'CRITICAL',
    description:
      'A daemon listening on TCP without TLS client verification gives root on the host to anyone who can connect.',
    resolution: 'Listen on the Unix socket only, or set tlsverify with tlscacert, tlscert and tlskey.',
    compliance: [`${CIS}2.7`],
    references: [REF, 'https://docs.docker.com/engine/security/protect-access/'],
    check: (d) => {
      const tcp = tcpHosts(d);
      if (tcp.length === 0) return [];
      if (d.tlsVerify && d.tlsCaCert && d.tlsCert && d.tlsKey) return [];
      const how = d.tlsVerify
        ? 'with tlsverify but without all of tlscacert, tlscert and tlskey'
        : d.tls
          ? 'with TLS but without client verification (tlsverify)'
          : 'without TLS';
      return [{ message: `the daemon listens on ${tcp.join(', ')} ${how}`, field: 'hosts' }];
    },
  },
  {
    target: 'daemon',
    id: 'DDD007',
    title: 'The default ulimit is configured',
    severity: 'LOW',
    description: 'Default ulimits bound what each container may use (open files, processes).',
    resolution: 'Set "default-ulimits" (e.g. nofile) in daemon.json.',
    compliance: [`${CIS}2.8`],
    references: [REF],
    check: (d) =>
      d.defaultUlimits && d.defaultUlimits.length > 0 ? [] : [{ message: 'no default ulimits are set' }],
  },
  {
    target: 'daemon',
    id: 'DDD008',
    title: 'User namespace support is enabled',
    severity: 'MEDIUM',
    description: 'With userns-remap, root in a container maps to an unprivileged host UID.',
    resolution: 'Set "userns-remap": "default" (or a user), or run Docker rootless.',
    compliance: [`${CIS}2.9`],
    references: [REF, 'https://docs.docker.com/engine/security/userns-remap/'],
    check: (d) =>
      d.usernsRemap || d.rootless ? [] : [{ message: 'user namespace remapping is off (userns-remap)' }],
  },
  {
    target: 'daemon',
    id: 'DDD009',
    title: 'The default cgroup usage is confirmed',
    severity: 'LOW',
    description: 'A daemon-wide cgroup parent moves every container out of the default cgroup.',
    resolution: 'Confirm cgroup-parent is intended, or remove it.',
    compliance: [`${CIS}2.10`],
    references: [REF],
    check: (d) =>
      d.cgroupParent
        ? [{ message: `the daemon's cgroup parent is ${d.cgroupParent}`, field: 'cgroupParent' }]
        : [],
  },
  {
    target: 'daemon',
    id: 'DDD010',
    title: 'The base device size is not changed until needed',
    severity: 'LOW',
    description: 'A larger dm.basesize grows every container filesystem and can fill the host.',
    resolution: 'Remove dm.basesize from storage-opts unless needed.',
    compliance: [`${CIS}2.11`],
    references: [REF],
    check: (d) => {
      const o = (d.storageOpts ?? []).find((s) => /^dm\.basesize=/i.test(s));
      return o ? [{ message: `storage option ${o}`, field: 'storageOpts' }] : [];
    },
  },
  {
    target: 'daemon',
    id: 'DDD011',
    title: 'Authorization for Docker client commands is enabled',
    severity: 'LOW',
    description: 'Without an authorization plugin, anyone with access to the socket may do everything.',
    resolution: 'Configure an authorization plugin (authorization-plugins).',
    compliance: [`${CIS}2.12`],
    references: [REF],
    check: (d) =>
      d.authorizationPlugins && d.authorizationPlugins.length > 0
        ? []
        : [{ message: 'no authorization plugin' }],
  },
  {
    target: 'daemon',
    id: 'DDD012',
    title: 'Centralized and remote logging is configured',
    severity: 'LOW',
    description: 'Container logs kept only on the host are lost with it and can be tampered with.',
    resolution: 'Set a remote log driver (syslog, journald forwarded, fluentd, gelf, awslogs, splunk...).',
    compliance: [`${CIS}2.13`],
    references: [REF],
    check: (d) =>
      d.logDriver && !['json-file', 'local', 'none'].includes(d.logDriver)
        ? []
        : [{ message: `log driver is ${d.logDriver ?? 'json-file (default)'}`, field: 'logDriver' }],
  },
  {
    target: 'daemon',
    id: 'DDD013',
    title: 'Containers are restricted from acquiring new privileges',
    severity: 'MEDIUM',
    description:
      'no-new-privileges daemon-wide stops setuid binaries from raising privileges in every container.',
    resolution: 'Set "no-new-privileges": true in daemon.json.',
    compliance: [`${CIS}2.14`],
    references: [REF],
    check: (d) =>
      d.noNewPrivileges
        ? []
        : [{ message: 'no-new-privileges is not set daemon-wide', field: 'noNewPrivileges' }],
  },
  {
    target: 'daemon',
    id: 'DDD014',
    title: 'Live restore is enabled',
    severity: 'LOW',
    description: 'With live-restore, containers keep running while the daemon restarts (upgrades, crashes).',
    resolution: 'Set "live-restore": true.',
    compliance: [`${CIS}2.15`],
    references: [REF],
    check: (d) => (d.liveRestore ? [] : [{ message: 'live-restore is off', field: 'liveRestore' }]),
  },
  {
    target: 'daemon',
    id: 'DDD015',
    title: 'The userland proxy is disabled',
    severity: 'LOW',
    description: 'docker-proxy processes widen the attack surface; hairpin NAT does the same job.',
    resolution: 'Set "userland-proxy": false.',
    compliance: [`${CIS}2.16`],
    references: [REF],
    check: (d) =>
      d.userlandProxy === false ? [] : [{ message: 'the userland proxy is enabled', field: 'userlandProxy' }],
  },
  {
    target: 'daemon',
    id: 'DDD016',
    title: 'A daemon-wide seccomp profile is not unconfined',
    severity: 'HIGH',
    description:
      'seccomp-profile "unconfined" turns seccomp off for every container that does not name a profile.',
    resolution:
      'Remove "seccomp-profile": "unconfined" (the built-in default applies) or name a custom profile.',
    compliance: [`${CIS}2.17`],
    references: [REF],
    check: (d) =>
      d.seccompProfile === 'unconfined'
        ? [{ message: 'the daemon-wide seccomp profile is unconfined', field: 'seccompProfile' }]
        : [],
  },
  {
    target: 'daemon',
    id: 'DDD017',
    title: 'Experimental features are not enabled in production',
    severity: 'LOW',
    description: 'Experimental features are unsupported and may change or be insecure.',
    resolution: 'Remove "experimental": true.',
    compliance: [`${CIS}2.18`],
    references: [REF],
    check: (d) =>
      d.experimental ? [{ message: 'experimental features are enabled', field: 'experimental' }] : [],
  },
  {
    target: 'daemon',
    id: 'DDD018',
    title: 'SELinux support is enabled on SELinux hosts',
    severity: 'LOW',
    description:
      'Without --selinux-enabled Docker does not label containers, so SELinux cannot separate them on hosts that run it.',
    resolution: 'Set "selinux-enabled": true on SELinux hosts (Fedora, RHEL, CentOS).',
    compliance: [],
    references: [DOCS],
    check: (d) =>
      d.selinuxEnabled
        ? []
        : [{ message: 'SELinux support is off (matters on SELinux hosts)', field: 'selinuxEnabled' }],
  },
];
