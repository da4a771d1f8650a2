import { ProviderLimits, TokenBucket } from './provider-limits';

const limitsOf = (specs: Record<string, { rpm: number; tpm: number; maxConcurrent?: number }>) => (id: string) => specs[id] ?? null;

describe('provider limits', () => {
  it('spaces the calls of an rpm 600 provider 100 ms apart: at most 10 in any second', () => {
    const limits = new ProviderLimits(limitsOf({ p: { rpm: 600, tpm: 1_000_000 } }), 1_000);
    const sent: number[] = [];
    for (let now = 0; now < 5_000; now += 7) {
      const admission = limits.tryAcquire('p', 10, now);
      if (admission.ok) {
        sent.push(now);
        limits.release(admission.permit, 10, now);
      }
    }
    expect(Math.max(...sent.map((t) => sent.filter((u) => u >= t && u < t + 1_000).length))).toBe(10);
    expect(sent.length).toBeGreaterThanOrEqual(48);
  });

  it('says how long to wait for the next request', () => {
    const limits = new ProviderLimits(limitsOf({ p: { rpm: 60, tpm: 1_000_000 } }), 1_000);
    const first = limits.tryAcquire('p', 1, 0);
    expect(limits.tryAcquire('p', 1, 250)).toEqual({ ok: false, waitMs: 1_000 });
    // Answered: it reached the provider by then, so the next may go a second after that.
    if (first.ok) limits.release(first.permit, 1, 100);
    expect(limits.tryAcquire('p', 1, 250)).toEqual({ ok: false, waitMs: 850 });
  });

  it('a call let through but slow to reach the provider counts in its window until it answers (up to the grace)', () => {
    const limits = new ProviderLimits(limitsOf({ p: { rpm: 600, tpm: 1_000_000 } }), 1_000);
    const open = Array.from({ length: 10 }, (_, i) => limits.tryAcquire('p', 1, i * 100));
    expect(open.every((a) => a.ok)).toBe(true);
    // The first may arrive as late as 250 ms: an eleventh at 1,000 ms could share its second.
    expect(limits.tryAcquire('p', 1, 1_000)).toEqual({ ok: false, waitMs: 250 });
    if (open[0].ok) limits.release(open[0].permit, 1, 20);
    expect(limits.tryAcquire('p', 1, 1_020).ok).toBe(true);
  });

  it('takes tokens by the estimate and corrects them by the report', () => {
    // 60,000 tpm: 1,000 tokens a second, 10,000 in the bucket.
    const limits = new ProviderLimits(limitsOf({ p: { rpm: 100_000, tpm: 60_000 } }), 1_000);
    const big = limits.tryAcquire('p', 10_000, 0);
    if (!big.ok) throw new Error('expected room');
    expect(limits.tryAcquire('p', 2_000, 100)).toEqual({ ok: false, waitMs: 1_900 });
    // The call used 4,000, not 10,000: the difference comes back at once.
    limits.release(big.permit, 4_000, 100);
    expect(limits.tryAcquire('p', 2_000, 100).ok).toBe(true);
  });

  it('charges a call that used more than its estimate: the next waits for the debt', () => {
    const limits = new ProviderLimits(limitsOf({ p: { rpm: 100_000, tpm: 60_000 } }), 1_000);
    const small = limits.tryAcquire('p', 1_000, 0);
    if (!small.ok) throw new Error('expected room');
    limits.release(small.permit, 14_000, 0);
    expect(limits.tryAcquire('p', 1_000, 0)).toEqual({ ok: false, waitMs: 5_000 });
  });

  it('holds at most maxConcurrent calls of a provider, and maxInFlight across providers', () => {
    const limits = new ProviderLimits(limitsOf({ p: { rpm: 1_000_000, tpm: 100_000_000, maxConcurrent: 2 } }), 3);
    const first = limits.tryAcquire('p', 1, 0);
    expect(limits.tryAcquire('p', 1, 0).ok).toBe(true);
    expect(limits.tryAcquire('p', 1, 0)).toEqual({ ok: false, waitMs: 0 });
    expect(limits.tryAcquire('unlimited', 1, 0).ok).toBe(true);
    expect(limits.tryAcquire('unlimited', 1, 0)).toEqual({ ok: false, waitMs: 0 });
    if (!first.ok) throw new Error('expected room');
    limits.release(first.permit, 1, 0);
    expect(limits.tryAcquire('p', 1, 0).ok).toBe(true);
  });

  it('a pause (429 Retry-After) stops every call to that provider until it ends, limited or not', () => {
    const limits = new ProviderLimits(limitsOf({ p: { rpm: 1_000_000, tpm: 100_000_000 } }), 100);
    limits.pause('p', 2_000, 0);
    limits.pause('q', 500, 0);
    expect(limits.tryAcquire('p', 1, 10)).toEqual({ ok: false, waitMs: 1_990 });
    expect(limits.tryAcquire('q', 1, 10)).toEqual({ ok: false, waitMs: 490 });
    expect(limits.tryAcquire('p', 1, 2_000).ok).toBe(true);
  });
});

describe('token bucket', () => {
  it('refills at its rate up to its capacity', () => {
    const bucket = new TokenBucket(10, 0.01, 0);
    bucket.take(10, 0);
    expect(bucket.waitMs(5, 0)).toBe(500);
    expect(bucket.waitMs(5, 500)).toBe(0);
    expect(bucket.waitMs(50, 10_000)).toBe(0);
  });
});
