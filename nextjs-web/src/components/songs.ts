/** SongNode (GraphQL) → QueueSong (player). */
import type { SongNode } from '../lib/graphql';
import type { QueueSong } from '../player/queue';

export function toQueueSong(s: SongNode): QueueSong {
  return {
    id: s.id,
    title: s.title,
    artist: s.artist,
    album: s.album,
    duration: s.duration ?? null,
    coverArt: s.coverArt ?? null,
    mimeType: s.audio?.mimeType ?? null,
    size: s.audio?.size ?? null,
    chunkSize: s.audio?.chunkSize ?? null,
    firstChunkSize: s.audio?.firstChunkSize ?? null,
    chunkCount: s.audio?.chunkCount ?? null,
  };
}
