import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cvss3BaseScore, severityOfScore } from '../../src/vulndb/cvss.js';
import { SHARED, SKIP_SHARED } from '../helpers/env.js';

/** Every {"vectorString": "CVSS:3.x/...", "baseScore": N} pair in the JSON files under `dir`. */
function pairs(dir: string, out: Map<string, number>): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) pairs(p, out);
    else if (name.endsWith('.json')) {
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          const o = v as Record<string, unknown>;
          if (
            typeof o.vectorString === 'string' &&
            o.vectorString.startsWith('CVSS:3') &&
            typeof o.baseScore === 'number'
          )
            out.set(o.vectorString, o.baseScore);
          Object.values(o).forEach(walk);
        }
      };
      walk(JSON.parse(readFileSync(p, 'utf8')));
    }
  }
}

describe('CVSS v3 base score', () => {
  it('equals the score published beside every v3.0/v3.1 vector in the NVD and Red Hat data', {
    skip: SKIP_SHARED,
  }, () => {
    const found = new Map<string, number>();
    pairs(path.join(SHARED, 'data/vunnel-provider-fixtures/nvd'), found);
    pairs(path.join(SHARED, 'data/vunnel-provider-fixtures/rhel'), found);
    assert.ok(found.size >= 20, `${found.size} distinct vectors`);
    for (const [vector, score] of found) assert.equal(cvss3BaseScore(vector), score, vector);
  });

  it('the specification examples, v3.0 rounding, malformed vectors and the rating scale', () => {
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), 9.8);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'), 6.1);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H'), 10);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N'), 0);
    // temporal metrics are ignored
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O'), 9.8);
    for (const bad of [
      '',
      'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P',
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H',
      'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      `CVSS:3.1/${'X:Y/'.repeat(100)}`,
    ])
      assert.equal(cvss3BaseScore(bad), undefined, bad);
    assert.deepEqual([9.8, 7, 6.9, 4, 3.9, 0.1, 0].map(severityOfScore), [
      'CRITICAL',
      'HIGH',
      'MEDIUM',
      'MEDIUM',
      'LOW',
      'LOW',
      'UNKNOWN',
    ]);
  });
});
