import { Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HeartbeatPublisher } from './heartbeat';
import { ServiceRuntimeModule } from './runtime.module';
import type { RunningService, ServiceRuntime } from './service';

function rootModule(runtime: ServiceRuntime, features: Type[]): DynamicModule {
  @Module({})
  class ServiceRootModule {}
  return {
    module: ServiceRootModule,
    imports: [ServiceRuntimeModule.forRuntime(runtime), ...features],
    providers: [HeartbeatPublisher],
  };
}

const nestLogLevels = ['error', 'warn'] as const;

/** Starts a service that only consumes and produces events (no HTTP). */
export async function startWorkerService(runtime: ServiceRuntime, features: Type[]): Promise<RunningService> {
  const app: INestApplicationContext = await NestFactory.createApplicationContext(rootModule(runtime, features), {
    logger: [...nestLogLevels],
  });
  await app.init();
  return { stop: () => app.close() };
}

/** Starts a service that also serves HTTP (the API), on Fastify. */
export async function startHttpService(runtime: ServiceRuntime, features: Type[]): Promise<RunningService> {
  if (!runtime.http) throw new Error(`${runtime.service}: no HTTP address configured`);
  const app = await NestFactory.create<NestFastifyApplication>(rootModule(runtime, features), new FastifyAdapter(), {
    logger: [...nestLogLevels],
  });
  await app.listen(runtime.http.port, runtime.http.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : runtime.http.port;
  return { url: `http://${runtime.http.host}:${port}`, stop: () => app.close() };
}
