import { openAiChatScenarios } from './openai-chat.scenario';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(180_000);

const ADMIN_KEY = 'sk_admin_e2e_openai_chat_0123456789';

describe('the openai SDK against embedded Sluice: models and chat completions', () => {
  let engine: TestEngine;
  openAiChatScenarios(
    async () => {
      // Providers at a twentieth of their catalogue latency: streams last long enough to hang up mid-way.
      engine = await startEmbeddedForTest({ name: 'openai-chat', adminKey: ADMIN_KEY, env: { SLUICE_TIME_SCALE: '1', SLUICE_DEMO_LATENCY_SCALE: '0.05' } });
      return { sluice: engine.sluice, adminKey: ADMIN_KEY };
    },
    () => engine.stop(),
  );
});
