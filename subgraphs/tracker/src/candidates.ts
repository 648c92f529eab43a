/**
 * Search candidates from the posting sets alone, ranked by an upper bound of their score, so that
 * only the best few records need fetching and verifying (reads.ts).
 *
 * Per query word q, the keys of queryWordKeyNames(q) say how well a song can match at best:
 * `sym:q` holds every exact match (quality ≤ exact), `pre:q[0..6]` every prefix match (≤ prefix),
 * the deletion keys only typos (≤ typo). With the best field weight, a candidate's score is at
 * most `1000 × words hit + Σ (10 × best quality + 4)` (search.ts scoreSong), so verifying in
 * descending bound order can stop once the page is full of verified scores no remaining bound
 * beats. Postings are read local-first (R + W > r quorum with digests, @gotify/dht ReadOptions).
 *
 * Does not: fetch records or compute real scores (reads.ts, search.ts).
 */
import type { KademliaNode, SetValue } from '@gotify/dht';
import { queryWordKeyNames, searchKey } from './keys.js';
import { DHT_CONCURRENCY, MAX_KEYS_PER_QUERY_WORD, MAX_SEEDING_SET } from './limits.js';
import { mapPool } from './pool.js';
import { FIELD_WEIGHTS } from './search.js';

export interface Candidate {
  id: string;
  /** Upper bound of scoreSong for this song. */
  bound: number;
}

const MAX_FIELD_WEIGHT = Math.max(...Object.values(FIELD_WEIGHTS));
/** Upper bound of the quality points a key kind can prove (search.ts QUALITY_POINTS). */
const EXACT = 3;
const PREFIX = 2;
const TYPO = 1;

const present = (s: SetValue['members'][string]): boolean =>
  !!s.add && (!s.del || s.add.c > s.del.c || (s.add.c === s.del.c && s.add.w > s.del.w));

/** Per query word: id → best quality any of its keys proves (an upper bound). */
async function wordHits(node: KademliaNode, qs: string[]): Promise<Map<string, number>[]> {
  const plan = qs.map((q) => queryWordKeyNames(q).slice(0, MAX_KEYS_PER_QUERY_WORD).map((n) => ({ n, q: n === `sym:${q}` ? EXACT : n.startsWith('pre:') ? PREFIX : TYPO })));
  const flat = plan.flat();
  const values = await mapPool(flat, DHT_CONCURRENCY, ({ n }) => node.getSetValue(searchKey(n), { localFirst: true }));
  const out: Map<string, number>[] = [];
  let k = 0;
  for (const keys of plan) {
    const hits = new Map<string, number>();
    for (const { q } of keys) {
      const v = values[k++];
      if (!v) continue;
      for (const id in v.members) {
        if (!present(v.members[id]!)) continue;
        const cur = hits.get(id);
        if (cur === undefined || cur < q) hits.set(id, q);
      }
    }
    out.push(hits);
  }
  return out;
}

/**
 * Candidates in descending bound order (ties by id, the order of the final ranking). When some
 * query word is selective (at most MAX_SEEDING_SET candidates), words with more candidates only
 * add to candidates that a selective word seeded: this bounds the work of common words ("love"),
 * at the price of dropping songs that match only common words of such a query (they usually rank
 * below the songs matching the selective word; a query of only common words drops nothing).
 */
export async function rankedCandidates(node: KademliaNode, qs: string[]): Promise<{ ranked: Candidate[]; seeded: number }> {
  const hits = await wordHits(node, qs);
  const anySelective = hits.some((h) => h.size <= MAX_SEEDING_SET);
  const acc = new Map<string, { words: number; points: number }>();
  const order = [...hits].sort((a, b) => a.size - b.size);
  for (const h of order) {
    const seeds = !anySelective || h.size <= MAX_SEEDING_SET;
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
  const ranked: Candidate[] = [];
  for (const [id, a] of acc) ranked.push({ id, bound: 1000 * a.words + a.points });
  ranked.sort((a, b) => b.bound - a.bound || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ranked, seeded: acc.size };
}
