/**
 * Minimal MPEG audio frame-header reading, to check generated files are plain MPEG-1 Layer III
 * CBR frames from the end of the ID3v2 tag to the end of the file. Only what the demo tests
 * and the CLI's sanity check need; real metadata parsing is music-metadata's job.
 */

/** Bitrates (kbps) of MPEG-1 Layer III by header index; 0 = free format, 15 = invalid. */
const V1_L3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0];
/** Sample rates of MPEG-1 by header index. */
const V1_RATES = [44100, 48000, 32000, 0];

/** One parsed MPEG-1 Layer III frame header. */
export interface FrameHeader {
  bitrate: number;
  sampleRate: number;
  padding: boolean;
  /** 3 = mono, 0..2 = stereo modes. */
  channelMode: number;
  /** Frame length in bytes, header included. */
  length: number;
}

/** Length of the ID3v2 tag at the start of `bytes` (header, body and footer), or 0 if none. */
export function id3v2Length(bytes: Uint8Array): number {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0;
  const size =
    ((bytes[6] as number) << 21) |
    ((bytes[7] as number) << 14) |
    ((bytes[8] as number) << 7) |
    (bytes[9] as number);
  const footer = ((bytes[5] as number) & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/** The MPEG-1 Layer III frame header at `offset`, or undefined if there is none. */
export function readFrameHeader(bytes: Uint8Array, offset: number): FrameHeader | undefined {
  if (offset + 4 > bytes.length) return undefined;
  const b1 = bytes[offset + 1] as number;
  const b2 = bytes[offset + 2] as number;
  const b3 = bytes[offset + 3] as number;
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined; // 11-bit frame sync
  if (((b1 >> 3) & 3) !== 3 || ((b1 >> 1) & 3) !== 1) return undefined; // MPEG-1, Layer III
  const bitrate = (V1_L3_KBPS[b2 >> 4] ?? 0) * 1000;
  const sampleRate = V1_RATES[(b2 >> 2) & 3] ?? 0;
  if (bitrate === 0 || sampleRate === 0) return undefined;
  const padding = ((b2 >> 1) & 1) === 1;
  return {
    bitrate,
    sampleRate,
    padding,
    channelMode: b3 >> 6,
    length: Math.floor((144 * bitrate) / sampleRate) + (padding ? 1 : 0),
  };
}

/** Every frame header from `offset` to the end; throws at the first byte that is not a frame. */
export function walkFrames(bytes: Uint8Array, offset: number): FrameHeader[] {
  const frames: FrameHeader[] = [];
  let at = offset;
  while (at < bytes.length) {
    const header = readFrameHeader(bytes, at);
    if (!header) throw new Error(`no MPEG-1 Layer III frame at byte ${at} (frame ${frames.length})`);
    if (at + header.length > bytes.length) throw new Error(`truncated frame at byte ${at}`);
    frames.push(header);
    at += header.length;
  }
  return frames;
}
