import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  SYSCALL_ARCHES,
  syscallArch,
  syscallName,
  syscallNames,
  syscallNumber,
} from '../../src/seccomp/syscalls.js';

const HAVE = !spawnSync('scmp_sys_resolver', ['-a', 'x86_64', 'read'], { encoding: 'utf8' }).error;

describe('syscall tables', () => {
  it('knows well-known numbers (kernel ABI)', () => {
    assert.equal(syscallNumber('x86_64', 'read'), 0);
    assert.equal(syscallNumber('x86_64', 'mkdir'), 83);
    assert.equal(syscallNumber('x86_64', 'socket'), 41);
    assert.equal(syscallNumber('x86', 'socketcall'), 102);
    assert.equal(syscallNumber('aarch64', 'openat'), 56);
    assert.equal(syscallNumber('aarch64', 'mkdir'), undefined, 'aarch64 has only mkdirat');
    assert.equal(syscallNumber('x32', 'read'), 0x40000000);
    assert.equal(syscallName('x86_64', 101), 'ptrace');
    assert.equal(syscallArch('amd64'), 'x86_64');
    assert.equal(syscallArch('SCMP_ARCH_AARCH64'), 'aarch64');
    assert.equal(syscallArch('mips'), undefined);
    for (const a of SYSCALL_ARCHES) assert.ok(syscallNames(a).length > 300, a);
  });

  it('equals libseccomp (scmp_sys_resolver) on every 7th syscall of every arch', {
    skip: HAVE ? false : 'needs scmp_sys_resolver (Debian package seccomp)',
  }, () => {
    for (const a of SYSCALL_ARCHES) {
      const names = syscallNames(a).filter((_, i) => i % 7 === 0);
      for (const n of names) {
        // Number -> name: forward lookups of socketcall/ipc-multiplexed names give libseccomp's
        // negative pseudo numbers on x86, s390x and ppc, while the direct syscalls exist.
        const nr = syscallNumber(a, n) as number;
        const r = spawnSync('scmp_sys_resolver', ['-a', a, String(nr)], { encoding: 'utf8' });
        assert.equal(r.stdout.trim(), n, `${a} ${nr}`);
      }
    }
  });
});
