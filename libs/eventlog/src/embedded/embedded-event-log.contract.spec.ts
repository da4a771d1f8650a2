import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEventLogContract } from '../contract/event-log.contract';
import { EmbeddedEventLog } from './embedded-event-log';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-eventlog-contract-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEventLogContract('embedded', {
  create: () => EmbeddedEventLog.open({ dir }),
  config: () => ({ kind: 'embedded', dir }),
});
