import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { Candidate } from './candidates.js';
import { makeRankedList } from './ranked-list.js';

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
  });

  test('ids of any first character keep (bound desc, id asc) order (past ASCII share one part)', () => {
    const heads = ['0', '9', 'a', 'f', 'A', 'Z', '~', '\u007f', 'é', 'ß', '中', '😀'];
    const cs: Candidate[] = Array.from({ length: 600 }, (_, i) => ({
      id: heads[i % heads.length]! + id(i),
      bound: [7, 3][i % 2]!,
    }));
    const l = makeRankedList(cs);
    expect(l.slice(0, 600)).toEqual(fullSort(cs));
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
  });
});
