// Debug logging to stderr (enabled by --debug or DRYDOCK_DEBUG=1) and warnings collected for reports.

let debugEnabled = process.env.DRYDOCK_DEBUG === '1';
let quiet = false;

export function setDebug(on: boolean): void {
  debugEnabled = on;
}

export function isDebug(): boolean {
  return debugEnabled;
}

export function setQuiet(on: boolean): void {
  quiet = on;
}

/** Seconds since the process started (not since this module loaded). */
function stamp(): string {
  return `${(performance.now() / 1000).toFixed(3).padStart(8)}s`;
}

/** Debug line, only with --debug. Keep messages grep-able: "component: what happened". */
export function debug(msg: string): void {
  if (debugEnabled) process.stderr.write(`${stamp()} DEBUG ${msg}\n`);
}

/** A warning the user should see (unless --quiet); scans keep going after a warning. */
export function warn(msg: string): void {
  if (!quiet) process.stderr.write(`${debugEnabled ? `${stamp()} ` : ''}WARN ${msg}\n`);
}
