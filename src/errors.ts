// Typed errors and the exit codes every command shares.

/** Exit codes: 0 ok, 1..N findings (only when --exit-code asks), 2 bad usage or input, 3 internal error. */
export const EXIT_OK = 0;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

/**
 * An error the user caused or can fix: bad flags, a missing file, a corrupt or hostile image,
 * a registry that refuses us. Printed as one line, never with a stack trace.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options?.exitCode ?? EXIT_USAGE;
  }
}

/** Bad input found inside an image (corrupt layer, digest mismatch, hostile archive). */
export class ImageError extends UserError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageError';
  }
}

/** A registry said no, or could not be reached. */
export class RegistryError extends UserError {
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.name = 'RegistryError';
    this.status = options?.status;
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

/** One line describing any thrown value, for messages that wrap lower-level errors. */
export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
