/**
 * Demo music for Gotify: deterministic synthesised songs, encoded as 128 kbps CBR MPEG-1
 * Layer III with ID3v2 tags and PNG cover art. Does not upload anything (the CLI does) and
 * does not read tags (music-metadata does, on upload); mpeg.ts only checks frame headers.
 */
export { DEMO_LIBRARY, type DemoSongSpec } from './library.js';
export { makeDemoSong, makeTestMp3, type DemoSong, type TestMp3Options } from './song.js';
export { MAX_SECONDS, MIN_SECONDS, generateDemoAudio, generateDemoSong } from './generate.js';
export { closeDemoWorker } from './worker-client.js';
export {
  GENERATOR_VERSION,
  MANIFEST_FILE,
  demoFileName,
  writeDemoLibrary,
  type DemoLibraryEntry,
  type DemoLibraryProgress,
} from './write.js';
export { COVER_MIME, COVER_SIZE, makeCoverPng } from './cover.js';
export { BITRATE_KBPS, SAMPLES_PER_FRAME } from './encode.js';
export { SAMPLE_RATE } from './synth.js';
export { id3v2Length, readFrameHeader, walkFrames, type FrameHeader } from './mpeg.js';
