/**
 * The one table of topic names. No other file spells a topic string; services refer to
 * `Topics.objects` and so on, and the catalogue pins every event to one of these.
 */
export const Topics = {
  tasks: 'sluice.tasks.v1',
  objects: 'sluice.objects.v1',
  billing: 'sluice.billing.v1',
  files: 'sluice.files.v1',
  heartbeats: 'sluice.heartbeats.v1',
  deadLetter: 'sluice.dead-letter.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/**
 * The topics integrations may read: docs/asyncapi.yaml describes these. Heartbeats and dead
 * letters are the platform's own.
 */
export const PublicTopics: readonly TopicName[] = [Topics.tasks, Topics.objects, Topics.billing, Topics.files];

export interface TopicSpec {
  name: TopicName;
  partitions: number;
  /** `null` keeps events forever: the log is the source of truth and replays rebuild state. */
  retentionMs: number | null;
}

const HOUR = 3_600_000;

export const TopicSpecs: readonly TopicSpec[] = [
  { name: Topics.tasks, partitions: 6, retentionMs: null },
  { name: Topics.objects, partitions: 12, retentionMs: null },
  { name: Topics.billing, partitions: 6, retentionMs: null },
  { name: Topics.files, partitions: 3, retentionMs: null },
  { name: Topics.heartbeats, partitions: 1, retentionMs: 24 * HOUR },
  { name: Topics.deadLetter, partitions: 1, retentionMs: null },
];
