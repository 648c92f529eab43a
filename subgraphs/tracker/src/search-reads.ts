/**
 * The DHT reads of one search (candidates.ts plans with them): the vocabulary words matching each
 * query word, and the posting buckets of words, each bucket read once per search however many
 * plans ask for it. Every set is read local-first (R + W > r quorum with digests, @gotify/dht
 * ReadOptions), in batches (getSetMany).
 *
 * Does not: plan, bound or rank candidates (candidates.ts).
 */
import type { KademliaNode } from '@gotify/dht';
import { bucketOf, queryWordKeyNames, searchKey, wordReadKeys } from './keys.js';
import { MAX_KEYS_PER_QUERY_WORD, MAX_WORDS_PER_QUERY_WORD, WORD_BUCKETS } from './limits.js';
import { matchWord, type MatchQuality } from './search.js';

/** Quality points of a verified word match (search.ts QUALITY_POINTS). */
const POINTS: Record<MatchQuality, number> = { exact: 3, prefix: 2, typo: 1 };

/**
 * Per query word: vocabulary words that truly match it with their quality points, best first
 * (quality, then shorter, then alphabetical), at most MAX_WORDS_PER_QUERY_WORD.
 */
export async function matchingWords(node: KademliaNode, qs: string[]): Promise<Map<string, number>[]> {
  const plan = qs.map((q) => queryWordKeyNames(q).slice(0, MAX_KEYS_PER_QUERY_WORD));
  const values = await node.getSetMany(plan.flat().map(searchKey), { localFirst: true });
  let k = 0;
  return qs.map((q, i) => {
    const found = new Map<string, number>();
    for (let j = 0; j < plan[i]!.length; j++) {
      for (const w of values[k++]!) {
        if (found.has(w)) continue;
        const m = matchWord(q, w);
        if (m) found.set(w, POINTS[m]);
      }
    }
    const best = [...found].sort(
      (a, b) => b[1] - a[1] || a[0].length - b[0].length || (a[0] < b[0] ? -1 : 1),
    );
    return new Map(best.slice(0, MAX_WORDS_PER_QUERY_WORD));
  });
}

/**
 * The DHT reads of one search, memoised: the vocabulary matches of its words, and the posting
 * buckets read so far, so a search that goes on to more buckets reads only the new ones.
 */
export interface SearchReads {
  matches(qs: string[]): Promise<Map<string, number>[]>;
  /** Song ids of each word in buckets [0, upTo), each bucket read once. */
  postings(ws: string[], upTo?: number): Promise<Map<string, string[]>>;
  /** Some id read so far sits in a bucket other than its own (bucketOf): data from an older key layout. */
  readonly misplaced: boolean;
}

export function makeSearchReads(node: KademliaNode): SearchReads {
  const matched = new Map<string, Promise<Map<string, number>[]>>();
  const read = new Map<string, string[][]>();
  let misplaced = false;
  return {
    matches(qs) {
      const k = qs.join('\u0000');
      let m = matched.get(k);
      if (!m) matched.set(k, (m = matchingWords(node, qs)));
      return m;
    },
    async postings(ws, upTo = WORD_BUCKETS) {
      const wanted: { w: string; b: number; key: Uint8Array }[] = [];
      for (const w of ws) {
        const have = read.get(w)?.length ?? 0;
        wordReadKeys(w, have, Math.max(have, upTo)).forEach((key, i) => wanted.push({ w, b: have + i, key }));
      }
      if (wanted.length > 0) {
        const values = await node.getSetMany(
          wanted.map((x) => x.key),
          { localFirst: true },
        );
        wanted.forEach(({ w, b }, i) => {
          const ids = values[i]!;
          for (const id of ids) if (bucketOf(id, WORD_BUCKETS) !== b) misplaced = true;
          let l = read.get(w);
          if (!l) read.set(w, (l = []));
          l[b] = ids;
        });
      }
      const out = new Map<string, string[]>();
      for (const w of ws) out.set(w, read.get(w)!.slice(0, upTo).flat());
      return out;
    },
    get misplaced() {
      return misplaced;
    },
  };
}
