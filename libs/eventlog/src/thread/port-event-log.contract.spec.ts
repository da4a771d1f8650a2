import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describeEventLogContract } from '../contract/event-log.contract';
import { EmbeddedEventLog } from '../embedded/embedded-event-log';
import type { EventLog } from '../event-log.port';
import { PortEventLog } from './port-event-log';
import { serveEventLog } from './serve-event-log';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-portlog-contract-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The embedded log served over a message port, as the services thread of `npm start` reaches it. */
async function servedOverPort(): Promise<EventLog> {
  const log = await EmbeddedEventLog.open({ dir });
  const { port1, port2 } = new MessageChannel();
  const served = serveEventLog(log, port1);
  const client = new PortEventLog(port2);
  const close = client.close.bind(client);
  // Closing the client here also closes the log behind it, so the suite can reopen the folder.
  client.close = async () => {
    await close();
    await served.close();
    await log.close();
  };
  return client;
}

describeEventLogContract('embedded, over a message port', {
  create: servedOverPort,
  config: () => ({ kind: 'embedded', dir }),
});
