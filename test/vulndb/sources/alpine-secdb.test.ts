import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { apkScheme } from '../../../src/version/apk.js';
import {
  alpineSecdbImporter as imp,
  parseSecfixEntry,
  secdbNamespace,
} from '../../../src/vulndb/sources/alpine-secdb.js';
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

const DIR = path.join(FIX, 'alpine-secdb');
const VUNNEL = path.join(DATA, 'vunnel-provider-fixtures');
const TRIVY = 'trivy-db-vulnsrc-testdata/vulnsrc';

describe('alpine-secdb: vunnel and trivy samples (committed copies)', () => {
  it('Alpine v3.15 main.yaml: facts read off the file', () => {
    const all = parseAt(imp, DIR, 'vunnel-v3.15-main.yaml');
    assert.deepEqual(all.map(brief), [
      'CVE-2022-1271 alpine:3.15 xz fixed 5.2.5-r1 - ',
      'CVE-2019-6250 alpine:3.15 zeromq fixed 4.3.1-r0 - ',
      'CVE-2019-13132 alpine:3.15 zeromq fixed 4.3.2-r0 - ',
      'CVE-2020-15166 alpine:3.15 zeromq fixed 4.3.3-r0 - ',
      'CVE-2018-25032 alpine:3.15 zlib fixed 1.2.12-r0 - ',
      'CVE-2022-37434 alpine:3.15 zlib fixed 1.2.12-r2 - ',
      'CVE-2018-1083 alpine:3.15 zsh fixed 5.4.2-r1 - ',
      'CVE-2018-1071 alpine:3.15 zsh fixed 5.4.2-r1 - ',
      'CVE-2019-20044 alpine:3.15 zsh fixed 5.8-r0 - ',
      'CVE-2021-45444 alpine:3.15 zsh fixed 5.8.1-r0 - ',
      'CVE-2019-11922 alpine:3.15 zstd fixed 1.3.8-r0 - ',
      'CVE-2021-24031 alpine:3.15 zstd fixed 1.4.1-r0 - ',
      'CVE-2021-24032 alpine:3.15 zstd fixed 1.4.9-r0 - ',
    ]);
    assert.equal(all[0]?.source, 'alpine-secdb');
    assert.equal(all[0]?.url, 'https://security.alpinelinux.org/vuln/CVE-2022-1271');
    assert.equal(all[0]?.severity, undefined);
  });

  it('Wolfi security.json: "0" is not affected; a GHSA-only entry keeps its id', () => {
    const all = parseAt(imp, DIR, 'vunnel-wolfi-security.json');
    const b = new Set(all.map(brief));
    assert.ok(b.has('CVE-2016-2781 wolfi coreutils not_affected - - '));
    assert.ok(b.has('GHSA-jq35-85cj-fj4p wolfi apko not_affected - - '));
    assert.ok(b.has('CVE-2022-38126 wolfi binutils fixed 2.39-r1 - '));
    assert.equal(
      all.find((a) => a.id === 'CVE-2016-2781')?.url,
      'https://images.chainguard.dev/security/CVE-2016-2781',
    );
  });

  it("Trivy's vuln-list file (one package, metadata beside it): ids with aliases and notes", () => {
    const all = parseAt(imp, DIR, 'trivy-vuln-list-ansible.json');
    assert.deepEqual(all.map(brief), [
      'CVE-2019-14904 alpine:3.12 ansible fixed 2.9.3-r0 - ',
      'CVE-2019-14905 alpine:3.12 ansible fixed 2.9.3-r0 - ',
      'CVE-2024-22195 alpine:3.12 ansible fixed 2.9.3-r0 - GHSA-h5c8-rqwp-cp95',
      'CVE-2017-2616 alpine:3.12 ansible fixed 2.9.3-r0 - ', // "(+ regression fix)"
      'GHSA-f7r5-w49x-gxm3 alpine:3.12 ansible fixed 2.9.3-r0 - ',
      'GHSA-h6cc-rc6q-23j4 alpine:3.12 ansible fixed 2.9.3-r0 - ',
      'CVE-2020-1737 alpine:3.12 ansible fixed 2.9.6-r0 - ',
    ]);
  });

  it('SecureOS secdb.json: "None" means no fix yet; the lowest of several fixes is kept', () => {
    const all = parseAt(imp, DIR, 'vunnel-secureos-secdb.json');
    const b = new Set(all.map(brief));
    assert.ok(b.has('CVE-2022-4203 secureos rqlite-9.3-client affected - - '));
    assert.ok(b.has('CVE-2022-3996 secureos rqlite-9.3-client not_affected - - '));
    // listed under 9.3.0-r1, 9.3.1-r1 and 9.3.2-r2
    assert.ok(b.has('CVE-2025-47914 secureos rqlite-9.3-client fixed 9.3.0-r1 - '));
    assert.ok(b.has('CVE-2023-45853 secureos zlib fixed 1.3.1 - '));
    assert.equal(all[0]?.url, undefined);
  });

  // vunnel's namespaces are "<distro>:rolling" for the rolling distributions
  const cases: [string, string, string, (ns: string) => string][] = [
    ['alpine', 'vunnel-v3.15-main.yaml', 'alpine/test-fixtures/snapshots', (ns) => ns],
    ['wolfi', 'vunnel-wolfi-security.json', 'wolfi/test-fixtures/snapshots', (ns) => `${ns}:rolling`],
    [
      'chainguard',
      'vunnel-chainguard-security.json',
      'chainguard/test-fixtures/snapshots/secdb',
      (ns) => `${ns}:rolling`,
    ],
    ['secureos', 'vunnel-secureos-secdb.json', 'secureos/test-fixtures/snapshots', (ns) => `${ns}:rolling`],
  ];
  for (const [name, file, snaps, vns] of cases) {
    it(`${name}: agrees with vunnel's snapshots of the same input`, { skip: SKIP_SHARED }, () => {
      let all = parseAt(imp, DIR, file);
      if (name === 'alpine') all = all.concat(parseAt(imp, DIR, 'vunnel-v3.15-community.yaml'));
      const { fixedIn } = vunnelSnapshots(path.join(VUNNEL, snaps));
      // vunnel keeps every listed version; drydock keeps the lowest fix per id and package
      const byKey = new Map<string, string[]>();
      for (const f of fixedIn) {
        const k = `${f.id} ${f.namespace} ${f.name}`;
        byKey.set(k, [...(byKey.get(k) ?? []), f.version]);
      }
      assert.equal(byKey.size, all.length);
      for (const a of all) {
        const versions = byKey.get(`${a.id} ${vns(a.namespace)} ${a.package}`);
        assert.ok(versions, brief(a));
        const real = versions.filter((v) => v !== '0' && v !== 'None');
        if (real.length) {
          const lowest = real.reduce((x, y) =>
            apkScheme.valid(x) && apkScheme.valid(y) && apkScheme.compare(y, x) < 0 ? y : x,
          );
          assert.equal(a.fixed, lowest, brief(a));
        } else if (versions.includes('None')) assert.equal(a.status, 'affected');
        else assert.equal(a.status, 'not_affected');
      }
    });
  }
});

describe('alpine-secdb: entry shapes (hand-written)', () => {
  const all = parseAt(imp, DIR, 'shapes.yaml');

  it('splits ids, repairs the typos seen in the real data, merges repeated ids', () => {
    assert.deepEqual(all.map(brief).sort(), [
      'CVE-2016-1000 alpine:3.20 heimdal not_affected - - ',
      'CVE-2017-17439 alpine:3.20 heimdal fixed 7.5.0-r0 - ', // a fix wins over "0"
      'CVE-2017-5715 alpine:3.20 xen fixed 4.10.1-r0 - XSA-254', // "XPTI" is not an id
      'CVE-2017-5753 alpine:3.20 xen fixed 4.10.1-r0 - XSA-254',
      'CVE-2017-5754 alpine:3.20 xen fixed 4.10.1-r0 - XSA-254',
      'CVE-2017-8073 alpine:3.20 tcpdump fixed 4.9.3-r0 - ', // ".patch"
      'CVE-2018-10188 alpine:3.20 phpmyadmin fixed 4.8.0.-r1 - ', // kept though apk refuses it
      'CVE-2018-16452 alpine:3.20 tcpdump fixed 4.9.3-r0 - ', // "(SMB)"
      'CVE-2018-16859 alpine:3.20 tcpdump fixed 4.9.3-r0 - ', // "CVE 2018-16859"
      'CVE-2018-8897 alpine:3.20 xen fixed 4.10.1-r0 - XSA-260', // the lower of 4.10.1-r0 and 4.10.2-r0
      'CVE-2019-2426 alpine:3.20 tcpdump fixed 4.9.3-r0 - ', // "CVE_2019-2426"
      'CVE-2024-22195 alpine:3.20 ansible fixed 2.9.3-r0 - GHSA-h5c8-rqwp-cp95',
      'CVE-2024-9999 alpine:3.20 ansible affected - - ', // "None"
      'GHSA-f7r5-w49x-gxm3 alpine:3.20 ansible fixed 2.9.3-r0 - ',
      'GHSA-h6cc-rc6q-23j4 alpine:3.20 ansible fixed 2.9.3-r0 - ',
      'XSA-207 alpine:3.20 xen fixed 4.10.1-r0 - ',
      'XSA-295 alpine:3.20 xen fixed 4.10.1-r0 - ', // "CVE-????-?????  XSA-295"
    ]);
  });

  it('entries', () => {
    assert.deepEqual(parseSecfixEntry('CVE-2019-11091  XSA-297'), {
      ids: ['CVE-2019-11091'],
      aliases: ['XSA-297'],
    });
    assert.deepEqual(parseSecfixEntry('CVE-2017-12122 TALOS-2017-0488'), {
      ids: ['CVE-2017-12122'],
      aliases: ['TALOS-2017-0488'],
    });
    assert.deepEqual(parseSecfixEntry('CVE-2016-10134 ZBX-11023'), {
      ids: ['CVE-2016-10134'],
      aliases: ['ZBX-11023'],
    });
    assert.deepEqual(parseSecfixEntry('ZBX-11023'), { ids: ['ZBX-11023'], aliases: [] });
    assert.deepEqual(parseSecfixEntry('CVE-2017-11610  '), { ids: ['CVE-2017-11610'], aliases: [] });
    assert.deepEqual(parseSecfixEntry('CVE-????-?????'), { ids: [], aliases: [] });
    assert.deepEqual(parseSecfixEntry('XPTI'), { ids: [], aliases: [] });
    assert.deepEqual(parseSecfixEntry(''), { ids: [], aliases: [] });
    assert.deepEqual(parseSecfixEntry('CVE-2018-16301 (was fixed in libpcap)'), {
      ids: ['CVE-2018-16301'],
      aliases: [],
    });
    assert.deepEqual(parseSecfixEntry('CVE-2017-17434-1'), { ids: ['CVE-2017-17434'], aliases: [] });
  });

  it('entries: any text gives well-formed ids, quickly', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), (s) => {
        const { ids, aliases } = parseSecfixEntry(s);
        for (const id of [...ids, ...aliases]) assert.match(id, /^[A-Z][A-Z0-9]+-[A-Za-z0-9-]+$/);
        assert.ok(ids.length <= 512);
      }),
      { numRuns: 500 },
    );
    const t0 = performance.now();
    parseSecfixEntry(`CVE-${'1-'.repeat(500_000)}`);
    parseSecfixEntry(`${'A'.repeat(1_000_000)}-`);
    assert.ok(performance.now() - t0 < 500);
  });
});

describe('alpine-secdb: namespaces', () => {
  const ns = (doc: Record<string, unknown>, p = 'x/security.json') => secdbNamespace(doc, p);
  it('from distroversion, repository host, reponame or folder', () => {
    const alpine = { urlprefix: 'http://dl-cdn.alpinelinux.org/alpine' };
    assert.equal(ns({ ...alpine, distroversion: 'v3.18' }), 'alpine:3.18');
    assert.equal(ns({ ...alpine, distroversion: 'v3.9' }), 'alpine:3.9');
    assert.equal(ns({ distroversion: 'v3.20' }), 'alpine:3.20'); // no host: Alpine alone has releases
    assert.equal(ns({ ...alpine, distroversion: 'edge' }), 'alpine:edge');
    assert.throws(() => ns({ ...alpine, distroversion: 'v1' }), /unknown distroversion "v1"/);
    assert.throws(() => ns({ ...alpine }), /unknown distroversion/);
    assert.equal(ns({ reponame: 'os', urlprefix: 'https://packages.wolfi.dev' }), 'wolfi');
    assert.equal(ns({ reponame: 'chainguard', urlprefix: 'https://packages.wolfi.dev' }), 'chainguard');
    assert.equal(ns({ reponame: 'os', urlprefix: 'https://packages.mini.dev' }), 'minimos');
    assert.equal(ns({ distroversion: 'v1', urlprefix: 'https://apk.cve0.io' }), 'secureos');
    assert.equal(ns({ reponame: 'os' }, 'vuln-list/wolfi/binutils.json'), 'wolfi');
    assert.equal(ns({ reponame: 'os', urlprefix: 'not a url' }, 'feeds/minimos/os/x.json'), 'minimos');
    assert.throws(() => ns({ reponame: 'os' }), /cannot tell the distribution/);
  });
});

describe('alpine-secdb: detect', () => {
  it('accepts secdb documents in JSON and YAML, refuses others', () => {
    for (const f of [
      'shapes.yaml',
      'vunnel-v3.15-main.yaml',
      'vunnel-wolfi-security.json',
      'trivy-vuln-list-ansible.json',
    ])
      assert.ok(imp.detect(f, head(path.join(DIR, f))), f);
    assert.ok(!imp.detect('x', Buffer.from('{"name":"ansible","secfixes":{}}')));
    assert.ok(!imp.detect('x', Buffer.from('P:musl\nV:1.2.3-r0\n')));
    assert.ok(!imp.detect('x', Buffer.from('{"identifier":"3.15/cve-2018-1071","item":{}}')));
  });

  it('in ../shared/data: the secdb documents of Alpine, Wolfi, Chainguard, MinimOS, SecureOS', {
    skip: SKIP_SHARED,
  }, () => {
    const got = detectedInShared(imp);
    const legacy = got.filter((f) => f.startsWith('alpine-secdb-legacy/'));
    assert.equal(legacy.length, 18); // v3.3 ... v3.11, main and community
    assert.deepEqual(
      got.filter((f) => !f.startsWith('alpine-secdb-legacy/')),
      [
        `${TRIVY}/alpine/testdata/happy/vuln-list/alpine/ansible.json`,
        `${TRIVY}/alpine/testdata/sad/vuln-list/alpine/ansible.json`,
        `${TRIVY}/chainguard/testdata/happy/vuln-list/chainguard/binutils.json`,
        `${TRIVY}/chainguard/testdata/sad/vuln-list/chainguard/binutils.json`,
        `${TRIVY}/minimos/testdata/happy/vuln-list/minimos/os/apache2.json`,
        `${TRIVY}/minimos/testdata/happy/vuln-list/minimos/os/binutils.json`,
        `${TRIVY}/minimos/testdata/sad/vuln-list/minimos/binutils.json`,
        `${TRIVY}/wolfi/testdata/happy/vuln-list/wolfi/binutils.json`,
        `${TRIVY}/wolfi/testdata/sad/vuln-list/wolfi/binutils.json`,
        'vunnel-provider-fixtures/alpine/test-fixtures/input/secdb/v3.15/community.yaml',
        'vunnel-provider-fixtures/alpine/test-fixtures/input/secdb/v3.15/main.yaml',
        'vunnel-provider-fixtures/chainguard/test-fixtures/input/secdb/security.json',
        'vunnel-provider-fixtures/minimos/test-fixtures/input/secdb/security.json',
        'vunnel-provider-fixtures/secureos/test-fixtures/input/secdb/secdb.json',
        'vunnel-provider-fixtures/wolfi/test-fixtures/input/secdb/security.json',
      ],
    );
  });
});

describe('alpine-secdb: the real files in ../shared/data', { skip: SKIP_SHARED }, () => {
  const parseShared = (rel: string): Advisory[] => parseText(imp, readFileSync(path.join(DATA, rel)), rel);

  it('every secdb document parses (but Trivy\'s deliberately broken "sad" ones), in linear time', () => {
    const files = detectedInShared(imp);
    const t0 = performance.now();
    let n = 0;
    for (const rel of files) {
      if (rel.includes('/sad/')) {
        assert.throws(() => parseShared(rel), /invalid JSON|not a list of ids/, rel);
        continue;
      }
      n += parseShared(rel).length;
    }
    const ms = performance.now() - t0;
    assert.equal(n, 12249); // a regression count; the per-file counts are checked independently below
    assert.ok(ms < 3000, `${ms} ms`);
  });

  it('legacy YAML: the namespace of each folder, a record per id read off the files', () => {
    for (const rel of detectedInShared(imp).filter((f) => f.startsWith('alpine-secdb-legacy/'))) {
      const all = parseShared(rel);
      const v = (rel.split('/')[1] as string).slice(1);
      for (const a of all) assert.equal(a.namespace, `alpine:${v}`);
      // an independent count: the distinct (package, CVE) pairs named on "- CVE-..." lines
      const text = readFileSync(path.join(DATA, rel), 'utf8');
      const pairs = new Set<string>();
      let pkg = '';
      for (const line of text.split('\n')) {
        const m = /^\s+name: (\S+)/.exec(line);
        if (m) pkg = m[1] as string;
        for (const c of line.match(/CVE-\d{4}-\d+/g) ?? []) pairs.add(`${pkg} ${c}`);
        const typo = /CVE[_ ](\d{4}-\d+)/.exec(line);
        if (typo) pairs.add(`${pkg} CVE-${typo[1]}`);
      }
      assert.equal(all.filter((a) => a.id.startsWith('CVE-')).length, pairs.size, rel);
    }
  });

  it('legacy YAML: spot checks', () => {
    const m311 = parseShared('alpine-secdb-legacy/v3.11/main.yaml');
    const a = m311.find((x) => x.id === 'CVE-2019-14904' && x.package === 'ansible');
    assert.equal(a?.fixed, '2.9.3-r0');
    // v3.6 main: heimdal "7.4.0-r0:" has no list under it
    const m36 = parseShared('alpine-secdb-legacy/v3.6/main.yaml');
    assert.ok(m36.some((x) => x.package === 'heimdal'));
    // v3.3 community lists no packages
    assert.deepEqual(parseShared('alpine-secdb-legacy/v3.3/community.yaml'), []);
  });

  it('version keys apk refuses: 24 keys (15 distinct strings) giving 44 records, all in the legacy YAML', () => {
    const invalid: Advisory[] = [];
    for (const rel of detectedInShared(imp)) {
      if (rel.includes('/sad/')) continue;
      for (const a of parseShared(rel))
        if (a.fixed && !apkScheme.valid(a.fixed) && rel.startsWith('alpine-')) invalid.push(a);
    }
    assert.equal(invalid.length, 44);
    assert.deepEqual([...new Set(invalid.map((a) => a.fixed))].sort(), [
      '0.12.5.-r0',
      '0.8.21.r2',
      '1.0.4.-r0',
      '1.11-20-r0',
      '1.18.-r2',
      '1.7.5.-r1',
      '10.2.22.r0',
      '10.2.24.r0',
      '10.2.26.r0',
      '2.15.r-r1',
      '2.7.16-33',
      '4.10-1-r1',
      '4.8.0.-r1',
      '57-1-r2',
      '6.6.2p1-r0',
    ]);
    assert.equal(new Set(invalid.map((a) => `${a.namespace} ${a.package} ${a.fixed}`)).size, 24);
  });
});

describe('alpine-secdb: bad input', () => {
  const doc = (packages: string) =>
    `{"distroversion":"v3.18","reponame":"main","urlprefix":"https://dl-cdn.alpinelinux.org/alpine","apkurl":"x","packages":${packages}}`;
  const bad: [string, string | Buffer, RegExp][] = [
    ['truncated JSON', doc('[{"pkg":{"name":"a","secfixes":{"1.0-r0":["CVE-2020-1234"'), /invalid JSON/],
    ['binary', Buffer.from([0x1f, 0x8b, 8, 0, 0, 1, 2, 3]), /control character|not a secdb/],
    ['a list at the top', '[1, 2]', /not a secdb document/],
    ['packages not a list', doc('{}'), /packages is not a list/],
    ['an entry without pkg', doc('[{"name":"a"}]'), /without "pkg"/],
    ['bad package name', doc('[{"pkg":{"name":"a b","secfixes":{}}}]'), /bad package name/],
    [
      'secfixes a list',
      doc('[{"pkg":{"name":"a","secfixes":["CVE-2020-1234"]}}]'),
      /secfixes is not a mapping/,
    ],
    ['ids not a list', doc('[{"pkg":{"name":"a","secfixes":{"1.0-r0":{}}}}]'), /a 1.0-r0: not a list of ids/],
    [
      'an id not a string',
      doc('[{"pkg":{"name":"a","secfixes":{"1.0-r0":[1]}}}]'),
      /a 1.0-r0: 1 is not a string/,
    ],
    ['a version with spaces', doc('[{"pkg":{"name":"a","secfixes":{"1.0 r0":[]}}}]'), /bad version/],
    ['no packages at all', '{"distroversion":"v3.18","apkurl":"x"}', /no packages/],
    [
      'an unknown distribution',
      '{"reponame":"x","apkurl":"x","packages":[]}',
      /cannot tell the distribution/,
    ],
    ['YAML anchors', 'distroversion: v3.18\napkurl: x\npackages: &a\n  - pkg: *a\n', /anchors and aliases/],
    [
      'YAML nested too deep',
      `distroversion: v3.18\napkurl: x\npackages: ${'['.repeat(100)}`,
      /nesting too deep/,
    ],
    [
      'YAML, bad indentation',
      'distroversion: v3.18\napkurl: x\npackages:\n  - pkg:\n    name: a\n   x: 1\n',
      /bad indentation|expected/,
    ],
  ];
  for (const [name, text, re] of bad) {
    it(name, () => {
      assert.throws(() => parseText(imp, text), re);
    });
  }

  it('empty documents give no records', () => {
    assert.deepEqual(parseText(imp, doc('[]')), []);
    assert.deepEqual(parseText(imp, doc('[{"pkg":{"name":"a","secfixes":null}}]')), []);
    assert.deepEqual(parseText(imp, 'distroversion: v3.3\napkurl: x\npackages:\n'), []);
  });

  it('a large document is linear', () => {
    const pkgs = Array.from({ length: 20000 }, (_, k) => ({
      pkg: {
        name: `p${k}`,
        secfixes: { '1.0-r0': ['CVE-2020-1234', 'CVE-2020-5678 XSA-1'], '0': ['CVE-2019-1111'] },
      },
    }));
    const t0 = performance.now();
    assert.equal(parseText(imp, doc(JSON.stringify(pkgs))).length, 60000);
    assert.ok(performance.now() - t0 < 5000);
  });
});
