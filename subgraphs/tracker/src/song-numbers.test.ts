import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { headKey } from './ranked-list.js';
import { makeSongNumbers } from './song-numbers.js';

describe('makeSongNumbers', () => {
  test('one number per id, the same across lists, a list converted once', () => {
    const numbers = makeSongNumbers();
    const a = ['x', 'y', 'z'];
    const b = ['z', 'w', 'x'];
    const na = numbers.ofList(a);
    const nb = numbers.ofList(b);
    expect([...na]).toEqual([0, 1, 2]);
    expect([...nb]).toEqual([2, 3, 0]);
    expect(numbers.size).toBe(4);
    expect([...nb].map(numbers.id)).toEqual(b);
    expect(numbers.ofList(a)).toBe(na); // cached per list object
    expect(numbers.ofList([...a])).not.toBe(na); // another list object: converted again, same numbers
    expect([...numbers.ofList([...a])]).toEqual([...na]);
    numbers.prime('v'); // what the catalogue does for every song it learns
    numbers.prime('x'); // already numbered: unchanged
    expect([...numbers.ofList(['v', 'x'])]).toEqual([4, 0]);
  });

  test('past its cap, numbering starts over under a new generation', () => {
    const numbers = makeSongNumbers(5);
    const first = ['a', 'b', 'c'];
    const old = numbers.ofList(first);
    expect(numbers.generation).toBe(0);
    expect([...numbers.ofList(['d', 'e', 'f'])]).toEqual([0, 1, 2]); // 3 + 3 > 5: start over
    expect(numbers.generation).toBe(1);
    expect(numbers.id(0)).toBe('d');
    expect([...numbers.ofList(['a'])]).toEqual([3]); // 'a' renumbered
    // A list numbered before is converted again, never served from the dropped cache.
    const again = numbers.ofList(first);
    expect(again).not.toBe(old);
    expect([...again].map(numbers.id)).toEqual(first);
  });

  test("each number keeps its id's headKey, past the first array and after starting over", () => {
    const numbers = makeSongNumbers(3_000);
    const ids = Array.from({ length: 2_500 }, (_, i) => createHash('sha256').update(`h${i}`).digest('hex'));
    numbers.ofList(ids);
    for (let n = 0; n < numbers.size; n++) expect(numbers.head(n)).toBe(headKey(numbers.id(n)));
    numbers.ofList(['zz', ...ids.slice(0, 1_000)]); // 2,500 + 1,001 > 3,000: start over
    expect(numbers.generation).toBe(1);
    for (let n = 0; n < numbers.size; n++) expect(numbers.head(n)).toBe(headKey(numbers.id(n)));
  });
});
