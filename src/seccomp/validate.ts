// Checks a seccomp profile (Docker/moby format, an OCI `linux.seccomp`, or a whole OCI config.json)
// and lists every problem with a JSON pointer instead of stopping at the first one.

import { UserError } from '../errors.js';
import { ALL_CAPS, DOCKER_DEFAULT_CAPS, isKnownCap, normalizeCap } from '../harden/caps.js';
import { clip, show } from '../util/text.js';
import { checkFilterLoads, newerSyscallVersions, SeccompFilterRejected } from './eval.js';
import {
  type ArchMapEntry,
  type DockerSeccompProfile,
  type DockerSyscallRule,
  goArch,
  resolveSeccomp,
  SECCOMP_ACTIONS,
  SECCOMP_ARCHES,
  SECCOMP_FLAGS,
  SECCOMP_OPERATORS,
  type SeccompAction,
  type SeccompArg,
  type SeccompFilter,
  seccompArchOf,
} from './resolve.js';
import {
  SCMP_TO_ARCH,
  SYSCALL_ARCHES,
  type SyscallArch,
  syscallArch,
  syscallNames,
  syscallNumber,
} from './syscalls.js';

export interface Problem {
  severity: 'error' | 'warning';
  message: string;
  /** JSON pointer into the input (RFC 6901), e.g. /syscalls/3/names/1; '' is the whole document. */
  path: string;
}

export interface ValidateResult {
  /** What could be read (OCI input converted to Docker's shape); partial when there are errors. */
  profile: DockerSeccompProfile;
  kind: 'docker' | 'oci';
  problems: Problem[];
}

export interface ValidateOptions {
  /** The file name, for messages. */
  where: string;
  /** The host architecture the profile is meant for (Go/uname/SCMP spelling); default: every one it lists. */
  arch?: string;
}

export const MAX_PROFILE_BYTES = 1024 * 1024;
// A 1 MiB profile cannot hold more; these bound the work on an already parsed value.
const MAX_RULES = 20_000;
const MAX_NAMES = 100_000;
const MAX_ERRNO = 4095;

// moby's `arches` spelling (includes/excludes) -> drydock's table arch.
const MOBY_ARCHES: Record<string, SyscallArch | undefined> = {
  amd64: 'x86_64',
  x86: 'x86',
  x32: 'x32',
  arm: 'arm',
  arm64: 'aarch64',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: undefined,
  mips: undefined,
  mipsel: undefined,
  mips64: undefined,
  mipsel64: undefined,
  mips64n32: undefined,
  mipsel64n32: undefined,
  ppc: undefined,
  ppc64: undefined,
  s390: undefined,
};

// Names libseccomp 2.5.4 knows only on architectures drydock has no table for (MIPS).
const OTHER_ARCH_NAMES = new Set(['syscall', 'cachectl', 'sysmips']);
// Multiplexed through socketcall(2)/ipc(2) where those exist (x86, ppc64le, s390x).
const MULTIPLEXED = new Set([
  'socket',
  'bind',
  'connect',
  'listen',
  'accept',
  'getsockname',
  'getpeername',
  'socketpair',
  'send',
  'recv',
  'sendto',
  'recvfrom',
  'shutdown',
  'setsockopt',
  'getsockopt',
  'sendmsg',
  'recvmsg',
  'accept4',
  'recvmmsg',
  'sendmmsg',
  'semop',
  'semget',
  'semctl',
  'semtimedop',
  'msgsnd',
  'msgrcv',
  'msgget',
  'msgctl',
  'shmat',
  'shmdt',
  'shmget',
  'shmctl',
]);
const MUX_ARCHES = new Set<SyscallArch>(['x86', 'ppc64le', 's390x']);

const DOCKER_KEYS = new Set([
  'defaultAction',
  'defaultErrnoRet',
  'architectures',
  'archMap',
  'flags',
  'listenerPath',
  'listenerMetadata',
  'syscalls',
]);
const OCI_KEYS = new Set([
  'defaultAction',
  'defaultErrnoRet',
  'architectures',
  'flags',
  'listenerPath',
  'listenerMetadata',
  'syscalls',
]);
const RULE_KEYS = new Set(['names', 'name', 'action', 'errnoRet', 'args', 'comment', 'includes', 'excludes']);
const OCI_RULE_KEYS = new Set(['names', 'action', 'errnoRet', 'args']);
const ARG_KEYS = new Set(['index', 'value', 'valueTwo', 'op']);
const FILTER_KEYS = new Set(['caps', 'arches', 'minKernel']);

/**
 * Validates `value`: parsed JSON, or the file's text/bytes (refused with a UserError over 1 MiB,
 * before parsing). Errors are what dockerd or runc reject (or what makes the filter other than
 * written); warnings are rules that do nothing or surprise.
 */
export function validateProfile(value: unknown, opts: ValidateOptions): ValidateResult {
  const v = new Validator(opts);
  let doc = value;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const size = typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
    if (size > MAX_PROFILE_BYTES)
      throw new UserError(
        `${opts.where}: seccomp profile is ${size} bytes, over the ${MAX_PROFILE_BYTES}-byte limit`,
      );
    const raw = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    const text = raw.replace(/^\uFEFF/, '');
    try {
      doc = JSON.parse(text);
    } catch (err) {
      v.error('', `invalid JSON: ${jsonError(err, text)}`);
      return v.result();
    }
  }
  v.run(doc);
  return v.result();
}

/** One problem per line: "error /syscalls/3/names/1: ...", errors first. */
export function formatProblems(problems: readonly Problem[], where: string): string {
  const sorted = [...problems].sort((a, b) =>
    a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1,
  );
  return sorted
    .map(
      (p) =>
        `${p.severity === 'error' ? 'error  ' : 'warning'} ${where}${p.path ? `#${p.path}` : ''}: ${p.message}`,
    )
    .join('\n');
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

function jsonError(err: unknown, text: string): string {
  const msg = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
  const pos = jsonErrorOffset(text);
  if (pos < 0) return clip(msg);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  const code = text.codePointAt(pos);
  const found =
    code === undefined
      ? 'end of input'
      : code < 0x20
        ? `control character U+${code.toString(16).padStart(4, '0')}`
        : `"${String.fromCodePoint(code)}"`;
  return `unexpected ${found} at line ${line} column ${col}`;
}

const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Where a JSON text stops being valid (Node 20's JSON.parse does not always say): an iterative
 * scan, linear in the text. Returns -1 when the text is valid.
 */
function jsonErrorOffset(t: string): number {
  let i = 0;
  const stack: string[] = [];
  // value: a value must come; after: a value ended; key / colon / open{ / open[ as named.
  let state: 'value' | 'after' | 'key' | 'colon' | 'open{' | 'open[' = 'value';
  const skipWs = () => {
    while (i < t.length && (t[i] === ' ' || t[i] === '\t' || t[i] === '\n' || t[i] === '\r')) i++;
  };
  const string = (): boolean => {
    i++;
    while (i < t.length) {
      const ch = t.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return true;
      }
      if (ch < 0x20) return false;
      if (ch === 0x5c) {
        const e = t[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return false;
      } else i++;
    }
    return false;
  };
  for (;;) {
    skipWs();
    if (i >= t.length) return state === 'after' && stack.length === 0 ? -1 : i;
    const ch = t[i] as string;
    if (state === 'open[' && ch === ']') {
      stack.pop();
      i++;
      state = 'after';
      continue;
    }
    if (state === 'open{' && ch === '}') {
      stack.pop();
      i++;
      state = 'after';
      continue;
    }
    if (state === 'open{' || state === 'key') {
      if (ch !== '"' || !string()) return i;
      state = 'colon';
      continue;
    }
    if (state === 'colon') {
      if (ch !== ':') return i;
      i++;
      state = 'value';
      continue;
    }
    if (state === 'value' || state === 'open[') {
      if (ch === '{' || ch === '[') {
        stack.push(ch);
        i++;
        state = ch === '{' ? 'open{' : 'open[';
        continue;
      }
      if (ch === '"') {
        if (!string()) return i;
      } else if (t.startsWith('true', i)) i += 4;
      else if (t.startsWith('false', i)) i += 5;
      else if (t.startsWith('null', i)) i += 4;
      else {
        JSON_NUMBER.lastIndex = i;
        if (!JSON_NUMBER.test(t)) return i;
        i = JSON_NUMBER.lastIndex;
      }
      state = 'after';
      continue;
    }
    // after a value
    const top = stack[stack.length - 1];
    if (top === undefined) return i;
    if (ch === ',') {
      i++;
      state = top === '{' ? 'key' : 'value';
    } else if (ch === (top === '{' ? '}' : ']')) {
      stack.pop();
      i++;
    } else return i;
  }
}

class Validator {
  private readonly problems: Problem[] = [];
  private kind: 'docker' | 'oci' = 'docker';
  private base = '';
  private profile: DockerSeccompProfile = { defaultAction: '', syscalls: [] };
  // Rule index in `profile.syscalls` -> index in the input, for messages about whole rules.
  private readonly ruleInput: number[] = [];
  private names = 0;

  constructor(private readonly opts: ValidateOptions) {}

  result(): ValidateResult {
    return { profile: this.profile, kind: this.kind, problems: this.problems };
  }

  error(path: string, message: string): void {
    this.problems.push({ severity: 'error', message, path: this.base + path });
  }

  warn(path: string, message: string): void {
    this.problems.push({ severity: 'warning', message, path: this.base + path });
  }

  run(doc: unknown): void {
    if (!isObject(doc)) {
      this.error('', 'a seccomp profile must be a JSON object');
      return;
    }
    let sec: unknown = doc;
    if ('ociVersion' in doc || 'linux' in doc || 'process' in doc) {
      // A whole OCI runtime config.json: the filter is linux.seccomp.
      this.kind = 'oci';
      const linux = doc.linux;
      if (!isObject(linux) || linux.seccomp === undefined || linux.seccomp === null) {
        this.error(
          isObject(linux) ? '/linux' : '',
          'an OCI config.json without linux.seccomp: no seccomp filter',
        );
        return;
      }
      sec = linux.seccomp;
      this.base = '/linux/seccomp';
      if (!isObject(sec)) {
        this.error('', 'linux.seccomp must be an object');
        return;
      }
    }
    this.top(sec as Record<string, unknown>);
  }

  private top(p: Record<string, unknown>): void {
    const oci = this.kind === 'oci';
    for (const k of Object.keys(p)) {
      if (!(oci ? OCI_KEYS : DOCKER_KEYS).has(k))
        this.warn(
          `/${ptr(k)}`,
          oci && DOCKER_KEYS.has(k)
            ? `"${clip(k)}" is a Docker profile field, not an OCI one: runc ignores it`
            : `unknown field "${clip(k)}" (ignored)`,
        );
    }
    const rulesRaw = p.syscalls;
    let rules: unknown[] = [];
    if (rulesRaw !== undefined && rulesRaw !== null) {
      if (!Array.isArray(rulesRaw)) this.error('/syscalls', 'syscalls must be a list');
      else if (rulesRaw.length > MAX_RULES) {
        this.error('/syscalls', `${rulesRaw.length} rules is more than drydock checks (${MAX_RULES})`);
        rules = rulesRaw.slice(0, MAX_RULES);
      } else rules = rulesRaw;
    }

    const da = p.defaultAction;
    if (da === undefined || da === null || da === '') {
      if (oci) this.error('/defaultAction', 'defaultAction is required');
      else if (rules.length === 0)
        this.warn(
          '',
          'no defaultAction and no rules: dockerd runs the container without seccomp (unconfined)',
        );
      else this.error('/defaultAction', 'defaultAction is missing but there are rules');
    } else if (!isAction(da)) this.error('/defaultAction', `unknown action ${show(da)}`);
    else {
      this.profile.defaultAction = da;
      if (da === 'SCMP_ACT_NOTIFY')
        this.error('/defaultAction', 'SCMP_ACT_NOTIFY cannot be the default action: runc refuses it');
    }

    const der = this.uint(p.defaultErrnoRet, '/defaultErrnoRet', 0xffffffff);
    if (der !== undefined) {
      this.profile.defaultErrnoRet = der;
      if (isAction(da) && da !== 'SCMP_ACT_ERRNO' && da !== 'SCMP_ACT_TRACE')
        this.error(
          '/defaultErrnoRet',
          `defaultErrnoRet only applies to SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${da}`,
        );
      else this.errnoRange(der, '/defaultErrnoRet');
    }

    const arches = this.strings(p.architectures, '/architectures');
    if (arches) {
      const good: string[] = [];
      arches.forEach((a, i) => {
        if ((SECCOMP_ARCHES as readonly string[]).includes(a)) good.push(a);
        else this.error(`/architectures/${i}`, `unknown architecture ${show(a)}`);
      });
      if (good.length > 0) this.profile.architectures = good;
    }
    // In an OCI config archMap was reported above as a field runc ignores.
    if (p.archMap !== undefined && p.archMap !== null && !oci) {
      if (!Array.isArray(p.archMap)) this.error('/archMap', 'archMap must be a list');
      else this.archMap(p.archMap);
    }
    if ((arches?.length ?? 0) > 0 && Array.isArray(p.archMap) && p.archMap.length > 0 && !oci)
      this.error(
        '',
        'both "architectures" and "archMap" are set: dockerd refuses the profile; use one of them',
      );

    const flags = this.strings(p.flags, '/flags');
    if (flags) {
      const good: string[] = [];
      flags.forEach((f, i) => {
        if ((SECCOMP_FLAGS as readonly string[]).includes(f)) good.push(f);
        else this.error(`/flags/${i}`, `unknown flag ${show(f)}`);
      });
      if (good.length > 0) this.profile.flags = good;
    }
    for (const key of ['listenerPath', 'listenerMetadata'] as const) {
      const val = p[key];
      if (val === undefined || val === null || val === '') continue;
      if (typeof val !== 'string') this.error(`/${key}`, `${key} must be a string`);
      else this.profile[key] = val;
    }
    if (this.profile.listenerMetadata !== undefined && this.profile.listenerPath === undefined)
      this.error('/listenerMetadata', 'listenerMetadata is set without listenerPath');

    rules.forEach((r, i) => {
      this.rule(r, i, oci);
    });
    if (
      this.profile.listenerPath === undefined &&
      this.profile.syscalls.some((r) => r.action === 'SCMP_ACT_NOTIFY')
    ) {
      const i = this.profile.syscalls.findIndex((r) => r.action === 'SCMP_ACT_NOTIFY');
      this.error(
        `/syscalls/${this.ruleInput[i]}/action`,
        'SCMP_ACT_NOTIFY needs listenerPath (the agent socket)',
      );
    }

    this.semantics();
  }

  private archMap(list: unknown[]): void {
    const out: ArchMapEntry[] = [];
    list.forEach((e, i) => {
      const w = `/archMap/${i}`;
      if (!isObject(e)) {
        this.error(w, 'an archMap entry must be an object');
        return;
      }
      for (const k of Object.keys(e))
        if (k !== 'architecture' && k !== 'subArchitectures')
          this.warn(`${w}/${ptr(k)}`, `unknown field "${clip(k)}" (ignored)`);
      if (typeof e.architecture !== 'string') {
        this.error(`${w}/architecture`, 'architecture must be a string');
        return;
      }
      let ok = true;
      if (!(SECCOMP_ARCHES as readonly string[]).includes(e.architecture)) {
        this.error(`${w}/architecture`, `unknown architecture ${show(e.architecture)}`);
        ok = false;
      }
      const subs = this.strings(e.subArchitectures, `${w}/subArchitectures`) ?? [];
      subs.forEach((s, j) => {
        if (!(SECCOMP_ARCHES as readonly string[]).includes(s)) {
          this.error(`${w}/subArchitectures/${j}`, `unknown architecture ${show(s)}`);
          ok = false;
        }
      });
      if (ok) out.push({ architecture: e.architecture, subArchitectures: subs });
    });
    if (out.length > 0) this.profile.archMap = out;
  }

  private rule(r: unknown, i: number, oci: boolean): void {
    const w = `/syscalls/${i}`;
    if (!isObject(r)) {
      this.error(w, 'a rule must be an object');
      return;
    }
    for (const k of Object.keys(r)) {
      if (!(oci ? OCI_RULE_KEYS : RULE_KEYS).has(k))
        this.warn(
          `${w}/${ptr(k)}`,
          oci && RULE_KEYS.has(k)
            ? `"${clip(k)}" is a Docker profile field, not an OCI one: runc ignores it`
            : `unknown field "${clip(k)}" (ignored)`,
        );
    }
    let bad = false;
    if (!isAction(r.action)) {
      this.error(
        `${w}/action`,
        r.action === undefined ? 'action is missing' : `unknown action ${show(r.action)}`,
      );
      bad = true;
    }
    const rule: DockerSyscallRule = {
      action: (isAction(r.action) ? r.action : 'SCMP_ACT_ERRNO') as SeccompAction,
    };

    const names = this.strings(r.names, `${w}/names`);
    const hasName = r.name !== undefined && r.name !== null && r.name !== '';
    if (hasName && !oci) {
      if (typeof r.name !== 'string') {
        this.error(`${w}/name`, 'name must be a string');
        bad = true;
      } else if ((names?.length ?? 0) > 0) {
        this.error(w, 'both "name" and "names" are set: dockerd refuses the rule; use "names"');
        bad = true;
      } else rule.name = r.name;
    }
    if (names && names.length > 0) {
      names.forEach((n, j) => {
        if (n === '') {
          this.error(`${w}/names/${j}`, 'empty syscall name');
          bad = true;
        }
      });
      rule.names = names;
    }
    if (rule.name === undefined && (rule.names?.length ?? 0) === 0 && !(hasName && !oci)) {
      this.error(oci ? `${w}/names` : w, 'no syscall names');
      bad = true;
    }
    this.names += rule.names?.length ?? 1;
    if (this.names > MAX_NAMES) {
      if (this.names - (rule.names?.length ?? 1) <= MAX_NAMES)
        this.error(w, `more than ${MAX_NAMES} syscall names: drydock stops checking here`);
      return;
    }

    const errno = this.uint(r.errnoRet, `${w}/errnoRet`, 0xffffffff);
    if (errno !== undefined) {
      rule.errnoRet = errno;
      if (isAction(r.action) && r.action !== 'SCMP_ACT_ERRNO' && r.action !== 'SCMP_ACT_TRACE') {
        this.error(
          `${w}/errnoRet`,
          `errnoRet only applies to SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${r.action}`,
        );
        bad = true;
      } else this.errnoRange(errno, `${w}/errnoRet`);
    }

    if (r.args !== undefined && r.args !== null) {
      if (!Array.isArray(r.args)) {
        this.error(`${w}/args`, 'args must be a list');
        bad = true;
      } else if (r.args.length > 0) {
        const args = this.args(r.args, `${w}/args`);
        if (args === undefined) bad = true;
        else rule.args = args;
      }
    }
    if (r.comment !== undefined && r.comment !== null && typeof r.comment !== 'string' && !oci)
      this.warn(`${w}/comment`, 'comment should be a string');
    else if (typeof r.comment === 'string' && !oci) rule.comment = r.comment;
    if (!oci) {
      const inc = this.filter(r.includes, `${w}/includes`);
      if (inc === null) bad = true;
      else if (inc) rule.includes = inc;
      const exc = this.filter(r.excludes, `${w}/excludes`);
      if (exc === null) bad = true;
      else if (exc) rule.excludes = exc;
    }
    if (!bad) {
      this.profile.syscalls.push(rule);
      this.ruleInput.push(i);
    }
  }

  private args(list: unknown[], w: string): SeccompArg[] | undefined {
    const out: SeccompArg[] = [];
    let bad = false;
    const seen = new Map<number, number>();
    list.forEach((a, j) => {
      const aw = `${w}/${j}`;
      if (!isObject(a)) {
        this.error(aw, 'an argument condition must be an object');
        bad = true;
        return;
      }
      for (const k of Object.keys(a))
        if (!ARG_KEYS.has(k)) this.warn(`${aw}/${ptr(k)}`, `unknown field "${clip(k)}" (ignored)`);
      let index: number | undefined;
      if (a.index === undefined || a.index === null) {
        this.error(`${aw}/index`, 'index is missing');
        bad = true;
      } else if (typeof a.index !== 'number' || !Number.isInteger(a.index) || a.index < 0) {
        this.error(`${aw}/index`, `index ${show(a.index)} is not a non-negative integer`);
        bad = true;
      } else if (a.index > 5) {
        this.error(`${aw}/index`, `index ${a.index} is out of range: a syscall has 6 arguments (0-5)`);
        bad = true;
      } else index = a.index;
      const value = this.uint(a.value ?? 0, `${aw}/value`, Number.MAX_SAFE_INTEGER);
      if (value === undefined) bad = true;
      const op = a.op;
      if (!(SECCOMP_OPERATORS as readonly string[]).includes(op as string)) {
        this.error(`${aw}/op`, op === undefined ? 'op is missing' : `unknown operator ${show(op)}`);
        bad = true;
      }
      const two = this.uint(a.valueTwo, `${aw}/valueTwo`, Number.MAX_SAFE_INTEGER);
      if (a.valueTwo !== undefined && a.valueTwo !== null && two === undefined) bad = true;
      if (index !== undefined) {
        const first = seen.get(index);
        if (first !== undefined)
          this.error(
            aw,
            `argument ${index} is compared twice in one rule (also at ${w}/${first}): libseccomp takes one comparison per argument, so runc splits the rule and either condition matches (OR, not AND)`,
          );
        else seen.set(index, j);
      }
      if (bad || index === undefined || value === undefined) return;
      const arg: SeccompArg = { index, value, op: op as SeccompArg['op'] };
      if (two !== undefined) arg.valueTwo = two;
      if (op === 'SCMP_CMP_MASKED_EQ') {
        if (two === undefined)
          this.warn(aw, `MASKED_EQ without valueTwo matches when (arg${index} & ${hex(value)}) == 0`);
        else if ((BigInt(two) & ~BigInt(value)) !== 0n)
          this.warn(
            `${aw}/valueTwo`,
            `valueTwo ${hex(two)} has bits outside the mask ${hex(value)}: libseccomp compares against ${hex(Number(BigInt(two) & BigInt(value)))} instead, so the rule matches where (arg${index} & mask) equals that`,
          );
        if (value === 0)
          this.warn(`${aw}/value`, `MASKED_EQ with mask 0 always matches: libseccomp drops the condition`);
      } else if (two !== undefined && two !== 0)
        this.warn(`${aw}/valueTwo`, `valueTwo is only used by SCMP_CMP_MASKED_EQ; ${String(op)} ignores it`);
      out.push(arg);
    });
    // A duplicate index is reported above but the rule still loads (runc splits it): keep it.
    return bad ? undefined : out;
  }

  /** undefined = absent, null = invalid (reported). */
  private filter(f: unknown, w: string): SeccompFilter | undefined | null {
    if (f === undefined || f === null) return undefined;
    if (!isObject(f)) {
      this.error(w, `${w.endsWith('includes') ? 'includes' : 'excludes'} must be an object`);
      return null;
    }
    let bad = false;
    for (const k of Object.keys(f))
      if (!FILTER_KEYS.has(k)) this.warn(`${w}/${ptr(k)}`, `unknown field "${clip(k)}" (ignored)`);
    const out: SeccompFilter = {};
    const caps = this.strings(f.caps, `${w}/caps`);
    if (caps) {
      caps.forEach((c, i) => {
        if (c === 'ALL' || !isKnownCap(c)) {
          // dockerd compares the names as written with the container's CAP_ names.
          const fixed = normalizeCap(c);
          this.error(
            `${w}/caps/${i}`,
            fixed !== c && isKnownCap(fixed) && fixed !== 'ALL'
              ? `capability ${show(c)} must be written ${fixed}: dockerd compares names as written`
              : `unknown capability ${show(c)}`,
          );
          bad = true;
        }
      });
      if (caps.length > 0) out.caps = caps;
    } else if (f.caps !== undefined && f.caps !== null) bad = true;
    const arches = this.strings(f.arches, `${w}/arches`);
    if (arches) {
      arches.forEach((a, i) => {
        if (!Object.hasOwn(MOBY_ARCHES, a))
          this.warn(
            `${w}/arches/${i}`,
            `unknown architecture ${show(a)} (moby spells them amd64, arm64, x86, x32, ppc64le, s390x, riscv64...): it never matches`,
          );
      });
      if (arches.length > 0) out.arches = arches;
    } else if (f.arches !== undefined && f.arches !== null) bad = true;
    const mk = f.minKernel;
    if (mk !== undefined && mk !== null && mk !== '') {
      if (typeof mk !== 'string' || !/^\d{1,6}\.\d{1,6}$/.test(mk)) {
        this.error(`${w}/minKernel`, `minKernel ${show(mk)} is not a kernel version "<major>.<minor>"`);
        bad = true;
      } else out.minKernel = mk;
    }
    return bad ? null : out;
  }

  private errnoRange(n: number, path: string): void {
    if (n > 0xffff)
      this.warn(
        path,
        `${n} does not fit the filter's 16-bit data: runc keeps ${n & 0xffff}, and the kernel returns at most ${MAX_ERRNO}`,
      );
    else if (n > MAX_ERRNO)
      this.warn(path, `${n} is above MAX_ERRNO: the kernel returns ${MAX_ERRNO} instead`);
  }

  private uint(v: unknown, path: string, max: number): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      this.error(path, `${show(v)} is not a non-negative integer`);
      return undefined;
    }
    if (v > max) {
      this.error(
        path,
        max === Number.MAX_SAFE_INTEGER
          ? `${v} is above 2^53: JSON readers other than Go's round it, so drydock cannot check it exactly`
          : `${v} is too large (at most ${max})`,
      );
      return undefined;
    }
    return v;
  }

  private strings(v: unknown, path: string): string[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.error(path, 'must be a list of strings');
      return undefined;
    }
    const out: string[] = [];
    let ok = true;
    v.forEach((x, i) => {
      if (typeof x !== 'string') {
        this.error(`${path}/${i}`, `${show(x)} is not a string`);
        ok = false;
      } else out.push(x);
    });
    return ok ? out : undefined;
  }

  // ---- checks on a structurally valid profile

  private semantics(): void {
    const p = this.profile;
    if (p.defaultAction === '') return;
    const targets = this.targetArches();
    const newer = newerSyscallVersions();
    const known = knownNames();
    // dockerd keeps or drops a rule by the host's own architecture (includes/excludes.arches).
    const host = this.opts.arch === undefined ? undefined : mobyNative(this.opts.arch);
    p.syscalls.forEach((rule, ri) => {
      const w = `/syscalls/${this.ruleInput[ri]}`;
      const ruleArches =
        host === undefined
          ? targets.filter((a) => ruleAppliesTo(rule, a))
          : mobyRuleKept(rule, host)
            ? targets
            : [];
      const names = rule.names ?? [rule.name as string];
      names.forEach((n, j) => {
        const np = rule.names ? `${w}/names/${j}` : `${w}/name`;
        if (ruleArches.some((a) => nameOn(a, n))) return;
        if (!known.has(n)) {
          const linux = newer.get(n);
          if (linux !== undefined)
            this.warn(
              np,
              `"${n}" is unknown to libseccomp 2.5.4 (added in Linux ${linux}): runc ignores it, so this rule does not cover it`,
            );
          else if (!OTHER_ARCH_NAMES.has(n)) this.error(np, `unknown syscall "${clip(n)}" (a typo?)`);
          return;
        }
        if (ruleArches.length > 0)
          this.warn(
            np,
            `"${n}" is not a syscall on ${ruleArches.join(', ')}: the rule does nothing for it there`,
          );
      });
      if (
        p.defaultAction !== '' &&
        sameAction(rule.action, rule.errnoRet, p.defaultAction, p.defaultErrnoRet)
      )
        this.warn(
          `${w}/action`,
          'the rule has the default action: runc skips it (so it also does not override other rules for the same syscall)',
        );
    });
    this.loadCheck();
  }

  /** The architectures whose syscall tables the names are checked against. */
  private targetArches(): SyscallArch[] {
    const p = this.profile;
    const listed = (names: string[]): SyscallArch[] =>
      names.map((a) => SCMP_TO_ARCH[a]).filter((a): a is SyscallArch => a !== undefined);
    if (this.opts.arch !== undefined) {
      const scmp = seccompArchOf(this.opts.arch);
      const table = syscallArch(this.opts.arch);
      if (goArch(this.opts.arch) === undefined && table === undefined) {
        this.error('', `unknown architecture "${clip(this.opts.arch)}" to check the profile for`);
        return [];
      }
      if (p.architectures) return dedupe([table, ...listed(p.architectures)]);
      const entry = p.archMap?.find((e) => e.architecture === scmp);
      if (entry) return dedupe([table, ...listed([entry.architecture, ...entry.subArchitectures])]);
      return table ? [table] : [];
    }
    if (p.architectures) return dedupe(listed(p.architectures));
    if (p.archMap) return dedupe(p.archMap.flatMap((e) => listed([e.architecture, ...e.subArchitectures])));
    return [...SYSCALL_ARCHES];
  }

  /** Would runc load it? libseccomp refuses rules that clash (EEXIST) for the same arguments. */
  private loadCheck(): void {
    const p = this.profile;
    if (p.syscalls.length > 5000 || p.defaultAction === 'SCMP_ACT_NOTIFY') return;
    const arch = this.opts.arch ?? 'amd64';
    if (goArch(arch) === undefined) return;
    const kinds = [DOCKER_DEFAULT_CAPS, ALL_CAPS];
    for (const caps of kinds) {
      // Which input rule each resolved rule came from: resolution keeps the order of the kept rules.
      const kept: number[] = [];
      p.syscalls.forEach((r, i) => {
        const one = resolveSeccomp({ ...p, syscalls: [r] }, { arch, caps });
        if ((one?.syscalls.length ?? 0) === 1) kept.push(i);
      });
      try {
        const resolved = resolveSeccomp(p, { arch, caps, where: this.opts.where });
        if (resolved === undefined) return;
        checkFilterLoads(resolved);
      } catch (err) {
        if (!(err instanceof SeccompFilterRejected)) {
          if (!(err instanceof UserError)) throw err;
          this.warn('', `not checked whether runc can load it: ${err.message}`);
          return;
        }
        const at = err.rule === undefined ? undefined : kept[err.rule];
        const other = err.other === undefined ? undefined : kept[err.other];
        const path = at === undefined ? '' : `/syscalls/${this.ruleInput[at]}`;
        const msg =
          other !== undefined
            ? `runc would not start the container: this rule and /syscalls/${this.ruleInput[other]} give different actions for the same syscall and arguments (libseccomp EEXIST)`
            : `runc would not start the container: ${err.message}`;
        this.error(path, msg);
        return;
      }
    }
  }
}

let knownCache: Set<string> | undefined;
/** Every name libseccomp 2.5.4 resolves on an architecture drydock has a table for. */
function knownNames(): Set<string> {
  if (knownCache) return knownCache;
  const s = new Set<string>(MULTIPLEXED);
  for (const a of SYSCALL_ARCHES) for (const n of syscallNames(a)) s.add(n);
  knownCache = s;
  return s;
}

function nameOn(a: SyscallArch, n: string): boolean {
  return syscallNumber(a, n) !== undefined || (MUX_ARCHES.has(a) && MULTIPLEXED.has(n));
}

function ruleAppliesTo(rule: DockerSyscallRule, a: SyscallArch): boolean {
  const moby = (list: string[] | undefined): SyscallArch[] =>
    (list ?? []).map((x) => MOBY_ARCHES[x]).filter((x): x is SyscallArch => x !== undefined);
  if (rule.excludes?.arches && moby(rule.excludes.arches).includes(a)) return false;
  if (rule.includes?.arches && rule.includes.arches.length > 0 && !moby(rule.includes.arches).includes(a))
    return false;
  return true;
}

// Go's architecture -> the name moby compares includes/excludes.arches with.
const MOBY_NATIVE: Record<string, string> = {
  '386': 'x86',
  mipsle: 'mipsel',
  mips64le: 'mipsel64',
  mips64p32: 'mips64n32',
  mips64p32le: 'mipsel64n32',
};

function mobyNative(arch: string): string | undefined {
  const go = goArch(arch);
  return go === undefined ? undefined : (MOBY_NATIVE[go] ?? go);
}

function mobyRuleKept(rule: DockerSyscallRule, native: string): boolean {
  if (rule.excludes?.arches?.includes(native)) return false;
  const inc = rule.includes?.arches;
  return !(inc && inc.length > 0 && !inc.includes(native));
}

function sameAction(
  a: SeccompAction,
  ae: number | undefined,
  b: SeccompAction,
  be: number | undefined,
): boolean {
  const norm = (x: SeccompAction) => (x === 'SCMP_ACT_KILL' ? 'SCMP_ACT_KILL_THREAD' : x);
  if (norm(a) !== norm(b)) return false;
  if (a !== 'SCMP_ACT_ERRNO' && a !== 'SCMP_ACT_TRACE') return true;
  return ((ae ?? 1) & 0xffff) === ((be ?? 1) & 0xffff);
}

function dedupe<T>(xs: (T | undefined)[]): T[] {
  return [...new Set(xs.filter((x): x is T => x !== undefined))];
}

function isAction(v: unknown): v is SeccompAction {
  return typeof v === 'string' && (SECCOMP_ACTIONS as readonly string[]).includes(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ptr(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
