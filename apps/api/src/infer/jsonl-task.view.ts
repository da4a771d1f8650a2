import type { FileRow } from '../files/file.projection';
import { taskCounts, taskStatus, type TaskRow } from '../read-models/task.projection';

/** Where the owner downloads a file (with their key: `Authorization: Bearer <key>`). */
export const fileContentUrl = (baseUrl: string, fileId: string) => `${baseUrl}/v0/files/${fileId}/content`;

/**
 * A task that asked for `Output-Format: jsonl`: counts instead of the object list, and
 * `output_url` once the results file is written. It is `completed` (or `failed`, when no
 * item completed) only then, so a client that polls for the status finds the URL with it;
 * a cancelled one is `cancelling`, then `cancelled` once its last item ended.
 */
export function jsonlTaskView(task: TaskRow, output: FileRow | null, baseUrl: string) {
  const total = task.totalItems ?? 0;
  const ended = task.completedItems + task.failedItems;
  const cancelled = task.cancelledAt !== null ? taskStatus(task) : null;
  const status = cancelled ?? (output ? (task.completedItems > 0 ? ('completed' as const) : ('failed' as const)) : ended > 0 ? ('running' as const) : ('submitted' as const));
  return {
    status,
    task_id: task.taskId,
    total_items: total,
    completed_items: task.completedItems,
    failed_items: task.failedItems,
    counts: taskCounts(task),
    ...(output ? { output_url: fileContentUrl(baseUrl, output.fileId), output_file_id: output.fileId } : {}),
  };
}
