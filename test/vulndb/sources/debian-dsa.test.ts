import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  debianDsaImporter as imp,
  parseEntryLine,
  parseListDate,
} from '../../../src/vulndb/sources/debian-dsa.js';
import { debianTrackerImporter } from '../../../src/vulndb/sources/debian-tracker.js';
import type { Advisory } from '../../../src/vulndb/types.js';
import { SKIP_SHARED } from '../../helpers/env.js';
import {
  brief,
  DATA,
  detectedInShared,
  FIX,
  head,
  parseAt,
  parseText,
  vunnelSnapshots,
} from './os-feed-helpers.js';

const DIR = path.join(FIX, 'debian-dsa');
const LISTS = 'debian-security-tracker-lists/data';
const VUNNEL = 'vunnel-provider-fixtures/debian/test-fixtures';

function find(all: Advisory[], id: string, namespace: string, pkg: string): Advisory {
  const a = all.find((x) => x.id === id && x.namespace === namespace && x.package === pkg);
  assert.ok(a, `${id} ${namespace} ${pkg}`);
  return a;
}

describe('debian-dsa: vunnel sample (input/DSA, committed copy)', () => {
  const all = parseAt(imp, DIR, 'vunnel-DSA');

  it('records read off the file', () => {
    assert.deepEqual(all.map(brief), [
      'CVE-2002-1425 debian:3.0 mpack fixed 1.5-7woody2 - DSA-141',
      'CVE-2002-0660 debian:3.0 libpng fixed 1.0.12-3.woody.2 - DSA-140',
      'CVE-2002-0728 debian:3.0 libpng fixed 1.0.12-3.woody.2 - DSA-140',
      'CVE-2002-0660 debian:3.0 libpng3 fixed 1.2.1-1.1.woody.2 - DSA-140',
      'CVE-2002-0728 debian:3.0 libpng3 fixed 1.2.1-1.1.woody.2 - DSA-140',
      'CVE-2002-0817 debian:3.0 super fixed 3.16.1-1.2 - DSA-139',
      'CVE-2002-1412 debian:3.0 gallery fixed 1.2.5-7 - DSA-138',
      // no CVE list: the advisory's own id (DSA-2819-1 and DSA-3281-1 name no package)
      'DSA-2808-2 debian:6 openjpeg fixed 1.3+dfsg-4+squeeze3 - ',
      'DSA-2808-2 debian:7 openjpeg fixed 1.3+dfsg-4.8 - ',
      'DSA-4323-1 debian:9 drupal7 fixed 7.52-2+deb9u5 - ',
      'CVE-2025-53603 debian:12 sope fixed 5.8.0-1+deb12u1 - DSA-5970-1',
    ]);
    const s = find(all, 'CVE-2025-53603', 'debian:12', 'sope');
    assert.equal(s.source, 'debian-dsa');
    assert.equal(s.published, '2025-07-31');
    assert.equal(s.title, 'sope - security update');
    assert.equal(s.url, 'https://security-tracker.debian.org/tracker/DSA-5970-1');
    assert.equal(s.severity, undefined);
  });

  it('agrees with the vendor advisory vunnel attached from the same input', { skip: SKIP_SHARED }, () => {
    const { fixedIn } = vunnelSnapshots(path.join(DATA, VUNNEL, 'snapshots'));
    const withDsa = fixedIn.filter((f) => f.advisories.length);
    assert.equal(withDsa.length, 1);
    for (const f of withDsa) {
      const a = find(all, f.id, f.namespace, f.name);
      assert.equal(a.fixed, f.version);
      assert.deepEqual(a.aliases, f.advisories);
    }
  });
});

describe('debian-dsa: shapes of the real lists (hand-written)', () => {
  const all = parseAt(imp, DIR, 'shapes.list');

  it('one record per CVE x package x release; merges keep the lowest fix and every advisory id', () => {
    assert.deepEqual(all.map(brief).sort(), [
      'CVE-2002-1425 debian:3.0 mpack fixed 1.5-7woody2 - DSA-141',
      'CVE-2005-2626 debian:4 kismet fixed 2005.08.R1-0.1etch1 HIGH DTSA-1-1',
      'CVE-2005-2627 debian:4 kismet fixed 2005.08.R1-0.1etch1 HIGH DTSA-1-1',
      'CVE-2005-3150 debian:3.0 weex affected - HIGH DSA-855-1', // <unfixed> (high)
      'CVE-2005-3150 debian:3.1 weex fixed 2.6.1-6sarge1 MEDIUM DSA-855-1', // (bug #332424; medium)
      'CVE-2007-4619 debian:3.1 flac not_affected - - DSA-8999-1',
      'CVE-2007-4619 debian:4 flac fixed 1.1.2-8 - DSA-8999-1',
      'CVE-2023-0001 debian:11 demo fixed 0.9-1+deb11u2 - DSA-9001-1', // CVE list after the packages
      'CVE-2023-0001 debian:11 demo-extra fixed 2:0.1-1+deb11u1 - DSA-9001-1',
      'CVE-2023-0002 debian:11 demo fixed 0.9-1+deb11u1 - DSA-9002-1+DSA-9001-1',
      'CVE-2023-0002 debian:11 demo-extra fixed 2:0.1-1+deb11u1 - DSA-9001-1',
      'CVE-2023-0002 debian:12 demo fixed 1.0-1+deb12u1 - DSA-9002-1',
      'CVE-2023-0003 debian:11 demo fixed 0.9-1+deb11u1 - DSA-9002-1',
      'CVE-2023-0003 debian:12 demo fixed 1.0-1+deb12u1 - DSA-9002-1',
      'DSA-9000-1 debian:8 oldthing end_of_life - - ',
      'DSA-9001-2 debian:11 demo fixed 0.9-1+deb11u3 - ',
    ]);
  });

  it('dates, titles and pages', () => {
    const m = find(all, 'CVE-2023-0002', 'debian:11', 'demo');
    assert.equal(m.published, '2023-04-02'); // from the advisory whose fix was kept
    assert.equal(m.url, 'https://security-tracker.debian.org/tracker/DSA-9002-1');
    assert.equal(find(all, 'CVE-2005-2626', 'debian:4', 'kismet').published, '2005-08-26');
    assert.equal(find(all, 'CVE-2007-4619', 'debian:4', 'flac').title, 'flac');
    assert.equal(find(all, 'DSA-9001-2', 'debian:11', 'demo').title, 'demo - regression update');
  });

  it('CRLF line ends read the same', () => {
    const text = readFileSync(path.join(DIR, 'shapes.list'), 'utf8').replaceAll('\n', '\r\n');
    assert.deepEqual(parseText(imp, text), all);
  });
});

describe('debian-dsa: helpers', () => {
  it('dates', () => {
    assert.equal(parseListDate('29 Mar 2023'), '2023-03-29');
    assert.equal(parseListDate('01 Aug 2002'), '2002-08-01');
    assert.equal(parseListDate('August 26th, 2005'), '2005-08-26');
    assert.equal(parseListDate('May 2nd, 2006'), '2006-05-02');
    assert.equal(parseListDate('September 1st, 2005'), '2005-09-01');
    assert.equal(parseListDate('32 Mar 2023'), undefined);
    assert.equal(parseListDate('29 Foo 2023'), undefined);
    assert.equal(parseListDate('yesterday'), undefined);
  });

  it('package lines', () => {
    assert.deepEqual(parseEntryLine('[bullseye] - xorg-server 2:1.20.11-1+deb11u6'), {
      release: 'bullseye',
      package: 'xorg-server',
      status: 'fixed',
      fixed: '2:1.20.11-1+deb11u6',
    });
    assert.deepEqual(parseEntryLine('[sarge] - weex 2.6.1-6sarge1 (medium; bug #327452)'), {
      release: 'sarge',
      package: 'weex',
      status: 'fixed',
      fixed: '2.6.1-6sarge1',
      severity: 'MEDIUM',
    });
    assert.deepEqual(parseEntryLine('[woody] - xpdf <not-affected> (xpdf-i is only a dummy package)'), {
      release: 'woody',
      package: 'xpdf',
      status: 'not_affected',
    });
    assert.equal(parseEntryLine('[trixie] - foo <postponed> (Minor issue)').status, 'fix_deferred');
    assert.equal(parseEntryLine('[trixie] - foo <no-dsa> (Minor issue)').status, 'will_not_fix');
    assert.throws(() => parseEntryLine('[trixie] - foo <wat>'), /unknown tag <wat>/);
    assert.throws(() => parseEntryLine('[trixie] - foo'), /expected one version/);
    assert.throws(() => parseEntryLine('[trixie] - foo 1.0 2.0'), /expected one version/);
    assert.throws(() => parseEntryLine('[trixie] - foo 1.0 (medium'), /unterminated note/);
    assert.throws(() => parseEntryLine('[trixie] foo 1.0'), /bad package line/);
    assert.throws(() => parseEntryLine('[trixie] - f$o 1.0'), /bad package name/);
  });
});

describe('debian-dsa: detect', () => {
  it('accepts the lists, refuses other text', () => {
    assert.ok(imp.detect('DSA', head(path.join(DIR, 'vunnel-DSA'))));
    assert.ok(imp.detect('list', head(path.join(DIR, 'shapes.list'))));
    assert.ok(
      !imp.detect(
        'list',
        Buffer.from('CVE-2023-1393 (A use-after-free flaw ...)\n\t- xorg-server 2:21.1.7-3\n'),
      ),
    );
    assert.ok(!imp.detect('list', Buffer.from('{"a":1}')));
    assert.ok(!imp.detect('list', Buffer.from('[29 Mar 2023] USN-1-1 foo\n')));
    assert.ok(!debianTrackerImporter.detect('DSA', head(path.join(DIR, 'vunnel-DSA'))));
  });

  it('in ../shared/data, exactly the DSA, DLA and DTSA lists', { skip: SKIP_SHARED }, () => {
    assert.deepEqual(detectedInShared(imp), [
      `${LISTS}/DLA/list`,
      `${LISTS}/DSA/list`,
      `${LISTS}/DTSA/list`,
      `${VUNNEL}/input/DSA`,
    ]);
  });
});

/**
 * An independent, naive reading of a list: the distinct (CVE or advisory id, package, release) keys,
 * counting each advisory's CVE list wherever it appears within the advisory.
 */
function naiveKeys(text: string): Set<string> {
  const keys = new Set<string>();
  const blocks = text.split(/\n(?=\[)/);
  for (const block of blocks) {
    const lines = block.split('\n');
    const id = (lines[0] as string).split('] ')[1]?.split(' ')[0] as string;
    const cves = lines
      .filter((l) => l.trim().startsWith('{'))
      .flatMap((l) => l.trim().slice(1, -1).trim().split(/\s+/))
      .filter((t) => t.startsWith('CVE-'));
    for (const l of lines.slice(1)) {
      const t = l.trim();
      if (!t.startsWith('[')) continue;
      const rel = t.slice(1, t.indexOf(']'));
      const pkg = t.split(' - ')[1]?.trim().split(/\s+/)[0] as string;
      for (const c of cves.length ? cves : [id]) keys.add(`${c} ${pkg} ${rel}`);
    }
  }
  return keys;
}

describe('debian-dsa: the real lists in ../shared/data', { skip: SKIP_SHARED }, () => {
  const read = (rel: string) => {
    const buf = readFileSync(path.join(DATA, LISTS, rel));
    const t0 = performance.now();
    const all = parseText(imp, buf, rel);
    return { all, ms: performance.now() - t0, text: buf.toString('utf8') };
  };
  const names: Record<string, string> = {
    woody: '3.0',
    sarge: '3.1',
    etch: '4',
    lenny: '5',
    squeeze: '6',
    wheezy: '7',
    jessie: '8',
    stretch: '9',
    buster: '10',
    bullseye: '11',
  };

  for (const rel of ['DSA/list', 'DLA/list', 'DTSA/list']) {
    it(`${rel}: the same keys as a naive reading, in linear time`, () => {
      const { all, ms, text } = read(rel);
      const expected = [...naiveKeys(text)].map((k) => {
        const [id, pkg, r] = k.split(' ') as [string, string, string];
        return `${id} ${pkg} debian:${names[r]}`;
      });
      assert.deepEqual(all.map((a) => `${a.id} ${a.package} ${a.namespace}`).sort(), expected.sort());
      assert.ok(ms < 2000, `${ms} ms`);
      for (const a of all) assert.ok(a.published, `${a.id} has a date`);
    });
  }

  it('DSA/list: facts read off the file', () => {
    const { all } = read('DSA/list');
    assert.equal(all.length, 23224);
    // [29 Mar 2023] DSA-5380-1 xorg-server: the newest entry
    const x = find(all, 'CVE-2023-1393', 'debian:11', 'xorg-server');
    assert.equal(x.fixed, '2:1.20.11-1+deb11u6');
    assert.equal(x.published, '2023-03-29');
    assert.deepEqual(x.aliases, ['DSA-5380-1']);
    // DSA-4509-1 (2.4.25-3+deb9u8) and DSA-4509-3 (2.4.25-3+deb9u9) both list CVE-2019-10092
    const ap = find(all, 'CVE-2019-10092', 'debian:9', 'apache2');
    assert.equal(ap.fixed, '2.4.25-3+deb9u8');
    assert.deepEqual(ap.aliases, ['DSA-4509-3', 'DSA-4509-1']);
    assert.equal(ap.published, '2019-08-26');
    assert.equal(find(all, 'CVE-2019-10092', 'debian:10', 'apache2').fixed, '2.4.38-3+deb10u1');
    // DSA-2461-1 lists its CVEs after the package line
    assert.equal(find(all, 'CVE-2012-4331', 'debian:6', 'spip').fixed, '2.1.1-3squeeze3');
    // tags
    assert.equal(find(all, 'DSA-3699-1', 'debian:8', 'virtualbox').status, 'end_of_life');
    assert.equal(find(all, 'CVE-2005-3787', 'debian:3.0', 'phpmyadmin').status, 'affected');
    assert.equal(find(all, 'CVE-2005-3787', 'debian:3.1', 'phpmyadmin').fixed, '4:2.6.2-3sarge1');
    const pg = find(all, 'CVE-2005-1921', 'debian:3.0', 'phpgroupware');
    assert.equal(pg.status, 'affected');
    assert.equal(pg.severity, 'HIGH');
    assert.equal(find(all, 'CVE-2011-1684', 'debian:5', 'vlc').status, 'not_affected');
    assert.equal(find(all, 'CVE-2005-3150', 'debian:3.1', 'weex').severity, 'MEDIUM');
  });

  it('DLA/list and DTSA/list: facts read off the files', () => {
    const dla = read('DLA/list').all;
    assert.equal(find(dla, 'CVE-2023-26604', 'debian:10', 'systemd').fixed, '241-7~deb10u9');
    assert.equal(find(dla, 'DLA-372-1', 'debian:6', 'virtualbox-ose').status, 'end_of_life');
    const dtsa = read('DTSA/list').all;
    const k = find(dtsa, 'CVE-2005-2627', 'debian:4', 'kismet');
    assert.equal(k.fixed, '2005.08.R1-0.1etch1');
    assert.equal(k.severity, 'HIGH');
    assert.equal(k.published, '2005-08-26');
  });
});

describe('debian-dsa: bad input', () => {
  const bad: [string, string | Buffer, RegExp][] = [
    ['binary', Buffer.from([0x1f, 0x8b, 8, 0, 0]), /binary data/],
    ['indented line first', '\t[bullseye] - foo 1.0\n', /line 1: indented line before the first advisory/],
    ['text at column 0', '[01 Jan 2020] DSA-1-1 foo\nfoo\n', /line 2: unexpected text/],
    ['bad advisory id', '[01 Jan 2020] USN-1-1 foo\n', /line 1: bad advisory id "USN-1-1"/],
    ['header without "]"', '[01 Jan 2020 DSA-1-1 foo\n', /line 1: bad header/],
    ['unterminated CVE list', '[01 Jan 2020] DSA-1-1 foo\n\t{CVE-2020-1\n', /line 2: unterminated/],
    ['unknown tag', '[01 Jan 2020] DSA-1-1 foo\n\t[sid] - foo <maybe>\n', /line 2: unknown tag <maybe>/],
    ['bad release', '[01 Jan 2020] DSA-1-1 foo\n\t[Sid] - foo 1.0\n', /line 2: bad package line/],
    ['stray text', '[01 Jan 2020] DSA-1-1 foo\n\tsomething\n', /line 2: unexpected text/],
    ['a long line', `[01 Jan 2020] DSA-1-1 foo\n\t{${'CVE-2020-1 '.repeat(10000)}}\n`, /longer than/],
  ];
  for (const [name, text, re] of bad) {
    it(name, () => {
      assert.throws(() => parseText(imp, text), re);
    });
  }

  it('never hangs and throws only Errors on random text in the list alphabet', () => {
    const alphabet = fc.constantFrom(
      '[',
      ']',
      ' ',
      '\t',
      '\n',
      '{',
      '}',
      '<',
      '>',
      '(',
      ')',
      '-',
      'DSA-1-1',
      'CVE-2020-1',
      'sid',
      'x',
      '1.0',
      ';',
      'NOTE:',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 200 }), (parts) => {
        try {
          parseText(imp, parts.join(''));
        } catch (e) {
          assert.ok(e instanceof Error);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a large list is linear', () => {
    const block =
      '[01 Jan 2020] DSA-1-1 foo - security update\n\t{CVE-2020-1001 CVE-2020-1002}\n\t[bullseye] - foo 1.0-1+deb11u1\n';
    const text = Array.from({ length: 50000 }, (_, k) =>
      block.replace('DSA-1-1', `DSA-${k}-1`).replace('foo', `p${k}`).replace('foo', `p${k}`),
    ).join('');
    const t0 = performance.now();
    assert.equal(parseText(imp, text).length, 100000);
    assert.ok(performance.now() - t0 < 5000);
  });
});
