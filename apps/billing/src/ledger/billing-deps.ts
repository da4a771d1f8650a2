import type { Catalogue } from '@sluice/catalogue';
import type { EventFactoryDeps } from '@sluice/events';

/** What the billing handlers need from outside: the clock and ids for produced events and rows. */
export interface BillingDeps extends EventFactoryDeps {
  catalogue: Catalogue;
  warn: (message: string) => void;
}
