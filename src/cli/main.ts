// drydock's command line: parses options, calls the library, picks a renderer, maps errors to exit codes.

import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { describe, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, isUserError, UserError } from '../errors.js';
import { DEFAULT_DECOMPRESS_LIMITS } from '../image/decompress.js';
import { parsePlatform } from '../image/manifest.js';
import { openImage } from '../image/source/open.js';
import { debug, isDebug, setDebug, setQuiet } from '../log.js';
import { buildReport } from '../report/json.js';
import { renderTable } from '../report/table.js';
import { TtyProgress } from '../scan/progress.js';
import { scanImage } from '../scan/scan.js';

const VERSION = '0.1.0';

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

function sizeArg(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected a size such as 512MB or 20GB');
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.floor(Number(m[1]) * (mult[(m[2] as string).toLowerCase()] as number));
}

function durationArg(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 30s, 500ms or 2m');
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

/** Writes the report atomically: an existing file is only replaced by a complete new one. */
async function emit(text: string, output: string | undefined): Promise<void> {
  if (!output) {
    process.stdout.write(text);
    return;
  }
  const tmp = path.join(path.dirname(output), `.${path.basename(output)}.tmp-${process.pid}`);
  try {
    await writeFile(tmp, text);
    await rename(tmp, output);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new UserError(`cannot write ${output}: ${describe(e)}`);
  }
}

interface ScanCliOptions {
  format: 'table' | 'json';
  output?: string;
  listAllPkgs?: boolean;
  listFiles?: boolean;
  platform?: string;
  insecure?: boolean;
  username?: string;
  password?: string;
  timeout: number;
  retries: number;
  parallel: number;
  cache: boolean;
  cacheDir?: string;
  exitCode: number;
  maxLayerSize?: number;
}

function addScanOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('-f, --format <format>', 'report format').choices(['table', 'json']).default('table'),
    )
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--list-all-pkgs', 'list every package in the report (JSON: Packages[])')
    .option('--list-files', 'include the merged file tree, each file with the layer that wrote it')
    .option('--parallel <n>', 'layers analysed at once', intArg('--parallel', 1, 64), 2)
    .option('--no-cache', 'do not read or write the layer cache')
    .option('--cache-dir <dir>', 'cache directory (default $DRYDOCK_CACHE_DIR or ~/.cache/drydock)')
    .option('--exit-code <n>', 'exit code when findings are reported', intArg('--exit-code', 0, 255), 0)
    .option('--max-layer-size <size>', 'largest uncompressed layer accepted', sizeArg);
}

async function runScan(target: string, o: ScanCliOptions, kindPrefix = ''): Promise<number> {
  const image = await openImage(`${kindPrefix}${target}`, {
    platform: o.platform ? parsePlatform(o.platform) : undefined,
    insecure: o.insecure,
    credentials: { username: o.username, password: o.password },
    timeoutMs: o.timeout,
    retries: o.retries,
  });
  try {
    debug(
      `image: ${image.kind} ${image.name}, ${image.layers.length} layer(s), config ${image.configDigest ?? '-'}`,
    );
    const tty = process.stderr.isTTY && !isDebug();
    const result = await scanImage(image, {
      cacheDir: o.cache ? o.cacheDir : null,
      parallel: o.parallel,
      listFiles: !!o.listFiles,
      progress: tty && image.layers.length > 0 ? new TtyProgress(image.layers.length) : undefined,
      decompress: o.maxLayerSize ? { ...DEFAULT_DECOMPRESS_LIMITS, maxBytes: o.maxLayerSize } : undefined,
    });
    const text =
      o.format === 'json'
        ? `${JSON.stringify(buildReport(result, { listAllPkgs: !!o.listAllPkgs }), null, 2)}\n`
        : renderTable(result, { listAllPkgs: !!o.listAllPkgs, color: !o.output && !!process.stdout.isTTY });
    await emit(text, o.output);
    return EXIT_OK;
  } finally {
    await image.close();
  }
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('drydock')
    .description('Container security: scan images, audit runtime hardening, verify registry trust')
    .version(VERSION, '-v, --version')
    .option('-d, --debug', 'debug logging to stderr')
    .option('-q, --quiet', 'no warnings or progress on stderr')
    .showHelpAfterError('(run with --help for usage)')
    .hook('preAction', (cmd) => {
      const g = cmd.optsWithGlobals() as { debug?: boolean; quiet?: boolean };
      if (g.debug) setDebug(true);
      if (g.quiet) setQuiet(true);
    });

  const image = program
    .command('image')
    .alias('i')
    .description(
      'scan a container image: docker-archive or oci-archive tar, OCI layout dir (DIR[:TAG]), root filesystem dir, or registry reference',
    )
    .argument(
      '<target>',
      'image; prefixes docker-archive: oci-archive: oci: registry: rootfs: force the kind',
    )
    .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-platform image')
    .option('--insecure', 'use plain HTTP for the registry')
    .option('--username <user>', 'registry user name (or DRYDOCK_USERNAME)')
    .option('--password <password>', 'registry password (or DRYDOCK_PASSWORD)')
    .option('--timeout <duration>', 'registry connect/idle timeout', durationArg, 30_000)
    .option('--retries <n>', 'retries on 429, 5xx and broken connections', intArg('--retries', 0, 20), 3);
  addScanOptions(image).action(async (target: string, o: ScanCliOptions) => {
    process.exitCode = await runScan(target, o);
  });

  const fs = program
    .command('fs')
    .description('scan a root filesystem directory (an unpacked image or a project checkout)')
    .argument('<dir>', 'directory');
  addScanOptions(fs).action(async (dir: string, o: ScanCliOptions) => {
    process.exitCode = await runScan(dir, { ...o, timeout: 30_000, retries: 0 }, 'rootfs:');
  });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({
    writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `drydock: ${s}` : s),
  });
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return EXIT_OK;
      return EXIT_USAGE;
    }
    if (isUserError(e)) {
      process.stderr.write(`drydock: error: ${e.message.split('\n')[0]}\n`);
      if (isDebug() && e.cause) process.stderr.write(`${String((e.cause as Error).stack ?? e.cause)}\n`);
      return e.exitCode;
    }
    process.stderr.write(
      `drydock: internal error: ${describe(e)}${isDebug() ? '' : ' (run with --debug for details)'}\n`,
    );
    if (isDebug() && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return EXIT_INTERNAL;
  }
}
