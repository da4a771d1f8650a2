/** Errors of the embedded log, with stable codes callers can match on. */
export class EventLogLockedError extends Error {
  override readonly name = 'EventLogLockedError';
  readonly code = 'event_log_locked';
  constructor(
    readonly dir: string,
    readonly ownerPid: number,
  ) {
    super(`event log ${dir} is already open in process ${ownerPid}`);
  }
}

export class UnknownTopicError extends Error {
  override readonly name = 'UnknownTopicError';
  readonly code = 'unknown_topic';
  constructor(readonly topic: string) {
    super(`topic ${topic} does not exist; create it with ensureTopics first`);
  }
}

export class EventLogClosedError extends Error {
  override readonly name = 'EventLogClosedError';
  readonly code = 'event_log_closed';
  constructor() {
    super('event log is closed');
  }
}
