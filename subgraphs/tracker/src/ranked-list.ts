/**
 * Search candidates in (bound desc, id asc) order, sorted lazily: a common word's query has tens
 * of thousands of candidates, most sharing one bound, while the first page is usually decided by
 * the first few hundred (relevance.ts stops early). Candidates are grouped by bound, each group cut
 * into parts by the first character of the id (song ids are uniform hex, so a part is ~1/16 of the
 * group), and a part is sorted only when a reader reaches it.
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
}

const byId = (a: Candidate, b: Candidate): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** `items` cut into parts of one bound and one first id character, in (bound desc, head asc) order. */
function partsOf<T>(items: Iterable<T>, boundOf: (t: T) => number, idOf: (t: T) => string): T[][] {
  // bound → first id character → items
  const groups = new Map<number, Map<string, T[]>>();
  for (const t of items) {
    const bound = boundOf(t);
    let g = groups.get(bound);
    if (!g) groups.set(bound, (g = new Map()));
    const head = idOf(t).charAt(0);
    const part = g.get(head);
    if (part) part.push(t);
    else g.set(head, [t]);
  }
  const parts: T[][] = [];
  for (const bound of [...groups.keys()].sort((a, b) => b - a)) {
    const g = groups.get(bound)!;
    for (const head of [...g.keys()].sort()) parts.push(g.get(head)!);
  }
  return parts;
}

/** The list over parts in final order, each turned into sorted candidates when first reached. */
function lazyList<T>(parts: T[][], length: number, sorted: (part: T[]) => Candidate[]): RankedList {
  const ordered: Candidate[] = [];
  let nextPart = 0;
  const fill = (n: number) => {
    while (ordered.length < n && nextPart < parts.length)
      for (const c of sorted(parts[nextPart++]!)) ordered.push(c);
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
  };
}

export function makeRankedList(candidates: Iterable<Candidate>): RankedList {
  const parts = partsOf(
    candidates,
    (c) => c.bound,
    (c) => c.id,
  );
  const length = parts.reduce((n, p) => n + p.length, 0);
  return lazyList(parts, length, (part) => part.sort(byId));
}

/**
 * makeRankedList over song numbers (song-numbers.ts) with their bounds (`bounds[i]` is the bound of
 * `songs[i]`): a Candidate object is made only for the parts a reader reaches.
 */
export function makeRankedNumbers(
  songs: readonly number[],
  bounds: Int32Array,
  idOf: (n: number) => string,
): RankedList {
  const parts = partsOf(
    songs.keys(),
    (i) => bounds[i]!,
    (i) => idOf(songs[i]!),
  );
  return lazyList(parts, songs.length, (part) =>
    part.map((i) => ({ id: idOf(songs[i]!), bound: bounds[i]! })).sort(byId),
  );
}
