// Ignore files (.trivyignore, .trivyignore.yaml, .drydockignore). The formats and the example
// entries follow Trivy's filtering documentation; expected results are read off the rules it states
// (an id per line, "exp:" dates, YAML ids scoped by purls and paths, an unset scope matching all).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isUserError, type UserError } from '../../src/errors.js';
import type { Finding } from '../../src/match/match.js';
import { applyIgnore, globMatch, loadIgnoreFile, parseDate, parseIgnoreFile } from '../../src/scan/ignore.js';
import { tmpdir } from '../helpers/env.js';

function finding(id: string, aliases: string[], purl: string, filePath = 'app/package-lock.json'): Finding {
  const [, name = '', version = ''] = /^pkg:[^/]+\/(?:.*\/)?([^@/]+)@([^?#]+)/.exec(purl) ?? [];
  return {
    id,
    aliases,
    pkg: { type: 'npm', name, version, purl, filePath, layer: undefined },
    installedVersion: version,
    status: 'fixed',
    severity: 'HIGH',
    severitySource: 'ghsa',
    cvss: [],
    dataSource: 'ghsa',
    namespace: 'npm',
    why: '',
  };
}

const LODASH = finding('CVE-2019-10744', ['GHSA-jf85-cpcp-j695'], 'pkg:npm/lodash@4.17.11');
const JQUERY = finding(
  'CVE-2020-11022',
  ['GHSA-gxr4-xjj5-5px2'],
  'pkg:npm/jquery@3.4.1',
  'web/package-lock.json',
);
const NOW = new Date('2024-06-01T12:00:00Z');

function kept(text: string, file: string, findings: Finding[], now = NOW): string[] {
  return applyIgnore(findings, parseIgnoreFile(text, file), now).kept.map((f) => `${f.id} ${f.pkg.name}`);
}

/** The message of the UserError `fn` throws (exit code 2, one line). */
function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isUserError(e), `not a UserError: ${String(e)}`);
    assert.equal((e as UserError).exitCode, 2);
    assert.ok(!(e as Error).message.includes('\n'), (e as Error).message);
    return (e as Error).message;
  }
  assert.fail('no error thrown');
}

describe('ignore files: plain .trivyignore', () => {
  it('reads ids, comments, blank lines, exp: dates, CRLF and a BOM', () => {
    const text =
      '\ufeff# Accept the risk\r\nCVE-2018-14618\r\n\r\n  CVE-2019-14697 exp:2023-01-01  \r\nAVD-DS-0002 # misconfiguration\n';
    const r = parseIgnoreFile(text, '.trivyignore');
    assert.equal(r.format, 'plain');
    assert.deepEqual(
      r.entries.map((e) => [e.id, e.expiresAt, e.where]),
      [
        ['CVE-2018-14618', undefined, 'line 2'],
        ['CVE-2019-14697', Date.UTC(2023, 0, 1), 'line 4'],
        ['AVD-DS-0002', undefined, 'line 5'],
      ],
    );
  });

  it('suppresses by id or by any alias, case-insensitively', () => {
    assert.deepEqual(kept('CVE-2019-10744\n', '.trivyignore', [LODASH, JQUERY]), ['CVE-2020-11022 jquery']);
    assert.deepEqual(kept('GHSA-jf85-cpcp-j695\n', '.trivyignore', [LODASH, JQUERY]), [
      'CVE-2020-11022 jquery',
    ]);
    assert.deepEqual(kept('ghsa-gxr4-xjj5-5px2\n', '.trivyignore', [LODASH, JQUERY]), [
      'CVE-2019-10744 lodash',
    ]);
    assert.deepEqual(kept('CVE-2000-0001\n', '.trivyignore', [LODASH]), ['CVE-2019-10744 lodash']);
  });

  it('an entry applies until the start of its exp: day (UTC), then the finding is reported again', () => {
    const text = 'CVE-2019-10744 exp:2023-01-01\n';
    assert.deepEqual(kept(text, 'f', [LODASH], new Date('2022-12-31T23:59:59Z')), []);
    assert.deepEqual(kept(text, 'f', [LODASH], new Date('2023-01-01T00:00:00Z')), []);
    assert.deepEqual(kept(text, 'f', [LODASH], new Date('2023-01-01T00:00:01Z')), ['CVE-2019-10744 lodash']);
    const r = applyIgnore([LODASH, JQUERY], parseIgnoreFile(text, 'f'), NOW);
    assert.equal(r.expired, 1);
    assert.equal(r.suppressed.length, 0);
  });

  it('an expired entry does not stop a live one for the same finding', () => {
    const text = 'CVE-2019-10744 exp:2020-01-01\nGHSA-jf85-cpcp-j695 exp:2030-01-01\n';
    const r = applyIgnore([LODASH], parseIgnoreFile(text, 'f'), NOW);
    assert.deepEqual([r.kept.length, r.suppressed.length, r.expired], [0, 1, 0]);
  });

  it('refuses malformed lines with the file and line in one message', () => {
    assert.match(
      userError(() => parseIgnoreFile('CVE-1\nCVE-2 exp:2023-13-01\n', '.trivyignore')),
      /^ignore file \.trivyignore: line 2: bad expiry date "2023-13-01"/,
    );
    assert.match(
      userError(() => parseIgnoreFile('CVE-2 exp:2023-02-30\n', 'x')),
      /bad expiry date/,
    );
    assert.match(
      userError(() => parseIgnoreFile('CVE-2 exp:\n', 'x')),
      /bad expiry date/,
    );
    assert.match(
      userError(() => parseIgnoreFile('CVE-2 expires:2023-01-01\n', 'x')),
      /line 1: unexpected "expires:2023-01-01"/,
    );
    assert.match(
      userError(() => parseIgnoreFile(`${'C'.repeat(300)}\n`, 'x')),
      /longer than 256/,
    );
    assert.match(
      userError(() => parseIgnoreFile('CVE-1\0\x01\x02', 'x')),
      /not a text file/,
    );
  });

  it('bounds the number of entries', () => {
    const text = 'CVE-1\n'.repeat(100_001);
    assert.match(
      userError(() => parseIgnoreFile(text, 'x')),
      /more than 100000 entries/,
    );
  });
});

describe('ignore files: YAML', () => {
  const YAML = [
    'vulnerabilities:',
    '  - id: CVE-2019-10744',
    '    purls:',
    '      - "pkg:npm/lodash"',
    '    statement: Accept the risk',
    '  - id: CVE-2020-11022',
    '    paths: ["web/*.json"]',
    '    expired_at: 2025-01-01',
    'misconfigurations:',
    '  - id: AVD-DS-0002',
    'secrets:',
    'licenses:',
    '',
  ].join('\n');

  it('reads entries with purls, paths, expired_at and statement; other sections are accepted', () => {
    const r = parseIgnoreFile(YAML, '.trivyignore.yaml');
    assert.equal(r.format, 'yaml');
    assert.equal(r.entries.length, 2);
    assert.equal(r.entries[0]?.statement, 'Accept the risk');
    assert.equal(r.entries[0]?.purls?.[0]?.name, 'lodash');
    assert.deepEqual(r.entries[1]?.paths, ['web/*.json']);
    assert.equal(r.entries[1]?.expiresAt, Date.UTC(2025, 0, 1));
    assert.deepEqual(kept(YAML, '.trivyignore.yaml', [LODASH, JQUERY]), []);
    assert.deepEqual(kept(YAML, '.trivyignore.yaml', [LODASH, JQUERY], new Date('2025-02-01')), [
      'CVE-2020-11022 jquery',
    ]);
  });

  it('is recognised by content in a file without a .yaml name (.drydockignore)', () => {
    assert.equal(
      parseIgnoreFile('# accepted\nvulnerabilities:\n  - id: CVE-1\n', '.drydockignore').format,
      'yaml',
    );
    assert.equal(parseIgnoreFile('---\nvulnerabilities: []\n', '.drydockignore').format, 'yaml');
    assert.equal(parseIgnoreFile('CVE-1 exp:2030-01-01\n', '.drydockignore').format, 'plain');
    assert.deepEqual(parseIgnoreFile('', 'a.yaml').entries, []);
    assert.deepEqual(parseIgnoreFile('vulnerabilities:\n', 'a.yaml').entries, []);
  });

  it('purls scope an entry: no version matches all versions, a version or qualifier must agree', () => {
    const text = (purl: string) => `vulnerabilities:\n  - id: CVE-2019-10744\n    purls: ["${purl}"]\n`;
    const deb = finding(
      'CVE-2019-10744',
      [],
      'pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u5?arch=amd64&distro=debian-11.7',
    );
    for (const [purl, suppressed] of [
      ['pkg:npm/lodash', true],
      ['pkg:npm/lodash@4.17.11', true],
      ['pkg:npm/lodash@4.17.12', false],
      ['pkg:npm/underscore', false],
      ['pkg:pypi/lodash', false],
    ] as const)
      assert.equal(kept(text(purl), 'a.yaml', [LODASH]).length === 0, suppressed, purl);
    for (const [purl, suppressed] of [
      ['pkg:deb/debian/libssl1.1', true],
      ['pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u5', true],
      ['pkg:deb/debian/libssl1.1?arch=amd64', true],
      ['pkg:deb/debian/libssl1.1?arch=arm64', false],
      ['pkg:deb/ubuntu/libssl1.1', false],
    ] as const)
      assert.equal(kept(text(purl), 'a.yaml', [deb]).length === 0, suppressed, purl);
  });

  it('paths scope an entry by the file the package was read from (globs)', () => {
    const text = (p: string) => `vulnerabilities:\n  - id: CVE-2019-10744\n    paths: ["${p}"]\n`;
    for (const [p, suppressed] of [
      ['app/package-lock.json', true],
      ['/app/package-lock.json', true],
      ['./app/package-lock.json', true],
      ['app/*.json', true],
      ['**/package-lock.json', true],
      ['**', true],
      ['*/package-lock.json', true],
      ['package-lock.json', false],
      ['web/package-lock.json', false],
      ['app/*.lock', false],
    ] as const)
      assert.equal(kept(text(p), 'a.yaml', [LODASH]).length === 0, suppressed, p);
    // purls and paths together: both must hold.
    const both =
      'vulnerabilities:\n  - id: CVE-2019-10744\n    purls: ["pkg:npm/lodash"]\n    paths: ["web/**"]\n';
    assert.equal(kept(both, 'a.yaml', [LODASH]).length, 1);
  });

  it('refuses malformed files: unknown fields and sections, bad values, YAML errors', () => {
    const cases: [string, RegExp][] = [
      [
        'vulnerabilities:\n  - id: CVE-1\n    expires_at: 2030-01-01\n',
        /vulnerabilities\[0\]: unknown field "expires_at"/,
      ],
      ['vulnerabilites:\n  - id: CVE-1\n', /unknown section "vulnerabilites"/],
      ['vulnerabilities:\n  - paths: ["a"]\n', /"id" is missing/],
      ['vulnerabilities:\n  - CVE-1\n', /must be a mapping/],
      ['vulnerabilities: CVE-1\n', /"vulnerabilities" must be a list/],
      ['vulnerabilities:\n  - id: CVE-1\n    paths: a/b\n', /paths must be a list of strings/],
      ['vulnerabilities:\n  - id: CVE-1\n    purls: ["npm/lodash"]\n', /"npm\/lodash" is not a purl/],
      ['vulnerabilities:\n  - id: CVE-1\n    expired_at: soon\n', /expired_at: expected a date YYYY-MM-DD/],
      ['vulnerabilities:\n  - id: CVE-1\n    statement: [a]\n', /statement must be text/],
      ['vulnerabilities:\n\t- id: CVE-1\n', /tab in indentation at line 2/],
      ['vulnerabilities:\n  - id: &a CVE-1\n', /anchors and aliases/],
      ['- id: CVE-1\n', /expected a mapping/],
      [`vulnerabilities:\n  - id: CVE-1\n    paths: ${'['.repeat(100)}\n`, /nesting too deep at line 3/],
      ['vulnerabilities:\n  - id: "CVE-1\n', /unterminated string at line 2/],
    ];
    for (const [text, re] of cases)
      assert.match(
        userError(() => parseIgnoreFile(text, '.trivyignore.yaml')),
        re,
        text,
      );
  });
});

describe('ignore files: where they are found', () => {
  it('prefers .drydockignore, then .trivyignore, in the given directory; none is fine', () => {
    const dir = tmpdir('dd-ignore-');
    assert.equal(loadIgnoreFile(undefined, dir), undefined);
    writeFileSync(path.join(dir, '.trivyignore'), 'CVE-1\n');
    assert.equal(loadIgnoreFile(undefined, dir)?.file, '.trivyignore');
    writeFileSync(path.join(dir, '.drydockignore'), 'vulnerabilities:\n  - id: CVE-2\n');
    const r = loadIgnoreFile(undefined, dir);
    assert.deepEqual([r?.file, r?.format, r?.entries[0]?.id], ['.drydockignore', 'yaml', 'CVE-2']);
    // --ignorefile wins, relative to the directory
    assert.equal(loadIgnoreFile('.trivyignore', dir)?.entries[0]?.id, 'CVE-1');
  });

  it('a named file must exist and be a regular file', () => {
    const dir = tmpdir('dd-ignore-');
    mkdirSync(path.join(dir, 'sub'));
    assert.match(
      userError(() => loadIgnoreFile('missing.yaml', dir)),
      /^ignore file missing\.yaml: not found$/,
    );
    assert.match(
      userError(() => loadIgnoreFile('sub', dir)),
      /not a regular file/,
    );
  });
});

describe('globMatch', () => {
  it('"*" stays within a segment, "**" spans segments, "?" is one character', () => {
    assert.ok(globMatch('usr/lib/*/METADATA', 'usr/lib/x.dist-info/METADATA'));
    assert.ok(!globMatch('usr/*/METADATA', 'usr/lib/x/METADATA'));
    assert.ok(globMatch('usr/**/METADATA', 'usr/lib/x/METADATA'));
    assert.ok(globMatch('usr/**/METADATA', 'usr/METADATA'));
    assert.ok(globMatch('**', 'a/b/c'));
    assert.ok(globMatch('a/?.txt', 'a/b.txt'));
    assert.ok(!globMatch('a/?.txt', 'a/bc.txt'));
    assert.ok(globMatch('*-lock.json', 'package-lock.json'));
  });

  it('a path without wildcards matches itself; "**" matches everything', () => {
    const seg = fc.stringMatching(/^[a-z0-9._-]{1,8}$/).filter((s) => s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.array(seg, { minLength: 1, maxLength: 8 }), (segs) => {
        const p = segs.join('/');
        return globMatch(p, p) && globMatch('**', p) && globMatch(`**/${segs.at(-1)}`, p);
      }),
    );
  });

  it('stays fast on patterns that make backtracking matchers explode', () => {
    const t0 = performance.now();
    const pat = `${'*a'.repeat(30)}*b`;
    assert.ok(!globMatch(pat, 'a'.repeat(4000)));
    assert.ok(!globMatch(`${'**/'.repeat(50)}x`, `${'a/'.repeat(2000)}y`));
    assert.ok(performance.now() - t0 < 2000);
  });
});

describe('parseDate', () => {
  it('accepts real calendar dates only', () => {
    assert.equal(parseDate('2024-02-29'), Date.UTC(2024, 1, 29));
    for (const bad of ['2023-02-29', '2023-1-01', '20230101', '2023-01-01T00:00:00Z', ''])
      assert.equal(parseDate(bad), undefined, bad);
  });
});
