/**
 * The public generator API: makeDemoSong and makeTestMp3. Generation runs in a worker thread
 * (worker-client.ts); the synchronous in-thread version is generate.ts. Files: write.ts.
 */
import { checkSpec } from './generate.js';
import type { DemoSongSpec } from './library.js';
import { generateInWorker } from './worker-client.js';

/** A generated song: the tagged MP3 bytes and the spec they were made from. */
export interface DemoSong {
  bytes: Buffer;
  spec: DemoSongSpec;
}

/**
 * Generate a demo song: 44.1 kHz mono 128 kbps CBR MPEG-1 Layer III with ID3v2.3 tags and a
 * PNG front cover. Deterministic: the same spec gives byte-identical output. Runs in a shared
 * worker thread, one song at a time (roughly 1-2 s of CPU per 30 s of audio).
 */
export async function makeDemoSong(spec: DemoSongSpec): Promise<DemoSong> {
  checkSpec(spec);
  return { bytes: await generateInWorker(spec), spec };
}

/** Options of makeTestMp3; every field but the length and seed has a test default. */
export interface TestMp3Options {
  /** Length in seconds (5-40 keeps a test fast). */
  seconds: number;
  /** Arrangement seed: distinct seeds give distinct audio (and distinct song ids). */
  seed: number;
  /** @default `Test Song ${seed}` */
  title?: string;
  /** @default 'Test Artist' */
  artist?: string;
  /** @default 'Test Album' */
  album?: string;
  /** @default 'Pop' */
  genre?: string;
  /** @default 2024 */
  year?: number;
  /** @default 1 */
  track?: number;
}

/** Memo of generated test files: many tests upload the same small song. */
const testMp3Cache = new Map<string, Promise<Buffer>>();

/**
 * A tagged MP3 (with cover art) for tests, as `{ bytes, spec }` like makeDemoSong.
 * Memoised per options; each call gets its own copy of the bytes.
 */
export async function makeTestMp3(options: TestMp3Options): Promise<DemoSong> {
  const spec: DemoSongSpec = {
    title: options.title ?? `Test Song ${options.seed}`,
    artist: options.artist ?? 'Test Artist',
    album: options.album ?? 'Test Album',
    genre: options.genre ?? 'Pop',
    year: options.year ?? 2024,
    track: options.track ?? 1,
    seconds: options.seconds,
    seed: options.seed,
  };
  const key = JSON.stringify(spec);
  let bytes = testMp3Cache.get(key);
  if (!bytes) {
    bytes = makeDemoSong(spec).then((song) => song.bytes);
    bytes.catch(() => testMp3Cache.delete(key));
    testMp3Cache.set(key, bytes);
  }
  return { bytes: Buffer.from(await bytes), spec };
}
