/**
 * GET /cover/{hash}: cover art bytes from the peer network (`blob(hash)`), verified against the
 * hash, with the image type sniffed from its magic bytes and immutable cache headers (the url is
 * content-addressed). ETag is the hash, so revalidations answer 304 without touching the peers.
 *
 * What this module does not do: store covers (ingest.ts).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { peerOperations } from './operations.js';
import { COVER_CACHE_CONTROL, COVER_PREFIX } from './policy.js';
import { IntegrityError, SubgraphError, type SubgraphClient } from './subgraph-client.js';

/** Image types by leading bytes. */
const MAGIC: { type: string; bytes: number[]; at?: number }[] = [
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { type: 'image/gif', bytes: [0x47, 0x49, 0x46, 0x38] },
  { type: 'image/webp', bytes: [0x57, 0x45, 0x42, 0x50], at: 8 },
  { type: 'image/bmp', bytes: [0x42, 0x4d] },
];

/** Content type of an image from its first bytes; octet-stream when unknown. */
export function sniffImageType(bytes: Uint8Array): string {
  for (const m of MAGIC) {
    const at = m.at ?? 0;
    if (m.bytes.every((b, i) => bytes[at + i] === b)) return m.type;
  }
  return 'application/octet-stream';
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/** Handle GET/HEAD /cover/{hash}. */
export async function handleCover(
  req: IncomingMessage,
  res: ServerResponse,
  peer: SubgraphClient,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    res.end();
    return;
  }
  const hash = (req.url ?? '').split('?')[0]!.slice(COVER_PREFIX.length).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hash)) return plain(res, 400, 'cover hash must be 64 hex characters');
  if (req.headers['if-none-match'] === `"${hash}"`) {
    res.writeHead(304, { etag: `"${hash}"`, 'cache-control': COVER_CACHE_CONTROL });
    res.end();
    return;
  }
  let bytes: Buffer;
  try {
    const data = await peer.request<{ blob: { data: string } }>(
      peerOperations.CoverBlob,
      { hash },
      {
        validate: (d) => {
          const got = createHash('sha256')
            .update(Buffer.from((d as { blob: { data: string } }).blob.data, 'base64'))
            .digest('hex');
          if (got !== hash) throw new IntegrityError(`blob hash ${got} != ${hash}`);
        },
      },
    );
    bytes = Buffer.from(data.blob.data, 'base64');
  } catch (err) {
    if (err instanceof SubgraphError && err.code === 'NOT_FOUND') return plain(res, 404, 'no such cover');
    return plain(res, 502, `cover unavailable: ${(err as Error).message}`);
  }
  res.writeHead(200, {
    'content-type': sniffImageType(bytes),
    'content-length': String(bytes.length),
    'cache-control': COVER_CACHE_CONTROL,
    etag: `"${hash}"`,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
