import { z } from 'zod';
import { timeOrderedId } from './ids';

describe('timeOrderedId', () => {
  it('makes unique UUIDs that sort in the order they were made (the index of processed events grows at one end)', async () => {
    const ids: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2_000; i++) ids.push(timeOrderedId());
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids.slice(0, 100)) expect(z.uuid().parse(id)).toBe(id);
    // The first 48 bits are the time it was made.
    expect(Math.abs(parseInt(ids[0].replace(/-/g, '').slice(0, 12), 16) - Date.now())).toBeLessThan(60_000);
  });
});
