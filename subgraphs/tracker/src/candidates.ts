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
import { SEARCH_PARTIAL_READ_MIN, SEARCH_WHOLE_WORD_RATIO, WORD_BUCKETS } from './limits.js';
import { bucketOf } from './keys.js';
import { FIELD_WEIGHTS } from './search.js';
import { makeRankedNumbers, type RankedList } from './ranked-list.js';
import { makeSearchReads, type SearchReads } from './search-reads.js';
import type { SongNumbers } from './song-numbers.js';

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

/** The posting bucket (keys.ts bucketOf) of song number `n`, from its id's first character code. */
function bucketOfNumber(numbers: SongNumbers, n: number): number {
  const c0 = numbers.head(n) >> 8;
  const digit = c0 >= 48 && c0 <= 57 ? c0 - 48 : c0 >= 97 && c0 <= 102 ? c0 - 87 : -1;
  return digit < 0 ? bucketOf(numbers.id(n), WORD_BUCKETS) : Math.floor((digit * WORD_BUCKETS) / 16);
}

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
   * that are not candidates score at most this and have larger ids): the highest score a song
   * holding only partly read words can reach. 0: every bucket was read; Infinity: an id sits
   * outside its bucket's range (older layout), read them all.
   */
  finalAt: number;
  /** Candidates in buckets not read (songs of whole words): not part of a count scaled from the buckets read. */
  unread: number;
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
 * with the smallest ids (keys.ts bucketOf); `finalAt` says when that page is final. Query words
 * of at most 1/SEARCH_WHOLE_WORD_RATIO of the commonest one's postings are read whole even then: a song of theirs in a bucket
 * not read is a candidate whose bound counts every partly read query word as hit at its best, and
 * a song that none of them holds can score at most the partly read words' best (`finalAt`).
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
    /**
     * A query word is read whole in a partial read when its postings times this are at most the
     * commonest query word's (Infinity: none is). @default SEARCH_WHOLE_WORD_RATIO
     */
    wholeWordRatio?: number;
  } = {},
): Promise<SearchPlan> {
  const reads = 'postings' in nodeOrReads ? nodeOrReads : makeSearchReads(nodeOrReads);
  const matches = await reads.matches(qs);
  // Reading part of the buckets only pays when the words hold many postings: a small read costs
  // less whole than in two rounds.
  const perWord = matches.map((m) => (hint ? [...m.keys()].reduce((k, w) => k + hint(w), 0) : 0));
  const estimate = perWord.reduce((a, b) => a + b, 0);
  const buckets =
    hint && estimate > (opts.partialReadMin ?? SEARCH_PARTIAL_READ_MIN)
      ? Math.min(opts.buckets ?? WORD_BUCKETS, WORD_BUCKETS)
      : WORD_BUCKETS;
  // Partly read: the query words within SEARCH_WHOLE_WORD_RATIO of the commonest (every word when
  // the hint is absent); a word without postings costs nothing whole.
  const ratio = opts.wholeWordRatio ?? SEARCH_WHOLE_WORD_RATIO;
  const commonest = Math.max(...perWord);
  const partial = perWord.map((n) => buckets < WORD_BUCKETS && (!hint || (n > 0 && n * ratio > commonest)));
  const whole = new Set(matches.flatMap((m, i) => (partial[i] ? [] : [...m.keys()])));
  const upTo = (w: string): number => (whole.has(w) ? WORD_BUCKETS : buckets);
  let r = await reads.numbered(wordsOf(matches), upTo);
  // Another search may have made the numbering start over while this one awaited: read again.
  while (r.generation !== reads.numbers.generation) r = await reads.numbered(wordsOf(matches), upTo);
  const numbered = r.lists;
  const songs = reads.numbers.size;
  // Per query word, per song number: the best quality points of a word of that song matching it
  // (0: none). The candidates: every song met, in order of first meeting.
  const seen = new Uint8Array(songs);
  const cands: number[] = [];
  const best = matches.map((m) => {
    const points = new Uint8Array(songs);
    for (const [w, q] of m)
      for (const nums of numbered.get(w)!)
        for (let j = 0; j < nums.length; j++) {
          const n = nums[j]!;
          if (points[n]! < q) points[n] = q;
          if (seen[n]) continue;
          seen[n] = 1;
          cands.push(n);
        }
    return points;
  });
  const top = (m: Map<string, number>) =>
    m.size === 0 ? 0 : 1000 + 10 * Math.max(...m.values()) + MAX_FIELD_WEIGHT;
  const tops = matches.map(top);
  const bounds = new Int32Array(cands.length);
  const anyPartial = partial.includes(true);
  let unread = 0;
  for (let i = 0; i < cands.length; i++) {
    const n = cands[i]!;
    let bound = 0;
    let missed = false;
    for (let k = 0; k < best.length; k++) {
      const q = best[k]![n]!;
      if (q > 0) bound += 1000 + 10 * q + MAX_FIELD_WEIGHT;
      else if (partial[k]) missed = true;
    }
    // A song of a whole word that no partly read word holds may sit in a bucket not read: count
    // those words as hit at their best (a song they hold in a read bucket has points already).
    if (anyPartial && missed && bucketOfNumber(reads.numbers, n) >= buckets) {
      unread++;
      for (let k = 0; k < best.length; k++) if (partial[k] && best[k]![n]! === 0) bound += tops[k]!;
    }
    bounds[i] = bound;
  }
  const finalAt =
    buckets === WORD_BUCKETS
      ? 0
      : reads.misplaced
        ? Infinity
        : tops.reduce((n, t, k) => n + (partial[k] ? t : 0), 0);
  return { ranked: makeRankedNumbers(cands, bounds, reads.numbers.id, reads.numbers.head), finalAt, unread };
}
