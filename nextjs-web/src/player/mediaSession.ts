/**
 * One song attached to the <audio> element: feeds a TrackLoader's chunks into a MediaSource
 * SourceBuffer (MP3/AAC, seekable anywhere by restarting the stream at the chunk that holds the
 * target), or — for types MediaSource cannot take at arbitrary offsets (FLAC, MP4, Ogg) — collects
 * the whole file into a Blob URL. Keeps 30–60 s ahead of the playhead and frees played audio.
 * Browser only (MediaSource, URL.createObjectURL). Queue, prefetch and state live in engine.ts.
 */
import { BUFFER_BEHIND_S, SEEK_LOCAL_SLACK_S } from './constants';
import {
  feedDecision,
  makeLayout,
  makeTimeMap,
  planSeek,
  type ChunkLayout,
  type SeekPlan,
  type TimeMap,
} from './planner';
import type { QueueSong } from './queue';
import type { LoadedChunk, TrackLoader } from './trackLoader';

/** Byte-stream formats whose frames resync at any offset, so a seek can start mid-file. */
const MSE_SEEKABLE = ['audio/mpeg', 'audio/mp3', 'audio/aac'];

export interface MediaSessionOptions {
  audio: HTMLAudioElement;
  song: QueueSong;
  loader: TrackLoader;
  /** Start playing as soon as there is audio. */
  autoplay: boolean;
  log(msg: string): void;
  /** The stream failed and the buffer ran dry. */
  onError(msg: string): void;
}

export interface AttachedSong {
  readonly mode: 'mse' | 'blob';
  /** Feed more audio if there is room (call on timeupdate and when the loader has news). */
  pump(): void;
  seek(t: number): void;
  bufferedAhead(): number;
  /** Seconds, from metadata or the media element. */
  duration(): number;
  detach(): void;
}

export function canStream(mime: string): boolean {
  const base = mime.split(';')[0]!.trim().toLowerCase();
  return (
    typeof MediaSource !== 'undefined' &&
    MSE_SEEKABLE.includes(base) &&
    MediaSource.isTypeSupported(base === 'audio/mp3' ? 'audio/mpeg' : base)
  );
}

function lastEnd(r: TimeRanges): number {
  return r.length ? r.end(r.length - 1) : 0;
}

export function attachSong(o: MediaSessionOptions): AttachedSong {
  const { audio, song, loader } = o;
  const mime = song.mimeType || 'audio/mpeg';
  const mode: 'mse' | 'blob' = canStream(mime) ? 'mse' : 'blob';
  const size = song.size ?? 0;
  const metaDuration = song.duration ?? 0;
  let detached = false;
  let url: string | null = null;

  const ahead = () => {
    const t = audio.currentTime;
    const b = audio.buffered;
    for (let i = 0; i < b.length; i++)
      if (b.start(i) <= t + SEEK_LOCAL_SLACK_S && t <= b.end(i)) return b.end(i) - t;
    return 0;
  };
  const duration = () =>
    metaDuration > 0 ? metaDuration : Number.isFinite(audio.duration) ? audio.duration : 0;

  if (mode === 'blob') {
    loader.setMaxQueueBytes(Number.POSITIVE_INFINITY);
    const parts: Uint8Array[] = [];
    let playing = false;
    o.log(`${mime} cannot stream through MediaSource: downloading the whole file first`);
    return {
      mode,
      pump() {
        if (detached) return;
        for (let c = loader.take(); c; c = loader.take()) parts.push(c.bytes);
        if (loader.error()) o.onError(loader.error()!);
        if (!playing && loader.drained()) {
          playing = true;
          url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: mime }));
          audio.src = url;
          if (o.autoplay) audio.play().catch((e) => o.log(`play() refused: ${String(e)}`));
        }
      },
      seek(t) {
        if (playing) audio.currentTime = t;
      },
      bufferedAhead: ahead,
      duration,
      detach() {
        detached = true;
        if (url) URL.revokeObjectURL(url);
      },
    };
  }

  const layout: ChunkLayout = makeLayout(
    size,
    song.chunkSize ?? undefined,
    song.firstChunkSize ?? undefined,
    song.chunkCount ?? undefined,
  );
  const map: TimeMap = makeTimeMap(size, metaDuration);
  const ms = new MediaSource();
  url = URL.createObjectURL(ms);
  audio.src = url;
  let sb: SourceBuffer | null = null;
  let feeding = true;
  let exact = true; // appended contiguously from chunk 0: decoder times are ground truth for the map
  let held: LoadedChunk | null = null; // taken from the loader but not yet accepted (quota)
  let lastAppended: LoadedChunk | null = null;
  let pendingReset: { plan: SeekPlan; t: number } | null = null;
  let removing = false;
  let started = false;

  ms.addEventListener('sourceopen', () => {
    if (detached || sb) return;
    sb = ms.addSourceBuffer(mime === 'audio/mp3' ? 'audio/mpeg' : mime);
    if (metaDuration > 0) ms.duration = metaDuration;
    sb.addEventListener('updateend', onUpdateEnd);
    sb.addEventListener('error', () => o.log('SourceBuffer error'));
    if (pendingReset)
      runReset(); // the user seeked before the MediaSource opened
    else pump();
  });

  function onUpdateEnd() {
    if (detached || !sb) return;
    if (removing) {
      removing = false;
      if (pendingReset) return finishReset();
    } else if (pendingReset) return runReset();
    if (lastAppended && exact && sb.buffered.length)
      map.add(lastAppended.offset + lastAppended.size, lastEnd(sb.buffered));
    lastAppended = null;
    if (!started && sb.buffered.length) {
      started = true;
      if (o.autoplay) audio.play().catch((e) => o.log(`play() refused: ${String(e)}`));
    }
    const first = sb.buffered.length ? sb.buffered.start(0) : 0;
    if (audio.currentTime - first > 2 * BUFFER_BEHIND_S) {
      sb.remove(0, audio.currentTime - BUFFER_BEHIND_S); // updateend comes back here
      return;
    }
    pump();
  }

  function runReset() {
    if (!sb) return;
    if (ms.readyState === 'open') sb.abort(); // a seek is a discontinuity: reset the frame parser
    const end = lastEnd(sb.buffered);
    if (end > 0) {
      removing = true;
      sb.remove(0, end);
      return;
    }
    finishReset();
  }

  function finishReset() {
    const r = pendingReset!;
    pendingReset = null;
    sb!.timestampOffset = r.plan.startTime;
    audio.currentTime = r.t;
    pump();
  }

  function pump() {
    if (detached || !sb || sb.updating || pendingReset || removing || ms.readyState === 'closed') return;
    feeding = feedDecision(ahead(), feeding);
    if (!feeding) return;
    const c = held ?? loader.take();
    held = null;
    if (c) {
      try {
        sb.appendBuffer(c.bytes as BufferSource);
        lastAppended = c;
      } catch (e) {
        held = c;
        if ((e as DOMException).name === 'QuotaExceededError' && audio.currentTime > 5)
          sb.remove(0, audio.currentTime - 5);
        else o.log(`appendBuffer failed: ${String(e)}`);
      }
      return;
    }
    if (loader.drained() && ms.readyState === 'open') {
      try {
        ms.endOfStream();
      } catch {
        /* already ended */
      }
    } else if (loader.error() && ahead() < 1) o.onError(loader.error()!);
  }

  return {
    mode,
    pump,
    seek(t) {
      const target = Math.max(0, Math.min(t, Math.max(0, duration() - 0.05)));
      const b = audio.buffered;
      for (let i = 0; i < b.length; i++) {
        if (b.start(i) - SEEK_LOCAL_SLACK_S <= target && target < b.end(i) - SEEK_LOCAL_SLACK_S) {
          audio.currentTime = Math.max(target, b.start(i));
          return;
        }
      }
      const plan = planSeek(layout, map, target);
      o.log(`seek ${target.toFixed(1)}s → chunk ${plan.index} (starts ${plan.startTime.toFixed(1)}s)`);
      exact = plan.index === 0;
      held = null;
      loader.restartAt(plan.index);
      pendingReset = { plan, t: target };
      if (sb && !sb.updating && !removing) runReset();
    },
    bufferedAhead: ahead,
    duration,
    detach() {
      detached = true;
      try {
        if (ms.readyState === 'open' && sb && !sb.updating) ms.endOfStream();
      } catch {
        /* ignore */
      }
      if (url) URL.revokeObjectURL(url);
    },
  };
}
