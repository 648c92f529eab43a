/**
 * Reading an uploaded file's audio format and tags with music-metadata, and turning them plus
 * the user's overrides into the song's metadata: overrides win, then the file's tags, then
 * fallbacks (title from the file name, 'Unknown Artist' / 'Unknown Album' / 'Unknown Genre').
 * A file that is not audio with a duration is rejected (UploadError UNSUPPORTED_MEDIA_TYPE).
 *
 * What this module does not do: HTTP (upload.ts) or storage (ingest.ts).
 */
import { parseBuffer, type IAudioMetadata } from 'music-metadata';
import { UploadError } from './upload-errors.js';

/** Fallbacks for tags a file lacks, so every song is listable and filterable. */
export const UNKNOWN = {
  title: 'Untitled',
  artist: 'Unknown Artist',
  album: 'Unknown Album',
  genre: 'Unknown Genre',
} as const;

/** MIME type per music-metadata container name; what browsers' MediaSource/<audio> expect. */
export const CONTAINER_MIME: Readonly<Record<string, string>> = {
  MPEG: 'audio/mpeg',
  FLAC: 'audio/flac',
  Ogg: 'audio/ogg',
  'MPEG-4': 'audio/mp4',
  M4A: 'audio/mp4',
  'M4A/mp42': 'audio/mp4',
  'M4A/isom': 'audio/mp4',
  WAVE: 'audio/wav',
  AIFF: 'audio/aiff',
  'AIFF-C': 'audio/aiff',
  ADTS: 'audio/aac',
  WebM: 'audio/webm',
  Matroska: 'audio/x-matroska',
  ASF: 'audio/x-ms-wma',
  APE: 'audio/ape',
  WavPack: 'audio/wavpack',
  DSF: 'audio/x-dsf',
  MPC: 'audio/x-musepack',
};

/** Metadata of a song before it is stored. */
export interface SongTags {
  title: string;
  artist: string;
  album: string;
  genre: string;
  year: number | null;
  trackNumber: number | null;
}

/** Everything read from one file. */
export interface InspectedAudio {
  tags: SongTags;
  /** Seconds. */
  duration: number;
  bitrate: number | null;
  codec: string | null;
  container: string;
  mimeType: string;
  size: number;
  cover: { mime: string; data: Uint8Array } | null;
}

/** Overrides accepted as query parameters of /upload. */
export const OVERRIDE_FIELDS = ['title', 'artist', 'album', 'genre', 'year', 'track'] as const;
export type Overrides = Partial<Record<(typeof OVERRIDE_FIELDS)[number], string>>;

function clean(s: string | undefined | null): string | undefined {
  const t = s?.replace(/\s+/g, ' ').trim();
  return t ? t : undefined;
}

function intOverride(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UploadError(
      'BAD_USER_INPUT',
      `Override ${name}=${JSON.stringify(value)} must be an integer in [${min}, ${max}].`,
    );
  }
  return n;
}

/** Title from a file name: no directories, no extension, underscores as spaces. */
export function titleFromFilename(filename: string | undefined): string | undefined {
  if (!filename) return undefined;
  const base = filename.split(/[\\/]/).pop() ?? '';
  return clean(base.replace(/\.[A-Za-z0-9]{1,5}$/, '').replace(/_/g, ' '));
}

async function parse(bytes: Uint8Array, hint: string | undefined): Promise<IAudioMetadata> {
  try {
    return await parseBuffer(bytes, { size: bytes.length }, { duration: true });
  } catch (first) {
    // Some bare streams (e.g. MP3 without ID3) need a hint; only audio/* hints are tried.
    if (hint?.startsWith('audio/'))
      return parseBuffer(bytes, { size: bytes.length, mimeType: hint }, { duration: true });
    throw first;
  }
}

/** Read format and tags; throws UploadError UNSUPPORTED_MEDIA_TYPE when it is not playable audio. */
export async function inspectAudio(
  bytes: Uint8Array,
  opts: { filename?: string; contentType?: string; overrides?: Overrides } = {},
): Promise<InspectedAudio> {
  let meta: IAudioMetadata;
  try {
    meta = await parse(bytes, opts.contentType?.split(';')[0]?.trim().toLowerCase());
  } catch (err) {
    throw new UploadError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Not an audio file we can read (${(err as Error).message}). Upload MP3, FLAC, Ogg, M4A or WAV.`,
    );
  }
  const { format, common } = meta;
  const container = format.container ?? '';
  const duration = format.duration;
  if (!format.codec && !container)
    throw new UploadError('UNSUPPORTED_MEDIA_TYPE', 'Not an audio file: no audio format found.');
  if (!duration || !Number.isFinite(duration) || duration <= 0 || format.numberOfChannels === 0) {
    throw new UploadError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Not playable audio: the ${container || 'file'} has no audio duration.`,
    );
  }
  if (meta.format.hasVideo && !meta.format.hasAudio)
    throw new UploadError('UNSUPPORTED_MEDIA_TYPE', 'Video without audio is not a song.');
  const o = opts.overrides ?? {};
  const year =
    intOverride('year', o.year, 0, 9999) ??
    (common.year && Number.isInteger(common.year) ? common.year : null);
  const trackNumber = intOverride('track', o.track, 0, 9999) ?? common.track?.no ?? null;
  const picture = common.picture?.[0];
  return {
    tags: {
      title: clean(o.title) ?? clean(common.title) ?? titleFromFilename(opts.filename) ?? UNKNOWN.title,
      artist: clean(o.artist) ?? clean(common.artist) ?? clean(common.albumartist) ?? UNKNOWN.artist,
      album: clean(o.album) ?? clean(common.album) ?? UNKNOWN.album,
      genre: clean(o.genre) ?? clean(common.genre?.[0]) ?? UNKNOWN.genre,
      year,
      trackNumber,
    },
    duration,
    bitrate: format.bitrate ? Math.round(format.bitrate) : null,
    codec: format.codec ?? null,
    container,
    mimeType:
      CONTAINER_MIME[container] ??
      (opts.contentType?.startsWith('audio/')
        ? opts.contentType.split(';')[0]!.trim()
        : 'application/octet-stream'),
    size: bytes.length,
    cover: picture
      ? {
          mime: picture.format.includes('/') ? picture.format : `image/${picture.format}`,
          data: picture.data,
        }
      : null,
  };
}
