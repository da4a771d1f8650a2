import { Global, Module, type DynamicModule } from '@nestjs/common';
import { EventBus } from '@sluice/eventlog';
import type { ServiceRuntime } from './service';

export const SERVICE_RUNTIME = Symbol('SERVICE_RUNTIME');

/** Hands the host-made runtime (log, identity) to a service's Nest container. */
@Global()
@Module({})
export class ServiceRuntimeModule {
  static forRuntime(runtime: ServiceRuntime): DynamicModule {
    return {
      module: ServiceRuntimeModule,
      providers: [
        { provide: SERVICE_RUNTIME, useValue: runtime },
        { provide: EventBus, useValue: runtime.bus },
      ],
      exports: [SERVICE_RUNTIME, EventBus],
    };
  }
}
