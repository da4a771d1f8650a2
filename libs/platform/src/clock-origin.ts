import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { z } from 'zod';

/** The three figures that fix a clock (see createClock): simulated `originMs` at real `realOriginMs`. */
export interface ClockFigures {
  scale: number;
  originMs: number;
  realOriginMs: number;
}

const Stored = z.object({ scale: z.number().positive(), originMs: z.number(), realOriginMs: z.number() });

/**
 * The figures of a clock that continues the one stored in `file` (the data folder's), and
 * stores them: a simulated clock (scale > 1) restarted from real now would go back by
 * everything it ran ahead, and the events, plans and deadlines it stamped would then lie in
 * its future. The stored clock is read on at its own scale up to now, so the new one starts
 * where the old one would be (never before where the old one started, even if the real
 * clock stepped back meanwhile), and runs on at `scale`. A configured `origin` later than that still wins, so an
 * operator can move simulated time forward. No file (a new folder): `origin`, else real now.
 */
export function continueStoredClock(file: string, options: { scale: number; origin?: Date; realNow?: number }): ClockFigures {
  const realNow = options.realNow ?? Date.now();
  const stored = readStored(file);
  const configured = options.origin?.getTime();
  let originMs = configured ?? realNow;
  if (stored) {
    const continued = stored.originMs + Math.max(0, realNow - stored.realOriginMs) * stored.scale;
    originMs = Math.max(continued, configured ?? -Infinity);
  }
  const figures: ClockFigures = { scale: options.scale, originMs, realOriginMs: realNow };
  writeDurably(file, `${JSON.stringify(figures)}\n`);
  return figures;
}

function readStored(file: string): ClockFigures | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = Stored.safeParse(safeJson(text));
  if (!parsed.success) throw new Error(`${file} does not hold a clock ({scale, originMs, realOriginMs}); remove it to start the clock again from now`);
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Written aside and renamed over, so a crash leaves the old figures or the new, never half. */
function writeDurably(file: string, text: string): void {
  const aside = `${file}.tmp`;
  const fd = openSync(aside, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(aside, file);
}
