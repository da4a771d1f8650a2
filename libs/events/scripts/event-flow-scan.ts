import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { Catalogue, type EventType } from '../src/catalogue';
import type { EventDefinition } from '../src/define-event';
import { ServiceName } from '../src/catalogue/common';

/**
 * What the code says about the event flow, read from the sources without running them:
 * which service creates which event (`createEvent(<Event>, …)` / `createParsedEvent(…)`), and
 * which consumers each service declares (`declareConsumer({ name, handles })`).
 */
export interface CodeFlow {
  /** Per event, the services whose code creates it, each with the files that do. */
  producers: Map<EventType, Map<ServiceName, string[]>>;
  consumers: ScannedConsumer[];
  /** What the scan cannot read: each one a sentence saying what to change. */
  problems: string[];
}

export interface ScannedConsumer {
  service: ServiceName;
  name: string;
  handles: EventType[];
  description?: string;
  file: string;
}

/** Libraries whose events are created in every service that runs them. */
const LIBS_RUN_BY: Record<string, readonly ServiceName[]> = { platform: ServiceName.options };

const CREATORS = new Set(['createEvent', 'createParsedEvent']);

const isEventType = (name: string): name is EventType => Object.hasOwn(Catalogue, name);

function sourcesUnder(dir: string, found: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'generated' && entry.name !== 'testing') sourcesUnder(path, found);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) {
      found.push(path);
    }
  }
  return found.sort();
}

function sourceFolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

function calleeName(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

/** `ObjectSubmitted` or `Catalogue.ObjectSubmitted` / `E.ObjectSubmitted`: the name of the definition. */
function definitionName(arg: ts.Expression | undefined): string | undefined {
  if (!arg) return undefined;
  if (ts.isIdentifier(arg)) return arg.text;
  if (ts.isPropertyAccessExpression(arg)) return arg.name.text;
  return undefined;
}

function stringProperty(object: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  for (const property of object.properties) {
    if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.name) && property.name.text === key) return property.initializer;
  }
  return undefined;
}

interface FileFacts {
  created: { name: string | undefined; line: number }[];
  /** Lines of raw log subscriptions to a topic of catalogue events (not through a declaration). */
  undeclared: number[];
  declared: { name: string | undefined; handles: string[] | undefined; description: string | undefined | null; line: number }[];
}

function scanFile(path: string): FileFacts {
  const text = readFileSync(path, 'utf8');
  const facts: FileFacts = { created: [], undeclared: [], declared: [] };
  if (!['createEvent', 'createParsedEvent', 'declareConsumer', 'subscribe('].some((word) => text.includes(word))) return facts;
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = calleeName(node);
      if (callee && CREATORS.has(callee)) facts.created.push({ name: definitionName(node.arguments[0]), line: lineOf(node) });
      const arg = node.arguments[0];
      const topics = callee === 'subscribe' && arg && ts.isObjectLiteralExpression(arg) ? stringProperty(arg, 'topics') : undefined;
      // Only dead letters (records, not catalogue events) are read without a declaration.
      if (topics && !(ts.isArrayLiteralExpression(topics) && topics.elements.every((e) => e.getText(source) === 'Topics.deadLetter'))) {
        facts.undeclared.push(lineOf(node));
      }
      if (callee === 'declareConsumer') {
        const arg = node.arguments[0];
        const object = arg && ts.isObjectLiteralExpression(arg) ? arg : undefined;
        const name = object && stringProperty(object, 'name');
        const handles = object && stringProperty(object, 'handles');
        const description = object && stringProperty(object, 'description');
        facts.declared.push({
          // null: there is one, but not as a literal the scan can read.
          description: description === undefined ? undefined : ts.isStringLiteralLike(description) ? description.text : null,
          name: name && ts.isStringLiteral(name) ? name.text : undefined,
          handles:
            handles && ts.isArrayLiteralExpression(handles) && handles.elements.every(ts.isStringLiteral)
              ? handles.elements.map((e) => (e as ts.StringLiteral).text)
              : undefined,
          line: lineOf(node),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return facts;
}

/** Reads the producers and consumers of every service from `root` (the repository). */
export function scanCode(root: string): CodeFlow {
  const flow: CodeFlow = { producers: new Map(), consumers: [], problems: [] };
  const produced = (type: EventType, service: ServiceName, where: string) => {
    const byService = flow.producers.get(type) ?? new Map<ServiceName, string[]>();
    byService.set(service, [...(byService.get(service) ?? []), where]);
    flow.producers.set(type, byService);
  };
  const scan = (dir: string, services: readonly ServiceName[] | null, inApp: boolean) => {
    for (const path of sourcesUnder(dir)) {
      const file = relative(root, path);
      const facts = scanFile(path);
      for (const created of facts.created) {
        const where = `${file}:${created.line}`;
        if (created.name === undefined || !isEventType(created.name)) {
          if (file.startsWith('libs/events/')) continue;
          flow.problems.push(`${where}: pass the catalogue definition itself as the first argument of createEvent (e.g. createEvent(ObjectSubmitted, …)) so the flow can name its producer`);
        } else if (services === null) {
          flow.problems.push(`${where}: ${dir.split('/').pop()} is a library; create ${created.name} in the service that owns it, or add the library to LIBS_RUN_BY in libs/events/scripts/event-flow-scan.ts`);
        } else {
          for (const service of services) produced(created.name, service, where);
        }
      }
      for (const line of facts.undeclared) {
        if (!inApp) continue;
        flow.problems.push(`${file}:${line}: subscribe to catalogue events with a declared consumer (EventBus.subscribe or EventStore.consume with consumer: declareConsumer({ name, handles })), not on the raw log, so the flow shows it`);
      }
      for (const declared of facts.declared) {
        const where = `${file}:${declared.line}`;
        if (!inApp || services === null) continue;
        if (declared.name === undefined || declared.handles === undefined || declared.description === null) {
          flow.problems.push(`${where}: write declareConsumer({ name: '<consumer>', handles: ['<Event>', …], description?: '…' }) with string literals and a literal list of event names, so the flow can be read from the code`);
          continue;
        }
        const unknown = declared.handles.filter((type) => !isEventType(type));
        if (unknown.length > 0) flow.problems.push(`${where}: ${declared.name} handles ${unknown.join(', ')}, not in the catalogue`);
        flow.consumers.push({ service: services[0], name: declared.name, handles: declared.handles.filter(isEventType), description: declared.description, file });
      }
    }
  };
  for (const service of ServiceName.options) scan(join(root, 'apps', service, 'src'), [service], true);
  for (const lib of sourceFolders(join(root, 'libs'))) {
    if (lib === 'testing') continue;
    scan(join(root, 'libs', lib, 'src'), LIBS_RUN_BY[lib] ?? null, false);
  }
  return flow;
}

/**
 * Where the catalogue's `producedBy` and the code disagree, each as a sentence saying what to
 * change (empty when they agree).
 */
export function producerDrift(code: CodeFlow, definitions: readonly EventDefinition[] = Object.values(Catalogue)): string[] {
  const drift: string[] = [];
  for (const def of definitions) {
    const inCode = code.producers.get(def.type as EventType) ?? new Map<ServiceName, string[]>();
    if (def.producedBy.length === 0) drift.push(`${def.type} has no producer: name the services that create it in its producedBy`);
    for (const [service, where] of inCode) {
      if (!def.producedBy.includes(service)) {
        drift.push(`${def.type} is created by ${service} (${where.join(', ')}): add '${service}' to the producedBy of ${def.type} in libs/events/src/catalogue/`);
      }
    }
    for (const service of def.producedBy) {
      if (!inCode.has(service)) {
        drift.push(`${def.type} names '${service}' in producedBy, but apps/${service}/src never calls createEvent(${def.type}, …): remove '${service}' from it`);
      }
    }
  }
  return drift;
}

/** Consumer names used twice (a name is a group on the log and the key of a consumer's processed ids). */
export function duplicateConsumers(consumers: readonly ScannedConsumer[]): string[] {
  const names = consumers.map((c) => c.name);
  return [...new Set(names.filter((name, i) => names.indexOf(name) !== i))].map(
    (name) => `${name} is declared by ${consumers.filter((c) => c.name === name).map((c) => c.file).join(' and ')}: give each consumer a name of its own`,
  );
}
