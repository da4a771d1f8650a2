import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { createEvent, WalletTopUpRequested, timeOrderedId } from '@sluice/events';
import { EventStore, PRISMA, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import type { RawSqlClient } from '@sluice/persistence';
import { PrismaClient } from '../generated/prisma/client';
import { ApiKeyInactiveError, NotFoundError, RequestError, UnauthorizedError } from '../errors/api-error';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key';

export interface AuthenticatedAccount {
  accountId: string;
  apiKeyId: string;
  /** The key's requests-per-minute ceiling, if it has one. */
  rpmLimit: number | null;
}

export interface IssuedKey {
  id: string;
  key: string;
  prefix: string;
  createdAt: Date;
  rpmLimit: number | null;
}

/**
 * How long an active key is trusted without asking the database again. Every request
 * authenticates, and on the embedded engine that query waits for the database behind the
 * projection's transactions. A key deactivated here is forgotten at once; another API
 * replica may accept it for this long.
 */
export const ACTIVE_KEY_CACHE_MS = 5_000;

/** A key's last use is written at most this often per key and API replica (GET /v1/api-keys shows it to the minute). */
export const LAST_USE_RESOLUTION_MS = 60_000;

/** One of an account's keys as GET /v1/api-keys lists it: never the key, which only its hash is kept of. */
export interface ListedKey {
  id: string;
  prefix: string;
  active: boolean;
  rpmLimit: number | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  deactivatedAt: Date | null;
}

/** Accounts and their keys (the api's own state) and the top-ups it asks billing for. */
@Injectable()
export class AccountsRepository {
  private readonly activeKeys = new LRUCache<string, AuthenticatedAccount>({ max: 10_000, ttl: ACTIVE_KEY_CACHE_MS });
  /** Key id → when (process time) this replica last wrote its use. */
  private readonly useWritten = new LRUCache<string, number>({ max: 100_000 });
  private readonly logger = new Logger('Accounts');

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(SQL) private readonly sql: RawSqlClient,
    private readonly eventStore: EventStore,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  async authenticate(key: string | undefined): Promise<AuthenticatedAccount> {
    if (!key) throw new UnauthorizedError('missing API key: send Authorization: Bearer <key>');
    const hash = hashApiKey(key);
    const known = this.activeKeys.get(hash);
    if (known) {
      this.noteUse(known.apiKeyId);
      return known;
    }
    // Raw SQL, which on the embedded database skips Prisma's engine.
    const [found] = await this.sql.$queryRaw<{ id: string; account_id: string; active: boolean; rpm_limit: number | null }[]>`
      SELECT id::text, account_id::text, active, rpm_limit FROM api_key WHERE key_hash = ${hash}`;
    if (!found) throw new UnauthorizedError('unknown API key');
    if (!found.active) throw new ApiKeyInactiveError();
    const account = { accountId: found.account_id, apiKeyId: found.id, rpmLimit: found.rpm_limit };
    this.activeKeys.set(hash, account);
    this.noteUse(account.apiKeyId);
    return account;
  }

  /**
   * Records that the key was used, at most once a minute per key on this replica, without
   * the request waiting for it (a lost write only leaves last_used_at a minute behind).
   */
  private noteUse(keyId: string): void {
    const at = performance.now();
    const written = this.useWritten.get(keyId);
    if (written !== undefined && at - written < LAST_USE_RESOLUTION_MS) return;
    this.useWritten.set(keyId, at);
    const now = this.runtime.clock.now();
    // Promise.resolve runs it: the client's promise is lazy until something awaits it.
    Promise.resolve(this.sql.$executeRaw`UPDATE api_key SET last_used_at = ${now} WHERE id = ${keyId}::uuid AND (last_used_at IS NULL OR last_used_at < ${now})`).catch(
      (error: unknown) => this.logger.warn(`recording the last use of key ${keyId} failed: ${String(error)}`),
    );
  }

  /** A page of the account's keys, newest first, after the key `after` (one of the account's, else 404). */
  async listKeys(accountId: string, after: string | undefined, limit: number): Promise<ListedKey[]> {
    if (after !== undefined) {
      const own = isUuid(after) && (await this.sql.$queryRaw<{ n: number }[]>`SELECT 1 AS n FROM api_key WHERE id = ${after}::uuid AND account_id = ${accountId}::uuid`).length > 0;
      if (!own) throw new NotFoundError('API key', after);
    }
    const rows = await this.sql.$queryRaw<
      { id: string; key_prefix: string; active: boolean; rpm_limit: number | null; created_at: Date; last_used_at: Date | null; deactivated_at: Date | null }[]
    >`
      SELECT k.id::text, k.key_prefix, k.active, k.rpm_limit, k.created_at, k.last_used_at, k.deactivated_at
      FROM api_key k
      LEFT JOIN api_key c ON c.id = ${after ?? null}::uuid AND c.account_id = ${accountId}::uuid
      WHERE k.account_id = ${accountId}::uuid AND (${after ?? null}::text IS NULL OR (k.created_at, k.id) < (c.created_at, c.id))
      ORDER BY k.created_at DESC, k.id DESC
      LIMIT ${limit}`;
    return rows.map((r) => ({
      id: r.id,
      prefix: r.key_prefix,
      active: r.active,
      rpmLimit: r.rpm_limit,
      createdAt: new Date(r.created_at),
      lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at),
      deactivatedAt: r.deactivated_at === null ? null : new Date(r.deactivated_at),
    }));
  }

  /** Creates the account and its first key; asks billing to credit the wallet when `creditMicros` > 0. */
  async createAccount(name: string, creditMicros: number, rpmLimit: number | null = null): Promise<{ accountId: string; key: IssuedKey }> {
    const accountId = randomUUID();
    const now = this.runtime.clock.now();
    const issued = this.newKey(now, rpmLimit);
    const reference = `initial-credit:${accountId}`;
    const topUp = creditMicros > 0 ? [createEvent(WalletTopUpRequested, { accountId, amountMicros: creditMicros, reference }, { correlationId: accountId }, this.eventDeps())] : [];
    await this.eventStore.transact(async (tx) => {
      await tx.$executeRaw`INSERT INTO account (id, name, created_at) VALUES (${accountId}::uuid, ${name}, ${now})`;
      await this.insertKey(tx, accountId, issued);
      if (creditMicros > 0) {
        await tx.$executeRaw`INSERT INTO credit_request (account_id, reference, amount_micros, created_at) VALUES (${accountId}::uuid, ${reference}, ${creditMicros}, ${now})`;
      }
      return { result: undefined, events: topUp };
    });
    return { accountId, key: issued };
  }

  /**
   * Asks billing to credit the wallet, once per (account, reference): the same reference and
   * amount again is the same credit (`repeated`, nothing new is asked); another amount is a 409,
   * never a silent drop. Billing, too, credits a reference once per account.
   */
  async requestCredit(accountId: string, amountMicros: number, reference: string): Promise<{ repeated: boolean }> {
    if (!isUuid(accountId)) throw new NotFoundError('account', accountId);
    return this.eventStore.transact<{ repeated: boolean }>(async (tx) => {
      const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM account WHERE id = ${accountId}::uuid`;
      if (rows.length === 0) throw new NotFoundError('account', accountId);
      const inserted = await tx.$executeRaw`
        INSERT INTO credit_request (account_id, reference, amount_micros, created_at)
        VALUES (${accountId}::uuid, ${reference}, ${amountMicros}, ${this.runtime.clock.now()})
        ON CONFLICT (account_id, reference) DO NOTHING`;
      if (inserted === 0) {
        const [earlier] = await tx.$queryRaw<{ amount_micros: bigint }[]>`
          SELECT amount_micros FROM credit_request WHERE account_id = ${accountId}::uuid AND reference = ${reference}`;
        const earlierMicros = Number(earlier.amount_micros);
        if (earlierMicros !== amountMicros) {
          throw new RequestError(
            409,
            'credit_reference_reused',
            `reference "${reference}" already credited this account ${earlierMicros / 1_000_000} USD; a credit of another amount needs another reference`,
          );
        }
        return { result: { repeated: true }, events: [] };
      }
      const event = createEvent(WalletTopUpRequested, { accountId, amountMicros, reference }, { correlationId: accountId }, this.eventDeps());
      return { result: { repeated: false }, events: [event] };
    });
  }

  async issueKey(accountId: string, rpmLimit: number | null = null): Promise<IssuedKey> {
    const issued = this.newKey(this.runtime.clock.now(), rpmLimit);
    await this.insertKey(this.prisma, accountId, issued);
    return issued;
  }

  /** Deactivates one of the account's keys; another account's key is not found. */
  async deactivateKey(accountId: string, keyId: string): Promise<{ id: string; deactivatedAt: Date }> {
    if (!isUuid(keyId)) throw new NotFoundError('API key', keyId);
    const now = this.runtime.clock.now();
    const updated = await this.prisma.apiKey.updateMany({
      where: { id: keyId, accountId, active: true },
      data: { active: false, deactivatedAt: now },
    });
    for (const [hash, known] of this.activeKeys.entries()) if (known.apiKeyId === keyId) this.activeKeys.delete(hash);
    if (updated.count === 0) {
      const key = await this.prisma.apiKey.findFirst({ where: { id: keyId, accountId } });
      if (!key) throw new NotFoundError('API key', keyId);
      return { id: key.id, deactivatedAt: key.deactivatedAt ?? now };
    }
    return { id: keyId, deactivatedAt: now };
  }

  private newKey(createdAt: Date, rpmLimit: number | null): IssuedKey {
    const key = generateApiKey();
    return { id: randomUUID(), key, prefix: displayPrefix(key), createdAt, rpmLimit };
  }

  private async insertKey(client: RawSqlClient, accountId: string, issued: IssuedKey): Promise<void> {
    await client.$executeRaw`
      INSERT INTO api_key (id, account_id, key_hash, key_prefix, active, created_at, rpm_limit)
      VALUES (${issued.id}::uuid, ${accountId}::uuid, ${hashApiKey(issued.key)}, ${issued.prefix}, true, ${issued.createdAt}, ${issued.rpmLimit})`;
  }

  private eventDeps() {
    return { now: () => this.runtime.clock.now(), newId: timeOrderedId };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
