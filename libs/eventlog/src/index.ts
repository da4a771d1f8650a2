export * from './event-log.port';
export * from './partitioner';
export * from './delivery';
export * from './create-event-log';
export * from './typed/event-bus';
