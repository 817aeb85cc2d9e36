import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { composerSatisfies, parseComposerConstraint } from '../../../src/version/composer.js';
import {
  composerPackageOf,
  friendsofphpImporter,
  hasUpperBound,
} from '../../../src/vulndb/sources/friendsofphp.js';
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

const imp = friendsofphpImporter;
const FIX = path.join(FIXTURES, 'friendsofphp');
const DB = path.join(DATA, 'packagist-friendsofphp');
const ORACLE = path.join(FIXTURES, 'yaml-advisory-oracle.rb');
const SKIP_RUBY = probe('ruby', [ORACLE, '--version']) ? false : 'needs ruby (Psych) for the live oracle';

function parseText(text: string, rel = 'vendor/pkg/2020-01-01.yaml'): Advisory[] {
  return advisoriesOf(imp.parse(rel, Buffer.from(text)));
}

function constraints(a: Advisory): string[] {
  return (a.ranges ?? []).map((r) => {
    assert.equal(r.kind, 'constraint');
    return r.kind === 'constraint' ? r.constraint : '';
  });
}

describe('friendsofphp: committed real advisories (expectations read off the files)', () => {
  it('symfony/symfony CVE-2020-5275: one constraint per branch', () => {
    const a = one(imp, FIX, 'symfony/symfony/CVE-2020-5275.yaml');
    assert.equal(a.id, 'CVE-2020-5275');
    assert.equal(a.source, 'friendsofphp');
    assert.equal(a.namespace, 'composer');
    assert.equal(a.package, 'symfony/symfony');
    assert.deepEqual(constraints(a), ['>=4.4.0,<4.4.7', '>=5.0.0,<5.0.7']);
    assert.equal(a.status, 'fixed');
    assert.equal(a.severity, 'UNKNOWN');
    assert.equal(
      a.title,
      'CVE-2020-5275: All rules set in "access_control" are required when the firewall is configured with the unanimous strategy',
    );
    assert.equal(a.url, 'https://symfony.com/cve-2020-5275');
    assert.equal(a.aliases, undefined);
    // trivy's expected "php-security-advisories" bucket (pkg/detector/library/testdata/fixtures/php.yaml)
    // holds symfony/symfony CVE-2020-5275 with VulnerableVersions [">= 4.4.0, < 4.4.7"]: the same
    // versions as the first branch.
    for (const v of ['4.3.99', '4.4.0', '4.4.6', '4.4.7', '5.0.0', '5.0.6', '5.0.7'])
      assert.equal(
        composerSatisfies(v, constraints(a)[0] as string),
        composerSatisfies(v, '>= 4.4.0, < 4.4.7'),
        v,
      );
  });

  it('3f/pygmentize 2017-05-15 (cve: ~): the id is made from the package and the file name', () => {
    const a = one(imp, FIX, '3f/pygmentize/2017-05-15.yaml');
    assert.equal(a.id, 'FriendsOfPHP/3f/pygmentize/2017-05-15');
    assert.deepEqual(constraints(a), ['<1.2']);
    assert.equal(a.status, 'fixed');
  });

  it('easycorp GHSA-2wwr-9x6f-88gp (no cve key): the GHSA file name is the id', () => {
    const a = one(imp, FIX, 'easycorp/easyadmin-bundle/GHSA-2wwr-9x6f-88gp.yaml');
    assert.equal(a.id, 'GHSA-2wwr-9x6f-88gp');
    assert.equal(a.aliases, undefined);
    assert.deepEqual(constraints(a), ['>=4.0.0,<4.29.10', '>=5.0.0,<5.0.10']);
  });

  it('illuminate/auth CVE-2017-9303: a "<=" branch with a null time still bounds the versions', () => {
    const a = one(imp, FIX, 'illuminate/auth/CVE-2017-9303.yaml');
    assert.deepEqual(constraints(a), ['>=5.3.0,<=5.3.31', '>=5.4.0,<5.4.22']);
    assert.equal(a.status, 'fixed');
    assert.ok(composerSatisfies('5.3.31', constraints(a)[0] as string));
    assert.ok(!composerSatisfies('5.3.32', constraints(a)[0] as string));
  });

  it('magento (quoted branch names, composer-repository: false) and firebase/php-jwt (unquoted [<2.0.0])', () => {
    const m = one(imp, FIX, 'magento/product-community-edition/2018-06-27.yaml');
    assert.equal(m.id, 'FriendsOfPHP/magento/product-community-edition/2018-06-27');
    assert.deepEqual(constraints(m), ['>=2.1,<2.1.14', '>=2.2,<2.2.5']);
    const f = one(imp, FIX, 'firebase/php-jwt/2015-04-02.yaml');
    assert.equal(f.package, 'firebase/php-jwt');
    assert.deepEqual(constraints(f), ['<2.0.0']);
  });
});

describe('friendsofphp: rules', () => {
  it('lower-cases the package and keeps a GHSA file name beside a CVE as an alias', () => {
    const [a] = parseText(
      "cve: cve-2021-1234\nbranches:\n  1.x:\n    time: ~\n    versions: ['>=1.0', '<1.5']\nreference: composer://Acme/Foo-Bar\n",
      'acme/foo-bar/GHSA-2wwr-9x6f-88gp.yaml',
    );
    assert.equal(a?.id, 'CVE-2021-1234');
    assert.equal(a?.package, 'acme/foo-bar');
    assert.deepEqual(a?.aliases, ['GHSA-2wwr-9x6f-88gp']);
  });

  it('an open-ended branch makes the advisory "affected"', () => {
    const [a] = parseText(
      "branches:\n  1.x:\n    versions: ['<1.5']\n  2.x:\n    versions: ['>=2.0']\nreference: composer://a/b\n",
    );
    assert.equal(a?.status, 'affected');
    assert.deepEqual(constraints(a as Advisory), ['<1.5', '>=2.0']);
  });

  it('upper bounds', () => {
    for (const c of [
      '<1',
      '>=1,<=2',
      '>= 1, < 2',
      '>=1 <2',
      '^1.2',
      '~1.2',
      '1.2.*',
      '=1.0',
      '1.0 - 2.0',
      'v1.0',
    ])
      assert.ok(hasUpperBound(c), c);
    for (const c of ['>=1', '>1', '!=1', '<>1', '*', '>= 1.0', '>=1,!=1.5']) assert.ok(!hasUpperBound(c), c);
  });

  it('package names', () => {
    assert.equal(composerPackageOf('composer://Symfony/HTTP-Kernel'), 'symfony/http-kernel');
    for (const bad of [
      'symfony/symfony',
      'composer://symfony',
      'composer://a/b/c',
      'composer://a b/c',
      'composer:///b',
    ])
      assert.throws(() => composerPackageOf(bad), /reference/, bad);
  });
});

describe('friendsofphp: malformed input', () => {
  const ok = "branches:\n  1.x:\n    versions: ['<1.5']\n";
  const bad: [string, RegExp][] = [
    ['- a\n', /expected a mapping/],
    [ok, /missing "reference"/],
    [`${ok}reference: npm://a/b\n`, /reference: expected "composer:/],
    ['branches: []\nreference: composer://a/b\n', /branches: expected a mapping/],
    ['branches: {}\nreference: composer://a/b\n', /branches: empty/],
    ['branches:\n  1.x: x\nreference: composer://a/b\n', /branch "1.x": expected a mapping/],
    ['branches:\n  1.x:\n    time: ~\nreference: composer://a/b\n', /branch "1.x": no versions/],
    ['branches:\n  1.x:\n    versions: []\nreference: composer://a/b\n', /no versions/],
    ['branches:\n  1.x:\n    versions: [[a]]\nreference: composer://a/b\n', /constraint strings/],
    ["branches:\n  1.x:\n    versions: ['<1 || >2', '<3']\nreference: composer://a/b\n", /"\|" inside/],
    [`${ok}reference: composer://a/b\ncve: 2020-1\n`, /cve: bad CVE id/],
    [`${ok}reference:\n  x: y\n`, /reference: expected a single value/],
    // trivy-db's sad fixture: a tab before a key
    [`${ok}\treference: composer://a/b\n`, /tab in indentation/],
  ];
  for (const [text, re] of bad) {
    it(JSON.stringify(text), () => {
      assert.throws(
        () => parseText(text),
        (e: unknown) => e instanceof Error && re.test(e.message),
      );
    });
  }

  it('refuses oversized files and deep nesting; mutations parse or throw an Error', () => {
    assert.throws(() => imp.parse('a.yaml', Buffer.alloc(2 << 20, 0x20)), /too large/);
    assert.throws(() => parseText(`reference: composer://a/b\nbranches: ${'{a: '.repeat(3000)}\n`), Error);
    const text = readFileSync(path.join(FIX, 'illuminate/auth/CVE-2017-9303.yaml'), 'utf8');
    fc.assert(
      fc.property(fc.nat(text.length), fc.nat(text.length), fc.string({ maxLength: 6 }), (a, b, ins) => {
        try {
          parseText(text.slice(0, Math.min(a, b)) + ins + text.slice(Math.max(a, b)));
        } catch (e) {
          assert.ok(e instanceof Error);
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});

describe('friendsofphp: detect', () => {
  it('is keyed on a composer:// reference (or branches + link) in a YAML file', () => {
    assert.ok(imp.detect('a/b/c.yaml', Buffer.from("title: t\nreference: 'composer://a/b'\n")));
    assert.ok(imp.detect('a/b/c.yaml', Buffer.from('title: t\nlink: x\nbranches:\n')));
    assert.ok(!imp.detect('a/b/c.json', Buffer.from('reference: composer://a/b\n')));
    assert.ok(!imp.detect('a/b/c.yaml', Buffer.from('gem: x\n')));
  });

  it('claims exactly the FriendsOfPHP files among all of ../shared/data', { skip: SKIP_SHARED }, () => {
    const expected = [
      ...filesUnder(DB)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => `packagist-friendsofphp/${f}`),
      'trivy-db-vulnsrc-testdata/vulnsrc/composer/testdata/happy/php-security-advisories/aws/aws-sdk-php/CVE-2015-5723.yaml',
      'trivy-db-vulnsrc-testdata/vulnsrc/composer/testdata/sad/php-security-advisories/aws/aws-sdk-php/CVE-2015-5723.yaml',
    ].sort();
    assert.equal(expected.length, 1592 + 2);
    assert.deepEqual(detectedInShared(imp), expected);
  });
});

describe('friendsofphp: the whole security-advisories snapshot', { skip: SKIP_SHARED }, () => {
  const files = SKIP_SHARED ? [] : filesUnder(DB).filter((f) => f.endsWith('.yaml'));

  it('parses every advisory; every branch is a Composer constraint that holds at its lower bound and not at its "<" bound', () => {
    const { value: all, ms } = timed(() => files.map((f) => one(imp, DB, f)));
    assert.equal(all.length, 1592);
    let checked = 0;
    for (const a of all) {
      for (const c of constraints(a)) {
        parseComposerConstraint(c);
        const m = /^>=([0-9][0-9.]*),<([0-9][0-9.]*)$/.exec(c);
        if (m) {
          assert.ok(composerSatisfies(m[1] as string, c), `${a.id} ${c}`);
          assert.ok(!composerSatisfies(m[2] as string, c), `${a.id} ${c}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 4000, `${checked}`);
    // one advisory per (id, package)
    assert.equal(new Set(all.map((a) => `${a.id} ${a.package}`)).size, all.length);
    console.log(`# friendsofphp: ${files.length} files, ${all.length} advisories in ${ms.toFixed(0)} ms`);
  });

  it('the package named in each reference is the folder the file lives in', () => {
    for (const f of files) {
      assert.equal(one(imp, DB, f).package, f.split('/').slice(0, 2).join('/').toLowerCase(), f);
    }
  });

  it("trivy-db's fixtures: aws/aws-sdk-php CVE-2015-5723 (happy), a tab-indented key (sad)", () => {
    const base = path.join(DATA, 'trivy-db-vulnsrc-testdata/vulnsrc/composer/testdata');
    const rel = 'aws/aws-sdk-php/CVE-2015-5723.yaml';
    const a = one(imp, path.join(base, 'happy/php-security-advisories'), rel);
    assert.equal(a.id, 'CVE-2015-5723');
    assert.equal(a.package, 'aws/aws-sdk-php');
    assert.deepEqual(constraints(a), ['>=3.0.0,<3.2.1']);
    assert.throws(
      () => parseFile(imp, path.join(base, 'sad/php-security-advisories'), rel),
      /tab in indentation/,
    );
  });

  it('agrees with Ruby (Psych) reading the same files', { skip: SKIP_RUBY }, () => {
    const facts = runJsonOracle(
      'ruby',
      [ORACLE],
      files.map((f) => ['friendsofphp', path.join(DB, f)]),
    ) as Record<string, unknown>[];
    files.forEach((f, i) => {
      const want = facts[i] as Record<string, unknown>;
      assert.equal(want.error, undefined, `${f}: ${want.error}`);
      const a = one(imp, DB, f);
      assert.deepEqual(
        {
          id: a.id,
          package: a.package,
          aliases: a.aliases ?? [],
          constraints: constraints(a),
          status: a.status,
          title: a.title,
          url: a.url,
        },
        want,
        f,
      );
    });
  });
});
