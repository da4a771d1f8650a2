import type { TopicPartition } from '../event-log.port';
import type { ConsumerSettings, PartitionWorker } from './partition-worker';

export interface GroupMember {
  readonly id: number;
  readonly topics: readonly string[];
  readonly settings: ConsumerSettings;
  /** Set by the group after each rebalance. */
  assigned: TopicPartition[];
}

export interface ConsumerGroupDeps {
  partitionCount: (topic: string) => number;
  createWorker: (tp: TopicPartition) => PartitionWorker;
}

interface Slot {
  tp: TopicPartition;
  worker: PartitionWorker;
  owner: GroupMember;
}

/**
 * The in-process members of one consumer group and who reads which partition. Joins and
 * leaves are serialised; each rebalance first stops the workers of partitions that change
 * owner (waiting for their batch in flight) and only then starts them for the new owner, so
 * a partition is never handled by two members at once.
 */
export class ConsumerGroup {
  private readonly members: GroupMember[] = [];
  private readonly slots = new Map<string, Slot>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ConsumerGroupDeps) {}

  join(member: GroupMember): Promise<void> {
    return this.serialise(() => {
      this.members.push(member);
      return this.rebalance();
    });
  }

  leave(member: GroupMember): Promise<void> {
    return this.serialise(() => {
      const index = this.members.indexOf(member);
      if (index < 0) return Promise.resolve();
      this.members.splice(index, 1);
      return this.rebalance();
    });
  }

  private async rebalance(): Promise<void> {
    const target = assignPartitions(this.members, this.deps.partitionCount);
    const moving = [...this.slots].filter(([key, slot]) => target.get(key)?.member !== slot.owner);
    await Promise.all(moving.map(([, slot]) => slot.worker.stop()));
    for (const [key] of moving) this.slots.delete(key);
    for (const [key, { tp, member }] of target) {
      if (this.slots.has(key)) continue;
      const worker = this.deps.createWorker(tp);
      this.slots.set(key, { tp, worker, owner: member });
      worker.start(member.settings);
    }
    for (const member of this.members) {
      member.assigned = [...target.values()].filter((t) => t.member === member).map((t) => ({ ...t.tp }));
    }
  }

  private serialise(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/**
 * Spreads every partition of the subscribed topics over the members subscribed to its topic:
 * each goes to the eligible member holding the fewest so far (earlier joiner on ties), which
 * balances across topics the way Kafka's round-robin assignor does.
 */
export function assignPartitions(
  members: readonly GroupMember[],
  partitionCount: (topic: string) => number,
): Map<string, { tp: TopicPartition; member: GroupMember }> {
  const topics = [...new Set(members.flatMap((member) => member.topics))].sort();
  const load = new Map<GroupMember, number>(members.map((member) => [member, 0]));
  const target = new Map<string, { tp: TopicPartition; member: GroupMember }>();
  for (const topic of topics) {
    const eligible = members.filter((member) => member.topics.includes(topic));
    for (let partition = 0; partition < partitionCount(topic); partition++) {
      const member = eligible.reduce((best, m) => ((load.get(m) ?? 0) < (load.get(best) ?? 0) ? m : best));
      load.set(member, (load.get(member) ?? 0) + 1);
      target.set(tpKey({ topic, partition }), { tp: { topic, partition }, member });
    }
  }
  return target;
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}
