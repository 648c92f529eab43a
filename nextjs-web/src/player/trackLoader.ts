/**
 * TrackLoader: a ChunkStream plus a bounded in-memory queue of decoded chunks for one song.
 * The consumer (engine.ts feeding a SourceBuffer, or a prefetch waiting for its turn) takes chunks
 * when it has room; the loader pauses its subscription when the queue holds `maxQueueBytes` and
 * resumes below half of it — so memory stays bounded and the server is asked only for what fits.
 * Does not touch MediaSource or the DOM.
 */
import { LOADER_MAX_QUEUE_BYTES } from './constants';
import {
  makeChunkStream,
  type ChunkMessage,
  type ChunkStream,
  type ChunkStreamOptions,
  type ChunkStreamStats,
} from './chunkStream';

/** A chunk with its bytes decoded. */
export interface LoadedChunk {
  index: number;
  total: number;
  offset: number;
  size: number;
  mimeType: string;
  durationSeconds: number | null;
  songSize: number;
  bytes: Uint8Array;
}

export interface TrackLoaderOptions extends Omit<ChunkStreamOptions, 'onChunk' | 'onComplete' | 'onFatal'> {
  /** Queue size at which the subscription pauses. @default LOADER_MAX_QUEUE_BYTES */
  maxQueueBytes?: number;
  /** Called whenever a chunk was queued, the stream completed or failed. */
  onUpdate?(): void;
  /** Base64 decoder. @default atob-based */
  decode?(b64: string): Uint8Array;
}

export interface TrackLoader {
  readonly songId: string;
  start(): void;
  /** Next chunk in order, or undefined if none is queued yet. */
  take(): LoadedChunk | undefined;
  /** Look at the next chunk without taking it. */
  peek(): LoadedChunk | undefined;
  /** Drop queued chunks and continue from `index` (a seek). */
  restartAt(index: number): void;
  /** Raise or lower the queue cap (a prefetch gets promoted to the playing track). */
  setMaxQueueBytes(n: number): void;
  stop(): void;
  /** True when every chunk was received (some may still be queued). */
  complete(): boolean;
  /** True when all chunks were received and taken. */
  drained(): boolean;
  error(): string | null;
  queuedBytes(): number;
  queuedChunks(): number;
  stats(): ChunkStreamStats;
}

export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function makeTrackLoader(opts: TrackLoaderOptions): TrackLoader {
  let maxBytes = opts.maxQueueBytes ?? LOADER_MAX_QUEUE_BYTES;
  const decode = opts.decode ?? decodeBase64;
  const queue: LoadedChunk[] = [];
  let bytes = 0;
  let done = false;
  let err: string | null = null;

  const stream: ChunkStream = makeChunkStream({
    ...opts,
    onChunk(c: ChunkMessage) {
      const b = decode(c.data);
      queue.push({
        index: c.index,
        total: c.total,
        offset: c.offset,
        size: c.size,
        mimeType: c.mimeType,
        durationSeconds: c.durationSeconds ?? null,
        songSize: c.songSize,
        bytes: b,
      });
      bytes += b.byteLength;
      if (bytes >= maxBytes) stream.pause();
      opts.onUpdate?.();
    },
    onComplete() {
      done = true;
      opts.onUpdate?.();
    },
    onFatal(message) {
      err = message;
      opts.onUpdate?.();
    },
  });

  function maybeResume() {
    if (!done && !err && stream.stats().phase === 'paused' && bytes < maxBytes / 2) stream.resume();
  }

  return {
    songId: opts.songId,
    start: () => stream.start(),
    take() {
      const c = queue.shift();
      if (c) {
        bytes -= c.bytes.byteLength;
        maybeResume();
      }
      return c;
    },
    peek: () => queue[0],
    restartAt(index) {
      queue.length = 0;
      bytes = 0;
      done = false;
      err = null;
      stream.restartAt(index);
    },
    setMaxQueueBytes(n) {
      maxBytes = n;
      if (bytes >= maxBytes) stream.pause();
      else maybeResume();
    },
    stop: () => stream.stop(),
    complete: () => done,
    drained: () => done && queue.length === 0,
    error: () => err,
    queuedBytes: () => bytes,
    queuedChunks: () => queue.length,
    stats: () => stream.stats(),
  };
}
