// Config files (YAML or JSON; JSON is read as YAML 1.2) as plain values plus the line of every key,
// so that audit findings can point at the line that set a field. Hostile input is bounded: a size
// cap before reading, a document cap, the yaml package's alias cap (anchor bombs), a nesting cap.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Composer, isMap, isNode, isPair, isScalar, isSeq, LineCounter, type Node, Parser } from 'yaml';
import { describe, UserError } from '../errors.js';

/** The largest config file read (Kubernetes itself refuses objects over 1.5 MiB). */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const MAX_DOCUMENTS = 20_000;
const MAX_DEPTH = 100;
const MAX_ALIASES = 1_000;

export type PathSeg = string | number;

export interface SourceDoc {
  /** The document as plain JSON values (maps are plain objects with own properties only). */
  value: unknown;
  /** 0-based index of the document in its file. */
  index: number;
  /** 1-based line of the document's first content. */
  line: number;
  /** 1-based line where the key (or sequence item) at this path is written, if it is there. */
  lineOf(path: readonly PathSeg[]): number | undefined;
}

function depthOf(node: unknown, limit: number): number {
  // Iterative, so a hostile nesting cannot overflow the stack while we measure it.
  let max = 0;
  const stack: [unknown, number][] = [[node, 1]];
  while (stack.length > 0) {
    const [n, d] = stack.pop() as [unknown, number];
    if (d > max) max = d;
    if (max > limit) return max;
    if (isMap(n) || isSeq(n)) {
      for (const it of n.items as unknown[]) {
        if (isPair(it)) {
          stack.push([it.key, d + 1], [it.value, d + 1]);
        } else stack.push([it, d + 1]);
      }
    }
  }
  return max;
}

/** Reads a config file with the size cap; `-` is standard input. */
export function readConfigFile(file: string, maxBytes = MAX_CONFIG_BYTES): string {
  let fd: number;
  try {
    fd = file === '-' ? 0 : openSync(file, 'r');
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${describe(e)}`);
  }
  try {
    if (file !== '-') {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw new UserError(`${file} is a directory`);
      if (st.isFile() && st.size > maxBytes)
        throw new UserError(`${file} is ${st.size} bytes; config files over ${maxBytes} bytes are refused`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        if (code === 'EOF') break;
        throw new UserError(`cannot read ${file}: ${describe(e)}`);
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes)
        throw new UserError(`${file} is over ${maxBytes} bytes; config files that large are refused`);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    const data = Buffer.concat(chunks);
    if (data.includes(0)) throw new UserError(`${file} is not a text file`);
    return data.toString('utf8').replace(/^\uFEFF/, '');
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/** Parses YAML or JSON text (every document of a multi-document stream). Errors are one line, with file:line. */
export function parseConfigText(text: string, file: string): SourceDoc[] {
  return [...iterConfigDocs(text, file)];
}

/**
 * The documents of a YAML or JSON stream one at a time, so that a large multi-document manifest is
 * never held as one syntax tree: each document's tree lives only while its SourceDoc is in use.
 */
export function* iterConfigDocs(text: string, file: string): Generator<SourceDoc> {
  const lc = new LineCounter();
  const composer = new Composer({ merge: true, uniqueKeys: true, prettyErrors: false, strict: true });
  let index = 0;
  const docs = composer.compose(new Parser(lc.addNewLine).parse(text));
  for (;;) {
    let step: IteratorResult<ReturnType<Composer['compose']> extends Generator<infer D> ? D : never>;
    try {
      step = docs.next();
    } catch (e) {
      throw new UserError(
        `${file}: not valid YAML or JSON: ${e instanceof RangeError ? 'nested too deeply' : describe(e)}`,
      );
    }
    if (step.done) return;
    const doc = step.value;
    if (index >= MAX_DOCUMENTS) throw new UserError(`${file}: more than ${MAX_DOCUMENTS} documents`);
    const current = index++;
    const err = doc.errors[0];
    if (err) {
      const line = lc.linePos(err.pos[0]).line;
      const msg = err.message.split('\n')[0] ?? 'syntax error';
      throw new UserError(
        `${file}:${line}: not valid YAML or JSON: ${msg.replace(/ at line \d+, column \d+.*$/, '')}`,
      );
    }
    if (depthOf(doc.contents, MAX_DEPTH) > MAX_DEPTH)
      throw new UserError(`${file}: document ${current + 1} is nested more than ${MAX_DEPTH} levels deep`);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (e) {
      const m = describe(e);
      if (/alias/i.test(m))
        throw new UserError(
          `${file}: document ${current + 1} expands too many aliases (a YAML anchor bomb?)`,
        );
      throw new UserError(`${file}: document ${current + 1}: ${m}`);
    }
    if (value === null || value === undefined) continue; // an empty document ("---" alone)
    const root = doc.contents as Node | null;
    const rootLine = root?.range ? lc.linePos(root.range[0]).line : 1;
    yield {
      value: plain(value),
      index: current,
      line: rootLine,
      lineOf(path) {
        let node: unknown = root;
        let line: number | undefined;
        for (const seg of path) {
          if (isMap(node)) {
            const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
            if (!pair) return undefined;
            const k = pair.key as Node;
            if (k.range) line = lc.linePos(k.range[0]).line;
            node = pair.value;
          } else if (isSeq(node) && typeof seg === 'number') {
            const item = node.items[seg];
            if (!isNode(item)) return undefined;
            if (item.range) line = lc.linePos(item.range[0]).line;
            node = item;
          } else return undefined;
        }
        return line;
      },
    };
  }
}

/** Copies a parsed value into plain objects without prototypes tricks ("__proto__" stays a key). */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v)
      Object.defineProperty(o, String(k), {
        value: plain(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return o;
  }
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v))
      Object.defineProperty(o, k, {
        value: plain((v as Record<string, unknown>)[k]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return o;
  }
  if (v instanceof Date) return v.toISOString();
  return v;
}
