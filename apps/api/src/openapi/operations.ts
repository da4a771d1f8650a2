import { z } from 'zod';
import { CreateAccountBody, CreateKeyBody, CreditBody } from '../accounts/accounts.controller';
import { FileInferRequestSchema, InferRequestSchema, OutputFormatSchema, SubmitQuerySchema } from '../infer/infer-request';
import { ListFilesV0QuerySchema, ListTasksQuerySchema, TaskObjectsQuerySchema } from '../infer/list-queries';
import { ChatCompletionRequestSchema } from '../openai/chat-request';
import { CreateBatchSchema, ListBatchesQuerySchema, ListFilesQuerySchema } from '../openai-batches/openai-request';
import { RealtimeRequestSchema } from '../realtime/realtime-request';
import { WebhookEndpointBody } from '../webhooks/webhooks.controller';
import { PageQuerySchema, UsageQuerySchema } from '../wallet/wallet-request';
import * as R from './responses';

/** Who may call an operation: an account's key, the operator's admin key, or anyone. */
export type Auth = 'account' | 'admin' | 'none';

export type Body =
  /** `optional`: a request without a body is served (with the defaults). */
  | { kind: 'json'; schema: z.ZodType; openAiStrict?: boolean; optional?: boolean; examples: Record<string, unknown> }
  /** A file: multipart (`file` part, plus these string fields), and, when `raw`, the file itself as the body. */
  | { kind: 'upload'; fields?: Record<string, readonly [string, ...string[]]>; raw?: boolean };

/** A follow-up call an answer makes possible (OpenAPI links): the operation's key and its parameters from the answer. */
export interface Link {
  operation: string;
  parameters?: Record<string, string>;
  requestBody?: unknown;
}

export interface Success {
  description: string;
  /** A JSON answer; absent for a download or a page (see `content`). */
  schema?: z.ZodType;
  /** Other media types, e.g. a stream or a download: type → JSON Schema. */
  content?: Record<string, object>;
  /** Server-sent events (`text/event-stream`) whose `data` is this JSON (or `[DONE]`). */
  events?: z.ZodType;
  headers?: Record<string, string>;
  links?: Record<string, Link>;
}

export interface Operation {
  summary: string;
  tag: string;
  auth: Auth;
  /** Path parameter name → description. */
  params?: Record<string, string>;
  query?: z.ZodObject;
  headers?: { name: string; schema: z.ZodType; description: string }[];
  body?: Body;
  responses: Record<number, Success>;
  /** Error status → when (codes named); the envelope follows the route (OpenAI's on its routes). */
  errors: Record<number, string>;
}

// The bound idempotencyKeyOf (realtime.controller.ts) checks; it has no schema of its own to import.
const IdempotencyKeySchema = z.string().min(1).max(255);
const IdempotencyKey = { name: 'Idempotency-Key', schema: IdempotencyKeySchema, description: 'same key and body replay the stored answer (24 h); same key, other body: 422' };
const replayHeader = { 'Idempotent-Replay': '`true` when the answer is a replay of an Idempotency-Key' };

/** Answers any route may give before its handler runs. */
const PATH_ID = { 400: 'invalid_request: a percent-escape in the path that is not UTF-8', 414: 'uri_too_long: a path segment over 100 characters', 422: 'validation_error: a path id holding a NUL or a lone surrogate (`path.<name>`)' };
/** On OpenAI's routes a bad field is 400, so a NUL in a path id is too. */
const OPENAI_PATH_ID = { 400: 'validation_error: a path id holding a NUL or a lone surrogate; invalid_request: a percent-escape that is not UTF-8', 414: PATH_ID[414] };
const JSON_BODY = { 400: 'invalid_request: the body is not JSON', 413: 'payload_too_large: a body over 64 MiB', 415: 'unsupported_media_type: a body that is not application/json' };
const ACCOUNT = { 401: 'unauthorized (missing, unknown or malformed key), api_key_inactive', 429: 'rate_limit_exceeded: the key’s requests-per-minute ceiling (see Retry-After)' };
const ADMIN = { 401: 'unauthorized: missing or unknown admin key, or no admin key configured' };
const UPLOAD = {
  400: 'invalid_file_name, missing_file, invalid_multipart; invalid_request',
  413: 'file_too_large: over SLUICE_MAX_UPLOAD_BYTES',
  415: 'unsupported_media_type: e.g. an upload sent as application/json',
  422: 'duplicate_key, empty_file; validation_error',
};
const GATEWAY = {
  402: 'insufficient_balance: the wallet cannot cover the conservative estimate',
  404: 'model_not_found',
  503: 'no_provider_available, all_providers_failed',
  504: 'inference_timeout: a retry with the Idempotency-Key of a request still running',
};

const FILE_LINKS: Record<string, Link> = {
  file: { operation: 'GET /v0/files/{fileId}', parameters: { fileId: '$response.body#/file_id' } },
  content: { operation: 'GET /v0/files/{fileId}/content', parameters: { fileId: '$response.body#/file_id' } },
  task: { operation: 'POST /v0/infer/', requestBody: [{ file_id: '$response.body#/file_id', sla: 60 }] },
};

/**
 * Every public endpoint of the API, keyed `METHOD /path` (OpenAPI path syntax). Request
 * schemas are the ones the controllers parse with; a route added to a controller and not here
 * fails openapi.spec.ts.
 */
export const OPERATIONS: Record<string, Operation> = {
  'POST /v0/infer/': {
    summary: 'Submit a task: inline items, or one uploaded file `[{file_id, sla}]`',
    tag: 'SLA batch',
    auth: 'account',
    query: SubmitQuerySchema,
    headers: [{ name: 'Output-Format', schema: OutputFormatSchema, description: '`jsonl`: the results as one file (`output_url`); default `json`' }],
    body: {
      kind: 'json',
      schema: InferRequestSchema.or(FileInferRequestSchema),
      examples: {
        items: [
          { model: 'qwen-7b', input: 'Hello model, how are you?' },
          { sla: 60, model: 'deepseek:r1-32b', input: 'Hello model, how are you?' },
        ],
        file: [{ file_id: 'ae0b977c-76a0-4d71-81a5-05a6d8844852', sla: 60 }],
      },
    },
    responses: {
      200: {
        description: 'the task; items without an SLA come back answered (waits up to 30 s)',
        schema: R.TaskResponseSchema,
        links: {
          task: { operation: 'GET /v0/infer/task/{taskId}/', parameters: { taskId: '$response.body#/task_id' } },
          object: { operation: 'GET /v0/infer/object/{objectId}/', parameters: { objectId: '$response.body#/objects/0/object_id' } },
        },
      },
    },
    errors: { ...ACCOUNT, ...JSON_BODY, 404: 'model_not_found; not_found (the file)', 422: "validation_error (fields named like `items[2].model`; `query.callback_url` not https or an internal address), invalid_file; sla_capacity_exceeded: a model's SLA items (or a file's lines, tallied at upload) are more than its providers' rate limits allow in the window (the message names the model, the count, the window and about how many fit)" },
  },
  'GET /v0/infer/tasks': {
    summary: "The account's tasks, newest first, with their counts by status",
    tag: 'SLA batch',
    auth: 'account',
    query: ListTasksQuerySchema,
    responses: { 200: { description: 'a page of tasks', schema: R.TaskListSchema } },
    errors: { ...ACCOUNT, 404: 'not_found: `after` names no task of the account', 422: 'validation_error (a bad or unknown parameter: `limit`, `status`, `created_after`)' },
  },
  'GET /v0/infer/task/{taskId}/': {
    summary: "A task's status, counts by status and one page of its objects in item order (or, for `Output-Format: jsonl`, counts and `output_url`)",
    tag: 'SLA batch',
    auth: 'account',
    params: { taskId: 'the task id' },
    query: TaskObjectsQuerySchema,
    responses: { 200: { description: 'the task', schema: R.TaskResponseSchema } },
    errors: { ...ACCOUNT, ...PATH_ID, 404: "not_found: unknown, or another account's; `after` names no object of the task", 422: 'validation_error (a bad or unknown parameter)' },
  },
  'POST /v0/infer/task/{taskId}/cancel': {
    summary: 'Cancel a task: objects not started end unrun and their funds are released; running and finished ones are kept and charged',
    tag: 'SLA batch',
    auth: 'account',
    params: { taskId: 'the task id' },
    responses: { 200: { description: 'the task, `cancelling` until its last object ended, then `cancelled`', schema: R.TaskResponseSchema } },
    errors: { ...ACCOUNT, ...PATH_ID, 404: "not_found: unknown, or another account's", 409: 'task_not_cancellable: the task has ended' },
  },
  'GET /v0/infer/task/{taskId}/webhooks': {
    summary: "The task's webhook deliveries (to its `callback_url`) in order, each with its attempts",
    tag: 'SLA batch',
    auth: 'account',
    params: { taskId: 'the task id' },
    responses: { 200: { description: 'the delivery log', schema: R.WebhookDeliveryListSchema } },
    errors: { ...ACCOUNT, ...PATH_ID, 404: "not_found: unknown, or another account's" },
  },
  'POST /v1/webhook-secret': {
    summary: 'A new webhook signing secret for the account (the previous one stops signing), shown once',
    tag: 'Account',
    auth: 'account',
    responses: { 201: { description: 'the secret', schema: R.WebhookSecretSchema } },
    errors: { ...ACCOUNT },
  },
  'PUT /v1/webhook-endpoint': {
    summary: "The account's default callback URL, for tasks and batches submitted without a `callback_url` (null: none)",
    tag: 'Account',
    auth: 'account',
    body: { kind: 'json', schema: WebhookEndpointBody, examples: { set: { url: 'https://example.com/sluice-webhooks' }, clear: { url: null } } },
    responses: { 200: { description: 'the default callback URL', schema: R.WebhookEndpointSchema } },
    errors: { ...ACCOUNT, ...JSON_BODY, 422: 'validation_error: `url` not https or an internal address (loopback and private ones, also over http, only to a loopback or private address with SLUICE_WEBHOOK_ALLOW_HTTP), over 512 characters, an unknown field' },
  },
  'GET /v0/infer/object/{objectId}/': {
    summary: 'One object: status, usage, output or error',
    tag: 'SLA batch',
    auth: 'account',
    params: { objectId: 'the object id' },
    responses: { 200: { description: 'the object', schema: R.ObjectViewSchema } },
    errors: { ...ACCOUNT, ...PATH_ID, 404: "not_found: unknown, or another account's" },
  },
  'PUT /v0/files/{name}': {
    summary: 'Upload a JSONL file (seed `{key, request}` or OpenAI Batch lines), named in the path',
    tag: 'Files',
    auth: 'account',
    params: { name: 'the file name: 1–255 characters, no slash, not . or ..' },
    body: { kind: 'upload', raw: true },
    responses: { 200: { description: 'the stored file', schema: R.FileViewSchema, links: FILE_LINKS } },
    errors: { ...ACCOUNT, ...PATH_ID, ...UPLOAD },
  },
  'PUT /v0/files/': {
    summary: "Upload a JSONL file as multipart, named by the part's filename",
    tag: 'Files',
    auth: 'account',
    body: { kind: 'upload' },
    responses: { 200: { description: 'the stored file', schema: R.FileViewSchema, links: FILE_LINKS } },
    errors: { ...ACCOUNT, ...UPLOAD },
  },
  'GET /v0/files': {
    summary: "The account's files (uploads and results), newest first",
    tag: 'Files',
    auth: 'account',
    query: ListFilesV0QuerySchema,
    responses: { 200: { description: 'a page of files', schema: R.FileListSchema } },
    errors: { ...ACCOUNT, 404: 'not_found: `after` names no file of the account', 422: 'validation_error (a bad or unknown parameter)' },
  },
  'DELETE /v0/files/{fileId}': {
    summary: 'Delete a file: it is no longer listed, read or usable for a new task (tasks already submitted on it go on)',
    tag: 'Files',
    auth: 'account',
    params: { fileId: 'the file id' },
    responses: { 200: { description: 'the file is deleted', schema: R.FileDeletedSchema } },
    errors: { ...ACCOUNT, ...PATH_ID, 404: "not_found: unknown, deleted, or another account's" },
  },
  'GET /v0/files/{fileId}': {
    summary: "A file's metadata",
    tag: 'Files',
    auth: 'account',
    params: { fileId: 'the file id' },
    responses: { 200: { description: 'the file', schema: R.FileViewSchema } },
    errors: { ...ACCOUNT, ...PATH_ID, 404: "not_found: unknown, or another account's" },
  },
  'GET /v0/files/{fileId}/content': {
    summary: "Download a file (an upload, or a task's results: `output_url`)",
    tag: 'Files',
    auth: 'account',
    params: { fileId: 'the file id' },
    responses: { 200: { description: 'the bytes, as uploaded (JSONL for results)', content: { '*/*': { type: 'string', format: 'binary' } } } },
    errors: { ...ACCOUNT, ...PATH_ID, 404: "not_found: unknown, or another account's" },
  },
  'POST /v1/inference': {
    summary: 'One routed real-time inference, answered with its charge',
    tag: 'Real time',
    auth: 'account',
    headers: [IdempotencyKey],
    body: {
      kind: 'json',
      schema: RealtimeRequestSchema,
      examples: {
        fast: { model: 'qwen-7b', input: 'Hi!', max_output_tokens: 64, performance_profile: 'fast' },
        capped: { model: 'llama-3.1-8b', input: 'Summarize inference routing in two sentences.', max_output_tokens: 256, customer_ref: 'order-9921', max_price_usd: 0.02, max_latency_ms: 800, metadata: { env: 'staging' } },
      },
    },
    responses: { 200: { description: 'the answer', schema: R.InferenceResponseSchema, headers: replayHeader, links: { record: { operation: 'GET /v1/inference/{id}', parameters: { id: '$response.body#/id' } } } } },
    errors: {
      ...ACCOUNT,
      ...JSON_BODY,
      ...GATEWAY,
      400: 'invalid_request: the body is not JSON; unsupported_parameter: a generation parameter no provider of the model takes',
      422: 'validation_error, price_cap_exceeded, latency_cap_exceeded, idempotency_key_reused_with_different_request',
    },
  },
  'GET /v1/inference/{id}': {
    summary: 'A real-time request: its answer once charged, else where it stands',
    tag: 'Real time',
    auth: 'account',
    params: { id: 'the inference id (or the chat completion id, `chatcmpl-…`)' },
    responses: { 200: { description: 'the request', schema: R.InferenceRecordSchema } },
    errors: { ...ACCOUNT, ...PATH_ID, 404: "not_found: unknown, or another account's" },
  },
  'GET /v1/balance': {
    summary: "The wallet's spendable balance",
    tag: 'Account',
    auth: 'account',
    responses: { 200: { description: 'the balance', schema: R.BalanceSchema } },
    errors: { ...ACCOUNT },
  },
  'GET /v1/transactions': {
    summary: "The wallet's movements, newest first, each with the available balance before and after",
    tag: 'Account',
    auth: 'account',
    query: PageQuerySchema,
    responses: { 200: { description: 'a page of transactions', schema: R.TransactionListSchema } },
    errors: { ...ACCOUNT, 404: 'not_found: `after` names no transaction of the account', 422: 'validation_error (a bad or unknown parameter)' },
  },
  'GET /v1/usage': {
    summary: 'Requests, tokens and cost of the completed requests and items in [start_time, end_time), by model or UTC day',
    tag: 'Account',
    auth: 'account',
    query: UsageQuerySchema,
    responses: { 200: { description: 'the usage', schema: R.UsageReportSchema } },
    errors: { ...ACCOUNT, 422: 'validation_error (a bad or unknown parameter, start_time not before end_time)' },
  },
  'GET /v1/api-keys': {
    summary: 'The account’s keys, newest first: prefix, state, last use (never the key)',
    tag: 'Account',
    auth: 'account',
    query: PageQuerySchema,
    responses: { 200: { description: 'a page of keys', schema: R.ApiKeyListSchema } },
    errors: { ...ACCOUNT, 404: 'not_found: `after` names no key of the account', 422: 'validation_error (a bad or unknown parameter)' },
  },
  'POST /v1/api-keys': {
    summary: 'Another key for the caller’s account (shown once)',
    tag: 'Account',
    auth: 'account',
    body: { kind: 'json', schema: CreateKeyBody, optional: true, examples: { limited: { rpm_limit: 600 } } },
    responses: { 201: { description: 'the new key', schema: R.ApiKeyCreatedSchema, links: { deactivate: { operation: 'POST /v1/api-keys/{keyId}/deactivate', parameters: { keyId: '$response.body#/id' } } } } },
    errors: { ...ACCOUNT, ...JSON_BODY, 422: 'validation_error: a body that is not an object, an unknown field, a bad rpm_limit' },
  },
  'POST /v1/api-keys/{keyId}/deactivate': {
    summary: 'Deactivate one of the account’s keys',
    tag: 'Account',
    auth: 'account',
    params: { keyId: 'the key id' },
    responses: { 200: { description: 'the key, inactive', schema: R.ApiKeyDeactivatedSchema } },
    errors: { ...ACCOUNT, ...JSON_BODY, ...PATH_ID, 404: "not_found: unknown, or another account's" },
  },
  'POST /v0/admin/accounts': {
    summary: 'Open an account with a first key and an optional credit',
    tag: 'Admin',
    auth: 'admin',
    body: { kind: 'json', schema: CreateAccountBody, examples: { demo: { name: 'demo', credit_usd: 5 } } },
    responses: {
      201: {
        description: 'the account and its key (shown once)',
        schema: R.AccountCreatedSchema,
        links: { credit: { operation: 'POST /v0/admin/accounts/{accountId}/credit', parameters: { accountId: '$response.body#/account_id' } } },
      },
    },
    errors: { ...ADMIN, ...JSON_BODY, 422: 'validation_error' },
  },
  'POST /v0/admin/accounts/{accountId}/credit': {
    summary: "Credit an account's wallet (idempotent per account and `reference`)",
    tag: 'Admin',
    auth: 'admin',
    params: { accountId: 'the account id' },
    body: { kind: 'json', schema: CreditBody, examples: { invoice: { amount_usd: 10, reference: 'invoice-2026-001' } } },
    responses: { 202: { description: 'the credit, requested (billing applies it)', schema: R.CreditRequestedSchema } },
    errors: { ...ADMIN, ...JSON_BODY, ...PATH_ID, 404: 'not_found: unknown account', 409: 'credit_reference_reused', 422: 'validation_error' },
  },
  'GET /healthz': {
    summary: 'The log and each service',
    tag: 'Operations',
    auth: 'none',
    responses: { 200: { description: 'all up', schema: R.HealthSchema }, 503: { description: 'something is down; the body says what', schema: R.HealthSchema } },
    errors: {},
  },
  'GET /metrics': {
    summary: "Prometheus metrics of the process (served by the platform's HTTP host; off with SLUICE_METRICS=false)",
    tag: 'Operations',
    auth: 'none',
    responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { type: 'string' } } } },
    errors: {},
  },
  'GET /openapi.json': {
    summary: 'This document',
    tag: 'Operations',
    auth: 'none',
    responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { type: 'object' } } } },
    errors: {},
  },
  'GET /docs': {
    summary: 'This document as a page (no external assets)',
    tag: 'Operations',
    auth: 'none',
    responses: { 200: { description: 'HTML', content: { 'text/html': { type: 'string' } } } },
    errors: {},
  },
  'GET /v1/models': {
    summary: 'Every model name a request may use (OpenAI)',
    tag: 'OpenAI-compatible',
    auth: 'account',
    responses: { 200: { description: 'the models', schema: R.ModelListSchema } },
    errors: { ...ACCOUNT },
  },
  'GET /v1/models/{model}': {
    summary: 'One model (its name may hold slashes)',
    tag: 'OpenAI-compatible',
    auth: 'account',
    params: { model: 'a model id or alias' },
    responses: { 200: { description: 'the model', schema: R.ModelSchema } },
    errors: { ...ACCOUNT, ...OPENAI_PATH_ID, 404: 'model_not_found' },
  },
  'POST /v1/chat/completions': {
    summary: 'OpenAI chat completions on the real-time gateway (`stream: true` for server-sent events)',
    tag: 'OpenAI-compatible',
    auth: 'account',
    headers: [IdempotencyKey],
    body: {
      kind: 'json',
      schema: ChatCompletionRequestSchema,
      openAiStrict: true,
      examples: {
        plain: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi!' }] },
        streamed: { model: 'qwen-7b', messages: [{ role: 'user', content: 'Hi!' }], stream: true, stream_options: { include_usage: true }, performance_profile: 'economy' },
      },
    },
    responses: {
      200: {
        description: 'the completion, or with `stream: true` `chat.completion.chunk` events then `[DONE]`',
        schema: R.ChatCompletionSchema,
        events: R.ChatCompletionChunkSchema,
        headers: replayHeader,
        links: { record: { operation: 'GET /v1/inference/{id}', parameters: { id: '$response.body#/id' } } },
      },
    },
    errors: {
      ...ACCOUNT,
      ...JSON_BODY,
      ...GATEWAY,
      400: 'validation_error (a bad or unsupported field, named in `param`), unsupported_parameter, invalid_request',
      422: 'price_cap_exceeded, latency_cap_exceeded, idempotency_key_reused_with_different_request',
    },
  },
  'POST /v1/files': {
    summary: 'Upload an OpenAI Batch input file (multipart, `purpose=batch`)',
    tag: 'OpenAI-compatible',
    auth: 'account',
    body: { kind: 'upload', fields: { purpose: ['batch'] } },
    responses: {
      200: {
        description: 'the file',
        schema: R.OpenAiFileSchema,
        links: {
          file: { operation: 'GET /v1/files/{fileId}', parameters: { fileId: '$response.body#/id' } },
          content: { operation: 'GET /v1/files/{fileId}/content', parameters: { fileId: '$response.body#/id' } },
          batch: { operation: 'POST /v1/batches', requestBody: { input_file_id: '$response.body#/id', endpoint: '/v1/chat/completions', completion_window: '24h' } },
        },
      },
    },
    errors: { ...ACCOUNT, ...UPLOAD, 400: 'validation_error (purpose), invalid_file_name, missing_file, invalid_multipart, invalid_request' },
  },
  'GET /v1/files': {
    summary: "The account's files, newest first unless `order=asc`",
    tag: 'OpenAI-compatible',
    auth: 'account',
    query: ListFilesQuerySchema,
    responses: { 200: { description: 'a page of files', schema: R.OpenAiFileListSchema } },
    errors: { ...ACCOUNT, 400: 'validation_error (a bad or unknown parameter)', 404: 'not_found: `after` names no file of the account' },
  },
  'GET /v1/files/{fileId}': {
    summary: 'One file (OpenAI)',
    tag: 'OpenAI-compatible',
    auth: 'account',
    params: { fileId: 'the file id' },
    responses: { 200: { description: 'the file', schema: R.OpenAiFileSchema } },
    errors: { ...ACCOUNT, ...OPENAI_PATH_ID, 404: "not_found: unknown, or another account's" },
  },
  'GET /v1/files/{fileId}/content': {
    summary: "A file's bytes (OpenAI)",
    tag: 'OpenAI-compatible',
    auth: 'account',
    params: { fileId: 'the file id' },
    responses: { 200: { description: 'the bytes', content: { '*/*': { type: 'string', format: 'binary' } } } },
    errors: { ...ACCOUNT, ...OPENAI_PATH_ID, 404: "not_found: unknown, or another account's" },
  },
  'DELETE /v1/files/{fileId}': {
    summary: 'Delete a file (as `DELETE /v0/files/{fileId}`)',
    tag: 'OpenAI-compatible',
    auth: 'account',
    params: { fileId: 'the file id' },
    responses: { 200: { description: 'the file is deleted', schema: R.OpenAiFileDeletedSchema } },
    errors: { ...ACCOUNT, ...OPENAI_PATH_ID, 404: "not_found: unknown, deleted, or another account's" },
  },
  'POST /v1/batches': {
    summary: 'Run an uploaded file as a batch; `completion_window` is the SLA window',
    tag: 'OpenAI-compatible',
    auth: 'account',
    body: { kind: 'json', schema: CreateBatchSchema, examples: { day: { input_file_id: 'ae0b977c-76a0-4d71-81a5-05a6d8844852', endpoint: '/v1/chat/completions', completion_window: '24h' } } },
    responses: {
      200: {
        description: 'the batch',
        schema: R.BatchSchema,
        links: {
          batch: { operation: 'GET /v1/batches/{batchId}', parameters: { batchId: '$response.body#/id' } },
          cancel: { operation: 'POST /v1/batches/{batchId}/cancel', parameters: { batchId: '$response.body#/id' } },
        },
      },
    },
    errors: { ...ACCOUNT, ...JSON_BODY, 400: 'validation_error (named in `param`), invalid_request', 404: 'not_found: the input file', 422: "invalid_file; sla_capacity_exceeded: the file's lines for a model are more than its providers' rate limits allow in the completion window" },
  },
  'GET /v1/batches': {
    summary: "The account's batches, newest first",
    tag: 'OpenAI-compatible',
    auth: 'account',
    query: ListBatchesQuerySchema,
    responses: { 200: { description: 'a page of batches', schema: R.BatchListSchema } },
    errors: { ...ACCOUNT, 400: 'validation_error (a bad or unknown parameter)', 404: 'not_found: `after` names no batch of the account' },
  },
  'GET /v1/batches/{batchId}': {
    summary: 'One batch',
    tag: 'OpenAI-compatible',
    auth: 'account',
    params: { batchId: 'the batch id' },
    responses: { 200: { description: 'the batch', schema: R.BatchSchema } },
    errors: { ...ACCOUNT, ...OPENAI_PATH_ID, 404: "not_found: unknown, or another account's" },
  },
  'POST /v1/batches/{batchId}/cancel': {
    summary: 'Cancel a batch that has not ended',
    tag: 'OpenAI-compatible',
    auth: 'account',
    params: { batchId: 'the batch id' },
    responses: { 200: { description: 'the batch, cancelling', schema: R.BatchSchema } },
    errors: { ...ACCOUNT, ...JSON_BODY, ...OPENAI_PATH_ID, 404: "not_found: unknown, or another account's", 409: 'batch_not_cancellable' },
  },
};
