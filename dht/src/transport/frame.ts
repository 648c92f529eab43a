/**
 * Wire framing of the TCP transport: `[u32 BE length][32-byte HMAC-SHA256][msgpack body]`, where
 * `length` counts the bytes after the prefix (HMAC + body) and the HMAC, keyed with the cluster key,
 * covers the body only.
 *
 * This module encodes frames and splits an incoming byte stream back into verified bodies. It does
 * not: decode msgpack into messages (see `codec.ts`), own sockets, or decide what to do about bad
 * input beyond reporting it (the connection in `tcp.ts` counts and closes).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Bytes of the big-endian length prefix. */
export const LENGTH_PREFIX_BYTES = 4;
/** Bytes of the HMAC-SHA256 tag that precedes every body. */
export const MAC_BYTES = 32;

/**
 * Largest frame (HMAC + body) accepted or sent. Chunks are up to 256 KiB and batched set
 * operations (index postings of many songs) can carry a few MiB; 4 MiB leaves headroom for both while
 * bounding what one connection can make us buffer before the HMAC is even checked.
 */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Normalises the cluster key option into bytes usable as an HMAC key. */
export function clusterKeyBytes(key: string | Uint8Array): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length === 0) throw new Error('clusterKey must not be empty');
  return bytes;
}

function mac(key: Buffer, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

/** Builds one frame around an already-encoded body. */
export function encodeFrame(key: Buffer, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + MAC_BYTES + body.length);
  out.writeUInt32BE(MAC_BYTES + body.length, 0);
  mac(key, body).copy(out, LENGTH_PREFIX_BYTES);
  out.set(body, LENGTH_PREFIX_BYTES + MAC_BYTES);
  return out;
}

/** What the decoder found in the stream. `oversized` is fatal for the stream: framing is lost. */
export type FrameEvent =
  | { kind: 'frame'; body: Buffer }
  | { kind: 'auth' }
  | { kind: 'short' }
  | { kind: 'oversized'; length: number };

/**
 * Incremental frame splitter. Chunks are kept in a list and concatenated once per complete frame,
 * so a 4 MiB frame arriving in 64 KiB pieces is copied once, not 64 times.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private dead = false;

  constructor(
    private readonly key: Buffer,
    private readonly maxFrameBytes: number = MAX_FRAME_BYTES,
  ) {}

  /** Feeds bytes and returns the events completed by them, in stream order. */
  push(chunk: Buffer): FrameEvent[] {
    if (this.dead) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const events: FrameEvent[] = [];
    for (;;) {
      if (this.buffered < LENGTH_PREFIX_BYTES) break;
      const head = this.peek(LENGTH_PREFIX_BYTES);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes) {
        // Framing cannot be trusted past this point: report once and ignore the rest of the stream.
        this.dead = true;
        this.chunks = [];
        this.buffered = 0;
        events.push({ kind: 'oversized', length });
        break;
      }
      if (this.buffered < LENGTH_PREFIX_BYTES + length) break;
      const frame = this.take(LENGTH_PREFIX_BYTES + length);
      if (length < MAC_BYTES) {
        events.push({ kind: 'short' });
        continue;
      }
      const tag = frame.subarray(LENGTH_PREFIX_BYTES, LENGTH_PREFIX_BYTES + MAC_BYTES);
      const body = frame.subarray(LENGTH_PREFIX_BYTES + MAC_BYTES);
      if (!timingSafeEqual(tag, mac(this.key, body))) {
        events.push({ kind: 'auth' });
        continue;
      }
      events.push({ kind: 'frame', body });
    }
    return events;
  }

  /** Bytes buffered but not yet part of a complete frame (for tests and diagnostics). */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
