import type { MessagePort } from 'node:worker_threads';
import type { EventLog, Subscription } from '../event-log.port';
import type { BatchRequest, LogReplyValue, LogRequest } from './log-port.protocol';
import { receivedRecord } from './log-port.protocol';
import { PortEndpoint } from './port-endpoint';

export interface ServeOptions {
  /** Awaited before each batch is handed over (e.g. to let this thread's submissions go first). */
  beforeBatch?: () => Promise<void>;
}

export interface ServedEventLog {
  /** Stops the subscriptions made through the port (their batches in flight end first) and closes it. */
  close(): Promise<void>;
}

/**
 * Serves `log` to a PortEventLog at the other end of `port` (a worker thread's services): its
 * publishes, subscriptions and reads run here on the real log, and each batch of its
 * subscriptions is handed over and settled by the answer, so offsets, retries and dead
 * letters follow the log's own rules. When the port closes (the thread ended), its
 * subscriptions stop; a batch that was not answered is not committed and comes again.
 */
export function serveEventLog(log: EventLog, port: MessagePort, options: ServeOptions = {}): ServedEventLog {
  const subscriptions = new Map<number, Promise<Subscription>>();
  // Members join and leave through subscribe and stop; the group rebalances meanwhile.
  const reportAssignments = () =>
    Promise.all(
      [...subscriptions].map(async ([id, made]) => {
        const subscription = await made.catch(() => null);
        if (subscription) await endpoint.request({ op: 'assigned', subscription: id, assignments: subscription.assignments() });
      }),
    ).then(() => undefined);
  const stopAll = () => Promise.all([...subscriptions.keys()].map(unsubscribe)).then(() => undefined);
  const unsubscribe = async (id: number) => {
    const subscription = subscriptions.get(id);
    subscriptions.delete(id);
    await (await subscription?.catch(() => null))?.stop();
  };

  const serve = async (request: LogRequest | BatchRequest): Promise<LogReplyValue> => {
    switch (request.op) {
      case 'ensureTopics':
        return log.ensureTopics(request.topics);
      case 'publish':
        return log.publish(request.topic, request.records.map(receivedRecord));
      case 'subscribe': {
        const made = log.subscribe({
          ...request.options,
          handleBatch: async (batch) => {
            await options.beforeBatch?.();
            await endpoint.request({ op: 'batch', subscription: request.subscription, batch });
          },
        });
        subscriptions.set(request.subscription, made);
        await made;
        return reportAssignments();
      }
      case 'unsubscribe':
        await unsubscribe(request.subscription);
        return reportAssignments();
      case 'committedOffset':
        return log.committedOffset(request.groupId, request.tp);
      case 'endOffset':
        return log.endOffset(request.tp);
      case 'health':
        return log.health();
      case 'batch':
      case 'assigned':
        throw new Error('the log side handles no batches');
      default: {
        const never: never = request;
        throw new Error(`unknown log request ${JSON.stringify(never)}`);
      }
    }
  };
  const endpoint = new PortEndpoint(port, serve);
  let closing: Promise<void> | undefined;
  port.once('close', () => void stopAll());
  return {
    close: () => (closing ??= stopAll().then(() => endpoint.close())),
  };
}
