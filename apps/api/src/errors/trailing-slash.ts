import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** `/v0/infer/` → `/v0/infer`, `/x/?a=1` → `/x?a=1`; `/` stays. */
export function withoutTrailingSlash(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path.length <= 1 || !path.endsWith('/')) return url;
  return path.replace(/\/+$/, '') + (query === -1 ? '' : url.slice(query));
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The seed writes its paths with a trailing slash (`POST /v0/infer/`) and people call them
 * without: both must work. Nest strips the slash from every route it registers and the host's
 * Fastify adapter is built without `ignoreTrailingSlash`, so requests are normalised before
 * Fastify routes them. Remove this once the adapter sets `ignoreTrailingSlash: true`.
 */
@Injectable()
export class TrailingSlashRewrite implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    const listeners = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url) req.url = withoutTrailingSlash(req.url);
      for (const listener of listeners) listener.call(server, req, res);
    });
  }
}
