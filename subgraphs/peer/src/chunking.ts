/**
 * How a song's audio is cut into content-addressed chunks, and how the song id (manifest root)
 * is derived from the chunk hashes. Pure functions: the API node uses them to chunk uploads,
 * the Peer subgraph uses them to validate manifests.
 *
 * Does not: store anything (see `audio.ts`) or read tags (the API node's ingest does that).
 */
import { createHash } from 'node:crypto';

/**
 * Bytes per chunk: 128 KiB is ~8 s of 128 kbit/s MP3 — one DHT value small enough for a single
 * transport frame and a 175 KiB base64 GraphQL message, large enough that per-chunk lookups stay rare.
 */
export const CHUNK_SIZE = 128 * 1024;

/** Bytes in chunk 0: 32 KiB (~2 s of 128 kbit/s audio) arrives fast, so playback starts early. */
export const FIRST_CHUNK_SIZE = 32 * 1024;

/**
 * Largest chunk a peer accepts: 256 KiB, twice the default, so high-bitrate uploads may pick bigger
 * chunks while one request stays bounded (see `MAX_BODY_BYTES`).
 */
export const MAX_CHUNK_SIZE = 256 * 1024;

/** Largest song a manifest may describe: 1 GiB covers an hour of 24-bit FLAC; also keeps `size` an Int. */
export const MAX_SONG_SIZE = 1024 * 1024 * 1024;

/** One chunk's place in the file. */
export interface ChunkSlot {
  index: number;
  offset: number;
  size: number;
}

/**
 * The chunks of a file of `size` bytes: chunk 0 holds `firstChunkSize` bytes, the others `chunkSize`
 * (the last one may be shorter). An empty file has no chunks.
 */
export function chunkLayout(
  size: number,
  chunkSize: number = CHUNK_SIZE,
  firstChunkSize: number = FIRST_CHUNK_SIZE,
): ChunkSlot[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid size ${size}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0)
    throw new RangeError(`invalid chunkSize ${chunkSize}`);
  if (!Number.isSafeInteger(firstChunkSize) || firstChunkSize <= 0) {
    throw new RangeError(`invalid firstChunkSize ${firstChunkSize}`);
  }
  const slots: ChunkSlot[] = [];
  let offset = 0;
  while (offset < size) {
    const want = slots.length === 0 ? firstChunkSize : chunkSize;
    const n = Math.min(want, size - offset);
    slots.push({ index: slots.length, offset, size: n });
    offset += n;
  }
  return slots;
}

/** Slot `index` of {@link chunkLayout} without building the whole layout; undefined past the end. */
export function chunkSlot(
  size: number,
  index: number,
  chunkSize: number = CHUNK_SIZE,
  firstChunkSize: number = FIRST_CHUNK_SIZE,
): ChunkSlot | undefined {
  if (!Number.isSafeInteger(index) || index < 0) return undefined;
  const offset = index === 0 ? 0 : firstChunkSize + (index - 1) * chunkSize;
  if (offset >= size) return undefined;
  const want = index === 0 ? firstChunkSize : chunkSize;
  return { index, offset, size: Math.min(want, size - offset) };
}

/** Cuts `bytes` along {@link chunkLayout}; the chunks are views into `bytes`, not copies. */
export function splitIntoChunks(
  bytes: Uint8Array,
  chunkSize: number = CHUNK_SIZE,
  firstChunkSize: number = FIRST_CHUNK_SIZE,
): Uint8Array[] {
  return chunkLayout(bytes.length, chunkSize, firstChunkSize).map((s) =>
    bytes.subarray(s.offset, s.offset + s.size),
  );
}

const HEX_HASH = /^[0-9a-f]{64}$/;

/** True for a lowercase hex SHA-256 (64 chars). */
export function isHexHash(s: string): boolean {
  return HEX_HASH.test(s);
}

/** Hex SHA-256 of `bytes`. */
export function hashHex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The song id: hex SHA-256 of the concatenated raw 32-byte chunk hashes (the manifest root).
 * Throws on a hash that is not 64 hex chars.
 */
export function songIdOf(chunkHashesHex: string[]): string {
  const h = createHash('sha256');
  for (const hex of chunkHashesHex) {
    const lower = hex.toLowerCase();
    if (!isHexHash(lower)) throw new RangeError(`invalid chunk hash ${JSON.stringify(hex)}`);
    h.update(Buffer.from(lower, 'hex'));
  }
  return h.digest('hex');
}
