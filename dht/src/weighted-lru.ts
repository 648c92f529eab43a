/**
 * A least-recently-used map bounded by the total weight of its values (members of a set, ids of a
 * filter), not their count: the shard's decoded-set and read-view caches and the tracker's filter
 * walk cache are all this, with their own weights and limits.
 *
 * Does not: expire values or decide what to cache (its users do).
 */
export function makeWeightedLru<V>(maxWeight: number) {
  const map = new Map<string, { value: V; weight: number }>();
  let total = 0;
  const drop = (key: string): void => {
    const cur = map.get(key);
    if (!cur) return;
    map.delete(key);
    total -= cur.weight;
  };
  return {
    /** Is the key cached (no recency change)? */
    has: (key: string): boolean => map.has(key),
    /** The key's value, now the most recently used. */
    get(key: string): V | undefined {
      const cur = map.get(key);
      if (!cur) return undefined;
      map.delete(key);
      map.set(key, cur);
      return cur.value;
    },
    /** Replaces the key's value; one heavier than the whole budget is not kept. Evicts the least recent. */
    set(key: string, value: V, weight: number): void {
      drop(key);
      if (weight > maxWeight) return;
      map.set(key, { value, weight });
      total += weight;
      for (const [k] of map) {
        if (total <= maxWeight) break;
        drop(k);
      }
    },
    delete: drop,
  };
}
