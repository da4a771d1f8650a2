import { createClock } from './clock';

describe('clock', () => {
  it('runs simulated time `scale` times faster than real time, from its origin', () => {
    let real = 1_000;
    const clock = createClock({ scale: 60, origin: new Date('2026-11-23T00:00:00Z'), realNow: () => real });
    real += 1_000;
    expect(clock.now().toISOString()).toBe('2026-11-23T00:01:00.000Z');
    expect(clock.toRealMs(3_600_000)).toBe(60_000);
  });

  it('agrees with another clock given the same origin and real origin, wherever that one was made', () => {
    let real = 5_000;
    const first = createClock({ scale: 600, origin: new Date('2026-11-23T08:00:00Z'), realNow: () => real });
    real += 250;
    const second = createClock({ scale: 600, origin: new Date('2026-11-23T08:00:00Z'), realOrigin: 5_000, realNow: () => real });
    real += 1_000;
    expect(second.now().toISOString()).toBe(first.now().toISOString());
    expect(second.now().toISOString()).toBe('2026-11-23T08:12:30.000Z');
  });

  it('is the wall clock at scale 1', () => {
    const clock = createClock();
    expect(Math.abs(clock.now().getTime() - Date.now())).toBeLessThan(50);
  });

  it('refuses a non-positive scale', () => {
    expect(() => createClock({ scale: 0 })).toThrow(/positive/);
  });
});
