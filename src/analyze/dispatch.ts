// Which analyzers to ask about an entry. Asking each of ~30 analyzers' matches() about every
// entry cost over a second per million entries; most analyzers only ever want a few basenames or
// extensions, declared in their `prefilter`, so a Map lookup or two per entry finds the few whose
// matches() is worth calling. matches() still decides: the prefilter only has to be a superset.

import type { Analyzer, Prefilter } from './types.js';

interface ExtRule {
  /** Lower-cased suffix, e.g. ".deps.json". */
  suffix: string;
  /** One '.' only: the Map key already proves the match. */
  single: boolean;
  index: number;
}

const EMPTY: readonly Analyzer[] = [];

function push(map: Map<string, number[]>, key: string, index: number): void {
  const list = map.get(key);
  if (list) list.push(index);
  else map.set(key, [index]);
}

/** Throws on a prefilter that cannot be what its author meant (it would silently lose files). */
function validate(name: string, f: Prefilter): void {
  const bad = (why: string) => new Error(`analyzer ${name}: bad prefilter: ${why}`);
  const some = (xs: readonly string[] | undefined) => xs !== undefined && xs.length > 0;
  if (!some(f.names) && !some(f.stems) && !some(f.extensions) && !some(f.dirs) && !f.modeBits)
    throw bad('it admits nothing');
  for (const n of [...(f.names ?? []), ...(f.stems ?? [])])
    if (n === '' || n.includes('/')) throw bad(`"${n}" is not a basename`);
  for (const e of f.extensions ?? [])
    if (!/^(\.[\x21-\x2d\x30-\x7e]+)+$/.test(e)) throw bad(`extension "${e}"`);
  for (const d of f.dirs ?? [])
    if (d === '' || d.startsWith('/') || d.endsWith('/')) throw bad(`directory "${d}"`);
  if (f.modeBits !== undefined && (!Number.isInteger(f.modeBits) || f.modeBits <= 0 || f.modeBits > 0o7777))
    throw bad(`mode bits ${f.modeBits}`);
}

function add(list: number[] | undefined, index: number): number[] {
  if (!list) return [index];
  list.push(index);
  return list;
}

/**
 * Built once per session from its analyzer list. `candidates()` returns the analyzers whose
 * matches() must be asked about an entry, in the list's order, each once: the order results and
 * captures had when every analyzer was asked.
 */
export class Dispatcher {
  private readonly byName = new Map<string, number[]>();
  /** Few (a Map lookup of the cut-off stem costs more than testing each). */
  private readonly byStem: { stem: string; index: number }[] = [];
  /** Keyed by the lower-cased text after the extension's last '.', the cheap part to cut per entry. */
  private readonly byExt = new Map<string, ExtRule[]>();
  private readonly byDir: { dir: string; index: number }[] = [];
  private readonly byMode: { bits: number; index: number }[] = [];
  /** Analyzers without a prefilter: asked about everything. */
  private readonly always: number[] = [];
  /** [analyzer] by index: the answer when one analyzer alone is admitted. */
  private readonly alone: (readonly Analyzer[])[];

  constructor(private readonly analyzers: readonly Analyzer[]) {
    this.alone = analyzers.map((a) => Object.freeze([a]));
    analyzers.forEach((a, index) => {
      const f = a.prefilter;
      if (!f) {
        this.always.push(index);
        return;
      }
      validate(a.name, f);
      for (const n of f.names ?? []) push(this.byName, n, index);
      for (const stem of f.stems ?? []) this.byStem.push({ stem, index });
      for (const e of f.extensions ?? []) {
        const suffix = e.toLowerCase();
        const last = suffix.lastIndexOf('.');
        const rule = { suffix, single: last === 0, index };
        const key = suffix.slice(last + 1);
        const rules = this.byExt.get(key);
        if (rules) rules.push(rule);
        else this.byExt.set(key, [rule]);
      }
      for (const dir of f.dirs ?? []) this.byDir.push({ dir, index });
      if (f.modeBits) this.byMode.push({ bits: f.modeBits, index });
    });
  }

  /**
   * The analyzers to ask about `path` (normalised, no leading '/'), whose last '/' is at `slash`
   * (-1 at the top) and whose basename is `base`. Shared and read-only: do not modify.
   */
  candidates(path: string, slash: number, base: string, mode: number): readonly Analyzer[] {
    // Most entries hit nothing: a list is only allocated for those that do.
    let hit: number[] | undefined;
    const named = this.byName.get(base);
    if (named) hit = [...named];
    for (const s of this.byStem)
      if (base.startsWith(s.stem) && (base.length === s.stem.length || base.charCodeAt(s.stem.length) === 46))
        hit = add(hit, s.index);
    const dot = base.lastIndexOf('.');
    if (dot >= 0 && this.byExt.size > 0) {
      const rules = this.byExt.get(base.slice(dot + 1).toLowerCase());
      if (rules)
        // The key is the text after the basename's last '.', so a one-dot suffix matches already.
        for (const r of rules) if (r.single || base.toLowerCase().endsWith(r.suffix)) hit = add(hit, r.index);
    }
    for (const d of this.byDir) if (slash === d.dir.length && path.startsWith(d.dir)) hit = add(hit, d.index);
    for (const m of this.byMode) if ((mode & m.bits) !== 0) hit = add(hit, m.index);
    for (const i of this.always) hit = add(hit, i);
    if (!hit) return EMPTY;
    if (hit.length === 1) return this.alone[hit[0] as number] as readonly Analyzer[];
    // Several criteria may admit the same analyzer, and the lists come from different maps.
    hit.sort((a, b) => a - b);
    const out: Analyzer[] = [];
    let last = -1;
    for (const i of hit) {
      if (i === last) continue;
      last = i;
      out.push(this.analyzers[i] as Analyzer);
    }
    return out;
  }
}
