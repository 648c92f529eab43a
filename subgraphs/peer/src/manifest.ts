/**
 * The song manifest: a versioned record in the peer DHT at `keyOf('manifest', songId)` holding the
 * audio facts and the ordered chunk hashes. JSON on the wire (small, readable in a debugger).
 *
 * Validation lives here so that both publish (user input) and read (bytes from a replica that may
 * lie) go through the same checks; a manifest whose chunk hashes do not hash to its song id is
 * rejected, so a forged record cannot redirect a song to other audio.
 *
 * Does not: check that chunks are stored (see `publishManifest` in `audio.ts`).
 */
import { chunkLayout, isHexHash, MAX_CHUNK_SIZE, MAX_SONG_SIZE, songIdOf } from './chunking.js';

/** Longest MIME type / codec string accepted: real ones are under 40 chars. */
export const MAX_LABEL_LENGTH = 128;

/** Manifest format version, bumped on incompatible changes. */
export const MANIFEST_VERSION = 1;

/** What a client publishes (the GraphQL `ManifestInput`). */
export interface ManifestInput {
  mimeType: string;
  codec?: string | null;
  bitrate?: number | null;
  size: number;
  chunkSize: number;
  firstChunkSize: number;
  chunkHashes: string[];
}

/** A validated manifest: the input plus its song id, hashes lowercased. */
export interface Manifest {
  v: number;
  songId: string;
  mimeType: string;
  codec: string | null;
  bitrate: number | null;
  size: number;
  chunkSize: number;
  firstChunkSize: number;
  chunkHashes: string[];
}

/** A manifest that fails validation; `message` says which field and why. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

function isInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n);
}

function label(name: string, v: unknown, optional: boolean): string | null {
  if (v === undefined || v === null) {
    if (optional) return null;
    throw new ManifestError(`${name} is required`);
  }
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_LABEL_LENGTH) {
    throw new ManifestError(`${name} must be a non-empty string of at most ${MAX_LABEL_LENGTH} chars`);
  }
  return v;
}

/** Validates an input and derives its song id. Throws {@link ManifestError}. */
export function buildManifest(input: ManifestInput): Manifest {
  const mimeType = label('mimeType', input.mimeType, false) as string;
  const codec = label('codec', input.codec, true);
  const bitrate = input.bitrate ?? null;
  if (bitrate !== null && (!isInt(bitrate) || bitrate <= 0))
    throw new ManifestError('bitrate must be a positive Int');
  const { size, chunkSize, firstChunkSize } = input;
  if (!isInt(size) || size <= 0 || size > MAX_SONG_SIZE) {
    throw new ManifestError(`size must be between 1 and ${MAX_SONG_SIZE} bytes`);
  }
  for (const [name, v] of [
    ['chunkSize', chunkSize],
    ['firstChunkSize', firstChunkSize],
  ] as const) {
    if (!isInt(v) || v <= 0 || v > MAX_CHUNK_SIZE) {
      throw new ManifestError(`${name} must be between 1 and ${MAX_CHUNK_SIZE} bytes`);
    }
  }
  if (!Array.isArray(input.chunkHashes)) throw new ManifestError('chunkHashes must be a list');
  const chunkHashes = input.chunkHashes.map((h, i) => {
    const lower = typeof h === 'string' ? h.toLowerCase() : '';
    if (!isHexHash(lower)) throw new ManifestError(`chunkHashes[${i}] is not a hex SHA-256 (64 hex chars)`);
    return lower;
  });
  const expected = chunkLayout(size, chunkSize, firstChunkSize).length;
  if (chunkHashes.length !== expected) {
    throw new ManifestError(
      `chunkHashes has ${chunkHashes.length} entries but size ${size} with chunkSize ${chunkSize} ` +
        `and firstChunkSize ${firstChunkSize} makes ${expected} chunks`,
    );
  }
  return {
    v: MANIFEST_VERSION,
    songId: songIdOf(chunkHashes),
    mimeType,
    codec,
    bitrate,
    size,
    chunkSize,
    firstChunkSize,
    chunkHashes,
  };
}

export function encodeManifest(m: Manifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m));
}

/**
 * Parses and re-validates a manifest read from a replica. Throws {@link ManifestError} when the
 * bytes are malformed or the chunk hashes do not hash to `expectedSongId`.
 */
export function decodeManifest(bytes: Uint8Array, expectedSongId: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ManifestError('manifest is not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw new ManifestError('manifest is not an object');
  const r = raw as Record<string, unknown>;
  if (r.v !== MANIFEST_VERSION) throw new ManifestError(`unsupported manifest version ${String(r.v)}`);
  const m = buildManifest(r as unknown as ManifestInput);
  if (m.songId !== expectedSongId || r.songId !== expectedSongId) {
    throw new ManifestError(`manifest chunk hashes do not hash to song id ${expectedSongId}`);
  }
  return m;
}
