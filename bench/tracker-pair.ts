/**
 * Paired query benchmark: the tracker bench's filters and searches (its seed, its mix) replayed on
 * two running clusters, A and B, every query sent to both one after the other, which goes first
 * alternating. This machine's speed drifts by up to ~30% within an hour, so two bench runs made
 * minutes apart can differ by more than the change they compare; here the drift weighs on A and B
 * alike, query by query.
 *
 * `npm run bench -- tracker-pair --a <url,url,url> --b <url,url,url> [--songs 100000] [--passes 3]`
 * prints one JSON line per pass: each cluster's client round trips and Server-Timing figures. The
 * usual setup: `npm run bench -- tracker --songs N --hold` (cluster A, whose `dataDir` the holding
 * line names), then `npm run bench -- tracker-serve --from <that dataDir>` with the other version
 * of the code checked out (cluster B: a copy of the same data). `--songs` must be the N the data
 * was loaded with, so that the queries name its songs.
 *
 * `--ingest` first imports the N songs into both clusters at once (two `tracker-serve --empty`
 * clusters, one per version), the tracker bench's import into each: both share the machine, so
 * what compares them is how many songs each had imported when the first one finished (printed as
 * one JSON line, `"ingest"`), not either rate alone.
 *
 * Does not: start trackers (tracker-serve.ts does).
 */
import { Command } from 'commander';
import { gqlTimed, waitSettledAt } from './lib/tracker-cluster.js';
import {
  FILTER_QUERY,
  QUERY_SEED,
  SEARCH_QUERY,
  filterOf,
  importAll,
  makeCatalogue,
  pct,
  prng,
  searchOf,
  type Song,
} from './tracker.js';

/** Times of one cluster in one pass: client round trips and the trackers' own (Server-Timing). */
interface Times {
  filter: number[];
  filterServer: number[];
  search: number[];
  searchServer: number[];
}

const mean = (xs: number[]): number => +(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)).toFixed(2);

function summary(t: Times) {
  return {
    filter_p50_ms: pct(t.filter, 50),
    filter_p99_ms: pct(t.filter, 99),
    filter_mean_ms: mean(t.filter),
    search_p50_ms: pct(t.search, 50),
    search_p99_ms: pct(t.search, 99),
    search_mean_ms: mean(t.search),
    filter_server_p50_ms: pct(t.filterServer, 50),
    search_server_p50_ms: pct(t.searchServer, 50),
  };
}

const urlsOf = (list: string): string[] => {
  const urls = list.split(',').map((u) => u.trim());
  if (urls.length < 3 || urls.some((u) => !/^https?:\/\//.test(u)))
    throw new Error(`expected 3 comma-separated tracker URLs, got "${list}"`);
  return urls;
};

export async function run(argv: string[]): Promise<void> {
  const o = new Command()
    .requiredOption('--a <urls>', "cluster A's 3 tracker /graphql URLs, comma-separated")
    .requiredOption('--b <urls>', "cluster B's 3 tracker /graphql URLs, comma-separated")
    .option('--songs <n>', 'songs the clusters were loaded with', '100000')
    .option('--queries <n>', 'queries per kind and pass', '300')
    .option('--passes <n>', 'passes (each with its own queries after the first)', '3')
    .option('--ingest', 'first import the songs into both (empty) clusters at once')
    .parse(['node', 'tracker-pair', ...argv])
    .opts<{ a: string; b: string; songs: string; queries: string; passes: string; ingest?: boolean }>();
  const clusters = { a: urlsOf(o.a), b: urlsOf(o.b) };
  const songs = makeCatalogue(Number(o.songs));
  if (o.ingest) {
    const ingest = await pairedIngest(clusters, songs);
    // Queries measure settled clusters, as in the tracker bench (settle_s: the import's background work).
    const settleS = await waitSettledAt([...clusters.a, ...clusters.b]);
    console.log(JSON.stringify({ bench: 'tracker-pair', ingest, settle_s: +settleS.toFixed(1) }));
  }
  const queries = Number(o.queries);
  for (let pass = 0; pass < Number(o.passes); pass++) {
    const rand = prng(QUERY_SEED + pass);
    const times = { a: newTimes(), b: newTimes() };
    /** Sends one query to both clusters (the tracker the bench would ask), the first alternating. */
    const both = async (q: number, kind: 'filter' | 'search', doc: string, vars: Record<string, unknown>) => {
      for (const c of q % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
        const t = performance.now();
        const { serverMs } = await gqlTimed(clusters[c][1 + (q % 2)]!, doc, vars);
        times[c][kind].push(performance.now() - t);
        if (serverMs !== undefined)
          times[c][kind === 'filter' ? 'filterServer' : 'searchServer'].push(serverMs);
      }
    };
    for (let q = 0; q < queries; q++)
      await both(q, 'filter', FILTER_QUERY, { f: filterOf(rand, songs[Math.floor(rand() * songs.length)]!) });
    for (let q = 0; q < queries; q++)
      await both(q, 'search', SEARCH_QUERY, { s: searchOf(rand, songs[Math.floor(rand() * songs.length)]!) });
    console.log(
      JSON.stringify({ bench: 'tracker-pair', pass, queries, a: summary(times.a), b: summary(times.b) }),
    );
  }
}

/**
 * Imports `songs` into both clusters at once. When the first finishes, the other's count says how
 * far it got in the same time on the same machine; the other then finishes too (the query passes
 * need every song), unmeasured.
 */
async function pairedIngest(clusters: { a: string[]; b: string[] }, songs: Song[]) {
  const done = { a: 0, b: 0 };
  const t0 = performance.now();
  let first: { cluster: 'a' | 'b'; s: number; a: number; b: number } | undefined;
  await Promise.all(
    (['a', 'b'] as const).map(async (c) => {
      await importAll(clusters[c], songs, (n) => (done[c] = n));
      first ??= { cluster: c, s: (performance.now() - t0) / 1000, ...done };
    }),
  );
  const f = first!;
  return {
    songs: songs.length,
    first_done: f.cluster,
    seconds: +f.s.toFixed(1),
    a_songs: f.a,
    b_songs: f.b,
    a_songs_per_s: Math.round(f.a / f.s),
    b_songs_per_s: Math.round(f.b / f.s),
  };
}

function newTimes(): Times {
  return { filter: [], filterServer: [], search: [], searchServer: [] };
}
