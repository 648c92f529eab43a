/**
 * Structured logging for long-running nodes: pino, JSON lines on stdout, level from LOG_LEVEL.
 *
 * Does not: ship or rotate logs (stdout is the contract; the launcher or the platform collects it).
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Log level. @default process.env.LOG_LEVEL ?? 'info' ('silent' under NODE_ENV=test unless LOG_LEVEL is set) */
  level?: string;
  /** Extra fields on every line (node id, role). @default {} */
  base?: Record<string, unknown>;
  /** Where lines go. @default stdout */
  destination?: DestinationStream;
}

/** Level when nothing says otherwise. */
export const DEFAULT_LOG_LEVEL = 'info';

export function defaultLogLevel(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOG_LEVEL) return env.LOG_LEVEL;
  return env.NODE_ENV === 'test' ? 'silent' : DEFAULT_LOG_LEVEL;
}

export function makeLogger(name: string, opts: LoggerOptions = {}): Logger {
  const options = { name, level: opts.level ?? defaultLogLevel(), base: { pid: process.pid, ...opts.base } };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
