// Baseline for the audit benchmark: read every file and parse every YAML document with the same
// yaml package (the floor of any auditor that reads YAML in Node.js), nothing else.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

let docs = 0;
for (const f of process.argv.slice(2))
  for (const d of parseAllDocuments(readFileSync(f, 'utf8'))) if (d.toJS()) docs++;
process.stdout.write(`${docs}\n`);
