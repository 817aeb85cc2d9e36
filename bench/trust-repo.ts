// Publishes a Notary repository with N signed targets (fake image tags → random digests) to a trust
// server, for the trust benchmark: `node --import tsx bench/trust-repo.ts SERVER GUN N TRUST_DIR`.
// Passphrases come from DOCKER_CONTENT_TRUST_{ROOT,REPOSITORY}_PASSPHRASE.

import { randomBytes } from 'node:crypto';
import { type Change, NotaryRepository, targetForDigest } from '../src/trust/notary-repo.js';

const [server, gun, count, trustDir] = process.argv.slice(2);
if (!server || !gun || !count || !trustDir) {
  process.stderr.write('usage: trust-repo.ts SERVER GUN N TRUST_DIR\n');
  process.exit(2);
}
const changes: Change[] = [];
for (let i = 0; i < Number(count); i++) {
  const digest = `sha256:${randomBytes(32).toString('hex')}`;
  changes.push({
    type: 'add-target',
    name: `v${i}.${i % 7}`,
    meta: targetForDigest(digest, 500 + (i % 3000)),
  });
}
const repo = new NotaryRepository(gun, { server, trustDir });
try {
  const r = await repo.initialize({ changes });
  process.stdout.write(`${JSON.stringify(r)}\n`);
} finally {
  repo.close();
}
