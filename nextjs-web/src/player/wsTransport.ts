/**
 * The real SubscribeFn: `subscription songChunks` over graphql-ws, one lazily opened client per
 * API node. Client-side retries are OFF (retryAttempts 0): graphql-ws would re-send the original
 * fromIndex; ChunkStream resubscribes itself, on the next endpoint, from the next missing index.
 * A client whose socket closed is dropped from the pool so the next attempt dials afresh.
 * Does not choose endpoints (endpoints.ts) nor order chunks (chunkStream.ts).
 */
import { createClient, type Client } from 'graphql-ws';
import type { ChunkMessage, SubscribeFn } from './chunkStream';

/** Idle time before an unused socket is closed: covers the gap between a pause and the resume. */
const LAZY_CLOSE_MS = 15_000;
/** Ping interval keeping NATs and proxies from dropping an idle stream socket. */
const KEEP_ALIVE_MS = 10_000;
/** A node that does not acknowledge the connection this fast is treated as down. */
const CONNECTION_ACK_WAIT_MS = 3_000;

export const SONG_CHUNKS = /* GraphQL */ `
  subscription SongChunks($songId: ID!, $fromIndex: Int) {
    songChunks(songId: $songId, fromIndex: $fromIndex) {
      songId
      index
      total
      offset
      size
      hash
      mimeType
      data
      durationSeconds
      songSize
    }
  }
`;

export interface WsSubscribeOptions {
  /** WebSocket constructor (e.g. the `ws` package in Node 20). @default globalThis.WebSocket */
  webSocketImpl?: unknown;
}

export function makeWsSubscribe(opts: WsSubscribeOptions = {}): SubscribeFn {
  const pool = new Map<string, Client>();

  function clientFor(url: string): Client {
    const existing = pool.get(url);
    if (existing) return existing;
    const client = createClient({
      url,
      ...(opts.webSocketImpl ? { webSocketImpl: opts.webSocketImpl } : {}),
      lazy: true,
      lazyCloseTimeout: LAZY_CLOSE_MS,
      keepAlive: KEEP_ALIVE_MS,
      connectionAckWaitTimeout: CONNECTION_ACK_WAIT_MS,
      retryAttempts: 0,
      shouldRetry: () => false,
      on: {
        closed: () => {
          if (pool.get(url) === client) pool.delete(url);
        },
        error: () => {
          if (pool.get(url) === client) pool.delete(url);
        },
      },
    });
    pool.set(url, client);
    return client;
  }

  return (endpoint, { songId, fromIndex }, sink) => {
    const client = clientFor(endpoint.ws);
    return client.subscribe<{ songChunks: ChunkMessage }>(
      { query: SONG_CHUNKS, variables: { songId, fromIndex } },
      {
        next(result) {
          if (result.errors?.length) return sink.error(result.errors);
          if (result.data?.songChunks) sink.next(result.data.songChunks);
        },
        error: (err) => sink.error(err),
        complete: () => sink.complete(),
      },
    );
  };
}
