export * from './event-log.port';
export * from './partitioner';
export * from './delivery';
export * from './create-event-log';
export * from './typed/event-bus';
export * from './typed/batch-coalescer';
export * from './thread/port-event-log';
export * from './thread/serve-event-log';
