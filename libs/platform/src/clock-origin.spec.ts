import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClock } from './clock';
import { continueStoredClock, type ClockFigures } from './clock-origin';

const clockOf = (f: ClockFigures, realNow: () => number) => createClock({ scale: f.scale, origin: new Date(f.originMs), realOrigin: f.realOriginMs, realNow });

describe('continueStoredClock', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'clock-origin-'));
    file = join(dir, 'clock.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts a new folder at the configured origin, else at real now, and stores it', () => {
    expect(continueStoredClock(file, { scale: 60, origin: new Date('2030-01-01T00:00:00Z'), realNow: 1_000 })).toEqual({ scale: 60, originMs: Date.parse('2030-01-01T00:00:00Z'), realOriginMs: 1_000 });
    rmSync(file);
    expect(continueStoredClock(file, { scale: 60, realNow: 5_000 })).toEqual({ scale: 60, originMs: 5_000, realOriginMs: 5_000 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ scale: 60, originMs: 5_000, realOriginMs: 5_000 });
  });

  it('given a clock that ran ahead at scale 3600, when restarted, then it goes on from where that clock is, not from real now', () => {
    let real = 1_000_000;
    const first = clockOf(continueStoredClock(file, { scale: 3_600, realNow: real }), () => real);
    real += 10_000;
    const lastSeen = first.now().getTime();
    expect(lastSeen).toBe(1_000_000 + 10_000 * 3_600);
    real += 2_000;
    const second = clockOf(continueStoredClock(file, { scale: 3_600, realNow: real }), () => real);
    expect(second.now().getTime()).toBe(1_000_000 + 12_000 * 3_600);
    expect(second.now().getTime()).toBeGreaterThan(lastSeen);
  });

  it('never goes back: not when the scale drops to 1, not before the last start when the real clock stepped back, not for an earlier configured origin', () => {
    let real = 1_000_000;
    const first = clockOf(continueStoredClock(file, { scale: 600, realNow: real }), () => real);
    real += 60_000;
    const lastSeen = first.now().getTime();
    const wall = clockOf(continueStoredClock(file, { scale: 1, origin: new Date(0), realNow: real }), () => real);
    expect(wall.now().getTime()).toBe(lastSeen);
    real += 1_000;
    expect(wall.now().getTime()).toBe(lastSeen + 1_000);
    real -= 30_000;
    expect(continueStoredClock(file, { scale: 1, realNow: real }).originMs).toBe(lastSeen);
  });

  it('lets a configured origin later than the stored clock move time forward', () => {
    continueStoredClock(file, { scale: 60, realNow: 1_000 });
    const later = Date.parse('2031-06-01T00:00:00Z');
    expect(continueStoredClock(file, { scale: 60, origin: new Date(later), realNow: 2_000 }).originMs).toBe(later);
  });

  it('refuses a file that does not hold a clock, naming it', () => {
    writeFileSync(file, 'not json');
    expect(() => continueStoredClock(file, { scale: 60 })).toThrow(/clock\.json does not hold a clock/);
  });
});
