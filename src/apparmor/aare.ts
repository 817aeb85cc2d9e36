// Matches concrete paths against AppArmor path globs (AARE): *, **, ?, [...], [^...], {a,b} and
// @{VAR} variables, in time polynomial in the sizes (a position-set walk, no backtracking).
//
// Semantics from apparmor.d(5) and the parser's regex conversion: `*` and `?` never match '/', `**`
// matches across '/', a `*`/`**` right after '/' needs at least one character (so `/dir/**` does not
// match `/dir/` itself), character classes may match '/', and repeated slashes collapse.

const MAX_PATTERN = 4096;
const MAX_ALT_DEPTH = 16;
const MAX_VAR_DEPTH = 4;
const MAX_VAR_VALUES = 64;
// Elements a compiled glob may hold after variable expansion (nested variables multiply).
const MAX_ELEMENTS = 20_000;

type Elem =
  | { t: 'lit'; c: string }
  | { t: 'any' }
  | { t: 'star'; deep: boolean; minOne: boolean }
  | { t: 'class'; neg: boolean; chars: string; ranges: [string, string][] }
  | { t: 'alt'; options: Elem[][] };

export type Aare = Elem[];

/**
 * Variables as tunables/global (AppArmor 3.0, Debian) defines them, enough for the paths container
 * profiles use; a profile's own @{VAR} assignments override them.
 */
export const DEFAULT_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  PROC: ['/proc/'],
  sys: ['/sys/'],
  run: ['/run/', '/var/run/'],
  HOMEDIRS: ['/home/'],
  HOME: ['@{HOMEDIRS}/*/', '/root/'],
  pid: ['{[1-9],[1-9][0-9],[1-9][0-9][0-9],[1-9][0-9][0-9][0-9]*}'],
  pids: ['{[1-9],[1-9][0-9],[1-9][0-9][0-9],[1-9][0-9][0-9][0-9]*}'],
  tid: ['{[1-9],[1-9][0-9],[1-9][0-9][0-9],[1-9][0-9][0-9][0-9]*}'],
  multiarch: ['*-linux-gnu*'],
};

type Vars = Readonly<Record<string, readonly string[]>>;

class Reader {
  i = 0;
  constructor(
    readonly s: string,
    readonly vars: Vars,
    readonly varDepth: number,
    readonly budget: { left: number },
  ) {}
}

/** Parses a sequence up to (not including) an unnested ',' or '}' when inside an alternation. */
function parseSeq(r: Reader, altDepth: number): Elem[] | undefined {
  const out: Elem[] = [];
  const s = r.s;
  while (r.i < s.length) {
    if (--r.budget.left < 0) return undefined;
    const c = s[r.i] as string;
    if (altDepth > 0 && (c === ',' || c === '}')) return out;
    if (c === '}') return undefined;
    if (c === '\\') {
      const n = s[r.i + 1];
      if (n === undefined) return undefined;
      out.push({ t: 'lit', c: n });
      r.i += 2;
    } else if (c === '*') {
      const deep = s[r.i + 1] === '*';
      r.i += deep ? 2 : 1;
      while (s[r.i] === '*') r.i++;
      const prev = out[out.length - 1];
      out.push({ t: 'star', deep, minOne: prev?.t === 'lit' && prev.c === '/' });
    } else if (c === '?') {
      out.push({ t: 'any' });
      r.i++;
    } else if (c === '[') {
      const cls = parseClass(r);
      if (!cls) return undefined;
      out.push(cls);
    } else if (c === '@' && s[r.i + 1] === '{') {
      const end = s.indexOf('}', r.i + 2);
      if (end < 0) return undefined;
      const name = s.slice(r.i + 2, end);
      r.i = end + 1;
      const values = r.vars[name];
      if (!values || r.varDepth >= MAX_VAR_DEPTH || values.length > MAX_VAR_VALUES) {
        // An unknown variable matches nothing: the rule is not counted either way.
        out.push({ t: 'alt', options: [] });
        continue;
      }
      const options: Elem[][] = [];
      for (const v of values) {
        const sub = new Reader(v, r.vars, r.varDepth + 1, r.budget);
        const seq = parseSeq(sub, 0);
        if (!seq || sub.i !== v.length) return undefined;
        options.push(seq);
      }
      out.push({ t: 'alt', options });
    } else if (c === '{') {
      if (altDepth >= MAX_ALT_DEPTH) return undefined;
      r.i++;
      const options: Elem[][] = [];
      for (;;) {
        const seq = parseSeq(r, altDepth + 1);
        if (!seq) return undefined;
        options.push(seq);
        const d = s[r.i];
        r.i++;
        if (d === '}') break;
        if (d !== ',') return undefined;
      }
      out.push({ t: 'alt', options });
    } else {
      out.push({ t: 'lit', c });
      r.i++;
    }
  }
  return altDepth > 0 ? undefined : out;
}

function parseClass(r: Reader): Elem | undefined {
  const s = r.s;
  let i = r.i + 1;
  const neg = s[i] === '^';
  if (neg) i++;
  let chars = '';
  const ranges: [string, string][] = [];
  let first = true;
  while (i < s.length && (s[i] !== ']' || first)) {
    let c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      i++;
      c = s[i] as string;
    }
    if (s[i + 1] === '-' && s[i + 2] !== undefined && s[i + 2] !== ']') {
      ranges.push([c, s[i + 2] as string]);
      i += 3;
    } else {
      chars += c;
      i++;
    }
    first = false;
  }
  if (s[i] !== ']') return undefined;
  r.i = i + 1;
  return { t: 'class', neg, chars, ranges };
}

/** Compiles a glob; undefined when it is malformed or too large to be checked. */
export function compileAare(pattern: string, vars: Vars = DEFAULT_VARIABLES): Aare | undefined {
  if (pattern.length > MAX_PATTERN) return undefined;
  const r = new Reader(pattern, vars, 0, { left: MAX_ELEMENTS });
  const seq = parseSeq(r, 0);
  return seq && r.i === pattern.length ? seq : undefined;
}

function classMatches(e: Extract<Elem, { t: 'class' }>, c: string): boolean {
  const hit = e.chars.includes(c) || e.ranges.some(([a, b]) => c >= a && c <= b);
  return e.neg ? !hit : hit;
}

/** Thrown when a match runs out of its work budget (a hostile profile with huge globs). */
export class AareBudgetExceeded extends Error {
  constructor() {
    super('AppArmor glob matching exceeded its work budget');
    this.name = 'AareBudgetExceeded';
  }
}

export interface AareBudget {
  /** Work units left; one unit is one path position visited for one glob element. */
  left: number;
}

/** Moves the set of reachable text positions over a sequence of glob elements. */
function step(seq: Elem[], start: Uint8Array, text: string, budget: AareBudget): Uint8Array {
  const n = text.length;
  let cur = start;
  for (const e of seq) {
    budget.left -= n + 1;
    if (budget.left < 0) throw new AareBudgetExceeded();
    const next = new Uint8Array(n + 1);
    switch (e.t) {
      case 'lit':
        for (let p = 0; p <= n; p++) {
          if (!cur[p]) continue;
          if (text[p] === e.c) next[p + 1] = 1;
          // Repeated slashes collapse: a '/' right after a matched '/' may match nothing.
          else if (e.c === '/' && p > 0 && text[p - 1] === '/') next[p] = 1;
        }
        break;
      case 'any':
        for (let p = 0; p < n; p++) if (cur[p] && text[p] !== '/') next[p + 1] = 1;
        break;
      case 'class':
        for (let p = 0; p < n; p++) if (cur[p] && classMatches(e, text[p] as string)) next[p + 1] = 1;
        break;
      case 'star': {
        // One sweep: `active` says some start can still extend over text[q].
        let active = false;
        for (let q = 0; q <= n; q++) {
          if (cur[q]) {
            if (!e.minOne) next[q] = 1;
            if (q < n && !(text[q] === '/' && (e.minOne || !e.deep))) active = true;
          }
          if (!active || q === n) continue;
          if (!e.deep && text[q] === '/') active = false;
          else next[q + 1] = 1;
        }
        break;
      }
      case 'alt':
        for (const o of e.options) {
          const r = step(o, cur, text, budget);
          for (let p = 0; p <= n; p++) if (r[p]) next[p] = 1;
        }
        break;
    }
    cur = next;
    if (!cur.includes(1)) return cur;
  }
  return cur;
}

/** Whether the whole of `path` matches the compiled glob; throws AareBudgetExceeded when out of budget. */
export function aareMatches(glob: Aare, path: string, budget: AareBudget = { left: 10_000_000 }): boolean {
  const start = new Uint8Array(path.length + 1);
  start[0] = 1;
  return step(glob, start, path, budget)[path.length] === 1;
}

/** Compile-and-match convenience; a malformed glob matches nothing. */
export function matchesAare(pattern: string, path: string, vars: Vars = DEFAULT_VARIABLES): boolean {
  const g = compileAare(pattern, vars);
  if (!g) return false;
  try {
    return aareMatches(g, path);
  } catch (e) {
    if (e instanceof AareBudgetExceeded) return false;
    throw e;
  }
}
