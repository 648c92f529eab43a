/**
 * One demo song end to end, synchronously and in the calling thread: arrange, render, encode,
 * tag with cover art. CPU-bound; song.ts runs it in a worker thread (worker.ts) so callers
 * keep their event loop and jest's slow VM context is avoided. Files and caching: write.ts.
 */
import { arrange } from './arrange.js';
import { COVER_MIME, makeCoverPng } from './cover.js';
import { encodeMp3 } from './encode.js';
import type { DemoSongSpec } from './library.js';
import { render } from './synth.js';
import { tagMp3 } from './tags.js';

/** Shortest song the generator makes, seconds: shorter files are not useful music. */
export const MIN_SECONDS = 1;
/** Longest song, seconds: keeps an accidental huge request from hogging a core for minutes. */
export const MAX_SECONDS = 600;

/** Throw a RangeError unless the spec can be generated. */
export function checkSpec(spec: DemoSongSpec): void {
  if (!(spec.seconds >= MIN_SECONDS && spec.seconds <= MAX_SECONDS)) {
    throw new RangeError(`seconds must be in [${MIN_SECONDS}, ${MAX_SECONDS}], got ${spec.seconds}`);
  }
  if (!Number.isInteger(spec.seed)) throw new RangeError(`seed must be an integer, got ${spec.seed}`);
}

/** The untagged MP3 audio of a song. */
export function generateDemoAudio(genre: string, seconds: number, seed: number): Buffer {
  return encodeMp3(render(arrange(genre, seconds, seed), seed));
}

/** The tagged MP3 of a spec, in this thread. Deterministic: same spec, same bytes. */
export function generateDemoSong(spec: DemoSongSpec): Buffer {
  checkSpec(spec);
  const audio = generateDemoAudio(spec.genre, spec.seconds, spec.seed);
  return tagMp3(audio, { ...spec, cover: { mime: COVER_MIME, data: makeCoverPng(spec.artist, spec.album) } });
}
