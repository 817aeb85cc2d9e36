import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isCleanUserError, ROOT, runCli, tmpdir } from '../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'harden');
const SAME = path.join(FIX, 'same-container');

interface Misconf {
  ID: string;
  Title: string;
  Severity: string;
  Message: string;
  Resolution: string;
  Status: string;
  References: string[];
  Compliance: string[];
  CauseMetadata: { Resource: string; Provider: string; StartLine?: number };
}
interface Report {
  SchemaVersion: number;
  Results: {
    Target: string;
    Class: string;
    Type: string;
    MisconfSummary: { Successes: number; Failures: number };
    Misconfigurations: Misconf[];
  }[];
}

async function auditJson(args: string[]): Promise<Report> {
  const r = await runCli(['audit', '-f', 'json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

const ids = (rep: Report) =>
  [...new Set(rep.Results.flatMap((x) => x.Misconfigurations.map((m) => m.ID)))].sort();

describe('drydock audit', () => {
  it('finds the same problems in one container written as a docker run line, inspect JSON, a compose service and a Pod', async () => {
    const forms = ['run.sh', 'inspect.json', 'compose.yaml', 'pod.yaml'];
    const sets = await Promise.all(forms.map(async (f) => ids(await auditJson([path.join(SAME, f)]))));
    assert.ok((sets[0] as string[]).length >= 15, `many findings: ${sets[0]}`);
    for (const [i, s] of sets.entries()) assert.deepEqual(s, sets[0], `${forms[i]} vs ${forms[0]}`);
    for (const id of ['DDC005', 'DDC013', 'DDC023', 'DDC028', 'DDC046']) assert.ok(sets[0]?.includes(id), id);
  });

  it("writes Trivy's misconfiguration shape with the controls, and points at the line", async () => {
    const rep = await auditJson([path.join(SAME, 'compose.yaml'), path.join(SAME, 'pod.yaml')]);
    assert.equal(rep.SchemaVersion, 2);
    assert.deepEqual(
      rep.Results.map((r) => [r.Type, r.Class]),
      [
        ['docker-compose', 'config'],
        ['kubernetes', 'config'],
      ],
    );
    const pod = rep.Results[1] as Report['Results'][0];
    assert.equal(pod.MisconfSummary.Failures, pod.Misconfigurations.length);
    const m = pod.Misconfigurations.find((x) => x.ID === 'DDC013') as Misconf;
    assert.equal(m.Status, 'FAIL');
    assert.equal(m.Severity, 'HIGH');
    assert.deepEqual(m.Compliance, ['CIS-DOCKER-1.6:5.22', 'PSS-BASELINE:seccompProfile']);
    assert.ok(m.Resolution.length > 10 && m.References.length > 0 && m.Title.length > 0);
    assert.equal(m.CauseMetadata.Provider, 'Kubernetes');
    assert.match(m.CauseMetadata.Resource, /^Pod\/app container app/);
    // The seccompProfile line of the pod fixture
    const lines = (await import('node:fs')).readFileSync(path.join(SAME, 'pod.yaml'), 'utf8').split('\n');
    assert.match(lines[(m.CauseMetadata.StartLine as number) - 1] ?? '', /seccompProfile/);
    const priv = rep.Results[0]?.Misconfigurations.find((x) => x.ID === 'DDC028') as Misconf;
    const cl = (await import('node:fs')).readFileSync(path.join(SAME, 'compose.yaml'), 'utf8').split('\n');
    assert.match(cl[(priv.CauseMetadata.StartLine as number) - 1] ?? '', /docker\.sock|type: bind/);
  });

  it('selects rules by profile', async () => {
    const file = path.join(SAME, 'pod.yaml');
    const all = await auditJson([file]);
    const cis = await auditJson(['--profile', 'cis', file]);
    const base = await auditJson(['--profile', 'pss-baseline', file]);
    const restricted = await auditJson(['--profile', 'pss-restricted', file]);
    const ctl = (r: Report) => r.Results.flatMap((x) => x.Misconfigurations.flatMap((m) => m.Compliance));
    assert.ok(
      ctl(cis).every(
        (c) => c.startsWith('CIS-DOCKER-1.6:') || c.startsWith('PSS-') || c.startsWith('DOCKER-BENCH'),
      ),
    );
    assert.ok(
      cis.Results[0]?.Misconfigurations.every((m) => m.Compliance.some((c) => c.startsWith('CIS-DOCKER-'))),
    );
    assert.ok(
      base.Results[0]?.Misconfigurations.every((m) =>
        m.Compliance.some((c) => c.startsWith('PSS-BASELINE:')),
      ),
    );
    assert.ok(
      restricted.Results[0]?.Misconfigurations.every((m) => m.Compliance.some((c) => c.startsWith('PSS-'))),
    );
    assert.ok(ids(restricted).length > ids(base).length, 'restricted adds to baseline');
    assert.ok(ids(all).length > ids(cis).length);
    assert.ok(
      ids(base).includes('DDC007') && ids(restricted).includes('DDC008') && !ids(base).includes('DDC008'),
    );
  });

  it('writes SARIF 2.1.0 with rules, levels and lines', async () => {
    const r = await runCli(['audit', '-f', 'sarif', path.join(SAME, 'pod.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: {
          ruleId: string;
          level: string;
          locations: { physicalLocation: { region: { startLine: number } } }[];
        }[];
      }[];
    };
    assert.equal(s.version, '2.1.0');
    const run = s.runs[0];
    assert.ok(run && run.results.length >= 15);
    const ruleIds = new Set(run.tool.driver.rules.map((x) => x.id));
    for (const res of run.results) {
      assert.ok(ruleIds.has(res.ruleId));
      assert.ok((res.locations[0]?.physicalLocation.region.startLine ?? 0) >= 1);
    }
    assert.ok(run.results.some((x) => x.level === 'error'));
  });

  it('exits with --exit-code only when something fails', async () => {
    const bad = await runCli(['audit', '--exit-code', '4', path.join(SAME, 'run.sh')]);
    assert.equal(bad.code, 4);
    assert.match(bad.stdout, /CRITICAL\s+DDC005/);
    const dir = tmpdir();
    const good = path.join(dir, 'good.sh');
    writeFileSync(
      good,
      'docker run -d --cap-drop ALL --user 1000 --read-only --memory 256m --cpus 1 --pids-limit 100 --security-opt no-new-privileges \\\n  --network appnet --health-cmd true --restart on-failure:3 app:1\n',
    );
    const ok = await runCli(['audit', '--exit-code', '4', good]);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /no failures/);
    const sev = await runCli([
      'audit',
      '--exit-code',
      '4',
      '--severity',
      'CRITICAL',
      '--docker-run',
      'docker run --read-only alpine',
    ]);
    assert.equal(sev.code, 0, 'only CRITICAL counted');
  });

  it('takes the daemon config as context: daemon-wide no-new-privileges satisfies 5.26', async () => {
    const dir = tmpdir();
    const d = path.join(dir, 'daemon.json');
    writeFileSync(d, '{"no-new-privileges": true, "icc": false}\n');
    const rep = await auditJson(['--docker-run', 'docker run alpine', d]);
    assert.ok(!ids(rep).includes('DDC015'));
    const alone = await auditJson(['--docker-run', 'docker run alpine']);
    assert.ok(ids(alone).includes('DDC015'));
    assert.equal(rep.Results[0]?.Type, 'docker-daemon');
  });

  it('checks images from docker image inspect: USER and HEALTHCHECK (CIS 4.1, 4.6)', async () => {
    const rep = await auditJson(['--profile', 'cis', path.join(FIX, 'inspect', 'docker-image.inspect.json')]);
    const m = rep.Results[0]?.Misconfigurations ?? [];
    assert.deepEqual(m.map((x) => x.ID).sort(), ['DDI001', 'DDI002']);
    assert.match(m[0]?.CauseMetadata.Resource ?? '', /^image nginx:1\.25/);
    assert.deepEqual(m.find((x) => x.ID === 'DDI001')?.Compliance, ['CIS-DOCKER-1.6:4.1']);
  });

  it('prints the capability table and the host audit rules', async () => {
    const caps = await runCli(['audit', 'caps']);
    assert.equal(caps.code, 0);
    assert.equal(caps.stdout.split('\n').filter((l) => /^\s*\d+\s+CAP_/.test(l)).length, 41);
    assert.match(caps.stdout, /CAP_DAC_READ_SEARCH\s+critical/);
    const json = await runCli(['audit', 'caps', '-f', 'json']);
    assert.equal((JSON.parse(json.stdout) as unknown[]).length, 41);
    const rules = await runCli(['audit', 'host-rules']);
    assert.equal(rules.code, 0);
    assert.match(rules.stdout, /^-w \/usr\/bin\/dockerd -p wa -k docker$/m);
    assert.match(rules.stdout, /^-w \/var\/lib\/docker -p wa -k docker$/m);
    assert.match(rules.stdout, /^-w \/etc\/docker\/daemon\.json -p wa -k docker$/m);
    assert.match(rules.stdout, /^-w \/usr\/bin\/runc -p wa -k docker$/m);
  });

  describe('bad input: one line, exit 2', () => {
    const dir = tmpdir('dd-audit-bad-');
    const cases: [string, string, RegExp][] = [
      [
        'malformed.yaml',
        'apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n',
        /malformed\.yaml:\d+: not valid YAML/,
      ],
      [
        'malformed.json',
        '[{"HostConfig": {"Privileged": true}',
        /malformed\.json:\d+: not valid YAML or JSON/,
      ],
      [
        'duplicate.yaml',
        'apiVersion: v1\nkind: Pod\nkind: Pod\n',
        /not valid YAML or JSON: Map keys must be unique/,
      ],
      [
        'bomb.yaml',
        'a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n',
        /anchor bomb/,
      ],
      ['deep.json', `${'['.repeat(200000)}${']'.repeat(200000)}`, /nested|not valid/],
      [
        'unknown-cap.yaml',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext:\n      capabilities:\n        add: [NET_FOO]\n',
        /unknown-cap\.yaml:10: unknown capability "CAP_NET_FOO"/,
      ],
      [
        'unknown-flag.sh',
        'docker run --privileged --frobnicate alpine\n',
        /unknown-flag\.sh:1: .*--frobnicate/,
      ],
      ['notes.txt', 'hello: world\n', /not a recognised config/],
      ['empty.yaml', '', /empty/],
      ['binary.bin', '\u0000\u0001\u0002ELF', /not a text file/],
    ];
    for (const [name, text, re] of cases) {
      it(name, async () => {
        const f = path.join(dir, name);
        writeFileSync(f, text);
        const r = await runCli(['audit', f]);
        assert.ok(isCleanUserError(r), `${name}: ${r.code} ${r.stderr}`);
        assert.match(r.stderr, re);
      });
    }
    it('a 10 MB manifest is refused before it is read', async () => {
      const f = path.join(dir, 'huge.yaml');
      const doc =
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: x}]\n---\n';
      writeFileSync(f, doc.repeat(Math.ceil(10_000_000 / doc.length)));
      const t = Date.now();
      const r = await runCli(['audit', f]);
      assert.ok(isCleanUserError(r), r.stderr);
      assert.match(r.stderr, /config files over \d+ bytes are refused/);
      assert.ok(Date.now() - t < 5000);
    });
    it('unknown options, missing files and no input', async () => {
      for (const args of [
        ['audit', '--bogus', 'x'],
        ['audit', path.join(dir, 'missing.yaml')],
        ['audit'],
        ['audit', dir],
        ['audit', '--profile', 'nope', 'x'],
        ['audit', '--docker-run', 'docker run'],
      ]) {
        const r = await runCli(args);
        assert.ok(isCleanUserError(r), `${args.join(' ')}: ${r.code} ${r.stderr}`);
      }
    });
  });
});
