import type { RawSqlClient } from '@sluice/persistence';

export interface HandledAttempt {
  objectId: string;
  attempt: number;
  providerId: string | null;
  outcome: 'completed' | 'failed' | 'rejected';
}

/**
 * Records attempts the router ran to their outcome, live or in a provider batch job: a
 * redelivered dispatch of one finds its row, and so does a later attempt of an object that
 * already completed (see insertPending).
 */
export async function recordHandled(tx: RawSqlClient, attempts: readonly HandledAttempt[]): Promise<void> {
  if (attempts.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO handled_dispatch (object_id, attempt, provider_id, outcome)
    SELECT * FROM unnest(
      ${attempts.map((a) => a.objectId)}::text[],
      ${attempts.map((a) => a.attempt)}::int[],
      ${attempts.map((a) => a.providerId)}::text[],
      ${attempts.map((a) => a.outcome)}::text[])
    ON CONFLICT DO NOTHING`;
}
