import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { NestPinoLogger, captureLogs, configureLogging, logger, safeErrorText } from './log';
import { startTelemetry, tracer } from './telemetry';

describe('logs', () => {
  it('writes Nest Logger calls as JSON lines, its start-up chatter at debug only', () => {
    const logs = captureLogs();
    const nest = new NestPinoLogger();
    nest.log('routes mapped', 'RouterExplorer');
    nest.warn({ msg: 'dropped 2 expired holds', accountId: 'acct-1' }, 'RealtimeGateway');
    nest.error('outbox relay failed', 'Error: boom\n    at x', 'Outbox');
    logs.restore();
    expect(logs.lines()).toEqual([
      expect.objectContaining({ level: 'warn', component: 'RealtimeGateway', msg: 'dropped 2 expired holds', accountId: 'acct-1' }),
      expect.objectContaining({ level: 'error', component: 'Outbox', msg: 'outbox relay failed', stack: 'Error: boom\n    at x' }),
    ]);
  });

  it('never writes an API key or an Authorization header passed in fields', () => {
    const logs = captureLogs();
    logger('test').info({ apiKey: 'sk-abc', headers: { authorization: 'Bearer sk-abc' }, provider: { apiKey: 'sk-abc' } }, 'called');
    logs.restore();
    expect(logs.raw().join('')).not.toContain('sk-abc');
    expect(safeErrorText('401 for Bearer sk-live-abcdefghijklmnop and key sk-live-abcdefghijklmnop', ['sk-live-abcdefghijklmnop'])).toBe('401 for Bearer [redacted] and key [redacted]');
  });

  it('adds the active span as trace_id and span_id', async () => {
    const telemetry = startTelemetry({ serviceName: 'log-spec', exporter: new InMemorySpanExporter(), simple: true });
    const logs = captureLogs();
    const span = tracer().startSpan('work');
    context.with(trace.setSpan(context.active(), span), () => logger('test').info({ objectId: 'obj-1' }, 'inside'));
    span.end();
    logs.restore();
    await telemetry?.shutdown();
    expect(logs.lines()).toEqual([expect.objectContaining({ msg: 'inside', objectId: 'obj-1', trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId })]);
  });

  it('refuses a LOG_LEVEL it does not know, naming it', () => {
    expect(() => configureLogging({ level: 'verbose' })).toThrow('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")');
  });
});
