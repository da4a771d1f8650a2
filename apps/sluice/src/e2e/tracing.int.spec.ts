import { startDistributedForTest, type TestEngine } from './test-engine';
import { TRACING_ENV, tracingScenarios } from './tracing.scenario';

jest.setTimeout(240_000);

const ADMIN_KEY = 'sk_admin_e2e_tracing_dist_0123456789';

describe('tracing on real Kafka and PostgreSQL', () => {
  let engine: TestEngine;
  tracingScenarios(
    async () => {
      engine = await startDistributedForTest({ name: 'tracing', adminKey: ADMIN_KEY, env: TRACING_ENV });
      return { sluice: engine.sluice, adminKey: ADMIN_KEY };
    },
    async () => engine?.stop(),
  );
});
