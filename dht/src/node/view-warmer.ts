/**
 * Rebuilds the read views of the sets a shard wrote, once writes pause: after an import, the first
 * query of a big genre or a common word would otherwise scan thousands of member rows on this
 * replica and on the one it compares digests with (30–70 ms at 100,000 songs), and a search that
 * reads a few hundred small posting and vocabulary sets pays an estimated ~20 µs a cold set (a key lookup and a scan statement) on both. Warming
 * runs in the background, one set per event-loop turn, biggest first, within a member and a set
 * budget, and gives up as soon as a new write lands (the next pause warms again).
 *
 * Only sets written as slices reach it (shard.ts): a set written once (a song's own pair-index
 * set) is read too rarely to be worth a view. A node that starts hands it the store's largest sets
 * (Shard.warmLargest), so a restart warms what an import would have.
 *
 * Does not: build or cache views itself (shard.ts `view` and makeViewCache do), or choose sets by
 * anything but their tracked wire size.
 */
import { fromHex } from '../id.js';
import type { Id } from '../types.js';

/**
 * Writes must pause this long before warming: an import's bursts come closer than this. At 500 ms
 * runs still started mid-import (a 30,000-song import: the warmer made 23% of one tracker's
 * allocations), each building big views that the next write threw away. Paired ingests at 30,000
 * songs, both orders, with 2 s: all 30,000 songs when 500 ms had 28,000, twice.
 */
export const VIEW_WARM_IDLE_MS = 2000;
/** Sets under this many wire bytes are not warmed. @default 0: every set written, budgets permitting. */
export const VIEW_WARM_MIN_BYTES = 0;
/**
 * Sets warmed per pause at most: at an estimated ~20 µs each cold, up to ~3 s of background work after a big import,
 * and ~150,000 views of a few members (~30 MB) next to the big ones in the view cache (whose
 * weight counts 4 members per view: VIEW_CACHE_MAX_MEMBERS).
 */
export const VIEW_WARM_MAX_SETS = 150_000;
/**
 * Written sets remembered between pauses at most: past it only sets already remembered are updated
 * (an import bigger than this warms the sets it wrote first; later queries build the rest).
 */
export const VIEW_WARM_MAX_PENDING = 500_000;
/**
 * Members warmed per pause at most, a third of the view cache (VIEW_CACHE_MAX_MEMBERS): at 100,000
 * songs a tracker's ~600 sets over 32 KiB hold ~620,000 members (genres, top artists
 * and albums, common words), ~0.8 s of scanning, one set per event-loop turn so queries interleave.
 * A smaller budget (300,000) left the common words' buckets cold: the first searches after an
 * import took 80–100 ms.
 */
export const VIEW_WARM_MAX_MEMBERS = 1_000_000;
/** Wire bytes of one posting member with its stamp, to turn a tracked size into a member count. */
const MEMBER_WIRE_BYTES = 110;

export interface ViewWarmerOptions {
  /** Is the key's view cached already? */
  cached: (hex: string) => boolean;
  /** Builds and caches the key's view (shard.ts `view`). */
  build: (key: Id) => Promise<unknown>;
  /** @default VIEW_WARM_IDLE_MS */
  idleMs?: number;
  /** @default VIEW_WARM_MIN_BYTES */
  minBytes?: number;
  /** @default VIEW_WARM_MAX_MEMBERS */
  maxMembers?: number;
  /** @default VIEW_WARM_MAX_SETS */
  maxSets?: number;
  /** @default VIEW_WARM_MAX_PENDING */
  maxPending?: number;
}

export function makeViewWarmer(o: ViewWarmerOptions) {
  const idleMs = o.idleMs ?? VIEW_WARM_IDLE_MS;
  const minBytes = o.minBytes ?? VIEW_WARM_MIN_BYTES;
  const maxMembers = o.maxMembers ?? VIEW_WARM_MAX_MEMBERS;
  const maxSets = o.maxSets ?? VIEW_WARM_MAX_SETS;
  const maxPending = o.maxPending ?? VIEW_WARM_MAX_PENDING;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let epoch = 0;
  let stopped = false;
  /** Sets written since the last run, hex key → wire size. */
  const pending = new Map<string, number>();

  async function warm(): Promise<void> {
    const start = epoch;
    // Only the sets written since the last run: a read repair during queries must not cost a
    // pass over every tracked set. They stay in `pending` until visited, so a run that a write
    // stops costs no copy of what it did not reach (during an import, up to VIEW_WARM_MAX_PENDING
    // sets re-queued per stopped run).
    const picks = [...pending].sort((a, b) => b[1] - a[1]);
    let budget = maxMembers;
    let setsLeft = maxSets;
    for (let i = 0; i < picks.length && setsLeft > 0; i++) {
      const [hex, bytes] = picks[i]!;
      if (stopped) return;
      // A write landed: the rest waits for the next pause (with the sizes written since).
      if (epoch !== start) return;
      pending.delete(hex);
      const members = Math.ceil(bytes / MEMBER_WIRE_BYTES);
      if (members > budget) continue;
      budget -= members;
      setsLeft--;
      if (o.cached(hex)) continue;
      await o.build(fromHex(hex)).catch(() => undefined); // a failed read is the next query's to retry
      await new Promise((r) => setImmediate(r)); // let queries in between sets
    }
    // A whole run: the sets past its budgets are dropped, unless a write landed during the last one.
    if (epoch === start) pending.clear();
  }

  return {
    /** A flush wrote these sets (hex key → wire size): (re)start the idle countdown. */
    written(sets: Iterable<[string, number]>): void {
      epoch++;
      if (stopped) return;
      for (const [hex, bytes] of sets)
        if (bytes >= minBytes && (pending.size < maxPending || pending.has(hex))) pending.set(hex, bytes);
      if (pending.size === 0 && !running) return;
      if (timer) {
        timer.refresh();
        return;
      }
      timer = setTimeout(() => {
        timer = undefined;
        const run: Promise<void> = (running ?? Promise.resolve()).then(warm).finally(() => {
          if (running === run) running = undefined;
        });
        running = run;
      }, idleMs);
      timer.unref();
    },
    /** No more warming (the store is about to close); resolves once a run in progress has stopped. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
