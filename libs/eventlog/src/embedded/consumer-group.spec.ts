import type { TopicPartition } from '../event-log.port';
import { assignPartitions, type GroupMember } from './consumer-group';

const member = (id: number, topics: string[]): GroupMember => ({
  id,
  topics,
  assigned: [],
  settings: { fromBeginning: true, maxBatchSize: 10, deadLetterTopic: 'dlq', handleBatch: async () => undefined },
});

const counts: Record<string, number> = { orders: 4, wallets: 2, files: 1 };
const assignmentOf = (members: GroupMember[]) => {
  const byMember = new Map<number, TopicPartition[]>(members.map((m) => [m.id, []]));
  for (const { tp, member: m } of assignPartitions(members, (topic) => counts[topic]).values()) byMember.get(m.id)?.push(tp);
  return byMember;
};

describe('assignPartitions', () => {
  it('gives every partition to exactly one member and balances the load across topics', () => {
    const members = [member(1, ['orders', 'wallets', 'files']), member(2, ['orders', 'wallets', 'files'])];
    const byMember = assignmentOf(members);
    const all = [...byMember.values()].flat().map((tp) => `${tp.topic}/${tp.partition}`);
    expect(all.sort()).toEqual(['files/0', 'orders/0', 'orders/1', 'orders/2', 'orders/3', 'wallets/0', 'wallets/1']);
    expect(byMember.get(1)).toHaveLength(4);
    expect(byMember.get(2)).toHaveLength(3);
  });

  it('only gives a member partitions of topics it subscribed to', () => {
    const byMember = assignmentOf([member(1, ['orders']), member(2, ['wallets'])]);
    expect(byMember.get(1)?.map((tp) => tp.topic)).toEqual(['orders', 'orders', 'orders', 'orders']);
    expect(byMember.get(2)?.map((tp) => tp.topic)).toEqual(['wallets', 'wallets']);
  });

  it('leaves members idle when there are more members than partitions', () => {
    const byMember = assignmentOf([member(1, ['files']), member(2, ['files'])]);
    expect(byMember.get(1)).toEqual([{ topic: 'files', partition: 0 }]);
    expect(byMember.get(2)).toEqual([]);
  });
});
