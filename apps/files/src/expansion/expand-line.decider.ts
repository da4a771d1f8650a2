import { countPromptTokensInSlices, countPromptTokensWith, findModel, type Catalogue, type ModelSpec, type Slices } from '@sluice/catalogue';
import type { ParsedLine } from '@sluice/batch-formats';
import { createEvent, createParsedEvent, ObjectRejected, ObjectSubmitted, type EventOf } from '@sluice/events';
import { deadlineOf, outputTokenBudget, type PriceFactorRequest } from '@sluice/pricing';
import { stableUuidPair } from './stable-id';

export type PriceFactorFn = (catalogue: Catalogue, request: PriceFactorRequest, now: Date) => number;

/** What every line of one file task shares. */
export interface FileTask {
  taskId: string;
  accountId: string;
  totalItems: number;
  slaMinutes: number | null;
  collectOutput: boolean;
  /** When the task was submitted: deadlines and price factors count from it, so a resumed expansion quotes the same. */
  submittedAt: Date;
}

export interface ExpansionDeps {
  catalogue: Catalogue;
  priceFactor: PriceFactorFn;
  now: () => Date;
}

export type LineEvent = EventOf<'ObjectSubmitted'> | EventOf<'ObjectRejected'>;

/** Object and event ids of a file task's item: a pure function of (task, index). */
const fileIds = (taskId: string, index: number) => stableUuidPair(taskId, 'item', index);
export const fileObjectId = (taskId: string, index: number) => fileIds(taskId, index)[0];

/**
 * Expands a file task's lines into objects (pure: the clock and catalogue come in). A line that
 * cannot run (its parse failed, its model is unknown, its input leaves no room for output) becomes
 * ObjectRejected with its line number and reason; the others become ObjectSubmitted as the
 * inline items of POST /v0/infer/ do, keeping the line's key. Quotes are cached per distinct
 * (model, size), since a file repeats them.
 */
export class LineExpander {
  private readonly quotes = new Map<string, number>();
  private readonly models = new Map<string, ModelSpec | undefined>();
  private readonly deadlineAt: string;

  constructor(
    private readonly task: FileTask,
    private readonly deps: ExpansionDeps,
  ) {
    this.deadlineAt = deadlineOf(task.submittedAt, task.slaMinutes);
  }

  /**
   * The line's input tokens as expand counts them, in slices of the event loop (a line may hold
   * megabytes); undefined when expand refuses the line before counting.
   */
  async countInput(line: ParsedLine, slices: Slices): Promise<number | undefined> {
    if (!line.ok) return undefined;
    const model = this.model(line.request.model);
    if (!model) return undefined;
    const { input } = line.request;
    return countPromptTokensInSlices(model.tokenizer, 'text' in input ? input.text : input.messages, slices);
  }

  /** `counted`: the line's input tokens from countInput; counted here when absent. */
  expand(line: ParsedLine, index: number, counted?: number): LineEvent {
    const { task } = this;
    const [objectId, eventId] = fileIds(task.taskId, index);
    const eventDeps = { now: this.deps.now, newId: () => eventId };
    const context = { correlationId: task.taskId };
    const reject = (code: string, message: string, itemKey?: string) =>
      createEvent(
        ObjectRejected,
        { objectId, taskId: task.taskId, accountId: task.accountId, index, lineNo: line.lineNo, code, message, ...(itemKey !== undefined ? { itemKey } : {}), ...(task.collectOutput ? { collectOutput: true } : {}) },
        context,
        eventDeps,
      );
    if (!line.ok) return reject(line.code, line.message, line.key);

    const { request } = line;
    const model = this.model(request.model);
    if (!model) return reject('unknown_model', `line ${line.lineNo}: unknown model '${request.model}'`, request.key);
    const prompt = 'text' in request.input ? request.input.text : request.input.messages;
    const inputTokens = counted ?? countPromptTokensWith(model.tokenizer, prompt);
    const maxOutputTokens = outputTokenBudget(model, request.maxOutputTokens);
    if (inputTokens + maxOutputTokens > model.contextTokens) {
      return reject(
        'input_too_long',
        `line ${line.lineNo}: ${inputTokens} input tokens leave no room for ${maxOutputTokens} output tokens in ${model.id}'s ${model.contextTokens}-token context`,
        request.key,
      );
    }
    // Built from the parsed line and the catalogue: a second parse would cost ~8% of the rate.
    return createParsedEvent(
      ObjectSubmitted,
      {
        objectId,
        taskId: task.taskId,
        accountId: task.accountId,
        index,
        itemKey: request.key,
        model: model.id,
        input: request.input,
        inputTokens,
        maxOutputTokens,
        ...(request.params ? { params: request.params } : {}),
        slaMinutes: task.slaMinutes,
        deadlineAt: this.deadlineAt,
        pricing: { kind: 'sla', basePrice: model.basePrice, priceFactor: this.quote(model, inputTokens, maxOutputTokens) },
        ...(task.collectOutput ? { collectOutput: true } : {}),
      },
      context,
      eventDeps,
    );
  }

  private model(name: string): ModelSpec | undefined {
    if (!this.models.has(name)) this.models.set(name, findModel(this.deps.catalogue, name));
    return this.models.get(name);
  }

  private quote(model: ModelSpec, inputTokens: number, maxOutputTokens: number): number {
    const key = `${model.id}|${inputTokens}|${maxOutputTokens}`;
    let factor = this.quotes.get(key);
    if (factor === undefined) {
      const request = { model: model.id, slaMinutes: this.task.slaMinutes, taskItems: this.task.totalItems, expectedInputTokens: inputTokens, expectedOutputTokens: maxOutputTokens };
      factor = this.deps.priceFactor(this.deps.catalogue, request, this.task.submittedAt);
      this.quotes.set(key, factor);
    }
    return factor;
  }
}
