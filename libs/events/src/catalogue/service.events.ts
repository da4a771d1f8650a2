import { z } from 'zod';
import { defineEvent } from '../define-event';
import { Topics } from '../topics';
import { ServiceName } from './common';

/** Each service announces itself on the log; the API's /healthz reads these, not the services. */
export const ServiceHeartbeat = defineEvent({
  type: 'ServiceHeartbeat',
  version: 1,
  topic: Topics.heartbeats,
  key: (p) => p.service,
  producedBy: ['api', 'scheduler', 'router', 'billing', 'files'],
  description: "A service instance announces it is up; the API's /healthz reads these.",
  schema: z.object({
    service: ServiceName,
    instanceId: z.string().min(1),
    startedAt: z.iso.datetime(),
    status: z.enum(['up', 'degraded', 'stopping']),
    detail: z.string().optional(),
  }),
});
