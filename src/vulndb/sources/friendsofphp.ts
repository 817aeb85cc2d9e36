// FriendsOfPHP security-advisories (the PHP Security Advisories Database): one YAML file per
// advisory and package, <vendor>/<package>/<CVE-…|date-n|vendor id>.yaml, holding title, link, cve,
// reference ("composer://vendor/package") and branches: {<name>: {time, versions: ['>=2.0.0',
// '<2.0.17']}}.
//
// Each file becomes one Advisory in the "composer" namespace for the package named by `reference`,
// lower-cased (Composer compares names case-insensitively and Packagist's are lower-case; the
// matcher should lower-case an installed package's name the same way):
// - id: the `cve` when there is one; else the file name when it is a GHSA id; else
//   "FriendsOfPHP/<vendor>/<package>/<file name without .yaml>" (dates like "2012-12-12-1" and
//   vendor ids like "SS-2015-001" are only unique per package). A GHSA file name beside a CVE is an alias.
// - ranges: one "constraint" range per branch, its `versions` joined with "," (Composer's AND);
//   a version is affected when any branch's constraint holds.
// - status: "fixed" when every branch has an upper bound ("<" or "<="), since versions above it are
//   not affected; "affected" when some branch is open-ended. (`time` is not used: the
//   README calls null "not fixed yet", yet all 1,619 null-time branches of the snapshot have a "<"
//   or "<=" bound.)
// - severity: UNKNOWN (the database has none). `link` is the url; `composer-repository` is ignored.

import { isYamlMap, isYamlNull, parseYaml, type YamlValue, yamlScalar } from '../../util/yaml-lite.js';
import type { Advisory, AffectedRange, FeedRecord, Importer } from '../types.js';

const MAX_FILE = 1 << 20;
const MAX_BRANCHES = 1000;
const MAX_VERSIONS = 100;

function fileStem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

const PACKAGE_PART = /^[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?$/;

/** "composer://Vendor/Package" -> "vendor/package"; an error for anything else. */
export function composerPackageOf(reference: string): string {
  const prefix = 'composer://';
  if (!reference.startsWith(prefix)) throw new Error('reference: expected "composer://vendor/package"');
  const name = reference.slice(prefix.length).toLowerCase();
  const parts = name.split('/');
  if (parts.length !== 2 || !parts.every((p) => p.length <= 200 && PACKAGE_PART.test(p)))
    throw new Error('reference: bad Composer package name');
  return name;
}

/** One branch's AND-ed constraints as one Composer constraint string. */
function branchConstraint(name: string, branch: YamlValue): string {
  if (!isYamlMap(branch)) throw new Error(`branch "${name}": expected a mapping`);
  const v = branch.versions;
  const items = typeof v === 'string' && !isYamlNull(v.trim()) ? [v] : v;
  if (!Array.isArray(items) || items.length === 0) throw new Error(`branch "${name}": no versions`);
  if (items.length > MAX_VERSIONS) throw new Error(`branch "${name}": too many versions`);
  const parts: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string' || item.trim() === '')
      throw new Error(`branch "${name}": versions must be constraint strings`);
    // Joined with "," an alternative would swallow the other parts ("a || b,c" is "a || (b and c)").
    if (item.includes('|')) throw new Error(`branch "${name}": "|" inside a version constraint`);
    parts.push(item.trim());
  }
  return parts.join(',');
}

/**
 * Whether a Composer AND-constraint ("…,<2.0.17") bounds versions from above: some part is "<" or
 * "<=", or a caret, tilde, exact, wildcard ("1.2.*") or hyphen range; ">", ">=", "!=", "<>" and "*"
 * are not.
 */
export function hasUpperBound(constraint: string): boolean {
  // Parts are separated by commas or spaces; an operator may be followed by spaces (">= 1.0").
  const parts = constraint.replace(/([<>=!~^]) +/g, '$1').split(/[ ,]+/);
  return parts.some((p) => (p.startsWith('<') ? !p.startsWith('<>') : /^[~^=0-9vV]/.test(p)));
}

const CVE = /^CVE-[0-9]{4}-[0-9]{4,}$/;
const GHSA = /^GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}$/;

export function friendsOfPhpAdvisory(doc: YamlValue, path: string): Advisory {
  if (!isYamlMap(doc)) throw new Error('not a FriendsOfPHP advisory (expected a mapping)');
  const reference = yamlScalar(doc, 'reference');
  if (reference === undefined) throw new Error('missing "reference"');
  const pkg = composerPackageOf(reference);
  const branches = doc.branches;
  if (!isYamlMap(branches)) throw new Error('branches: expected a mapping');
  const names = Object.keys(branches);
  if (names.length === 0) throw new Error('branches: empty');
  if (names.length > MAX_BRANCHES) throw new Error('branches: too many');
  const constraints = names.map((n) => branchConstraint(n, branches[n] as YamlValue));

  const cveText = yamlScalar(doc, 'cve');
  let cve: string | undefined;
  if (cveText !== undefined) {
    cve = cveText.toUpperCase();
    if (!CVE.test(cve)) throw new Error('cve: bad CVE id');
  }
  const stem = fileStem(path);
  const stemId = CVE.test(stem) || GHSA.test(stem) ? stem : undefined;
  const id = cve ?? stemId ?? `FriendsOfPHP/${pkg}/${stem}`;
  const ranges: AffectedRange[] = constraints.map((constraint) => ({ kind: 'constraint', constraint }));

  const a: Advisory = {
    id,
    source: 'friendsofphp',
    namespace: 'composer',
    package: pkg,
    status: constraints.every(hasUpperBound) ? 'fixed' : 'affected',
    ranges,
    severity: 'UNKNOWN',
  };
  if (stemId !== undefined && stemId !== id) a.aliases = [stemId];
  const title = yamlScalar(doc, 'title');
  if (title !== undefined) a.title = title;
  const link = yamlScalar(doc, 'link');
  if (link !== undefined) a.url = link;
  return a;
}

export const friendsofphpImporter: Importer = {
  name: 'friendsofphp',

  detect(path: string, head: Buffer): boolean {
    if (!/\.ya?ml$/i.test(path)) return false;
    const text = head.toString('utf8');
    return (
      /^reference:[ \t]*['"]?composer:\/\//m.test(text) || (/^branches:/m.test(text) && /^link:/m.test(text))
    );
  },

  parse(path: string, content: Buffer): FeedRecord[] {
    if (content.length > MAX_FILE) throw new Error('file too large for an advisory');
    const doc = parseYaml(content.toString('utf8'), { maxDepth: 8, maxDocuments: 1 });
    return [{ advisory: friendsOfPhpAdvisory(doc, path) }];
  },
};
