/**
 * Browser side of uploads: POST /upload/inspect (tags read from the file, nothing stored) and
 * POST /upload with XMLHttpRequest, so the byte upload has real progress events, while the
 * server's NDJSON phases (parsing → storing → publishing → indexing → done) stream back.
 * Tries the next API node on a network error (the song id is content-addressed, so a retry
 * cannot duplicate it). Does not render anything (components/UploadPanel.tsx does).
 */
import type { EndpointRotation } from '../player/endpoints';
import { MAX_UPLOAD_BYTES } from '../player/constants';
import { makeNdjsonReader, type UploadProgress } from './ndjson';

/** Tags /upload/inspect read from the file. */
export interface InspectedTags {
  title?: string | null;
  artist?: string | null;
  album?: string | null;
  genre?: string | null;
  year?: number | null;
  track?: number | null;
  /** The API node's spelling of track. */
  trackNumber?: number | null;
  duration?: number | null;
  bitrate?: number | null;
  codec?: string | null;
  coverArt?: string | null;
  /** The API node's spelling of coverArt (a data: URL). */
  cover?: string | null;
  mimeType?: string | null;
}

/** The editable fields sent as query parameters. */
export interface TagEdits {
  title: string;
  artist: string;
  album: string;
  genre: string;
  year: string;
  track: string;
}

export class UploadError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const AUDIO_EXT = /\.(mp3|m4a|mp4|aac|flac|ogg|oga|opus|wav|wave|aif|aiff|wma|webm)$/i;

/** A message when the file obviously cannot be uploaded, before sending a byte. */
export function precheck(file: File): UploadError | null {
  if (file.size > MAX_UPLOAD_BYTES)
    return new UploadError(
      `Too large: ${(file.size / 2 ** 20).toFixed(0)} MB; the limit is 200 MB.`,
      'TOO_LARGE',
      413,
    );
  if (file.size === 0) return new UploadError('This file is empty.', 'EMPTY', 400);
  if (
    file.type &&
    !file.type.startsWith('audio/') &&
    file.type !== 'video/mp4' &&
    file.type !== 'video/webm' &&
    !AUDIO_EXT.test(file.name)
  )
    return new UploadError(
      `Not an audio file (${file.type}). Gotify takes MP3, FLAC, Ogg, M4A, WAV…`,
      'UNSUPPORTED_MEDIA_TYPE',
      415,
    );
  return null;
}

/** Human message for a failed upload/inspect response. */
export function explain(
  status: number,
  body: { error?: { code?: string; message?: string } } | null,
): UploadError {
  const code = body?.error?.code ?? `HTTP_${status}`;
  const detail = body?.error?.message ?? '';
  if (code === 'PAYLOAD_TOO_LARGE') status = 413;
  if (code === 'UNSUPPORTED_MEDIA_TYPE') status = 415;
  if (code === 'UNAUTHENTICATED' || code === 'UNAUTHORIZED') status = 401;
  switch (status) {
    case 413:
      return new UploadError('Too large: the limit is 200 MB per file.', code, status);
    case 415:
      return new UploadError(
        `Not an audio file Gotify can read${detail ? ` (${detail})` : ''}.`,
        code,
        status,
      );
    case 401:
      return new UploadError(`Not allowed to upload${detail ? `: ${detail}` : ''}.`, code, status);
    default:
      return new UploadError(detail || `Upload failed (HTTP ${status}).`, code, status);
  }
}

export async function inspectFile(rotation: EndpointRotation, file: File): Promise<InspectedTags> {
  const bad = precheck(file);
  if (bad) throw bad;
  let lastErr: unknown = new Error('No API node is known');
  for (const ep of rotation.order()) {
    try {
      const res = await fetch(`${ep.http}/upload/inspect`, {
        method: 'POST',
        body: file,
        headers: {
          'x-filename': encodeURIComponent(file.name),
          'content-type': file.type || 'application/octet-stream',
        },
      });
      const body = (await res.json().catch(() => null)) as
        (InspectedTags & { error?: { code?: string; message?: string } }) | null;
      if (!res.ok) throw explain(res.status, body);
      return body ?? {};
    } catch (e) {
      if (e instanceof UploadError) throw e;
      rotation.fail(ep);
      lastErr = e;
    }
  }
  throw lastErr;
}

export interface UploadCallbacks {
  /** Bytes sent so far of the request body. */
  onBytes(sent: number, total: number): void;
  /** Each server progress line. */
  onPhase(p: UploadProgress): void;
}

export interface UploadHandle {
  promise: Promise<UploadProgress['song']>;
  abort(): void;
}

function query(edits: TagEdits): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(edits)) if (v.trim()) p.set(k, v.trim());
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function uploadFile(
  rotation: EndpointRotation,
  file: File,
  edits: TagEdits,
  cb: UploadCallbacks,
): UploadHandle {
  let xhr: XMLHttpRequest | null = null;
  let aborted = false;
  const attempt = (url: string) =>
    new Promise<UploadProgress['song']>((resolve, reject) => {
      const x = (xhr = new XMLHttpRequest());
      let song: UploadProgress['song'];
      let failure: UploadError | null = null;
      const read = makeNdjsonReader<UploadProgress>((p) => {
        cb.onPhase(p);
        if (p.song) song = p.song;
        if (p.phase === 'error') failure = explain(500, { error: p.error });
      });
      x.open('POST', url);
      x.setRequestHeader('x-filename', encodeURIComponent(file.name));
      x.setRequestHeader('accept', 'application/x-ndjson');
      x.setRequestHeader('content-type', file.type || 'application/octet-stream');
      x.upload.onprogress = (e) => cb.onBytes(e.loaded, e.lengthComputable ? e.total : file.size);
      x.onprogress = () => read(x.responseText);
      x.onload = () => {
        read(x.responseText + '\n');
        if (x.status >= 400) {
          let body = null;
          try {
            body = JSON.parse(x.responseText.trim().split('\n').pop() ?? 'null');
          } catch {
            /* not JSON */
          }
          return reject(failure ?? explain(x.status, body));
        }
        if (failure) return reject(failure);
        if (!song) {
          try {
            song = (JSON.parse(x.responseText) as { song?: UploadProgress['song'] }).song;
          } catch {
            /* NDJSON: the song came in a progress line */
          }
        }
        resolve(song);
      };
      x.onerror = () => reject(new TypeError('network error'));
      x.onabort = () => reject(new UploadError('Cancelled', 'ABORTED', 0));
      x.send(file);
    });

  const promise = (async () => {
    const bad = precheck(file);
    if (bad) throw bad;
    let lastErr: unknown = new Error('No API node is known');
    for (const ep of rotation.order()) {
      if (aborted) break;
      try {
        return await attempt(`${ep.http}/upload${query(edits)}`);
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
        rotation.fail(ep);
        lastErr = e;
      }
    }
    throw lastErr;
  })();
  return {
    promise,
    abort() {
      aborted = true;
      xhr?.abort();
    },
  };
}
