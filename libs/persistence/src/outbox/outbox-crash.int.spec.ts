import { createTestDatabase } from '@sluice/testing';
import { describeCrashScenarios } from '../testing/crash/crash-scenarios';

jest.setTimeout(120_000);

describeCrashScenarios('PostgreSQL', async () => ({ kind: 'postgres', url: await createTestDatabase('crash') }));
