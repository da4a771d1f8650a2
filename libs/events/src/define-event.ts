import { z } from 'zod';
import type { ServiceName } from './catalogue/common';
import type { TopicName } from './topics';

/**
 * One event of the catalogue: stable past-tense name, the version new events are written
 * with, the payload schema (the TS type is inferred from it), its topic and partition key,
 * the services that produce it (checked against the code by `event-flow.spec.ts`) and one line
 * on what it means (docs/event-flow.md and docs/asyncapi.yaml are generated from these).
 */
export interface EventDefinition<
  TType extends string = string,
  TTopic extends TopicName = TopicName,
  TSchema extends z.ZodType = z.ZodType,
> {
  readonly type: TType;
  readonly version: number;
  readonly topic: TTopic;
  readonly schema: TSchema;
  readonly key: (payload: z.infer<TSchema>) => string;
  readonly producedBy: readonly ServiceName[];
  readonly description: string;
}

export function defineEvent<TType extends string, TTopic extends TopicName, TSchema extends z.ZodType>(
  def: EventDefinition<TType, TTopic, TSchema>,
): EventDefinition<TType, TTopic, TSchema> {
  return def;
}

export type PayloadOf<D> = D extends EventDefinition<string, TopicName, infer S> ? z.infer<S> : never;
