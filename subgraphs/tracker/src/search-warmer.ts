/**
 * Warms the search path after the catalogue changed a lot (a bulk import, or a node starting on a
 * stored catalogue): once changes pause, a few searches built from held songs run in the
 * background, one at a time, their answers dropped. The first searches after a 100,000-song import
 * were slow: in three bench runs the searches over 60 ms included #0, #4 or #5 of each (63–102 ms),
 * CPU-bound in ranking and scoring code V8 had not compiled yet; with the warmer the same first six
 * took 8.5–33 ms.
 *
 * A run stops as soon as the catalogue changes again (the next pause warms again), and costs a few
 * searches of CPU (~20 ms each at 100k) plus their quorum reads on the replicas asked.
 *
 * Does not: warm read views of sets (the DHT's view warmer does, dht/src/node/view-warmer.ts), or
 * answer anyone.
 */
import type { Catalogue, CatalogueEntry } from './catalogue.js';

/**
 * Changed songs (catalogue versions) that call for a warm-up: an import of 1,000 songs or more,
 * or a start on that many; an edit now and then never triggers one.
 */
export const SEARCH_WARM_MIN_CHANGES = 1_000;
/**
 * Quiet time before warming: while any tracker imports, records reach every replica's catalogue
 * many times a second, so a second without a change means the import ended (a warm-up started
 * too early stops at the next change, after at most one search).
 */
export const SEARCH_WARM_IDLE_MS = 1_000;
/**
 * Searches per warm-up: in the bench's runs the cold slow ones were among the first 6; 24 searches
 * of 3 words exercise prefix, typo and exact matches on many posting lists.
 */
export const SEARCH_WARM_QUERIES = 24;
/** How often the catalogue's version is looked at: a timer that only compares two numbers. */
const POLL_MS = 1_000;

export interface SearchWarmerOptions {
  catalogue: Catalogue;
  /** Runs one search (its answer is dropped; a failure is counted, not thrown). */
  search: (query: string) => Promise<unknown>;
  /** @default SEARCH_WARM_MIN_CHANGES */
  minChanges?: number;
  /** @default SEARCH_WARM_IDLE_MS */
  idleMs?: number;
  /** @default SEARCH_WARM_QUERIES */
  queries?: number;
  /** @default POLL_MS (1 s) */
  pollMs?: number;
  /** Told after each warm-up that ran to its end: searches run, failed, and its duration. */
  onWarmed?: (r: { queries: number; failed: number; ms: number }) => void;
  /** Told when a warm-up itself broke (not a failed search): it is dropped, the node goes on. */
  onError?: (err: unknown) => void;
}

export interface SearchWarmer {
  /** Stops polling and waits for a search in flight. */
  stop(): Promise<void>;
}

/** A prefix of a word ("bohem" of "bohemian"): all but its last two letters when it has over 4. */
const prefixOf = (w: string): string => (w.length > 4 ? w.slice(0, w.length - 2) : w);
/** A typo in a word of 5 letters or more: its third letter dropped ("rhapsody" → "rhpsody"). */
const typoOf = (w: string): string => (w.length >= 5 ? w.slice(0, 2) + w.slice(3) : w);

/**
 * The warm-up's query for a held song, as a user types one: the title's first word cut short, its
 * second with a typo, and the artist's first word.
 */
export function warmQuery(e: CatalogueEntry): string {
  const [first, second] = e.norm.title.split(' ');
  const artist = e.norm.artist.split(' ')[0];
  return [first && prefixOf(first), second && typoOf(second), artist].filter(Boolean).join(' ');
}

export function makeSearchWarmer(o: SearchWarmerOptions): SearchWarmer {
  const minChanges = o.minChanges ?? SEARCH_WARM_MIN_CHANGES;
  const idleMs = o.idleMs ?? SEARCH_WARM_IDLE_MS;
  /** The catalogue version the last finished warm-up started from (0: none yet). */
  let warmedAt = 0;
  let seen = o.catalogue.version();
  let changedAt = Date.now();
  let running: Promise<void> | undefined;
  let stopped = false;

  async function warm(): Promise<void> {
    const start = o.catalogue.version();
    const t0 = performance.now();
    let failed = 0;
    // A song with an empty title and artist gives no query (an empty search is a listing).
    const queries = o.catalogue
      .sample(o.queries ?? SEARCH_WARM_QUERIES)
      .map(warmQuery)
      .filter((q) => q.length > 0);
    for (const q of queries) {
      if (stopped || o.catalogue.version() !== start) return; // changed again: the next pause warms
      await o.search(q).catch(() => failed++);
    }
    warmedAt = start;
    o.onWarmed?.({ queries: queries.length, failed, ms: performance.now() - t0 });
  }

  const timer = setInterval(() => {
    const v = o.catalogue.version();
    if (v !== seen) {
      seen = v;
      changedAt = Date.now();
      return;
    }
    if (running || v - warmedAt < minChanges || Date.now() - changedAt < idleMs) return;
    running = warm()
      .catch((err: unknown) => {
        warmedAt = v; // not retried every poll: the next big change tries again
        o.onError?.(err);
      })
      .finally(() => (running = undefined));
  }, o.pollMs ?? POLL_MS);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
