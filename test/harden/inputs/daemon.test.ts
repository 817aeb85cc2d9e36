// Tests for the Docker daemon inputs: daemon.json, dockerd command lines, systemd units, and their merge.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../src/errors.js';
import { parseConfigText } from '../../../src/harden/doc.js';
import {
  mergeDaemon,
  parseDaemonJson,
  parseDaemonJsonText,
  parseDockerdFlags,
  parseDockerdUnit,
} from '../../../src/harden/inputs/daemon.js';
import type { DaemonSpec } from '../../../src/harden/spec.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/harden/daemon');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

/** A UserError whose one-line message matches `re`. */
function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `message is not one line: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

const json = (text: string, file = 'daemon.json') => parseDaemonJsonText(text, file);

describe('parseDaemonJson', () => {
  it('reads a hardened daemon.json with the line of every field', () => {
    const d = json(fixture('hardened.daemon.json'), '/etc/docker/daemon.json');
    assert.deepEqual(d.source, {
      file: '/etc/docker/daemon.json',
      kind: 'daemon',
      line: 1,
      resource: 'daemon.json',
    });
    assert.equal(d.icc, false);
    assert.equal(d.usernsRemap, 'default');
    assert.equal(d.noNewPrivileges, true);
    assert.equal(d.liveRestore, true);
    assert.equal(d.userlandProxy, false);
    assert.equal(d.selinuxEnabled, true);
    assert.equal(d.logDriver, 'journald');
    assert.equal(d.logLevel, 'info');
    assert.equal(d.iptables, true);
    assert.equal(d.seccompProfile, '/etc/docker/seccomp.json');
    assert.equal(d.defaultCgroupnsMode, 'private');
    assert.deepEqual(d.authorizationPlugins, ['authz-broker']);
    assert.equal(d.storageDriver, 'overlay2');
    assert.deepEqual(d.defaultUlimits, [
      { name: 'nofile', soft: 64000, hard: 64000 },
      { name: 'nproc', soft: 2048, hard: 4096 },
    ]);
    assert.equal(d.hosts, undefined, 'not said: dockerd default');
    assert.equal(d.lines.icc, 2);
    assert.equal(d.lines.noNewPrivileges, 4);
    assert.equal(d.lines.defaultUlimits, 14);
    assert.equal(d.lines.storageDriver, 18);
  });

  it('reads a risky daemon.json: plain TCP on every interface, icc, insecure registries', () => {
    const d = json(fixture('risky.daemon.json'));
    assert.deepEqual(d.hosts, ['unix:///var/run/docker.sock', 'tcp://0.0.0.0:2375']);
    assert.equal(d.tls, undefined);
    assert.equal(d.tlsVerify, undefined);
    assert.equal(d.icc, true);
    assert.deepEqual(d.insecureRegistries, ['registry.internal:5000', '10.0.0.0/8']);
    assert.equal(d.iptables, false);
    assert.equal(d.experimental, true);
    assert.equal(d.logLevel, 'debug');
    assert.deepEqual(d.storageOpts, ['dm.basesize=20G']);
    assert.equal(d.cgroupParent, '/docker-containers');
    assert.equal(d.seccompProfile, 'unconfined');
    assert.deepEqual(
      [d.lines.hosts, d.lines.icc, d.lines.insecureRegistries, d.lines.seccompProfile],
      [2, 3, 4, 10],
    );
  });

  it("accepts every key of dockerd's full Linux example, mapped or not", () => {
    const d = json(fixture('all-keys.daemon.json'));
    assert.equal(d.icc, false);
    assert.equal(d.tls, true);
    assert.equal(d.tlsVerify, true);
    assert.deepEqual(d.hosts, []);
    assert.equal(d.rootless, false);
    assert.equal(d.tlsCaCert, '');
  });

  it('takes the same document from parseConfigText', () => {
    const [doc] = parseConfigText(fixture('risky.daemon.json'), 'd.json');
    assert.ok(doc);
    const d = parseDaemonJson(doc, 'd.json');
    assert.equal(d.icc, true);
    assert.equal(d.lines.hosts, 2);
  });

  it('refuses unknown keys as dockerd does, with file:line and a hint', () => {
    refuses(
      () => json(fixture('unknown-key.daemon.json'), '/etc/docker/daemon.json'),
      /^\/etc\/docker\/daemon\.json:3: dockerd refuses daemon\.json keys .*"no-new-privilege" \(line 3\) \(did you mean no-new-privileges\?\)$/,
    );
    refuses(
      () => json('{\n  "icc": false,\n  "foo": 1,\n  "log-levle": "info",\n  "bar": true\n}'),
      /^daemon\.json:3: .*"foo" \(line 3\), "log-levle" \(line 4\), "bar" \(line 5\)$/,
    );
    refuses(() => json('{"proxies": {"ftp-proxy": "x"}}'), /"proxies\.ftp-proxy"/);
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])));
    refuses(() => json(many), /"k9" \(line 1\) and 4990 more$/);
    // Keys are case-sensitive for dockerd's check.
    refuses(() => json('{"ICC": false}'), /"ICC"/);
  });

  it("accepts a repeatable flag's own name as a key, which dockerd then ignores", () => {
    const d = json('{"insecure-registry": ["evil:5000"], "label": "x"}');
    assert.equal(d.insecureRegistries, undefined);
  });

  it('refuses wrong types with file:line', () => {
    refuses(
      () => json(fixture('wrong-type.daemon.json')),
      /^daemon\.json:2: "icc" must be true or false, not a string$/,
    );
    refuses(
      () => json('{"hosts": "tcp://0.0.0.0:2375"}'),
      /:1: "hosts" must be a list of strings, not a string/,
    );
    refuses(
      () => json('{\n"hosts": ["unix:///x", 2375]}'),
      /:2: "hosts" item 2 must be a string, not a number/,
    );
    refuses(() => json('{"mtu": 1.5}'), /"mtu" must be a whole number, not a fractional number/);
    refuses(() => json('{"log-opts": []}'), /"log-opts" must be an object, not a list/);
    refuses(() => json('{"default-address-pools": {}}'), /"default-address-pools" must be a list/);
    refuses(() => json('{"proxies": {"http-proxy": 1}}'), /"proxies\.http-proxy" must be a string/);
    refuses(() => json('{"seccomp-profile": false}'), /"seccomp-profile" must be a string, not a boolean/);
  });

  it('checks default-ulimits entries', () => {
    refuses(
      () => json('{"default-ulimits": {\n "nofile": {"Name": "nproc", "Soft": 1, "Hard": 1}}}'),
      /:2: default-ulimits "nofile" has Name "nproc"; they must match/,
    );
    refuses(() => json('{"default-ulimits": {"nofile": {"Soft": 1}}}'), /needs whole-number Soft and Hard/);
    refuses(() => json('{"default-ulimits": {"nofile": 5}}'), /must be an object with Soft and Hard/);
    refuses(() => json('{"default-ulimits": {"files": {"Soft": 1, "Hard": 1}}}'), /unknown ulimit "files"/);
    refuses(
      () => json('{"default-ulimits": {"nofile": {"Soft": 10, "Hard": 5}}}'),
      /soft limit 10 is over the hard limit 5/,
    );
    // Go decodes struct fields case-insensitively; -1 is unlimited.
    const d = json('{"default-ulimits": {"core": {"name": "core", "soft": -1, "hard": -1}}}');
    assert.deepEqual(d.defaultUlimits, [{ name: 'core', soft: -1, hard: -1 }]);
  });

  it('checks values dockerd checks', () => {
    refuses(() => json('{"log-level": "verbose"}'), /invalid log level "verbose"/);
    refuses(() => json('{"default-cgroupns-mode": "shared"}'), /invalid default-cgroupns-mode "shared"/);
    refuses(() => json('{"hosts": ["ssh://host"]}'), /invalid daemon address "ssh:\/\/host"/);
  });

  it('writes listening addresses out the way dockerd reads them', () => {
    const d = json('{"hosts": [":2375", "0.0.0.0:2376", "tcp://:2375", "", "unix:///run/d.sock", "fd://"]}');
    assert.deepEqual(d.hosts, [
      'tcp://127.0.0.1:2375',
      'tcp://0.0.0.0:2376',
      'tcp://127.0.0.1:2375',
      'unix:///var/run/docker.sock',
      'unix:///run/d.sock',
      'fd://',
    ]);
  });

  it('leaves a null value unset', () => {
    const d = json('{"icc": null}');
    assert.equal(d.icc, undefined);
  });

  it('refuses text that is not strict JSON, with line and column', () => {
    refuses(() => json(fixture('invalid.daemon.json')), /^daemon\.json:4:1: not valid JSON: trailing comma$/);
    refuses(() => json('icc: false\n'), /^daemon\.json:1:1: not valid JSON/);
    refuses(
      () => json('{"icc": false} // no comments'),
      /:1:16: not valid JSON: more text after the JSON value/,
    );
    refuses(() => json('{\n  "icc": \n}'), /:3:1: not valid JSON: expected a value, got "}"/);
    refuses(() => json('{"icc": fals}'), /:1:9: not valid JSON/);
    refuses(() => json('{"icc": false'), /not valid JSON: unexpected end of file/);
    refuses(() => json('{"a": "x\ny"}'), /:1:9: not valid JSON: control character in a string/);
    // V8 quotes the whole input in some messages; ours never does.
    refuses(
      () => json(`{"data-root": "${'x'.repeat(500)}", "icc": }`),
      /^daemon\.json:1:\d+: not valid JSON: expected a value/,
    );
  });

  it('refuses a root that is not an object, and takes an empty file as no settings', () => {
    refuses(() => json('[]'), /daemon\.json must be a JSON object, not a list/);
    refuses(() => json('"icc"'), /not a string/);
    assert.deepEqual(json('  \n').lines, {});
    assert.equal(json('\uFEFF{"icc": false}').icc, false);
  });
});

describe('parseDockerdFlags', () => {
  it('reads an ExecStart line with the dockerd path', () => {
    const d = parseDockerdFlags(
      'ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --icc=false',
    );
    assert.deepEqual(d.hosts, ['fd://']);
    assert.equal(d.icc, false);
    assert.deepEqual(d.source, { file: '<dockerd>', kind: 'daemon', resource: 'dockerd command line' });
    assert.deepEqual(d.lines, {}, 'a one-line command has no lines to point at');
  });

  it('reads every mapped flag', () => {
    const d = parseDockerdFlags(
      [
        'dockerd',
        '-H',
        'tcp://0.0.0.0:2376',
        '--host=unix:///var/run/docker.sock',
        '--icc=false',
        '--selinux-enabled',
        '--userns-remap=default',
        '--no-new-privileges',
        '--live-restore=true',
        '--seccomp-profile',
        '/etc/docker/seccomp.json',
        '--default-ulimit',
        'nofile=64000:64000',
        '--default-ulimit=nproc=1024',
        '--tlsverify',
        '--tls=1',
        '--tlscacert=/etc/docker/ca.pem',
        '--tlscert',
        '/etc/docker/cert.pem',
        '--tlskey=/etc/docker/key.pem',
        '-l',
        'warn',
        '--log-driver=journald',
        '--iptables=False',
        '--insecure-registry=a:5000',
        '--insecure-registry',
        'b:5000',
        '-s',
        'overlay2',
        '--authorization-plugin=authz',
        '--userland-proxy=0',
        '--experimental',
        '--cgroup-parent=/docker',
        '--storage-opt',
        'dm.basesize=20G',
        '--default-cgroupns-mode=private',
        '--rootless',
      ],
      'cmdline',
    );
    assert.deepEqual(d.hosts, ['tcp://0.0.0.0:2376', 'unix:///var/run/docker.sock']);
    assert.equal(d.icc, false);
    assert.equal(d.selinuxEnabled, true);
    assert.equal(d.usernsRemap, 'default');
    assert.equal(d.noNewPrivileges, true);
    assert.equal(d.liveRestore, true);
    assert.equal(d.seccompProfile, '/etc/docker/seccomp.json');
    assert.deepEqual(d.defaultUlimits, [
      { name: 'nofile', soft: 64000, hard: 64000 },
      { name: 'nproc', soft: 1024, hard: 1024 },
    ]);
    assert.equal(d.tlsVerify, true);
    assert.equal(d.tls, true);
    assert.equal(d.tlsCaCert, '/etc/docker/ca.pem');
    assert.equal(d.tlsCert, '/etc/docker/cert.pem');
    assert.equal(d.tlsKey, '/etc/docker/key.pem');
    assert.equal(d.logLevel, 'warn');
    assert.equal(d.logDriver, 'journald');
    assert.equal(d.iptables, false);
    assert.deepEqual(d.insecureRegistries, ['a:5000', 'b:5000']);
    assert.equal(d.storageDriver, 'overlay2');
    assert.deepEqual(d.authorizationPlugins, ['authz']);
    assert.equal(d.userlandProxy, false);
    assert.equal(d.experimental, true);
    assert.equal(d.cgroupParent, '/docker');
    assert.deepEqual(d.storageOpts, ['dm.basesize=20G']);
    assert.equal(d.defaultCgroupnsMode, 'private');
    assert.equal(d.rootless, true);
  });

  it('reads shorthands as pflag does', () => {
    const d = parseDockerdFlags('dockerd -DH :2375 -Hunix:///run/a.sock -H=fd:// -ldebug -s=btrfs -D=false');
    assert.deepEqual(d.hosts, ['tcp://127.0.0.1:2375', 'unix:///run/a.sock', 'fd://']);
    assert.equal(d.logLevel, 'debug');
    assert.equal(d.storageDriver, 'btrfs');
  });

  it('takes flags without a program name, quoted values, and a later ulimit for the same resource', () => {
    const d = parseDockerdFlags(
      `--default-ulimit nofile=1:2 --cgroup-parent "/my slice" --default-ulimit 'nofile=3:4' --log-driver=json\\-file`,
    );
    assert.equal(d.cgroupParent, '/my slice');
    assert.deepEqual(d.defaultUlimits, [{ name: 'nofile', soft: 3, hard: 4 }]);
    assert.equal(d.logDriver, 'json-file');
  });

  it('ignores the many dockerd flags that do not bear on the audit, but checks their syntax', () => {
    const d = parseDockerdFlags(
      'dockerd --data-root /srv/docker --dns 1.1.1.1 --log-opt max-size=10m --registry-mirror=https://m --mtu=1400 ' +
        '--max-concurrent-downloads 6 --bip 10.1.0.1/16 --exec-opt native.cgroupdriver=systemd --feature cdi ' +
        '--add-runtime crun=/usr/bin/crun --default-runtime crun --metrics-addr 127.0.0.1:9323 --ip6tables ' +
        '--cdi-spec-dir /etc/cdi --containerd-namespace moby --validate -G docker -p /run/d.pid --raw-logs',
    );
    assert.deepEqual(Object.keys(d).sort(), ['lines', 'source']);
    refuses(() => parseDockerdFlags('dockerd --mtu=big'), /invalid value "big" for --mtu \(a whole number\)/);
  });

  it('marks dockerd-rootless.sh as rootless', () => {
    assert.equal(parseDockerdFlags('/usr/bin/dockerd-rootless.sh --icc=false').rootless, true);
  });

  it("understands systemd's prefixes on the program", () => {
    assert.equal(parseDockerdFlags('ExecStart=-/usr/bin/dockerd --icc=false').icc, false);
    assert.equal(parseDockerdFlags('ExecStart=@/usr/bin/dockerd dockerd --icc=false').icc, false);
  });

  it('gives lines for a multi-line command', () => {
    const d = parseDockerdFlags('dockerd \\\n  --icc=false \\\n  -H tcp://0.0.0.0:2375\n', 'run.sh');
    assert.equal(d.lines.icc, 2);
    assert.equal(d.lines.hosts, 3);
    refuses(
      () => parseDockerdFlags('dockerd \\\n  --bogus', 'run.sh'),
      /^run\.sh:2: unknown dockerd flag --bogus$/,
    );
  });

  it('refuses what dockerd refuses', () => {
    refuses(
      () => parseDockerdFlags('dockerd --no-new-privilege'),
      /^<dockerd>: unknown dockerd flag --no-new-privilege \(did you mean --no-new-privileges\?\)$/,
    );
    refuses(() => parseDockerdFlags('dockerd -X'), /unknown dockerd flag -X/);
    refuses(() => parseDockerdFlags('dockerd -DX'), /unknown dockerd flag -X in "-DX"/);
    refuses(
      () => parseDockerdFlags('dockerd --icc false'),
      /dockerd takes no arguments, only flags; got "false"/,
    );
    refuses(() => parseDockerdFlags('dockerd -- --icc'), /takes no arguments.*"--icc"/);
    refuses(
      () => parseDockerdFlags('dockerd --icc=nope'),
      /invalid value "nope" for --icc \(true or false\)/,
    );
    refuses(() => parseDockerdFlags('dockerd --icc=yes'), /invalid value "yes" for --icc/);
    refuses(() => parseDockerdFlags('dockerd -H'), /dockerd flag -H needs a value/);
    refuses(() => parseDockerdFlags('dockerd --log-level'), /--log-level needs a value/);
    refuses(() => parseDockerdFlags('dockerd --log-level=loud'), /invalid log level "loud"/);
    refuses(() => parseDockerdFlags('dockerd -H ssh://x'), /invalid daemon address/);
    refuses(
      () => parseDockerdFlags('dockerd --default-ulimit nofile=10:5'),
      /soft limit 10 is over the hard limit 5/,
    );
    refuses(() => parseDockerdFlags('dockerd --default-ulimit files=1'), /unknown ulimit "files"/);
    refuses(() => parseDockerdFlags('dockerd --default-ulimit nofile'), /invalid ulimit "nofile"/);
    refuses(() => parseDockerdFlags('docker daemon -H fd://'), /"docker" is not dockerd/);
    refuses(
      () => parseDockerdFlags('/usr/bin/containerd --config x'),
      /"\/usr\/bin\/containerd" is not dockerd/,
    );
    refuses(() => parseDockerdFlags('dockerd --cgroup-parent "/x'), /unterminated " quote/);
    refuses(
      () => parseDockerdFlags('dockerd --oom-score-adjust=-500'),
      /unknown dockerd flag --oom-score-adjust/,
    );
  });

  it('bounds the number of words', () => {
    refuses(() => parseDockerdFlags(Array.from({ length: 20_000 }, () => '-D')), /more than 10000 words/);
    refuses(() => parseDockerdFlags(`dockerd ${'-D '.repeat(20_000)}`), /more than 10000 words/);
  });
});

describe('parseDockerdUnit', () => {
  it("reads docker.service's ExecStart", () => {
    const d = parseDockerdUnit(fixture('docker.service'), '/lib/systemd/system/docker.service');
    assert.deepEqual(d.hosts, ['fd://']);
    assert.equal(d.lines.hosts, 9);
    assert.deepEqual(d.source, {
      file: '/lib/systemd/system/docker.service',
      kind: 'daemon',
      line: 9,
      resource: 'dockerd ExecStart',
    });
  });

  it('reads a drop-in: reset, continuation lines, a comment inside them, Environment= expansion', () => {
    const d = parseDockerdUnit(fixture('override.conf'), 'override.conf');
    assert.deepEqual(d.hosts, ['fd://', 'tcp://0.0.0.0:2375']);
    assert.equal(d.icc, false);
    assert.deepEqual(d.defaultUlimits, [{ name: 'nofile', soft: 1024, hard: 2048 }]);
    assert.equal(d.logLevel, 'warn', 'LEVEL from Environment= in braces');
    assert.deepEqual(d.insecureRegistries, ['registry.internal:5000'], '$EXTRA from Environment=');
    assert.equal(d.lines.hosts, 6);
    assert.equal(d.lines.icc, 9);
    assert.equal(d.lines.logLevel, 10);
    assert.equal(d.source.line, 5);
  });

  it('takes the last ExecStart and ignores other sections', () => {
    const unit = [
      '[Unit]',
      'ExecStart=/usr/bin/dockerd --icc=true',
      '[Service]',
      'ExecStart=/usr/bin/dockerd --icc=true',
      'ExecStart=',
      'ExecStart=/usr/bin/dockerd --icc=false',
      '; a comment',
    ].join('\r\n');
    const d = parseDockerdUnit(unit, 'u');
    assert.equal(d.icc, false);
    assert.equal(d.lines.icc, 6);
  });

  it('refuses a unit that does not start dockerd, or starts it badly', () => {
    refuses(
      () => parseDockerdUnit('[Service]\nType=notify\n', 'u.service'),
      /^u\.service: no ExecStart= in a \[Service\] section/,
    );
    refuses(
      () => parseDockerdUnit('[Service]\nExecStart=/usr/bin/dockerd\nExecStart=\n', 'u.service'),
      /no ExecStart=/,
    );
    refuses(
      () => parseDockerdUnit('[Unit]\nExecStart=/usr/bin/dockerd -H fd://\n', 'u.service'),
      /no ExecStart= in a \[Service\] section/,
    );
    refuses(
      () =>
        parseDockerdUnit(
          '[Service]\nExecStart=/usr/bin/dockerd \\\n  --icc=false \\\n  --selinux\n',
          'u.service',
        ),
      /^u\.service:4: unknown dockerd flag --selinux/,
    );
    refuses(
      () => parseDockerdUnit('[Service]\nExecStart=/usr/bin/podman system service\n', 'u'),
      /^u:2: "\/usr\/bin\/podman" is not dockerd/,
    );
    refuses(
      () => parseDockerdUnit('[Service\nExecStart=/usr/bin/dockerd\n', 'u'),
      /^u:1: invalid section header/,
    );
    refuses(() => parseDockerdUnit('[Service]\njust words\n', 'u'), /^u:2: expected Key=value/);
  });
});

describe('mergeDaemon', () => {
  const unit = () => parseDockerdUnit(fixture('docker.service'), 'docker.service');

  it('refuses a setting given both in daemon.json and as a flag, as dockerd does', () => {
    refuses(
      () => mergeDaemon(json(fixture('hosts.daemon.json'), '/etc/docker/daemon.json'), unit()),
      /^\/etc\/docker\/daemon\.json:2: dockerd refuses settings given both as a flag and in the configuration file: "hosts" \(line 2\) and -H \(docker\.service:9\)$/,
    );
    // Whatever the values, even an empty list or null.
    refuses(() => mergeDaemon(json('{"hosts": []}'), unit()), /"hosts"/);
    refuses(() => mergeDaemon(json('{"hosts": null}'), unit()), /"hosts"/);
    // Settings the spec does not keep count too.
    refuses(
      () =>
        mergeDaemon(
          json('{"data-root": "/a", "debug": true}'),
          parseDockerdFlags('dockerd --data-root=/b -D'),
        ),
      /"data-root" \(line 1\) and --data-root \(<dockerd>\), "debug" \(line 1\) and -D \(<dockerd>\)/,
    );
    refuses(
      () =>
        mergeDaemon(
          json('{"proxies": {"http-proxy": "http://p"}}'),
          parseDockerdFlags('dockerd --http-proxy=http://q'),
        ),
      /"proxies\.http-proxy"/,
    );
  });

  it('merges runtimes from both places, as dockerd does', () => {
    const m = mergeDaemon(
      json('{"runtimes": {"crun": {"path": "/usr/bin/crun"}}}'),
      parseDockerdFlags('dockerd --add-runtime youki=/usr/bin/youki'),
    );
    assert.equal(m.source.resource, 'dockerd');
  });

  it("merges disjoint settings, keeping daemon.json's lines", () => {
    const m = mergeDaemon(json(fixture('hardened.daemon.json'), '/etc/docker/daemon.json'), unit());
    assert.deepEqual(m.hosts, ['fd://']);
    assert.equal(m.icc, false);
    assert.equal(m.noNewPrivileges, true);
    assert.equal(m.source.file, '/etc/docker/daemon.json');
    assert.equal(m.lines.icc, 2);
    assert.equal(m.lines.hosts, undefined, "the unit's line would point into the wrong file");
    // The merged spec remembers what set it: merging again still finds the clash.
    refuses(() => mergeDaemon(json('{"hosts": []}'), m), /"hosts"/);
  });

  it('returns a copy when only one side is there, and the defaults when none is', () => {
    const j = json('{"icc": false}');
    const m = mergeDaemon(j, undefined);
    assert.notEqual(m, j);
    assert.deepEqual(m, j);
    const f = parseDockerdFlags('dockerd --icc=false');
    assert.deepEqual(mergeDaemon(undefined, f), f);
    assert.deepEqual(mergeDaemon(undefined, undefined), {
      source: { file: '<dockerd>', kind: 'daemon', resource: 'dockerd' },
      lines: {},
    });
  });

  it('compares the fields of specs built by hand', () => {
    const a: DaemonSpec = {
      source: { file: 'a', kind: 'daemon', resource: 'x' },
      lines: { icc: 3 },
      icc: false,
    };
    const b: DaemonSpec = { source: { file: 'b', kind: 'daemon', resource: 'y' }, lines: {}, icc: true };
    refuses(() => mergeDaemon(a, b), /^a:3: .*"icc" \(line 3\) and icc \(b\)$/);
    const c: DaemonSpec = {
      source: { file: 'c', kind: 'daemon', resource: 'z' },
      lines: {},
      liveRestore: true,
    };
    const m = mergeDaemon(a, c);
    assert.equal(m.icc, false);
    assert.equal(m.liveRestore, true);
  });
});
