/**
 * Storing an inspected upload, durably, in order: every chunk to the peers (bounded concurrency,
 * each a write-quorum store, retried on other replicas: chunks are content-addressed, so a replay
 * is harmless), the cover art as a blob, then the manifest (whose id is the song id), and last
 * the metadata record on the trackers. The song is listed only after its audio is complete.
 *
 * What this module does not do: HTTP, auth, size caps (upload.ts), tag reading (tags.ts).
 */
import { createHash } from 'node:crypto';
import { CHUNK_SIZE, FIRST_CHUNK_SIZE, songIdOf, splitIntoChunks } from '@gotify/peer';
import { peerOperations, trackerOperations } from './operations.js';
import { MAX_COVER_BYTES, UPLOAD_STORE_ATTEMPTS, UPLOAD_STORE_CONCURRENCY } from './policy.js';
import { IntegrityError, SubgraphError, type SubgraphClient } from './subgraph-client.js';
import type { InspectedAudio } from './tags.js';
import { UploadError } from './upload-errors.js';

/** Pause between whole-pool attempts of one store (quorum misses are often momentary). */
export const STORE_RETRY_PAUSE_MS = 300;

/** Progress of one ingest, reported as it goes. */
export type IngestProgress =
  { phase: 'storing'; done: number; total: number } | { phase: 'publishing' } | { phase: 'indexing' };

/** A stored song as the tracker answers it. */
export interface StoredSong {
  id: string;
  title: string;
  artist: string;
  album: string;
  genre: string;
  year: number | null;
  trackNumber: number | null;
  duration: number | null;
  coverArt: string | null;
  coverArtMime: string | null;
  uploadedAt: string;
  version: number;
}

export interface IngestDeps {
  peer: SubgraphClient;
  tracker: SubgraphClient;
  /** @default UPLOAD_STORE_CONCURRENCY (4) */
  concurrency?: number;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function upstream(what: string, err: unknown): UploadError {
  return new UploadError('UPSTREAM_FAILED', `Could not ${what}: ${(err as Error).message}`);
}

/** Run an idempotent store with whole-pool retries. */
async function withAttempts<T>(fn: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < UPLOAD_STORE_ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, STORE_RETRY_PAUSE_MS * attempt));
    try {
      return await fn();
    } catch (err) {
      last = err;
      // A refusal (bad input, too large) is the same on every replica: do not insist.
      if (err instanceof SubgraphError && err.code !== 'UNAVAILABLE' && err.code !== 'INTERNAL_SERVER_ERROR')
        break;
    }
  }
  throw last;
}

async function storeBytes(
  peer: SubgraphClient,
  doc: string,
  field: 'storeChunk' | 'storeBlob',
  bytes: Uint8Array,
): Promise<string> {
  const want = sha256Hex(bytes);
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const res = await withAttempts(() =>
    peer.request<Record<string, { hash: string; acks: number }>>(
      doc,
      { data },
      {
        op: 'mutation',
        idempotent: true,
        validate: (d) => {
          const got = (d as Record<string, { hash: string }>)[field]!.hash;
          if (got !== want) throw new IntegrityError(`peer stored hash ${got}, expected ${want}`);
        },
      },
    ),
  );
  return res[field]!.hash;
}

/** Store audio, cover, manifest and metadata; resolves with the tracker's record once durable. */
export async function ingest(
  deps: IngestDeps,
  audio: InspectedAudio,
  bytes: Uint8Array,
  onProgress: (p: IngestProgress) => void,
): Promise<StoredSong> {
  const chunks = splitIntoChunks(bytes, CHUNK_SIZE, FIRST_CHUNK_SIZE);
  const hashes = chunks.map(sha256Hex);
  const songId = songIdOf(hashes);
  let done = 0;
  let nextIndex = 0;
  onProgress({ phase: 'storing', done, total: chunks.length });
  const worker = async (): Promise<void> => {
    while (nextIndex < chunks.length) {
      const i = nextIndex++;
      await storeBytes(deps.peer, peerOperations.StoreChunk, 'storeChunk', chunks[i]!);
      done++;
      onProgress({ phase: 'storing', done, total: chunks.length });
    }
  };
  try {
    const workers = Array.from(
      { length: Math.min(deps.concurrency ?? UPLOAD_STORE_CONCURRENCY, chunks.length) },
      worker,
    );
    await Promise.all(workers);
  } catch (err) {
    nextIndex = chunks.length; // stop the other workers
    throw upstream('store the audio chunks on the peers', err);
  }

  let coverArt: string | null = null;
  if (audio.cover && audio.cover.data.length <= MAX_COVER_BYTES) {
    try {
      coverArt = await storeBytes(deps.peer, peerOperations.StoreBlob, 'storeBlob', audio.cover.data);
    } catch {
      coverArt = null; // a song without its cover is better than no song
    }
  }

  onProgress({ phase: 'publishing' });
  try {
    const res = await withAttempts(() =>
      deps.peer.request<{ publishManifest: { id: string } }>(
        peerOperations.PublishManifest,
        {
          input: {
            mimeType: audio.mimeType,
            codec: audio.codec,
            bitrate: audio.bitrate,
            size: bytes.length,
            chunkSize: CHUNK_SIZE,
            firstChunkSize: FIRST_CHUNK_SIZE,
            chunkHashes: hashes,
          },
        },
        // The manifest is content-addressed too: publishing it twice writes the same value.
        { op: 'mutation', idempotent: true },
      ),
    );
    if (res.publishManifest.id !== songId)
      throw new Error(`peer answered song id ${res.publishManifest.id}, expected ${songId}`);
  } catch (err) {
    throw upstream('publish the song manifest', err);
  }

  onProgress({ phase: 'indexing' });
  try {
    const res = await withAttempts(() =>
      deps.tracker.request<{ putSong: StoredSong }>(
        trackerOperations.StoreSong,
        {
          input: {
            id: songId,
            ...audio.tags,
            duration: audio.duration,
            coverArt,
            coverArtMime: coverArt ? audio.cover!.mime : null,
          },
        },
        // putSong replaces the record with these same values: a replay only bumps its version.
        { op: 'mutation', idempotent: true },
      ),
    );
    return res.putSong;
  } catch (err) {
    throw upstream('index the song on the trackers', err);
  }
}
