// pino options shared by the app: JSON lines, secrets redacted wherever they might appear.

import pino, { type Logger, type LoggerOptions } from 'pino';

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

export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  return stream ? pino(loggerOptions(level), stream as pino.DestinationStream) : pino(loggerOptions(level));
}
