/**
 * Playback start latency: over N plays of different songs, the time from subscribing to
 * `songChunks` to holding the first chunk at the client (graphql-ws over loopback).
 *
 * `npm run bench -- start --json [--plays 200] [--api http://127.0.0.1:4000,http://127.0.0.1:4001]`
 * Without --api it starts its own cluster of real processes (1 DNS, 2 API, 3 Peer, 3 Tracker)
 * exactly as `npm start` does, uploads N short generated MP3s through the API node, and plays
 * each once, alternating API nodes. Prints one JSON line.
 */
import { Command } from 'commander';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { makeTestMp3, closeDemoWorker } from '../cli/src/demo/index.js';
import { uploadSong } from '../cli/src/cluster/upload-client.js';
import { makeTestCluster, type TestCluster } from '../tests/lib/cluster.js';

const FIRST_CHUNK = /* GraphQL */ `
  subscription GetSongByID($songId: ID!) {
    songChunks(songId: $songId, fromIndex: 0) {
      index
      total
      size
      data
    }
  }
`;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (x: number) => Math.round(x * 100) / 100;

/** Subscribes and resolves with the ms until the first chunk arrives; the rest of the song is not awaited. */
function timeToFirstChunk(client: Client, songId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let dispose: (() => void) | undefined = undefined;
    dispose = client.subscribe(
      { query: FIRST_CHUNK, variables: { songId } },
      {
        next: (msg) => {
          if (msg.errors) return reject(new Error(msg.errors[0]!.message));
          const ms = performance.now() - t0;
          dispose?.();
          resolve(ms);
        },
        error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
        complete: () => {},
      },
    );
  });
}

export async function run(argv: string[]): Promise<void> {
  const opts = new Command('start')
    .option('--plays <n>', 'plays of different songs', '200')
    .option('--seconds <n>', 'length of each generated song', '3')
    .option('--api <urls>', 'API nodes of a running cluster (comma list); default: start one')
    .option('--json', 'print only the JSON line')
    .parse(['node', 'start', ...argv])
    .opts<{ plays: string; seconds: string; api?: string; json?: boolean }>();
  const plays = Number(opts.plays);
  const log = (...a: unknown[]) => !opts.json && console.error(...a);

  let cluster: TestCluster | undefined;
  let apis = opts.api?.split(',').filter(Boolean) ?? [];
  if (apis.length === 0) {
    cluster = makeTestCluster({ portOffset: 30, counts: { dns: 1, api: 2, peer: 3, tracker: 3 } });
    log('starting a cluster of real processes…');
    await cluster.startAll();
    apis = cluster.apis();
  }
  try {
    log(`uploading ${plays} songs…`);
    const ids: string[] = [];
    const tUpload = performance.now();
    for (let i = 0; i < plays; i++) {
      const { bytes } = await makeTestMp3({
        seconds: Number(opts.seconds),
        seed: 10_000 + i,
        title: `Bench Song ${i}`,
        artist: 'Bench',
      });
      ids.push((await uploadSong(apis[i % apis.length]!, bytes, { filename: `bench-${i}.mp3` })).id);
    }
    const uploadMs = performance.now() - tUpload;
    const clients = apis.map((a) =>
      createClient({
        url: a.replace(/^http/, 'ws') + '/stream',
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
      }),
    );
    // One warm-up play per API node: connection set-up is not playback latency.
    for (let i = 0; i < clients.length; i++) await timeToFirstChunk(clients[i]!, ids[i]!);
    const samples: number[] = [];
    for (let i = 0; i < ids.length; i++)
      samples.push(await timeToFirstChunk(clients[i % clients.length]!, ids[i]!));
    await Promise.all(clients.map((c) => c.dispose()));
    const sorted = [...samples].sort((a, b) => a - b);
    const line = {
      bench: 'start',
      plays: samples.length,
      api_nodes: apis.length,
      first_chunk_p50_ms: round(pct(sorted, 50)),
      first_chunk_p90_ms: round(pct(sorted, 90)),
      first_chunk_p99_ms: round(pct(sorted, 99)),
      first_chunk_max_ms: round(sorted[sorted.length - 1]!),
      upload_songs_per_s: round(plays / (uploadMs / 1000)),
      topology: cluster
        ? 'own cluster: 1 dns, 2 api, 3 peer, 3 tracker processes on loopback'
        : 'given --api',
    };
    console.log(JSON.stringify(line));
  } finally {
    await closeDemoWorker();
    await cluster?.destroy();
  }
}
