/**
 * A fake songChunks server for unit tests: records every subscription and lets the test push
 * chunks, drop sockets, send errors and complete — no network. Also a manual timer.
 * Used only by *.test.ts; nothing in the app imports it.
 */
import type { ChunkMessage, Sink, SubscribeFn, Timers } from './chunkStream';
import type { Endpoint } from './endpoints';

export interface FakeSub {
  endpoint: Endpoint;
  songId: string;
  fromIndex: number;
  disposed: boolean;
  sink: Sink<ChunkMessage>;
  /** Push chunk `index` (or the next one after the last pushed). */
  push(index?: number): void;
  /** Push chunks until `index` exclusive. */
  pushUntil(index: number): void;
  drop(code?: number): void;
}

export function fakeChunk(songId: string, index: number, total: number, size = 4): ChunkMessage {
  const bytes = Buffer.alloc(size, index % 256);
  return {
    songId,
    index,
    total,
    offset: index * size,
    size,
    hash: 'h' + index,
    mimeType: 'audio/mpeg',
    data: bytes.toString('base64'),
    durationSeconds: total,
    songSize: total * size,
  };
}

export function makeFakeServer(total: number) {
  const subs: FakeSub[] = [];
  const subscribe: SubscribeFn = (endpoint, { songId, fromIndex }, sink) => {
    let cursor = fromIndex;
    const sub: FakeSub = {
      endpoint,
      songId,
      fromIndex,
      disposed: false,
      sink,
      push(index) {
        const i = index ?? cursor;
        cursor = i + 1;
        if (!sub.disposed) sink.next(fakeChunk(songId, i, total));
      },
      pushUntil(index) {
        while (cursor < index && !sub.disposed) sub.push();
      },
      drop(code = 1006) {
        if (!sub.disposed) sink.error({ code, reason: 'gone', type: 'close' });
      },
    };
    subs.push(sub);
    return () => {
      sub.disposed = true;
    };
  };
  return { subs, subscribe, last: () => subs[subs.length - 1]! };
}

export function makeManualTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout(fn, ms) {
      const id = ++seq;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(h) {
      pending.delete(h as number);
    },
  };
  function advance(ms: number) {
    const until = now + ms;
    for (;;) {
      const due = [...pending.entries()]
        .filter(([, t]) => t.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      pending.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = until;
  }
  return { timers, advance, now: () => now, pending: () => pending.size };
}
