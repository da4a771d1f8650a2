import type { EventLog } from './event-log.port';

/** How a process reaches its log; plain data so a child process can be handed the same log. */
export type EventLogConfig =
  | { kind: 'embedded'; dir: string }
  | { kind: 'kafka'; brokers: string[]; clientId: string };

/** Opens the log; each adapter is loaded only when asked for (embedded mode never loads kafkajs). */
export async function createEventLog(config: EventLogConfig): Promise<EventLog> {
  switch (config.kind) {
    case 'embedded': {
      const { EmbeddedEventLog } = await import('./embedded/embedded-event-log');
      return EmbeddedEventLog.open({ dir: config.dir });
    }
    case 'kafka': {
      const { KafkaEventLog } = await import('./kafka/kafka-event-log');
      return KafkaEventLog.connect({ brokers: config.brokers, clientId: config.clientId });
    }
    default: {
      const never: never = config;
      throw new Error(`unknown event log kind ${JSON.stringify(never)}`);
    }
  }
}
