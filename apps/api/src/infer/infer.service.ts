import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEvent, TaskCancelRequested, timeOrderedId } from '@sluice/events';
import { admissionPriority, EventStore, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import type { RawSqlClient } from '@sluice/persistence';
import { priceFactor } from '@sluice/pricing';
import { recordObjectRoots } from '@sluice/telemetry';
import { NotFoundError, RequestError } from '../errors/api-error';
import { findFile, outputFileOfTask } from '../files/file-view.store';
import { defaultEndpointOf } from '../webhooks/webhook.store';
import { FinishedObjectsNotifier } from '../read-models/finished-objects.notifier';
import { isTerminal, type ObjectRow } from '../read-models/object.projection';
import { recordCancelledTask, recordSubmittedTask, toObjectRow } from '../read-models/read-model.store';
import { findTask, listTasks, objectPlace, taskObjectsPage } from '../read-models/task-view.store';
import { summariseTask, taskStatus, type TaskRow } from '../read-models/task.projection';
import { pageOf, taskObjectView, taskSummaryView, taskView } from '../read-models/views';
import type { FileInferItem, InferItem, OutputFormat } from './infer-request';
import { jsonlTaskView } from './jsonl-task.view';
import { DEFAULT_PAGE_LIMIT, type ListTasksQuery, type TaskObjectsQuery } from './list-queries';
import { countInputTokens, submitFileTask, submitTask } from './submit-task.decider';

/** How long (real time) POST /v0/infer/ waits for its no-SLA items before answering without them. */
export const NO_SLA_WAIT_MS = 30_000;
const POLL_MS = 250;

export interface SubmitOptions {
  outputFormat?: OutputFormat;
  baseUrl?: string;
  /** How long the answer waits for no-SLA items. */
  waitMs?: number;
  /** Called once the task committed (the submission is admitted; see endAdmission). */
  committed?: () => void;
  /** Where the task's webhooks go (checked by checkCallbackUrl). */
  callbackUrl?: string;
}

type ObjectRecord = Parameters<typeof toObjectRow>[0];

@Injectable()
export class InferService {
  constructor(
    private readonly eventStore: EventStore,
    private readonly notifier: FinishedObjectsNotifier,
    @Inject(SQL) private readonly sql: RawSqlClient,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  /**
   * Submits the items as one task (all events in one outbox transaction); waits for the no-SLA
   * ones, as a request awaiting results (background work is then not held for admissions).
   */
  async submit(accountId: string, items: readonly InferItem[], options: SubmitOptions = {}) {
    const waitMs = options.waitMs ?? NO_SLA_WAIT_MS;
    const inputTokens = await countInputTokens(this.runtime.catalogue, items);
    const task = submitTask(items, {
      catalogue: this.runtime.catalogue,
      inputTokens,
      accountId,
      now: this.runtime.clock.now(),
      newId: timeOrderedId,
      priceFactor,
      outputFormat: options.outputFormat,
      callbackUrl: options.callbackUrl ?? (await defaultEndpointOf(this.sql, accountId)),
    });
    await this.eventStore.transact(async (tx) => {
      await recordSubmittedTask(tx, task.taskSubmitted);
      return { result: undefined, events: task.events };
    });
    // Each item's trace is derived from its id; its root is exported here, once it exists.
    recordObjectRoots(task.objects.map((o) => o.objectId), { 'sluice.task.id': task.taskId });
    options.committed?.();
    if (options.outputFormat === 'jsonl') {
      const immediate = task.objects.every((o) => o.slaMinutes === null);
      return this.jsonlAnswer(accountId, task.taskId, immediate ? waitMs : 0, options.baseUrl ?? '');
    }

    const immediate = task.objects.filter((o) => o.slaMinutes === null).map((o) => o.objectId);
    const finished = immediate.length > 0 ? await this.waitForFinished(immediate, waitMs) : new Map<string, ObjectRow>();
    const objects = task.objects.map((o) => {
      const row = finished.get(o.objectId);
      if (row) return taskObjectView(row);
      return { object_id: o.objectId, status: 'submitted', usage: { input_tokens: o.inputTokens, price_factor: o.priceFactor } };
    });
    const allFinished = finished.size === task.objects.length;
    return {
      status: allFinished ? summariseTask(task.objects.length, [...finished.values()].map((r) => r.status)) : 'submitted',
      task_id: task.taskId,
      total_items: task.objects.length,
      objects,
    };
  }

  /** `[{file_id, sla}]`: one task over the file's lines (see submitFileTask). */
  async submitFile(accountId: string, item: FileInferItem, options: SubmitOptions & { outputFormat: OutputFormat; baseUrl: string }) {
    const { outputFormat, baseUrl, waitMs = NO_SLA_WAIT_MS } = options;
    const submitted = submitFileTask(item, await findFile(this.sql, item.file_id), {
      catalogue: this.runtime.catalogue,
      accountId,
      outputFormat,
      callbackUrl: options.callbackUrl ?? (await defaultEndpointOf(this.sql, accountId)),
      deps: { now: () => this.runtime.clock.now(), newId: timeOrderedId },
    });
    await this.eventStore.transact(async (tx) => {
      await recordSubmittedTask(tx, submitted);
      return { result: undefined, events: [submitted] };
    });
    options.committed?.();
    const { taskId, totalItems, slaMinutes } = submitted.payload;
    if (outputFormat === 'jsonl') return this.jsonlAnswer(accountId, taskId, slaMinutes == null ? waitMs : 0, baseUrl);
    return { status: 'submitted', task_id: taskId, total_items: totalItems };
  }

  /** A jsonl task's answer; without an SLA, waits (bounded) for its results file first. */
  private async jsonlAnswer(accountId: string, taskId: string, waitMs: number, baseUrl: string) {
    const deadline = Date.now() + waitMs;
    const stopAwaiting = waitMs > 0 ? admissionPriority.awaitResults() : () => undefined;
    try {
      while (Date.now() < deadline && !(await outputFileOfTask(this.sql, taskId))) await sleep(Math.min(POLL_MS, deadline - Date.now()));
    } finally {
      stopAwaiting();
    }
    return this.task(accountId, taskId, baseUrl);
  }

  async task(accountId: string, taskId: string, baseUrl = '', query: TaskObjectsQuery = {}) {
    const task = await this.ownTask(accountId, taskId);
    if (task.outputFormat === 'jsonl') return jsonlTaskView(task, await outputFileOfTask(this.sql, taskId), baseUrl);
    const after = query.after ? await objectPlace(this.sql, taskId, query.after) : undefined;
    if (after === null) throw new NotFoundError('object', `${query.after} of task ${taskId}`);
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await taskObjectsPage(this.sql, taskId, { status: query.status, after, limit: limit + 1 });
    const { page, ...cursor } = pageOf(rows, limit, (r) => r.objectId);
    return taskView(task, page, cursor);
  }

  /** The account's tasks, newest first (`after`: the last task of the previous page). */
  async tasks(accountId: string, query: ListTasksQuery) {
    const cursor = query.after ? await this.ownTask(accountId, query.after) : undefined;
    const after = cursor ? { submittedAt: cursor.submittedAt ?? '', taskId: cursor.taskId } : undefined;
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await listTasks(this.sql, accountId, { status: query.status, createdAfter: query.created_after, after, limit: limit + 1 });
    const { page, ...rest } = pageOf(rows, limit, (r) => r.taskId);
    return { tasks: page.map(taskSummaryView), ...rest };
  }

  /**
   * Cancels a task that has not ended: its objects not dispatched end unrun and their funds are
   * released (the scheduler, on TaskCancelRequested); what runs or ran is kept and charged. The
   * task is `cancelling` until its last object ended, then `cancelled`. Twice is the same as once.
   */
  async cancel(accountId: string, taskId: string, baseUrl = '') {
    const task = await this.ownTask(accountId, taskId);
    const status = taskStatus(task);
    if (status === 'completed' || status === 'failed' || status === 'cancelled') {
      throw new RequestError(409, 'task_not_cancellable', `task ${taskId} is ${status}: only a task that has not ended can be cancelled`);
    }
    const now = this.runtime.clock.now();
    const event = createEvent(TaskCancelRequested, { taskId, accountId }, { correlationId: taskId }, { now: () => now, newId: timeOrderedId });
    await this.eventStore.transact(async (tx) => {
      const first = await recordCancelledTask(tx, event);
      return { result: undefined, events: first ? [event] : [] };
    });
    return this.task(accountId, taskId, baseUrl);
  }

  private async ownTask(accountId: string, taskId: string): Promise<TaskRow> {
    const task = await findTask(this.sql, taskId);
    if (!task || task.accountId !== accountId) throw new NotFoundError('task', taskId);
    return task;
  }

  async object(accountId: string, objectId: string): Promise<ObjectRow> {
    const rows = await this.sql.$queryRaw<ObjectRecord[]>`SELECT * FROM object_view WHERE object_id = ${objectId}`;
    const row = rows[0] ? toObjectRow(rows[0]) : null;
    // An object known only from a billing event has no submission yet: not visible until it has.
    if (!row || row.accountId !== accountId || row.submittedAt === null) throw new NotFoundError('object', objectId);
    return row;
  }

  private async finishedRows(objectIds: readonly string[]): Promise<ObjectRow[]> {
    const rows = await this.sql.$queryRaw<ObjectRecord[]>`
      SELECT * FROM object_view WHERE object_id = ANY(${objectIds}::text[]) AND status IN ('completed', 'failed')`;
    return rows.map(toObjectRow).filter((r) => isTerminal(r.status));
  }

  /**
   * Waits (real time, bounded) until the objects are final in the read model; returns those
   * that are. After the first read it takes the final rows this instance's projection reports
   * as it commits them, re-reads only the reported objects that came without one, and all
   * pending ones on each poll (for partitions another instance projects).
   */
  private async waitForFinished(objectIds: string[], waitMs: number): Promise<Map<string, ObjectRow>> {
    const deadline = Date.now() + waitMs;
    const finished = new Map<string, ObjectRow>();
    const pending = new Set(objectIds);
    const watch = this.notifier.watch(pending);
    try {
      let toRead = objectIds;
      while (pending.size > 0) {
        for (const row of toRead.length > 0 ? await this.finishedRows(toRead) : []) {
          finished.set(row.objectId, row);
          pending.delete(row.objectId);
        }
        const left = deadline - Date.now();
        if (pending.size === 0 || left <= 0) break;
        const reported = await watch.next(Math.min(POLL_MS, left));
        toRead = reported === null ? [...pending] : [];
        for (const [id, row] of reported ?? []) {
          if (!pending.has(id)) continue;
          // A final row this instance just committed is what a read would return: no query.
          if (row && isTerminal(row.status)) {
            finished.set(id, row);
            pending.delete(id);
          } else toRead.push(id);
        }
      }
    } finally {
      watch.close();
    }
    return finished;
  }
}
