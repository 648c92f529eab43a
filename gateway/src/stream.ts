/**
 * The song stream: the API node's own GraphQL schema (apiStreamSdl from @gotify/schema) with
 * `Subscription.songChunks(songId, fromIndex)` as a pull-based async generator.
 *
 * The manifest is fetched once from the peer pool; then each chunk is fetched on its own from a
 * peer replica, its sha256 checked against the manifest, and yielded. graphql-ws awaits every
 * socket send before pulling the next value, so a slow client slows the fetches (backpressure),
 * and at most STREAM_PREFETCH_CHUNKS chunks wait in memory ahead of the one being sent. A replica
 * that dies, times out or lies about a chunk is skipped and the same index is asked of another
 * (fetcher.ts); the client sees one uninterrupted stream.
 *
 * Errors (terminal `error` message of graphql-ws, extensions.code kept): NOT_FOUND for an unknown
 * song, BAD_USER_INPUT for a fromIndex outside [0, total), UNAVAILABLE when no replica can serve
 * a chunk after every retry (the client resumes from its next missing index).
 *
 * What this module does not do: websocket plumbing and connection limits (stream-server.ts).
 */
import { createHash } from 'node:crypto';
import { buildSchema, GraphQLError, type GraphQLSchema } from 'graphql';
import { chunkLayout, CHUNK_SIZE, FIRST_CHUNK_SIZE } from '@gotify/peer';
import { apiStreamSdl } from '@gotify/schema';
import { peerOperations, trackerOperations } from './operations.js';
import { CHUNK_FETCH_TIMEOUT_MS, STREAM_PREFETCH_CHUNKS, WS_MAX_MESSAGE_BYTES } from './policy.js';
import { IntegrityError, SubgraphError, type SubgraphClient } from './subgraph-client.js';

/** Rounds over the whole peer pool for one chunk before the stream gives up (pool may be refreshing). */
export const CHUNK_FETCH_ROUNDS = 3;
/** Pause between rounds: about one health-probe period, so a restarted replica is seen again. */
export const CHUNK_ROUND_PAUSE_MS = 500;
/** Timeout of the optional duration lookup on the trackers: the stream does not wait longer for it. */
export const DURATION_LOOKUP_TIMEOUT_MS = 1500;

/** What one `next` message carries. */
export interface SongChunkMessage {
  songId: string;
  index: number;
  total: number;
  offset: number;
  size: number;
  hash: string;
  mimeType: string;
  /** Base64 of the chunk bytes. */
  data: string;
  durationSeconds: number | null;
  songSize: number;
}

export interface StreamDeps {
  peer: SubgraphClient;
  tracker: SubgraphClient;
  /** Chunks fetched ahead of the one being sent. @default STREAM_PREFETCH_CHUNKS (1) */
  prefetch?: number;
  /** Called per chunk sent (metrics). */
  onChunk?: (bytes: number) => void;
  logger?: { warn(obj: object, msg?: string): void };
}

interface Manifest {
  size: number;
  mimeType: string;
  chunkSize: number;
  firstChunkSize: number;
  chunkCount: number;
  chunkHashes: string[];
}

const HEX_ID = /^[0-9a-f]{64}$/;

function userError(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

async function loadManifest(peer: SubgraphClient, songId: string): Promise<Manifest> {
  if (!HEX_ID.test(songId))
    throw userError('NOT_FOUND', `No song with id ${songId} (ids are 64 hex characters).`);
  try {
    const data = await peer.request<{ songAudio: { audio: Manifest | null } }>(peerOperations.SongManifest, {
      songId,
    });
    if (!data.songAudio.audio) throw userError('NOT_FOUND', `Song ${songId} has no audio manifest.`);
    return data.songAudio.audio;
  } catch (err) {
    if (err instanceof SubgraphError) {
      if (err.code === 'NOT_FOUND') throw userError('NOT_FOUND', `No song with id ${songId}.`);
      if (err.code === 'BAD_USER_INPUT') throw userError('BAD_USER_INPUT', err.message);
    }
    if (err instanceof GraphQLError) throw err;
    throw userError(
      'UNAVAILABLE',
      `Could not read the manifest of song ${songId}: ${(err as Error).message}`,
    );
  }
}

async function loadDuration(tracker: SubgraphClient, songId: string): Promise<number | null> {
  try {
    const data = await tracker.request<{ song: { duration: number | null } }>(
      trackerOperations.SongDuration,
      { id: songId },
      {
        timeoutMs: DURATION_LOOKUP_TIMEOUT_MS,
        maxAttempts: 2,
      },
    );
    return data.song.duration ?? null;
  } catch {
    return null; // metadata is optional for playback
  }
}

async function fetchChunk(
  deps: StreamDeps,
  songId: string,
  index: number,
  m: Manifest,
  signal: AbortSignal,
): Promise<{ data: string; size: number }> {
  const want = m.chunkHashes[index]!;
  let lastError: unknown;
  for (let round = 0; round < CHUNK_FETCH_ROUNDS && !signal.aborted; round++) {
    if (round > 0) await new Promise((r) => setTimeout(r, CHUNK_ROUND_PAUSE_MS));
    try {
      let size = 0;
      const data = await deps.peer.request<{ chunk: { data: string } }>(
        peerOperations.SongChunk,
        { songId, index },
        {
          timeoutMs: CHUNK_FETCH_TIMEOUT_MS,
          signal,
          validate: (d) => {
            const bytes = Buffer.from((d as { chunk: { data: string } }).chunk.data, 'base64');
            const got = createHash('sha256').update(bytes).digest('hex');
            if (got !== want) throw new IntegrityError(`chunk ${index} hash ${got} != manifest ${want}`);
            size = bytes.length;
          },
        },
      );
      return { data: data.chunk.data, size };
    } catch (err) {
      lastError = err;
      if (err instanceof SubgraphError && err.code !== 'UNAVAILABLE' && err.code !== 'INTERNAL_SERVER_ERROR')
        break;
      deps.logger?.warn({ songId, index, round, err: (err as Error).message }, 'chunk fetch round failed');
    }
  }
  throw userError(
    'UNAVAILABLE',
    `Chunk ${index} of song ${songId} is unavailable right now: ${(lastError as Error | undefined)?.message ?? 'aborted'}`,
  );
}

/** The chunks of a song from `fromIndex`, verified, in order; fetches are pulled by the consumer. */
export async function* songChunks(
  deps: StreamDeps,
  songId: string,
  fromIndex: number,
): AsyncGenerator<SongChunkMessage> {
  const abort = new AbortController();
  // Playback start latency: the first chunk is requested together with the manifest (one round
  // trip instead of two) and verified against the manifest's hash once that arrives.
  const early =
    Number.isInteger(fromIndex) && fromIndex >= 0
      ? deps.peer
          .request<{ chunk: { data: string } }>(
            peerOperations.SongChunk,
            { songId, index: fromIndex },
            { timeoutMs: CHUNK_FETCH_TIMEOUT_MS, signal: abort.signal },
          )
          .catch(() => undefined)
      : undefined;
  // The duration (tracker metadata) is a courtesy for players: it never delays the first chunk.
  // Messages carry it from the moment it is known (null before).
  let duration: number | null = null;
  // Started once the first chunk is out, so it never competes with it (see the loop below).
  let durationKnown: Promise<void> | undefined;
  let manifest: Manifest;
  try {
    manifest = await loadManifest(deps.peer, songId);
  } catch (err) {
    abort.abort();
    throw err;
  }
  const total = manifest.chunkCount;
  if (!Number.isInteger(fromIndex) || fromIndex < 0 || fromIndex >= total) {
    abort.abort();
    throw userError('BAD_USER_INPUT', `fromIndex ${fromIndex} is outside [0, ${total}) for song ${songId}.`);
  }
  const layout = chunkLayout(manifest.size, manifest.chunkSize, manifest.firstChunkSize);
  const ahead = Math.max(0, deps.prefetch ?? STREAM_PREFETCH_CHUNKS);
  const pending: Promise<{ data: string; size: number }>[] = [];
  let next = fromIndex;
  const firstChunk = async (): Promise<{ data: string; size: number }> => {
    const got = await early;
    if (got) {
      const bytes = Buffer.from(got.chunk.data, 'base64');
      if (createHash('sha256').update(bytes).digest('hex') === manifest.chunkHashes[fromIndex]) {
        return { data: got.chunk.data, size: bytes.length };
      }
    }
    return fetchChunk(deps, songId, fromIndex, manifest, abort.signal); // the normal, failover path
  };
  try {
    for (let index = fromIndex; index < total; index++) {
      // Nothing but the first chunk is in flight until it is sent: prefetching chunk 1 (4× bigger)
      // alongside it only slows the start on a busy machine.
      const depth = index === fromIndex ? 1 : ahead + 1;
      while (pending.length < depth && next < total) {
        const p =
          next === fromIndex
            ? (next++, firstChunk())
            : fetchChunk(deps, songId, next++, manifest, abort.signal);
        p.catch(() => undefined); // observed when its turn comes; never an unhandled rejection
        pending.push(p);
      }
      const chunk = await pending.shift()!;
      if (index > fromIndex || index === total - 1) {
        durationKnown ??= loadDuration(deps.tracker, songId).then((d) => void (duration = d));
      }
      if (index === total - 1) await durationKnown; // at least the last message carries it (bounded lookup)
      const slot = layout[index]!;
      deps.onChunk?.(chunk.size);
      yield {
        songId,
        index,
        total,
        offset: slot.offset,
        size: chunk.size,
        hash: manifest.chunkHashes[index]!,
        mimeType: manifest.mimeType,
        data: chunk.data,
        durationSeconds: duration,
        songSize: manifest.size,
      };
    }
  } finally {
    abort.abort(); // the client left or the stream ended: stop prefetches
  }
}

/** The stream schema with its resolvers attached (buildSchema + hand-wired resolvers). */
export function makeStreamSchema(deps: StreamDeps): GraphQLSchema {
  const schema = buildSchema(apiStreamSdl);
  const query = schema.getQueryType()!.getFields();
  query.streamInfo!.resolve = () => ({
    chunkSize: CHUNK_SIZE,
    firstChunkSize: FIRST_CHUNK_SIZE,
    maxMessageBytes: WS_MAX_MESSAGE_BYTES,
  });
  const sub = schema.getSubscriptionType()!.getFields();
  sub.songChunks!.subscribe = (_root, args: { songId: string; fromIndex?: number | null }) =>
    songChunks(deps, args.songId, args.fromIndex ?? 0);
  sub.songChunks!.resolve = (payload: SongChunkMessage) => payload;
  return schema;
}
