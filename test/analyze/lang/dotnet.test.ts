import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { dotnetDepsAnalyzer, parseDepsJson, splitLibraryKey } from '../../../src/analyze/lang/dotnet.js';
import { ROOT, SHARED, SKIP_SHARED } from '../../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'dotnet');
const TRIVY = path.join(SHARED, 'data/trivy-testdata/pkg/dependency/parser/dotnet/core_deps/testdata');
const SYFT = path.join(SHARED, 'data/syft-testdata/syft/pkg/cataloger');

/** "name@version" with "*" for indirect packages. */
function list(file: string): string[] {
  return parseDepsJson(readFileSync(file, 'utf8')).map(
    (p) => `${p.name}@${p.version}${p.indirect ? '*' : ''}`,
  );
}

// Expectations read off the files: "package" libraries whose entry under the runtime target has
// runtime / native / runtimeTargets / resources assets; direct = a dependency of a "project".
describe('.NET deps.json', () => {
  it('committed Trivy inputs: packages only, projects and runtime packs skipped', () => {
    assert.deepEqual(list(path.join(FIX, 'happy.deps.json')), ['Newtonsoft.Json@13.0.1']);
    assert.deepEqual(list(path.join(FIX, 'self-contained.deps.json')), ['Newtonsoft.Json@13.0.1']);
    assert.deepEqual(list(path.join(FIX, 'multi-project.deps.json')), ['Newtonsoft.Json@13.0.3']);
    // Meta-packages and framework-superseded references put no file next to the app.
    assert.deepEqual(list(path.join(FIX, 'without-runtime.deps.json')), [
      'JsonDiffPatch@2.0.61',
      'Libuv@1.9.1*',
    ]);
  });

  it('the rest of Trivy test data', { skip: SKIP_SHARED }, () => {
    assert.deepEqual(list(path.join(TRIVY, 'ambiguous-root.deps.json')), ['Newtonsoft.Json@13.0.3']);
    // The runtime target is absent: nothing tells what was deployed, so everything is kept.
    assert.deepEqual(list(path.join(TRIVY, 'missing-target.deps.json')), ['Newtonsoft.Json@13.0.1']);
    assert.deepEqual(list(path.join(TRIVY, 'no-libraries.deps.json')), []);
    assert.throws(() => list(path.join(TRIVY, 'invalid.deps.json')), SyntaxError);
  });

  it('Syft test data: reference assemblies, satellite resources, a library with transitive packages', {
    skip: SKIP_SHARED,
  }, () => {
    assert.deepEqual(list(path.join(SYFT, 'dotnet/testdata/deps-with-referenceassembly/MyApp.deps.json')), [
      'Newtonsoft.Json@13.0.3',
    ]);
    assert.deepEqual(list(path.join(SYFT, 'dotnet/testdata/dir-example-1/TestLibrary.deps.json')), [
      'AWSSDK.Core@3.7.10.6',
      'Microsoft.Extensions.DependencyInjection@6.0.0',
      'Microsoft.Extensions.DependencyInjection.Abstractions@6.0.0*',
      'Microsoft.Extensions.Logging@6.0.0',
      'Microsoft.Extensions.Logging.Abstractions@6.0.0*',
      'Microsoft.Extensions.Options@6.0.0*',
      'Microsoft.Extensions.Primitives@6.0.0*',
      'Newtonsoft.Json@13.0.1',
      'Serilog@2.10.0',
      'Serilog.Sinks.Console@4.0.1',
    ]);
    const single = list(path.join(SYFT, 'internal/dotnet/pe/testdata/net8-app-single-file.deps.json'));
    // 51 packages: the Humanizer meta-package has no assets; Humanizer.Core and 48 satellite
    // resource packages and Newtonsoft.Json are deployed.
    assert.equal(single.length, 50);
    assert.ok(!single.some((p) => p.startsWith('Humanizer@')));
    assert.ok(single.includes('Humanizer.Core.af@2.14.1*'));
    assert.ok(single.includes('Newtonsoft.Json@13.0.3'));
  });

  it('library keys', () => {
    assert.deepEqual(splitLibraryKey('Newtonsoft.Json/13.0.1'), {
      name: 'Newtonsoft.Json',
      version: '13.0.1',
    });
    for (const k of ['', 'x', '/1', 'x/', 'a/b/c']) assert.equal(splitLibraryKey(k), undefined, k);
  });

  it('garbage: clear errors, or nothing, never a crash', () => {
    assert.throws(() => parseDepsJson('[1,2]'), /not a JSON object/);
    assert.throws(() => parseDepsJson('{"libraries": []}'), /"libraries" is not an object/);
    assert.throws(() => parseDepsJson('{"libraries": '), SyntaxError);
    assert.deepEqual(parseDepsJson('{}'), []);
    assert.deepEqual(
      parseDepsJson(
        JSON.stringify({
          runtimeTarget: 5,
          targets: [],
          libraries: { 'A/1': { type: 'package' }, 'B/2': 'x', 'C/3': null, noversion: { type: 'package' } },
        }),
      ),
      [{ name: 'A', version: '1' }],
    );
    // A deeply nested document: V8 throws a RangeError, which the framework reports as a warning.
    assert.throws(() => parseDepsJson(`{"a":${'['.repeat(2_000_000)}`), Error);
  });

  it('matches *.deps.json files only', () => {
    const f = { type: 'file' as const, size: 1, mode: 0o644 };
    assert.ok(dotnetDepsAnalyzer.matches('app/MyApp.deps.json', f));
    assert.ok(!dotnetDepsAnalyzer.matches('app/MyApp.runtimeconfig.json', f));
    assert.ok(!dotnetDepsAnalyzer.matches('app/deps.json.bak', f));
  });
});
