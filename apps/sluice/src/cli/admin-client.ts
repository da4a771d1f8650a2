/** A thin HTTP client for the API's admin endpoints; errors carry the API's error envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CreatedAccount {
  account_id: string;
  name: string;
  api_key: string;
}

export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly adminKey: string,
  ) {}

  createAccount(name: string, creditUsd: number): Promise<CreatedAccount> {
    return this.post('/v0/admin/accounts', { name, credit_usd: creditUsd });
  }

  creditAccount(accountId: string, amountUsd: number, reference?: string): Promise<unknown> {
    return this.post(`/v0/admin/accounts/${encodeURIComponent(accountId)}/credit`, { amount_usd: amountUsd, reference });
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${this.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, 'unreachable', `cannot reach Sluice at ${this.baseUrl}: ${(err as Error).message}`);
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as { error?: { code?: string; message?: string } }) : {};
    if (!res.ok) throw new ApiError(res.status, json.error?.code ?? 'http_error', json.error?.message ?? `HTTP ${res.status}`);
    return json as T;
  }
}
