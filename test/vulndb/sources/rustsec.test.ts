import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCargoReq } from '../../../src/version/cargo.js';
import { cvss3BaseScore } from '../../../src/vulndb/cvss.js';
import {
  MAX_DESCRIPTION,
  rustsecImporter,
  splitFrontMatter,
  titleAndDescription,
} from '../../../src/vulndb/sources/rustsec.js';
import type { Advisory } from '../../../src/vulndb/types.js';
import { SKIP_SHARED } from '../../helpers/env.js';
import { probe, runBatch } from '../../version/oracle-langs.js';
import {
  advisoriesOf,
  DATA,
  detectedInShared,
  FIXTURES,
  filesUnder,
  one,
  parseFile,
  timed,
} from './advisory-db-helpers.js';

const imp = rustsecImporter;
const FIX = path.join(FIXTURES, 'rustsec');
const DB = path.join(DATA, 'rustsec-advisory-db');
const ORACLE = path.join(FIXTURES, 'rustsec-oracle.py');
const SKIP_PYTHON = probe('python3', [ORACLE, '--version'])
  ? false
  : 'needs python3 (tomllib, 3.11+) for the live oracle';

/** rustsec/cvss-v3.tsv: id -> [vector, score, rating] from Ruby's cvss-suite. */
const CVSS_SUITE = new Map(
  readFileSync(path.join(FIX, 'cvss-v3.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [id, vector, score, rating] = l.split('\t') as [string, string, string, string];
      return [id, { vector, score: Number(score), rating }] as const;
    }),
);

function parseText(text: string): Advisory[] {
  return advisoriesOf(imp.parse('crates/x/RUSTSEC-2020-0001.md', Buffer.from(text)));
}

function front(toml: string, body = '\n# Title\n\nText.\n'): string {
  return `\`\`\`toml\n${toml}\n\`\`\`\n${body}`;
}

const MINIMAL =
  '[advisory]\nid = "RUSTSEC-2020-0001"\npackage = "x"\ndate = "2020-01-01"\n\n[versions]\npatched = []\n';

function unless(a: Advisory): string[] {
  assert.equal(a.ranges?.length, 1);
  const r = a.ranges?.[0];
  assert.equal(r?.kind, 'unless');
  return r.kind === 'unless' ? r.constraints : [];
}

describe('rustsec: committed real advisories (expectations read off the files)', () => {
  it('ammonia RUSTSEC-2019-0001: aliases, CVSS 3.0 vector scored 7.5 (cvss-suite) -> HIGH, title and text', () => {
    const a = one(imp, FIX, 'crates/ammonia/RUSTSEC-2019-0001.md');
    assert.equal(a.id, 'RUSTSEC-2019-0001');
    assert.equal(a.source, 'rustsec');
    assert.equal(a.namespace, 'cargo');
    assert.equal(a.package, 'ammonia');
    assert.deepEqual(a.aliases, ['CVE-2019-15542', 'GHSA-5hp8-35wj-m525']);
    // trivy's integration DB fixture (fixtures/db/rust.yaml): ammonia CVE-2019-15542 PatchedVersions [">= 2.1.0"]
    assert.deepEqual(unless(a), ['>= 2.1.0']);
    assert.equal(a.status, 'fixed');
    assert.deepEqual(a.cvss, [
      {
        source: 'rustsec',
        version: '3.0',
        vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
        score: 7.5,
      },
    ]);
    assert.equal(CVSS_SUITE.get('RUSTSEC-2019-0001')?.score, 7.5);
    assert.equal(a.severity, 'HIGH');
    assert.equal(a.title, 'Uncontrolled recursion leads to abort in HTML serialization');
    assert.ok(
      a.description?.startsWith(
        'Affected versions of this crate did use recursion for serialization of HTML\nDOM trees.',
      ),
    );
    assert.ok(
      a.description?.endsWith('The flaw was corrected by serializing the DOM tree iteratively instead.'),
    );
    assert.equal(a.published, '2019-04-27');
    assert.equal(a.url, 'https://github.com/rust-ammonia/ammonia/blob/master/CHANGELOG.md#210');
  });

  it("ammonia RUSTSEC-2021-0074 holds trivy's CVE-2021-38193 patched versions; no CVSS -> UNKNOWN", () => {
    const a = one(imp, FIX, 'crates/ammonia/RUSTSEC-2021-0074.md');
    assert.deepEqual(a.aliases, ['CVE-2021-38193', 'GHSA-5325-xw5m-phm3']);
    assert.deepEqual(unless(a), ['>= 3.1.0', '>= 2.1.3, < 3.0.0']);
    assert.equal(a.severity, 'UNKNOWN');
    assert.equal(a.cvss, undefined);
    assert.equal(a.title, 'Incorrect handling of embedded SVG and MathML leads to mutation XSS');
  });

  it('ammonia RUSTSEC-2022-0003: patched then unaffected; [affected] functions ignored', () => {
    const a = one(imp, FIX, 'crates/ammonia/RUSTSEC-2022-0003.md');
    assert.deepEqual(unless(a), ['>= 3.1.3', '< 3.0.0']);
    assert.deepEqual(a.aliases, ['GHSA-p2g9-94wh-65c2']);
    assert.equal(a.title, 'Space bug in `clean_text`');
  });

  it('abomonation RUSTSEC-2021-0120 (informational "unsound", patched = []) is kept: affected, UNKNOWN', () => {
    const a = one(imp, FIX, 'crates/abomonation/RUSTSEC-2021-0120.md');
    assert.equal(a.status, 'affected');
    assert.deepEqual(a.ranges, [{ kind: 'unless', constraints: [] }]);
    assert.equal(a.severity, 'UNKNOWN');
    assert.deepEqual(a.aliases, ['CVE-2021-45708', 'GHSA-5vwc-r48g-wj6c', 'GHSA-hfxp-p695-629x']);
    assert.equal(a.title, 'abomonation transmutes &T to and from &[u8] without sufficient constraints');
  });

  it('astral-tokio-tar RUSTSEC-2026-0066: a CVSS 4.0 vector is kept without a score, severity UNKNOWN', () => {
    const a = one(imp, FIX, 'crates/astral-tokio-tar/RUSTSEC-2026-0066.md');
    assert.deepEqual(a.cvss, [
      {
        source: 'rustsec',
        version: '4.0',
        vector: 'CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N/E:U',
      },
    ]);
    assert.equal(a.severity, 'UNKNOWN');
    assert.deepEqual(a.aliases, ['GHSA-6gx3-4362-rf54', 'CVE-2026-32766']);
  });

  it('skips unmaintained, notice, withdrawn and toolchain (rust/) advisories', () => {
    for (const rel of [
      'crates/adler/RUSTSEC-2025-0056.md', // informational = "unmaintained"
      'crates/personnummer/RUSTSEC-2020-0166.md', // informational = "notice"
      'crates/tower-http/RUSTSEC-2021-0135.md', // withdrawn
      'rust/std/CVE-2021-29922.md', // id CVE-…, package std
    ]) {
      assert.deepEqual(parseFile(imp, FIX, rel), [], rel);
      assert.ok(imp.detect(rel, readFileSync(path.join(FIX, rel))), rel);
    }
  });
});

describe('rustsec: front matter, title and description', () => {
  it('splits the fenced TOML from the Markdown, CRLF too', () => {
    assert.deepEqual(splitFrontMatter('```toml\na = 1\n```\n# T\n'), { toml: 'a = 1\n', body: '# T\n' });
    assert.deepEqual(splitFrontMatter('```toml\r\na = 1\r\n```\r\n# T\r\n'), {
      toml: 'a = 1\r\n',
      body: '# T\r\n',
    });
    assert.deepEqual(splitFrontMatter('```toml\n```'), { toml: '', body: '' });
    const [a] = parseText(front(MINIMAL).replaceAll('\n', '\r\n'));
    assert.equal(a?.title, 'Title');
    assert.equal(a?.description, 'Text.');
  });

  it('takes the first heading of any level; text before it is dropped; a long text is cut', () => {
    assert.deepEqual(titleAndDescription('intro\n\n## Sub title\nbody\n#not a heading'), {
      title: 'Sub title',
      description: 'body\n#not a heading',
    });
    assert.deepEqual(titleAndDescription('no heading'), {});
    const long = titleAndDescription(`# T\n${'y'.repeat(MAX_DESCRIPTION * 2)}`);
    assert.equal(long.description?.length, MAX_DESCRIPTION + 1);
  });

  it('dates may be TOML dates; a placeholder id is skipped', () => {
    const [a] = parseText(front(MINIMAL.replace('date = "2020-01-01"', 'date = 2020-01-01')));
    assert.equal(a?.published, '2020-01-01');
    assert.deepEqual(parseText(front(MINIMAL.replace('RUSTSEC-2020-0001', 'RUSTSEC-0000-0000'))), []);
  });
});

describe('rustsec: malformed input', () => {
  const bad: [string, string, RegExp][] = [
    ['no front matter', '# Title\n', /no ```toml front matter/],
    [
      'unclosed fence',
      '```toml\n[advisory]\nid = "RUSTSEC-2020-0001"\n',
      /unterminated ```toml front matter/,
    ],
    ['no [advisory]', front('[versions]\npatched = []'), /missing \[advisory\]/],
    ['no id', front('[advisory]\npackage = "x"'), /missing advisory.id/],
    ['no package', front('[advisory]\nid = "RUSTSEC-2020-0001"'), /missing advisory.package/],
    [
      'package not a string',
      front(MINIMAL.replace('package = "x"', 'package = 5')),
      /advisory.package: expected a string/,
    ],
    ['bad crate name', front(MINIMAL.replace('package = "x"', 'package = "a b"')), /bad crate name/],
    [
      'patched not an array',
      front(MINIMAL.replace('patched = []', 'patched = ">= 1"')),
      /versions.patched: expected an array/,
    ],
    [
      'patched of numbers',
      front(MINIMAL.replace('patched = []', 'patched = [1]')),
      /versions.patched: expected strings/,
    ],
    ['empty requirement', front(MINIMAL.replace('patched = []', 'patched = [""]')), /empty entry/],
    ['table defined twice', front(`${MINIMAL}[advisory]\n`), /line 8/],
    [
      'versions not a table',
      front(`versions = 1\n${MINIMAL.replace('[versions]\npatched = []\n', '')}`),
      /\[versions\]: expected a table/,
    ],
    [
      'bad v3 vector',
      front(MINIMAL.replace('[versions]', 'cvss = "CVSS:3.1/AV:N"\n[versions]')),
      /bad CVSS vector/,
    ],
    [
      'v2 vector',
      front(MINIMAL.replace('[versions]', 'cvss = "AV:N/AC:L/Au:N/C:P/I:P/A:P"\n[versions]')),
      /not a CVSS v3 or v4/,
    ],
    ['broken TOML', front('[advisory\n'), /line 1/],
  ];
  for (const [label, text, re] of bad) {
    it(label, () => {
      assert.throws(
        () => parseText(text),
        (e: unknown) => e instanceof Error && re.test(e.message),
      );
    });
  }

  it('refuses oversized files, a front matter that never closes in time, deep nesting; mutations throw an Error', () => {
    assert.throws(() => imp.parse('a.md', Buffer.alloc(2 << 20, 0x61)), /too large/);
    assert.throws(() => parseText(`\`\`\`toml\n${'# c\n'.repeat(20_000)}\`\`\`\n`), /unterminated/);
    assert.throws(() => parseText(front(`[advisory]\nx = ${'['.repeat(5000)}${']'.repeat(5000)}`)), Error);
    const text = readFileSync(path.join(FIX, 'crates/ammonia/RUSTSEC-2022-0003.md'), 'utf8');
    fc.assert(
      fc.property(fc.nat(text.length), fc.nat(text.length), fc.string({ maxLength: 6 }), (a, b, ins) => {
        try {
          parseText(text.slice(0, Math.min(a, b)) + ins + text.slice(Math.max(a, b)));
        } catch (e) {
          assert.ok(e instanceof Error);
        }
      }),
      { numRuns: 300, seed: 6 },
    );
  });
});

describe('rustsec: detect', () => {
  it('is keyed on a Markdown file opening with a ```toml block holding [advisory]', () => {
    assert.ok(imp.detect('crates/x/RUSTSEC-1.md', Buffer.from('```toml\n[advisory]\nid = "x"\n')));
    assert.ok(!imp.detect('crates/x/RUSTSEC-1.md', Buffer.from('# RustSec\n```toml\n[advisory]\n')));
    assert.ok(!imp.detect('crates/x/RUSTSEC-1.toml', Buffer.from('```toml\n[advisory]\n')));
    assert.ok(!imp.detect('README.md', Buffer.from('```toml\n[package]\n')));
  });

  it('claims exactly the advisory files of advisory-db among all of ../shared/data', {
    skip: SKIP_SHARED,
  }, () => {
    const expected = filesUnder(DB)
      .filter((f) => /^(?:crates|rust)\/.*\.md$/.test(f) || f === 'EXAMPLE_ADVISORY.md')
      .map((f) => `rustsec-advisory-db/${f}`);
    assert.equal(expected.length, 1205 + 20 + 1);
    assert.deepEqual(detectedInShared(imp), expected);
  });
});

describe('rustsec: the whole advisory-db snapshot', { skip: SKIP_SHARED }, () => {
  const files = SKIP_SHARED ? [] : filesUnder(DB).filter((f) => f.endsWith('.md') && f !== 'README.md');

  it('parses every advisory; every requirement is one Cargo accepts; the crate is its folder', () => {
    const { value: all, ms } = timed(() => files.map((f) => ({ f, got: parseFile(imp, DB, f) })));
    const advisories = all.flatMap((x) => x.got);
    assert.equal(files.length, 1226);
    // 1205 crate advisories: 13 withdrawn, 267 unmaintained, 6 notices (some overlap) are skipped
    assert.equal(advisories.length, 928);
    for (const { f, got } of all) for (const a of got) assert.equal(a.package, f.split('/')[1], f);
    for (const a of advisories) for (const c of unless(a)) parseCargoReq(c);
    assert.equal(new Set(advisories.map((a) => a.id)).size, advisories.length);
    console.log(`# rustsec: ${files.length} files, ${advisories.length} advisories in ${ms.toFixed(0)} ms`);
  });

  it("every v3 vector's score and rating equal Ruby cvss-suite's (rustsec/cvss-v3.tsv)", () => {
    let n = 0;
    for (const f of files.filter((x) => x.startsWith('crates/'))) {
      const id = path.basename(f, '.md');
      const want = CVSS_SUITE.get(id);
      const text = readFileSync(path.join(DB, f), 'utf8');
      if (!want) {
        assert.ok(!/^cvss = "CVSS:3/m.test(text), `${f} has a v3 vector missing from the TSV`);
        continue;
      }
      assert.ok(text.includes(`cvss = "${want.vector}"`), f);
      assert.equal(cvss3BaseScore(want.vector), want.score, f);
      const [a] = parseFile(imp, DB, f);
      if (!a) continue; // skipped (withdrawn or informational)
      assert.deepEqual(a.cvss?.[0]?.score, want.score, f);
      assert.equal(a.severity, want.rating, f);
      n++;
    }
    assert.ok(n > 300, `${n}`);
  });

  it('agrees with Python (tomllib) reading the same files', { skip: SKIP_PYTHON }, () => {
    const out = runBatch(
      'python3',
      [ORACLE],
      files.map((f) => path.join(DB, f)),
    ) as string[];
    files.forEach((f, i) => {
      const want = JSON.parse(out[i] as string) as Record<string, unknown>;
      assert.equal(want.error, undefined, `${f}: ${want.error}`);
      const got = parseFile(imp, DB, f);
      if (want.skip) {
        assert.deepEqual(got, [], `${f} (${want.skip})`);
        return;
      }
      const a = got[0] as Advisory;
      assert.deepEqual(
        {
          id: a.id,
          package: a.package,
          aliases: a.aliases ?? [],
          constraints: unless(a),
          status: a.status,
          cvss: a.cvss?.[0]?.vector ?? null,
          title: a.title ?? null,
          published: a.published,
          url: a.url ?? null,
          references: a.references ?? [],
        },
        {
          id: want.id,
          package: want.package,
          aliases: want.aliases,
          constraints: want.constraints,
          status: want.status,
          cvss: want.cvss ?? null,
          title: want.title,
          published: want.published,
          url: want.url ?? null,
          references: want.references,
        },
        f,
      );
      const d = (want.description as string | null) ?? '';
      if (d.length <= MAX_DESCRIPTION) assert.equal(a.description ?? '', d, f);
      else assert.ok(a.description?.startsWith(d.slice(0, MAX_DESCRIPTION - 1)), f);
    });
  });
});
