import { realtimeScenarios } from './realtime.scenario';
import { startDistributedForTest, type TestEngine } from './test-engine';

jest.setTimeout(240_000);

const ADMIN_KEY = 'sk_admin_e2e_realtime_dist_0123456789';

describe('POST /v1/inference end to end on real Kafka and PostgreSQL', () => {
  let engine: TestEngine;
  realtimeScenarios(
    async () => {
      engine = await startDistributedForTest({ name: 'realtime', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '1' } });
      return { sluice: engine.sluice, adminKey: ADMIN_KEY };
    },
    () => engine.stop(),
  );
});
