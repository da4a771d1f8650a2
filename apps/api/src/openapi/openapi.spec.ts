import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpService, type ServiceDefinition } from '@sluice/platform';
import { startServiceHarness, type ServiceHarness } from '@sluice/testing';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { z } from 'zod';
import { fileView } from '../files/file.projection';
import { jsonlTaskView } from '../infer/jsonl-task.view';
import { chatCompletion } from '../openai/chat.view';
import { modelObjects } from '../openai/models.view';
import { batchObject, fileObject, listObject } from '../openai-batches/openai-batch.view';
import { objectView, taskSummaryView, taskView } from '../read-models/views';
import { inferenceResponse } from '../realtime/realtime.view';
import { reportServiceHealth } from '../health/service-health.projection';
import { apiParts } from '../service';
import { transactionObject, usageObject } from '../wallet/wallet.view';
import { apiKeyObject } from '../accounts/accounts.controller';
import { OPERATIONS } from './operations';
import * as R from './responses';

jest.setTimeout(60_000);

/** Compiles only when what `view` returns fits what the document says the route answers. */
const fits =
  <S extends z.ZodType>(_schema: S) =>
  <V extends z.input<S>>(view: (...args: never[]) => V) =>
    view;
fits(R.ObjectViewSchema)(objectView);
fits(R.TaskResponseSchema)(taskView);
fits(R.TaskResponseSchema)(jsonlTaskView);
fits(R.TaskListSchema.shape.tasks.element)(taskSummaryView);
fits(R.FileViewSchema)(fileView);
fits(R.InferenceResponseSchema)(inferenceResponse);
fits(R.ChatCompletionSchema)(chatCompletion);
fits(R.ModelSchema)((...args: Parameters<typeof modelObjects>) => modelObjects(...args)[0]);
fits(R.OpenAiFileSchema)(fileObject);
fits(R.BatchSchema)(batchObject);
fits(R.OpenAiFileListSchema)((files: ReturnType<typeof fileObject>[]) => listObject(files, false));
fits(R.HealthSchema.shape.services)(reportServiceHealth);
fits(R.TransactionSchema)(transactionObject);
fits(R.UsageReportSchema)(usageObject);
fits(R.ApiKeySchema)(apiKeyObject);

/** `/v0/infer/task/:taskId/` and `/v0/infer/task/{taskId}` → `/v0/infer/task/{}` (paths answer with and without the slash). */
const normalise = (path: string) => path.replace(/:[^/]+|\{[^}]+\}|\*/g, '{}').replace(/(.)\/$/, '$1');

describe('the OpenAPI document', () => {
  let dataDir: string;
  let harness: ServiceHarness;
  let server: FastifyInstance | undefined;
  const routes = new Set<string>();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-api-openapi-'));
    // The API as it runs, with a hook that sees each route Nest registers on Fastify.
    const recording: ServiceDefinition = {
      name: 'api',
      start: (runtime) =>
        startHttpService(runtime, {
          ...apiParts,
          configureHttp: (app) => {
            server = app.getHttpAdapter().getInstance();
            server.addHook('onRoute', (route) => {
              for (const method of [route.method].flat()) if (method !== 'HEAD') routes.add(`${method} ${normalise(route.url)}`);
            });
            apiParts.configureHttp?.(app);
          },
        }),
    };
    harness = await startServiceHarness(recording, { market: false, http: true, dataDir });
  });

  afterAll(async () => {
    await harness?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('describes every route Nest serves', () => {
    const documented = new Set(Object.keys(OPERATIONS).map((key) => key.replace(/ (.*)$/, (_, path: string) => ` ${normalise(path)}`)));
    expect(routes.size).toBeGreaterThan(20);
    expect([...routes].filter((r) => !documented.has(r)).sort()).toEqual([]);
  });

  it('describes no route the server does not serve', () => {
    // Asked of Fastify's router, which also holds the routes registered before Nest's (GET /metrics).
    const served = (key: string) => {
      const [method, path] = key.split(' ');
      const pattern = path.replace(/\{([^}]+)\}/g, ':$1').replace(/(.)\/$/, '$1');
      const wildcard = pattern.replace(/:[^/]+$/, '*');
      return server?.hasRoute({ method: method as HTTPMethods, url: pattern }) || server?.hasRoute({ method: method as HTTPMethods, url: wildcard });
    };
    expect(Object.keys(OPERATIONS).filter((key) => !served(key))).toEqual([]);
  });

  it('links answers only to operations it describes', () => {
    const links = Object.values(OPERATIONS).flatMap((op) => Object.values(op.responses).flatMap((r) => Object.values(r.links ?? {})));
    expect(links.length).toBeGreaterThan(5);
    expect(links.map((l) => l.operation).filter((key) => !(key in OPERATIONS))).toEqual([]);
  });

  it('is served at /openapi.json without a key, OpenAPI 3.1 with bearer auth on every account route', async () => {
    const res = await fetch(`${harness.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { security: object[]; responses: Record<string, unknown> }>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/v1/inference'].post.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/v0/admin/accounts'].post.security).toEqual([{ adminKey: [] }]);
    expect(doc.paths['/v1/chat/completions'].post.responses['400']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/OpenAiError' } } } });
    expect(doc.paths['/v0/infer/'].post.responses['422']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    // A $ref other than to a component would resolve against the document's root, not the schema's.
    expect(JSON.stringify(doc).match(/"\$ref":"(?!#\/components\/schemas\/)[^"]*"/g)).toBeNull();
  });

  it('is rendered at /docs by a page that loads nothing from elsewhere', async () => {
    const res = await fetch(`${harness.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const page = await res.text();
    expect(page).toContain("fetch('openapi.json')");
    expect(page).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });
});
