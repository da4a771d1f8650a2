import { z } from 'zod';
import { defineEvent } from '../define-event';
import { Topics } from '../topics';
import { ExecutionMode, GenerationParams, Id, Micros, Pricing, Routing, TextOrRef, Work, WorkInput } from './common';

const objectKey = (p: { objectId: string }) => p.objectId;

/**
 * The life of one object, all keyed by objectId so it stays in order:
 * ObjectSubmitted (api) → FundsReserved | FundsDenied (billing) → ObjectScheduled →
 * ObjectDispatched (scheduler; or BatchDispatched for a provider batch job) →
 * QuoteAccepted | QuoteRejected → ObjectCompleted | ObjectFailed (router) → on a failure the
 * scheduler retries (another ObjectDispatched) or ends it with ObjectAbandoned.
 * A real-time request is run by the API's gateway first and then written in one append:
 * ObjectSubmitted (gateway) → QuoteAccepted… → ObjectCompleted, or ObjectFailed → ObjectAbandoned.
 */
export const ObjectSubmitted = defineEvent({
  type: 'ObjectSubmitted',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  producedBy: ['api', 'files'],
  description: 'One object to run: an inline item, a line of a file, or a real-time request the gateway already served.',
  schema: z.object({
    objectId: Id,
    taskId: Id,
    accountId: Id,
    /** Position in the task (input order), and the line key when it came from a file. */
    index: z.number().int().nonnegative(),
    itemKey: z.string().optional(),
    /** The model's canonical id (aliases are resolved at the edge). */
    model: z.string().min(1),
    input: WorkInput,
    inputTokens: z.number().int().nonnegative(),
    /** Output tokens the reservation covers and the provider may produce. */
    maxOutputTokens: z.number().int().positive(),
    /** Sampling and format the customer asked for, passed on to the provider. */
    params: GenerationParams.optional(),
    /** Minutes; null = run at once. */
    slaMinutes: z.number().int().positive().nullable(),
    deadlineAt: z.iso.datetime(),
    pricing: Pricing,
    routing: Routing.optional(),
    /** Customer fields of the real-time API, kept on the object. */
    customerRef: z.string().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    /** The task wants its results as a JSONL file: the files service keeps this object's result. */
    collectOutput: z.boolean().optional(),
    /**
     * Run and answered by the real-time gateway before this event was written (its outcome
     * follows in the same append): the scheduler and router leave it alone, and billing
     * reserves what the wallet holds up to the bound, since the request was served.
     */
    gateway: z.literal(true).optional(),
  }),
});

/**
 * A line of an uploaded file that cannot run (broken JSON, unknown model, missing text): the
 * object exists, failed from the start, so the task accounts for every line. Nothing is reserved
 * or charged for it.
 */
export const ObjectRejected = defineEvent({
  type: 'ObjectRejected',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  producedBy: ['files'],
  description: 'A line of an uploaded file that cannot run: the object failed from the start.',
  schema: z.object({
    objectId: Id,
    taskId: Id,
    accountId: Id,
    index: z.number().int().nonnegative(),
    itemKey: z.string().optional(),
    /** 1-based line of the file. */
    lineNo: z.number().int().positive(),
    code: z.string().min(1),
    message: z.string(),
    collectOutput: z.boolean().optional(),
  }),
});

export const ObjectScheduled = defineEvent({
  type: 'ObjectScheduled',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  producedBy: ['scheduler'],
  description: 'The scheduler planned when and how the object runs (live, a cheap window, a provider batch job).',
  schema: z.object({
    objectId: Id,
    accountId: Id,
    runAt: z.iso.datetime(),
    mode: ExecutionMode,
    /** The provider the plan counts on (a batch job or a cheap window), if any. */
    providerId: Id.optional(),
    estimatedProviderCostMicros: Micros,
    reason: z.string(),
  }),
});

export const ObjectDispatched = defineEvent({
  type: 'ObjectDispatched',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  producedBy: ['scheduler'],
  description: 'One attempt of the object is due: the router runs it live.',
  schema: z.object({
    objectId: Id,
    accountId: Id,
    attempt: z.number().int().positive(),
    work: Work,
    deadlineAt: z.iso.datetime(),
    routing: Routing.optional(),
    pricing: Pricing,
    /** Providers that failed this object before; the router tries others first. */
    avoidProviders: z.array(Id).default([]),
    /** Set when a deadline at risk sends the object to the fastest live provider. */
    escalated: z.boolean(),
    /** The input tokens counted at submission (ObjectSubmitted's), which the router quotes with; absent in older events, whose router counts again. */
    inputTokens: z.number().int().nonnegative().optional(),
  }),
});

/** Objects grouped into one provider batch job (keyed by the batch, not by an object). */
export const BatchDispatched = defineEvent({
  type: 'BatchDispatched',
  version: 1,
  topic: Topics.objects,
  key: (p) => p.batchId,
  producedBy: ['scheduler'],
  description: 'Objects grouped into one provider batch job for the router to submit.',
  schema: z.object({
    batchId: Id,
    providerId: Id,
    model: z.string().min(1),
    items: z
      .array(z.object({ objectId: Id, accountId: Id, attempt: z.number().int().positive(), work: Work, pricing: Pricing }))
      .min(1),
  }),
});

export const QuoteAccepted = defineEvent({
  type: 'QuoteAccepted',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  producedBy: ['api', 'router'],
  description: 'A provider was chosen for the attempt at a quoted cost, price and latency.',
  schema: z.object({
    objectId: Id,
    accountId: Id,
    attempt: z.number().int().positive(),
    providerId: Id,
    providerModel: z.string().min(1),
    mode: ExecutionMode,
    estimatedProviderCostMicros: Micros,
    estimatedCustomerPriceMicros: Micros,
    estimatedLatencyMs: z.number().int().nonnegative(),
  }),
});

export const QuoteRejected = defineEvent({
  type: 'QuoteRejected',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  producedBy: ['router'],
  description: 'No acceptable provider for the attempt (price or latency cap, none available).',
  schema: z.object({
    objectId: Id,
    accountId: Id,
    attempt: z.number().int().positive(),
    /** no_provider_available | price_cap_exceeded | latency_cap_exceeded | ... */
    code: z.string().min(1),
    message: z.string(),
  }),
});

export const ObjectCompleted = defineEvent({
  type: 'ObjectCompleted',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  producedBy: ['api', 'router'],
  description: 'The provider answered: the output and the tokens used.',
  schema: z.object({
    objectId: Id,
    accountId: Id,
    attempt: z.number().int().positive(),
    providerId: Id,
    mode: ExecutionMode,
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    output: TextOrRef,
    providerCostMicros: Micros,
    /** Provider time only: the request to the provider until its answer. */
    latencyMs: z.number().int().nonnegative(),
    /** Set when the real-time gateway ran the object (see ObjectSubmitted.gateway): only billing and the read models care. */
    gateway: z.literal(true).optional(),
  }),
});

export const ObjectFailed = defineEvent({
  type: 'ObjectFailed',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  producedBy: ['api', 'router'],
  description: 'The attempt failed; transient failures are retried by the scheduler.',
  schema: z.object({
    objectId: Id,
    accountId: Id,
    attempt: z.number().int().positive(),
    providerId: Id.optional(),
    /** Transient failures are retried by the scheduler at no cost to the customer. */
    transient: z.boolean(),
    retryAfterMs: z.number().int().nonnegative().optional(),
    code: z.string().min(1),
    message: z.string(),
    /** Set when the real-time gateway ran the object (see ObjectSubmitted.gateway): only billing and the read models care. */
    gateway: z.literal(true).optional(),
  }),
});

/** The scheduler gave up on the object: the end of its life, nothing is charged. */
export const ObjectAbandoned = defineEvent({
  type: 'ObjectAbandoned',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  producedBy: ['api', 'scheduler'],
  description: 'The end of an object that will not run again; nothing is charged.',
  schema: z.object({
    objectId: Id,
    accountId: Id,
    attempts: z.number().int().nonnegative(),
    code: z.string().min(1),
    message: z.string(),
    /** Set when the real-time gateway ran the object (see ObjectSubmitted.gateway): only billing and the read models care. */
    gateway: z.literal(true).optional(),
  }),
});
