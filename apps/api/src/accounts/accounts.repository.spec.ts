import type { RawSqlClient } from '@sluice/persistence';
import type { EventStore, ServiceRuntime } from '@sluice/platform';
import type { PrismaClient } from '../generated/prisma/client';
import { AccountsRepository, LAST_USE_RESOLUTION_MS } from './accounts.repository';

const KEY_ID = '11111111-1111-4111-8111-111111111111';

/** The repository over a database that knows one active key and counts the last-use writes. */
function repositoryWithOneKey() {
  const writes: unknown[][] = [];
  const sql = {
    $queryRaw: jest.fn(async () => [{ id: KEY_ID, account_id: '22222222-2222-4222-8222-222222222222', active: true, rpm_limit: null }]),
    $executeRaw: jest.fn(async (...args: unknown[]) => {
      writes.push(args);
      return 1;
    }),
  } as unknown as RawSqlClient;
  const runtime = { clock: { now: () => new Date() } } as unknown as ServiceRuntime;
  const repository = new AccountsRepository({} as PrismaClient, sql, {} as EventStore, runtime);
  return { repository, writes };
}

describe("a key's last use", () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('is written on its first request, then at most once a minute however many requests follow', async () => {
    const { repository, writes } = repositoryWithOneKey();
    for (let i = 0; i < 50; i++) await repository.authenticate('sk_live_test');
    expect(writes).toHaveLength(1);
    expect(String((writes[0][0] as string[]).join('?'))).toContain('UPDATE api_key SET last_used_at');

    jest.advanceTimersByTime(LAST_USE_RESOLUTION_MS - 1_000);
    await repository.authenticate('sk_live_test');
    expect(writes).toHaveLength(1);

    jest.advanceTimersByTime(1_000);
    await repository.authenticate('sk_live_test');
    expect(writes).toHaveLength(2);
  });

  it('does not make the request wait for the write, nor fail it when the write fails', async () => {
    const { repository } = repositoryWithOneKey();
    const sql = (repository as unknown as { sql: { $executeRaw: jest.Mock } }).sql;
    sql.$executeRaw.mockImplementation(() => new Promise((_, reject) => setTimeout(() => reject(new Error('database gone')), 10_000)));
    await expect(repository.authenticate('sk_live_test')).resolves.toMatchObject({ apiKeyId: KEY_ID });
    jest.advanceTimersByTime(10_000);
    await Promise.resolve();
  });
});
