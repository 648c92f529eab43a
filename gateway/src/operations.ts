/**
 * The GraphQL operation documents of the API node, read from gateway/src/operations/ (so the
 * README, the tests and the code use the same files).
 *
 * - Public, report operations: GetSongByID, FilterSongs, StoreSong (against /graphql, the
 *   supergraph) and StreamSong (against ws /stream, the stream schema).
 * - Internal (operations/internal/): what the API node itself sends to one subgraph for
 *   streaming, uploads and cover art.
 *
 * What this module does not do: validate them (operations.test.ts checks each against its schema).
 */
import { readFileSync } from 'node:fs';

function load(path: string): string {
  return readFileSync(new URL(`./operations/${path}`, import.meta.url), 'utf8');
}

/** Report operations (supergraph / stream schema). */
export const publicOperations = {
  GetSongByID: load('GetSongByID.graphql'),
  FilterSongs: load('FilterSongs.graphql'),
  StoreSong: load('StoreSong.graphql'),
  StreamSong: load('StreamSong.graphql'),
} as const;

/** Operations the API node sends to the peer subgraph. */
export const peerOperations = {
  SongManifest: load('internal/SongManifest.graphql'),
  SongChunk: load('internal/SongChunk.graphql'),
  StoreChunk: load('internal/StoreChunk.graphql'),
  StoreBlob: load('internal/StoreBlob.graphql'),
  PublishManifest: load('internal/PublishManifest.graphql'),
  CoverBlob: load('internal/CoverBlob.graphql'),
} as const;

/** Operations the API node sends to the tracker subgraph. */
export const trackerOperations = {
  SongDuration: load('internal/SongDuration.graphql'),
  StoreSong: publicOperations.StoreSong,
} as const;
