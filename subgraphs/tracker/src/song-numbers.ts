/**
 * Dense numbers for song ids, so that a search plan (candidates.ts) works on typed arrays indexed
 * by song instead of maps keyed by 64-character strings: a query of common words touches tens of
 * thousands of postings, and a byte per song per query word costs a fraction of a map entry.
 *
 * A posting list read from the DHT is converted once per list object (read views are immutable:
 * a changed set is a new view with a new array), so a hot posting set is numbered once.
 *
 * Does not: read the DHT (search-reads.ts) or know what a number means beyond its id.
 */

import { headKey } from './ranked-list.js';

/**
 * Ids numbered at most: ~150 B each (map entry + slot; the id strings are shared with the read
 * views), so ~300 MB. Past it, numbering starts over (every list is converted again): a tracker
 * seeing more distinct songs than this pays a conversion per search instead of holding more.
 */
export const MAX_SONG_NUMBERS = 2_000_000;

export interface SongNumbers {
  /** Numbers given so far: every number is below it. */
  readonly size: number;
  /** The id of number `n`. */
  id(n: number): string;
  /** headKey (ranked-list.ts) of the id of number `n`, kept per number: no read of the id string. */
  head(n: number): number;
  /**
   * Numbers `id` ahead of any search (the catalogue does, for every song it learns: a search after
   * a bulk import then only looks numbers up). Ignored once MAX_SONG_NUMBERS are given.
   */
  prime(id: string): void;
  /**
   * `ids` as numbers (given on first sight). Cached per array object: pass immutable arrays only.
   * Numbers of different calls are comparable only while `generation` stays the same.
   */
  ofList(ids: readonly string[]): Int32Array;
  /** Bumped each time numbering starts over (MAX_SONG_NUMBERS). */
  readonly generation: number;
}

export function makeSongNumbers(max = MAX_SONG_NUMBERS): SongNumbers {
  let numbers = new Map<string, number>();
  let ids: string[] = [];
  let heads = new Uint16Array(1024);
  let generation = 0;
  let lists = new WeakMap<readonly string[], Int32Array>();
  const of = (id: string): number => {
    let n = numbers.get(id);
    if (n === undefined) {
      n = ids.length;
      numbers.set(id, n);
      ids.push(id);
      if (n >= heads.length) {
        const grown = new Uint16Array(2 * heads.length);
        grown.set(heads);
        heads = grown;
      }
      heads[n] = headKey(id);
    }
    return n;
  };
  return {
    get size() {
      return ids.length;
    },
    get generation() {
      return generation;
    },
    id: (n) => ids[n]!,
    head: (n) => heads[n]!,
    prime(id) {
      if (ids.length < max) of(id);
    },
    ofList(list) {
      const had = lists.get(list);
      if (had) return had;
      if (ids.length + list.length > max) {
        numbers = new Map();
        ids = [];
        lists = new WeakMap();
        generation++;
      }
      const out = new Int32Array(list.length);
      for (let i = 0; i < list.length; i++) out[i] = of(list[i]!);
      lists.set(list, out);
      return out;
    },
  };
}
