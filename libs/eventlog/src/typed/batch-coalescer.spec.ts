import { BatchCoalescer } from './batch-coalescer';

/** A run that records its calls and can be held open until released. */
function recordingRun(fails: (items: string[]) => boolean = () => false) {
  const calls: string[][] = [];
  let release: () => void = () => undefined;
  let held = Promise.resolve();
  const run = async (items: string[]) => {
    calls.push(items);
    await held;
    if (fails(items)) throw new Error(`poison in ${items.join(',')}`);
  };
  const hold = () => {
    held = new Promise<void>((resolve) => (release = resolve));
  };
  return { calls, run, hold, release: () => release() };
}

describe('BatchCoalescer', () => {
  it('runs a batch at once when nothing else is in flight', async () => {
    const { calls, run } = recordingRun();
    await new BatchCoalescer(run).submit(['a1', 'a2']);
    expect(calls).toEqual([['a1', 'a2']]);
  });

  it('waits the given turns of the event loop for company before a call from idle', async () => {
    const alone = recordingRun();
    const eager = new BatchCoalescer(alone.run);
    const together = recordingRun();
    const patient = new BatchCoalescer(together.run, { gatherTurns: 2 });
    const submitBoth = (coalescer: BatchCoalescer<string>) => {
      const first = coalescer.submit(['a1']);
      // Another partition's batch, delivered one callback later.
      const second = new Promise<void>((resolve, reject) => setImmediate(() => coalescer.submit(['b1']).then(resolve, reject)));
      return Promise.all([first, second]);
    };
    await Promise.all([submitBoth(eager), submitBoth(patient)]);
    expect(alone.calls).toEqual([['a1'], ['b1']]);
    expect(together.calls).toEqual([['a1', 'b1']]);
  });

  it('joins the batches that arrive while one runs into the next call, each in its own order', async () => {
    const rec = recordingRun();
    const coalescer = new BatchCoalescer(rec.run);
    rec.hold();
    const first = coalescer.submit(['a1']);
    const second = coalescer.submit(['b1', 'b2']);
    const third = coalescer.submit(['c1']);
    rec.release();
    await Promise.all([first, second, third]);
    expect(rec.calls).toEqual([['a1'], ['b1', 'b2', 'c1']]);
  });

  it('starts a new call when joining would exceed the item cap', async () => {
    const rec = recordingRun();
    const coalescer = new BatchCoalescer(rec.run, { maxItems: 3 });
    rec.hold();
    const pending = [coalescer.submit(['a1']), coalescer.submit(['b1', 'b2']), coalescer.submit(['c1', 'c2']), coalescer.submit(['d1', 'd2', 'd3', 'd4'])];
    rec.release();
    await Promise.all(pending);
    expect(rec.calls).toEqual([['a1'], ['b1', 'b2'], ['c1', 'c2'], ['d1', 'd2', 'd3', 'd4']]);
  });

  it('fails only the batch holding a poison item when a joined call fails', async () => {
    const rec = recordingRun((items) => items.includes('poison'));
    const coalescer = new BatchCoalescer(rec.run);
    rec.hold();
    const first = coalescer.submit(['a1']);
    const healthy = coalescer.submit(['b1']);
    const poisoned = coalescer.submit(['c1', 'poison']);
    const alsoHealthy = coalescer.submit(['d1']);
    rec.release();
    await expect(first).resolves.toBeUndefined();
    await expect(healthy).resolves.toBeUndefined();
    await expect(poisoned).rejects.toThrow('poison in c1,poison');
    await expect(alsoHealthy).resolves.toBeUndefined();
    expect(rec.calls).toEqual([['a1'], ['b1', 'c1', 'poison', 'd1'], ['b1'], ['c1', 'poison'], ['d1']]);
  });

  it('keeps serving after a failure', async () => {
    const rec = recordingRun((items) => items.includes('poison'));
    const coalescer = new BatchCoalescer(rec.run);
    await expect(coalescer.submit(['poison'])).rejects.toThrow('poison');
    await coalescer.submit(['after']);
    expect(rec.calls.at(-1)).toEqual(['after']);
  });
});
