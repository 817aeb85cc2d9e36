// The trust server's error responses, as notary-server 0.7 sends them:
//   {"errors":[{"code":"METADATA_NOT_FOUND","message":"...","detail":...}]}
// with the HTTP status each code carries. Validation failures of an update are INVALID_UPDATE
// with a "serializable validation error" as detail ({"Name":"ErrBadRoot","Error":{"Msg":"..."}}),
// which the notary CLI unpacks and prints.

export type NotaryErrorCode =
  | 'METADATA_NOT_FOUND'
  | 'GENERIC_NOT_FOUND'
  | 'INVALID_ROLE'
  | 'INVALID_UPDATE'
  | 'MALFORMED_JSON'
  | 'MALFORMED_UPLOAD'
  | 'NO_FILENAME'
  | 'VERSION'
  | 'INVALID_PARAMETERS'
  | 'INVALID_GUN'
  | 'UPDATING'
  | 'NO_STORAGE'
  | 'UNKNOWN';

const CODES: Record<NotaryErrorCode, { status: number; message: string }> = {
  METADATA_NOT_FOUND: { status: 404, message: 'You have requested metadata that does not exist.' },
  GENERIC_NOT_FOUND: { status: 404, message: 'You have requested a resource that does not exist.' },
  INVALID_ROLE: { status: 400, message: 'The role you are attempting to operate on is invalid.' },
  INVALID_UPDATE: { status: 400, message: 'Update sent by the client is invalid.' },
  MALFORMED_JSON: { status: 400, message: 'JSON sent by the client could not be parsed by the server' },
  MALFORMED_UPLOAD: { status: 400, message: 'The body of your request is malformed.' },
  NO_FILENAME: { status: 400, message: 'No file/role name provided.' },
  VERSION: { status: 400, message: 'A newer version of metadata is already available.' },
  INVALID_PARAMETERS: { status: 400, message: 'The parameters provided are not valid.' },
  INVALID_GUN: { status: 400, message: 'The server does not support actions on images of this name.' },
  UPDATING: { status: 500, message: 'An error has occurred while updating the TUF repository.' },
  NO_STORAGE: { status: 500, message: 'The server is misconfigured and has no storage.' },
  UNKNOWN: { status: 500, message: 'unknown error' },
};

/** An error answered to the client with Notary's code, status and message. */
export class NotaryHttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: NotaryErrorCode,
    readonly detail?: unknown,
  ) {
    super(`${code}${typeof detail === 'string' ? `: ${detail}` : ''}`);
    this.name = 'NotaryHttpError';
    this.status = CODES[code].status;
  }

  body(): string {
    const e: Record<string, unknown> = { code: this.code, message: CODES[this.code].message };
    if (this.detail !== undefined) e.detail = this.detail;
    return JSON.stringify({ errors: [e] });
  }
}

/** The validation error kinds notary clients know how to unpack from INVALID_UPDATE. */
export type ValidationKind = 'ErrValidation' | 'ErrBadRoot' | 'ErrBadTargets' | 'ErrBadSnapshot';

/** INVALID_UPDATE with a serializable validation error the notary CLI prints. */
export function invalidUpdate(kind: ValidationKind, msg: string): NotaryHttpError {
  return new NotaryHttpError('INVALID_UPDATE', { Name: kind, Error: { Msg: msg } });
}

/** INVALID_UPDATE for a missing part of the hierarchy (no snapshot and no server snapshot key). */
export function badHierarchy(missing: string, msg: string): NotaryHttpError {
  return new NotaryHttpError('INVALID_UPDATE', {
    Name: 'ErrBadHierarchy',
    Error: { Missing: missing, Msg: msg },
  });
}

export function notFound(): NotaryHttpError {
  return new NotaryHttpError('METADATA_NOT_FOUND', {});
}

/** Storage found a stored version >= one being written (a rollback or a concurrent update). */
export class OldVersionError extends Error {
  constructor(readonly role: string) {
    super(`a version of ${role} at least as new is already stored`);
    this.name = 'OldVersionError';
  }
}
