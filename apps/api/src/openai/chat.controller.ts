import { Body, Controller, Headers, HttpCode, Inject, Post, Res, UseGuards } from '@nestjs/common';
import { timeOrderedId } from '@sluice/events';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedAccount } from '../accounts/accounts.repository';
import { AccountAuthGuard, CurrentAccount } from '../accounts/auth.guards';
import { ApiExceptionFilter, openAiFlavour } from '../errors/api-exception.filter';
import { parseBody } from '../errors/parse-body';
import { RealtimeService, requestHash } from '../realtime/realtime.service';
import { idempotencyKeyOf } from '../realtime/realtime.controller';
import { ChatCompletionRequestSchema, toGatewayRequest } from './chat-request';
import { chatCompletion, chatCompletionId, closingChunks, replayChunks, roleChunk, textChunk, type ChatCompletion } from './chat.view';

/**
 * Server-sent events on the raw response, opened at the first write: until then an error can
 * still be an ordinary HTTP error. A client that went away is no longer written to; the
 * request itself runs on (the provider's output is paid for once, see the gateway).
 */
class EventStream {
  private opened = false;

  constructor(private readonly reply: FastifyReply) {}

  get isOpen(): boolean {
    return this.opened;
  }

  send(data: unknown): void {
    const raw = this.reply.raw;
    if (!this.opened) {
      this.opened = true;
      this.reply.hijack();
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    }
    if (!raw.destroyed) raw.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (!this.reply.raw.destroyed) this.reply.raw.end();
  }
}

/** OpenAI's chat completions on the real-time gateway: same quoting, caps, holds, failover and charge as /v1/inference. */
@Controller('v1/chat/completions')
@UseGuards(AccountAuthGuard)
export class ChatCompletionsController {
  private readonly errors = new ApiExceptionFilter();

  constructor(
    private readonly realtime: RealtimeService,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  @Post()
  @HttpCode(200)
  async create(
    @CurrentAccount() account: AuthenticatedAccount,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKeyHeader: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const idempotencyKey = idempotencyKeyOf(idempotencyKeyHeader);
    const request = parseBody(ChatCompletionRequestSchema, body);
    const objectId = timeOrderedId();
    const created = Math.floor(this.runtime.clock.now().getTime() / 1000);
    const options = {
      objectId,
      render: (answer: Parameters<typeof chatCompletion>[0]) => chatCompletion(answer, created),
      // The endpoint is part of the hash: a key used on /v1/inference is another request here.
      ...(idempotencyKey !== undefined ? { idempotency: { key: idempotencyKey, hash: requestHash({ endpoint: 'chat.completions', body }) } } : {}),
    };
    const gatewayRequest = toGatewayRequest(request);
    if (request.stream !== true) {
      const { response, replay } = await this.realtime.serve(account.accountId, gatewayRequest, options);
      if (replay) void reply.header('Idempotent-Replay', 'true');
      await reply.send(response);
      return;
    }

    const includeUsage = request.stream_options?.include_usage === true;
    const base = { id: chatCompletionId(objectId), created, model: request.model };
    const stream = new EventStream(reply);
    try {
      const { response, replay } = await this.realtime.serve<ChatCompletion>(account.accountId, gatewayRequest, {
        ...options,
        onText: (text) => {
          if (!stream.isOpen) stream.send(roleChunk(base));
          stream.send(textChunk(base, text));
        },
      });
      if (replay) {
        void reply.header('Idempotent-Replay', 'true');
        for (const chunk of replayChunks(response, includeUsage)) stream.send(chunk);
      } else {
        if (!stream.isOpen) stream.send(roleChunk(base));
        for (const chunk of closingChunks(response, includeUsage)) stream.send(chunk);
      }
      stream.send('[DONE]');
      stream.end();
    } catch (err) {
      if (!stream.isOpen) throw err;
      // Mid-stream: the status line is gone, so the error travels as an event (the SDK raises it).
      const { status, body: envelope } = this.errors.toResponse(err);
      stream.send(openAiFlavour(status, envelope).body);
      stream.end();
    }
  }
}
