import { constants, fsyncSync, ftruncateSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { TopicPartition } from '../event-log.port';
import { closeQuietly, writeAllAndSync, writeFileDurably } from './durable-fs';
import { encodeFrame, scanFrames } from './frame';


interface OffsetEntry {
  g: string;
  t: string;
  p: number;
  o: number;
}

/** A group's committed offset moved back to its partition's end (see `rewindBeyond`). */
export interface OffsetRewind {
  groupId: string;
  topic: string;
  partition: number;
  committed: number;
  end: number;
}

interface PendingCommit {
  entries: OffsetEntry[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Rewrite the file once it holds this many entries and mostly superseded ones. */
const COMPACT_MIN_ENTRIES = 10_000;
const COMPACT_RATIO = 4;

/**
 * Committed offsets of every consumer group, in one append-only file of framed JSON entries
 * (last entry per group/topic/partition wins). Commits are group-committed like partition
 * appends: one write + fdatasync for all commits that arrived meanwhile, so hundreds of
 * commits per second cost a few fsyncs. The file is compacted (write-tmp, fsync, rename)
 * on open and when superseded entries pile up.
 */
export class OffsetsStore {
  private readonly committed = new Map<string, OffsetEntry>();
  private entriesInFile = 0;
  private fileBytes = 0;
  private queue: PendingCommit[] = [];
  private flushing: Promise<void> | null = null;
  private failure: unknown = null;

  private constructor(
    private readonly path: string,
    private fd: number | null,
  ) {}

  static open(dir: string): OffsetsStore {
    const path = join(dir, 'offsets.log');
    const store = new OffsetsStore(path, openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644));
    store.recover();
    if (store.entriesInFile > store.committed.size) store.compact();
    return store;
  }

  get healthy(): boolean {
    return this.failure === null && this.fd !== null;
  }

  get(groupId: string, tp: TopicPartition): number | null {
    return this.committed.get(keyOf(groupId, tp.topic, tp.partition))?.o ?? null;
  }

  /** Resolves once the offset is durable; `get` returns it from then on. */
  commit(groupId: string, tp: TopicPartition, offset: number): Promise<void> {
    if (this.fd === null) return Promise.reject(new Error('offsets store is closed'));
    if (this.failure !== null) return Promise.reject(this.failure);
    const entries = [{ g: groupId, t: tp.topic, p: tp.partition, o: offset }];
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entries, resolve, reject });
      if (this.flushing === null) this.flushing = Promise.resolve().then(() => this.flushQueue());
    });
  }

  /**
   * Moves every committed offset that lies beyond its partition's end back to that end, durably,
   * and says which it moved. Such an offset means the partition lost its tail while the log was
   * stopped: left as is, the records written next (at the lost offsets) would be skipped.
   * `endOf` is undefined for a partition that does not exist (its offsets are left alone).
   */
  rewindBeyond(endOf: (topic: string, partition: number) => number | undefined): OffsetRewind[] {
    const rewound: OffsetRewind[] = [];
    for (const [key, entry] of this.committed) {
      const end = endOf(entry.t, entry.p);
      if (end === undefined || entry.o <= end) continue;
      rewound.push({ groupId: entry.g, topic: entry.t, partition: entry.p, committed: entry.o, end });
      this.committed.set(key, { ...entry, o: end });
    }
    if (rewound.length > 0) this.compact();
    return rewound;
  }

  async close(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    closeQuietly(this.fd);
    this.fd = null;
  }

  private recover(): void {
    const fd = this.fd as number;
    const scan = scanFrames(fd, (body) => {
      const entry = parseEntry(body);
      if (entry === null) return false;
      this.committed.set(keyOf(entry.g, entry.t, entry.p), entry);
      this.entriesInFile++;
      return true;
    });
    if (scan.validBytes !== scan.fileBytes) {
      ftruncateSync(fd, scan.validBytes);
      fsyncSync(fd);
    }
    this.fileBytes = scan.validBytes;
  }

  private async flushQueue(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.fd !== null) {
        const batch = this.queue;
        this.queue = [];
        await this.writeDurably(batch);
        if (this.entriesInFile > COMPACT_MIN_ENTRIES && this.entriesInFile > COMPACT_RATIO * this.committed.size) {
          this.compact();
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private async writeDurably(batch: PendingCommit[]): Promise<void> {
    const fd = this.fd as number;
    const entries = batch.flatMap((commit) => commit.entries);
    const bytes = Buffer.concat(entries.map((entry) => encodeFrame(Buffer.from(JSON.stringify(entry), 'utf8'))));
    try {
      await writeAllAndSync(fd, bytes, this.fileBytes);
    } catch (err) {
      this.failure = err;
      for (const commit of [...batch, ...this.queue]) commit.reject(err);
      this.queue = [];
      return;
    }
    this.fileBytes += bytes.length;
    this.entriesInFile += entries.length;
    for (const entry of entries) this.committed.set(keyOf(entry.g, entry.t, entry.p), entry);
    for (const commit of batch) commit.resolve();
  }

  /** Replaces the file with one entry per key; the rename makes the swap atomic. */
  private compact(): void {
    const frames = [...this.committed.values()].map((entry) => encodeFrame(Buffer.from(JSON.stringify(entry), 'utf8')));
    const bytes = Buffer.concat(frames);
    writeFileDurably(this.path, bytes);
    closeQuietly(this.fd);
    this.fd = openSync(this.path, constants.O_RDWR);
    this.fileBytes = bytes.length;
    this.entriesInFile = frames.length;
  }
}

function keyOf(groupId: string, topic: string, partition: number): string {
  return JSON.stringify([groupId, topic, partition]);
}

function parseEntry(body: Buffer): OffsetEntry | null {
  try {
    const entry = JSON.parse(body.toString('utf8')) as OffsetEntry;
    const valid = typeof entry.g === 'string' && typeof entry.t === 'string' && Number.isInteger(entry.p) && Number.isInteger(entry.o);
    return valid ? entry : null;
  } catch {
    return null;
  }
}
