import { startHttpService, type ServiceDefinition, type ServiceParts } from '@sluice/platform';
import { AccountsModule } from './accounts/accounts.module';
import { ErrorsModule } from './errors/errors.module';
import { apiServerOptions, registerHttpEdge } from './errors/http-edge';
import { FilesModule } from './files/files.module';
import { registerUploadParsers } from './files/upload-parsers';
import { PrismaClient } from './generated/prisma/client';
import { HealthModule } from './health/health.module';
import { registerAdmissionPriority } from './infer/admission.hooks';
import { InferModule } from './infer/infer.module';
import { OpenAiModule } from './openai/openai.module';
import { OpenAiBatchesModule } from './openai-batches/openai-batches.module';
import { OpenApiModule } from './openapi/openapi.module';
import { ReadModelsModule } from './read-models/read-models.module';
import { RealtimeModule } from './realtime/realtime.module';
import { WalletModule } from './wallet/wallet.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** What the API is made of; openapi.spec.ts starts it with these parts to list every route it serves. */
export const apiParts: ServiceParts = {
  prisma: PrismaClient,
  features: [ErrorsModule, HealthModule, AccountsModule, ReadModelsModule, FilesModule, InferModule, RealtimeModule, OpenAiModule, OpenAiBatchesModule, WalletModule, WebhooksModule, OpenApiModule],
  serverOptions: apiServerOptions,
  configureHttp: (app) => {
    registerHttpEdge(app);
    registerUploadParsers(app);
    registerAdmissionPriority(app);
  },
};

export const apiService: ServiceDefinition = {
  name: 'api',
  start: (runtime) => startHttpService(runtime, apiParts),
};
