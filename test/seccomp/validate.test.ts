// Tests of the seccomp profile validator: every error and warning, JSON pointers, OCI input, and
// the real moby profiles.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { DOCKER_DEFAULT_CAPS } from '../../src/harden/caps.js';
import { dockerDefaultProfile, resolveSeccomp } from '../../src/seccomp/resolve.js';
import {
  formatProblems,
  hasErrors,
  MAX_PROFILE_BYTES,
  type Problem,
  validateProfile,
} from '../../src/seccomp/validate.js';
import { ROOT } from '../helpers/env.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'seccomp');
const DATA = path.join(ROOT, 'src', 'seccomp', 'data');
const read = (dir: string, name: string): Buffer => readFileSync(path.join(dir, name));

const v = (value: unknown, arch?: string) =>
  validateProfile(value, { where: 'p.json', ...(arch === undefined ? {} : { arch }) });
const errors = (ps: Problem[]) => ps.filter((p) => p.severity === 'error');
const warnings = (ps: Problem[]) => ps.filter((p) => p.severity === 'warning');
/** The one problem of that severity at `path` (fails when there is none or several). */
function at(ps: Problem[], severity: Problem['severity'], p: string): Problem {
  const hits = ps.filter((x) => x.severity === severity && x.path === p);
  assert.equal(hits.length, 1, `${severity} at ${p}: ${JSON.stringify(ps, null, 1)}`);
  return hits[0] as Problem;
}

const ok = (syscalls: unknown[], extra: Record<string, unknown> = {}) => ({
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
  syscalls,
  ...extra,
});

describe('real moby profiles', () => {
  it("Docker's current default: no errors; notes the syscalls libseccomp 2.5.4 does not know", () => {
    const r = v(read(DATA, 'docker-default.json'));
    assert.equal(r.kind, 'docker');
    assert.equal(r.profile.syscalls.length, 33);
    assert.deepEqual(errors(r.problems), []);
    const unknown = warnings(r.problems).filter((p) => /unknown to libseccomp 2\.5\.4/.test(p.message));
    assert.equal(unknown.length, 12);
    assert.match(
      at(r.problems, 'warning', '/syscalls/0/names/317').message,
      /"statmount" .*added in Linux 6\.8/,
    );
    assert.match(at(r.problems, 'warning', '/syscalls/0/names/349').message, /"uretprobe" .*Linux 6\.11/);
    // moby writes MASKED_EQ without valueTwo: noted, not an error.
    assert.match(at(r.problems, 'warning', '/syscalls/18/args/0').message, /\(arg0 & 0x7e020000\) == 0/);
  });

  it('for one host architecture, names that do nothing on its arches are reported', () => {
    const r = v(read(DATA, 'docker-default.json'), 'arm64');
    assert.deepEqual(errors(r.problems), []);
    // The unconditional group is shared by every architecture: x86-only names do nothing on arm64.
    assert.match(
      at(r.problems, 'warning', '/syscalls/0/names/4').message,
      /"alarm" is not a syscall on aarch64, arm/,
    );
    assert.ok(warnings(r.problems).some((p) => /"mseal" is unknown to libseccomp/.test(p.message)));
    const amd = v(read(DATA, 'docker-default.json'), 'amd64');
    assert.ok(!amd.problems.some((p) => /"alarm"/.test(p.message)));
  });

  it('Docker 24.0.0 default, the old format (name, top-level architectures), example, conditional include', () => {
    const v24 = v(read(DATA, 'docker-default-v24.0.0.json'));
    assert.deepEqual(errors(v24.problems), []);
    const old = v(read(FIX, 'moby-seccomp-default-old-format.json'));
    assert.deepEqual(old.problems, []);
    assert.equal(old.profile.syscalls.length, 311);
    assert.equal(old.profile.syscalls[0]?.name, 'accept');
    assert.deepEqual(old.profile.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const ex = v(read(FIX, 'moby-seccomp-example.json'));
    assert.deepEqual(errors(ex.problems), []);
    assert.match(
      at(ex.problems, 'warning', '/syscalls/3/errnoRet').message,
      /12345 is above MAX_ERRNO: the kernel returns 4095/,
    );
    assert.deepEqual(ex.profile.syscalls[0]?.args, [
      { index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
    const cond = v(read(FIX, 'moby-seccomp-conditional_include.json'));
    assert.deepEqual(cond.problems, []);
    assert.deepEqual(cond.profile.syscalls[1]?.includes, { caps: ['CAP_SYSLOG'] });
  });
});

describe('OCI input', () => {
  const resolved = resolveSeccomp(dockerDefaultProfile(), { arch: 'amd64', caps: [...DOCKER_DEFAULT_CAPS] });

  it('a whole config.json: takes linux.seccomp, pointers start there', () => {
    const cfg = { ociVersion: '1.0.2', process: {}, linux: { seccomp: structuredClone(resolved) } };
    (cfg.linux.seccomp as { syscalls: { names: string[] }[] }).syscalls[0]?.names.push('getpidd');
    const r = v(JSON.stringify(cfg));
    assert.equal(r.kind, 'oci');
    assert.match(
      at(r.problems, 'error', '/linux/seccomp/syscalls/0/names/361').message,
      /unknown syscall "getpidd"/,
    );
    assert.equal(r.profile.defaultAction, 'SCMP_ACT_ERRNO');
  });

  it('a bare linux.seccomp object is read like a Docker profile', () => {
    const r = v(resolved);
    assert.equal(r.kind, 'docker');
    assert.deepEqual(errors(r.problems), []);
  });

  it('Docker-only fields in a config.json are flagged; no linux.seccomp is an error', () => {
    const r = v({
      ociVersion: '1.0.2',
      linux: {
        seccomp: {
          defaultAction: 'SCMP_ACT_ALLOW',
          archMap: [],
          syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', comment: 'x' }],
        },
      },
    });
    assert.match(
      at(r.problems, 'warning', '/linux/seccomp/archMap').message,
      /Docker profile field, not an OCI one/,
    );
    assert.match(at(r.problems, 'warning', '/linux/seccomp/syscalls/0/comment').message, /runc ignores it/);
    assert.match(
      at(v({ ociVersion: '1.0.2', linux: {} }).problems, 'error', '/linux').message,
      /without linux\.seccomp/,
    );
    assert.match(
      at(
        v({ ociVersion: '1.0.2', linux: { seccomp: { syscalls: [] } } }).problems,
        'error',
        '/linux/seccomp/defaultAction',
      ).message,
      /required/,
    );
  });
});

describe('errors', () => {
  it('invalid JSON, with line and column; not an object', () => {
    const r = v('{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [,]\n}');
    assert.match(at(r.problems, 'error', '').message, /^invalid JSON: .* at line 3 column 16$/);
    assert.match(at(v('[1]').problems, 'error', '').message, /must be a JSON object/);
    assert.match(at(v(new TextEncoder().encode('nul')).problems, 'error', '').message, /invalid JSON/);
  });

  it('refuses a profile over 1 MiB before parsing', () => {
    const big = ' '.repeat(MAX_PROFILE_BYTES + 1);
    assert.throws(
      () => v(big),
      (e: unknown) => e instanceof UserError && /p\.json: .* over the 1048576-byte limit/.test(e.message),
    );
    assert.throws(() => v(Buffer.alloc(MAX_PROFILE_BYTES + 1)), UserError);
  });

  it('unknown actions, operators, architectures and flags', () => {
    const r = v({
      defaultAction: 'SCMP_ACT_DENY',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX'],
      flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_FAST'],
      syscalls: [
        { names: ['getpid'], action: 'SCMP_ACT_PERMIT' },
        {
          names: ['socket'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 1, op: 'SCMP_CMP_APPROX' }],
        },
      ],
    });
    assert.match(at(r.problems, 'error', '/defaultAction').message, /unknown action "SCMP_ACT_DENY"/);
    assert.match(at(r.problems, 'error', '/architectures/1').message, /unknown architecture "SCMP_ARCH_VAX"/);
    assert.match(at(r.problems, 'error', '/flags/1').message, /unknown flag "SECCOMP_FILTER_FLAG_FAST"/);
    assert.match(at(r.problems, 'error', '/syscalls/0/action').message, /unknown action "SCMP_ACT_PERMIT"/);
    assert.match(
      at(r.problems, 'error', '/syscalls/1/args/0/op').message,
      /unknown operator "SCMP_CMP_APPROX"/,
    );
    const m = v({
      defaultAction: 'SCMP_ACT_ERRNO',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_Z80'] }],
      syscalls: [],
    });
    assert.match(
      at(m.problems, 'error', '/archMap/0/subArchitectures/0').message,
      /unknown architecture "SCMP_ARCH_Z80"/,
    );
  });

  it('both architectures and archMap; both name and names', () => {
    const r = v(
      ok([{ name: 'read', names: ['write'], action: 'SCMP_ACT_ALLOW' }], {
        archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }],
      }),
    );
    assert.match(at(r.problems, 'error', '').message, /both "architectures" and "archMap"/);
    assert.match(at(r.problems, 'error', '/syscalls/0').message, /both "name" and "names"/);
  });

  it('argument index out of range, duplicated, or not a number; values past 2^53', () => {
    const r = v(
      ok([
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] },
        {
          names: ['write'],
          action: 'SCMP_ACT_ALLOW',
          args: [
            { index: 1, value: 1, op: 'SCMP_CMP_GT' },
            { index: 1, value: 9, op: 'SCMP_CMP_LT' },
          ],
        },
        { names: ['close'], action: 'SCMP_ACT_ALLOW', args: [{ index: '0', value: 1, op: 'SCMP_CMP_EQ' }] },
        { names: ['dup'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] },
      ]),
    );
    assert.match(
      at(r.problems, 'error', '/syscalls/0/args/0/index').message,
      /out of range: a syscall has 6 arguments/,
    );
    assert.match(
      at(r.problems, 'error', '/syscalls/1/args/1').message,
      /compared twice .*\/syscalls\/1\/args\/0.*OR, not AND/,
    );
    assert.match(at(r.problems, 'error', '/syscalls/2/args/0/index').message, /not a non-negative integer/);
    assert.match(at(r.problems, 'error', '/syscalls/3/args/0/value').message, /above 2\^53/);
  });

  it('errnoRet on an action that has none', () => {
    const r = v(
      ok([{ names: ['read'], action: 'SCMP_ACT_KILL_PROCESS', errnoRet: 1 }], {
        defaultAction: 'SCMP_ACT_ALLOW',
        defaultErrnoRet: 38,
      }),
    );
    assert.match(
      at(r.problems, 'error', '/syscalls/0/errnoRet').message,
      /only applies to SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL_PROCESS/,
    );
    assert.match(at(r.problems, 'error', '/defaultErrnoRet').message, /not SCMP_ACT_ALLOW/);
    assert.deepEqual(
      errors(v(ok([{ names: ['read'], action: 'SCMP_ACT_TRACE', errnoRet: 5 }])).problems),
      [],
    );
  });

  it('listener settings and SCMP_ACT_NOTIFY', () => {
    const r = v(ok([{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }], { listenerMetadata: 'x' }));
    assert.match(at(r.problems, 'error', '/listenerMetadata').message, /without listenerPath/);
    assert.match(at(r.problems, 'error', '/syscalls/0/action').message, /SCMP_ACT_NOTIFY needs listenerPath/);
    const d = v({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/run/agent.sock', syscalls: [] });
    assert.match(at(d.problems, 'error', '/defaultAction').message, /cannot be the default action/);
    const w = v(ok([{ names: ['write'], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: '/run/agent.sock' }));
    assert.match(at(w.problems, 'error', '/syscalls/0').message, /runc refuses SCMP_ACT_NOTIFY for write/);
    assert.deepEqual(
      errors(
        v(ok([{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: '/run/agent.sock' }))
          .problems,
      ),
      [],
    );
  });

  it('includes/excludes: bad minKernel, unknown or unprefixed capabilities', () => {
    const r = v(
      ok([
        { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4' } },
        { names: ['syslog'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYSLOG', 'CAP_TELEPORT'] } },
        { names: ['chroot'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['SYS_CHROOT'] } },
        {
          names: ['bpf'],
          action: 'SCMP_ACT_ALLOW',
          includes: { minKernel: '5.8', caps: ['CAP_BPF'], arches: ['amd64'] },
        },
      ]),
    );
    assert.match(
      at(r.problems, 'error', '/syscalls/0/includes/minKernel').message,
      /not a kernel version "<major>\.<minor>"/,
    );
    assert.match(
      at(r.problems, 'error', '/syscalls/1/includes/caps/1').message,
      /unknown capability "CAP_TELEPORT"/,
    );
    assert.match(
      at(r.problems, 'error', '/syscalls/2/excludes/caps/0').message,
      /must be written CAP_SYS_CHROOT/,
    );
    assert.equal(r.problems.filter((p) => p.path.startsWith('/syscalls/3')).length, 0);
  });

  it('a name no architecture knows is a likely typo', () => {
    const r = v(ok([{ names: ['read', 'wirte'], action: 'SCMP_ACT_ALLOW' }]));
    assert.match(
      at(r.problems, 'error', '/syscalls/0/names/1').message,
      /unknown syscall "wirte" \(a typo\?\)/,
    );
  });

  it('rules libseccomp refuses to combine (EEXIST): runc would not start the container', () => {
    const r = v(
      ok([
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        {
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }],
        },
        {
          names: ['personality'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 22,
          args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }],
        },
      ]),
    );
    assert.match(
      at(r.problems, 'error', '/syscalls/2').message,
      /runc would not start the container: this rule and \/syscalls\/1 give different actions/,
    );
  });

  it('wrong types, missing fields and defaults', () => {
    const r = v({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: 'SCMP_ARCH_X86_64',
      syscalls: [
        'read',
        { action: 'SCMP_ACT_ALLOW' },
        { names: ['read', 7], action: 'SCMP_ACT_ALLOW' },
        { names: ['read'] },
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: {} },
        { names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 },
        { names: ['read'], action: 'SCMP_ACT_ALLOW', includes: [] },
      ],
    });
    assert.match(at(r.problems, 'error', '/architectures').message, /must be a list of strings/);
    assert.match(at(r.problems, 'error', '/syscalls/0').message, /a rule must be an object/);
    assert.match(at(r.problems, 'error', '/syscalls/1').message, /no syscall names/);
    assert.match(at(r.problems, 'error', '/syscalls/2/names/1').message, /7 is not a string/);
    assert.match(at(r.problems, 'error', '/syscalls/3/action').message, /action is missing/);
    assert.match(at(r.problems, 'error', '/syscalls/4/args').message, /args must be a list/);
    assert.match(at(r.problems, 'error', '/syscalls/5/errnoRet').message, /-1 is not a non-negative integer/);
    assert.match(at(r.problems, 'error', '/syscalls/6/includes').message, /includes must be an object/);
    assert.match(
      at(v({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }).problems, 'error', '/defaultAction')
        .message,
      /missing but there are rules/,
    );
    assert.match(
      at(v({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: {} }).problems, 'error', '/syscalls').message,
      /must be a list/,
    );
    assert.ok(hasErrors(r.problems));
  });
});

describe('warnings', () => {
  it('syscalls unknown to libseccomp 2.5.4 but in newer kernels, and names absent on the listed arches', () => {
    const r = v(
      ok([
        { names: ['mseal', 'file_getattr'], action: 'SCMP_ACT_ALLOW' },
        { names: ['arm_fadvise64_64'], action: 'SCMP_ACT_ALLOW' },
        { names: ['open'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
      ]),
    );
    assert.deepEqual(errors(r.problems), []);
    assert.match(
      at(r.problems, 'warning', '/syscalls/0/names/0').message,
      /"mseal" is unknown to libseccomp 2\.5\.4 \(added in Linux 6\.10\): runc ignores it/,
    );
    assert.match(at(r.problems, 'warning', '/syscalls/0/names/1').message, /Linux 6\.17/);
    assert.match(at(r.problems, 'warning', '/syscalls/1/names/0').message, /not a syscall on x86_64, x86/);
    // The rule only applies to arm64, which the profile does not list: nothing to check.
    assert.equal(r.problems.filter((p) => p.path.startsWith('/syscalls/2')).length, 0);
    // socket-family names exist on x86 through socketcall.
    assert.deepEqual(
      v(ok([{ names: ['send', 'recv'], action: 'SCMP_ACT_ALLOW' }], { architectures: ['SCMP_ARCH_X86'] }))
        .problems,
      [],
    );
  });

  it('MASKED_EQ: no valueTwo, bits outside the mask, mask 0; valueTwo on other operators', () => {
    const r = v(
      ok([
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [
            { index: 0, value: 0xff00, valueTwo: 0x10ff, op: 'SCMP_CMP_MASKED_EQ' },
            { index: 1, value: 0, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' },
            { index: 2, value: 1, valueTwo: 2, op: 'SCMP_CMP_EQ' },
            { index: 3, value: 0xf0, op: 'SCMP_CMP_MASKED_EQ' },
          ],
        },
      ]),
    );
    assert.deepEqual(errors(r.problems), []);
    assert.match(
      at(r.problems, 'warning', '/syscalls/0/args/0/valueTwo').message,
      /bits outside the mask 0xff00: libseccomp compares against 0x1000/,
    );
    assert.match(at(r.problems, 'warning', '/syscalls/0/args/1/value').message, /mask 0 always matches/);
    assert.match(
      at(r.problems, 'warning', '/syscalls/0/args/2/valueTwo').message,
      /only used by SCMP_CMP_MASKED_EQ/,
    );
    assert.match(at(r.problems, 'warning', '/syscalls/0/args/3').message, /\(arg3 & 0xf0\) == 0/);
  });

  it('errno values the kernel caps, rules with the default action, unknown fields, unconfined profiles', () => {
    const r = v(
      ok(
        [
          { names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 },
          { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
          { names: ['close'], action: 'SCMP_ACT_ALLOW', Comment: 'x' },
        ],
        { defaultErrnoRet: 1, defaultaction: 'SCMP_ACT_ALLOW' },
      ),
    );
    assert.deepEqual(errors(r.problems), []);
    assert.match(at(r.problems, 'warning', '/syscalls/0/errnoRet').message, /16-bit data: runc keeps 4464/);
    assert.match(at(r.problems, 'warning', '/syscalls/1/action').message, /default action: runc skips it/);
    assert.match(at(r.problems, 'warning', '/syscalls/2/Comment').message, /unknown field "Comment"/);
    assert.match(at(r.problems, 'warning', '/defaultaction').message, /unknown field/);
    assert.match(
      at(v({ defaultAction: '', syscalls: [] }).problems, 'warning', '').message,
      /without seccomp \(unconfined\)/,
    );
    assert.match(
      at(
        v(ok([{ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd65'] } }])).problems,
        'warning',
        '/syscalls/0/includes/arches/0',
      ).message,
      /never matches/,
    );
  });

  it('escapes JSON pointer segments and renders one line per problem, errors first', () => {
    const r = v({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [], 'a/b~c': 1, flags: ['X'] });
    at(r.problems, 'warning', '/a~1b~0c');
    const text = formatProblems(r.problems, 'p.json');
    assert.deepEqual(text.split('\n'), [
      'error   p.json#/flags/0: unknown flag "X"',
      'warning p.json#/a~1b~0c: unknown field "a/b~c" (ignored)',
    ]);
  });

  it('an unknown architecture to check for is reported, not thrown', () => {
    assert.match(
      at(v(ok([{ names: ['read'], action: 'SCMP_ACT_ALLOW' }]), 'z80').problems, 'error', '').message,
      /unknown architecture "z80"/,
    );
  });
});
