import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { audit } from '../../../src/harden/audit.js';
import { loadFile } from '../../../src/harden/load.js';
import { DAEMON_RULES } from '../../../src/harden/rules/daemon.js';
import { tmpdir } from '../../helpers/env.js';

// A hardened daemon, once as daemon.json and once as dockerd flags; per rule the change that breaks it.
type Conf = Record<string, unknown>;
const BASE: Conf = {
  icc: false,
  'log-level': 'info',
  'userns-remap': 'default',
  'no-new-privileges': true,
  'live-restore': true,
  'userland-proxy': false,
  'log-driver': 'syslog',
  'default-ulimits': { nofile: { Name: 'nofile', Hard: 64000, Soft: 64000 } },
  'authorization-plugins': ['authz-broker'],
  'selinux-enabled': true,
  hosts: ['unix:///var/run/docker.sock'],
};

const VIOLATIONS: Record<string, Conf> = {
  DDD001: { icc: true },
  DDD002: { 'log-level': 'debug' },
  DDD003: { iptables: false },
  DDD004: { 'insecure-registries': ['registry.internal:5000'] },
  DDD005: { 'storage-driver': 'aufs' },
  DDD006: { hosts: ['unix:///var/run/docker.sock', 'tcp://0.0.0.0:2375'] },
  DDD007: { 'default-ulimits': undefined },
  DDD008: { 'userns-remap': undefined },
  DDD009: { 'cgroup-parent': '/docker-custom' },
  DDD010: { 'storage-opts': ['dm.basesize=20G'] },
  DDD011: { 'authorization-plugins': undefined },
  DDD012: { 'log-driver': 'json-file' },
  DDD013: { 'no-new-privileges': false },
  DDD014: { 'live-restore': false },
  DDD015: { 'userland-proxy': true },
  DDD016: { 'seccomp-profile': 'unconfined' },
  DDD017: { experimental: true },
  DDD018: { 'selinux-enabled': false },
};

/** The same settings as dockerd flags (dockerd's flag spellings). */
function flags(c: Conf): string {
  const a = ['/usr/bin/dockerd'];
  for (const [k, v] of Object.entries(c)) {
    if (v === undefined) continue;
    if (k === 'hosts') for (const h of v as string[]) a.push('-H', h);
    else if (k === 'default-ulimits') a.push('--default-ulimit', 'nofile=64000:64000');
    else if (k === 'authorization-plugins')
      for (const p of v as string[]) a.push('--authorization-plugin', p);
    else if (k === 'insecure-registries') for (const r of v as string[]) a.push('--insecure-registry', r);
    else if (k === 'storage-opts') for (const r of v as string[]) a.push('--storage-opt', r);
    else if (typeof v === 'boolean') a.push(`--${k}=${v}`);
    else a.push(`--${k}`, String(v));
  }
  return `[Service]\nExecStart=\nExecStart=${a.join(' ')}\n`;
}

const dir = tmpdir('dd-daemon-corpus-');
let n = 0;
function failed(text: string, name: string): Set<string> {
  const file = path.join(dir, `${n++}-${name}`);
  writeFileSync(file, text);
  const [t] = audit([loadFile(file)], { profile: 'all' });
  assert.equal(t?.kind, 'daemon');
  return new Set(t?.failures.map((f) => f.rule.id));
}

describe('daemon rule corpus (daemon.json and dockerd flags)', () => {
  it('the hardened daemon passes every rule in both forms', () => {
    assert.deepEqual([...failed(JSON.stringify(BASE), 'daemon.json')], []);
    assert.deepEqual([...failed(flags(BASE), 'docker.service')], []);
  });
  for (const rule of DAEMON_RULES) {
    it(`${rule.id} ${rule.title}`, () => {
      const delta = VIOLATIONS[rule.id];
      assert.ok(delta, `a violation for ${rule.id}`);
      const bad: Conf = { ...BASE, ...delta };
      for (const k of Object.keys(bad)) if (bad[k] === undefined) delete bad[k];
      assert.ok(
        failed(JSON.stringify(bad, null, 2), 'daemon.json').has(rule.id),
        `${rule.id} fails as daemon.json`,
      );
      assert.ok(failed(flags(bad), 'docker.service').has(rule.id), `${rule.id} fails as dockerd flags`);
    });
  }
  it('points at the line that set the value', () => {
    const text = `{\n  "icc": true,\n  "log-level": "debug"\n}\n`;
    const file = path.join(dir, 'lines-daemon.json');
    writeFileSync(file, text);
    const [t] = audit([loadFile(file)], { profile: 'cis' });
    const line = (id: string) => t?.failures.find((f) => f.rule.id === id)?.line;
    assert.equal(line('DDD001'), 2);
    assert.equal(line('DDD002'), 3);
  });
});
