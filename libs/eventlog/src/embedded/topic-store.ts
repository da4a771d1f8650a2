import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TopicConfig } from '../event-log.port';
import { fsyncDir, writeFileDurably } from './durable-fs';
import { PartitionFile } from './partition-file';

export interface Topic {
  config: TopicConfig;
  partitions: PartitionFile[];
}

/** Kafka's rule for topic names; it also keeps them safe as directory names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Topics on disk: `topics/<name>/topic.json` (the config) beside `<partition>.log` files.
 * `topic.json` is written last, so a crash while creating a topic leaves a folder that is
 * ignored on open and completed by the next `ensure`.
 */
export class TopicStore {
  private readonly topics = new Map<string, Topic>();

  private constructor(private readonly root: string) {}

  static open(dir: string): TopicStore {
    const store = new TopicStore(join(dir, 'topics'));
    mkdirSync(store.root, { recursive: true });
    try {
      for (const name of readdirSync(store.root)) {
        const configPath = join(store.root, name, 'topic.json');
        if (!existsSync(configPath)) continue;
        const config = JSON.parse(readFileSync(configPath, 'utf8')) as TopicConfig;
        store.topics.set(config.name, { config, partitions: store.openPartitions(config) });
      }
    } catch (err) {
      store.closeFiles();
      throw err;
    }
    return store;
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  all(): Topic[] {
    return [...this.topics.values()];
  }

  /** Creates the missing topics; an existing topic keeps its partition count, like Kafka. */
  ensure(configs: readonly TopicConfig[]): void {
    for (const config of configs) {
      if (this.topics.has(config.name)) continue;
      if (!TOPIC_NAME.test(config.name) || config.name === '.' || config.name === '..') {
        throw new Error(`invalid topic name ${JSON.stringify(config.name)}`);
      }
      if (!Number.isInteger(config.partitions) || config.partitions < 1) {
        throw new Error(`topic ${config.name} needs a positive whole number of partitions, got ${config.partitions}`);
      }
      const folder = join(this.root, config.name);
      mkdirSync(folder, { recursive: true });
      fsyncDir(this.root);
      const saved: TopicConfig = { name: config.name, partitions: config.partitions, retentionMs: config.retentionMs };
      const partitions = this.openPartitions(saved);
      fsyncDir(folder);
      writeFileDurably(join(folder, 'topic.json'), JSON.stringify(saved));
      this.topics.set(saved.name, { config: saved, partitions });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all().flatMap((topic) => topic.partitions.map((partition) => partition.close())));
  }

  private openPartitions(config: TopicConfig): PartitionFile[] {
    const partitions: PartitionFile[] = [];
    try {
      for (let p = 0; p < config.partitions; p++) {
        partitions.push(PartitionFile.open(join(this.root, config.name, `${p}.log`), config.name, p));
      }
    } catch (err) {
      for (const partition of partitions) void partition.close();
      throw err;
    }
    return partitions;
  }

  private closeFiles(): void {
    for (const topic of this.topics.values()) for (const partition of topic.partitions) void partition.close();
  }
}
