import { ConfigError, DistributedServiceEnv, HttpEnv, parseConfig } from './config';

describe('service configuration', () => {
  const good = { KAFKA_BROKERS: 'k1:9092, k2:9092', DATABASE_URL: 'postgresql://u:p@db:5432/billing' };

  it('parses brokers and applies defaults', () => {
    expect(parseConfig('billing', DistributedServiceEnv, good)).toEqual({
      KAFKA_BROKERS: ['k1:9092', 'k2:9092'],
      DATABASE_URL: good.DATABASE_URL,
      HEARTBEAT_INTERVAL_MS: 2000,
      MIGRATE_ON_START: false,
      SLUICE_TIME_SCALE: 1,
      LOG_LEVEL: 'info',
    });
  });

  it('names every missing or bad variable in one message', () => {
    const attempt = () => parseConfig('router', DistributedServiceEnv, { KAFKA_BROKERS: 'no-port', HEARTBEAT_INTERVAL_MS: '5' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^router: invalid configuration/);
    expect(attempt).toThrow(/KAFKA_BROKERS.*: bad value \(host:port\)/);
    expect(attempt).toThrow(/DATABASE_URL: missing/);
    expect(attempt).toThrow(/HEARTBEAT_INTERVAL_MS: bad value/);
  });

  it('refuses a database URL that is not PostgreSQL', () => {
    expect(() => parseConfig('api', DistributedServiceEnv, { ...good, DATABASE_URL: 'mysql://x/y' })).toThrow(/DATABASE_URL: bad value/);
  });

  it('reads the HTTP port as a number', () => {
    expect(parseConfig('api', HttpEnv, { PORT: '0' })).toEqual({ PORT: 0, HOST: '127.0.0.1' });
    expect(() => parseConfig('api', HttpEnv, { SLUICE_ADMIN_KEY: 'short' })).toThrow(/SLUICE_ADMIN_KEY: bad value/);
    expect(() => parseConfig('api', HttpEnv, { PORT: 'eighty' })).toThrow(/PORT: bad value/);
  });
});
