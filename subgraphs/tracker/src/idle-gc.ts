/**
 * A full garbage collection while the tracker is idle after a bulk change (an import, a start on a
 * stored catalogue), so that the import's garbage is not collected under query traffic.
 *
 * Why: a 100,000-song import leaves a tracker's heap at ~750–920 MB, 200–400 MB of it garbage (this
 * collection freed 203–302 MB on the three trackers of one bench run; V8's own, in another run,
 * 400 MB). V8 collects
 * it with a Mark-Compact whenever the old generation next reaches its limit, and in a bench run with
 * `--trace-gc` that came during the searches: searches #13–#19 took 41–254 ms (the others 10–28 ms)
 * while one tracker ran 327 ms of incremental marking and a 30 ms pause on a 919 MB heap (to 519 MB).
 * Collected right after the import's search warm-up (search-warmer.ts), the pause falls where
 * nobody waits, and the old generation's next limit is set from the live heap.
 *
 * Does not: decide when the tracker is idle (the search warmer's pause does: it runs after a bulk
 * change once changes stop), or tune V8's heap (no flags but `--expose-gc`, set at run time).
 */
import { setFlagsFromString, getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Heaps smaller than this are left to V8: the bursts were seen on ~900 MB heaps (100,000 songs), and
 * a small heap's marking is short enough to hide between queries.
 */
export const IDLE_GC_MIN_HEAP_BYTES = 256 * 1024 * 1024;

/** What one collection did, for the log line. */
export interface IdleCollection {
  /** Heap in use before and after, MB. */
  beforeMb: number;
  afterMb: number;
  /** How long the collection held the event loop. */
  ms: number;
}

let collect: (() => void) | undefined;
/**
 * `gc()`, exposed once: `--expose-gc` set at run time only defines `gc` in contexts created after
 * it, hence the new context (what the `expose-gc` npm package does; the process need not be started
 * with the flag, so `npm start`, the bench and the tests run trackers unchanged).
 */
function gcFunction(): () => void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

const mb = (bytes: number): number => Math.round(bytes / (1024 * 1024));

/**
 * Runs a full collection now when the heap in use is at least `minHeapBytes`; `undefined` when it
 * was smaller (nothing done).
 * @param minHeapBytes @default IDLE_GC_MIN_HEAP_BYTES
 */
export function collectIfLarge(minHeapBytes = IDLE_GC_MIN_HEAP_BYTES): IdleCollection | undefined {
  const before = getHeapStatistics().used_heap_size;
  if (before < minHeapBytes) return undefined;
  const t0 = performance.now();
  gcFunction()();
  const ms = performance.now() - t0;
  return { beforeMb: mb(before), afterMb: mb(getHeapStatistics().used_heap_size), ms: Math.round(ms) };
}
