import { AdmissionPriority } from './admission-priority';

/** Whether the promise has settled once pending microtasks ran (fake timers do not advance meanwhile). */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await jest.advanceTimersByTimeAsync(0);
  return done;
}

describe('AdmissionPriority (submissions go before background work)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('lets background work run at once when nothing is being admitted', async () => {
    const gate = new AdmissionPriority(5_000, 5);
    expect(await settled(gate.backgroundTurn())).toBe(true);
  });

  it('holds background work while a submission is admitted, and releases it a quiet moment after the commit', async () => {
    const gate = new AdmissionPriority(5_000, 5);
    const leave = gate.enter();
    const turn = gate.backgroundTurn();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await settled(turn)).toBe(false);

    leave();
    expect(await settled(turn)).toBe(false);
    await jest.advanceTimersByTimeAsync(6);
    expect(await settled(turn)).toBe(true);
  });

  it('keeps holding while a second submission arrives within the quiet moment', async () => {
    const gate = new AdmissionPriority(5_000, 5);
    gate.enter()();
    const turn = gate.backgroundTurn();
    await jest.advanceTimersByTimeAsync(2);
    const leaveSecond = gate.enter();
    await jest.advanceTimersByTimeAsync(100);
    expect(await settled(turn)).toBe(false);
    leaveSecond();
    await jest.advanceTimersByTimeAsync(6);
    expect(await settled(turn)).toBe(true);
  });

  it('never holds one unit of background work longer than maxDeferMs, however long admission lasts', async () => {
    const gate = new AdmissionPriority(200, 5);
    gate.enter();
    const turn = gate.backgroundTurn();
    await jest.advanceTimersByTimeAsync(199);
    expect(await settled(turn)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(turn)).toBe(true);
  });

  it('holds nothing while a request waits for results, and releases what was held when one starts waiting', async () => {
    const gate = new AdmissionPriority(5_000, 5);
    gate.enter();
    const held = gate.backgroundTurn();
    expect(await settled(held)).toBe(false);

    const stopWaiting = gate.awaitResults();
    expect(await settled(held)).toBe(true);
    expect(await settled(gate.backgroundTurn())).toBe(true);

    stopWaiting();
    expect(await settled(gate.backgroundTurn())).toBe(false);
  });

  it('counts a submission once however often its end is reported', async () => {
    const gate = new AdmissionPriority(5_000, 5);
    const leaveFirst = gate.enter();
    const leaveSecond = gate.enter();
    leaveFirst();
    leaveFirst();
    const turn = gate.backgroundTurn();
    await jest.advanceTimersByTimeAsync(100);
    expect(await settled(turn)).toBe(false);
    leaveSecond();
    await jest.advanceTimersByTimeAsync(6);
    expect(await settled(turn)).toBe(true);
  });
});
