/**
 * Tracker benchmark: 3 tracker processes (bench/lib/tracker-cluster.ts: the real bin, real TCP
 * loopback, SQLite), N synthetic songs (Zipf vocabulary) ingested through importSongs over HTTP in
 * batches of 1000 spread over the 3 trackers, then exact-filter and free-text search latencies
 * measured at the subgraph over HTTP on trackers 2 and 3, one query at a time: round trips through
 * a keep-alive node:http client (`*_ms`), and the trackers' own times from their Server-Timing
 * headers (`*_server_ms`).
 *
 * `npm run bench -- tracker --songs 100000 --json`. RPC deadline 30 s (BENCH_RPC_TIMEOUT).
 * `--hold` keeps the loaded cluster serving after the figures (URLs on stderr) until SIGINT or
 * SIGTERM, to profile queries against it; BENCH_TRACE=1 prints every query's latency on stderr, and
 * BENCH_TEE=1 the trackers' log lines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Command } from 'commander';
import {
  gql,
  gqlTimed,
  startCluster,
  stopCluster,
  waitSettled,
  type TrackerProc,
} from './lib/tracker-cluster.js';

/** Import batches in flight (one per tracker): the 3 trackers ingest in parallel. */
const IMPORT_IN_FLIGHT = 3;
/** importSongs batch size: the API's cap (MAX_IMPORT_BATCH). */
const IMPORT_BATCH = 1000;

/** Seeded PRNG (mulberry32) so runs are comparable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  'la',
  'ro',
  'mi',
  'ka',
  'ne',
  'so',
  'ti',
  'ver',
  'dan',
  'mor',
  'bel',
  'cor',
  'sha',
  'lin',
  'tra',
  'gen',
  'pol',
  'qua',
  'zen',
  'dor',
  'fel',
  'hum',
  'ista',
  'on',
  'ar',
];

/** Vocabulary of pseudo-words (2–4 syllables), used with a Zipf distribution like real titles. */
function makeVocab(rand: () => number, n: number): string[] {
  const out = new Set<string>([
    'love',
    'night',
    'heart',
    'the',
    'you',
    'me',
    'dance',
    'rain',
    'fire',
    'home',
  ]);
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

export interface Song {
  id: string;
  title: string;
  artist: string;
  album: string;
  genre: string;
  year: number;
  trackNumber: number;
}

export function makeCatalogue(n: number, seed = 7): Song[] {
  const rand = prng(seed);
  const vocab = makeVocab(rand, 5000);
  const word = zipf(rand, vocab.length);
  const phrase = (min: number, max: number) =>
    Array.from({ length: min + Math.floor(rand() * (max - min + 1)) }, () => cap(vocab[word()]!)).join(' ');
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

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(2);
};

/** One typo (substitution, deletion or transposition) in a word of 4+ letters. */
function typo(rand: () => number, w: string): string {
  if (w.length < 5) return w;
  const i = 1 + Math.floor(rand() * (w.length - 2));
  const kind = Math.floor(rand() * 3);
  if (kind === 0) return w.slice(0, i) + (w[i] === 'x' ? 'y' : 'x') + w.slice(i + 1);
  if (kind === 1) return w.slice(0, i) + w.slice(i + 1);
  return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
}

/**
 * Imports `songs` into a cluster as the bench does: batches of IMPORT_BATCH through importSongs,
 * IMPORT_IN_FLIGHT at a time, one per tracker. `progress` gets the songs imported so far.
 */
export async function importAll(
  urls: string[],
  songs: Song[],
  progress: (done: number) => void = () => {},
): Promise<void> {
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: IMPORT_IN_FLIGHT }, async (_, w) => {
      while (next < songs.length) {
        const b = songs.slice(next, (next += IMPORT_BATCH));
        await gql(
          urls[w % urls.length]!,
          'mutation($b: [SongMetadataInput!]!) { importSongs(inputs: $b) { imported } }',
          { b },
        );
        done += b.length;
        progress(done);
      }
    }),
  );
}

/** Seed of the query mix (filters, then searches): every run asks the same queries. */
export const QUERY_SEED = 99;
/** The bench's exact filter, a page of 20. */
export const FILTER_QUERY =
  'query($f: SongFilter) { songs(filter: $f, first: 20) { totalCount edges { node { id title } } } }';
/** The bench's free-text search, a page of 20. */
export const SEARCH_QUERY =
  'query($s: String) { songs(search: $s, first: 20) { totalCount edges { node { id } } } }';
const FILTER_FIELDS = ['title', 'artist', 'album', 'genre'] as const;

/** A filter on a random non-empty subset of song `s`'s four fields (what the bench asks). */
export function filterOf(rand: () => number, s: Song): Record<string, string> {
  const mask = 1 + Math.floor(rand() * 15);
  const f: Record<string, string> = {};
  FILTER_FIELDS.forEach((k, i) => mask & (1 << i) && (f[k] = s[k]));
  return f;
}

/**
 * A search for song `s`: its title's first two words, the first cut short when long (a partial
 * word) and the second with a typo, and half the time its artist's first word.
 */
export function searchOf(rand: () => number, s: Song): string {
  const ws = s.title.toLowerCase().split(' ').slice(0, 2);
  return (
    ws
      .map((w, i) => (i === 0 && w.length > 5 ? w.slice(0, Math.max(3, w.length - 2)) : typo(rand, w)))
      .join(' ') + (rand() < 0.5 ? ` ${s.artist.split(' ')[0]!.toLowerCase()}` : '')
  );
}

/** Page size of the library walk (the Web library's infinite scroll). */
const LIBRARY_PAGE = 100;

export async function run(argv: string[]): Promise<void> {
  const o = new Command()
    .option('--songs <n>', 'songs to ingest', '10000')
    .option('--queries <n>', 'queries per kind', '300')
    .option('--json', 'print one JSON line only')
    .option('--hold', 'keep the cluster serving after the run, until SIGINT or SIGTERM')
    .parse(['node', 'tracker', ...argv])
    .opts<{ songs: string; queries: string; json?: boolean; hold?: boolean }>();
  const n = Number(o.songs);
  const queries = Number(o.queries);
  const log = (msg: string) => (o.json ? undefined : console.error(msg));
  // `at`: when the query ended, in µs of the monotonic clock V8's CPU profiles (BENCH_CPU_PROF) use;
  // `wall`: the same in epoch ms, the clock of the trackers' log lines (BENCH_TEE).
  const trace = (kind: string, q: unknown, ms: number, serverMs?: number) =>
    process.env.BENCH_TRACE &&
    console.error(
      JSON.stringify({
        kind,
        q,
        ms: +ms.toFixed(2),
        serverMs,
        at: Number(process.hrtime.bigint() / 1000n),
        wall: Date.now(),
      }),
    );
  const dir = mkdtempSync(join(tmpdir(), 'bench-tracker-'));
  let procs: TrackerProc[] = [];
  try {
    procs = await startCluster(3, dir, 'bench-cluster-key');
    await new Promise((r) => setTimeout(r, 500));
    const urls = procs.map((p) => p.url);
    const songs = makeCatalogue(n);
    log(`ingesting ${n} songs...`);
    const t0 = performance.now();
    await importAll(urls, songs, (done) =>
      log(`  ${done} songs, ${Math.round(done / ((performance.now() - t0) / 1000))}/s`),
    );
    const ingestS = (performance.now() - t0) / 1000;
    // Latencies are those of a settled cluster: not of the minutes right after a bulk import, while
    // the trackers still finish its background work (settleS says how long that took).
    const settleS = await waitSettled(procs);
    log(`settled after ${settleS.toFixed(1)} s`);

    const rand = prng(QUERY_SEED);
    const filterMs: number[] = [];
    /** The trackers' own times for the same queries (their Server-Timing headers). */
    const filterServerMs: number[] = [];
    let filterHits = 0;
    for (let q = 0; q < queries; q++) {
      const s = songs[Math.floor(rand() * songs.length)]!;
      const f = filterOf(rand, s);
      const t = performance.now();
      const { data: d, serverMs } = await gqlTimed(urls[1 + (q % 2)]!, FILTER_QUERY, { f });
      filterMs.push(performance.now() - t);
      if (serverMs !== undefined) filterServerMs.push(serverMs);
      trace('filter', f, performance.now() - t, serverMs);
      if (d.songs.totalCount > 0) filterHits++;
    }
    const searchMs: number[] = [];
    const searchServerMs: number[] = [];
    let searchTop = 0;
    for (let q = 0; q < queries; q++) {
      const s = songs[Math.floor(rand() * songs.length)]!;
      const query = searchOf(rand, s);
      const t = performance.now();
      const { data: d, serverMs } = await gqlTimed(urls[1 + (q % 2)]!, SEARCH_QUERY, { s: query });
      searchMs.push(performance.now() - t);
      if (serverMs !== undefined) searchServerMs.push(serverMs);
      trace('search', query, performance.now() - t, serverMs);
      if (d.songs.edges.some((e: any) => e.node.id === s.id)) searchTop++;
    }
    // The Web library's paging: walk the whole catalogue by cursor, 100 songs a page, sorted by
    // title (what infinite scroll asks for), and check every song comes exactly once.
    const pageMs: number[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    let after: string | null = null;
    for (let page = 0; page < Math.ceil(n / LIBRARY_PAGE) + 2; page++) {
      const t = performance.now();
      const d = await gql(
        urls[page % 3]!,
        `query($a: String) { songs(sort: TITLE, first: ${LIBRARY_PAGE}, after: $a) { pageInfo { endCursor hasNextPage } edges { node { id } } } }`,
        { a: after },
      );
      pageMs.push(performance.now() - t);
      for (const e of d.songs.edges as { node: { id: string } }[]) {
        if (seen.has(e.node.id)) duplicates++;
        seen.add(e.node.id);
      }
      after = d.songs.pageInfo.endCursor;
      if (!d.songs.pageInfo.hasNextPage) break;
    }
    const out = {
      bench: 'tracker',
      songs: n,
      trackers: 3,
      setup: '3 tracker processes (bin.ts), TCP loopback, SQLite, r=3 W=2',
      topology:
        "separate processes; ingest via importSongs over HTTP (3 batches of 1000 in flight, one per tracker); queries over HTTP /graphql on trackers 2 and 3, sequential, keep-alive node:http client; *_ms are round trips at the client, *_server_ms the trackers' Server-Timing",
      ingest_songs_per_s: Math.round(n / ingestS),
      ingest_s: +ingestS.toFixed(1),
      settle_s: +settleS.toFixed(1),
      filter_p50_ms: pct(filterMs, 50),
      filter_p99_ms: pct(filterMs, 99),
      filter_hit_rate: +(filterHits / queries).toFixed(3),
      search_p50_ms: pct(searchMs, 50),
      search_p99_ms: pct(searchMs, 99),
      filter_server_p50_ms: filterServerMs.length ? pct(filterServerMs, 50) : null,
      filter_server_p99_ms: filterServerMs.length ? pct(filterServerMs, 99) : null,
      search_server_p50_ms: searchServerMs.length ? pct(searchServerMs, 50) : null,
      search_server_p99_ms: searchServerMs.length ? pct(searchServerMs, 99) : null,
      search_recall_top20: +(searchTop / queries).toFixed(3),
      queries,
      library_page_p50_ms: pct(pageMs, 50),
      library_page_p99_ms: pct(pageMs, 99),
      library_walk_songs: seen.size,
      library_walk_duplicates: duplicates,
    };
    console.log(JSON.stringify(out));
    if (o.hold) {
      console.error(JSON.stringify({ holding: urls, dataDir: dir }));
      // `on`, not `once`: npm and tsx pass a Ctrl-C on to this process too, and a second SIGINT
      // without a listener would kill it before stopCluster, orphaning the trackers.
      await new Promise<void>((r) => ['SIGINT', 'SIGTERM'].forEach((sig) => process.on(sig, () => r())));
    }
  } finally {
    await stopCluster(procs);
    rmSync(dir, { recursive: true, force: true });
  }
}
