import type { MessagePort } from 'node:worker_threads';
import type { EventLog, LogHealth, OutgoingRecord, SubscribeOptions, Subscription, TopicConfig, TopicPartition } from '../event-log.port';
import { receivedRecord, type BatchRequest, type LogReplyValue, type LogRequest } from './log-port.protocol';
import { PortEndpoint } from './port-endpoint';

interface Member {
  handleBatch: SubscribeOptions['handleBatch'];
  assignments: TopicPartition[];
}

/**
 * The EventLog port over a MessagePort, for services on a worker thread: every call runs on
 * the log the other end serves (serveEventLog), so they share its topics, consumer groups and
 * durability with the services of the main thread. `assignments()` is what the log reported
 * after the last subscribe or stop made through this port.
 */
export class PortEventLog implements EventLog {
  private readonly endpoint: PortEndpoint;
  private readonly members = new Map<number, Member>();
  private readonly subscriptions = new Set<Subscription>();
  private nextSubscription = 1;
  private closing: Promise<void> | null = null;

  constructor(
    port: MessagePort,
    readonly kind: EventLog['kind'] = 'embedded',
  ) {
    this.endpoint = new PortEndpoint(port, (request) => this.serve(request));
  }

  ensureTopics(topics: readonly TopicConfig[]): Promise<void> {
    return this.call({ op: 'ensureTopics', topics: [...topics] });
  }

  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    return this.call({ op: 'publish', topic, records: [...records] });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const id = this.nextSubscription++;
    const { handleBatch, ...rest } = options;
    const member: Member = { handleBatch, assignments: [] };
    this.members.set(id, member);
    try {
      await this.call({ op: 'subscribe', subscription: id, options: rest });
    } catch (err) {
      this.members.delete(id);
      throw err;
    }
    let stopped: Promise<void> | null = null;
    const subscription: Subscription = {
      groupId: options.groupId,
      assignments: () => member.assignments.map((tp) => ({ ...tp })),
      stop: () =>
        (stopped ??= this.call({ op: 'unsubscribe', subscription: id }).finally(() => {
          this.members.delete(id);
          this.subscriptions.delete(subscription);
        })),
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  committedOffset(groupId: string, tp: TopicPartition): Promise<number | null> {
    return this.call({ op: 'committedOffset', groupId, tp });
  }

  endOffset(tp: TopicPartition): Promise<number> {
    return this.call({ op: 'endOffset', tp });
  }

  health(): Promise<LogHealth> {
    return this.call({ op: 'health' });
  }

  /** Stops this side's subscriptions and closes the port; the log itself stays open. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((subscription) => subscription.stop().catch(() => undefined)));
      this.endpoint.close();
    })();
    return this.closing;
  }

  private call<T extends LogReplyValue = void>(request: LogRequest): Promise<T> {
    if (this.closing && request.op !== 'unsubscribe') return Promise.reject(new Error('the event log is closed'));
    return this.endpoint.request<T>(request);
  }

  private async serve(request: LogRequest | BatchRequest): Promise<void> {
    if (request.op !== 'batch' && request.op !== 'assigned') throw new Error(`a port log serves its subscriptions only, not ${request.op}`);
    const member = this.members.get(request.subscription);
    if (request.op === 'assigned') {
      if (member) member.assignments = request.assignments;
      return;
    }
    if (!member) throw new Error(`subscription ${request.subscription} has stopped`);
    await member.handleBatch({ ...request.batch, records: request.batch.records.map(receivedRecord) });
  }
}
