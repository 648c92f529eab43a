/**
 * The play queue as pure immutable state: which songs, which one is current, and the moves a
 * player makes (play now, add, next, previous, remove, jump). No audio here (engine.ts).
 */

/** What the player needs to know about a song. */
export interface QueueSong {
  id: string;
  title: string;
  artist: string;
  album?: string;
  duration?: number | null;
  coverArt?: string | null;
  mimeType?: string | null;
  size?: number | null;
  chunkSize?: number | null;
  firstChunkSize?: number | null;
  chunkCount?: number | null;
}

export interface QueueState {
  items: QueueSong[];
  /** Index of the current song, -1 when nothing is current. */
  index: number;
}

export const emptyQueue: QueueState = { items: [], index: -1 };

export const current = (q: QueueState): QueueSong | undefined => q.items[q.index];
export const upcoming = (q: QueueState): QueueSong | undefined => q.items[q.index + 1];

/** Replace the queue with `songs` and make `start` current (clicking a row in a list). */
export function playList(songs: QueueSong[], start = 0): QueueState {
  return { items: [...songs], index: songs.length ? Math.max(0, Math.min(start, songs.length - 1)) : -1 };
}

/** Append to the end ("add to queue"). */
export function enqueue(q: QueueState, songs: QueueSong[]): QueueState {
  const items = [...q.items, ...songs];
  return { items, index: q.index < 0 && items.length ? 0 : q.index };
}

/** Insert right after the current song ("play next"). */
export function playNext(q: QueueState, songs: QueueSong[]): QueueState {
  const at = q.index + 1;
  return {
    items: [...q.items.slice(0, at), ...songs, ...q.items.slice(at)],
    index: q.index < 0 ? 0 : q.index,
  };
}

export function next(q: QueueState): QueueState | null {
  return q.index + 1 < q.items.length ? { ...q, index: q.index + 1 } : null;
}

export function previous(q: QueueState): QueueState | null {
  return q.index > 0 ? { ...q, index: q.index - 1 } : null;
}

export function jump(q: QueueState, index: number): QueueState | null {
  return index >= 0 && index < q.items.length ? { ...q, index } : null;
}

/** Remove item `i`; removing the current song makes the following one current. */
export function removeAt(q: QueueState, i: number): QueueState {
  if (i < 0 || i >= q.items.length) return q;
  const items = q.items.filter((_, k) => k !== i);
  let index = q.index;
  if (i < q.index) index--;
  if (index >= items.length) index = items.length - 1;
  return { items, index };
}
