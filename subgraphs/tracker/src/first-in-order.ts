/**
 * The first `k` items of a list in a given order, without sorting the whole list: a page of 21
 * rows out of a filter's 563 verified songs. Most items are compared once, with the last row
 * kept so far; only those that beat it are inserted (binary search). Same rows, in the same
 * order, as `[...items].sort(compare).slice(0, k)` for a total order.
 *
 * `keepFirst` is the same step for rows that arrive a few at a time (relevance.ts verifies a
 * search's candidates in chunks).
 *
 * Does not: decide what the order is (reads.ts: positions or scores), or page after a cursor (the
 * caller drops the items before it first).
 */

/**
 * Below this ratio of items to `k`, sorting the whole list costs about as much as the selection's
 * bookkeeping: the list is sorted and cut.
 */
const SELECT_MIN_RATIO = 4;

/**
 * Puts `x` into `kept` (the first items so far, in `compare`'s order) when it belongs among the
 * first `k`, dropping the one it pushes out: one comparison when it does not.
 */
export function keepFirst<T>(kept: T[], x: T, k: number, compare: (a: T, b: T) => number): void {
  if (k <= 0 || (kept.length >= k && compare(x, kept[k - 1]!) >= 0)) return;
  let lo = 0;
  let hi = kept.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(kept[mid]!, x) <= 0) lo = mid + 1;
    else hi = mid;
  }
  kept.splice(lo, 0, x);
  if (kept.length > k) kept.pop();
}

/** The first `k` items of `items` in `compare`'s order (a total order: ties are never equal). */
export function firstInOrder<T>(items: readonly T[], k: number, compare: (a: T, b: T) => number): T[] {
  if (k <= 0) return [];
  if (items.length <= k * SELECT_MIN_RATIO) return [...items].sort(compare).slice(0, k);
  const kept: T[] = [];
  for (const x of items) keepFirst(kept, x, k, compare);
  return kept;
}
