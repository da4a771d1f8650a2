import { FinishedObjectsNotifier } from './finished-objects.notifier';
import type { ObjectRow } from './object.projection';

const row = (objectId: string, status: ObjectRow['status']) => ({ objectId, status }) as ObjectRow;

describe('FinishedObjectsNotifier.follow', () => {
  it('hands the waiter the row the projection committed, including one committed before it asked', async () => {
    const notifier = new FinishedObjectsNotifier();
    const follow = notifier.follow('obj-1');
    notifier.notify(['obj-1'], new Map([['obj-1', row('obj-1', 'completed')]]));
    await expect(follow.next(60_000)).resolves.toEqual({ row: row('obj-1', 'completed') });
    const later = follow.next(60_000);
    notifier.notify(['obj-2', 'obj-1'], new Map([['obj-1', row('obj-1', 'failed')]]));
    await expect(later).resolves.toEqual({ row: row('obj-1', 'failed') });
    follow.close();
  });

  it('wakes without a row when the projection named the object but did not change it, and times out on others', async () => {
    const notifier = new FinishedObjectsNotifier();
    const follow = notifier.follow('obj-1');
    notifier.notify(['obj-2'], new Map([['obj-2', row('obj-2', 'completed')]]));
    await expect(follow.next(5)).resolves.toBeNull();
    notifier.notify(['obj-1']);
    await expect(follow.next(60_000)).resolves.toEqual({ row: undefined });
    follow.close();
    notifier.notify(['obj-1'], new Map([['obj-1', row('obj-1', 'completed')]]));
    await expect(follow.next(5)).resolves.toBeNull();
  });
});

describe('FinishedObjectsNotifier.watch', () => {
  it('reports the watched ids that may have finished, with the latest row committed for each', async () => {
    const notifier = new FinishedObjectsNotifier();
    const watch = notifier.watch(new Set(['obj-1', 'obj-2', 'obj-3']));
    notifier.notify(['obj-1', 'obj-9'], new Map([['obj-1', row('obj-1', 'completed')]]));
    // Named again by a commit that did not change it (a charge elsewhere): the row stays.
    notifier.notify(['obj-1', 'obj-2']);
    await expect(watch.next(60_000)).resolves.toEqual(
      new Map([
        ['obj-1', row('obj-1', 'completed')],
        ['obj-2', undefined],
      ]),
    );
    await expect(watch.next(5)).resolves.toBeNull();
    watch.close();
  });
});
