// The `docker run` / `docker create` (and podman) command line as an input form: every option of
// the command is known, so the image and the container's command are found exactly as the CLI does.

import { UserError } from '../../errors.js';
import { normalizeCap } from '../caps.js';
import {
  type ContainerSpec,
  DOCKER_PROPAGATIONS,
  emptySpec,
  type MountSpec,
  type MountType,
} from '../spec.js';
import {
  applySecurityOpt,
  isUlimitName,
  parsePortShort,
  parseRestart,
  parseSize,
  parseUlimit,
  parseVolumeShort,
} from './common.js';
import { shellQuoteLiteral, splitShellCommands, splitShellWordsRaw } from './shell-words.js';

/** How an option's value is read and checked (pflag's value types, as `docker run --help` shows them). */
type FlagType = 'bool' | 'string' | 'list' | 'int' | 'uint' | 'bytes' | 'decimal' | 'duration';

interface FlagDef {
  name: string;
  type: FlagType;
  short?: string;
}

function table(entries: Array<[string, FlagType, string?]>): FlagDef[] {
  return entries.map(([name, type, short]) => (short ? { name, type, short } : { name, type }));
}

/**
 * Every option of `docker run` / `docker container create` (Docker 27, plus the hidden aliases and
 * deprecated options the CLI still accepts, and the few added since).
 */
const DOCKER_FLAGS = table([
  ['add-host', 'list'],
  ['annotation', 'list'],
  ['attach', 'list', 'a'],
  ['blkio-weight', 'uint'],
  ['blkio-weight-device', 'list'],
  ['cap-add', 'list'],
  ['cap-drop', 'list'],
  ['cgroup-parent', 'string'],
  ['cgroupns', 'string'],
  ['cidfile', 'string'],
  ['cpu-count', 'int'],
  ['cpu-percent', 'int'],
  ['cpu-period', 'int'],
  ['cpu-quota', 'int'],
  ['cpu-rt-period', 'int'],
  ['cpu-rt-runtime', 'int'],
  ['cpu-shares', 'int', 'c'],
  ['cpus', 'decimal'],
  ['cpuset-cpus', 'string'],
  ['cpuset-mems', 'string'],
  ['credentialspec', 'string'],
  ['detach', 'bool', 'd'],
  ['detach-keys', 'string'],
  ['device', 'list'],
  ['device-cgroup-rule', 'list'],
  ['device-read-bps', 'list'],
  ['device-read-iops', 'list'],
  ['device-write-bps', 'list'],
  ['device-write-iops', 'list'],
  ['disable-content-trust', 'bool'],
  ['dns', 'list'],
  ['dns-option', 'list'],
  ['dns-search', 'list'],
  ['domainname', 'string'],
  ['entrypoint', 'string'],
  ['env', 'list', 'e'],
  ['env-file', 'list'],
  ['expose', 'list'],
  ['gpus', 'string'],
  ['group-add', 'list'],
  ['health-cmd', 'string'],
  ['health-interval', 'duration'],
  ['health-retries', 'int'],
  ['health-start-interval', 'duration'],
  ['health-start-period', 'duration'],
  ['health-timeout', 'duration'],
  ['help', 'bool'],
  ['hostname', 'string', 'h'],
  ['init', 'bool'],
  ['interactive', 'bool', 'i'],
  ['io-maxbandwidth', 'bytes'],
  ['io-maxiops', 'uint'],
  ['ip', 'string'],
  ['ip6', 'string'],
  ['ipc', 'string'],
  ['isolation', 'string'],
  ['kernel-memory', 'bytes'],
  ['label', 'list', 'l'],
  ['label-file', 'list'],
  ['link', 'list'],
  ['link-local-ip', 'list'],
  ['log-driver', 'string'],
  ['log-opt', 'list'],
  ['mac-address', 'string'],
  ['memory', 'bytes', 'm'],
  ['memory-reservation', 'bytes'],
  ['memory-swap', 'bytes'],
  ['memory-swappiness', 'int'],
  ['mount', 'list'],
  ['name', 'string'],
  ['network', 'string'],
  ['network-alias', 'list'],
  ['no-healthcheck', 'bool'],
  ['oom-kill-disable', 'bool'],
  ['oom-score-adj', 'int'],
  ['pid', 'string'],
  ['pids-limit', 'int'],
  ['platform', 'string'],
  ['privileged', 'bool'],
  ['publish', 'list', 'p'],
  ['publish-all', 'bool', 'P'],
  ['pull', 'string'],
  ['quiet', 'bool', 'q'],
  ['read-only', 'bool'],
  ['restart', 'string'],
  ['rm', 'bool'],
  ['runtime', 'string'],
  ['security-opt', 'list'],
  ['shm-size', 'bytes'],
  ['sig-proxy', 'bool'],
  ['stop-signal', 'string'],
  ['stop-timeout', 'int'],
  ['storage-opt', 'list'],
  ['sysctl', 'list'],
  ['tmpfs', 'list'],
  ['tty', 'bool', 't'],
  ['ulimit', 'list'],
  ['use-api-socket', 'bool'],
  ['user', 'string', 'u'],
  ['userns', 'string'],
  ['uts', 'string'],
  ['volume', 'list', 'v'],
  ['volume-driver', 'string'],
  ['volumes-from', 'list'],
  ['workdir', 'string', 'w'],
]);

/** Hidden aliases the docker CLI still accepts. */
const ALIASES: Record<string, string> = {
  net: 'network',
  'net-alias': 'network-alias',
  'dns-opt': 'dns-option',
};

/** Options only podman's run/create has (podman 4 and 5); read only when the line says podman. */
const PODMAN_FLAGS = table([
  ['arch', 'string'],
  ['authfile', 'string'],
  ['cert-dir', 'string'],
  ['cgroup-conf', 'list'],
  ['cgroups', 'string'],
  ['chrootdirs', 'list'],
  ['conmon-pidfile', 'string'],
  ['creds', 'string'],
  ['decryption-key', 'list'],
  ['env-host', 'bool'],
  ['env-merge', 'list'],
  ['gidmap', 'list'],
  ['group-entry', 'string'],
  ['health-log-destination', 'string'],
  ['health-max-log-count', 'uint'],
  ['health-max-log-size', 'uint'],
  ['health-on-failure', 'string'],
  ['health-startup-cmd', 'string'],
  ['health-startup-interval', 'duration'],
  ['health-startup-retries', 'uint'],
  ['health-startup-success', 'uint'],
  ['health-startup-timeout', 'duration'],
  ['hostuser', 'list'],
  ['http-proxy', 'bool'],
  ['image-volume', 'string'],
  ['init-ctr', 'string'],
  ['init-path', 'string'],
  ['no-hostname', 'bool'],
  ['no-hosts', 'bool'],
  ['os', 'string'],
  ['passwd', 'bool'],
  ['passwd-entry', 'string'],
  ['personality', 'string'],
  ['pidfile', 'string'],
  ['pod', 'string'],
  ['pod-id-file', 'string'],
  ['preserve-fd', 'list'],
  ['preserve-fds', 'uint'],
  ['rdt-class', 'string'],
  ['read-only-tmpfs', 'bool'],
  ['replace', 'bool'],
  ['requires', 'list'],
  ['retry', 'uint'],
  ['retry-delay', 'string'],
  ['rmi', 'bool'],
  ['rootfs', 'bool'],
  ['sdnotify', 'string'],
  ['seccomp-policy', 'string'],
  ['secret', 'list'],
  ['shm-size-systemd', 'bytes'],
  ['subgidname', 'string'],
  ['subuidname', 'string'],
  ['systemd', 'string'],
  ['timeout', 'uint'],
  ['tls-verify', 'bool'],
  ['tz', 'string'],
  ['uidmap', 'list'],
  ['umask', 'string'],
  ['unsetenv', 'list'],
  ['unsetenv-all', 'bool'],
  ['variant', 'string'],
]);

/** Options of the `docker` command itself, allowed between "docker" and "run". */
const DOCKER_GLOBAL = table([
  ['config', 'string'],
  ['context', 'string', 'c'],
  ['debug', 'bool', 'D'],
  ['host', 'list', 'H'],
  ['log-level', 'string', 'l'],
  ['tls', 'bool'],
  ['tlscacert', 'string'],
  ['tlscert', 'string'],
  ['tlskey', 'string'],
  ['tlsverify', 'bool'],
]);

const PODMAN_GLOBAL = table([
  ['cgroup-manager', 'string'],
  ['cni-config-dir', 'string'],
  ['config', 'string'],
  ['conmon', 'string'],
  ['connection', 'string', 'c'],
  ['db-backend', 'string'],
  ['events-backend', 'string'],
  ['hooks-dir', 'list'],
  ['identity', 'string'],
  ['imagestore', 'string'],
  ['log-level', 'string'],
  ['module', 'list'],
  ['network-cmd-path', 'string'],
  ['network-config-dir', 'string'],
  ['noout', 'bool'],
  ['out', 'string'],
  ['remote', 'bool', 'r'],
  ['root', 'string'],
  ['runroot', 'string'],
  ['runtime', 'string'],
  ['runtime-flag', 'list'],
  ['ssh', 'string'],
  ['storage-driver', 'string'],
  ['storage-opt', 'list'],
  ['syslog', 'bool'],
  ['tmpdir', 'string'],
  ['transient-store', 'bool'],
  ['url', 'string'],
  ['volumepath', 'string'],
]);

class FlagSet {
  private readonly long = new Map<string, FlagDef>();
  private readonly short = new Map<string, FlagDef>();
  constructor(...defs: FlagDef[][]) {
    for (const d of defs.flat()) {
      this.long.set(d.name, d);
      if (d.short) this.short.set(d.short, d);
    }
  }
  byLong(name: string): FlagDef | undefined {
    return this.long.get(ALIASES[name] ?? name);
  }
  byShort(c: string): FlagDef | undefined {
    return this.short.get(c);
  }
}

const RUN_DOCKER = new FlagSet(DOCKER_FLAGS);
const RUN_PODMAN = new FlagSet(DOCKER_FLAGS, PODMAN_FLAGS);
const GLOBAL_DOCKER = new FlagSet(DOCKER_GLOBAL);
const GLOBAL_PODMAN = new FlagSet(PODMAN_GLOBAL);

/** sudo options that take a value (the rest are switches). */
const SUDO_VALUE = new Set(['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T', '-R']);

/** One option as written: its canonical long name, its value and where it sits in `argv`. */
export interface DockerRunOption {
  /** Canonical long name without dashes ("cpu-shares" for -c, "network" for --net); "--" for the end marker. */
  name: string;
  /** The value; undefined for a switch given without "=". */
  value?: string;
  /** Index in `argv` of the first token it came from. */
  token: number;
  /** Tokens it spans; the members of a short-flag cluster such as `-itd` share token and span. */
  span: number;
}

/** A parsed command line, with what a renderer needs to write it back with changes. */
export interface DockerRunParsed {
  spec: ContainerSpec;
  /** The words before the options: "sudo docker run", "docker container create"; empty when absent. */
  prefix: string[];
  /** Those words as shell text (the user's spelling, quotes kept). */
  prefixRaw: string[];
  /** The tokens after the run/create words: options, the image, the command. */
  argv: string[];
  /** Each argv token as shell text: the user's spelling for a line, shell-quoted for an argv array. */
  argvRaw: string[];
  /** Index of the image in argv. */
  imageIndex: number;
  options: DockerRunOption[];
  engine: 'docker' | 'podman';
  /** The input was an argv array: its values are literal, with no shell expansions meant in them. */
  literal: boolean;
}

/** Parses a command line (one string, shell-split) or an argv array into a container spec. */
export function parseDockerRun(cmd: string | string[], file = '<docker-run>'): ContainerSpec {
  return parseDockerRunCommand(cmd, file).spec;
}

/**
 * Like parseDockerRun, with the token layout. A string may hold a small script: the one command
 * that is a docker/podman run or create is taken (comments, `set -e`, `docker pull x &&` are fine).
 */
export function parseDockerRunCommand(cmd: string | string[], file = '<docker-run>'): DockerRunParsed {
  if (Array.isArray(cmd)) return parseDockerRunArgv(cmd, file);
  let words: { value: string; raw: string }[];
  try {
    const commands = splitShellCommands(cmd);
    if (commands.length <= 1) words = splitShellWordsRaw(cmd);
    else {
      const runs = commands.filter((c) => isRunCommand(c.words.map((w) => w.value)));
      if (runs.length === 0)
        throw new UserError(`the text holds ${commands.length} commands and none is a docker run or create`);
      if (runs.length > 1)
        throw new UserError(
          `the text holds ${runs.length} docker run/create commands (lines ${runs[0]?.line} and ${runs[1]?.line}); give one`,
        );
      words = (runs[0] as { words: { value: string; raw: string }[] }).words;
    }
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${file}: ${e.message}`);
    throw e;
  }
  return parseDockerRunArgv(
    words.map((w) => w.value),
    file,
    words.map((w) => w.raw),
  );
}

function base(word: string | undefined): string {
  return (word ?? '').replace(/^.*\//, '');
}

function isRunCommand(words: string[]): boolean {
  try {
    if (!ENGINES.has(base(words[skipSudo(words, '<text>')]))) return false;
    locatePrefix(words, '<text>');
    return true;
  } catch {
    return false;
  }
}

const ENGINES = new Set(['docker', 'podman']);

function skipSudo(tokens: string[], file: string): number {
  let k = 0;
  if (base(tokens[0]) !== 'sudo') return 0;
  k = 1;
  while (k < tokens.length) {
    const t = tokens[k] as string;
    if (t === '--') return k + 1;
    if (!t.startsWith('-') || t === '-') break;
    if (SUDO_VALUE.has(t)) k += 2;
    else k++;
  }
  if (k >= tokens.length) throw new UserError(`${file}: "sudo" without a command`);
  return k;
}

/** Where the run/create words end: returns the index of the first argv token and the engine. */
function locatePrefix(tokens: string[], file: string): { start: number; engine: 'docker' | 'podman' } {
  const k0 = skipSudo(tokens, file);
  const engineWord = base(tokens[k0]);
  if (!ENGINES.has(engineWord)) {
    if (k0 > 0)
      throw new UserError(`${file}: expected docker or podman after sudo, got "${short(tokens[k0])}"`);
    return { start: 0, engine: 'docker' };
  }
  const engine = engineWord as 'docker' | 'podman';
  const globals = engine === 'docker' ? GLOBAL_DOCKER : GLOBAL_PODMAN;
  let k = k0 + 1;
  // Global options before the subcommand ("docker -H tcp://x run", "podman --root /x create").
  while (k < tokens.length && (tokens[k] as string).startsWith('-') && tokens[k] !== '-') {
    const t = tokens[k] as string;
    const def = t.startsWith('--')
      ? globals.byLong(t.slice(2).split('=')[0] as string)
      : t.length === 2
        ? globals.byShort(t[1] as string)
        : undefined;
    if (!def) throw new UserError(`${file}: unknown ${engine} option "${short(t)}" before the subcommand`);
    k += def.type === 'bool' || t.includes('=') ? 1 : 2;
  }
  let sub = tokens[k];
  if (sub === 'container') sub = tokens[++k];
  if (sub !== 'run' && sub !== 'create')
    throw new UserError(
      sub === undefined
        ? `${file}: expected "${engine} run" or "${engine} create", got "${engine}" alone`
        : `${file}: expected "${engine} run" or "${engine} create", got "${engine} ${short(sub)}"`,
    );
  return { start: k + 1, engine };
}

/**
 * Parses argv (with or without the docker/podman prefix). `raw` gives each token's original
 * spelling when the tokens came from a shell line.
 */
export function parseDockerRunArgv(tokens: string[], file = '<docker-run>', raw?: string[]): DockerRunParsed {
  const spelled = raw && raw.length === tokens.length ? raw : tokens.map(shellQuoteLiteral);
  const { start, engine } = locatePrefix(tokens, file);
  const argv = tokens.slice(start);
  const flags = engine === 'podman' ? RUN_PODMAN : RUN_DOCKER;
  const options: DockerRunOption[] = [];
  let i = 0;
  while (i < argv.length) {
    const tok = argv[i] as string;
    if (tok === '--') {
      options.push({ name: '--', token: i, span: 1 });
      i++;
      break;
    }
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
      const def = flags.byLong(name);
      if (!def) throw new UserError(`${file}: unknown flag: --${short(name)}`);
      if (def.type === 'bool') {
        const opt: DockerRunOption = { name: def.name, token: i, span: 1 };
        if (eq >= 0) opt.value = tok.slice(eq + 1);
        options.push(opt);
        i++;
      } else if (eq >= 0) {
        options.push({ name: def.name, value: tok.slice(eq + 1), token: i, span: 1 });
        i++;
      } else {
        if (i + 1 >= argv.length) throw new UserError(`${file}: flag needs an argument: --${name}`);
        options.push({ name: def.name, value: argv[i + 1] as string, token: i, span: 2 });
        i += 2;
      }
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1) {
      const cluster: DockerRunOption[] = [];
      let span = 1;
      let j = 1;
      while (j < tok.length) {
        const c = tok[j] as string;
        const def = flags.byShort(c);
        if (!def) throw new UserError(`${file}: unknown shorthand flag: '${c}' in ${short(tok)}`);
        if (def.type === 'bool') {
          const opt: DockerRunOption = { name: def.name, token: i, span: 1 };
          if (tok[j + 1] === '=') {
            opt.value = tok.slice(j + 2);
            j = tok.length;
          } else j++;
          cluster.push(opt);
          continue;
        }
        const rest = tok.slice(j + 1);
        let value: string;
        if (rest.startsWith('=')) value = rest.slice(1);
        else if (rest !== '') value = rest;
        else if (i + 1 < argv.length) {
          value = argv[i + 1] as string;
          span = 2;
        } else throw new UserError(`${file}: flag needs an argument: '${c}' in ${short(tok)}`);
        cluster.push({ name: def.name, value, token: i, span: 1 });
        j = tok.length;
      }
      for (const o of cluster) o.span = span;
      options.push(...cluster);
      i += span;
      continue;
    }
    break;
  }
  if (i >= argv.length)
    throw new UserError(`${file}: "${engine} run" requires at least 1 argument: the image is missing`);
  const imageIndex = i;
  const spec = oneLineErrors(() => buildSpec(argv, imageIndex, options, file, flags));
  return {
    spec,
    prefix: tokens.slice(0, start),
    prefixRaw: spelled.slice(0, start),
    argv,
    argvRaw: spelled.slice(start),
    imageIndex,
    options,
    engine,
    literal: spelled !== raw,
  };
}

/** A value for an error message: cut short, control characters escaped so the message is one line. */
function short(s: string | undefined): string {
  const v = oneLine(s ?? '');
  return v.length > 60 ? `${v.slice(0, 57)}...` : v;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;

export function oneLine(s: string): string {
  return s.replace(CONTROL, (c) => JSON.stringify(c).slice(1, -1));
}

/** Errors of the shared value grammars echo values as given; keep them one line. */
function oneLineErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UserError && oneLine(e.message) !== e.message) throw new UserError(oneLine(e.message));
    throw e;
  }
}

/** strconv.ParseBool, which pflag uses for switches: stricter than yes/no parsing. */
function flagBool(v: string | undefined, flag: string, file: string): boolean {
  if (v === undefined) return true;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new UserError(`${file}: invalid argument "${short(v)}" for --${flag}: not true or false`);
}

const DURATION = /^(?:0|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/;

function checkType(def: FlagDef, value: string | undefined, file: string): void {
  const bad = (what: string) =>
    new UserError(`${file}: invalid argument "${short(value)}" for --${def.name}: ${what}`);
  const v = value ?? '';
  switch (def.type) {
    case 'bool':
      flagBool(value, def.name, file);
      return;
    case 'int':
      if (!/^[+-]?\d{1,19}$/.test(v.trim())) throw bad('not an integer');
      return;
    case 'uint':
      if (!/^\+?\d{1,20}$/.test(v.trim())) throw bad('not a non-negative integer');
      return;
    case 'bytes':
      if (def.name === 'memory-swap' && v.trim() === '-1') return;
      if (parseSize(v) === undefined) throw bad('not a size (such as 512m or 2g)');
      return;
    case 'decimal':
      if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(v) || !Number.isFinite(Number(v))) throw bad('not a number');
      return;
    case 'duration':
      if (!DURATION.test(v.trim())) throw bad('not a duration (such as 30s or 1m30s)');
      return;
    default:
      return;
  }
}

function setKey(obj: Record<string, string>, key: string, value: string): void {
  // defineProperty, so a hostile "__proto__" key stays a plain key.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The image's short name (no registry path, tag or digest), the default container name. */
export function imageShortName(image: string): string {
  const noDigest = image.split('@')[0] as string;
  const lastSlash = noDigest.lastIndexOf('/');
  const tail = noDigest.slice(lastSlash + 1);
  const colon = tail.indexOf(':');
  const name = colon >= 0 ? tail.slice(0, colon) : tail;
  return name || image;
}

/**
 * --security-opt values of docker and podman. Podman's own keys (mask, unmask, proc-opts,
 * label=nested) are read here; the shared grammar does the rest.
 */
export function applyEngineSecurityOpt(spec: ContainerSpec, opt: string, where: string, line?: number): void {
  const raw = opt.trim();
  const m = /^(mask|unmask|proc-opts)[=:](.*)$/s.exec(raw);
  if (m) {
    if (m[1] === 'unmask' && (m[2] as string).trim() !== '') {
      // Unmasking any of /proc's masked paths weakens the same protection as systempaths=unconfined.
      spec.procMount = 'Unmasked';
      if (line) spec.lines.procMount = line;
    }
    return;
  }
  if (/^label[=:]nested$/.test(raw)) return;
  applySecurityOpt(spec, raw, where, line);
}

const MOUNT_TYPES: Record<string, MountType> = {
  bind: 'bind',
  volume: 'volume',
  tmpfs: 'tmpfs',
  npipe: 'npipe',
  cluster: 'other',
  image: 'other',
  glob: 'other',
  devpts: 'other',
  ramfs: 'other',
  artifact: 'other',
};

/** Splits a --mount value into its comma-separated fields; a field may be double-quoted (CSV). */
export function splitMountFields(v: string, where: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (quoted) {
      if (c === '"' && v[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new UserError(`${where}: unterminated quote in "${short(v)}"`);
  out.push(cur);
  return out;
}

/** The long --mount syntax: type=bind,source=/x,target=/y,readonly,bind-propagation=rshared. */
export function parseMountLong(v: string, where: string): MountSpec {
  let type: MountType = 'volume';
  const mount: MountSpec = { type, readOnly: false };
  for (const field of splitMountFields(v, where)) {
    if (field.trim() === '') continue;
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const need = (): string => {
      if (value === undefined || value === '')
        throw new UserError(`${where}: "${key}" needs a value in --mount`);
      return value;
    };
    switch (key) {
      case 'type': {
        const t = MOUNT_TYPES[need().toLowerCase()];
        if (!t) throw new UserError(`${where}: invalid mount type "${short(value)}"`);
        type = t;
        break;
      }
      case 'source':
      case 'src':
        mount.source = value ?? '';
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.target = need();
        break;
      case 'readonly':
      case 'ro': {
        if (value === undefined) mount.readOnly = true;
        else {
          const b = ['1', 't', 'true', 'yes'].includes(value.toLowerCase())
            ? true
            : ['0', 'f', 'false', 'no'].includes(value.toLowerCase())
              ? false
              : undefined;
          if (b === undefined)
            throw new UserError(`${where}: invalid value "${short(value)}" for ${key} in --mount`);
          mount.readOnly = b;
        }
        break;
      }
      case 'bind-propagation': {
        const p = need();
        if (!DOCKER_PROPAGATIONS.has(p))
          throw new UserError(`${where}: invalid bind-propagation "${short(p)}"`);
        mount.propagation = p;
        break;
      }
      case 'consistency':
      case 'bind-nonrecursive':
      case 'bind-recursive':
      case 'bind-create-src':
      case 'volume-driver':
      case 'volume-label':
      case 'volume-nocopy':
      case 'volume-opt':
      case 'volume-subpath':
      case 'tmpfs-size':
      case 'tmpfs-mode':
      case 'image-subpath':
      case 'relabel':
      case 'chown':
      case 'idmap':
      case 'u':
      case 'z':
        break;
      default:
        throw new UserError(`${where}: unknown --mount key "${short(key)}"`);
    }
  }
  mount.type = type;
  if (mount.target === undefined) throw new UserError(`${where}: --mount "${short(v)}" has no target`);
  if (mount.source === '') delete mount.source;
  return mount;
}

/** --tmpfs /run:rw,noexec,size=64m */
export function parseTmpfs(v: string, where: string): MountSpec {
  const colon = v.indexOf(':');
  const target = colon < 0 ? v : v.slice(0, colon);
  const opts = colon < 0 ? [] : v.slice(colon + 1).split(',');
  if (target.trim() === '') throw new UserError(`${where}: invalid tmpfs "${short(v)}" (no target)`);
  return { type: 'tmpfs', target, readOnly: opts.includes('ro') };
}

function validDeviceMode(m: string): boolean {
  if (m === '' || m.length > 3) return false;
  const seen = new Set<string>();
  for (const c of m) {
    if (!'rwm'.includes(c) || seen.has(c)) return false;
    seen.add(c);
  }
  return true;
}

/** --device /dev/sda[:/dev/xvda][:rwm]; a second part that is a mode is the permissions. */
export function parseDevice(
  v: string,
  where: string,
): { host: string; container?: string; permissions?: string } {
  const parts = v.split(':');
  const host = parts[0] as string;
  if (host === '' || parts.length > 3) throw new UserError(`${where}: invalid device "${short(v)}"`);
  if (parts.length === 1) return { host };
  if (parts.length === 2) {
    const p = parts[1] as string;
    if (validDeviceMode(p)) return { host, permissions: p };
    if (p === '') throw new UserError(`${where}: invalid device "${short(v)}"`);
    return { host, container: p };
  }
  const [, container, perms] = parts as [string, string, string];
  if (container === '' || !validDeviceMode(perms))
    throw new UserError(`${where}: invalid device "${short(v)}"`);
  return { host, container, permissions: perms };
}

/**
 * The network of `--network name`, of docker's `--network name=x,alias=y` and of podman's
 * `--network bridge:ip=10.88.0.10` (mode before the options).
 */
export function networkName(v: string): string {
  if (!v.includes('=')) return v;
  for (const f of v.split(',')) {
    const [k, val] = f.split('=', 2);
    if (k === 'name' && val !== undefined) return val;
  }
  const colon = v.indexOf(':');
  const mode = colon > 0 ? v.slice(0, colon) : v;
  return mode.includes('=') ? v : mode;
}

function buildSpec(
  argv: string[],
  imageIndex: number,
  options: DockerRunOption[],
  file: string,
  flags: FlagSet,
): ContainerSpec {
  const image = argv[imageIndex] as string;
  const spec = emptySpec(
    { file, kind: 'docker-run', resource: `docker run ${image}` },
    imageShortName(image),
  );
  spec.image = image;
  let entrypoint: string | undefined;
  let healthOpts = false;
  let noHealth = false;
  for (const opt of options) {
    if (opt.name === '--') continue;
    const def = flags.byLong(opt.name) as FlagDef;
    checkType(def, opt.value, file);
    const where = `${file}: --${opt.name}`;
    const v = opt.value ?? '';
    switch (opt.name) {
      case 'privileged':
        spec.privileged = flagBool(opt.value, opt.name, file);
        break;
      case 'cap-add':
        spec.capAdd.push(normalizeCap(v));
        break;
      case 'cap-drop':
        spec.capDrop.push(normalizeCap(v));
        break;
      case 'security-opt':
        applyEngineSecurityOpt(spec, v, where);
        break;
      case 'user':
        if (v.trim() === '') delete spec.user;
        else spec.user = v;
        break;
      case 'read-only':
        spec.readOnlyRootfs = flagBool(opt.value, opt.name, file);
        break;
      case 'memory':
        spec.memory = parseSize(v) as number;
        break;
      case 'memory-swap':
        spec.memorySwap = v.trim() === '-1' ? -1 : (parseSize(v) as number);
        break;
      case 'pids-limit':
        spec.pidsLimit = Number(v.trim());
        break;
      case 'cpus':
        spec.cpus = Number(v.trim());
        break;
      case 'cpu-shares':
        spec.cpuShares = Number(v.trim());
        break;
      case 'network':
        if (v.trim() === '') throw new UserError(`${where}: empty network`);
        // The first --network is the primary one; later ones attach extra networks.
        spec.network ??= networkName(v);
        break;
      case 'pid':
      case 'ipc':
      case 'uts':
      case 'userns':
      case 'cgroupns': {
        const key = opt.name;
        if (v.trim() === '') delete spec[key];
        else spec[key] = v;
        break;
      }
      case 'volume': {
        const m = parseVolumeShort(v, where);
        // Volume names cannot hold "$" or "`": an unexpanded $PWD or $(pwd) source is a host path.
        if (m.type === 'volume' && m.source && /^[$`]/.test(m.source)) m.type = 'bind';
        spec.mounts.push(m);
        break;
      }
      case 'mount':
        spec.mounts.push(parseMountLong(v, where));
        break;
      case 'tmpfs':
        spec.mounts.push(parseTmpfs(v, where));
        break;
      case 'device':
        spec.devices.push(parseDevice(v, where));
        break;
      case 'publish':
        spec.ports.push(...parsePortShort(v, where));
        break;
      case 'publish-all':
        if (flagBool(opt.value, opt.name, file)) {
          spec.annotations ??= {};
          setKey(spec.annotations, 'drydock/publish-all', 'true');
        } else if (spec.annotations) delete spec.annotations['drydock/publish-all'];
        break;
      case 'restart':
        spec.restart = parseRestart(v, where);
        break;
      case 'cgroup-parent':
        if (v.trim() === '') delete spec.cgroupParent;
        else spec.cgroupParent = v;
        break;
      case 'health-cmd':
        healthOpts = true;
        if (v.trim() !== '') spec.healthcheck = true;
        break;
      case 'health-interval':
      case 'health-retries':
      case 'health-start-interval':
      case 'health-start-period':
      case 'health-timeout':
        healthOpts = true;
        break;
      case 'no-healthcheck':
        if (flagBool(opt.value, opt.name, file)) {
          noHealth = true;
          spec.healthcheck = false;
        }
        break;
      case 'ulimit': {
        const u = parseUlimit(v, where);
        if (!isUlimitName(u.name)) throw new UserError(`${where}: invalid ulimit type "${short(u.name)}"`);
        spec.ulimits.push(u);
        break;
      }
      case 'sysctl': {
        const eq = v.indexOf('=');
        if (eq <= 0) throw new UserError(`${where}: invalid sysctl "${short(v)}" (want key=value)`);
        setKey(spec.sysctls, v.slice(0, eq).trim(), v.slice(eq + 1));
        break;
      }
      case 'name':
        if (v.trim() !== '') spec.name = v;
        break;
      case 'entrypoint':
        entrypoint = v;
        break;
      default:
        // Every other option is known and type-checked but says nothing about confinement.
        break;
    }
  }
  if (noHealth && healthOpts)
    throw new UserError(`${file}: --no-healthcheck conflicts with the --health-* options`);
  const args = argv.slice(imageIndex + 1);
  if (entrypoint !== undefined && entrypoint !== '') spec.command = [entrypoint, ...args];
  else if (args.length > 0) spec.command = args;
  return spec;
}
