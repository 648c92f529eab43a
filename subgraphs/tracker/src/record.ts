/**
 * The song metadata record as stored in the tracker DHT (JSON bytes of a versioned record at
 * keyOf('song', id)) and the validation of client input. Does not write anything (service.ts).
 */
import { badInput } from './errors.js';
import { MAX_FIELD_LENGTH } from './limits.js';

export interface SongMetadata {
  id: string;
  title: string;
  artist: string;
  album: string;
  genre: string;
  year?: number | null;
  trackNumber?: number | null;
  duration?: number | null;
  coverArt?: string | null;
  coverArtMime?: string | null;
}

export interface SongRecord extends SongMetadata {
  /** ISO-8601 time of the first upload (kept across edits). */
  uploadedAt: string;
}

/** A record read back from the DHT, with its Lamport stamp. */
export interface VersionedSong {
  song: SongRecord;
  stamp: { c: number; w: string };
}

const HEX64 = /^[0-9a-f]{64}$/;
const MIME = /^image\/[a-z0-9.+-]{1,60}$/;
const TEXT_FIELDS = ['title', 'artist', 'album', 'genre'] as const;

/** Normalises (lowercases) and validates a song id: 64 hex chars, as the peer side computes it. */
export function validateId(id: unknown): string {
  if (typeof id !== 'string' || !HEX64.test(id.toLowerCase()))
    throw badInput('song id must be 64 hex characters (sha256)');
  return id.toLowerCase();
}

function text(name: string, v: unknown, required: boolean): string {
  if (typeof v !== 'string') throw badInput(`${name} must be a string`);
  if (v.length > MAX_FIELD_LENGTH) throw badInput(`${name} is longer than ${MAX_FIELD_LENGTH} characters`);
  if (required && v.trim().length === 0) throw badInput(`${name} must not be empty`);
  return v.trim();
}

function int(name: string, v: unknown, min: number, max: number): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw badInput(`${name} must be an integer in [${min}, ${max}]`);
  return v;
}

/** Validates a full metadata input (putSong, importSongs). */
export function validateMetadata(input: SongMetadata): SongMetadata {
  const out: SongMetadata = {
    id: validateId(input.id),
    title: text('title', input.title, true),
    artist: text('artist', input.artist, false),
    album: text('album', input.album, false),
    genre: text('genre', input.genre, false),
    year: int('year', input.year, 0, 9999),
    trackNumber: int('trackNumber', input.trackNumber, 0, 9999),
    duration: null,
    coverArt: null,
    coverArtMime: null,
  };
  if (input.duration !== undefined && input.duration !== null) {
    if (
      typeof input.duration !== 'number' ||
      !Number.isFinite(input.duration) ||
      input.duration < 0 ||
      input.duration > 1e6
    )
      throw badInput('duration must be a number of seconds in [0, 1e6]');
    out.duration = input.duration;
  }
  if (input.coverArt !== undefined && input.coverArt !== null) {
    if (typeof input.coverArt !== 'string' || !HEX64.test(input.coverArt.toLowerCase()))
      throw badInput('coverArt must be 64 hex characters');
    out.coverArt = input.coverArt.toLowerCase();
  }
  if (input.coverArtMime !== undefined && input.coverArtMime !== null) {
    if (typeof input.coverArtMime !== 'string' || !MIME.test(input.coverArtMime))
      throw badInput('coverArtMime must be an image/* MIME type');
    out.coverArtMime = input.coverArtMime;
  }
  return out;
}

export interface SongPatch {
  title?: string | null;
  artist?: string | null;
  album?: string | null;
  genre?: string | null;
  year?: number | null;
  trackNumber?: number | null;
}

/** Applies a validated patch: absent fields keep their value; null clears year/trackNumber. */
export function applyPatch(song: SongRecord, patch: SongPatch): SongRecord {
  const next: SongRecord = { ...song };
  for (const f of TEXT_FIELDS) {
    const v = patch[f];
    if (v === null) throw badInput(`${f} cannot be null`);
    if (v !== undefined) next[f] = text(f, v, f === 'title');
  }
  if (patch.year !== undefined) next.year = int('year', patch.year, 0, 9999);
  if (patch.trackNumber !== undefined) next.trackNumber = int('trackNumber', patch.trackNumber, 0, 9999);
  return next;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeSong(song: SongRecord): Uint8Array {
  return encoder.encode(JSON.stringify({ t: 'song', ...song }));
}
/** Tombstone payload: only the id, so holders can drop the song from their catalogue. */
export function encodeTombstone(id: string): Uint8Array {
  return encoder.encode(JSON.stringify({ t: 'song', id }));
}

/** Decodes record bytes; undefined when they are not a song record (other apps, garbage). */
export function decodeSong(bytes: Uint8Array): SongRecord | undefined {
  try {
    const o = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
    if (o.t !== 'song' || typeof o.id !== 'string' || !HEX64.test(o.id)) return undefined;
    if (typeof o.title !== 'string') return { id: o.id } as SongRecord; // tombstone payload
    const { t: _t, ...song } = o;
    return song as unknown as SongRecord;
  } catch {
    return undefined;
  }
}

/** Total order of Lamport stamps: counter, then writer id. */
export function compareStamps(a: { c: number; w: string }, b: { c: number; w: string }): number {
  return a.c !== b.c ? a.c - b.c : a.w < b.w ? -1 : a.w > b.w ? 1 : 0;
}
