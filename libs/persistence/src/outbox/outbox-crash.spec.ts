import { join } from 'node:path';
import { describeCrashScenarios } from '../testing/crash/crash-scenarios';
import { requireVmModulesForPglite } from '../testing/pglite-under-jest';

requireVmModulesForPglite();
jest.setTimeout(120_000);

describeCrashScenarios('PGlite', async (scratchDir) => ({ kind: 'pglite', dir: join(scratchDir, 'db') }));
