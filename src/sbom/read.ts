// Reads an SBOM file (CycloneDX JSON, SPDX 2.x JSON, or either inside an in-toto attestation)
// into drydock's inventory, with bounds on size, count and nesting.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { describe, isUserError, UserError } from '../errors.js';
import {
  isObject,
  type Json,
  SBOM_LIMITS,
  type SbomDocument,
  type SbomInventory,
  toInventory,
} from './common.js';
import { fromCycloneDX } from './cyclonedx.js';
import { fromSpdx } from './spdx.js';

function tooBig(max: number): UserError {
  return new UserError(`larger than ${Math.round(max / 1024 / 1024)} MiB: refusing to read it`);
}

/** Reads at most maxBytes of a regular file. */
function readFileBounded(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new UserError(`cannot open: ${describe(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UserError('is a directory, not an SBOM file');
    if (st.size > maxBytes) throw tooBig(maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // Files that grow while read (or report no size, like /proc) are still bounded.
      const buf = Buffer.allocUnsafe(Math.min(4 * 1024 * 1024, maxBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooBig(maxBytes);
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

async function readStdinBounded(maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      process.stdin.destroy();
      throw tooBig(maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // An attestation file (.jsonl) may hold one envelope per line: the first one is read.
    const nl = text.indexOf('\n');
    if (nl > 0 && text.slice(nl).trim()) {
      try {
        return JSON.parse(text.slice(0, nl));
      } catch {
        // fall through to the original error
      }
    }
    throw new UserError(`not JSON (${describe(e).split('\n')[0]?.slice(0, 120)})`);
  }
}

/** The predicate of an in-toto statement, whether inside a DSSE envelope or not. */
function unwrapAttestation(v: Json): unknown {
  let statement: unknown = v;
  if (typeof v.payloadType === 'string' && typeof v.payload === 'string') {
    if (!v.payloadType.includes('in-toto'))
      throw new UserError(`unsupported attestation payload ${v.payloadType}`);
    statement = parseJson(Buffer.from(v.payload, 'base64').toString('utf8'));
  }
  if (!isObject(statement) || !('predicate' in statement)) return v;
  const pred = statement.predicate;
  // Older cosign statements wrap the document as {"Data": ...}.
  return isObject(pred) && isObject(pred.Data) ? pred.Data : pred;
}

/** Recognises the format of a parsed JSON document and reads it. */
export function readSbomJson(value: unknown, limits = SBOM_LIMITS): SbomDocument {
  if (!isObject(value)) throw new UserError('not a CycloneDX or SPDX JSON document (not a JSON object)');
  const doc = unwrapAttestation(value);
  if (!isObject(doc)) throw new UserError('the attestation holds no SBOM object');
  if (doc.bomFormat === 'CycloneDX') return fromCycloneDX(doc, limits);
  if (typeof doc.spdxVersion === 'string') {
    if (doc.spdxVersion.startsWith('SPDX-3')) throw new UserError('SPDX 3 documents are not supported');
    return fromSpdx(doc, limits);
  }
  if (typeof doc['@context'] === 'string' && doc['@context'].includes('spdx.org/rdf/3'))
    throw new UserError('SPDX 3 JSON-LD documents are not supported (use SPDX 2.2/2.3 JSON)');
  throw new UserError('not a CycloneDX or SPDX JSON document (no bomFormat or spdxVersion)');
}

/** Reads the SBOM at `source` ("-" for stdin). Every failure is a one-line UserError naming it. */
export async function readSbom(
  source: string,
  limits = SBOM_LIMITS,
): Promise<SbomInventory & { format: SbomDocument['format']; spec: string }> {
  const name = source === '-' ? 'stdin' : source;
  try {
    const bytes =
      source === '-' ? await readStdinBounded(limits.maxBytes) : readFileBounded(source, limits.maxBytes);
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
    const head = text.trimStart().slice(0, 64);
    if (!head) throw new UserError('empty file');
    if (head.startsWith('<')) throw new UserError('XML SBOMs are not supported: use CycloneDX JSON');
    if (/^SPDXVersion:/i.test(head)) throw new UserError('SPDX tag-value is not supported: use SPDX JSON');
    const doc = readSbomJson(parseJson(text), limits);
    return { ...toInventory(doc, name), format: doc.format, spec: doc.spec };
  } catch (e) {
    if (isUserError(e)) throw new UserError(`${name}: ${e.message}`, { cause: e });
    if ((e as NodeJS.ErrnoException).code)
      throw new UserError(`${name}: cannot read: ${describe(e)}`, { cause: e });
    if (e instanceof RangeError)
      throw new UserError(`${name}: too large or too deeply nested to read`, { cause: e });
    throw e;
  }
}
