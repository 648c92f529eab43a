/**
 * POST /upload and POST /upload/inspect: the raw file bytes as the body (any Content-Type,
 * optional `x-filename` header), tag overrides as query parameters (title, artist, album, genre,
 * year, track).
 *
 * Checks before the body is read answer with their own HTTP status even in progress mode:
 * 401 UNAUTHENTICATED (token configured, `Authorization: Bearer <token>` missing or wrong),
 * 413 PAYLOAD_TOO_LARGE (Content-Length over the cap), 400 BAD_USER_INPUT (bad override).
 * Then, with `Accept: application/x-ndjson`, the answer is 200 and one JSON line per progress
 * step ({phase: receiving|parsing|storing|publishing|indexing|done|error, done?, total?, song?,
 * error?}); otherwise a single JSON document: 201 {song} (inspect: 200 {...tags}) or
 * {error: {code, message}} with 400/401/413/415/502.
 *
 * What this module does not do: read tags (tags.ts) or store anything (ingest.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ingest, type IngestDeps, type StoredSong } from './ingest.js';
import { MAX_UPLOAD_BYTES } from './policy.js';
import { inspectAudio, OVERRIDE_FIELDS, type InspectedAudio, type Overrides } from './tags.js';
import { UploadError } from './upload-errors.js';

/** Emit a 'receiving' progress line at most once per this many bytes. */
export const RECEIVE_PROGRESS_STEP_BYTES = 1024 * 1024;

export type UploadPhase = 'receiving' | 'parsing' | 'storing' | 'publishing' | 'indexing' | 'done' | 'error';

/** One NDJSON progress line. */
export interface UploadProgressLine {
  phase: UploadPhase;
  done?: number;
  total?: number;
  song?: StoredSong;
  error?: { code: string; message: string };
}

export interface UploadDeps extends IngestDeps {
  /** Largest accepted body. @default MAX_UPLOAD_BYTES (200 MB) */
  maxUploadBytes?: number;
  /** Bearer token required for uploads. @default undefined (no token needed) */
  uploadToken?: string;
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** Called with the outcome of every upload (metrics). */
  onResult?: (result: 'stored' | 'inspected' | UploadError['code']) => void;
}

function tokenOk(expected: string | undefined, header: string | undefined): boolean {
  if (!expected) return true;
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(res: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

/** Read the body up to `max` bytes; UploadError PAYLOAD_TOO_LARGE as soon as it exceeds it. */
function readBody(req: IncomingMessage, max: number, onBytes: (n: number) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.pause();
        reject(new UploadError('PAYLOAD_TOO_LARGE', `The file is larger than the ${max}-byte upload limit.`));
        return;
      }
      parts.push(chunk);
      onBytes(size);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(parts, size)));
    req.once('error', reject);
    req.once('aborted', () =>
      reject(new UploadError('BAD_USER_INPUT', 'The upload was aborted by the client.')),
    );
  });
}

function overridesOf(url: URL): Overrides {
  const o: Overrides = {};
  for (const f of OVERRIDE_FIELDS) {
    const v = url.searchParams.get(f);
    if (v !== null) o[f] = v;
  }
  return o;
}

function filenameOf(req: IncomingMessage): string | undefined {
  const raw = req.headers['x-filename'];
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The inspect answer: tags as read (overrides applied), cover as a data URL. */
export function inspectionJson(a: InspectedAudio, filename: string | undefined): Record<string, unknown> {
  return {
    filename: filename ?? null,
    ...a.tags,
    duration: a.duration,
    bitrate: a.bitrate,
    codec: a.codec,
    container: a.container,
    mimeType: a.mimeType,
    size: a.size,
    cover: a.cover ? `data:${a.cover.mime};base64,${Buffer.from(a.cover.data).toString('base64')}` : null,
  };
}

/** Handle POST /upload (`mode: 'store'`) or POST /upload/inspect (`mode: 'inspect'`). */
export async function handleUpload(
  req: IncomingMessage,
  res: ServerResponse,
  deps: UploadDeps,
  mode: 'store' | 'inspect',
): Promise<void> {
  const max = deps.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  const url = new URL(req.url ?? '/', 'http://api.local');
  const progress = /application\/x-ndjson/i.test(req.headers.accept ?? '');
  const fail = (err: UploadError, close = false): void => {
    deps.onResult?.(err.code);
    sendJson(res, err.status, { error: err.toJSON() }, close);
    if (close) req.resume();
  };

  if (!tokenOk(deps.uploadToken, req.headers.authorization)) {
    return fail(
      new UploadError('UNAUTHENTICATED', 'Uploads need `Authorization: Bearer <upload token>`.'),
      true,
    );
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    return fail(
      new UploadError(
        'PAYLOAD_TOO_LARGE',
        `The file (${declared} bytes) is larger than the ${max}-byte upload limit.`,
      ),
      true,
    );
  }
  const overrides = overridesOf(url);
  const filename = filenameOf(req);
  const total = Number.isFinite(declared) ? declared : undefined;

  const line = (l: UploadProgressLine): void => {
    if (progress && !res.writableEnded) res.write(JSON.stringify(l) + '\n');
  };
  if (progress) {
    res.writeHead(200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    line({ phase: 'receiving', done: 0, total });
  }
  let lastReported = 0;
  try {
    const body = await readBody(req, max, (n) => {
      if (n - lastReported >= RECEIVE_PROGRESS_STEP_BYTES) {
        lastReported = n;
        line({ phase: 'receiving', done: n, total });
      }
    });
    if (body.length === 0)
      throw new UploadError(
        'BAD_USER_INPUT',
        'The body is empty: send the audio file bytes as the request body.',
      );
    line({ phase: 'receiving', done: body.length, total: body.length });
    line({ phase: 'parsing' });
    const audio = await inspectAudio(body, { filename, contentType: req.headers['content-type'], overrides });
    if (mode === 'inspect') {
      deps.onResult?.('inspected');
      const answer = inspectionJson(audio, filename);
      if (progress) {
        line({ phase: 'done', ...({ inspection: answer } as object) });
        res.end();
      } else sendJson(res, 200, answer);
      return;
    }
    const song = await ingest(deps, audio, body, (p) => line(p));
    deps.logger?.info({ songId: song.id, title: song.title, bytes: body.length }, 'song stored');
    deps.onResult?.('stored');
    if (progress) {
      line({ phase: 'done', song });
      res.end();
    } else sendJson(res, 201, { song });
  } catch (e) {
    const err = e instanceof UploadError ? e : new UploadError('UPSTREAM_FAILED', (e as Error).message);
    deps.logger?.warn({ code: err.code, err: err.message }, 'upload failed');
    if (progress) {
      deps.onResult?.(err.code);
      line({ phase: 'error', error: err.toJSON() });
      res.end();
      if (err.code === 'PAYLOAD_TOO_LARGE') req.destroy();
    } else {
      fail(err, err.code === 'PAYLOAD_TOO_LARGE');
      if (err.code === 'PAYLOAD_TOO_LARGE') setTimeout(() => req.destroy(), 100).unref();
    }
  }
}
