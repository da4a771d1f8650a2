export * from './config';
export * from './service';
export * from './runtime.module';
export * from './heartbeat';
export * from './nest-service';
export * from './standalone';
export * from './persistence/persistence.module';
export * from './persistence/event-store';
