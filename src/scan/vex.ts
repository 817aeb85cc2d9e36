// VEX input (--vex): statements that a product is not affected by a vulnerability, applied after
// matching. Two formats, read from their specifications:
//
// - OpenVEX JSON (also as the predicate of an in-toto statement): statements[] with vulnerability
//   {name | @id, aliases}, products[] ({@id: purl} or {identifiers: {purl}}, optional subcomponents)
//   and status. not_affected and fixed suppress; affected and under_investigation do not.
// - CycloneDX VEX (a JSON BOM with vulnerabilities[]): id (plus references[].id as aliases),
//   analysis.state, affects[].ref. not_affected, false_positive, resolved and resolved_with_pedigree
//   suppress; exploitable and in_triage do not. A ref is a purl, a BOM-Link ("urn:cdx:serial/version
//   #bom-ref"; the serial number is not checked against the scanned SBOM), or a bom-ref that the VEX
//   BOM's own components resolve to a purl. drydock's own SBOMs use the purl as bom-ref.
//
// A statement names packages by purl, matched by the rules in purl-match (no version: any version;
// no qualifiers: any qualifiers). drydock has no dependency graph, so a product's subcomponents are
// matched wherever they are found: the product itself is not checked. When several statements
// speak of one finding, the latest (statement timestamp, else the document's) decides, later files
// and statements winning ties.

import { readFileSync, statSync } from 'node:fs';
import { describe, UserError } from '../errors.js';
import type { Finding } from '../match/match.js';
import { isObj, type Json, str } from '../util/json.js';
import { type Purl, parsePurl, purlMatches } from './purl-match.js';

export interface VexStatement {
  /** Vulnerability id and aliases, lower-cased. */
  ids: string[];
  /** The packages it is about. */
  products: Purl[];
  status: string;
  suppress: boolean;
  justification?: string;
  /** Milliseconds since the epoch; -Infinity when the document gives no time. */
  time: number;
}

export interface VexDocument {
  file: string;
  format: 'openvex' | 'cyclonedx';
  statements: VexStatement[];
  /** Products or refs that name no package drydock can match (not a purl, unknown bom-ref). */
  unresolved: number;
}

const MAX_FILE = 64 << 20;
const MAX_STATEMENTS = 200_000;
const MAX_PRODUCTS = 1_000_000;
const MAX_COMPONENT_DEPTH = 64;

const OPENVEX_STATUSES: Record<string, boolean> = {
  not_affected: true,
  fixed: true,
  affected: false,
  under_investigation: false,
};

const CDX_STATES: Record<string, boolean> = {
  not_affected: true,
  false_positive: true,
  resolved: true,
  resolved_with_pedigree: true,
  exploitable: false,
  in_triage: false,
};

function fail(file: string, msg: string): never {
  throw new UserError(`VEX file ${file}: ${msg}`);
}

function timeOf(...vs: unknown[]): number {
  for (const v of vs) {
    const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
    if (Number.isFinite(t)) return t;
  }
  return Number.NEGATIVE_INFINITY;
}

/** Counts products across a document so a hostile file cannot make us allocate without bound. */
class Budget {
  products = 0;
  constructor(readonly file: string) {}
  product(): void {
    if (++this.products > MAX_PRODUCTS) fail(this.file, `more than ${MAX_PRODUCTS} products`);
  }
}

function openVexPurl(p: unknown): string | undefined {
  if (typeof p === 'string') return p;
  if (!isObj(p)) return undefined;
  const ids = isObj(p.identifiers) ? str(p.identifiers.purl) : undefined;
  const id = str(p['@id']);
  return id?.startsWith('pkg:') ? id : (ids ?? id);
}

function parseOpenVex(doc: Json, file: string): VexDocument {
  const out: VexDocument = { file, format: 'openvex', statements: [], unresolved: 0 };
  const budget = new Budget(file);
  const statements = doc.statements;
  if (!Array.isArray(statements)) fail(file, '"statements" must be a list');
  if (statements.length > MAX_STATEMENTS) fail(file, `more than ${MAX_STATEMENTS} statements`);
  statements.forEach((s, i) => {
    const where = `statements[${i}]`;
    if (!isObj(s)) fail(file, `${where} is not an object`);
    const v = s.vulnerability;
    const ids: string[] = [];
    if (typeof v === 'string') ids.push(v);
    else if (isObj(v)) {
      for (const x of [v.name, v['@id']]) if (str(x)) ids.push(x as string);
      if (Array.isArray(v.aliases)) for (const a of v.aliases) if (str(a)) ids.push(a as string);
    }
    if (ids.length === 0) fail(file, `${where}: no vulnerability name`);
    const status = str(s.status);
    if (!status || !(status in OPENVEX_STATUSES))
      fail(file, `${where}: unknown status "${String(s.status).slice(0, 40)}"`);
    if (!Array.isArray(s.products) && s.products !== undefined)
      fail(file, `${where}: "products" must be a list`);
    const products: Purl[] = [];
    const add = (p: unknown) => {
      budget.product();
      const text = openVexPurl(p);
      const purl = text ? parsePurl(text) : undefined;
      if (purl) products.push(purl);
      else out.unresolved++;
    };
    // Version 0.0.1 of the spec put subcomponents on the statement.
    const stmtSubs = Array.isArray(s.subcomponents) ? s.subcomponents : [];
    for (const p of (s.products as unknown[] | undefined) ?? []) {
      const subs = isObj(p) && Array.isArray(p.subcomponents) ? p.subcomponents : [];
      if (subs.length === 0 && stmtSubs.length === 0) add(p);
      else budget.product();
      for (const c of subs) add(c);
    }
    for (const c of stmtSubs) add(c);
    const st: VexStatement = {
      ids: ids.map((x) => x.toLowerCase()),
      products,
      status,
      suppress: OPENVEX_STATUSES[status] as boolean,
      time: timeOf(s.last_updated, s.timestamp, doc.last_updated, doc.timestamp),
    };
    const j = str(s.justification);
    if (j) st.justification = j;
    out.statements.push(st);
  });
  return out;
}

/** bom-ref → purl over the BOM's components (nested ones too), iteratively. */
function componentRefs(doc: Json, budget: Budget): Map<string, string> {
  const refs = new Map<string, string>();
  const stack: { list: unknown; depth: number }[] = [{ list: doc.components, depth: 1 }];
  if (isObj(doc.metadata)) stack.push({ list: [doc.metadata.component], depth: 1 });
  while (stack.length) {
    const { list, depth } = stack.pop() as { list: unknown; depth: number };
    if (!Array.isArray(list)) continue;
    if (depth > MAX_COMPONENT_DEPTH)
      fail(budget.file, `components nested deeper than ${MAX_COMPONENT_DEPTH}`);
    for (const c of list) {
      budget.product();
      if (!isObj(c)) continue;
      const ref = str(c['bom-ref']);
      const purl = str(c.purl);
      if (ref && purl) refs.set(ref, purl);
      if (Array.isArray(c.components)) stack.push({ list: c.components, depth: depth + 1 });
    }
  }
  return refs;
}

function resolveRef(ref: string, refs: Map<string, string>): Purl | undefined {
  let r = ref;
  if (/^urn:cdx:/i.test(r)) {
    const hash = r.indexOf('#');
    if (hash < 0) return undefined;
    try {
      r = decodeURIComponent(r.slice(hash + 1));
    } catch {
      return undefined;
    }
  }
  r = refs.get(r) ?? r;
  // drydock's SBOM writer makes a repeated purl unique as "drydock:pkg:N:<purl>".
  r = r.replace(/^drydock:pkg:\d+:/, '');
  return parsePurl(r);
}

function parseCycloneDx(doc: Json, file: string): VexDocument {
  const out: VexDocument = { file, format: 'cyclonedx', statements: [], unresolved: 0 };
  const budget = new Budget(file);
  const vulns = doc.vulnerabilities;
  if (vulns === undefined) return out;
  if (!Array.isArray(vulns)) fail(file, '"vulnerabilities" must be a list');
  if (vulns.length > MAX_STATEMENTS) fail(file, `more than ${MAX_STATEMENTS} vulnerabilities`);
  const refs = componentRefs(doc, budget);
  const docTime = isObj(doc.metadata) ? doc.metadata.timestamp : undefined;
  vulns.forEach((v, i) => {
    const where = `vulnerabilities[${i}]`;
    if (!isObj(v)) fail(file, `${where} is not an object`);
    const id = str(v.id);
    if (!id) fail(file, `${where}: no "id"`);
    const ids = [id];
    if (Array.isArray(v.references))
      for (const r of v.references) if (isObj(r) && str(r.id)) ids.push(r.id as string);
    // A vulnerability without an analysis is a finding, not a VEX statement.
    if (v.analysis === undefined) return;
    if (!isObj(v.analysis)) fail(file, `${where}: "analysis" must be an object`);
    const a = v.analysis;
    const state = str(a.state);
    if (!state) return;
    if (!(state in CDX_STATES)) fail(file, `${where}: unknown analysis state "${state.slice(0, 40)}"`);
    if (v.affects !== undefined && !Array.isArray(v.affects))
      fail(file, `${where}: "affects" must be a list`);
    const products: Purl[] = [];
    for (const x of (v.affects as unknown[] | undefined) ?? []) {
      budget.product();
      const ref = isObj(x) ? str(x.ref) : undefined;
      const purl = ref ? resolveRef(ref, refs) : undefined;
      if (purl) products.push(purl);
      else out.unresolved++;
    }
    const st: VexStatement = {
      ids: ids.map((x) => x.toLowerCase()),
      products,
      status: state,
      suppress: CDX_STATES[state] as boolean,
      time: timeOf(a.lastUpdated, a.firstIssued, v.updated, v.published, docTime),
    };
    const j = str(a.justification);
    if (j) st.justification = j;
    out.statements.push(st);
  });
  return out;
}

/** Parses a VEX document's text; `file` names it in errors. Throws UserError when it is not one. */
export function parseVex(text: string, file: string): VexDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    return fail(file, `not JSON (${describe(e).split('\n')[0]})`);
  }
  if (!isObj(doc)) fail(file, 'not a VEX document (expected a JSON object)');
  // An in-toto statement (vexctl attest) carries the OpenVEX document as its predicate.
  if (isObj(doc.predicate) && Array.isArray(doc.predicate.statements)) doc = doc.predicate;
  const d = doc as Json;
  if (Array.isArray(d.statements) || (typeof d['@context'] === 'string' && d['@context'].includes('openvex')))
    return parseOpenVex(d, file);
  if (d.bomFormat === 'CycloneDX') return parseCycloneDx(d, file);
  if (isObj(d.document) && typeof d.document.category === 'string' && d.document.category.startsWith('csaf'))
    fail(file, 'CSAF VEX is not supported (use OpenVEX or CycloneDX)');
  if (typeof d.payloadType === 'string') fail(file, 'a signed envelope: extract its payload first');
  return fail(file, 'not an OpenVEX or CycloneDX VEX document');
}

/** The --vex values: each a file, or several separated by commas. Throws UserError. */
export function loadVexFiles(values: readonly string[] | string | undefined): VexDocument[] {
  const list = (typeof values === 'string' ? [values] : (values ?? []))
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return list.map((file) => {
    let text: string;
    try {
      const st = statSync(file);
      if (!st.isFile()) fail(file, 'not a regular file');
      if (st.size > MAX_FILE) fail(file, `larger than ${MAX_FILE >> 20} MiB`);
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (e instanceof UserError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      return fail(file, code === 'ENOENT' ? 'not found' : describe(e));
    }
    return parseVex(text, file);
  });
}

export interface VexOutcome {
  kept: Finding[];
  suppressed: { finding: Finding; statement: VexStatement; file: string }[];
}

/** Drops findings whose package a suppressing statement (the latest one that applies) names. */
export function applyVex(findings: Finding[], docs: readonly VexDocument[]): VexOutcome {
  const byId = new Map<string, { st: VexStatement; order: number; file: string }[]>();
  let order = 0;
  for (const d of docs)
    for (const st of d.statements) {
      const entry = { st, order: order++, file: d.file };
      for (const id of new Set(st.ids)) {
        const list = byId.get(id);
        if (list) list.push(entry);
        else byId.set(id, [entry]);
      }
    }
  const out: VexOutcome = { kept: [], suppressed: [] };
  for (const f of findings) {
    const actual = parsePurl(f.pkg.purl ?? '');
    let best: { st: VexStatement; order: number; file: string } | undefined;
    if (actual)
      for (const id of new Set([f.id, ...f.aliases].map((x) => x.toLowerCase())))
        for (const c of byId.get(id) ?? []) {
          if (!c.st.products.some((p) => purlMatches(p, actual))) continue;
          if (!best || c.st.time > best.st.time || (c.st.time === best.st.time && c.order > best.order))
            best = c;
        }
    if (best?.st.suppress) out.suppressed.push({ finding: f, statement: best.st, file: best.file });
    else out.kept.push(f);
  }
  return out;
}
