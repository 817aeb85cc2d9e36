// Tests for the auditd watch rules for a Docker host (CIS Docker Benchmark v1.6 section 1.1).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOST_RULE_CONTROLS, HOST_RULE_KEY, hostAuditRules } from '../../src/harden/host-rules.js';

/**
 * A line of an audit rules file, checked against auditctl(8) (audit 3.0.9, Debian's auditd): blank,
 * a "#" comment, or a watch "-w path [-p perms] [-k key]...". -p takes letters of r, w, x, a; a key is
 * at most 31 bytes; "You cannot insert a watch to the top level directory"; "Wildcards are not
 * supported"; "The only valid options when using a watch are the -p and -k". auditctl has no mode that
 * checks a rule without loading it into the kernel, so the grammar is checked here instead.
 */
function checkRuleLine(line: string): string | undefined {
  if (line.trim() === '' || line.startsWith('#')) return undefined;
  const words = line.split(' ');
  if (words.some((w) => w === '')) return 'empty word (doubled space)';
  if (words[0] !== '-w') return 'not a watch';
  const path = words[1];
  if (path === undefined) return '-w needs a path';
  if (!path.startsWith('/')) return 'path is not absolute';
  if (path === '/' || /^\/+$/.test(path)) return 'watch on the top level directory';
  if (/[*?[\]]/.test(path)) return 'wildcard in path';
  if (Buffer.byteLength(path) >= 4096) return 'path too long';
  let perms = false;
  for (let i = 2; i < words.length; i += 2) {
    const opt = words[i];
    const val = words[i + 1];
    if (val === undefined) return `${opt} needs a value`;
    if (opt === '-p') {
      if (perms) return 'two -p options';
      perms = true;
      if (!/^[rwxa]{1,4}$/.test(val) || new Set(val).size !== val.length) return `bad permissions ${val}`;
    } else if (opt === '-k') {
      if (Buffer.byteLength(val) > 31) return 'key over 31 bytes';
    } else return `${opt} is not valid with a watch`;
  }
  return undefined;
}

describe('the auditctl grammar check itself', () => {
  it('refuses what auditctl refuses', () => {
    assert.equal(checkRuleLine('-w /etc/docker -p wa -k docker'), undefined);
    assert.equal(checkRuleLine('## comment'), undefined);
    assert.match(checkRuleLine('-w / -p wa') ?? '', /top level/);
    assert.match(checkRuleLine('-w /etc/* -p wa') ?? '', /wildcard/);
    assert.match(checkRuleLine('-w etc -p wa') ?? '', /absolute/);
    assert.match(checkRuleLine('-w /etc -p wq') ?? '', /permissions/);
    assert.match(checkRuleLine('-w /etc -p ww') ?? '', /permissions/);
    assert.match(checkRuleLine(`-w /etc -k ${'k'.repeat(32)}`) ?? '', /31 bytes/);
    assert.match(checkRuleLine('-w /etc -S openat') ?? '', /not valid with a watch/);
    assert.match(checkRuleLine('-w /etc -p') ?? '', /needs a value/);
  });
});

describe('hostAuditRules', () => {
  const all = hostAuditRules();
  const ruleLines = all.rules.filter((l) => l.startsWith('-w '));

  it('covers CIS Docker Benchmark v1.6 controls 1.1.3 to 1.1.18', () => {
    const ids = Array.from({ length: 16 }, (_, i) => `CIS-DOCKER-1.6:1.1.${i + 3}`);
    assert.deepEqual(Object.keys(HOST_RULE_CONTROLS), ids);
    for (const id of ids)
      assert.ok(
        all.rules.some((l) => l.startsWith(`## ${id} `)),
        `no rule for ${id}`,
      );
    assert.deepEqual(all.skipped, []);
  });

  it('watches every path the benchmark names, for writes and attribute changes', () => {
    const paths = ruleLines.map((l) => l.split(' ')[1]);
    assert.deepEqual(paths, [
      '/usr/bin/dockerd',
      '/run/containerd',
      '/var/lib/docker',
      '/etc/docker',
      '/lib/systemd/system/docker.service',
      '/usr/lib/systemd/system/docker.service',
      '/etc/systemd/system/docker.service',
      '/run/containerd/containerd.sock',
      '/lib/systemd/system/docker.socket',
      '/usr/lib/systemd/system/docker.socket',
      '/etc/systemd/system/docker.socket',
      '/etc/default/docker',
      '/etc/docker/daemon.json',
      '/etc/containerd/config.toml',
      '/etc/sysconfig/docker',
      '/usr/bin/containerd',
      '/usr/bin/containerd-shim',
      '/usr/bin/containerd-shim-runc-v1',
      '/usr/bin/containerd-shim-runc-v2',
      '/usr/bin/runc',
    ]);
    for (const l of ruleLines) assert.match(l, / -p wa -k docker$/);
    assert.equal(HOST_RULE_KEY, 'docker');
  });

  it('puts a comment naming the control above each rule', () => {
    assert.equal(all.rules.length, ruleLines.length * 2);
    for (let i = 0; i < all.rules.length; i += 2) {
      const comment = all.rules[i] as string;
      const m = /^## (CIS-DOCKER-1\.6:1\.1\.\d+) \S/.exec(comment);
      assert.ok(m, `not a control comment: ${comment}`);
      assert.ok((m[1] as string) in HOST_RULE_CONTROLS);
      assert.ok((all.rules[i + 1] as string).startsWith('-w '));
    }
    assert.equal(all.rules[0], '## CIS-DOCKER-1.6:1.1.3 dockerd binary');
    assert.equal(all.rules[1], '-w /usr/bin/dockerd -p wa -k docker');
  });

  it('writes only lines auditctl accepts', () => {
    for (const l of all.rules) assert.equal(checkRuleLine(l), undefined, l);
  });

  it('moves rules for absent paths to skipped', () => {
    const present = new Set([
      '/usr/bin/dockerd',
      '/etc/docker',
      '/lib/systemd/system/docker.service',
      '/usr/bin/runc',
    ]);
    const asked: string[] = [];
    const r = hostAuditRules({
      exists: (p) => {
        asked.push(p);
        return present.has(p);
      },
    });
    assert.equal(asked.length, 20);
    assert.deepEqual(
      r.rules.filter((l) => l.startsWith('-w ')).map((l) => l.split(' ')[1]),
      ['/usr/bin/dockerd', '/etc/docker', '/lib/systemd/system/docker.service', '/usr/bin/runc'],
    );
    assert.equal(r.skipped.length, 16);
    assert.ok(r.skipped.includes('/etc/sysconfig/docker'));
    assert.ok(r.skipped.includes('/usr/lib/systemd/system/docker.service'));
    // No orphan comment for a control whose paths are all absent.
    assert.ok(!r.rules.some((l) => l.includes('1.1.13')));
    assert.equal(r.rules.length, 8);
  });
});
