import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DEBIAN_RELEASES,
  debianNamespace,
  debianTrackerImporter as imp,
  topLevelMembers,
  trackerStatus,
  urgencySeverity,
} from '../../../src/vulndb/sources/debian-tracker.js';
import { SKIP_SHARED } from '../../helpers/env.js';
import {
  advisories,
  brief,
  DATA,
  detectedInShared,
  FIX,
  head,
  parseAt,
  parseText,
  vunnelSnapshots,
} from './os-feed-helpers.js';

const DIR = path.join(FIX, 'debian-tracker');
const VUNNEL = 'vunnel-provider-fixtures/debian/test-fixtures';

describe('debian-tracker: vunnel sample (input/debian.json, committed copy)', () => {
  const all = parseAt(imp, DIR, 'vunnel-debian.json');

  it('one record per CVE x package x release, facts read off the file', () => {
    // 4 releases x (CVE-2008-7220, CVE-2007-2383, CVE-2013-1444, CVE-2005-3111), 5 for chromium,
    // 4 for sope; chromium-browser has "releases": [] (no records)
    assert.equal(all.length, 25);
    const b = new Set(all.map(brief));
    for (const ns of ['9', '8', '10', 'unstable']) {
      assert.ok(b.has(`CVE-2008-7220 debian:${ns} prototypejs fixed 1.6.0.2-1 HIGH `)); // "high**"
      assert.ok(b.has(`CVE-2007-2383 debian:${ns} prototypejs not_affected - LOW `)); // "0", unimportant
      assert.ok(b.has(`CVE-2013-1444 debian:${ns} txt2man fixed 1.5.5-4.1 LOW `)); // "low**"
      assert.ok(b.has(`CVE-2005-3111 debian:${ns} backupninja fixed 0.8-2 MEDIUM `));
    }
    // open + urgency end-of-life
    assert.ok(b.has('CVE-2022-0456 debian:10 chromium end_of_life - UNKNOWN '));
    assert.ok(b.has('CVE-2022-0456 debian:9 chromium end_of_life - UNKNOWN '));
    assert.ok(b.has('CVE-2022-0456 debian:11 chromium fixed 98.0.4758.80-1~deb11u1 UNKNOWN '));
    assert.ok(b.has('CVE-2022-0456 debian:12 chromium fixed 98.0.4758.80-1 UNKNOWN '));
    assert.ok(b.has('CVE-2022-0456 debian:unstable chromium fixed 98.0.4758.80-1 UNKNOWN '));
    assert.ok(b.has('CVE-2025-53603 debian:13 sope fixed 5.12.1-2 UNKNOWN '));
    assert.ok(b.has('CVE-2025-53603 debian:12 sope fixed 5.8.0-1+deb12u1 UNKNOWN '));
    assert.ok(b.has('CVE-2025-53603 debian:11 sope fixed 5.0.1-2+deb11u1 UNKNOWN '));
    assert.ok(b.has('CVE-2025-53603 debian:unstable sope fixed 5.12.1-2 UNKNOWN '));
  });

  it('keeps the description, the Debian bug and the tracker page', () => {
    const a = all.find((x) => x.id === 'CVE-2013-1444' && x.namespace === 'debian:10');
    assert.equal(a?.source, 'debian-tracker');
    assert.ok(a?.description?.startsWith('A certain Debian patch for txt2man 1.5.5'));
    assert.deepEqual(a?.references, ['https://bugs.debian.org/724614']);
    assert.equal(a?.url, 'https://security-tracker.debian.org/tracker/CVE-2013-1444');
    const c = all.find((x) => x.id === 'CVE-2022-0456');
    assert.equal(c?.description, undefined);
    assert.equal(c?.references, undefined);
  });

  it('agrees with the vunnel snapshots made from the same input', { skip: SKIP_SHARED }, () => {
    const { fixedIn, vulns } = vunnelSnapshots(path.join(DATA, VUNNEL, 'snapshots'));
    // debian:7 and CVE-2012-0833 come from vunnel's legacy input, not from debian.json
    const inInput = new Set(all.map((a) => a.id));
    const mine = fixedIn.filter((f) => inInput.has(f.id));
    assert.equal(mine.length, all.length);
    const sev: Record<string, string> = {
      Negligible: 'LOW', // vunnel's name for "unimportant"; drydock folds it into LOW
      Low: 'LOW',
      Medium: 'MEDIUM',
      High: 'HIGH',
      Unknown: 'UNKNOWN',
    };
    for (const f of mine) {
      const a = all.find((x) => x.id === f.id && x.namespace === f.namespace && x.package === f.name);
      assert.ok(a, `${f.id} ${f.namespace} ${f.name}`);
      if (f.version === 'None')
        assert.equal(a.status, 'end_of_life'); // vunnel: open, no fix
      else if (f.version === '0') assert.equal(a.status, 'not_affected');
      else assert.equal(a.fixed, f.version);
      assert.equal(a.severity, sev[f.severity]);
    }
    assert.ok(vulns.length > mine.length);
  });
});

describe('debian-tracker: statuses (hand-written in the dump shape)', () => {
  it('maps status, nodsa, nodsa_reason and urgency as documented', () => {
    const all = parseAt(imp, DIR, 'statuses.json');
    assert.deepEqual(all.map(brief).sort(), [
      'CVE-2024-0001 debian:10 openssl end_of_life - UNKNOWN ',
      'CVE-2024-0001 debian:11 openssl under_investigation - UNKNOWN ',
      'CVE-2024-0001 debian:12 openssl will_not_fix - LOW ', // nodsa_reason "ignored", unimportant
      'CVE-2024-0001 debian:13 openssl affected - MEDIUM ', // "medium**"
      'CVE-2024-0001 debian:14 openssl not_affected - LOW ',
      'CVE-2024-4741 debian:11 openssl will_not_fix - UNKNOWN ', // nodsa, nodsa_reason ""
      'CVE-2024-4741 debian:12 openssl fixed 3.0.14-1~deb12u1 UNKNOWN ',
      'CVE-2024-4741 debian:13 openssl fix_deferred - LOW ', // postponed
      'CVE-2024-4741 debian:unstable openssl fixed 3.2.2-1 LOW ',
      'TEMP-0000000-1A2B3C debian:6 linux not_affected - HIGH ', // resolved, no fixed_version
      'TEMP-0000000-1A2B3C debian:unstable linux affected - HIGH ',
    ]);
  });
});

describe('debian-tracker: mapping helpers', () => {
  it('codenames to namespaces', () => {
    assert.equal(debianNamespace('woody'), 'debian:3.0');
    assert.equal(debianNamespace('sarge'), 'debian:3.1');
    assert.equal(debianNamespace('etch'), 'debian:4');
    assert.equal(debianNamespace('bookworm'), 'debian:12');
    assert.equal(debianNamespace('trixie'), 'debian:13');
    assert.equal(debianNamespace('forky'), 'debian:14');
    assert.equal(debianNamespace('sid'), 'debian:unstable');
    assert.equal(debianNamespace('someday'), 'debian:someday');
    assert.throws(() => debianNamespace('Bad Name'), /bad release name/);
    assert.throws(() => debianNamespace('__proto__'), /bad release name/);
    assert.equal(debianNamespace('constructor'), 'debian:constructor');
    // every release from etch on is its major number, in order
    const majors = Object.values(DEBIAN_RELEASES).filter((v) => !v.includes('.'));
    assert.deepEqual(
      majors.map(Number),
      majors.map((_, k) => k + 4),
    );
  });

  it('urgencies to severities', () => {
    const cases: [unknown, string][] = [
      ['unimportant', 'LOW'],
      ['low', 'LOW'],
      ['low**', 'LOW'],
      ['medium', 'MEDIUM'],
      ['medium*', 'MEDIUM'],
      ['high', 'HIGH'],
      ['high**', 'HIGH'],
      ['not yet assigned', 'UNKNOWN'],
      ['end-of-life', 'UNKNOWN'],
      ['', 'UNKNOWN'],
      [undefined, 'UNKNOWN'],
      [3, 'UNKNOWN'],
      [`${'*'.repeat(100000)}x`, 'UNKNOWN'],
    ];
    for (const [u, s] of cases) assert.equal(urgencySeverity(u), s, String(u).slice(0, 20));
  });

  it('statuses', () => {
    assert.deepEqual(trackerStatus({ status: 'resolved', fixed_version: '1.2-3' }), {
      status: 'fixed',
      fixed: '1.2-3',
    });
    assert.deepEqual(trackerStatus({ status: 'resolved', fixed_version: '0' }), { status: 'not_affected' });
    assert.deepEqual(trackerStatus({ status: 'open', urgency: 'end-of-life', nodsa: 'x' }), {
      status: 'end_of_life',
    });
    assert.deepEqual(trackerStatus({ status: 'open', nodsa: '' }), { status: 'will_not_fix' });
    assert.deepEqual(trackerStatus({ status: 'open', nodsa_reason: '' }), { status: 'will_not_fix' });
    assert.deepEqual(trackerStatus({ status: 'open', nodsa: 'x', nodsa_reason: 'postponed' }), {
      status: 'fix_deferred',
    });
    assert.deepEqual(trackerStatus({ status: 'open' }), { status: 'affected' });
    assert.deepEqual(trackerStatus({ status: 'undetermined' }), { status: 'under_investigation' });
    assert.throws(() => trackerStatus({ status: 'fixed' }), /unknown status "fixed"/);
    assert.throws(() => trackerStatus({}), /unknown status/);
    assert.throws(() => trackerStatus({ status: 'resolved', fixed_version: 1 }), /not a string/);
  });
});

describe('debian-tracker: detect', () => {
  it('accepts the dump, refuses look-alikes', () => {
    assert.ok(imp.detect('debian.json', head(path.join(DIR, 'vunnel-debian.json'))));
    assert.ok(imp.detect('x', Buffer.from('\ufeff{"0ad":{"TEMP-0000000-ABCDEF":{"releases":{}}}}')));
    // Echo's feed: same outer shape, no releases
    assert.ok(!imp.detect('x', Buffer.from('{"nginx":{"CVE-2021-3618":{"fixed_version":"1.21.0"}}}')));
    assert.ok(!imp.detect('x', Buffer.from('[{"Vulnerability":{}}]')));
    assert.ok(!imp.detect('x', Buffer.from('{}')));
    assert.ok(!imp.detect('x', Buffer.from('[29 Mar 2023] DSA-5380-1 xorg-server - security update\n')));
    assert.ok(!imp.detect('x', Buffer.alloc(0)));
  });

  it('in ../shared/data, only the tracker dump', { skip: SKIP_SHARED }, () => {
    assert.deepEqual(detectedInShared(imp), [`${VUNNEL}/input/debian.json`]);
  });
});

describe('debian-tracker: the member scanner agrees with JSON.parse', () => {
  it('on arbitrary objects of objects (escapes, braces in strings, unicode, whitespace)', () => {
    const value = fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 4 });
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), value, { maxKeys: 6 }),
        fc.boolean(),
        (obj, pretty) => {
          const text = JSON.stringify(obj, null, pretty ? 2 : undefined);
          const got = [...topLevelMembers(Buffer.from(text))];
          // JSON.parse keeps the last of duplicate keys; JSON.stringify never writes duplicates
          assert.deepEqual(got, Object.entries(JSON.parse(text)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws or agrees on every truncation and single-byte corruption of the sample', () => {
    const buf = readFileSync(path.join(DIR, 'vunnel-debian.json'));
    for (let n = 0; n < buf.length - 1; n++) {
      // the file ends with "}\n": every shorter prefix is cut JSON
      assert.throws(() => [...topLevelMembers(buf.subarray(0, n))], Error, `prefix ${n}`);
    }
    fc.assert(
      fc.property(fc.nat(buf.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const b = Buffer.from(buf);
        b[at] = byte;
        let expected: [string, unknown][] | undefined;
        try {
          expected = Object.entries(JSON.parse(b.toString()));
        } catch {
          expected = undefined;
        }
        let got: [string, unknown][] | undefined;
        try {
          got = [...topLevelMembers(b)];
        } catch {
          got = undefined;
        }
        if (got) {
          assert.ok(expected, 'the scanner accepted what JSON.parse refuses');
          // a corrupted key may now repeat another: JSON.parse keeps the last one only
          if (new Set(got.map(([k]) => k)).size === got.length) assert.deepEqual(got, expected);
        } else if (expected) {
          // the scanner refuses more only when a member's value is no longer an object
          assert.ok(expected.some(([, v]) => typeof v !== 'object' || v === null || Array.isArray(v)));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('debian-tracker: bad input', () => {
  const bad: [string, string | Buffer, RegExp][] = [
    ['empty', '', /not a JSON object/],
    ['an array', '[]', /not a JSON object/],
    ['a string', '"x"', /not a JSON object/],
    ['binary', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]), /not a JSON object/],
    ['truncated', '{"openssl":{"CVE-2024-1":{"releases":{"sid":{"status":"open"', /truncated JSON/],
    ['unterminated key', '{"openssl', /truncated JSON/],
    ['no colon', '{"openssl" {}}', /expected ":"/],
    ['package not an object', '{"openssl":[1]}', /package "openssl": not an object/],
    ['package is a string', '{"openssl":"x"}', /not an object/],
    ['text after the object', '{"a":{}} x', /text after the object/],
    ['two objects', '{"a":{}}{"b":{}}', /text after the object/],
    ['missing comma', '{"a":{} "b":{}}', /expected "," or "}"/],
    ['trailing comma', '{"a":{},}', /expected a key/],
    ['invalid JSON inside a package', '{"a":{"CVE-1-1":{releases:{}}}}', /package "a": invalid JSON/],
    ['control character in a key', '{"a\u0001b":{}}', /control character/],
    ['bad package name', '{"a b":{}}', /bad package name/],
    ['bad issue id', '{"a":{"not an id":{"releases":{}}}}', /bad issue id/],
    ['issue not an object', '{"a":{"CVE-2020-1":[]}}', /not an object/],
    ['releases a non-empty array', '{"a":{"CVE-2020-1":{"releases":[{}]}}}', /releases is not an object/],
    ['release not an object', '{"a":{"CVE-2020-1":{"releases":{"sid":"open"}}}}', /not an object/],
    [
      'unknown status',
      '{"a":{"CVE-2020-1":{"releases":{"sid":{"status":"wat"}}}}}',
      /CVE-2020-1 in a\/sid: unknown status/,
    ],
    ['bad codename', '{"a":{"CVE-2020-1":{"releases":{"Sid 2":{"status":"open"}}}}}', /bad release name/],
  ];
  for (const [name, text, re] of bad) {
    it(name, () => {
      assert.throws(() => parseText(imp, text), re);
    });
  }

  it('deep nesting inside a package stops at the cap, without recursion', () => {
    const deep = `{"a":{"CVE-2020-1":${'['.repeat(1_000_000)}`;
    assert.throws(() => parseText(imp, deep), /nested deeper than 32/);
  });

  it('a huge string is scanned linearly', () => {
    const big = `{"a":{"CVE-2020-1":{"description":"${'x'.repeat(20_000_000)}","releases":{"sid":{"status":"open"}}}}}`;
    const t0 = performance.now();
    const [a] = parseText(imp, big);
    assert.equal(a?.description?.length, 20_000_000);
    assert.ok(performance.now() - t0 < 5000);
  });

  it('streams: records of earlier packages come out before a later package fails', () => {
    const text =
      '{"a":{"CVE-2020-1":{"releases":{"sid":{"status":"open"}}}},"b":{"CVE-2020-2":{"releases":[1]}}}';
    const it = imp.parse('x', Buffer.from(text))[Symbol.iterator]();
    const first = it.next();
    assert.equal(first.done, false);
    assert.throws(() => it.next(), /releases is not an object/);
  });
});

describe('debian-tracker: a large synthetic dump', () => {
  it('parses 40k issues x 5 releases linearly', () => {
    const rel = {
      status: 'resolved',
      repositories: { bookworm: '1.2.3-4' },
      fixed_version: '1.2.3-4+deb12u1',
      urgency: 'high**',
    };
    const parts: string[] = [];
    let n = 0;
    for (let p = 0; p < 2000; p++) {
      const issues: Record<string, unknown> = {};
      for (let k = 0; k < 20; k++)
        issues[`CVE-2024-${10000 + n++}`] = {
          description: 'x'.repeat(150),
          releases: { bullseye: rel, bookworm: rel, trixie: rel, forky: rel, sid: rel },
        };
      parts.push(`${JSON.stringify(`pkg${p}`)}:${JSON.stringify(issues)}`);
    }
    const buf = Buffer.from(`{${parts.join(',')}}`);
    const t0 = performance.now();
    let count = 0;
    for (const _ of imp.parse('x', buf)) count++;
    const ms = performance.now() - t0;
    assert.equal(count, 200_000);
    assert.ok(ms < 10_000, `${ms} ms`);
  });
});

describe('debian-tracker: real files in ../shared/data', { skip: SKIP_SHARED }, () => {
  it('every tracker dump there parses', () => {
    for (const rel of detectedInShared(imp)) {
      const t0 = performance.now();
      const n = advisories(imp.parse(rel, readFileSync(path.join(DATA, rel)))).length;
      assert.ok(n > 0);
      assert.ok(performance.now() - t0 < 1000);
    }
  });
});
