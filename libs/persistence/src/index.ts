export * from './services';
export * from './migrate/migrations-folder';
export * from './migrate/migrate';
export { schemaEngineVersion } from './migrate/schema-engine';
export * from './database/open-service-database';
export * from './raw-sql-client';
export * from './consumer/idempotent-consumer';
export * from './outbox/outbox';
export * from './outbox/outbox-relay';
