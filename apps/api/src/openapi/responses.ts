import { z } from 'zod';
import { ErrorEnvelopeSchema, OpenAiErrorEnvelopeSchema } from '../errors/error-envelope';

/**
 * What the API answers, as the OpenAPI document describes it. The views that build these
 * answers are typed on their own; openapi.spec.ts proves at compile time that each view's
 * return type fits its schema here, and schemathesis checks real answers against them.
 */

/** The document's named schemas (`#/components/schemas/<id>`); an answer refers to its schema by name. */
export const components = z.registry<{ id: string }>();
components.add(ErrorEnvelopeSchema, { id: 'Error' });
components.add(OpenAiErrorEnvelopeSchema, { id: 'OpenAiError' });

const id = z.string();
const usd = z.number().describe('US dollars');
const int = z.int().nonnegative();
const unixSeconds = z.int().describe('Unix time in seconds');
const isoInstant = z.string().describe('ISO 8601 instant');
const FailureSchema = z.object({ code: z.string(), message: z.string() });

const ObjectStatusSchema = z.enum(['submitted', 'queued', 'running', 'completed', 'failed']);
const TaskStatusSchema = z.enum(['submitted', 'queued', 'running', 'completed', 'failed', 'cancelling', 'cancelled']).describe('`cancelling` once cancelled until its last object ended, then `cancelled`');
const TaskCountsSchema = z
  .object({ submitted: int, queued: int, running: int, completed: int, failed: int })
  .describe("the task's objects by status, over all of them (objects cancelled before they started are `failed`, code `batch_cancelled`)")
  .register(components, { id: 'TaskCounts' });
const PageFields = { has_more: z.boolean(), next: z.string().nullable().describe('pass as `after` for the next page; null on the last') };

const UsageSchema = z.object({ input_tokens: int, price_factor: z.number(), output_tokens: int.optional().describe('once completed') });
const OutputSchema = z.object({
  type: z.literal('text'),
  text: z.string().nullable().describe('null when the output is kept as a blob (`blob_key`)'),
  blob_key: z.string().optional(),
});

/** `GET /v0/infer/object/{id}`. */
export const ObjectViewSchema = z
  .object({
    object_id: id,
    key: z.string().optional().describe("the file line's key, for an object that came from a file"),
    status: ObjectStatusSchema,
    usage: UsageSchema,
    error: FailureSchema.nullable(),
    output: OutputSchema.nullable(),
    model: z.string().nullable(),
    sla_missed: z.boolean(),
  })
  .register(components, { id: 'InferObject' });

/** An object inside a task: output only once completed, error only on failure; model and sla_missed once the read model has it. */
const TaskObjectSchema = z.object({
  object_id: id,
  key: z.string().optional(),
  status: ObjectStatusSchema,
  usage: UsageSchema,
  error: FailureSchema.optional(),
  output: OutputSchema.optional(),
  model: z.string().nullable().optional(),
  sla_missed: z.boolean().optional(),
});

const InlineTaskSchema = z
  .object({
    status: TaskStatusSchema,
    task_id: id,
    total_items: int,
    counts: TaskCountsSchema.optional().describe('on GET (and cancel)'),
    objects: z.array(TaskObjectSchema).describe('on GET: one page, in item order (`limit`, `after`, `status`)'),
    has_more: z.boolean().optional(),
    next: PageFields.next.optional(),
  })
  .register(components, { id: 'Task' });
const FileTaskSchema = z.object({ status: TaskStatusSchema, task_id: id, total_items: int }).register(components, { id: 'FileTaskSubmitted' });
const JsonlTaskSchema = z
  .object({
    status: TaskStatusSchema,
    task_id: id,
    total_items: int,
    completed_items: int,
    failed_items: int,
    counts: TaskCountsSchema,
    output_url: z.string().optional().describe('where the results file is downloaded, once written'),
    output_file_id: z.string().optional(),
  })
  .register(components, { id: 'JsonlTask' });

/** `POST /v0/infer/` and `GET /v0/infer/task/{id}/`: the objects, or (`Output-Format: jsonl`) counts and the results file, or a file task just submitted. */
export const TaskResponseSchema = z.union([InlineTaskSchema, JsonlTaskSchema, FileTaskSchema]).register(components, { id: 'TaskResponse' });

/** `GET /v0/infer/tasks`: newest first. */
export const TaskListSchema = z
  .object({
    tasks: z.array(
      z.object({
        task_id: id,
        status: TaskStatusSchema,
        total_items: int,
        counts: TaskCountsSchema,
        output_format: z.enum(['json', 'jsonl']),
        file_id: z.string().nullable().describe('the uploaded file of a file task'),
        created_at: isoInstant,
        cancelled_at: isoInstant.nullable(),
      }),
    ),
    ...PageFields,
  })
  .register(components, { id: 'TaskList' });

/** `PUT /v0/files/…`, `GET /v0/files/{id}`. */
export const FileViewSchema = z
  .object({
    file_id: id,
    file_name: z.string(),
    bytes: int,
    mime_type: z.string(),
    sha256: z.string(),
    items: int.describe('lines that hold a request'),
    format: z.string().nullable().describe('the lines\' format (seed or OpenAI Batch); null for an output file'),
    purpose: z.enum(['input', 'output', 'error']),
    created_at: isoInstant,
  })
  .register(components, { id: 'File' });

/** `GET /v0/files`: newest first. */
export const FileListSchema = z.object({ files: z.array(FileViewSchema), ...PageFields }).register(components, { id: 'FileList' });
export const FileDeletedSchema = z.object({ file_id: id, deleted: z.literal(true) });

const InferenceBillingSchema = z.object({
  cost_usd: usd,
  cost_display: z.string(),
  input_tokens: int,
  output_tokens: int,
  total_tokens: int,
  cost_per_million_tokens_usd: usd.optional().describe('blended rate, when tokens > 0'),
  balance_remaining_usd: usd,
});
const PerformanceSchema = z.object({ latency_ms: z.number(), provider_latency_ms: z.number().optional(), estimated_latency_ms: z.number().optional() });

/** `POST /v1/inference` (the real-time seed's response). */
export const InferenceResponseSchema = z
  .object({
    id,
    object: z.literal('inference'),
    model: z.string().describe('the name asked for'),
    output_text: z.string(),
    status: z.literal('success'),
    usage: z.object({ input_tokens: int, output_tokens: int, total_tokens: int }),
    performance: PerformanceSchema,
    billing: InferenceBillingSchema,
  })
  .register(components, { id: 'Inference' });

const CustomerFields = { customer_ref: z.string().nullable(), metadata: z.unknown().describe('the metadata sent, or null') };

/** `GET /v1/inference/{id}`: the answer once charged, else where the request stands. */
export const InferenceRecordSchema = z.union([
  InferenceResponseSchema.extend(CustomerFields),
  z.object({ id, object: z.literal('inference'), model: z.string(), status: z.enum(['submitted', 'queued', 'running', 'charging', 'failed']), error: FailureSchema.optional(), ...CustomerFields }),
]).register(components, { id: 'InferenceRecord' });

export const BalanceSchema = z.object({ object: z.literal('balance'), current_balance_usd: usd }).register(components, { id: 'Balance' });

export const ApiKeyCreatedSchema = z.object({
  object: z.literal('api_key'),
  id,
  key: z.string().describe('shown only in this answer'),
  prefix: z.string(),
  active: z.literal(true),
  rpm_limit: z.int().nullable().describe('requests per minute this key may send (per API replica); null: no ceiling'),
  created_at: isoInstant,
}).register(components, { id: 'ApiKeyCreated' });
export const ApiKeyDeactivatedSchema = z.object({ object: z.literal('api_key'), id, active: z.literal(false), deactivated_at: isoInstant }).register(components, { id: 'ApiKeyDeactivated' });

/** `GET /v1/api-keys`: a key without its secret. */
export const ApiKeySchema = z.object({
  object: z.literal('api_key'),
  id,
  prefix: z.string().describe('the first characters of the key, to tell keys apart'),
  state: z.enum(['active', 'inactive']),
  active: z.boolean(),
  rpm_limit: z.int().nullable().describe('requests per minute this key may send (per API replica); null: no ceiling'),
  created_at: isoInstant,
  last_used_at: isoInstant.nullable().describe('when the key last authenticated a request, to the minute; null: never'),
  deactivated_at: isoInstant.nullable(),
}).register(components, { id: 'ApiKey' });
export const ApiKeyListSchema = z
  .object({ object: z.literal('list'), data: z.array(ApiKeySchema).readonly(), first_id: z.string().nullable(), last_id: z.string().nullable(), has_more: z.boolean() })
  .register(components, { id: 'ApiKeyList' });

/** `GET /v1/transactions`: one movement of the wallet's available balance (what GET /v1/balance shows). */
export const TransactionSchema = z.object({
  object: z.literal('transaction'),
  id: id.describe('the billing event it comes from'),
  type: z.enum(['credit', 'reservation', 'charge', 'release']).describe(
    'credit: a top-up; reservation: funds held for a request or item; charge: the request was charged `charged_usd` and the rest of `reserved_usd` went back; release: an unrun reservation went back',
  ),
  amount_usd: usd.describe('the change to the available balance: balance_after_usd − balance_before_usd (negative for a reservation)'),
  balance_before_usd: usd,
  balance_after_usd: usd,
  charged_usd: usd.nullable().describe('a charge: what the request cost'),
  reserved_usd: usd.nullable().describe('a reservation, charge or release: what the reservation held'),
  object_id: z.string().nullable().describe('the object (SLA item or real-time request) it concerns; null for a credit'),
  reference: z.string().nullable().describe("a credit's reference"),
  created_at: isoInstant,
}).register(components, { id: 'Transaction' });
export const TransactionListSchema = z
  .object({ object: z.literal('list'), data: z.array(TransactionSchema).readonly(), first_id: z.string().nullable(), last_id: z.string().nullable(), has_more: z.boolean() })
  .register(components, { id: 'TransactionList' });

const UsageFigures = { requests: int, input_tokens: int, output_tokens: int, total_tokens: int, cost_usd: usd };
/** `GET /v1/usage`. */
export const UsageReportSchema = z.object({
  object: z.literal('usage'),
  start_time: isoInstant,
  end_time: isoInstant,
  group_by: z.enum(['model', 'day']),
  data: z.array(z.object({ model: z.string().optional().describe('group_by=model'), day: z.string().optional().describe('group_by=day: YYYY-MM-DD (UTC)'), ...UsageFigures })).readonly(),
  total: z.object(UsageFigures),
}).register(components, { id: 'Usage' });

export const AccountCreatedSchema = z.object({ account_id: id, name: z.string(), api_key: z.string(), api_key_id: id, rpm_limit: z.int().nullable(), credit_usd: usd }).register(components, { id: 'AccountCreated' });
export const CreditRequestedSchema = z.object({ account_id: id, amount_usd: usd, reference: z.string(), status: z.enum(['requested', 'already_requested']) }).register(components, { id: 'CreditRequested' });

const PriceRange = z.object({ min: usd, max: usd });
/** OpenAI's model object with Sluice's extension. */
export const ModelSchema = z
  .object({
    id: z.string(),
    object: z.literal('model'),
    created: z.int(),
    owned_by: z.string(),
    sluice: z.object({
      canonical_id: z.string(),
      context_tokens: int,
      max_output_tokens: int,
      providers: int,
      realtime_price_usd_per_million_tokens: z.object({ input: PriceRange, output: PriceRange }).nullable(),
      sla_base_price_usd_per_million_tokens: z.object({ input: usd, output: usd }),
    }),
  })
  .register(components, { id: 'Model' });
export const ModelListSchema = z.object({ object: z.literal('list'), data: z.array(ModelSchema) }).register(components, { id: 'ModelList' });

/** OpenAI's chat.completion with the billing and performance blocks of /v1/inference. */
export const ChatCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: unixSeconds,
    model: z.string(),
    choices: z
      .array(
        z.object({
          index: z.literal(0),
          message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
          logprobs: z.null(),
          finish_reason: z.string(),
        }),
      )
      .length(1),
    usage: z.object({ prompt_tokens: int, completion_tokens: int, total_tokens: int }),
    system_fingerprint: z.null(),
    billing: InferenceBillingSchema,
    performance: PerformanceSchema,
  })
  .register(components, { id: 'ChatCompletion' });

/** One event of a streamed chat completion (`stream: true`). */
export const ChatCompletionChunkSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion.chunk'),
    created: unixSeconds,
    model: z.string(),
    system_fingerprint: z.null(),
    choices: z.array(
      z.object({
        index: z.literal(0),
        delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
        logprobs: z.null(),
        finish_reason: z.string().nullable(),
      }),
    ),
    usage: ChatCompletionSchema.shape.usage.optional().describe('the last chunk, with stream_options.include_usage'),
    billing: InferenceBillingSchema.optional(),
    performance: PerformanceSchema.optional(),
  })
  .register(components, { id: 'ChatCompletionChunk' });

/** OpenAI's file object. */
export const OpenAiFileSchema = z
  .object({
    id,
    object: z.literal('file'),
    bytes: int,
    created_at: unixSeconds,
    filename: z.string(),
    purpose: z.enum(['batch', 'batch_output']),
    status: z.literal('processed'),
    expires_at: z.null(),
    status_details: z.null(),
  })
  .register(components, { id: 'OpenAiFile' });

const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ object: z.literal('list'), data: z.array(item).readonly(), first_id: z.string().nullable(), last_id: z.string().nullable(), has_more: z.boolean() });
export const OpenAiFileListSchema = listOf(OpenAiFileSchema).register(components, { id: 'OpenAiFileList' });
export const OpenAiFileDeletedSchema = z.object({ id, object: z.literal('file'), deleted: z.literal(true) });

const nullableTime = unixSeconds.nullable();
/** OpenAI's batch object with Sluice's extension. */
export const BatchSchema = z
  .object({
    id,
    object: z.literal('batch'),
    endpoint: z.string(),
    errors: z
      .object({ object: z.literal('list'), data: z.array(z.object({ code: z.string(), message: z.string(), param: z.string().nullable(), line: z.int().nullable() })) })
      .nullable(),
    input_file_id: z.string(),
    completion_window: z.string(),
    status: z.enum(['validating', 'failed', 'in_progress', 'finalizing', 'completed', 'expired', 'cancelling', 'cancelled']),
    output_file_id: z.string().nullable(),
    error_file_id: z.string().nullable(),
    created_at: unixSeconds,
    in_progress_at: nullableTime,
    expires_at: unixSeconds,
    finalizing_at: nullableTime,
    completed_at: nullableTime,
    failed_at: nullableTime,
    expired_at: nullableTime,
    cancelling_at: nullableTime,
    cancelled_at: nullableTime,
    request_counts: z.object({ total: int, completed: int, failed: int }),
    metadata: z.record(z.string(), z.string()).nullable(),
    sluice: z.object({ sla_minutes: int, price_factor: z.number().nullable(), expected_cost_usd: usd, charged_usd: usd }),
  })
  .register(components, { id: 'Batch' });
export const BatchListSchema = listOf(BatchSchema).register(components, { id: 'BatchList' });

const ServiceReportSchema = z.object({ status: z.enum(['up', 'down']), instances: int, lastSeenAt: z.string().nullable() });
/** `GET /healthz`: 200 when the log and all five services are up, 503 otherwise. */
export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  log: z.object({ kind: z.string(), ok: z.boolean(), detail: z.string().optional() }),
  services: z.record(z.enum(['api', 'scheduler', 'router', 'billing', 'files']), ServiceReportSchema),
}).register(components, { id: 'Health' });

/** `POST /v1/webhook-secret`. */
export const WebhookSecretSchema = z
  .object({
    object: z.literal('webhook_secret'),
    secret: z.string().describe('signs every webhook of the account from now on (Sluice-Signature); shown only in this answer'),
    created_at: isoInstant,
  })
  .register(components, { id: 'WebhookSecret' });

const WebhookAttemptSchema = z.object({
  attempted_at: isoInstant,
  status_code: z.int().nullable().describe("the receiver's HTTP status; null when it could not be reached"),
  error: z.string().nullable(),
});

/** `GET /v0/infer/task/{taskId}/webhooks`. */
export const WebhookDeliveryListSchema = z
  .object({
    object: z.literal('list'),
    data: z
      .array(
        z.object({
          event_id: z.string().describe('the Sluice-Event-Id header and the body\'s `id`'),
          type: z.enum(['task.completed', 'task.failed', 'task.cancelled']),
          url: z.string(),
          status: z.enum(['pending', 'delivered', 'failed']).describe('failed: no 2xx within 24 h'),
          attempts: z.int(),
          created_at: isoInstant,
          delivered_at: isoInstant.nullable(),
          next_attempt_at: isoInstant.nullable(),
          log: z.array(WebhookAttemptSchema).readonly(),
        }),
      )
      .readonly(),
  })
  .register(components, { id: 'WebhookDeliveryList' });

/** `PUT /v1/webhook-endpoint`. */
export const WebhookEndpointSchema = z
  .object({ object: z.literal('webhook_endpoint'), url: z.string().nullable().describe("the account's default callback URL; null: none") })
  .register(components, { id: 'WebhookEndpoint' });
