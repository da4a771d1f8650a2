import { Catalogue, definitionOf, type EventOf, type EventType, type SluiceEvent } from './catalogue';
import { TopicSpecs, type TopicName } from './topics';

/** Every event type of the catalogue, in its order. */
export const EventTypes = Object.keys(Catalogue) as EventType[];

declare const declared: unique symbol;

/**
 * A consumer as it is wired: its name (its group on the log and its key in `processed_event`)
 * and the catalogue events it acts on. The subscription is made from it: it reads exactly the
 * topics of those events, and events of other types never reach its handler. docs/event-flow.md
 * lists each service's declarations (`event-flow.spec.ts` checks that it is current).
 */
export interface ConsumerDeclaration<T extends EventType = EventType> {
  readonly name: string;
  readonly handles: readonly T[];
  /** What it does with them, in one line (docs/event-flow.md shows it). */
  readonly description?: string;
  readonly [declared]: true;
}

export function declareConsumer<const T extends EventType>(declaration: { name: string; handles: readonly T[]; description?: string }): ConsumerDeclaration<T> {
  if (declaration.handles.length === 0) throw new Error(`consumer ${declaration.name} handles no event`);
  const unknown = declaration.handles.filter((type) => !definitionOf(type));
  if (unknown.length > 0) throw new Error(`consumer ${declaration.name} handles ${unknown.join(', ')}: not in the catalogue`);
  return { ...declaration, handles: [...declaration.handles] } as unknown as ConsumerDeclaration<T>;
}

/** The topics carrying the events a consumer handles, in the order of the topics table. */
export function topicsOf(handles: readonly EventType[]): TopicName[] {
  const topics = new Set(handles.map((type) => Catalogue[type].topic as TopicName));
  return TopicSpecs.map((spec) => spec.name).filter((name) => topics.has(name));
}

/** A type guard for the events a consumer declares. */
export function handledBy<T extends EventType>(consumer: ConsumerDeclaration<T>): (event: SluiceEvent) => event is EventOf<T> {
  const types = new Set<EventType>(consumer.handles);
  return (event): event is EventOf<T> => types.has(event.type);
}
