// Progress of layer reads on a TTY (stderr); silent otherwise.

export interface Progress {
  layerStart(index: number, total: number | undefined, bytesRead: () => number): void;
  layerDone(index: number, cached: boolean): void;
  finish(): void;
}

export const noProgress: Progress = {
  layerStart() {},
  layerDone() {},
  finish() {},
};

function mb(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** One status line, redrawn every 100 ms: layers done and bytes read of the layers in flight. */
export class TtyProgress implements Progress {
  private active = new Map<number, { total: number | undefined; read: () => number }>();
  private done = 0;
  private cached = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();

  constructor(
    private readonly layerCount: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  layerStart(index: number, total: number | undefined, read: () => number): void {
    this.active.set(index, { total, read });
    this.timer ??= setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  layerDone(index: number, cached: boolean): void {
    this.active.delete(index);
    this.done++;
    if (cached) this.cached++;
    this.draw();
  }

  private draw(): void {
    if (Date.now() - this.started < 300 && this.active.size === 0) return;
    const parts = [...this.active.entries()].map(([i, a]) => {
      const r = a.read();
      return a.total
        ? `#${i + 1} ${mb(r)}/${mb(a.total)} ${Math.floor((100 * r) / a.total)}%`
        : `#${i + 1} ${mb(r)}`;
    });
    const line = `layers ${this.done}/${this.layerCount}${this.cached ? ` (${this.cached} cached)` : ''} ${parts.join('  ')}`;
    this.out.write(`\r\x1b[K${line.slice(0, (this.out.columns || 100) - 1)}`);
  }

  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.out.write('\r\x1b[K');
  }
}
