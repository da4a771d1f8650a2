import { Module, type Type } from '@nestjs/common';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { findProvider, providerApi } from '@sluice/catalogue';
import { ProviderAdapters } from '@sluice/providers';
import { LiveCaller, ProviderHealthBook } from '@sluice/routing';
import { randomUUID } from 'node:crypto';
import { ProviderBatchConsumer } from './batch/provider-batch.consumer';
import { ProviderBatchPoller } from './batch/provider-batch.poller';
import { DispatchExecutor } from './execution/dispatch-execution';
import { LiveDispatchConsumer } from './execution/live-dispatch.consumer';
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
        provide: DispatchExecutor,
        inject: [SERVICE_RUNTIME, ProviderAdapters, ProviderHealthBook],
        useFactory: (runtime: ServiceRuntime, adapter: ProviderAdapters, health: ProviderHealthBook) =>
          new DispatchExecutor({
            catalogue: runtime.catalogue,
            caller: new LiveCaller({ catalogue: runtime.catalogue, endpoints: runtime.providerEndpoints, adapter, health, now: () => runtime.clock.now() }),
            events: { now: () => runtime.clock.now(), newId: randomUUID },
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
