/**
 * Pure playback planning: chunk layout (byte offset ↔ chunk index), a byte ↔ time map learned
 * from the decoder (falls back to constant bitrate), seek → chunk index, when to prefetch the next
 * song and when to pause/resume downloading. No I/O, no DOM; the engine (engine.ts) applies it.
 */
import {
  BUFFER_HIGH_S,
  BUFFER_TARGET_S,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_FIRST_CHUNK_SIZE,
  PREFETCH_REMAINING_S,
} from './constants';

/** How a song's bytes are split into chunks (from the manifest: audio.chunkSize etc.). */
export interface ChunkLayout {
  /** Total bytes of the audio file. */
  size: number;
  /** Bytes per chunk after chunk 0. @default DEFAULT_CHUNK_SIZE */
  chunkSize: number;
  /** Bytes of chunk 0. @default DEFAULT_FIRST_CHUNK_SIZE */
  firstChunkSize: number;
  /** Number of chunks. */
  chunkCount: number;
}

export function makeLayout(
  size: number,
  chunkSize = DEFAULT_CHUNK_SIZE,
  firstChunkSize = DEFAULT_FIRST_CHUNK_SIZE,
  chunkCount?: number,
): ChunkLayout {
  const first = Math.min(firstChunkSize, size);
  const count = chunkCount ?? (size <= first ? 1 : 1 + Math.ceil((size - first) / chunkSize));
  return { size, chunkSize, firstChunkSize: first, chunkCount: Math.max(1, count) };
}

/** Byte offset at which chunk `index` starts. */
export function chunkOffset(l: ChunkLayout, index: number): number {
  if (index <= 0) return 0;
  return Math.min(l.size, l.firstChunkSize + (index - 1) * l.chunkSize);
}

/** The chunk holding byte `offset` (clamped to the song). */
export function chunkIndexForOffset(l: ChunkLayout, offset: number): number {
  if (offset < l.firstChunkSize) return 0;
  const i = 1 + Math.floor((offset - l.firstChunkSize) / l.chunkSize);
  return Math.max(0, Math.min(l.chunkCount - 1, i));
}

/**
 * Byte offset ↔ seconds. Starts as a straight line (0,0)→(size,duration) — exact for CBR audio
 * without tags — and is refined by points the decoder reports (end of appended chunk ↔ end of
 * buffered time), which accounts for ID3 headers and VBR.
 */
export interface TimeMap {
  /** Record that byte `offset` plays at `time` seconds (ignored if it contradicts monotonicity). */
  add(offset: number, time: number): void;
  timeAt(offset: number): number;
  offsetAt(time: number): number;
  points(): ReadonlyArray<readonly [number, number]>;
}

export function makeTimeMap(size: number, duration: number): TimeMap {
  const pts: Array<[number, number]> = [
    [0, 0],
    [Math.max(1, size), Math.max(0, duration)],
  ];
  const interp = (x: number, xi: 0 | 1, yi: 0 | 1) => {
    if (x <= pts[0]![xi]) return pts[0]![yi];
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1]!;
      const b = pts[i]!;
      if (x <= b[xi])
        return b[xi] === a[xi] ? a[yi] : a[yi] + ((x - a[xi]) * (b[yi] - a[yi])) / (b[xi] - a[xi]);
    }
    return pts[pts.length - 1]![yi];
  };
  return {
    add(offset, time) {
      if (!(offset > 0) || !(time >= 0) || offset > pts[pts.length - 1]![0]) return;
      let i = pts.findIndex((p) => p[0] >= offset);
      if (i < 0) i = pts.length;
      if (pts[i]?.[0] === offset) {
        pts[i]![1] = time;
        return;
      }
      const prev = pts[i - 1];
      const next = pts[i];
      if ((prev && time < prev[1]) || (next && time > next[1] && i !== pts.length - 1)) return;
      if (next && i === pts.length - 1 && time > next[1]) next[1] = time; // duration was short
      pts.splice(i, 0, [offset, time]);
    },
    timeAt: (offset) => interp(offset, 0, 1),
    offsetAt: (time) => interp(time, 1, 0),
    points: () => pts,
  };
}

/** Where to restart the stream for a seek outside the buffered range. */
export interface SeekPlan {
  /** Chunk to resubscribe from. */
  index: number;
  /** Presentation time of that chunk's first byte: the SourceBuffer's timestampOffset. */
  startTime: number;
}

/** Seek to `time` seconds: the chunk holding the byte that plays then, and that chunk's start time. */
export function planSeek(l: ChunkLayout, map: TimeMap, time: number): SeekPlan {
  const index = chunkIndexForOffset(l, map.offsetAt(Math.max(0, time)));
  return { index, startTime: map.timeAt(chunkOffset(l, index)) };
}

/** True when the next song should start downloading now. */
export function shouldPrefetch(s: {
  position: number;
  duration: number;
  hasNext: boolean;
  prefetching: boolean;
}): boolean {
  if (!s.hasNext || s.prefetching || !(s.duration > 0)) return false;
  return s.duration - s.position <= PREFETCH_REMAINING_S;
}

/** Whether to feed more audio to the decoder, with hysteresis between the target and the high mark. */
export function feedDecision(
  bufferedAhead: number,
  feeding: boolean,
  target = BUFFER_TARGET_S,
  high = BUFFER_HIGH_S,
): boolean {
  if (bufferedAhead >= high) return false;
  if (bufferedAhead < target) return true;
  return feeding;
}
