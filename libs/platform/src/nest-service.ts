import { Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { NestPinoLogger, defaultLogService, logger, measureHttpRequests, metricsEnabled, serveMetrics, traceHttpRequests } from '@sluice/telemetry';
import { HeartbeatPublisher } from './heartbeat';
import { PersistenceModule, type PrismaClientClass } from './persistence/persistence.module';
import { ServiceRuntimeModule } from './runtime.module';
import type { RunningService, ServiceRuntime } from './service';

/** What a service brings: its generated Prisma client class and its capability modules. */
export interface ServiceParts {
  prisma: PrismaClientClass;
  features: Type[];
  /** For an HTTP service: adjusts the Fastify app before it listens (e.g. body parsers). */
  configureHttp?: (app: NestFastifyApplication) => void;
  /** For an HTTP service: Fastify server options of its own (e.g. how errors raised before any route are answered). */
  serverOptions?: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler' | 'trustProxy'>;
}

function rootModule(runtime: ServiceRuntime, parts: ServiceParts): DynamicModule {
  @Module({})
  class ServiceRootModule {}
  return {
    module: ServiceRootModule,
    imports: [ServiceRuntimeModule.forRuntime(runtime), PersistenceModule.forService(parts.prisma), ...parts.features],
    providers: [HeartbeatPublisher],
  };
}

const log = logger('service');

/** Logs the start and the stop of a service; the thread's other lines name the first service it started. */
async function started(runtime: ServiceRuntime, start: () => Promise<{ url?: string; stop: () => Promise<void> }>): Promise<RunningService> {
  defaultLogService(runtime.service);
  const running = await start();
  const service = runtime.service;
  log.info({ service, instanceId: runtime.instanceId, url: running.url }, 'started');
  return {
    url: running.url,
    stop: async () => {
      await running.stop();
      log.info({ service, instanceId: runtime.instanceId }, 'stopped');
    },
  };
}

/** Starts a service that only consumes and produces events (no HTTP). */
export function startWorkerService(runtime: ServiceRuntime, parts: ServiceParts): Promise<RunningService> {
  return started(runtime, async () => {
    const app: INestApplicationContext = await NestFactory.createApplicationContext(rootModule(runtime, parts), { logger: new NestPinoLogger() });
    await app.init();
    return { stop: () => app.close() };
  });
}

/**
 * Starts a service that also serves HTTP (the API), on Fastify. The seed writes paths with a
 * trailing slash (`POST /v0/infer/`) and people call them without: both route the same.
 */
export function startHttpService(runtime: ServiceRuntime, parts: ServiceParts): Promise<RunningService> {
  return started(runtime, () => startHttp(runtime, parts));
}

async function startHttp(runtime: ServiceRuntime, parts: ServiceParts): Promise<{ url: string; stop: () => Promise<void> }> {
  if (!runtime.http) throw new Error(`${runtime.service}: no HTTP address configured`);
  // Loaded here, not at import: the services without HTTP do not carry Fastify (~8 MB of RSS).
  const { FastifyAdapter } = require('@nestjs/platform-fastify') as typeof import('@nestjs/platform-fastify');
  // `as object`: the adapter types its options per server kind (http, https, http2); ours are http's.
  const app = await NestFactory.create<NestFastifyApplication>(rootModule(runtime, parts), new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true }, bodyLimit: 64 * 1024 * 1024, ...(parts.serverOptions as object) }), {
    logger: new NestPinoLogger(),
  });
  const server = app.getHttpAdapter().getInstance();
  traceHttpRequests(server);
  if (metricsEnabled()) {
    measureHttpRequests(server);
    serveMetrics(server);
  }
  parts.configureHttp?.(app);
  await app.listen(runtime.http.port, runtime.http.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : runtime.http.port;
  return { url: `http://${runtime.http.host}:${port}`, stop: () => app.close() };
}
