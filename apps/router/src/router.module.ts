import { Module, type Type } from '@nestjs/common';
import { timeOrderedId } from '@sluice/events';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { findProvider, providerApi } from '@sluice/catalogue';
import { ProviderAdapters } from '@sluice/providers';
import { ProviderHealthBook } from '@sluice/routing';
import { ProviderBatchConsumer } from './batch/provider-batch.consumer';
import { ProviderBatchPoller } from './batch/provider-batch.poller';
import { DispatchExecutor } from './execution/dispatch-execution';
import { LimitedLiveCaller, ProviderGate } from './execution/limited-caller';
import { LiveDispatchConsumer } from './execution/live-dispatch.consumer';
import { ProviderLimits } from './execution/provider-limits';
import { ROUTER_OPTIONS, type RouterOptions } from './router.options';

/** The router's capabilities: live dispatch (quotes, choice, provider call) and provider batch jobs. */
export function routerModule(options: RouterOptions): Type {
  @Module({
    providers: [
      { provide: ROUTER_OPTIONS, useValue: options },
      {
        // Each provider in its own API (the catalogue's `api`), for live calls and batch jobs alike.
        provide: ProviderAdapters,
        inject: [SERVICE_RUNTIME],
        useFactory: (runtime: ServiceRuntime) =>
          new ProviderAdapters({ timeoutMs: options.providerTimeoutMs, apiOf: (id) => providerApi(findProvider(runtime.catalogue, id)) }),
      },
      ProviderHealthBook,
      {
        // Each provider's limits from the catalogue (demo providers only when asked), and the bound across them.
        provide: ProviderGate,
        inject: [SERVICE_RUNTIME],
        useFactory: (runtime: ServiceRuntime) =>
          new ProviderGate(
            new ProviderLimits((id) => {
              const provider = runtime.catalogue.providers.find((p) => p.id === id);
              if (!provider || (provider.baseUrl.startsWith('demo://') && !options.limitDemoProviders)) return null;
              return provider.rateLimits;
            }, options.maxCallsInFlight),
          ),
      },
      {
        provide: DispatchExecutor,
        inject: [SERVICE_RUNTIME, ProviderAdapters, ProviderHealthBook, ProviderGate],
        useFactory: (runtime: ServiceRuntime, adapter: ProviderAdapters, health: ProviderHealthBook, gate: ProviderGate) =>
          new DispatchExecutor({
            catalogue: runtime.catalogue,
            caller: new LimitedLiveCaller({ catalogue: runtime.catalogue, endpoints: runtime.providerEndpoints, adapter, health, now: () => runtime.clock.now() }, gate, options.rateLimitPatienceMs),
            events: { now: () => runtime.clock.now(), newId: timeOrderedId },
          }),
      },
      LiveDispatchConsumer,
      ProviderBatchPoller,
      ProviderBatchConsumer,
    ],
  })
  class RouterModule {}
  return RouterModule;
}
