import { assessHealth, ProviderHealthBook, RECENT_CALLS, type CallObservation } from './provider-health';

const now = new Date('2025-03-04T10:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const ok = (latencyMs: number, expectedLatencyMs: number, at = ago(120_000)): CallObservation => ({ at, ok: true, latencyMs, expectedLatencyMs });
const failed = (at: Date): CallObservation => ({ at, ok: false });

describe('provider health', () => {
  it.each<{ given: string; calls: CallObservation[]; expected: { latencyFactor: number; reliability: number; degraded: boolean } }>([
    { given: 'no calls', calls: [], expected: { latencyFactor: 1, reliability: 0.99, degraded: false } },
    {
      given: 'answers twice as slow as the catalogue says',
      calls: [ok(200, 100), ok(210, 100), ok(190, 100)],
      expected: { latencyFactor: 2, reliability: (0.99 * 10 + 3) / 13, degraded: false },
    },
    { given: 'instant answers (bounded below)', calls: [ok(1, 1_000), ok(2, 1_000)], expected: { latencyFactor: 0.5, reliability: (0.99 * 10 + 2) / 12, degraded: false } },
    { given: 'stalled answers (bounded above)', calls: [ok(100_000, 1_000)], expected: { latencyFactor: 4, reliability: (0.99 * 10 + 1) / 11, degraded: false } },
    { given: 'a failure a few seconds ago', calls: [ok(100, 100), failed(ago(5_000))], expected: { latencyFactor: 1, reliability: (0.99 * 10 + 1) / 12, degraded: true } },
    { given: 'an old failure', calls: [failed(ago(600_000)), ok(100, 100)], expected: { latencyFactor: 1, reliability: (0.99 * 10 + 1) / 12, degraded: false } },
    {
      given: 'many old failures',
      calls: Array.from({ length: 5 }, () => failed(ago(600_000))),
      expected: { latencyFactor: 1, reliability: (0.99 * 10) / 15, degraded: true },
    },
  ])('given $given', ({ calls, expected }) => {
    const health = assessHealth(0.99, calls, now);
    expect(health.latencyFactor).toBeCloseTo(expected.latencyFactor);
    expect(health.reliability).toBeCloseTo(expected.reliability);
    expect(health.degraded).toBe(expected.degraded);
  });

  it('the book keeps only the most recent calls per provider', () => {
    const book = new ProviderHealthBook();
    for (let i = 0; i < RECENT_CALLS; i += 1) book.record('a', failed(ago(600_000)));
    for (let i = 0; i < RECENT_CALLS; i += 1) book.record('a', ok(100, 100));
    expect(book.healthOf('a', 0.9, now)).toEqual({ latencyFactor: 1, reliability: (0.9 * 10 + RECENT_CALLS) / (10 + RECENT_CALLS), degraded: false });
    expect(book.healthOf('b', 0.9, now).reliability).toBe(0.9);
  });
});
