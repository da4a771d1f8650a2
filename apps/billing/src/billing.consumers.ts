import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Topics } from '@sluice/events';
import type { Subscription } from '@sluice/eventlog';
import { EventStore, SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import type { BillingDeps } from './ledger/billing-deps';
import { billObjectEvents, isBilled } from './objects/object-billing.handler';
import { creditTopUps, isTopUpRequest } from './wallet/top-up.handler';

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
      newId: randomUUID,
      warn: (message) => this.logger.warn(message),
    };
    this.subscriptions.push(
      await this.store.consume({ consumer: 'billing-top-ups', topics: [Topics.billing], accepts: isTopUpRequest, handle: (tx, events) => creditTopUps(tx, events, deps) }),
      await this.store.consume({ consumer: 'billing-objects', topics: [Topics.objects], accepts: isBilled, handle: (tx, events) => billObjectEvents(tx, events, deps) }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.stop()));
  }
}
