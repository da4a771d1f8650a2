export * from './event-log.port';
export * from './partitioner';
export * from './delivery';
export * from './create-event-log';
export * from './typed/event-bus';
export * from './typed/batch-coalescer';
