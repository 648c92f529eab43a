/**
 * The API node against real subgraph nodes (3 peers, 3 trackers, in-process over TCP loopback):
 * upload an MP3 → find it by tag with FilterSongs → GetSongByID through federation → stream it
 * over graphql-ws and compare bytes → NOT_FOUND / BAD_USER_INPUT → cover art → inspect →
 * a non-audio upload stores nothing → a peer replica dies mid-stream and the stream completes.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { makeMemoryStore } from '@gotify/dht';
import { startPeerNode, type PeerNode } from '@gotify/peer';
import { startTrackerNode } from '@gotify/tracker';
import { makeTestMp3 } from '../../cli/src/demo/index.js';
import { startApiNode, type ApiNode } from './node.js';
import { publicOperations } from './operations.js';
import { makeSubgraphClient } from './subgraph-client.js';
import { songChunks } from './stream.js';

const CLUSTER_KEY = 'gateway-test-key';
const TOKEN = 'api-test-token';
const SEED = Math.floor(Math.random() * 1e9);
const TITLE = `Gateway Stream ${SEED}`;

type Stoppable = { stop(): Promise<void> };
let peers: PeerNode[] = [];
const trackers: (Stoppable & { url: string })[] = [];
let api: ApiNode;
let base: string;
let dataDir: string;
let mp3: Buffer;
let songId: string;

interface Chunk {
  index: number;
  total: number;
  offset: number;
  size: number;
  hash: string;
  mimeType: string;
  data: string;
  songSize: number;
  durationSeconds: number | null;
}

async function gql<T>(
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const res = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as never;
}

/** Stream a whole song over graphql-ws; `onChunk` may act mid-stream. */
async function stream(
  variables: { songId: string; fromIndex?: number },
  onChunk?: (c: Chunk) => Promise<void> | void,
): Promise<Chunk[]> {
  const client = createClient({ url: api.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const chunks: Chunk[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let pending = Promise.resolve();
      client.subscribe<{ songChunks: Chunk }>(
        { query: publicOperations.StreamSong, variables },
        {
          next: (r: ExecutionResult<{ songChunks: Chunk }>) => {
            if (r.errors?.length)
              return reject(Object.assign(new Error(r.errors[0]!.message), { errors: r.errors }));
            const c = r.data!.songChunks;
            chunks.push(c);
            pending = pending.then(() => onChunk?.(c));
          },
          error: (e) => reject(Object.assign(new Error('stream error'), { errors: e })),
          complete: () => void pending.then(() => resolve(), reject),
        },
      );
    });
  } finally {
    await client.dispose();
  }
  return chunks;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gotify-api-test-'));
  const song = (await makeTestMp3({
    seconds: 20,
    seed: SEED % 1000,
    title: TITLE,
    artist: 'Gateway Artist',
    album: 'Gateway Album',
    genre: 'Jazz',
  })) as unknown as Buffer | { bytes: Buffer };
  mp3 = Buffer.isBuffer(song) ? song : song.bytes;

  const first = await startPeerNode({ name: 'gw-peer-1', clusterKey: CLUSTER_KEY });
  peers = [first];
  for (let i = 2; i <= 3; i++)
    peers.push(
      await startPeerNode({ name: `gw-peer-${i}`, clusterKey: CLUSTER_KEY, bootstrap: [first.dhtAddress] }),
    );
  const t1 = await startTrackerNode({
    name: 'gw-tracker-1',
    clusterKey: CLUSTER_KEY,
    dataDir: join(dataDir, 't1'),
    store: makeMemoryStore(),
  });
  trackers.push(t1);
  for (let i = 2; i <= 3; i++) {
    trackers.push(
      await startTrackerNode({
        name: `gw-tracker-${i}`,
        clusterKey: CLUSTER_KEY,
        dataDir: join(dataDir, `t${i}`),
        store: makeMemoryStore(),
        bootstrap: [t1.dhtAddress],
      }),
    );
  }
  api = await startApiNode({
    name: 'gw-api',
    uploadToken: TOKEN,
    // Probes rarely: replica deaths in these tests must be found by the requests themselves.
    probeIntervalMs: 60_000,
    replicas: { peer: peers.map((p) => p.url), tracker: trackers.map((t) => t.url) },
  });
  base = api.url.replace(/\/graphql$/, '');
  for (const pool of api.pools.values()) await pool.probeAll();
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await Promise.allSettled([...peers, ...trackers].map((n) => n.stop()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('API node over real subgraphs', () => {
  it('inspects tags without storing', async () => {
    const res = await fetch(`${base}/upload/inspect?genre=Override`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-filename': 'x.mp3' },
      body: new Uint8Array(mp3),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      title: TITLE,
      artist: 'Gateway Artist',
      album: 'Gateway Album',
      genre: 'Override',
      mimeType: 'audio/mpeg',
      size: mp3.length,
    });
    expect(body.duration as number).toBeGreaterThan(19);
    expect(String(body.cover)).toMatch(/^data:image\/png;base64,/);
    const bad = await fetch(`${base}/upload/inspect?year=soon`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: new Uint8Array(mp3),
    });
    expect(bad.status).toBe(400);
  });

  it('uploads an MP3 with NDJSON progress and answers once durable', async () => {
    const res = await fetch(`${base}/upload?year=2001`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'x-filename': 'gateway.mp3',
        accept: 'application/x-ndjson',
        'content-type': 'audio/mpeg',
      },
      body: new Uint8Array(mp3),
    });
    expect(res.status).toBe(200);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            phase: string;
            song?: { id: string; title: string; year: number; coverArt: string };
          },
      );
    const phases = [...new Set(lines.map((l) => l.phase))];
    expect(phases).toEqual(['receiving', 'parsing', 'storing', 'publishing', 'indexing', 'done']);
    const song = lines.at(-1)!.song!;
    expect(song).toMatchObject({ title: TITLE, year: 2001 });
    expect(song.coverArt).toMatch(/^[0-9a-f]{64}$/);
    songId = song.id;
  }, 60_000);

  it('finds the song by tag with FilterSongs and reads it with GetSongByID', async () => {
    const found = await gql<{
      songs: { totalCount: number; edges: { node: { id: string; title: string } }[] };
      facets: { genres: { value: string }[] };
    }>(publicOperations.FilterSongs, { filter: { artist: 'Gateway Artist', genre: 'Jazz' } });
    expect(found.errors).toBeUndefined();
    expect(found.data!.songs.edges.map((e) => e.node.id)).toContain(songId);
    expect(found.data!.facets.genres.map((g) => g.value)).toContain('Jazz');
    const byId = await gql<{
      song: { title: string; audio: { size: number; mimeType: string; chunkCount: number } };
    }>(publicOperations.GetSongByID, { id: songId });
    expect(byId.errors).toBeUndefined();
    expect(byId.data!.song).toMatchObject({
      title: TITLE,
      audio: { size: mp3.length, mimeType: 'audio/mpeg' },
    });
  });

  it('serves the cover art with a long cache', async () => {
    const byId = await gql<{ song: { coverArt: string } }>(publicOperations.GetSongByID, { id: songId });
    const res = await fetch(`${base}/cover/${byId.data!.song.coverArt}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(byId.data!.song.coverArt);
  });

  it('streams the song over graphql-ws with identical bytes', async () => {
    const chunks = await stream({ songId });
    expect(chunks.map((c) => c.index)).toEqual([...Array(chunks[0]!.total).keys()]);
    const bytes = Buffer.concat(chunks.map((c) => Buffer.from(c.data, 'base64')));
    expect(sha256(bytes)).toBe(sha256(mp3));
    expect(chunks[0]).toMatchObject({ offset: 0, mimeType: 'audio/mpeg', songSize: mp3.length });
    expect(chunks[chunks.length - 1]!.durationSeconds).toBeGreaterThan(19);
    // Resume from the last chunk.
    const tail = await stream({ songId, fromIndex: chunks.length - 1 });
    expect(tail.map((c) => c.hash)).toEqual([chunks.at(-1)!.hash]);
  }, 30_000);

  it('NOT_FOUND for an unknown song, BAD_USER_INPUT past the end', async () => {
    const unknown = await stream({ songId: 'ab'.repeat(32) }).catch((e: { errors: unknown }) => e.errors);
    expect(JSON.stringify(unknown)).toContain('NOT_FOUND');
    const past = await stream({ songId, fromIndex: 10_000 }).catch((e: { errors: unknown }) => e.errors);
    expect(JSON.stringify(past)).toContain('BAD_USER_INPUT');
    const negative = await stream({ songId, fromIndex: -1 }).catch((e: { errors: unknown }) => e.errors);
    expect(JSON.stringify(negative)).toContain('BAD_USER_INPUT');
  });

  it('stores nothing for a non-audio upload', async () => {
    const before = await gql<{ songs: { totalCount: number } }>('{ songs { totalCount } }');
    const res = await fetch(`${base}/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: Buffer.from('GIF89a definitely not a song '.repeat(40)),
    });
    expect(res.status).toBe(415);
    const after = await gql<{ songs: { totalCount: number } }>('{ songs { totalCount } }');
    expect(after.data!.songs.totalCount).toBe(before.data!.songs.totalCount);
  });

  it('a peer replica killed mid-stream does not interrupt the graphql-ws stream', async () => {
    let killed = false;
    const chunks = await stream({ songId }, async (c) => {
      if (c.index === 0 && !killed && peers.length > 1) {
        killed = true;
        const victim = peers[0]!;
        peers = peers.slice(1);
        await victim.stop();
      }
    });
    expect(killed).toBe(true);
    expect(sha256(Buffer.concat(chunks.map((c) => Buffer.from(c.data, 'base64'))))).toBe(sha256(mp3));
  }, 60_000);
  it('a chunk fetch whose replica died goes to another replica (in-process, one chunk at a time)', async () => {
    const pool = api.pools.get('peer')!;
    const client = makeSubgraphClient(pool);
    const tracker = makeSubgraphClient(api.pools.get('tracker')!);
    const gen = songChunks({ peer: client, tracker, prefetch: 0 }, songId, 0);
    const parts: Buffer[] = [];
    const first = await gen.next();
    parts.push(Buffer.from((first.value as Chunk).data, 'base64'));
    // The next request will try order[1] first: stop exactly that replica.
    const order = pool.candidates();
    const victim = peers.find((p) => p.url === order[1])!;
    await victim.stop();
    peers = peers.filter((p) => p !== victim);
    for await (const c of gen) parts.push(Buffer.from(c.data, 'base64'));
    expect(sha256(Buffer.concat(parts))).toBe(sha256(mp3));
    expect(pool.snapshot().find((r) => r.url === victim.url)?.health).toBe('down');
  }, 60_000);
});
