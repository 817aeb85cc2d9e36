// apparmor_parser -Q -K as a syntax oracle: accepted and rejected samples, messages without temp
// paths, a clean "unavailable" result without the tool, and the time limit.

import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { renderDockerDefault } from '../../src/apparmor/template.js';
import { findApparmorParser, validateWithParser } from '../../src/apparmor/validate.js';
import { UserError } from '../../src/errors.js';
import { ROOT, tmpdir } from '../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'apparmor');
const read = (f: string): string => readFileSync(path.join(FIX, f), 'utf8');
const SKIP = findApparmorParser() ? false : 'needs apparmor_parser (Debian package apparmor)';

describe('validateWithParser', () => {
  it('accepts the shared samples and the rendered profiles', { skip: SKIP }, () => {
    for (const f of [
      'lab-deny-hosts.profile',
      'lab-docker-default-style.profile',
      'lab-docker-default-deny-hosts.profile',
      'moby-docker-default.hand-rendered.profile',
    ]) {
      const r = validateWithParser(read(f), { label: f });
      assert.deepEqual([r.available, r.ok, r.exitCode, r.output], [true, true, 0, ''], f);
    }
    assert.ok(validateWithParser(renderDockerDefault()).ok);
  });

  it("rejects the broken sample with apparmor_parser's message and line", { skip: SKIP }, () => {
    const r = validateWithParser(read('lab-docker-default-broken.profile'), { label: 'broken.profile' });
    assert.equal(r.available, true);
    assert.equal(r.ok, false);
    assert.equal(r.exitCode, 1);
    assert.equal(
      r.output,
      'AppArmor parser error for broken.profile in profile broken.profile at line 36: syntax error, unexpected TOK_ID, expecting TOK_END_OF_RULE or TOK_ARROW',
    );
    assert.ok(!r.output.includes('drydock-aa-'), 'the temp path is replaced by the label');
  });

  it('rejects semantic errors too (unknown capability, bad regex, missing include)', { skip: SKIP }, () => {
    const cap = validateWithParser('profile x {\n  capability bogus,\n}\n');
    assert.equal(cap.ok, false);
    assert.match(cap.output, /at line 2: Invalid capability bogus\./);
    const re = validateWithParser('profile x {\n  deny /x[ab rw,\n}\n');
    assert.equal(re.ok, false);
    assert.match(re.output, /Regex grouping error/);
    const inc = validateWithParser('#include <tunables/does-not-exist>\nprofile x {\n}\n');
    assert.equal(inc.ok, false);
    assert.match(inc.output, /Could not open 'tunables\/does-not-exist'/);
  });

  it('resolves includes from a given base directory (-b)', { skip: SKIP }, () => {
    const base = tmpdir('dd-aa-base-');
    writeFileSync(path.join(base, 'mine'), '  deny /etc/hosts w,\n');
    const text = 'profile x {\n  #include <mine>\n}\n';
    assert.equal(validateWithParser(text, { baseDir: base }).ok, true);
    assert.equal(validateWithParser(text, { includeDirs: [base] }).ok, true);
  });

  it('says the tool is unavailable instead of failing', () => {
    const r = validateWithParser('profile x {\n}\n', { parser: '/nonexistent/apparmor_parser' });
    assert.deepEqual([r.available, r.ok, r.exitCode], [false, false, null]);
    assert.match(r.output, /not installed .*package: apparmor/);
  });

  it('stops a parser that takes too long', () => {
    const dir = tmpdir('dd-aa-fake-');
    const fake = path.join(dir, 'apparmor_parser');
    writeFileSync(fake, '#!/bin/sh\nsleep 30\n');
    chmodSync(fake, 0o755);
    const t0 = Date.now();
    const r = validateWithParser('profile x {\n}\n', { parser: fake, timeoutMs: 300 });
    assert.ok(Date.now() - t0 < 10_000);
    assert.deepEqual([r.available, r.ok], [true, false]);
    assert.match(r.output, /timed out after 300 ms/);
  });

  it('passes -Q -K and the file, and hides the temp path', () => {
    const dir = tmpdir('dd-aa-fake-');
    const fake = path.join(dir, 'apparmor_parser');
    writeFileSync(
      fake,
      '#!/bin/sh\necho "args: $*" >&2\necho "Cache read/write disabled: interface file missing. (x)" >&2\nexit 3\n',
    );
    chmodSync(fake, 0o755);
    const r = validateWithParser('profile x {\n}\n', {
      parser: fake,
      label: 'my.profile',
      includeDirs: ['/inc'],
    });
    assert.deepEqual([r.ok, r.exitCode], [false, 3]);
    assert.equal(r.output, 'args: -Q -K -I /inc my.profile');
  });

  it('refuses oversized text', () => {
    assert.throws(() => validateWithParser('#'.repeat(5 * 1024 * 1024)), UserError);
  });
});
