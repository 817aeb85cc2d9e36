import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isCleanUserError, ROOT, runCli, tmpdir } from '../helpers/env.js';

const PARSER = !spawnSync('apparmor_parser', ['--version'], { stdio: 'ignore' }).error;
const SKIP = PARSER ? false : 'needs apparmor_parser (Debian package apparmor)';
const FIX = path.join(ROOT, 'test', 'fixtures', 'apparmor');

describe('drydock apparmor', () => {
  const dir = tmpdir('dd-aa-cli-');

  it('renders docker-default as moby does and apparmor_parser -Q -K compiles it', {
    skip: SKIP,
  }, async () => {
    const r = await runCli(['apparmor', 'render', 'docker-default', '-o', path.join(dir, 'docker-default')]);
    assert.equal(r.code, 0, r.stderr);
    const v = await runCli(['apparmor', 'validate', path.join(dir, 'docker-default')]);
    assert.equal(v.code, 0, v.stderr);
    const old = await runCli(['apparmor', 'render', 'docker-default-v24.0.0']);
    assert.match(old.stdout, /^profile docker-default flags=\(attach_disconnected,mediate_deleted\) \{/m);
  });

  it('generates docker-default plus deny /etc/hosts rwklx, and the parser accepts it', {
    skip: SKIP,
  }, async () => {
    const pol = path.join(dir, 'policy.yaml');
    writeFileSync(
      pol,
      'name: web-hardened\nbase: docker-default\ndeny:\n  - path: /etc/hosts\n    perms: rwklx\ncapabilities:\n  allow: [net_bind_service, chown]\n',
    );
    const r = await runCli(['apparmor', 'generate', pol]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /profile "?web-hardened"? /);
    assert.match(r.stdout, /^\s*deny \/etc\/hosts rwklx,$/m);
    const out = path.join(dir, 'web-hardened');
    writeFileSync(out, r.stdout);
    assert.equal((await runCli(['apparmor', 'validate', out])).code, 0);
    const bane = await runCli(['apparmor', 'generate', path.join(FIX, 'bane-sample.toml')]);
    assert.equal(bane.code, 0, bane.stderr);
  });

  it('lints and refuses a broken profile with the parser message', { skip: SKIP }, async () => {
    const lint = await runCli([
      'apparmor',
      'lint',
      path.join(FIX, 'lab-docker-default-style.profile'),
      '-f',
      'json',
    ]);
    assert.equal(lint.code, 0, lint.stderr);
    assert.ok((JSON.parse(lint.stdout) as { id: string }[]).length > 0);
    const bad = await runCli(['apparmor', 'validate', path.join(FIX, 'lab-docker-default-broken.profile')]);
    assert.ok(isCleanUserError(bad), bad.stderr);
    assert.match(bad.stderr, /syntax error/);
  });

  it('refuses hostile policy values that would break out of a rule', async () => {
    const pol = path.join(dir, 'evil.yaml');
    writeFileSync(pol, 'name: evil\ndeny:\n  - "/etc/hosts rw,\\n  capability sys_admin,\\n  /x"\n');
    const r = await runCli(['apparmor', 'generate', pol]);
    assert.ok(isCleanUserError(r), r.stderr);
    const unknown = await runCli(['apparmor', 'render', 'my-template']);
    assert.ok(isCleanUserError(unknown));
  });
});
