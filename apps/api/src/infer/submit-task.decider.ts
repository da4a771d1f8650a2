import { countTokensInSlices, countTokensWith, findModel, Slices, type Catalogue, type ModelSpec } from '@sluice/catalogue';
import { createEvent, createParsedEvent, ObjectSubmitted, TaskSubmitted, type EventFactoryDeps, type EventOf, type SluiceEvent } from '@sluice/events';
import { deadlineOf, outputTokenBudget, slaShortfalls, type PriceFactorRequest, type SlaDemand } from '@sluice/pricing';
import { NotFoundError, RequestError, SlaCapacityExceededError, UnknownModelError, ValidationError, type FieldError } from '../errors/api-error';
import type { FileRow } from '../files/file.projection';
import { generationParamsOf } from '../generation/generation-fields';
import type { FileInferItem, InferItem, OutputFormat } from './infer-request';

type TaskSubmittedPayload = EventOf<'TaskSubmitted'>['payload'];

export type PriceFactorFn = (catalogue: Catalogue, request: PriceFactorRequest, now: Date) => number;

export interface SubmitTaskContext {
  catalogue: Catalogue;
  accountId: string;
  now: Date;
  newId: () => string;
  priceFactor: PriceFactorFn;
  /** `jsonl`: the results become a file (the files service collects them). */
  outputFormat?: 'json' | 'jsonl';
  /** Each item's input tokens, counted beforehand (countInputTokens); counted here when absent. */
  inputTokens?: readonly (number | undefined)[];
  /** Where the task's webhooks go. */
  callbackUrl?: string;
}

export interface SubmittedObject {
  objectId: string;
  index: number;
  slaMinutes: number | null;
  inputTokens: number;
  priceFactor: number;
}

export interface SubmittedTask {
  taskId: string;
  objects: SubmittedObject[];
  taskSubmitted: EventOf<'TaskSubmitted'>;
  /** TaskSubmitted then one ObjectSubmitted per item, in item order. */
  events: SluiceEvent[];
}

function resolveModels(catalogue: Catalogue, items: readonly InferItem[]): ModelSpec[] {
  const cache = new Map<string, ModelSpec | undefined>();
  return items.map((item, i) => {
    if (!cache.has(item.model)) cache.set(item.model, findModel(catalogue, item.model));
    const model = cache.get(item.model);
    if (!model) throw new UnknownModelError(item.model, `items[${i}].model`);
    return model;
  });
}

/**
 * Each item's input tokens as submitTask counts them, in slices of the event loop so a large
 * input does not hold other requests (undefined for an unknown model: submitTask refuses it).
 */
export async function countInputTokens(catalogue: Catalogue, items: readonly InferItem[]): Promise<(number | undefined)[]> {
  const slices = new Slices();
  const counts: (number | undefined)[] = [];
  for (const item of items) {
    const model = findModel(catalogue, item.model);
    counts.push(model ? await countTokensInSlices(model.tokenizer, item.input, slices) : undefined);
  }
  return counts;
}

/**
 * Turns validated items into a task (pure; clock and ids come in): resolves models, counts
 * input tokens with each model's tokenizer, quotes a price factor per item and builds the
 * events. Throws UnknownModelError or a ValidationError naming every input too long for its
 * model, so nothing is submitted when one item cannot be; and SlaCapacityExceededError when a
 * model's providers cannot run its SLA items inside their window under their rate limits.
 */
export function submitTask(items: readonly InferItem[], ctx: SubmitTaskContext): SubmittedTask {
  const models = resolveModels(ctx.catalogue, items);
  const problems: FieldError[] = [];
  const sized = items.map((item, i) => {
    const model = models[i];
    const inputTokens = ctx.inputTokens?.[i] ?? countTokensWith(model.tokenizer, item.input);
    if (item.max_output_tokens != null && item.max_output_tokens > model.maxOutputTokens) {
      problems.push({ field: `items[${i}].max_output_tokens`, message: `${model.id} produces at most ${model.maxOutputTokens} output tokens` });
    }
    const maxOutputTokens = outputTokenBudget(model, item.max_output_tokens ?? undefined);
    if (inputTokens + maxOutputTokens > model.contextTokens) {
      problems.push({
        field: `items[${i}].input`,
        message: `${inputTokens} input tokens leave no room for ${maxOutputTokens} output tokens in ${model.id}'s ${model.contextTokens}-token context`,
      });
    }
    return { inputTokens, maxOutputTokens };
  });
  if (problems.length > 0) throw new ValidationError(problems);
  const slaDemands = items.flatMap((item, i): SlaDemand[] =>
    item.sla != null ? [{ model: models[i].id, slaMinutes: item.sla, tokens: sized[i].inputTokens + sized[i].maxOutputTokens }] : [],
  );
  const shortfalls = slaShortfalls(ctx.catalogue, slaDemands);
  if (shortfalls.length > 0) throw new SlaCapacityExceededError(shortfalls);

  const taskId = ctx.newId();
  const deps: EventFactoryDeps = { now: () => ctx.now, newId: ctx.newId };
  const context = { correlationId: taskId };
  const taskSubmitted = createEvent(TaskSubmitted, { taskId, accountId: ctx.accountId, totalItems: items.length, outputFormat: ctx.outputFormat ?? 'json', ...(ctx.callbackUrl ? { callbackUrl: ctx.callbackUrl } : {}) }, context, deps);
  const events: SluiceEvent[] = [taskSubmitted];
  // Items of one task mostly repeat (model, window, size): quote each distinct one once.
  const quotes = new Map<string, number>();
  const quote = (model: ModelSpec, slaMinutes: number | null, inputTokens: number, maxOutputTokens: number) => {
    const key = `${model.id}|${slaMinutes}|${inputTokens}|${maxOutputTokens}`;
    let factor = quotes.get(key);
    if (factor === undefined) {
      const request = { model: model.id, slaMinutes, taskItems: items.length, expectedInputTokens: inputTokens, expectedOutputTokens: maxOutputTokens };
      factor = ctx.priceFactor(ctx.catalogue, request, ctx.now);
      quotes.set(key, factor);
    }
    return factor;
  };
  const objects = items.map((item, index): SubmittedObject => {
    const model = models[index];
    const { inputTokens, maxOutputTokens } = sized[index];
    const slaMinutes = item.sla ?? null;
    const factor = quote(model, slaMinutes, inputTokens, maxOutputTokens);
    const objectId = ctx.newId();
    const deadlineAt = deadlineOf(ctx.now, slaMinutes);
    const params = generationParamsOf(item);
    // Built from validated items and computed values: not parsed again (1,000 parses are ~3 ms of a body).
    events.push(
      createParsedEvent(
        ObjectSubmitted,
        {
          objectId,
          taskId,
          accountId: ctx.accountId,
          index,
          model: model.id,
          input: { text: item.input },
          inputTokens,
          maxOutputTokens,
          ...(params ? { params } : {}),
          slaMinutes,
          deadlineAt,
          pricing: { kind: 'sla', basePrice: model.basePrice, priceFactor: factor },
          ...(ctx.outputFormat === 'jsonl' ? { collectOutput: true } : {}),
        },
        context,
        deps,
      ),
    );
    return { objectId, index, slaMinutes, inputTokens, priceFactor: factor };
  });
  return { taskId, objects, taskSubmitted, events };
}

/**
 * A file's SLA demand from its upload's tally, per model it names: its lines and their output
 * bounds (the model's default for a line that sets none, at most the model's maximum). Input
 * tokens are not counted before the expansion, so the demand is a lower bound: a file refused on
 * it cannot fit. Unknown models are left out (their lines fail at expansion); so are files stored
 * before the tally existed.
 */
export function fileSlaDemands(catalogue: Catalogue, file: FileRow, slaMinutes: number): SlaDemand[] {
  return (file.models ?? []).flatMap(({ model: name, lines, maxOutputTokens, linesWithoutMax }): SlaDemand[] => {
    const model = findModel(catalogue, name);
    if (!model) return [];
    const bounded = Math.min(maxOutputTokens, (lines - linesWithoutMax) * model.maxOutputTokens);
    return [{ model: model.id, slaMinutes, requests: lines, tokens: bounded + linesWithoutMax * outputTokenBudget(model, undefined) }];
  });
}

/**
 * `[{file_id, sla}]` as one task over the file's lines (pure): the account's own uploaded file
 * (another's is 404; an output file is refused), total_items its line count, known since the
 * upload. The files service expands it into objects. Throws SlaCapacityExceededError when the
 * file's lines for a model are more than its providers' limits can run in the window.
 */
export function submitFileTask(
  item: FileInferItem,
  file: FileRow | null,
  ctx: { catalogue: Catalogue; accountId: string; outputFormat: OutputFormat; deps: EventFactoryDeps; openaiBatch?: TaskSubmittedPayload['openaiBatch']; callbackUrl?: string },
): EventOf<'TaskSubmitted'> {
  if (!file || file.accountId !== ctx.accountId) throw new NotFoundError('file', item.file_id);
  if (file.purpose !== 'input') throw new RequestError(422, 'invalid_file', `file ${file.fileId} holds a task's results, not requests`);
  if (item.sla != null) {
    const shortfalls = slaShortfalls(ctx.catalogue, fileSlaDemands(ctx.catalogue, file, item.sla));
    if (shortfalls.length > 0) throw new SlaCapacityExceededError(shortfalls);
  }
  const taskId = ctx.deps.newId();
  const openaiBatch = ctx.openaiBatch ? { openaiBatch: ctx.openaiBatch } : {};
  return createEvent(
    TaskSubmitted,
    { taskId, accountId: ctx.accountId, totalItems: file.items, outputFormat: ctx.outputFormat, fileId: file.fileId, slaMinutes: item.sla ?? null, ...openaiBatch, ...(ctx.callbackUrl ? { callbackUrl: ctx.callbackUrl } : {}) },
    { correlationId: taskId },
    ctx.deps,
  );
}
