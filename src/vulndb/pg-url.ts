// Whether a --db value names a PostgreSQL database (kept apart so that callers need not load pg).

export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//.test(s);
}
