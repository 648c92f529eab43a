/**
 * Issue 4, end to end over real processes: 1 DNS, 2 API, 3 Peer and 3 Tracker nodes started exactly
 * as `npm start` starts them. Upload → find by tag and text → stream and compare bytes; failover of
 * peers mid-stream, of a tracker and of an API node; restart keeps every song; bad input.
 */
import http from 'node:http';
import { jest } from '@jest/globals';
import { makeTestMp3 } from '../cli/src/demo/index.js';
import { uploadSong } from '../cli/src/cluster/upload-client.js';
import { makeTestCluster, dumpLogs, type TestCluster } from './lib/cluster.js';
import { gql, sha256, streamSong, subscribeOnce } from './lib/graphql.js';

// Process start-up dominates; each step is bounded anyway by the node timeouts it uses.
jest.setTimeout(180_000);

const FILTER = /* GraphQL */ `
  query FilterSongs($filter: SongFilter, $search: String) {
    songs(filter: $filter, search: $search, first: 20) {
      totalCount
      edges {
        node {
          id
          title
          artist
          album
          genre
          audio {
            chunkCount
            replicas {
              min
            }
          }
        }
      }
    }
  }
`;

const wsOf = (base: string) => base.replace(/^http/, 'ws') + '/stream';

describe('a running cluster (real processes)', () => {
  let cluster: TestCluster;
  let mp3: Buffer;
  let songId: string;

  beforeAll(async () => {
    cluster = makeTestCluster({ portOffset: 10, counts: { dns: 1, api: 2, peer: 3, tracker: 3 } });
    mp3 = (
      await makeTestMp3({
        seconds: 45,
        seed: 7,
        title: 'Midnight Lighthouse Serenade',
        artist: 'The Harbour Lights',
        album: 'Coastal Nights',
        genre: 'Ambient',
      })
    ).bytes;
    try {
      await cluster.startAll();
    } catch (err) {
      console.error(dumpLogs(cluster));
      throw err;
    }
  }, 240_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  test('upload an MP3: the answer comes once it is durable, with the tags read from the file', async () => {
    const [api1] = cluster.apis();
    const song = await uploadSong(api1!, mp3, { filename: 'serenade.mp3' });
    expect(song.title).toBe('Midnight Lighthouse Serenade');
    expect(song.artist).toBe('The Harbour Lights');
    expect(song.id).toMatch(/^[0-9a-f]{64}$/);
    songId = song.id;
    // Same bytes again: the same song, not a duplicate.
    const again = await uploadSong(api1!, mp3, { filename: 'serenade-copy.mp3' });
    expect(again.id).toBe(songId);
  });

  test('find it by tag and by text with a typo, through the other API node', async () => {
    const [, api2] = cluster.apis();
    const byTag = await gql<{ songs: { totalCount: number; edges: { node: { id: string } }[] } }>(
      api2!,
      FILTER,
      {
        filter: { artist: 'the harbour lights', genre: 'Ambient' },
      },
    );
    expect(byTag.errors).toBeUndefined();
    expect(byTag.data!.songs.edges.map((e) => e.node.id)).toContain(songId);
    const byText = await gql<{
      songs: { edges: { node: { id: string; audio: { replicas: { min: number } } } }[] };
    }>(api2!, FILTER, { search: 'midnigt lighthou' });
    expect(byText.errors).toBeUndefined();
    const hit = byText.data!.songs.edges.find((e) => e.node.id === songId);
    expect(hit).toBeDefined();
    expect(hit!.node.audio.replicas.min).toBeGreaterThanOrEqual(2);
  });

  test('stream it through graphql-ws: the bytes are the file', async () => {
    const { bytes, chunks } = await streamSong(wsOf(cluster.apis()[0]!), songId);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    expect(chunks[0]!.mimeType).toBe('audio/mpeg');
    expect(sha256(bytes)).toBe(sha256(mp3));
    const tail = await streamSong(wsOf(cluster.apis()[1]!), songId, { fromIndex: chunks.length - 1 });
    expect(tail.chunks.map((c) => c.index)).toEqual([chunks.length - 1]);
  });

  test('killing peers mid-stream: the stream still completes with identical bytes', async () => {
    const peers = cluster.byRole('peer');
    let killed = 0;
    const { bytes } = await streamSong(wsOf(cluster.apis()[0]!), songId, {
      onChunk: async (c) => {
        // Kill two of the three peers while the stream runs: whichever served it dies at some point.
        if (c.index === 0 || c.index === 2) {
          const victim = peers[killed++]!;
          await cluster.sup.stop(victim.name, { hard: true });
        }
      },
    });
    expect(killed).toBe(2);
    expect(sha256(bytes)).toBe(sha256(mp3));
    // Bring them back for the next tests.
    await Promise.all(peers.slice(0, 2).map((p) => cluster.sup.start(p)));
  });

  test('kill one tracker and one API node: queries still work through the rest', async () => {
    const [api1, api2] = cluster.byRole('api');
    const tracker = cluster.byRole('tracker')[0]!;
    await cluster.sup.stop(tracker.name, { hard: true });
    await cluster.sup.stop(api1!.name, { hard: true });
    for (let i = 0; i < 5; i++) {
      const r = await gql<{ songs: { edges: { node: { id: string } }[] } }>(api2!.healthUrl, FILTER, {
        search: 'serenade',
      });
      if (r.errors) throw new Error(JSON.stringify(r.errors) + '\n' + dumpLogs(cluster, 60));
      expect(r.data!.songs.edges.map((e) => e.node.id)).toContain(songId);
    }
    await cluster.sup.start(tracker);
    await cluster.sup.start(api1!);
  });

  test('bad input gets a clear error and stores nothing', async () => {
    const [api] = cluster.apis();
    // Not audio.
    await expect(
      uploadSong(api!, Buffer.from('this is a text file, not a song\n'.repeat(100))),
    ).rejects.toMatchObject({
      status: 415,
    });
    // Over the size cap, refused from Content-Length before any byte is stored.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(new URL('/upload', api), {
        method: 'POST',
        headers: { 'content-length': String(300 * 1024 * 1024), 'content-type': 'audio/mpeg' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1024));
    });
    expect(status).toBe(413);
    // Unknown song id.
    const unknown = 'f'.repeat(64);
    const r = await gql(api!, 'query { song(id: "' + unknown + '") { id title } }');
    expect(r.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await expect(streamSong(wsOf(api!), unknown)).rejects.toThrow();
    // fromIndex past the end.
    await expect(streamSong(wsOf(api!), songId, { fromIndex: 10_000 })).rejects.toMatchObject({
      errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })],
    });
    // A malformed subscription: a field that does not exist, and a missing argument.
    await expect(subscribeOnce(wsOf(api!), 'subscription { noSuchField }')).rejects.toMatchObject({
      errors: [expect.objectContaining({ message: expect.stringMatching(/noSuchField/) })],
    });
    await expect(subscribeOnce(wsOf(api!), 'subscription { songChunks { index } }')).rejects.toMatchObject({
      errors: [expect.objectContaining({ message: expect.stringMatching(/songId/) })],
    });
    // Nothing new was stored: the catalogue still holds exactly one song.
    const all = await gql<{ songs: { totalCount: number } }>(api!, '{ songs(first: 10) { totalCount } }');
    expect(all.data!.songs.totalCount).toBe(1);
  });

  test('restart the whole cluster: every song is still there', async () => {
    await cluster.stopAll();
    await cluster.startAll();
    const [api] = cluster.apis();
    const r = await gql<{ songs: { edges: { node: { id: string } }[] } }>(api!, FILTER, {
      filter: { album: 'Coastal Nights' },
    });
    // The first answer after a restart must be right (a restarted tracker's first set read once
    // failed: sqlite.test.ts 'a reopened store scans a set…'); say why when it is not.
    if (r.errors) throw new Error(JSON.stringify(r.errors) + '\n' + dumpLogs(cluster, 60));
    expect(r.data!.songs.edges.map((e) => e.node.id)).toEqual([songId]);
    const { bytes } = await streamSong(wsOf(api!), songId);
    expect(sha256(bytes)).toBe(sha256(mp3));
  });
});
