/**
 * The player engine: queue + the song attached to the <audio> element + the prefetched next song.
 * Exposes an immutable state snapshot for React (useSyncExternalStore) and a debug snapshot for
 * tests (window.__gotifyPlayer). Browser only. Chunk transport, buffering and seeking live in
 * chunkStream.ts, trackLoader.ts and mediaSession.ts; queue moves in queue.ts.
 */
import { LOADER_MAX_QUEUE_BYTES, PREFETCH_MAX_BYTES, PREVIOUS_RESTART_S } from './constants';
import type { StreamEvent, SubscribeFn } from './chunkStream';
import type { EndpointRotation } from './endpoints';
import { attachSong, type AttachedSong } from './mediaSession';
import { shouldPrefetch } from './planner';
import * as Q from './queue';
import { makeTrackLoader, type TrackLoader } from './trackLoader';

export type PlayerStatus = 'idle' | 'loading' | 'playing' | 'paused' | 'buffering' | 'error';

export interface PlayerState {
  queue: Q.QueueState;
  status: PlayerStatus;
  position: number;
  duration: number;
  bufferedAhead: number;
  volume: number;
  muted: boolean;
  error: string | null;
}

export interface PlayerEngine {
  getState(): PlayerState;
  subscribe(fn: () => void): () => void;
  playList(songs: Q.QueueSong[], start?: number): void;
  enqueue(songs: Q.QueueSong[]): void;
  playNext(songs: Q.QueueSong[]): void;
  jump(index: number): void;
  removeAt(index: number): void;
  toggle(): void;
  play(): void;
  pause(): void;
  next(): void;
  previous(): void;
  seek(t: number): void;
  seekBy(dt: number): void;
  setVolume(v: number): void;
  toggleMute(): void;
  debug(): Record<string, unknown>;
  destroy(): void;
}

export interface EngineOptions {
  audio: HTMLAudioElement;
  rotation: EndpointRotation;
  subscribe: SubscribeFn;
}

/** Debug log lines kept for window.__gotifyPlayer. */
const LOG_LINES = 80;

export function makePlayerEngine({ audio, rotation, subscribe }: EngineOptions): PlayerEngine {
  let state: PlayerState = {
    queue: Q.emptyQueue,
    status: 'idle',
    position: 0,
    duration: 0,
    bufferedAhead: 0,
    volume: 1,
    muted: false,
    error: null,
  };
  const listeners = new Set<() => void>();
  let attached: AttachedSong | null = null;
  let loader: TrackLoader | null = null;
  let prefetch: TrackLoader | null = null;
  let wantPlay = false;
  let waiting = false;
  let seeking = false;
  const counters = {
    chunksReceived: 0,
    duplicates: 0,
    failovers: 0,
    streamStalls: 0,
    playbackStalls: 0,
    songsStarted: 0,
    prefetchHits: 0,
  };
  const events: string[] = [];
  let lastEndpoint: string | null = null;

  const log = (msg: string) => {
    events.push(`${new Date().toISOString().slice(11, 23)} ${msg}`);
    if (events.length > LOG_LINES) events.shift();
  };

  function set(patch: Partial<PlayerState>) {
    const nextState = { ...state, ...patch };
    nextState.status = statusOf(nextState);
    if (
      Object.keys(nextState).some((k) => nextState[k as keyof PlayerState] !== state[k as keyof PlayerState])
    ) {
      state = nextState;
      for (const fn of listeners) fn();
    }
  }

  function statusOf(s: PlayerState): PlayerStatus {
    if (!Q.current(s.queue)) return 'idle';
    if (s.error) return 'error';
    if (!wantPlay) return 'paused';
    if (waiting || seeking) return 'buffering';
    return audio.paused ? 'loading' : 'playing';
  }

  function onStreamEvent(e: StreamEvent) {
    switch (e.type) {
      case 'subscribe':
        lastEndpoint = e.endpoint.ws;
        log(`subscribe ${e.endpoint.ws} from chunk ${e.fromIndex} (attempt ${e.attempt})`);
        break;
      case 'failover':
        counters.failovers++;
        log(`failover from ${e.endpoint.ws}: ${e.reason}; resume at chunk ${e.nextIndex}`);
        break;
      case 'duplicate':
        counters.duplicates++;
        break;
      case 'stall':
        counters.streamStalls++;
        log(`stream stalled on ${e.endpoint.ws} at chunk ${e.nextIndex}`);
        break;
      case 'complete':
        log('stream complete');
        break;
      case 'fatal':
        log(`stream failed: ${e.error}`);
        break;
      default: {
        const never: never = e;
        throw new Error(`unknown stream event ${String(never)}`);
      }
    }
  }

  function newLoader(songId: string, maxQueueBytes: number): TrackLoader {
    const l = makeTrackLoader({
      songId,
      rotation,
      subscribe,
      maxQueueBytes,
      onEvent: onStreamEvent,
      onUpdate: () => {
        if (l === loader) attached?.pump();
      },
    });
    l.start();
    return l;
  }

  function retire(l: TrackLoader | null) {
    if (!l) return;
    const st = l.stats();
    counters.chunksReceived += st.received;
    l.stop();
  }

  function startCurrent(autoplay: boolean) {
    attached?.detach();
    attached = null;
    retire(loader);
    loader = null;
    const song = Q.current(state.queue);
    waiting = false;
    seeking = false;
    if (!song) {
      audio.removeAttribute('src');
      audio.load();
      set({ position: 0, duration: 0, error: null });
      return;
    }
    counters.songsStarted++;
    if (prefetch && prefetch.songId === song.id) {
      counters.prefetchHits++;
      log(`start ${song.title} from prefetch (${prefetch.queuedChunks()} chunks in memory)`);
      loader = prefetch;
      loader.setMaxQueueBytes(LOADER_MAX_QUEUE_BYTES);
      prefetch = null;
    } else {
      retire(prefetch);
      prefetch = null;
      log(`start ${song.title}`);
      loader = newLoader(song.id, LOADER_MAX_QUEUE_BYTES);
    }
    wantPlay = autoplay;
    const l = loader;
    attached = attachSong({
      audio,
      song,
      loader: l,
      autoplay,
      log,
      onError: (msg) => set({ error: `Playback stopped: ${msg}` }),
    });
    set({ position: 0, duration: song.duration ?? 0, error: null, bufferedAhead: 0 });
    updateMediaSession();
  }

  function maybePrefetch() {
    const up = Q.upcoming(state.queue);
    const prefetching = !!prefetch && prefetch.songId === up?.id;
    if (
      !shouldPrefetch({
        position: audio.currentTime,
        duration: attached?.duration() ?? 0,
        hasNext: !!up,
        prefetching,
      })
    )
      return;
    retire(prefetch);
    log(`prefetch next: ${up!.title}`);
    prefetch = newLoader(up!.id, PREFETCH_MAX_BYTES);
  }

  function setQueue(q: Q.QueueState, restart: boolean, autoplay = true) {
    set({ queue: q });
    if (restart) startCurrent(autoplay);
  }

  const on = (ev: string, fn: () => void) => audio.addEventListener(ev, fn);
  on('timeupdate', () => {
    attached?.pump();
    maybePrefetch();
    set({
      position: audio.currentTime,
      bufferedAhead: attached?.bufferedAhead() ?? 0,
      duration: attached?.duration() ?? state.duration,
    });
  });
  on('playing', () => {
    waiting = false;
    set({});
  });
  on('play', () => set({}));
  on('pause', () => set({}));
  on('waiting', () => {
    if (!seeking && wantPlay && audio.currentTime > 0) {
      counters.playbackStalls++;
      log(`playback stalled at ${audio.currentTime.toFixed(1)}s (buffer empty)`);
    }
    waiting = true;
    set({});
  });
  on('seeking', () => {
    seeking = true;
    set({});
  });
  on('seeked', () => {
    seeking = false;
    set({ position: audio.currentTime });
  });
  on('ended', () => {
    const n = Q.next(state.queue);
    if (n) setQueue(n, true);
    else {
      wantPlay = false;
      set({});
    }
  });
  on('volumechange', () => set({ volume: audio.volume, muted: audio.muted }));
  on('error', () => {
    if (audio.error && Q.current(state.queue))
      set({ error: `Audio error: ${audio.error.message || `code ${audio.error.code}`}` });
  });

  function updateMediaSession() {
    const song = Q.current(state.queue);
    if (typeof navigator === 'undefined' || !('mediaSession' in navigator) || !song) return;
    try {
      navigator.mediaSession.metadata = new MediaMetadata({
        title: song.title,
        artist: song.artist,
        album: song.album ?? '',
      });
    } catch {
      /* unsupported */
    }
  }

  const engine: PlayerEngine = {
    getState: () => state,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    playList: (songs, start = 0) => setQueue(Q.playList(songs, start), true),
    enqueue(songs) {
      const wasEmpty = !Q.current(state.queue);
      setQueue(Q.enqueue(state.queue, songs), wasEmpty);
    },
    playNext(songs) {
      const wasEmpty = !Q.current(state.queue);
      setQueue(Q.playNext(state.queue, songs), wasEmpty);
    },
    jump(i) {
      const q = Q.jump(state.queue, i);
      if (q) setQueue(q, true);
    },
    removeAt(i) {
      const wasCurrent = i === state.queue.index;
      setQueue(Q.removeAt(state.queue, i), wasCurrent, wantPlay);
    },
    toggle: () => (wantPlay ? engine.pause() : engine.play()),
    play() {
      if (!Q.current(state.queue)) return;
      if (state.error) return startCurrent(true);
      wantPlay = true;
      audio.play().catch((e) => log(`play() refused: ${String(e)}`));
      set({});
    },
    pause() {
      wantPlay = false;
      audio.pause();
      set({});
    },
    next() {
      const q = Q.next(state.queue);
      if (q) setQueue(q, true);
    },
    previous() {
      const q = Q.previous(state.queue);
      if (audio.currentTime > PREVIOUS_RESTART_S || !q) engine.seek(0);
      else setQueue(q, true);
    },
    seek(t) {
      if (!attached) return;
      attached.seek(t);
      set({ position: t });
    },
    seekBy: (dt) => engine.seek(Math.max(0, audio.currentTime + dt)),
    setVolume(v) {
      audio.volume = Math.max(0, Math.min(1, v));
      if (audio.volume > 0) audio.muted = false;
    },
    toggleMute() {
      audio.muted = !audio.muted;
    },
    debug() {
      const cur = loader?.stats();
      const song = Q.current(state.queue);
      return {
        status: state.status,
        songId: song?.id ?? null,
        title: song?.title ?? null,
        mode: attached?.mode ?? null,
        position: audio.currentTime,
        duration: attached?.duration() ?? 0,
        bufferedAhead: attached?.bufferedAhead() ?? 0,
        endpoint: lastEndpoint,
        endpoints: rotation.order().map((e) => e.ws),
        chunksReceived: counters.chunksReceived + (cur?.received ?? 0) + (prefetch?.stats().received ?? 0),
        duplicates: counters.duplicates,
        failovers: counters.failovers,
        reconnects: counters.failovers,
        stalls: counters.playbackStalls,
        streamStalls: counters.streamStalls,
        songsStarted: counters.songsStarted,
        prefetchHits: counters.prefetchHits,
        stream: cur ?? null,
        queuedBytes: loader?.queuedBytes() ?? 0,
        prefetch: prefetch
          ? {
              songId: prefetch.songId,
              chunks: prefetch.queuedChunks(),
              bytes: prefetch.queuedBytes(),
              complete: prefetch.complete(),
            }
          : null,
        error: state.error,
        events: [...events],
      };
    },
    destroy() {
      attached?.detach();
      retire(loader);
      retire(prefetch);
      listeners.clear();
    },
  };

  if (typeof navigator !== 'undefined' && 'mediaSession' in navigator) {
    const ms = navigator.mediaSession;
    const handlers: Array<[MediaSessionAction, MediaSessionActionHandler]> = [
      ['play', () => engine.play()],
      ['pause', () => engine.pause()],
      ['nexttrack', () => engine.next()],
      ['previoustrack', () => engine.previous()],
      ['seekto', (d) => d.seekTime !== undefined && engine.seek(d.seekTime)],
    ];
    for (const [a, h] of handlers) {
      try {
        ms.setActionHandler(a, h);
      } catch {
        /* action unsupported */
      }
    }
  }
  return engine;
}
