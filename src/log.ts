// Debug logging to stderr (enabled by --debug or DRYDOCK_DEBUG=1) and warnings collected for reports.

let debugEnabled = process.env.DRYDOCK_DEBUG === '1';
let quiet = false;
const started = process.hrtime.bigint();

export function setDebug(on: boolean): void {
  debugEnabled = on;
}

export function isDebug(): boolean {
  return debugEnabled;
}

export function setQuiet(on: boolean): void {
  quiet = on;
}

function stamp(): string {
  const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
  return `${(ms / 1000).toFixed(3).padStart(8)}s`;
}

/** Debug line, only with --debug. Keep messages grep-able: "component: what happened". */
export function debug(msg: string): void {
  if (debugEnabled) process.stderr.write(`${stamp()} DEBUG ${msg}\n`);
}

/** A warning the user should see (unless --quiet); scans keep going after a warning. */
export function warn(msg: string): void {
  if (!quiet) process.stderr.write(`${debugEnabled ? `${stamp()} ` : ''}WARN ${msg}\n`);
}
