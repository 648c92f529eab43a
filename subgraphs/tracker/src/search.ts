/**
 * Free-text matching and ranking, pure: the DHT lookups that produce candidates live in
 * service.ts; this module verifies candidates against their real words and scores them.
 *
 * A query word q matches a song word t when q == t (exact), t starts with q and q has at least
 * PREFIX_MIN letters (prefix), or their optimal-string-alignment distance is 1 (typo: one
 * insertion, deletion, substitution or adjacent transposition) and the longer has at least
 * TYPO_MIN_LENGTH letters. Everything else the candidate keys let through is a false positive.
 */
import { words } from './normalise.js';
import { PREFIX_MIN, TYPO_MIN_LENGTH, MAX_QUERY_WORDS } from './limits.js';

export type MatchQuality = 'exact' | 'prefix' | 'typo';

/** Exact beats prefix beats typo, whatever the field. */
const QUALITY_POINTS: Record<MatchQuality, number> = { exact: 3, prefix: 2, typo: 1 };
/** Title > artist > album > genre. */
export const FIELD_WEIGHTS = { title: 4, artist: 3, album: 2, genre: 1 } as const;
export type SearchField = keyof typeof FIELD_WEIGHTS;
export type SongWords = Record<SearchField, string[]>;

/** Optimal string alignment distance, stopping early once it exceeds `max`. */
export function osaDistance(a: string, b: string, max = 1): number {
  const s = Array.from(a);
  const t = Array.from(b);
  if (Math.abs(s.length - t.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[t.length]!;
}

/** How query word q matches song word t, or undefined. */
export function matchWord(q: string, t: string): MatchQuality | undefined {
  if (q === t) return 'exact';
  const ql = Array.from(q).length;
  if (ql >= PREFIX_MIN && t.startsWith(q)) return 'prefix';
  if (Math.max(ql, Array.from(t).length) >= TYPO_MIN_LENGTH && osaDistance(q, t, 1) <= 1) return 'typo';
  return undefined;
}

/** Query words: normalised, deduplicated, at most MAX_QUERY_WORDS. */
export function queryWords(search: string): string[] {
  return [...new Set(words(search))].slice(0, MAX_QUERY_WORDS);
}

export function songSearchWords(song: Record<SearchField, string>): SongWords {
  return {
    title: words(song.title),
    artist: words(song.artist),
    album: words(song.album),
    genre: words(song.genre),
  };
}

/**
 * Relevance of a song for the query words; 0 when no word truly matches (a false positive of the
 * candidate keys). Ranking: number of query words matched, then match quality, then field weight:
 * score = 1000 × matched + Σ over matched words of (10 × quality points + field weight).
 */
export function scoreSong(qs: string[], song: SongWords): number {
  return makeScorer(qs)(song);
}

/** A song's distinct search words, each with the weight of its best field: what scoring reads. */
export interface SongTerms {
  terms: string[];
  weights: number[];
}

/** The terms of a song's words (a word in several fields keeps its best field's weight). */
export function songTerms(song: SongWords): SongTerms {
  const best = new Map<string, number>();
  for (const f of ['title', 'artist', 'album', 'genre'] as const)
    for (const t of song[f]) if ((best.get(t) ?? 0) < FIELD_WEIGHTS[f]) best.set(t, FIELD_WEIGHTS[f]);
  return { terms: [...best.keys()], weights: [...best.values()] };
}

/**
 * scoreSong for one query over many songs: each song word's points against every query word are
 * computed once per query (catalogue words repeat, Zipf-like) and kept in one array per word, so
 * verifying thousands of candidates costs one map lookup per distinct song word (the catalogue
 * keeps each song's terms ready: catalogue.ts), not one edit distance or one lookup per
 * (query word, field, song word).
 */
export function makeScorer(
  qs: string[],
  /**
   * Per query word, every word that matches it with its quality points (3 exact, 2 prefix, 1 typo;
   * search-reads.ts `known`), or undefined: then matchWord decides. A search's vocabulary read
   * already verified its matches, and a song word absent from them cannot match (the vocabulary
   * holds every song word), so verifying thousands of candidates computes no edit distance.
   * @default undefined for every query word
   */
  known: readonly (ReadonlyMap<string, number> | undefined)[] = [],
): (song: SongWords | SongTerms) => number {
  const memo = new Map<string, Int32Array | null>();
  const pointsOf = (t: string): Int32Array | null => {
    let p = memo.get(t);
    if (p === undefined) {
      p = new Int32Array(qs.length);
      let any = false;
      for (let i = 0; i < qs.length; i++) {
        const k = known[i];
        const m = k ? undefined : matchWord(qs[i]!, t);
        const points = k ? k.get(t) : m && QUALITY_POINTS[m];
        if (points) {
          p[i] = 10 * points;
          any = true;
        }
      }
      if (!any) p = null;
      memo.set(t, p);
    }
    return p;
  };
  const best = new Int32Array(qs.length);
  return (song) => {
    const { terms, weights } = 'terms' in song ? song : songTerms(song);
    best.fill(0);
    for (let j = 0; j < terms.length; j++) {
      const p = pointsOf(terms[j]!);
      if (p === null) continue;
      const weight = weights[j]!;
      for (let i = 0; i < p.length; i++) {
        const v = p[i]!;
        if (v > 0 && v + weight > best[i]!) best[i] = v + weight;
      }
    }
    let matched = 0;
    let total = 0;
    for (let i = 0; i < best.length; i++) {
      if (best[i]! > 0) {
        matched++;
        total += best[i]!;
      }
    }
    return matched === 0 ? 0 : 1000 * matched + total;
  };
}
