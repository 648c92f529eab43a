/**
 * Search candidates through the VOCABULARY, ranked by an upper bound of their score, so that only
 * the best few records need fetching and verifying (reads.ts).
 *
 * Per query word q: the vocabulary keys of queryWordKeyNames(q) ('sym:' q and its deletions,
 * 'pre:' q[0..6]) give candidate WORDS; each is verified with matchWord (search.ts), which gives
 * its exact quality (exact 3 > prefix 2 > typo 1). The postings of the matching words (all
 * WORD_BUCKETS buckets) give the songs. A song's score is then at most
 * `1000 × words hit + Σ (10 × best quality + 4)` (only the field weight is unknown), so verifying
 * in descending bound order can stop once the page is full of verified scores no remaining bound
 * beats. Every set is read local-first (R + W > r quorum with digests, @gotify/dht ReadOptions),
 * all vocabulary keys of a query in one batched read (getSetMany), then all posting keys.
 *
 * Does not: read the DHT itself (search-reads.ts), fetch records or compute real scores
 * (relevance.ts, search.ts).
 */
import type { KademliaNode } from '@gotify/dht';
import { MAX_SEEDING_SET, SEARCH_PARTIAL_READ_MIN, WORD_BUCKETS } from './limits.js';
import { FIELD_WEIGHTS } from './search.js';
import { makeRankedList, type RankedList } from './ranked-list.js';
import { makeSearchReads, type SearchReads } from './search-reads.js';

export { makeSearchReads, matchingWords, type SearchReads } from './search-reads.js';

export interface Candidate {
  id: string;
  /** Upper bound of scoreSong for this song. */
  bound: number;
}

const MAX_FIELD_WEIGHT = Math.max(...Object.values(FIELD_WEIGHTS));
/** Distinct vocabulary words of some query words' matches. */
const wordsOf = (matches: Map<string, number>[]): string[] => [
  ...new Set(matches.flatMap((m) => [...m.keys()])),
];

/** Per query word: song id → best quality points of a word of that song matching it (an upper bound). */
function hitsOf(matches: Map<string, number>[], postings: Map<string, string[]>): Map<string, number>[] {
  return matches.map((m) => {
    const hits = new Map<string, number>();
    for (const [w, pts] of m) {
      for (const id of postings.get(w)!) {
        const cur = hits.get(id);
        if (cur === undefined || cur < pts) hits.set(id, pts);
      }
    }
    return hits;
  });
}

/** Per query word: song id → best quality points of a word of that song matching it (an upper bound). */
export async function wordHits(node: KademliaNode, qs: string[]): Promise<Map<string, number>[]> {
  const reads = makeSearchReads(node);
  const matches = await reads.matches(qs);
  return hitsOf(matches, await reads.postings(wordsOf(matches)));
}

/** Every song id some query word's matching words hold (verified later on the records). */
export async function searchIds(node: KademliaNode, qs: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const h of await wordHits(node, qs)) for (const id of h.keys()) out.add(id);
  return out;
}

/**
 * Songs whose postings hold `word`, as far as this tracker can tell without reading them (its
 * catalogue's count, catalogue.ts wordSongs): a planning hint, never a result.
 */
export type PostingsHint = (word: string) => number;

/** A search plan: candidates in bound order, and what the caller needs to know to trust its page. */
export interface SearchPlan {
  ranked: RankedList;
  /** Candidates seeded (songs some read word holds). */
  seeded: number;
  /** Query words whose postings were not read (their best contribution is in every bound). */
  unread: number;
  /** Seeded by the least common words only: the page is exact only if its last row scores at least this. 0: not seeded. */
  floor: number;
  /**
   * A verified row scoring at least this is final against the buckets not read yet (their songs
   * score at most this and have larger ids): the highest score any song can reach. 0: every
   * bucket was read; Infinity: an id sits outside its bucket's range (older layout), read them all.
   */
  finalAt: number;
}

/**
 * Candidates in descending bound order (ties by id, the order of the final ranking). When some
 * query word is selective (at most MAX_SEEDING_SET candidates), words with more candidates only
 * add to candidates that a selective word seeded: this bounds the work of common words ("love"),
 * at the price of dropping songs that match only common words of such a query (they usually rank
 * below the songs matching the selective word; a query of only common words drops nothing).
 *
 * With a `hint`, the postings of a query word that the hint says is common are not even read when
 * the hint says another query word is selective: instead, every candidate's bound counts that
 * word's best possible contribution (1000 + 10 × its best matching word's quality + the top field
 * weight). Bounds stay upper bounds, so verifying in bound order gives the same first page.
 *
 * With `buckets` < WORD_BUCKETS, and when the hint says the words to read hold more than
 * SEARCH_PARTIAL_READ_MIN postings, only the postings of the first buckets are read: the songs
 * with the smallest ids (keys.ts bucketOf). Sizes compared with MAX_SEEDING_SET are scaled up to the
 * whole word, so the plan seeds as it would with every bucket read.
 */
export async function rankedCandidates(
  nodeOrReads: KademliaNode | SearchReads,
  qs: string[],
  hint?: PostingsHint,
  opts: {
    /**
     * A query of only common words reads the postings of its `seeds` least common words only
     * (at most |qs| − 1; the plan's `floor` says when its page is exact). @default 0 (every word)
     */
    seeds?: number;
    /** Posting buckets to read, from bucket 0 (the smallest ids). @default WORD_BUCKETS */
    buckets?: number;
    /** Postings the words to read must exceed for a partial read. @default SEARCH_PARTIAL_READ_MIN */
    partialReadMin?: number;
  } = {},
): Promise<SearchPlan> {
  const reads = 'postings' in nodeOrReads ? nodeOrReads : makeSearchReads(nodeOrReads);
  const matches = await reads.matches(qs);
  const estimates = matches.map((m) => (hint ? [...m.keys()].reduce((n, w) => n + hint(w), 0) : 0));
  const planSelective = hint !== undefined && estimates.some((e) => e <= MAX_SEEDING_SET);
  let unread = matches.map((_, i) => planSelective && estimates[i]! > MAX_SEEDING_SET);
  // Only common words ("love me"): read the `seeds` least common ones' postings, bound the others.
  // A song holding none of them misses `seeds` query words, so it scores below
  // 1000 × (|qs| − seeds + 1): the page is exact when its last row reaches that `floor` — the
  // caller checks, and else plans again with one more seed.
  let floor = 0;
  const seeds = Math.min(opts.seeds ?? 0, qs.length - 1);
  if (hint && !planSelective && seeds > 0) {
    const seeded = new Set(
      estimates
        .map((e, i) => [e, i] as const)
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .slice(0, seeds)
        .map(([, i]) => i),
    );
    unread = matches.map((_, i) => !seeded.has(i));
    floor = 1000 * (qs.length - seeds + 1);
  }
  const read = matches.filter((_, i) => !unread[i]);
  // Reading part of the buckets only pays when the words read hold many postings: a small read
  // costs less whole than in two rounds.
  const readEstimate = estimates.reduce((n, e, i) => (unread[i] ? n : n + e), 0);
  const buckets =
    hint && readEstimate > (opts.partialReadMin ?? SEARCH_PARTIAL_READ_MIN)
      ? Math.min(opts.buckets ?? WORD_BUCKETS, WORD_BUCKETS)
      : WORD_BUCKETS;
  const hits = hitsOf(read, await reads.postings(wordsOf(read), buckets));
  const scale = WORD_BUCKETS / buckets;
  const selective = (h: Map<string, number>) => h.size * scale <= MAX_SEEDING_SET;
  const anySelective = hits.some(selective);
  const acc = new Map<string, { words: number; points: number }>();
  const order = [...hits].sort((a, b) => a.size - b.size);
  for (const h of order) {
    const seeds = !anySelective || selective(h);
    for (const [id, q] of h) {
      let a = acc.get(id);
      if (!a) {
        if (!seeds) continue;
        acc.set(id, (a = { words: 0, points: 0 }));
      }
      a.words++;
      a.points += 10 * q + MAX_FIELD_WEIGHT;
    }
  }
  const best = (m: Map<string, number>) =>
    m.size === 0 ? 0 : 1000 + 10 * Math.max(...m.values()) + MAX_FIELD_WEIGHT;
  let unreadBound = 0;
  matches.forEach((m, i) => {
    if (unread[i]) unreadBound += best(m);
  });
  const all: Candidate[] = [];
  for (const [id, a] of acc) all.push({ id, bound: 1000 * a.words + a.points + unreadBound });
  const finalAt =
    buckets === WORD_BUCKETS ? 0 : reads.misplaced ? Infinity : matches.reduce((n, m) => n + best(m), 0);
  return {
    ranked: makeRankedList(all),
    seeded: acc.size,
    unread: unread.filter(Boolean).length,
    floor,
    finalAt,
  };
}
