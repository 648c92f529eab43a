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
import { SEARCH_PARTIAL_READ_MIN, WORD_BUCKETS } from './limits.js';
import { FIELD_WEIGHTS } from './search.js';
import { makeRankedNumbers, type RankedList } from './ranked-list.js';
import { makeSearchReads, type SearchReads } from './search-reads.js';

export { makeSearchReads, type SearchReads } from './search-reads.js';

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

/** Every song id some query word's matching words hold (verified later on the records). */
export async function searchIds(node: KademliaNode, qs: string[]): Promise<Set<string>> {
  const reads = makeSearchReads(node);
  const postings = await reads.postings(wordsOf(await reads.matches(qs)));
  const out = new Set<string>();
  for (const ids of postings.values()) for (const id of ids) out.add(id);
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
  /**
   * A verified row scoring at least this is final against the buckets not read yet (their songs
   * score at most this and have larger ids): the highest score any song can reach. 0: every
   * bucket was read; Infinity: an id sits outside its bucket's range (older layout), read them all.
   */
  finalAt: number;
}

/**
 * Per-song scratch arrays of rankedCandidates, kept between searches: a search over common words
 * used to allocate one byte per catalogue song per query word plus a growing array of every
 * candidate (at 100,000 songs, ~0.6 MB of a tracker's allocations per search in a heap profile),
 * and the young generation's collections during queries are what their slow tail is made of.
 * Zeroed by their user before it returns; replaced when the numbering outgrows them.
 */
interface Scratch {
  seen: Uint8Array;
  points: Uint8Array[];
  cands: Int32Array;
}
const EMPTY_SCRATCH: Scratch = { seen: new Uint8Array(0), points: [], cands: new Int32Array(0) };
let scratch = EMPTY_SCRATCH;

/** Scratch arrays for `songs` song numbers and `words` query words (all zero). */
function scratchFor(songs: number, words: number): Scratch {
  if (scratch.seen.length < songs) {
    // Some headroom: a catalogue that grows by a few songs does not reallocate every search.
    const size = Math.ceil(songs * 1.25) + 1024;
    scratch = { seen: new Uint8Array(size), points: [], cands: new Int32Array(size) };
  }
  while (scratch.points.length < words) scratch.points.push(new Uint8Array(scratch.seen.length));
  return scratch;
}

/**
 * Counts the postings of every query word's matching words: the best quality per song and query
 * word into `points`, each song met once into `met` (marked in `seen`). Returns how many were met.
 */
function countPostings(
  matches: Map<string, number>[],
  numbered: Map<string, Int32Array[]>,
  seen: Uint8Array,
  points: Uint8Array[],
  met: Int32Array,
): number {
  let count = 0;
  for (let i = 0; i < matches.length; i++) {
    const best = points[i]!;
    for (const [w, q] of matches[i]!)
      for (const nums of numbered.get(w)!)
        for (let j = 0; j < nums.length; j++) {
          const n = nums[j]!;
          if (best[n]! < q) best[n] = q;
          if (seen[n]) continue;
          seen[n] = 1;
          met[count++] = n;
        }
  }
  return count;
}

/**
 * Candidates in descending bound order (ties by id, the order of the final ranking): every song
 * some query word's matching words hold. Every query word is read, so a bound differs from the
 * song's score only by field weights (`1000 × words hit + Σ (10 × best quality + 4)`), and
 * verifying in bound order stops a few rows past the page: the page is exactly the page of
 * scoring every song.
 *
 * The postings are counted on song numbers (song-numbers.ts) in one byte array per query word, so a
 * query of common words ("love you": 80,000 postings at 100k songs) costs a few milliseconds.
 *
 * With `buckets` < WORD_BUCKETS, and when the hint says the words hold more than
 * SEARCH_PARTIAL_READ_MIN postings, only the postings of the first buckets are read: the songs
 * with the smallest ids (keys.ts bucketOf); `finalAt` says when that page is final.
 */
export async function rankedCandidates(
  nodeOrReads: KademliaNode | SearchReads,
  qs: string[],
  hint?: PostingsHint,
  opts: {
    /** Posting buckets to read, from bucket 0 (the smallest ids). @default WORD_BUCKETS */
    buckets?: number;
    /** Postings the words must exceed for a partial read. @default SEARCH_PARTIAL_READ_MIN */
    partialReadMin?: number;
  } = {},
): Promise<SearchPlan> {
  const reads = 'postings' in nodeOrReads ? nodeOrReads : makeSearchReads(nodeOrReads);
  const matches = await reads.matches(qs);
  // Reading part of the buckets only pays when the words hold many postings: a small read costs
  // less whole than in two rounds.
  const estimate = hint ? matches.reduce((n, m) => n + [...m.keys()].reduce((k, w) => k + hint(w), 0), 0) : 0;
  const buckets =
    hint && estimate > (opts.partialReadMin ?? SEARCH_PARTIAL_READ_MIN)
      ? Math.min(opts.buckets ?? WORD_BUCKETS, WORD_BUCKETS)
      : WORD_BUCKETS;
  let r = await reads.numbered(wordsOf(matches), buckets);
  // Another search may have made the numbering start over while this one awaited: read again.
  while (r.generation !== reads.numbers.generation) r = await reads.numbered(wordsOf(matches), buckets);
  const numbered = r.lists;
  const songs = reads.numbers.size;
  // Per query word, per song number: the best quality points of a word of that song matching it
  // (0: none). The candidates: every song met, in order of first meeting. The per-song arrays are
  // the module's scratch (this part never awaits) and are zeroed again before it returns.
  const { seen, points: best, cands: met } = scratchFor(songs, matches.length);
  let count: number;
  try {
    count = countPostings(matches, numbered, seen, best, met);
  } catch (err) {
    scratch = EMPTY_SCRATCH; // left dirty: the next search starts from fresh arrays
    throw err;
  }
  const cands = met.slice(0, count);
  const bounds = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const n = cands[i]!;
    seen[n] = 0;
    let bound = 0;
    for (let k = 0; k < matches.length; k++) {
      const points = best[k]!;
      const q = points[n]!;
      if (q === 0) continue;
      bound += 1000 + 10 * q + MAX_FIELD_WEIGHT;
      points[n] = 0;
    }
    bounds[i] = bound;
  }
  const top = (m: Map<string, number>) =>
    m.size === 0 ? 0 : 1000 + 10 * Math.max(...m.values()) + MAX_FIELD_WEIGHT;
  const finalAt =
    buckets === WORD_BUCKETS ? 0 : reads.misplaced ? Infinity : matches.reduce((n, m) => n + top(m), 0);
  return { ranked: makeRankedNumbers(cands, bounds, reads.numbers.id, reads.numbers.head), finalAt };
}
