/**
 * The local shard: the node's view of its ShardStore. Mutations (merge, remove, markReplicated)
 * are queued and applied in batches by one flusher — a group commit: every key touched by a batch
 * is merged in memory (all its deltas), then written once, all in ONE store transaction
 * (`putMany`). One flusher at a time means no lost updates between concurrent STOREs without
 * per-key locks. Expiry is refreshed on every merge (the write is skipped for an unchanged value
 * refreshed recently); a set is written as its changed members only (`EntryWrite.changedMembers`).
 * Big sets stay decoded in an LRU (shard-batch.ts). Keeps the Lamport clock
 * past every stamp it sees, and notifies onLocalChange listeners once per key and batch.
 *
 * Does not: talk to the network, or verify blob hashes of values from peers (parseValue does;
 * local puts hash their own bytes).
 */
import type { KademliaMetrics } from '../api.js';
import { nextTurn } from '../concurrency.js';
import { toHex } from '../id.js';
import type {
  EntryMeta,
  EntryWrite,
  Id,
  SetSlice,
  SetValue,
  ShardStore,
  Stamp,
  StoredEntry,
  Value,
} from '../types.js';
import { newMembers } from '../types.js';
import { WRITER_ID_HEX_CHARS } from './options.js';
import {
  applyMerge,
  applySliceMerge,
  makeSetCache,
  makeReadFence,
  makeViewCache,
  makeSliceWork,
  makeWork,
  setWireBytes,
  sliceOf,
  type Work,
} from './shard-batch.js';
import { makeViewBuilder, setDigest, viewOfValue, type SetView } from './set-view.js';
import { makeViewWarmer, VIEW_WARM_MAX_SETS } from './view-warmer.js';
import { lostTo, maxStampOf } from './values.js';

export type LocalChange = { type: 'put' | 'delete'; entry: StoredEntry };

/** One key of a batch, before its work item is loaded: the set deltas' members when every op merges a set. */
interface KeyLoad {
  key: Id;
  hex: string;
  setsOnly: boolean;
  /** The first op's set delta (its members are the names to read when no other delta touches the key). */
  first: SetValue | undefined;
  /** Members of every delta, collected once a second delta touches the key. */
  more: Set<string> | undefined;
  /** Every op of the key marks it replicated: written with `store.markReplicated`, never loaded. */
  marksOnly: boolean;
}

/**
 * What a merge reports: whether the stored value changed, and the counter of a stamp held here
 * that beats the value (a newer record version, or a remove beating a set add: values.ts lostTo; 0: none).
 */
export interface MergeResult {
  changed: boolean;
  lost: number;
}

export interface ShardOptions {
  store: ShardStore;
  selfHex: string;
  tExpire: () => number;
  metrics: KademliaMetrics;
  now?: () => number;
  /** KademliaNodeOptions.onViewWarmed. @default none */
  onViewWarmed?: (members: readonly string[]) => void;
}

export type Shard = ReturnType<typeof makeShard>;

/**
 * An unchanged value is not rewritten just to refresh its expiry when the stored expiry is within
 * this fraction of tExpire of the new one (~29 min of 48 h): re-replication and repeated adds of
 * big sets would otherwise re-encode them on every touch, and expiry only needs hour precision.
 */
const EXPIRY_REFRESH_SLACK = 0.01;
/**
 * A set's stored wire size (the size cap's input) is rewritten once it lags the tracked one by
 * this much: 64 KiB is 3% of MAX_SET_VALUE_BYTES, and a restart forgets at most that per set.
 */
const SET_BYTES_PERSIST_SLACK = 64 * 1024;
/**
 * Ops per flush at most. A flush holds the event loop from its first read to its commit, and an
 * import queues ops faster than a flush takes them: at 20,000 songs uncapped batches averaged
 * ~6,100 ops and ~340 ms each (measured), longer at 100,000. Smaller batches amortise less: a cap
 * of 2,048 cost ~10% of the import's throughput at 20,000 songs, 4,096 and 8,192 nothing measurable
 * (709 and 698 songs/s; 689 uncapped). A flush that turned the event loop between slices of 2,048
 * reads and writes cut its tracker's worst event-loop delay in the 20,000-song bench from ~1.0–1.3 s
 * to 0.59–0.87 s in three of four runs, but cost 25% of the import's throughput (30,000 songs,
 * alternating runs: 357 and 346 songs/s against 483 and 439), slicing only the reads (and a turn
 * before the answers) ~12% (430 and 381): not kept (session 8).
 */
export const MAX_FLUSH_OPS = 4096;
/**
 * Entries a maintenance walk hands over at once (`walkMeta`): one FIND_VALUES and at most one
 * STORE batch per replica per step, and at most 500 values in memory (posting sets average a few
 * hundred KiB of values; 500 peer chunks, 125 MiB, only when a replica lacks them all).
 */
export const MAINTENANCE_BATCH = 500;
/** Metadata rows between event-loop turns in a walk: ~1 ms of reading each. */
const META_WALK_TURN = 1_000;
/** Sets whose wire size is tracked in memory (~120 B each); beyond, slices always write their row. */
const MAX_TRACKED_SETS = 1_000_000;

/** One value to merge (`mergeMany`). */
export interface MergeItem {
  key: Id;
  /** `key` as lowercase hex, when the caller has it (a STORE item): saves re-encoding it. @default toHex(key) */
  hex?: string;
  value: Value;
  /** Marks the entry as ours to republish (never cleared by a merge). @default false */
  publisher?: boolean;
}

/**
 * Where merge outcomes go: one per `merge` call or `mergeMany` batch (one promise per batch, not
 * per item: a STORE of 2,000 postings would otherwise make 2,000 promises and closures).
 */
interface MergeSink {
  out: (MergeResult | RangeError)[];
  left: number;
  done: (out: (MergeResult | RangeError)[]) => void;
  fail: (e: unknown) => void;
  failed: boolean;
}

interface MergeOp {
  t: 'merge';
  key: Id;
  hex: string | undefined;
  value: Value;
  publisher: boolean;
  sink: MergeSink;
  i: number;
  /** Set by the flush: what the merge did, and the key's work item (to answer `lost` after the commit). */
  outcome?: 'changed' | 'same' | 'too-large';
  work?: Work;
}

type Op =
  | MergeOp
  | { t: 'remove'; key: Id; done: () => void; fail: (e: unknown) => void }
  | { t: 'mark'; key: Id; at: number; done: () => void; fail: (e: unknown) => void };

export function makeShard(o: ShardOptions) {
  const now = o.now ?? Date.now;
  const listeners = new Set<(c: LocalChange) => void>();
  const cache = makeSetCache();
  const views = makeViewCache();
  const reads = makeReadFence();
  const warmer = makeViewWarmer({
    cached: (hex) => views.has(hex),
    build: async (key) => {
      const v = await view(key);
      if (v && o.onViewWarmed) o.onViewWarmed(v.members);
    },
  });
  /** The store keeps set members as rows (getSetMembers + putMany): only then are slices read and written. */
  const rowStore = !!o.store.getSetMembers && !!o.store.putMany;
  /** Latest wire size of sets written as slices (their stored row may lag: SET_BYTES_PERSIST_SLACK). */
  const tracked = new Map<string, number>();
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
    const start = reads.begin();
    try {
      const e = await o.store.get(key);
      if (reads.end(hex, start)) cache.set(hex, e);
      return e;
    } catch (err) {
      reads.end(hex, start);
      throw err;
    }
  }

  /** A live entry's metadata, its value unread when the store can (`getMeta`): a held blob, say. */
  async function meta(key: Id): Promise<EntryMeta | undefined> {
    const hex = toHex(key);
    let e: StoredEntry | EntryMeta | undefined = cache.get(hex);
    if (!e) e = o.store.getMeta ? await o.store.getMeta(key) : await load(key, hex);
    if (!e || e.expiresAt <= now()) return undefined;
    if (!('value' in e)) return e;
    const { value, ...m } = e;
    return { ...m, kind: value.kind };
  }

  /**
   * The digest of a live set (set-view.ts) from its cached view or decoded copy, else from its rows.
   * Not cached: a maintenance walk over every set would evict the views that queries use.
   * undefined when the key holds no live set.
   */
  async function setDigestOf(key: Id): Promise<string | undefined> {
    const hex = toHex(key);
    const t = now();
    const v = views.get(hex, t);
    if (v) return v.digest;
    const dec = cache.get(hex) ?? (o.store.scanSet ? undefined : await o.store.get(key));
    if (dec) return dec.value.kind === 'set' && dec.expiresAt > t ? setDigest(dec.value) : undefined;
    const b = makeViewBuilder();
    const r = await o.store.scanSet!(key, b.row);
    return r && r !== 'not-a-set' && r.expiresAt > t ? b.view().digest : undefined;
  }

  /**
   * The read view of a live set (digest + present members: set-view.ts), cached; undefined when the
   * key holds no live set. Built from the store's rows when it can (`scanSet`), so a cold set is
   * neither decoded into objects nor kept twice.
   */
  async function view(key: Id): Promise<SetView | undefined> {
    const hex = toHex(key);
    const t = now();
    const hit = views.get(hex, t);
    if (hit) return hit;
    const start = reads.begin();
    let built: { view: SetView; expiresAt: number } | undefined;
    try {
      const dec = cache.get(hex);
      if (dec || !o.store.scanSet) {
        const e = dec ?? (await load(key, hex));
        if (e?.value.kind === 'set' && e.expiresAt > t)
          built = { view: viewOfValue(e.value), expiresAt: e.expiresAt };
      } else {
        const b = makeViewBuilder();
        const r = await o.store.scanSet(key, b.row);
        if (r && r !== 'not-a-set' && r.expiresAt > t) built = { view: b.view(), expiresAt: r.expiresAt };
      }
    } finally {
      if (reads.end(hex, start) && built) views.set(hex, built.view, built.expiresAt);
    }
    return built?.view;
  }

  async function get(key: Id): Promise<StoredEntry | undefined> {
    const e = await load(key, toHex(key));
    if (e && e.expiresAt <= now()) return undefined;
    return e;
  }

  function enqueue(op: Op): void {
    queue.push(op);
    schedule();
  }
  function schedule(): void {
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
        const batch = queue.length > MAX_FLUSH_OPS ? queue.splice(0, MAX_FLUSH_OPS) : queue;
        if (batch === queue) queue = [];
        await flush(batch);
        // Requests (reads, more STOREs) run between batches: a flush itself never yields (turns
        // inside a flush cost 12-25% of the import's throughput: see MAX_FLUSH_OPS).
        if (queue.length > 0) await nextTurn();
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
    // Once per op: hex keys key every map below.
    const hexes = batch.map((op) => (op.t === 'merge' && op.hex) || toHex(op.key));
    const works = new Map<string, Work>();
    const results: (() => void)[] = [];
    const merges: MergeOp[] = [];
    const deletes: LocalChange[] = [];
    try {
      const keys = new Map<string, KeyLoad>();
      for (let i = 0; i < batch.length; i++) {
        const op = batch[i]!;
        const hex = hexes[i]!;
        const k = keys.get(hex);
        const set = op.t === 'merge' && op.value.kind === 'set' ? op.value : undefined;
        const mark = op.t === 'mark';
        if (!k)
          keys.set(hex, { key: op.key, hex, setsOnly: !!set, first: set, more: undefined, marksOnly: mark });
        else if (!set) {
          k.setsOnly = false;
          k.marksOnly &&= mark;
        } else {
          k.marksOnly = false;
          // A second delta to the key in this batch: only now are its members collected in a Set.
          k.more ??= new Set(k.first ? Object.keys(k.first.members) : []);
          for (const m in set.members) k.more.add(m);
        }
      }
      const loads: KeyLoad[] = [];
      for (const k of keys.values()) if (!(k.marksOnly && o.store.markReplicated)) loads.push(k);
      await loadWorks(loads, t, works);
    } catch (err) {
      for (const op of batch) failOp(op, err);
      return;
    }
    const expiry = t + o.tExpire();
    const slack = o.tExpire() * EXPIRY_REFRESH_SLACK;
    /** Mark-only keys (not loaded), by replication time: hex → key. */
    const marks = new Map<number, Map<string, Id>>();
    for (let i = 0; i < batch.length; i++) {
      const op = batch[i]!;
      const w = works.get(hexes[i]!);
      if (!w) {
        // A key whose every op is a mark (so op is one): its row alone is updated after the commit.
        if (op.t !== 'mark') throw new Error('shard: an op without a work item is not a mark');
        let at = marks.get(op.at);
        if (!at) marks.set(op.at, (at = new Map()));
        at.set(hexes[i]!, op.key);
        results.push(() => op.done());
        continue;
      }
      switch (op.t) {
        case 'merge': {
          const r =
            w.slice && op.value.kind === 'set' ? applySliceMerge(w, op.value) : applyMerge(w, op.value);
          op.outcome = r;
          op.work = w;
          merges.push(op);
          // A set that would outgrow what one frame can carry is refused (the STORE acks false).
          if (r === 'too-large') break;
          // A new entry counts as replicated now: the STORE that created it went to every replica
          // (Kademlia paper, section 2.5: a node that received a STORE skips that key's next
          // hourly re-replication). Otherwise a bulk import made every key of it due at once.
          if (!w.slice && !w.cur && !w.replicatedAt) w.replicatedAt = t;
          if (r === 'changed') w.changed = true;
          if (op.publisher && !w.publisher) w.publisher = true;
          const before = w.slice ?? w.cur;
          const meta =
            w.publisher !== (before?.publisher ?? false) || !before || before.expiresAt < expiry - slack;
          w.metaDirty ||= meta;
          w.dirty ||= r === 'changed' || meta;
          w.removed = false;
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
    const puts: EntryWrite[] = [];
    /** The sets written as slices, hex key → wire size (tracked and warmed once the write commits). */
    const sliced: [string, number][] = [];
    try {
      for (const w of works.values()) {
        if (w.removed && !w.value) {
          await o.store.delete(w.key);
          cache.delete(w.hex);
          tracked.delete(w.hex);
          continue;
        }
        if (!w.dirty) continue;
        if (w.slice) {
          const p = finalSlice(w, expiry);
          puts.push(p);
          sliced.push([w.hex, p.slice.bytes]);
          cache.delete(w.hex); // a decoded copy would miss this batch: the next read decodes again
          continue;
        }
        tracked.delete(w.hex);
        if (!w.value) continue;
        const e = finalEntry(w, expiry);
        if (rowStore && e.value.kind === 'set' && w.changedMembers && w.cur?.value.kind === 'set') {
          // Only what changed since `cur` (the stored set): a delta writes its own member rows.
          const members: SetValue['members'] = newMembers();
          for (const m of w.changedMembers) members[m] = e.value.members[m]!;
          const { value: _v, ...meta } = e;
          const bytes = setWireBytes(e.value);
          puts.push({ slice: { ...meta, bytes, members } });
          sliced.push([w.hex, bytes]);
        } else if (e.value.kind === 'set') {
          puts.push({ entry: e, setBytes: setWireBytes(e.value), fresh: w.fresh });
        } else {
          puts.push({ entry: e, fresh: w.fresh });
        }
        cache.set(w.hex, e);
      }
      // Marks first: were they to fail after the commit, its merges would be answered as failed.
      for (const [at, ks] of marks) {
        // As a whole-entry mark does (finalEntry of a dirty work): the expiry is refreshed too.
        await o.store.markReplicated!([...ks.values()], at, expiry);
        for (const hex of ks.keys()) cache.delete(hex); // its decoded copy has the old replicatedAt
      }
      if (o.store.putMany) await o.store.putMany(puts);
      else for (const p of puts) if ('entry' in p) await o.store.put(p.entry); // no slices: see rowStore
    } catch (err) {
      for (const w of works.values()) cache.delete(w.hex);
      for (const op of batch) failOp(op, err);
      return;
    }
    const written: string[] = [];
    for (const w of works.values()) {
      if (!w.dirty && !w.removed) continue;
      written.push(w.hex);
      views.delete(w.hex);
    }
    reads.written(written);
    for (const [hex, bytes] of sliced) {
      if (!tracked.has(hex) && tracked.size >= MAX_TRACKED_SETS) continue;
      tracked.set(hex, bytes);
    }
    if (sliced.length > 0) warmer.written(sliced);
    for (const op of merges) {
      const w = op.work!;
      settle(
        op,
        op.outcome === 'too-large'
          ? new RangeError(`value for ${w.hex.slice(0, 16)} would exceed the size cap`)
          : { changed: op.outcome === 'changed', lost: lostTo(op.value, stateAfter(w, expiry)) },
      );
    }
    for (const r of results) r();
    for (const d of deletes) emit(d);
    for (const w of works.values()) {
      if (!w.changed) continue;
      o.metrics.storedBytes?.(w.writtenBytes);
      // Set slices are not reported: listeners would get a partial value (see onLocalChange).
      if (w.value && !w.slice) emit({ type: 'put', entry: finalEntry(w, expiry) });
    }
  }

  /**
   * Loads the batch's work items: a slice for a key whose every op merges a set (from the decoded
   * cache, else read with every other such key in one `getSetMembersMany` call when the store has
   * it: no promise per key), the whole entry otherwise.
   */
  async function loadWorks(keys: KeyLoad[], t: number, works: Map<string, Work>): Promise<void> {
    const whole: KeyLoad[] = [];
    const asks: KeyLoad[] = [];
    const names: string[][] = [];
    for (const k of keys) {
      if (!k.setsOnly || !rowStore) {
        whole.push(k);
        continue;
      }
      const hit = cache.get(k.hex);
      const n = k.more ? [...k.more] : Object.keys(k.first!.members);
      if (!hit) {
        asks.push(k);
        names.push(n);
      } else if (hit.value.kind === 'set' && hit.expiresAt > t) {
        // The stored row's bytes are unknown here: -Infinity forces a metadata write.
        const sl = sliceOf(hit as StoredEntry & { value: SetValue }, n);
        works.set(k.hex, makeSliceWork(k.key, k.hex, sl, -Infinity));
      } else whole.push(k);
    }
    const store = o.store;
    const got =
      asks.length === 0
        ? []
        : store.getSetMembersMany
          ? await store.getSetMembersMany(asks.map((k, i) => ({ key: k.key, members: names[i]! })))
          : await Promise.all(asks.map((k, i) => store.getSetMembers!(k.key, names[i]!)));
    for (let i = 0; i < asks.length; i++) {
      const k = asks[i]!;
      const w = sliceWork(k, got[i], t);
      if (w) works.set(k.hex, w);
      else whole.push(k);
    }
    await Promise.all(whole.map((k) => loadWhole(k, t, works)));
  }

  /** The whole stored entry as a key's work item. */
  async function loadWhole(k: KeyLoad, t: number, works: Map<string, Work>): Promise<void> {
    const raw = await load(k.key, k.hex);
    // An expired entry counts as absent for merges (as if already expired away), but a remove still deletes it.
    const w = makeWork(k.key, raw && raw.expiresAt > t ? raw : undefined, k.hex);
    w.expired = raw && raw.expiresAt <= t ? raw : undefined;
    w.fresh = !raw;
    works.set(k.hex, w);
  }

  /** Answers one merge op into its sink (the sink resolves once all its ops are answered). */
  function settle(op: MergeOp, r: MergeResult | RangeError): void {
    const sink = op.sink;
    if (sink.failed) return;
    sink.out[op.i] = r;
    if (--sink.left === 0) sink.done(sink.out);
  }

  /** A batch failed (store error): every op is rejected (a sink once). */
  function failOp(op: Op, err: unknown): void {
    if (op.t !== 'merge') return op.fail(err);
    if (op.sink.failed) return;
    op.sink.failed = true;
    op.sink.fail(err);
  }

  /**
   * The work item of a key read as a slice (`getSetMembers`): a fresh whole-value work when the
   * key is absent, undefined when it must be loaded whole (another kind, expired, or a stored
   * size of 0: unknown).
   */
  function sliceWork(k: KeyLoad, sl: SetSlice | 'not-a-set' | undefined, t: number): Work | undefined {
    if (sl === undefined) {
      const w = makeWork(k.key, undefined, k.hex);
      w.fresh = true;
      return w;
    }
    if (sl === 'not-a-set' || sl.expiresAt <= t || sl.bytes <= 0) return undefined;
    const known = tracked.get(k.hex);
    // The row's bytes may lag (members-only writes): the tracked figure is the latest.
    if (known !== undefined && known > sl.bytes) {
      const persisted = sl.bytes;
      sl.bytes = known; // the store hands out a fresh slice: ours to change
      return makeSliceWork(k.key, k.hex, sl, persisted);
    }
    return makeSliceWork(k.key, k.hex, sl, sl.bytes);
  }

  /**
   * What a slice-mode work writes: its changed members, plus the set's metadata row only when it
   * changed (publisher, expiry refresh) or the tracked wire size drifted SET_BYTES_PERSIST_SLACK
   * past the stored one (a tracked set only: after a restart the row's figure is the floor).
   */
  function finalSlice(w: Work, expiry: number): EntryWrite & { slice: SetSlice } {
    const sl = w.slice!;
    let members = sl.members;
    if (!w.sliceAllChanged) {
      members = newMembers();
      for (const m of w.changedMembers!) members[m] = sl.members[m]!;
    }
    const slice: SetSlice = {
      key: w.key,
      expiresAt: w.metaDirty ? expiry : sl.expiresAt,
      publisher: w.publisher,
      replicatedAt: w.replicatedAt,
      bytes: sl.bytes,
      members,
    };
    if (sl.ref !== undefined) slice.ref = sl.ref;
    const trackable = tracked.has(w.hex) || tracked.size < MAX_TRACKED_SETS;
    const membersOnly = !w.metaDirty && trackable && sl.bytes - w.persistedBytes < SET_BYTES_PERSIST_SLACK;
    return membersOnly ? { slice, membersOnly } : { slice };
  }

  /** The value a merge op is answered with: the whole entry's, or (slice) the touched members'. */
  function stateAfter(w: Work, expiry: number): Value {
    return w.slice ? { kind: 'set', members: w.slice.members } : finalEntry(w, expiry).value;
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
  function merge(key: Id, value: Value, publisher = false): Promise<MergeResult> {
    return mergeMany([{ key, value, publisher }]).then(([r]) => {
      if (r instanceof RangeError) throw r;
      return r!;
    });
  }

  /**
   * Merges many values in one batch (as `merge` each, but one promise): resolves with each item's
   * MergeResult, or the RangeError of an item whose set would exceed MAX_SET_VALUE_BYTES; rejects
   * when the store fails.
   */
  function mergeMany(items: readonly MergeItem[]): Promise<(MergeResult | RangeError)[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((done, fail) => {
      const sink: MergeSink = { out: new Array(items.length), left: items.length, done, fail, failed: false };
      for (let i = 0; i < items.length; i++) {
        const it = items[i]!;
        clock.observeValue(it.value);
        queue.push({
          t: 'merge',
          key: it.key,
          hex: it.hex,
          value: it.value,
          publisher: it.publisher ?? false,
          sink,
          i,
        });
      }
      schedule();
    });
  }

  function remove(key: Id): Promise<void> {
    return new Promise((done, fail) => enqueue({ t: 'remove', key, done, fail }));
  }

  /** Marks an entry as re-replicated now (without touching its value). */
  function markReplicated(key: Id, at: number): Promise<void> {
    return new Promise((done, fail) => enqueue({ t: 'mark', key, at, done, fail }));
  }

  /**
   * Every stored entry's metadata (expired ones too), from `store.scanMeta`; hands the event loop
   * back every META_WALK_TURN metas (the store's pages are read synchronously).
   */
  async function* metas(): AsyncGenerator<EntryMeta> {
    let n = 0;
    for await (const m of o.store.scanMeta()) {
      yield m;
      if (++n % META_WALK_TURN === 0) await nextTurn();
    }
  }

  /** Deletes expired entries; returns how many. */
  async function expire(): Promise<number> {
    const t = now();
    const dead: Id[] = [];
    for await (const m of metas()) if (m.expiresAt <= t) dead.push(m.key);
    for (const k of dead) {
      const cur = await o.store.get(k);
      if (cur && cur.expiresAt <= t) await remove(k);
    }
    return dead.length;
  }

  /** Advances the clock past every stamp the store holds (a restart must never reissue a stamp). */
  async function restoreClock(): Promise<void> {
    if (o.store.maxCounter) clock.observe(await o.store.maxCounter());
    else for await (const e of o.store.scan()) clock.observeValue(e.value);
  }

  /**
   * Walks the live entries `select` picks, on metadata (no value is read), and hands them to `each`
   * `batchSize` at a time: what the hourly maintenance and the hand-over decide on (replica-sync.ts
   * then reads only the values a replica needs). Memory holds one batch, not the shard (at 100,000
   * songs a tracker's ~700,000 keys), and the event loop turns between batches and every
   * META_WALK_TURN metas. Resolves with how many entries were handed.
   */
  async function walkMeta(
    select: (m: EntryMeta) => boolean,
    each: (batch: EntryMeta[]) => Promise<void>,
    batchSize = MAINTENANCE_BATCH,
  ): Promise<number> {
    let picked: EntryMeta[] = [];
    let handed = 0;
    const hand = async (): Promise<void> => {
      const batch = picked;
      picked = [];
      if (batch.length === 0) return;
      handed += batch.length;
      await each(batch);
      await nextTurn();
    };
    for await (const m of metas()) {
      if (m.expiresAt <= now() || !select(m)) continue;
      picked.push(m);
      if (picked.length >= batchSize) await hand();
    }
    await hand();
    return handed;
  }

  /**
   * Hands the store's largest sets to the view warmer (`store.largestSets`), so a restarted node
   * warms what it holds as an import would have left it: its caches start empty, and cold views
   * made a restarted tracker's first searches take 70–140 ms. Resolves with how many were queued.
   */
  async function warmLargest(limit = VIEW_WARM_MAX_SETS): Promise<number> {
    if (!o.store.largestSets) return 0;
    const sets = await o.store.largestSets(limit);
    warmer.written(sets.map(([k, bytes]): [string, number] => [toHex(k), bytes]));
    return sets.length;
  }

  /** Resolves once every queued mutation is applied (stop() calls it before closing the store). */
  async function drain(): Promise<void> {
    while (queue.length > 0 || flushing) await nextTurn();
  }

  return {
    clock,
    drain,
    get,
    view,
    merge,
    mergeMany,
    remove,
    markReplicated,
    expire,
    walkMeta,
    meta,
    setDigestOf,
    restoreClock,
    warmLargest,
    /** Stops warming read views (view-warmer.ts) before the store closes. */
    stopWarming: () => warmer.stop(),
    onChange(l: (c: LocalChange) => void): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}
