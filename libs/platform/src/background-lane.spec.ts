import { BackgroundLane } from './background-lane';

describe('BackgroundLane (background units one at a time, the event loop turning between them)', () => {
  it('runs units one after another, never two at once, in the order they came', async () => {
    const lane = new BackgroundLane();
    const log: string[] = [];
    let running = 0;
    const unit = (name: string) => async () => {
      running += 1;
      log.push(`${name} start (${running} running)`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`${name} end`);
      running -= 1;
      return name;
    };
    const results = await Promise.all([lane.run(unit('a')), lane.run(unit('b')), lane.run(unit('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a start (1 running)', 'a end', 'b start (1 running)', 'b end', 'c start (1 running)', 'c end']);
  });

  it('lets work queued by the first unit (an immediate, like a socket read) run before the second starts once its slice is spent', async () => {
    const lane = new BackgroundLane(0);
    const log: string[] = [];
    const first = lane.run(async () => {
      setImmediate(() => log.push('immediate'));
      log.push('first');
    });
    const second = lane.run(async () => void log.push('second'));
    await Promise.all([first, second]);
    expect(log).toEqual(['first', 'immediate', 'second']);
  });

  it('runs short units back to back within one slice, and lets the loop turn after a long one', async () => {
    const lane = new BackgroundLane(50);
    const log: string[] = [];
    const quick = (name: string) => async () => {
      setImmediate(() => log.push(`immediate after ${name}`));
      log.push(name);
    };
    const slow = async () => {
      const until = performance.now() + 60;
      while (performance.now() < until);
      setImmediate(() => log.push('immediate after slow'));
      log.push('slow');
    };
    await Promise.all([lane.run(quick('a')), lane.run(quick('b')), lane.run(slow), lane.run(quick('c'))]);
    expect(log.slice(0, 4)).toEqual(['a', 'b', 'slow', 'immediate after a']);
    expect(log.indexOf('immediate after slow')).toBeLessThan(log.indexOf('c'));
  });

  it('goes on after a unit fails, and hands the failure to that unit’s caller only', async () => {
    const lane = new BackgroundLane();
    const failed = lane.run(async () => {
      throw new Error('boom');
    });
    const next = lane.run(async () => 'next ran');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next ran');
  });
});
