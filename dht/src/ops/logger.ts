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
  /** Where lines go. @default stdout, written synchronously (STDOUT_SYNC) */
  destination?: DestinationStream;
}

/**
 * Lines go to stdout synchronously. pino's default asynchronous stdout flushes at process exit with
 * a loop that retries a failed write forever (sonic-boom `flushSync`: only EAGAIN/EBUSY are meant to
 * retry, yet every error sleeps and loops): a node whose launcher died (stdout's reader gone: EPIPE)
 * and that logged on its way out hung in `process.exit` after SIGTERM, for good. Written
 * synchronously, a line that meets EPIPE switches logging off (pino's broken-pipe filter) and
 * there is nothing left to flush at exit. Nodes log lifecycle events, uploads and warnings, not every request.
 */
const STDOUT_SYNC = true;

/** Level when nothing says otherwise. */
export const DEFAULT_LOG_LEVEL = 'info';

export function defaultLogLevel(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOG_LEVEL) return env.LOG_LEVEL;
  return env.NODE_ENV === 'test' ? 'silent' : DEFAULT_LOG_LEVEL;
}

export function makeLogger(name: string, opts: LoggerOptions = {}): Logger {
  const options = { name, level: opts.level ?? defaultLogLevel(), base: { pid: process.pid, ...opts.base } };
  return pino(options, opts.destination ?? pino.destination({ fd: 1, sync: STDOUT_SYNC }));
}
