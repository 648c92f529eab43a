/**
 * Search candidates in (bound desc, id asc) order, sorted lazily: a common word's query has tens
 * of thousands of candidates, most sharing one bound, while the first page is usually decided by
 * the first few hundred (relevance.ts stops early). Candidates are grouped by bound, each big group
 * cut into parts by the first two characters of the id (`headKey`: song ids are uniform hex, so a
 * part is ~1/256 of the group), and a part is sorted only when a reader reaches it.
 *
 * Does not: compute bounds (candidates.ts) or verify anything (relevance.ts).
 */
import type { Candidate } from './candidates.js';

/** Read-only, ordered view of the candidates: what relevance.ts walks. */
export interface RankedList {
  readonly length: number;
  /** Candidates [start, end) in order (sorting the parts they fall in, once). */
  slice(start: number, end: number): Candidate[];
  /** The candidate at `i`, or undefined past the end. */
  at(i: number): Candidate | undefined;
  /**
   * The bound of the candidate at `i` (undefined past the end) without reaching it: a reader that
   * stops once the page beats the next bound does not sort the next group to learn it.
   */
  boundAt(i: number): number | undefined;
  /**
   * The end of the bound group holding position `i` (the first position with a lower bound, or
   * `length`; `i` past the end: `length`): a reader can stop its slices there, so it does not
   * reach (and sort) the next group before its stop test.
   */
  groupEnd(i: number): number;
}

const byId = (a: Candidate, b: Candidate): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The list over parts in final order (`nextPart` hands them out in order, then undefined), each turned into sorted candidates when first reached. */
function lazyList<P>(
  nextPart: () => P | undefined,
  length: number,
  sorted: (part: P) => Candidate[],
  groups: Pick<RankedList, 'boundAt' | 'groupEnd'>,
): RankedList {
  const ordered: Candidate[] = [];
  let done = false;
  const fill = (n: number) => {
    while (ordered.length < n && !done) {
      const part = nextPart();
      if (part === undefined) done = true;
      else for (const c of sorted(part)) ordered.push(c);
    }
  };
  return {
    length,
    slice(start, end) {
      fill(Math.min(end, length));
      return ordered.slice(start, end);
    },
    at(i) {
      if (i < 0 || i >= length) return undefined;
      fill(i + 1);
      return ordered[i];
    },
    boundAt: groups.boundAt,
    groupEnd: groups.groupEnd,
  };
}

export function makeRankedList(candidates: Iterable<Candidate>): RankedList {
  const cs = [...candidates];
  return makeRankedNumbers(
    cs.map((_, i) => i),
    Int32Array.from(cs, (c) => c.bound),
    (i) => cs[i]!.id,
  );
}

/** Parts per bound group in makeRankedNumbers: one per value of headKey. */
const HEADS = 1 << 16;
/**
 * headKey → its two lowercase hex digits' value (0–255), or -1: song ids are lowercase hex, and a
 * group whose ids all start with two hex digits is cut over 256 counters instead of HEADS (the
 * same order: '0'–'9' then 'a'–'f' is both code and digit order).
 */
const HEX_PAIR = (() => {
  const t = new Int16Array(1 << 16).fill(-1);
  const digits = '0123456789abcdef';
  for (let a = 0; a < 16; a++)
    for (let b = 0; b < 16; b++) t[digits.charCodeAt(a) * 256 + digits.charCodeAt(b)] = a * 16 + b;
  return t;
})();

/**
 * Groups smaller than this are one part, sorted whole, skipping the passes over the counters (256
 * for hex ids, HEADS otherwise): 4,300 ids sorted in ~5 ms in a micro-benchmark, so a group below
 * this sorts in about a millisecond.
 */
const MIN_CUT_GROUP = 1_024;

/**
 * The part of an id within its bound group, in [0, HEADS): its first two UTF-16 code units, each
 * capped at 255, so parts in key order hold ids in id order (ids sharing a part are sorted whole).
 * A 64-hex song id falls in one of 256 parts by its first two digits; an id starting past Latin-1
 * in the last one. Song numbers keep it per number (song-numbers.ts): reading it from each id
 * string cost ~100 ns a candidate (a pointer into the heap each), ~7-40 ms for a common word.
 */
export function headKey(id: string): number {
  const c0 = id.charCodeAt(0);
  if (!(c0 < 255)) return id.length === 0 ? 0 : HEADS - 1;
  const c1 = id.charCodeAt(1);
  return c0 * 256 + (c1 < 255 ? c1 : id.length < 2 ? 0 : 255);
}

/**
 * Bounds makeRankedNumbers counts on, at most (one counter per value): a search bound is ~1,050 per
 * query word, so 2^20 leaves room for any query the limits allow.
 */
const MAX_BOUND = 1 << 20;

/**
 * makeRankedList over song numbers (song-numbers.ts) with their bounds (`bounds[i]` is the bound of
 * `songs[i]`, an integer in [0, MAX_BOUND]). A common word's query has tens of thousands of
 * candidates (at 100k songs, "love" is in ~60,000) while a first page is decided by the top bound
 * or two: candidates are grouped by bound with a counting sort on typed arrays, a group is cut into
 * parts by the first id character (another counting sort) only when a reader reaches it, and a
 * Candidate object is made only for the parts a reader reaches. (Grouping every candidate in maps
 * up front cost ~13 ms a query.)
 */
export function makeRankedNumbers(
  songs: ArrayLike<number>,
  bounds: Int32Array,
  idOf: (n: number) => string,
  /** headKey of song `n`'s id. @default headKey(idOf(n)) */
  headOf: (n: number) => number = (n) => headKey(idOf(n)),
): RankedList {
  const n = songs.length;
  let max = -1;
  for (let i = 0; i < n; i++) {
    const b = bounds[i]!;
    if (b < 0 || b > MAX_BOUND) throw new RangeError(`candidate bound ${b} is outside [0, ${MAX_BOUND}]`);
    if (b > max) max = b;
  }
  // Group by bound with a counting sort (bounds are small integers): byGroup holds the indices of
  // group g (the g-th highest bound) at [starts[g], starts[g + 1]).
  const counts = new Int32Array(max + 1);
  for (let i = 0; i < n; i++) counts[bounds[i]!]!++;
  const groupOf = new Int32Array(max + 1);
  const starts: number[] = [0];
  const groupBounds: number[] = [];
  for (let b = max; b >= 0; b--) {
    if (counts[b] === 0) continue;
    groupOf[b] = starts.length - 1;
    groupBounds.push(b);
    starts.push(starts.at(-1)! + counts[b]!);
  }
  const byGroup = new Int32Array(n);
  const fill = starts.slice(0, -1);
  for (let i = 0; i < n; i++) byGroup[fill[groupOf[bounds[i]!]!]!++] = i;
  let group = -1; // the group handed out last
  const pending: Int32Array[] = []; // its parts not handed out yet, last first
  function nextPart(): Int32Array | undefined {
    while (pending.length === 0) {
      if (++group >= starts.length - 1) return undefined;
      const members = byGroup.subarray(starts[group]!, starts[group + 1]!);
      if (members.length < MIN_CUT_GROUP) return members;
      // The group's indices by headKey (a counting sort), parts in key order: over the 256 hex
      // pairs when every id starts with one (song ids do), else over every key.
      const heads = new Uint16Array(members.length);
      let hex = true;
      for (let g = 0; g < members.length; g++) {
        const h = headOf(songs[members[g]!]!);
        heads[g] = h;
        if (HEX_PAIR[h]! < 0) hex = false;
      }
      const width = hex ? 256 : HEADS;
      const at = new Int32Array(width + 1);
      for (let g = 0; g < members.length; g++) {
        const h = hex ? HEX_PAIR[heads[g]!]! : heads[g]!;
        heads[g] = h;
        at[h + 1]!++;
      }
      for (let h = 1; h <= width; h++) at[h]! += at[h - 1]!;
      const order = new Int32Array(members.length);
      const next = at.slice();
      for (let g = 0; g < members.length; g++) order[next[heads[g]!]!++] = members[g]!;
      for (let h = width - 1; h >= 0; h--)
        if (at[h + 1]! > at[h]!) pending.push(order.subarray(at[h]!, at[h + 1]!));
    }
    return pending.pop();
  }
  /** The group holding position `i`, in [0, n) (binary search over the group starts). */
  const groupAt = (i: number): number => {
    let lo = 0;
    let hi = groupBounds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return lazyList(
    nextPart,
    n,
    (part) => Array.from(part, (i) => ({ id: idOf(songs[i]!), bound: bounds[i]! })).sort(byId),
    {
      boundAt: (i) => (i < 0 || i >= n ? undefined : groupBounds[groupAt(i)]),
      groupEnd: (i) => (i >= n ? n : starts[groupAt(Math.max(0, i)) + 1]!),
    },
  );
}
