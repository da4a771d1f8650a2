import { setTimeout as sleep } from 'node:timers/promises';

export interface HealthBody {
  status: 'ok' | 'degraded';
  log: { kind: string; ok: boolean; detail: string };
  services: Record<string, { status: 'up' | 'down'; instances: number; lastSeenAt: string | null }>;
}

/** Polls GET /healthz until it answers 200 or `timeoutMs` passes; returns the last answer. */
export async function waitForHealthy(baseUrl: string, timeoutMs: number): Promise<{ status: number; body: HealthBody | null }> {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: HealthBody | null } = { status: 0, body: null };
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      last = { status: res.status, body: (await res.json()) as HealthBody };
      if (res.status === 200) return last;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return last;
}

/** Polls `probe` every 250 ms until it returns a value; fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}
