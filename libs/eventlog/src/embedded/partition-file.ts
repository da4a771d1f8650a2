import { EventEmitter } from 'node:events';
import { constants, fsyncSync, ftruncateSync, openSync } from 'node:fs';
import type { LogRecord, OutgoingRecord } from '../event-log.port';
import { closeQuietly, readFully, writeAllAndSync } from './durable-fs';
import { encodeFrame, framesIn, scanFrames } from './frame';
import { decodeRecordBody, encodeRecordBody, offsetOfRecordBody } from './record-codec';


/** Upper bound of one read, so a replay of big records does not load a whole file. */
const DEFAULT_MAX_READ_BYTES = 4 * 1024 * 1024;

interface PendingAppend {
  frames: Buffer[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * One partition: one append-only file of record frames plus an in-memory index from offset to
 * byte position. Appends are group-committed: whatever was appended while the previous write
 * was being fsynced goes out in the next single write + fdatasync. Records become readable
 * (and `endOffset` moves) only once they are durable, like Kafka's high watermark.
 */
export class PartitionFile {
  /** Byte position of each durable record, indexed by offset. */
  private readonly positions: number[] = [];
  private durableBytes = 0;
  /** Offset the next append gets; runs ahead of `endOffset` while a flush is pending. */
  private nextOffset = 0;
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private failure: unknown = null;
  private readonly appended = new EventEmitter().setMaxListeners(0);

  private constructor(
    readonly topic: string,
    readonly partition: number,
    private fd: number | null,
  ) {}

  /** Opens (or creates) the file, rebuilds the index and cuts a torn tail left by a crash. */
  static open(path: string, topic: string, partition: number): PartitionFile {
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    const file = new PartitionFile(topic, partition, fd);
    try {
      file.recover(fd);
    } catch (err) {
      closeQuietly(fd);
      throw err;
    }
    return file;
  }

  get endOffset(): number {
    return this.positions.length;
  }

  get isOpen(): boolean {
    return this.fd !== null;
  }

  get healthy(): boolean {
    return this.failure === null && this.fd !== null;
  }

  /** Resolves once the records are fsynced; they keep the order given, after earlier appends. */
  append(records: readonly OutgoingRecord[], timestamp: number): Promise<void> {
    if (this.fd === null) return Promise.reject(new Error(`partition ${this.topic}/${this.partition} is closed`));
    if (this.failure !== null) return Promise.reject(this.failure);
    const frames = records.map((record) => encodeFrame(encodeRecordBody(record, this.nextOffset++, timestamp)));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frames, resolve, reject });
      // A microtask, not an immediate write, so publishes issued in the same tick share a flush.
      if (this.flushing === null) this.flushing = Promise.resolve().then(() => this.flushQueue());
    });
  }

  /** Durable records from `from`, at most `maxRecords` of them (at least one if any exist). */
  read(from: number, maxRecords: number, maxBytes = DEFAULT_MAX_READ_BYTES): LogRecord[] {
    const fd = this.fd;
    const end = this.positions.length;
    if (fd === null || from >= end || maxRecords <= 0) return [];
    const start = this.positions[from];
    let to = Math.min(end, from + maxRecords);
    const stopOf = (offset: number) => (offset < end ? this.positions[offset] : this.durableBytes);
    while (to > from + 1 && stopOf(to) - start > maxBytes) to = from + Math.max(1, Math.floor((to - from) / 2));
    const buffer = Buffer.allocUnsafe(stopOf(to) - start);
    // Synchronous on purpose: the bytes are fresh in the page cache, and async reads would
    // queue behind fdatasync calls in libuv's small thread pool, adding latency.
    readFully(fd, buffer, buffer.length, start);
    const records: LogRecord[] = [];
    for (const body of framesIn(buffer)) records.push(decodeRecordBody(body, this.topic, this.partition));
    return records;
  }

  /** Calls `listener` after each flush that made new records readable. */
  onAppend(listener: () => void): () => void {
    this.appended.on('append', listener);
    return () => this.appended.off('append', listener);
  }

  /** Waits for pending appends to be flushed, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    closeQuietly(this.fd);
    this.fd = null;
    this.appended.emit('append');
  }

  private recover(fd: number): void {
    // A frame whose stored offset is not the next one was not written by this log as the
    // next record (e.g. a stale block after a torn write): treat it like a torn tail.
    const scan = scanFrames(fd, (body, position) => {
      if (offsetOfRecordBody(body) !== this.positions.length) return false;
      this.positions.push(position);
      return true;
    });
    if (scan.validBytes !== scan.fileBytes) {
      ftruncateSync(fd, scan.validBytes);
      fsyncSync(fd);
    }
    this.durableBytes = scan.validBytes;
    this.nextOffset = this.positions.length;
  }

  private async flushQueue(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.fd !== null) {
        const batch = this.queue;
        this.queue = [];
        await this.writeDurably(batch);
      }
    } finally {
      this.flushing = null;
    }
  }

  private async writeDurably(batch: PendingAppend[]): Promise<void> {
    const fd = this.fd as number;
    const frames = batch.flatMap((append) => append.frames);
    const bytes = Buffer.concat(frames);
    try {
      await writeAllAndSync(fd, bytes, this.durableBytes);
    } catch (err) {
      // What reached the disk is unknown now; refuse further appends rather than guess.
      // Reopening the log cuts whatever partial frame the failed write left.
      this.failure = err;
      for (const append of [...batch, ...this.queue]) append.reject(err);
      this.queue = [];
      return;
    }
    let at = this.durableBytes;
    for (const frame of frames) {
      this.positions.push(at);
      at += frame.length;
    }
    this.durableBytes = at;
    for (const append of batch) append.resolve();
    this.appended.emit('append');
  }
}
