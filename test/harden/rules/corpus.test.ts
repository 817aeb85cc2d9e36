import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { audit } from '../../../src/harden/audit.js';
import { loadFile } from '../../../src/harden/load.js';
import { CONTAINER_RULES } from '../../../src/harden/rules/container.js';
import { tmpdir } from '../../helpers/env.js';
import { baseline, EMIT, EXT, FORMS, type Form, type Intent, VIOLATIONS } from '../corpus.js';

const dir = tmpdir('dd-corpus-');
let n = 0;

function failures(text: string, form: Form): Set<string> {
  const file = path.join(dir, `${n++}.${EXT[form]}`);
  writeFileSync(file, text);
  const [t] = audit([loadFile(file)], { profile: 'all' });
  assert.ok(t, 'one target');
  assert.equal(t.kind, form, `${file} read as ${form}`);
  return new Set(t.failures.map((f) => f.rule.id));
}

describe('rule corpus: a compliant and a non-compliant config per rule, in every form it applies to', () => {
  it('the baseline is compliant with every rule in every form', () => {
    for (const form of FORMS) {
      const text = EMIT[form](baseline());
      assert.ok(text, `baseline expressible as ${form}`);
      assert.deepEqual([...failures(text, form)], [], `baseline as ${form}`);
    }
  });

  for (const rule of CONTAINER_RULES) {
    it(`${rule.id} ${rule.title}`, () => {
      const change = VIOLATIONS[rule.id];
      assert.ok(change, `a violation is defined for ${rule.id}`);
      const bad: Intent = baseline();
      change(bad);
      const tested: Form[] = [];
      for (const form of (rule.forms ?? FORMS) as Form[]) {
        const text = EMIT[form](bad);
        if (text === undefined) continue;
        tested.push(form);
        const got = failures(text, form);
        assert.ok(
          got.has(rule.id),
          `${rule.id} fails for ${form}; got ${[...got].join(',') || 'nothing'}\n${text}`,
        );
        const ok = EMIT[form](baseline()) as string;
        assert.ok(!failures(ok, form).has(rule.id), `${rule.id} passes the baseline as ${form}`);
      }
      assert.ok(tested.length > 0, `${rule.id} tested in at least one form`);
    });
  }
});
