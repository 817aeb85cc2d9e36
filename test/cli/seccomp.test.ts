import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isCleanUserError, runCli, tmpdir } from '../helpers/env.js';

interface Filter {
  defaultAction: string;
  architectures: string[];
  syscalls: {
    names: string[];
    action: string;
    errnoRet?: number;
    args?: { index: number; op: string; value: number }[];
  }[];
}

describe('drydock seccomp', () => {
  const dir = tmpdir('dd-seccomp-cli-');

  it('resolve: the filter runc gets, by arch and caps', async () => {
    const r = await runCli(['seccomp', 'resolve', 'docker-default']);
    assert.equal(r.code, 0, r.stderr);
    const f = JSON.parse(r.stdout) as Filter;
    assert.equal(f.defaultAction, 'SCMP_ACT_ERRNO');
    assert.deepEqual(f.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const allowed = (n: string) =>
      f.syscalls.some((s) => s.action === 'SCMP_ACT_ALLOW' && s.names.includes(n) && !s.args?.length);
    assert.ok(!allowed('mount'), 'mount needs CAP_SYS_ADMIN');
    const admin = JSON.parse(
      (await runCli(['seccomp', 'resolve', 'docker-default', '--cap', 'SYS_ADMIN'])).stdout,
    ) as Filter;
    assert.ok(admin.syscalls.some((s) => s.action === 'SCMP_ACT_ALLOW' && s.names.includes('mount')));
    const arm = JSON.parse(
      (await runCli(['seccomp', 'resolve', 'docker-default', '--arch', 'arm64'])).stdout,
    ) as Filter;
    assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  it('eval: the verdict and the deciding rule, as JSON', async () => {
    const ev = async (...a: string[]) => {
      const r = await runCli(['seccomp', 'eval', ...a, '-f', 'json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { action: string; errnoRet?: number; rule: unknown };
    };
    const vsock = await ev('docker-default', 'socket', '40', '1', '0');
    assert.equal(vsock.action, 'SCMP_ACT_ERRNO');
    assert.equal(vsock.errnoRet, 1);
    assert.equal(vsock.rule, 'default');
    assert.equal((await ev('docker-default', 'socket', '38')).action, 'SCMP_ACT_ERRNO');
    assert.equal((await ev('docker-default-v24.0.0', 'socket', '38')).action, 'SCMP_ACT_ALLOW');
    assert.equal((await ev('docker-default', 'socket', '2', '1', '0')).action, 'SCMP_ACT_ALLOW');
    const clone3 = await ev('docker-default', 'clone3');
    assert.equal(clone3.errnoRet, 38);
    assert.equal((await ev('docker-default', 'mount')).action, 'SCMP_ACT_ERRNO');
    assert.equal((await ev('docker-default', 'mount', '--cap', 'SYS_ADMIN')).action, 'SCMP_ACT_ALLOW');
    assert.equal((await ev('docker-default', 'personality', '0xffffffff')).action, 'SCMP_ACT_ALLOW');
    assert.equal((await ev('docker-default', 'personality', '1')).action, 'SCMP_ACT_ERRNO');
  });

  it('validate: warnings pass, errors exit 2 with the first one', async () => {
    const ok = await runCli(['seccomp', 'validate', 'docker-default', '-f', 'json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { valid: boolean }).valid, true);
    const f = path.join(dir, 'typo.json');
    writeFileSync(
      f,
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["sokcet"],"action":"SCMP_ACT_ALLOW"}]}',
    );
    const bad = await runCli(['seccomp', 'validate', f]);
    assert.ok(isCleanUserError(bad), bad.stderr);
    assert.match(bad.stdout, /sokcet/);
  });

  it('diff: v24.0.0 against the current default', async () => {
    const r = await runCli([
      'seccomp',
      'diff',
      'docker-default-v24.0.0',
      'docker-default',
      '-f',
      'json',
      '--exit-code',
      '1',
    ]);
    assert.equal(r.code, 1);
    const d = JSON.parse(r.stdout) as { entries: { syscall: string; kind: string; condition: string }[] };
    const only = (k: string) => d.entries.filter((e) => e.kind === k).map((e) => e.syscall);
    for (const n of ['io_uring_setup', 'io_uring_enter', 'io_uring_register'])
      assert.ok(only('allowed-only-in-a').includes(n), n);
    assert.ok(d.entries.some((e) => e.syscall === 'socket' && /arg0 == 38/.test(e.condition)));
    const same = await runCli(['seccomp', 'diff', 'docker-default', 'docker-default', '--exit-code', '1']);
    assert.equal(same.code, 0);
  });

  it('lint: the default has only the documented ptrace note; a permissive profile is flagged', async () => {
    const r = await runCli(['seccomp', 'lint', 'docker-default', '-f', 'json']);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { id: string }[]).map((f) => f.id),
      ['SCL003'],
    );
    const f = path.join(dir, 'open.json');
    writeFileSync(
      f,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ALLOW' }],
      }),
    );
    const bad = await runCli(['seccomp', 'lint', f, '--exit-code', '3']);
    assert.equal(bad.code, 3);
    assert.match(bad.stdout, /SCL001/);
  });

  it('generate: a profile from strace output', async () => {
    const log = path.join(dir, 'app.strace');
    writeFileSync(
      log,
      '1234  execve("/bin/true", ["true"], 0x7ffd /* 3 vars */) = 0\n1234  brk(NULL) = 0x55d0\n1234  openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3\n1234  exit_group(0) = ?\n1234  +++ exited with 0 +++\n',
    );
    const r = await runCli(['seccomp', 'generate', '--from-strace', log, '--no-runtime']);
    assert.equal(r.code, 0, r.stderr);
    const p = JSON.parse(r.stdout) as {
      defaultAction: string;
      syscalls: { names: string[]; action: string }[];
    };
    assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
    const names = p.syscalls.filter((s) => s.action === 'SCMP_ACT_ALLOW').flatMap((s) => s.names);
    for (const n of ['brk', 'execve', 'exit_group', 'openat']) assert.ok(names.includes(n), n);
  });

  it('compile: the program the kernel runs, in every format, with the verdicts eval gives', async () => {
    const { decodeBpf, runBpf, AUDIT_ARCH } = await import('../../src/seccomp/bpf.js');
    const j = await runCli(['seccomp', 'compile', 'docker-default', '-f', 'json']);
    assert.equal(j.code, 0, j.stderr);
    const prog = JSON.parse(j.stdout) as { code: number; jt: number; jf: number; k: number }[];
    assert.ok(prog.length > 300 && prog.length < 4096, `${prog.length} instructions`);
    const hex = await runCli(['seccomp', 'compile', 'docker-default', '-f', 'hex']);
    assert.deepEqual(decodeBpf(Buffer.from(hex.stdout.replace(/\s+/g, ''), 'hex')), prog);
    const asm = await runCli(['seccomp', 'compile', 'docker-default', '-f', 'asm']);
    assert.equal(asm.stdout.trim().split('\n').length, prog.length);
    assert.match(asm.stdout, /AUDIT_ARCH_X86_64/);
    const c = await runCli(['seccomp', 'compile', 'docker-default', '-f', 'c']);
    assert.match(c.stdout, /static struct sock_filter filter\[\] = \{/);
    const x86 = AUDIT_ARCH.x86_64;
    const verdict = (nr: number, ...a: bigint[]) =>
      runBpf(prog, { nr, arch: x86, args: [...a, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6) }) >>> 0;
    assert.equal(verdict(39), 0x7fff0000, 'getpid is allowed');
    assert.equal(verdict(165), 0x00050001, 'mount: ERRNO(EPERM) without CAP_SYS_ADMIN');
    assert.equal(verdict(41, 40n), 0x00050001, 'socket(AF_VSOCK) is denied');
    assert.equal(verdict(41, 2n), 0x7fff0000, 'socket(AF_INET) is allowed');
    const admin = JSON.parse(
      (await runCli(['seccomp', 'compile', 'docker-default', '--cap', 'SYS_ADMIN', '-f', 'json'])).stdout,
    ) as typeof prog;
    assert.equal(runBpf(admin, { nr: 165, arch: x86, args: [0n, 0n, 0n, 0n, 0n, 0n] }) >>> 0, 0x7fff0000);
    for (const bad of [
      ['seccomp', 'compile', 'docker-default', '--arch', 'mips'],
      ['seccomp', 'compile', 'docker-default', '-f', 'elf'],
    ]) {
      const r = await runCli(bad);
      assert.equal(r.code, 2, bad.join(' '));
      assert.ok(isCleanUserError(r), r.stderr);
    }
  });

  it('bad input: one line, exit 2', async () => {
    const write = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const big = write(
      'big.json',
      `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[${'{"names":["read"],"action":"SCMP_ACT_ALLOW"},'.repeat(30000)}{"names":["write"],"action":"SCMP_ACT_ALLOW"}]}`,
    );
    const cases: [string[], RegExp][] = [
      [['seccomp', 'resolve', write('bad.json', '{"defaultAction": ')], /not valid JSON/],
      [
        ['seccomp', 'resolve', write('act.json', '{"defaultAction":"SCMP_ACT_NOPE","syscalls":[]}')],
        /SCMP_ACT_NOPE/,
      ],
      [
        [
          'seccomp',
          'resolve',
          write(
            'op.json',
            '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_BOGUS"}]}]}',
          ),
        ],
        /SCMP_CMP_BOGUS/,
      ],
      [
        [
          'seccomp',
          'resolve',
          write(
            'both.json',
            '{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":[]}],"syscalls":[]}',
          ),
        ],
        /architectures.*archMap|archMap.*architectures/,
      ],
      [
        [
          'seccomp',
          'resolve',
          write(
            'names.json',
            '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"read","names":["write"],"action":"SCMP_ACT_ALLOW"}]}',
          ),
        ],
        /name.*names/,
      ],
      [['seccomp', 'resolve', 'docker-default', '--arch', 'mips9'], /architecture/],
      [['seccomp', 'resolve', big], /over \d+ bytes|refused/],
      [['seccomp', 'resolve', path.join(dir, 'missing.json')], /cannot read/],
      [['seccomp', 'generate'], /--from-strace/],
      [['seccomp', 'diff', 'docker-default'], /missing/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args);
      assert.ok(isCleanUserError(r), `${args.join(' ')}: ${r.code} ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
  });
});

describe('drydock selinux', () => {
  it('explains a label and its Pod Security verdict', async () => {
    const r = await runCli(['selinux', 'explain', 'label=type:spc_t', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout) as { processType: string; pssBaseline: string };
    assert.equal(e.processType, 'spc_t');
    assert.equal(e.pssBaseline, 'forbidden');
    const ok = JSON.parse(
      (await runCli(['selinux', 'explain', 'label=level:s0:c100,c200', '-f', 'json'])).stdout,
    ) as { pssBaseline: string };
    assert.equal(ok.pssBaseline, 'allowed');
  });
  it('validates levels: a reversed category range is exit 2', async () => {
    assert.equal((await runCli(['selinux', 'validate', 'system_u:system_r:container_t:s0:c1,c2'])).code, 0);
    const bad = await runCli(['selinux', 'validate', 'system_u:system_r:container_t:s0:c5.c2']);
    assert.ok(isCleanUserError(bad), bad.stderr);
    assert.match(bad.stderr, /reversed/);
    const types = await runCli(['selinux', 'types']);
    assert.match(types.stdout, /container_t/);
  });
});
