import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { parse } from 'yaml';
import { Catalogue, type SluiceEvent } from '../src/catalogue';
import { EventTypes, declareConsumer, handledBy } from '../src/consumers';
import { PublicTopics } from '../src/topics';
import { ASYNCAPI_PATH, REGENERATE } from './event-docs';
import { duplicateConsumers, producerDrift, scanCode } from './event-flow-scan';
import { REPOSITORY_ROOT, generatedDocs } from './generate-event-docs';

jest.setTimeout(30_000);

const code = scanCode(REPOSITORY_ROOT);

/** A stand-in event of `type`: only its type matters to a consumer's filter. */
const eventOf = (type: string) => ({ type }) as SluiceEvent;

describe('event flow: the declarations agree with the code', () => {
  it('reads every createEvent and every consumer declaration of the services', () => {
    expect(code.problems).toEqual([]);
    expect(code.consumers.length).toBeGreaterThan(0);
  });

  it("names in each event's producedBy exactly the services whose code creates it", () => {
    expect(producerDrift(code)).toEqual([]);
  });

  it('gives each consumer a name of its own', () => {
    expect(duplicateConsumers(code.consumers)).toEqual([]);
  });

  it('hands each declared consumer the events it declares and none of the others', () => {
    for (const scanned of code.consumers) {
      const accepts = handledBy(declareConsumer(scanned));
      const given = EventTypes.filter((type) => accepts(eventOf(type)));
      const declared = EventTypes.filter((type) => scanned.handles.includes(type));
      expect({ consumer: scanned.name, given }).toEqual({ consumer: scanned.name, given: declared });
    }
  });

  it(`keeps docs/event-flow.md and docs/asyncapi.yaml as \`${REGENERATE}\` writes them`, () => {
    const stale = Object.entries(generatedDocs())
      .filter(([path, text]) => !existsSync(join(REPOSITORY_ROOT, path)) || readFileSync(join(REPOSITORY_ROOT, path), 'utf8') !== text)
      .map(([path]) => path);
    if (stale.length > 0) throw new Error(`${stale.join(' and ')} ${stale.length === 1 ? 'differs' : 'differ'} from what the catalogue and the consumers declare now: run \`${REGENERATE}\` and commit the result`);
  });
});

describe('event flow: what a drift looks like', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'sluice-event-flow-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('says which service to add to producedBy when a new service creates an event', () => {
    write('apps/billing/src/late.ts', 'export const late = () => createEvent(TaskCompleted, payload, ctx);');
    write('apps/api/src/done.ts', 'createEvent(\n  TaskCompleted,\n  payload,\n  ctx,\n);');
    const drift = producerDrift(scanCode(root), [Catalogue.TaskCompleted]);
    expect(drift).toEqual([expect.stringMatching(/^TaskCompleted is created by billing \(apps\/billing\/src\/late\.ts:1\): add 'billing' to the producedBy of TaskCompleted/)]);
  });

  it('says what to remove when no code creates an event a service is said to produce', () => {
    const drift = producerDrift(scanCode(root), [Catalogue.FileExpanded]);
    expect(drift).toEqual([expect.stringMatching(/^FileExpanded names 'files' in producedBy, but apps\/files\/src never calls createEvent\(FileExpanded, …\): remove 'files'/)]);
  });

  it('refuses a consumer whose handles it cannot read, a raw subscription to events, a producer it cannot name, and a consumer name used twice', () => {
    write('apps/router/src/a.consumer.ts', "const HANDLED = ['ObjectDispatched'] as const;\nexport const A = declareConsumer({ name: 'router.a', handles: HANDLED });");
    write('apps/router/src/b.ts', 'createEvent(pickDefinition(), payload, ctx);');
    write('apps/files/src/c.consumer.ts', "declareConsumer({ name: 'twice', handles: ['FileStored'] });");
    write('apps/api/src/d.consumer.ts', "declareConsumer({ name: 'twice', handles: ['FileStored'] });");
    write('apps/billing/src/raw.consumer.ts', 'log.subscribe({ groupId: "raw", topics: [Topics.objects], handleBatch });\nlog.subscribe({ groupId: "dead", topics: [Topics.deadLetter], handleBatch });');
    const scanned = scanCode(root);
    expect(scanned.problems).toEqual([
      expect.stringMatching(/^apps\/router\/src\/a\.consumer\.ts:2: write declareConsumer\(\{ name: '<consumer>', handles: \['<Event>', …\]/),
      expect.stringMatching(/^apps\/router\/src\/b\.ts:1: pass the catalogue definition itself/),
      expect.stringMatching(/^apps\/billing\/src\/raw\.consumer\.ts:1: subscribe to catalogue events with a declared consumer/),
    ]);
    expect(duplicateConsumers(scanned.consumers)).toEqual([expect.stringMatching(/^twice is declared by apps\/api\/src\/d\.consumer\.ts and apps\/files\/src\/c\.consumer\.ts/)]);
  });
});

describe('docs/asyncapi.yaml', () => {
  const text = readFileSync(join(REPOSITORY_ROOT, ASYNCAPI_PATH), 'utf8');
  const problems = async (source: string) => {
    const { diagnostics } = await new Parser().parse(source);
    // 0 error, 1 warning; information and hints (such as "3.1.0 exists") are not problems.
    return diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`);
  };

  it('is a valid AsyncAPI 3.0 document: a channel per public topic, a message with a payload schema per event on it', async () => {
    const { document, diagnostics } = await new Parser().parse(text);
    expect(diagnostics.filter((d) => d.severity <= 1)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    expect(document?.channels().all().map((c) => c.address())).toEqual([...PublicTopics]);
    const onPublicTopics = Object.values(Catalogue).filter((def) => PublicTopics.includes(def.topic));
    const messages = document?.messages().all() ?? [];
    expect(messages.map((m) => m.name()).sort()).toEqual(onPublicTopics.map((def) => def.type).sort());
    expect(messages.every((m) => m.hasPayload() && m.payload()?.type() === 'object')).toBe(true);
  });

  it('fails the parser once a payload schema or a reference is broken (the check above can fail)', async () => {
    const broken = parse(text) as { components: { messages: Record<string, { payload: unknown }> }; operations: Record<string, { channel: { $ref: string } }> };
    broken.components.messages.TaskSubmitted.payload = { type: 'no-such-type' };
    broken.operations.tasksPublished.channel.$ref = '#/channels/nowhere';
    const found = await problems(JSON.stringify(broken));
    expect(found.length).toBeGreaterThan(0);
  });
});
