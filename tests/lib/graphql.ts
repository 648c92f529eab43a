/**
 * Minimal GraphQL clients for the tests: HTTP POST (as the Web node sends it) and a graphql-ws
 * song stream reader that collects chunks in order.
 */
import crypto from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GqlResult<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function gql<T = Record<string, unknown>>(
  base: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GqlResult<T>> {
  const res = await fetch(new URL('/graphql', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(20_000),
  });
  return (await res.json()) as GqlResult<T>;
}

export const SONG_CHUNKS = /* GraphQL */ `
  subscription GetSongByID($songId: ID!, $fromIndex: Int) {
    songChunks(songId: $songId, fromIndex: $fromIndex) {
      songId
      index
      total
      offset
      size
      hash
      mimeType
      data
    }
  }
`;

export interface StreamedChunk {
  index: number;
  total: number;
  offset: number;
  size: number;
  hash: string;
  mimeType: string;
  data: string;
}

/** Streams a song over graphql-ws; `onChunk` runs on each chunk (e.g. to kill a node mid-way). */
export async function streamSong(
  wsUrl: string,
  songId: string,
  opts: { fromIndex?: number; onChunk?: (c: StreamedChunk) => void | Promise<void> } = {},
): Promise<{ bytes: Buffer; chunks: StreamedChunk[] }> {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  const chunks: StreamedChunk[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      client.subscribe<{ songChunks: StreamedChunk }>(
        { query: SONG_CHUNKS, variables: { songId, fromIndex: opts.fromIndex ?? 0 } },
        {
          next: (msg) => {
            if (msg.errors?.length)
              return reject(Object.assign(new Error(msg.errors[0]!.message), { errors: msg.errors }));
            const c = msg.data!.songChunks;
            chunks.push(c);
            void opts.onChunk?.(c);
          },
          // graphql-ws hands operation errors (its `error` message) to this sink as a GraphQLError[].
          error: (err) =>
            reject(
              Array.isArray(err)
                ? Object.assign(new Error(err[0]?.message ?? 'stream error'), { errors: err })
                : err instanceof Error
                  ? err
                  : Object.assign(new Error('stream error'), { detail: err }),
            ),
          complete: () => resolve(),
        },
      );
    });
  } finally {
    await client.dispose();
  }
  return { bytes: Buffer.concat(chunks.map((c) => Buffer.from(c.data, 'base64'))), chunks };
}

export const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

/** Subscribes with any document and resolves with the first message, or rejects with the errors. */
export async function subscribeOnce(
  wsUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<unknown> {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  try {
    return await new Promise((resolve, reject) => {
      client.subscribe(
        { query, variables },
        {
          next: (msg) =>
            msg.errors
              ? reject(Object.assign(new Error(msg.errors[0]!.message), { errors: msg.errors }))
              : resolve(msg.data),
          error: (err) =>
            reject(
              Array.isArray(err)
                ? Object.assign(new Error(err[0]?.message ?? 'error'), { errors: err })
                : err,
            ),
          complete: () => resolve(undefined),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}
