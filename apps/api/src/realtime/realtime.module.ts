import { Module } from '@nestjs/common';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { findProvider, providerApi } from '@sluice/catalogue';
import { ProviderAdapters } from '@sluice/providers';
import { LiveCaller, ProviderHealthBook } from '@sluice/routing';
import { AccountsModule } from '../accounts/accounts.module';
import { RealtimeController } from './realtime.controller';
import { REALTIME_OPTIONS, RealtimeService } from './realtime.service';

/** Per provider HTTP request (real milliseconds); a hung provider is a transient timeout after it. */
const PROVIDER_TIMEOUT_MS = 30_000;

/** The real-time gateway: POST /v1/inference answered in this process, GET /v1/inference/{id}. */
@Module({
  imports: [AccountsModule],
  controllers: [RealtimeController],
  exports: [RealtimeService],
  providers: [
    RealtimeService,
    { provide: REALTIME_OPTIONS, useValue: null },
    {
      // This replica's own view of the providers (health, observed latency and output length).
      provide: LiveCaller,
      inject: [SERVICE_RUNTIME],
      useFactory: (runtime: ServiceRuntime) =>
        new LiveCaller({
          catalogue: runtime.catalogue,
          endpoints: runtime.providerEndpoints,
          adapter: new ProviderAdapters({ timeoutMs: PROVIDER_TIMEOUT_MS, apiOf: (id) => providerApi(findProvider(runtime.catalogue, id)) }),
          health: new ProviderHealthBook(),
          now: () => runtime.clock.now(),
        }),
    },
  ],
})
export class RealtimeModule {}
