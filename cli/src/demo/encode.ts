/**
 * PCM to MP3 with lamejs: 44.1 kHz mono, 128 kbps CBR, plain MPEG-1 Layer III frames with no
 * bit reservoir and no Xing/Info frame (lamejs' Mp3Encoder fixes those options), so every frame
 * is standard and self-contained: what Chromium's MediaSource('audio/mpeg') expects.
 * Tagging lives in tags.ts.
 */
import { Mp3Encoder } from '@breezystack/lamejs';
import { SAMPLE_RATE } from './synth.js';

/** Constant bitrate in kbps: the figure the player, tests and manifests assume. */
export const BITRATE_KBPS = 128;
/** Samples per MPEG-1 Layer III frame. */
export const SAMPLES_PER_FRAME = 1152;
/** Frames handed to the encoder per call: large enough to amortise call overhead. */
const FRAMES_PER_CALL = 32;

/** Float [-1, 1] to signed 16-bit, clamped. */
export function toInt16(pcm: Float32Array): Int16Array {
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) {
    const s = Math.max(-1, Math.min(1, pcm[i] as number));
    out[i] = Math.round(s * 32767);
  }
  return out;
}

/** Encode mono PCM at SAMPLE_RATE to a CBR MP3 byte stream (no tags). */
export function encodeMp3(pcm: Float32Array): Buffer {
  const samples = toInt16(pcm);
  const encoder = new Mp3Encoder(1, SAMPLE_RATE, BITRATE_KBPS);
  const parts: Buffer[] = [];
  const block = SAMPLES_PER_FRAME * FRAMES_PER_CALL;
  const keep = (chunk: Uint8Array): void => {
    if (chunk.length > 0) parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  };
  for (let i = 0; i < samples.length; i += block) keep(encoder.encodeBuffer(samples.subarray(i, i + block)));
  keep(encoder.flush());
  return Buffer.concat(parts);
}
