import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { rulesDoc } from '../../scripts/rules-doc.js';
import { ALL_RULES } from '../../src/harden/rules/index.js';
import { ROOT } from '../helpers/env.js';

it('docs/RULES.md lists every rule as the registry has it', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'RULES.md'), 'utf8');
  assert.equal(doc, rulesDoc(), 'regenerate: node --import tsx scripts/rules-doc.ts > docs/RULES.md');
  assert.equal(new Set(ALL_RULES.map((r) => r.id)).size, ALL_RULES.length, 'IDs are unique');
  for (const r of ALL_RULES) {
    assert.match(r.id, /^DD[CDI]\d{3}$/);
    for (const c of r.compliance)
      assert.match(
        c,
        /^(CIS-DOCKER-1\.6:\d+\.\d+(\.\d+)?|PSS-(BASELINE|RESTRICTED):[a-zA-Z]+|DOCKER-BENCH:C\.\d+\.\d+\.\d+)$/,
      );
  }
});
