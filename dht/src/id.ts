/**
 * 256-bit ids and XOR distance. Distances are compared byte by byte (never as JS Numbers,
 * which lose precision past 2^53 — the k-bucket npm bug).
 *
 * Does not: know about buckets or contacts (see node/routing.ts).
 */
import { hash, randomBytes } from 'node:crypto';
import { ID_BYTES, type Id } from './types.js';

/** SHA-256 digest of `bytes` (a string is hashed as UTF-8). */
export function sha256(bytes: Uint8Array | string): Id {
  // crypto.hash (Node ≥ 20.12): one call, no Hash object — ~1.7× faster than createHash for the
  // short names keyOf hashes (an import hashes ~20 per song).
  const d = hash('sha256', bytes, 'buffer');
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** DHT key of a named thing: sha256(namespace + '\0' + name). */
export function keyOf(namespace: string, name: string): Id {
  return sha256(`${namespace}\0${name}`);
}

export function toHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/** Parses lowercase or uppercase hex; throws on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  const b = Buffer.from(hex, 'hex');
  if (b.length * 2 !== hex.length) throw new Error(`invalid hex: ${hex.slice(0, 16)}`);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Parses the lowercase hex of a 32-byte id; undefined when it is anything else. */
export function parseHexId(s: unknown): Uint8Array | undefined {
  if (typeof s !== 'string' || s.length !== ID_BYTES * 2) return undefined;
  const b = Buffer.from(s, 'hex'); // stops at the first non-hex character
  if (b.length !== ID_BYTES || s !== s.toLowerCase()) return undefined;
  return new Uint8Array(b.buffer, b.byteOffset, ID_BYTES);
}

const HEX_ID = /^[0-9a-f]{64}$/;

/** True when `s` is the hex form of a 32-byte id. */
export function isHexId(s: unknown): s is string {
  return typeof s === 'string' && s.length === ID_BYTES * 2 && HEX_ID.test(s);
}

export function randomId(): Id {
  return new Uint8Array(randomBytes(ID_BYTES));
}

export function xorDistance(a: Id, b: Id): Uint8Array {
  const out = new Uint8Array(ID_BYTES);
  for (let i = 0; i < ID_BYTES; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** Negative when `a` is closer to `target` than `b`, positive when farther, 0 when equal. */
export function compareDistance(target: Id, a: Id, b: Id): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const da = (a[i] ?? 0) ^ (target[i] ?? 0);
    const db = (b[i] ?? 0) ^ (target[i] ?? 0);
    if (da !== db) return da - db;
  }
  return 0;
}

/** Length of the common bit prefix of a and b (256 when equal). Bucket index of b seen from a. */
export function sharedPrefixBits(a: Id, b: Id): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const x = (a[i] ?? 0) ^ (b[i] ?? 0);
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BYTES * 8;
}

/** A random id sharing exactly `bits` leading bits with `base` (for refreshing bucket `bits`). */
export function randomIdInBucket(base: Id, bits: number): Id {
  const id = randomId();
  if (bits >= ID_BYTES * 8) return new Uint8Array(base);
  for (let j = 0; j <= bits; j++) {
    const byte = j >> 3;
    const mask = 0x80 >> (j & 7);
    const baseBit = base[byte]! & mask;
    const want = j < bits ? baseBit : baseBit ^ mask; // bit `bits` is the first one that differs
    id[byte] = (id[byte]! & ~mask & 0xff) | want;
  }
  return id;
}

/** The first 6 bytes of the XOR distance as a number (exact: 48 bits), for fast pre-sorting. */
export function distancePrefix(target: Id, id: Id): number {
  let n = 0;
  for (let i = 0; i < 6; i++) n = n * 256 + (((target[i] ?? 0) ^ (id[i] ?? 0)) & 0xff);
  return n;
}

export function idEquals(a: Id, b: Id): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
