// Profile generation from bane-style TOML and YAML policies: the rules each key produces, the
// docker-default base, apparmor_parser acceptance, and refusal of hostile or malformed policies.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { allProfiles, parseAppArmor } from '../../src/apparmor/parse.js';
import {
  type AppArmorPolicy,
  checkAaPath,
  checkRawRule,
  generateProfile,
  generateProfileFromText,
  parsePolicy,
  policyFormat,
} from '../../src/apparmor/policy.js';
import { renderDockerDefault } from '../../src/apparmor/template.js';
import { validateWithParser } from '../../src/apparmor/validate.js';
import { UserError } from '../../src/errors.js';
import { ALL_CAPS } from '../../src/harden/caps.js';
import { ROOT } from '../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'apparmor');
const HAVE_PARSER = validateWithParser('profile x {\n}\n').available;

/** Asserts apparmor_parser compiles the text (when it is installed). */
function compiles(text: string, label: string): void {
  if (!HAVE_PARSER) return;
  const r = validateWithParser(text, { label });
  assert.ok(r.ok, `${label} rejected by apparmor_parser:\n${r.output}\n${text}`);
}

function lines(text: string): string[] {
  return text.split('\n');
}

/** The rule texts of the only profile, sorted, for comparisons that ignore order and comments. */
function ruleSet(text: string): string[] {
  const doc = parseAppArmor(text);
  assert.equal(doc.issues.length, 0, JSON.stringify(doc.issues));
  assert.equal(doc.profiles.length, 1);
  return (doc.profiles[0]?.rules ?? []).map((r) => r.text).sort();
}

function userError(f: () => unknown, re?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `message is not one line: ${e.message}`);
    if (re) assert.match(e.message, re);
    return true;
  });
}

describe('bane TOML policies', () => {
  const sample = readFileSync(path.join(FIX, 'bane-sample.toml'), 'utf8');

  it('renders bane-sample.toml with bane meaning', () => {
    const p = parsePolicy(sample, 'bane-sample.toml');
    assert.equal(p.name, 'docker-nginx', 'bane prefixes the name with docker-');
    assert.equal(p.base, 'none');
    const out = generateProfile(p);
    const ls = lines(out);
    assert.ok(ls.includes('profile "docker-nginx" flags=(attach_disconnected,mediate_deleted) {'));
    for (const want of [
      '  #include <abstractions/base>',
      '  network,',
      '  deny network raw,',
      '  deny network packet,',
      '  file,',
      '  umount,',
      '  deny /bin/** wl,',
      '  deny /usr/** wl,',
      '  audit /** w,',
      '  /var/run/nginx.pid w,',
      '  /usr/sbin/nginx ix,',
      '  deny /bin/dash mrwklx,',
      '  deny /usr/bin/top mrwklx,',
      '  capability chown,',
      '  capability net_bind_service,',
      '  deny mount,',
      '  deny @{PROC}/sysrq-trigger rwklx,',
      '  signal (send,receive) peer="docker-nginx",',
    ]) {
      assert.ok(ls.includes(want), `missing line ${want}`);
    }
    assert.ok(!ls.includes('  capability,'), 'Allow lists the only capabilities');
    assert.equal(ls.filter((l) => l.startsWith('  deny /') && l.endsWith(' wl,')).length, 17);
    assert.ok(out.startsWith('# AppArmor profile "docker-nginx"'));
    assert.ok(out.endsWith('}\n'));
    compiles(out, 'bane-sample');
  });

  it('keeps a name that already starts with docker-, and maps Deny, Raw, Packet, Protocols', () => {
    const out = generateProfileFromText(
      [
        'Name = "docker-web"',
        '[Capabilities]',
        'Deny = ["sys_admin", "CAP_SYS_MODULE"]',
        '[Network]',
        'Raw = true',
        'Packet = false',
        'Protocols = ["tcp", "udp", "icmp"]',
      ].join('\n'),
      'web.toml',
    );
    const ls = lines(out);
    assert.ok(ls.includes('profile "docker-web" flags=(attach_disconnected,mediate_deleted) {'));
    assert.ok(ls.includes('  capability,'), 'Deny alone allows all other capabilities');
    assert.ok(ls.includes('  deny capability sys_admin,'));
    assert.ok(ls.includes('  deny capability sys_module,'));
    assert.ok(ls.includes('  network inet tcp,') && ls.includes('  network inet icmp,'));
    assert.ok(!ls.includes('  network,'));
    assert.ok(!ls.includes('  deny network raw,'));
    assert.ok(ls.includes('  deny network packet,'));
    compiles(out, 'web');
  });

  it('accepts every Linux capability name, and apparmor_parser knows them all', () => {
    const names = ALL_CAPS.map((c) => c.slice(4).toLowerCase());
    const out = generateProfileFromText(
      `Name = "caps"\n[Capabilities]\nAllow = ${JSON.stringify(names)}\n`,
      'caps.toml',
    );
    assert.equal(lines(out).filter((l) => /^ {2}capability [a-z_]+,$/.test(l)).length, 41);
    compiles(out, 'caps');
  });

  it('writes no capability rule when neither Allow nor Deny is given', () => {
    const out = generateProfileFromText('Name = "min"\n', 'min.toml');
    assert.ok(!/^\s*capability/m.test(out));
    compiles(out, 'min');
  });
});

describe('YAML policies', () => {
  it('adds `deny /etc/hosts rwklx,` to docker-default like the lab sample', () => {
    const out = generateProfileFromText(
      'name: docker-default\nbase: docker-default\ndeny:\n  - /etc/hosts\n',
      'p.yaml',
    );
    const base = renderDockerDefault();
    // Everything of docker-default is kept, the rule is inside its block.
    const end = base.lastIndexOf('}\n');
    assert.ok(out.startsWith(base.slice(0, end)));
    assert.ok(out.endsWith('  deny /etc/hosts rwklx,\n}\n'));
    // Same rules as the hand-made lab profile (which renamed only its header to docker-nohosts).
    const lab = readFileSync(path.join(FIX, 'lab-docker-default-deny-hosts.profile'), 'utf8');
    assert.deepEqual(ruleSet(out), ruleSet(lab));
    compiles(out, 'deny-hosts');
  });

  it('applies every option on the docker-default base', () => {
    const out = generateProfileFromText(
      [
        'name: docker-strict',
        'base: docker-default',
        'filesystem:',
        '  readOnlyPaths: [/etc/**]',
        '  writable_paths: [/var/cache/app/**]',
        '  deny-exec: [/bin/sh]',
        'capabilities:',
        '  allow: [chown, setuid, setgid]',
        '  deny: [sys_admin]',
        'network:',
        '  raw: false',
        '  packet: false',
        '  protocols: [tcp]',
        'deny:',
        '  - /etc/hosts',
        '  - { path: /etc/shadow, perms: r }',
        'ptrace: deny',
        'signal: container',
        'rules:',
        '  - "deny /etc/passwd w,"',
        '  - "deny @{PROC}/{mem,kmem} rwklx,"',
        '  - "owner /tmp/** rw,"',
        '  - "deny capability mknod,"',
        '  - "umount /mnt/,"',
        '  - "signal (receive) set=(term, kill) peer=docker-strict,"',
        '  - \'deny "/opt/my app/secret" rw,\'',
      ].join('\n'),
      'strict.yml',
    );
    const ls = lines(out);
    assert.ok(!ls.includes('  capability,'), 'allow replaces docker-default `capability,`');
    assert.ok(ls.includes('  capability chown,'));
    assert.ok(!ls.includes('  network,') && ls.includes('  network inet tcp,'));
    assert.ok(ls.includes('  deny network alg,'), 'the rest of docker-default stays');
    for (const want of [
      '  deny network raw,',
      '  deny network packet,',
      '  deny /etc/** wl,',
      '  /var/cache/app/** w,',
      '  deny /bin/sh mrwklx,',
      '  deny /etc/hosts rwklx,',
      '  deny /etc/shadow r,',
      '  deny capability sys_admin,',
      '  deny ptrace,',
      '  deny /etc/passwd w,',
      '  owner /tmp/** rw,',
      '  deny "/opt/my app/secret" rw,',
    ]) {
      assert.ok(ls.includes(want), `missing ${want}`);
    }
    const doc = parseAppArmor(out);
    assert.deepEqual(doc.issues, []);
    assert.equal(allProfiles(doc).length, 1);
    compiles(out, 'strict');
  });

  it('allows mount when asked by replacing `deny mount,`', () => {
    const out = generateProfileFromText(
      'name: m\nbase: docker-default\nmount: allow\nptrace: allow\nsignal: allow\n',
      'm.yaml',
    );
    const ls = lines(out);
    assert.ok(!ls.includes('  deny mount,') && ls.includes('  mount,'));
    assert.ok(ls.includes('  ptrace,') && ls.includes('  signal,'));
    compiles(out, 'mount');
  });

  it('starts from the Docker 24.0.0 profile with base docker-default-v24.0.0', () => {
    const out = generateProfileFromText(
      'name: old\nbase: docker-default-v24.0.0\ndeny: [/etc/hosts]\n',
      'o.yaml',
    );
    assert.ok(out.startsWith(renderDockerDefault({ name: 'old', version: 'v24.0.0' }).slice(0, 200)));
    assert.ok(lines(out).includes('profile old flags=(attach_disconnected,mediate_deleted) {'));
    compiles(out, 'v24');
  });

  it('renders standalone modes for mount, ptrace and signal', () => {
    for (const [mount, ptrace, signal] of [
      ['deny', 'container', 'container'],
      ['allow', 'deny', 'deny'],
      ['deny', 'allow', 'allow'],
    ] as const) {
      const out = generateProfileFromText(
        `name: s\nmount: ${mount}\nptrace: ${ptrace}\nsignal: ${signal}\n`,
        's.yaml',
      );
      const ls = lines(out);
      assert.ok(ls.includes(mount === 'allow' ? '  mount,' : '  deny mount,'));
      if (ptrace === 'container') assert.ok(ls.includes('  ptrace (trace,tracedby,read,readby) peer="s",'));
      else assert.ok(ls.includes(ptrace === 'deny' ? '  deny ptrace,' : '  ptrace,'));
      if (signal === 'container') assert.ok(ls.includes('  signal (receive) peer=runc,'));
      else assert.ok(ls.includes(signal === 'deny' ? '  deny signal,' : '  signal,'));
      compiles(out, `modes-${mount}-${ptrace}-${signal}`);
    }
  });

  it('uses the host inputs given (no abi, @{PROC} fallback, daemon profile)', () => {
    const out = generateProfile(parsePolicy('{"name": "j"}', 'j.json'), {
      abi: '',
      imports: ['@{PROC}=/proc/'],
      innerImports: [],
      daemonProfile: '/usr/bin/dockerd',
    });
    assert.ok(!out.includes('abi <'));
    assert.ok(lines(out).includes('@{PROC}=/proc/'));
    assert.ok(lines(out).includes('  signal (receive) peer="/usr/bin/dockerd",'));
    compiles(out, 'fallback');
  });

  it('tells TOML from YAML by extension or content', () => {
    assert.equal(policyFormat('', 'x.toml'), 'toml');
    assert.equal(policyFormat('', 'x.yml'), 'yaml');
    assert.equal(policyFormat('# c\nName = "x"\n', 'policy'), 'toml');
    assert.equal(policyFormat('\n[Filesystem]\n', 'policy'), 'toml');
    assert.equal(policyFormat('name: x\n', 'policy'), 'yaml');
  });
});

describe('bad policies', () => {
  it('reports malformed TOML and YAML with file and line', () => {
    userError(() => parsePolicy('Name = "x"\n[Filesystem\n', 'bad.toml'), /^bad\.toml:2: not valid TOML/);
    userError(() => parsePolicy('Name = "x"\nName = "y"\n', 'dup.toml'), /^dup\.toml:2: /);
    userError(() => parsePolicy('name: x\n  bad: [\n', 'bad.yaml'), /^bad\.yaml(:\d+)?: not valid YAML/);
    userError(() => parsePolicy('name: a\n---\nname: b\n', 'two.yaml'), /expected one YAML document/);
    userError(() => parsePolicy('- a\n- b\n', 'list.yaml'), /expected a table\/mapping/);
    userError(() => parsePolicy('', 'empty.yaml'), /found 0/);
    userError(() => parsePolicy('x'.repeat(1024 * 1024 + 1), 'big.yaml'), /larger than/);
  });

  it('refuses unknown keys, naming them and the line', () => {
    userError(
      () => parsePolicy('name: x\nfilesystem:\n  readonly: [/a]\n', 'k.yaml'),
      /^k\.yaml:3: filesystem\.readonly: unknown key/,
    );
    userError(
      () => parsePolicy('name: x\nprivileged: true\n', 'k.yaml'),
      /^k\.yaml:2: privileged: unknown key \(allowed: name, base/,
    );
    userError(
      () => parsePolicy('Name = "x"\n[Network]\nIcmp = true\n', 'k.toml'),
      /Network\.Icmp: unknown key/,
    );
    userError(() => parsePolicy('name: x\nName: y\n', 'k.yaml'), /duplicate/);
    userError(() => parsePolicy('name: x\ndeny: [{path: /a, mode: r}]\n', 'k.yaml'), /unknown key mode/);
  });

  it('refuses wrong types and values', () => {
    userError(() => parsePolicy('filesystem: {}\n', 'p.yaml'), /name.*required/);
    userError(() => parsePolicy('name: 3\n', 'p.yaml'), /name.*required/);
    userError(
      () => parsePolicy('name: x\nbase: docker-privileged\n', 'p.yaml'),
      /base: expected one of none, docker-default/,
    );
    userError(
      () => parsePolicy('name: x\nfilesystem:\n  readOnlyPaths: /etc\n', 'p.yaml'),
      /expected a list/,
    );
    userError(() => parsePolicy('name: x\nnetwork:\n  raw: "no"\n', 'p.yaml'), /expected true or false/);
    userError(
      () => parsePolicy('name: x\nnetwork:\n  protocols: [raw]\n', 'p.yaml'),
      /protocol must be one of/,
    );
    userError(
      () => parsePolicy('name: x\ncapabilities:\n  allow: [all]\n', 'p.yaml'),
      /not a Linux capability/,
    );
    userError(
      () => parsePolicy('name: x\ncapabilities:\n  allow: [cap_bogus]\n', 'p.yaml'),
      /^p\.yaml:3: capabilities\.allow\.0: /,
    );
    userError(() => parsePolicy('name: x\ndeny: [{path: /a, perms: rwz}]\n', 'p.yaml'), /perms must be/);
    userError(
      () => parsePolicy('name: x\nmount: sometimes\n', 'p.yaml'),
      /mount: expected one of deny, allow/,
    );
    userError(() => parsePolicy('name: x\nptrace: [deny]\n', 'p.yaml'), /ptrace: expected one of/);
  });

  const hostilePaths = [
    '/x,\n  capability sys_admin',
    '/x rw,\n}\nprofile evil {',
    '/x }',
    '/x}',
    '/{a',
    '/a}b',
    '/[ab',
    '/a]',
    '/x^y',
    '@{PROC',
    '@{P ROC}/x',
    '@{}/x',
    'relative/path',
    'capability',
    '/a b',
    '/a\tb',
    '/x#y',
    '/x"y',
    "/x'y",
    '/x\\y',
    '/x -> y',
    '/x->y',
    '/x\u0000',
    '/x\u2028y',
    '/x\u0085y',
    '/x(y)',
    '/a,b',
    '/[a,b]',
    '',
    `/${'a'.repeat(5000)}`,
    `/${'{'.repeat(20)}a${'}'.repeat(20)}`,
  ];

  it('refuses path values that would break out of their rule', () => {
    for (const p of hostilePaths) {
      userError(() => checkAaPath(p, 'value'));
      const yaml = `name: x\nfilesystem:\n  writablePaths:\n    - ${JSON.stringify(p)}\n`;
      userError(() => parsePolicy(yaml, 'h.yaml'), /^h\.yaml:4: filesystem\.writablePaths\.0: /);
      userError(() => parsePolicy(`name = "x"\ndeny = [${JSON.stringify(p)}]\n`, 'h.toml'));
    }
    for (const ok of [
      '/etc/hosts',
      '@{PROC}/sys/**',
      '/{etc,var}/x',
      '/proc/[^1-9]*/**',
      '/a/{b,{c,d}}/e',
      '/dir/?',
      '/é/ü',
    ]) {
      assert.equal(checkAaPath(ok, 'value'), ok);
    }
  });

  it('refuses hostile names', () => {
    for (const n of ['x" { capability, } profile "y', 'a b', 'a,b', 'a\nb', 'x*', 'a{b}']) {
      userError(() => parsePolicy(`name: ${JSON.stringify(n)}\n`, 'n.yaml'), /^n\.yaml:1: name: /);
    }
  });

  it('refuses extra rules that are not exactly one safe rule', () => {
    const bad = [
      'deny /x r,\n}\nprofile evil {',
      'deny /x r,\r  capability,',
      'capability, capability sys_admin,',
      'network, network,',
      '}',
      '},',
      'profile evil {',
      'profile evil { capability, }',
      '^hat {',
      '/a {b,c} r,',
      '#include <abstractions/base>',
      'include <abstractions/base>',
      'include <x>,',
      '@{X}=/y',
      '@{X}=/y,',
      'abi <abi/3.0>,',
      'alias / -> /x/,',
      'change_profile -> unconfined,',
      'change_profile,',
      '/bin/sh ux,',
      '/bin/sh Pux,',
      '/bin/sh Px -> unconfined,',
      'deny /x r, # comment',
      'deny /x r',
      'bogus rule,',
      'deny mount bogus,',
      'ptrace peer=(x,',
      'signal (send,',
      'deny "/x r,',
      'deny /x\\, r,',
      'deny /x r,\u0000',
      '',
      'x'.repeat(2000),
      'file, }',
      'deny /x{a,b r,',
      'deny /x) r,',
    ];
    for (const r of bad) {
      userError(() => checkRawRule(r, 'value'));
      userError(
        () => parsePolicy(`name: x\nrules:\n  - ${JSON.stringify(r)}\n`, 'r.yaml'),
        /^r\.yaml:3: rules\.0: /,
      );
    }
    for (const ok of [
      'deny /etc/hosts rwklx,',
      'capability sys_ptrace,',
      'network inet tcp,',
      'deny network raw,',
      'audit deny /etc/** w,',
      'owner @{PROC}/@{pid}/fd/ r,',
      'deny @{PROC}/{mem,kmem} rwklx,',
      'signal (send) set=(term, kill) peer=x,',
      'ptrace (readby),',
      'umount,',
      'deny pivot_root,',
      'mount fstype=tmpfs -> /tmp/,',
      'dbus send bus=session,',
      'unix (send, receive) type=stream,',
      '/usr/bin/python3 ix,',
      'link /a -> /b,',
    ]) {
      assert.equal(checkRawRule(ok, 'value'), ok);
    }
  });

  it('re-checks policies built by code, not only policies read from files', () => {
    const good: AppArmorPolicy = parsePolicy('name: x\n', 'x.yaml');
    const variants: AppArmorPolicy[] = [
      { ...good, name: 'x" {' },
      { ...good, filesystem: { ...good.filesystem, readOnlyPaths: ['/a,\n}'] } },
      { ...good, deny: [{ path: '/a', perms: 'rw,\n  capability' }] },
      { ...good, capabilities: { allow: ['sys_admin,\n  file'], deny: [] } },
      { ...good, network: { protocols: ['tcp,\n  network'] } },
      { ...good, rules: ['capability,\n}'] },
      { ...good, base: 'evil' as AppArmorPolicy['base'] },
    ];
    for (const v of variants) userError(() => generateProfile(v));
  });

  it('keeps any accepted path inside one rule of one profile (property)', () => {
    const alphabet = fc.constantFrom(...'/a*?[]^{},@#"\\ \n\t}-.>'.split(''), '@{PROC}', '**', '/x');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 12 }), (parts) => {
        const p = `/${parts.join('')}`;
        let ok = true;
        try {
          checkAaPath(p, 'value');
        } catch {
          ok = false;
        }
        if (!ok) return;
        const out = generateProfile({
          ...parsePolicy('name: x\n', 'x.yaml'),
          filesystem: {
            readOnlyPaths: [p],
            logOnWritePaths: [],
            writablePaths: [],
            allowExec: [],
            denyExec: [],
          },
        });
        const doc = parseAppArmor(out);
        assert.deepEqual(doc.issues, [], p);
        assert.equal(allProfiles(doc).length, 1);
        const rules = doc.profiles[0]?.rules ?? [];
        assert.ok(
          rules.some((r) => r.kind === 'file' && r.deny && r.path === p && r.perms === 'wl'),
          p,
        );
      }),
      { numRuns: 500, seed: 6 },
    );
  });
});
