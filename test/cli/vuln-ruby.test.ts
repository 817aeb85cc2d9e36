// End to end: a Gemfile.lock against the real RubySec advisories of rack; the expected findings
// come from RubyGems itself (Gem::Requirement over each advisory's patched and unaffected lists).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, SHARED, SKIP_SHARED, tmpdir } from '../helpers/env.js';

const HAVE_RUBY = spawnSync('ruby', ['-e', 'require "yaml"']).status === 0;

function expectedByRuby(dir: string, version: string): string[] {
  const script = `
require 'yaml'
require 'date'
v = Gem::Version.new(ARGV[1])
out = []
Dir.glob(File.join(ARGV[0], '*.yml')).sort.each do |f|
  a = YAML.safe_load(File.read(f), permitted_classes: [Date])
  reqs = (a['patched_versions'] || []) + (a['unaffected_versions'] || [])
  safe = reqs.any? { |r| Gem::Requirement.new(*r.split(',')).satisfied_by?(v) }
  next if safe
  id = a['cve'] ? "CVE-#{a['cve']}" : (a['ghsa'] ? "GHSA-#{a['ghsa']}" : File.basename(f, '.yml'))
  out << id
end
puts out.uniq.sort
`;
  const r = spawnSync('ruby', ['-e', script, dir, version], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

describe('vulnerabilities: a Gemfile.lock against RubySec', () => {
  it('rack 2.0.7 and 2.2.8.1: exactly what RubyGems says is unpatched', {
    skip: SKIP_SHARED || (HAVE_RUBY ? false : 'needs ruby for the expected findings'),
  }, async () => {
    const feed = path.join(SHARED, 'data/rubysec-advisory-db/gems/rack');
    const dir = tmpdir('dd-vuln-ruby-');
    const db = path.join(dir, 'v.db');
    assert.equal((await runCli(['db', 'import', feed, '--db', db])).code, 0);
    for (const version of ['2.0.7', '2.2.8.1']) {
      const app = path.join(dir, `app-${version}`);
      spawnSync('mkdir', ['-p', app]);
      writeFileSync(
        path.join(app, 'Gemfile.lock'),
        `GEM\n  remote: https://gems.example.test/\n  specs:\n    rack (${version})\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n`,
      );
      const want = expectedByRuby(feed, version);
      const r = await runCli(['fs', app, '--db', db, '--format', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as {
        Results: { Vulnerabilities: { VulnerabilityID: string; VendorIDs?: string[] }[] }[];
      };
      const got = report.Results.flatMap((x) => x.Vulnerabilities.map((v) => v.VulnerabilityID)).sort();
      if (version === '2.0.7') assert.ok(want.length > 5, `${want.length} expected`);
      assert.deepEqual(got, want, `rack ${version}`);
    }
  });
});
