import { servedByGateway, type SluiceEvent } from '@sluice/events';
import type { RawSqlClient } from '@sluice/persistence';
import { countFinalItems, finishOutputItems, insertOutputItems, type FinalResult, type NewOutputItem } from './output.repository';

export interface CollectedResults {
  items: NewOutputItem[];
  finals: FinalResult[];
}

/**
 * What a batch of object events means for output files (pure): the items of tasks that want a
 * JSONL file (their submission or rejection carries `collectOutput`) and how objects ended. An
 * object's first end in log order wins, as in the API's read model; an inline item without a
 * line key is keyed by its object id.
 */
export function collectResults(events: readonly SluiceEvent[]): CollectedResults {
  const items: NewOutputItem[] = [];
  const finals = new Map<string, FinalResult>();
  const end = (result: FinalResult) => {
    if (!finals.has(result.objectId)) finals.set(result.objectId, result);
  };
  for (const event of events) {
    if (servedByGateway(event)) continue;
    switch (event.type) {
      case 'ObjectSubmitted': {
        const p = event.payload;
        if (p.collectOutput) {
          items.push({ objectId: p.objectId, taskId: p.taskId, index: p.index, key: p.itemKey ?? p.objectId, status: 'pending', errorCode: null, errorMessage: null, model: p.model, maxOutputTokens: p.maxOutputTokens });
        }
        break;
      }
      case 'ObjectRejected': {
        const p = event.payload;
        if (p.collectOutput) {
          items.push({ objectId: p.objectId, taskId: p.taskId, index: p.index, key: p.itemKey ?? `line-${p.lineNo}`, status: 'failed', errorCode: p.code, errorMessage: p.message, model: null, maxOutputTokens: null });
        }
        break;
      }
      case 'ObjectCompleted': {
        const p = event.payload;
        end({
          objectId: p.objectId,
          status: 'completed',
          text: 'text' in p.output ? p.output.text : null,
          errorCode: null,
          errorMessage: null,
          inputTokens: p.inputTokens,
          outputTokens: p.outputTokens,
          finishedAt: event.occurredAt,
        });
        break;
      }
      case 'ObjectAbandoned':
        end({ objectId: event.payload.objectId, status: 'failed', text: null, errorCode: event.payload.code, errorMessage: event.payload.message, inputTokens: null, outputTokens: null, finishedAt: event.occurredAt });
        break;
      default:
        break;
    }
  }
  return { items, finals: [...finals.values()] };
}

/**
 * Applies collected results to the output items and the tasks' counters of ended items;
 * returns how many items became final (only then may a task's file be due).
 */
export async function collectOutputs(tx: RawSqlClient, { items, finals }: CollectedResults): Promise<number> {
  // Submissions first: an object submitted and finished within one batch is inserted, then ended.
  const endedAtOnce = await insertOutputItems(tx, items);
  const ended = await finishOutputItems(tx, finals);
  await countFinalItems(tx, [...endedAtOnce, ...ended]);
  return endedAtOnce.length + ended.length;
}
