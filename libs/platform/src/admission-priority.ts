/**
 * Submissions first. While a submission is being admitted (its body read, validated, priced
 * and committed), this process's background work — consumers applying events, outbox relays,
 * scheduler rounds — waits before starting its next unit, for at most `maxDeferMs` at a time.
 *
 * Why: in one process (the embedded engine runs all five services on one thread and one
 * database connection per service) a burst of 1,000-item bodies otherwise queues behind the
 * projection of the bodies before it, and each POST takes seconds. Accepting is cheap and
 * durable (the outbox commits with the task); the work it starts catches up when the burst is
 * over. Admission ends at commit: a request that then waits for its own results holds nothing.
 *
 * Nothing is deferred while a request waits for results (a real-time inference, a POST with
 * no-SLA items): that work is what it waits for, so a stream of bulk submissions never
 * stalls it.
 */
export class AdmissionPriority {
  private admitting = 0;
  private awaiting = 0;
  private lastLeftAt = -Infinity;
  private quietTimer: NodeJS.Timeout | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly maxDeferMs = 5_000,
    /** Background work waits this long after the last admission ended: clients sending one body after another leave only short gaps. */
    private readonly quietMs = 50,
  ) {}

  /** A submission starts; call the returned function (idempotent) once it committed or failed. */
  enter(): () => void {
    this.admitting++;
    return once(() => {
      this.admitting--;
      this.lastLeftAt = performance.now();
      if (this.admitting === 0 && this.waiters.size > 0) this.releaseWhenQuiet();
    });
  }

  /** A request starts waiting for background work; call the returned function (idempotent) when it stops. */
  awaitResults(): () => void {
    this.awaiting++;
    this.releaseAll();
    return once(() => void this.awaiting--);
  }

  /** Background work awaits this before each unit: at once unless a submission is (or just was) being admitted. */
  backgroundTurn(): Promise<void> {
    if (!this.deferring()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const go = () => {
        clearTimeout(timer);
        this.waiters.delete(go);
        resolve();
      };
      const timer = setTimeout(go, this.maxDeferMs);
      this.waiters.add(go);
      if (this.admitting === 0) this.releaseWhenQuiet();
    });
  }

  private deferring(): boolean {
    if (this.awaiting > 0) return false;
    return this.admitting > 0 || performance.now() - this.lastLeftAt < this.quietMs;
  }

  private releaseAll(): void {
    for (const go of [...this.waiters]) go();
  }

  private releaseWhenQuiet(): void {
    if (this.quietTimer) return;
    const check = () => {
      this.quietTimer = null;
      if (!this.deferring()) this.releaseAll();
      else if (this.admitting === 0) this.quietTimer = setTimeout(check, this.quietMs - (performance.now() - this.lastLeftAt) + 0.5);
    };
    this.quietTimer = setTimeout(check, Math.max(0, this.quietMs - (performance.now() - this.lastLeftAt)) + 0.5);
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/** The process's one gate: every service in this process shares it (that is the point). */
export const admissionPriority = new AdmissionPriority();
