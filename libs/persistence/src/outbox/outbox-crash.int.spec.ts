import { createTestDatabase } from '../testing/test-database';
import { describeCrashScenarios } from '../testing/crash/crash-scenarios';

jest.setTimeout(120_000);

describeCrashScenarios('PostgreSQL', async () => ({ kind: 'postgres', url: await createTestDatabase('crash') }));
