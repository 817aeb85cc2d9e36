import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseGemRequirements } from '../../../src/version/gem.js';
import { MAX_DESCRIPTION, rubysecImporter, severityOfV2Score } from '../../../src/vulndb/sources/rubysec.js';
import type { Advisory } from '../../../src/vulndb/types.js';
import { SKIP_SHARED } from '../../helpers/env.js';
import { probe, runJsonOracle } from '../../version/oracle-langs.js';
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

const imp = rubysecImporter;
const FIX = path.join(FIXTURES, 'rubysec');
const DB = path.join(DATA, 'rubysec-advisory-db');
const ORACLE = path.join(FIXTURES, 'yaml-advisory-oracle.rb');
const SKIP_RUBY = probe('ruby', [ORACLE, '--version']) ? false : 'needs ruby (Psych) for the live oracle';

function parseText(text: string, rel = 'gems/x/CVE-2020-1.yml'): Advisory[] {
  return advisoriesOf(imp.parse(rel, Buffer.from(text)));
}

function unless(a: Advisory): string[] {
  assert.equal(a.ranges?.length, 1);
  const r = a.ranges?.[0];
  assert.equal(r?.kind, 'unless');
  return r.kind === 'unless' ? r.constraints : [];
}

describe('rubysec: committed real advisories (expectations read off the files)', () => {
  it('actionpack CVE-2008-7248: CVE id with GHSA alias, patched + unaffected, CVSS v2 6.8 -> MEDIUM', () => {
    const a = one(imp, FIX, 'gems/actionpack/CVE-2008-7248.yml');
    assert.equal(a.id, 'CVE-2008-7248');
    assert.equal(a.source, 'rubysec');
    assert.equal(a.namespace, 'gem');
    assert.equal(a.package, 'actionpack');
    assert.deepEqual(a.aliases, ['GHSA-8fqx-7pv4-3jwm']);
    assert.deepEqual(unless(a), ['~> 2.1.3', '>= 2.2.2', '< 2.1.0']);
    assert.equal(a.status, 'fixed');
    assert.equal(a.severity, 'MEDIUM');
    assert.deepEqual(a.cvss, [{ source: 'rubysec', version: '2.0', vector: '', score: 6.8 }]);
    assert.equal(a.title, 'Improper Input Validation in rails');
    assert.equal(a.published, '2017-10-24');
    assert.equal(
      a.url,
      'https://weblog.rubyonrails.org/2008/11/18/potential-circumvention-of-csrf-protection-in-rails-2-1',
    );
    assert.ok(
      a.description?.startsWith('Ruby on Rails 2.1 before 2.1.3 and 2.2.x before 2.2.2 does not verify\n'),
    );
    assert.ok(a.description?.endsWith('demonstrated using text/plain.'));
    // 15 related urls, one of them twice
    assert.equal(a.references?.length, 14);
    assert.equal(a.references?.[0], 'https://nvd.nist.gov/vuln/detail/CVE-2008-7248');
  });

  it("activesupport CVE-2015-3226 holds trivy's expected ruby-advisory-db bucket entry", () => {
    // trivy pkg/detector/library/testdata/fixtures/ruby.yaml: PatchedVersions [">= 4.2.2", "~> 4.1.11"],
    // UnaffectedVersions ["< 4.1.0"].
    const a = one(imp, FIX, 'gems/activesupport/CVE-2015-3226.yml');
    assert.equal(a.id, 'CVE-2015-3226');
    assert.equal(a.package, 'activesupport');
    assert.deepEqual(unless(a), ['>= 4.2.2', '~> 4.1.11', '< 4.1.0']);
    assert.equal(a.status, 'fixed');
    assert.equal(a.severity, 'UNKNOWN');
    assert.equal(a.cvss, undefined);
  });

  it('avo CVE-2026-53769: a related url continued by a deeper "- url" line is one scalar (as Psych reads it)', () => {
    const a = one(imp, FIX, 'gems/avo/CVE-2026-53769.yml');
    assert.equal(
      a.title,
      'Direct attachment upload endpoint lacks upload authorization and bypasses field-level upload policy',
    );
    assert.deepEqual(unless(a), ['~> 3.32.0', '>= 4.0.0.beta.41', '< 2.28.0']);
    assert.equal(a.severity, 'MEDIUM'); // cvss_v3 6.5
    assert.deepEqual(a.references, [
      'https://www.cve.org/CVERecord/SearchResults?query=CVE-2026-53769',
      'https://rubygems.org/gems/avo/versions/4.0.0.beta.41',
      'https://rubygems.org/gems/avo/versions/3.32.0 - https://avohq.io/releases/3.32.0',
      'https://github.com/avo-hq/avo/security/advisories/GHSA-pqpw-cvm4-8mv9',
    ]);
  });

  it('cassandra-web CVE-2020-36939: no patched versions -> affected; v3 7.5 wins over v4 8.7 -> HIGH', () => {
    const a = one(imp, FIX, 'gems/cassandra-web/CVE-2020-36939.yml');
    assert.equal(a.status, 'affected');
    assert.deepEqual(a.ranges, [{ kind: 'unless', constraints: [] }]);
    assert.equal(a.severity, 'HIGH');
    assert.deepEqual(a.cvss, [
      { source: 'rubysec', version: '3.x', vector: '', score: 7.5 },
      { source: 'rubysec', version: '4.0', vector: '', score: 8.7 },
    ]);
    assert.deepEqual(a.references, [
      'https://nvd.nist.gov/vuln/detail/CVE-2020-36939',
      'https://github.com/avalanche123/cassandra-web/commit/f11e47a26f316827f631d7bcfec14b9dd94f44be#diff-f965f92b425fb2f75d38b491b2625fe21b8af20b7666217546bce8a42b198ea4Prot',
      'https://www.vulncheck.com/advisories/cassandra-web-remote-file-read',
      'https://www.exploit-db.com/exploits/49362',
      'https://github.com/advisories/GHSA-8mfv-xhp5-48q9',
    ]);
  });

  it('as OSVDB-112683: only an OSVDB id -> the file name is the id; no score -> UNKNOWN', () => {
    const a = one(imp, FIX, 'gems/as/OSVDB-112683.yml');
    assert.equal(a.id, 'OSVDB-112683');
    assert.equal(a.aliases, undefined);
    assert.equal(a.status, 'affected');
    assert.equal(a.severity, 'UNKNOWN');
    assert.equal(a.references?.length, 4);
  });

  it('activejob GHSA-mpwp-4h2m-765c: no CVE -> GHSA id, OSVDB alias; only cvss_v4 6.6 -> MEDIUM', () => {
    const a = one(imp, FIX, 'gems/activejob/GHSA-mpwp-4h2m-765c.yml');
    assert.equal(a.id, 'GHSA-mpwp-4h2m-765c');
    assert.deepEqual(a.aliases, ['OSVDB-112347']);
    assert.deepEqual(unless(a), ['>= 4.2.0.beta2']);
    assert.equal(a.severity, 'MEDIUM');
  });

  it('rubies/ interpreter advisories are read and skipped', () => {
    assert.deepEqual(parseFile(imp, FIX, 'rubies/mrubyc/CVE-2025-13397.yml'), []);
    assert.ok(
      imp.detect(
        'rubies/mrubyc/CVE-2025-13397.yml',
        readFileSync(path.join(FIX, 'rubies/mrubyc/CVE-2025-13397.yml')),
      ),
    );
  });
});

describe('rubysec: severity and identifiers', () => {
  it("maps scores on the v3 scale, v2 on NVD's v2 scale, and prefers v3, then v4, then v2", () => {
    const sev = (fields: string) => parseText(`gem: g\n${fields}`)[0]?.severity;
    assert.equal(sev('cvss_v3: 9.0'), 'CRITICAL');
    assert.equal(sev('cvss_v3: 8.9'), 'HIGH');
    assert.equal(sev('cvss_v3: 4.0'), 'MEDIUM');
    assert.equal(sev('cvss_v3: 0.1'), 'LOW');
    assert.equal(sev('cvss_v3: 0.0'), 'UNKNOWN');
    assert.equal(sev('cvss_v2: 10.0'), 'HIGH');
    assert.equal(sev('cvss_v2: .17'), 'LOW');
    assert.equal(sev('cvss_v2: 9.3\ncvss_v4: 2.0'), 'LOW');
    assert.equal(sev('cvss_v2: 9.3\ncvss_v4: 2.0\ncvss_v3: 5.0'), 'MEDIUM');
    assert.equal(severityOfV2Score(6.9), 'MEDIUM');
  });

  it('accepts ids written with their prefix, and YAML nulls as absent', () => {
    const [a] = parseText(
      'gem: g\ncve: CVE-2020-1\nghsa: ~\nosvdb: null\npatched_versions: []\nrelated:\n  url:\n',
    );
    assert.equal(a?.id, 'CVE-2020-1');
    assert.equal(a?.aliases, undefined);
    assert.equal(a?.references, undefined);
    assert.equal(a?.status, 'affected');
  });

  it('cuts long descriptions', () => {
    const [a] = parseText(`gem: g\ndescription: |\n  ${'x'.repeat(MAX_DESCRIPTION + 100)}\n`);
    assert.equal(a?.description?.length, MAX_DESCRIPTION + 1);
  });
});

describe('rubysec: malformed input', () => {
  const bad: [string, RegExp][] = [
    ['- a\n- b\n', /expected a mapping/],
    ['title: x\n', /missing "gem"/],
    ['gem:\n  a: b\n', /gem: expected a single value/],
    ['gem: g\npatched_versions: ">= 1"\n', /patched_versions: expected a list/],
    ['gem: g\npatched_versions:\n  - [a]\n', /expected a list of strings/],
    ['gem: g\npatched_versions:\n  - ""\n', /empty entry/],
    ['gem: g\ncvss_v3: high\n', /cvss_v3: bad score/],
    ['gem: g\ncvss_v3: 11\n', /cvss_v3: bad score/],
    ['gem: g\nrelated: [a]\n', /related: expected a mapping/],
    ['gem: a b\n', /bad gem name/],
    ['gem: g\ncve: 2020 1\n', /bad CVE id/],
    ['gem: g\ngem: h\n', /duplicate key/],
    ['gem: "g\n', /unterminated string/],
    ['gem: g\x00\n', /control character/],
  ];
  for (const [text, re] of bad) {
    it(JSON.stringify(text), () => {
      assert.throws(
        () => parseText(text),
        (e: unknown) => e instanceof Error && re.test(e.message),
      );
    });
  }

  it("trivy-db's sad fixture (a mapping as the gem) is refused", { skip: SKIP_SHARED }, () => {
    const root = path.join(DATA, 'trivy-db-vulnsrc-testdata/vulnsrc/bundler/testdata/sad/ruby-advisory-db');
    assert.throws(() => parseFile(imp, root, 'gems/CVE-2019-9837.yml'), /gem: expected a single value/);
  });

  it('refuses oversized files, deep nesting and binary data quickly', () => {
    assert.throws(() => imp.parse('a.yml', Buffer.alloc(2 << 20, 0x61)), /too large/);
    const deep = `gem: g\nrelated:\n${Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i + 1)}k:`).join('\n')}\n`;
    assert.throws(() => parseText(deep), /nesting deeper/);
    const flow = `gem: g\nrelated: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    assert.throws(() => parseText(flow), /nesting too deep|related/);
    assert.throws(
      () => imp.parse('a.yml', Buffer.from([0x67, 0x65, 0x6d, 0x3a, 0x20, 0x01, 0xff, 0xfe])),
      Error,
    );
  });

  it('truncations and mutations of a real advisory either parse or throw an Error', () => {
    const text = readFileSync(path.join(FIX, 'gems/avo/CVE-2026-53769.yml'), 'utf8');
    for (let n = 0; n <= text.length; n += 7) {
      try {
        parseText(text.slice(0, n));
      } catch (e) {
        assert.ok(e instanceof Error);
      }
    }
    fc.assert(
      fc.property(fc.nat(text.length), fc.string({ maxLength: 8 }), (at, ins) => {
        try {
          parseText(text.slice(0, at) + ins + text.slice(at));
        } catch (e) {
          assert.ok(e instanceof Error);
        }
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});

describe('rubysec: detect', () => {
  it('is cheap and keyed on the gem/engine key of a .yml file', () => {
    assert.ok(imp.detect('gems/x/CVE-1.yml', Buffer.from('---\ngem: x\n')));
    assert.ok(imp.detect('x.yaml', Buffer.from('engine: ruby\n')));
    assert.ok(!imp.detect('x.json', Buffer.from('gem: x\n')));
    assert.ok(!imp.detect('x.yml', Buffer.from('title: t\nreference: composer://a/b\n')));
    assert.ok(!imp.detect('x.yml', Buffer.from('  gem: x\n')));
  });

  it('claims exactly the ruby-advisory-db files among all of ../shared/data', { skip: SKIP_SHARED }, () => {
    const found = detectedInShared(imp);
    const expected = [
      ...filesUnder(DB)
        .filter((f) => f.endsWith('.yml'))
        .map((f) => `rubysec-advisory-db/${f}`),
      'trivy-db-vulnsrc-testdata/vulnsrc/bundler/testdata/happy/ruby-advisory-db/gems/CVE-2019-9837.yml',
      'trivy-db-vulnsrc-testdata/vulnsrc/bundler/testdata/sad/ruby-advisory-db/gems/CVE-2019-9837.yml',
    ].sort();
    assert.equal(expected.length, 1381 + 2);
    assert.deepEqual(found, expected);
  });
});

describe('rubysec: the whole ruby-advisory-db snapshot', { skip: SKIP_SHARED }, () => {
  const files = SKIP_SHARED ? [] : filesUnder(DB).filter((f) => f.endsWith('.yml'));

  it('parses every advisory; every requirement is one RubyGems accepts', () => {
    const { value: all, ms } = timed(() => files.map((f) => ({ f, got: parseFile(imp, DB, f) })));
    const advisories = all.flatMap((x) => x.got);
    assert.equal(files.length, 1381);
    assert.equal(all.filter((x) => x.f.startsWith('gems/') && x.got.length === 1).length, 1234);
    assert.equal(all.filter((x) => x.f.startsWith('rubies/') && x.got.length === 0).length, 147);
    for (const a of advisories) for (const c of unless(a)) parseGemRequirements(c);
    // one advisory per (id, gem)
    assert.equal(new Set(advisories.map((a) => `${a.id} ${a.package}`)).size, advisories.length);
    console.log(`# rubysec: ${files.length} files, ${advisories.length} advisories in ${ms.toFixed(0)} ms`);
  });

  it('the gem named in each file is the folder it lives in', () => {
    for (const f of files.filter((x) => x.startsWith('gems/'))) {
      assert.equal(one(imp, DB, f).package, f.split('/')[1], f);
    }
  });

  it("trivy-db's happy fixture: doorkeeper-openid_connect CVE-2019-9837", () => {
    const root = path.join(DATA, 'trivy-db-vulnsrc-testdata/vulnsrc/bundler/testdata/happy/ruby-advisory-db');
    const a = one(imp, root, 'gems/CVE-2019-9837.yml');
    assert.equal(a.id, 'CVE-2019-9837');
    assert.equal(a.package, 'doorkeeper-openid_connect');
    assert.deepEqual(unless(a), ['>= 1.5.4', '< 1.4.0']);
    assert.equal(a.severity, 'MEDIUM'); // cvss_v3 6.1
    assert.equal(a.published, '2019-03-25');
  });

  it('agrees with Ruby (Psych) reading the same files', { skip: SKIP_RUBY }, () => {
    const facts = runJsonOracle(
      'ruby',
      [ORACLE],
      files.map((f) => ['rubysec', path.join(DB, f)]),
    ) as Record<string, unknown>[];
    files.forEach((f, i) => {
      const want = facts[i] as Record<string, unknown>;
      assert.equal(want.error, undefined, `${f}: ${want.error}`);
      const got = parseFile(imp, DB, f);
      if (want.skip) {
        assert.deepEqual(got, [], f);
        return;
      }
      const a = got[0] as Advisory;
      const d = want.description as string;
      assert.deepEqual(
        {
          id: a.id,
          package: a.package,
          aliases: a.aliases ?? [],
          constraints: unless(a),
          status: a.status,
          severity: a.severity,
          scores: (a.cvss ?? []).map((c) => c.score),
          title: a.title,
          url: a.url,
          published: a.published,
          references: a.references ?? [],
        },
        {
          id: want.id,
          package: want.package,
          aliases: want.aliases,
          constraints: want.constraints,
          status: want.status,
          severity: want.severity,
          scores: want.scores,
          title: want.title,
          url: want.url,
          published: want.published,
          references: want.references,
        },
        f,
      );
      if (d.length <= MAX_DESCRIPTION) assert.equal(a.description ?? '', d, f);
      else assert.ok(a.description?.startsWith(d.slice(0, MAX_DESCRIPTION - 1)), f);
    });
  });
});
