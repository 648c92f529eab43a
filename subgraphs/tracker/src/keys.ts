/**
 * Which DHT keys a song occupies, as canonical strings (namespace + name) and as 32-byte keys.
 *
 * - Exact index: for each subset of 1 or 2 of {album, artist, genre, title} (10 names), the name
 *   'album=x&artist=y' (fields in alphabetical order, normalised values, URI-encoded) in namespace 'idx'.
 *   Single-field names ('genre=rock') are sharded into INDEX_BUCKETS keys by the song id's first hex digit.
 * - Search index (see README "Search design"): postings per distinct word t, 'w' t '#' bucket → song
 *   ids (WORD_BUCKETS buckets); a VOCABULARY of words: 'sym' t and every single-character deletion
 *   of t (SymSpell; only for TYPO_MIN..TYPO_MAX letters), 'pre' every proper prefix of t of length
 *   PREFIX_MIN..PREFIX_MAX → sets of words (written once per new word, never per song).
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
  INDEX_BUCKETS,
  MAX_INDEXED_FIELDS,
  WORD_BUCKETS,
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

/**
 * The 10 canonical index names of a song: each single field and each pair of fields. A filter on 3
 * or 4 fields reads its most selective pair (filterLookupName) and is verified on the records, so
 * the 5 wider names would only cost writes (a third of a song's posting keys) for no selectivity.
 */
export function indexNames(song: IndexedFields): string[] {
  const names: string[] = [];
  for (let mask = 1; mask < 1 << INDEX_FIELDS.length; mask++) {
    const sub: PartialFilter = {};
    let n = 0;
    INDEX_FIELDS.forEach((f, i) => {
      if (mask & (1 << i)) {
        sub[f] = song[f];
        n++;
      }
    });
    if (n <= MAX_INDEXED_FIELDS) names.push(filterName(sub)!);
  }
  return names;
}

/** Field pairs for filters wider than MAX_INDEXED_FIELDS, most selective first (titles and albums are nearly unique). */
const PAIR_PREFERENCE: [IndexField, IndexField][] = [
  ['album', 'title'],
  ['artist', 'title'],
  ['genre', 'title'],
  ['album', 'artist'],
  ['album', 'genre'],
  ['artist', 'genre'],
];

/** The index name a filter reads: its own name up to MAX_INDEXED_FIELDS fields, else its most selective pair. */
export function filterLookupName(filter: PartialFilter): string | undefined {
  const given = INDEX_FIELDS.filter((f) => filter[f] !== undefined && filter[f] !== null);
  if (given.length <= MAX_INDEXED_FIELDS) return filterName(filter);
  const [a, b] = PAIR_PREFERENCE.find((p) => p.every((f) => given.includes(f)))!;
  return filterName({ [a]: filter[a], [b]: filter[b] });
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

/** A word's own vocabulary name, the first of wordKeyNames (writes.ts writes it last, as a mark). */
export const ownVocabularyName = (w: string): string => `sym:${w}`;

/** Vocabulary key names of one word (sets of WORDS): 'sym:' word + its deletions, 'pre:' its proper prefixes. */
export function wordKeyNames(w: string): string[] {
  const chars = Array.from(w);
  const names = [ownVocabularyName(w)];
  if (chars.length >= TYPO_MIN_LENGTH && chars.length <= TYPO_MAX_LENGTH) {
    for (const d of deletions(w)) names.push(`sym:${d}`);
  }
  for (let n = PREFIX_MIN; n <= Math.min(chars.length - 1, PREFIX_MAX); n++)
    names.push(`pre:${chars.slice(0, n).join('')}`);
  return names;
}

/**
 * Bucket of a song id: a range of its first hex digit (`buckets` divides 16), so bucket 0 holds the
 * smallest ids. Spreads one big posting set over several keys, and lets a search read a common
 * word's buckets in id order and stop early (ties rank by id: candidates.ts).
 */
export function bucketOf(id: string, buckets: number): number {
  return Math.floor(((parseInt(id[0] ?? '0', 16) || 0) * buckets) / 16);
}

/** Single-field index names ('genre=rock') are sharded: their sets grow with the catalogue. */
const isSingleField = (name: string): boolean => !name.includes('&');

/** DHT key holding song `id` under exact index name `name` (single-field names go to a bucket). */
export function indexPostingKey(name: string, id: string): Uint8Array {
  return isSingleField(name) ? keyOf('idx', `${name}#${bucketOf(id, INDEX_BUCKETS)}`) : keyOf('idx', name);
}
/** Every DHT key a filter name must read (all buckets of a single-field name). */
export function indexReadKeys(name: string): Uint8Array[] {
  return isSingleField(name)
    ? Array.from({ length: INDEX_BUCKETS }, (_, b) => keyOf('idx', `${name}#${b}`))
    : [keyOf('idx', name)];
}
/** DHT key of the postings of word `w` (set of song ids) in the bucket of song `id`. */
export function wordPostingKey(w: string, id: string): Uint8Array {
  return keyOf('w', `${w}#${bucketOf(id, WORD_BUCKETS)}`);
}
/** The bucket keys of the postings of word `w`, buckets [from, to) (every bucket by default). */
export function wordReadKeys(w: string, from = 0, to = WORD_BUCKETS): Uint8Array[] {
  return Array.from({ length: to - from }, (_, i) => keyOf('w', `${w}#${from + i}`));
}

/** Posting names of a song's words ('w:' word '#' bucket); each is a set of song ids. */
export function searchNames(song: IndexedFields & { id: string }): string[] {
  return songWords(song).map((w) => `w:${w}#${bucketOf(song.id, WORD_BUCKETS)}`);
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
  if (chars.length >= PREFIX_MIN)
    names.push(`pre:${chars.slice(0, Math.min(chars.length, PREFIX_MAX)).join('')}`);
  return names;
}

/** DHT key of a canonical search name ('sym:'/'pre:' vocabulary names, 'w:' postings). */
/**
 * Vocabulary sets hold words as members, and the DHT refuses a member named like an
 * Object.prototype property or 'prototype' (its plain-object maps would misread them): "prototype"
 * and "constructor" are words of real titles. Such a word is stored as '~' + word; words are
 * letters and digits only (normalise.ts words), so the escape is unambiguous.
 */
const ESCAPED_WORDS = new Set(['constructor', 'prototype']);
/** The vocabulary member of a word. */
export const vocabularyMember = (w: string): string => (ESCAPED_WORDS.has(w) ? `~${w}` : w);
/** The word of a vocabulary member (vocabularyMember's inverse). */
export const memberWord = (m: string): string => (m.startsWith('~') ? m.slice(1) : m);

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
  return {
    album: normalise(song.album),
    artist: normalise(song.artist),
    genre: normalise(song.genre),
    title: normalise(song.title),
  };
}
