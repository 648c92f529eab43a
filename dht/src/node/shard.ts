/**
 * The local shard: the node's view of its ShardStore. Merges incoming values under a per-key
 * lock (no lost updates between concurrent STOREs), refreshes expiry, keeps the Lamport clock
 * past every stamp it sees, and notifies onLocalChange listeners.
 *
 * Does not: talk to the network, or verify blob hashes of values from peers (parseValue does;
 * local puts hash their own bytes).
 */
import type { KademliaMetrics } from '../api.js';
import { toHex } from '../id.js';
import { valueBytes } from '../store/memory.js';
import type { Id, ShardStore, Stamp, StoredEntry, Value } from '../types.js';
import { maxStampOf, mergeValue, withinSizeCap } from './values.js';

export type LocalChange = { type: 'put' | 'delete'; entry: StoredEntry };

export interface ShardOptions {
  store: ShardStore;
  selfHex: string;
  tExpire: () => number;
  metrics: KademliaMetrics;
  now?: () => number;
}

export type Shard = ReturnType<typeof makeShard>;

export function makeShard(o: ShardOptions) {
  const now = o.now ?? Date.now;
  const locks = new Map<string, Promise<unknown>>();
  const listeners = new Set<(c: LocalChange) => void>();
  let counter = 0;

  function withLock<T>(hex: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(hex) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    locks.set(hex, tail);
    void tail.then(() => {
      if (locks.get(hex) === tail) locks.delete(hex);
    });
    return run;
  }

  function emit(change: LocalChange) {
    for (const l of listeners) {
      try {
        l(change);
      } catch {
        // a listener's failure is its own business
      }
    }
  }

  const clock = {
    /** Advances the Lamport counter past `c`. */
    observe(c: number) {
      if (c > counter) counter = c;
    },
    observeValue(v: Value) {
      clock.observe(maxStampOf(v));
    },
    next(): Stamp {
      counter++;
      return { c: counter, w: o.selfHex };
    },
    get value() {
      return counter;
    },
  };

  async function get(key: Id): Promise<StoredEntry | undefined> {
    const e = await o.store.get(key);
    if (e && e.expiresAt <= now()) return undefined;
    return e;
  }

  /**
   * Merges `value` into the entry for `key` and refreshes its expiry.
   * `publisher` marks the entry as ours to republish (never cleared by a merge).
   * Rejects with a RangeError when the merged set would exceed MAX_SET_VALUE_BYTES.
   */
  async function merge(key: Id, value: Value, publisher = false): Promise<{ changed: boolean; entry: StoredEntry }> {
    clock.observeValue(value);
    const hex = toHex(key);
    return withLock(hex, async () => {
      const cur = await get(key);
      const { value: merged, changed } = mergeValue(cur?.value, value);
      // A set that would outgrow what one frame can carry is refused (the STORE acks false).
      if (changed && !withinSizeCap(merged)) throw new RangeError(`value for ${hex.slice(0, 16)} would exceed the size cap`);
      const entry: StoredEntry = {
        key: cur?.key ?? new Uint8Array(key),
        value: merged,
        expiresAt: now() + o.tExpire(),
        publisher: (cur?.publisher ?? false) || publisher,
        replicatedAt: cur?.replicatedAt ?? 0,
      };
      await o.store.put(entry);
      if (changed) {
        o.metrics.storedBytes?.(valueBytes(merged));
        emit({ type: 'put', entry });
      }
      return { changed, entry };
    });
  }

  async function remove(key: Id): Promise<void> {
    const hex = toHex(key);
    await withLock(hex, async () => {
      const cur = await o.store.get(key);
      if (!cur) return;
      await o.store.delete(key);
      emit({ type: 'delete', entry: cur });
    });
  }

  /** Marks an entry as re-replicated now (without touching its value). */
  async function markReplicated(key: Id, at: number): Promise<void> {
    await withLock(toHex(key), async () => {
      const cur = await o.store.get(key);
      if (cur) await o.store.put({ ...cur, replicatedAt: at });
    });
  }

  /** Deletes expired entries; returns how many. */
  async function expire(): Promise<number> {
    const t = now();
    const dead: Id[] = [];
    for await (const e of o.store.scan()) if (e.expiresAt <= t) dead.push(e.key);
    for (const k of dead) {
      const cur = await o.store.get(k);
      if (cur && cur.expiresAt <= t) await remove(k);
    }
    return dead.length;
  }

  /** Live entries (a snapshot). */
  async function entries(): Promise<StoredEntry[]> {
    const t = now();
    const out: StoredEntry[] = [];
    for await (const e of o.store.scan()) if (e.expiresAt > t) out.push(e);
    return out;
  }

  return {
    clock,
    get,
    merge,
    remove,
    markReplicated,
    expire,
    entries,
    onChange(l: (c: LocalChange) => void): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
