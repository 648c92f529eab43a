import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { Candidate } from './candidates.js';
import { headKey, makeRankedList, makeRankedNumbers } from './ranked-list.js';

const id = (i: number) => createHash('sha256').update(`song-${i}`).digest('hex');
const fullSort = (cs: Candidate[]) =>
  [...cs].sort((a, b) => b.bound - a.bound || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe('makeRankedList', () => {
  test('reads in (bound desc, id asc) order whatever the access pattern', () => {
    const cs: Candidate[] = Array.from({ length: 5000 }, (_, i) => ({
      id: id(i),
      bound: [2034, 1034, 2068][i % 3]!,
    }));
    const want = fullSort(cs);
    const a = makeRankedList(cs);
    expect(a.length).toBe(5000);
    expect(a.at(0)).toEqual(want[0]);
    expect(a.slice(0, 7)).toEqual(want.slice(0, 7));
    expect(a.at(4999)).toEqual(want[4999]);
    expect(a.at(5000)).toBeUndefined();
    const b = makeRankedList(cs);
    const got: Candidate[] = [];
    for (let i = 0; i < 5000; i += 200) {
      got.push(...b.slice(i, i + 200));
      expect(b.at(i + 200)).toEqual(want[i + 200]);
    }
    expect(got).toEqual(want);
    const c = makeRankedList(cs);
    for (let i = 0; i < 5000; i += 7) expect(c.boundAt(i)).toBe(want[i]!.bound);
    expect(c.boundAt(4999)).toBe(want[4999]!.bound);
    expect(c.boundAt(5000)).toBeUndefined();
    expect(c.boundAt(-1)).toBeUndefined();
    for (let i = 0; i < 5000; i += 11) {
      let end = i + 1;
      while (end < 5000 && want[end]!.bound === want[i]!.bound) end++;
      expect(c.groupEnd(i)).toBe(end);
    }
    expect(c.groupEnd(5000)).toBe(5000);
  });

  test('boundAt and groupEnd read no id: the next group is not sorted to learn its bound or where it starts', () => {
    // 3 songs bound 9, then 40,000 bound 5 (a common word's group).
    const songs = Array.from({ length: 40_003 }, (_, i) => i);
    const bounds = Int32Array.from(songs, (i) => (i < 3 ? 9 : 5));
    let reads = 0;
    const l = makeRankedNumbers(
      songs,
      bounds,
      (n) => (reads++, id(n)),
      (n) => (reads++, headKey(id(n))),
    );
    expect(l.slice(0, 3).map((c) => c.bound)).toEqual([9, 9, 9]);
    const before = reads;
    expect(l.boundAt(3)).toBe(5);
    expect(l.boundAt(40_002)).toBe(5);
    expect([l.groupEnd(0), l.groupEnd(2), l.groupEnd(3), l.groupEnd(40_002)]).toEqual([3, 3, 40_003, 40_003]);
    expect(reads).toBe(before);
    expect(l.at(3)!.bound).toBe(5); // reaching it does cut the group
    expect(reads).toBeGreaterThan(before + 40_000);
  });

  test('ids of any first two characters keep (bound desc, id asc) order (past Latin-1 share parts)', () => {
    const heads = ['0', '9', 'a', 'f', 'A', 'Z', '~', '\u007f', 'é', 'ÿ', 'ß', '中', '😀', '\u00fe'];
    const seconds = ['', '0', 'f', '\u0000', 'ÿ', 'Ā', '中', '9', 'a']; // 9 and 14: every pair occurs
    // Groups of 1,800 candidates (bounds 7 and 3) are cut into parts; the 900 of bound 5 are sorted whole.
    const cs: Candidate[] = Array.from({ length: 4_500 }, (_, i) => ({
      id: heads[i % heads.length]! + seconds[i % seconds.length]! + (i % 11 === 0 ? '' : id(i)),
      bound: [7, 3, 7, 3, 5][i % 5]!,
    }));
    cs.push({ id: '', bound: 3 }, { id: 'a', bound: 3 }, { id: 'zz', bound: 5 }, { id: '', bound: 5 });
    const l = makeRankedList(cs);
    expect(l.slice(0, cs.length)).toEqual(fullSort(cs));
  });

  test('headKey never decreases in id order', () => {
    const ids = [
      '',
      '\u0000',
      '0',
      '00',
      '0f',
      '0\u00ff',
      '0\u0100',
      '1',
      'a',
      'ab',
      'b',
      '\u00fe\u00ff',
      '\u00ff',
      '中',
      '😀',
    ];
    const sorted = [...ids].sort();
    for (let i = 1; i < sorted.length; i++)
      expect(headKey(sorted[i]!)).toBeGreaterThanOrEqual(headKey(sorted[i - 1]!));
    // Hex ids: one part per two-digit prefix.
    const prefixes = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
    expect(new Set(prefixes.map((p) => headKey(p + id(0)))).size).toBe(256);
  });

  test('a bound outside [0, 2^20] is refused (the counting sort keeps one counter per value)', () => {
    expect(() => makeRankedList([{ id: id(1), bound: -1 }])).toThrow(RangeError);
    expect(() => makeRankedList([{ id: id(1), bound: 2 ** 21 }])).toThrow(RangeError);
  });

  test('an empty list', () => {
    const l = makeRankedList([]);
    expect(l.length).toBe(0);
    expect(l.slice(0, 10)).toEqual([]);
    expect(l.at(0)).toBeUndefined();
    expect(l.boundAt(0)).toBeUndefined();
    expect(l.groupEnd(0)).toBe(0);
  });
});
