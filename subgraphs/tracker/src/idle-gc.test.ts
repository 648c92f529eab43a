/**
 * The idle collection leaves small heaps alone and, past its threshold, really collects: garbage
 * made here is gone afterwards, in a process started without `--expose-gc` (as jest runs it).
 */
import { collectIfLarge, IDLE_GC_MIN_HEAP_BYTES } from './idle-gc.js';

test('a heap under the threshold is not collected', () => {
  expect(collectIfLarge(Number.MAX_SAFE_INTEGER)).toBeUndefined();
  expect(IDLE_GC_MIN_HEAP_BYTES).toBeGreaterThan(0);
});

test('past the threshold, a full collection frees the garbage', () => {
  // ~100 MB of objects, then dropped: only a collection takes them off the heap in use.
  let garbage: { i: number; s: string }[] | undefined = [];
  for (let i = 0; i < 1_000_000; i++) garbage.push({ i, s: `song-${i}` });
  expect(garbage.length).toBe(1_000_000);
  garbage = undefined;
  const r = collectIfLarge(0);
  expect(r).toBeDefined();
  expect(r!.beforeMb - r!.afterMb).toBeGreaterThan(40);
  expect(r!.ms).toBeGreaterThanOrEqual(0);
});
