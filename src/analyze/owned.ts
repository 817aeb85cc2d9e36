// OS package managers record the files each package installed; the inventory needs those lists
// only to tell language packages a .deb/.apk/.rpm installed from ones installed by pip, npm...
// A full system lists 100k+ paths: analyzers keep only paths a language analyzer would read.

/** A predicate: would some language analyzer read this path? */
export async function languagePathFilter(): Promise<(path: string) => boolean> {
  // Imported lazily: the registry imports the OS package analyzers that call this.
  const { ANALYZERS } = await import('./registry.js');
  const { isLangAnalyzer } = await import('./lang/types.js');
  const lang = ANALYZERS.filter(isLangAnalyzer);
  // Matchers see only path, type, size and mode: ask about a plausible installed file.
  const info = { type: 'file' as const, size: 1024 * 1024, mode: 0o755 };
  return (p) => lang.some((a) => a.matches(p, info));
}
