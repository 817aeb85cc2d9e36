// `drydock image` and `drydock fs`: open the target, scan it, render the report.

import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, EXIT_OK, UserError } from '../../errors.js';
import { DEFAULT_DECOMPRESS_LIMITS } from '../../image/limits.js';
import { parsePlatform } from '../../image/manifest.js';
import type { RegistryOptions } from '../../image/registry/client.js';
import { openImage } from '../../image/source/open.js';
import { debug, isDebug, warn } from '../../log.js';
import { buildReport } from '../../report/json.js';
import { renderTable } from '../../report/table.js';
import { type IgnoreRules, loadIgnoreFile } from '../../scan/ignore.js';
import { TtyProgress } from '../../scan/progress.js';
import { type ScanResult, scanImage } from '../../scan/scan.js';
import { loadVexFiles, type VexDocument } from '../../scan/vex.js';
import { type Severity, STATUSES, type Status } from '../../vulndb/types.js';
import type { Options } from '../framework.js';

/**
 * Writes the report atomically: an existing file is only replaced by a complete new one. An output
 * that is not a regular file (/dev/null, /dev/stdout, a FIFO) is written in place: renaming over it
 * would replace the device with a file.
 */
export async function emit(text: string, output: string | undefined): Promise<void> {
  if (!output) {
    process.stdout.write(text);
    return;
  }
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(output);
  } catch {
    existing = undefined;
  }
  if (existing && !existing.isFile()) {
    if (existing.isDirectory()) throw new UserError(`cannot write ${output}: it is a directory`);
    try {
      writeFileSync(output, text);
    } catch (e) {
      throw new UserError(`cannot write ${output}: ${describe(e)}`);
    }
    return;
  }
  const tmp = path.join(path.dirname(output), `.${path.basename(output)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, output);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot write ${output}: ${describe(e)}`);
  }
}

/**
 * The content-trust gate for a command that pulls (undefined when trust is off). The gate module
 * is loaded only when DRYDOCK_CONTENT_TRUST or DOCKER_CONTENT_TRUST is set, so scans start fast.
 */
export async function trustGateFor(o: Options, registry: RegistryOptions) {
  if (!process.env.DRYDOCK_CONTENT_TRUST && !process.env.DOCKER_CONTENT_TRUST) return undefined;
  const { makeTrustGate } = await import('../../trust/gate.js');
  return makeTrustGate(process.env, {
    disableContentTrust: !!o.disableContentTrust,
    trustPolicy: o.trustPolicy as string | undefined,
    registry,
  });
}

/** Opens the target, scans it with the command's options, and hands the result to `use`. */
export async function scanTarget<T>(
  target: string,
  o: Options,
  kindPrefix: string,
  use: (result: ScanResult) => Promise<T>,
): Promise<T> {
  const regOpts = {
    insecure: !!o.insecure,
    credentials: {
      username: o.username as string | undefined,
      password: o.password as string | undefined,
    },
    timeoutMs: (o.timeout as number | undefined) ?? 30_000,
    retries: (o.retries as number | undefined) ?? 3,
  };
  const image = await openImage(`${kindPrefix}${target}`, {
    platform: o.platform ? parsePlatform(String(o.platform)) : undefined,
    ...regOpts,
    trustGate: await trustGateFor(o, regOpts),
  });
  try {
    debug(
      `image: ${image.kind} ${image.name}, ${image.layers.length} layer(s), config ${image.configDigest ?? '-'}`,
    );
    const tty = process.stderr.isTTY && !isDebug() && !o.quiet;
    const maxLayer = o.maxLayerSize as number | undefined;
    const result = await scanImage(image, {
      cacheDir: o.noCache ? null : ((o.cacheDir as string | undefined) ?? undefined),
      parallel: (o.parallel as number | undefined) ?? 2,
      listFiles: !!o.listFiles,
      progress: tty && image.layers.length > 0 ? new TtyProgress(image.layers.length) : undefined,
      decompress: maxLayer ? { ...DEFAULT_DECOMPRESS_LIMITS, maxBytes: maxLayer } : undefined,
    });
    return await use(result);
  } finally {
    await image.close();
  }
}

const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

function listOption<T extends string>(value: unknown, allowed: readonly T[], flag: string): T[] | undefined {
  if (typeof value !== 'string') return undefined;
  const items = value
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const x of items)
    if (!(allowed as readonly string[]).includes(x))
      throw new UserError(`--${flag}: unknown value "${x}" (one of ${allowed.join(', ')})`);
  return items as T[];
}

/**
 * The vulnerability filters from the command line, with the ignore file and VEX documents read
 * (throws UserError on unknown values or a malformed file).
 */
export function vulnOptions(o: Options): {
  severities: Severity[] | undefined;
  ignoreUnfixed: boolean;
  ignoreStatuses: Status[] | undefined;
  ignore?: IgnoreRules;
  vex?: VexDocument[];
} {
  const filters = {
    severities: listOption(
      typeof o.severity === 'string' ? o.severity.toUpperCase() : undefined,
      SEVERITIES,
      'severity',
    ),
    ignoreUnfixed: !!o.ignoreUnfixed,
    ignoreStatuses: listOption(o.ignoreStatus, STATUSES, 'ignore-status'),
  };
  if (o.scanners === 'none') return filters;
  const ignore = loadIgnoreFile(o.ignorefile as string | undefined);
  if (ignore) debug(`ignore: read ${ignore.file} (${ignore.format}, ${ignore.entries.length} entries)`);
  const vex = loadVexFiles(o.vex as string[] | string | undefined);
  for (const d of vex)
    debug(
      `vex: ${d.statements.length} statement(s) from ${d.file} (${d.format})` +
        (d.unresolved ? `, ${d.unresolved} product(s) not a purl or unknown bom-ref` : ''),
    );
  return { ...filters, ...(ignore ? { ignore } : {}), ...(vex.length ? { vex } : {}) };
}

export async function runScan(target: string, o: Options, kindPrefix = ''): Promise<number> {
  // Options are checked before the (possibly long) scan starts.
  const filters = vulnOptions(o);
  return scanTarget(target, o, kindPrefix, async (result) => {
    if (o.scanners !== 'none') {
      const { addVulnerabilities } = await import('../../scan/vulns.js');
      const { dbPath } = await import('./db.js');
      await addVulnerabilities(result, { dbPath: dbPath(o), ...filters });
      for (const w of result.warnings.filter((x) => x.includes('vulnerability database'))) warn(w);
    }
    const output = o.output as string | undefined;
    const text =
      (await (await import('./formats.js')).renderVulnFormat(result, o.format)) ??
      (o.format === 'json'
        ? `${JSON.stringify(buildReport(result, { listAllPkgs: !!o.listAllPkgs }), null, 2)}\n`
        : renderTable(result, { listAllPkgs: !!o.listAllPkgs, color: !output && !!process.stdout.isTTY }));
    await emit(text, output);
    const exitCode = (o.exitCode as number | undefined) ?? 0;
    return exitCode > 0 && (result.vulnerabilities?.length ?? 0) > 0 ? exitCode : EXIT_OK;
  });
}
