import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LayerAnalysis } from '../../src/analyze/types.js';
import { mergeAnalyzer, mergeFiles, pathHistory } from '../../src/image/merge.js';

function layer(
  results: Record<string, unknown>,
  whiteouts: string[] = [],
  opaqueDirs: string[] = [],
  files: string[] = [],
): LayerAnalysis {
  return {
    diffID: '',
    results: { a: results },
    whiteouts,
    opaqueDirs,
    files: files.map((p) => [p, 'f', 1, 0o644, '']),
    stats: { entries: 0, bytes: 0, analyzed: 0 },
    warnings: [],
  };
}

describe('merge', () => {
  it('upper layers override, whiteouts delete files and whole directories', () => {
    const layers = [
      layer({ 'etc/a': 1, 'etc/b': 1, 'opt/x/y': 1, 'etc/sudoers.d/old': 1 }),
      layer({ 'etc/a': 2 }, ['etc/b', 'opt/x']),
      layer({ 'etc/sudoers.d/new': 3 }, [], ['etc/sudoers.d']),
    ];
    const m = mergeAnalyzer<number>(layers, 'a');
    assert.deepEqual([...m].map(([p, v]) => [p, v.layer, v.value]).sort(), [
      ['etc/a', 1, 2],
      ['etc/sudoers.d/new', 2, 3],
    ]);
  });
  it('an opaque directory hides lower content only, not its own layer', () => {
    const layers = [layer({ 'd/old': 1 }), layer({ 'd/new': 2 }, [], ['d'])];
    assert.deepEqual([...mergeAnalyzer(layers, 'a').keys()], ['d/new']);
  });
  it('a null result (symlink or directory now at that path) hides the lower file', () => {
    const layers = [layer({ 'etc/os-release': 1 }), layer({ 'etc/os-release': null })];
    assert.equal(mergeAnalyzer(layers, 'a').size, 0);
  });
  it('whiteout of "etc/b" does not touch "etc/bb"', () => {
    const layers = [layer({ 'etc/bb': 1, 'etc/b/c': 1 }), layer({}, ['etc/b'])];
    assert.deepEqual([...mergeAnalyzer(layers, 'a').keys()], ['etc/bb']);
  });
  it('merges the file tree with the layer that last wrote each file', () => {
    const layers = [
      layer({}, [], [], ['etc/motd', 'etc/issue', 'usr/bin/sudo']),
      layer({}, ['etc/motd'], [], ['usr/bin/sudo']),
    ];
    const f = mergeFiles(layers);
    assert.deepEqual([...f.keys()].sort(), ['etc/issue', 'usr/bin/sudo']);
    assert.equal(f.get('usr/bin/sudo')?.layer, 1);
  });
  it('path history restarts after a deletion', () => {
    const layers = [layer({ db: 'v1' }), layer({ db: 'v2' }), layer({}, ['db']), layer({ db: 'v3' })];
    assert.deepEqual(
      pathHistory(layers, 'a', 'db').map((p) => p.value),
      ['v3'],
    );
    assert.deepEqual(
      pathHistory(layers.slice(0, 2), 'a', 'db').map((p) => p.layer),
      [0, 1],
    );
  });
});
