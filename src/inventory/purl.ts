// Package URLs (https://github.com/package-url/purl-spec) for language packages.

export function purlEncode(s: string): string {
  return encodeURIComponent(s).replace(/%2B/gi, '+');
}

function segments(path: string): string {
  return path.split('/').filter(Boolean).map(purlEncode).join('/');
}

/** PEP 503 normalised name, as purls and indexes use it. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * purl of a language package. The name may carry the namespace the way its ecosystem writes it:
 * "@scope/pkg" (npm), "vendor/pkg" (composer), "github.com/org/mod" (golang), "group:artifact" (maven).
 */
export function langPurl(purlType: string, name: string, version: string, namespace?: string): string {
  let ns = namespace ?? '';
  let n = name;
  switch (purlType) {
    case 'pypi':
      n = normalizePythonName(name);
      break;
    case 'npm':
    case 'composer':
    case 'golang': {
      const slash =
        purlType === 'npm' ? (name.startsWith('@') ? name.indexOf('/') : -1) : name.lastIndexOf('/');
      if (!namespace && slash > 0) {
        ns = name.slice(0, slash);
        n = name.slice(slash + 1);
      }
      break;
    }
    case 'maven': {
      const colon = name.indexOf(':');
      if (!namespace && colon > 0) {
        ns = name.slice(0, colon);
        n = name.slice(colon + 1);
      }
      break;
    }
  }
  const nsPart = ns ? `${segments(ns)}/` : '';
  return `pkg:${purlType}/${nsPart}${purlEncode(n)}@${purlEncode(version)}`;
}

export function npmPurl(name: string, version: string): string {
  return langPurl('npm', name, version);
}
