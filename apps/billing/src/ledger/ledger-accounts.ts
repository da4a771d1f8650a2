/**
 * The chart of accounts. `funding` is money that came in from outside (debit-normal: it
 * grows with debits); the others are credit-normal: what the exchange owes a customer,
 * available (`wallet:<id>`) or reserved for objects in flight (`held:<id>`), and what it
 * earned (`revenue`). Hence funding = Σ wallets + Σ held + revenue while every posting balances.
 */
export const FUNDING_ACCOUNT = 'funding';
export const REVENUE_ACCOUNT = 'revenue';
export const walletAccount = (accountId: string) => `wallet:${accountId}`;
export const heldAccount = (accountId: string) => `held:${accountId}`;

export type PostingKind = 'top_up' | 'reserve' | 'charge' | 'release';

/** One side of a posting: exactly one of debit and credit is non-zero. */
export interface LedgerLine {
  account: string;
  debitMicros: number;
  creditMicros: number;
}

export interface Posting {
  kind: PostingKind;
  accountId: string;
  objectId?: string;
  reference?: string;
  lines: LedgerLine[];
}

export const debit = (account: string, micros: number): LedgerLine => ({ account, debitMicros: micros, creditMicros: 0 });
export const credit = (account: string, micros: number): LedgerLine => ({ account, debitMicros: 0, creditMicros: micros });

/** Zero lines say nothing; a posting is built from the lines that move money. */
export function posting(kind: PostingKind, ids: Omit<Posting, 'kind' | 'lines'>, lines: LedgerLine[]): Posting {
  return { kind, ...ids, lines: lines.filter((l) => l.debitMicros !== 0 || l.creditMicros !== 0) };
}

export function isBalanced(lines: readonly LedgerLine[]): boolean {
  const debits = lines.reduce((sum, l) => sum + l.debitMicros, 0);
  const credits = lines.reduce((sum, l) => sum + l.creditMicros, 0);
  return debits === credits;
}
