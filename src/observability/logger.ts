// pino options shared by the app: JSON lines, secrets redacted wherever they might appear.

import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

/** `json` (default: one JSON object per line, for log storage) or `pretty` (readable lines for a person). */
export type LogFormat = 'json' | 'pretty';

const SECRET_KEYS = [
  'password',
  'token',
  'kubeconfig',
  'authorization',
  'cookie',
  'jwtSecret',
  'adminPassword',
  'adminPasswordHash',
];

/** Redaction paths: header objects of requests and responses, and secret-named keys up to three levels deep. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-auth-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'butler-server' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
}

/**
 * Readable lines (time, level, message, then the other fields) written to `destination`. Redaction happens in pino
 * before the line reaches the formatter, so secrets stay out of readable logs too.
 */
export function prettyStream(destination: NodeJS.WritableStream): NodeJS.WritableStream {
  return pretty({
    destination,
    sync: true,
    colorize: 'isTTY' in destination && destination.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    singleLine: true,
    // `error` fields hold a message (retry lines), not an Error: keep them on the line.
    errorLikeObjectKeys: ['err'],
  }) as unknown as NodeJS.WritableStream;
}

/** The stream log lines of `format` go to: `stream` (default stdout) itself for JSON, a formatter in front of it for pretty. */
export function formattedStream(format: LogFormat, stream?: NodeJS.WritableStream): NodeJS.WritableStream | undefined {
  return format === 'pretty' ? prettyStream(stream ?? process.stdout) : stream;
}

export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  return stream ? pino(loggerOptions(level), stream as pino.DestinationStream) : pino(loggerOptions(level));
}

/** An error as one short field for retry lines: its message, never its stack (a retry is expected, not a bug). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
