/**
 * A small client of the API node's upload endpoint (POST /upload), used by `npm start` to load the
 * demo library and by the tests. Does not chunk or store anything itself: the API node does.
 */

export interface UploadedSong {
  id: string;
  title: string;
  artist: string;
  album: string;
  genre: string;
  [field: string]: unknown;
}

export class UploadError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export interface UploadOptions {
  /** File name sent as `x-filename` (the title falls back to it). */
  filename?: string;
  /** Tag overrides (title, artist, album, genre, year, track). */
  overrides?: Record<string, string | number>;
  /** Bearer token when the API node requires one. */
  token?: string;
  /** Give up after this long. @default 120_000 */
  timeoutMs?: number;
}

/** Uploads one file and resolves with the stored song once it is durable. */
export async function uploadSong(
  apiBase: string,
  bytes: Uint8Array,
  opts: UploadOptions = {},
): Promise<UploadedSong> {
  const url = new URL('/upload', apiBase);
  for (const [k, v] of Object.entries(opts.overrides ?? {})) url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (opts.filename) headers['x-filename'] = encodeURIComponent(opts.filename);
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(url, {
    method: 'POST',
    body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as BodyInit,
    headers,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
  });
  const body = (await res.json().catch(() => ({}))) as {
    song?: UploadedSong;
    error?: { code: string; message: string };
  };
  if (!res.ok || !body.song) {
    throw new UploadError(
      res.status,
      body.error?.code ?? 'UPLOAD_FAILED',
      body.error?.message ?? `HTTP ${res.status}`,
    );
  }
  return body.song;
}
