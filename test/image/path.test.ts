import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isUnder, normalizeEntryPath, resolveLinkTarget } from '../../src/image/path.js';

describe('normalizeEntryPath', () => {
  it('drops ./ and leading slashes, folds . and inner ..', () => {
    assert.deepEqual(normalizeEntryPath('./etc/passwd'), { ok: true, path: 'etc/passwd' });
    assert.deepEqual(normalizeEntryPath('/etc//passwd'), { ok: true, path: 'etc/passwd' });
    assert.deepEqual(normalizeEntryPath('usr/lib/../bin/./sh'), { ok: true, path: 'usr/bin/sh' });
    assert.deepEqual(normalizeEntryPath('./'), { ok: true, path: '' });
  });
  it('refuses paths that climb above the root, NUL bytes and huge names', () => {
    assert.equal(normalizeEntryPath('../etc/passwd').ok, false);
    assert.equal(normalizeEntryPath('a/../../etc/passwd').ok, false);
    assert.equal(normalizeEntryPath('/../../x').ok, false);
    assert.equal(normalizeEntryPath('a\0b').ok, false);
    assert.equal(normalizeEntryPath('a/'.repeat(3000)).ok, false);
  });
  it('never yields "..", ".", empty segments or a leading slash (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', '..', '.', '', 'c.d', '...'), { maxLength: 12 }),
        (parts) => {
          const r = normalizeEntryPath(parts.join('/'));
          if (!r.ok) return;
          if (r.path === '') return;
          assert.ok(!r.path.startsWith('/'));
          for (const seg of r.path.split('/')) assert.ok(seg !== '..' && seg !== '.' && seg !== '');
        },
      ),
    );
  });
});

describe('resolveLinkTarget', () => {
  it('resolves relative and absolute targets inside the root, clamping at /', () => {
    assert.equal(resolveLinkTarget('etc/os-release', '../usr/lib/os-release'), 'usr/lib/os-release');
    assert.equal(resolveLinkTarget('a/b/c', '../../../../../etc/shadow'), 'etc/shadow');
    assert.equal(resolveLinkTarget('a/b', '/etc/passwd'), 'etc/passwd');
  });
});

describe('isUnder', () => {
  it('matches whole path components only', () => {
    assert.ok(isUnder('etc/sudoers.d/app', 'etc/sudoers.d'));
    assert.ok(isUnder('etc', 'etc'));
    assert.ok(!isUnder('etc/sudoers', 'etc/sudoers.d'));
    assert.ok(!isUnder('etcetera', 'etc'));
    assert.ok(isUnder('anything', ''));
  });
});
