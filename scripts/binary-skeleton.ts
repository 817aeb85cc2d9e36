// Makes a test fixture from a real Go or Rust binary: the same file (size, layout, headers) with
// every byte the readers do not look at set to zero, gzipped. A stripped Go "hello" is ~800 KiB; its
// skeleton gzips to ~5 KiB and still reads the same with `go version -m`.
//
//   node --import tsx scripts/binary-skeleton.ts go|rust IN OUT.gz

import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readGoBuildInfo } from '../src/analyze/lang/gobinary.js';
import { readAuditPackages } from '../src/analyze/lang/rustbinary.js';
import { openExecutable } from '../src/util/executable.js';
import { recordingSource, skeleton } from '../test/helpers/elf.js';

const [kind, input, output] = process.argv.slice(2);
if ((kind !== 'go' && kind !== 'rust') || !input || !output) {
  console.error('usage: binary-skeleton.ts go|rust IN OUT.gz');
  process.exit(2);
}
const buf = readFileSync(input);
const { src, ranges } = recordingSource(buf);
const exe = await openExecutable(src);
if (!exe) throw new Error(`${input}: not an ELF, PE or Mach-O file`);
const found = kind === 'go' ? await readGoBuildInfo(exe) : await readAuditPackages(exe);
if (!found) throw new Error(`${input}: no ${kind === 'go' ? 'Go build info' : 'audit data'}`);
// Also kept: the first 4 KiB (file, program and PE headers, Mach-O load commands) and, for PE, the
// COFF symbol and string tables at the end, which Go's own PE reader insists on.
const keep: [number, number][] = [[0, 4096], ...ranges];
if (exe.format === 'pe') {
  const pe = buf.readUInt32LE(0x3c);
  keep.push([buf.readUInt32LE(pe + 12), buf.length]);
}
const gz = gzipSync(skeleton(buf, keep), { level: 9 });
writeFileSync(output, gz);
console.log(`${output}: ${buf.length} bytes -> ${gz.length} gzipped`);
