export * from './telemetry';
export * from './spans';
export * from './http';
export * from './log';
export * from './metrics';
export * from './http-metrics';
