// Checks the level and context parser against libsepol: secilc builds a small MLS policy, setfiles -c validates.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parseContext, parseMlsRange } from '../../src/selinux/label.js';
import { ROOT, tmpdir } from '../helpers/env.js';

function have(cmd: string): boolean {
  const r = spawnSync(cmd, ['--help'], { stdio: 'ignore' });
  return !(r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT');
}

const SKIP =
  have('secilc') && have('setfiles')
    ? false
    : 'needs secilc and setfiles (apt-get install secilc policycoreutils) as a libsepol oracle';

interface Vectors {
  valid: { level: string }[];
  invalid: { level: string; oracle?: boolean }[];
}
const VECTORS = JSON.parse(
  readFileSync(path.join(ROOT, 'test', 'fixtures', 'selinux', 'levels.json'), 'utf8'),
) as Vectors;

/** The reference policy's MLS shape (s0..s15, c0..c1023) with just the names the vectors use. */
function miniPolicy(): string {
  const cats = Array.from({ length: 1024 }, (_, i) => `c${i}`);
  const sens = Array.from({ length: 16 }, (_, i) => `s${i}`);
  return [
    '(mls true)',
    '(handleunknown allow)',
    '(class file (read))',
    '(classorder (file))',
    '(sid kernel)',
    '(sidorder (kernel))',
    '(user system_u)',
    '(role system_r)',
    '(type container_t)',
    '(type container_file_t)',
    '(roletype system_r container_t)',
    '(userrole system_u system_r)',
    ...cats.map((c) => `(category ${c})`),
    `(categoryorder (${cats.join(' ')}))`,
    ...sens.map((s) => `(sensitivity ${s})`),
    `(sensitivityorder (${sens.join(' ')}))`,
    ...sens.map((s) => `(sensitivitycategory ${s} (range c0 c1023))`),
    '(allow container_t container_file_t (file (read)))',
    '(userlevel system_u (s0))',
    '(userrange system_u ((s0) (s15 (range c0 c1023))))',
    '(sidcontext kernel (system_u system_r container_t ((s0) (s0))))',
    '',
  ].join('\n');
}

describe('libsepol oracle', { skip: SKIP }, () => {
  let dir = '';
  let policy = '';

  before(() => {
    dir = tmpdir('dd-selinux-');
    writeFileSync(path.join(dir, 'min.cil'), miniPolicy());
    policy = path.join(dir, 'policy.33');
    const r = spawnSync(
      'secilc',
      ['-M', 'true', '-o', policy, '-f', '/dev/null', path.join(dir, 'min.cil')],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
  });

  /** setfiles -c stops at the first bad line, so each context gets a file of its own. */
  function libsepolAccepts(context: string): boolean {
    const fc = path.join(dir, 'file_contexts');
    writeFileSync(fc, `/a ${context}\n`);
    const r = spawnSync('setfiles', ['-c', policy, fc], { encoding: 'utf8' });
    return r.status === 0;
  }
  const fileContext = (level: string) => `system_u:object_r:container_file_t:${level}`;
  const ours = (level: string): boolean => {
    try {
      parseMlsRange(level, 'x');
      return true;
    } catch {
      return false;
    }
  };

  it('agrees on every fixture vector', () => {
    for (const v of VECTORS.valid) assert.equal(libsepolAccepts(fileContext(v.level)), true, v.level);
    for (const v of VECTORS.invalid) {
      if (v.oracle === false) continue;
      assert.equal(libsepolAccepts(fileContext(v.level)), false, v.level);
    }
  });

  it('agrees on generated levels, valid and invalid', () => {
    // A fixed-seed generator biased towards the edges: c0, c1023, c1024, s16, reversed and empty ranges.
    let seed = 20240611;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const cat = () => (rnd(10) === 0 ? 1020 + rnd(8) : rnd(12));
    const cats = () =>
      Array.from({ length: 1 + rnd(4) }, () => (rnd(3) === 0 ? `c${cat()}.c${cat()}` : `c${cat()}`)).join(
        ',',
      );
    const level = () => `s${rnd(10) === 0 ? 16 : rnd(3)}${rnd(4) === 0 ? '' : `:${cats()}`}`;
    let valid = 0;
    const disagree: string[] = [];
    for (let i = 0; i < 250; i++) {
      const lv = rnd(3) === 0 ? `${level()}-${level()}` : level();
      const theirs = libsepolAccepts(fileContext(lv));
      if (theirs) valid++;
      if (ours(lv) !== theirs) disagree.push(`${lv} (libsepol ${theirs ? 'accepts' : 'rejects'})`);
    }
    assert.deepEqual(disagree, []);
    assert.ok(valid > 50 && valid < 225, `a useful mix of valid and invalid levels (${valid} valid)`);
  });

  it('agrees on whole process contexts', () => {
    for (const ctx of [
      'system_u:system_r:container_t:s0',
      'system_u:system_r:container_t:s0:c1,c2',
      'system_u:system_r:container_t:s0-s0:c0.c1023',
      'system_u:system_r:container_t:s0:c5.c2',
      'system_u:system_r:container_t:s1-s0',
    ]) {
      let mine = true;
      try {
        parseContext(ctx, 'x');
      } catch {
        mine = false;
      }
      assert.equal(mine, libsepolAccepts(ctx), ctx);
    }
  });

  it('confirms why a context without a level earns a warning under MLS/MCS', () => {
    const ctx = 'system_u:system_r:container_t';
    assert.equal(libsepolAccepts(ctx), false);
    assert.ok(parseContext(ctx, 'x').warnings.some((w) => w.includes('no level')));
  });
});
