/**
 * ChunkStream: one song's chunks, in order, exactly once, surviving API node failures.
 * Subscribes through an injected `subscribe` function (graphql-ws in the browser, see
 * wsTransport.ts; a fake in tests), drops duplicates by index, and on a dropped socket, an error,
 * an early completion or a stall resubscribes on the NEXT endpoint of the rotation from the next
 * index it lacks. Pausing disposes the subscription (pull-based: the server stops sending) and
 * resuming resubscribes from the next missing index.
 * Does not decode, buffer or play audio (trackLoader.ts, engine.ts do).
 */
import { MAX_CONSECUTIVE_FAILURES, RETRY_BACKOFF_MS, STALL_TIMEOUT_MS } from './constants';
import type { Endpoint, EndpointRotation } from './endpoints';

/** One message of `subscription songChunks` (schema/stream.graphql). */
export interface ChunkMessage {
  songId: string;
  index: number;
  total: number;
  offset: number;
  size: number;
  hash: string;
  mimeType: string;
  /** Base64 bytes. */
  data: string;
  durationSeconds?: number | null;
  songSize: number;
}

export interface Sink<T> {
  next(value: T): void;
  error(err: unknown): void;
  complete(): void;
}

/** Opens one subscription on one endpoint; returns a dispose function. */
export type SubscribeFn = (
  endpoint: Endpoint,
  args: { songId: string; fromIndex: number },
  sink: Sink<ChunkMessage>,
) => () => void;

/** Things worth a log line or a debug counter. */
export type StreamEvent =
  | { type: 'subscribe'; endpoint: Endpoint; fromIndex: number; attempt: number }
  | { type: 'failover'; endpoint: Endpoint; reason: string; nextIndex: number }
  | { type: 'duplicate'; index: number }
  | { type: 'stall'; endpoint: Endpoint; nextIndex: number }
  | { type: 'complete' }
  | { type: 'fatal'; error: string };

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ChunkStreamOptions {
  songId: string;
  /** First chunk wanted. @default 0 */
  fromIndex?: number;
  rotation: EndpointRotation;
  subscribe: SubscribeFn;
  /** Receives each chunk once, in index order. */
  onChunk(c: ChunkMessage): void;
  /** Called once after the last chunk. */
  onComplete?(): void;
  /** Called when the stream gives up (non-retryable error or too many failures). */
  onFatal?(message: string): void;
  onEvent?(e: StreamEvent): void;
  /** No chunk for this long while active = dead node. @default STALL_TIMEOUT_MS */
  stallTimeoutMs?: number;
  /** Attempts in a row that may fail before giving up. @default MAX_CONSECUTIVE_FAILURES */
  maxConsecutiveFailures?: number;
  /** Wait after a full round of failed endpoints. @default RETRY_BACKOFF_MS */
  backoffMs?: number;
  /** Injectable timers for tests. @default globalThis timers */
  timers?: Timers;
}

export type StreamPhase = 'idle' | 'active' | 'paused' | 'complete' | 'failed' | 'stopped';

export interface ChunkStreamStats {
  phase: StreamPhase;
  nextIndex: number;
  total: number | null;
  received: number;
  duplicates: number;
  failovers: number;
  stalls: number;
  endpoint: string | null;
}

export interface ChunkStream {
  start(): void;
  /** Stop receiving (dispose the subscription) but remember where we are. */
  pause(): void;
  /** Resubscribe from the next missing index. */
  resume(): void;
  /** Forget progress and continue from `index` (a seek). */
  restartAt(index: number): void;
  stop(): void;
  stats(): ChunkStreamStats;
}

/** Errors that another endpoint cannot fix. */
function isFatal(err: unknown): string | null {
  const list = Array.isArray(err) ? err : [err];
  for (const e of list) {
    const code = (e as { extensions?: { code?: unknown } } | null)?.extensions?.code;
    if (code === 'BAD_USER_INPUT') return String((e as { message?: unknown }).message ?? code);
  }
  return null;
}

export function describeError(err: unknown): string {
  if (Array.isArray(err)) return err.map(describeError).join('; ');
  if (err && typeof err === 'object') {
    const o = err as {
      message?: unknown;
      code?: unknown;
      reason?: unknown;
      type?: unknown;
      extensions?: { code?: unknown };
    };
    if (typeof o.message === 'string')
      return o.extensions?.code ? `${String(o.extensions.code)}: ${o.message}` : o.message;
    if (typeof o.code === 'number')
      return `socket closed (${o.code}${o.reason ? ` ${String(o.reason)}` : ''})`;
    if (typeof o.type === 'string') return `socket ${o.type}`;
  }
  return String(err);
}

export function makeChunkStream(opts: ChunkStreamOptions): ChunkStream {
  const timers: Timers = opts.timers ?? {
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  const stallMs = opts.stallTimeoutMs ?? STALL_TIMEOUT_MS;
  const maxFailures = opts.maxConsecutiveFailures ?? MAX_CONSECUTIVE_FAILURES;
  const backoffMs = opts.backoffMs ?? RETRY_BACKOFF_MS;
  const s: ChunkStreamStats = {
    phase: 'idle',
    nextIndex: opts.fromIndex ?? 0,
    total: null,
    received: 0,
    duplicates: 0,
    failovers: 0,
    stalls: 0,
    endpoint: null,
  };
  let generation = 0;
  let dispose: (() => void) | null = null;
  let stallTimer: unknown = null;
  let retryTimer: unknown = null;
  let failuresInRow = 0;
  let current: Endpoint | undefined;

  const emit = (e: StreamEvent) => opts.onEvent?.(e);

  function clearTimers() {
    if (stallTimer !== null) timers.clearTimeout(stallTimer);
    if (retryTimer !== null) timers.clearTimeout(retryTimer);
    stallTimer = retryTimer = null;
  }

  function close() {
    generation++;
    clearTimers();
    const d = dispose;
    dispose = null;
    try {
      d?.();
    } catch {
      /* a dead socket may throw on dispose; nothing to do */
    }
  }

  function armStall(gen: number) {
    if (stallTimer !== null) timers.clearTimeout(stallTimer);
    stallTimer = timers.setTimeout(() => {
      if (gen !== generation || s.phase !== 'active') return;
      s.stalls++;
      if (current) emit({ type: 'stall', endpoint: current, nextIndex: s.nextIndex });
      failOver('stalled');
    }, stallMs);
  }

  function fatal(message: string) {
    close();
    s.phase = 'failed';
    emit({ type: 'fatal', error: message });
    opts.onFatal?.(message);
  }

  function failOver(reason: string) {
    const ep = current;
    close();
    if (s.phase !== 'active') return;
    failuresInRow++;
    s.failovers++;
    if (ep) {
      opts.rotation.fail(ep);
      emit({ type: 'failover', endpoint: ep, reason, nextIndex: s.nextIndex });
    }
    if (failuresInRow >= maxFailures)
      return fatal(`gave up after ${failuresInRow} failed attempts: ${reason}`);
    const round = Math.max(1, opts.rotation.list().length);
    const delay = failuresInRow % round === 0 ? backoffMs : 0;
    if (delay === 0) return open();
    const gen = generation;
    retryTimer = timers.setTimeout(() => {
      retryTimer = null;
      if (gen === generation && s.phase === 'active') open();
    }, delay);
  }

  function open() {
    close();
    const gen = generation;
    const ep = opts.rotation.pick();
    current = ep;
    if (!ep) {
      s.endpoint = null;
      failuresInRow++;
      if (failuresInRow >= maxFailures) return fatal('no API endpoint known');
      retryTimer = timers.setTimeout(() => gen === generation && s.phase === 'active' && open(), backoffMs);
      return;
    }
    s.endpoint = ep.http;
    emit({ type: 'subscribe', endpoint: ep, fromIndex: s.nextIndex, attempt: failuresInRow + 1 });
    armStall(gen);
    let settled = false;
    const d = opts.subscribe(
      ep,
      { songId: opts.songId, fromIndex: s.nextIndex },
      {
        next(c) {
          if (gen !== generation || settled) return;
          armStall(gen);
          if (c.index < s.nextIndex) {
            s.duplicates++;
            emit({ type: 'duplicate', index: c.index });
            return;
          }
          if (c.index > s.nextIndex) {
            settled = true;
            return failOver(`gap: got chunk ${c.index}, wanted ${s.nextIndex}`);
          }
          if (failuresInRow > 0) opts.rotation.succeed(ep);
          failuresInRow = 0;
          s.total = c.total;
          s.received++;
          s.nextIndex = c.index + 1;
          opts.onChunk(c);
          if (gen !== generation) return; // onChunk paused, seeked or stopped us
          if (s.total !== null && s.nextIndex >= s.total) {
            settled = true;
            close();
            s.phase = 'complete';
            emit({ type: 'complete' });
            opts.onComplete?.();
          }
        },
        error(err) {
          if (gen !== generation || settled) return;
          settled = true;
          const f = isFatal(err);
          if (f) return fatal(f);
          failOver(describeError(err));
        },
        complete() {
          if (gen !== generation || settled) return;
          settled = true;
          failOver('stream ended early'); // a complete stream ends via the last index above
        },
      },
    );
    if (gen === generation && s.phase === 'active') dispose = d;
    else d();
  }

  return {
    start() {
      if (s.phase !== 'idle') return;
      s.phase = 'active';
      open();
    },
    pause() {
      if (s.phase !== 'active') return;
      close();
      s.phase = 'paused';
    },
    resume() {
      if (s.phase !== 'paused' && s.phase !== 'idle') return;
      s.phase = 'active';
      open();
    },
    restartAt(index) {
      close();
      s.nextIndex = Math.max(0, index);
      failuresInRow = 0;
      s.phase = 'active';
      open();
    },
    stop() {
      close();
      s.phase = 'stopped';
    },
    stats: () => ({ ...s }),
  };
}
