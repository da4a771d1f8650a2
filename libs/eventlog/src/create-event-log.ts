import type { EventLog } from './event-log.port';
import { EmbeddedEventLog } from './embedded/embedded-event-log';
import { KafkaEventLog } from './kafka/kafka-event-log';

/** How a process reaches its log; plain data so a child process can be handed the same log. */
export type EventLogConfig =
  | { kind: 'embedded'; dir: string }
  | { kind: 'kafka'; brokers: string[]; clientId: string };

export async function createEventLog(config: EventLogConfig): Promise<EventLog> {
  switch (config.kind) {
    case 'embedded':
      return EmbeddedEventLog.open({ dir: config.dir });
    case 'kafka':
      return KafkaEventLog.connect({ brokers: config.brokers, clientId: config.clientId });
    default: {
      const never: never = config;
      throw new Error(`unknown event log kind ${JSON.stringify(never)}`);
    }
  }
}
