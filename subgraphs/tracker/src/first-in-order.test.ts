/**
 * firstInOrder gives the rows of a full sort cut to k, on both of its paths (sort and cut, and
 * selection), whatever the input order, with ties in the first key broken by the second.
 */
import { firstInOrder } from './first-in-order.js';

/** Deterministic pseudo-random integers (LCG): the same lists on every run. */
function makeRand(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

type Row = { score: number; id: string };
/** Score descending, then id ascending: the relevance order (reads.ts). */
const byRelevance = (a: Row, b: Row): number => b.score - a.score || (a.id < b.id ? -1 : 1);

test('the first k rows of a full sort, for small and large k, sorted, reversed and shuffled input', () => {
  const rand = makeRand(7);
  for (const n of [0, 1, 5, 21, 100, 563, 2000]) {
    const rows: Row[] = Array.from({ length: n }, (_, i) => ({
      score: rand(10), // many ties: the id decides
      id: `id${String(i).padStart(5, '0')}`,
    }));
    const sorted = [...rows].sort(byRelevance);
    const inputs = [rows, sorted, [...sorted].reverse()];
    for (const input of inputs) {
      for (const k of [0, 1, 3, 21, 101, n, n + 5]) {
        expect(firstInOrder(input, k, byRelevance)).toEqual(sorted.slice(0, Math.max(0, k)));
      }
    }
  }
});

test('leaves its input as it was', () => {
  const rows = Array.from({ length: 200 }, (_, i) => ({ score: i % 7, id: `r${i}` }));
  const copy = rows.map((r) => ({ ...r }));
  firstInOrder(rows, 5, byRelevance);
  firstInOrder(rows, 100, byRelevance);
  expect(rows).toEqual(copy);
});
