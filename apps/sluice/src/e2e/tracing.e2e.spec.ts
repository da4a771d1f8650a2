import { startEmbeddedForTest, type TestEngine } from './test-engine';
import { TRACING_ENV, tracingScenarios } from './tracing.scenario';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_tracing_0123456789';

describe('tracing on the embedded engine', () => {
  let engine: TestEngine;
  tracingScenarios(
    async () => {
      engine = await startEmbeddedForTest({ name: 'tracing', adminKey: ADMIN_KEY, env: TRACING_ENV });
      return { sluice: engine.sluice, adminKey: ADMIN_KEY };
    },
    async () => engine?.stop(),
  );
});
