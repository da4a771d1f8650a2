/**
 * The slice of a generated Prisma client (or of its transaction client) this library uses.
 * Typed structurally because libraries cannot import a service's generated client.
 */
export interface RawSqlClient {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

export interface TransactionOptions {
  maxWait?: number;
  timeout?: number;
}

/** A Prisma client: raw SQL plus interactive transactions whose client is `Tx`. */
export interface TransactionalClient<Tx extends RawSqlClient = RawSqlClient> extends RawSqlClient {
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: TransactionOptions): Promise<R>;
}
