import { z } from 'zod';
import { defineEvent } from '../define-event';
import { Topics } from '../topics';
import { Id } from './common';

/** `sluice`: the seed's (Gemini-like) `{key, request}` lines; `openai`: OpenAI Batch `{custom_id, body}` lines. */
export const LineFormat = z.enum(['sluice', 'openai']);

const fileKey = (p: { fileId: string }) => p.fileId;

export const FileStored = defineEvent({
  type: 'FileStored',
  version: 1,
  topic: Topics.files,
  key: fileKey,
  producedBy: ['api'],
  description: 'An uploaded file is stored: its blob, lines and detected line format.',
  schema: z.object({
    fileId: Id,
    accountId: Id,
    fileName: z.string().min(1),
    bytes: z.number().int().nonnegative(),
    mimeType: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    blobKey: z.string().min(1),
    /** Non-blank lines: the objects a task on this file will hold. */
    items: z.number().int().nonnegative(),
    /** The line format detected from the first line that parses (null when none does). */
    format: LineFormat.nullable(),
    /**
     * The lines per model they name (as written) and the output bounds they ask for, summed:
     * what a task's SLA capacity check counts at submission. Absent when the file names too many
     * models to tally, and in events written before it existed.
     */
    models: z
      .array(
        z.object({
          model: z.string(),
          lines: z.number().int().positive(),
          maxOutputTokens: z.number().int().nonnegative(),
          linesWithoutMax: z.number().int().nonnegative(),
        }),
      )
      .optional(),
  }),
});

/** The files service turned every line of a file task into ObjectSubmitted or ObjectRejected. */
export const FileExpanded = defineEvent({
  type: 'FileExpanded',
  version: 1,
  topic: Topics.files,
  key: fileKey,
  producedBy: ['files'],
  description: 'Every line of a file task became ObjectSubmitted or ObjectRejected.',
  schema: z.object({
    fileId: Id,
    taskId: Id,
    accountId: Id,
    submitted: z.number().int().nonnegative(),
    rejected: z.number().int().nonnegative(),
  }),
});

const StoredOutput = {
  fileId: Id,
  fileName: z.string().min(1),
  blobKey: z.string().min(1),
  lines: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
};

/**
 * A task's results as a JSONL file (Output-Format: jsonl), stored under a file id of their own.
 * For an OpenAI batch (TaskSubmitted.openaiBatch) the file holds the successes only, in OpenAI's
 * output line format, and `errorFile` the failures.
 */
export const TaskOutputReady = defineEvent({
  type: 'TaskOutputReady',
  version: 1,
  topic: Topics.files,
  key: fileKey,
  producedBy: ['files'],
  description: "A task's results are stored as a JSONL file (for an OpenAI batch, its output and error files).",
  schema: z.object({
    ...StoredOutput,
    taskId: Id,
    accountId: Id,
    errorFile: z.object(StoredOutput).optional(),
  }),
});

/** The owner deleted an uploaded file (`DELETE /v0/files/{id}`, `/v1/files/{id}`): it is no longer shown nor usable for a task. */
export const FileDeleted = defineEvent({
  type: 'FileDeleted',
  version: 1,
  topic: Topics.files,
  key: fileKey,
  producedBy: ['api'],
  description: 'The owner deleted a file: GET answers 404 and no new task may use it; tasks already submitted on it go on.',
  schema: z.object({ fileId: Id, accountId: Id }),
});
