// Red Hat's CSAF 2.0 documents: security advisories (RHSA, category csaf_security_advisory, one
// errata with its fixed rpms) and VEX files (category csaf_vex, one CVE with the status of every
// product). Both describe products the same way:
// - product_tree.branches: a tree of products. Platforms carry a CPE
//   ("cpe:/o:redhat:enterprise_linux:9::baseos"), packages a purl
//   ("pkg:rpm/redhat/openssl@3.0.7-24.el9?arch=x86_64&epoch=1", modular ones with
//   "&rpmmod=nodejs:18:8090020240101:abcdef12"), rpm modules themselves "pkg:rpmmod/redhat/gimp@2.8:...".
// - product_tree.relationships: "<component> default_component_of <product>", whose
//   full_product_name.product_id ("BaseOS-9.5.0.Z.MAIN:openssl-1:3.0.7-24.el9.x86_64") is what the
//   vulnerabilities refer to. Older files nest them: rpm -> module -> platform.
// - vulnerabilities[]: cve, product_status {fixed, known_affected, known_not_affected,
//   under_investigation}, remediations (vendor_fix with the errata URL, no_fix_planned "Will not
//   fix" / "Out of support scope", none_available "Affected" / "Fix deferred"), threats (impact
//   Critical/Important/Moderate/Low, for all products or listed ones) and scores (cvss_v3...).
//
// Output: one Advisory per (CVE, rpm name, RHEL major release, module stream), namespace "redhat:9".
// Choices (see the tests for the data they come from):
// - Only RHEL's mainstream (cpe enterprise_linux:N or N.M, N.M from RHEL 10 on) and Extended Life
//   Cycle Support (rhel_els:N, the only stream still fixed for RHEL 6/7) count, as release N. Streams
//   pinned to a minor release (rhel_eus, rhel_aus, rhel_tus, rhel_e4s, rhel_eus_long_life...) are
//   skipped: drydock matches by major release, and their older z-stream builds would hide the
//   mainstream fix. Products that are not RHEL (OpenShift, Satellite, hardened images...) are
//   skipped, as are components that are not rpms (container images, jars).
// - Package names are binary rpm names, as Red Hat lists them for fixed builds (and, in current VEX
//   files, for unfixed ones). A source rpm ("arch=src", or a ".src" product) gives a record under
//   its source name when it is a build the document lists no binary of (same release, module and
//   build: advisories trimmed to their SRPM), and always when it is an unversioned component
//   (legacy VEX files name unfixed packages by source only; current ones add "name.src" beside
//   the binaries). A source name matches an installed rpm of the same name, which is almost
//   always built from it, and nothing otherwise.
// - fixed = "[epoch:]version-release" of the fixed build (epoch left out when 0, as drydock prints
//   installed rpm versions). When several mainstream builds fix the same package in one document
//   (a z-stream build for an older minor and the current one), the highest is kept: a RHEL N
//   image is only known to be fixed from there.
// - Status: fixed -> fixed; known_affected (first_/last_affected alike) -> will_not_fix with
//   no_fix_planned "Will not fix", end_of_life with no_fix_planned "Out of support scope",
//   fix_deferred with none_available "Fix deferred", else affected; known_not_affected ->
//   not_affected; under_investigation -> under_investigation. A product named only in a
//   remediation (no product_status, as in hand-made test files) takes its status from it:
//   vendor_fix -> fixed, no_fix_planned/none_available -> as known_affected above. When products
//   of one advisory key disagree, the first of fixed, affected, fix_deferred, will_not_fix,
//   end_of_life, under_investigation, not_affected wins (a binary fixed in the same build whose
//   source rpm is "not affected" is fixed).
// - Severity: the threat of category "impact" for the product (or for the whole CVE):
//   Critical -> CRITICAL, Important -> HIGH, Moderate -> MEDIUM, Low -> LOW, else UNKNOWN; the
//   highest among the products of one key.

import { arr, isObj, type Json, str } from '../../util/json.js';
import { rpmScheme } from '../../version/rpm.js';
import type { Advisory, Cvss, FeedRecord, Importer, Severity, Status } from '../types.js';

const SOURCE = 'redhat-csaf';
/** Depth of product_tree.branches accepted (Red Hat's go 4 deep). */
const MAX_BRANCH_DEPTH = 32;
/** Relationships followed from a product to its platform (rpm -> module -> platform is 2). */
const MAX_CHAIN = 8;

// ---------------------------------------------------------------------------------------------
// Identification helpers

export interface Purl {
  type: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
}

/** "pkg:type/namespace/name@version?k=v#sub" (percent-decoded); undefined when malformed. */
export function parsePurl(s: string): Purl | undefined {
  if (s.length > 2048 || !s.startsWith('pkg:')) return undefined;
  try {
    let rest = s.slice(4);
    const hash = rest.indexOf('#');
    if (hash >= 0) rest = rest.slice(0, hash);
    const qualifiers: Record<string, string> = {};
    const q = rest.indexOf('?');
    if (q >= 0) {
      for (const kv of rest.slice(q + 1).split('&')) {
        const eq = kv.indexOf('=');
        if (eq > 0) qualifiers[kv.slice(0, eq).toLowerCase()] = decodeURIComponent(kv.slice(eq + 1));
      }
      rest = rest.slice(0, q);
    }
    let version: string | undefined;
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      version = decodeURIComponent(rest.slice(at + 1)) || undefined;
      rest = rest.slice(0, at);
    }
    const segs = rest.split('/').filter((x) => x !== '');
    const type = segs.shift()?.toLowerCase();
    const name = segs.pop();
    if (!type || !name) return undefined;
    const out: Purl = { type, name: decodeURIComponent(name), qualifiers };
    if (version) out.version = version;
    return out;
  } catch {
    return undefined; // a malformed %-escape
  }
}

/**
 * The RHEL major release a platform CPE stands for, or undefined when it is not RHEL's mainstream
 * or ELS: "cpe:/o:redhat:enterprise_linux:9::baseos" -> "9", "cpe:/o:redhat:enterprise_linux:10.0"
 * -> "10", "cpe:/o:redhat:rhel_els:6" -> "6", "cpe:/a:redhat:rhel_eus:9.2::appstream" -> undefined.
 */
export function rhelRelease(cpe: string): string | undefined {
  if (cpe.length > 512) return undefined;
  let parts: string[];
  if (cpe.startsWith('cpe:/')) parts = cpe.slice(5).split(':');
  else if (cpe.startsWith('cpe:2.3:')) parts = cpe.slice(8).split(':');
  else return undefined;
  const [, vendor, product, version] = parts;
  if (vendor !== 'redhat' || (product !== 'enterprise_linux' && product !== 'rhel_els')) return undefined;
  const m = /^(\d{1,3})(?:\.\d{1,3}){0,2}$/.exec(version ?? '');
  return m ? m[1] : undefined;
}

/** "nodejs:18:8090020240101:abcdef12" -> "nodejs:18". */
function moduleStream(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const [name, stream] = s.split(':', 2);
  return name && stream ? `${name}:${stream}` : undefined;
}

/** An rpm product: its name, build (when the product is a build) and whether it is a source rpm. */
export interface RpmRef {
  name: string;
  /** "[epoch:]version-release", epoch left out when 0. */
  evr?: string;
  source: boolean;
  /** From the purl's rpmmod qualifier: "nodejs:18". */
  module?: string;
}

/** The rpm a product's purl names, or undefined when the product is not an rpm. */
export function rpmRef(productId: string, purl: Purl | undefined): RpmRef | undefined {
  if (purl?.type !== 'rpm') return undefined;
  const arch = purl.qualifiers.arch;
  const ref: RpmRef = {
    name: purl.name,
    source: arch === 'src' || arch === 'nosrc' || (!arch && productId.endsWith('.src')),
  };
  if (purl.version) {
    // Red Hat's older purls put the epoch in the version ("1:27.2"), newer ones in a qualifier.
    let v = purl.version;
    let epoch = purl.qualifiers.epoch;
    const colon = v.indexOf(':');
    if (colon >= 0) {
      epoch ??= v.slice(0, colon);
      v = v.slice(colon + 1);
    }
    const e = epoch && /^\d{1,10}$/.test(epoch) ? epoch.replace(/^0+/, '') : '';
    const evr = e ? `${e}:${v}` : v;
    if (rpmScheme.valid(evr) && v.includes('-')) ref.evr = evr;
  }
  const mod = moduleStream(purl.qualifiers.rpmmod);
  if (mod) ref.module = mod;
  return ref;
}

const IMPACT: Record<string, Severity> = {
  critical: 'CRITICAL',
  important: 'HIGH',
  moderate: 'MEDIUM',
  low: 'LOW',
};
const SEVERITY_RANK: Record<Severity, number> = { UNKNOWN: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };

/** Red Hat's impact rating as drydock's severity. */
export function severityOfImpact(details: string): Severity {
  return IMPACT[details.trim().toLowerCase()] ?? 'UNKNOWN';
}

/** Which status wins when products behind one advisory key disagree (lowest first). */
const STATUS_RANK: Record<Status, number> = {
  fixed: 0,
  affected: 1,
  fix_deferred: 2,
  will_not_fix: 3,
  end_of_life: 4,
  under_investigation: 5,
  not_affected: 6,
};

// ---------------------------------------------------------------------------------------------
// The product tree

interface Product {
  cpe?: string;
  purl?: Purl;
}

interface Relationship {
  component: string;
  parent: string;
}

/** Where a product id of a vulnerability lands: an rpm of a RHEL release, maybe in a module stream. */
interface Resolved {
  release: string;
  rpm: RpmRef;
  module?: string;
}

class ProductTree {
  private readonly products = new Map<string, Product>();
  private readonly relationships = new Map<string, Relationship>();
  private readonly cache = new Map<string, Resolved | null>();

  constructor(tree: unknown) {
    if (tree === undefined) return;
    if (!isObj(tree)) throw new Error('product_tree is not an object');
    // Iterative walk: the tree's depth is the file's to choose.
    const stack: [unknown, number][] = arr(tree.branches).map((b) => [b, 1]);
    while (stack.length > 0) {
      const [b, depth] = stack.pop() as [unknown, number];
      if (!isObj(b)) continue;
      if (depth > MAX_BRANCH_DEPTH) throw new Error('product_tree is nested too deeply');
      this.addProduct(b.product);
      for (const c of arr(b.branches)) stack.push([c, depth + 1]);
    }
    for (const p of arr(tree.full_product_names)) this.addProduct(p);
    for (const r of arr(tree.relationships)) {
      if (!isObj(r) || !isObj(r.full_product_name)) continue;
      const id = str(r.full_product_name.product_id);
      const component = str(r.product_reference);
      const parent = str(r.relates_to_product_reference);
      if (id && component && parent) this.relationships.set(id, { component, parent });
    }
  }

  private addProduct(p: unknown): void {
    if (!isObj(p)) return;
    const id = str(p.product_id);
    if (!id) return;
    const helper = isObj(p.product_identification_helper) ? p.product_identification_helper : {};
    const product: Product = {};
    const cpe = str(helper.cpe);
    if (cpe) product.cpe = cpe;
    const purl = str(helper.purl);
    const parsed = purl ? parsePurl(purl) : undefined;
    if (parsed) product.purl = parsed;
    this.products.set(id, product);
  }

  /** The rpm and RHEL release behind a product id of a vulnerability; undefined when not one. */
  resolve(id: string): Resolved | undefined {
    let r = this.cache.get(id);
    if (r === undefined) {
      r = this.walk(id) ?? null;
      this.cache.set(id, r);
    }
    return r ?? undefined;
  }

  private walk(id: string): Resolved | undefined {
    let rpm: RpmRef | undefined;
    let module: string | undefined;
    let at = id;
    for (let i = 0; i < MAX_CHAIN; i++) {
      const rel = this.relationships.get(at);
      if (!rel) break;
      const component = this.products.get(rel.component);
      if (i === 0) {
        rpm = rpmRef(rel.component, component?.purl);
        if (!rpm) return undefined;
      } else if (component?.purl?.type === 'rpmmod' && !module) {
        // pkg:rpmmod/redhat/gimp@2.8:8080020250623120629:0621e4ee: name, then stream:version:context
        const stream = component.purl.version?.split(':', 1)[0];
        if (stream) module = `${component.purl.name}:${stream}`;
      }
      at = rel.parent;
    }
    const cpe = this.products.get(at)?.cpe;
    const release = cpe ? rhelRelease(cpe) : undefined;
    if (!rpm || !release) return undefined;
    const out: Resolved = { release, rpm };
    const mod = rpm.module ?? module;
    if (mod) out.module = mod;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Vulnerabilities

interface Remediation {
  category: string;
  details: string;
  url?: string;
}

/** known_affected refined by the product's remediation (Red Hat's vocabulary, case-insensitive). */
function affectedStatus(rems: Remediation[] | undefined): Status {
  for (const r of rems ?? []) {
    const d = r.details.trim().toLowerCase();
    if (r.category === 'no_fix_planned' && d === 'will not fix') return 'will_not_fix';
    if (r.category === 'no_fix_planned' && d === 'out of support scope') return 'end_of_life';
    if (r.category === 'none_available' && d === 'fix deferred') return 'fix_deferred';
  }
  return 'affected';
}

const STATUS_LISTS: [string, Status][] = [
  ['fixed', 'fixed'],
  ['first_fixed', 'fixed'],
  ['known_affected', 'affected'],
  ['first_affected', 'affected'],
  ['last_affected', 'affected'],
  ['known_not_affected', 'not_affected'],
  ['under_investigation', 'under_investigation'],
];

/** Per product id: a value from the entries whose product_ids (or products) name it, else the default. */
class PerProduct<T> {
  readonly byId = new Map<string, T[]>();
  readonly all: T[] = [];
  add(ids: unknown, value: T): void {
    const list = arr(ids);
    if (list.length === 0) {
      this.all.push(value);
      return;
    }
    for (const id of list) {
      if (typeof id !== 'string') continue;
      const l = this.byId.get(id);
      if (l) l.push(value);
      else this.byId.set(id, [value]);
    }
  }
  get(id: string): T[] {
    return this.byId.get(id) ?? this.all;
  }
}

function scoreOf(s: Json): Cvss[] {
  const out: Cvss[] = [];
  for (const key of ['cvss_v4', 'cvss_v3', 'cvss_v2']) {
    const c = s[key];
    if (!isObj(c)) continue;
    const vector = str(c.vectorString);
    if (!vector) continue;
    const version = str(c.version) ?? (key === 'cvss_v2' ? '2.0' : key === 'cvss_v4' ? '4.0' : '3.0');
    const cvss: Cvss = { source: 'redhat', version, vector };
    if (typeof c.baseScore === 'number') cvss.score = c.baseScore;
    out.push(cvss);
  }
  return out;
}

/** What the products behind one advisory key say, merged. */
interface Acc {
  release: string;
  name: string;
  module?: string;
  status: Status;
  fixed?: string;
  fixUrl?: string;
  severity?: Severity;
  cvss: Map<string, Cvss>;
}

function* vulnerabilityAdvisories(
  v: Json,
  tree: ProductTree,
  modified: string | undefined,
): Iterable<Advisory> {
  const id = str(v.cve)?.trim().toUpperCase();
  if (!id || !/^CVE-\d{4}-\d{1,12}$/.test(id)) return;

  const remediations = new PerProduct<Remediation>();
  for (const r of arr(v.remediations)) {
    if (!isObj(r)) continue;
    const rem: Remediation = { category: str(r.category) ?? '', details: str(r.details) ?? '' };
    const url = str(r.url);
    if (url) rem.url = url;
    // A remediation without product_ids names nothing: it must not apply to every product.
    if (arr(r.product_ids).length > 0) remediations.add(r.product_ids, rem);
  }
  const severities = new PerProduct<Severity>();
  for (const t of arr(v.threats)) {
    if (isObj(t) && t.category === 'impact' && typeof t.details === 'string')
      severities.add(t.product_ids, severityOfImpact(t.details));
  }
  const scores = new PerProduct<Cvss>();
  for (const s of arr(v.scores)) {
    if (isObj(s)) for (const c of scoreOf(s)) scores.add(s.products, c);
  }

  // Each product's status: from product_status, else from its remediation alone.
  const statusOf = new Map<string, Status>();
  const ps = isObj(v.product_status) ? v.product_status : {};
  for (const [list, kind] of STATUS_LISTS) {
    for (const pid of arr(ps[list])) {
      if (typeof pid !== 'string') continue;
      const s = kind === 'affected' ? affectedStatus(remediations.byId.get(pid)) : kind;
      const old = statusOf.get(pid);
      if (old === undefined || STATUS_RANK[s] < STATUS_RANK[old]) statusOf.set(pid, s);
    }
  }
  for (const [pid, rems] of remediations.byId) {
    if (statusOf.has(pid)) continue;
    if (rems.some((r) => r.category === 'vendor_fix')) statusOf.set(pid, 'fixed');
    else if (rems.some((r) => r.category === 'no_fix_planned' || r.category === 'none_available'))
      statusOf.set(pid, affectedStatus(rems));
  }

  // Binary rpms, and unversioned source components (legacy VEX files name unfixed packages by
  // source only); a source build only where no binary of the same release, module and build is listed.
  const chosen: [string, Resolved, Status][] = [];
  const sourceBuilds: [string, Resolved, Status][] = [];
  const builds = new Set<string>();
  for (const [pid, status] of statusOf) {
    const r = tree.resolve(pid);
    if (!r) continue;
    if (status === 'fixed' && !r.rpm.evr) continue; // "fixed" in no known build
    if (r.rpm.source && r.rpm.evr) sourceBuilds.push([pid, r, status]);
    else {
      chosen.push([pid, r, status]);
      if (!r.rpm.source) builds.add(`${r.release}\0${r.module ?? ''}\0${r.rpm.evr ?? ''}`);
    }
  }
  for (const s of sourceBuilds) {
    const r = s[1];
    if (!builds.has(`${r.release}\0${r.module ?? ''}\0${r.rpm.evr}`)) chosen.push(s);
  }

  const keys = new Map<string, Acc>();
  for (const [pid, r, status] of chosen) {
    const key = `${r.release}\0${r.module ?? ''}\0${r.rpm.name}`;
    let acc = keys.get(key);
    if (!acc) {
      acc = { release: r.release, name: r.rpm.name, status, cvss: new Map() };
      if (r.module) acc.module = r.module;
      keys.set(key, acc);
    } else if (STATUS_RANK[status] < STATUS_RANK[acc.status]) {
      acc.status = status;
    }
    if (status === 'fixed' && r.rpm.evr && (!acc.fixed || rpmScheme.compare(r.rpm.evr, acc.fixed) > 0)) {
      acc.fixed = r.rpm.evr;
      const url = remediations.byId.get(pid)?.find((x) => x.category === 'vendor_fix' && x.url)?.url;
      if (url) acc.fixUrl = url;
      else delete acc.fixUrl;
    }
    for (const sev of severities.get(pid)) {
      if (!acc.severity || SEVERITY_RANK[sev] > SEVERITY_RANK[acc.severity]) acc.severity = sev;
    }
    for (const c of scores.get(pid)) acc.cvss.set(`${c.version}\0${c.vector}`, c);
  }
  if (keys.size === 0) return;

  // What every advisory of this CVE shares.
  let description: string | undefined;
  let summary: string | undefined;
  for (const n of arr(v.notes)) {
    if (!isObj(n)) continue;
    if (n.category === 'description') description ??= str(n.text);
    if (n.category === 'summary') summary ??= str(n.text);
  }
  const title = str(v.title) ?? summary;
  const references: string[] = [];
  let selfUrl: string | undefined;
  for (const ref of arr(v.references)) {
    const url = isObj(ref) ? str(ref.url) : undefined;
    if (!url || references.includes(url)) continue;
    references.push(url);
    if (isObj(ref) && ref.category === 'self') selfUrl ??= url;
  }
  const published = str(v.release_date);

  for (const acc of keys.values()) {
    const a: Advisory = {
      id,
      source: SOURCE,
      namespace: `redhat:${acc.release}`,
      package: acc.name,
      status: acc.status,
    };
    if (acc.status === 'fixed' && acc.fixed) a.fixed = acc.fixed;
    if (acc.severity) a.severity = acc.severity;
    if (acc.module) a.modularity = acc.module;
    if (title) a.title = title;
    if (description) a.description = description;
    if (acc.cvss.size > 0) a.cvss = [...acc.cvss.values()];
    if (references.length > 0) a.references = references;
    if (published) a.published = published;
    if (modified) a.modified = modified;
    const url = (acc.status === 'fixed' ? acc.fixUrl : undefined) ?? selfUrl;
    if (url) a.url = url;
    yield a;
  }
}

/** All advisories of one CSAF document (already JSON-parsed). */
export function* csafAdvisories(doc: unknown): Iterable<Advisory> {
  if (!isObj(doc)) throw new Error('not a JSON object');
  const document = doc.document;
  if (!isObj(document)) throw new Error('not a CSAF document (no "document" object)');
  const csafVersion = str(document.csaf_version);
  if (!csafVersion?.startsWith('2.'))
    throw new Error(`unsupported CSAF version ${JSON.stringify(csafVersion ?? null)}`);
  if (doc.vulnerabilities !== undefined && !Array.isArray(doc.vulnerabilities))
    throw new Error('"vulnerabilities" is not an array');
  const tree = new ProductTree(doc.product_tree);
  const tracking = isObj(document.tracking) ? document.tracking : {};
  const modified = str(tracking.current_release_date);
  for (const v of arr(doc.vulnerabilities)) {
    if (isObj(v)) yield* vulnerabilityAdvisories(v, tree, modified);
  }
}

export const redhatCsafImporter: Importer = {
  name: SOURCE,
  detect(path: string, head: Buffer): boolean {
    if (!path.toLowerCase().endsWith('.json')) return false;
    const text = head.toString('latin1');
    return /"csaf_version"\s*:\s*"2\./.test(text) && /"document"\s*:/.test(text);
  },
  *parse(_path: string, content: Buffer): Iterable<FeedRecord> {
    let doc: unknown;
    try {
      doc = JSON.parse(content.toString('utf8'));
    } catch (e) {
      throw new Error(`invalid JSON: ${(e as Error).message.slice(0, 120)}`);
    }
    for (const advisory of csafAdvisories(doc)) yield { advisory };
  },
};
