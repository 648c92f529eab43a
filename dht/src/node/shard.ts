/**
 * The local shard: the node's view of its ShardStore. Mutations (merge, remove, markReplicated)
 * are queued and applied in batches by one flusher — a group commit: every key touched by a batch
 * is merged in memory (all its deltas), then written once, all in ONE store transaction
 * (`putMany`). One flusher at a time means no lost updates between concurrent STOREs without
 * per-key locks. Expiry is refreshed on every merge (the write is skipped for an unchanged value
 * refreshed recently). Big sets stay decoded in an LRU (shard-batch.ts). Keeps the Lamport clock
 * past every stamp it sees, and notifies onLocalChange listeners once per key and batch.
 *
 * Does not: talk to the network, or verify blob hashes of values from peers (parseValue does;
 * local puts hash their own bytes).
 */
import type { KademliaMetrics } from '../api.js';
import { toHex } from '../id.js';
import { valueBytes } from '../store/memory.js';
import type { Id, ShardStore, Stamp, StoredEntry, Value } from '../types.js';
import { WRITER_ID_HEX_CHARS } from './options.js';
import { applyMerge, makeSetCache, makeWork, type Work } from './shard-batch.js';
import { maxStampOf } from './values.js';

export type LocalChange = { type: 'put' | 'delete'; entry: StoredEntry };

export interface ShardOptions {
  store: ShardStore;
  selfHex: string;
  tExpire: () => number;
  metrics: KademliaMetrics;
  now?: () => number;
}

export type Shard = ReturnType<typeof makeShard>;

/**
 * An unchanged value is not rewritten just to refresh its expiry when the stored expiry is within
 * this fraction of tExpire of the new one (~29 min of 48 h): re-replication and repeated adds of
 * big sets would otherwise re-encode them on every touch, and expiry only needs hour precision.
 */
const EXPIRY_REFRESH_SLACK = 0.01;

type Op =
  | {
      t: 'merge';
      key: Id;
      value: Value;
      publisher: boolean;
      done: (r: { changed: boolean; entry: StoredEntry }) => void;
      fail: (e: unknown) => void;
    }
  | { t: 'remove'; key: Id; done: () => void; fail: (e: unknown) => void }
  | { t: 'mark'; key: Id; at: number; done: () => void; fail: (e: unknown) => void };

export function makeShard(o: ShardOptions) {
  const now = o.now ?? Date.now;
  const listeners = new Set<(c: LocalChange) => void>();
  const cache = makeSetCache();
  const writerId = o.selfHex.slice(0, WRITER_ID_HEX_CHARS);
  let counter = 0;
  let queue: Op[] = [];
  let scheduled = false;

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
      return { c: counter, w: writerId };
    },
    get value() {
      return counter;
    },
  };

  /** The stored entry, expired or not (cache first). */
  async function load(key: Id, hex: string): Promise<StoredEntry | undefined> {
    const hit = cache.get(hex);
    if (hit) return hit;
    const e = await o.store.get(key);
    cache.set(hex, e);
    return e;
  }

  async function get(key: Id): Promise<StoredEntry | undefined> {
    const e = await load(key, toHex(key));
    if (e && e.expiresAt <= now()) return undefined;
    return e;
  }

  function enqueue(op: Op): void {
    queue.push(op);
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flushLoop());
  }

  let flushing = false;
  async function flushLoop(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length > 0) {
        scheduled = false;
        const batch = queue;
        queue = [];
        await flush(batch);
      }
    } finally {
      flushing = false;
      scheduled = false;
      if (queue.length > 0) {
        scheduled = true;
        setImmediate(() => void flushLoop());
      }
    }
  }

  /** Applies one batch: load each key once, apply its ops in order, persist once, then answer. */
  async function flush(batch: Op[]): Promise<void> {
    const t = now();
    const works = new Map<string, Work>();
    const results: (() => void)[] = [];
    const deletes: LocalChange[] = [];
    try {
      const keys = new Map<string, Id>();
      for (const op of batch) keys.set(toHex(op.key), op.key);
      await Promise.all(
        [...keys].map(async ([hex, key]) => {
          const raw = await load(key, hex);
          // An expired entry counts as absent for merges (as if already expired away), but a remove still deletes it.
          const w = makeWork(key, raw && raw.expiresAt > t ? raw : undefined);
          w.expired = raw && raw.expiresAt <= t ? raw : undefined;
          works.set(hex, w);
        }),
      );
    } catch (err) {
      for (const op of batch) op.fail(err);
      return;
    }
    const expiry = t + o.tExpire();
    const slack = o.tExpire() * EXPIRY_REFRESH_SLACK;
    for (const op of batch) {
      const w = works.get(toHex(op.key))!;
      switch (op.t) {
        case 'merge': {
          const r = applyMerge(w, op.value);
          if (r === 'too-large') {
            // A set that would outgrow what one frame can carry is refused (the STORE acks false).
            results.push(() =>
              op.fail(new RangeError(`value for ${w.hex.slice(0, 16)} would exceed the size cap`)),
            );
            break;
          }
          if (r === 'changed') w.changed = true;
          if (op.publisher && !w.publisher) w.publisher = true;
          w.dirty ||=
            r === 'changed' ||
            w.publisher !== (w.cur?.publisher ?? false) ||
            !w.cur ||
            w.cur.expiresAt < expiry - slack;
          w.removed = false;
          results.push(() => op.done({ changed: r === 'changed', entry: finalEntry(w, expiry) }));
          break;
        }
        case 'remove': {
          if (w.value || w.expired) {
            deletes.push({ type: 'delete', entry: w.value ? finalEntry(w, expiry) : w.expired! });
            w.expired = undefined;
            w.value = undefined;
            w.removed = true;
            w.changed = false;
            w.dirty = false;
            w.publisher = false;
            w.replicatedAt = 0;
          }
          results.push(() => op.done());
          break;
        }
        case 'mark': {
          if (w.value) {
            w.replicatedAt = op.at;
            w.dirty = true;
          }
          results.push(() => op.done());
          break;
        }
        default: {
          const never: never = op;
          return never;
        }
      }
    }
    const puts: StoredEntry[] = [];
    try {
      for (const w of works.values()) {
        if (w.removed && !w.value) {
          await o.store.delete(w.key);
          cache.delete(w.hex);
          continue;
        }
        if (!w.dirty || !w.value) continue;
        const e = finalEntry(w, expiry);
        puts.push(e);
        cache.set(w.hex, e);
      }
      if (o.store.putMany) await o.store.putMany(puts);
      else for (const e of puts) await o.store.put(e);
    } catch (err) {
      for (const w of works.values()) cache.delete(w.hex);
      for (const op of batch) op.fail(err);
      return;
    }
    for (const r of results) r();
    for (const d of deletes) emit(d);
    for (const w of works.values()) {
      if (!w.changed || !w.value) continue;
      o.metrics.storedBytes?.(valueBytes(w.value));
      emit({ type: 'put', entry: finalEntry(w, expiry) });
    }
  }

  /** The entry a work item ends the batch with (memoised per work, so every op sees one object). */
  const finals = new WeakMap<Work, StoredEntry>();
  function finalEntry(w: Work, expiry: number): StoredEntry {
    const had = finals.get(w);
    if (had && had.value === w.value && had.publisher === w.publisher && had.replicatedAt === w.replicatedAt)
      return had;
    const e: StoredEntry = {
      key: w.key,
      value: w.value!,
      expiresAt: w.dirty || !w.cur ? expiry : w.cur.expiresAt,
      publisher: w.publisher,
      replicatedAt: w.replicatedAt,
    };
    finals.set(w, e);
    return e;
  }

  /**
   * Merges `value` into the entry for `key` and refreshes its expiry.
   * `publisher` marks the entry as ours to republish (never cleared by a merge).
   * Rejects with a RangeError when the merged set would exceed MAX_SET_VALUE_BYTES.
   */
  function merge(
    key: Id,
    value: Value,
    publisher = false,
  ): Promise<{ changed: boolean; entry: StoredEntry }> {
    clock.observeValue(value);
    return new Promise((done, fail) => enqueue({ t: 'merge', key, value, publisher, done, fail }));
  }

  function remove(key: Id): Promise<void> {
    return new Promise((done, fail) => enqueue({ t: 'remove', key, done, fail }));
  }

  /** Marks an entry as re-replicated now (without touching its value). */
  function markReplicated(key: Id, at: number): Promise<void> {
    return new Promise((done, fail) => enqueue({ t: 'mark', key, at, done, fail }));
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

  /** Resolves once every queued mutation is applied (stop() calls it before closing the store). */
  async function drain(): Promise<void> {
    while (queue.length > 0 || flushing) await new Promise((r) => setImmediate(r));
  }

  return {
    clock,
    drain,
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
