// `drydock trust check-dockerfile Dockerfile`: the Docker Content Trust build rule. Every image a
// build would pull (FROM, and COPY --from / RUN --mount from= naming an image rather than a stage)
// must be signed under the trust policy; `scratch` and earlier stages are not images.
//
// The Dockerfile reading follows BuildKit's: parser directives (escape), comments, line
// continuations, heredocs (skipped, so a "FROM" line inside one is not an instruction), global ARGs
// before the first FROM with --build-arg overrides, the automatic platform ARGs, and ${VAR},
// ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR+word}, ${VAR:?msg} substitution.

import { describe, UserError } from '../errors.js';
import { readConfigFile } from '../harden/doc.js';
import { RegistryClient, type RegistryOptions } from '../image/registry/client.js';
import { formatReference, parseReference, type Reference } from '../image/registry/reference.js';
import { type EnforceOptions, enforceTrust, type TrustDecision } from './gate.js';
import type { TrustPolicy } from './policy.js';

const MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024;

export interface DockerfileImage {
  /** 1-based line of the instruction. */
  line: number;
  instruction: 'FROM' | 'COPY --from' | 'RUN --mount';
  /** The reference as written. */
  raw: string;
  /** After ARG substitution. */
  ref: string;
  platform?: string;
  /** Stage name (FROM ... AS name). */
  stage?: string;
}

export interface ParsedDockerfile {
  images: DockerfileImage[];
  /** Stage names in order (undefined for unnamed stages). */
  stages: (string | undefined)[];
  /** FROM lines that need no image (scratch, or an earlier stage). */
  skipped: { line: number; ref: string; why: string }[];
}

interface Instruction {
  line: number;
  cmd: string;
  args: string;
}

/** The automatic platform ARGs, for this machine unless --build-arg says otherwise. */
function platformArgs(): Record<string, string> {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  const plat = `linux/${arch}`;
  return {
    BUILDPLATFORM: plat,
    BUILDOS: 'linux',
    BUILDARCH: arch,
    BUILDVARIANT: '',
    TARGETPLATFORM: plat,
    TARGETOS: 'linux',
    TARGETARCH: arch,
    TARGETVARIANT: '',
  };
}

/** Splits a Dockerfile into instructions with their first line, BuildKit-style. */
export function splitInstructions(
  text: string,
  file: string,
): { escape: string; instructions: Instruction[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escChar = '\\';
  let i = 0;
  // Parser directives: only at the very top, before any blank line, comment or instruction.
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/.exec(lines[i] as string);
    if (!m) break;
    if ((m[1] as string).toLowerCase() === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`')
        throw new UserError(`${file}:${i + 1}: escape directive must be \\ or \`, not "${m[2]}"`);
      escChar = m[2];
    }
  }
  const out: Instruction[] = [];
  const contRe = new RegExp(`${escChar === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  while (i < lines.length) {
    const start = i;
    let l = lines[i++] as string;
    if (/^\s*(#|$)/.test(l)) continue;
    let full = '';
    for (;;) {
      if (contRe.test(l)) {
        full += l.replace(contRe, '');
        // continuation: skip comment lines and empty lines in between
        while (i < lines.length && /^\s*(#.*)?$/.test(lines[i] as string)) i++;
        if (i >= lines.length) break;
        l = lines[i++] as string;
      } else {
        full += l;
        break;
      }
    }
    const m = /^\s*(\S+)\s*(.*)$/s.exec(full);
    if (!m) continue;
    const cmd = (m[1] as string).toUpperCase();
    const args = m[2] as string;
    out.push({ line: start + 1, cmd, args });
    // Heredocs (RUN/COPY/ADD <<EOF ... EOF): their bodies are data, not instructions.
    if (cmd === 'RUN' || cmd === 'COPY' || cmd === 'ADD') {
      const re = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
      for (let h = re.exec(args); h; h = re.exec(args)) {
        const strip = h[1] === '-';
        const word = h[3] as string;
        while (i < lines.length) {
          const body = lines[i++] as string;
          if ((strip ? body.replace(/^\t+/, '') : body) === word) break;
        }
      }
    }
  }
  return { escape: escChar, instructions: out };
}

/** Substitutes $VAR / ${VAR...} forms; unset variables expand to "". */
export function expandArgs(
  s: string,
  vars: Record<string, string | undefined>,
  where: string,
  escChar = '\\',
): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === escChar && s[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c !== '$') {
      out += c;
      continue;
    }
    if (s[i + 1] === '{') {
      // find the matching brace (words may nest ${...})
      let depth = 0;
      let j = i + 1;
      for (; j < s.length; j++) {
        if (s[j] === '{') depth++;
        else if (s[j] === '}' && --depth === 0) break;
      }
      if (j >= s.length) throw new UserError(`${where}: unterminated \${ in "${s}"`);
      const inner = s.slice(i + 2, j);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([\s\S]*))?$/.exec(inner);
      if (!m) throw new UserError(`${where}: bad substitution \${${inner}}`);
      const name = m[1] as string;
      const op = m[2];
      const value = vars[name];
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      const word = () => expandArgs(m[3] ?? '', vars, where, escChar);
      if (!op) out += value ?? '';
      else if (op === ':-') out += nonEmpty ? value : word();
      else if (op === '-') out += set ? value : word();
      else if (op === ':+') out += nonEmpty ? word() : '';
      else if (op === '+') out += set ? word() : '';
      else if (op === ':?' || op === '?') {
        if (op === ':?' ? !nonEmpty : !set)
          throw new UserError(`${where}: ${name}: ${word() || 'is not set'}`);
        out += value;
      }
      i = j;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (!m) {
      out += '$';
      continue;
    }
    out += vars[m[0]] ?? '';
    i += m[0].length;
  }
  return out;
}

/** Splits `a=1 b="x y" c` into [name, value|undefined] pairs (ARG syntax). */
function argPairs(args: string, where: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?(?=\s|$)/gy;
  let pos = 0;
  const s = args.trim();
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new UserError(`${where}: cannot read ARG "${s}"`);
    let v = m[2];
    if (v !== undefined) {
      if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
      else if (v.startsWith("'")) v = v.slice(1, -1);
    }
    out.push([m[1] as string, v]);
    pos = re.lastIndex;
    while (pos < s.length && /\s/.test(s[pos] as string)) pos++;
  }
  return out;
}

/** Flags at the start of an instruction: `--name=value` pairs, then the rest. */
function takeFlags(args: string): { flags: [string, string][]; rest: string } {
  const flags: [string, string][] = [];
  let rest = args.trim();
  for (;;) {
    const m = /^--([A-Za-z-]+)(?:=("(?:[^"\\]|\\.)*"|\S*))?(?:\s+|$)/.exec(rest);
    if (!m) break;
    let v = m[2] ?? '';
    if (v.startsWith('"')) v = v.slice(1, -1);
    flags.push([(m[1] as string).toLowerCase(), v]);
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** `--build-arg KEY=VALUE` (or `KEY`, taken from the environment as Docker does, skipped if unset). */
export function parseBuildArgs(list: string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    const key = eq < 0 ? a : a.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UserError(`--build-arg "${a}": expected NAME=VALUE`);
    if (eq >= 0) out[key] = a.slice(eq + 1);
    else if (env[key] !== undefined) out[key] = env[key] as string;
  }
  return out;
}

export interface ParseOptions {
  /** --build-arg NAME=VALUE */
  buildArgs?: Record<string, string>;
}

/** Finds the images a build of this Dockerfile pulls. */
export function parseDockerfile(text: string, file: string, opts: ParseOptions = {}): ParsedDockerfile {
  const build = opts.buildArgs ?? {};
  const auto = platformArgs();
  for (const k of Object.keys(auto)) if (build[k] !== undefined) auto[k] = build[k] as string;
  const meta: Record<string, string | undefined> = { ...auto };
  let stageVars: Record<string, string | undefined> = {};
  const stages: (string | undefined)[] = [];
  const images: DockerfileImage[] = [];
  const skipped: ParsedDockerfile['skipped'] = [];
  const { escape: escChar, instructions } = splitInstructions(text, file);
  let inStage = false;
  const isStage = (name: string) => {
    const n = name.toLowerCase();
    return stages.includes(n) || (/^\d+$/.test(n) && Number(n) < stages.length);
  };
  for (const ins of instructions) {
    const where = `${file}:${ins.line}`;
    if (ins.cmd === 'ARG') {
      for (const [name, def] of argPairs(ins.args, where)) {
        const vars = inStage ? stageVars : meta;
        let v: string | undefined;
        if (build[name] !== undefined) v = build[name];
        else if (def !== undefined) v = expandArgs(def, vars, where, escChar);
        else if (inStage) v = meta[name]; // re-declared meta ARG: inherits the global value
        if (inStage) stageVars[name] = v;
        else meta[name] = v;
      }
      continue;
    }
    if (ins.cmd === 'FROM') {
      const { flags, rest } = takeFlags(ins.args);
      let platform: string | undefined;
      for (const [k, v] of flags) {
        if (k !== 'platform') throw new UserError(`${where}: FROM does not take --${k}`);
        platform = expandArgs(v, meta, where, escChar);
      }
      const words = rest.trim().split(/\s+/).filter(Boolean);
      if (words.length !== 1 && !(words.length === 3 && words[1]?.toLowerCase() === 'as'))
        throw new UserError(`${where}: FROM needs "image [AS name]", not "${ins.args.trim()}"`);
      const raw = words[0] as string;
      const ref = expandArgs(raw, meta, where, escChar);
      let stage: string | undefined;
      if (words.length === 3) {
        stage = expandArgs(words[2] as string, meta, where, escChar).toLowerCase();
        if (!/^[a-z][a-z0-9._-]*$/.test(stage))
          throw new UserError(`${where}: invalid stage name "${words[2]}"`);
        if (stages.includes(stage)) throw new UserError(`${where}: stage name "${stage}" is used twice`);
      }
      if (!ref) throw new UserError(`${where}: FROM ${raw} expands to an empty image name`);
      if (ref.toLowerCase() === 'scratch') skipped.push({ line: ins.line, ref, why: 'scratch' });
      else if (stages.includes(ref.toLowerCase()))
        skipped.push({ line: ins.line, ref, why: `stage ${ref.toLowerCase()}` });
      else {
        const img: DockerfileImage = { line: ins.line, instruction: 'FROM', raw, ref };
        if (platform) img.platform = platform;
        if (stage) img.stage = stage;
        images.push(img);
      }
      stages.push(stage);
      stageVars = { ...auto };
      inStage = true;
      continue;
    }
    if (!inStage) {
      throw new UserError(`${where}: ${ins.cmd} before the first FROM (only ARG may come first)`);
    }
    if (ins.cmd === 'COPY') {
      for (const [k, v] of takeFlags(ins.args).flags) {
        if (k !== 'from') continue;
        const ref = expandArgs(v, stageVars, where, escChar);
        if (!ref) throw new UserError(`${where}: COPY --from expands to an empty name`);
        if (!isStage(ref)) images.push({ line: ins.line, instruction: 'COPY --from', raw: v, ref });
      }
    } else if (ins.cmd === 'RUN') {
      for (const [k, v] of takeFlags(ins.args).flags) {
        if (k !== 'mount') continue;
        const from = /(?:^|,)from=([^,]+)/.exec(v)?.[1];
        if (!from) continue;
        const ref = expandArgs(from, stageVars, where, escChar);
        if (!isStage(ref)) images.push({ line: ins.line, instruction: 'RUN --mount', raw: from, ref });
      }
    }
  }
  if (stages.length === 0) throw new UserError(`${file}: no FROM instruction`);
  return { images, stages, skipped };
}

export interface CheckResult {
  image: DockerfileImage;
  reference?: string;
  digest?: string;
  decision?: TrustDecision;
  /** Why the image is refused. */
  error?: string;
}

export interface CheckOptions extends ParseOptions, EnforceOptions {
  /** Resolves a tag to the digest a build would pull (default: ask the registry). */
  resolveDigest?: (ref: Reference) => Promise<string>;
}

async function registryDigest(ref: Reference, registry: RegistryOptions | undefined): Promise<string> {
  const client = new RegistryClient(ref, registry);
  try {
    return (await client.getManifest(ref.digest ?? (ref.tag as string))).digest;
  } finally {
    await client.close();
  }
}

/**
 * Checks every image of the Dockerfile under the policy. Resolves (never throws for unsigned
 * images); `assertDockerfileTrusted` turns the failures into one UserError.
 */
export async function checkDockerfile(
  file: string,
  policy: TrustPolicy,
  opts: CheckOptions = {},
): Promise<{ parsed: ParsedDockerfile; results: CheckResult[] }> {
  const parsed = parseDockerfile(readConfigFile(file, MAX_DOCKERFILE_BYTES), file, opts);
  const results: CheckResult[] = [];
  const cache = new Map<string, Promise<{ reference: string; digest: string; decision: TrustDecision }>>();
  for (const image of parsed.images) {
    let ref: Reference;
    try {
      ref = parseReference(image.ref);
    } catch (e) {
      results.push({ image, error: describe(e) });
      continue;
    }
    const reference = formatReference(ref);
    let job = cache.get(reference);
    if (!job) {
      job = (async () => {
        const digest =
          ref.digest ?? (await (opts.resolveDigest ?? ((r) => registryDigest(r, opts.registry)))(ref));
        return { reference, digest, decision: await enforceTrust(ref, digest, policy, opts) };
      })();
      cache.set(reference, job);
    }
    try {
      const r = await job;
      results.push({ image, reference, digest: r.digest, decision: r.decision });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      results.push({
        image,
        reference,
        error: describe(e).replace(/^content trust: refusing \S+ \([^)]*\): /, ''),
      });
    }
  }
  return { parsed, results };
}

/** Throws one UserError naming every refused image and its line. */
export function assertDockerfileTrusted(file: string, results: CheckResult[]): void {
  const bad = results.filter((r) => r.error);
  if (bad.length === 0) return;
  const list = bad
    .map((r) => `line ${r.image.line}: ${r.image.instruction} ${r.image.ref} (${r.error})`)
    .join('; ');
  throw new UserError(
    `${file}: ${bad.length === 1 ? 'an image is' : `${bad.length} images are`} not signed as the trust policy requires: ${list}`,
  );
}

/** The command: prints one line per image, then fails (exit 2) if any is unsigned. */
export async function runCheckDockerfile(
  file: string,
  policy: TrustPolicy,
  opts: CheckOptions & { out?: (line: string) => void } = {},
): Promise<CheckResult[]> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const { parsed, results } = await checkDockerfile(file, policy, opts);
  for (const s of parsed.skipped) out(`${file}:${s.line}  FROM ${s.ref}  skipped (${s.why})`);
  for (const r of results) {
    const d = r.decision;
    const status = r.error
      ? `REFUSED: ${r.error}`
      : d?.kind
        ? `signed (${d.kind}: ${d.detail}; rule "${d.rule}")`
        : `allowed (${d?.detail ?? 'no signature required'})`;
    out(
      `${file}:${r.image.line}  ${r.image.instruction} ${r.image.ref}${r.digest ? `@${r.digest}` : ''}  ${status}`,
    );
  }
  assertDockerfileTrusted(file, results);
  return results;
}
