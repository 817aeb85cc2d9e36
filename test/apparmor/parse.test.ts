// The AppArmor profile reader: structure of the shared samples, every rule family, and hostile text.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  type AaFileRule,
  type AaGenericRule,
  type AaNetworkRule,
  type AaPeerRule,
  allProfiles,
  parseAppArmor,
} from '../../src/apparmor/parse.js';
import { renderDockerDefault } from '../../src/apparmor/template.js';
import { UserError } from '../../src/errors.js';
import { ROOT } from '../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'apparmor');
const read = (f: string): string => readFileSync(path.join(FIX, f), 'utf8');

describe('parseAppArmor', () => {
  it('reads the rendered docker-default profile', () => {
    const doc = parseAppArmor(renderDockerDefault());
    assert.deepEqual(doc.issues, []);
    assert.equal(doc.abi, 'abi/3.0');
    assert.deepEqual(
      doc.includes.map((i) => [i.path, i.angle, i.line]),
      [['tunables/global', true, 4]],
    );
    assert.equal(doc.profiles.length, 1);
    const p = doc.profiles[0];
    assert.ok(p);
    assert.equal(p.name, 'docker-default');
    assert.equal(p.line, 6);
    assert.deepEqual(p.flags, ['attach_disconnected', 'mediate_deleted']);
    assert.deepEqual(
      p.includes.map((i) => i.path),
      ['abstractions/base'],
    );
    const kinds = p.rules.map((r) => r.kind);
    assert.deepEqual(kinds.slice(0, 5), ['network', 'network', 'capability', 'file', 'umount']);
    assert.equal(p.rules.length, 26);
    const alg = p.rules[1] as AaNetworkRule;
    assert.ok(alg.deny);
    assert.deepEqual(alg.words, ['alg']);
    const sig = p.rules.find((r) => r.kind === 'signal' && r.perms.includes('send')) as AaPeerRule;
    assert.deepEqual(sig.perms, ['send', 'receive']);
    assert.equal(sig.peer, 'docker-default');
    const ptrace = p.rules.find((r) => r.kind === 'ptrace') as AaPeerRule;
    assert.deepEqual(ptrace.perms, ['trace', 'tracedby', 'read', 'readby']);
    assert.equal(ptrace.line, 47);
    const proc = p.rules.find((r) => r.kind === 'file' && r.path?.includes('[^1-9/]')) as AaFileRule;
    assert.ok(proc.deny);
    assert.equal(proc.perms, 'w');
    assert.equal(
      proc.path,
      '@{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/**',
    );
    const mount = p.rules.find((r) => r.kind === 'mount') as AaGenericRule;
    assert.ok(mount.deny);
  });

  it('reads the shared lab samples', () => {
    const hosts = parseAppArmor(read('lab-deny-hosts.profile'));
    assert.deepEqual(hosts.issues, []);
    const p = hosts.profiles[0];
    assert.equal(p?.name, 'lab-deny-hosts');
    const rule = p?.rules.find((r) => r.kind === 'file' && r.path === '/etc/hosts') as AaFileRule;
    assert.deepEqual([rule.deny, rule.perms, rule.line], [true, 'rwklx', 8]);
    const nohosts = parseAppArmor(read('lab-docker-default-deny-hosts.profile'));
    assert.deepEqual(nohosts.issues, []);
    assert.equal(nohosts.profiles[0]?.name, 'docker-nohosts');
    const style = parseAppArmor(read('lab-docker-default-style.profile'));
    assert.deepEqual(style.issues, []);
    const ptrace = style.profiles[0]?.rules.find((r) => r.kind === 'ptrace') as AaPeerRule | undefined;
    assert.equal(ptrace?.peer, 'lab-docker-default');
  });

  it('reports the broken sample (missing comma) as an issue with its line', () => {
    const doc = parseAppArmor(read('lab-docker-default-broken.profile'));
    assert.equal(doc.issues.length, 1);
    assert.equal(doc.issues[0]?.line, 35);
    assert.match(doc.issues[0]?.message ?? '', /mount rule with unexpected "bogusrule"/);
  });

  it('reads qualifiers, both file rule forms, exec targets, link and the other families', () => {
    const doc = parseAppArmor(`
# comment
@{MYDIR}=/srv/app /opt/app
@{MYDIR}+=/data
alias /usr/ -> /mnt/usr/,
include if exists <local/x>
/usr/bin/foo flags=(complain) {
  audit deny owner /etc/** w,
  r /etc/hosts,
  file /etc/motd r,
  /bin/sh Px -> other,
  link subset /a -> /b,
  capability sys_admin sys_module,
  network inet6 stream,
  mount options=(rw, bind) /a/ -> /b/,
  remount /,
  pivot_root oldroot=/old/ /new/,
  signal receive set=(term kill) peer=x,
  ptrace,
  dbus send bus=session path=/org/x,
  unix (send receive) type=stream,
  change_profile -> other,
  set rlimit nofile <= 1024,
  deny "/with space/x" rw,   # trailing comment
  ^hat {
    /x r,
  }
  profile child flags = (complain) {
    /y r,
  }
}
`);
    assert.deepEqual(doc.issues, []);
    assert.deepEqual(
      doc.variables.map((v) => [v.name, v.values, v.append]),
      [
        ['MYDIR', ['/srv/app', '/opt/app'], false],
        ['MYDIR', ['/data'], true],
      ],
    );
    assert.deepEqual(
      doc.aliases.map((a) => [a.from, a.to]),
      [['/usr/', '/mnt/usr/']],
    );
    assert.deepEqual(
      doc.includes.map((i) => [i.path, i.ifExists]),
      [['local/x', true]],
    );
    const p = doc.profiles[0];
    assert.ok(p);
    assert.equal(p.name, '/usr/bin/foo');
    assert.equal(p.attachment, '/usr/bin/foo');
    assert.deepEqual(p.flags, ['complain']);
    const r = p.rules;
    const f0 = r[0] as AaFileRule;
    assert.deepEqual([f0.audit, f0.deny, f0.owner, f0.path, f0.perms], [true, true, true, '/etc/**', 'w']);
    assert.deepEqual([(r[1] as AaFileRule).path, (r[1] as AaFileRule).perms], ['/etc/hosts', 'r']);
    assert.deepEqual([(r[2] as AaFileRule).path, (r[2] as AaFileRule).perms], ['/etc/motd', 'r']);
    assert.equal((r[3] as AaFileRule).target, 'other');
    assert.equal(r[4]?.kind, 'link');
    assert.deepEqual(r[5]?.kind === 'capability' && r[5].caps, ['sys_admin', 'sys_module']);
    assert.deepEqual(
      r.slice(6).map((x) => x.kind),
      [
        'network',
        'mount',
        'remount',
        'pivot_root',
        'signal',
        'ptrace',
        'dbus',
        'unix',
        'change_profile',
        'rlimit',
        'file',
      ],
    );
    assert.deepEqual((r[10] as AaPeerRule).set, ['term', 'kill']);
    assert.equal((r[16] as AaFileRule).path, '/with space/x');
    assert.deepEqual(
      p.children.map((c) => [c.name, c.hat, c.flags]),
      [
        ['hat', true, []],
        ['child', false, ['complain']],
      ],
    );
    assert.equal(allProfiles(doc).length, 3);
  });

  it('recovers from hostile or broken text with issues, never exceptions', () => {
    const cases: [string, RegExp][] = [
      ['profile x {\n  /a r\n}\n', /missing ','/],
      ['profile x {\n  frobnicate,\n}\n', /rule not understood/],
      ['profile x {\n  /a r,\n', /not closed/],
      ['}\n', /without an open block/],
      ['/a r,\n', /outside any profile/],
      ['profile x {\n  if $foo {\n    /a r,\n  }\n}\n', /block not understood/],
      ['profile x {\n  deny "/unterminated r,\n}\n', /unterminated quoted string/],
      ['#include\n', /directive not understood/],
      ['profile x {\n  capability SYS-ADMIN,\n}\n', /bad capability rule/],
      ['profile x {\n  signal peer2=x,\n}\n', /unknown signal condition/],
      ['profile x {\n  /a zz,\n}\n', /bad file rule|rule not understood/],
    ];
    for (const [text, re] of cases) {
      const doc = parseAppArmor(text);
      assert.ok(
        doc.issues.some((i) => re.test(i.message)),
        `${JSON.stringify(text)}: ${JSON.stringify(doc.issues)}`,
      );
    }
  });

  it('is bounded: size, nesting and statement count', () => {
    assert.throws(
      () => parseAppArmor('#'.repeat(5 * 1024 * 1024), 'big'),
      (e: unknown) => e instanceof UserError && /^big: larger than/.test(e.message),
    );
    const deep = `${'profile a {\n'.repeat(40)}${'}\n'.repeat(40)}`;
    assert.throws(() => parseAppArmor(deep, 'deep'), /^UserError: deep:\d+: blocks nested more than 16 deep/);
    assert.throws(() => parseAppArmor('a,'.repeat(250_000), 'many'), /more than 200000 statements/);
    // Many unclosed braces inside one token stay one statement (no recursion, no blow-up).
    const doc = parseAppArmor(`profile x {\n  /a${'{'.repeat(100_000)} r,\n}\n`);
    assert.ok(doc.issues.length > 0);
  });
});
