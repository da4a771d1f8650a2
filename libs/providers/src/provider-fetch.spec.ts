import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenAiCompatibleAdapter } from './openai-compatible.adapter';
import { PROVIDER_CONNECTIONS_PER_ORIGIN } from './provider-fetch';

jest.setTimeout(60_000);

/** An OpenAI-compatible provider that answers each chat completion after `delayMs` and counts its connections. */
async function slowProvider(delayMs: number) {
  const seen = { connections: 0, open: 0, peakRequests: 0, requests: 0 };
  const server: Server = createServer((req, res) => {
    seen.requests += 1;
    seen.peakRequests = Math.max(seen.peakRequests, seen.requests);
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        seen.requests -= 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }));
      }, delayMs),
    );
  });
  server.on('connection', (socket) => {
    seen.connections += 1;
    seen.open += 1;
    socket.on('close', () => (seen.open -= 1));
  });
  server.keepAliveTimeout = 60_000;
  // 2,000 connections open at once: past the default accept backlog (511) a dropped SYN is retried
  // for seconds and can outlast the client's connect timeout on a busy machine.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4_096 }, resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, seen, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

describe('provider calls share one bounded connection pool per provider', () => {
  it(`never opens more than ${PROVIDER_CONNECTIONS_PER_ORIGIN} connections to a provider, however many calls wait; every call is answered`, async () => {
    const provider = await slowProvider(300);
    try {
      const adapter = new OpenAiCompatibleAdapter({ timeoutMs: 50_000 });
      const calls = PROVIDER_CONNECTIONS_PER_ORIGIN + 1_000;
      const results = await Promise.all(
        Array.from({ length: calls }, () => adapter.complete({ provider: { id: 'p', baseUrl: provider.url, apiKey: 'k' }, providerModel: 'm', input: 'hi', maxOutputTokens: 4 })),
      );
      expect(results.every((r) => r.text === 'ok' && r.inputTokens === 3)).toBe(true);
      // Unbounded (Node's global pool), each of the 3,000 calls had its own connection.
      expect(provider.seen.peakRequests).toBeLessThanOrEqual(PROVIDER_CONNECTIONS_PER_ORIGIN);
      expect(provider.seen.connections).toBeLessThanOrEqual(PROVIDER_CONNECTIONS_PER_ORIGIN);
    } finally {
      await provider.close();
    }
  });
});
