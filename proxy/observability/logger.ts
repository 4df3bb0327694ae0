import pino from 'pino';

/**
 * JSON logs at LOG_LEVEL. Secrets are redacted by path (compiled once by pino), and the access
 * line carries no headers at all, so cookies and authorization never reach a log.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): pino.Logger {
  return pino({
    name: 'strangler',
    level,
    base: { pid: process.pid },
    redact: { paths: ['headers.cookie', 'headers.authorization', 'headers["set-cookie"]', '*.headers.cookie', '*.headers.authorization'], censor: '[redacted]' },
  }, destination ?? pino.destination({ sync: false }));
}

export type Logger = pino.Logger;
