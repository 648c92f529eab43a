/**
 * The in-memory catalogue of the song records this tracker holds in its own shard: fed by
 * node.onLocalChange, rebuilt from the store on start. Serves the local leg of listing
 * scatter-gathers (sorted pages after a cursor), counts and facets, and local-first record reads.
 * Sorted indexes are kept up to date lazily (changed ids merged in at the next read), and ahead of
 * time once writes pause (INDEX_REBUILD_IDLE_MS).
 *
 * Does not: talk to other trackers (scatter.ts), hold index sets (they stay in the DHT only).
 */
import type { SongNumbers } from './song-numbers.js';
import { toHex, type StoredEntry } from '@gotify/dht';
import { decodeSong, compareStamps, type SongRecord } from './record.js';
import {
  INDEX_FIELDS,
  normalisedFields,
  songKey,
  songWords,
  type IndexField,
  type IndexedFields,
} from './keys.js';
import { INDEX_REBUILD_IDLE_MS } from './limits.js';
import { songSearchWords, songTerms, type SongTerms, type SongWords } from './search.js';

export type SortKey = 'TITLE' | 'ARTIST' | 'ALBUM' | 'UPLOADED_AT';
export type Order = 'ASC' | 'DESC';

export interface CatalogueEntry {
  song: SongRecord;
  stamp: { c: number; w: string };
  norm: IndexedFields;
  words: SongWords;
  /** `words` as scoring reads them (search.ts songTerms). */
  terms: SongTerms;
  /** keyOf('song', id), for ownership decisions. */
  key: Uint8Array;
  /**
   * The entry's position in each sorted order, once computed (`positionOf`): an entry is replaced
   * on change, never changed, and the catalogue's sorted indexes hold these same objects.
   */
  positions: Partial<Record<SortKey, Position>>;
}

/** A position in a sorted listing: sort value then id (ids break ties, so positions are total). */
export interface Position {
  v: string;
  id: string;
}

const pad = (n: number | null | undefined): string => String(n ?? 0).padStart(4, '0');

/**
 * The field each sort value starts with, followed by '\u0000' (sortValue): the songs with one value
 * of it are one contiguous run of the sorted index, which `page` can walk alone (`lead`).
 */
export const LEADING_FIELD: Record<SortKey, IndexField | undefined> = {
  TITLE: 'title',
  ARTIST: 'artist',
  ALBUM: 'album',
  UPLOADED_AT: undefined,
};

/** Composite sort value of a song for a sort key (compared as plain strings, identical on every node). */
export function sortValue(e: Pick<CatalogueEntry, 'song' | 'norm'>, sort: SortKey): string {
  switch (sort) {
    case 'TITLE':
      return `${e.norm.title}\u0000${e.norm.artist}`;
    case 'ARTIST':
      return `${e.norm.artist}\u0000${e.norm.album}\u0000${pad(e.song.trackNumber)}\u0000${e.norm.title}`;
    case 'ALBUM':
      return `${e.norm.album}\u0000${pad(e.song.trackNumber)}\u0000${e.norm.title}`;
    case 'UPLOADED_AT':
      return e.song.uploadedAt;
    default: {
      const never: never = sort;
      throw new Error(`unknown sort ${String(never)}`);
    }
  }
}

/**
 * The entry's position in `sort`'s order, built once per entry: a filter's page compares hundreds
 * of held songs, and building each one's sort value for it (a string per song, in an object spread)
 * was ~16% of a warm mid-size filter's time at 100,000 songs (profiled).
 */
export function positionOf(e: CatalogueEntry, sort: SortKey): Position {
  return (e.positions[sort] ??= { v: sortValue(e, sort), id: e.song.id });
}

/** A record's position in `sort`'s order without a catalogue entry (a listed song not held here). */
export function recordPosition(song: SongRecord, sort: SortKey): Position {
  return { v: sortValue({ song, norm: normalisedFields(song) }, sort), id: song.id };
}

export function comparePositions(a: Position, b: Position): number {
  return a.v < b.v ? -1 : a.v > b.v ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Builds a catalogue entry from a live record. */
export function makeEntry(
  song: SongRecord,
  stamp: { c: number; w: string },
  key?: Uint8Array,
): CatalogueEntry {
  const words = songSearchWords(song);
  return {
    song,
    stamp,
    norm: normalisedFields(song),
    words,
    terms: songTerms(words),
    key: key ?? songKey(song.id),
    positions: {},
  };
}

export interface FacetCounts {
  artists: [string, string, number][];
  albums: [string, string, number][];
  genres: [string, string, number][];
}

export interface Catalogue {
  /** Applies a local shard change; ignores anything that is not a song record. */
  apply(change: { type: 'put' | 'delete'; entry: StoredEntry }): void;
  get(id: string): CatalogueEntry | undefined;
  /**
   * Whether every id of `ids` is held here. Cached per array object (pass immutable arrays only,
   * such as read views): a `true` stands until a song is dropped, since learning or replacing
   * songs never un-holds one.
   */
  holdsAll(ids: readonly string[]): boolean;
  size(): number;
  /**
   * Up to `first` entries strictly after `after` in the given order; with `keep`, only entries it
   * accepts (the index is walked until `first` are found or it ends); with `lead`, only entries
   * whose LEADING_FIELD of `sort` is that normalised value (their run alone is walked).
   */
  page(
    sort: SortKey,
    order: Order,
    first: number,
    after?: Position,
    keep?: (e: CatalogueEntry) => boolean,
    lead?: string,
  ): CatalogueEntry[];
  /**
   * Songs held here with `word` among their indexed words (keys.ts songWords): the size of the
   * word's postings as far as this tracker can tell, a planning hint for search (candidates.ts).
   */
  wordSongs(word: string): number;
  /** Songs held here whose normalised `field` is `value` (the catalogue's own count). */
  songsWith(field: IndexField, value: string): number;
  /** Up to `n` held entries spread over the catalogue: every ⌈size ÷ n⌉-th in the order learnt. */
  sample(n: number): CatalogueEntry[];
  /** Changes every time an entry is added, replaced or removed (what a cache of lookups checks). */
  version(): number;
  /** Entries for which `owns(entry)` holds: counted once per song across trackers. */
  owned(sig: string, owns: (e: CatalogueEntry) => boolean): { count: number; facets: FacetCounts };
}

export function makeCatalogue(
  /** Song numbering to prime with every song learnt (song-numbers.ts). @default none */
  numbers?: SongNumbers,
): Catalogue {
  const byId = new Map<string, CatalogueEntry>();
  const wordCounts = new Map<string, number>();
  /** Songs per normalised value of each indexed field: a single-field filter's count (filter-walk.ts). */
  const valueCounts = new Map<IndexField, Map<string, number>>(INDEX_FIELDS.map((f) => [f, new Map()]));
  const bump = (m: Map<string, number>, k: string, d: 1 | -1): void => {
    const n = (m.get(k) ?? 0) + d;
    if (n > 0) m.set(k, n);
    else m.delete(k);
  };
  const count = (e: CatalogueEntry | undefined, d: 1 | -1): void => {
    if (!e) return;
    for (const w of songWords(e.norm)) bump(wordCounts, w, d);
    for (const f of INDEX_FIELDS) bump(valueCounts.get(f)!, e.norm[f], d);
  };
  const remove = (id: string): void => {
    count(byId.get(id), -1);
    byId.delete(id);
  };
  /**
   * Per sort key: positions in order, and the ids changed since (re-placed at the next read by a
   * merge: O(n + k log k), not a re-sort of the catalogue).
   */
  const sorted = new Map<SortKey, { pos: Position[]; changed: Set<string> }>();
  let ownedCache: { sig: string; result: { count: number; facets: FacetCounts } } | undefined;
  /** Sort keys asked for since start: their indexes are rebuilt ahead of the next query. */
  const used = new Set<SortKey>(['TITLE']);
  let rebuild: ReturnType<typeof setTimeout> | undefined;
  let version = 0;
  /** Songs dropped (deleted) so far: what a cached holdsAll answer is valid for. */
  let dropped = 0;
  const heldLists = new WeakMap<readonly string[], number>();
  const dirty = (id: string): void => {
    version++;
    for (const ix of sorted.values()) {
      ix.changed.add(id);
      // Past a quarter of the catalogue a fresh sort is cheaper than the merge's bookkeeping.
      if (ix.changed.size > byId.size / 4) sorted.clear();
    }
    ownedCache = undefined;
    if (rebuild) {
      rebuild.refresh();
      return;
    }
    rebuild = setTimeout(() => {
      rebuild = undefined;
      for (const s of used) index(s);
    }, INDEX_REBUILD_IDLE_MS);
    rebuild.unref();
  };

  function apply(change: { type: 'put' | 'delete'; entry: StoredEntry }): void {
    const { entry } = change;
    if (entry.value.kind !== 'record') return;
    const song = decodeSong(entry.value.bytes);
    if (!song) return;
    const key = songKey(song.id);
    if (toHex(key) !== toHex(entry.key)) return; // not where this id's record belongs: ignore
    const prev = byId.get(song.id);
    if (change.type === 'delete') {
      if (prev) {
        remove(song.id);
        dirty(song.id);
        dropped++;
      }
      return;
    }
    const stamp = entry.value.stamp;
    if (prev && compareStamps(prev.stamp, stamp) > 0) return;
    if (entry.value.deleted || typeof song.title !== 'string') {
      if (prev) {
        remove(song.id);
        dirty(song.id);
        dropped++;
      }
      return;
    }
    remove(song.id);
    if (!prev) numbers?.prime(song.id);
    const next = makeEntry(song, stamp, key);
    byId.set(song.id, next);
    count(next, 1);
    dirty(song.id);
  }

  function index(sort: SortKey): Position[] {
    used.add(sort);
    let s = sorted.get(sort);
    if (!s) {
      const pos = [...byId.values()].map((e) => positionOf(e, sort));
      pos.sort(comparePositions);
      s = { pos, changed: new Set() };
      sorted.set(sort, s);
    } else if (s.changed.size > 0) {
      s.pos = mergeChanged(s.pos, s.changed, sort);
      s.changed.clear();
    }
    return s.pos;
  }

  /** `pos` without the changed ids' old positions, merged with their current ones (sorted). */
  function mergeChanged(pos: Position[], changed: Set<string>, sort: SortKey): Position[] {
    const fresh: Position[] = [];
    for (const id of changed) {
      const e = byId.get(id);
      if (e) fresh.push(positionOf(e, sort));
    }
    fresh.sort(comparePositions);
    const out: Position[] = [];
    let j = 0;
    for (const p of pos) {
      if (changed.has(p.id)) continue;
      while (j < fresh.length && comparePositions(fresh[j]!, p) < 0) out.push(fresh[j++]!);
      out.push(p);
    }
    while (j < fresh.length) out.push(fresh[j++]!);
    return out;
  }

  /** First index of `pos` whose position is after `p` (`orEqual`: not before it). */
  function boundOf(pos: Position[], p: Position, orEqual: boolean): number {
    let lo = 0;
    let hi = pos.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = comparePositions(pos[mid]!, p);
      if (c < 0 || (c === 0 && !orEqual)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function page(
    sort: SortKey,
    order: Order,
    first: number,
    after?: Position,
    keep?: (e: CatalogueEntry) => boolean,
    lead?: string,
  ): CatalogueEntry[] {
    const pos = index(sort);
    const out: CatalogueEntry[] = [];
    const visit = (i: number): void => {
      const e = byId.get(pos[i]!.id)!;
      if (!keep || keep(e)) out.push(e);
    };
    // [lo, hi): the run of `lead` (sort values starting with lead + '\u0000', so between it and
    // lead + '\u0001'; ids start at '' so the bounds sit before every id), else the whole index.
    let lo = lead === undefined ? 0 : boundOf(pos, { v: `${lead}\u0000`, id: '' }, true);
    let hi = lead === undefined ? pos.length : boundOf(pos, { v: `${lead}\u0001`, id: '' }, true);
    if (after) {
      // ASC: from the first position after the cursor; DESC: down from the last one before it.
      if (order === 'ASC') lo = Math.max(lo, boundOf(pos, after, false));
      else hi = Math.min(hi, boundOf(pos, after, true));
    }
    if (order === 'ASC') for (let i = lo; i < hi && out.length < first; i++) visit(i);
    else for (let i = hi - 1; i >= lo && out.length < first; i--) visit(i);
    return out;
  }

  function owned(sig: string, owns: (e: CatalogueEntry) => boolean): { count: number; facets: FacetCounts } {
    if (ownedCache?.sig === sig) return ownedCache.result;
    const maps = {
      artists: new Map<string, [string, number]>(),
      albums: new Map<string, [string, number]>(),
      genres: new Map<string, [string, number]>(),
    };
    let count = 0;
    const bump = (m: Map<string, [string, number]>, norm: string, display: string): void => {
      const cur = m.get(norm);
      if (cur) cur[1]++;
      else m.set(norm, [display, 1]);
    };
    for (const e of byId.values()) {
      if (!owns(e)) continue;
      count++;
      bump(maps.artists, e.norm.artist, e.song.artist);
      bump(maps.albums, e.norm.album, e.song.album);
      bump(maps.genres, e.norm.genre, e.song.genre);
    }
    const flat = (m: Map<string, [string, number]>): [string, string, number][] =>
      [...m].map(([n, [d, c]]) => [n, d, c]);
    const result = {
      count,
      facets: { artists: flat(maps.artists), albums: flat(maps.albums), genres: flat(maps.genres) },
    };
    ownedCache = { sig, result };
    return result;
  }

  return {
    apply,
    get: (id) => byId.get(id),
    holdsAll(ids) {
      if (heldLists.get(ids) === dropped) return true;
      for (const id of ids) if (!byId.has(id)) return false;
      heldLists.set(ids, dropped);
      return true;
    },
    size: () => byId.size,
    page,
    wordSongs: (w) => wordCounts.get(w) ?? 0,
    songsWith: (field, value) => valueCounts.get(field)!.get(value) ?? 0,
    sample(n) {
      const out: CatalogueEntry[] = [];
      if (n <= 0) return out;
      const stride = Math.ceil(byId.size / n);
      let i = 0;
      for (const e of byId.values()) if (i++ % stride === 0) out.push(e);
      return out;
    },
    version: () => version,
    owned,
  };
}
