import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import {
  dominates,
  formatContext,
  formatLevel,
  fromKubernetes,
  MAX_LABEL_LENGTH,
  mcsSeparated,
  parseContext,
  parseLabelOption,
  parseMlsRange,
  parseSecurityOpts,
  validateLabel,
} from '../../src/selinux/label.js';
import { ROOT } from '../helpers/env.js';

interface Vectors {
  valid: { level: string; canonical: string; warn?: string }[];
  invalid: { level: string; error: string; oracle?: boolean }[];
}
const VECTORS = JSON.parse(
  readFileSync(path.join(ROOT, 'test', 'fixtures', 'selinux', 'levels.json'), 'utf8'),
) as Vectors;

/** Asserts a clean one-line UserError naming `where` and containing `part`. */
function throwsUser(fn: () => unknown, part: string | RegExp, where = 'f.yaml:3'): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.ok(e.message.startsWith(`${where}: `), e.message);
    assert.ok(!e.message.includes('\n'), 'message spans lines');
    if (typeof part === 'string') assert.ok(e.message.includes(part), `"${e.message}" lacks "${part}"`);
    else assert.match(e.message, part);
    return true;
  });
}

describe('parseMlsRange', () => {
  for (const v of VECTORS.valid) {
    it(`accepts ${v.level} as ${v.canonical}`, () => {
      const p = parseMlsRange(v.level, 'x');
      assert.equal(p.canonical, v.canonical);
      assert.equal(p.text, v.level);
      if (v.warn)
        assert.ok(
          p.warnings.some((w) => w.includes(v.warn as string)),
          p.warnings.join('|'),
        );
      else assert.deepEqual(p.warnings, []);
    });
  }
  for (const v of VECTORS.invalid) {
    it(`rejects ${JSON.stringify(v.level)} (${v.error})`, () => {
      throwsUser(() => parseMlsRange(v.level, 'f.yaml:3'), v.error);
    });
  }

  it('rejects an empty level', () => {
    throwsUser(() => parseMlsRange('', 'f.yaml:3'), 'empty');
  });

  it('strict mode turns unsorted and duplicate categories into errors', () => {
    throwsUser(() => parseMlsRange('s0:c2,c1', 'f.yaml:3', { strict: true }), 'ascending');
    throwsUser(() => parseMlsRange('s0:c1,c1', 'f.yaml:3', { strict: true }), 'more than once');
    assert.equal(parseMlsRange('s0:c1,c2', 'x', { strict: true }).canonical, 's0:c1,c2');
  });

  it('reports both an unsorted list and duplicates', () => {
    const p = parseMlsRange('s0:c3,c1,c2,c2,c7.c9', 'x');
    assert.equal(p.canonical, 's0:c1.c3,c7.c9');
    assert.ok(p.warnings.some((w) => w.includes('c2')));
    assert.ok(p.warnings.some((w) => w.includes('ascending')));
  });

  it('expands ranges into the category set', () => {
    const p = parseMlsRange('s0:c0.c3,c10', 'x');
    assert.deepEqual(p.range.low.categories, [0, 1, 2, 3, 10]);
    assert.equal(p.range.low.sensitivity, 0);
    assert.deepEqual(p.range.high, p.range.low);
    const full = parseMlsRange('s0-s0:c0.c1023', 'x');
    assert.equal(full.range.low.categories.length, 0);
    assert.equal(full.range.high.categories.length, 1024);
  });

  it('bounds hostile input before parsing it', () => {
    const long = `s0:${Array.from({ length: 3000 }, (_, i) => `c${i % 1024}`).join(',')}`;
    assert.ok(long.length > MAX_LABEL_LENGTH);
    throwsUser(() => parseMlsRange(long, 'f.yaml:3'), 'characters long');
    // Within the limit, a list of every category repeated stays linear and is accepted.
    const big = `s0:${Array.from({ length: 700 }, () => 'c0.c1023').join(',')}`.slice(
      0,
      MAX_LABEL_LENGTH - 10,
    );
    const cut = big.slice(0, big.lastIndexOf(','));
    const p = parseMlsRange(cut, 'x');
    assert.equal(p.canonical, 's0:c0.c1023');
  });

  it('rejects values that are not strings', () => {
    throwsUser(() => parseMlsRange(7 as unknown as string, 'f.yaml:3'), 'must be a string');
    throwsUser(() => parseContext(null as unknown as string, 'f.yaml:3'), 'must be a string');
    throwsUser(() => parseLabelOption({} as unknown as string, 'f.yaml:3'), 'must be a string');
  });

  it('quotes control characters instead of printing them', () => {
    assert.throws(
      () => parseMlsRange('s0:c1\u0000\u001b[2J', 'x'),
      (e: unknown) =>
        e instanceof UserError &&
        !e.message.includes('\u0000') &&
        !e.message.includes('\u001b') &&
        e.message.includes('\\u001b'),
    );
  });
});

describe('dominance and MCS separation', () => {
  const lv = (s: string) => parseMlsRange(s, 'x').range;

  it('follows the sensitivity and category subset rules', () => {
    assert.ok(dominates(lv('s0:c1,c2').low, lv('s0').low));
    assert.ok(dominates(lv('s0:c1,c2').low, lv('s0:c2').low));
    assert.ok(!dominates(lv('s0:c1,c2').low, lv('s0:c3').low));
    assert.ok(!dominates(lv('s0').low, lv('s0:c1').low));
    assert.ok(dominates(lv('s1:c1').low, lv('s0:c1').low));
    assert.ok(!dominates(lv('s0:c1').low, lv('s1').low));
  });

  it('separates containers with different category pairs', () => {
    assert.ok(mcsSeparated(lv('s0:c1,c2'), lv('s0:c3,c4')));
    // Sharing one category is still separation: neither pair contains the other.
    assert.ok(mcsSeparated(lv('s0:c1,c2'), lv('s0:c1,c3')));
  });

  it('does not separate s0, a shared level, a single shared category or the full range', () => {
    assert.ok(!mcsSeparated(lv('s0'), lv('s0:c3,c4')));
    assert.ok(!mcsSeparated(lv('s0:c1,c2'), lv('s0:c1,c2')));
    assert.ok(!mcsSeparated(lv('s0:c5'), lv('s0:c5,c9')));
    assert.ok(!mcsSeparated(lv('s0-s0:c0.c1023'), lv('s0:c3,c4')));
  });

  it('formats levels the way the kernel prints them', () => {
    assert.equal(formatLevel({ sensitivity: 0, categories: [1, 2, 3, 5, 6, 9] }), 's0:c1.c3,c5,c6,c9');
    assert.equal(formatLevel({ sensitivity: 2, categories: [] }), 's2');
  });
});

describe('parseContext', () => {
  it('splits user:role:type:level, keeping colons inside the level', () => {
    const l = parseContext('system_u:system_r:container_t:s0:c647,c780', 'x');
    assert.equal(l.source, 'context');
    assert.equal(l.user, 'system_u');
    assert.equal(l.role, 'system_r');
    assert.equal(l.type, 'container_t');
    assert.equal(l.level, 's0:c647,c780');
    assert.deepEqual(l.mls?.low.categories, [647, 780]);
    assert.deepEqual(l.warnings, []);
    assert.equal(formatContext(l), 'system_u:system_r:container_t:s0:c647,c780');
  });

  it('accepts a mount label with a range and a context without a level (with a warning)', () => {
    const m = parseContext('system_u:object_r:container_file_t:s0-s0:c0.c1023', 'x');
    assert.equal(m.type, 'container_file_t');
    assert.equal(m.mls?.high.categories.length, 1024);
    const n = parseContext('system_u:system_r:container_t', 'x');
    assert.equal(n.level, undefined);
    assert.ok(n.warnings.some((w) => w.includes('no level')));
  });

  it('warns about names that look misplaced', () => {
    const l = parseContext('system_u:object_r:system_r:s0', 'x');
    assert.ok(l.warnings.some((w) => w.includes('object_r')));
    assert.ok(l.warnings.some((w) => w.includes('does not end in _t')));
  });

  it('rejects malformed contexts', () => {
    throwsUser(() => parseContext('', 'f.yaml:3'), 'empty');
    throwsUser(() => parseContext('system_u:system_r', 'f.yaml:3'), 'want user:role:type[:level]');
    throwsUser(() => parseContext('container_t', 'f.yaml:3'), 'want user:role:type[:level]');
    throwsUser(() => parseContext('system_u::container_t:s0', 'f.yaml:3'), 'must all be set');
    throwsUser(() => parseContext('system_u:system_r:container_t:', 'f.yaml:3'), 'nothing follows');
    throwsUser(() => parseContext('system_u:system_r:container_t:s0:c5.c2', 'f.yaml:3'), 'reversed');
    throwsUser(() => parseContext('system u:system_r:container_t:s0', 'f.yaml:3'), 'whitespace');
    throwsUser(() => parseContext('system_u:system_r:9type:s0', 'f.yaml:3'), 'invalid SELinux type');
    throwsUser(() => parseContext(`system_u:system_r:${'a'.repeat(300)}_t:s0`, 'f.yaml:3'), 'limit 255');
    throwsUser(() => parseContext('x'.repeat(MAX_LABEL_LENGTH + 1), 'f.yaml:3'), 'characters long');
  });
});

describe('parseLabelOption', () => {
  it('reads every documented label option', () => {
    const cases: [string, string, string | undefined][] = [
      ['label=user:system_u', 'user', 'system_u'],
      ['label=role:system_r', 'role', 'system_r'],
      ['label=type:container_t', 'type', 'container_t'],
      ['label=level:s0:c100,c200', 'level', 's0:c100,c200'],
      ['label=filetype:container_file_t', 'filetype', 'container_file_t'],
      ['label=disable', 'disable', undefined],
      ['label=nested', 'nested', undefined],
    ];
    for (const [opt, kind, value] of cases) {
      const p = parseLabelOption(opt, 'x');
      assert.ok(p, opt);
      assert.equal(p.option.kind, kind, opt);
      assert.equal(p.legacy, false);
      if (value !== undefined) assert.equal((p.option as { value: string }).value, value);
    }
    const lv = parseLabelOption('label=level:s0:c2,c1', 'x');
    assert.equal(lv?.option.kind === 'level' ? lv.option.level?.canonical : '', 's0:c1,c2');
  });

  it('accepts the legacy ":" separator and Docker’s bare "disable"', () => {
    const p = parseLabelOption('label:type:svirt_apache_t', 'x');
    assert.deepEqual(p?.option, { kind: 'type', value: 'svirt_apache_t' });
    assert.equal(p?.legacy, true);
    assert.equal(parseLabelOption('label:disable', 'x')?.option.kind, 'disable');
    assert.equal(parseLabelOption('label:level:s0:c1,c2', 'x')?.option.kind, 'level');
    assert.equal(parseLabelOption('disable', 'x')?.option.kind, 'disable');
    assert.equal(parseLabelOption('  label=disable  ', 'x')?.option.kind, 'disable');
  });

  it('returns undefined for other security options', () => {
    for (const o of [
      'seccomp=unconfined',
      'apparmor=docker-default',
      'no-new-privileges',
      'no-new-privileges:true',
      'seccomp:/p.json',
      'mask=/proc/kcore',
      'labels=x',
    ])
      assert.equal(parseLabelOption(o, 'x'), undefined, o);
  });

  it('applies engine differences', () => {
    throwsUser(() => parseLabelOption('label=nested', 'f.yaml:3', { engine: 'docker' }), 'podman option');
    assert.equal(parseLabelOption('label=nested', 'x', { engine: 'podman' })?.option.kind, 'nested');
    throwsUser(() => parseLabelOption('disable', 'f.yaml:3', { engine: 'podman' }), 'label=disable');
  });

  it('rejects malformed label options with a hint', () => {
    throwsUser(() => parseLabelOption('label', 'f.yaml:3'), 'needs a value');
    throwsUser(() => parseLabelOption('label=', 'f.yaml:3'), 'has no value');
    throwsUser(() => parseLabelOption('label=type=container_t', 'f.yaml:3'), 'label=type:container_t');
    throwsUser(() => parseLabelOption('label:type=container_t', 'f.yaml:3'), 'mixes');
    throwsUser(() => parseLabelOption('label=type:', 'f.yaml:3'), 'needs a value');
    throwsUser(() => parseLabelOption('label=types:container_t', 'f.yaml:3'), 'unknown label option key');
    throwsUser(() => parseLabelOption('label=enable', 'f.yaml:3'), 'unknown label option');
    throwsUser(() => parseLabelOption('label=level:s0:c1024', 'f.yaml:3'), 'out of range');
    throwsUser(() => parseLabelOption('label=type:container t', 'f.yaml:3'), 'invalid SELinux type');
    throwsUser(
      () => parseLabelOption(`label=type:${'x'.repeat(MAX_LABEL_LENGTH)}`, 'f.yaml:3'),
      'characters long',
    );
  });
});

describe('parseSecurityOpts', () => {
  it('combines several label options and ignores the rest', () => {
    const l = parseSecurityOpts(
      [
        'no-new-privileges',
        'label=user:system_u',
        'label=role:system_r',
        'label=type:container_init_t',
        'label=level:s0:c1,c2',
        'label=filetype:container_file_t',
        'seccomp=unconfined',
      ],
      'x',
    );
    assert.equal(l.source, 'security-opt');
    assert.equal(l.user, 'system_u');
    assert.equal(l.role, 'system_r');
    assert.equal(l.type, 'container_init_t');
    assert.equal(l.level, 's0:c1,c2');
    assert.equal(l.filetype, 'container_file_t');
    assert.equal(l.disable, undefined);
    assert.deepEqual(l.warnings, []);
  });

  it('lets the last value win, like the runtimes do, and says so', () => {
    const l = parseSecurityOpts(['label=type:container_t', 'label=type:spc_t'], 'x');
    assert.equal(l.type, 'spc_t');
    assert.ok(l.warnings.some((w) => w.includes('given twice')));
  });

  it('lets disable override every other option, in any order', () => {
    for (const opts of [
      ['label=type:container_t', 'label=disable', 'label=level:s0:c1,c2'],
      ['label=disable', 'label=type:container_t'],
    ]) {
      const l = parseSecurityOpts(opts, 'x');
      assert.equal(l.disable, true);
      assert.equal(l.type, undefined);
      assert.equal(l.level, undefined);
      assert.ok(l.warnings.some((w) => w.includes('overrides')));
    }
  });

  it('warns about the deprecated separator and records nested', () => {
    const l = parseSecurityOpts(['label:type:container_t', 'label=nested'], 'x');
    assert.equal(l.type, 'container_t');
    assert.equal(l.nested, true);
    assert.ok(l.warnings.some((w) => w.includes('deprecated') && w.includes('label=type:container_t')));
  });

  it('returns an empty label for no options and rejects too many', () => {
    assert.deepEqual(parseSecurityOpts([], 'x'), { source: 'security-opt', warnings: [] });
    throwsUser(() => parseSecurityOpts(new Array(5000).fill('label=disable'), 'f.yaml:3'), 'limit 1024');
    throwsUser(() => parseSecurityOpts([42 as unknown as string], 'f.yaml:3'), 'must be strings');
    throwsUser(() => parseSecurityOpts('label=disable' as unknown as string[], 'f.yaml:3'), 'must be a list');
  });
});

describe('fromKubernetes', () => {
  it('reads seLinuxOptions, treating "" and null as unset', () => {
    const l = fromKubernetes({ user: '', role: null, type: 'container_t', level: 's0:c123,c456' }, 'x');
    assert.equal(l.source, 'kubernetes');
    assert.equal(l.user, undefined);
    assert.equal(l.role, undefined);
    assert.equal(l.type, 'container_t');
    assert.deepEqual(l.mls?.low.categories, [123, 456]);
    assert.deepEqual(fromKubernetes(undefined, 'x'), { source: 'kubernetes', warnings: [] });
    assert.deepEqual(fromKubernetes({}, 'x'), { source: 'kubernetes', warnings: [] });
  });

  it('rejects bad shapes and values', () => {
    throwsUser(() => fromKubernetes('container_t', 'f.yaml:3'), 'must be a mapping');
    throwsUser(() => fromKubernetes([], 'f.yaml:3'), 'must be a mapping');
    throwsUser(() => fromKubernetes({ typ: 'container_t' }, 'f.yaml:3'), 'unknown field seLinuxOptions.typ');
    throwsUser(() => fromKubernetes({ type: 5 }, 'f.yaml:3'), 'must be a string');
    throwsUser(() => fromKubernetes({ level: 's0:c9.c3' }, 'f.yaml:3'), 'reversed');
    throwsUser(
      () => fromKubernetes({ [`k${'x'.repeat(500)}`]: 1 }, 'f.yaml:3'),
      /seLinuxOptions\.kx+\.\.\. /,
    );
  });
});

describe('validateLabel', () => {
  it('validates a label split by another reader', () => {
    const l = validateLabel({ type: 'container_t', level: 's0:c2,c1' }, 'x');
    assert.equal(l.source, 'spec');
    assert.deepEqual(l.mls?.low.categories, [1, 2]);
    assert.ok(l.warnings.some((w) => w.startsWith('level: ')));
    throwsUser(() => validateLabel({ level: 's0:c1.c1' }, 'f.yaml:3'), 'same category');
    throwsUser(() => validateLabel({ type: 'a b' }, 'f.yaml:3'), 'invalid SELinux type');
    const d = validateLabel({ disable: true, type: 'container_t' }, 'x');
    assert.equal(d.disable, true);
    assert.equal(d.type, undefined);
    assert.ok(d.warnings.some((w) => w.includes('overrides')));
  });
});
