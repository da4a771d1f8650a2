import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { declareConsumer, type SluiceEvent, timeOrderedId } from '@sluice/events';
import type { Subscription } from '@sluice/eventlog';
import { EventStore, SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { billingDecisions, billingMicros, logger } from '@sluice/telemetry';
import type { BillingDeps } from './ledger/billing-deps';
import { billObjectEvents } from './objects/object-billing.handler';
import { creditTopUps } from './wallet/top-up.handler';

export const TOP_UPS_CONSUMER = declareConsumer({ name: 'billing-top-ups', handles: ['WalletTopUpRequested'], description: 'Credits the wallet, once per reference.' });
export const OBJECT_BILLING_CONSUMER = declareConsumer({
  name: 'billing-objects',
  handles: ['ObjectSubmitted', 'ObjectCompleted', 'ObjectAbandoned'],
  description: "Reserves an object's bound on submission, charges actual usage on completion, releases on abandonment; a failure changes nothing.",
});

/**
 * Billing's two consumers: top-ups from the billing topic, and the objects topic, where one
 * consumer sees each object's submission, completion and abandonment in order.
 */
@Injectable()
export class BillingConsumers implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Billing');
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly store: EventStore,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  async onModuleInit(): Promise<void> {
    const deps: BillingDeps = {
      catalogue: this.runtime.catalogue,
      now: () => this.runtime.clock.now(),
      newId: timeOrderedId,
      warn: (message) => this.logger.warn(message),
    };
    this.subscriptions.push(
      await this.store.consume({ consumer: TOP_UPS_CONSUMER, handle: (tx, events) => creditTopUps(tx, events, deps), afterCommit: countDecisions }),
      await this.store.consume({ consumer: OBJECT_BILLING_CONSUMER, handle: (tx, events) => billObjectEvents(tx, events, deps), afterCommit: countDecisions }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.stop()));
  }
}

const log = logger('billing', 'billing');

/** Billing's decisions once committed (never twice: a redelivered event produces nothing), as money counters. */
function countDecisions(_applied: SluiceEvent[], produced: SluiceEvent[]): void {
  for (const event of produced) {
    switch (event.type) {
      case 'FundsReserved':
        count('reserved', event.payload.amountMicros);
        log.debug({ accountId: event.payload.accountId, objectId: event.payload.objectId, amountMicros: event.payload.amountMicros }, 'funds reserved');
        break;
      case 'FundsDenied':
        billingDecisions.inc({ kind: 'denied' });
        log.debug({ accountId: event.payload.accountId, objectId: event.payload.objectId, requiredMicros: event.payload.requiredMicros }, 'funds denied');
        break;
      case 'Charged':
        count('charged', event.payload.amountMicros);
        log.debug({ accountId: event.payload.accountId, objectId: event.payload.objectId, amountMicros: event.payload.amountMicros }, 'charged');
        break;
      case 'FundsReleased':
        count('released', event.payload.amountMicros);
        log.debug({ accountId: event.payload.accountId, objectId: event.payload.objectId, amountMicros: event.payload.amountMicros }, 'funds released');
        break;
      case 'WalletCredited':
        count('credited', event.payload.amountMicros);
        log.info({ accountId: event.payload.accountId, amountMicros: event.payload.amountMicros, reference: event.payload.reference }, 'wallet credited');
        break;
    }
  }
}

function count(kind: 'reserved' | 'charged' | 'released' | 'credited', micros: number): void {
  billingDecisions.inc({ kind });
  billingMicros.inc({ kind }, micros);
}
