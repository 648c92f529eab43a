/**
 * Which DHT keys a song occupies, as canonical strings (namespace + name) and as 32-byte keys.
 *
 * - Exact index: for each of the 15 non-empty subsets of {album, artist, genre, title}, the name
 *   'album=x&artist=y' (fields in alphabetical order, normalised values, URI-encoded) in namespace 'idx'.
 * - Search index (see README "Search design"): per distinct word t of the song
 *   'sym' t and every single-character deletion of t (SymSpell; only for TYPO_MIN..TYPO_MAX letters),
 *   'pre' every proper prefix of t of length PREFIX_MIN..PREFIX_MAX.
 *
 * Does not talk to the DHT (service.ts does) nor rank anything (search.ts does).
 */
import { keyOf } from '@gotify/dht';
import { normalise, words } from './normalise.js';
import {
  MAX_SEARCH_WORDS_PER_SONG,
  PREFIX_MAX,
  PREFIX_MIN,
  TYPO_MAX_LENGTH,
  TYPO_MIN_LENGTH,
} from './limits.js';

/** The four indexed fields, in canonical (alphabetical) order. */
export const INDEX_FIELDS = ['album', 'artist', 'genre', 'title'] as const;
export type IndexField = (typeof INDEX_FIELDS)[number];
export type IndexedFields = Record<IndexField, string>;
export type PartialFilter = Partial<Record<IndexField, string | null | undefined>>;

/** Canonical name of a filter: only the given fields, 'artist=queen&genre=rock'. Undefined when empty. */
export function filterName(filter: PartialFilter): string | undefined {
  const parts: string[] = [];
  for (const f of INDEX_FIELDS) {
    const v = filter[f];
    if (v === undefined || v === null) continue;
    parts.push(`${f}=${encodeURIComponent(normalise(v))}`);
  }
  return parts.length > 0 ? parts.join('&') : undefined;
}

/** The 15 canonical index names of a song (every non-empty subset of its four fields). */
export function indexNames(song: IndexedFields): string[] {
  const names: string[] = [];
  for (let mask = 1; mask < 1 << INDEX_FIELDS.length; mask++) {
    const sub: PartialFilter = {};
    INDEX_FIELDS.forEach((f, i) => {
      if (mask & (1 << i)) sub[f] = song[f];
    });
    names.push(filterName(sub)!);
  }
  return names;
}

/** Every distinct string obtained by deleting one character of `w`. */
export function deletions(w: string): string[] {
  const chars = Array.from(w);
  const out = new Set<string>();
  for (let i = 0; i < chars.length; i++) out.add(chars.slice(0, i).join('') + chars.slice(i + 1).join(''));
  return [...out];
}

/** Distinct search words of a song over its four fields, bounded to MAX_SEARCH_WORDS_PER_SONG (title first). */
export function songWords(song: IndexedFields): string[] {
  const out = new Set<string>();
  for (const f of ['title', 'artist', 'album', 'genre'] as const) {
    for (const w of words(song[f])) {
      if (out.size >= MAX_SEARCH_WORDS_PER_SONG) return [...out];
      out.add(w);
    }
  }
  return [...out];
}

/** Search key names of one word: 'sym:' word + its deletions, 'pre:' its proper prefixes. */
export function wordKeyNames(w: string): string[] {
  const chars = Array.from(w);
  const names = [`sym:${w}`];
  if (chars.length >= TYPO_MIN_LENGTH && chars.length <= TYPO_MAX_LENGTH) {
    for (const d of deletions(w)) names.push(`sym:${d}`);
  }
  for (let n = PREFIX_MIN; n <= Math.min(chars.length - 1, PREFIX_MAX); n++) names.push(`pre:${chars.slice(0, n).join('')}`);
  return names;
}

/** Every search key name of a song (deduplicated across its words). */
export function searchNames(song: IndexedFields): string[] {
  const out = new Set<string>();
  for (const w of songWords(song)) for (const n of wordKeyNames(w)) out.add(n);
  return [...out];
}

/**
 * Candidate key names for one query word q: 'sym:q' (q == t, or q is t minus one letter),
 * 'sym:d' for each deletion d of q (t == d: q has one extra letter; or a shared deletion:
 * one substitution or transposition), and 'pre:' q's prefix (q is a partial word).
 */
export function queryWordKeyNames(q: string): string[] {
  const chars = Array.from(q);
  const names = [`sym:${q}`];
  if (chars.length >= TYPO_MIN_LENGTH && chars.length <= TYPO_MAX_LENGTH + 1) {
    for (const d of deletions(q)) names.push(`sym:${d}`);
  }
  if (chars.length >= PREFIX_MIN) names.push(`pre:${chars.slice(0, Math.min(chars.length, PREFIX_MAX)).join('')}`);
  return names;
}

/** DHT key of a canonical name ('idx' names, 'sym:'/'pre:' search names). */
export function indexKey(name: string): Uint8Array {
  return keyOf('idx', name);
}
export function searchKey(name: string): Uint8Array {
  const sep = name.indexOf(':');
  return keyOf(name.slice(0, sep), name.slice(sep + 1));
}
/** DHT key of a song's metadata record. */
export function songKey(id: string): Uint8Array {
  return keyOf('song', id);
}

/** Normalised filter-able view of a song (what index names and verification compare). */
export function normalisedFields(song: IndexedFields): IndexedFields {
  return { album: normalise(song.album), artist: normalise(song.artist), genre: normalise(song.genre), title: normalise(song.title) };
}
