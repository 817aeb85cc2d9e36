// A fresh OCI runtime config.json for a container given in another form (a docker run line, a
// compose service...), the way a runtime would start it: the usual namespaces and /proc, /dev, /sys
// mounts (as `runc spec` and Docker set them up), the container's command, user, env-less PATH,
// mounts of volumes it declares left out (they need the engine), and root at "rootfs".

import type { ImageHints } from '../plan.js';
import type { ContainerSpec } from '../spec.js';

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function baseOciConfig(spec: ContainerSpec, image?: ImageHints): Record<string, unknown> {
  const args =
    spec.command && spec.command.length > 0
      ? image?.entrypoint && image.entrypoint.length > 0
        ? [...image.entrypoint, ...spec.command]
        : spec.command
      : [...(image?.entrypoint ?? []), ...(image?.cmd ?? [])];
  const mounts: Record<string, unknown>[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    },
  ];
  for (const m of spec.mounts) {
    if (m.type !== 'bind' || !m.source?.startsWith('/') || !m.target) continue;
    const options = ['rbind', m.readOnly ? 'ro' : 'rw'];
    if (m.propagation) options.push(m.propagation);
    mounts.push({ destination: m.target, type: 'bind', source: m.source, options });
  }
  const namespaces = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']
    .filter((t) => {
      const mode =
        t === 'network'
          ? spec.network
          : t === 'pid'
            ? spec.pid
            : t === 'ipc'
              ? spec.ipc
              : t === 'uts'
                ? spec.uts
                : t === 'cgroup'
                  ? spec.cgroupns
                  : undefined;
      return mode === undefined || !/^host$/i.test(mode);
    })
    .map((type) => ({ type }));
  const process: Record<string, unknown> = {
    terminal: false,
    user: { uid: 0, gid: 0 },
    args: args.length > 0 ? args : ['/bin/sh'],
    env: [PATH],
    cwd: '/',
  };
  return {
    ociVersion: '1.0.2',
    process,
    root: { path: 'rootfs', readonly: false },
    hostname: spec.name.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 63) || 'container',
    mounts,
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces,
    },
  };
}
