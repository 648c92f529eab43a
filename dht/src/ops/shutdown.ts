/**
 * Clean shutdown of a long-running node: on the first SIGTERM or SIGINT, run the role's stop
 * function once, then exit 0 (1 if it threw); if it hangs, exit 1 after a hard timeout.
 *
 * Does not: decide the stop order of a role's parts (the role's `fn` does: usually stop taking
 * requests, stop the DHT node, close stores).
 */
import type { Logger } from 'pino';

/** Longer than a DHT node's stop (persist contacts, close sockets, close the store) takes even under load. */
export const SHUTDOWN_HARD_EXIT_MS = 10_000;

export interface ShutdownOptions {
  /** Hard-exit timeout. @default SHUTDOWN_HARD_EXIT_MS */
  hardExitMs?: number;
  /** Signals to handle. @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
  /** Process exit (injected in tests). @default process.exit */
  exit?: (code: number) => void;
}

type ShutdownLogger = Pick<Logger, 'info' | 'error' | 'warn'>;

/** Installs the handlers; returns a function that removes them. */
export function onShutdown(
  fn: () => Promise<void> | void,
  logger: ShutdownLogger,
  opts: ShutdownOptions = {},
): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  let phase: 'waiting' | 'stopping' = 'waiting';

  const handler = (signal: NodeJS.Signals): void => {
    if (phase === 'stopping') {
      logger.warn({ signal }, 'shutdown already in progress');
      return;
    }
    phase = 'stopping';
    logger.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      logger.error({ timeoutMs: opts.hardExitMs ?? SHUTDOWN_HARD_EXIT_MS }, 'shutdown timed out, exiting');
      exit(1);
    }, opts.hardExitMs ?? SHUTDOWN_HARD_EXIT_MS);
    hard.unref();
    Promise.resolve()
      .then(fn)
      .then(
        () => {
          clearTimeout(hard);
          logger.info('stopped');
          exit(0);
        },
        (err: unknown) => {
          clearTimeout(hard);
          logger.error({ err }, 'shutdown failed');
          exit(1);
        },
      );
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
