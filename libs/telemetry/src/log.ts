import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger as Pino, type LevelWithSilent } from 'pino';

export type LogFormat = 'json' | 'pretty';

export interface LoggingOptions {
  /** LOG_LEVEL: fatal, error, warn, info (default), debug, trace or silent. */
  level?: string;
  /** `pretty` for a person at a terminal; `json` (one object a line) otherwise. */
  format?: LogFormat;
  /**
   * The `service` of this thread's lines that do not name their own (a process runs one service,
   * but the embedded engine's services thread runs four: `services` there).
   */
  service?: string;
  /** Where lines go (default: stdout); a test passes its own stream. */
  destination?: DestinationStream;
}

/** LOG_LEVEL's words (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LEVELS: readonly string[] = LOG_LEVELS;

let root: Pino | undefined;
// Not an AsyncLocalStorage per service: on Node 20 one would slow every promise of the process.
let threadService: string | undefined;

/** Names this thread's service unless one was named already (the first service a thread starts). */
export function defaultLogService(service: string): void {
  threadService ??= service;
}

/** LOG_FORMAT when set; else pretty for a terminal, JSON for everything else (files, collectors). */
export function logFormatFrom(env: Record<string, string | undefined> = process.env, tty = process.stdout.isTTY === true): LogFormat {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty') return env.LOG_FORMAT;
  return tty ? 'pretty' : 'json';
}

function levelFrom(level: string | undefined): LevelWithSilent {
  const wanted = (level ?? 'info').toLowerCase();
  if (!LEVELS.includes(wanted)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')} (got "${level}")`);
  return wanted as LevelWithSilent;
}

/** `trace_id` and `span_id` of a W3C traceparent, for a line about work whose span is not active here. */
export function traceFields(traceparent: string | undefined): { trace_id: string; span_id: string } | Record<string, never> {
  const parts = traceparent?.split('-');
  return parts && parts.length >= 4 ? { trace_id: parts[1], span_id: parts[2] } : {};
}

/**
 * The process's logger (one per thread): pino, JSON lines with `service`, and `trace_id` and
 * `span_id` while a span is active. Authorization headers and API keys are never written, even
 * when a caller passes an object holding them.
 */
export function configureLogging(options: LoggingOptions = {}): Pino {
  const level = levelFrom(options.level);
  if (options.service) threadService = options.service;
  const format = options.format ?? 'json';
  const destination =
    options.destination ??
    (format === 'pretty'
      ? (require('pino-pretty') as typeof import('pino-pretty'))({ sync: true, colorize: true, singleLine: true, messageFormat: '{service} {msg}', ignore: 'pid,hostname,service,component', translateTime: 'SYS:HH:MM:ss.l' })
      : pino.destination({ dest: 1, sync: true }));
  root = pino(
    {
      level,
      base: undefined,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['apiKey', 'api_key', 'authorization', 'Authorization', 'headers.authorization', 'headers.Authorization', '*.apiKey', '*.authorization'],
        censor: '[redacted]',
      },
      mixin: () => {
        const span = trace.getActiveSpan()?.spanContext();
        const service = threadService ?? 'sluice';
        return span && isSpanContextValid(span) ? { service, trace_id: span.traceId, span_id: span.spanId } : { service };
      },
    },
    destination,
  );
  return root;
}

/** The process's logger; configured from LOG_LEVEL and LOG_FORMAT on first use. */
export function rootLogger(): Pino {
  return (root ??= configureLogging({ level: process.env.LOG_LEVEL, format: logFormatFrom() }));
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A logger for one part of the code (`component` on each line). It asks for the process's
 * logger at each call, so one made at import writes where the process configured later.
 */
export class ComponentLogger {
  private readonly fields: Record<string, string>;

  constructor(component: string, service?: string) {
    this.fields = service ? { service, component } : { component };
  }

  enabled(level: Level): boolean {
    return rootLogger().isLevelEnabled(level);
  }
  fatal(fields: object, msg: string): void {
    this.write('fatal', fields, msg);
  }
  error(fields: object, msg: string): void {
    this.write('error', fields, msg);
  }
  warn(fields: object, msg: string): void {
    this.write('warn', fields, msg);
  }
  info(fields: object, msg: string): void {
    this.write('info', fields, msg);
  }
  debug(fields: object, msg: string): void {
    this.write('debug', fields, msg);
  }

  private write(level: Level, fields: object, msg: string): void {
    const log = rootLogger();
    if (log.isLevelEnabled(level)) log[level]({ ...this.fields, ...fields }, msg);
  }
}

/** `service`: for code that only one service runs, so that its lines name it on a shared thread too. */
export function logger(component: string, service?: string): ComponentLogger {
  return new ComponentLogger(component, service);
}

// Nest's own start-up chatter (modules loaded, every route mapped) is for debugging only.
const NEST_INTERNALS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication', 'NestApplicationContext']);

type NestLevel = Level;

/**
 * Nest's LoggerService over the process's pino logger, so every `new Logger('X')` of the
 * services writes the same JSON lines. A message may be an object: its fields become the
 * line's (`{ msg, objectId, … }`).
 */
export class NestPinoLogger implements LoggerService {
  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest, true);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest, true);
  }

  private write(level: NestLevel, message: unknown, rest: unknown[], withStack = false): void {
    // Nest passes the context last, and (for errors) a stack before it.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack = withStack && rest.length >= 2 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const err = rest.find((param): param is Error => param instanceof Error);
    const effective: NestLevel = level === 'info' && context !== undefined && NEST_INTERNALS.has(context) ? 'debug' : level;
    const log = rootLogger();
    if (!log.isLevelEnabled(effective)) return;
    const fields: Record<string, unknown> = context ? { component: context } : {};
    if (stack) fields.stack = stack;
    if (err) fields.err = err;
    if (message instanceof Error) log[effective]({ ...fields, err: message }, message.message);
    else if (message !== null && typeof message === 'object') log[effective]({ ...fields, ...(message as object) });
    else log[effective](fields, String(message));
  }
}

/**
 * An error text fit for a log line: the given secrets and anything shaped like a bearer token
 * or an API key blanked out, and cut short (a provider may echo what it was sent).
 */
export function safeErrorText(text: string, secrets: readonly string[] = [], max = 300): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  out = out.replace(/(bearer\s+)[^\s"',;]+/gi, '$1[redacted]').replace(/\b(sk|pk|key|AIza)[-_A-Za-z0-9]{12,}/g, '[redacted]');
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/** For tests: the lines logged from now on, parsed, until `restore()` goes back to stdout. */
export function captureLogs(level = 'info'): { lines: () => Record<string, unknown>[]; raw: () => string[]; restore: () => void } {
  const raw: string[] = [];
  const previous = root;
  configureLogging({ level, destination: { write: (line: string) => void raw.push(...line.split('\n').filter((l) => l.length > 0)) } });
  return {
    raw: () => raw,
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      root = previous;
    },
  };
}
