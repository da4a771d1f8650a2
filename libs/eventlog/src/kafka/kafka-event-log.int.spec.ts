import { testKafkaBrokers } from '@sluice/testing';
import { describeEventLogContract } from '../contract/event-log.contract';
import { KafkaEventLog } from './kafka-event-log';

describeEventLogContract('kafka', {
  create: () => KafkaEventLog.connect({ brokers: testKafkaBrokers(), clientId: 'eventlog-contract' }),
  config: () => ({ kind: 'kafka', brokers: testKafkaBrokers(), clientId: 'eventlog-contract-child' }),
});
