/**
 * The DHT reads of one search (candidates.ts plans with them): the vocabulary words matching each
 * query word, and the posting buckets of words, each bucket read once per search however many
 * plans ask for it. Every set is read local-first (R + W > r quorum with digests, @gotify/dht
 * ReadOptions), in batches (getSetMany).
 *
 * Does not: plan, bound or rank candidates (candidates.ts).
 */
import type { KademliaNode } from '@gotify/dht';
import { bucketOf, memberWord, queryWordKeyNames, searchKey, wordReadKeys } from './keys.js';
import { MAX_KEYS_PER_QUERY_WORD, MAX_WORDS_PER_QUERY_WORD, WORD_BUCKETS } from './limits.js';
import { matchWord, type MatchQuality } from './search.js';
import { makeSongNumbers, type SongNumbers } from './song-numbers.js';

/** Quality points of a verified word match (search.ts QUALITY_POINTS). */
const POINTS: Record<MatchQuality, number> = { exact: 3, prefix: 2, typo: 1 };

/**
 * Per query word: vocabulary words that truly match it with their quality points, best first
 * (quality, then shorter, then alphabetical), at most MAX_WORDS_PER_QUERY_WORD; and whether it
 * had more matches than it keeps.
 */
async function vocabularyMatches(
  node: KademliaNode,
  qs: string[],
): Promise<{ words: Map<string, number>; truncated: boolean }[]> {
  const plan = qs.map((q) => queryWordKeyNames(q).slice(0, MAX_KEYS_PER_QUERY_WORD));
  const values = await node.getSetMany(plan.flat().map(searchKey), { localFirst: true });
  let k = 0;
  return qs.map((q, i) => {
    const found = new Map<string, number>();
    for (let j = 0; j < plan[i]!.length; j++) {
      for (const member of values[k++]!) {
        const w = memberWord(member);
        if (found.has(w)) continue;
        const m = matchWord(q, w);
        if (m) found.set(w, POINTS[m]);
      }
    }
    const best = [...found].sort(
      (a, b) => b[1] - a[1] || a[0].length - b[0].length || (a[0] < b[0] ? -1 : 1),
    );
    return {
      words: new Map(best.slice(0, MAX_WORDS_PER_QUERY_WORD)),
      truncated: best.length > MAX_WORDS_PER_QUERY_WORD,
    };
  });
}

/**
 * The DHT reads of one search, memoised: the vocabulary matches of its words, and the posting
 * buckets read so far, so a search that goes on to more buckets reads only the new ones.
 */
export interface SearchReads {
  matches(qs: string[]): Promise<Map<string, number>[]>;
  /**
   * Per query word, every vocabulary word matching it with its quality points, or undefined when
   * the word had more matches than `matches` keeps: what lets a scorer skip the edit distance
   * (search.ts makeScorer `known`).
   */
  known(qs: string[]): Promise<(Map<string, number> | undefined)[]>;
  /** Song ids of each word in buckets [0, upTo), each bucket read once. */
  postings(ws: string[], upTo?: number): Promise<Map<string, string[]>>;
  /**
   * The same reads, per word one list of song numbers per bucket (`numbers`), all of one
   * numbering `generation` (compare it with numbers.generation before using them after an await).
   */
  numbered(ws: string[], upTo?: number): Promise<{ lists: Map<string, Int32Array[]>; generation: number }>;
  /** The numbering `numbered` uses. */
  readonly numbers: SongNumbers;
  /** Some id read so far sits in a bucket other than its own (bucketOf): data from an older key layout. */
  readonly misplaced: boolean;
}

/** Posting lists already checked for ids outside their bucket (lists are immutable read views). */
const checked = new WeakMap<readonly string[], boolean>();
function isMisplaced(ids: readonly string[], bucket: number): boolean {
  let bad = checked.get(ids);
  if (bad === undefined) {
    bad = ids.some((id) => bucketOf(id, WORD_BUCKETS) !== bucket);
    checked.set(ids, bad);
  }
  return bad;
}

export function makeSearchReads(
  node: KademliaNode,
  /** The tracker's song numbering, shared by its searches. @default a new one */
  numbers: SongNumbers = makeSongNumbers(),
): SearchReads {
  const matched = new Map<string, ReturnType<typeof vocabularyMatches>>();
  const vocabulary = (qs: string[]) => {
    const k = qs.join('\u0000');
    let m = matched.get(k);
    if (!m) matched.set(k, (m = vocabularyMatches(node, qs)));
    return m;
  };
  const read = new Map<string, string[][]>();
  let misplaced = false;
  /** Reads the posting buckets [have, upTo) of each word not read yet. */
  async function load(ws: string[], upTo: number): Promise<void> {
    const wanted: { w: string; b: number; key: Uint8Array }[] = [];
    for (const w of ws) {
      const have = read.get(w)?.length ?? 0;
      wordReadKeys(w, have, Math.max(have, upTo)).forEach((key, i) => wanted.push({ w, b: have + i, key }));
    }
    if (wanted.length === 0) return;
    const values = await node.getSetMany(
      wanted.map((x) => x.key),
      { localFirst: true },
    );
    wanted.forEach(({ w, b }, i) => {
      const ids = values[i]!;
      if (isMisplaced(ids, b)) misplaced = true;
      let l = read.get(w);
      if (!l) read.set(w, (l = []));
      l[b] = ids;
    });
  }
  return {
    matches: async (qs) => (await vocabulary(qs)).map((m) => m.words),
    known: async (qs) => (await vocabulary(qs)).map((m) => (m.truncated ? undefined : m.words)),
    postings: async (ws, upTo = WORD_BUCKETS) => {
      await load(ws, upTo);
      const out = new Map<string, string[]>();
      for (const w of ws) out.set(w, read.get(w)!.slice(0, upTo).flat());
      return out;
    },
    numbered: async (ws, upTo = WORD_BUCKETS) => {
      await load(ws, upTo);
      for (;;) {
        const generation = numbers.generation;
        const lists = new Map<string, Int32Array[]>();
        for (const w of ws) lists.set(w, read.get(w)!.slice(0, upTo).map(numbers.ofList));
        // Numbering started over midway: the lists converted before are of the old numbers.
        if (numbers.generation === generation) return { lists, generation };
      }
    },
    numbers,
    get misplaced() {
      return misplaced;
    },
  };
}
