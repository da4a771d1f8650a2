import { logLevel, type LogEntry, type logCreator } from 'kafkajs';

const LEVEL_NAMES: Record<number, string> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Messages kafkajs logs at warn or error for things a consumer group does all the time
 * (a member joins or leaves, the coordinator is still loading); they are handled by
 * rejoining and would drown real problems.
 */
const ROUTINE = [/group is rebalancing/i, /coordinator is (not available|loading)/i, /rebalance.*in progress/i];

/** kafkajs logs as one JSON line per entry on stderr, warn and above unless asked for more. */
export const jsonStderrLogCreator: logCreator =
  () =>
  ({ namespace, level, log }: LogEntry) => {
    const { message, timestamp, logger: _logger, ...fields } = log;
    const text = `${message} ${typeof fields.error === 'string' ? fields.error : ''}`;
    if (level <= logLevel.WARN && ROUTINE.some((pattern) => pattern.test(text))) return;
    process.stderr.write(
      `${JSON.stringify({ level: LEVEL_NAMES[level] ?? String(level), time: timestamp, logger: 'kafkajs', namespace, msg: message, ...fields })}\n`,
    );
  };

export const KAFKAJS_LOG_LEVEL = logLevel.WARN;
