import { SingleBar } from 'cli-progress';

/** 1536 → "1.5 KB". */
export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export const usd = (n: number) => `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 6 : 4)}`;

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}
const NONE: Progress = { update: () => undefined, stop: () => undefined };

const bar = (format: string, total: number, payload: Record<string, string | number>, stream: NodeJS.WriteStream): Progress => {
  const b = new SingleBar({ format, stream, hideCursor: true, barsize: 30, etaBuffer: 20, fps: 8, clearOnComplete: false, barCompleteChar: '█', barIncompleteChar: '░' });
  b.start(total, 0, payload);
  return { update: (value, more) => b.update(value, more), stop: () => b.stop() };
};

/** Bars render on a terminal only (stderr, so `--json` output stays clean), and never with `--no-progress`. */
export const showBars = (enabled: boolean, stream: NodeJS.WriteStream = process.stderr) => enabled && stream.isTTY === true;

export function uploadBar(enabled: boolean, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!showBars(enabled, stream)) return NONE;
  const size = humanBytes(total);
  const started = Date.now();
  const p = bar('Uploading   |{bar}| {percentage}% | {sent} / {size} | {speed} | ETA {eta_formatted}', total, { sent: '0 B', size, speed: '' }, stream);
  return {
    update: (value) => p.update(value, { sent: humanBytes(value), size, speed: `${humanBytes(value / Math.max(0.001, (Date.now() - started) / 1000))}/s` }),
    stop: p.stop,
  };
}

export function downloadBar(enabled: boolean, total: number | null, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!showBars(enabled, stream) || !total) return NONE;
  const p = bar('Downloading |{bar}| {percentage}% | {got} / {size} | ETA {eta_formatted}', total, { got: '0 B', size: humanBytes(total) }, stream);
  return { update: (value) => p.update(value, { got: humanBytes(value), size: humanBytes(total) }), stop: p.stop };
}

/** Objects ended (completed + failed) of the total, the ETA from the pace so far, and the cost so far. */
export function taskBar(enabled: boolean, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!showBars(enabled, stream)) return NONE;
  const p = bar('Running     |{bar}| {value}/{total} objects | {status} | failed {failed} | ETA {eta} | cost {cost}', total, { status: 'submitted', failed: 0, cost: usd(0), eta: '…' }, stream);
  let first: { at: number; done: number } | null = null;
  return {
    update: (done, payload) => {
      first ??= { at: Date.now(), done };
      p.update(done, { ...payload, eta: etaText(total - done, (done - first.done) / Math.max(1, Date.now() - first.at)) });
    },
    stop: p.stop,
  };
}

/** What is left at the pace seen so far (per ms): "45s", "3m20s", "2h05m"; "…" before any progress. */
export function etaText(left: number, perMs: number): string {
  if (left <= 0) return '0s';
  if (!(perMs > 0)) return '…';
  const s = Math.round(left / perMs / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
