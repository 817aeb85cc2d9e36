// OS package managers record the files each package installed; the inventory needs those lists
// only to tell language packages a .deb/.apk/.rpm installed from ones installed by pip, npm...
// A full system lists 100k+ paths: analyzers keep only paths a language analyzer would read.

/** Directories where an OS package puts executables (Go and Rust binaries are found by mode). */
const BIN_DIR = /(^|\/)(s?bin|libexec)\//;

/** A predicate: would some language analyzer read this path? */
export async function languagePathFilter(): Promise<(path: string) => boolean> {
  // Imported lazily: the registry imports the OS package analyzers that call this.
  const { ANALYZERS } = await import('./registry.js');
  const { isLangAnalyzer } = await import('./lang/types.js');
  const { Dispatcher } = await import('./dispatch.js');
  const lang = ANALYZERS.filter(isLangAnalyzer);
  const dispatcher = new Dispatcher(lang);
  // File lists carry no modes. Asked as a plain 1 MiB file, the matchers that go by path answer;
  // the executable analyzers (which accept any file with an x bit) are covered by BIN_DIR instead,
  // or every path of the system would be kept.
  const info = { type: 'file' as const, size: 1024 * 1024, mode: 0o644 };
  return (p) => {
    if (BIN_DIR.test(p)) return true;
    const slash = p.lastIndexOf('/');
    const base = p.slice(slash + 1);
    for (const a of dispatcher.candidates(p, slash, base, info.mode)) if (a.matches(p, info)) return true;
    return false;
  };
}
