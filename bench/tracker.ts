/**
 * Tracker benchmark: 3 trackers in this process over real TCP loopback (one process, so the 3
 * share the event loop and 2 cores — a pessimistic setup), N synthetic songs ingested through
 * importSongs (batches of 1000) on tracker 1, then exact-filter and free-text search latencies
 * measured at the subgraph (Apollo executeOperation) on trackers 2 and 3.
 *
 * `npm run bench -- tracker --songs 100000 --json`. RPC deadline 30 s (BENCH_RPC_TIMEOUT): at the
 * default 2 s, big batched STOREs time out while 3 nodes share one event loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Command } from 'commander';
import type { ApolloServer } from '@apollo/server';
import { makeLogger } from '@gotify/dht';
import { startTrackerNode, type TrackerNodeHandle } from '@gotify/tracker';

/** Seeded PRNG (mulberry32) so runs are comparable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['la', 'ro', 'mi', 'ka', 'ne', 'so', 'ti', 'ver', 'dan', 'mor', 'bel', 'cor', 'sha', 'lin', 'tra', 'gen', 'pol', 'qua', 'zen', 'dor', 'fel', 'hum', 'ista', 'on', 'ar'];

/** Vocabulary of pseudo-words (2–4 syllables), used with a Zipf distribution like real titles. */
function makeVocab(rand: () => number, n: number): string[] {
  const out = new Set<string>(['love', 'night', 'heart', 'the', 'you', 'me', 'dance', 'rain', 'fire', 'home']);
  while (out.size < n) {
    const k = 2 + Math.floor(rand() * 3);
    out.add(Array.from({ length: k }, () => SYLLABLES[Math.floor(rand() * SYLLABLES.length)]).join(''));
  }
  return [...out];
}
function zipf(rand: () => number, n: number): () => number {
  const cdf: number[] = [];
  let sum = 0;
  for (let i = 1; i <= n; i++) cdf.push((sum += 1 / i));
  return () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
const cap = (w: string): string => w[0]!.toUpperCase() + w.slice(1);

interface Song { id: string; title: string; artist: string; album: string; genre: string; year: number; trackNumber: number }

export function makeCatalogue(n: number, seed = 7): Song[] {
  const rand = prng(seed);
  const vocab = makeVocab(rand, 5000);
  const word = zipf(rand, vocab.length);
  const phrase = (min: number, max: number) => Array.from({ length: min + Math.floor(rand() * (max - min + 1)) }, () => cap(vocab[word()]!)).join(' ');
  const artists = Array.from({ length: 2000 }, () => phrase(1, 3));
  const albums = Array.from({ length: 5000 }, () => phrase(1, 4));
  const genres = Array.from({ length: 30 }, () => phrase(1, 1));
  const pickArtist = zipf(rand, artists.length);
  const pickAlbum = zipf(rand, albums.length);
  const pickGenre = zipf(rand, genres.length);
  return Array.from({ length: n }, (_, i) => ({
    id: createHash('sha256').update(`bench-song-${i}`).digest('hex'),
    title: phrase(1, 5),
    artist: artists[pickArtist()]!,
    album: albums[pickAlbum()]!,
    genre: genres[pickGenre()]!,
    year: 1950 + Math.floor(rand() * 75),
    trackNumber: 1 + Math.floor(rand() * 15),
  }));
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(2);
};

async function exec(server: ApolloServer, query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await server.executeOperation({ query, variables });
  if (res.body.kind !== 'single') throw new Error('incremental');
  if (res.body.singleResult.errors) throw new Error(JSON.stringify(res.body.singleResult.errors));
  return res.body.singleResult.data as Record<string, any>;
}

/** One typo (substitution, deletion or transposition) in a word of 4+ letters. */
function typo(rand: () => number, w: string): string {
  if (w.length < 5) return w;
  const i = 1 + Math.floor(rand() * (w.length - 2));
  const kind = Math.floor(rand() * 3);
  if (kind === 0) return w.slice(0, i) + (w[i] === 'x' ? 'y' : 'x') + w.slice(i + 1);
  if (kind === 1) return w.slice(0, i) + w.slice(i + 1);
  return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
}

export async function run(argv: string[]): Promise<void> {
  const o = new Command()
    .option('--songs <n>', 'songs to ingest', '10000')
    .option('--queries <n>', 'queries per kind', '300')
    .option('--json', 'print one JSON line only')
    .parse(['node', 'tracker', ...argv])
    .opts<{ songs: string; queries: string; json?: boolean }>();
  const n = Number(o.songs);
  const queries = Number(o.queries);
  const log = (msg: string) => (o.json ? undefined : console.error(msg));
  const dir = mkdtempSync(join(tmpdir(), 'bench-tracker-'));
  const logger = makeLogger('bench', { level: 'warn' });
  const nodes: TrackerNodeHandle[] = [];
  try {
    const clusterKey = 'bench-cluster-key';
    for (let i = 0; i < 3; i++) {
      nodes.push(await startTrackerNode({ name: `bench-tracker-${i}`, dataDir: join(dir, `t${i}`), clusterKey, bootstrap: nodes.map((x) => x.dhtAddress), logger, rateLimit: false, timers: { rpcTimeout: Number(process.env.BENCH_RPC_TIMEOUT ?? 30_000) } }));
    }
    await new Promise((r) => setTimeout(r, 500));
    const apollo = nodes.map((x) => x.apollo);
    const songs = makeCatalogue(n);
    log(`ingesting ${n} songs...`);
    const t0 = performance.now();
    for (let i = 0; i < songs.length; i += 1000) {
      await exec(apollo[0]!, 'mutation($b: [SongMetadataInput!]!) { importSongs(inputs: $b) { imported } }', { b: songs.slice(i, i + 1000) });
      if (!o.json) log(`  ${i + 1000} songs, ${Math.round((i + 1000) / ((performance.now() - t0) / 1000))}/s`);
    }
    const ingestS = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1000));

    const rand = prng(99);
    const fields = ['title', 'artist', 'album', 'genre'] as const;
    const filterMs: number[] = [];
    let filterHits = 0;
    for (let q = 0; q < queries; q++) {
      const s = songs[Math.floor(rand() * songs.length)]!;
      const mask = 1 + Math.floor(rand() * 15);
      const f: Record<string, string> = {};
      fields.forEach((k, i) => mask & (1 << i) && (f[k] = s[k]));
      const t = performance.now();
      const d = await exec(apollo[1 + (q % 2)]!, 'query($f: SongFilter) { songs(filter: $f, first: 20) { totalCount edges { node { id title } } } }', { f });
      filterMs.push(performance.now() - t);
      if (d.songs.totalCount > 0) filterHits++;
    }
    const searchMs: number[] = [];
    let searchTop = 0;
    for (let q = 0; q < queries; q++) {
      const s = songs[Math.floor(rand() * songs.length)]!;
      const ws = s.title.toLowerCase().split(' ').slice(0, 2);
      const query = ws.map((w, i) => (i === 0 && w.length > 5 ? w.slice(0, Math.max(3, w.length - 2)) : typo(rand, w))).join(' ') + (rand() < 0.5 ? ` ${s.artist.split(' ')[0]!.toLowerCase()}` : '');
      const t = performance.now();
      const d = await exec(apollo[1 + (q % 2)]!, 'query($s: String) { songs(search: $s, first: 20) { totalCount edges { node { id } } } }', { s: query });
      searchMs.push(performance.now() - t);
      if (d.songs.edges.some((e: any) => e.node.id === s.id)) searchTop++;
    }
    const out = {
      bench: 'tracker',
      songs: n,
      trackers: 3,
      setup: 'in-process, TCP loopback, SQLite, r=3 W=2',
      topology: 'in-process: 3 trackers share one event loop (pessimistic: one core for all three)',
      ingest_songs_per_s: Math.round(n / ingestS),
      ingest_s: +ingestS.toFixed(1),
      filter_p50_ms: pct(filterMs, 50),
      filter_p99_ms: pct(filterMs, 99),
      filter_hit_rate: +(filterHits / queries).toFixed(3),
      search_p50_ms: pct(searchMs, 50),
      search_p99_ms: pct(searchMs, 99),
      search_recall_top20: +(searchTop / queries).toFixed(3),
      queries,
    };
    console.log(JSON.stringify(out));
  } finally {
    for (const x of nodes) await x.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
