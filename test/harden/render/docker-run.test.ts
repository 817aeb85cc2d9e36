import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDockerRun, parseDockerRunCommand } from '../../../src/harden/inputs/docker-run.js';
import { splitShellWords } from '../../../src/harden/inputs/shell-words.js';
import type { HardeningPlan } from '../../../src/harden/plan-types.js';
import { formatBytes, renderDockerRun } from '../../../src/harden/render/docker-run.js';

const MiB = 1024 * 1024;

function plan(over: Partial<HardeningPlan> = {}): HardeningPlan {
  return {
    dropAllCaps: true,
    capAdd: ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'],
    capReasons: {},
    noNewPrivileges: true,
    privileged: false,
    readOnlyRootfs: true,
    tmpfs: [{ target: '/tmp', options: 'rw,noexec,nosuid,size=64m' }],
    memory: 256 * MiB,
    memorySwap: 256 * MiB,
    pidsLimit: 200,
    seccomp: { kind: 'default' },
    apparmor: { kind: 'default' },
    privateNamespaces: [],
    readOnlyMounts: [],
    privatePropagation: [],
    notes: [],
    ...over,
  };
}

const RISKY = `sudo docker run -d --name web -e 'GREETING=hello world' -e TOKEN="$API_TOKEN" -p 8080:80 \\
  --privileged --cap-add SYS_ADMIN --cap-add=net_admin --cap-drop CHOWN \\
  --security-opt seccomp=unconfined --security-opt apparmor:unconfined --security-opt label=level:s0:c1,c2 \\
  --network host --pid=host --ipc host --uts host --cgroupns host \\
  -v /var/run/docker.sock:/var/run/docker.sock -v /etc:/host/etc:rw,rshared -v "$(pwd)":/app \\
  --mount type=bind,src=/,dst=/host,bind-propagation=rshared --tmpfs /tmp \\
  -m 2g --memory-swap -1 --pids-limit -1 --restart always --label team=web \\
  nginx:1.25 nginx -g 'daemon off;'`;

describe('renderDockerRun', () => {
  const parsed = parseDockerRunCommand(RISKY);
  const p = plan({
    privateNamespaces: ['network', 'pid', 'ipc', 'uts', 'cgroupns'],
    readOnlyMounts: ['/host/etc', '/host'],
    privatePropagation: ['/host/etc', '/host'],
    restart: { policy: 'on-failure', maxRetries: 5 },
    user: '1000:1000',
    cpus: 1,
  });
  const out = renderDockerRun(parsed, p);
  const again = parseDockerRun(out);

  it('writes one option per line with continuations, the prefix first and the image last', () => {
    const lines = out.split('\n');
    assert.equal(lines[0], 'sudo docker run \\');
    assert.equal(lines.at(-1), `  nginx:1.25 nginx -g 'daemon off;'`);
    for (const l of lines.slice(1, -1)) assert.match(l, /^ {2}-\S*( .*)? \\$/);
  });

  it('round-trips: the hardened line parses to the plan', () => {
    assert.deepEqual(again.capDrop, ['ALL']);
    assert.deepEqual(again.capAdd, ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE']);
    assert.equal(again.privileged, undefined);
    assert.equal(again.noNewPrivileges, true);
    assert.equal(again.readOnlyRootfs, true);
    assert.equal(again.seccomp, undefined, 'the default seccomp profile needs no option');
    assert.deepEqual(again.apparmor, { kind: 'default' });
    assert.equal(again.memory, 256 * MiB);
    assert.equal(again.memorySwap, 256 * MiB);
    assert.equal(again.pidsLimit, 200);
    assert.equal(again.cpus, 1);
    assert.equal(again.user, '1000:1000');
    assert.deepEqual(again.restart, { policy: 'on-failure', maxRetries: 5 });
    for (const ns of ['network', 'pid', 'ipc', 'uts'] as const) assert.equal(again[ns], undefined, ns);
    assert.equal(again.cgroupns, 'private');
  });

  it("makes the listed mounts read-only and private, and adds the plan's tmpfs once", () => {
    const m = (t: string) => again.mounts.find((x) => x.target === t);
    assert.deepEqual([m('/host/etc')?.readOnly, m('/host/etc')?.propagation], [true, 'rprivate']);
    assert.deepEqual([m('/host')?.readOnly, m('/host')?.propagation], [true, 'rprivate']);
    assert.equal(m('/var/run/docker.sock')?.readOnly, false, 'not in the plan: unchanged');
    assert.equal(again.mounts.filter((x) => x.target === '/tmp').length, 1);
    assert.ok(out.includes('  --tmpfs /tmp:rw,noexec,nosuid,size=64m \\'));
    assert.ok(out.includes('  -v /etc:/host/etc:ro,rprivate \\'));
    assert.ok(out.includes('  --mount type=bind,src=/,dst=/host,readonly,bind-propagation=rprivate \\'));
  });

  it('keeps the non-security options exactly as typed, in order', () => {
    assert.equal(again.name, 'web');
    assert.deepEqual(again.ports, [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }]);
    assert.deepEqual(again.selinux, { level: 's0:c1,c2' });
    const kept = [
      '  -d \\',
      '  --name web \\',
      `  -e 'GREETING=hello world' \\`,
      '  -e TOKEN="$API_TOKEN" \\',
      '  -p 8080:80 \\',
      '  --security-opt label=level:s0:c1,c2 \\',
      '  -v /var/run/docker.sock:/var/run/docker.sock \\',
      '  -v "$(pwd)":/app \\',
      '  --label team=web \\',
    ];
    const lines = out.split('\n');
    const at = kept.map((k) => lines.indexOf(k));
    assert.ok(
      at.every((i) => i > 0),
      `missing: ${kept.filter((_, i) => at[i] === -1).join(' | ')}`,
    );
    assert.deepEqual(
      at,
      [...at].sort((a, b) => a - b),
    );
    const words = splitShellWords(out);
    assert.ok(words.includes('GREETING=hello world'));
  });

  it('leaves the image and command unchanged', () => {
    assert.equal(again.image, 'nginx:1.25');
    assert.deepEqual(again.command, ['nginx', '-g', 'daemon off;']);
  });

  it('drops every option the plan replaces', () => {
    for (const gone of [
      '--privileged',
      'SYS_ADMIN',
      'net_admin',
      'unconfined',
      '--network host',
      '--pid=host',
      '--ipc host',
      '--uts host',
      '--cgroupns host',
      '-m 2g',
      '--memory-swap -1',
      '--pids-limit -1',
      '--restart always',
      '--tmpfs /tmp \\',
    ])
      assert.ok(!out.includes(gone), gone);
  });
});

describe('renderDockerRun: profiles, users and spellings', () => {
  it('keeps a custom seccomp or AppArmor profile as the user spelt it', () => {
    const parsed = parseDockerRunCommand(
      'docker run --security-opt seccomp:./profiles/app.json --security-opt apparmor=app-profile alpine',
    );
    const out = renderDockerRun(
      parsed,
      plan({
        seccomp: { kind: 'custom', ref: './profiles/app.json' },
        apparmor: { kind: 'custom', ref: 'app-profile' },
      }),
    );
    assert.ok(out.includes('--security-opt seccomp:./profiles/app.json \\'));
    assert.ok(out.includes('--security-opt apparmor=app-profile \\'));
    const again = parseDockerRun(out);
    assert.deepEqual(again.seccomp, { kind: 'custom', ref: './profiles/app.json' });
    assert.deepEqual(again.apparmor, { kind: 'custom', ref: 'app-profile' });
  });

  it('keeps an inline JSON seccomp profile, quoted', () => {
    const parsed = parseDockerRunCommand(
      `docker run --security-opt 'seccomp={"defaultAction":"SCMP_ACT_ERRNO"}' alpine`,
    );
    const out = renderDockerRun(parsed, plan({ seccomp: { kind: 'custom', ref: 'inline JSON profile' } }));
    assert.deepEqual(parseDockerRun(out).seccomp, { kind: 'custom', ref: 'inline JSON profile' });
    assert.ok(out.includes(`--security-opt 'seccomp={"defaultAction":"SCMP_ACT_ERRNO"}'`));
  });

  it('writes a custom profile the input did not name, and omits AppArmor when the plan has none', () => {
    const out = renderDockerRun(
      parseDockerRunCommand('docker run --security-opt apparmor=unconfined alpine'),
      plan({ seccomp: { kind: 'custom', ref: '/etc/seccomp/app.json' }, apparmor: undefined }),
    );
    assert.ok(out.includes('--security-opt seccomp=/etc/seccomp/app.json \\'));
    assert.ok(!out.includes('apparmor'));
  });

  it("keeps the input's user, CPUs and restart policy when the plan leaves them", () => {
    const parsed = parseDockerRunCommand('docker run -u 33:33 --cpus 2 --restart unless-stopped alpine');
    const again = parseDockerRun(renderDockerRun(parsed, plan()));
    assert.equal(again.user, '33:33');
    assert.equal(again.cpus, 2);
    assert.deepEqual(again.restart, { policy: 'unless-stopped' });
  });

  it('drops the CFS quota flags when it sets --cpus, which docker refuses together', () => {
    const out = renderDockerRun(
      parseDockerRunCommand('docker run --cpu-quota 50000 --cpu-period 100000 alpine'),
      plan({ cpus: 0.5 }),
    );
    assert.ok(!out.includes('--cpu-quota') && !out.includes('--cpu-period'));
    assert.equal(parseDockerRun(out).cpus, 0.5);
  });

  it('splits a short-flag cluster only when one of its members changes', () => {
    const kept = renderDockerRun(parseDockerRunCommand('docker run -itd alpine sh'), plan());
    assert.ok(kept.includes('  -itd \\'));
    const split = renderDockerRun(
      parseDockerRunCommand('docker run -itu 0 alpine sh'),
      plan({ user: '1000' }),
    );
    assert.ok(split.includes('  --interactive \\\n  --tty \\'));
    assert.ok(!split.includes('-itu'));
    assert.equal(parseDockerRun(split).user, '1000');
  });

  it('keeps --volume= and -v spellings when it edits a mount', () => {
    const out = renderDockerRun(
      parseDockerRunCommand(
        'docker run --volume=/etc:/etc -v /srv:/srv:rw -v "$HOME/.ssh":/root/.ssh alpine',
      ),
      plan({ readOnlyMounts: ['/etc', '/srv', '/root/.ssh'] }),
    );
    assert.ok(out.includes('  --volume=/etc:/etc:ro \\'));
    assert.ok(out.includes('  -v /srv:/srv:ro \\'));
    assert.ok(out.includes('  -v "$HOME/.ssh":/root/.ssh:ro \\'));
  });

  it('does not add a tmpfs where the user already mounts something', () => {
    const out = renderDockerRun(parseDockerRunCommand('docker run -v scratch:/tmp alpine'), plan());
    assert.ok(!out.includes('--tmpfs'));
  });

  it('drops label=disable, systempaths=unconfined and a no-new-privileges=false', () => {
    const out = renderDockerRun(
      parseDockerRunCommand(
        'docker run --security-opt label=disable --security-opt systempaths=unconfined --security-opt no-new-privileges=false --security-opt label=type:container_t alpine',
      ),
      plan(),
    );
    const again = parseDockerRun(out);
    assert.deepEqual(again.selinux, { type: 'container_t' });
    assert.equal(again.procMount, undefined);
    assert.equal(again.noNewPrivileges, true);
  });

  it('writes "docker run" when the input had no prefix, and quotes what needs it', () => {
    const out = renderDockerRun(
      parseDockerRunCommand(['-e', "MSG=it's here", 'alpine', 'echo', 'a b']),
      plan({ capAdd: [] }),
    );
    assert.ok(out.startsWith('docker run \\\n'));
    assert.ok(out.includes(`-e 'MSG=it'\\''s here' \\`));
    const again = parseDockerRun(out);
    assert.deepEqual(again.capAdd, []);
    assert.deepEqual(again.capDrop, ['ALL']);
    assert.deepEqual(again.command, ['echo', 'a b']);
  });

  it('keeps a podman prefix with its global options', () => {
    const out = renderDockerRun(parseDockerRunCommand('podman --root /r create --pod p alpine'), plan());
    assert.ok(out.startsWith('podman --root /r create \\\n  --pod p \\'));
    assert.equal(parseDockerRun(out).readOnlyRootfs, true);
  });
});

describe('formatBytes', () => {
  it('uses the largest exact unit', () => {
    assert.equal(formatBytes(1024 ** 3), '1g');
    assert.equal(formatBytes(256 * MiB), '256m');
    assert.equal(formatBytes(1536 * MiB), '1536m');
    assert.equal(formatBytes(4096), '4k');
    assert.equal(formatBytes(1000), '1000');
    assert.equal(formatBytes(-1), '-1');
  });
});
