import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { isOpenAiRoute } from '../errors/api-exception.filter';
import { OPERATIONS, type Auth, type Body, type Operation, type Success } from './operations';
import { components } from './responses';

type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect): what a client sends (`input`:
 * defaults optional, before transforms) or receives (`output`). Refinements cannot be
 * expressed and are left to the server's 422/400.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output', strict = false): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    // The chat body is a loose object whose refinement refuses every key it does not know.
    override: (ctx) => {
      if (strict && (ctx.zodSchema as unknown) === schema) ctx.jsonSchema.additionalProperties = false;
    },
  });
  return rest;
}

const COMPONENTS = '#/components/schemas/';

/** Every named schema, its references to the others by name. */
function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(components, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', uri: (id) => `${COMPONENTS}${id}` });
  // `$id` would make each a document of its own, against which `#/components/...` no longer resolves.
  return mapValues(schemas, ({ $schema: _dialect, $id: _id, ...rest }) => rest);
}

/** An answer's schema: a reference when it is named, else inline. */
function answerSchema(schema: z.ZodType): JsonSchema {
  const named = components.get(schema);
  return named ? { $ref: `${COMPONENTS}${named.id}` } : jsonSchemaOf(schema, 'output');
}

const SECURITY: Record<Auth, object[]> = { account: [{ apiKey: [] }], admin: [{ adminKey: [] }], none: [] };

function requestBody(body: Body): object {
  if (body.kind === 'json') {
    const examples = mapValues(body.examples, (value) => ({ value }));
    return { required: body.optional !== true, content: { 'application/json': { schema: jsonSchemaOf(body.schema, 'input', body.openAiStrict), examples } } };
  }
  const fields = Object.fromEntries(Object.entries(body.fields ?? {}).map(([name, values]) => [name, { type: 'string', enum: values }]));
  const multipart = {
    schema: { type: 'object', properties: { file: { type: 'string', format: 'binary', description: 'the JSONL file' }, ...fields }, required: ['file', ...Object.keys(fields)] },
  };
  const raw = { schema: { type: 'string', format: 'binary' } };
  return {
    required: true,
    content: { 'multipart/form-data': multipart, ...(body.raw ? { 'application/jsonl': raw, 'application/octet-stream': raw, 'text/plain': raw } : {}) },
  };
}

/**
 * A stream's media type: schemathesis (and OpenAPI 3.2's itemSchema) read the schema as one
 * event's. `data` is JSON text; a mid-stream error comes as OpenAI's error envelope.
 */
function eventStream(data: z.ZodType): object {
  const json = { anyOf: [answerSchema(data), { $ref: `${COMPONENTS}OpenAiError` }] };
  return {
    schema: {
      type: 'object',
      required: ['data'],
      properties: {
        event: { type: 'string' },
        data: { anyOf: [{ type: 'string', contentMediaType: 'application/json', contentSchema: json }, { const: '[DONE]', description: 'the last event' }] },
      },
    },
  };
}

function success(s: Success): object {
  const content = {
    ...(s.schema ? { 'application/json': { schema: answerSchema(s.schema) } } : {}),
    ...(s.events ? { 'text/event-stream': eventStream(s.events) } : {}),
    ...mapValues(s.content ?? {}, (schema) => ({ schema })),
  };
  const headers = s.headers ? mapValues(s.headers, (description) => ({ description, schema: { type: 'string' } })) : undefined;
  const links = s.links ? mapValues(s.links, ({ operation, ...rest }) => ({ operationId: operationId(operation), ...rest })) : undefined;
  return { description: s.description, ...(Object.keys(content).length > 0 ? { content } : {}), ...(headers ? { headers } : {}), ...(links ? { links } : {}) };
}

function operation(key: string, op: Operation): object {
  const [, path] = key.split(' ');
  const envelope = `${COMPONENTS}${isOpenAiRoute(path) ? 'OpenAiError' : 'Error'}`;
  const parameters = [
    ...Object.entries(op.params ?? {}).map(([name, description]) => ({ name, in: 'path', required: true, description, schema: { type: 'string', minLength: 1 } })),
    ...Object.entries(op.query ? jsonSchemaOf(op.query, 'input').properties ?? {} : {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
    ...(op.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: false, description: h.description, schema: jsonSchemaOf(h.schema, 'input') })),
  ];
  const errors = mapValues(op.errors, (when, status) => ({ description: `${STATUS_CODES[Number(status)]}: ${when}`, content: { 'application/json': { schema: { $ref: envelope } } } }));
  return {
    summary: op.summary,
    tags: [op.tag],
    operationId: operationId(key),
    security: SECURITY[op.auth],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body ? { requestBody: requestBody(op.body) } : {}),
    responses: { ...mapValues(op.responses, success), ...errors },
  };
}

/** `GET /v0/infer/task/{taskId}/` → `getV0InferTaskTaskId`. */
function operationId(key: string): string {
  const [method, path] = key.split(' ');
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

function mapValues<V, W>(record: Record<string | number, V>, f: (value: V, key: string) => W): Record<string, W> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v, k)]));
}

/** The OpenAPI 3.1 document of every public endpoint (built once: the schemas do not change at run time). */
export function buildOpenApiDocument(): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const [key, op] of Object.entries(OPERATIONS)) {
    const [method, path] = key.split(' ');
    (paths[path] ??= {})[method.toLowerCase()] = operation(key, op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sluice',
      version: '0.1.0',
      description:
        'The inference exchange: the SLA batch API (`/v0/infer/`, `/v0/files`), the real-time API (`/v1/inference`), ' +
        'the OpenAI-compatible surface (`/v1/models`, `/v1/chat/completions`, `/v1/files`, `/v1/batches`) and the operator API. ' +
        'Paths answer with and without a trailing slash. Errors are `{"error": {type, message, code}}`; on the OpenAI-compatible routes OpenAI\'s `{"error": {message, type, param, code}}`, a bad field there is 400.',
    },
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: "an account's key (`sk_live_…`): `Authorization: Bearer <key>`" },
        adminKey: { type: 'http', scheme: 'bearer', description: "the operator's admin key (SLUICE_ADMIN_KEY; embedded: `.sluice/admin-key`)" },
      },
      schemas: componentSchemas(),
    },
  };
}
