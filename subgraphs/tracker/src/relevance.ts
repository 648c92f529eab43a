/**
 * First page of a relevance search: verify only what can make the page. Candidates come in
 * descending order of an upper bound of their score (candidates.ts); their records are fetched
 * and scored in chunks of SEARCH_VERIFY_CHUNK until `first + 1` verified rows beat every remaining
 * bound (ties by id): the same rows as verifying every candidate. totalCount is exact when every
 * candidate got verified, else verified matches + unverified candidates (an upper estimate).
 *
 * Does not: find candidates (candidates.ts), fetch records (the caller's `entries`), or build
 * cursors and edges (reads.ts).
 */
import type { CatalogueEntry } from './catalogue.js';
import type { RankedList } from './ranked-list.js';
import { SEARCH_VERIFY_CHUNK } from './limits.js';
import { makeScorer } from './search.js';
import { keepFirst } from './first-in-order.js';

export interface ScoredRow {
  e: CatalogueEntry;
  score: number;
}

/** Score descending, then id ascending: the order of relevance pages and their cursors. */
export const compareScored = (a: ScoredRow, b: ScoredRow): number =>
  b.score - a.score || (a.e.song.id < b.e.song.id ? -1 : a.e.song.id > b.e.song.id ? 1 : 0);

/**
 * Scores candidates of one search, remembering each id's result (its row, or null: no match or no
 * record), so the search's later plans (more posting buckets, reads.ts) re-verify nothing.
 */
export function makeVerifier(
  qs: string[],
  entries: (ids: string[]) => Promise<CatalogueEntry[]>,
  /** The query words' verified vocabulary matches (makeScorer `known`). @default none */
  known?: readonly (ReadonlyMap<string, number> | undefined)[],
): (ids: string[]) => Promise<ScoredRow[]> {
  const score = makeScorer(qs, known);
  const seen = new Map<string, ScoredRow | null>();
  return async (ids) => {
    const out: ScoredRow[] = [];
    const fetch: string[] = [];
    for (const id of ids) {
      const r = seen.get(id);
      if (r === undefined) fetch.push(id);
      else if (r) out.push(r);
    }
    if (fetch.length === 0) return out;
    for (const e of await entries(fetch)) {
      const s = score(e.terms);
      const row = s > 0 ? { e, score: s } : null;
      seen.set(e.song.id, row);
      if (row) out.push(row);
    }
    for (const id of fetch) if (!seen.has(id)) seen.set(id, null);
    return out;
  };
}

/**
 * The best `first + 1` verified rows of `ranked` (bound order) and the page's totalCount.
 * `chunk`: candidates verified per step at most; steps start at twice the rows needed and double
 * (a page is usually decided by its first few dozen candidates: scoring 200 up front cost ~1 ms a
 * plan). @default SEARCH_VERIFY_CHUNK
 * `verify`: the search's verifier, shared by its plans (makeVerifier). @default makeVerifier(qs, entries)
 */
export async function verifyFirstPage(
  qs: string[],
  ranked: RankedList,
  first: number,
  entries: (ids: string[]) => Promise<CatalogueEntry[]>,
  chunk = SEARCH_VERIFY_CHUNK,
  verify = makeVerifier(qs, entries),
): Promise<{ rows: ScoredRow[]; totalCount: number }> {
  const need = first + 1;
  // The best `need` rows so far, in order: a query of common words may verify thousands of
  // candidates, and re-sorting all of them after every chunk would cost more than scoring them.
  const top: ScoredRow[] = [];
  let matched = 0;
  let next = 0;
  let step = Math.min(chunk, 2 * need);
  while (next < ranked.length) {
    // Not past the current bound group: the stop test below may end the search there, and
    // slicing into the next group would sort its first parts (a common word's 68,000 candidates)
    // for nothing.
    const ids = ranked.slice(next, Math.min(next + step, ranked.groupEnd(next))).map((c) => c.id);
    next += ids.length;
    step = Math.min(chunk, 2 * step);
    for (const row of await verify(ids)) {
      matched++;
      keepFirst(top, row, need, compareScored);
    }
    const kth = top[need - 1];
    const nextBound = ranked.boundAt(next);
    if (nextBound === undefined || !kth) continue;
    // The next candidate's id only on a tie: reaching it may sort its whole bound group (a common
    // word's 68,000 candidates, ~2-4 ms) when its bound alone already says the page is decided.
    if (kth.score > nextBound || (kth.score === nextBound && kth.e.song.id < ranked.at(next)!.id)) break;
  }
  return { rows: top, totalCount: matched + (ranked.length - next) };
}
