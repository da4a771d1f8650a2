import type { MessagePort } from 'node:worker_threads';
import {
  deserializeError,
  serializeError,
  type BatchRequest,
  type LogReplyValue,
  type LogRequest,
  type PortMessage,
} from './log-port.protocol';

export class PortClosedError extends Error {
  override readonly name = 'PortClosedError';
  constructor() {
    super('the event log port is closed');
  }
}

/**
 * One end of the log's message port: sends requests and awaits their replies, answers the
 * other end's requests with `serve`. Replies keep no order; each names its request.
 */
export class PortEndpoint {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: LogReplyValue) => void; reject: (err: Error) => void }>();
  private closed = false;

  constructor(
    private readonly port: MessagePort,
    serve: (request: LogRequest | BatchRequest) => Promise<LogReplyValue>,
  ) {
    port.on('message', (message: PortMessage) => {
      if (message.kind === 'reply') return this.settle(message);
      serve(message.request).then(
        (value) => this.send({ kind: 'reply', id: message.id, ok: true, value }),
        (err: unknown) => this.send({ kind: 'reply', id: message.id, ok: false, error: serializeError(err) }),
      );
    });
    port.on('close', () => this.close());
  }

  request<T extends LogReplyValue>(request: LogRequest | BatchRequest): Promise<T> {
    if (this.closed) return Promise.reject(new PortClosedError());
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: LogReplyValue) => void, reject });
      this.send({ kind: 'request', id, request });
    });
  }

  /** Fails what is still awaited and closes the port (the other end sees `close`). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { reject } of this.pending.values()) reject(new PortClosedError());
    this.pending.clear();
    this.port.close();
  }

  private settle(message: Extract<PortMessage, { kind: 'reply' }>): void {
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(deserializeError(message.error));
  }

  private send(message: PortMessage): void {
    if (!this.closed) this.port.postMessage(message);
  }
}
