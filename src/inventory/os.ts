// Decides the image's OS (family and version) from the merged release files.

import type { ReleaseFile } from '../analyze/os/release-files.js';
import type { Placed } from '../image/merge.js';

export interface OSInfo {
  /** Trivy's family names: debian, ubuntu, alpine, redhat, centos, rocky, alma, oracle, amazon, fedora... */
  family: string;
  /** Version as precise as the image tells it ("12.8", "3.19.1", "22.04"). */
  name: string;
  prettyName?: string;
  codename?: string;
  /** The file that decided it. */
  source: string;
}

const FAMILY: Record<string, string> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  alpine: 'alpine',
  rhel: 'redhat',
  centos: 'centos',
  rocky: 'rocky',
  almalinux: 'alma',
  ol: 'oracle',
  amzn: 'amazon',
  fedora: 'fedora',
  'opensuse-leap': 'opensuse.leap',
  'opensuse-tumbleweed': 'opensuse.tumbleweed',
  sles: 'suse linux enterprise server',
  sle_hpc: 'suse linux enterprise server',
  'sle-micro': 'suse linux enterprise micro',
  photon: 'photon',
  mariner: 'cbl-mariner',
  azurelinux: 'azurelinux',
  wolfi: 'wolfi',
  chainguard: 'chainguard',
};

function text(view: Map<string, Placed<ReleaseFile>>, path: string): string | undefined {
  const v = view.get(path)?.value;
  return v?.kind === 'text' ? v.text : undefined;
}

/** "Red Hat Enterprise Linux release 9.3 (Plow)" -> ["redhat", "9.3"]. */
function parseRedhatRelease(s: string): [string, string] | undefined {
  const m = /^(.*?)\s+release\s+([\d.]+)/i.exec(s);
  if (!m) return undefined;
  const n = (m[1] as string).toLowerCase();
  const fam = n.includes('centos')
    ? 'centos'
    : n.includes('rocky')
      ? 'rocky'
      : n.includes('alma')
        ? 'alma'
        : n.includes('oracle')
          ? 'oracle'
          : n.includes('fedora')
            ? 'fedora'
            : n.includes('amazon')
              ? 'amazon'
              : n.includes('red hat')
                ? 'redhat'
                : undefined;
  return fam ? [fam, m[2] as string] : undefined;
}

export function detectOS(view: Map<string, Placed<ReleaseFile>>): OSInfo | undefined {
  const osr = (view.get('etc/os-release') ?? view.get('usr/lib/os-release'))?.value;
  const osrPath = view.has('etc/os-release') ? 'etc/os-release' : 'usr/lib/os-release';
  const debianVersion = text(view, 'etc/debian_version');
  const alpineRelease = text(view, 'etc/alpine-release');
  const redhat =
    text(view, 'etc/redhat-release') ?? text(view, 'etc/centos-release') ?? text(view, 'etc/system-release');
  if (osr?.kind === 'os-release' && osr.fields.ID) {
    const f = osr.fields;
    const id = (f.ID as string).toLowerCase();
    const family = FAMILY[id] ?? id;
    let name = f.VERSION_ID ?? '';
    let source = osrPath;
    if (family === 'debian' && debianVersion && /^\d+(\.\d+)*$/.test(debianVersion)) {
      name = debianVersion;
      source = 'etc/debian_version';
    } else if (family === 'alpine' && alpineRelease && /^\d+\.\d+/.test(alpineRelease)) {
      name = alpineRelease;
      source = 'etc/alpine-release';
    } else if (redhat && ['redhat', 'centos', 'rocky', 'alma', 'oracle'].includes(family)) {
      const r = parseRedhatRelease(redhat);
      if (r && r[0] === family && r[1].startsWith(name.split('.')[0] ?? '')) {
        name = r[1];
        source = 'etc/redhat-release';
      }
    }
    if (family === 'debian' && !name) {
      // testing/sid images have no VERSION_ID; debian_version says "trixie/sid"
      name = debianVersion ?? f.VERSION_CODENAME ?? 'unknown';
    }
    const out: OSInfo = { family, name: name || 'unknown', source };
    if (f.PRETTY_NAME) out.prettyName = f.PRETTY_NAME;
    if (f.VERSION_CODENAME) out.codename = f.VERSION_CODENAME;
    return out;
  }
  if (alpineRelease) return { family: 'alpine', name: alpineRelease, source: 'etc/alpine-release' };
  if (redhat) {
    const r = parseRedhatRelease(redhat);
    if (r) return { family: r[0], name: r[1], source: 'etc/redhat-release' };
  }
  const lsb = view.get('etc/lsb-release')?.value;
  if (lsb?.kind === 'lsb-release' && lsb.fields.DISTRIB_ID) {
    const id = lsb.fields.DISTRIB_ID.toLowerCase();
    return {
      family: FAMILY[id] ?? id,
      name: lsb.fields.DISTRIB_RELEASE ?? 'unknown',
      source: 'etc/lsb-release',
    };
  }
  if (debianVersion) return { family: 'debian', name: debianVersion, source: 'etc/debian_version' };
  return undefined;
}
