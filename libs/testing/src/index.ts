export * from './prerequisites';
export * from './free-port';
export * from './kafka/kafka-broker';
export * from './kafka/kafka-distribution';
export * from './postgres/postgres-server';
export * from './postgres/create-database';
export * from './jest/test-servers';
export * from './service-harness';
