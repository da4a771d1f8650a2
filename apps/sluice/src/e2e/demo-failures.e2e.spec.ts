import { loadEmbeddedConfig } from '../config';
import { callAt, openAccountAt, realtimeRequest } from './realtime.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(120_000);

const ADMIN_KEY = 'sk_admin_e2e_demo_failures_0123456789';

describe('SLUICE_DEMO_FAILURES: transient failures injected into the demo market from the start', () => {
  it('reads provider:rate pairs and refuses anything else, naming it', () => {
    expect(loadEmbeddedConfig({ SLUICE_DEMO_FAILURES: 'swift:0.3, tidal:0.1' }).SLUICE_DEMO_FAILURES).toEqual({ swift: 0.3, tidal: 0.1 });
    expect(loadEmbeddedConfig({}).SLUICE_DEMO_FAILURES).toEqual({});
    expect(() => loadEmbeddedConfig({ SLUICE_DEMO_FAILURES: 'swift:1.5' })).toThrow(/"swift:1\.5" is not provider:rate/);
  });

  it('refuses to start naming a provider the demo market does not run', async () => {
    await expect(startEmbeddedForTest({ name: 'demo-failures-bad', adminKey: ADMIN_KEY, env: { SLUICE_DEMO_FAILURES: 'nobody:0.5' } })).rejects.toThrow(/SLUICE_DEMO_FAILURES names nobody/);
  });

  describe('with swift failing every call', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await startEmbeddedForTest({ name: 'demo-failures', adminKey: ADMIN_KEY, env: { SLUICE_DEMO_FAILURES: 'swift:1' } });
    });
    afterAll(() => engine?.stop());

    it('fails over from it, and its failures show in the market', async () => {
      const { key } = await openAccountAt(engine.sluice.url, ADMIN_KEY, 'failures', 1);
      const reply = await callAt(engine.sluice.url, 'POST', '/v1/inference', key, { ...realtimeRequest, performance_profile: 'fast' });
      expect(reply.status).toBe(200);
      const swift = engine.sluice.market!.stats().swift;
      expect(swift.rateLimited + swift.serverErrors).toBeGreaterThanOrEqual(1);
      expect(swift.succeeded).toBe(0);
    });
  });
});
