// An independent model of apk-tools' version order, used as an oracle where apk itself cannot run.
import assert from 'node:assert/strict';

/**
 * An independent restatement of apk's order as sort keys: each token gets a class (the order of
 * token kinds when two versions differ in kind) and a value; versions compare lexicographically.
 */
export function modelCompare(a: string, b: string): number {
  const SUF = ['alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'];
  const keys = (v: string) => {
    const m = /^(\d+)((?:\.\d+)*)([a-z]?)((?:_[a-z]+\d*)*)(?:~([0-9a-f]+))?(?:-r(\d+))?$/.exec(v);
    assert.ok(m, v);
    const out: [number, string | number][] = [
      [
        8,
        BigInt(m[1] as string)
          .toString()
          .padStart(40, '0'),
      ],
    ];
    for (const d of (m[2] as string).split('.').slice(1)) out.push([7, d]);
    if (m[3]) out.push([6, m[3]]);
    for (const s of (m[4] as string).split('_').slice(1)) {
      const [, name, num] = /^([a-z]+)(\d*)$/.exec(s) as RegExpExecArray;
      const rank = SUF.indexOf(name as string);
      out.push([rank < 4 ? 0 : 5, rank]);
      if (num) out.push([4, BigInt(num).toString().padStart(40, '0')]);
    }
    if (m[5]) out.push([3, m[5]]);
    if (m[6]) out.push([2, BigInt(m[6]).toString().padStart(40, '0')]);
    out.push([1, '']);
    return out;
  };
  const ka = keys(a);
  const kb = keys(b);
  for (let i = 0; ; i++) {
    const [ca, va] = ka[i] as [number, string | number];
    const [cb, vb] = kb[i] as [number, string | number];
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (ca === 1) return 0;
    let r = 0;
    if (ca === 7 && (String(va).startsWith('0') || String(vb).startsWith('0')))
      r = va < vb ? -1 : va > vb ? 1 : 0;
    else if (ca === 7) r = Math.sign(Number(BigInt(va) - BigInt(vb)));
    else r = va < vb ? -1 : va > vb ? 1 : 0;
    if (r !== 0) return r;
  }
}
