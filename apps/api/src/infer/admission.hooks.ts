import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { admissionPriority } from '@sluice/platform';

const SUBMIT_PATH = /^\/v0\/infer\/?(\?|$)/;
const LEAVE = Symbol('leaveAdmission');
type Admitted = FastifyRequest & { [LEAVE]?: () => void };

/**
 * A batch submission (`POST /v0/infer/`) is admitted from its first byte until its task
 * committed (`endAdmission`, called by the controller), its response or its abort: this
 * process's background work waits for it meanwhile (see AdmissionPriority). A submission that
 * then waits for its no-SLA items awaits results, which holds nothing back.
 */
export function registerAdmissionPriority(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request: Admitted, _reply, done) => {
    if (request.method === 'POST' && SUBMIT_PATH.test(request.url)) request[LEAVE] = admissionPriority.enter();
    done();
  });
  fastify.addHook('onResponse', (request: Admitted, _reply, done) => {
    endAdmission(request);
    done();
  });
  fastify.addHook('onRequestAbort', (request: Admitted, done) => {
    endAdmission(request);
    done();
  });
}

/** The request's submission is admitted (its task committed) or over; idempotent. */
export function endAdmission(request: FastifyRequest): void {
  (request as Admitted)[LEAVE]?.();
}
