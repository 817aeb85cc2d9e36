// fast-check generators for the pypi, gem, maven and nuget version schemes, biased towards the parts
// of each grammar where implementations disagree: separators, letter spellings and case, leading
// and trailing zeros, huge numbers, pre/post/dev tags, local and build metadata, near-misses.
// Shared by the tests (live oracle runs) and test/fixtures/version/lang-generate.ts (fixtures).

import fc from 'fast-check';

const join = (parts: string[]): string => parts.join('');

/** One of `items`, or (rarely) a random string over `chars` so that the grammar's edges get hit. */
function pick(items: string[]): fc.Arbitrary<string> {
  return fc.constantFrom(...items);
}

function opt(arb: fc.Arbitrary<string>, freq = 1): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: fc.constant(''), weight: 1 }, { arbitrary: arb, weight: freq });
}

/** Replaces, inserts or deletes one character: near-misses of a valid version. */
function mutate(arb: fc.Arbitrary<string>, alphabet: string): fc.Arbitrary<string> {
  return fc
    .tuple(arb, fc.nat(), fc.integer({ min: 0, max: 2 }), fc.constantFrom(...alphabet.split('')))
    .map(([s, at, kind, ch]) => {
      const i = s.length ? at % (s.length + (kind === 1 ? 1 : 0)) : 0;
      if (kind === 0) return s.slice(0, i) + ch + s.slice(i + 1);
      if (kind === 1) return s.slice(0, i) + ch + s.slice(i);
      return s.slice(0, i) + s.slice(i + 1);
    });
}

// ---------------------------------------------------------------- PEP 440

/** A PEP 440 version as data, rendered to text in many equivalent spellings. */
interface PyStruct {
  epoch: number;
  release: string[];
  pre?: [number, string];
  post?: string;
  dev?: string;
  local?: string[];
}

const PY_NUM = ['0', '1', '2', '3', '10', '4294967296', '123456789012345678901234567890'];
const PY_SEP = ['', '', '', '.', '-', '_'];
const PY_PRE = [
  ['a', 'alpha', 'A', 'Alpha', 'ALPHA'],
  ['b', 'beta', 'B', 'Beta'],
  ['rc', 'c', 'pre', 'preview', 'RC', 'C', 'Pre', 'PREVIEW'],
];
const PY_WS = ['', '', '', '', ' ', '  ', '\t', '\n', '\u00a0', '\u3000', '\u2003', '\u000b'];

const pyStructArb = (local: boolean): fc.Arbitrary<PyStruct> =>
  fc
    .record(
      {
        epoch: fc.constantFrom(0, 0, 0, 1, 2),
        release: fc.array(pick(PY_NUM), { minLength: 1, maxLength: 4 }),
        pre: fc.tuple(fc.integer({ min: 0, max: 2 }), pick(['0', '1', '2', '10'])),
        post: pick(['0', '1', '2', '10']),
        dev: pick(['0', '1', '2', '10']),
        local: fc.array(pick(['abc', 'ubuntu', '1', '0', '2', 'a1', '1a', 'z', 'deb10u1', '10']), {
          minLength: 1,
          maxLength: 3,
        }),
      },
      { requiredKeys: ['epoch', 'release'] },
    )
    .map((s) => (local ? s : { ...s, local: undefined }));

/** Spelling choices for one rendering. */
const pyStyleArb = fc.record({
  v: fc.constantFrom('', '', '', 'v', 'V'),
  zeros: fc.constantFrom(0, 0, 0, 1, 2),
  padZeros: fc.constantFrom(0, 0, 1, 2),
  epochShown: fc.boolean(),
  seps: fc.array(pick(PY_SEP), { minLength: 9, maxLength: 9 }),
  preWord: fc.nat(),
  postForm: fc.nat(),
  implicitN: fc.boolean(),
  devWord: pick(['dev', 'DEV', 'Dev']),
  localSeps: fc.array(pick(['.', '-', '_']), { minLength: 3, maxLength: 3 }),
  localZeros: fc.boolean(),
  upper: fc.boolean(),
  ws: fc.tuple(pick(PY_WS), pick(PY_WS)),
});
type PyStyle = typeof pyStyleArb extends fc.Arbitrary<infer T> ? T : never;

function renderPy(s: PyStruct, st: PyStyle, whitespace = true): string {
  const z = (n: string, k: number): string => '0'.repeat(k) + n;
  let out: string = st.v;
  if (s.epoch || st.epochShown) out += `${z(String(s.epoch), st.zeros)}!`;
  const release = [...s.release, ...new Array<string>(st.padZeros).fill('0')];
  out += release.map((n, i) => (i === 0 ? z(n, st.zeros) : n)).join('.');
  const sep = (i: number): string => st.seps[i] ?? '';
  const num = (n: string, i: number): string => (st.implicitN && n === '0' ? '' : sep(i) + z(n, st.zeros));
  if (s.pre) {
    const words = PY_PRE[s.pre[0]] as string[];
    out += sep(0) + (words[st.preWord % words.length] as string) + num(s.pre[1], 1);
  }
  if (s.post !== undefined) {
    const form = st.postForm % 5;
    if (form === 0) out += `-${s.post}`;
    else out += sep(2) + (['post', 'rev', 'r', 'POST', 'Rev'][form] as string) + num(s.post, 3);
  }
  if (s.dev !== undefined) out += sep(4) + st.devWord + num(s.dev, 5);
  if (s.local) {
    out += `+${s.local
      .map((p, i) => (i ? st.localSeps[i - 1] : '') + (st.localZeros && /^[0-9]+$/.test(p) ? `0${p}` : p))
      .join('')}`;
  }
  if (st.upper) out = out.toUpperCase();
  return whitespace ? st.ws[0] + out + st.ws[1] : out;
}

/** Changes one field of a version a little: the neighbours a comparator must order right. */
const pyTweakArb = (s: PyStruct): fc.Arbitrary<PyStruct> =>
  fc.integer({ min: 0, max: 7 }).map((k) => {
    const t: PyStruct = { ...s, release: [...s.release] };
    const bump = (n: string): string => (n.length > 9 ? `${n.slice(0, -1)}9` : String(Number(n) + 1));
    if (k === 0) t.release[t.release.length - 1] = bump(t.release[t.release.length - 1] as string);
    else if (k === 1) t.release.push('0', '1');
    else if (k === 2) t.pre = t.pre ? undefined : [1, '0'];
    else if (k === 3) t.post = t.post === undefined ? '0' : undefined;
    else if (k === 4) t.dev = t.dev === undefined ? '0' : undefined;
    else if (k === 5) t.local = t.local ? undefined : ['1'];
    else if (k === 6) t.epoch = t.epoch ? 0 : 1;
    else if (t.pre) t.pre = [t.pre[0], bump(t.pre[1])];
    return t;
  });

const pyInvalid = pick([
  '',
  'v',
  '1.',
  '.1',
  '1..2',
  '1.0-',
  '1.0+',
  '1.0+a.',
  '1!',
  '!1',
  '1.0.dev-x',
  'a1',
  '1.0 0',
  '1.0\u00e9',
  '١.٢',
]);

export function pypiVersionArb(o: { local?: boolean; whitespace?: boolean } = {}): fc.Arbitrary<string> {
  const rendered = fc
    .tuple(pyStructArb(o.local ?? true), pyStyleArb)
    .map(([s, st]) => renderPy(s, st, o.whitespace ?? true));
  return fc.oneof(
    { arbitrary: rendered, weight: 12 },
    { arbitrary: mutate(rendered, '.-_+!*aAbcdefoprstvxz019 '), weight: 2 },
    { arbitrary: pyInvalid, weight: 1 },
  );
}

/** Pairs: independent versions, two spellings of one version, and a version with a close neighbour. */
export function pypiPairArb(): fc.Arbitrary<[string, string]> {
  const same = fc
    .tuple(pyStructArb(true), pyStyleArb, pyStyleArb)
    .map(([s, x, y]): [string, string] => [renderPy(s, x), renderPy(s, y)]);
  const near = pyStructArb(true).chain((s) =>
    fc
      .tuple(pyTweakArb(s), pyStyleArb, pyStyleArb)
      .map(([t, x, y]): [string, string] => [renderPy(s, x), renderPy(t, y)]),
  );
  return fc.oneof(
    { arbitrary: fc.tuple(pypiVersionArb(), pypiVersionArb()), weight: 3 },
    { arbitrary: same, weight: 3 },
    { arbitrary: near, weight: 5 },
  );
}

const PY_OPS = ['==', '!=', '<=', '>=', '<', '>', '~=', '===', '==', '!='];

/** A version and a specifier set that names it or a neighbour of it. */
export function pypiSatisfiesArb(): fc.Arbitrary<[string, string]> {
  const spec = (s: PyStruct): fc.Arbitrary<string> =>
    fc.oneof(
      {
        arbitrary: fc
          .tuple(pick(PY_OPS), pick(['', '', ' ']), pyStyleArb)
          .map(
            ([op, sp, st]) =>
              op +
              sp +
              renderPy(
                op === '==' || op === '!=' || op === '===' ? s : { ...s, local: undefined },
                st,
                false,
              ),
          ),
        weight: 8,
      },
      {
        arbitrary: fc
          .tuple(pick(['==', '!=']), fc.integer({ min: 1, max: 4 }))
          .map(([op, n]) => `${op}${s.epoch ? `${s.epoch}!` : ''}${s.release.slice(0, n).join('.')}.*`),
        weight: 2,
      },
      {
        arbitrary: fc
          .tuple(
            fc.integer({ min: 2, max: 4 }),
            pick(['', '', '.c1', 'c1', '.pre1', 'rc1', '.DEV1', '.post1', '.A1', 'a1']),
          )
          .map(([n, sfx]) => `~=${[...s.release, '0', '0'].slice(0, n).join('.')}${sfx}`),
        weight: 2,
      },
      { arbitrary: fc.tuple(pick(PY_OPS), pypiVersionArb({ whitespace: false })).map(join), weight: 1 },
    );
  return pyStructArb(true).chain((s) =>
    fc
      .tuple(
        pyTweakArb(s),
        pyStyleArb,
        fc.array(spec(s), { minLength: 0, maxLength: 3 }),
        pick([',', ', ', ' , ']),
      )
      .map(([t, st, specs, sep]): [string, string] => [renderPy(t, st, false), specs.join(sep)]),
  );
}

// ---------------------------------------------------------------- RubyGems

const GEM_NUM = ['0', '1', '2', '3', '10', '00', '01', '007', '99999999999999999999'];
const GEM_STR = ['a', 'b', 'pre', 'rc', 'beta', 'alpha', 'A', 'Z', 'z', 'dev', 'x'];

export function gemVersionArb(): fc.Arbitrary<string> {
  const seg = fc.oneof(
    { arbitrary: pick(GEM_NUM), weight: 4 },
    { arbitrary: pick(GEM_STR), weight: 2 },
    { arbitrary: fc.tuple(pick(GEM_STR), pick(GEM_NUM)).map(join), weight: 1 },
    { arbitrary: fc.tuple(pick(GEM_NUM), pick(GEM_STR)).map(join), weight: 1 },
  );
  const dashPart = fc
    .array(fc.oneof(pick(GEM_NUM), pick(GEM_STR), pick(['-', 'a-b', '1-2', 'pre-1'])), {
      minLength: 1,
      maxLength: 3,
    })
    .map((a) => `-${a.join('.')}`);
  const core = fc
    .tuple(pick(GEM_NUM), fc.array(seg, { maxLength: 5 }), opt(dashPart, 1))
    .map(([h, t, d]) => [h, ...t].join('.') + d);
  const ws = pick(['', '', '', ' ', '  ', '\t', '\n']);
  return fc.oneof(
    { arbitrary: fc.tuple(ws, core, ws).map(join), weight: 12 },
    { arbitrary: mutate(core, '.-_ aA01+'), weight: 2 },
    { arbitrary: pick(['', ' ', '.', '1.', '.1', 'a', '1..2', '1.0-', '-1', '1 2', '1.0_1']), weight: 1 },
  );
}

/** A gem version as segments (numbers and letter runs), rendered with equivalent spellings. */
const gemSegsArb = fc
  .tuple(
    pick(['0', '1', '2', '3', '10']),
    fc.array(
      fc.oneof(
        { arbitrary: pick(['0', '1', '2', '9', '10', '99999999999999999999']), weight: 4 },
        { arbitrary: pick(GEM_STR), weight: 1 },
      ),
      {
        maxLength: 5,
      },
    ),
  )
  .map(([h, t]) => [h, ...t]);

function renderGem(segs: string[], style: number): string {
  const zeros = style & 1 ? '0' : '';
  const pad = style & 2 ? '.0' : '';
  const glue = (i: number): string => {
    // A letter run may follow a number with no dot ("1.0a1"), as the segment scan splits them anyway.
    const cur = segs[i] as string;
    const prev = segs[i - 1] as string;
    if (style & 4 && /^[a-z]/i.test(cur) !== /^[a-z]/i.test(prev)) return '';
    return '.';
  };
  let out = segs[0] as string;
  for (let i = 1; i < segs.length; i++) {
    const cur = segs[i] as string;
    out += glue(i) + (/^[0-9]/.test(cur) ? zeros + cur : cur);
  }
  if (style & 8) out = out.replace('.pre.', '-');
  const ws = style & 16 ? ' ' : '';
  return ws + out + (segs.some((x) => /[a-z]/i.test(x)) ? '' : pad) + ws;
}

const gemTweak = (segs: string[]): fc.Arbitrary<string[]> =>
  fc.tuple(fc.integer({ min: 0, max: 5 }), fc.nat()).map(([k, at]) => {
    const t = [...segs];
    const i = at % t.length;
    if (k === 0 && /^[0-9]+$/.test(t[i] as string)) t[i] = String(Number((t[i] as string).slice(-6)) + 1);
    else if (k === 1) t.push('0');
    else if (k === 2) t.splice(Math.max(1, i), 0, 'pre');
    else if (k === 3) t.push('a');
    else if (k === 4 && t.length > 1) t.pop();
    else t.push('1');
    return t;
  });

export function gemPairArb(): fc.Arbitrary<[string, string]> {
  const style = fc.integer({ min: 0, max: 31 });
  const same = fc
    .tuple(gemSegsArb, style, style)
    .map(([s, x, y]): [string, string] => [renderGem(s, x), renderGem(s, y)]);
  const near = gemSegsArb.chain((s) =>
    fc
      .tuple(gemTweak(s), style, style)
      .map(([t, x, y]): [string, string] => [renderGem(s, x), renderGem(t, y)]),
  );
  return fc.oneof(
    { arbitrary: fc.tuple(gemVersionArb(), gemVersionArb()), weight: 2 },
    { arbitrary: same, weight: 3 },
    { arbitrary: near, weight: 5 },
  );
}

const GEM_OPS = ['', '=', '!=', '>', '<', '>=', '<=', '~>', '~>', '~>', '~> '];
const GEM_BAD_OPS = ['> =', '=>', '==', '~', '<>'];

/** A version and a requirement list naming it or a neighbour. */
export function gemSatisfiesArb(): fc.Arbitrary<[string, string]> {
  const style = fc.integer({ min: 0, max: 31 });
  const req = (segs: string[]): fc.Arbitrary<string> =>
    fc.oneof(
      {
        arbitrary: fc
          .tuple(pick(GEM_OPS), pick(['', ' ']), gemTweak(segs), style)
          .map(([op, sp, t, st]) => op + sp + renderGem(t, st)),
        weight: 8,
      },
      { arbitrary: fc.tuple(pick([...GEM_OPS, ...GEM_BAD_OPS]), gemVersionArb()).map(join), weight: 1 },
    );
  return gemSegsArb.chain((s) =>
    fc
      .tuple(gemTweak(s), style, fc.array(req(s), { minLength: 1, maxLength: 3 }), pick([',', ', ']))
      .map(([t, st, reqs, sep]): [string, string] => [renderGem(t, st), reqs.join(sep)]),
  );
}

// ---------------------------------------------------------------- Maven

const MVN_NUM = [
  '0',
  '1',
  '2',
  '10',
  '00',
  '01',
  '2147483648',
  '9223372036854775808',
  '123456789012345678901234',
];
const MVN_STR = [
  'alpha',
  'a',
  'beta',
  'b',
  'milestone',
  'm',
  'rc',
  'cr',
  'snapshot',
  'SNAPSHOT',
  'ga',
  'GA',
  'final',
  'FINAL',
  'release',
  'RELEASE',
  'sp',
  'SP',
  'abc',
  'x',
  'Alpha',
  'jre',
  'android',
  'M',
  'RC',
];

export function mavenVersionArb(): fc.Arbitrary<string> {
  const tok = fc.oneof({ arbitrary: pick(MVN_NUM), weight: 3 }, { arbitrary: pick(MVN_STR), weight: 2 });
  const sep = pick(['.', '.', '-', '-', '', '']);
  const core = fc
    .tuple(tok, fc.array(fc.tuple(sep, tok), { maxLength: 6 }))
    .map(([h, t]) => h + t.map(([s, x]) => s + x).join(''));
  return fc.oneof(
    { arbitrary: core, weight: 12 },
    { arbitrary: mutate(core, '.-_aA01'), weight: 2 },
    { arbitrary: pick(['1..0', '1.-0', '-1', '.1', '1.', '1-', '1--1', '..', '1_0', '1+2']), weight: 1 },
  );
}

/**
 * The shapes real Maven versions take: dotted numbers, then at most one qualifier, attached by "-"
 * or "." or directly, with an optional number ("1.2.3", "1.0-SNAPSHOT", "2.0.0.RC1", "5.2.20.RELEASE",
 * "1.0-beta-2", "3.0rc1"). ComparableVersion is a total order on these (not on every string: see
 * maven.test.ts).
 */
export function mavenConventionalArb(): fc.Arbitrary<string> {
  const nums = fc
    .array(pick(['0', '1', '2', '10', '01', '2147483648']), { minLength: 1, maxLength: 4 })
    .map((a) => a.join('.'));
  const qual = fc.oneof(
    fc.tuple(pick(['-', '']), pick(MVN_STR), pick(['', '1', '2', '-1', '-2', '.1', '10'])).map(join),
    // After a ".", a qualifier ends the version or runs straight into its number ("2.0.RC1").
    fc.tuple(pick(['.']), pick(MVN_STR), pick(['', '1', '2', '10', '1.1'])).map(join),
  );
  return fc.tuple(nums, opt(qual, 2)).map(join);
}

/** Rewrites that often keep a Maven version equal (or make it a close neighbour). */
const MVN_REWRITES: [RegExp, string][] = [
  [/$/, '.0'],
  [/$/, '-0'],
  [/$/, '-ga'],
  [/$/, '.FINAL'],
  [/$/, '-SNAPSHOT'],
  [/$/, '-1'],
  [/$/, '.1'],
  [/$/, 'sp'],
  [/alpha-?(?=[0-9])/i, 'a'],
  [/beta-?(?=[0-9])/i, 'b'],
  [/milestone-?(?=[0-9])/i, 'm'],
  [/rc/i, 'cr'],
  [/-/, '.'],
  [/\./, '-'],
  [/\.0$/, ''],
  [/(?<![0-9])([1-9])/, '0$1'],
  [/[a-z]+/i, (m: string) => m.toUpperCase()] as unknown as [RegExp, string],
];

export function mavenPairArb(): fc.Arbitrary<[string, string]> {
  const rewrite = fc.array(fc.integer({ min: 0, max: MVN_REWRITES.length - 1 }), {
    minLength: 1,
    maxLength: 3,
  });
  const near = fc.tuple(mavenVersionArb(), rewrite).map(([v, rs]): [string, string] => {
    let w = v;
    for (const r of rs) {
      const [re, to] = MVN_REWRITES[r] as [RegExp, string];
      w = w.replace(re, to);
    }
    return [v, w];
  });
  return fc.oneof(
    { arbitrary: fc.tuple(mavenVersionArb(), mavenVersionArb()), weight: 1 },
    { arbitrary: near, weight: 2 },
  );
}

export function mavenRangeArb(): fc.Arbitrary<string> {
  const v = mavenVersionArb().filter((s) => s !== '' && !/[[\]()<>,\s]/.test(s));
  const bound = opt(v, 3);
  const one = fc.oneof(
    {
      arbitrary: fc.tuple(pick(['[', '(']), bound, pick([',', ', ']), bound, pick([']', ')'])).map(join),
      weight: 5,
    },
    { arbitrary: v.map((x) => `[${x}]`), weight: 2 },
  );
  return fc.oneof(
    { arbitrary: fc.array(one, { minLength: 1, maxLength: 3 }).map((a) => a.join(',')), weight: 6 },
    { arbitrary: v, weight: 1 },
    {
      arbitrary: pick(['[', '[1.0', '(1.0]', '[,]', '(,)', '[1.0,1.0]', '[2.0,1.0]', '[1.0]x', '[1,2],3']),
      weight: 1,
    },
  );
}

// ---------------------------------------------------------------- NuGet

const NU_NUM = ['0', '1', '2', '10', '00', '01', '2147483647'];
const NU_LABEL = [
  'alpha',
  'Alpha',
  'ALPHA',
  'beta',
  'rc',
  'RC',
  '1',
  '2',
  '10',
  '01',
  'a-b',
  '-',
  'x1',
  'preview',
];

export function nugetVersionArb(): fc.Arbitrary<string> {
  const label = fc.array(pick(NU_LABEL), { minLength: 1, maxLength: 3 }).map((a) => `-${a.join('.')}`);
  const meta = fc
    .array(pick(['build', '1', '01', 'sha-abc', 'X']), { minLength: 1, maxLength: 2 })
    .map((a) => `+${a.join('.')}`);
  const core = fc
    .tuple(fc.array(pick(NU_NUM), { minLength: 1, maxLength: 4 }), opt(label, 1), opt(meta, 1))
    .map(([n, l, m]) => n.join('.') + l + m);
  return fc.oneof(
    { arbitrary: core, weight: 12 },
    { arbitrary: mutate(core, '.-+a0 '), weight: 2 },
    {
      arbitrary: pick(['', '1', '1.', '.1', '1.0.0.0.0', '1.0-', '1.0+', '1.0-a..b', '-1.0', '1.0.0-01']),
      weight: 1,
    },
  );
}
