/**
 * Helpers of the shard's group commit (shard.ts): the per-key working copy a batch of merges is
 * applied to (sets are merged in place, copied at most once per batch, their wire size tracked
 * incrementally instead of re-measured), and the LRU of decoded big sets, so a hot posting set is
 * neither decoded from the store nor copied once per delta.
 *
 * Does not: touch the store, emit changes or order operations (shard.ts does).
 */
import { toHex } from '../id.js';
import { makeWeightedLru } from '../weighted-lru.js';
import type { Id, SetSlice, SetValue, StoredEntry, Value } from '../types.js';
import { newMembers } from '../types.js';
import type { SetView } from './set-view.js';
import { MAX_SET_VALUE_BYTES } from './options.js';
import { valueBytes } from '../store/memory.js';
import { compareStamp, memberWireBytes, mergeValue, valueWireBytes, withinSizeCap } from './values.js';

/**
 * Sets with at least this many members are kept decoded in memory: below it, decoding from the
 * store costs about as much as the cache bookkeeping.
 */
export const SET_CACHE_MIN_MEMBERS = 64;
/**
 * Members of all cached decoded sets of one node, at most: ~200 B of heap per decoded member makes
 * this ~100 MB. Batched reads use the lighter read views (VIEW_CACHE_MAX_MEMBERS); decoded sets
 * serve single-key reads and merges into a set that is cached anyway.
 */
export const SET_CACHE_MAX_MEMBERS = 500_000;

/** Wire size of set values already measured (values are immutable once published by the shard). */
const wireSizes = new WeakMap<SetValue, number>();
export function setWireBytes(v: SetValue): number {
  let n = wireSizes.get(v);
  if (n === undefined) wireSizes.set(v, (n = valueWireBytes(v)));
  return n;
}

/** LRU of decoded set entries by member count. Entries handed out are never mutated. */
export function makeSetCache(maxMembers = SET_CACHE_MAX_MEMBERS, minMembers = SET_CACHE_MIN_MEMBERS) {
  const lru = makeWeightedLru<StoredEntry>(maxMembers);
  return {
    get: (hex: string): StoredEntry | undefined => lru.get(hex),
    /** Remembers `entry` (or forgets the key when it is not a big set). */
    set(hex: string, entry: StoredEntry | undefined): void {
      lru.delete(hex);
      if (entry?.value.kind !== 'set') return;
      const n = Object.keys(entry.value.members).length;
      if (n >= minMembers) lru.set(hex, entry, n);
    },
    delete: lru.delete,
  };
}

/**
 * Members of all cached read views of one node, at most: a view keeps one string per present
 * member (~90 B for a song id), so ~270 MB; it holds every posting set a 100k-song catalogue's
 * queries touch on a tracker.
 */
export const VIEW_CACHE_MAX_MEMBERS = 3_000_000;

/** What one cached view costs besides its members (map entry, key, digest), in members. */
const VIEW_ENTRY_WEIGHT = 4;

/** LRU of read views (set-view.ts) by member count (plus VIEW_ENTRY_WEIGHT each), with their entries' expiry. */
export function makeViewCache(maxMembers = VIEW_CACHE_MAX_MEMBERS) {
  const lru = makeWeightedLru<{ view: SetView; expiresAt: number }>(maxMembers);
  return {
    /** Is a view cached for the key (expired or not; no LRU touch)? */
    has: lru.has,
    get(hex: string, now: number): SetView | undefined {
      const cur = lru.get(hex);
      if (!cur) return undefined;
      if (cur.expiresAt > now) return cur.view;
      lru.delete(hex);
      return undefined;
    },
    set(hex: string, view: SetView, expiresAt: number): void {
      // Small sets too: a search reads hundreds of small posting and vocabulary sets, and a view
      // of a few members is cheaper to keep than to rebuild from the store on both replicas.
      lru.set(hex, { view, expiresAt }, view.members.length + VIEW_ENTRY_WEIGHT);
    },
    delete: lru.delete,
  };
}

/**
 * Keys written while reads were in flight, remembered at most this many: past it, every read in
 * flight is told not to cache (it may have read a key now written), and the memory is freed.
 */
export const MAX_FENCED_KEYS = 100_000;

/**
 * Guards the shard's caches against a read that straddles a write: a reader that loaded a key
 * before a flush committed must not cache what it read after the flush invalidated the caches.
 * Writes are numbered (epochs); a key written at an epoch after a read began makes that read
 * uncacheable. Only writes made while reads are in flight are remembered, and that memory is
 * released whenever no read is in flight.
 */
export function makeReadFence(maxKeys = MAX_FENCED_KEYS) {
  let epoch = 0;
  let inFlight = 0;
  /** Reads begun before this epoch may not cache (the remembered keys were dropped). */
  let floor = 0;
  const writtenAt = new Map<string, number>();
  return {
    /** A read begins: returns its start epoch. */
    begin(): number {
      inFlight++;
      return epoch;
    },
    /** The read of `hex` begun at `start` ends: may its result be cached? */
    end(hex: string, start: number): boolean {
      inFlight--;
      const ok = start >= floor && (writtenAt.get(hex) ?? -1) <= start;
      if (inFlight === 0) writtenAt.clear();
      return ok;
    },
    /** A flush committed these keys. */
    written(hexes: string[]): void {
      epoch++;
      if (inFlight === 0) return;
      for (const h of hexes) writtenAt.set(h, epoch);
      if (writtenAt.size > maxKeys) {
        writtenAt.clear();
        floor = epoch;
      }
    },
  };
}

/** One key's state while a batch is applied. */
export interface Work {
  key: Id;
  hex: string;
  /** The live entry as stored before the batch. */
  cur: StoredEntry | undefined;
  /** A stored entry that has expired (absent for merges; a remove still deletes it). */
  expired?: StoredEntry;
  value: Value | undefined;
  /** `value` is a copy this batch may mutate (never an object a reader may hold). */
  owned: boolean;
  publisher: boolean;
  replicatedAt: number;
  /** Anything to persist: a changed value, a new publisher flag or replicatedAt. */
  dirty: boolean;
  /**
   * Members of the set changed by this batch, relative to `cur` (what the store holds); undefined
   * when the whole value must be written (a new key, another kind, or a replaced value).
   */
  changedMembers: Set<string> | undefined;
  /** Value bytes this batch wrote (new members' names, or a whole new value): the storedBytes metric. */
  writtenBytes: number;
  /** The store holds nothing for this key, not even expired: a whole write has no old rows to clear. */
  fresh: boolean;
  /**
   * Slice mode (a batch of set merges only, on a store with getSetMembers): the set's metadata and
   * the state of just the members this batch touches; `value`/`cur` are unused, and only
   * `changedMembers` are written.
   */
  slice?: SetSlice;
  /** Slice mode: the set's metadata row must be written (publisher, expiry refresh). */
  metaDirty: boolean;
  /** Slice mode: the wire size the stored row holds (-Infinity: unknown). */
  persistedBytes: number;
  /**
   * Slice mode: every member of `slice.members` was changed by this batch (no delta left one of
   * its members as it was), so the write can take `slice.members` as is instead of a copy of the
   * changed ones: the usual case of new postings.
   */
  sliceAllChanged: boolean;
  changed: boolean;
  removed: boolean;
}

export function makeWork(key: Id, cur: StoredEntry | undefined, hex = toHex(key)): Work {
  return {
    key: cur?.key ?? new Uint8Array(key),
    hex,
    cur,
    value: cur?.value,
    owned: false,
    publisher: cur?.publisher ?? false,
    replicatedAt: cur?.replicatedAt ?? 0,
    dirty: false,
    changedMembers: cur?.value.kind === 'set' ? new Set() : undefined,
    writtenBytes: 0,
    fresh: false,
    metaDirty: false,
    persistedBytes: 0,
    sliceAllChanged: false,
    changed: false,
    removed: false,
  };
}

type MemberState = SetValue['members'][string];

/** The LWW merge of one member's state (max stamp per field, as mergeValue); `c` itself when `s` changes nothing. */
function mergedMember(c: MemberState, s: MemberState): MemberState {
  const add = compareStamp(s.add, c.add) > 0 ? s.add : c.add;
  const del = compareStamp(s.del, c.del) > 0 ? s.del : c.del;
  if (add === c.add && del === c.del) return c;
  const next: MemberState = {};
  if (add) next.add = add;
  if (del) next.del = del;
  return next;
}

/**
 * How many wire bytes `current` grows by when `incoming` is merged into it (LWW per member, as
 * mergeValue), or -1 when nothing changes. Reads only `incoming`'s members; allocates nothing for
 * a new member (the common case: a posting of a new song).
 */
function memberGrowth(current: SetValue['members'], incoming: SetValue): number {
  let grow = 0;
  let changed = false;
  for (const m in incoming.members) {
    const s = incoming.members[m]!;
    const c = current[m];
    if (!c) {
      grow += memberWireBytes(m, s);
      changed = true;
      continue;
    }
    const next = mergedMember(c, s);
    if (next === c) continue;
    grow += memberWireBytes(m, next) - memberWireBytes(m, c);
    changed = true;
  }
  return changed ? grow : -1;
}

/**
 * Merges `incoming`'s members into `target` (after memberGrowth said it fits); calls `changed` per
 * changed member. Returns false when some member of `incoming` was left unchanged.
 */
function mergeMembers(
  target: SetValue['members'],
  incoming: SetValue,
  changed: (m: string, isNew: boolean) => void,
): boolean {
  let all = true;
  for (const m in incoming.members) {
    const s = incoming.members[m]!;
    const c = target[m];
    const next = c ? mergedMember(c, s) : s;
    if (next === c) {
      all = false;
      continue;
    }
    target[m] = next;
    changed(m, !c);
  }
  return all;
}

/**
 * Merges `incoming` into the working value. 'too-large' leaves the value untouched (a set that
 * would exceed MAX_SET_VALUE_BYTES is refused for this delta only).
 */
export function applyMerge(w: Work, incoming: Value): 'changed' | 'same' | 'too-large' {
  const cur = w.value;
  if (!cur) {
    if (!withinSizeCap(incoming)) return 'too-large';
    w.value = incoming;
    w.owned = false;
    w.changedMembers = undefined;
    w.writtenBytes += valueBytes(incoming);
    return 'changed';
  }
  if (cur.kind !== 'set' || incoming.kind !== 'set') {
    const { value, changed } = mergeValue(cur, incoming);
    if (!changed) return 'same';
    w.value = value;
    w.owned = false;
    w.changedMembers = undefined;
    w.writtenBytes += valueBytes(value);
    return 'changed';
  }
  const grow = memberGrowth(cur.members, incoming);
  if (grow === -1) return 'same';
  const size = setWireBytes(cur) + grow;
  if (size > MAX_SET_VALUE_BYTES) return 'too-large';
  let target = cur;
  if (!w.owned) {
    target = { kind: 'set', members: Object.assign(newMembers(), cur.members) }; // member names are validated: no __proto__
    w.value = target;
    w.owned = true;
  }
  mergeMembers(target.members, incoming, (m, isNew) => {
    if (isNew) w.writtenBytes += m.length;
    w.changedMembers?.add(m);
  });
  wireSizes.set(target, size);
  return 'changed';
}

/**
 * A slice-mode work item over `slice`, which becomes the batch's to change: pass a slice no one
 * else holds (the store's getSetMembers and sliceOf make a new one per call).
 */
export function makeSliceWork(key: Id, hex: string, slice: SetSlice, persistedBytes: number): Work {
  // One literal (no spread of makeWork's): a batch of postings makes one of these per key.
  return {
    key: new Uint8Array(key),
    hex,
    cur: undefined,
    value: undefined,
    owned: false,
    publisher: slice.publisher,
    replicatedAt: slice.replicatedAt,
    dirty: false,
    changedMembers: new Set(),
    writtenBytes: 0,
    fresh: false,
    slice,
    metaDirty: false,
    persistedBytes,
    sliceAllChanged: true,
    changed: false,
    removed: false,
  };
}

/** The slice of a fully decoded set (a cached value): metadata, wire size, and the given members. */
export function sliceOf(e: StoredEntry & { value: SetValue }, members: Iterable<string>): SetSlice {
  const picked: SetValue['members'] = newMembers();
  for (const m of members) {
    const s = e.value.members[m];
    if (s) picked[m] = s;
  }
  return {
    key: e.key,
    expiresAt: e.expiresAt,
    publisher: e.publisher,
    replicatedAt: e.replicatedAt,
    bytes: setWireBytes(e.value),
    members: picked,
  };
}

/**
 * Merges a set delta into a slice-mode work item (LWW per member, as mergeValue): only the
 * members of `incoming` are read and changed; the set's wire size is tracked for the cap.
 */
export function applySliceMerge(w: Work, incoming: SetValue): 'changed' | 'same' | 'too-large' {
  const sl = w.slice!;
  const grow = memberGrowth(sl.members, incoming);
  // A member read for a delta that changes nothing stays in the slice unchanged.
  if (grow === -1 || sl.bytes + grow > MAX_SET_VALUE_BYTES) w.sliceAllChanged = false;
  if (grow === -1) return 'same';
  if (sl.bytes + grow > MAX_SET_VALUE_BYTES) return 'too-large';
  const all = mergeMembers(sl.members, incoming, (m, isNew) => {
    if (isNew) w.writtenBytes += m.length;
    w.changedMembers!.add(m);
  });
  if (!all) w.sliceAllChanged = false;
  sl.bytes += grow;
  return 'changed';
}
