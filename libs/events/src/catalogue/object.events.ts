import { z } from 'zod';
import { defineEvent } from '../define-event';
import { Topics } from '../topics';
import { ExecutionMode, Id, Micros, TextOrRef } from './common';

const objectKey = (p: { objectId: string }) => p.objectId;

export const ObjectSubmitted = defineEvent({
  type: 'ObjectSubmitted',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  schema: z.object({
    objectId: Id,
    taskId: Id,
    accountId: Id,
    /** The line key when the object came from a file. */
    itemKey: z.string().optional(),
    model: z.string().min(1),
    input: TextOrRef,
    /** Minutes; null = run at once. */
    slaMinutes: z.number().int().positive().nullable(),
    deadlineAt: z.iso.datetime(),
    inputTokens: z.number().int().nonnegative(),
    priceFactor: z.number().min(0.3).max(1),
  }),
});

export const ObjectScheduled = defineEvent({
  type: 'ObjectScheduled',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  schema: z.object({
    objectId: Id,
    accountId: Id,
    runAt: z.iso.datetime(),
    mode: ExecutionMode,
    reason: z.string(),
  }),
});

export const ObjectDispatched = defineEvent({
  type: 'ObjectDispatched',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  schema: z.object({
    objectId: Id,
    accountId: Id,
    attempt: z.number().int().positive(),
    mode: ExecutionMode,
    /** Set when a deadline at risk sends the object to the fastest live provider. */
    escalated: z.boolean(),
  }),
});

export const QuoteAccepted = defineEvent({
  type: 'QuoteAccepted',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  schema: z.object({
    objectId: Id,
    accountId: Id,
    providerId: Id,
    providerModel: z.string().min(1),
    mode: ExecutionMode,
    estimatedProviderCostMicros: Micros,
    customerPriceMicros: Micros,
  }),
});

export const QuoteRejected = defineEvent({
  type: 'QuoteRejected',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  schema: z.object({
    objectId: Id,
    accountId: Id,
    code: z.string().min(1),
    message: z.string(),
  }),
});

export const ObjectCompleted = defineEvent({
  type: 'ObjectCompleted',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  schema: z.object({
    objectId: Id,
    accountId: Id,
    providerId: Id,
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    output: TextOrRef,
    providerCostMicros: Micros,
    latencyMs: z.number().int().nonnegative(),
  }),
});

export const ObjectFailed = defineEvent({
  type: 'ObjectFailed',
  version: 1,
  topic: Topics.objects,
  key: objectKey,
  schema: z.object({
    objectId: Id,
    accountId: Id,
    attempt: z.number().int().positive(),
    /** Transient failures are retried by the scheduler at no cost to the customer. */
    transient: z.boolean(),
    code: z.string().min(1),
    message: z.string(),
  }),
});
