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

export function makeRankedList(candidates: Iterable<Candidate>): RankedList {
  // bound → first id character → candidates
  const groups = new Map<number, Map<string, Candidate[]>>();
  let length = 0;
  for (const c of candidates) {
    let g = groups.get(c.bound);
    if (!g) groups.set(c.bound, (g = new Map()));
    const head = c.id.charAt(0);
    const part = g.get(head);
    if (part) part.push(c);
    else g.set(head, [c]);
    length++;
  }
  /** Parts in final order; each is sorted by id when first reached. */
  const parts: Candidate[][] = [];
  for (const bound of [...groups.keys()].sort((a, b) => b - a)) {
    const g = groups.get(bound)!;
    for (const head of [...g.keys()].sort()) parts.push(g.get(head)!);
  }
  const ordered: Candidate[] = [];
  let nextPart = 0;
  const fill = (n: number) => {
    while (ordered.length < n && nextPart < parts.length) {
      const part = parts[nextPart++]!;
      part.sort(byId);
      for (const c of part) ordered.push(c);
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
  };
}
