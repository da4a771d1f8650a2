import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { admissionPriority, EventStore, SERVICE_RUNTIME, SQL, type ServiceRuntime } from '@sluice/platform';
import type { RawSqlClient } from '@sluice/persistence';
import { priceFactor } from '@sluice/pricing';
import { NotFoundError } from '../errors/api-error';
import { findFile, outputFileOfTask } from '../files/file-view.store';
import { FinishedObjectsNotifier } from '../read-models/finished-objects.notifier';
import { isTerminal, type ObjectRow } from '../read-models/object.projection';
import { recordSubmittedTask, toObjectRow, toTaskRow } from '../read-models/read-model.store';
import { summariseTask } from '../read-models/task.projection';
import { taskObjectView, taskView } from '../read-models/views';
import type { FileInferItem, InferItem, OutputFormat } from './infer-request';
import { jsonlTaskView } from './jsonl-task.view';
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
}

type ObjectRecord = Parameters<typeof toObjectRow>[0];
type TaskRecord = Parameters<typeof toTaskRow>[0];

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
      newId: randomUUID,
      priceFactor,
      outputFormat: options.outputFormat,
    });
    await this.eventStore.transact(async (tx) => {
      await recordSubmittedTask(tx, task.taskSubmitted);
      return { result: undefined, events: task.events };
    });
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
      accountId,
      outputFormat,
      deps: { now: () => this.runtime.clock.now(), newId: randomUUID },
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

  async task(accountId: string, taskId: string, baseUrl = '') {
    const tasks = await this.sql.$queryRaw<TaskRecord[]>`
      SELECT task_id, account_id, total_items, output_format, file_id, submitted_at, completed_items, failed_items, completion_emitted
      FROM task_view WHERE task_id = ${taskId}`;
    const task = tasks[0] ? toTaskRow(tasks[0]) : null;
    if (task?.outputFormat === 'jsonl') {
      if (task.accountId !== accountId) throw new NotFoundError('task', taskId);
      return jsonlTaskView(task, await outputFileOfTask(this.sql, taskId), baseUrl);
    }
    const objects = await this.sql.$queryRaw<ObjectRecord[]>`
      SELECT * FROM object_view WHERE task_id = ${taskId} ORDER BY item_index`;
    const owner = task?.accountId ?? objects[0]?.account_id;
    if (owner !== accountId) throw new NotFoundError('task', taskId);
    return taskView(task, taskId, objects.map(toObjectRow));
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
