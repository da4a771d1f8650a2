import { realtimeScenarios } from './realtime.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_realtime_0123456789';

describe('POST /v1/inference end to end on the embedded engine', () => {
  let engine: TestEngine;
  realtimeScenarios(
    async () => {
      engine = await startEmbeddedForTest({ name: 'realtime', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '1' } });
      return { sluice: engine.sluice, adminKey: ADMIN_KEY };
    },
    () => engine.stop(),
  );
});
