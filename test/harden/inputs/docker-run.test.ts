import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import {
  imageShortName,
  parseDevice,
  parseDockerRun,
  parseDockerRunArgv,
  parseDockerRunCommand,
  parseMountLong,
} from '../../../src/harden/inputs/docker-run.js';

function throwsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one line');
    assert.equal(e.exitCode, 2);
    return true;
  });
}

const run = (opts: string) => parseDockerRun(`docker run ${opts} alpine:3.20`);

describe('parseDockerRun: command words', () => {
  for (const prefix of [
    'docker run',
    'docker container run',
    'docker create',
    'docker container create',
    'podman run',
    'podman create',
    'podman container run',
    'sudo docker run',
    'sudo -E -u root docker run',
    '/usr/bin/docker run',
    'docker -H tcp://10.0.0.1:2376 --tlsverify run',
    'docker --context=prod run',
    'podman --root /tmp/r --runroot /tmp/rr --storage-driver vfs create',
    '',
  ]) {
    it(`finds the image after "${prefix}"`, () => {
      const p = parseDockerRunCommand(`${prefix} -d --name web nginx:1.25 nginx -g 'daemon off;'`);
      assert.equal(p.spec.image, 'nginx:1.25');
      assert.deepEqual(p.spec.command, ['nginx', '-g', 'daemon off;']);
      assert.equal(p.spec.name, 'web');
      assert.deepEqual(p.prefix, prefix.split(' ').filter(Boolean));
      assert.equal(p.argv[p.imageIndex], 'nginx:1.25');
    });
  }

  it('takes an argv array as is (no shell splitting)', () => {
    const spec = parseDockerRun(['docker', 'run', '-e', 'A=$HOME x', 'alpine', 'echo', "it's"]);
    assert.equal(spec.image, 'alpine');
    assert.deepEqual(spec.command, ['echo', "it's"]);
  });

  it('refuses other docker commands and a bare engine word', () => {
    throwsUser(
      () => parseDockerRun('docker ps -a'),
      /<docker-run>: expected "docker run" or "docker create", got "docker ps"/,
    );
    throwsUser(() => parseDockerRun('docker'), /got "docker" alone/);
    throwsUser(() => parseDockerRun('sudo'), /"sudo" without a command/);
    throwsUser(() => parseDockerRun('sudo ls /'), /expected docker or podman after sudo/);
    throwsUser(() => parseDockerRun('docker --bogus run x'), /unknown docker option "--bogus"/);
  });

  it('picks the one run command out of a small script', () => {
    const spec = parseDockerRun(
      '#!/bin/sh\nset -e\ndocker pull nginx && \\\n  docker run -d nginx\necho started\n',
    );
    assert.equal(spec.image, 'nginx');
    throwsUser(
      () => parseDockerRun('docker run a\ndocker run b\n', 'run.sh'),
      /^run\.sh: .*2 docker run\/create commands \(lines 1 and 2\)/,
    );
    throwsUser(() => parseDockerRun('echo a; echo b'), /none is a docker run or create/);
  });

  it('names the file in shell errors', () => {
    throwsUser(
      () => parseDockerRun(`docker run 'x`, 'cmd.sh'),
      /^cmd\.sh: line 1: unterminated single quote/,
    );
  });

  it('requires an image', () => {
    throwsUser(
      () => parseDockerRun('docker run -d --name x'),
      /requires at least 1 argument: the image is missing/,
    );
    throwsUser(() => parseDockerRun('docker run --name'), /flag needs an argument: --name/);
  });
});

describe('parseDockerRun: option syntax', () => {
  it('reads --flag=value, --flag value, -x value, -xVALUE and -x=VALUE', () => {
    const s = parseDockerRun(
      'docker run --memory=1g --pids-limit 50 -u 1000 -p8080:80 -v=/a:/b -c=512 alpine',
    );
    assert.equal(s.memory, 1024 ** 3);
    assert.equal(s.pidsLimit, 50);
    assert.equal(s.user, '1000');
    assert.deepEqual(s.ports, [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }]);
    assert.equal(s.mounts[0]?.target, '/b');
    assert.equal(s.cpuShares, 512);
  });

  it('reads combined short switches, with a value-taking flag last', () => {
    const p = parseDockerRunCommand('docker run -itd -Pp 80:80 -itu 1000 alpine sh');
    assert.deepEqual(
      p.options.map((o) => [o.name, o.value ?? null, o.token, o.span]),
      [
        ['interactive', null, 0, 1],
        ['tty', null, 0, 1],
        ['detach', null, 0, 1],
        ['publish-all', null, 1, 2],
        ['publish', '80:80', 1, 2],
        ['interactive', null, 3, 2],
        ['tty', null, 3, 2],
        ['user', '1000', 3, 2],
      ],
    );
    assert.equal(p.spec.user, '1000');
    assert.deepEqual(p.spec.command, ['sh']);
  });

  it('reads switches with =true / =false only in the = form', () => {
    assert.equal(run('--privileged=false').privileged, false);
    assert.equal(run('--privileged=true').privileged, true);
    assert.equal(run('--read-only=1').readOnlyRootfs, true);
    assert.equal(run('--read-only=False').readOnlyRootfs, false);
    // "--privileged false": false is the image, as for docker
    const s = parseDockerRun('docker run --privileged false');
    assert.equal(s.privileged, true);
    assert.equal(s.image, 'false');
    throwsUser(() => run('--privileged=yes'), /invalid argument "yes" for --privileged/);
    throwsUser(() => run('-d=maybe'), /invalid argument "maybe" for --detach/);
  });

  it('stops reading options at -- and at the image', () => {
    const s = parseDockerRun('docker run -e A=1 -- alpine --privileged -v /:/host');
    assert.equal(s.privileged, undefined);
    assert.deepEqual(s.mounts, []);
    assert.deepEqual(s.command, ['--privileged', '-v', '/:/host']);
    const t = parseDockerRun(`docker run alpine sh -c 'echo --cap-add=ALL'`);
    assert.deepEqual(t.capAdd, []);
    assert.deepEqual(t.command, ['sh', '-c', 'echo --cap-add=ALL']);
  });

  it('takes the next token as the value even when it looks like a flag, as pflag does', () => {
    const s = parseDockerRun('docker run --name --rm alpine');
    assert.equal(s.name, '--rm');
    assert.equal(s.image, 'alpine');
  });

  it("refuses unknown flags with docker's wording", () => {
    throwsUser(() => run('--foo'), /^<docker-run>: unknown flag: --foo$/);
    throwsUser(() => run('--foo=bar'), /unknown flag: --foo$/);
    throwsUser(() => run('-itx'), /unknown shorthand flag: 'x' in -itx/);
    throwsUser(() => parseDockerRun('docker run -p'), /flag needs an argument: 'p' in -p/);
  });

  it('knows the hidden aliases and deprecated options', () => {
    assert.equal(run('--net host').network, 'host');
    assert.equal(
      run('--net-alias db --dns-opt ndots:1 --kernel-memory 1g --disable-content-trust=false').image,
      'alpine:3.20',
    );
  });

  it('knows every documented docker run option', () => {
    const line = [
      '--add-host h:1.2.3.4 --annotation a=b -a stdout --blkio-weight 500 --blkio-weight-device /dev/sda:200',
      '--cidfile /tmp/c --cpu-count 1 --cpu-percent 10 --cpu-period 100000 --cpu-quota 50000',
      '--cpu-rt-period 1000 --cpu-rt-runtime 900 --cpuset-cpus 0-1 --cpuset-mems 0 --detach-keys ctrl-x',
      '--device-cgroup-rule "c 1:3 mr" --device-read-bps /dev/sda:1mb --device-read-iops /dev/sda:100',
      '--device-write-bps /dev/sda:1mb --device-write-iops /dev/sda:100 --dns 1.1.1.1 --dns-option ndots:2',
      '--dns-search example.com --domainname example.com --env-file .env --expose 80 --gpus all',
      '--group-add video --health-interval 30s --health-retries 3 --health-start-interval 1s',
      '--health-start-period 1m30s --health-timeout 500ms --help=false -h host --init -i',
      '--io-maxbandwidth 10m --io-maxiops 100 --ip 10.0.0.2 --ip6 fd00::2 --isolation default',
      '-l a=b --label-file l.txt --link db:db --link-local-ip 169.254.1.1 --log-driver json-file',
      '--log-opt max-size=10m --mac-address 92:d0:c6:0a:29:33 --memory-reservation 100m',
      '--memory-swappiness 10 --network-alias web --oom-kill-disable --oom-score-adj -500',
      '--platform linux/amd64 --pull always -q --rm --runtime runc --shm-size 64m --sig-proxy=false',
      '--stop-signal SIGTERM --stop-timeout 10 --storage-opt size=10G -t --use-api-socket',
      '--volume-driver local --volumes-from other -w /app --credentialspec file://x',
    ].join(' ');
    const s = parseDockerRun(`docker run ${line} alpine:3.20 true`);
    assert.equal(s.image, 'alpine:3.20');
    assert.deepEqual(s.command, ['true']);
  });

  it('type-checks the values of options that do not affect confinement', () => {
    throwsUser(
      () => run('--blkio-weight x'),
      /invalid argument "x" for --blkio-weight: not a non-negative integer/,
    );
    throwsUser(() => run('--oom-score-adj 1.5'), /for --oom-score-adj: not an integer/);
    throwsUser(() => run('--shm-size big'), /for --shm-size: not a size/);
    throwsUser(() => run('--health-interval 30'), /for --health-interval: not a duration/);
  });

  it('reads podman-only options only on a podman line', () => {
    const s = parseDockerRun(
      'podman run --pod mypod --systemd=always --userns keep-id --rootfs --read-only-tmpfs=false /srv/rootfs',
    );
    assert.equal(s.image, '/srv/rootfs');
    assert.equal(s.userns, 'keep-id');
    throwsUser(() => parseDockerRun('docker run --pod mypod alpine'), /unknown flag: --pod/);
  });
});

describe('parseDockerRun: what the spec gets', () => {
  it('records the source and no lines', () => {
    const s = parseDockerRun('docker run nginx', 'deploy.sh');
    assert.deepEqual(s.source, { file: 'deploy.sh', kind: 'docker-run', resource: 'docker run nginx' });
    assert.deepEqual(s.lines, {});
  });

  it('names the container after --name, else after the image', () => {
    assert.equal(parseDockerRun('docker run registry.example.com:5000/team/api:2.1@sha256:abcd').name, 'api');
    assert.equal(parseDockerRun('docker run --name "" nginx').name, 'nginx');
    assert.equal(imageShortName('localhost:5000/app'), 'app');
    assert.equal(imageShortName('busybox'), 'busybox');
  });

  it('normalises capabilities one name per flag, like docker', () => {
    const s = run(
      '--cap-add sys_admin --cap-add CAP_NET_ADMIN --cap-add=all --cap-drop net_raw --cap-drop ALL --cap-add NET_ADMIN,SYS_TIME --cap-add bogus',
    );
    assert.deepEqual(s.capAdd, [
      'CAP_SYS_ADMIN',
      'CAP_NET_ADMIN',
      'ALL',
      'CAP_NET_ADMIN,SYS_TIME',
      'CAP_BOGUS',
    ]);
    assert.deepEqual(s.capDrop, ['CAP_NET_RAW', 'ALL']);
  });

  it('reads --security-opt in the = and the legacy : forms', () => {
    const a = run(
      '--security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt no-new-privileges',
    );
    assert.deepEqual(a.seccomp, { kind: 'unconfined' });
    assert.deepEqual(a.apparmor, { kind: 'unconfined' });
    assert.equal(a.noNewPrivileges, true);
    const b = run(
      '--security-opt seccomp:/etc/docker/seccomp.json --security-opt apparmor:docker-default --security-opt no-new-privileges:false',
    );
    assert.deepEqual(b.seccomp, { kind: 'custom', ref: '/etc/docker/seccomp.json' });
    assert.deepEqual(b.apparmor, { kind: 'default' });
    assert.equal(b.noNewPrivileges, false);
    const c = run(
      '--security-opt label=type:spc_t --security-opt label:level:s0:c1,c2 --security-opt=systempaths=unconfined',
    );
    assert.deepEqual(c.selinux, { type: 'spc_t', level: 's0:c1,c2' });
    assert.equal(c.procMount, 'Unmasked');
    assert.equal(run('--security-opt label=disable').selinux?.disable, true);
    assert.deepEqual(run(`--security-opt 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'`).seccomp, {
      kind: 'custom',
      ref: 'inline JSON profile',
    });
    throwsUser(
      () => run('--security-opt bogus=1'),
      /^<docker-run>: --security-opt: unknown --security-opt "bogus"/,
    );
    throwsUser(() => run('--security-opt seccomp='), /--security-opt: seccomp= needs a profile/);
  });

  it("reads podman's own security options", () => {
    const s = parseDockerRun(
      'podman run --security-opt unmask=ALL --security-opt mask=/proc/x --security-opt proc-opts=hidepid=2 --security-opt label=nested alpine',
    );
    assert.equal(s.procMount, 'Unmasked');
    assert.equal(s.selinux, undefined);
  });

  it('reads user, read-only, limits and their bad values', () => {
    const s = run('-u app:app --read-only -m 512m --memory-swap -1 --pids-limit -1 --cpus 1.5 -c 256');
    assert.equal(s.user, 'app:app');
    assert.equal(s.readOnlyRootfs, true);
    assert.equal(s.memory, 512 * 1024 * 1024);
    assert.equal(s.memorySwap, -1);
    assert.equal(s.pidsLimit, -1);
    assert.equal(s.cpus, 1.5);
    assert.equal(s.cpuShares, 256);
    assert.equal(run('--memory-swap 1g').memorySwap, 1024 ** 3);
    throwsUser(() => run('--memory lots'), /invalid argument "lots" for --memory: not a size/);
    throwsUser(() => run('-m -5'), /for --memory: not a size/);
    throwsUser(() => run('--memory-swap -2'), /for --memory-swap/);
    throwsUser(() => run('--pids-limit x'), /invalid argument "x" for --pids-limit: not an integer/);
    throwsUser(() => run('--cpus abc'), /invalid argument "abc" for --cpus: not a number/);
    throwsUser(() => run('--cpus -1'), /for --cpus: not a number/);
    throwsUser(() => run('-c high'), /for --cpu-shares/);
  });

  it('reads the namespace options', () => {
    const s = run('--network host --pid=host --ipc host --uts host --userns host --cgroupns host');
    assert.deepEqual(
      [s.network, s.pid, s.ipc, s.uts, s.userns, s.cgroupns],
      ['host', 'host', 'host', 'host', 'host', 'host'],
    );
    assert.equal(run('--network name=backend,alias=db --network frontend').network, 'backend');
    assert.equal(run('--pid container:web').pid, 'container:web');
    assert.equal(run('--network container:db').network, 'container:db');
    assert.equal(
      parseDockerRun('podman run --network bridge:ip=10.88.0.10,mac=44:33:22:11:00:99 x').network,
      'bridge',
    );
    throwsUser(() => run('--network ""'), /--network: empty network/);
  });

  it('reads -v in every shape', () => {
    const s = run('-v /:/host -v data:/data:ro -v /anon -v ./src:/src:rshared,z -v $PWD/x:/x -v "$(pwd)":/y');
    assert.deepEqual(
      s.mounts.map((m) => [m.type, m.source ?? null, m.target, m.readOnly, m.propagation ?? null]),
      [
        ['bind', '/', '/host', false, null],
        ['volume', 'data', '/data', true, null],
        ['volume', null, '/anon', false, null],
        ['bind', './src', '/src', false, 'rshared'],
        ['bind', '$PWD/x', '/x', false, null],
        ['bind', '$(pwd)', '/y', false, null],
      ],
    );
    throwsUser(() => run('-v /a:/b:bogus'), /--volume: invalid volume option "bogus"/);
    throwsUser(() => run('-v a:b:c:d'), /--volume: invalid volume/);
  });

  it('reads --mount in every shape', () => {
    const s = run(
      [
        '--mount type=bind,source=/,target=/host,readonly,bind-propagation=rshared',
        '--mount type=volume,src=data,dst=/data,volume-driver=local,volume-opt=o=addr,volume-nocopy',
        '--mount type=tmpfs,destination=/scratch,tmpfs-size=64m,tmpfs-mode=1770',
        '--mount type=bind,src=/etc,dst=/etc,ro=false',
        '--mount "type=bind,src=/a,dst=/b,readonly=true"',
        `--mount 'type=npipe,src=\\\\.\\pipe\\docker_engine,dst=\\\\.\\pipe\\docker_engine'`,
        '--mount target=/anon',
        `--mount 'type=bind,"source=/path,with,commas",target=/c'`,
      ].join(' '),
    );
    assert.deepEqual(
      s.mounts.map((m) => [m.type, m.source ?? null, m.target, m.readOnly, m.propagation ?? null]),
      [
        ['bind', '/', '/host', true, 'rshared'],
        ['volume', 'data', '/data', false, null],
        ['tmpfs', null, '/scratch', false, null],
        ['bind', '/etc', '/etc', false, null],
        ['bind', '/a', '/b', true, null],
        ['npipe', '\\\\.\\pipe\\docker_engine', '\\\\.\\pipe\\docker_engine', false, null],
        ['volume', null, '/anon', false, null],
        ['bind', '/path,with,commas', '/c', false, null],
      ],
    );
    throwsUser(() => run('--mount type=bind,src=/,dst=/x,bogus=1'), /--mount: unknown --mount key "bogus"/);
    throwsUser(() => run('--mount type=weird,dst=/x'), /--mount: invalid mount type "weird"/);
    throwsUser(() => run('--mount type=bind,src=/'), /--mount: --mount "type=bind,src=\/" has no target/);
    throwsUser(
      () => run('--mount type=bind,src=/,dst=/x,readonly=maybe'),
      /invalid value "maybe" for readonly/,
    );
    throwsUser(
      () => run('--mount type=bind,src=/,dst=/x,bind-propagation=sideways'),
      /invalid bind-propagation "sideways"/,
    );
    throwsUser(() => parseMountLong('type=bind,"src=/x', 'm'), /unterminated quote/);
  });

  it('reads --tmpfs, --device and ports', () => {
    const s = run(
      '--tmpfs /run:rw,noexec,size=64m --tmpfs /ro:ro --device /dev/fuse --device /dev/sda:/dev/xvda:rw --device /dev/kvm:rwm -p 127.0.0.1:8080:80/udp -p 9000-9001:9000-9001 -p 53',
    );
    assert.deepEqual(
      s.mounts.map((m) => [m.type, m.target, m.readOnly]),
      [
        ['tmpfs', '/run', false],
        ['tmpfs', '/ro', true],
      ],
    );
    assert.deepEqual(s.devices, [
      { host: '/dev/fuse' },
      { host: '/dev/sda', container: '/dev/xvda', permissions: 'rw' },
      { host: '/dev/kvm', permissions: 'rwm' },
    ]);
    assert.deepEqual(s.ports, [
      { containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1', protocol: 'udp' },
      { containerPort: 9000, hostPort: 9000, protocol: 'tcp' },
      { containerPort: 9001, hostPort: 9001, protocol: 'tcp' },
      { containerPort: 53, protocol: 'tcp' },
    ]);
    assert.deepEqual(parseDevice('/dev/sda:/dev/xvda', 'd'), { host: '/dev/sda', container: '/dev/xvda' });
    throwsUser(() => run('--device /dev/a:/dev/b:rwx'), /--device: invalid device/);
    throwsUser(() => run('--device a:b:c:d'), /--device: invalid device/);
    throwsUser(() => run('--tmpfs :size=1m'), /--tmpfs: invalid tmpfs/);
    throwsUser(() => run('-p 99999:80'), /--publish: invalid port/);
  });

  it('records -P as an annotation', () => {
    assert.deepEqual(run('-P').annotations, { 'drydock/publish-all': 'true' });
    assert.deepEqual(run('--publish-all=false').annotations, undefined);
  });

  it('reads restart, cgroup parent, health, ulimits and sysctls', () => {
    const s = run(
      '--restart on-failure:3 --cgroup-parent /kubepods --health-cmd "curl -f localhost" --ulimit nofile=1024:2048 --ulimit nproc=512 --sysctl net.core.somaxconn=1024 --sysctl __proto__=x',
    );
    assert.deepEqual(s.restart, { policy: 'on-failure', maxRetries: 3 });
    assert.equal(s.cgroupParent, '/kubepods');
    assert.equal(s.healthcheck, true);
    assert.deepEqual(s.ulimits, [
      { name: 'nofile', soft: 1024, hard: 2048 },
      { name: 'nproc', soft: 512, hard: 512 },
    ]);
    assert.equal(s.sysctls['net.core.somaxconn'], '1024');
    assert.ok(Object.hasOwn(s.sysctls, '__proto__'));
    assert.equal(Object.getPrototypeOf(s.sysctls), Object.prototype);
    assert.equal(run('--no-healthcheck').healthcheck, false);
    assert.equal(run('').healthcheck, undefined);
    throwsUser(
      () => run('--no-healthcheck --health-interval 5s'),
      /--no-healthcheck conflicts with the --health-\* options/,
    );
    throwsUser(() => run('--restart sometimes'), /--restart: invalid restart policy "sometimes"/);
    throwsUser(() => run('--restart always:3'), /invalid restart policy/);
    throwsUser(() => run('--ulimit nofile'), /--ulimit: invalid ulimit "nofile"/);
    throwsUser(() => run('--ulimit bogus=1'), /--ulimit: invalid ulimit type "bogus"/);
    throwsUser(() => run('--sysctl novalue'), /--sysctl: invalid sysctl "novalue"/);
  });

  it('puts --entrypoint in front of the command', () => {
    assert.deepEqual(parseDockerRun('docker run --entrypoint /bin/sh alpine -c id').command, [
      '/bin/sh',
      '-c',
      'id',
    ]);
    assert.deepEqual(parseDockerRun(`docker run --entrypoint '' alpine id`).command, ['id']);
    assert.equal(parseDockerRun('docker run alpine').command, undefined);
  });

  it('keeps the spelling of every token for the renderer', () => {
    const p = parseDockerRunCommand(`docker run -e "A=$HOME" -v $(pwd):/app alpine echo 'a b'`);
    assert.deepEqual(p.argv, ['-e', 'A=$HOME', '-v', '$(pwd):/app', 'alpine', 'echo', 'a b']);
    assert.deepEqual(p.argvRaw, ['-e', '"A=$HOME"', '-v', '$(pwd):/app', 'alpine', 'echo', "'a b'"]);
    const q = parseDockerRunArgv(['run', 'x'], 'argv');
    assert.equal(q.spec.image, 'run');
    assert.deepEqual(q.spec.command, ['x']);
  });
});

describe('parseDockerRun: hostile input', () => {
  it('answers any token soup with a spec or a one-line UserError', () => {
    const pool = [
      'docker',
      'run',
      'create',
      'sudo',
      '--',
      '-',
      '-itd',
      '-p',
      '-v',
      '--mount',
      '--security-opt',
      '--cap-add',
      '--memory',
      '--cpus',
      '--network',
      '--tmpfs',
      '--device',
      '--ulimit',
      '--sysctl',
      '--restart',
      'x',
      '',
      '=',
      ':',
      '::',
      'type=bind',
      'seccomp=',
      'a=b',
      '1',
      '-1',
      'host',
      '/:/h:ro',
      '80:80',
      '"',
      "'",
      '\\',
      '$(',
      '#',
      ';',
      '&&',
      '\n',
      '--privileged=',
      'nofile=1:2',
      '/dev/x:rwm',
      'alpine',
    ];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 3000; k++) {
      const words = Array.from({ length: 1 + rand(12) }, () => pool[rand(pool.length)] as string);
      for (const input of [words, words.join(' ')]) {
        try {
          parseDockerRun(input);
        } catch (e) {
          assert.ok(e instanceof UserError, `${JSON.stringify(input)}: ${String(e)}`);
          assert.ok(!e.message.includes('\n') || typeof input === 'string', JSON.stringify(input));
        }
      }
    }
  });
});
