// auditd watch rules for a Docker host, as CIS Docker Benchmark v1.6 section 1.1 (1.1.3 to 1.1.18) asks.

/** CIS Docker Benchmark v1.6 control id -> title. */
export const HOST_RULE_CONTROLS: Readonly<Record<string, string>> = {
  'CIS-DOCKER-1.6:1.1.3': 'Ensure auditing is configured for the Docker daemon',
  'CIS-DOCKER-1.6:1.1.4': 'Ensure auditing is configured for Docker files and directories - /run/containerd',
  'CIS-DOCKER-1.6:1.1.5': 'Ensure auditing is configured for Docker files and directories - /var/lib/docker',
  'CIS-DOCKER-1.6:1.1.6': 'Ensure auditing is configured for Docker files and directories - /etc/docker',
  'CIS-DOCKER-1.6:1.1.7': 'Ensure auditing is configured for Docker files and directories - docker.service',
  'CIS-DOCKER-1.6:1.1.8': 'Ensure auditing is configured for Docker files and directories - containerd.sock',
  'CIS-DOCKER-1.6:1.1.9': 'Ensure auditing is configured for Docker files and directories - docker.socket',
  'CIS-DOCKER-1.6:1.1.10':
    'Ensure auditing is configured for Docker files and directories - /etc/default/docker',
  'CIS-DOCKER-1.6:1.1.11':
    'Ensure auditing is configured for Docker files and directories - /etc/docker/daemon.json',
  'CIS-DOCKER-1.6:1.1.12':
    'Ensure auditing is configured for Docker files and directories - /etc/containerd/config.toml',
  'CIS-DOCKER-1.6:1.1.13':
    'Ensure auditing is configured for Docker files and directories - /etc/sysconfig/docker',
  'CIS-DOCKER-1.6:1.1.14':
    'Ensure auditing is configured for Docker files and directories - /usr/bin/containerd',
  'CIS-DOCKER-1.6:1.1.15':
    'Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim',
  'CIS-DOCKER-1.6:1.1.16':
    'Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim-runc-v1',
  'CIS-DOCKER-1.6:1.1.17':
    'Ensure auditing is configured for Docker files and directories - /usr/bin/containerd-shim-runc-v2',
  'CIS-DOCKER-1.6:1.1.18': 'Ensure auditing is configured for Docker files and directories - /usr/bin/runc',
};

/** Where systemd units live: the distribution's (Debian's /lib, Red Hat's /usr/lib) and the administrator's. */
const UNIT_DIRS = ['/lib/systemd/system', '/usr/lib/systemd/system', '/etc/systemd/system'];

const WATCHES: readonly { control: string; what: string; paths: readonly string[] }[] = [
  { control: '1.1.3', what: 'dockerd binary', paths: ['/usr/bin/dockerd'] },
  { control: '1.1.4', what: 'containerd state directory', paths: ['/run/containerd'] },
  { control: '1.1.5', what: 'Docker data root', paths: ['/var/lib/docker'] },
  { control: '1.1.6', what: 'Docker configuration directory', paths: ['/etc/docker'] },
  { control: '1.1.7', what: 'docker.service unit', paths: UNIT_DIRS.map((d) => `${d}/docker.service`) },
  { control: '1.1.8', what: 'containerd socket', paths: ['/run/containerd/containerd.sock'] },
  { control: '1.1.9', what: 'docker.socket unit', paths: UNIT_DIRS.map((d) => `${d}/docker.socket`) },
  { control: '1.1.10', what: 'Debian dockerd defaults', paths: ['/etc/default/docker'] },
  { control: '1.1.11', what: 'daemon.json', paths: ['/etc/docker/daemon.json'] },
  { control: '1.1.12', what: 'containerd configuration', paths: ['/etc/containerd/config.toml'] },
  { control: '1.1.13', what: 'Red Hat dockerd options', paths: ['/etc/sysconfig/docker'] },
  { control: '1.1.14', what: 'containerd binary', paths: ['/usr/bin/containerd'] },
  { control: '1.1.15', what: 'containerd-shim binary', paths: ['/usr/bin/containerd-shim'] },
  { control: '1.1.16', what: 'containerd-shim-runc-v1 binary', paths: ['/usr/bin/containerd-shim-runc-v1'] },
  { control: '1.1.17', what: 'containerd-shim-runc-v2 binary', paths: ['/usr/bin/containerd-shim-runc-v2'] },
  { control: '1.1.18', what: 'runc binary', paths: ['/usr/bin/runc'] },
];

/** The filter key on every rule, so `ausearch -k docker` finds all of their events. */
export const HOST_RULE_KEY = 'docker';

/**
 * The rules, each under a comment naming its control, ready to be written to
 * /etc/audit/rules.d/. "wa" records writes and attribute changes, not reads, which would flood the
 * log. With `exists`, paths it says are absent are returned in `skipped` instead: auditctl refuses to
 * load a watch on a path that is not there, and one failing line stops augenrules' whole file.
 */
export function hostAuditRules(opts: { exists?: (path: string) => boolean } = {}): {
  rules: string[];
  skipped: string[];
} {
  const rules: string[] = [];
  const skipped: string[] = [];
  for (const w of WATCHES) {
    for (const path of w.paths) {
      if (opts.exists && !opts.exists(path)) {
        skipped.push(path);
        continue;
      }
      rules.push(`## CIS-DOCKER-1.6:${w.control} ${w.what}`, `-w ${path} -p wa -k ${HOST_RULE_KEY}`);
    }
  }
  return { rules, skipped };
}
