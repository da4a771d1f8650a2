export * from './telemetry';
export * from './spans';
export * from './http';
