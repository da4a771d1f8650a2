import { z } from 'zod';

/** Metadata carried by every event (DESIGN.md "Events"); the payload is typed per event. */
export const EnvelopeMetaSchema = z.object({
  eventId: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime(),
  key: z.string().min(1),
  correlationId: z.string().min(1),
  causationId: z.string().min(1).nullable(),
  traceparent: z.string().optional(),
});

export type EnvelopeMeta = z.infer<typeof EnvelopeMetaSchema>;

export interface Envelope<TType extends string = string, TPayload = unknown> extends EnvelopeMeta {
  type: TType;
  payload: TPayload;
}

/** What a caller supplies when it creates an event; ids and the clock come in from outside. */
export interface EventContext {
  correlationId: string;
  causationId?: string | null;
  traceparent?: string;
}

/** The context of an event caused by `cause`: same correlation and trace, caused by it. */
export function causedBy(cause: EnvelopeMeta): EventContext {
  return { correlationId: cause.correlationId, causationId: cause.eventId, traceparent: cause.traceparent };
}
