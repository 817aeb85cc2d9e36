// AppArmor lint findings (AAL001...) on the shared samples, generated profiles and crafted risky ones.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AareBudgetExceeded, aareMatches, compileAare, matchesAare } from '../../src/apparmor/aare.js';
import {
  type AaFinding,
  APPARMOR_LINT_RULES,
  formatLintTable,
  lintProfile,
  sortFindings,
} from '../../src/apparmor/lint.js';
import { generateProfileFromText } from '../../src/apparmor/policy.js';
import { renderDockerDefault } from '../../src/apparmor/template.js';
import { ROOT } from '../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'apparmor');
const read = (f: string): string => readFileSync(path.join(FIX, f), 'utf8');
const ids = (fs: AaFinding[]): string[] => [...new Set(fs.map((f) => f.id))].sort();
const wrap = (body: string, header = 'profile t'): string => `${header} {\n${body}\n}\n`;

describe('lintProfile', () => {
  it('has stable, sequential rule IDs', () => {
    assert.deepEqual(
      APPARMOR_LINT_RULES.map((r) => r.id),
      Array.from({ length: APPARMOR_LINT_RULES.length }, (_, i) => `AAL${String(i + 1).padStart(3, '0')}`),
    );
    for (const r of APPARMOR_LINT_RULES) assert.ok(r.title && r.description && r.resolution, r.id);
  });

  it('finds only the permissive-by-design parts of docker-default', () => {
    for (const version of ['current', 'v24.0.0'] as const) {
      const f = lintProfile(renderDockerDefault({ version }));
      assert.deepEqual(ids(f), ['AAL002', 'AAL011', 'AAL012', 'AAL017'], version);
      assert.ok(f.every((x) => x.profile === 'docker-default'));
    }
    assert.deepEqual(ids(lintProfile(read('lab-docker-default-style.profile'))), [
      'AAL002',
      'AAL011',
      'AAL012',
      'AAL017',
    ]);
  });

  it('finds the gaps of the small lab profile', () => {
    const f = lintProfile(read('lab-deny-hosts.profile'));
    assert.deepEqual(ids(f), [
      'AAL002',
      'AAL004',
      'AAL005',
      'AAL010',
      'AAL011',
      'AAL012',
      'AAL014',
      'AAL017',
    ]);
    const procSys = f.find((x) => x.id === 'AAL004');
    // deny /proc/sys/kernel/** w covers core_pattern and modprobe, not the others
    assert.equal(
      procSys?.message,
      'writes allowed to /proc/sys/fs/binfmt_misc/register, /proc/sys/vm/drop_caches',
    );
    assert.equal(procSys?.severity, 'HIGH');
  });

  it('reports the broken sample statement (AAL015) with its line', () => {
    const f = lintProfile(read('lab-docker-default-broken.profile'));
    const bad = f.find((x) => x.id === 'AAL015');
    assert.equal(bad?.line, 35);
    assert.match(bad?.message ?? '', /bogusrule/);
  });

  it('flags a bane-style `audit /** w,` as a root-wide write but nothing kernel-related', () => {
    const out = generateProfileFromText(read('bane-sample.toml'), 'bane-sample.toml');
    assert.deepEqual(ids(lintProfile(out)), ['AAL009', 'AAL017']);
  });

  it('flags every risky construct of a crafted profile', () => {
    const text = wrap(
      [
        '  capability sys_admin,',
        '  capability chown,',
        '  network inet raw,',
        '  network packet,',
        '  mount,',
        '  pivot_root,',
        '  ptrace,',
        '  /tmp/** rwx,',
        '  /** rwlk,',
        '  /bin/sh ux,',
        '  /opt/app/run w,',
        '  /opt/app/run ix,',
        '  change_profile -> unconfined,',
      ].join('\n'),
      'profile risky flags=(complain)',
    );
    const f = lintProfile(text);
    assert.deepEqual(ids(f), [
      'AAL001',
      'AAL003',
      'AAL004',
      'AAL005',
      'AAL006',
      'AAL007',
      'AAL008',
      'AAL009',
      'AAL010',
      'AAL011',
      'AAL012',
      'AAL013',
      'AAL014',
    ]);
    const byId = (id: string): AaFinding[] => f.filter((x) => x.id === id);
    assert.equal(byId('AAL003').length, 1, 'chown is not dangerous');
    assert.equal(byId('AAL003')[0]?.line, 2);
    assert.equal(byId('AAL006').length, 2);
    assert.deepEqual(
      byId('AAL008').map((x) => x.line),
      [9, 13],
    );
    assert.equal(byId('AAL013').length, 2);
    assert.equal(byId('AAL014')[0]?.message, 'reads allowed from /proc/kcore');
  });

  it('lets deny rules, peers and variables clear findings', () => {
    assert.deepEqual(ids(lintProfile(wrap('  capability sys_admin,\n  deny capability sys_admin,'))), []);
    assert.deepEqual(ids(lintProfile(wrap('  ptrace (trace) peer=t,'))), []);
    assert.deepEqual(ids(lintProfile(wrap('  ptrace (readby),'))), []);
    assert.deepEqual(ids(lintProfile(wrap('  ptrace (trace) peer=unconfined,'))), ['AAL007']);
    assert.deepEqual(ids(lintProfile(wrap('  network inet tcp,'))), []);
    assert.deepEqual(ids(lintProfile(wrap('  network,\n  deny network raw,\n  deny network packet,'))), []);
    assert.deepEqual(ids(lintProfile(wrap('  network inet,'))), ['AAL011']);
    assert.deepEqual(ids(lintProfile(wrap('  deny mount,\n  umount,'))), []);
    assert.deepEqual(ids(lintProfile(wrap('  /srv/** rw,\n  /srv/bin/* ix,'))), []);
    const withVar = `@{MYPROC}=/proc/\n${wrap(
      '  file,\n  deny @{MYPROC}/sysrq-trigger w,\n  deny @{MYPROC}/sys/** w,\n  deny @{MYPROC}/kcore r,\n  deny /sys/** w,',
    )}`;
    assert.deepEqual(ids(lintProfile(withVar)), ['AAL017']);
    // The same rules with an unknown variable do not count as denies.
    assert.ok(ids(lintProfile(withVar.replace('@{MYPROC}=/proc/\n', ''))).includes('AAL010'));
  });

  it('lints child profiles and hats under their own names', () => {
    const f = lintProfile(
      'profile outer {\n  /x r,\n  profile inner {\n    capability sys_module,\n  }\n  ^h {\n    mount,\n  }\n}\n',
    );
    assert.deepEqual(
      f.map((x) => [x.id, x.profile, x.line]),
      [
        ['AAL003', 'inner', 4],
        ['AAL006', 'h', 7],
      ],
    );
  });

  it('reports text without a profile', () => {
    assert.deepEqual(ids(lintProfile('# nothing here\n')), ['AAL016']);
    assert.deepEqual(ids(lintProfile('')), ['AAL016']);
  });
});

describe('formatLintTable', () => {
  it('prints a sorted table and keeps control characters out', () => {
    const f = lintProfile('profile "a\u001b[31mb" flags=(complain) {\n  capability,\n}\n');
    const t = formatLintTable(f);
    const ls = t.trimEnd().split('\n');
    assert.match(ls[0] ?? '', /^ID\s+SEVERITY\s+LINE\s+PROFILE\s+MESSAGE$/);
    assert.match(ls[1] ?? '', /^AAL001\s+HIGH\s+1\s+a\?\[31mb\s+profile a\?\[31mb has flags=\(complain\)/);
    assert.ok(!t.includes('\u001b'));
    assert.equal(formatLintTable([]), 'no findings\n');
    assert.deepEqual(
      sortFindings(f).map((x) => x.severity),
      ['HIGH', 'LOW'],
    );
  });
});

describe('AARE matching', () => {
  it('follows AppArmor glob semantics', () => {
    const cases: [string, string, boolean][] = [
      ['@{PROC}/*', '/proc/sysrq-trigger', true],
      ['@{PROC}/*', '/proc/sys/kernel', false],
      ['@{PROC}/sys/[^k]**', '/proc/sys/fs/binfmt_misc/register', true],
      ['@{PROC}/sys/[^k]**', '/proc/sys/kernel/core_pattern', false],
      ['@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}', '/proc/sys/kernel/core_pattern', true],
      ['@{PROC}/sys/kernel/{?,??,[^s][^h][^m]**}', '/proc/sys/kernel/shmmax', false],
      [
        '@{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/**',
        '/proc/driver/x',
        true,
      ],
      [
        '@{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/**',
        '/proc/1/attr/x',
        false,
      ],
      ['/sys/[^f]*/**', '/sys/kernel/uevent_helper', true],
      ['/sys/[^f]*/**', '/sys/fs/cgroup/x', false],
      ['/**', '/etc/passwd', true],
      ['/**', '/', false],
      ['/dir/*', '/dir/', false],
      ['/dir/*', '/dir/a', true],
      ['/dir/*', '/dir/a/b', false],
      ['/dir/?', '/dir/a', true],
      ['/dir/?', '/dir//', false],
      ['/{etc,var}/x', '/var/x', true],
      ['/a/{b,{c,d}}/e', '/a/d/e', true],
      ['/a/@{pid}/b', '/a/123/b', true],
      ['/a/@{pid}/b', '/a/x/b', false],
      ['/a/@{nope}/b', '/a/1/b', false],
      ['/a\\*b', '/a*b', true],
      ['/a\\*b', '/axb', false],
      ['/[a-c]x', '/bx', true],
    ];
    for (const [p, t, want] of cases) assert.equal(matchesAare(p, t), want, `${p} ~ ${t}`);
  });

  it('refuses malformed or exploding globs instead of hanging', () => {
    for (const p of ['/a{b', '/a}b', '/[ab', '/a\\', '@{PROC', `/${'{'.repeat(20)}a${'}'.repeat(20)}`]) {
      assert.equal(compileAare(p), undefined, p);
    }
    const vars: Record<string, string[]> = {
      A: Array.from({ length: 60 }, () => '@{B}@{B}'),
      B: Array.from({ length: 60 }, () => '@{C}@{C}'),
      C: Array.from({ length: 60 }, () => 'x'),
    };
    assert.equal(compileAare('/@{A}', vars), undefined);
    const t0 = Date.now();
    assert.equal(matchesAare(`/${'**a'.repeat(200)}b`, `/${'a'.repeat(300)}`), false);
    assert.ok(Date.now() - t0 < 5000);
    const g = compileAare(`/${'**{,}'.repeat(100)}`);
    assert.ok(g);
    assert.throws(() => aareMatches(g, '/a/b/c', { left: 1000 }), AareBudgetExceeded);
    assert.equal(aareMatches(g, '/a/b/c'), true);
  });

  it('stops lint file checks on a budget for hostile globs', () => {
    const rules = Array.from({ length: 600 }, (_, i) => `  /${'**{,}'.repeat(800)}${i} w,`);
    const text = wrap(rules.join('\n'));
    const t0 = Date.now();
    const f = lintProfile(text);
    assert.ok(Date.now() - t0 < 20_000);
    assert.ok(f.some((x) => x.id === 'AAL015' && /checks stopped early/.test(x.message)));
  });
});
