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
 * Does not: load data or start trackers (tracker.ts and tracker-serve.ts do), or measure ingest.
 */
import { Command } from 'commander';
import { gqlTimed } from './lib/tracker-cluster.js';
import {
  FILTER_QUERY,
  QUERY_SEED,
  SEARCH_QUERY,
  filterOf,
  makeCatalogue,
  pct,
  prng,
  searchOf,
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
    .parse(['node', 'tracker-pair', ...argv])
    .opts<{ a: string; b: string; songs: string; queries: string; passes: string }>();
  const clusters = { a: urlsOf(o.a), b: urlsOf(o.b) };
  const songs = makeCatalogue(Number(o.songs));
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

function newTimes(): Times {
  return { filter: [], filterServer: [], search: [], searchServer: [] };
}
