import { z } from 'zod';
import { defineEvent } from '../define-event';
import { defineUpcaster } from '../upcast';
import { Topics } from '../topics';
import { Id, Micros } from './common';

const accountKey = (p: { accountId: string }) => p.accountId;

export const FundsReserved = defineEvent({
  type: 'FundsReserved',
  version: 1,
  topic: Topics.billing,
  key: accountKey,
  producedBy: ['billing'],
  description: "Billing held the object's bound on the wallet.",
  schema: z.object({
    accountId: Id,
    objectId: Id,
    amountMicros: Micros,
    availableMicros: Micros,
    /** For an object the real-time gateway already served (see ObjectSubmitted.gateway): nothing to plan. */
    gateway: z.literal(true).optional(),
  }),
});

export const FundsDenied = defineEvent({
  type: 'FundsDenied',
  version: 1,
  topic: Topics.billing,
  key: accountKey,
  producedBy: ['billing'],
  description: "The wallet cannot cover the object's bound: it will not run.",
  schema: z.object({ accountId: Id, objectId: Id, requiredMicros: Micros, availableMicros: Micros }),
});

export const FundsReleased = defineEvent({
  type: 'FundsReleased',
  version: 1,
  topic: Topics.billing,
  key: accountKey,
  producedBy: ['billing'],
  description: "An abandoned object's reservation went back to the wallet.",
  schema: z.object({ accountId: Id, objectId: Id, amountMicros: Micros, availableMicros: Micros }),
});

export const WalletCredited = defineEvent({
  type: 'WalletCredited',
  version: 1,
  topic: Topics.billing,
  key: accountKey,
  producedBy: ['billing'],
  description: 'Billing credited a wallet (a top-up).',
  schema: z.object({ accountId: Id, amountMicros: Micros, reference: z.string().min(1), availableMicros: Micros }),
});

/** An operator (or a payment hook) asks billing to credit a wallet; `reference` makes it idempotent. */
export const WalletTopUpRequested = defineEvent({
  type: 'WalletTopUpRequested',
  version: 1,
  topic: Topics.billing,
  key: accountKey,
  producedBy: ['api'],
  description: 'An operator (or a payment hook) asks billing to credit a wallet.',
  schema: z.object({ accountId: Id, amountMicros: Micros.positive(), reference: z.string().min(1) }),
});

/**
 * v1 carried a decimal `amountUsd`; floats cannot hold money exactly, so v2 carries integer
 * micro-dollars and the reservation it settles. Old v1 events stay readable through the upcaster.
 */
export const ChargedV1Schema = z.object({ accountId: Id, objectId: Id, amountUsd: z.number().nonnegative() });

export const Charged = defineEvent({
  type: 'Charged',
  version: 2,
  topic: Topics.billing,
  key: accountKey,
  producedBy: ['billing'],
  description: 'The object was charged on its actual usage; the rest of its reservation went back.',
  schema: z.object({
    accountId: Id,
    objectId: Id,
    amountMicros: Micros,
    /** What the reservation held; the difference went back to the wallet. */
    reservedMicros: Micros,
    /** The wallet's available balance after the charge (absent on events upcast from v1). */
    availableMicros: Micros.optional(),
  }),
});

export const chargedV1ToV2 = defineUpcaster({
  type: 'Charged',
  fromVersion: 1,
  fromSchema: ChargedV1Schema,
  upcast: (v1) => {
    const amountMicros = Math.round(v1.amountUsd * 1_000_000);
    return { accountId: v1.accountId, objectId: v1.objectId, amountMicros, reservedMicros: amountMicros };
  },
});
