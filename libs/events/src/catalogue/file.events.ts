import { z } from 'zod';
import { defineEvent } from '../define-event';
import { Topics } from '../topics';
import { Id } from './common';

const fileKey = (p: { fileId: string }) => p.fileId;

export const FileStored = defineEvent({
  type: 'FileStored',
  version: 1,
  topic: Topics.files,
  key: fileKey,
  schema: z.object({
    fileId: Id,
    accountId: Id,
    fileName: z.string().min(1),
    bytes: z.number().int().nonnegative(),
    mimeType: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    blobKey: z.string().min(1),
  }),
});

export const TaskOutputReady = defineEvent({
  type: 'TaskOutputReady',
  version: 1,
  topic: Topics.files,
  key: fileKey,
  schema: z.object({ fileId: Id, taskId: Id, accountId: Id, blobKey: z.string().min(1), lines: z.number().int() }),
});
